"""`ccotel up` (what `make up` runs): the whole stack where Docker runs, the local report where it does not.

With Docker: write .env if there is none (`ccotel init`), `docker compose up -d --wait` (returns when every
service's healthcheck passes), `ccotel install` (the hook), then one test span to Alloy, checked against
Alloy's own accepted-spans counter. Without Docker (no client, or no daemon answering): one line saying so,
then `ccotel report` from the local transcripts.

Exit codes: 0 done (or the report's own code on the fallback path); 1 a step failed (the message says
which); docker compose's own code when it fails; 4 the test span did not reach Alloy.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from ccotel.commands import _smoke, _stack
from ccotel.commands.init import resolve_env_file, write_env
from ccotel.errors import CcotelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--logs", action="store_true",
                        help="also collect the stack's own container logs into Loki (compose profile `logs`)")
    parser.add_argument("--cloud", action="store_true",
                        help="Grafana Cloud / Langfuse Cloud: run only Alloy, with the endpoints in .env")
    parser.add_argument("--env-file", type=Path, default=None,
                        help="the stack's .env (default: .env beside docker-compose.yml)")
    parser.add_argument("--stack-dir", type=Path, default=None,
                        help="the folder with docker-compose.yml (default: found from here)")
    parser.add_argument("--wait-timeout", type=int, default=900,
                        help="seconds `docker compose up --wait` may take (default: 900; first pulls are slow)")
    parser.add_argument("--check-timeout", type=float, default=15.0,
                        help="seconds to wait for Alloy to count the test span (default: 15)")
    parser.add_argument("--no-install", action="store_true", help="do not run `ccotel install`")


def _ccotel(*arguments: str) -> int:
    """Another ccotel subcommand in its own process (same interpreter), output passed through."""
    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "ccotel.commands", *arguments], check=False).returncode


def fallback_to_report(reason: str) -> int:
    print(f"ccotel up: {reason}: showing the local report instead (`ccotel report`); "
          "the stack needs Docker.", flush=True)
    return _ccotel("report")


def run(args: argparse.Namespace) -> int:
    docker = _stack.docker_status()
    if not docker.usable:
        return fallback_to_report(docker.reason)
    stack_dir = _stack.find_stack_dir(args.stack_dir)
    env_file = resolve_env_file(stack_dir, args.env_file)
    if not env_file.exists():
        generated = write_env(stack_dir, env_file, force=False)
        print(f"ccotel up: wrote {env_file} (mode 0600) with fresh values for {len(generated)} secrets")
    addresses = _stack.Addresses.from_env(_stack.read_env_file(env_file))

    compose = _stack.compose_command(stack_dir, env_file, cloud=args.cloud, logs=args.logs)
    print("ccotel up: starting the stack (docker compose up -d --wait) ...", flush=True)
    done = subprocess.run([*compose, "up", "-d", "--wait", "--wait-timeout", str(args.wait_timeout)],
                          cwd=stack_dir, check=False)
    if done.returncode != 0:
        error = CcotelError(f"`docker compose up` failed (exit {done.returncode}); "
                            f"`docker compose ps` and `docker compose logs SERVICE` in {stack_dir} say why")
        error.exit_code = done.returncode
        raise error

    if not args.no_install:
        code = _ccotel("install")
        if code != 0:
            raise CcotelError(f"the stack is up but `ccotel install` failed (exit {code})")

    if not addresses.otlp_http_url.endswith(":4318"):
        print(f"ccotel up: Alloy takes OTLP on {addresses.otlp_http_url}, not the hook's default port: set "
              f"CCOTEL_ENDPOINT={addresses.otlp_http_url} in the env block of ~/.claude/settings.json")
    accepted = _smoke.check_span_reaches_alloy(addresses.otlp_http_url, addresses.alloy_ui_url,
                                               wait_seconds=args.check_timeout)
    print(f"ccotel up: a test span reached Alloy ({_smoke.ACCEPTED_SPANS} = {accepted:g}).")
    if args.cloud:
        print("ccotel up: Alloy runs here and sends to the Cloud endpoints in .env; "
              f"its pipeline graph is at {addresses.alloy_ui_url}")
    else:
        print("ccotel up: the stack is up. Open:")
        for line in _stack.login_lines(addresses, env_file):
            print(line)
    return 0
