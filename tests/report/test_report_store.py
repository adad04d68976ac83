"""The report's incremental store: same answers as a full read, across appends, truncation, crashes, rebuilds."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TRANSCRIPTS

from ccotel.collector.report.store import FILE_NAME, SCHEMA_VERSION, ReportStore
from ccotel.commands.main import main

SAMPLES = sorted(path for path in TRANSCRIPTS.iterdir() if path.is_dir())
SUBAGENT_SAMPLE = TRANSCRIPTS / "04-spotter-v2.1.39-subagent-compaction"


def report(capsys: pytest.CaptureFixture[str], projects: str, *flags: str) -> dict:
    capsys.readouterr()
    assert main(["report", "--json", "--projects-dir", projects, *flags]) == 0
    out = json.loads(capsys.readouterr().out)
    out["source"].pop("description", None)
    return out


def transcript_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.jsonl"))


def test_stored_report_equals_a_full_read_on_every_sample(
    capsys: pytest.CaptureFixture[str], state_dir: Path
) -> None:
    projects = ",".join(str(sample / "projects") for sample in SAMPLES)
    full = report(capsys, projects, "--no-cache")
    assert not (state_dir / FILE_NAME).exists()  # --no-cache leaves no store behind
    cold = report(capsys, projects)
    warm = report(capsys, projects)
    assert cold == full
    assert warm == full
    assert full["totals"]["calls"] > 0 and full["analyses"]["subagents"]  # the samples do exercise subagents
    assert (state_dir / FILE_NAME).stat().st_mode & 0o777 == 0o600
    assert state_dir.stat().st_mode & 0o777 == 0o700


def test_files_read_in_pieces_give_the_same_report(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path
) -> None:
    """Each file cut mid-line (a turn spans two reads, subagent rows arrive late), then completed by appending."""
    copy = tmp_path / "sample"
    shutil.copytree(SUBAGENT_SAMPLE, copy)
    files = transcript_files(copy)
    assert len(files) >= 2  # a main file and at least one subagent file
    whole = {path: path.read_bytes() for path in files}
    expected = report(capsys, str(copy / "projects"), "--no-cache")
    for cut in (0.3, 0.6):
        for path, data in whole.items():
            path.write_bytes(data[: int(len(data) * cut)])
        report(capsys, str(copy / "projects"))
    for path, data in whole.items():
        with path.open("ab") as handle:
            handle.write(data[path.stat().st_size :])
    assert report(capsys, str(copy / "projects")) == expected
    with ReportStore(state_dir / FILE_NAME, _fingerprint()) as store:
        stored = next(iter(store.stats()))
        assert store.session(stored).chunks >= 2  # appended to, not re-read from the start


def test_truncated_replaced_and_deleted_files(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "sample"
    shutil.copytree(TRANSCRIPTS / "03-spotter-v2.1.38-tool-heavy", copy)
    main_file = transcript_files(copy)[0]
    data = main_file.read_bytes()
    lines = data.splitlines(keepends=True)
    first = report(capsys, str(copy / "projects"))
    # truncated in place, same inode: the store must not keep records of the lost lines
    with main_file.open("r+b") as handle:
        handle.truncate(len(b"".join(lines[: len(lines) // 2])))
    truncated = report(capsys, str(copy / "projects"))
    assert truncated == report(capsys, str(copy / "projects"), "--no-cache")
    assert truncated["totals"]["calls"] < first["totals"]["calls"]
    # replaced by a new file (new inode) of the same size whose lines differ
    replacement = main_file.with_suffix(".new")
    replacement.write_bytes(data)
    os.replace(replacement, main_file)
    assert report(capsys, str(copy / "projects")) == first
    # deleted: the session is gone from the report and from the store
    other = copy / "projects" / "elsewhere"
    other.mkdir()
    shutil.copy(main_file, other / "11111111-2222-4333-8444-555555555555.jsonl")
    main_file.unlink()
    after = report(capsys, str(copy / "projects"))
    assert [s["session_id"] for s in after["sessions"]] == ["11111111-2222-4333-8444-555555555555"]
    with ReportStore(state_dir / FILE_NAME, _fingerprint()) as store:
        assert list(store.stats()) == [str(other / "11111111-2222-4333-8444-555555555555.jsonl")]


def _fingerprint() -> str:
    from ccotel.commands._history_store import reader_fingerprint

    return reader_fingerprint()


def test_other_schema_version_or_garbage_is_rebuilt(capsys: pytest.CaptureFixture[str], state_dir: Path) -> None:
    projects = str(SAMPLES[1] / "projects")
    expected = report(capsys, projects, "--no-cache")
    report(capsys, projects)
    database = state_dir / FILE_NAME
    with sqlite3.connect(database) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION + 1),))
        db.execute("UPDATE chunks SET data = ?", (b"not marshal",))  # would fail if it were read
    db.close()
    assert report(capsys, projects) == expected
    with ReportStore(database, _fingerprint()) as store:
        assert store.rebuilt == ""  # the rebuilt store is current again
    database.write_bytes(b"this is not an SQLite database, just junk" * 100)
    assert report(capsys, projects) == expected
    with sqlite3.connect(database) as db:
        assert dict(db.execute("SELECT key, value FROM meta"))["schema"] == str(SCHEMA_VERSION)
    db.close()


def test_a_crash_mid_write_keeps_the_previous_state(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path
) -> None:
    """A report process killed inside a session's transaction (after its records were inserted, before commit)."""
    copy = tmp_path / "sample"
    shutil.copytree(SUBAGENT_SAMPLE, copy)
    files = transcript_files(copy)
    whole = {path: path.read_bytes() for path in files}
    expected = report(capsys, str(copy / "projects"), "--no-cache")
    for path, data in whole.items():
        path.write_bytes(data[: len(data) // 2])
    report(capsys, str(copy / "projects"))
    for path, data in whole.items():
        with path.open("ab") as handle:
            handle.write(data[path.stat().st_size :])
    crash = (
        "import os, sys\n"
        "import ccotel.collector.report.store as store\n"
        "real = store.encode_records\n"
        "calls = []\n"
        "def dying(records):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"  # the first encodes the new complete records, the second the tail
        "        os._exit(9)\n"
        "    return real(records)\n"
        "store.encode_records = dying\n"
        "from ccotel.commands.main import main\n"
        "sys.exit(main(['report', '--json', '--projects-dir', sys.argv[1]]))\n"
    )
    env = {**os.environ, "CCOTEL_STATE_DIR": str(state_dir)}
    done = subprocess.run([sys.executable, "-c", crash, str(copy / "projects")], env=env, cwd=REPO, timeout=120)
    assert done.returncode == 9
    assert report(capsys, str(copy / "projects")) == expected
    assert report(capsys, str(copy / "projects")) == expected


def test_slimmed_rows_keep_what_the_report_shows(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path
) -> None:
    """Long tool arguments, results and texts are cut before mapping; paths, prompts and counts are not."""
    from report.cc_lines import Session

    long_path = "/src/" + "deep/" * 150 + "module.py"  # 760 characters: kept whole
    session = Session("77777777-0000-4000-8000-000000000000")
    session.tool_turn(
        "write the module " + "with care " * 80,  # a long prompt: the report quotes its first 500 characters
        [("Write", {"file_path": long_path, "content": "y" * 50_000}), ("Read", {"file_path": long_path})],
        errors=(1,),
        input_tokens=1200,
        output_tokens=300,
    )
    session.lines[-1]["message"]["content"] = [{"type": "text", "text": "z" * 30_000}]
    session.write(tmp_path)
    expected = report(capsys, str(tmp_path / "projects"), "--no-cache")
    assert report(capsys, str(tmp_path / "projects")) == expected
    analyses = expected["analyses"]
    assert analyses["read_before_edit"]["edits"] == 1 and analyses["tool_errors"][0]["tool"] == "Read"
    assert expected["analyses"]["expensive_turns"][0]["prompt"].startswith("write the module with care")


def test_reused_session_facts_respect_duplicates_windows_and_projects(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path
) -> None:
    """What a run derived from a session is reused only where a full read would give the same answer."""
    copy = tmp_path / "samples"
    for sample in SAMPLES:
        shutil.copytree(sample / "projects", copy, dirs_exist_ok=True)
    first = transcript_files(copy)[0]
    twin = copy / "-zz-copy" / first.name  # the same calls again, later in discovery order: counted once
    twin.parent.mkdir()
    shutil.copy(first, twin)
    days = sorted({day["date"] for day in report(capsys, str(copy), "--no-cache")["days"]})
    for flags in ((), ("--since", days[len(days) // 2]), ("--until", days[0]), ("--project", "spotter"), ()):
        expected = report(capsys, str(copy), "--no-cache", *flags)
        assert report(capsys, str(copy), *flags) == expected, flags
        assert report(capsys, str(copy), *flags) == expected, flags  # the second run reuses what the first derived
    assert expected["source"]["duplicate_calls_dropped"] > 0
    with sqlite3.connect(state_dir / FILE_NAME) as db:
        derived = dict(db.execute("SELECT key, window FROM derived"))
    db.close()
    assert str(twin) not in derived  # its calls were counted elsewhere: never reused
    assert set(derived.values()) == {".."}


def test_an_unusable_state_dir_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    monkeypatch.setenv("CCOTEL_STATE_DIR", str(blocker))
    projects = str(SAMPLES[1] / "projects")
    assert main(["report", "--projects-dir", projects]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "cannot open the report store" in lines[0] and "--no-cache" in lines[0]
    assert main(["report", "--json", "--projects-dir", projects, "--no-cache"]) == 0
