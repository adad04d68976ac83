"""What the store reuses between runs: a checkpoint continued as a session grows, the last printed report for
unchanged files, the parsed price table. Each reuse must give what a full read gives (`--no-cache`)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import TRANSCRIPTS

from ccotel.collector.pricing.costing import price_record
from ccotel.collector.pricing.table import load_price_table
from ccotel.collector.report.analytics import summarise_session
from ccotel.collector.report.fold import SessionFold, follows, time_order
from ccotel.collector.report.records import SpanRecord
from ccotel.collector.report.store import FILE_NAME, ReportStore
from ccotel.collector.report.tips import session_tip_facts
from ccotel.collector.report.tool_categories import load_tool_categories
from ccotel.commands import _stored_sessions
from ccotel.commands._history_store import LazyPrices, input_state, reader_fingerprint, session_stats
from ccotel.commands.local_usage import discover_sessions, map_session, record_from_span
from ccotel.commands.main import main

SUBAGENT_SAMPLE = TRANSCRIPTS / "04-spotter-v2.1.39-subagent-compaction"
TOOL_HEAVY = TRANSCRIPTS / "03-spotter-v2.1.38-tool-heavy"


def printed(capsys: pytest.CaptureFixture[str], projects: Path, *flags: str) -> str:
    capsys.readouterr()
    assert main(["report", "--json", "--projects-dir", str(projects), *flags]) == 0
    return capsys.readouterr().out


def report(capsys: pytest.CaptureFixture[str], projects: Path, *flags: str) -> dict:
    return json.loads(printed(capsys, projects, *flags))


def sample_records(sample: Path) -> list[SpanRecord]:
    """One session's priced records, as the report reads them without the store."""
    table = load_price_table()
    files = next(discover_sessions([sample / "projects"]))
    spans = map_session(files)
    return [price_record(record_from_span(span, files.session_id, files.project_dir), table) for span in spans]


def turns_in_time_order(records: list[SpanRecord]) -> list[list[SpanRecord]]:
    """The records cut into runs of whole turns (traces) that follow one another."""
    ordered = time_order(records)
    cuts = [0]
    for index in range(1, len(ordered)):
        if follows(ordered[:index], ordered[index:]):
            cuts.append(index)
    return [ordered[start:end] for start, end in zip(cuts, [*cuts[1:], len(ordered)], strict=True)]


@pytest.mark.parametrize("sample", [SUBAGENT_SAMPLE, TOOL_HEAVY], ids=lambda path: path.name[:2])
def test_a_fold_continued_turn_by_turn_equals_one_pass(sample: Path) -> None:
    records = sample_records(sample)
    categories = load_tool_categories()
    pieces = turns_in_time_order(records)
    assert len(pieces) >= 3  # the sample has turns that can be added one after another
    fold = SessionFold()
    for piece in pieces:
        assert fold.fits(piece)
        fold.add(piece, categories)
        fold = pickle.loads(pickle.dumps(fold))  # what the store keeps between runs
    assert fold.facts == summarise_session(records, categories)
    assert fold.tip_facts == session_tip_facts(records, categories)
    assert len(fold) == len(records) and sorted(fold.calls) == sorted(r.call_key for r in records if r.call_key)


def test_a_fold_refuses_records_that_reach_back() -> None:
    records = time_order(sample_records(SUBAGENT_SAMPLE))
    categories = load_tool_categories()
    half = len(records) // 2
    while not follows(records[:half], records[half:]):
        half += 1
    fold = SessionFold()
    fold.add(records[:half], categories)
    later = records[half:]
    assert fold.fits(later)
    assert not fold.fits(records[half - 1 :])  # earlier than the last record in (and of a turn already in)
    same_turn = [record for record in records[:half] if record.trace_id == records[half - 1].trace_id][-1]
    from dataclasses import replace

    moved = replace(same_turn, start=later[-1].end, end=later[-1].end, span_id="f" * 16)
    assert not fold.fits([moved])  # later in time, but of a turn already in
    child = replace(later[0], parent_id=records[0].span_id, trace_id="e" * 32)
    assert not fold.fits([child])  # a new turn whose parent is a record already in


