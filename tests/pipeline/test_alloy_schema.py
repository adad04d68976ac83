"""Component, argument and block checks against schema.json, on small hand-written configurations.

Expected messages are Alloy's own wording (syntax/vm/struct_decoder.go, quoted in the reference notes);
schema facts used here were read in the Alloy docs (e.g. otelcol.exporter.otlphttp needs client.endpoint).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccotel.collector.pipeline.check import check_directory
from ccotel.collector.pipeline.schema import check_value, default_schema, type_category
from ccotel.collector.pipeline.syntax import parse_text

EXPORTER = """
otelcol.exporter.otlphttp "out" {
  client {
    endpoint = "http://127.0.0.1:4318"
  }
}
"""


def findings(tmp_path: Path, text: str) -> list[str]:
    directory = tmp_path / "cfg"
    directory.mkdir(exist_ok=True)
    (directory / "main.alloy").write_text(text)
    return [f"{f.pos.line}:{f.pos.col}: {f.message}" for f in check_directory(directory).findings]


def test_a_correct_component_has_no_findings(tmp_path: Path) -> None:
    assert findings(tmp_path, EXPORTER) == []


def test_unknown_component(tmp_path: Path) -> None:
    assert findings(tmp_path, 'otelcol.exporter.otlphttpx "out" {}\n') == [
        '1:1: cannot find the definition of component name "otelcol.exporter.otlphttpx"']


def test_unknown_argument_and_unknown_block(tmp_path: Path) -> None:
    text = EXPORTER.replace('endpoint = "http://127.0.0.1:4318"',
                            'endpoint = "http://x"\n    endpoit = "y"\n    tlz {}')
    assert findings(tmp_path, text) == [
        '5:5: unrecognized attribute name "endpoit"', '6:5: unrecognized block name "tlz"']


def test_missing_required_argument_and_block(tmp_path: Path) -> None:
    assert findings(tmp_path, 'otelcol.exporter.otlphttp "out" {\n  client { }\n}\n') == [
        '2:3: missing required attribute "endpoint"']
    assert findings(tmp_path, 'otelcol.exporter.otlphttp "out" {\n}\n') == ['1:1: missing required block "client"']


def test_block_nesting_is_checked(tmp_path: Path) -> None:
    # auth is an argument of client (a capsule), and tls belongs in client, not at the top.
    text = ('otelcol.exporter.otlphttp "out" {\n  tls { insecure = true }\n  client {\n    endpoint = "h"\n'
            '    auth { }\n  }\n}\n')
    assert findings(tmp_path, text) == [
        '2:3: unrecognized block name "tls"', '5:5: "auth" must be an attribute, but is used as a block']
    nested = EXPORTER.replace('endpoint = "http://127.0.0.1:4318"',
                              'endpoint = "h"\n    tls {\n      tpm { enabled = true }\n    }')
    assert findings(tmp_path, nested) == []


def test_labels_components_need_one_blocks_refuse_one(tmp_path: Path) -> None:
    assert findings(tmp_path, 'otelcol.processor.batch {\n  output { }\n}\n') == [
        '1:1: component "otelcol.processor.batch" must have a label']
    assert findings(tmp_path, 'otelcol.processor.batch "b" {\n  output "x" { }\n}\n') == [
        '2:3: block "output" does not support specifying labels']
    assert findings(tmp_path, 'logging "x" {\n}\n') == ['1:1: block "logging" does not support specifying labels']


def test_repeats_and_duplicates(tmp_path: Path) -> None:
    repeated = 'otelcol.processor.batch "b" {\n  timeout = "1s"\n  timeout = "2s"\n  output { }\n  output { }\n}\n'
    assert findings(tmp_path, repeated) == [
        '3:3: attribute "timeout" may only be provided once', '5:3: block "output" may only be specified once']
    text = 'otelcol.processor.batch "b" {\n  output { }\n}\notelcol.processor.batch "b" {\n  output { }\n}\n'
    assert findings(tmp_path, text) == ["4:1: block otelcol.processor.batch.b already declared at cfg/main.alloy:1:1"]


def test_value_types_where_literal(tmp_path: Path) -> None:
    text = ('otelcol.processor.batch "b" {\n  timeout = true\n  send_batch_size = "many"\n  metadata_keys = "k"\n'
            '  output { traces = ["not a consumer"] }\n}\n')
    assert findings(tmp_path, text) == [
        "2:13: expected string, got bool", "3:21: expected number, got string", "4:19: expected array, got string",
        "5:22: expected otelcol.Consumer, got string"]
    ok = 'otelcol.processor.batch "b" {\n  timeout = "1h30m"\n  send_batch_size = "200"\n  output { }\n}\n'
    assert findings(tmp_path, ok) == []  # numeric strings convert to numbers, as Alloy allows


def test_durations_are_go_durations(tmp_path: Path) -> None:
    assert findings(tmp_path, 'otelcol.processor.batch "b" {\n  timeout = "1d"\n  output { }\n}\n') == [
        '2:13: invalid duration "1d" (Go durations: 1h30m, 5s, 200ms; no d or w)']


def test_go_view_wins_over_the_docs(tmp_path: Path) -> None:
    # debug_metrics.level is undocumented but accepted by Go; sending_queue.blocking is documented as
    # deprecated and no longer in the Go struct (schema cross_cutting_notes).
    go_only = 'otelcol.processor.batch "b" {\n  output { }\n  debug_metrics { level = "basic" }\n}\n'
    assert findings(tmp_path, go_only) == []
    schema = default_schema()
    rejected = schema.components["loki.source.api"].blocks["grpc"].blocks["tls"].arguments["client_ca_pem"]
    assert rejected.rejected is not None


def test_config_blocks_only_where_alloy_allows_them(tmp_path: Path) -> None:
    text = 'argument "x" { }\ndeclare "d" {\n  logging { }\n}\nlog_level = "debug"\n'
    assert findings(tmp_path, text) == [
        "1:1: argument blocks only allowed inside a module", "3:3: logging not allowed in module",
        '5:1: unrecognized attribute name "log_level" (only blocks are allowed here)']


def test_type_categories() -> None:
    assert [type_category(t) for t in ("duration", "list(otelcol.Consumer)", "map(string)", "capsule(otelcol.Handler)",
                                       "boolean", "uint", "any", "list(discovery.Target)")] == [
        "string", "list", "object", "capsule", "bool", "number", "any", "list"]


@pytest.mark.parametrize(("source", "type_text", "problems"), [
    ("[1, 2]", "list(number)", 0), ('["a", 1]', "list(string)", 0), ("[true]", "list(string)", 1),
    ('{ a = "b" }', "map(string)", 0), ("5", "map(string)", 1), ("null", "string", 0), ("-1", "number", 0),
    ('"x"', "capsule(otelcol.Handler)", 1), ("x.y.z", "capsule(otelcol.Handler)", 0),
])
def test_check_value(source: str, type_text: str, problems: int) -> None:
    attribute = parse_text(f"b {{\n  a = {source}\n}}\n").blocks()[0].attribute("a")
    assert attribute is not None
    assert len(check_value(attribute.value, type_text)) == problems


def test_schema_loads_every_component() -> None:
    schema = default_schema()
    assert len(schema.components) == 197
    assert sum(1 for spec in schema.components.values() if spec.kind == "component") == 184
    assert schema.components["otelcol.exporter.otlphttp"].blocks["client"].arguments["endpoint"].required
    assert "sys.env" in schema.stdlib and "env" in schema.stdlib


# Findings the full check gives on Alloy's *valid* corpus beyond those of incomplete snippets, each checked
# by hand against Alloy's Go struct tags at the corpus revision (the corpus README warns of both groups).
DOC_BUGS = {
    ("docs__design__1443-dynamic-pipelines.md__L70.alloy", 13): "a design proposal's syntax, never implemented",
    ("docs__design__1443-dynamic-pipelines.md__L70.alloy", 17): "a design proposal's syntax, never implemented",
    ("docs__design__1443-dynamic-pipelines.md__L70.alloy", 27): "a design proposal's syntax, never implemented",
    ("docs__sources__collect__opentelemetry-data.md__L268.alloy", 2): "a block body shown without its block",
    ("docs__sources__get-started__components__configure-components.md__L71.alloy", 11):
        "queue_config belongs inside endpoint",
    ("docs__sources__get-started__syntax.md__L134.alloy", 11): "queue_config belongs inside endpoint",
    ("docs__sources__reference__components__database_observability__database_observability.mysql.md__L275.alloy",
     46): "discovery.relabel exports output and rules, not targets",
    ("docs__sources__reference__components__database_observability__database_observability.postgres.md__L196.alloy",
     10): "prometheus.exporter.postgres takes data_source_names (Go), not data_source_name",
    ("docs__sources__reference__components__database_observability__database_observability.postgres.md__L196.alloy",
     50): "discovery.relabel exports output and rules, not targets",
    ("docs__sources__reference__components__discovery__discovery.docker.md__L208.alloy", 6):
        "placeholder export name",
    ("docs__sources__reference__components__loki__loki.secretfilter.md__L298.alloy", 2):
        "placeholder string where a list goes",
    ("docs__sources__reference__components__otelcol__otelcol.exporter.datadog.md__L318.alloy", 23):
        "resource_attributes_as_tags belongs in metrics > exporter",
    ("docs__sources__reference__components__otelcol__otelcol.receiver.awss3.md__L162.alloy", 10):
        "Go has s3_partition_format, not s3_partition",
    ("docs__sources__reference__components__prometheus__prometheus.exporter.azure.md__L143.alloy", 2):
        "placeholder string where a list goes",
    ("docs__sources__reference__components__remote__remote.http.md__L136.alloy", 11):
        "prometheus.remote_write has endpoint blocks, not client",
    ("internal__converter__internal__otelcolconvert__testdata__fileexporter.alloy", 1): "converter output lacks output",
    ("internal__converter__internal__otelcolconvert__testdata__fileexporter.alloy", 5):
        "converter output lacks ordering_criteria > sort_by (a Go-required block)",
    ("internal__converter__internal__otelcolconvert__testdata__filelog.alloy", 15): "converter output lacks output",
    ("internal__converter__internal__otelcolconvert__testdata__fluentforwarder.alloy", 1):
        "converter output lacks output",
    ("internal__converter__internal__otelcolconvert__testdata__syslog.alloy", 1): "converter output lacks output",
    ("internal__converter__internal__otelcolconvert__testdata__tcplog.alloy", 1): "converter output lacks output",
}
SNIPPET = ("does not exist or is out of scope", "only blocks are allowed here", "already declared at")
DOCS_ELIDE = ("missing required attribute", "missing required block", "cannot reference self", "cycle detected")


def test_alloys_valid_corpus_passes_schema_and_references(tmp_path: Path) -> None:
    """Self-contained files pass; snippets only fail for what they leave out; the rest are known doc bugs."""
    schema, unexplained, explained = default_schema(), [], set()
    corpus = Path(__file__).resolve().parents[1] / "fixtures" / "alloy-corpus" / "valid"
    for index, path in enumerate(sorted(corpus.glob("*.alloy"))):
        directory = tmp_path / str(index)
        directory.mkdir()
        (directory / "main.alloy").write_bytes(path.read_bytes())
        for finding in check_directory(directory).findings:
            message = finding.message
            missing = re.match(r'cannot find the definition of component name "(.*)"', message)
            if (any(s in message for s in SNIPPET) or re.match(r'(identifier|import.file) "[^"]*".* does not exist',
                                                                 message)
                    or (missing and missing[1] not in schema.components)
                    or (path.name.startswith(("docs__", "README")) and any(s in message for s in DOCS_ELIDE))):
                continue
            if (path.name, finding.pos.line) in DOC_BUGS:
                explained.add((path.name, finding.pos.line))
                continue
            unexplained.append(f"{path.name}: {finding}")
    assert unexplained == []
    assert explained == set(DOC_BUGS)


def test_capsule_wiring_is_checked(tmp_path: Path) -> None:
    text = ('otelcol.auth.basic "a" {\n  username = "u"\n  password = "p"\n}\n'
            'otelcol.processor.batch "b" {\n  output {\n    traces = [otelcol.auth.basic.a.handler]\n  }\n}\n')
    assert findings(tmp_path, text) == [
        '7:15: expected otelcol.Consumer, got otelcol.Handler ("otelcol.auth.basic.a.handler")']


def test_env_reads_are_collected_with_their_positions(tmp_path: Path) -> None:
    directory = tmp_path / "cfg"
    directory.mkdir()
    (directory / "main.alloy").write_text(
        'otelcol.auth.basic "a" {\n  username = env("OLD_STYLE")\n'
        '  password = coalesce(sys.env("PASS"), sys.env("PASS_" + "X"))\n}\n')
    report = check_directory(directory)
    assert [(u.name, u.pos.line, u.pos.col) for u in report.env] == [("OLD_STYLE", 2, 14), ("PASS", 3, 23)]
