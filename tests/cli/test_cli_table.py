"""Every subcommand in the CLI table exists, imports, and describes itself; unknown ones fail readably."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ccotel.commands.main import COMMANDS

CCOTEL = Path(sys.executable).with_name("ccotel")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_answers_help(name: str) -> None:
    result = subprocess.run([str(CCOTEL), name, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: ccotel {name}")
    assert COMMANDS[name][1] in " ".join(result.stdout.split())  # the table's one-line help is its description


def test_top_level_help_lists_every_command() -> None:
    result = subprocess.run([str(CCOTEL), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.split("commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMANDS)


def test_unknown_command_is_one_readable_error() -> None:
    result = subprocess.run([str(CCOTEL), "frobnicate"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "unknown command 'frobnicate'" in result.stderr
