"""Rows -> the small JSON records the mapper keeps between hook runs. Pure dict manipulation.

A *context* is one run of the agent loop: a turn of the main file, or one subagent file. It holds
its API calls (`groups`, keyed by message.id + "\\n" + requestId), its tool calls (`tools`, keyed by
tool_use.id), the content waiting to become the next call's input, and first/last timestamps.

Content is rendered into its final attribute text (cut to max_chars, original length and sha256
beside it) as soon as it can no longer change: tool arguments at the tool_use line, a tool result
at its line, a call's input when the call starts, its output when it closes. Until then, strings are
kept whole up to `Limits.cap` characters. A record replaced by {"done": True} was emitted; it stays
only so re-fed lines of it are recognised.
"""

from __future__ import annotations

import json
import re

from ccotel.hook import content, transcript
from ccotel.hook import semconv as sc
from ccotel.hook._plain import Plain
from ccotel.hook._typing import Any

AGENT_TOOLS = ("Task", "Agent")
_AGENT_ID_TEXT = re.compile(r"agentId: ([0-9A-Za-z_-]{4,64})")
Record = dict[str, Any]
# Anthropic stop_reason -> semconv output-message finish_reason.
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_call", "max_tokens": "length",
           "refusal": "content_filter", "model_context_window_exceeded": "length"}


class Limits(Plain):
    """max_chars: per content attribute; cap: per string while a record is open (bounds the state);
    keep: the prompts and the tool calls' arguments (content modes "full" and "prompts");
    calls: what each call read and wrote besides, its messages and tool results (content mode "full")."""

    __slots__ = ("calls", "cap", "keep", "max_chars")

    def __init__(self, max_chars: int, cap: int, keep: bool, calls: bool | None = None) -> None:
        self.max_chars, self.cap, self.keep = max_chars, cap, keep
        self.calls = keep if calls is None else calls

    def render(self, attribute: str, value: Any) -> Record | None:
        """A prompt or a tool call's arguments."""
        if not self.keep or value is None:
            return None
        return content.content_attributes(attribute, value, self.max_chars)

    def render_call(self, attribute: str, value: Any) -> Record | None:
        """A call's input or output messages, a tool's result, a run's answer."""
        return self.render(attribute, value) if self.calls else None


def new_context(first_ns: int | None) -> Record:
    return {"groups": {}, "tools": {}, "open": None, "input": [], "seen": [],
            "first": first_ns, "last": first_ns, "text": None, "error": None}


def _touch(context: Record, ts: int | None) -> None:
    if ts is None:
        return
    if context["first"] is None or ts < context["first"]:
        context["first"] = ts
    if context["last"] is None or ts > context["last"]:
        context["last"] = ts


def user_message(row: dict[str, Any], cap: int) -> list[Record]:
    """A user line as semconv input messages: tool results under role "tool", the rest under "user"."""
    tool_parts: list[Record] = []
    user_parts: list[Record] = []
    for block in transcript.content_blocks(row):
        part = content.block_part(block, cap)
        if part is None:
            continue
        (tool_parts if part["type"] == "tool_call_response" else user_parts).append(part)
    messages = []
    if tool_parts:
        messages.append({"role": "tool", "parts": tool_parts})
    if user_parts:
        messages.append({"role": "user", "parts": user_parts})
    return messages


def api_error(row: dict[str, Any]) -> Record | None:
    """error.type and message of an API-error line (isApiErrorMessage / <synthetic>), else None."""
    message = transcript.message_of(row)
    if row.get("isApiErrorMessage") is not True and message.get("model") != "<synthetic>":
        return None
    text = " ".join(
        block["text"] for block in transcript.content_blocks(row)
        if transcript.block_type(block) == "text" and isinstance(block.get("text"), str)
    ).strip()
    if row.get("isApiErrorMessage") is not True and not text.startswith("API Error"):
        return None
    kind = row.get("error")
    if not isinstance(kind, str) or not kind:
        status = row.get("apiErrorStatus")
        if isinstance(status, int | str) and not isinstance(status, bool) and str(status):
            kind = str(status)
        else:
            words = text.removeprefix("API Error:").split()
            kind = words[0].rstrip(":.,") if words and words[0].rstrip(":.,").isdigit() else "_OTHER"
    return {"type": kind, "message": text[:1000]}


