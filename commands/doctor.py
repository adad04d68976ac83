"""`ccotel doctor`: is the hook registered and runnable, are state and spool healthy, is anyone listening?

Each failed check prints the one command that fixes it; the exit code is 0 only when nothing failed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ccotel.hook import health
from ccotel.hook.config import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project-dir", type=Path, default=Path.cwd(), help="project whose settings to check")
    parser.add_argument(
        "--alloy-url",
        default=os.environ.get("CCOTEL_ALLOY_URL", "http://127.0.0.1:12345"),
        help="Alloy's HTTP server (readiness at /-/ready; env CCOTEL_ALLOY_URL)",
    )
    parser.add_argument("--no-run", action="store_true", help="do not run the registered hook command")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(cwd=args.project_dir)
    checks = [health.check_hook_registered(args.project_dir)]
    if not args.no_run:
        checks.append(health.check_hook_runnable(args.project_dir, settings))
    checks += [
        health.check_state_dir(settings),
        health.check_spool(settings),
        health.check_last_export(settings),
        health.check_redaction(settings),
        health.check_collector(settings),
        health.check_alloy_ready(args.alloy_url),
        health.check_service(
            "langfuse",
            os.environ.get("CCOTEL_LANGFUSE_URL") or os.environ.get("LANGFUSE_HOST"),
            "/api/public/health",
            "CCOTEL_LANGFUSE_URL",
            "langfuse-web",
        ),
        health.check_service(
            "grafana", os.environ.get("CCOTEL_GRAFANA_URL"), "/api/health", "CCOTEL_GRAFANA_URL", "grafana"
        ),
    ]
    for warning in settings.warnings:
        print(f"warning: {warning}")
    for check in checks:
        print(f"{check.status:>4}  {check.name:<15} {check.detail}")
        if check.status == health.FAIL and check.fix:
            print(f"{'':>4}  {'':<15} fix: {check.fix}")
    failed = [check.name for check in checks if check.status == health.FAIL]
    print(f"\n{len(failed)} of {len(checks)} checks failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
