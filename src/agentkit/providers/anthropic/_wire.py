"""Messages API wire vocabulary: stop reasons, error types, usage, tool-use ids and block helpers."""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentkit.messages import (
    Usage,
)
from agentkit.providers._coerce import as_count

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.providers._base import (
        FinishReason,
    )
    from agentkit.tools.dialects import CompiledTool


ANTHROPIC_VERSION = "2023-06-01"
"""The ``anthropic-version`` header sent with every request."""


_STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "refusal",
    "pause_turn": "other",
}


_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
"""HTTP status of each documented error type, for errors that arrive inside a 200 stream."""


_VALID_ID = re.compile(r"^[A-Za-z0-9_-]+$")


_INVALID_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


_OPAQUE = "anthropic-block:"
"""``ReasoningPart.id`` prefix marking a content block kept verbatim (server tools and other unknown blocks)."""


_CUT = "the stream ended before message_stop (connection cut or truncated body)"


class _RawJSON(str):
    """Streamed tool input that is not a JSON object: kept verbatim for the repair loop."""

    __slots__ = ()


def _usage(raw: Any) -> Usage:
    """Anthropic usage to agentkit usage: ``input_tokens`` there excludes cache reads and writes; here it counts them.

    ``output_tokens_details.thinking_tokens`` (how many output tokens were thinking) becomes ``reasoning_tokens``.
    """
    if not isinstance(raw, dict):
        return Usage()
    read = as_count(raw.get("cache_read_input_tokens"))
    write = as_count(raw.get("cache_creation_input_tokens"))
    output = as_count(raw.get("output_tokens"))
    details = raw.get("output_tokens_details")
    thinking = as_count(details.get("thinking_tokens")) if isinstance(details, dict) else 0
    return Usage(
        input_tokens=as_count(raw.get("input_tokens")) + read + write,
        output_tokens=output,
        cache_read_tokens=read,
        cache_write_tokens=write,
        reasoning_tokens=min(thinking, output),
    )


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _wire_id(raw: str) -> str:
    """An id Anthropic accepts (``^[a-zA-Z0-9_-]+$``), deterministic for a given foreign id."""
    if _VALID_ID.fullmatch(raw) and len(raw) <= 64:
        return raw
    clean = _INVALID_ID_CHARS.sub("_", raw)[:40]
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return f"toolu_{clean}_{digest}" if clean else f"toolu_{digest}"


def _thinking_enabled(extra_body: Mapping[str, Any]) -> bool:
    thinking = extra_body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") not in (None, "disabled")


@dataclass
class _Ids:
    """Maps tool-call ids to Anthropic ids across one conversation: calls and their results stay paired.

    Ids are not assumed unique (OpenRouter upstreams reuse ``"0"``): a repeated id gets a fresh wire id, and each
    result pairs with the oldest call of that id not yet answered.
    """

    used: set[str] = field(default_factory=set)
    pending: dict[str, deque[str]] = field(default_factory=dict)

    def call(self, raw: str) -> str:
        base = _wire_id(raw)
        wire, n = base, 1
        while wire in self.used:
            n += 1
            wire = f"{base}_{n}"
        self.used.add(wire)
        self.pending.setdefault(raw, deque()).append(wire)
        return wire

    def result(self, raw: str) -> str:
        queue = self.pending.get(raw)
        if queue:
            return queue.popleft()
        return _wire_id(raw)


@dataclass(frozen=True)
class _Tools:
    """The compiled tools of one request: by wire name, plus the forced output tool when there is one."""

    by_wire: dict[str, CompiledTool]
    output: CompiledTool | None = None


def _output_text(tool: CompiledTool, arguments: str) -> str:
    """The output tool's arguments as the canonical JSON answer (verbatim when they are not a JSON object)."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    if not isinstance(value, dict):
        return arguments
    try:
        return _compact(tool.decode(value))
    except Exception:  # a shape the dialect cannot map: let validation explain it
        return _compact(value)
