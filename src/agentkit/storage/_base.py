"""The ``EventStore`` ABC and the run summaries stores keep."""

from __future__ import annotations

import functools
import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anyio.to_thread

from agentkit.events import SCHEMA_VERSION, parse_event
from agentkit.exceptions import TamperedRun
from agentkit.storage._errors import SequenceError
from agentkit.storage._migrate import migrate

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


GENESIS = ""
"""The "previous hash" of a run's first event."""


def canonical_json(event: BaseEvent) -> str:
    """The stored form of an event: ASCII-only JSON, so any text the runtime produces round-trips exactly.

    Lone surrogates and NUL characters (which a model or a tool may produce, and which UTF-8 encoders,
    SQLite, PostgreSQL and Redis refuse or cut) are kept as JSON escapes, read back by `load_event`.
    """
    return json.dumps(
        event.model_dump(mode="json"), ensure_ascii=True, separators=(",", ":"), allow_nan=False
    )


def chain_hash(previous: str, data: str) -> str:
    """The hash chaining one stored event to the one before it: SHA-256 of the previous hash and the JSON."""
    digest = hashlib.sha256(previous.encode("ascii"))
    digest.update(b"\n")
    digest.update(data.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def chained(previous: str, events: Sequence[BaseEvent]) -> list[tuple[BaseEvent, str, str]]:
    """Each event with its stored JSON and its chain hash, continuing from ``previous``."""
    out: list[tuple[BaseEvent, str, str]] = []
    for event in events:
        data = canonical_json(event)
        previous = chain_hash(previous, data)
        out.append((event, data, previous))
    return out


def load_event(schema_version: int, data: str | bytes) -> Event:
    """Parse one stored event (escapes of lone surrogates included), migrating older schema versions."""
    raw = json.loads(data)
    return parse_event(raw) if schema_version == SCHEMA_VERSION else migrate(raw)


def verify_chain(run_id: str, rows: Sequence[tuple[str, str | None]], head: str | None) -> bool:
    """Check a run's stored ``(json, hash)`` rows against their chain and the run's ``head`` hash.

    Returns:
        ``True`` when the chain holds; ``False`` when the run has no chain at all (stored before chains).

    Raises:
        TamperedRun: An event was edited, inserted, removed or reordered, or hashes were stripped from part of
            the run.
    """
    if head is None and all(h is None for _, h in rows):
        return False
    previous = GENESIS
    for seq, (data, stored) in enumerate(rows):
        if stored is None:
            raise TamperedRun(
                run_id=run_id, seq=seq, reason="it has no hash, unlike the run's other events"
            )
        if chain_hash(previous, data) != stored:
            raise TamperedRun(
                run_id=run_id, seq=seq, reason="its content does not match its stored hash"
            )
        previous = stored
    if head != previous:
        raise TamperedRun(
            run_id=run_id,
            seq=len(rows),
            reason="the run's last hash does not match its last event (events were removed or added)",
        )
    return True


def check_order(run_id: str, events: Sequence[BaseEvent]) -> None:
    """Raise `TamperedRun` unless the events read are the run's, numbered 0, 1, 2... in order."""
    for index, event in enumerate(events):
        if event.seq != index or event.run_id != run_id:
            raise TamperedRun(
                run_id=run_id,
                seq=index,
                reason=f"it is numbered {event.seq} of run {event.run_id!r}",
            )


def safe_text(value: str | None) -> str | None:
    """A summary column's text with lone surrogates and NUL replaced (the events keep the exact text)."""
    if value is None or (value.isascii() and "\x00" not in value):
        return value
    cleaned = value.replace("\x00", "\ufffd")
    return (
        cleaned.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(cleaned) else cleaned
    )


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def event_rows(
    run_id: str, previous: str, events: Sequence[BaseEvent]
) -> tuple[list[tuple[str, int, str, int, str, str, str]], str]:
    """The rows SQL stores keep per event, and the run's new head hash.

    A row is: run id, seq, type, schema version, ISO time, JSON, chain hash.
    """
    rows = [
        (run_id, e.seq, getattr(e, "type", ""), e.schema_version, e.at.isoformat(), data, digest)
        for e, data, digest in chained(previous, events)
    ]
    return rows, rows[-1][-1] if rows else previous


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

        Built-in stores check the run's hash chain (see `verify`) on every read.

        Raises:
            RunNotFound: No such run.
            TamperedRun: The stored events were changed since they were stored.
        """

    def verify(self, run_id: str) -> bool:
        """Check a run's stored events against the hash chain they were stored with.

        Every built-in store keeps beside each event the SHA-256 of its stored JSON and of the previous event's
        hash, and beside the run the hash of its last event; `read` checks them too. A store that keeps no
        chain (a subclass that does not override this) returns ``False``.

        Returns:
            ``True`` when the chain holds; ``False`` when the run has none (stored by an earlier agentkit, or by
            a store without chains): its events cannot be verified.

        Raises:
            TamperedRun: An event was edited, inserted, removed or reordered since it was stored.
            RunNotFound: No such run.

        Examples:
            >>> from agentkit.runtime import Agent
            >>> from agentkit.storage import MemoryStore, StoreSink
            >>> from agentkit.testing import FakeProvider
            >>> store = MemoryStore()
            >>> _ = Agent(FakeProvider(["hi"])).run_sync("hello", run_id="r1", sinks=[StoreSink(store)])
            >>> store.verify("r1")
            True
        """
        self.read(run_id)
        return False

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
