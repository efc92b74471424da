"""Every store keeps a hash chain over each run's events, and takes any text the runtime can produce."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

from agentkit.events import ToolCallSucceeded
from agentkit.exceptions import TamperedRun
from agentkit.storage import MemoryStore, PostgresStore, RedisStore, SQLiteStore

if TYPE_CHECKING:
    from agentkit.storage import EventStore

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
HOSTILE = "lone \ud800 surrogate, \udfff another, a NUL \x00 and \u2028 \U0001f600 end"


def _events(run_id: str, count: int, content: str = "ok") -> list[ToolCallSucceeded]:
    return [
        ToolCallSucceeded(
            run_id=run_id,
            seq=i,
            at=AT,
            tool_name="t",
            duration_s=0.0,
            output_chars=len(content),
            content=content,
        )
        for i in range(count)
    ]


def _rewrite(store: EventStore, run_id: str, seq: int, change: dict[str, Any]) -> None:
    """Change one stored event behind the store's back, into another valid event."""
    if isinstance(store, MemoryStore):
        log = store._events[run_id]
        log[seq] = log[seq].model_copy(update=change)
    elif isinstance(store, SQLiteStore):
        with closing(sqlite3.connect(store.path)) as raw, raw:
            (data,) = raw.execute(
                "SELECT data FROM events WHERE run_id = ? AND seq = ?", (run_id, seq)
            ).fetchone()
            raw.execute(
                "UPDATE events SET data = ? WHERE run_id = ? AND seq = ?",
                (json.dumps({**json.loads(data), **change}), run_id, seq),
            )
    elif isinstance(store, PostgresStore):
        import psycopg

        table = f"{store.table_prefix}events"
        with psycopg.connect(store.dsn, autocommit=True) as conn:
            row = conn.execute(
                f"SELECT data FROM {table} WHERE run_id = %s AND seq = %s", (run_id, seq)
            ).fetchone()
            assert row is not None
            conn.execute(
                f"UPDATE {table} SET data = %s WHERE run_id = %s AND seq = %s",
                (json.dumps({**json.loads(row[0]), **change}), run_id, seq),
            )
    else:
        assert isinstance(store, RedisStore)
        key = store._events_key(run_id)
        item = store._redis.lindex(key, seq)
        assert item is not None
        version, digest, data = bytes(item).decode().split("|", 2)
        edited = json.dumps({**json.loads(data), **change})
        store._redis.lset(key, seq, f"{version}|{digest}|{edited}")


def _drop_last(store: EventStore, run_id: str) -> None:
    """Remove a run's last stored event behind the store's back."""
    if isinstance(store, MemoryStore):
        store._events[run_id].pop()
        store._chains[run_id].pop()
    elif isinstance(store, SQLiteStore):
        with closing(sqlite3.connect(store.path)) as raw, raw:
            raw.execute(
                "DELETE FROM events WHERE run_id = ? AND seq = "
                "(SELECT MAX(seq) FROM events WHERE run_id = ?)",
                (run_id, run_id),
            )
    elif isinstance(store, PostgresStore):
        import psycopg

        table = f"{store.table_prefix}events"
        with psycopg.connect(store.dsn, autocommit=True) as conn:
            conn.execute(
                f"DELETE FROM {table} WHERE run_id = %s AND seq = "
                f"(SELECT MAX(seq) FROM {table} WHERE run_id = %s)",
                (run_id, run_id),
            )
    else:
        assert isinstance(store, RedisStore)
        store._redis.rpop(store._events_key(run_id))


def test_untouched_runs_verify(store: EventStore) -> None:
    """A run appended in several batches reads back and verifies."""
    written = _events("r1", 4)
    store.append("r1", written[:1])
    store.append("r1", written[1:])
    assert store.read("r1") == written
    assert store.verify("r1") is True


def test_a_consistent_edit_is_a_tampered_run(store: EventStore) -> None:
    """An event rewritten into another valid event fails its hash: read and verify raise TamperedRun at it."""
    store.append("r1", _events("r1", 3))
    _rewrite(store, "r1", 1, {"content": "forged", "output_chars": 6})
    with pytest.raises(TamperedRun) as info:
        store.read("r1")
    assert (info.value.run_id, info.value.seq) == ("r1", 1)
    with pytest.raises(TamperedRun):
        store.verify("r1")


def test_a_removed_last_event_is_a_tampered_run(store: EventStore) -> None:
    """Deleting the run's last event leaves a valid prefix, but not the run's stored head hash."""
    store.append("r1", _events("r1", 3))
    _drop_last(store, "r1")
    with pytest.raises(TamperedRun, match="removed or added") as info:
        store.read("r1")
    assert info.value.seq == 2


def test_hostile_text_round_trips_exactly(store: EventStore) -> None:
    """Lone surrogates and NUL in event content are stored and read back exactly, chain intact."""
    written = _events("r1", 2, content=HOSTILE)
    store.append("r1", written)
    assert store.read("r1") == written
    assert store.read("r1")[1].content == HOSTILE  # type: ignore[union-attr]
    assert store.verify("r1") is True
    assert store.get_run("r1").events == 2


def test_a_postgres_database_from_before_the_chain_gains_its_columns(
    postgres_dsn: str, postgres_prefix: str
) -> None:
    """Tables made before the hash chain get ``runs.head`` and ``events.hash`` once, and opening again is a no-op."""
    import psycopg

    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {postgres_prefix}runs (id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL UNIQUE,"
            " session_id TEXT, status TEXT NOT NULL DEFAULT 'running', next_seq INTEGER NOT NULL DEFAULT 0,"
            " agent TEXT, model TEXT, started_at TEXT, updated_at TEXT, steps INTEGER NOT NULL DEFAULT 0,"
            " usage TEXT NOT NULL DEFAULT '{}', output TEXT, messages TEXT)"
        )
        conn.execute(
            f"CREATE TABLE {postgres_prefix}events (run_id TEXT NOT NULL, seq INTEGER NOT NULL,"
            " type TEXT NOT NULL, schema_version INTEGER NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL,"
            " PRIMARY KEY (run_id, seq))"
        )
    with PostgresStore(postgres_dsn, table_prefix=postgres_prefix) as store:
        store.append("r1", _events("r1", 2))
    with PostgresStore(postgres_dsn, table_prefix=postgres_prefix) as store:
        assert store.verify("r1")
        assert [event.seq for event in store.read("r1")] == [0, 1]
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        columns = {
            (table, column)
            for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_name IN (%s, %s)",
                (f"{postgres_prefix}runs", f"{postgres_prefix}events"),
            )
        }
    assert (f"{postgres_prefix}runs", "head") in columns
    assert (f"{postgres_prefix}events", "hash") in columns
