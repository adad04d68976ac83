"""The whole check on directories: references, modules, env docs, Alloy's invalid corpus, the CLI, the repo."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ccotel.collector.pipeline.check import check_directory, repo_alloy_dir

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "alloy-corpus"
REPO = Path(__file__).resolve().parents[2]
CCOTEL = Path(sys.executable).with_name("ccotel")

PIPELINE = """\
otelcol.receiver.otlp "in" {
  http {
    endpoint = sys.env("CCOTEL_LISTEN")
  }
  output {
    traces = [mods.redaction.scrub.input]
  }
}

otelcol.exporter.otlphttp "out" {
  client {
    endpoint = sys.env("SINK_URL")
    auth     = otelcol.auth.basic.creds.handler
  }
}
"""

AUTH = """\
otelcol.auth.basic "creds" {
  username = "u"
  password = sys.env("SINK_PASSWORD")
}

import.file "mods" {
  filename = file.path_join(module_path, "modules")
}

local_cost "c" {
  forward = [otelcol.exporter.otlphttp.out.input]
}

declare "local_cost" {
  argument "forward" { }
  export "input" {
    value = otelcol.processor.batch.b.input
  }
  otelcol.processor.batch "b" {
    output {
      traces = argument.forward.value
    }
  }
}
"""

REDACTION_MODULE = """\
declare "redaction" {
  argument "forward_to" {
    comment = "where redacted spans go"
  }
  argument "marker" {
    optional = true
    default  = "[REDACTED]"
  }
  otelcol.processor.transform "scrub" {
    trace_statements {
      context    = "span"
      statements = [
        `replace_pattern(span.attributes["gen_ai.prompt"], "sk-[A-Za-z0-9]{20,}", "[REDACTED]")`,
      ]
    }
    output {
      traces = argument.forward_to.value
    }
  }
  export "input" {
    value = otelcol.processor.transform.scrub.input
  }
}
"""

INSTANCE_MODULE = """\
declare "wiring" {
  redaction "scrub" {
    forward_to = []
  }
}
"""


def make_config(root: Path, **replacements: str) -> Path:
    """A good two-file configuration with a module directory; replacements edit it to break one rule."""
    directory = root / "alloy"
    (directory / "modules").mkdir(parents=True)
    files = {"pipeline.alloy": PIPELINE, "auth.alloy": AUTH, "modules/redaction.alloy": REDACTION_MODULE,
             "modules/wiring.alloy": INSTANCE_MODULE}
    for name, text in files.items():
        for old, new in replacements.items():
            text = text.replace(old, new)
        (directory / name).write_text(text)
    (directory / "pipeline.alloy").write_text((directory / "pipeline.alloy").read_text() + (
        '\nmods.redaction "scrub" {\n  forward_to = [otelcol.exporter.otlphttp.out.input]\n}\n'))
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "pipeline.md").write_text("| CCOTEL_LISTEN | SINK_URL | SINK_PASSWORD |\n")
    (root / ".env.example").write_text("CCOTEL_LISTEN=127.0.0.1:4318\n# SINK_URL=\nexport SINK_PASSWORD=\n")
    return directory


def run_check(directory: Path) -> list[str]:
    report = check_directory(directory, readme=directory.parent / "docs" / "pipeline.md",
                             env_example=directory.parent / ".env.example")
    return [str(f) for f in report.findings]


def test_a_good_configuration_passes(tmp_path: Path) -> None:
    directory = make_config(tmp_path)
    report = check_directory(directory, readme=tmp_path / "docs" / "pipeline.md", env_example=tmp_path / ".env.example")
    assert [str(f) for f in report.findings] == []
    assert report.env_names == ["CCOTEL_LISTEN", "SINK_PASSWORD", "SINK_URL"]
    assert sorted(p.name for p in report.files) == ["auth.alloy", "pipeline.alloy", "redaction.alloy", "wiring.alloy"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("otelcol.auth.basic.creds.handler", "otelcol.auth.basic.cred.handler",
     'alloy/pipeline.alloy:13:16: component "otelcol.auth.basic.cred.handler" does not exist or is out of scope'),
    ("otelcol.auth.basic.creds.handler", "otelcol.auth.basic.creds.input",
     'alloy/pipeline.alloy:13:16: "otelcol.auth.basic.creds" does not export "input" (it exports: handler)'),
    ("argument.forward.value", "argument.forwrd.value",
     'alloy/auth.alloy:21:16: component "argument.forwrd.value" does not exist or is out of scope'),
    ("forward = [", "forwrd = [",
     'alloy/auth.alloy:10:1: missing required attribute "forward"\n'
     'alloy/auth.alloy:11:3: unrecognized attribute name "forwrd" (declare "local_cost" has no argument "forwrd")'),
    ("mods.redaction.scrub.input", "mods.redaction.scrub.output",
     'alloy/pipeline.alloy:6:15: "mods.redaction.scrub" does not export "output" (it exports: input)'),
    ('filename = file.path_join(module_path, "modules")', 'filename = "nowhere"',
     'alloy/auth.alloy:6:1: import.file "mods": "nowhere" does not exist'),
    ("otelcol.processor.transform.scrub.input", "otelcol.processor.transform.scrub",
     None),  # a whole component as a value is allowed
    ('"[REDACTED]")`', '"[REDACTED]", 1, 2, 3)`',
     "alloy/modules/redaction.alloy:13:10: replace_pattern takes at most 5 arguments, got 6"),
    ("redaction \"scrub\" {\n    forward_to = []", "redaction \"scrub\" {\n    marker = \"x\"",
     'alloy/modules/wiring.alloy:2:3: missing required attribute "forward_to"'),
])
def test_each_broken_rule_is_one_finding(tmp_path: Path, old: str, new: str, expected: str | None) -> None:
    directory = make_config(tmp_path, **{old: new})
    assert run_check(directory) == ([] if expected is None else expected.split("\n"))


def test_module_files_may_only_hold_declares_and_imports(tmp_path: Path) -> None:
    directory = make_config(tmp_path)
    (directory / "modules" / "stray.alloy").write_text('otelcol.processor.batch "x" {\n  output { }\n}\n')
    assert run_check(directory) == [
        "alloy/modules/stray.alloy:1:1: otelcol.processor.batch not allowed at the top level of an imported module "
        "(only declare and import blocks)"]


def test_unimported_modules_are_still_checked(tmp_path: Path) -> None:
    directory = make_config(tmp_path)
    (directory / "extra").mkdir()
    (directory / "extra" / "x.alloy").write_text('declare "x" {\n  otelcol.processor.batch "b" { }\n}\n')
    assert run_check(directory) == ['alloy/extra/x.alloy:2:3: missing required block "output"']


def test_undocumented_env_vars(tmp_path: Path) -> None:
    directory = make_config(tmp_path, SINK_PASSWORD="SINK_SECRET")
    (tmp_path / "docs" / "pipeline.md").write_text("SINK_URL and CCOTEL_LISTEN; SINK_SECRET_OLD is another variable\n")
    assert run_check(directory) == [
        "alloy/auth.alloy:3:14: environment variable SINK_SECRET (sys.env) is not documented in .env.example",
        "alloy/auth.alloy:3:14: environment variable SINK_SECRET (sys.env) is not documented in docs/pipeline.md"]


def test_syntax_errors_stop_the_checks_beyond_syntax(tmp_path: Path) -> None:
    directory = make_config(tmp_path, **{'username = "u"': 'username = "u" extra = 1'})
    assert run_check(directory) == ["alloy/auth.alloy:2:18: expected TERMINATOR, got IDENT"]


# --- Alloy's own invalid configurations ---------------------------------------------------------------------

NOT_CHECKED = ("unknown action",)  # enum values of relabel rules
# Runtime cases have no positions in their sidecar; which of our layers rejects each (Alloy's reason differs
# where the component is test-only: testcomponents.* are not in schema.json).
RUNTIME_REJECTED_BY = {
    "import_error_1": 'cannot find the definition of component name "cantAccessThis"',  # same as Alloy
    "import_error_2": "illegal single-quoted string",  # the nested import.string content does not parse
    "import_error_3": 'cannot find the definition of component name "testcomponents.experimental"',
    "import_error_4": 'cannot find the definition of component name "testcomponents.experimental"',
    "import_error_5": 'cannot find the definition of component name "testcomponents.community"',
    "import_error_6": 'cannot find the definition of component name "testcomponents.community"',
}
SEMANTIC = sorted(p for p in (CORPUS / "invalid").glob("internal__*.alloy") if "syntax_errors" not in p.name)


def expected_lines(path: Path) -> list[tuple[int, str]]:
    """(line, message) Alloy reports for this very file, except the rules this check does not cover."""
    own = path.name.split(".txtar__")[-1]
    found = re.findall(r"^Error: ([\w.]+):(\d+):\d+: (.*)$", Path(f"{path}.expected.txt").read_text(), re.M)
    return [(int(line), message) for file, line, message in found
            if file == own and not any(skip in message for skip in NOT_CHECKED)]


@pytest.mark.parametrize("path", SEMANTIC, ids=lambda p: p.name[-50:])
def test_alloys_invalid_configs_are_rejected_on_the_right_lines(tmp_path: Path, path: Path) -> None:
    directory = tmp_path / "cfg"
    directory.mkdir()
    shutil.copy(path, directory / path.name.split(".txtar__")[-1])
    level = "general-availability" if "__ga__" in path.name else None  # that case runs Alloy at its default
    findings = check_directory(directory, min_stability=level).findings
    expected = expected_lines(path)
    if "stdlib" in path.name or "mixed.txtar__valid" in path.name:
        # stdlib: Alloy expects no error (a declare named "sys" shadows the namespace); mixed/valid.alloy is
        # only invalid together with its sibling files.
        assert [str(f) for f in findings] == []
        return
    assert findings, "every other invalid file must be rejected"
    lines = {f.pos.line for f in findings}
    assert [(line, message) for line, message in expected if line not in lines] == []
    runtime_case = next((reason for case, reason in RUNTIME_REJECTED_BY.items() if f"{case}.txtar" in path.name), None)
    if runtime_case is not None:
        assert expected == [] and any(runtime_case in f.message for f in findings)
    else:
        assert expected, "validator cases name their lines"


# --- the command ------------------------------------------------------------------------------------------


def test_cli_exit_codes_and_lines(tmp_path: Path) -> None:
    good = make_config(tmp_path / "good")
    result = subprocess.run([str(CCOTEL), "pipeline", "check", str(good)], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "")
    bad = make_config(tmp_path / "bad", **{"creds.handler": "creds.nope"})
    result = subprocess.run([str(CCOTEL), "pipeline", "check", str(bad)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        'alloy/pipeline.alloy:13:16: "otelcol.auth.basic.creds" does not export "nope" (it exports: handler)']
    missing = subprocess.run([str(CCOTEL), "pipeline", "check", str(tmp_path / "none")], capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "no such file" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = subprocess.run([str(CCOTEL), "pipeline", "check", str(tmp_path / "empty")], capture_output=True,
                           text=True, timeout=120)
    assert empty.returncode == 1 and "no .alloy files" in empty.stderr and empty.stdout == ""


def test_cli_syntax_only(tmp_path: Path) -> None:
    good = make_config(tmp_path)
    (good / "broken.alloy").write_text('a "x" {\n  b = [1\n    2]\n}\n')
    result = subprocess.run(
        [str(CCOTEL), "pipeline", "check", "--syntax-only", str(good / "pipeline.alloy"), str(good / "modules")],
        capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "")
    result = subprocess.run([str(CCOTEL), "pipeline", "check", "--syntax-only", str(good)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{good / 'broken.alloy'}:2:9: missing ',' in expression list"]


def compose_stability_level() -> str:
    """The --stability.level docker-compose.yml runs Alloy with (Alloy's default when it sets none)."""
    compose = REPO / "docker-compose.yml"
    found = re.search(r"--stability\.level[= ]([\w-]+)", compose.read_text()) if compose.is_file() else None
    return found[1] if found else "general-availability"


def test_relative_directories_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_check(Path("alloy")) == []


def test_repo_alloy_passes() -> None:
    """The repository's own alloy/ directory, with the README and .env.example at the repository root."""
    directory = repo_alloy_dir()
    assert directory.resolve() == (REPO / "alloy").resolve()
    report = check_directory(directory, readme=REPO / "docs" / "pipeline.md", env_example=REPO / ".env.example",
                             min_stability=compose_stability_level())
    assert [str(f) for f in report.findings] == []
    assert len(report.files) >= 2
