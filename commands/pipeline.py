"""`ccotel pipeline check [DIR]`: prove the Alloy configuration statically (no Alloy binary needed).
`ccotel pipeline translate [DIR]` prints the upstream collector config alloy/ translates to;
`ccotel pipeline run [DIR]` runs it in the test collector (build/otelcol/ccotel-otelcol) in the foreground.

Prints one line per finding, `file:line:col: message`, and exits 1 when there is any. DIR defaults to the
configuration shipped in the package (the repository's `alloy/`); docs/pipeline.md and .env.example are the
ones next to DIR unless --readme / --env-example say otherwise. `--syntax-only PATH...` only parses.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ccotel.errors import CcotelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["check", "translate", "run"],
                        help="check statically; translate to the upstream collector's config; run it")
    parser.add_argument("directory", nargs="?", type=Path,
                        help="the configuration directory (default: the packaged alloy/)")
    parser.add_argument("--syntax-only", nargs="+", type=Path, metavar="PATH",
                        help="only parse these files (directories: every .alloy file below), report syntax errors")
    parser.add_argument("--readme", type=Path, help="where env vars are documented (default: DIR/../docs/pipeline.md)")
    parser.add_argument("--env-example", type=Path,
                        help="where env vars must be listed (default: DIR/../.env.example)")
    parser.add_argument("--stability-level", choices=["experimental", "public-preview", "general-availability"],
                        help="Alloy's --stability.level: report components and functions below it (default: no gate)")
    run_group = parser.add_argument_group("translate / run (values override the environment, as sys.env reads it)")
    for flag, key, what in RUN_FLAGS:
        run_group.add_argument(flag, dest=key, metavar="ADDR" if "address" in what else "URL", help=what)
    run_group.add_argument("--env-file", type=Path, help="KEY=VALUE lines read before the flags (e.g. .env)")
    run_group.add_argument("--storage", type=Path, help="where the sinks' persistent queues live (default: temporary)")


# (flag, environment key alloy/env.alloy or the translator reads, help)
RUN_FLAGS = (
    ("--otlp-http", "CCOTEL_OTLP_HTTP_ADDRESS", "OTLP/HTTP listen address (default 127.0.0.1:4318)"),
    ("--otlp-grpc", "CCOTEL_OTLP_GRPC_ADDRESS", "OTLP/gRPC listen address (default 127.0.0.1:4317)"),
    ("--langfuse", "LANGFUSE_BASE_URL", "Langfuse base URL (sink off when unset)"),
    ("--tempo", "TEMPO_ENDPOINT", "Tempo OTLP/HTTP base URL (sink off when unset)"),
    ("--loki", "LOKI_ENDPOINT", "Loki OTLP base URL, e.g. http://127.0.0.1:3100/otlp (sink off when unset)"),
    ("--prometheus", "PROMETHEUS_REMOTE_WRITE_URL", "Prometheus remote-write URL (sink off when unset)"),
    ("--self-metrics", "CCOTEL_TEST_SELF_METRICS_ADDRESS", "address serving the collector's own metrics"),
    ("--health", "CCOTEL_TEST_HEALTH_ADDRESS", "address of the collector's health check"),
)


def run(args: argparse.Namespace) -> int:
    if args.action != "check":
        from ccotel.collector.otelcol.run import run_or_print

        env = dict(os.environ)
        if args.env_file:
            env.update(read_env_file(args.env_file))
        env.update({key: getattr(args, key) for _, key, _ in RUN_FLAGS if getattr(args, key) is not None})
        return run_or_print(args.directory, env, run=args.action == "run", storage=args.storage)
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


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (docker-compose .env style): blank lines and # comments skipped, quotes removed."""
    if not path.is_file():
        raise CcotelError(f"{path}: no such env file")
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values
