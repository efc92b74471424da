"""generateContent wire vocabulary: finish reasons, RPC statuses, usage, key errors, tool-result objects."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from agentkit.messages import (
    ToolResultPart,
    Usage,
)
from agentkit.providers._coerce import as_count, as_dict

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.providers._base import (
        FinishReason,
    )


_CUT = "stream ended before the response was complete"


_FINISH: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
"""Gemini ``finishReason`` to the neutral one; anything else (``LANGUAGE``, ``MALFORMED_FUNCTION_CALL``,
``OTHER``...) is ``"other"``. ``STOP`` becomes ``"tool_calls"`` when the answer holds function calls."""


_RPC_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
"""google.rpc status names to HTTP codes, for errors that arrive inside a 200 stream."""


_ALL_CHOICES = frozenset({"auto", "none", "required", "named"})


def _usage(meta: Any) -> Usage:
    """``usageMetadata`` in neutral terms: input includes cached and tool-use prompt tokens, output thoughts."""
    meta = as_dict(meta)
    thoughts = as_count(meta.get("thoughtsTokenCount"))
    return Usage(
        input_tokens=as_count(meta.get("promptTokenCount"))
        + as_count(meta.get("toolUsePromptTokenCount")),
        output_tokens=as_count(meta.get("candidatesTokenCount")) + thoughts,
        cache_read_tokens=as_count(meta.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})
"""``google.rpc.ErrorInfo`` reasons that mean the key itself was refused."""


def _key_rejected(body: Any) -> bool:
    """Whether a google.rpc error body says the API key is invalid or expired."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # streamGenerateContent without alt=sse wraps errors in an array
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return False
    return any(
        isinstance(d, dict)
        and str(d.get("@type", "")).endswith("google.rpc.ErrorInfo")
        and d.get("reason") in _KEY_REASONS
        for d in details
    )


def _rpc_message(body: Any) -> str | None:
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else None


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` merged into ``base``: nested objects merge, everything else replaces."""
    for key, value in extra.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            base[key] = _merge(dict(current), value)
        else:
            base[key] = value
    return base


def _response_object(result: ToolResultPart) -> dict[str, Any]:
    """The ``functionResponse.response`` object for a tool result."""
    try:
        value: Any = json.loads(result.content)
    except ValueError:
        value = result.content
    if result.is_error:
        return {"error": value}
    if isinstance(value, dict):
        return value
    return {"output": value}


_PATH_TOKEN = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def _json_path(path: str) -> list[str | int] | None:
    """``$.a.b[0]['c']`` as keys and indexes; ``None`` when the path is not of that simple form."""
    if not path.startswith("$"):
        return None
    keys: list[str | int] = []
    pos = 1
    while pos < len(path):
        match = _PATH_TOKEN.match(path, pos)
        if match is None:
            return None
        name, index, quoted, dquoted = match.groups()
        keys.append(int(index) if index is not None else (name or quoted or dquoted or ""))
        pos = match.end()
    return keys
