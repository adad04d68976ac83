"""collect(): which records are complete, where each span hangs, and what the state forgets afterwards.

Session-wide dedupe: the hashes of emitted chat keys and tool_use ids (bounded lists in the state), so
a group or tool seen again in another file, a resumed copy or a re-read is never emitted twice.
"""

from __future__ import annotations

from ccotel.hook import _records, _spans, transcript
from ccotel.hook._sha import sha256
from ccotel.hook._typing import Any
from ccotel.hook.model import Span, span_id_for, trace_id_for

Record = dict[str, Any]
KEEP_CLOSED_TURNS = 4000
KEEP_EMITTED_KEYS = 20000
# Those lists are cut back to their size once they are a quarter over it, not at every item: between cuts they
# only grow at their end, so the checkpoint re-encodes only what a run added to them (ccotel.hook.checkpoint).
SLACK = 4
KEEP_DONE_AGENTS = 2000
# A "completed" subagent whose file was read up to this close to its Task result is taken as fully read.
RESULT_SLACK_NS = 5_000_000_000


def trim(items: list[Any], keep: int) -> None:
    """Keep the newest `keep` items, once there are a quarter more (in place)."""
    if len(items) > keep + keep // SLACK:
        del items[:-keep]


def key_hash(key: str) -> str:
    return sha256(key.encode()).hexdigest()[:12]


