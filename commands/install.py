"""`ccotel install`: register the hook for Stop, SubagentStop and SessionEnd in Claude Code's settings."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ccotel.errors import CcotelError
from ccotel.hook import claude_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_mutually_exclusive_group()
    for flag, where in (
        ("--user", "~/.claude/settings.json (the default)"),
        ("--project", ".claude/settings.json of the project"),
        ("--local", ".claude/settings.local.json of the project"),
    ):
        scope.add_argument(flag, dest="scope", action="store_const", const=flag[2:], help=where)
    parser.add_argument("--async", dest="run_async", action="store_true", help="run the hook in the background")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd(), help="project root (default: here)")
    parser.set_defaults(scope="user")


def run(args: argparse.Namespace) -> int:
    paths = claude_settings.settings_paths(args.project_dir)
    target = paths[args.scope]
    settings = claude_settings.load(target)
    command = claude_settings.hook_command()
    updated = claude_settings.with_ccotel(settings.data, command, run_async=args.run_async)
    if settings.text is not None and updated == settings.data:
        print(f"ccotel hook already installed in {target}")
    else:
        if settings.text is not None:
            shutil.copy2(target, target.with_name(target.name + claude_settings.BACKUP_SUFFIX))
        claude_settings.write_atomically(target, claude_settings.render(settings, updated))
        print(f"ccotel hook installed in {target} for {', '.join(claude_settings.HOOK_EVENTS)}: {command}")
    _warn_about_other_registrations(paths, args.scope)
    return 0


def _warn_about_other_registrations(paths: dict[str, Path], scope: str) -> None:
    """Two registrations mean two exports per turn: say where the other one is."""
    others = []
    for other_scope, path in paths.items():
        if other_scope == scope:
            continue
        try:
            if claude_settings.our_handlers(claude_settings.load(path).data):
                others.append(str(path))
        except CcotelError:
            continue
    others.extend(str(path) for path in claude_settings.plugin_registrations())
    for other in others:
        print(
            f"warning: ccotel is also registered in {other}; Claude Code merges hooks from every file, "
            "so remove one (ccotel uninstall --user/--project/--local)",
            file=sys.stderr,
        )
