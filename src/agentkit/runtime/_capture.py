"""``capture_events()``: collect the events of every run started inside a ``with`` block (for tests)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar

from agentkit.events import BaseEvent

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ("CapturedEvents", "capture_events")

E = TypeVar("E", bound=BaseEvent)

_ACTIVE: ContextVar[tuple[CapturedEvents, ...]] = ContextVar("agentkit_captures", default=())


class CapturedEvents(list[BaseEvent]):
    """The events captured so far, in emission order, with helpers to read them.

    Examples:
        >>> from agentkit.events import EventEmitter, ToolCallSucceeded
        >>> captured = CapturedEvents()
        >>> captured.append(EventEmitter("r").emit(ToolCallSucceeded, tool_name="t", duration_s=0, output_chars=1))
        >>> captured.types(), captured.run_ids()
        (['tool.call.succeeded'], ['r'])
    """

    def types(self) -> list[str]:
        """The ``type`` of each event, in order."""
        return [getattr(e, "type", type(e).__name__) for e in self]

    def of_type(self, event_type: type[E]) -> list[E]:
        """The events of one class, in order."""
        return [e for e in self if isinstance(e, event_type)]

    def run_ids(self) -> list[str]:
        """The distinct run ids, in order of first appearance."""
        return list(dict.fromkeys(e.run_id for e in self))

    def for_run(self, run_id: str) -> list[BaseEvent]:
        """The events of one run."""
        return [e for e in self if e.run_id == run_id]


@contextmanager
def capture_events() -> Iterator[CapturedEvents]:
    """Collect the events of every agent run started inside the block, in the same task or its children.

    Examples:
        >>> from agentkit.runtime import Agent, capture_events
        >>> from agentkit.testing import FakeProvider
        >>> agent = Agent(FakeProvider(["Hello!"]))
        >>> with capture_events() as events:
        ...     _ = agent.run_sync("hi")
        >>> events.types()
        ['run.started', 'model.requested', 'model.responded', 'run.finished']
    """
    with capture_into(CapturedEvents()) as captured:
        yield captured


@contextmanager
def capture_into(captured: CapturedEvents) -> Iterator[CapturedEvents]:
    """`capture_events` into a list of your own (the pytest plugin's ``agentkit_events`` fixture uses it)."""
    token = _ACTIVE.set((*_ACTIVE.get(), captured))
    try:
        yield captured
    finally:
        _ACTIVE.reset(token)


def active_captures() -> tuple[CapturedEvents, ...]:
    """The capture lists active in the current context."""
    return _ACTIVE.get()
