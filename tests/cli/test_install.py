"""`ccotel install` / `ccotel uninstall` on real settings files in a temporary HOME, run as real processes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

CCOTEL = Path(sys.executable).with_name("ccotel")

# A settings file as Claude Code writes it (JSON.stringify(..., null, 2)), with hooks and keys of others.
FOREIGN = """{
  "model": "opus",
  "permissions": {
    "allow": [
      "Bash(npm run lint)",
      "Read(~/.zshrc)"
    ],
    "deny": []
  },
  "env": {
    "DISABLE_TELEMETRY": "1",
    "ÜNICODE": "ünïcödé ✓"
  },
  "hooks": {
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "/usr/local/bin/notify-done --sound",
            "timeout": 3
          }
        ]
      }
    ],
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "~/.claude/hooks/guard.sh"
          }
        ]
      }
    ]
  },
  "statusLine": {
    "type": "command",
    "command": "~/.claude/statusline.sh"
  }
}
"""


def run(*args: str, cwd: Path | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CCOTEL), *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def user_settings(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def ours(settings: dict) -> list[tuple[str, dict]]:
    return [
        (event, handler)
        for event, groups in settings.get("hooks", {}).items()
        for group in groups
        for handler in group["hooks"]
        if " hook" in handler["command"] and "ccotel" in handler["command"]
    ]


@pytest.fixture
def foreign_settings(isolated_home: Path) -> Path:
    path = user_settings(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text(FOREIGN, encoding="utf-8")
    path.chmod(0o640)
    return path


def test_install_adds_one_handler_per_event_and_keeps_everything_else(foreign_settings: Path) -> None:
    result = run("install")
    assert result.returncode == 0, result.stderr
    installed = json.loads(foreign_settings.read_text(encoding="utf-8"))
    original = json.loads(FOREIGN)

    assert sorted(event for event, _ in ours(installed)) == ["SessionEnd", "Stop", "SubagentStop"]
    # Foreign keys and hooks are unchanged, and the foreign Stop group still comes first.
    for key in ("model", "permissions", "env", "statusLine"):
        assert installed[key] == original[key]
    assert installed["hooks"]["PreToolUse"] == original["hooks"]["PreToolUse"]
    assert installed["hooks"]["Stop"][0] == original["hooks"]["Stop"][0]
    # The file keeps Claude Code's formatting: the untouched prefix is byte-identical.
    text = foreign_settings.read_text(encoding="utf-8")
    assert text.startswith(FOREIGN.split('    "PreToolUse"')[0].rsplit("    ]\n", 1)[0])
    assert "ünïcödé ✓" in text  # not \u-escaped
    assert foreign_settings.stat().st_mode & 0o777 == 0o640
    assert foreign_settings.with_name("settings.json.ccotel.bak").read_text(encoding="utf-8") == FOREIGN


def test_registered_command_is_absolute_and_runs_from_any_shell(foreign_settings: Path, tmp_path: Path) -> None:
    assert run("install").returncode == 0
    handlers = ours(json.loads(foreign_settings.read_text(encoding="utf-8")))
    command = handlers[0][1]["command"]
    assert all(handler["command"] == command for _, handler in handlers)
    program = shlex.split(command)[0]
    assert os.path.isabs(program) and os.access(program, os.X_OK)
    # Run it the way Claude Code does: through a shell with a bare PATH, payload on stdin.
    payload = json.dumps(
        {
            "session_id": "s",
            "transcript_path": str(tmp_path / "missing.jsonl"),
            "hook_event_name": "Stop",
            "cwd": str(tmp_path),
        }
    )
    env = {
        "HOME": os.environ["HOME"],
        "PATH": "/usr/bin:/bin",
        "CCOTEL_STATE_DIR": str(tmp_path / "state"),
        "CCOTEL_ENDPOINT": "http://127.0.0.1:9",
    }
    shell = subprocess.run(
        ["/bin/sh", "-c", command], input=payload, capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert (shell.returncode, shell.stdout, shell.stderr) == (0, "", "")


def test_install_is_idempotent(foreign_settings: Path) -> None:
    assert run("install").returncode == 0
    first = foreign_settings.read_bytes()
    second_run = run("install")
    assert second_run.returncode == 0
    assert "already installed" in second_run.stdout
    assert foreign_settings.read_bytes() == first
    assert len(ours(json.loads(first))) == 3
    # The backup still holds the file as it was before ccotel touched it.
    assert foreign_settings.with_name("settings.json.ccotel.bak").read_text(encoding="utf-8") == FOREIGN


def test_round_trip_restores_the_file_byte_for_byte(foreign_settings: Path) -> None:
    assert run("install", "--async").returncode == 0
    assert all(handler.get("async") is True for _, handler in ours(json.loads(foreign_settings.read_text())))
    result = run("uninstall")
    assert result.returncode == 0, result.stderr
    assert foreign_settings.read_text(encoding="utf-8") == FOREIGN


def test_uninstall_keeps_changes_made_after_install(foreign_settings: Path) -> None:
    assert run("install").returncode == 0
    settings = json.loads(foreign_settings.read_text(encoding="utf-8"))
    settings["model"] = "sonnet"  # the person changed something since
    settings["hooks"]["Stop"][0]["hooks"].append({"type": "command", "command": "echo bye"})
    foreign_settings.write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    assert run("uninstall").returncode == 0
    after = json.loads(foreign_settings.read_text(encoding="utf-8"))
    expected = json.loads(FOREIGN)
    expected["model"] = "sonnet"
    expected["hooks"]["Stop"][0]["hooks"].append({"type": "command", "command": "echo bye"})
    assert after == expected
    assert ours(after) == []


def test_install_into_missing_file_and_uninstall_leaves_no_hooks_key(isolated_home: Path) -> None:
    assert run("install").returncode == 0
    path = user_settings(isolated_home)
    assert path.stat().st_mode & 0o777 == 0o600
    assert run("uninstall").returncode == 0
    assert json.loads(path.read_text(encoding="utf-8")) == {}


def test_an_older_ccotel_path_is_replaced_not_duplicated(isolated_home: Path) -> None:
    path = user_settings(isolated_home)
    path.parent.mkdir(parents=True)
    old = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "/old/venv/bin/ccotel hook"}]}]}}
    path.write_text(json.dumps(old, indent=2) + "\n", encoding="utf-8")
    assert run("install").returncode == 0
    handlers = ours(json.loads(path.read_text(encoding="utf-8")))
    assert len(handlers) == 3
    assert all("/old/venv" not in handler["command"] for _, handler in handlers)


def test_malformed_settings_is_a_clear_error_and_the_file_is_untouched(isolated_home: Path) -> None:
    path = user_settings(isolated_home)
    path.parent.mkdir(parents=True)
    broken = '{"model": "opus",, "hooks": {}}\n'
    path.write_text(broken, encoding="utf-8")
    before = path.stat().st_mtime_ns
    for command in ("install", "uninstall"):
        result = run(command)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and "not valid JSON" in lines[0]
        assert path.read_text(encoding="utf-8") == broken
        assert path.stat().st_mtime_ns == before
    assert not path.with_name("settings.json.ccotel.bak").exists()


def test_project_scope_and_second_registration_warning(isolated_home: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    assert run("install").returncode == 0
    result = run("install", "--project", cwd=project)
    assert result.returncode == 0
    assert len(ours(json.loads((project / ".claude" / "settings.json").read_text()))) == 3
    assert str(user_settings(isolated_home)) in result.stderr and "also registered" in result.stderr


def test_plugin_registration_is_detected(isolated_home: Path) -> None:
    plugin_hooks = isolated_home / ".claude" / "plugins" / "cache" / "ccotel" / "hooks" / "hooks.json"
    plugin_hooks.parent.mkdir(parents=True)
    plugin_hooks.write_text(
        json.dumps(
            {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/bin/ccotel hook"}]}]}}
        ),
        encoding="utf-8",
    )
    result = run("install")
    assert result.returncode == 0
    assert str(plugin_hooks) in result.stderr


def test_no_secret_reaches_settings(isolated_home: Path) -> None:
    env = {
        **os.environ,
        "CCOTEL_HEADERS": "Authorization=Basic c2VjcmV0LXRva2VuLXZhbHVl",
        "LANGFUSE_SECRET_KEY": "sk-lf-00000000-1111-2222-3333-444444444444",
    }
    result = subprocess.run([str(CCOTEL), "install"], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0
    text = user_settings(isolated_home).read_text(encoding="utf-8")
    assert "c2VjcmV0" not in text and "sk-lf-" not in text and '"env"' not in text


def test_uninstall_when_not_installed_changes_nothing(foreign_settings: Path) -> None:
    before = foreign_settings.stat().st_mtime_ns
    result = run("uninstall")
    assert result.returncode == 0 and "not installed" in result.stdout
    assert foreign_settings.read_text(encoding="utf-8") == FOREIGN
    assert foreign_settings.stat().st_mtime_ns == before
