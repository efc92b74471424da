"""Chat Completions wire vocabulary: finish reasons, usage, content text and argument helpers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentkit.messages import (
    Usage,
)
from agentkit.providers._coerce import as_count, as_dict

if TYPE_CHECKING:
    from agentkit.providers._base import (
        FinishReason,
    )

_ALL_CHOICES = frozenset({"auto", "none", "required", "named"})


_CUT = "stream ended before the response was complete"


# Chat Completions' input_audio "format" for each media type (OpenAI's audio guide: wav and mp3).
_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}


_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "refusal": "refusal",
    "error": "error",
}


_REASONING_FIELDS = ("reasoning_content", "reasoning")


def _usage(raw: Any) -> Usage:
    """Normalise Chat-Completions usage (and its dialects) to `Usage`, never counting a token twice."""
    u = as_dict(raw)
    prompt = as_count(u.get("prompt_tokens"))
    completion = as_count(u.get("completion_tokens"))
    ptd = as_dict(u.get("prompt_tokens_details"))
    ctd = as_dict(u.get("completion_tokens_details"))
    cached = (
        as_count(ptd.get("cached_tokens"))
        or as_count(u.get("prompt_cache_hit_tokens"))  # DeepSeek
        or as_count(u.get("num_cached_tokens"))  # Mistral
    )
    cache_write = as_count(ptd.get("cache_write_tokens"))
    reasoning = as_count(ctd.get("reasoning_tokens"))
    total = as_count(u.get("total_tokens"))
    if "reasoning_tokens" not in ctd and total > prompt + completion and completion:
        # Gemini's endpoint leaves hidden thinking out of completion_tokens but counts it in total_tokens.
        reasoning = total - prompt - completion
        completion += reasoning
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        cache_read_tokens=min(cached, prompt),
        cache_write_tokens=min(cache_write, prompt),
        reasoning_tokens=min(reasoning, completion),
    )


def _text_of(content: Any) -> str:
    """Text from a ``content`` that is a string or a list of typed parts (Mistral, some proxies)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"]
            for p in content
            if isinstance(p, dict)
            and p.get("type", "text") == "text"
            and isinstance(p.get("text"), str)
        )
    return ""


def _arguments_text(arguments: Any) -> str | None:
    """A tool call's argument text: JSON strings kept verbatim, objects serialised, ``null`` as nothing."""
    if arguments is None:
        return None
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
