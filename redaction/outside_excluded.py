"""Scanner rules left out of the generated catalogue on purpose, each with the reason (see outside.py)."""

from __future__ import annotations

# Words in the id of a betterleaks helper rule (skipReport: reported only as part of a composite finding)
# that name an identifier rather than a secret: such helpers are left out.
NOT_SECRET_WORDS = ("-id", "username", "name", "url", "domain", "host", "address", "account", "public")

_GENERIC = ("too generic: any name containing key/token/secret/auth followed by a value;"
            " it redacts ids, hashes and prose")
_KEYWORD_ONLY = ("too generic without the scanner's keyword prefilter: its pattern accepts any name containing"
                 " `secret` or `key` followed by 30+ letters and digits (hashes, ids)")
_URL_RULE = ("replaces the whole URL; the project's connection-string-password and url-password rules replace"
             " the password alone and keep the user and host")
EXCLUDED: dict[str, str] = {
    "betterleaks:generic-api-key": _GENERIC + " (the project's secret-assignment-* rules cover secret-named values)",
    "betterleaks:generic-password": "too generic: any quoted value after password/pwd, including prose, format strings"
    " and code (the project's secret-assignment-* rules cover password values with their exceptions)",
    "betterleaks:generic-credential-uri": "too generic: any scheme://user:pass@ URL, also documentation and"
    " compose placeholders; the project's connection-string-password and url-password rules keep the user and host",
    "betterleaks:curl-auth-user": "the project's curl-user-password rule covers it and keeps the user name",
    "betterleaks:curl-auth-header": "a flag setting before a `|` in its group: cannot be rewritten; the project's"
    " authorization-* and bearer-token rules cover the header values",
    "betterleaks:kubernetes-secret-yaml": "matches up to 1,000 characters across lines (the whole manifest);"
    " the values of a Secret's data are base64 that no specific rule can tell from other base64",
    "betterleaks:alibaba-secret-key": _KEYWORD_ONLY,
    "betterleaks:alibaba-sts-access-key-secret": _KEYWORD_ONLY,
    "betterleaks:alibaba-sts-security-token": _KEYWORD_ONLY,
    "betterleaks:hashicorp-tf-password": "too generic: any quoted value after `password`, including placeholders"
    " such as password = \"password\" (the project's secret-assignment-* rules cover password values)",
    "betterleaks:mongodb-connection-string": _URL_RULE,
    "kingfisher:veles.secrets/bitbucketcredentials": _URL_RULE,
    "kingfisher:veles.secrets/codecatalystcredentials": _URL_RULE,
    "kingfisher:veles.secrets/codecommitcredentials": _URL_RULE,
    "kingfisher:veles.secrets/packagistorgreadtoken-repository": "a repository URL, not a secret",
    "kingfisher:veles.secrets/packagistorgupdatetoken-repository": "a repository URL, not a secret",
}