class Collector:
    """One collect() pass over the mapper's state."""

    def __init__(self, session_id: str, state: Record, emit: _spans.Emit) -> None:
        self.session_id = session_id
        self.state = state
        self.emit = emit
        self.spans: list[Span] = []
        self.chats = set(state["chats"])
        self.tools = set(state["tools"])

    def trace_of_prompt(self, prompt: str) -> bytes:
        return trace_id_for(self.session_id, prompt)

    def context(self, context: Record, trace: bytes, parent: bytes, compaction: bool = False) -> None:
        """Emit the complete, not yet emitted chat groups and tool calls of one context."""
        for key, group in context["groups"].items():
            if group.get("done") or not group["closed"]:
                continue
            digest = key_hash(key)
            if digest not in self.chats:
                span_id = span_id_for(trace, key)
                self.spans.append(_spans.chat_span(self.emit, trace, span_id, parent, group, compaction))
                self.chats.add(digest)
                self.state["chats"].append(digest)
            context["groups"][key] = {"done": True}
        for tool_id, tool in context["tools"].items():
            if tool.get("done") or not tool["closed"]:
                continue
            digest = key_hash(tool_id)
            if digest not in self.tools:
                span_id = span_id_for(trace, tool_id)
                self.spans.append(_spans.tool_span(self.emit, trace, span_id, parent, tool_id, tool))
                self.tools.add(digest)
                self.state["tools"].append(digest)
            context["tools"][tool_id] = {"done": True}
            task = self.state["task_tools"].get(tool_id)
            if task is not None:
                task["done"], task["end"] = True, tool["end"]

    def turns(self) -> None:
        state = self.state
        for turn in list(state["turns"]):
            trace = self.trace_of_prompt(turn["prompt"])
            root = span_id_for(trace, turn["prompt"])
            self.context(turn, trace, root)
            if turn["closed"]:
                if not turn.get("root_done"):
                    self.spans.append(_spans.root_span(self.emit, trace, root, turn))
                state["turns"].remove(turn)
                closed = state["closed"]
                if not closed or closed[-1][0] != turn["prompt"]:
                    closed.append([turn["prompt"], turn["start"]])  # in place: the mapper keeps an index of it
                    trim(closed, KEEP_CLOSED_TURNS)

    def agents(self, final: bool) -> None:
        for _ in range(8):  # a nested subagent is placed one pass after its parent
            if not self._agents_pass(final):
                break

    def _agents_pass(self, final: bool) -> bool:
        state = self.state
        progressed = False
        open_traces = {self.trace_of_prompt(turn["prompt"]).hex() for turn in state["turns"]}
        for agent_id in sorted(state["agents"]):
            run = state["agents"][agent_id]
            if run["place"] is None:
                run["place"] = self._place(agent_id, run, final)
                if run["place"] is None:
                    if final:  # nowhere to hang it: this session has no turn
                        self._drop(agent_id, ["", ""])
                    continue
                progressed = True
            trace, parent = bytes.fromhex(run["place"][0]), bytes.fromhex(run["place"][1])
            owner_open = run["place"][0] in open_traces
            if run["compaction"]:
                _records.close_all(run, self.emit.limits)
                self.context(run, trace, parent, compaction=True)
                run["emitted"] = True
            else:
                span_id = span_id_for(trace, agent_id)
                over = final or self._run_over(agent_id, run)
                if over:
                    _records.close_all(run, self.emit.limits)
                self.context(run, trace, span_id)
                if over and not run["emitted"]:
                    info = self._agent_info(agent_id)
                    span = _spans.agent_span(self.emit, trace, span_id, parent, agent_id, run, info)
                    self.spans.append(span)
                    run["emitted"] = True
                    progressed = True
            if run["emitted"] and (final or not owner_open):
                # a summary stands for the whole run: lines of its file that turn up later are not added beside it
                self._drop(agent_id, ["", ""] if run.get("summary") else run["place"])
        return progressed

    def _drop(self, agent_id: str, place: list[str]) -> None:
        """Forget a finished run; keep where it hangs, so late rows of its file still nest there."""
        state = self.state
        del state["agents"][agent_id]
        link = state["links"].pop(agent_id, None)
        if link is not None:
            state["task_tools"].pop(link["tool"], None)
        state["meta"].pop(agent_id, None)
        if agent_id.startswith(transcript.INLINE_AGENT):  # its lines' chain entries are no longer needed
            state["sidechains"] = {uuid: run for uuid, run in state["sidechains"].items() if run != agent_id}
        done = state["done_agents"]
        done[agent_id] = place
        while len(done) > KEEP_DONE_AGENTS:
            del done[next(iter(done))]

    def _agent_info(self, agent_id: str) -> Record:
        link = self.state["links"].get(agent_id) or {}
        info = dict(self.state["task_tools"].get(link.get("tool", ""), {}))
        if isinstance(link.get("status"), str):
            info["status"] = link["status"]
        for key, value in self.state["meta"].get(agent_id, {}).items():
            info.setdefault(key, value)
        return info

    def _run_over(self, agent_id: str, run: Record) -> bool:
        """The parent call has its result and the run has ended (or, once emitted, its loop ended)."""
        if run["emitted"]:
            return _records.loop_finished(run)
        link = self.state["links"].get(agent_id)
        task = self.state["task_tools"].get(link["tool"]) if link else None
        if link is None or task is None or not task["done"]:
            return False
        if link["status"] != "completed":  # background: the result came at launch
            return _records.loop_finished(run)
        if run["last"] is not None and run["last"] + RESULT_SLACK_NS >= task["end"]:
            return True  # its file has been read up to the time of the result
        # the result came later (slow SubagentStop hooks): every tool call it reports is here, and it answered
        uses = link.get("uses")
        return isinstance(uses, int) and len(run["tools"]) >= uses and _records.loop_finished(run)

    def _trace_of_owner(self, owner: str) -> bytes | None:
        kind, _, key = owner.partition(":")
        if kind == "t":
            return self.trace_of_prompt(key)
        run = self.state["agents"].get(key)
        place = run["place"] if run is not None else self.state["done_agents"].get(key)
        return bytes.fromhex(place[0]) if place and place[0] else None

    def _place(self, agent_id: str, run: Record, final: bool) -> list[str] | None:
        """[trace hex, parent span hex]: under the run's Task/Agent call, else (compaction, or an
        unlinked run at final) under the root of the turn whose time range holds its first call."""
        if not run["compaction"]:
            link = self.state["links"].get(agent_id)
            task = self.state["task_tools"].get(link["tool"]) if link else None
            trace = self._trace_of_owner(task["owner"]) if task else None
            if trace is not None and link is not None:
                return [trace.hex(), span_id_for(trace, link["tool"]).hex()]
            if not final:
                return None
        return self._place_by_time(run, final)

    def _place_by_time(self, run: Record, final: bool) -> list[str] | None:
        state = self.state
        starts = [(group["start"]) for group in run["groups"].values() if "start" in group]
        if not starts:
            return None
        main_last = state["main_last"]
        if not final and (main_last is None or run["last"] is None or main_last <= run["last"]):
            return None  # the main file has not moved past this run yet: its turn may be unknown
        moment = min(starts)
        turns = [(item[1], item[0]) for item in state["closed"]]
        turns += [(turn["start"], turn["prompt"]) for turn in state["turns"]]
        before = [item for item in turns if item[0] <= moment]
        chosen = max(before) if before else (min(turns) if turns else None)
        if chosen is None:
            return None
        trace = self.trace_of_prompt(chosen[1])
        return [trace.hex(), span_id_for(trace, chosen[1]).hex()]

    def finish(self, final: bool) -> list[Span]:
        state = self.state
        if final:
            state["links"], state["task_tools"], state["meta"] = {}, {}, {}
        trim(state["chats"], KEEP_EMITTED_KEYS)
        trim(state["tools"], KEEP_EMITTED_KEYS)
        return sorted(self.spans, key=lambda span: (span.start_time_unix_nano, span.span_id))


def summarise_missing_runs(state: Record) -> None:
    """At the end: a linked subagent whose file never appeared gets a run made of its Task/Agent result's
    own summary (duration, the final request's usage), marked as such. Never beside the file's calls:
    only for an agent of which no line was read."""
    for agent_id, link in state["links"].items():
        summary = link.get("summary")
        task = state["task_tools"].get(link["tool"])
        if summary is None or task is None or task["end"] is None:
            continue
        if agent_id in state["agents"] or agent_id in state["done_agents"]:
            continue
        end = task["end"]
        start = max(end - summary["ms"] * 1_000_000, 0)
        run = _records.new_context(start)
        run["last"] = end
        run.update({"prompt_msgs": None, "compaction": False, "place": None, "emitted": False, "summary": True})
        run["groups"][f"summary:{agent_id}"] = {
            "start": start, "end": end, "uuids": [], "model": summary.get("model"), "usage": summary["usage"],
            "total": 0, "stop": None, "closed": True, "error": None, "output": None, "asks_tool": False,
            "input": None, "msg_id": None, "req_id": None, "summary": True}
        state["agents"][agent_id] = run
