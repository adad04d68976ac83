"""`ccotel pipeline check`: the whole static check of an Alloy configuration directory, as findings.

    check_directory(dir, readme=..., env_example=...) -> Report     syntax, schema, references, OTTL, env docs
    check_syntax(paths) -> list[Finding]                             syntax only

The directory is loaded as `alloy run DIR` does: its `*.alloy` files form one configuration. Modules in
subdirectories are checked where they are imported (`import.file`), and every other `.alloy` file below
the directory is checked as a stand-alone module, so nothing is left unparsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ccotel.collector.pipeline.config import ConfigChecker
from ccotel.collector.pipeline.ottl_check import check_attribute
from ccotel.collector.pipeline.refs import EnvUse
from ccotel.collector.pipeline.schema import Schema, default_schema
from ccotel.collector.pipeline.syntax import parse_file
from ccotel.collector.pipeline.tree import Finding, Pos


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    env: list[EnvUse] = field(default_factory=list)  # every sys.env("X") call with a literal name
    files: list[Path] = field(default_factory=list)  # every .alloy file read

    @property
    def env_names(self) -> list[str]:
        return sorted({use.name for use in self.env})


def display_name(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def alloy_files(path: Path) -> list[Path]:
    """path itself if it is a file, else every .alloy file below it (sorted)."""
    return [path] if path.is_file() else sorted(p for p in path.rglob("*.alloy") if p.is_file())


def check_syntax(paths: list[Path], base: Path | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths:
        for file in alloy_files(path):
            findings.extend(parse_file(file, display_name(file, base) if base else str(file)).errors)
    return findings


def check_directory(
    directory: Path,
    *,
    readme: Path | None = None,
    env_example: Path | None = None,
    schema: Schema | None = None,
    min_stability: str | None = None,
) -> Report:
    """Every finding for the configuration in `directory` (env docs checked only for the paths given).

    min_stability: Alloy's --stability.level (experimental, public-preview, general-availability); None
    skips the stability gate.
    """
    base = directory.resolve().parent
    checker = ConfigChecker(schema or default_schema(), directory, check_attribute, display_base=base,
                            min_stability=min_stability)
    main_files = sorted(p for p in directory.glob("*.alloy") if p.is_file())
    modules = [parse_file(p, display_name(p, base)) for p in main_files]
    syntax_errors = [error for module in modules for error in module.errors]
    if syntax_errors:  # Alloy refuses to load past a syntax error, and so do the checks beyond syntax
        checker.findings.extend(syntax_errors)
    else:
        checker.check_main(modules, directory)
    imported = {p.resolve() for p in checker.files}
    unimported_dirs = sorted({p.parent.resolve() for p in alloy_files(directory)
                              if p.parent.resolve() != directory.resolve() and p.resolve() not in imported})
    for module_dir in unimported_dirs:  # a directory of modules is one module, as import.file loads it
        checker.load_module(module_dir, at=None)
    report = Report(checker.all_findings(), list(checker.refs.env), main_files + checker.files)
    report.findings = sorted(set(report.findings + env_findings(report.env, readme, env_example, base)))
    return report


def env_findings(uses: list[EnvUse], readme: Path | None, env_example: Path | None, base: Path) -> list[Finding]:
    """Each env var the config reads must be named in README.md and set (maybe commented) in .env.example."""
    findings = []
    first_use: dict[str, EnvUse] = {}
    for use in sorted(uses, key=lambda u: u.pos):
        first_use.setdefault(use.name, use)
    for doc, pattern in ((readme, r"(?<![A-Za-z0-9_]){}(?![A-Za-z0-9_])"),
                         (env_example, r"(?m)^[ \t]*(#[ \t]*)?(export[ \t]+)?{}[ \t]*=")):
        if doc is None:
            continue
        text = doc.read_text(encoding="utf-8") if doc.is_file() else None
        for name, use in first_use.items():
            if text is None or not re.search(pattern.format(re.escape(name)), text):
                where = display_name(doc, base) + ("" if text is not None else " (missing)")
                findings.append(Finding(use.pos, f'environment variable {name} (sys.env) is not documented in {where}'))
    return findings


def repo_alloy_dir() -> Path:
    """The repository's own Alloy configuration (package ccotel.alloy)."""
    from importlib.resources import files

    return Path(str(files("ccotel.alloy")))


__all__ = ["Finding", "Pos", "Report", "check_directory", "check_syntax", "env_findings", "repo_alloy_dir"]
