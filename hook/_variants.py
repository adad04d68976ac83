"""Transcript variants the mapper meets beyond a plain prompt/answer file. Pure dict manipulation.

Facts: reference/claude-code-data.md §1.8-1.10. Session metadata lines (`ai-title`, `custom-title`,
`pr-link`, `permission-mode`), 1.0.x subagent lines written inline in the main file (`isSidechain`),
turns whose prompt is not in the file, and the rule for calls without a `requestId`.
"""

from __future__ import annotations

from ccotel.hook import _records, transcript
from ccotel.hook import semconv as sc
from ccotel.hook._typing import Any

Record = dict[str, Any]
# Lines that describe the session, carry no tokens and belong to no turn.
SESSION_LINES = ("ai-title", "custom-title", "pr-link", "permission-mode")
_TITLE_CHARS = 200
_KEEP_SIDECHAIN_LINES = 20000


def session_line(session: Record, row: Record) -> None:
    """Note the session's title (a `custom-title` beats an `ai-title`), pull request, permission mode."""
    kind = row.get("type")
    if kind in ("ai-title", "custom-title"):
        title = transcript.text_of(row.get("aiTitle" if kind == "ai-title" else "customTitle"))
        if title and title.strip() and (kind == "custom-title" or not session.get("custom")):
            session["title"] = title.strip()[:_TITLE_CHARS]
            session["custom"] = bool(session.get("custom")) or kind == "custom-title"
    elif kind == "pr-link":
        for key, field in (("pr_url", "prUrl"), ("pr_number", "prNumber"), ("pr_repository", "prRepository")):
            value = row.get(field)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                session[key] = value
    elif kind == "permission-mode":
        mode = transcript.text_of(row.get("permissionMode"))
        if mode:
            session["mode"] = mode


def session_attributes(session: Record) -> Record:
    """What a root span carries from the metadata lines written before its prompt."""
    attributes: Record = {}
    for key, attribute in (("title", sc.CC_SESSION_TITLE), ("pr_url", sc.CC_PR_URL),
                           ("pr_number", sc.CC_PR_NUMBER), ("pr_repository", sc.CC_PR_REPOSITORY),
                           ("mode", sc.CC_PERMISSION_MODE)):
        if key in session:
            attributes[attribute] = session[key]
    return attributes


def inline_agent(state: Record, row: Record, open_prompt: str | None) -> str | None:
    """The run a sidechain line of the main file belongs to: the one its parentUuid chain started.

    A new run (a line whose parent is not a known sidechain line) is named `sidechain-<its uuid>` and linked
    to the Task/Agent call of the open turn whose prompt it received, else to the oldest one not yet linked
    (none open: a warm-up, placed by time).
    """
    chains = state["sidechains"]
    uuid = transcript.text_of(row.get("uuid"))
    parent = transcript.text_of(row.get("parentUuid"))
    agent_id = (chains.get(parent) if parent else None) or (chains.get(uuid) if uuid else None)
    if agent_id is None:
        if uuid is None:
            return None
        agent_id = f"{transcript.INLINE_AGENT}{uuid}"
        if open_prompt is not None:
            _link_inline(state, agent_id, row, "t:" + open_prompt)
    if uuid:
        chains[uuid] = agent_id
        while len(chains) > _KEEP_SIDECHAIN_LINES:
            del chains[next(iter(chains))]
    return agent_id


def _link_inline(state: Record, agent_id: str, row: Record, owner: str) -> None:
    linked = {link["tool"] for link in state["links"].values()}
    free = [tool_id for tool_id, task in state["task_tools"].items()
            if task["owner"] == owner and not task["done"] and tool_id not in linked]
    text = " ".join(block["text"] for block in transcript.content_blocks(row)
                    if transcript.block_type(block) == "text" and isinstance(block.get("text"), str)).strip()
    matching = [tool_id for tool_id in free if text and state["task_tools"][tool_id].get("prompt") == text]
    if matching or free:
        state["links"][agent_id] = {"tool": (matching or free)[0], "status": None}


def adopt_orphan_runs(state: Record) -> None:
    """At the end, subagent calls of a session with no turn at all (only a warm-up or subagent files) hang
    under a turn without a prompt rather than being dropped."""
    if state["turns"] or state["closed"]:
        return
    runs = [(run["first"], agent_id, run) for agent_id, run in state["agents"].items()
            if run["first"] is not None and run["groups"]]
    if not runs:
        return
    start, agent_id, _ = min(runs)
    state["turn_count"] += 1
    turn = _records.new_context(start)
    turn["last"] = max(run["last"] or start for _, _, run in runs)
    turn.update({"prompt": f"{transcript.NO_PROMPT}{agent_id}", "index": state["turn_count"], "start": start,
                 "closed": True, "attrs": {sc.CC_PROMPT_KIND: transcript.NO_PROMPT_KIND}, "input": [],
                 "prompt_input": None})
    state["turns"].append(turn)


def awaits_rows(turn: Record) -> bool:
    """The rule for calls without a requestId (other backends, proxies): their rows carry growing usage and
    can be written after Claude Code's Stop, so Stop does not close such a call (nor its turn); a row of
    another call, the next prompt or the session's end does. The hook and the report then read the same
    rows into each call, and the row with the largest total gives its usage (ccusage 20's rule)."""
    group = turn["groups"].get(turn["open"]) if turn["open"] else None
    return group is not None and not group.get("done") and not group["closed"] and group["req_id"] is None \
        and group["msg_id"] is not None and group["error"] is None
