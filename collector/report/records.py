"""The neutral record the analyses read: one span (or Langfuse observation) with only what they need.

Two sources produce it: local transcripts through the hook's mapping (ccotel.commands.local_usage) and a
Langfuse v4 project through its v2 observations API (ccotel.collector.report.langfuse_source). Everything in
ccotel.collector.report.analytics works on these records, so both report the same figures the same way.
Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CHAT = "chat"
EXECUTE_TOOL = "execute_tool"
INVOKE_AGENT = "invoke_agent"
ROOT_AGENT = "claude-code"  # gen_ai.agent.name of a turn's root span

PROMPT_KEEP_CHARS = 500  # prompt text kept per turn (repeated-prompt analysis); the rest is dropped
FILE_ARGUMENT_KEYS = ("file_path", "notebook_path", "path")


def reduce_by_fields(instance: Any) -> tuple[type, tuple[Any, ...]]:
    """`__reduce__` for a slots dataclass: pickle rebuilds it with one call of its class on the field values,
    not dataclasses' __setstate__ (a fields() walk per object: the report store loads thousands of them)."""
    return type(instance), tuple(getattr(instance, name) for name in instance.__slots__)


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One span. Anthropic token split: input_tokens is the uncached part (ccusage's inputTokens)."""

    trace_id: str
    span_id: str
    parent_id: str  # "" for a turn's root
    session_id: str
    project: str
    operation: str  # chat | execute_tool | invoke_agent | other
    name: str
    start: datetime  # timezone-aware UTC
    end: datetime
    agent_name: str = ""  # invoke_agent: "claude-code" for a turn root, else the subagent type
    model: str = ""
    tool_name: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    speed: str = ""
    inference_geo: str = ""
    web_search_requests: int = 0
    cost_usd: float | None = None  # None: not priced (unknown model, or not priced yet)
    uncached_cost_usd: float | None = None  # the same call as if no token had been cached
    is_error: bool = False
    error_type: str = ""
    is_compaction: bool = False  # chat: the call that summarised the conversation (when the source says so)
    turn_index: int = 0  # turn roots: 1-based position of the prompt in the session
    prompt: str = ""  # turn roots: the prompt text, cut to PROMPT_KEEP_CHARS
    prompt_kind: str = ""  # turn roots: prompt (typed) | command | task_notification ("" = unknown)
    file_path: str = ""  # file tools: the path argument
    project_dir: str = ""  # local source: the encoded directory under projects/
    call_key: str = ""  # local source: message.id + requestId of a call, tool_use.id of a tool call
    user_id: str = ""  # Langfuse source: the observation's userId (the person, for the team breakdown)

    __reduce__ = reduce_by_fields

    @property
    def cache_creation_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def context_tokens(self) -> int:
        """The whole prompt the model saw: uncached input + cache reads + cache writes."""
        return self.input_tokens + self.cache_read_tokens + self.cache_creation_tokens

    @property
    def total_tokens(self) -> int:
        return self.context_tokens + self.output_tokens

    @property
    def is_turn_root(self) -> bool:
        return self.operation == INVOKE_AGENT and (self.agent_name == ROOT_AGENT or not self.parent_id)

    def with_costs(self, cost_usd: float | None, uncached_cost_usd: float | None) -> SpanRecord:
        values = [getattr(self, name) for name in self.__slots__]  # what replace() does, without its fields() walk
        values[_COST], values[_UNCACHED_COST] = cost_usd, uncached_cost_usd
        return SpanRecord(*values)


_COST, _UNCACHED_COST = SpanRecord.__slots__.index("cost_usd"), SpanRecord.__slots__.index("uncached_cost_usd")


def prompt_text(messages_json: str) -> str:
    """The user text in a gen_ai.input.messages value (semconv JSON); tolerates plain strings, cut text."""
    if not messages_json:
        return ""
    try:
        messages = json.loads(messages_json)
    except ValueError:
        return messages_json[:PROMPT_KEEP_CHARS]
    texts: list[str] = []
    for message in messages if isinstance(messages, list) else [messages]:
        if isinstance(message, str):
            texts.append(message)
            continue
        if not isinstance(message, dict) or message.get("role", "user") != "user":
            continue
        content = message.get("parts", message.get("content", ""))
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("content", part.get("text", ""))))
    return "\n".join(texts)[:PROMPT_KEEP_CHARS]


def file_path_argument(arguments_json: str) -> str:
    """The file a tool call works on, from its JSON arguments ("" when there is none)."""
    if not arguments_json:
        return ""
    try:
        arguments = json.loads(arguments_json)
    except ValueError:
        # a cut value: the path usually comes first, so look for it in the text
        match = re.search(r'"(?:file_path|notebook_path|path)"\s*:\s*"((?:[^"\\]|\\.)*)"', arguments_json)
        return json.loads(f'"{match.group(1)}"') if match else ""
    if not isinstance(arguments, dict):
        return ""
    for key in FILE_ARGUMENT_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


_WORDS = re.compile(r"[^\w/.\-]+")


def normalise_prompt(text: str) -> str:
    """The form under which prompts count as "the same": lower case, punctuation and spacing folded."""
    return " ".join(_WORDS.sub(" ", text.lower()).split()).strip(" .-")[:200]
