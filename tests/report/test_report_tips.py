"""Tips on small fixtures whose answers are worked out by hand from the published prices (per MTok):

    claude-sonnet-4-5: input $3, output $15, cache read $0.30, 5-minute cache write $3.75
    claude-opus-4-5:   input $5, output $25, cache read $0.50, 5-minute cache write $6.25

Each fixture shows one pattern; the others are absent, so the report must show exactly one tip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report.cc_lines import Session, edit, grep, read

from ccotel.commands.main import main

OPUS = "claude-opus-4-5-20251101"
MONEY = 1e-6  # the report rounds dollars to 6 decimals


def tips_of(config: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> list[dict]:
    capsys.readouterr()
    assert main(["report", "--json", "--projects-dir", str(config / "projects"), *flags]) == 0
    return json.loads(capsys.readouterr().out)["tips"]


def sid(number: int) -> str:
    return f"{number:08d}-0000-4000-8000-00000000000{number % 10}"


def test_cache_expiry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paused = Session(sid(1))
    paused.prompt("first question about the parser")
    paused.call(cache_write_5m=10_000)  # context 10 + 10,000
    paused._clock += 600  # a 10-minute pause: the 5-minute cache expired
    paused.prompt("second question about the parser")
    paused.call(cache_write_5m=30_000)  # re-writes the 10,010 tokens that were cached (context 30,010)
    paused._clock += 7200  # two hours
    paused.prompt("third question about the parser")
    paused.call(cache_write_5m=5_000, cache_read=25_000)  # 5,000 re-written
    paused.write(tmp_path)
    steady = Session(sid(2))  # pauses under five minutes: no tip for this session
    steady.prompt("one question")
    steady.call(cache_write_5m=10_000)
    steady._clock += 200
    steady.prompt("another question")
    steady.call(cache_write_5m=2_000, cache_read=10_010)
    steady.write(tmp_path)

    tips = tips_of(tmp_path, capsys)
    assert [tip["kind"] for tip in tips] == ["cache_expiry"]
    tip = tips[0]
    first, second = 10_010 * (3.75 - 0.30) / 1e6, 5_000 * (3.75 - 0.30) / 1e6  # 0.0345345, 0.01725
    assert tip["dollars"] == pytest.approx(first + second, abs=MONEY)
    assert tip["sessions"] == [sid(1)]
    assert tip["figures"] == {"pauses": 2, "pauses_within_1h": 1, "dollars_within_1h": pytest.approx(first, abs=MONEY)}
    assert tip["evidence"] == [
        {
            "session_id": sid(1),
            "pauses": 2,
            "longest_pause_minutes": 120.0,  # 7,200 s + the prompt's and the call's second
            "rewritten_tokens": 15_010,
            "dollars": pytest.approx(first + second, abs=MONEY),
            "pauses_within_1h": 1,
        }
    ]


def test_model_choice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = Session(sid(3))
    session.prompt("where is the retry logic")  # read/search only, all on Opus: the tip's turn
    ids = session.call(tools=[grep("retry"), read("/src/net.py")], input_tokens=1000, output_tokens=200, model=OPUS)
    for tool_id in ids:
        session.result(tool_id)
    session.call(text="here", input_tokens=100, output_tokens=50, model=OPUS)
    session.prompt("now fix it")  # edits on Opus: not a tip
    ids = session.call(tools=[read("/src/net.py"), edit("/src/net.py")], input_tokens=1000, model=OPUS)
    for tool_id in ids:
        session.result(tool_id)
    session.call(text="fixed", model=OPUS)
    session.prompt("where are the tests")  # read-only on Sonnet already: not a tip
    ids = session.call(tools=[grep("test_")], input_tokens=1000)
    session.result(ids[0])
    session.call(text="there")
    session.write(tmp_path)

    tips = tips_of(tmp_path, capsys)
    assert [tip["kind"] for tip in tips] == ["model_choice"]
    opus = (1000 * 5 + 200 * 25) / 1e6 + (100 * 5 + 50 * 25) / 1e6  # 0.01175
    sonnet = (1000 * 3 + 200 * 15) / 1e6 + (100 * 3 + 50 * 15) / 1e6  # 0.00705
    assert tips[0]["dollars"] == pytest.approx(opus - sonnet, abs=MONEY)
    [row] = tips[0]["evidence"]
    assert row["session_id"] == sid(3) and row["turn_index"] == 1
    assert row["cost_usd"] == pytest.approx(opus, abs=MONEY)
    assert row["next_model_cost_usd"] == pytest.approx(sonnet, abs=MONEY)
    assert row["next_model_down"].startswith("claude-sonnet-4-5")


def test_repeated_prompts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for number in range(4, 7):
        session = Session(sid(number))
        session.prompt("Run the full test suite, please!")
        session.call(input_tokens=1000, output_tokens=100)  # $0.0045
        session.prompt("<command-name>/clear</command-name>")  # a slash command, not a typed ask
        session.call()
        if number == 4:
            session.prompt("something asked only once")
            session.call(input_tokens=1000, output_tokens=100)
        session.write(tmp_path)

    tips = tips_of(tmp_path, capsys)
    assert [tip["kind"] for tip in tips] == ["repeated_prompts"]
    assert tips[0]["dollars"] == pytest.approx(3 * (1000 * 3 + 100 * 15) / 1e6, abs=MONEY)  # 0.0135
    assert tips[0]["sessions"] == [sid(4), sid(5), sid(6)]
    assert [(row["prompt"], row["count"], row["sessions"]) for row in tips[0]["evidence"]] == [
        ("run the full test suite please", 3, 3)
    ]
    assert tips_of(tmp_path, capsys, "--min-repeats", "4") == []


def test_productivity_cliff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    turn_cost = (1000 * 3 + 100 * 15) / 1e6 + (10 * 3 + 5 * 15) / 1e6  # the tool call + the closing call: 0.004605
    for number in (7, 8):  # two short sessions: 2 turns, one edit each: 4 edits for 4 turn costs
        session = Session(sid(number))
        for turn in range(2):
            session.tool_turn(f"short task {number} {turn}", [edit(f"/s{number}{turn}.py")], input_tokens=1000,
                              output_tokens=100)
        session.write(tmp_path)
    long = Session(sid(9))
    for turn in range(1, 15):  # 14 turns: turn 13 edits, turn 14 only reads
        tool = read(f"/l{turn}.py") if turn == 14 else edit(f"/l{turn}.py")
        long.tool_turn(f"long task step {turn}", [tool], input_tokens=1000, output_tokens=100)
    long.write(tmp_path)

    tips = tips_of(tmp_path, capsys)
    assert [tip["kind"] for tip in tips] == ["productivity_cliff"]
    rate = 4 / (4 * turn_cost)  # edits per dollar under 13 turns
    assert tips[0]["dollars"] == pytest.approx(2 * turn_cost - 1 / rate, abs=MONEY)  # = one turn's cost
    assert tips[0]["sessions"] == [sid(9)]
    assert tips[0]["figures"]["edits_per_dollar_short_sessions"] == pytest.approx(rate, abs=1e-4)
    [row] = tips[0]["evidence"]
    assert (row["turns"], row["late_turns"], row["late_edits"]) == (14, 2, 1)


def test_tips_in_text_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = Session(sid(1))
    session.prompt("first question about the parser")
    session.call(cache_write_5m=10_000)
    session._clock += 600
    session.prompt("second question about the parser")
    session.call(cache_write_5m=30_000)
    session.write(tmp_path)
    html = tmp_path / "report.html"
    capsys.readouterr()
    assert main(["report", "--projects-dir", str(tmp_path / "projects"), "--html", str(html)]) == 0
    text = capsys.readouterr().out
    section = text[text.index("Tips") :]
    assert "cache_expiry" in section and "$0.03" in section and sid(1)[:8] in section
    page = html.read_text(encoding="utf-8")
    assert 'id="tips"' in page and "cache_expiry" in page and "$0.03" in page
