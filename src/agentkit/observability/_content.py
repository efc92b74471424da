"""Which event fields are message or tool content, and an event's fields without them."""

from __future__ import annotations

from typing import Any

__all__ = ("CONTENT_FIELDS", "without_content")

CONTENT_FIELDS: tuple[str, ...] = ("new_messages", "message", "arguments", "content", "output")
"""The event fields that hold message or tool content.

Messages (``model.requested.new_messages``, ``model.responded.message``, ``run.finished.new_messages``), tool
arguments (``tool.call.started.arguments``), tool results (``tool.call.succeeded.content`` and what the model was
told of a failure, ``tool.call.failed.content``) and the final output's summary (``run.finished.output``). The
values the model sent for rejected arguments (``issues[].got`` of ``tool.arguments.rejected`` and
``output.rejected``) are content too. Sinks that send events out of the process leave all of them out unless
``capture_content=True``.
"""


def without_content(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (an event dumped to a dict) without its content fields; the dict is changed in place.

    Examples:
        >>> from agentkit.observability._content import without_content
        >>> without_content({"type": "tool.call.succeeded", "tool_name": "t", "content": "secret"})
        {'type': 'tool.call.succeeded', 'tool_name': 't'}
        >>> without_content({"issues": [{"path": "pin", "problem": "type", "got": "4321"}]})
        {'issues': [{'path': 'pin', 'problem': 'type'}]}
    """
    for name in CONTENT_FIELDS:
        data.pop(name, None)
    issues = data.get("issues")
    if isinstance(issues, list):
        data["issues"] = [
            {k: v for k, v in issue.items() if k != "got"} if isinstance(issue, dict) else issue
            for issue in issues
        ]
    return data
