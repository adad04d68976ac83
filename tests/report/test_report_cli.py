"""`ccotel report` as a real process: exit codes, one-line errors, text and HTML output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from conftest import PRICING_SCENARIOS, REPO, TRANSCRIPTS

CCOTEL = [sys.executable, "-m", "ccotel.commands"]
ALL_SAMPLES = ",".join(str(path) for path in sorted(TRANSCRIPTS.iterdir()) if path.is_dir())
SECTIONS = (
    "days",
    "projects",
    "models",
    "sessions",
    "tools",
    "turns",
    "productivity",
    "habits",
    "expensive",
    "repeated",
    "context",
    "errors",
    "subagents",
)
VOID = {"meta", "br", "hr", "img", "input", "link", "rect", "line", "path", "circle"}


def ccotel(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HOME": str(home), **(env or {})}  # conftest cleared CLAUDE_* / LANGFUSE_*
    return subprocess.run([*CCOTEL, *args], env=environment, capture_output=True, text=True, cwd=REPO, timeout=120)


def test_missing_projects_dir_is_one_readable_line(tmp_path: Path) -> None:
    done = ccotel("report", "--projects-dir", str(tmp_path / "nowhere"), home=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"ccotel report: --projects-dir: {tmp_path / 'nowhere'} is not a directory"
    ]


def test_no_transcripts_at_all(tmp_path: Path) -> None:
    done = ccotel("report", home=tmp_path)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "no Claude Code transcripts found" in done.stderr


def test_bad_window_and_bad_date(tmp_path: Path) -> None:
    done = ccotel(
        "report",
        "--since",
        "2026-10-02",
        "--until",
        "2026-10-01",
        home=tmp_path,
        env={"CLAUDE_CONFIG_DIR": str(PRICING_SCENARIOS / "claude")},
    )
    assert done.returncode == 1 and done.stderr.strip() == (
        "ccotel report: --since 2026-10-02 is after --until 2026-10-01"
    )
    done = ccotel("report", "--since", "yesterday", home=tmp_path)
    assert done.returncode == 2 and "not a date" in done.stderr


def test_text_report_has_every_section(tmp_path: Path) -> None:
    done = ccotel("report", home=tmp_path, env={"CLAUDE_CONFIG_DIR": ALL_SAMPLES})
    assert done.returncode == 0, done.stderr
    for title in (
        "Usage and spend",
        "By day",
        "By project",
        "By model",
        "Tool use by category",
        "Turns per session",
        "Productivity by session length",
        "read before edit",
        "Most expensive turns",
        "Most expensive calls",
        "Repeated prompts",
        "Context growth",
        "Tool error hot spots",
        "Subagents",
    ):
        assert title in done.stdout, title
    assert "ccotel report: 4 sessions" in done.stdout


def test_empty_window_still_reports(tmp_path: Path) -> None:
    done = ccotel(
        "report", "--since", "2030-01-01", home=tmp_path, env={"CLAUDE_CONFIG_DIR": str(PRICING_SCENARIOS / "claude")}
    )
    assert done.returncode == 0, done.stderr
    assert "0 sessions" in done.stdout and "no activity" in done.stdout


class Checker(HTMLParser):
    """Collects tags and external references, and checks that non-void elements are balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                self.external.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()


def test_html_report_is_self_contained_and_complete(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    done = ccotel("report", "--html", str(target), home=tmp_path, env={"CLAUDE_CONFIG_DIR": ALL_SAMPLES})
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == f"wrote {target}"
    assert target.stat().st_mode & 0o777 == 0o600  # it quotes prompts: private by default
    page = target.read_text(encoding="utf-8")
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert checker.external == []  # no scripts, styles, images or fonts fetched from anywhere
    assert "script" not in checker.tags and "link" not in checker.tags
    assert "http://" not in page and "https://" not in page
    assert set(SECTIONS) <= checker.ids
    assert checker.tags.count("svg") >= 4 and "rect" in checker.tags
    assert "spotter-dov" in page and "Explore" in page


def test_html_write_failure_is_one_line(tmp_path: Path) -> None:
    done = ccotel(
        "report",
        "--html",
        str(tmp_path / "missing-dir" / "r.html"),
        home=tmp_path,
        env={"CLAUDE_CONFIG_DIR": str(PRICING_SCENARIOS / "claude")},
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("ccotel report: cannot write")


def test_an_unreadable_session_is_skipped_and_named(tmp_path: Path) -> None:
    config = tmp_path / "claude"
    shutil.copytree(PRICING_SCENARIOS / "claude", config)
    broken = config / "projects" / "-home-user-alpha" / "broken.jsonl"
    broken.mkdir()  # a directory where a transcript file should be
    done = ccotel("report", "--json", home=tmp_path, env={"CLAUDE_CONFIG_DIR": str(config)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"ccotel report: skipped {broken}: ")
    assert "IsADirectoryError" in done.stderr or "not a regular file" in done.stderr
    report = json.loads(done.stdout)
    assert len(report["sessions"]) == 7 and report["source"]["skipped_sessions"][0].startswith(str(broken))
