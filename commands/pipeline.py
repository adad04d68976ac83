"""`ccotel pipeline check [DIR]`: prove the Alloy configuration statically (no Alloy binary needed).

Prints one line per finding, `file:line:col: message`, and exits 1 when there is any. DIR defaults to the
configuration shipped in the package (the repository's `alloy/`); docs/pipeline.md and .env.example are the
ones next to DIR unless --readme / --env-example say otherwise. `--syntax-only PATH...` only parses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ccotel.errors import CcotelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["check"], help="what to do (only `check` for now)")
    parser.add_argument("directory", nargs="?", type=Path,
                        help="the configuration directory (default: the packaged alloy/)")
    parser.add_argument("--syntax-only", nargs="+", type=Path, metavar="PATH",
                        help="only parse these files (directories: every .alloy file below), report syntax errors")
    parser.add_argument("--readme", type=Path, help="where env vars are documented (default: DIR/../docs/pipeline.md)")
    parser.add_argument("--env-example", type=Path,
                        help="where env vars must be listed (default: DIR/../.env.example)")
    parser.add_argument("--stability-level", choices=["experimental", "public-preview", "general-availability"],
                        help="Alloy's --stability.level: report components and functions below it (default: no gate)")


def run(args: argparse.Namespace) -> int:
    from ccotel.collector.pipeline.check import check_directory, check_syntax, repo_alloy_dir

    paths: list[Path] = [*(args.syntax_only or []), *([args.directory] if args.directory else [])]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise CcotelError(f"{missing[0]}: no such file or directory")
    if args.syntax_only:
        findings = check_syntax(paths)
        checked = len(paths)
    else:
        directory = args.directory or repo_alloy_dir()
        if not directory.is_dir():
            raise CcotelError(f"{directory}: not a directory (Alloy loads a directory's *.alloy files)")
        readme = args.readme or directory.resolve().parent / "docs" / "pipeline.md"
        env_example = args.env_example or directory.resolve().parent / ".env.example"
        if not any(directory.glob("*.alloy")):
            raise CcotelError(f"{directory}: no .alloy files (Alloy loads the *.alloy files directly in it)")
        report = check_directory(directory, readme=readme, env_example=env_example,
                                 min_stability=args.stability_level)
        findings, checked = report.findings, len(report.files)
    for finding in findings:
        print(finding)
    noun = "finding" if len(findings) == 1 else "findings"
    print(f"ccotel pipeline check: {len(findings)} {noun} ({checked} checked)", file=sys.stderr)
    return 1 if findings else 0
