"""`ccotel init`: write the stack's .env from .env.example with fresh random secrets (mode 0600).

An existing .env is never replaced without --force: the stack's volumes were initialised with its
passwords, so new secrets mean wiping them too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ccotel.commands import _stack
from ccotel.commands._envfile import parse_env, render_env
from ccotel.errors import CcotelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace an existing .env (new secrets: wipe the stack's volumes afterwards)")
    parser.add_argument("--env-file", type=Path, default=None,
                        help="where to write (default: .env beside docker-compose.yml)")
    parser.add_argument("--stack-dir", type=Path, default=None,
                        help="the folder with docker-compose.yml and .env.example (default: found from here)")


def write_env(stack_dir: Path, env_file: Path, *, force: bool) -> tuple[str, ...]:
    """Render .env.example into env_file; returns the names that got fresh values."""
    template_path = stack_dir / _stack.TEMPLATE
    if env_file.exists() and not force:
        raise CcotelError(f"{env_file} exists; keeping it (--force writes new secrets, then wipe the volumes)")
    try:
        template = template_path.read_text(encoding="utf-8")
    except OSError as error:
        raise CcotelError(f"cannot read {template_path}: {error.strerror or error}") from error
    rendered = render_env(template, source=str(template_path))
    try:
        _stack.write_private(env_file, rendered.text)
    except OSError as error:
        raise CcotelError(f"cannot write {env_file}: {error.strerror or error}") from error
    return rendered.generated


def resolve_env_file(stack_dir: Path, env_file: Path | None) -> Path:
    return (env_file if env_file is not None else stack_dir / ".env").absolute()


def run(args: argparse.Namespace) -> int:
    stack_dir = _stack.find_stack_dir(args.stack_dir)
    env_file = resolve_env_file(stack_dir, args.env_file)
    replaced = env_file.exists()
    generated = write_env(stack_dir, env_file, force=args.force)
    verb = "replaced" if replaced else "wrote"
    print(f"ccotel init: {verb} {env_file} (mode 0600) with fresh values for {len(generated)} secrets.")
    if replaced:
        print("  The stack's volumes still hold the old passwords: wipe them before the next start "
              "(docker compose down -v).")
    addresses = _stack.Addresses.from_env(parse_env(env_file.read_text(encoding="utf-8")))
    print("After `make up` (or `docker compose up -d --wait`), log in at:")
    for line in _stack.login_lines(addresses, env_file):
        print(line)
    return 0
