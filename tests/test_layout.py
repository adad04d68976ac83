"""The house rules: import arrows between the top-level folders, module size, a short README whose links all
resolve, and a hook run that loads nothing of the collector, redaction or command packages."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from otlp_sink import OtlpSink
from runtime_support import LiveSession, hook_env

PACKAGES = ("hook", "commands", "errors", "collector", "redaction", "alloy")
# folder -> the folders its modules may import (besides itself)
ALLOWED = {
    "errors": set(),
    "hook": {"errors"},
    "redaction": {"errors", "alloy"},  # alloy/ is package data: renderers write their modules there
    "collector": {"redaction", "errors", "alloy"},
    "alloy": set(),
    "commands": {"hook", "collector", "redaction", "errors", "alloy"},
}
MAX_MODULE_LINES = 400
MAX_README_LINES = 300


def _modules() -> list[Path]:
    return sorted(path for folder in PACKAGES for path in (REPO / folder).rglob("*.py"))


def _imported_folders(path: Path) -> set[tuple[str, int]]:
    """(top-level ccotel folder, line) for every `ccotel.<folder>` this module imports, at any depth."""
    found: set[tuple[str, int]] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = re.findall(r"^ccotel\.[a-z_]+(?:\.[a-z_]+)*$", node.value)  # importlib.import_module("...")
        for name in names:
            parts = name.split(".")
            if parts[0] == "ccotel" and len(parts) > 1 and parts[1] in PACKAGES:
                found.add((parts[1], node.lineno))
    return found


def test_every_top_level_folder_is_a_package_with_a_one_line_docstring() -> None:
    folders = [REPO / name for name in PACKAGES] + [
        path.parent for path in (REPO / "collector").glob("*/__init__.py")
    ]
    for folder in folders:
        init = folder / "__init__.py"
        assert init.is_file(), f"{folder} is not a package"
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and "\n" not in docstring.strip(), f"{init}: wants a one-line docstring"


def test_collector_keeps_at_most_a_handful_of_modules_at_its_top() -> None:
    top = [path.name for path in (REPO / "collector").glob("*.py") if path.name != "__init__.py"]
    assert len(top) <= 5, top


def test_import_arrows_point_one_way() -> None:
    wrong = []
    for path in _modules():
        folder = path.relative_to(REPO).parts[0]
        for imported, line in _imported_folders(path):
            if imported != folder and imported not in ALLOWED[folder]:
                wrong.append(f"{path.relative_to(REPO)}:{line} imports ccotel.{imported}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_rule_checker_sees_a_wrong_arrow(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import importlib\nfrom ccotel.collector.report import records\n"
                      "importlib.import_module('ccotel.commands.report')\n", encoding="utf-8")
    assert {name for name, _ in _imported_folders(module)} == {"collector", "commands"}


def test_no_module_is_over_the_size_limit() -> None:
    big = {str(path.relative_to(REPO)): n for path in _modules()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not big, big


def test_the_readme_fits_on_a_few_screens() -> None:
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= MAX_README_LINES


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    anchors, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6} (.+)", line)):
            anchors.add(_slug(match.group(1)))
    return anchors


DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "alloy" / "README.md",
             REPO / "tests" / "fixtures" / "README.md"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_link_in_the_docs_resolves(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # links inside code blocks are examples
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto: leave the machine; not checked here
            continue
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, "\n".join(broken)


def test_the_link_checker_sees_a_broken_anchor(tmp_path: Path) -> None:
    assert "the-two-commands" in _anchors((REPO / "README.md").read_text(encoding="utf-8"))
    assert "no-such-heading" not in _anchors((REPO / "README.md").read_text(encoding="utf-8"))


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [path.name for path in (REPO / "docs").glob("*.md") if f"(docs/{path.name}" not in readme]
    assert not missing, missing


PROBE = """
import json, sys
for costly in ("pathlib", "datetime", "urllib.parse"):  # loaded at start-up by the editable install's finder
    sys.modules.pop(costly, None)
from ccotel.commands.main import main
code = main(["hook"])
names = sorted(name for name in sys.modules if name.startswith(("ccotel", "re2", "google.protobuf", "_re2"))
               or name in ("pathlib", "datetime", "urllib.parse"))
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": names}, out)
"""


@pytest.mark.parametrize("redact", ["auto", "always"])
def test_a_hook_run_loads_nothing_of_the_collector_redaction_or_commands(tmp_path: Path, otlp_sink: OtlpSink,
                                                                         redact: str) -> None:
    """Local endpoint (auto): not even the hook's redaction or RE2; redacting (always, as for a remote
    endpoint): the rendered rules and google-re2, still nothing of ccotel.redaction. Never protobuf."""
    session = LiveSession("02-spotter-v2.1.38-short", tmp_path / "claude")
    session.write_all()
    report = tmp_path / "modules.json"
    env = hook_env(otlp_sink.endpoint, tmp_path / "state", CCOTEL_REDACT=redact)
    done = subprocess.run([sys.executable, "-c", PROBE, str(report)], input=json.dumps(session.payload("Stop")),
                          text=True, capture_output=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(report.read_text(encoding="utf-8"))
    assert outcome["code"] == 0
    assert otlp_sink.span_ids(), "the probe's hook run exported nothing: it did not take the real path"
    loaded = outcome["modules"]
    assert "ccotel.hook.mapping" in loaded and "ccotel.hook.otlp" in loaded
    forbidden = [name for name in loaded if name.startswith(("ccotel.collector", "ccotel.redaction"))
                 or (name.startswith("ccotel.commands") and name not in ("ccotel.commands", "ccotel.commands.main"))]
    assert not forbidden, forbidden
    assert not [name for name in loaded if name.startswith("google.protobuf")], "protobuf on the hook's path"
    redacting = [name for name in loaded if name == "ccotel.hook.scrub" or name.startswith(("re2", "_re2"))]
    if redact == "auto":
        assert not redacting, redacting
        # what a start costs (~7 ms together): the hook's run works with str paths and parses its timestamps
        assert not {"pathlib", "datetime", "urllib.parse"} & set(loaded), loaded
    else:
        assert "ccotel.hook.scrub" in redacting and "re2" in redacting
