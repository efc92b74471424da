"""A sink writing events to stdlib ``logging`` with structured fields."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from agentkit.observability._content import without_content

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.events import BaseEvent

__all__ = ("DEFAULT_LEVELS", "LoggingSink")

# A library never prints by itself: without this, Python's last-resort handler would print warnings to stderr
# for an application that configured no logging at all.
logging.getLogger("agentkit").addHandler(logging.NullHandler())

DEFAULT_LEVELS: Mapping[str, int] = {
    "run.started": logging.INFO,
    "run.finished": logging.INFO,
    "prompt.rendered": logging.DEBUG,
    "model.requested": logging.DEBUG,
    "model.responded": logging.DEBUG,
    "model.failed": logging.WARNING,
    "tool.call.started": logging.DEBUG,
    "tool.call.succeeded": logging.DEBUG,
    "tool.call.failed": logging.WARNING,
    "tool.call.cancelled": logging.INFO,
    "tool.arguments.rejected": logging.INFO,
    "tool.unknown": logging.INFO,
    "output.rejected": logging.INFO,
    "budget.exceeded": logging.WARNING,
    "approval.requested": logging.INFO,
    "approval.resolved": logging.INFO,
    "route.chosen": logging.DEBUG,
    "route.escalated": logging.INFO,
    "retry.scheduled": logging.WARNING,
    "retry.gave_up": logging.ERROR,
    "circuit.state_changed": logging.WARNING,
    "circuit.rejected": logging.WARNING,
    "fallback.triggered": logging.WARNING,
    "rate_limit.waited": logging.DEBUG,
    "deadline.exceeded": logging.WARNING,
}
"""The level each event type is logged at (some events raise it, see `LoggingSink`); others log at DEBUG."""

_ERROR_TOOL_REASONS = frozenset({"exception", "invalid_output"})
_HEADLINE_FIELDS = (
    "agent",
    "status",
    "provider",
    "model",
    "tool_name",
    "tool_call_id",
    "reason",
    "limit",
    "prompt_name",
    "prompt_version",
    "finish_reason",
    "attempt",
    "duration_s",
    "error_type",
    "error_message",
)


class LoggingSink:
    """Writes each event as one log record on the ``agentkit.events`` logger, with its fields in ``extra``.

    The message is a short line (``tool.call.failed tool_name=search reason=timeout ...``); the record also
    carries ``event_type``, ``run_id``, ``seq`` and ``agentkit_event`` (the whole event as a JSON-ready dict),
    for structured handlers and formatters (not ``event``, which structlog and others use for the message).
    Levels follow `DEFAULT_LEVELS`, except that a failed or cancelled run and a crashed tool log at ERROR, and a
    cancelled run at WARNING. agentkit only adds a ``NullHandler``, so nothing is printed until the application
    configures logging.

    Logs leave the process, so by default they carry no message or tool content: the fields listed in
    `CONTENT_FIELDS` (messages, tool arguments and results, the output summary, rejected argument values) are
    left out of ``agentkit_event``. ``capture_content=True`` keeps them. Error messages and tracebacks are kept
    either way (redacted, like every field). Wrap the sink in a `RedactingSink` or give it to an agent, whose
    events are redacted: the sink logs what it receives.

    Args:
        logger: The logger (or a ``LoggerAdapter``), or its name.
        levels: Overrides of `DEFAULT_LEVELS`, by event type.
        capture_content: Log message and tool content too (it may be personal or confidential).

    Examples:
        >>> import logging
        >>> from agentkit.events import EventEmitter, ToolCallFailed
        >>> from agentkit.observability import LoggingSink
        >>> records = []
        >>> class Keep(logging.Handler):
        ...     def emit(self, record):
        ...         records.append(record)
        >>> logger = logging.getLogger("doctest.events")
        >>> logger.addHandler(Keep())
        >>> logger.setLevel(logging.DEBUG)
        >>> _ = EventEmitter(run_id="r", sinks=[LoggingSink(logger)]).emit(
        ...     ToolCallFailed, tool_name="search", reason="timeout", duration_s=2.0,
        ...     error_type="ToolTimeout", error_message="too slow")
        >>> record = records[0]
        >>> record.levelname, record.event_type, record.agentkit_event["tool_name"]
        ('WARNING', 'tool.call.failed', 'search')
        >>> record.getMessage()
        'tool.call.failed tool_name=search reason=timeout duration_s=2.0 error_type=ToolTimeout error_message=too slow'
    """

    __slots__ = ("capture_content", "levels", "logger")

    def __init__(
        self,
        logger: logging.Logger | logging.LoggerAdapter[Any] | str = "agentkit.events",
        *,
        levels: Mapping[str, int] | None = None,
        capture_content: bool = False,
    ) -> None:
        self.logger: logging.Logger | logging.LoggerAdapter[Any] = (
            logging.getLogger(logger) if isinstance(logger, str) else logger
        )
        self.levels: dict[str, int] = {**DEFAULT_LEVELS, **(levels or {})}
        self.capture_content = capture_content

    def level_for(self, event: BaseEvent) -> int:
        """The level ``event`` is logged at.

        Examples:
            >>> from agentkit.observability import LoggingSink
            >>> from agentkit.events import RunFinished
            >>> from datetime import datetime, timezone
            >>> at = datetime(2026, 1, 1, tzinfo=timezone.utc)
            >>> LoggingSink().level_for(RunFinished(run_id="r", seq=3, at=at, status="failed", steps=1, tool_calls=0))
            40
        """
        kind: str = getattr(event, "type", "")
        level = self.levels.get(kind, logging.DEBUG)
        if kind == "run.finished":
            status = getattr(event, "status", "")
            if status == "failed":
                level = max(level, logging.ERROR)
            elif status == "cancelled":
                level = max(level, logging.WARNING)
        elif kind == "tool.call.failed" and getattr(event, "reason", "") in _ERROR_TOOL_REASONS:
            level = max(level, logging.ERROR)
        elif kind == "circuit.state_changed" and getattr(event, "new_state", "") != "open":
            level = min(level, logging.INFO)
        return level

    def __call__(self, event: BaseEvent, /) -> None:
        """Log one event."""
        level = self.level_for(event)
        if not self.logger.isEnabledFor(level):
            return  # nothing listens at this level: skip the dump
        kind: str = getattr(event, "type", type(event).__name__)
        data: dict[str, Any] = event.model_dump(mode="json")
        if not self.capture_content:
            without_content(data)
        headline = " ".join(
            f"{name}={data[name]}" for name in _HEADLINE_FIELDS if data.get(name) not in (None, "")
        )
        self.logger.log(
            level,
            "%s %s" if headline else "%s%s",
            kind,
            headline,
            extra={
                "event_type": kind,
                "run_id": event.run_id,
                "seq": event.seq,
                "agentkit_event": data,
            },
        )

    def __repr__(self) -> str:
        return f"LoggingSink({self.logger.name!r})"
