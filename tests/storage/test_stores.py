"""EventStore behaviour shared by every store: memory, SQLite, PostgreSQL and Redis (see conftest.py)."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import anyio
import pytest

from agentkit.events import EventEmitter, RunFinished, RunStarted, ToolCallSucceeded
from agentkit.messages import Message
from agentkit.storage import EventStore, RunNotFound, SequenceError, SQLiteStore

if TYPE_CHECKING:
    from pathlib import Path

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _events(run_id: str, count: int, start: int = 0) -> list[ToolCallSucceeded]:
    return [
        ToolCallSucceeded(
            run_id=run_id, seq=start + i, at=AT, tool_name="t", duration_s=0.0, output_chars=i
        )
        for i in range(count)
    ]


def test_append_and_read_in_seq_order(store: EventStore) -> None:
    """Batches append to a run's log and read back in seq order, equal to what was written."""
    written = _events("r1", 5)
    store.append("r1", written[:2])
    store.append("r1", written[2:])
    assert store.read("r1") == written
    assert store.get_run("r1").events == 5


def test_gap_is_rejected_and_nothing_written(store: EventStore) -> None:
    """A batch that skips a seq raises SequenceError and writes none of its events."""
    store.append("r1", _events("r1", 2))
    with pytest.raises(SequenceError) as info:
        store.append("r1", [*_events("r1", 1, start=2), *_events("r1", 1, start=4)])
    assert (info.value.expected, info.value.got) == (3, 4)
    assert [e.seq for e in store.read("r1")] == [0, 1]


def test_duplicate_is_rejected(store: EventStore) -> None:
    """Appending a seq already stored raises SequenceError naming it a duplicate."""
    store.append("r1", _events("r1", 3))
    with pytest.raises(SequenceError, match="duplicate"):
        store.append("r1", _events("r1", 1, start=1))


def test_new_run_must_start_at_zero(store: EventStore) -> None:
    """The first batch of a run must start at seq 0, and a failed first batch creates no run."""
    with pytest.raises(SequenceError, match="gap"):
        store.append("r1", _events("r1", 1, start=1))
    with pytest.raises(RunNotFound):
        store.get_run("r1")


def test_foreign_event_is_rejected(store: EventStore) -> None:
    """An event of another run in the batch raises SequenceError."""
    with pytest.raises(SequenceError, match="of run 'other'"):
        store.append("r1", _events("other", 1))


def test_unknown_run(store: EventStore) -> None:
    """Reading a run that was never stored raises RunNotFound."""
    with pytest.raises(RunNotFound):
        store.read("nope")
    with pytest.raises(RunNotFound):
        store.save_messages("nope", [])


def test_summaries_sessions_and_status(store: EventStore) -> None:
    """run.started and run.finished fill the summary; runs list newest first and filter by session."""
    for run_id, session in (("a", "s1"), ("b", "s2"), ("c", "s1")):
        emitter = EventEmitter(run_id, clock=_Fixed())
        emitter.emit(RunStarted, agent="bot", provider="P", model="m1", output_type="str")
        emitter.emit(
            RunFinished, status="completed", steps=2, tool_calls=0, usage={"input_tokens": 3}
        )
        store.append(run_id, emitter.events, session_id=session)
    assert [s.run_id for s in store.runs()] == ["c", "b", "a"]
    assert [s.run_id for s in store.runs(1)] == ["c"]
    assert [s.run_id for s in store.runs(None, session_id="s1")] == ["c", "a"]
    assert store.sessions() == ["s1", "s2"]
    summary = store.get_run("a")
    assert (summary.status, summary.agent, summary.model, summary.steps) == (
        "completed",
        "bot",
        "m1",
        2,
    )
    assert summary.usage == {"input_tokens": 3}
    assert summary.started_at == AT


def test_messages_round_trip(store: EventStore) -> None:
    """A saved conversation loads back equal; a run without one gives None."""
    store.append("r1", _events("r1", 1))
    assert store.load_messages("r1") is None
    conversation = [Message.system("Be brief."), Message.user("hi"), Message.assistant("hello")]
    store.save_messages("r1", conversation)
    assert store.load_messages("r1") == conversation


def test_async_api(store: EventStore) -> None:
    """The *_async methods do what the synchronous ones do."""

    async def main() -> None:
        await store.append_async("r1", _events("r1", 3), session_id="s")
        assert [e.seq for e in await store.read_async("r1")] == [0, 1, 2]
        assert [s.run_id for s in await store.runs_async(session_id="s")] == ["r1"]
        await store.save_messages_async("r1", [Message.user("x")])
        assert await store.load_messages_async("r1") == [Message.user("x")]

    anyio.run(main)


def test_threads_never_interleave_or_lose_events(store: EventStore) -> None:
    """Many threads appending to their own runs keep every run complete and in order."""

    def write(index: int) -> None:
        run_id = f"run-{index}"
        for start in range(0, 100, 10):
            store.append(run_id, _events(run_id, 10, start=start))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(8):
        assert [e.seq for e in store.read(f"run-{index}")] == list(range(100))


def test_sqlite_persists_and_migrates_old_events(tmp_path: Path) -> None:
    """A database of an earlier release opens, and its runs (schema v0 rows, no hash chain) read migrated."""
    path = tmp_path / "runs.sqlite3"
    old = '{"event": "tool.call.succeeded", "run_id": "r1", "seq": 0, "timestamp": "2025-01-01T00:00:00Z", "tool": "legacy", "duration_s": 0.5, "output_chars": 3}'
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.executescript(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, session_id TEXT, "
            "status TEXT NOT NULL DEFAULT 'running', next_seq INTEGER NOT NULL DEFAULT 0, agent TEXT, "
            "model TEXT, started_at TEXT, updated_at TEXT, steps INTEGER NOT NULL DEFAULT 0, "
            "usage TEXT NOT NULL DEFAULT '{}', output TEXT, messages TEXT);"
            "CREATE TABLE events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, "
            "schema_version INTEGER NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL, "
            "PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
            "INSERT INTO runs (run_id, next_seq) VALUES ('r1', 1);"
        )
        raw.execute(
            "INSERT INTO events VALUES ('r1', 0, 'tool.call.succeeded', 0, '2025', ?)", (old,)
        )
    with SQLiteStore(path) as store:
        events = store.read("r1")
        assert store.verify("r1") is False  # readable, but stored without a hash chain
        store.append("r2", _events("r2", 2))
        assert store.verify("r2") is True
    assert [(e.seq, e.schema_version) for e in events] == [(0, 2)]
    assert getattr(events[0], "tool_name", None) == "legacy"


def test_sqlite_rejects_bad_synchronous(tmp_path: Path) -> None:
    """Only NORMAL and FULL are accepted for synchronous."""
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteStore(tmp_path / "x.sqlite3", synchronous="OFF")  # type: ignore[arg-type]


class _Fixed:
    def now(self) -> datetime:
        return AT

    def monotonic(self) -> float:
        return 0.0