def absorb_api_error(context: Record, row: dict[str, Any]) -> None:
    """A `system`/`api_error` line (a failed attempt Claude Code will retry): a finished call record with
    no usage, keyed by the line's uuid, whose span is an error span."""
    uuid = transcript.text_of(row.get("uuid"))
    ts = transcript.timestamp_ns(row)
    key = f"api_error:{uuid}"
    if uuid is None or ts is None or key in context["groups"]:
        return
    _touch(context, ts)
    error = row.get("error") if isinstance(row.get("error"), dict) else {}
    status = error.get("status")
    body = error.get("error")
    inner = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    inner = inner if isinstance(inner, dict) else {}
    if isinstance(status, int) and not isinstance(status, bool):
        kind = str(status)
    else:
        kind = transcript.text_of(inner.get("type")) or "_OTHER"
    message = transcript.text_of(inner.get("message")) or transcript.text_of(row.get("content")) or f"API error {kind}"
    retry = {name: row[field] for name, field in (("attempt", "retryAttempt"), ("max", "maxRetries"),
                                                   ("in_ms", "retryInMs"))
             if isinstance(row.get(field), int | float) and not isinstance(row.get(field), bool)}
    context["groups"][key] = {"start": ts, "end": ts, "uuids": [uuid], "model": None, "usage": None, "total": -1,
                              "stop": None, "closed": True, "error": {"type": kind, "message": message[:1000]},
                              "output": None, "asks_tool": False, "input": None, "msg_id": None,
                              "req_id": transcript.text_of(error.get("requestID")), "retry": retry}


def absorb_user(context: Record, row: dict[str, Any], limits: Limits,
                links: list[tuple[str, str, Any]]) -> None:
    """A non-prompt user line: closes tool calls by their results, queues input for the next call.

    Appends (agent_id, tool_use_id, toolUseResult) to `links` for a Task/Agent result naming its agent.
    """
    ts = transcript.timestamp_ns(row)
    uuid = transcript.text_of(row.get("uuid"))
    if uuid:
        if uuid in context["seen"]:
            return
        context["seen"].append(uuid)
    _touch(context, ts)
    for block in transcript.content_blocks(row):
        if transcript.block_type(block) != "tool_result":
            continue
        tool_id = transcript.text_of(block.get("tool_use_id"))
        tool = context["tools"].get(tool_id) if tool_id else None
        if tool is None or tool.get("done") or tool.get("closed"):
            continue
        tool["end"] = ts if ts is not None else context["last"]
        tool["closed"] = True
        tool["is_error"] = block.get("is_error") is True
        full_result = content.tool_result_value(block, None)  # rendered now: exact length and sha256
        tool["result"] = limits.render_call(sc.GEN_AI_TOOL_CALL_RESULT, full_result)
        result_meta = row.get("toolUseResult")
        if tool["name"] in AGENT_TOOLS and tool_id:
            meta = result_meta if isinstance(result_meta, dict) else {}
            agent_id = transcript.text_of(meta.get("agentId")) or _agent_id_in_text(full_result)
            if agent_id:
                links.append((agent_id, tool_id, meta))
    if limits.calls:
        context["input"].extend(user_message(row, limits.cap))


def result_summary(result: dict[str, Any]) -> Record | None:
    """A Task/Agent result's own account of the run (totalDurationMs, the final request's usage)."""
    usage = result.get("usage")
    duration = result.get("totalDurationMs")
    if not isinstance(usage, dict) or not isinstance(duration, int | float) or isinstance(duration, bool):
        return None
    summary: Record = {"ms": max(int(duration), 0), "usage": usage_fields(usage)}
    model = transcript.text_of(result.get("model"))
    if model:
        summary["model"] = model
    return summary


def _agent_id_in_text(result: Any) -> str | None:
    """`agentId: <id>` in a Task/Agent result's text ("Async agent launched … agentId: a1b2c3 (use …)")."""
    text = result if isinstance(result, str) else json.dumps(result) if result is not None else ""
    found = _AGENT_ID_TEXT.search(text)
    return found.group(1) if found else None


def finish_group(group: Record, limits: Limits) -> None:
    """The call can no longer change: render its output message, drop the raw parts."""
    if group.get("done") or group["closed"]:
        return
    group["closed"] = True
    output: Record = {"role": "assistant", "parts": group.pop("parts")}
    if group["stop"]:
        output["finish_reason"] = _FINISH.get(group["stop"], group["stop"])
    elif group["error"] is not None:
        output["finish_reason"] = "error"
    group["output"] = limits.render_call(sc.GEN_AI_OUTPUT_MESSAGES, [output])


