"""Responses API wire vocabulary: usage, reasoning and message text, item ids, error codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.messages import (
    ToolCallPart,
    Usage,
)
from agentkit.providers._coerce import as_count, as_dict, as_list

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.providers._base import (
        FinishReason,
    )


_CUT = "the stream ended before response.completed"


_ENCRYPTED = "reasoning.encrypted_content"


_ITEM_ID = "item_id"


# input_image and input_file, in messages and in function_call_output; the Responses API has no audio input.
_MEDIA = frozenset({"image", "document"})


_INCOMPLETE: dict[str, FinishReason] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}


# Error codes the generic classifier knows by name, though OpenAI files them under type invalid_request_error.
_PROMOTED_CODES = frozenset(
    {"model_not_found", "context_length_exceeded", "insufficient_quota", "rate_limit_exceeded"}
)


def _usage(raw: Any) -> Usage:
    """Normalise Responses usage: input includes cached tokens, output includes reasoning tokens."""
    u = as_dict(raw)
    inp = as_count(u.get("input_tokens"))
    out = as_count(u.get("output_tokens"))
    itd = as_dict(u.get("input_tokens_details"))
    otd = as_dict(u.get("output_tokens_details"))
    return Usage(
        input_tokens=inp,
        output_tokens=out,
        cache_read_tokens=min(as_count(itd.get("cached_tokens")), inp),
        cache_write_tokens=min(as_count(itd.get("cache_write_tokens")), inp),
        reasoning_tokens=min(as_count(otd.get("reasoning_tokens")), out),
    )


def _reasoning_text(item: Mapping[str, Any]) -> str:
    """A reasoning item's text: its summaries joined by blank lines, else its raw ``reasoning_text`` content."""
    summaries = [
        s["text"]
        for s in as_list(item.get("summary"))
        if isinstance(s, dict) and isinstance(s.get("text"), str)
    ]
    if summaries:
        return "\n\n".join(summaries)
    return "".join(
        c["text"]
        for c in as_list(item.get("content"))
        if isinstance(c, dict) and isinstance(c.get("text"), str)
    )


def _message_text(item: Mapping[str, Any]) -> str:
    return "".join(
        c["text"]
        for c in as_list(item.get("content"))
        if isinstance(c, dict) and c.get("type") == "output_text" and isinstance(c.get("text"), str)
    )


def _item_id(call: ToolCallPart) -> str | None:
    details = call.provider_details or {}
    value = details.get(_ITEM_ID)
    return value if isinstance(value, str) and value.startswith("fc_") else None
