"""Records (see _records.py) -> Span objects, per the contract in span-model.md. Pure."""

from __future__ import annotations

from ccotel.hook import semconv as sc
from ccotel.hook import transcript
from ccotel.hook._plain import Plain
from ccotel.hook._records import Limits
from ccotel.hook._typing import Any
from ccotel.hook.model import Span, SpanKind, StatusCode

Record = dict[str, Any]

class Emit(Plain):
    """What every span of a session shares, and how content is rendered."""

    __slots__ = ("limits", "project", "session_id", "user_id")

    def __init__(self, session_id: str, project: str | None, user_id: str | None, limits: Limits) -> None:
        self.session_id, self.project, self.user_id, self.limits = session_id, project, user_id, limits

    def common(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {sc.SESSION_ID: self.session_id,
                                      sc.GEN_AI_CONVERSATION_ID: self.session_id}
        if self.project:
            attributes[sc.CC_PROJECT] = self.project
        if self.user_id:
            attributes[sc.USER_ID] = self.user_id
        return attributes

    def add(self, attributes: dict[str, Any], rendered: Record | None) -> None:
        """Content already rendered by Limits.render (None in metadata mode)."""
        if not rendered:
            return
        attributes.update(rendered)
        cut = tuple(name for name in sc.CONTENT_ATTRIBUTES if sc.original_chars_key(name) in rendered)
        if cut:
            attributes[sc.CC_CONTENT_TRUNCATED] = (*attributes.get(sc.CC_CONTENT_TRUNCATED, ()), *cut)

    def add_call_content(self, attributes: dict[str, Any], attribute: str, value: Any) -> None:
        self.add(attributes, self.limits.render_call(attribute, value))


def text_messages(role: str, text: str | None) -> list[Record] | None:
    return [{"role": role, "parts": [{"type": "text", "content": text}]}] if text else None


def chat_span(emit: Emit, trace: bytes, span_id: bytes, parent: bytes, group: Record,
              compaction: bool = False) -> Span:
    attributes = emit.common()
    model = group["model"]
    real_model = model if model and model != "<synthetic>" else None
    attributes[sc.GEN_AI_OPERATION_NAME] = sc.OPERATION_CHAT
    attributes[sc.GEN_AI_PROVIDER_NAME] = sc.PROVIDER_ANTHROPIC
    if real_model:
        attributes[sc.GEN_AI_REQUEST_MODEL] = real_model
        attributes[sc.GEN_AI_RESPONSE_MODEL] = real_model
    if group["msg_id"]:
        attributes[sc.GEN_AI_RESPONSE_ID] = group["msg_id"]
    if group["req_id"]:
        attributes[sc.CC_REQUEST_ID] = group["req_id"]
    if group["stop"]:
        attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] = (group["stop"],)
    usage = group["usage"]
    if usage is not None:
        cache_read = usage["cache_read_input_tokens"]
        cache_creation = usage["cache_creation_input_tokens"]
        attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] = usage["input_tokens"] + cache_read + cache_creation
        attributes[sc.GEN_AI_USAGE_OUTPUT_TOKENS] = usage["output_tokens"]
        attributes[sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cache_read
        attributes[sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cache_creation
        if "5m" in usage:
            attributes[sc.CC_CACHE_CREATION_5M] = usage["5m"]
            attributes[sc.CC_CACHE_CREATION_1H] = usage["1h"]
        if usage.get("split_disagrees"):
            attributes[sc.CC_CACHE_CREATION_SPLIT_MISMATCH] = True
        for key, attribute in (("speed", sc.CC_USAGE_SPEED), ("inference_geo", sc.CC_USAGE_INFERENCE_GEO),
                               ("web_search_requests", sc.CC_USAGE_WEB_SEARCH_REQUESTS)):
            if key in usage:
                attributes[attribute] = usage[key]
    if compaction:
        attributes[sc.CC_COMPACTION] = True
    if group.get("summary"):
        attributes[sc.CC_AGENT_SUMMARY] = True
    for key, attribute in (("attempt", sc.CC_API_RETRY_ATTEMPT), ("max", sc.CC_API_MAX_RETRIES),
                           ("in_ms", sc.CC_API_RETRY_IN_MS)):
        if key in group.get("retry", ()):
            attributes[attribute] = group["retry"][key]
    emit.add(attributes, group["input"])
    emit.add(attributes, group["output"])
    status, message = StatusCode.UNSET, ""
    if group["error"] is not None:
        attributes[sc.ERROR_TYPE] = group["error"]["type"]
        status, message = StatusCode.ERROR, group["error"]["message"]
    return Span(trace, span_id, parent, f"chat {real_model}" if real_model else "chat", SpanKind.CLIENT,
                group["start"], max(group["end"], group["start"]), attributes, status, message)


def tool_span(emit: Emit, trace: bytes, span_id: bytes, parent: bytes, call_id: str, tool: Record) -> Span:
    attributes = emit.common()
    attributes[sc.GEN_AI_OPERATION_NAME] = sc.OPERATION_EXECUTE_TOOL
    attributes[sc.GEN_AI_TOOL_NAME] = tool["name"]
    attributes[sc.GEN_AI_TOOL_CALL_ID] = call_id
    attributes[sc.GEN_AI_TOOL_TYPE] = sc.TOOL_TYPE_EXTENSION if tool["name"].startswith("mcp__") \
        else sc.TOOL_TYPE_FUNCTION
    emit.add(attributes, tool["args"])
    emit.add(attributes, tool["result"])
    if tool["missing"]:
        attributes[sc.CC_TOOL_RESULT_MISSING] = True
    status = StatusCode.UNSET
    if tool["is_error"]:
        attributes[sc.ERROR_TYPE] = "tool_error"
        status = StatusCode.ERROR
    end = tool["end"] if tool["end"] is not None else tool["start"]
    return Span(trace, span_id, parent, f"execute_tool {tool['name']}", SpanKind.INTERNAL,
                tool["start"], max(end, tool["start"]), attributes, status)


def root_span(emit: Emit, trace: bytes, span_id: bytes, turn: Record) -> Span:
    attributes = emit.common()
    attributes.update(turn["attrs"])
    attributes[sc.GEN_AI_OPERATION_NAME] = sc.OPERATION_INVOKE_AGENT
    attributes[sc.GEN_AI_AGENT_NAME] = sc.ROOT_AGENT_NAME
    attributes[sc.CC_TURN_INDEX] = turn["index"]
    # "ts:<timestamp>" stands in for a prompt line without a uuid, "noprompt:<uuid>" for a prompt not in the file
    if not turn["prompt"].startswith(("ts:", transcript.NO_PROMPT)):
        attributes[sc.CC_PROMPT_UUID] = turn["prompt"]
    emit.add(attributes, turn["prompt_input"])
    emit.add_call_content(attributes, sc.GEN_AI_OUTPUT_MESSAGES, text_messages("assistant", turn["text"]))
    status, message = StatusCode.UNSET, ""
    if turn["error"] is not None:
        attributes[sc.ERROR_TYPE] = turn["error"]["type"]
        status, message = StatusCode.ERROR, turn["error"]["message"]
    end = turn["last"] if turn["last"] is not None else turn["start"]
    return Span(trace, span_id, b"", f"invoke_agent {sc.ROOT_AGENT_NAME}", SpanKind.INTERNAL,
                turn["start"], max(end, turn["start"]), attributes, status, message)


def agent_span(emit: Emit, trace: bytes, span_id: bytes, parent: bytes, agent_id: str, run: Record,
               info: Record) -> Span:
    attributes = emit.common()
    attributes[sc.GEN_AI_OPERATION_NAME] = sc.OPERATION_INVOKE_AGENT
    agent_type = info.get("type")
    if agent_type:
        attributes[sc.GEN_AI_AGENT_NAME] = agent_type
    if info.get("desc"):
        attributes[sc.GEN_AI_AGENT_DESCRIPTION] = info["desc"]
    attributes[sc.CC_AGENT_ID] = agent_id
    if run.get("summary"):
        attributes[sc.CC_AGENT_SUMMARY] = True
    if info.get("shape") == "background" or info.get("status") == "async_launched":
        attributes[sc.CC_AGENT_BACKGROUND] = True
    prompt = text_messages("user", info.get("prompt")) or (run["prompt_msgs"] or None)
    emit.add_call_content(attributes, sc.GEN_AI_INPUT_MESSAGES, prompt)
    emit.add_call_content(attributes, sc.GEN_AI_OUTPUT_MESSAGES, text_messages("assistant", run["text"]))
    start = run["first"] if run["first"] is not None else 0
    end = run["last"] if run["last"] is not None else start
    return Span(trace, span_id, parent, f"invoke_agent {agent_type}" if agent_type else "invoke_agent",
                SpanKind.INTERNAL, start, max(end, start), attributes)
