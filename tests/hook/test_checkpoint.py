"""checkpoint.py: the long lists written last and only what a run added re-encoded, the same object as a full
encode, version 1 read; and a real session's checkpoints over many runs, spliced, equal to full encodes."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from ccotel.hook import _emission
from ccotel.hook.checkpoint import STATE_VERSION, CheckpointCodec


def _state(rng: random.Random) -> dict[str, Any]:
    return {"v": STATE_VERSION, "session_id": "s", "seq": 3, "files": {"main": {"offset": 10}}, "meta": {},
            "mapper": {"v": 1, "turns": [], "turn_count": 2,
                       "closed": [[f"prompt-{n}", 1_770_000_000_000_000_000 + n] for n in range(rng.randrange(4))],
                       "chats": [f"{n:012x}" for n in range(rng.randrange(4))], "tools": [],
                       "title": "naïve \"quoted\" \\ text\nwith a newline \ud800"}}


def test_spliced_checkpoints_are_the_full_encoding_through_appends_trims_and_rereads() -> None:
    """Against the oracle (json.loads of a full encode of the same state): appends, trims at the lists' front,
    a list replaced, checkpoints read back by a new codec, and the other fields changing too."""
    rng = random.Random(11)
    for _ in range(30):
        state = _state(rng)
        codec = CheckpointCodec()
        written = codec.encode(state)
        for step in range(40):
            for action in rng.choices(range(6), k=rng.randrange(1, 4)):  # a run does several things
                _act(rng, state, step, action)
            if rng.random() < 0.2:  # a new run: read what was written, go on from there
                codec = CheckpointCodec()
                state = codec.decode(written)
                continue
            written = codec.encode(state)
            assert json.loads(written) == json.loads(CheckpointCodec().encode(state))
            assert CheckpointCodec().decode(written) == state


def _act(rng: random.Random, state: dict[str, Any], step: int, action: int) -> None:
    mapper = state["mapper"]
    if action == 0:
        mapper["chats"].extend(f"{rng.getrandbits(48):012x}" for _ in range(rng.randrange(3)))
    elif action == 1:
        mapper["closed"].append([f"p-{step}-\u00e9\"{rng.random()}", rng.getrandbits(62)])
    elif action == 2:
        _emission.trim(mapper["chats"], 2)
        del mapper["closed"][: rng.randrange(2)]
    elif action == 3:
        mapper["tools"] = [f"first-{step}", *mapper["tools"][1:], f"tool-{step}"]  # another list, another first
    else:
        state["seq"] += 1
        mapper["turn_count"] += 1


def test_a_version_1_checkpoint_is_read_and_written_again_as_version_2() -> None:
    version_1 = {"v": 1, "session_id": "s", "seq": 1, "files": {}, "meta": {},
                 "mapper": {"v": 1, "closed": [["p", 5]], "chats": ["aaaaaaaaaaaa"], "tools": ["bbbbbbbbbbbb"]}}
    codec = CheckpointCodec()
    state = codec.decode(json.dumps(version_1).encode())
    assert state == {**version_1, "v": 2}
    written = json.loads(codec.encode(state))
    assert written["v"] == 2 and written["memory"] == {"closed": [["p", 5]], "chats": ["aaaaaaaaaaaa"],
                                                      "tools": ["bbbbbbbbbbbb"]}
    assert "closed" not in written["mapper"] and list(written)[-2:] == ["memory_bytes", "memory"]


def test_a_damaged_tail_is_encoded_anew_and_a_wrong_version_refused() -> None:
    codec = CheckpointCodec()
    state = _state(random.Random(1))
    state["mapper"]["chats"] = ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    written = json.loads(codec.encode(state))
    written["memory_bytes"] = [1, 2, 3]  # lengths that do not fit: no text is trusted
    reread = CheckpointCodec()
    state = reread.decode(json.dumps(written, separators=(",", ":")).encode())
    state["mapper"]["chats"].append("cccccccccccc")
    assert json.loads(reread.encode(state))["memory"]["chats"] == ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]
    with pytest.raises(ValueError, match="version"):
        CheckpointCodec().decode(b'{"v": 3}')
