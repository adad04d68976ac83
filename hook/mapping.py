"""Transcript rows -> span model, incrementally. Pure: no I/O, no clock, no environment.

INTERFACE CONTRACT (implemented by the mapping work; called by ccotel.hook.runner and backfill):

    options = MappingOptions(content="full", max_content_chars=20000, user_id="alice")
    mapper = SessionMapper(session_id, options, state=previous_state_or_None)
    mapper.feed("main", rows)                 # rows: parsed JSON objects of the session transcript, file order
    mapper.feed("agent-a2898e3", rows)        # rows of <session>/subagents/agent-a2898e3.jsonl
    mapper.feed_meta("a2898e3", meta_dict)    # contents of agent-<id>.meta.json, when the file exists
    spans = mapper.collect(turn_closed=..., final=...)
    new_state = mapper.state                  # JSON-serialisable dict; persisted by the runtime

- collect() returns every span that became complete since the last collect() and was not returned
  before (the emitted set is part of the state); finished turns are dropped from the state.
- turn_closed=True: the Stop hook confirmed that the current (last) turn is over.
- final=True: SessionEnd / backfill of a finished file: close everything that is open.
- Feeding the same rows twice (a re-read from offset 0 after a transcript shrank) returns nothing new.
- last_assistant_text(): text of the newest assistant text block seen in "main" (the runtime compares
  it with the Stop payload's last_assistant_message to decide whether the turn is on disk yet).
"""

from __future__ import annotations
