"""Messages API answers: a whole message body parsed into a `ModelResponse` (streams end here too)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.messages import Part, TextPart
from agentkit.providers._base import ResponseBuilder
from agentkit.providers.anthropic._errors import inline_error
from agentkit.providers.anthropic._wire import (
    _OPAQUE,
    _STOP_REASONS,
    _compact,
    _output_text,
    _RawJSON,
    _Tools,
    _usage,
)

if TYPE_CHECKING:
    from agentkit.providers._base import FinishReason, ModelResponse
    from agentkit.providers.anthropic._provider import AnthropicProvider


def parse_message(provider: AnthropicProvider, data: Any, tools: _Tools) -> ModelResponse:
    """Parse a Messages response body (see `AnthropicProvider.parse_message`)."""
    if not isinstance(data, dict):
        raise provider.malformed(f"expected a JSON object, got {type(data).__name__}")
    if data.get("type") == "error":
        raise inline_error(provider, data)
    content = data.get("content")
    if content is None and "stop_reason" not in data:
        raise provider.malformed(
            f"not a Messages response (keys: {', '.join(sorted(map(str, data))) or 'none'})"
        )
    if content is None:
        content = []
    if not isinstance(content, list):
        raise provider.malformed(f"'content' must be a list, got {type(content).__name__}")
    builder = ResponseBuilder(provider=provider.system)
    builder.model = data.get("model") if isinstance(data.get("model"), str) else None
    builder.response_id = data.get("id") if isinstance(data.get("id"), str) else None
    builder.usage = _usage(data.get("usage"))
    builder.usage_reported = isinstance(data.get("usage"), dict) and bool(data["usage"])
    output_wire = tools.output.wire_name if tools.output is not None else None
    output_text: str | None = None
    for index, block in enumerate(content):
        if not isinstance(block, dict):
            raise provider.malformed(f"content block {index} is not an object: {block!r:.100}")
        kind = block.get("type")
        if kind == "text":
            builder.add_text(str(block.get("text") or ""))
        elif kind == "thinking":
            builder.add_reasoning(
                str(block.get("thinking") or ""),
                signature=block.get("signature") or None,
                new_block=True,
            )
        elif kind == "redacted_thinking":
            builder.add_reasoning(encrypted=str(block.get("data") or ""), new_block=True)
        elif kind == "tool_use":
            arguments = _arguments(block.get("input"))
            if output_wire is not None and block.get("name") == output_wire:
                assert tools.output is not None  # narrowed with output_wire
                output_text = _output_text(tools.output, arguments)
                continue
            builder.tool_call(
                index, id=str(block.get("id") or ""), name=str(block.get("name") or "")
            )
            builder.tool_arguments(index, arguments)
        else:
            # server tools (server_tool_use, web_search_tool_result...) and blocks newer than this adapter:
            # opaque state the API wants back verbatim in the next request
            builder.add_reasoning(encrypted=_compact(block), id=f"{_OPAQUE}{kind}", new_block=True)
    raw_reason = data.get("stop_reason")
    raw_reason = raw_reason if isinstance(raw_reason, str) else None
    finish: FinishReason = _STOP_REASONS.get(raw_reason or "", "other")
    if finish == "refusal":
        details = data.get("stop_details")
        explanation = details.get("explanation") if isinstance(details, dict) else None
        builder.add_refusal(explanation if isinstance(explanation, str) else "")
    response = builder.build(
        finish_reason=finish, raw_finish_reason=raw_reason, raw=data, name_map=tools.by_wire
    )
    if output_text is not None:
        parts: list[Part] = [p for p in response.parts if not isinstance(p, TextPart)]
        parts.append(TextPart(text=output_text))
        response = response.model_copy(
            update={
                "parts": tuple(parts),
                "finish_reason": "stop" if finish == "tool_calls" else finish,
            }
        )
    return response


def _arguments(value: Any) -> str:
    if isinstance(value, _RawJSON):
        return str(value)
    if value is None:
        return "{}"
    return _compact(value)
