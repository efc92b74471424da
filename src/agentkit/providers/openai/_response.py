"""Chat Completions answers: a whole ``chat.completion`` body parsed into a `ModelResponse`."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from agentkit.providers._base import ResponseBuilder
from agentkit.providers._coerce import as_dict
from agentkit.providers.openai._errors import inline_error
from agentkit.providers.openai._wire import (
    _FINISH,
    _REASONING_FIELDS,
    _arguments_text,
    _text_of,
    _usage,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.providers._base import FinishReason, ModelResponse
    from agentkit.providers.openai._provider import OpenAIChatProvider
    from agentkit.tools.dialects import CompiledTool


def parse_completion(
    provider: OpenAIChatProvider, data: Any, tools: Mapping[str, CompiledTool] | None
) -> ModelResponse:
    """Parse a ``chat.completion`` body (see `OpenAIChatProvider.parse_completion`)."""
    if not isinstance(data, dict):
        raise provider.malformed(f"expected a JSON object, got {type(data).__name__}")
    choices = data.get("choices")
    if data.get("error") and not choices:
        raise inline_error(provider, data["error"])
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise provider.malformed("the answer has no choices")
    choice = choices[0]
    message = as_dict(choice.get("message"))
    builder = ResponseBuilder(provider=provider.system)
    model, response_id = data.get("model"), data.get("id")
    builder.model = model if isinstance(model, str) else None
    builder.response_id = response_id if isinstance(response_id, str) and response_id else None
    reasoning = reasoning_of(message, reasoning_fields(provider.profile.reasoning_field))
    if reasoning:
        builder.add_reasoning(reasoning)
    builder.add_text(_text_of(message.get("content")))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        builder.add_refusal(refusal)
    details = call_details(message)
    tool_calls = message.get("tool_calls")
    has_calls = False
    if isinstance(tool_calls, list):
        for i, call in enumerate(tool_calls):
            if not isinstance(call, dict):
                continue
            function = as_dict(call.get("function"))
            call_id = call.get("id")
            name = function.get("name")
            builder.tool_call(
                i,
                id=call_id if isinstance(call_id, str) else None,
                name=name if isinstance(name, str) else None,
                arguments=_arguments_text(function.get("arguments")) or "",
                provider_details=details,
            )
            has_calls = True
    builder.usage = _usage(data.get("usage"))
    builder.usage_reported = isinstance(data.get("usage"), dict)
    raw_finish = choice.get("finish_reason")
    return finish(
        builder,
        raw_finish if isinstance(raw_finish, str) else None,
        has_calls=has_calls,
        refused=isinstance(refusal, str) and bool(refusal),
        raw=data,
        tools=tools,
    )


def finish(
    builder: ResponseBuilder,
    raw_finish: str | None,
    *,
    has_calls: bool,
    refused: bool,
    raw: Any,
    tools: Mapping[str, CompiledTool] | None,
) -> ModelResponse:
    """The response ``builder`` holds, with the neutral finish reason (a whole body and a stream alike)."""
    if raw_finish is None:
        reason: FinishReason = "tool_calls" if has_calls else "stop"
    else:
        reason = _FINISH.get(raw_finish, "other")
    if reason == "stop" and has_calls:
        reason = "tool_calls"  # some servers say "stop" after calling tools
    elif reason == "stop" and refused:
        reason = "refusal"
    return builder.build(
        finish_reason=reason, raw_finish_reason=raw_finish, raw=raw, name_map=tools or None
    )


@lru_cache(maxsize=8)
def reasoning_fields(field: str | None) -> tuple[str, ...]:
    """Where reasoning text may be: the profile's field first, then the other known ones."""
    return (field, *(f for f in _REASONING_FIELDS if f != field)) if field else _REASONING_FIELDS


def reasoning_of(holder: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    """Reasoning text from a message or delta (``fields`` from `reasoning_fields`)."""
    for name in fields:
        value = holder.get(name)
        if isinstance(value, str) and value:
            return value
    details = holder.get("reasoning_details")
    if isinstance(details, list):
        return "".join(
            d["text"] for d in details if isinstance(d, dict) and isinstance(d.get("text"), str)
        )
    return ""


def call_details(holder: Mapping[str, Any]) -> dict[str, Any] | None:
    """The provider details a call keeps: Gemini's ``extra_content`` (its thought signature)."""
    extra = holder.get("extra_content")
    return {"extra_content": extra} if isinstance(extra, dict) and extra else None
