"""Transcript rows -> span model, incrementally. Pure: no I/O, no clock, no environment.

INTERFACE CONTRACT (implemented here; called by ccotel.hook.runner and backfill):

    options = MappingOptions(content="full", max_content_chars=20000, user_id="alice")
    mapper = SessionMapper(session_id, options, state=previous_state_or_None)
    mapper.feed("main", rows)                 # parsed JSON objects of the session transcript, file order
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

When things become complete: a chat group when a line of another API call (or the next prompt)
follows it in the same file, or on turn_closed/final; a tool call when its tool_result arrives;
a turn's root when the next prompt starts, or on turn_closed/final; a subagent run when its parent
Task/Agent call has its result and the run is over (result status "completed", or its last call
asked for no tool). The compaction call (agent-acompact-*) is a chat span under the root of the
turn whose time range holds it, placed once the main file has moved past it.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable

from ccotel.hook import _emission, _records, _spans, _variants, transcript
from ccotel.hook import semconv as sc
from ccotel.hook._plain import Plain
from ccotel.hook._typing import Any
from ccotel.hook.model import Span

STATE_VERSION = 1
Record = dict[str, Any]


class MappingOptions(Plain):
    """content: "full" | "metadata" (metadata: no gen_ai.*messages / tool args/results) | "prompts" (only the
    turns' prompts and the tool calls' arguments: what `ccotel report` reads, without the cost of rendering every
    call's messages and every tool's result); max_content_chars: per content attribute, cut as valid JSON,
    original length + sha256 kept."""

    __slots__ = ("content", "max_content_chars", "user_id")

    def __init__(self, content: str = "full", max_content_chars: int = 20000, user_id: str | None = None) -> None:
        self.content, self.max_content_chars, self.user_id = content, max_content_chars, user_id


def _fresh_state() -> Record:
    return {"v": STATE_VERSION, "project": None, "turn_count": 0, "turns": [], "skipping": False,
            "last_prompt_ts": None, "main_last": None, "closed": [], "agents": {}, "links": {},
            "task_tools": {}, "meta": {}, "chats": [], "tools": [], "done_agents": {}, "last_text": None,
            "sidechains": {}, "session": {}}


class _ItemKeys:
    """The keys of a list's items as a set, brought up to date with the list instead of scanning it each time
    (a session of thousands of turns would scan them at every prompt). Exact while the list only grows at its
    end; when anything before its old end changed (items removed or trimmed), it is built again."""

    __slots__ = ("items", "key", "keys", "last", "length")

    def __init__(self, key: Callable[[Any], str]) -> None:
        self.key = key
        self.items: list[Any] | None = None
        self.keys: set[str] = set()
        self.last: Any = None
        self.length = 0

    def of(self, items: list[Any]) -> set[str]:
        seen = self.length
        if self.items is not items or seen > len(items) or (seen and items[seen - 1] is not self.last):
            self.items, self.keys, seen = items, set(), 0  # the item at the old end moved: not only appended
        self.keys.update(map(self.key, items[seen:]))
        self.length, self.last = len(items), items[-1] if items else None
        return self.keys


class SessionMapper:
    """Maps one Claude Code session (main file + subagent files) to spans, across hook runs."""

    def __init__(self, session_id: str, options: MappingOptions, state: dict[str, Any] | None = None,
                 *, owned: bool = False) -> None:
        """owned=True: state was just decoded for this mapper alone, which may then change it in place (no copy)."""
        self._session_id = session_id
        self._options = options
        max_chars = max(int(options.max_content_chars), 64)
        self._limits = _records.Limits(max_chars, max(4 * max_chars, 100_000), options.content != "metadata",
                                       calls=options.content == "full")
        self._state: Record = _restore(state, copy=not owned)
        # the prompt uuids of the open (and not yet collected) turns and of the closed ones, without a scan
        self._open_prompts = _ItemKeys(lambda turn: turn["prompt"])
        self._closed_prompts = _ItemKeys(lambda item: item[0])

    @property
    def state(self) -> dict[str, Any]:
        return self._state

    def last_assistant_text(self) -> str | None:
        text = self._state["last_text"]
        return text if isinstance(text, str) else None

    # ---------------------------------------------------------------- feeding

    def feed(self, source: str, rows: list[dict[str, Any]]) -> None:
        """Rows of one file, in file order: source "main" or a subagent file stem "agent-<id>"."""
        if source == "main":
            for row in rows:
                if isinstance(row, dict):
                    self._feed_main_row(row)
        elif source.startswith("agent-") and len(source) > len("agent-"):
            agent_id = source[len("agent-"):]
            for row in rows:
                if isinstance(row, dict):
                    self._feed_agent_row(agent_id, row)

    def feed_meta(self, agent_id: str, meta: dict[str, Any]) -> None:
        """agent-<id>.meta.json: agentType, description and toolUseId (the parent Task/Agent call)."""
        agent_id = agent_id.removeprefix("agent-")
        if not isinstance(meta, dict) or agent_id in self._state["done_agents"]:
            return
        fields = (("type", "agentType"), ("desc", "description"), ("tool", "toolUseId"), ("shape", "requestShape"))
        info = {key: meta[field] for key, field in fields if isinstance(meta.get(field), str)}
        self._state["meta"][agent_id] = info
        if "tool" in info:
            self._state["links"].setdefault(agent_id, {"tool": info["tool"], "status": None})

    def _open_turn(self) -> Record | None:
        turns = self._state["turns"]
        if self._state["skipping"] or not turns or turns[-1]["closed"]:
            return None
        turn: Record = turns[-1]
        return turn

    def _feed_main_row(self, row: Record) -> None:
        state = self._state
        kind = row.get("type")
        if state["project"] is None and isinstance(row.get("cwd"), str) and row["cwd"]:
            state["project"] = posixpath.basename(row["cwd"].replace("\\", "/").rstrip("/")) or row["cwd"]
        ts = transcript.timestamp_ns(row)
        if kind in ("user", "assistant") and ts is not None:
            state["main_last"] = ts if state["main_last"] is None else max(state["main_last"], ts)
        if row.get("isSidechain") is True and kind in ("user", "assistant"):  # 1.0.x: a subagent, inline
            open_turn = self._open_turn()
            agent_id = _variants.inline_agent(state, row, open_turn["prompt"] if open_turn else None)
            if agent_id is not None:
                self._feed_agent_row(agent_id, row)
            return
        if kind in _variants.SESSION_LINES:
            _variants.session_line(state["session"], row)
            return
        if kind == "user" and transcript.is_prompt(row):
            self._start_turn(row, ts)
            return
        turn = self._open_turn()
        if turn is None:
            latest = self._latest_prompt()
            if state["skipping"] or kind not in ("user", "assistant"):
                return
            if latest is None:  # no prompt before it in this file (resumed, continued, headless): a turn anyway
                if kind != "assistant" or transcript.group_key(row) is None:
                    return
                turn = self._start_turn_without_prompt(row, ts)
            else:
                turn = self._continue_turn(*latest)  # rows after Stop: a Stop hook made Claude go on
        if kind == "user":
            self._absorb_user(turn, row)
        elif kind == "system":
            if row.get("subtype") == "api_error":
                _records.absorb_api_error(turn, row)
        elif kind == "assistant":
            self._absorb_assistant(turn, row, "t:" + turn["prompt"])
            for block in transcript.content_blocks(row):
                if transcript.block_type(block) == "text" and isinstance(block.get("text"), str) \
                        and block["text"].strip():
                    state["last_text"] = block["text"]
        elif kind == "progress":
            self._progress_link(row)

    def _start_turn_without_prompt(self, row: Record, ts: int | None) -> Record:
        """A turn whose prompt is not in the file, named after its first line ("noprompt:<uuid>")."""
        uuid = transcript.text_of(row.get("uuid")) or f"ts:{row.get('timestamp')}"
        self._start_turn(row, ts, prompt_key=f"{transcript.NO_PROMPT}{uuid}")
        turn: Record = self._state["turns"][-1]
        return turn

    def _start_turn(self, row: Record, ts: int | None, prompt_key: str | None = None) -> None:
        state = self._state
        uuid = prompt_key or transcript.text_of(row.get("uuid")) or f"ts:{row.get('timestamp')}"
        turns = state["turns"]
        latest = self._latest_prompt()
        if latest is not None and latest[0] == uuid:  # the newest turn again: a re-read, or it goes on
            if turns[-1]["closed"] if turns else True:
                self._continue_turn(*latest)
            state["skipping"] = False
            return
        known = uuid in self._open_prompts.of(turns) or uuid in self._closed_prompts.of(state["closed"])
        # once the list of closed prompts is full, an evicted old prompt is recognised by its time
        evicted = len(state["closed"]) >= _emission.KEEP_CLOSED_TURNS
        older = evicted and ts is not None and state["last_prompt_ts"] is not None and ts < state["last_prompt_ts"]
        if known or older:
            state["skipping"] = True
            return
        state["skipping"] = False
        if turns and not turns[-1]["closed"]:
            self._close_turn(turns[-1])
        start = ts if ts is not None else (state["main_last"] or 0)
        state["turn_count"] += 1
        state["last_prompt_ts"] = start
        turn = _records.new_context(start)
        prompt = _records.user_message(row, self._limits.cap) if self._limits.keep and prompt_key is None else []
        # the session's title, pull request and permission mode as written before this prompt (file order, so
        # any chunking gives the same root)
        attrs = {**_variants.session_attributes(state["session"]), **_root_attributes(row)}
        if prompt_key is not None:
            attrs[sc.CC_PROMPT_KIND] = transcript.NO_PROMPT_KIND
        turn.update({"prompt": uuid, "index": state["turn_count"], "start": start, "closed": False,
                     "attrs": attrs, "input": list(prompt),
                     "prompt_input": self._limits.render(sc.GEN_AI_INPUT_MESSAGES, prompt or None)})
        turns.append(turn)

    def _latest_prompt(self) -> tuple[str, int] | None:
        """(prompt uuid, start) of the newest turn, open or closed."""
        if self._state["turns"]:
            turn = self._state["turns"][-1]
            return turn["prompt"], turn["start"]
        closed = self._state["closed"]
        return (closed[-1][0], closed[-1][1]) if closed else None

    def _continue_turn(self, prompt: str, start: int) -> Record:
        """An already closed turn goes on: its later calls and tools hang under the root already sent.

        Re-read rows of it come back here too; the session-wide dedupe keeps them from being sent twice.
        """
        turn = _records.new_context(None)
        turn.update({"prompt": prompt, "index": 0, "start": start, "closed": False, "attrs": {},
                     "prompt_input": None, "root_done": True})
        self._state["turns"].append(turn)
        return turn

    def _close_turn(self, turn: Record) -> None:
        turn["closed"] = True
        _records.close_all(turn, self._limits)

    def _feed_agent_row(self, agent_id: str, row: Record) -> None:
        agents = self._state["agents"]
        run = agents.get(agent_id)
        if run is None:
            # a run already emitted and forgotten gets a continuation: late rows nest where it hung
            place = self._state["done_agents"].get(agent_id)
            if place is not None and not place[0]:
                return
            run = _records.new_context(None)
            run.update({"prompt_msgs": None, "compaction": agent_id.startswith("acompact"), "place": place,
                        "emitted": place is not None})
            agents[agent_id] = run
        kind = row.get("type")
        if kind == "user":
            if run["prompt_msgs"] is None and row.get("isMeta") is not True \
                    and not transcript.is_tool_result_line(row):
                run["prompt_msgs"] = _records.user_message(row, self._limits.cap) if self._limits.keep else []
            self._absorb_user(run, row)
        elif kind == "assistant":
            self._absorb_assistant(run, row, "a:" + agent_id)
        elif kind == "progress":
            self._progress_link(row)

    def _absorb_user(self, context: Record, row: Record) -> None:
        links: list[tuple[str, str, Any]] = []
        _records.absorb_user(context, row, self._limits, links)
        for agent_id, tool_id, result in links:
            if agent_id in self._state["done_agents"]:
                continue
            link = self._state["links"].setdefault(agent_id, {"tool": tool_id, "status": None})
            if link["tool"] == tool_id:
                if isinstance(result.get("status"), str):
                    link["status"] = result["status"]
                uses = result.get("totalToolUseCount")
                if isinstance(uses, int) and not isinstance(uses, bool):
                    link["uses"] = uses
                summary = _records.result_summary(result)
                if summary is not None:
                    link["summary"] = summary

    def _absorb_assistant(self, context: Record, row: Record, owner: str) -> None:
        for tool_id, arguments in _records.absorb_assistant(context, row, self._limits):
            if context["tools"][tool_id]["name"] in _records.AGENT_TOOLS:
                given = arguments if isinstance(arguments, dict) else {}
                task: Record = {"owner": owner, "done": False, "end": None, "prompt": None}
                for key, field in (("type", "subagent_type"), ("desc", "description"), ("prompt", "prompt")):
                    if isinstance(given.get(field), str) and (self._limits.keep or key != "prompt"):
                        task[key] = given[field]
                self._state["task_tools"][tool_id] = task

    def _progress_link(self, row: Record) -> None:
        data = row.get("data")
        if not isinstance(data, dict) or data.get("type") != "agent_progress":
            return
        agent_id = transcript.text_of(data.get("agentId"))
        tool_id = transcript.text_of(row.get("parentToolUseID"))
        if agent_id and tool_id and agent_id not in self._state["done_agents"]:
            self._state["links"].setdefault(agent_id, {"tool": tool_id, "status": None})

    # ---------------------------------------------------------------- collecting

    def linked_agent_ids(self) -> list[str]:
        """Agent ids this session's Task/Agent results, progress lines and sidecars name (the runtime opens
        a 2.0.x flat `<project>/agent-<id>.jsonl` by this name: no directory scan)."""
        return sorted(agent_id for agent_id in self._state["links"]
                      if not agent_id.startswith(transcript.INLINE_AGENT))

    def collect(self, *, turn_closed: bool = False, final: bool = False) -> list[Span]:
        """Every span that became complete since the last collect() (see the module docstring)."""
        state = self._state
        turns = state["turns"]
        if (turn_closed or final) and turns and not turns[-1]["closed"] \
                and (final or not _variants.awaits_rows(turns[-1])):
            self._close_turn(turns[-1])
        if final:
            state["skipping"] = False
            _variants.adopt_orphan_runs(state)
        emit = _spans.Emit(self._session_id, state["project"], self._options.user_id, self._limits)
        collector = _emission.Collector(self._session_id, state, emit)
        collector.turns()
        if final:  # once the Task/Agent calls are placed: a subagent whose file never came gets its summary
            _emission.summarise_missing_runs(state)
        collector.agents(final)
        return collector.finish(final)


def _restore(state: dict[str, Any] | None, copy: bool = True) -> Record:
    """A private copy of a persisted state (the state itself if copy=False); a fresh one if it is missing, of
    another version or malformed."""
    fresh = _fresh_state()
    if not isinstance(state, dict) or state.get("v") != STATE_VERSION:
        return fresh
    restored: Record = json.loads(json.dumps(state)) if copy else state
    for key, default in fresh.items():
        if key not in restored:
            restored[key] = default  # a state written before this key existed
        elif default is not None and not isinstance(restored[key], type(default)):
            return fresh
    return restored


def _root_attributes(row: Record) -> Record:
    attributes: Record = {}
    fields = (("cwd", sc.CC_CWD), ("gitBranch", sc.VCS_REF_HEAD_NAME), ("version", sc.CC_VERSION),
              ("entrypoint", sc.CC_ENTRYPOINT), ("permissionMode", sc.CC_PERMISSION_MODE))
    for field, attribute in fields:
        value = row.get(field)
        if isinstance(value, str) and value:
            attributes[attribute] = value
    attributes[sc.CC_PROMPT_KIND] = transcript.prompt_kind(row)
    return attributes
