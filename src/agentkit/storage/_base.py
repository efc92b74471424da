"""The ``EventStore`` ABC and the run summaries stores keep."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anyio.to_thread

from agentkit.storage._errors import SequenceError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from agentkit.events import BaseEvent, Event
    from agentkit.messages import Message

__all__ = ("EventStore", "RunStatus", "RunSummary")

RunStatus = Literal["running", "completed", "paused", "failed", "cancelled"]
"""A stored run's status: ``"running"`` until its ``run.finished`` event is stored."""


@dataclass(frozen=True)
class RunSummary:
    """What a store knows about one run without reading its events.

    Attributes:
        run_id: The run's id.
        session_id: The session the run belongs to, if any.
        status: ``"running"`` until ``run.finished`` is stored, then that event's status.
        events: How many events are stored.
        agent: The agent's name (from ``run.started``).
        model: The model (from ``run.started``).
        started_at: Time of the first event.
        updated_at: Time of the last event.
        steps: Model steps (from ``run.finished``).
        usage: Token usage (from ``run.finished``).
        output: The output summary (from ``run.finished``).

    Examples:
        >>> from agentkit.storage import RunSummary
        >>> RunSummary(run_id="r1").status
        'running'
    """

    run_id: str
    session_id: str | None = None
    status: RunStatus = "running"
    events: int = 0
    agent: str | None = None
    model: str | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    steps: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    output: str | None = None

    def with_events(self, events: Sequence[BaseEvent]) -> RunSummary:
        """This summary, updated with a batch of newly appended events.

        Examples:
            >>> from datetime import datetime, timezone
            >>> from agentkit.events import RunStarted
            >>> from agentkit.storage import RunSummary
            >>> at = datetime(2026, 1, 1, tzinfo=timezone.utc)
            >>> s = RunSummary(run_id="r").with_events([RunStarted(run_id="r", seq=0, at=at, agent="a",
            ...     provider="P", output_type="str")])
            >>> s.events, s.agent, s.started_at == at
            (1, 'a', True)
        """
        changes: dict[str, Any] = {"events": self.events + len(events)}
        if events:
            changes["updated_at"] = events[-1].at
            if self.started_at is None:
                changes["started_at"] = events[0].at
        for event in events:
            kind = getattr(event, "type", None)
            if kind == "run.started":
                changes["agent"] = getattr(event, "agent", None)
                changes["model"] = getattr(event, "model", None)
                changes["status"] = "running"
            elif kind == "run.finished":
                changes["status"] = getattr(event, "status", "completed")
                changes["steps"] = getattr(event, "steps", 0)
                changes["usage"] = dict(getattr(event, "usage", {}))
                changes["output"] = getattr(event, "output", None)
        return _replace(self, changes)


def _replace(summary: RunSummary, changes: dict[str, Any]) -> RunSummary:
    import dataclasses

    return dataclasses.replace(summary, **changes)


def check_batch(run_id: str, next_seq: int, events: Sequence[BaseEvent]) -> None:
    """Raise `SequenceError` unless ``events`` belong to ``run_id`` and continue its log without gap or repeat."""
    expected = next_seq
    for event in events:
        if event.run_id != run_id:
            raise SequenceError(run_id=run_id, expected=expected, got=event.run_id)
        if event.seq != expected:
            raise SequenceError(run_id=run_id, expected=expected, got=event.seq)
        expected += 1


def event_rows(
    run_id: str, events: Sequence[BaseEvent]
) -> list[tuple[str, int, str, int, str, str]]:
    """The row SQL stores keep per event: run id, seq, type, schema version, ISO time, JSON."""
    return [
        (
            run_id,
            e.seq,
            getattr(e, "type", ""),
            e.schema_version,
            e.at.isoformat(),
            e.model_dump_json(),
        )
        for e in events
    ]


class EventStore(ABC):
    """Where runs' events are kept: an append-only log per run, plus run summaries and saved conversations.

    Subclass it for a new backend: implement the synchronous methods; the ``*_async`` variants run them in a
    worker thread (override them when the backend is natively async or never blocks). Every implementation
    checks sequence integrity: a batch must continue its run's log exactly (``seq`` next, no gap, no repeat),
    or `SequenceError` is raised and nothing of the batch is written.

    Examples:
        >>> from agentkit.storage import EventStore, MemoryStore
        >>> issubclass(MemoryStore, EventStore)
        True
    """

    @abstractmethod
    def append(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        """Append a batch of events to a run's log, atomically: all of them or none.

        Args:
            run_id: The run; created on its first append.
            events: Events of that run, their ``seq`` continuing the stored log.
            session_id: The session the run belongs to; recorded when the run is created.

        Raises:
            SequenceError: The batch does not continue the run's log, or holds another run's event.
        """

    @abstractmethod
    def read(self, run_id: str) -> list[Event]:
        """Every stored event of a run, in ``seq`` order, migrated to the current schema.

        Raises:
            RunNotFound: No such run.
        """

    @abstractmethod
    def runs(self, limit: int | None = 50, *, session_id: str | None = None) -> list[RunSummary]:
        """Summaries of stored runs, newest first.

        Args:
            limit: At most this many (``None`` for all).
            session_id: Only the runs of this session.
        """

    @abstractmethod
    def get_run(self, run_id: str) -> RunSummary:
        """The summary of one run.

        Raises:
            RunNotFound: No such run.
        """

    @abstractmethod
    def sessions(self, limit: int | None = 50) -> list[str]:
        """Session ids, the most recently started first."""

    @abstractmethod
    def save_messages(self, run_id: str, messages: Sequence[Message]) -> None:
        """Save (or replace) the conversation a run ended with, for sessions and replay.

        Raises:
            RunNotFound: No such run.
        """

    @abstractmethod
    def load_messages(self, run_id: str) -> list[Message] | None:
        """The conversation saved for a run, or ``None`` when none was saved.

        Raises:
            RunNotFound: No such run.
        """

    def close(self) -> None:  # noqa: B027 - optional hook: stores without resources keep this no-op
        """Release the store's resources."""

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ async

    async def append_async(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        """`append`, without blocking the event loop."""
        await anyio.to_thread.run_sync(
            functools.partial(self.append, run_id, events, session_id=session_id)
        )

    async def read_async(self, run_id: str) -> list[Event]:
        """`read`, without blocking the event loop."""
        return await anyio.to_thread.run_sync(self.read, run_id)

    async def runs_async(
        self, limit: int | None = 50, *, session_id: str | None = None
    ) -> list[RunSummary]:
        """`runs`, without blocking the event loop."""
        return await anyio.to_thread.run_sync(
            functools.partial(self.runs, limit, session_id=session_id)
        )

    async def save_messages_async(self, run_id: str, messages: Sequence[Message]) -> None:
        """`save_messages`, without blocking the event loop."""
        await anyio.to_thread.run_sync(self.save_messages, run_id, messages)

    async def load_messages_async(self, run_id: str) -> list[Message] | None:
        """`load_messages`, without blocking the event loop."""
        return await anyio.to_thread.run_sync(self.load_messages, run_id)
