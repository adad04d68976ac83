"""OTTL parsing and checks: statements and conditions, functions, paths per context, regexes.

Valid examples come from Alloy's corpus (every OTTL string in it must pass) and from the OTTL docs quoted in
the reference notes; invalid ones are hand-made, each breaking one rule.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccotel.collector.pipeline import ottl, ottl_check
from ccotel.collector.pipeline.check import check_directory
from ccotel.collector.pipeline.ottl_check import SIGNAL_CONTEXTS, Site, check_text
from ccotel.collector.pipeline.syntax import parse_text
from ccotel.collector.pipeline.tree import string_value

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "alloy-corpus" / "valid"
SPAN = Site("statement", "span", SIGNAL_CONTEXTS["trace"], True)
FLAT_TRACE = Site("statement", None, SIGNAL_CONTEXTS["trace"], True)
SPAN_CONDITION = Site("condition", "span", SIGNAL_CONTEXTS["trace"], False)


def messages(text: str, site: Site = SPAN) -> list[str]:
    return [message for _, message in check_text(text, site)]


def test_statement_structure_and_unescaped_arguments() -> None:
    statement = ottl.parse_statement(
        r'replace_pattern(span.attributes["http.url"], "token=\\w+\"x\"", "${1}REDACTED") where span.kind == 2')
    assert statement.editor.name == "replace_pattern" and statement.editor.is_editor
    assert statement.editor.string_args() == ['token=\\w+"x"', "${1}REDACTED"]
    path = statement.editor.args[0].value
    assert isinstance(path, ottl.Path) and path.segments == ("span", "attributes")
    assert isinstance(statement.condition, ottl.Binary) and statement.condition.op == "=="


def test_named_arguments_lists_maps_and_indexes() -> None:
    statement = ottl.parse_statement(
        'merge_maps(log.attributes, ParseJSON(log.body)["a"][0], "upsert") where IsMap({"k": [1, -2.5, nil]})')
    converter = statement.editor.args[1].value
    assert isinstance(converter, ottl.Call) and converter.name == "ParseJSON" and len(converter.keys) == 2
    truncate = ottl.parse_statement('truncate_all(log.attributes, 100, truncation_marker = "...")').editor
    assert [(a.name, type(a.value).__name__) for a in truncate.args] == [
        (None, "Path"), (None, "Literal"), ("truncation_marker", "Literal")]


def test_regex_survives_alloy_and_ottl_unescaping_byte_for_byte() -> None:
    # The regex \d{4}\.x written three ways (syntax.md §6): the OTTL layer doubles backslashes; an Alloy
    # double-quoted string doubles them again and escapes quotes; a raw string adds nothing.
    regex = r"\d{4}\.x"
    module = parse_text(
        'b {\n'
        '  raw = `replace_pattern(span.name, "\\\\d{4}\\\\.x", "y")`\n'
        '  quoted = "replace_pattern(span.name, \\"\\\\\\\\d{4}\\\\\\\\.x\\", \\"y\\")"\n'
        '}\n')
    assert module.errors == []
    block = module.blocks()[0]
    for name in ("raw", "quoted"):
        text = string_value(block.attribute(name).value)  # type: ignore[union-attr]
        assert text is not None
        assert ottl.parse_statement(text).editor.string_args()[0] == regex


@pytest.mark.parametrize(("text", "expected"), [
    ('set(span.name, "x"', "expected ','"),
    ('set(span.name, "x") where', "expected a value"),
    ('IsMatch(span.name, "x")', "must start with an editor"),
    ("set(span.name, 'x')", "double quotes"),
    (r'set(span.name, "\d")', "invalid string literal"),
    ('set(span.name, "x") extra', "expected end of statement"),
    ("set(span.name, Concat)", "must be called"),
    ('set(span.name, "unterminated)', "unterminated string"),
])
def test_malformed_ottl_is_a_syntax_error(text: str, expected: str) -> None:
    found = messages(text)
    assert len(found) == 1 and found[0].startswith("OTTL syntax error") and expected in found[0], found


@pytest.mark.parametrize(("text", "expected"), [
    ("set(span.name, Nope(span.name))", "unknown OTTL converter Nope"),
    ('sett(span.name, "x")', "unknown OTTL editor sett"),
    ('set(span.attributes["x"], Filter(span.attributes, "y"))', "feature gate"),
    ('set(span.name, "a", "b")', "set takes at most 2 arguments, got 3"),
    ("delete_key(span.attributes)", "delete_key needs 2 arguments"),
    ('set(span.name, IsMatch(span.name, "(unclosed"))', "invalid RE2 regex"),
    ('set(span.name, "x") where IsMatch(span.name, "(?<!x)y")', "invalid RE2 regex"),
    ('set(span.bogus, "x")', '"span.bogus" is not a valid path in the span context'),
    ('set(log.body, "x")', 'path "log.body" is not available in the span context'),
    ('set(span.name, "x") where span.kind == SPAN_KIND_SERVERR', "unknown OTTL enum SPAN_KIND_SERVERR"),
    ('set(span.name, "x") where set(span.name, "y")', "cannot be used as a value"),
    ('truncate_all(span.attributes, 10, marker = "...")', "has no parameter marker"),
    ("convert_sum_to_gauge()", "not available in the span context"),
])
def test_semantic_errors(text: str, expected: str) -> None:
    found = messages(text)
    assert any(expected in message for message in found), found


def test_valid_statements_pass() -> None:
    for text in (
        'set(span.attributes["duration_ms"], Double(span.end_time_unix_nano - span.start_time_unix_nano) / 1000000.0)',
        'replace_pattern(span.attributes["http.url"], "([?&]token=)[^&]*", "${1}REDACTED")',
        'set(span.name, Concat([span.attributes["a"], span.attributes["b"]], " ")) where span.kind == SPAN_KIND_SERVER',
        'delete_matching_keys(span.attributes, "(?i).*(password|secret).*")',
        'set(attributes["legacy"], name) where status.code == STATUS_CODE_ERROR',  # unprefixed: legacy span form
        'set(resource.attributes["x"], scope.name) where IsRootSpan()',
        'truncate_all(span.attributes, 100, truncation_marker = "...")',
        'set(span.cache["k"], Split(span.name, "/")[0])',
    ):
        assert messages(text) == [], text


def test_flat_statements_infer_the_context_from_prefixes() -> None:
    assert messages('set(span.attributes["a"], resource.attributes["b"])', FLAT_TRACE) == []
    assert messages('set(attributes["a"], "b")', FLAT_TRACE) == [
        'path "attributes" must start with a context (resource, scope, span, spanevent) in this block']
    assert messages('set(log.body, "x")', FLAT_TRACE) != []


def test_conditions_and_value_expressions() -> None:
    assert messages('span.name == "x" and not IsMatch(span.name, "^a")', SPAN_CONDITION) == []
    assert messages('name == "x" or (kind == 2 and attributes["a"] != nil)', SPAN_CONDITION) == []
    assert messages('span.name ==', SPAN_CONDITION) != []
    value = Site("value", "span", SIGNAL_CONTEXTS["trace"], False)
    assert messages('Int(attributes["a"]) - Int(attributes["b"])', value) == []
    assert messages("Int(span.end_time_unix_nano - span.start_time_unix_nano) /", value) != []


def test_every_ottl_string_in_alloys_corpus_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    problems: list[str] = []
    original = ottl_check.check_text

    def recording(text: str, site: Site) -> list[tuple[int, str]]:
        checked.append(text)
        found = original(text, site)
        problems.extend(f"{text}: {message}" for _, message in found)
        return found

    monkeypatch.setattr(ottl_check, "check_text", recording)
    for index, path in enumerate(sorted(CORPUS.glob("*.alloy"))):
        directory = tmp_path / str(index)
        directory.mkdir()
        shutil.copy(path, directory / "main.alloy")
        check_directory(directory)
    assert problems == []
    assert len(checked) >= 120  # transform, filter, count, signaltometrics and tail_sampling examples


def test_ottl_in_a_config_points_at_the_column(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "main.alloy").write_text(
        'otelcol.processor.transform "t" {\n'
        '  trace_statements {\n'
        '    context    = "span"\n'
        '    statements = [`set(span.name, Nope())`]\n'
        '  }\n'
        '  output { }\n'
        '}\n'
        'otelcol.processor.filter "f" {\n'
        '  traces { span = [`span.nme == "x"`] }\n'
        '  output { }\n'
        '}\n')
    found = [str(f) for f in check_directory(tmp_path / "cfg").findings]
    assert found == ["cfg/main.alloy:4:35: unknown OTTL converter Nope",
                     'cfg/main.alloy:9:21: "span.nme" is not a valid path in the span context']


def test_a_wrong_context_value_is_reported(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "main.alloy").write_text(
        'otelcol.processor.transform "t" {\n  log_statements {\n    context = "span"\n'
        '    statements = [`set(log.body, "x")`]\n  }\n  output { }\n}\n')
    assert [str(f) for f in check_directory(tmp_path / "cfg").findings] == [
        'cfg/main.alloy:3:5: context "span" is not valid here (one of: resource, scope, log)']
