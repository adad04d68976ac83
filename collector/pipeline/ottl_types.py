"""Which positional OTTL parameters take a string (the real parser rejects a literal of another type there).

Generated from the OTTL Go sources of the collector release in collector/otelcol/go.mod by
`python tests/ottl_string_params.py`; tests/otelcol/test_ottl_types.py fails when it drifts.
"""

from __future__ import annotations

# function -> positions of its `string` / `ottl.StringGetter` parameters (optional ones included)
STRING_PARAMS: dict[str, tuple[int, ...]] = {
    'Base64Decode': (0,),
    'Base64Encode': (0, 1),
    'CommunityID': (0, 2, 4),
    'Concat': (1,),
    'ConvertAttributesToElementsXML': (0, 1),
    'ConvertCase': (0, 1),
    'ConvertTextToElementsXML': (0, 1, 2),
    'Decode': (1,),
    'Duration': (0,),
    'ExtractGrokPatterns': (0, 1),
    'ExtractPatterns': (0, 1),
    'FNV': (0,),
    'Format': (0,),
    'FormatTime': (1,),
    'GetXML': (0, 1),
    'HasPrefix': (0, 1),
    'HasSuffix': (0, 1),
    'InsertXML': (0, 1, 2),
    'IsInCIDR': (0,),
    'IsMatch': (1,),
    'IsString': (0,),
    'MD5': (0,),
    'Murmur3Hash': (0,),
    'Murmur3Hash128': (0,),
    'ParseCSV': (0, 1, 2, 3, 4),
    'ParseInt': (0,),
    'ParseJSON': (0,),
    'ParseKeyValue': (0, 1, 2),
    'ParseSimplifiedXML': (0,),
    'ParseXML': (0,),
    'RemoveXML': (0, 1),
    'SHA1': (0,),
    'SHA256': (0,),
    'SHA512': (0,),
    'Sort': (1,),
    'Split': (0, 1),
    'Substring': (0,),
    'Time': (0, 1, 2, 3),
    'ToCamelCase': (0,),
    'ToKeyValueString': (1, 2),
    'ToLowerCase': (0,),
    'ToSnakeCase': (0,),
    'ToUpperCase': (0,),
    'Trim': (0, 1),
    'TrimPrefix': (0, 1),
    'TrimSuffix': (0, 1),
    'URL': (0,),
    'UserAgent': (0,),
    'XXH128': (0,),
    'XXH3': (0,),
    'delete_key': (1,),
    'delete_matching_keys': (1,),
    'flatten': (1,),
    'keep_matching_keys': (1,),
    'merge_maps': (2,),
    'replace_all_matches': (1, 2, 4),
    'replace_all_patterns': (1, 2, 3, 5),
    'replace_match': (1, 2, 4),
    'replace_pattern': (1, 2, 4),
    'truncate_all': (3,),
}

# String parameters that only take some values: function -> (position, allowed values).
STRING_CHOICES: dict[str, tuple[int, frozenset[str]]] = {
    "replace_all_patterns": (1, frozenset({"key", "value"})),
}
