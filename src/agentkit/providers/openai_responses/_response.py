"""Responses API answers: a whole ``response`` object parsed into a `ModelResponse`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.providers._base import ResponseBuilder
from agentkit.providers._coerce import as_dict, as_list, as_str
from agentkit.providers.openai_responses._errors import payload_error
from agentkit.providers.openai_responses._wire import _INCOMPLETE, _ITEM_ID, _reasoning_text, _usage

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.providers._base import FinishReason, ModelResponse
    from agentkit.providers.openai_responses._provider import OpenAIResponsesProvider
    from agentkit.tools.dialects import CompiledTool


def parse_response(
    provider: OpenAIResponsesProvider, data: Any, tools: Mapping[str, CompiledTool] | None
) -> ModelResponse:
    """Parse a ``response`` object (see `OpenAIResponsesProvider.parse_response`)."""
    if not isinstance(data, dict):
        raise provider.malformed(f"expected a JSON object, got {type(data).__name__}")
    status = as_str(data.get("status"))
    error = data.get("error")
    if status == "failed" or (error and not isinstance(data.get("output"), list)):
        raise payload_error(provider, error)
    output = data.get("output")
    if not isinstance(output, list):
        raise provider.malformed("the response has no output list")
    builder = ResponseBuilder(provider=provider.system)
    builder.model = as_str(data.get("model"))
    builder.response_id = as_str(data.get("id"))
    has_calls = refused = has_text = False
    for index, item in enumerate(output):
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "reasoning":
            encrypted = item.get("encrypted_content")
            builder.add_reasoning(
                _reasoning_text(item),
                encrypted=encrypted if isinstance(encrypted, str) else None,
                id=as_str(item.get("id")),
                new_block=True,
            )
        elif kind == "message":
            for content in as_list(item.get("content")):
                if not isinstance(content, dict):
                    continue
                if content.get("type") == "output_text" and isinstance(content.get("text"), str):
                    builder.add_text(content["text"])
                    has_text = has_text or bool(content["text"])
                elif content.get("type") == "refusal" and isinstance(content.get("refusal"), str):
                    builder.add_refusal(content["refusal"])
                    refused = True
        elif kind == "function_call":
            item_id = as_str(item.get("id"))
            arguments = item.get("arguments")
            builder.tool_call(
                ("call", index),
                id=as_str(item.get("call_id")) or item_id,
                name=as_str(item.get("name")),
                arguments=arguments if isinstance(arguments, str) else "",
                provider_details={_ITEM_ID: item_id} if item_id else None,
            )
            has_calls = True
        # Other item types (built-in tool calls, compaction...) are not part of the neutral model.
    builder.usage = _usage(data.get("usage"))
    builder.usage_reported = isinstance(data.get("usage"), dict)
    finish: FinishReason
    raw_finish: str | None
    if status == "incomplete":
        reason = as_str(as_dict(data.get("incomplete_details")).get("reason"))
        finish = _INCOMPLETE.get(reason or "", "other")
        raw_finish = reason or status
    elif status in (None, "completed"):
        finish = "tool_calls" if has_calls else ("refusal" if refused and not has_text else "stop")
        raw_finish = status
    else:  # cancelled, queued, in_progress: not a finished answer
        finish, raw_finish = "other", status
    return builder.build(
        finish_reason=finish, raw_finish_reason=raw_finish, raw=data, name_map=tools or None
    )
