"""Errors as RFC 9457 problem details (``application/problem+json``), never a stack trace or a secret."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

__all__ = ("PROBLEM_JSON", "PROBLEM_SCHEMA", "Problem", "problem_body")

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An RFC 9457 problem details object.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status"],
}


class Problem(Exception):
    """An HTTP error the service answers with a problem-details body.

    Args:
        status: The HTTP status.
        detail: What went wrong for this request, safe to show to the client.
        kind: The last part of the problem's ``type`` URI (``about:blank`` when omitted).
        headers: Extra response headers (``Retry-After``, ``WWW-Authenticate``...).
        extra: Extra members of the body.

    Examples:
        >>> from agentkit.server._problems import Problem, problem_body
        >>> problem = Problem(404, "no tool named 'x'", kind="tool-not-found")
        >>> problem_body(problem)["type"]
        'https://agentkit.dev/problems/tool-not-found'
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra or {}


def problem_body(problem: Problem) -> dict[str, Any]:
    """The JSON body for ``problem``."""
    try:
        title = HTTPStatus(problem.status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": f"https://agentkit.dev/problems/{problem.kind}" if problem.kind else "about:blank",
        "title": title,
        "status": problem.status,
        "detail": problem.detail,
    }
    body.update(problem.extra)
    return body


def encode(body: dict[str, Any]) -> bytes:
    """The body as compact JSON bytes."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
