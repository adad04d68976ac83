"""Attribute names of the span contract, as plain constants.

The OpenTelemetry GenAI names equal the constants of `opentelemetry-semantic-conventions` (0.66b);
tests/hook/test_semconv_names.py checks each one against that package. We do not import the package
here: it costs ~17 ms of import time (typing_extensions) on the hook's hot path.
Names the conventions lack live under `claude_code.`.
"""

from __future__ import annotations

# OpenTelemetry semantic conventions (GenAI, session, user, vcs, error)
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_DESCRIPTION = "gen_ai.agent.description"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
SESSION_ID = "session.id"
USER_ID = "user.id"
VCS_REF_HEAD_NAME = "vcs.ref.head.name"
ERROR_TYPE = "error.type"

# Values
OPERATION_CHAT = "chat"
OPERATION_EXECUTE_TOOL = "execute_tool"
OPERATION_INVOKE_AGENT = "invoke_agent"
PROVIDER_ANTHROPIC = "anthropic"
TOOL_TYPE_FUNCTION = "function"
TOOL_TYPE_EXTENSION = "extension"
ROOT_AGENT_NAME = "claude-code"

# claude_code.* (not in the conventions)
CC_PROJECT = "claude_code.project"
CC_CWD = "claude_code.cwd"
CC_VERSION = "claude_code.version"
CC_ENTRYPOINT = "claude_code.entrypoint"
CC_PERMISSION_MODE = "claude_code.permission_mode"
CC_TURN_INDEX = "claude_code.turn.index"
CC_AGENT_ID = "claude_code.agent.id"
CC_REQUEST_ID = "claude_code.request.id"
CC_CACHE_CREATION_5M = "claude_code.usage.cache_creation.5m_input_tokens"
CC_CACHE_CREATION_1H = "claude_code.usage.cache_creation.1h_input_tokens"
CC_USAGE_SPEED = "claude_code.usage.speed"
CC_USAGE_INFERENCE_GEO = "claude_code.usage.inference_geo"
CC_USAGE_WEB_SEARCH_REQUESTS = "claude_code.usage.web_search_requests"
CC_TOOL_RESULT_MISSING = "claude_code.tool.result_missing"
CC_COMPACTION = "claude_code.compaction"
CC_PROMPT_KIND = "claude_code.prompt.kind"
CC_PROMPT_UUID = "claude_code.prompt.uuid"
CC_CACHE_CREATION_SPLIT_MISMATCH = "claude_code.usage.cache_creation.split_mismatch"
CC_SESSION_TITLE = "claude_code.session.title"
CC_PR_URL = "claude_code.pr.url"
CC_PR_NUMBER = "claude_code.pr.number"
CC_PR_REPOSITORY = "claude_code.pr.repository"
CC_AGENT_SUMMARY = "claude_code.agent.summary"
CC_AGENT_BACKGROUND = "claude_code.agent.background"
CC_API_RETRY_ATTEMPT = "claude_code.api_error.retry_attempt"
CC_API_MAX_RETRIES = "claude_code.api_error.max_retries"
CC_API_RETRY_IN_MS = "claude_code.api_error.retry_in_ms"
CC_CONTENT_TRUNCATED = "claude_code.content.truncated"
CC_CONTENT_PREFIX = "claude_code.content."  # + <attribute> + ".original_chars" / ".sha256"

CONTENT_ATTRIBUTES = (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
)


def original_chars_key(attribute: str) -> str:
    """Beside a truncated content attribute: its length in characters before the cut."""
    return f"{CC_CONTENT_PREFIX}{attribute}.original_chars"


def sha256_key(attribute: str) -> str:
    """Beside a truncated content attribute: sha256 (hex) of its full UTF-8 text before the cut."""
    return f"{CC_CONTENT_PREFIX}{attribute}.sha256"
