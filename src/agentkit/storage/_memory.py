"""``MemoryStore``: an in-process event store, for tests and short-lived programs."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from agentkit.storage._base import (
    GENESIS,
    EventStore,
    RunSummary,
    canonical_json,
    chained,
    check_batch,
    check_order,
    load_event,
    verify_chain,
)
from agentkit.storage._errors import RunNotFound

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit.events import BaseEvent, Event
    from agentkit.messages import Message

__all__ = ("MemoryStore",)


class MemoryStore(EventStore):
    """Keeps events in memory (lost when the process ends); thread-safe.

    Examples:
        >>> from agentkit.events import EventEmitter, ToolCallSucceeded
        >>> from agentkit.storage import MemoryStore
        >>> store = MemoryStore()
        >>> emitter = EventEmitter(run_id="r1")
        >>> event = emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.1, output_chars=1)
        >>> store.append("r1", [event])
        >>> [e.seq for e in store.read("r1")], store.runs()[0].events
        ([0], 1)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, list[Event]] = {}
        # Per run: each event's stored JSON and chain hash, and the hash of the last one.
        self._chains: dict[str, list[tuple[str, str]]] = {}
        self._heads: dict[str, str] = {}
        self._summaries: dict[str, RunSummary] = {}
        self._messages: dict[str, list[Message]] = {}

    def append(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        """See `EventStore.append`."""
        batch = list(events)
        with self._lock:
            log = self._events.get(run_id)
            check_batch(run_id, len(log) if log is not None else 0, batch)
            links = chained(self._heads.get(run_id, GENESIS), batch)
            if log is None:
                log = self._events[run_id] = []
                self._chains[run_id] = []
                self._summaries[run_id] = RunSummary(run_id=run_id, session_id=session_id)
            # Keep what a durable store would read back: the events parsed from their stored JSON.
            log.extend(load_event(e.schema_version, data) for e, data, _ in links)
            self._chains[run_id].extend((data, digest) for _, data, digest in links)
            if links:
                self._heads[run_id] = links[-1][2]
            self._summaries[run_id] = self._summaries[run_id].with_events(batch)

    def read(self, run_id: str) -> list[Event]:
        """See `EventStore.read`."""
        return self._read(run_id)[0]

    def verify(self, run_id: str) -> bool:
        """See `EventStore.verify`."""
        return self._read(run_id)[1]

    def _read(self, run_id: str) -> tuple[list[Event], bool]:
        with self._lock:
            log = self._events.get(run_id)
            if log is None:
                raise RunNotFound(run_id=run_id)
            events = list(log)
            stored = list(self._chains.get(run_id, ()))
            head = self._heads.get(run_id)
        # The events are held as objects: check them as they are now, not only the JSON they were stored as.
        current: list[tuple[str, str | None]] = [
            (canonical_json(e), digest) for e, (_, digest) in zip(events, stored, strict=False)
        ]
        current.extend((canonical_json(e), None) for e in events[len(stored) :])
        chained_ok = verify_chain(run_id, current, head)
        check_order(run_id, events)
        return events, chained_ok

    def runs(self, limit: int | None = 50, *, session_id: str | None = None) -> list[RunSummary]:
        """See `EventStore.runs`."""
        with self._lock:
            found = [
                s
                for s in reversed(self._summaries.values())
                if session_id is None or s.session_id == session_id
            ]
        return found if limit is None else found[:limit]

    def get_run(self, run_id: str) -> RunSummary:
        """See `EventStore.get_run`."""
        with self._lock:
            summary = self._summaries.get(run_id)
        if summary is None:
            raise RunNotFound(run_id=run_id)
        return summary

    def sessions(self, limit: int | None = 50) -> list[str]:
        """See `EventStore.sessions`."""
        seen: dict[str, None] = {}
        with self._lock:
            for summary in self._summaries.values():
                if summary.session_id is not None:
                    seen.pop(summary.session_id, None)
                    seen[summary.session_id] = None
        found = list(reversed(seen))
        return found if limit is None else found[:limit]

    def save_messages(self, run_id: str, messages: Sequence[Message]) -> None:
        """See `EventStore.save_messages`."""
        with self._lock:
            if run_id not in self._summaries:
                raise RunNotFound(run_id=run_id)
            self._messages[run_id] = list(messages)

    def load_messages(self, run_id: str) -> list[Message] | None:
        """See `EventStore.load_messages`."""
        with self._lock:
            if run_id not in self._summaries:
                raise RunNotFound(run_id=run_id)
            saved = self._messages.get(run_id)
        return None if saved is None else list(saved)

    async def append_async(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        """`append`; it never blocks, so no worker thread."""
        self.append(run_id, events, session_id=session_id)

    async def read_async(self, run_id: str) -> list[Event]:
        """`read`; it never blocks, so no worker thread."""
        return self.read(run_id)

    def __repr__(self) -> str:
        return f"MemoryStore(runs={len(self._summaries)})"
