"""transcript.py: line splitting, tolerant parsing, timestamps, which user lines start a turn."""

from __future__ import annotations

import calendar
import json
import random
from datetime import UTC, datetime, timedelta

from conftest import TRANSCRIPTS
from mapping_support import read_rows

from ccotel.hook.transcript import is_prompt, parse_line, prompt_kind, split_complete_lines, timestamp_ns


def test_split_keeps_the_partial_tail() -> None:
    assert split_complete_lines(b'{"a":1}\n{"b":2}\n{"c"') == ([b'{"a":1}', b'{"b":2}'], b'{"c"')
    assert split_complete_lines(b'{"a":1}\n') == ([b'{"a":1}'], b"")
    assert split_complete_lines(b"no newline yet") == ([], b"no newline yet")
    assert split_complete_lines(b"") == ([], b"")


def test_split_drops_blank_lines_and_carriage_returns() -> None:
    assert split_complete_lines(b'{"a":1}\r\n\n   \n{"b":2}\n') == ([b'{"a":1}', b'{"b":2}'], b"")


def test_parse_line_accepts_objects_only() -> None:
    assert parse_line(b'{"type":"user","n":1}') == {"type": "user", "n": 1}
    for garbage in (b"", b"   ", b"not json", b"[1,2]", b'"text"', b"42", b"null", b'{"open":', b"\x00\x01"):
        assert parse_line(garbage) is None, garbage


def test_parse_line_survives_invalid_utf8_and_deep_nesting() -> None:
    row = parse_line(b'{"text":"caf\xff\xfe!"}')
    assert row == {"text": "caf\ufffd\ufffd!"}
    assert parse_line(b"[" * 100_000 + b"]" * 100_000) is None


def test_timestamp_ns_matches_calendar() -> None:
    expected = calendar.timegm((2026, 2, 10, 21, 11, 56, 0, 0, 0)) * 10**9 + 846 * 10**6
    assert timestamp_ns({"timestamp": "2026-02-10T21:11:56.846Z"}) == expected
    assert timestamp_ns({"timestamp": "2026-02-10T22:11:56.846+01:00"}) == expected
    for bad in (None, 5, "", "yesterday", "2026-13-45T00:00:00Z"):
        assert timestamp_ns({"timestamp": bad}) is None


def _by_datetime(stamp: str) -> int | None:
    """The oracle: the standard library's ISO parser and calendar arithmetic."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


def test_timestamp_ns_agrees_with_datetime_on_claude_codes_form_and_near_it() -> None:
    """The hook parses `YYYY-MM-DDTHH:MM:SS.mmmZ` itself (no datetime import on its run): on every day of
    many years, leap rules, impossible dates and other forms, it gives exactly what datetime gives."""
    rng = random.Random(7)
    stamps = [f"{year:04d}-{month:02d}-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
              f"{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z"
              for year in (1, 4, 100, 1600, 1900, 1969, 1970, 2000, 2024, 2025, 2026, 2100, 2400, 9999)
              for month in range(1, 13) for day in range(1, 32)]
    stamps += [f"{rng.randrange(1, 10000):04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
               f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z"
               for _ in range(5000)]
    stamps += [stamp[:19] + end for stamp in stamps[::7] for end in ("Z", "z", "+", "0")]  # whole seconds
    stamps += ["0000-01-01T00:00:00.000Z", "2026-02-10T24:00:00.000Z", "2026-02-10T23:60:00.000Z",
               "2026-02-10T23:59:60.000Z", "2026-00-10T00:00:00.000Z", "2026-02-00T00:00:00.000Z",
               "2026-02-1０T00:00:00.000Z", "2026-02-10 21:11:56.846Z", "2026-02-10T21:11:56.846z",
               "2026-02-10T21:11:56,846Z", "2026-02-10T21:11:56Z", "2026-02-10T21:11:56.846123Z",
               "2026-02-10T21:11:56.846+00:00", "2026-02-10T21:11:56.846-07:30", "2026-02-10",
               "+026-02-10T00:00:00.000Z"]
    # days already seen, with hours good and bad
    stamps += [f"{stamp[:11]}{hour:02d}{stamp[13:]}" for stamp in stamps[:500] for hour in (0, 23, 24, 99)]
    disagreements = [stamp for stamp in stamps + stamps if timestamp_ns({"timestamp": stamp}) != _by_datetime(stamp)]
    assert disagreements == []
    assert sum(_by_datetime(stamp) is None for stamp in stamps) > 100  # impossible dates were among them


def _main_rows(sample: str) -> list[dict]:
    (main,) = sorted((TRANSCRIPTS / sample / "projects").glob("*/*.jsonl"))
    return read_rows(main)


def test_prompts_of_the_samples() -> None:
    """Hand-read: which user lines of each sample the person typed (by their first characters)."""
    expected = {
        "01-sniffly-v1.0.17-tool-errors": ["push to github", "continue"],
        "02-spotter-v2.1.38-short": ["mix phx.server doesnt seem to start"],
        "03-spotter-v2.1.38-tool-heavy": ["start phoenix in background", "<command-name>/mcp</command-name>",
                                          "scrolling back in xterm.js still does not work"],
        "04-spotter-v2.1.39-subagent-compaction": ["Work on bead spotter-dov.", "continue", "<task-notification>"],
    }
    for sample, prefixes in expected.items():
        prompts = [row["message"]["content"] for row in _main_rows(sample) if is_prompt(row)]
        assert len(prompts) == len(prefixes), sample
        for prompt, prefix in zip(prompts, prefixes, strict=True):
            assert isinstance(prompt, str) and prompt.startswith(prefix), (sample, prompt[:60])


def test_not_prompts() -> None:
    base = {"type": "user", "uuid": "u"}
    assert not is_prompt({**base, "message": {"content": "[Request interrupted by user for tool use]"}})
    assert not is_prompt({**base, "message": {"content": [{"type": "text", "text": "[Request interrupted by user]"}]}})
    assert not is_prompt({**base, "message": {"content": "<local-command-stdout>ok</local-command-stdout>"}})
    assert not is_prompt({**base, "isMeta": True, "message": {"content": "<system-reminder>x</system-reminder>"}})
    assert not is_prompt({**base, "isCompactSummary": True, "message": {"content": "This session is being…"}})
    assert not is_prompt({**base, "isSidechain": True, "message": {"content": "subagent prompt"}})
    assert not is_prompt({**base, "message": {"content": [{"type": "tool_result", "tool_use_id": "t"}]}})
    assert not is_prompt({**base, "message": {"content": [1, None, "x"]}})
    assert not is_prompt({**base, "message": "oops"})
    assert not is_prompt({"type": "assistant", "message": {"content": "hello"}})
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
    assert is_prompt({**base, "message": {"content": [image]}})


def test_prompt_kind() -> None:
    def row(text: str) -> dict:
        return json.loads(json.dumps({"type": "user", "message": {"content": text}}))

    assert prompt_kind(row("fix the bug")) == "prompt"
    assert prompt_kind(row("<command-name>/mcp</command-name>")) == "command"
    assert prompt_kind(row("<task-notification>\n<task-id>b1</task-id>")) == "task_notification"
