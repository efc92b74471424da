"""``StoreSink``: an event sink writing a run's events to a store as they happen."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from agentkit.events import BaseEvent
    from agentkit.storage._base import EventStore

__all__ = ("StoreSink",)


class StoreSink:
    """Appends each event to a store the moment it is emitted (a batch of one), so it is durable on return.

    The emitter calls sinks synchronously, so the write happens on the caller's thread; with `SQLiteStore`'s
    default ``synchronous="NORMAL"`` a commit does not fsync and costs tens of microseconds (see
    ``benchmarks/bench_store.py``). The sink is ``required``: an append that fails (a locked or read-only
    database, a full disk, a lost connection) is logged on ``agentkit.events`` and the event waits in the
    emitter's backlog, offered again (in order) before each later event, so a store that comes back gets the
    whole run. An agent run that ends with events still unwritten fails with
    `agentkit.exceptions.EventsNotStored` (a `StorageError`), never ``completed``. `errors` keeps every failure
    for inspection, including those a retry recovered from.

    Args:
        store: Where the events go.
        session_id: The session the runs belong to, recorded when a run is first stored.

    Examples:
        >>> from agentkit.runtime import Agent
        >>> from agentkit.storage import MemoryStore, StoreSink
        >>> from agentkit.testing import FakeProvider
        >>> store = MemoryStore()
        >>> result = Agent(FakeProvider(["hi"])).run_sync("hello", sinks=[StoreSink(store)], run_id="r1")
        >>> [e.type for e in store.read("r1")]
        ['run.started', 'model.requested', 'model.responded', 'run.finished']
    """

    __slots__ = ("errors", "session_id", "store")

    required: ClassVar[bool] = True

    def __init__(self, store: EventStore, *, session_id: str | None = None) -> None:
        self.store = store
        self.session_id = session_id
        self.errors: list[Exception] = []

    def __call__(self, event: BaseEvent, /) -> None:
        """Append one event."""
        try:
            self.store.append(event.run_id, [event], session_id=self.session_id)
        except Exception as exc:
            self.errors.append(exc)
            raise

    def __repr__(self) -> str:
        return f"StoreSink({self.store!r}, session_id={self.session_id!r})"
