"""`ccotel uninstall`: remove exactly the hook entries `ccotel install` added, nothing else."""

from __future__ import annotations

import argparse
import json

from ccotel.commands.install import add_arguments as _install_arguments
from ccotel.hook import claude_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _install_arguments(parser)


def run(args: argparse.Namespace) -> int:
    target = claude_settings.settings_paths(args.project_dir)[args.scope]
    settings = claude_settings.load(target)
    if settings.text is None or not claude_settings.our_handlers(settings.data):
        print(f"ccotel hook is not installed in {target}")
        return 0
    remaining = claude_settings.without_ccotel(settings.data)
    backup = target.with_name(target.name + claude_settings.BACKUP_SUFFIX)
    text = claude_settings.render(settings, remaining)
    if backup.is_file():
        # Nothing else changed since install: put the original bytes back, so the round trip is exact.
        original = backup.read_text(encoding="utf-8")
        try:
            if json.loads(original) == remaining:
                text = original
        except ValueError:
            pass
    claude_settings.write_atomically(target, text)
    print(f"ccotel hook removed from {target}")
    return 0