def absorb_assistant(context: Record, row: dict[str, Any], limits: Limits) -> list[tuple[str, Any]]:
    """An assistant line: joins its API-call group. Returns (tool_use.id, tool input) of new tool calls."""
    key = transcript.group_key(row)
    if key is None:
        return []
    ts = transcript.timestamp_ns(row)
    if ts is None:
        ts = context["last"]
    if ts is None:
        return []
    groups = context["groups"]
    group = groups.get(key)
    uuid = transcript.text_of(row.get("uuid")) or ""
    if group is not None and (group.get("done") or group["closed"] or uuid in group["uuids"]):
        if uuid in group.get("uuids", ()):
            return []
        return _late_tool_calls(context, row, limits, ts)  # the call is complete; its tool calls still count
    _touch(context, ts)
    message = transcript.message_of(row)
    if group is None:
        previous = groups.get(context["open"]) if context["open"] else None
        if previous is not None:
            finish_group(previous, limits)
        rendered_input = limits.render_call(sc.GEN_AI_INPUT_MESSAGES, content.merge_messages(context["input"]) or None)
        group = {"start": ts, "end": ts, "uuids": [], "model": None, "usage": None, "total": -1,
                 "stop": None, "parts": [], "closed": False, "error": None, "output": None, "asks_tool": False,
                 "input": rendered_input, "msg_id": transcript.text_of(message.get("id")),
                 "req_id": transcript.text_of(row.get("requestId"))}
        groups[key] = group
        context["input"] = []
    context["open"] = key
    group["uuids"].append(uuid)
    group["end"] = max(group["end"], ts)
    model = transcript.text_of(message.get("model"))
    if model and (group["model"] is None or group["model"] == "<synthetic>"):
        group["model"] = model
    usage = transcript.usage_of(row)
    total = transcript.usage_total(usage)
    if usage is not None and total > group["total"]:
        group["total"], group["usage"] = total, usage_fields(usage)
    stop = transcript.text_of(message.get("stop_reason"))
    if stop:
        group["stop"] = stop
    error = api_error(row)
    if error is not None:
        group["error"] = error
    context["error"] = group["error"]
    new_tools: list[tuple[str, Any]] = []
    for block in transcript.content_blocks(row):
        part = content.block_part(block, limits.cap)
        if part is None:
            continue
        if limits.calls:
            group["parts"].append(part)
        if part["type"] == "text" and part["content"].strip():
            context["text"] = part["content"]
        if part["type"] == "tool_call":
            group["asks_tool"] = True
        if part["type"] == "tool_call" and part["id"] and part["id"] not in context["tools"]:
            arguments = limits.render(sc.GEN_AI_TOOL_CALL_ARGUMENTS, block.get("input"))
            context["tools"][part["id"]] = {"start": ts, "end": None, "name": part["name"], "closed": False,
                                            "missing": False, "is_error": False, "result": None, "args": arguments}
            new_tools.append((part["id"], part["arguments"]))
    return new_tools


def _late_tool_calls(context: Record, row: dict[str, Any], limits: Limits, ts: int) -> list[tuple[str, Any]]:
    """tool_use blocks on a line of an API call already complete (its lines interleaved with another call's):
    the call's usage and content stay as they were; the tool calls are not lost."""
    new_tools: list[tuple[str, Any]] = []
    for block in transcript.content_blocks(row):
        if transcript.block_type(block) != "tool_use":
            continue
        part = content.block_part(block, limits.cap)
        if part is None or not part["id"] or part["id"] in context["tools"]:
            continue
        _touch(context, ts)
        arguments = limits.render(sc.GEN_AI_TOOL_CALL_ARGUMENTS, block.get("input"))
        context["tools"][part["id"]] = {"start": ts, "end": None, "name": part["name"], "closed": False,
                                        "missing": False, "is_error": False, "result": None, "args": arguments}
        new_tools.append((part["id"], part["arguments"]))
    return new_tools


def usage_fields(usage: dict[str, Any]) -> Record:
    """The usage numbers the chat span reports (from the line with the largest total)."""
    fields: Record = {key: transcript.int_field(usage, key) for key in (
        "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")}
    split = transcript.cache_split(usage)
    if split is not None:
        fields["5m"], fields["1h"] = split
    elif transcript.split_disagrees(usage):
        fields["split_disagrees"] = True  # the billed total stands; the breakdown is flagged, not used
    for key in ("speed", "inference_geo"):
        value = usage.get(key)
        if isinstance(value, str) and value:
            fields[key] = value
    server = usage.get("server_tool_use")
    if isinstance(server, dict) and isinstance(server.get("web_search_requests"), int):
        fields["web_search_requests"] = transcript.int_field(server, "web_search_requests")
    return fields


def close_all(context: Record, limits: Limits) -> None:
    """The context is over: every group is complete; tools without a result end at the last timestamp."""
    for group in context["groups"].values():
        finish_group(group, limits)
    for tool in context["tools"].values():
        if not tool.get("done") and not tool.get("closed"):
            tool["closed"] = True
            tool["missing"] = True
            tool["end"] = max(context["last"] or tool["start"], tool["start"])


def loop_finished(context: Record) -> bool:
    """The agent loop ended: the last API call asked for no tool and every tool call has its result."""
    group = context["groups"].get(context["open"]) if context["open"] else None
    if group is None:
        return False
    if group.get("done"):
        return True
    if group["asks_tool"]:
        return False
    return all(tool.get("done") or tool.get("closed") for tool in context["tools"].values())
