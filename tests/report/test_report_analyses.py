"""The report's analyses on small transcripts written here; every expected figure is worked out by hand.

Prices used by hand (claude-sonnet-4-5, USD per million tokens): input 3, output 15, cache read 0.30,
5-minute cache write 3.75, 1-hour cache write 6.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report.cc_lines import Session, bash, edit, grep, read, write

from ccotel.commands.main import main


def report_json(config_dir: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main(["report", "--projects-dir", str(config_dir / "projects"), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def session_id(n: int) -> str:
    return f"0000000{n}-aaaa-4bbb-8ccc-dddddddddddd"


def test_two_reads_then_an_edit_of_the_same_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = Session(session_id(1))
    s.tool_turn("look at the parser", [read("/src/parser.py")])
    s.tool_turn("look again at the parser", [read("/src/parser.py")])
    s.tool_turn("now change the parser", [edit("/src/parser.py")])
    s.write(tmp_path)
    report = report_json(tmp_path, capsys)
    analyses = report["analyses"]
    assert report["totals"]["turns"] == 3
    assert analyses["read_before_edit"] == {"edits": 1, "edits_after_read": 1, "pct": 100.0}
    # turns 1 and 2 explored (Read), neither edited in the same turn; turn 3 edited without exploring
    assert analyses["exploration_to_edit"] == {"exploration_turns": 2, "converted_turns": 0, "pct": 0.0}
    shares = {c["category"]: (c["calls"], c["pct"]) for c in analyses["tool_categories"]}
    assert shares["read/search"] == (2, 66.7) and shares["edit/write"] == (1, 33.3) and shares["execute"] == (0, 0.0)
    assert [b["sessions"] for b in analyses["turns_per_session"]] == [0, 1, 0, 0, 0]
    bucket = next(p for p in analyses["productivity_by_length"] if p["bucket"] == "2-3 turns")
    assert bucket == {
        "bucket": "2-3 turns",
        "sessions": 1,
        "turns": 3,
        "edits": 1,
        "reads": 2,
        "edits_per_turn": 0.3333,
        "read_write_ratio": 2.0,
    }
    # 6 calls (one asking for the tool, one closing) of 10 input + 5 output tokens: 6 * (30 + 75) / 1e6
    assert report["totals"]["input_tokens"] == 60 and report["totals"]["output_tokens"] == 30
    assert report["totals"]["cost_usd"] == pytest.approx(0.00063)


def test_exploration_conversion_errors_and_unread_edits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = Session(session_id(2))
    s.tool_turn(
        "find where the config is loaded and fix it",
        [grep("load_config"), read("/p/config.py"), edit("/p/config.py"), edit("/p/other.py")],
        errors=(3,),
    )
    s.tool_turn("add a test for the loader", [write("/p/test_config.py"), bash("pytest")], errors=(1,))
    s.write(tmp_path)
    analyses = report_json(tmp_path, capsys)["analyses"]
    # edits with a path: config.py (read before), other.py (never read), test_config.py (new file)
    assert analyses["read_before_edit"] == {"edits": 3, "edits_after_read": 1, "pct": 33.3}
    assert analyses["exploration_to_edit"] == {"exploration_turns": 1, "converted_turns": 1, "pct": 100.0}
    assert {c["category"]: c["calls"] for c in analyses["tool_categories"]} == {
        "read/search": 2,
        "edit/write": 3,
        "execute": 1,
        "web": 0,
        "agent/task": 0,
        "mcp": 0,
        "other": 0,
    }
    assert analyses["tool_errors"] == [
        {"tool": "Bash", "errors": 1, "calls": 1, "error_rate": 1.0},
        {"tool": "Edit", "errors": 1, "calls": 2, "error_rate": 0.5},
    ]
    bucket = next(p for p in analyses["productivity_by_length"] if p["bucket"] == "2-3 turns")
    assert (bucket["edits_per_turn"], bucket["read_write_ratio"]) == (1.5, 0.3333)


def test_repeated_prompts_days_and_projects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = Session(session_id(3))
    first.prompt("Run the tests and fix failures")
    first.call()
    first.prompt("yes")  # one word: not a candidate for a skill
    first.call()
    first.write(tmp_path)
    second = Session(session_id(4), start=first.start.replace(day=2))
    second.prompt("run the tests and fix failures!")
    second.call()
    second.write(tmp_path)
    third = Session(session_id(5), cwd="/home/user/other", start=first.start.replace(day=2, hour=23))
    third.prompt("  Run the TESTS and fix   failures.")
    third.call(input_tokens=1000, output_tokens=100)
    for _ in range(2):  # a slash command is already a shortcut: not counted as a repeated ask
        third.prompt("<command-name>/review</command-name>\n<command-message>review</command-message>")
        third.call()
    third.write(tmp_path, "-home-user-other")
    report = report_json(tmp_path, capsys)
    assert report["analyses"]["repeated_prompts"] == [
        {"prompt": "run the tests and fix failures", "count": 3, "sessions": 3}
    ]
    days = {d["date"]: (d["calls"], d["input_tokens"], d["output_tokens"]) for d in report["days"]}
    assert days == {"2026-10-01": (2, 20, 10), "2026-10-02": (4, 10 + 1000 + 20, 5 + 100 + 10)}
    projects = {p["project"]: (p["sessions"], p["turns"], p["calls"]) for p in report["projects"]}
    assert projects == {"demo": (2, 3, 3), "other": (1, 3, 3)}
    # the most expensive turn: 1000 * 3 + 100 * 15 = 4500 per million
    top = report["analyses"]["expensive_turns"][0]
    assert (top["session_id"], top["turn_index"]) == (session_id(5), 1)
    assert top["cost_usd"] == pytest.approx(0.0045)
    only_other = report_json(tmp_path, capsys, "--project", "other", "--since", "2026-10-02")
    assert [s["session_id"] for s in only_other["sessions"]] == [session_id(5)]


def test_cache_savings_and_unknown_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = Session(session_id(6))
    s.prompt("summarise the design")
    s.call(input_tokens=100, output_tokens=200, cache_read=10_000, cache_write_5m=1000)
    s.call(input_tokens=50, output_tokens=0, cache_write_1h=2000)
    s.write(tmp_path)
    unknown = Session(session_id(7))
    unknown.prompt("hello there")
    unknown.call(input_tokens=1000, output_tokens=1000, model="claude-foo-9-20990101")
    unknown.write(tmp_path)
    report = report_json(tmp_path, capsys)
    priced = next(s for s in report["sessions"] if s["session_id"] == session_id(6))
    # actual: (100*3 + 200*15 + 10000*0.3 + 1000*3.75) + (50*3 + 2000*6) = 10050 + 12150 per million
    assert priced["cost_usd"] == pytest.approx(0.0222)
    # with no cache: (11100*3 + 200*15) + 2050*3 = 36300 + 6150 per million; saved 0.04245 - 0.0222
    assert priced["cache"]["cost_without_cache_usd"] == pytest.approx(0.04245)
    assert priced["cache"]["saved_usd"] == pytest.approx(0.02025)
    assert priced["cache"]["hit_ratio"] == round(10_000 / 13_150, 4)
    assert (priced["cache_creation_tokens"], priced["cache_read_tokens"]) == (3000, 10_000)
    other = next(s for s in report["sessions"] if s["session_id"] == session_id(7))
    assert other["cost_usd"] is None and other["unpriced_models"] == ["claude-foo-9-20990101"]
    assert report["totals"]["cost_usd"] == pytest.approx(0.0222)
    assert report["totals"]["unpriced_calls"] == 1
    assert report["cache"]["saved_usd"] == pytest.approx(0.02025)  # only calls with both prices count


def test_context_growth_and_a_compaction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = Session(session_id(8))
    s.prompt("keep going")
    for cache_read in (20_000, 40_000, 60_000, 5000):  # context 20010, 40010, 60010, then 5010: compacted
        s.call(input_tokens=10, cache_read=cache_read)
        if cache_read == 40_000:  # an API error line without usage is no call and no drop in context
            s.call(input_tokens=0, output_tokens=0, model="<synthetic>")
    s.write(tmp_path)
    analyses = report_json(tmp_path, capsys)["analyses"]
    assert analyses["context_growth"] == [
        {
            "session_id": session_id(8),
            "project": "demo",
            "calls": 4,
            "first_context_tokens": 20_010,
            "peak_context_tokens": 60_010,
            "last_context_tokens": 5010,
            "mean_context_tokens": 31_260,
            "compactions": 1,
        }
    ]
    assert analyses["compactions"] == {"total": 1, "sessions": 1}


def test_long_lists_are_cut_in_text_but_complete_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for number in range(17):  # 17 projects, one session each; the text shows 15 of each list
        s = Session(f"{number:08d}-aaaa-4bbb-8ccc-dddddddddddd", cwd=f"/home/user/p{number}")
        s.prompt("hello there")
        s.call(input_tokens=10 + number)
        s.write(tmp_path, f"-home-user-p{number}")
    assert main(["report", "--projects-dir", str(tmp_path / "projects")]) == 0
    text = capsys.readouterr().out
    assert "  ... 2 more projects (--json lists them all)" in text
    assert "  ... 2 more sessions (--json lists them all)" in text
    report = report_json(tmp_path, capsys)
    assert len(report["projects"]) == 17 and len(report["sessions"]) == 17
    assert report["analyses"]["repeated_prompts"] == [{"prompt": "hello there", "count": 17, "sessions": 17}]
