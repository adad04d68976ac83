"""hook/semconv.py spells every OpenTelemetry name exactly as opentelemetry-semantic-conventions does."""

from __future__ import annotations

from opentelemetry.semconv._incubating.attributes import (
    gen_ai_attributes,
    session_attributes,
    user_attributes,
    vcs_attributes,
)
from opentelemetry.semconv.attributes import error_attributes

from ccotel.hook import semconv


def test_gen_ai_names_equal_the_package() -> None:
    ours = {name: value for name, value in vars(semconv).items() if name.startswith("GEN_AI_")}
    assert len(ours) >= 20
    for name, value in ours.items():
        assert getattr(gen_ai_attributes, name) == value, name


def test_other_otel_names_equal_the_package() -> None:
    assert semconv.SESSION_ID == session_attributes.SESSION_ID
    assert semconv.USER_ID == user_attributes.USER_ID
    assert semconv.VCS_REF_HEAD_NAME == vcs_attributes.VCS_REF_HEAD_NAME
    assert semconv.ERROR_TYPE == error_attributes.ERROR_TYPE


def test_operation_and_tool_type_values_equal_the_package() -> None:
    operations = gen_ai_attributes.GenAiOperationNameValues
    ours = (semconv.OPERATION_CHAT, semconv.OPERATION_EXECUTE_TOOL, semconv.OPERATION_INVOKE_AGENT,
            semconv.PROVIDER_ANTHROPIC)
    theirs = (operations.CHAT.value, operations.EXECUTE_TOOL.value, operations.INVOKE_AGENT.value,
              gen_ai_attributes.GenAiProviderNameValues.ANTHROPIC.value)
    assert ours == theirs


def test_own_names_use_the_claude_code_prefix() -> None:
    own = [value for name, value in vars(semconv).items() if name.startswith("CC_")]
    assert own and all(value.startswith("claude_code.") for value in own)
