"""The Alloy parser against Alloy's own corpus (tests/fixtures/alloy-corpus) and properties of its scanner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccotel.collector.pipeline.scanner import Scanner, Tok
from ccotel.collector.pipeline.strings import UnquoteError, unquote
from ccotel.collector.pipeline.syntax import parse_file, parse_text
from ccotel.collector.pipeline.tree import Array, Attribute, Binary, Block, Literal, Object, Unary, string_value

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "alloy-corpus"
VALID = sorted((CORPUS / "valid").glob("*.alloy"))
INVALID = sorted((CORPUS / "invalid").glob("*.alloy"))


def value_of(text: str) -> object:
    """The value of the single attribute `a = <text>` (parsed inside a block, as Alloy allows)."""
    module = parse_text(f"b {{\n  a = {text}\n}}\n", "t.alloy")
    assert module.errors == []
    attribute = module.blocks()[0].attribute("a")
    assert attribute is not None
    return attribute.value


def test_corpus_is_all_there() -> None:
    assert len(VALID) == 961
    assert len(INVALID) == 31


def test_every_valid_corpus_file_parses() -> None:
    failures = {p.name: [str(e) for e in parse_file(p).errors] for p in VALID}
    assert {name: errors for name, errors in failures.items() if errors} == {}


def _expected_positions(sidecar: Path, filename: str) -> list[tuple[int, int, str]]:
    """(line, col, regex) from a sidecar: parser cases `L:C: re`, validator cases `Error: file:L:C: msg`."""
    expected = []
    for line in sidecar.read_text().splitlines():
        parser_case = re.match(r"^(\d+):(\d+): (.*)$", line)
        validator_case = re.match(r"^Error: ([\w.]+):(\d+):(\d+): (.*)$", line)
        if parser_case:
            expected.append((int(parser_case[1]), int(parser_case[2]), parser_case[3]))
        elif validator_case and validator_case[1] == filename:
            expected.append((int(validator_case[2]), int(validator_case[3]), re.escape(validator_case[4])))
    return expected


PARSER_CASES = [p for p in INVALID if p.name.startswith("syntax__parser__testdata__") and "fuzz" not in p.name]
SYNTAX_CASES = [*PARSER_CASES, *(p for p in INVALID if "syntax_errors.txtar" in p.name)]


@pytest.mark.parametrize("path", SYNTAX_CASES, ids=lambda p: p.name[-60:])
def test_invalid_syntax_files_fail_where_alloy_says(path: Path) -> None:
    filename = path.name.split(".txtar__")[-1]
    expected = _expected_positions(Path(f"{path}.expected.txt"), filename)
    assert expected, "every syntax case names at least one error position"
    found = parse_file(path).errors
    for line, col, pattern in expected:
        assert any(e.pos.line == line and e.pos.col == col and re.search(pattern, e.message) for e in found), (
            f"no error {line}:{col} {pattern!r} in {[str(e) for e in found]}")
    assert {(e.pos.line, e.pos.col) for e in found} <= {(line, col) for line, col, _ in expected}


def test_fuzz_seeds_and_raw_string_labels_fail() -> None:
    fuzz = [p for p in INVALID if "fuzz" in p.name]
    assert len(fuzz) == 3
    assert all(parse_file(p).errors for p in fuzz)
    raw_label = CORPUS / "invalid" / "syntax__printer__testdata__raw_string_label_error.in.alloy"
    expected = Path(f"{raw_label}.expected.txt").read_text().strip()
    errors = parse_file(raw_label).errors
    assert [(e.pos.line, e.pos.col) for e in errors] == [(5, 7), (13, 7)]
    assert errors[0].message == expected


# --- hand-made cases ---------------------------------------------------------------------------------------


def test_newlines_end_statements_and_need_trailing_commas() -> None:
    assert parse_text("b {\n  a = 1 +\n    2\n}\n").errors == []
    errors = parse_text("b {\n  a = 1\n    + 2\n}\n").errors  # `+ 2` is a new statement
    assert (errors[0].pos.line, errors[0].message) == (3, "expected identifier, got +")
    assert parse_text("b {\n  a = [\n    1,\n    2,\n  ]\n}\n").errors == []
    errors = parse_text("b {\n  a = [\n    1,\n    2\n  ]\n}\n").errors
    assert [(e.pos.line, e.pos.col, e.message) for e in errors] == [(4, 6, "missing ',' in expression list")]
    assert parse_text("b { a = 1 }\n").errors == []
    errors = parse_text("b { a = 1  c = 2 }\n").errors
    assert (errors[0].pos.col, errors[0].message) == (12, "expected TERMINATOR, got IDENT")


def test_comments_end_lines_and_are_skipped() -> None:
    module = parse_text("// top\nb /* inline */ {\n  a = 1 // end\n  /* block\n  comment */ c = `x`\n}\n")
    assert module.errors == []
    assert [a.name for a in module.blocks()[0].attributes()] == ["a", "c"]
    assert [e.message for e in parse_text("b {\n  a = 1 /* open\n").errors] == [
        "block comment not terminated", "expected }, got EOF"]


def test_operators_follow_alloy_precedence() -> None:
    value = value_of("1 + 2 * 3 ^ 2 ^ 3 == 7 || !true && -x")
    assert isinstance(value, Binary) and value.op == "||"
    left, right = value.left, value.right
    assert isinstance(left, Binary) and left.op == "=="
    add = left.left
    assert isinstance(add, Binary) and add.op == "+"
    mul = add.right
    assert isinstance(mul, Binary) and mul.op == "*"
    power = mul.right
    assert isinstance(power, Binary) and power.op == "^" and isinstance(power.right, Binary)  # right-assoc
    assert isinstance(right, Binary) and right.op == "&&" and isinstance(right.left, Unary)


def test_numbers_follow_go_parse_int_base_zero() -> None:
    assert value_of("0755").value == 0o755  # type: ignore[union-attr]
    assert value_of("010").value == 8  # type: ignore[union-attr]
    assert value_of("09").value == 9.0  # type: ignore[union-attr]
    assert value_of("18446744073709551615").value == 2**64 - 1  # type: ignore[union-attr]
    assert value_of(".5").value == 0.5  # type: ignore[union-attr]
    assert value_of("2e-3").value == 0.002  # type: ignore[union-attr]
    assert [e.message for e in parse_text("b {\n  a = 1e\n}\n").errors] == ["exponent has no digits"]


def test_string_escapes_and_errors() -> None:
    assert string_value(value_of(r'"tab\there \"q\" \\ \x41\101\u00e9\U0001F600"')) == 'tab\there "q" \\ AAé😀'
    for bad in (r'"\d"', r'"\'"', r'"\ud800"', r'"\400"', r'"\x4"'):
        assert parse_text(f"b {{\n  a = {bad}\n}}\n").errors, bad
    assert [e.message for e in parse_text("b {\n  a = 'x'\n}\n").errors][-1] == (
        "illegal single-quoted string; use double quotes")


def test_raw_strings_keep_backslashes_and_span_lines() -> None:
    assert string_value(value_of('`a\\d+"\r\nline two`')) == 'a\\d+"\nline two'


def test_labels_objects_and_positions() -> None:
    module = parse_text('otelcol.exporter.otlphttp "é_x" {\n  client { headers = { "x-a" = "1", b = 2, } }\n}\n')
    assert module.errors == []
    block = module.blocks()[0]
    assert (block.name, block.label, block.pos.line, block.pos.col) == ("otelcol.exporter.otlphttp", "é_x", 1, 1)
    headers = block.blocks("client")[0].attribute("headers")
    assert headers is not None and isinstance(headers.value, Object)
    assert [(f.key, f.quoted) for f in headers.value.fields] == [("x-a", True), ("b", False)]
    errors = parse_text('é = "x" "é\n').errors  # columns are bytes, as Alloy prints them
    assert (errors[0].pos.line, errors[0].pos.col, errors[0].message) == (1, 10, "string literal not terminated")
    assert errors[1].pos.col == 13  # the end of the line, after the two bytes of é


def test_keywords_are_not_identifiers() -> None:
    assert parse_text('b "true" {}\n').errors != []
    assert isinstance(value_of("null"), Literal)
    array = value_of("[true, false, null]")
    assert isinstance(array, Array) and [i.value for i in array.items] == [True, False, None]  # type: ignore[union-attr]


# --- properties ------------------------------------------------------------------------------------------


@given(st.text())
def test_any_text_json_quoted_scans_as_one_string_and_unquotes_back(text: str) -> None:
    literal = json.dumps(text, ensure_ascii=False)  # JSON escapes are a subset of Go's
    scanner = Scanner(literal)
    token = scanner.scan()
    assert (token.kind, token.text, scanner.errors) == (Tok.STRING, literal, [])
    assert unquote(literal) == text


@given(st.text().filter(lambda s: not set(s) & {"`", "\ufeff", "\0"}))  # BOM and NUL are illegal
def test_raw_strings_round_trip_without_carriage_returns(text: str) -> None:
    module = parse_text(f"b {{\n  a = `{text}`\n}}\n")
    assert module.errors == []
    assert string_value(module.blocks()[0].attribute("a").value) == text.replace("\r", "")  # type: ignore[union-attr]


@given(st.integers(min_value=1, max_value=2**63 - 1), st.floats(min_value=0, allow_infinity=False, allow_nan=False))
def test_numbers_scan_to_their_values(integer: int, number: float) -> None:
    assert value_of(str(integer)).value == integer  # type: ignore[union-attr]
    assert value_of(repr(number)).value == number  # type: ignore[union-attr]


@given(st.lists(st.sampled_from(["a = 1", "b = `x`", 'c = "y"', "d { e = [1, 2] }"]), min_size=1),
       st.sampled_from([" // note", " /* note */", ""]))
def test_comments_never_change_what_is_parsed(lines: list[str], comment: str) -> None:
    plain = parse_text("blk {\n" + "\n".join(lines) + "\n}\n")
    commented = parse_text("blk {\n" + "\n".join(line + comment for line in lines) + "\n}\n")
    assert plain.errors == commented.errors == []

    def shape(statements: tuple[Attribute | Block, ...]) -> list[object]:
        return [(s.name, shape(s.body)) if isinstance(s, Block) else (s.name, repr(s.value)) for s in statements]

    assert shape(plain.body) == shape(commented.body)


@given(st.text(alphabet="\\abfnrtvx0u\"'7dz", max_size=6))
def test_unquote_accepts_exactly_what_the_scanner_accepts(body: str) -> None:
    literal = f'"{body}"'
    scanner = Scanner(literal)
    token = scanner.scan()
    scanner_ok = token.text == literal and not scanner.errors and scanner.scan().kind in (Tok.EOF, Tok.TERMINATOR)
    try:
        unquote(literal)
        unquote_ok = True
    except UnquoteError:
        unquote_ok = False
    assert scanner_ok == unquote_ok


def test_parser_matches_alloys_own_parser() -> None:
    """Damaged files with the diagnostics Alloy's Go parser printed for them (fixtures/alloy-parser-oracle)."""
    oracle = Path(__file__).resolve().parents[1] / "fixtures" / "alloy-parser-oracle" / "cases.jsonl"
    cases = [json.loads(line) for line in oracle.read_text(encoding="utf-8").splitlines()]
    assert len(cases) == 400
    assert sum(1 for case in cases if case["alloy_diagnostics"]) > 200  # most mutations break the file
    mismatches = []
    for case in cases:
        found = sorted([e.pos.line, e.pos.col, e.message] for e in parse_text(case["text"], "x.alloy").errors)
        if found != case["alloy_diagnostics"]:
            mismatches.append((case["mutated_from"], found, case["alloy_diagnostics"]))
    assert mismatches == []