@pytest.mark.parametrize("step", [1, 200])
def test_growing_sessions_continue_their_checkpoint_without_reading_old_chunks(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: int
) -> None:
    """Transcripts written a few lines at a time; after each write the report equals a full read. Once a
    checkpoint exists, the chunks it covers are overwritten with junk: the next runs must not need them.
    step: records added before a checkpoint is stored again (200: it stays behind, the runs add the rest)."""
    monkeypatch.setattr(_stored_sessions, "CHECKPOINT_RECORDS", 1)
    monkeypatch.setattr(_stored_sessions, "CHECKPOINT_STEP", step)
    copy = tmp_path / "samples"
    for sample in (SUBAGENT_SAMPLE, TOOL_HEAVY):
        shutil.copytree(sample / "projects", copy, dirs_exist_ok=True)
    whole = {path: path.read_bytes() for path in sorted(copy.rglob("*.jsonl"))}
    for path in whole:
        path.write_bytes(b"")
    steps = 7
    continued = 0
    for step in range(1, steps + 1):
        for path, data in whole.items():
            lines = data.splitlines(keepends=True)
            path.write_bytes(b"".join(lines[: len(lines) * step // steps]))
        assert report(capsys, copy) == report(capsys, copy, "--no-cache"), step
        with sqlite3.connect(state_dir / FILE_NAME) as db:
            covered = db.execute("SELECT key, chunks FROM checkpoints").fetchall()
            for key, chunks in covered:
                db.execute("UPDATE chunks SET data = ? WHERE key = ? AND seq < ?", (b"junk", key, chunks))
                continued += chunks
        db.close()
    assert continued > (len(whole) if step == 1 else 0)  # checkpoints were made (and moved forward, by 1)


def _replayed_turn(lines: list[bytes]) -> bytes:
    """A turn from the middle of a transcript written again at its end: new uuids and message ids, old times."""
    prompts = [
        index for index, line in enumerate(lines)
        if (row := json.loads(line)).get("type") == "user" and isinstance(row["message"].get("content"), str)
    ]
    start, end = prompts[len(prompts) // 2], prompts[len(prompts) // 2 + 1]
    out = []
    for line in lines[start:end]:
        row = json.loads(line)
        row["uuid"] = row["uuid"][:-4] + "beef"
        row["parentUuid"] = row["parentUuid"] and row["parentUuid"][:-4] + "beef"
        if isinstance(row.get("message"), dict) and "id" in row["message"]:
            row["message"]["id"] += "_late"
        out.append(json.dumps(row).encode() + b"\n")
    return b"".join(out)


def test_records_that_reach_back_into_a_checkpoint_read_the_session_again(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stored_sessions, "CHECKPOINT_RECORDS", 1)
    monkeypatch.setattr(_stored_sessions, "CHECKPOINT_STEP", 1)
    copy = tmp_path / "sample"
    shutil.copytree(TOOL_HEAVY / "projects", copy)
    transcript = next(copy.rglob("*.jsonl"))
    report(capsys, copy)
    with sqlite3.connect(state_dir / FILE_NAME) as db:
        assert db.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 1
    db.close()
    with transcript.open("ab") as handle:
        handle.write(_replayed_turn(transcript.read_bytes().splitlines(keepends=True)))
    expected = report(capsys, copy, "--no-cache")
    assert report(capsys, copy) == expected
    assert expected["totals"]["turns"] == report(capsys, TOOL_HEAVY / "projects", "--no-cache")["totals"]["turns"] + 1


def test_the_last_report_is_printed_again_only_while_nothing_changed(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "samples"
    shutil.copytree(TOOL_HEAVY / "projects", copy)
    first = printed(capsys, copy)
    assert printed(capsys, copy) == first == printed(capsys, copy, "--no-cache")
    with sqlite3.connect(state_dir / FILE_NAME) as db:  # mark the kept text: the next run must print it as is
        assert db.execute("UPDATE outputs SET text = text || ' '").rowcount == 1
    db.close()
    assert printed(capsys, copy) == first + " "
    assert printed(capsys, copy, "--until", "2099-01-01") == first.replace(  # other arguments: computed
        '"until": null', '"until": "2099-01-01"'
    )
    transcript = next(copy.rglob("*.jsonl"))
    transcript.touch()  # same content, newer mtime: computed again
    assert printed(capsys, copy) == first
    shutil.copytree(SUBAGENT_SAMPLE / "projects", copy, dirs_exist_ok=True)  # a new session
    both = report(capsys, copy)
    assert both == report(capsys, copy, "--no-cache") and len(both["sessions"]) == 2
    html = tmp_path / "report.html"
    assert json.loads(printed(capsys, copy, "--html", str(html))) == both
    assert html.is_file()


def _input_state(projects: Path) -> str | None:
    sessions = list(discover_sessions([projects]))
    return input_state(sessions, session_stats(sessions))


def test_the_input_state_follows_every_file(tmp_path: Path) -> None:
    copy = tmp_path / "sample"
    shutil.copytree(SUBAGENT_SAMPLE / "projects", copy)
    state = _input_state(copy)
    assert state is not None and _input_state(copy) == state
    agent = next(copy.rglob("agent-*.jsonl"))
    with agent.open("ab") as handle:
        handle.write(b"\n")
    grown = _input_state(copy)
    assert grown != state
    agent.unlink()
    assert _input_state(copy) not in (state, grown, None)
    sessions = list(discover_sessions([copy]))
    taken = session_stats(sessions)
    next(copy.rglob("*.jsonl")).unlink()  # vanished after discovery: no state, so no shortcut
    assert input_state(sessions, session_stats(sessions)) is None and input_state(sessions, taken) is not None


def test_the_parsed_price_table_is_kept_in_the_store(state_dir: Path) -> None:
    state_dir.mkdir()
    with ReportStore(state_dir / FILE_NAME, reader_fingerprint()) as store:
        assert store.blob("price_table") is None
        loaded = LazyPrices(store).get()
        assert store.blob("price_table") is not None
    with ReportStore(state_dir / FILE_NAME, reader_fingerprint()) as store:
        kept = LazyPrices(store).get()
    assert kept == loaded == load_price_table()
    model = "claude-sonnet-4-5-20250929"
    assert kept.find_model(model) == load_price_table().find_model(model) is not None


def test_two_processes_read_a_cold_store_to_the_same_report(
    capsys: pytest.CaptureFixture[str], state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions read by this process and a forked helper: the report is the one a single process gives."""
    copy = tmp_path / "samples"
    for sample in sorted(path for path in TRANSCRIPTS.iterdir() if path.is_dir()):
        shutil.copytree(sample / "projects", copy, dirs_exist_ok=True)
    expected = printed(capsys, copy, "--no-cache")
    monkeypatch.setattr(_stored_sessions, "PARALLEL_BYTES", 0)
    workers = tmp_path / "workers"
    workers.mkdir()
    real = _stored_sessions._read_items

    def logged(*args: object) -> None:  # which processes read sessions (the helper cannot report otherwise)
        (workers / str(os.getpid())).write_text("started")
        real(*args)  # type: ignore[arg-type]
        (workers / str(os.getpid())).write_text("done")

    monkeypatch.setattr(_stored_sessions, "_read_items", logged)
    assert printed(capsys, copy) == expected
    done = {path.name: path.read_text() for path in workers.iterdir()}
    assert len(done) == 2 and set(done.values()) == {"done"} and str(os.getpid()) in done
    assert printed(capsys, copy) == expected
