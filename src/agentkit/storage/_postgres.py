"""``PostgresStore``: events in PostgreSQL, for many processes and machines (``agentkit-contracts[postgres]``, psycopg 3)."""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError
from agentkit.storage._base import (
    GENESIS,
    EventStore,
    RunSummary,
    check_batch,
    check_order,
    event_rows,
    load_event,
    safe_text,
    verify_chain,
)
from agentkit.storage._errors import RunNotFound, StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import ModuleType

    import psycopg

    from agentkit.events import BaseEvent, Event
    from agentkit.messages import Message

__all__ = ("PostgresStore",)

_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,40}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}runs (
    id BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    session_id TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    next_seq INTEGER NOT NULL DEFAULT 0,
    agent TEXT,
    model TEXT,
    started_at TEXT,
    updated_at TEXT,
    steps INTEGER NOT NULL DEFAULT 0,
    usage TEXT NOT NULL DEFAULT '{{}}',
    output TEXT,
    messages TEXT
);
CREATE INDEX IF NOT EXISTS {p}runs_by_session ON {p}runs (session_id, id);
CREATE TABLE IF NOT EXISTS {p}events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""

# Columns added after the first schema: (table, column, type). Added only where missing, since even
# ``ADD COLUMN IF NOT EXISTS`` takes an ACCESS EXCLUSIVE lock, which deadlocks with other processes' reads.
_ADDED_COLUMNS = (("runs", "head", "TEXT"), ("events", "hash", "TEXT"))

_SUMMARY_COLUMNS = "run_id, session_id, status, next_seq, agent, model, started_at, updated_at, steps, usage, output"


def _driver() -> ModuleType:
    try:
        import psycopg
    except ImportError as exc:
        raise MissingExtraError(extra="postgres", package="psycopg") from exc
    return psycopg


class PostgresStore(EventStore):
    """Events in a PostgreSQL database, safe for many threads, processes and machines.

    Each `append` is one transaction: it locks the run's row (``SELECT … FOR UPDATE``, or creates the row),
    checks the batch continues the stored log, inserts the events and updates the run's summary, then commits.
    Writers of one run therefore queue behind each other while writers of different runs proceed in parallel,
    and the primary key on ``(run_id, seq)`` backs the check: a log can never hold a gap or a repeat. When
    `append` returns the batch is committed (durable as the server's ``synchronous_commit`` says).

    The tables (``<table_prefix>runs`` and ``<table_prefix>events``) are created on first use. Nothing
    connects until then: the store opens connections on demand, at most ``pool_size`` at once, and shares
    them between threads. Uses psycopg 3 (``pip install "agentkit-contracts[postgres]"``).

    Args:
        dsn: A libpq connection string or URL, such as ``"postgresql://user:password@host:5432/db"``.
        table_prefix: Prefix of the table names (lowercase letters, digits and ``_``), to keep several stores
            in one database.
        pool_size: The most connections open at once; further callers wait for a free one.
        connect_timeout: Seconds to wait when opening a connection.

    Raises:
        MissingExtraError: psycopg is not installed.
        ValueError: ``table_prefix`` or ``pool_size`` is invalid.

    Examples:
        >>> from agentkit.storage import PostgresStore
        >>> store = PostgresStore("postgresql://agentkit:secret@127.0.0.1:5432/agentkit")
        >>> store
        PostgresStore('postgresql://agentkit:***@127.0.0.1:5432/agentkit')

        With a server running, it is used like any other store:

        >>> from agentkit.events import EventEmitter, RunStarted
        >>> emitter = EventEmitter(run_id="r1")
        >>> store.append("r1", [emitter.emit(RunStarted, agent="a", provider="P", output_type="str")])  # doctest: +SKIP
        >>> store.read("r1")[0].type  # doctest: +SKIP
        'run.started'
        >>> store.close()
    """

    def __init__(
        self,
        dsn: str,
        *,
        table_prefix: str = "agentkit_",
        pool_size: int = 4,
        connect_timeout: float = 10.0,
    ) -> None:
        if not _PREFIX.fullmatch(table_prefix):
            raise ValueError(
                "table_prefix must be lowercase letters, digits and '_' (not starting with a digit, "
                f"at most 41 characters), got {table_prefix!r}"
            )
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1, got {pool_size!r}")
        self._psycopg = _driver()
        self.dsn = dsn
        self.table_prefix = table_prefix
        self._connect_timeout = connect_timeout
        self._slots = threading.BoundedSemaphore(pool_size)
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection[tuple[Any, ...]]] = []
        self._schema_ready = False
        self._closed = False
        p = table_prefix
        self._sql_summary = f"SELECT {_SUMMARY_COLUMNS} FROM {p}runs WHERE run_id = %s"
        self._sql_lock = (
            f"SELECT {_SUMMARY_COLUMNS}, head FROM {p}runs WHERE run_id = %s FOR UPDATE"
        )
        self._sql_create = (
            f"INSERT INTO {p}runs (run_id, session_id) VALUES (%s, %s) "
            f"ON CONFLICT (run_id) DO NOTHING RETURNING {_SUMMARY_COLUMNS}, head"
        )
        self._sql_insert = (
            f"INSERT INTO {p}events (run_id, seq, type, schema_version, at, data, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)"
        )
        self._sql_update = (
            f"UPDATE {p}runs SET status = %s, next_seq = %s, agent = %s, model = %s, started_at = %s, "
            "updated_at = %s, steps = %s, usage = %s, output = %s, head = %s WHERE run_id = %s"
        )

    # ------------------------------------------------------------------------------------ connections

    @contextmanager
    def _connection(self, action: str) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A pooled connection (schema ensured); psycopg errors become `StorageError` naming ``action``."""
        driver = self._psycopg
        self._slots.acquire()
        conn: psycopg.Connection[tuple[Any, ...]] | None = None
        try:
            with self._lock:
                if self._closed:
                    raise StorageError(f"{self!r} is closed")
                conn = self._idle.pop() if self._idle else None
            try:
                if conn is None:
                    conn = driver.connect(
                        self.dsn,
                        autocommit=True,
                        connect_timeout=max(1, round(self._connect_timeout)),
                    )
                if not self._schema_ready:
                    self._create_schema(conn)
                yield conn
            except driver.Error as exc:
                raise StorageError(f"cannot {action} in {self!r}: {exc}") from exc
        finally:
            if conn is not None:
                with self._lock:
                    if self._closed or conn.closed or conn.broken:
                        conn.close()
                    else:
                        self._idle.append(conn)
            self._slots.release()

    def _create_schema(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog: serialise it across processes.
        with conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table_prefix + "schema",)
            )
            for statement in _SCHEMA.format(p=self.table_prefix).split(";"):
                if statement.strip():
                    conn.execute(statement)
            for table, column, kind in _ADDED_COLUMNS:
                name = self.table_prefix + table
                present = conn.execute(
                    "SELECT 1 FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = %s AND column_name = %s",
                    (name, column),
                ).fetchone()
                if present is None:
                    conn.execute(f"ALTER TABLE {name} ADD COLUMN {column} {kind}")
        self._schema_ready = True

    # ---------------------------------------------------------------------------------------- the API

    def append(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        """See `EventStore.append`: one transaction per batch, committed when this returns."""
        batch = list(events)
        with self._connection(f"append to run {run_id!r}") as conn, conn.transaction():
            row = conn.execute(self._sql_lock, (run_id,)).fetchone()
            if row is None:
                # A new run; another writer may be creating it this instant, then we wait and lock its row.
                row = conn.execute(self._sql_create, (run_id, session_id)).fetchone()
                if row is None:
                    row = conn.execute(self._sql_lock, (run_id,)).fetchone()
            summary = _summary(row)
            # Raising here rolls the transaction back: a failed first batch leaves no run behind.
            check_batch(run_id, summary.events, batch)
            summary = summary.with_events(batch)
            rows, head = event_rows(
                run_id, (row[-1] if row is not None else None) or GENESIS, batch
            )
            if rows:
                with conn.cursor() as cursor:
                    cursor.executemany(self._sql_insert, rows)
            conn.execute(
                self._sql_update,
                (
                    summary.status,
                    summary.events,
                    safe_text(summary.agent),
                    safe_text(summary.model),
                    _iso(summary.started_at),
                    _iso(summary.updated_at),
                    summary.steps,
                    json.dumps(summary.usage),
                    safe_text(summary.output),
                    head,
                    run_id,
                ),
            )

    def read(self, run_id: str) -> list[Event]:
        """See `EventStore.read`; events written by older releases are migrated."""
        return self._read(run_id)[0]

    def verify(self, run_id: str) -> bool:
        """See `EventStore.verify`."""
        return self._read(run_id)[1]

    def _read(self, run_id: str) -> tuple[list[Event], bool]:
        p = self.table_prefix
        with self._connection(f"read run {run_id!r}") as conn, conn.transaction():
            # One snapshot for the events and the run's head hash.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rows = conn.execute(
                f"SELECT schema_version, data, hash FROM {p}events WHERE run_id = %s ORDER BY seq",
                (run_id,),
            ).fetchall()
            found = conn.execute(
                f"SELECT head FROM {p}runs WHERE run_id = %s", (run_id,)
            ).fetchone()
        if found is None:
            raise RunNotFound(run_id=run_id)
        chained = verify_chain(run_id, [(data, digest) for _, data, digest in rows], found[0])
        events = [load_event(v, data) for v, data, _ in rows]
        check_order(run_id, events)
        return events, chained

    def runs(self, limit: int | None = 50, *, session_id: str | None = None) -> list[RunSummary]:
        """See `EventStore.runs`."""
        params: list[Any] = [] if session_id is None else [session_id]
        where = "" if session_id is None else "WHERE session_id = %s"
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM {self.table_prefix}runs {where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        with self._connection("list runs") as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_summary(row) for row in rows]

    def get_run(self, run_id: str) -> RunSummary:
        """See `EventStore.get_run`."""
        with self._connection(f"read run {run_id!r}") as conn:
            row = conn.execute(self._sql_summary, (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(run_id=run_id)
        return _summary(row)

    def sessions(self, limit: int | None = 50) -> list[str]:
        """See `EventStore.sessions`."""
        sql = (
            f"SELECT session_id FROM {self.table_prefix}runs WHERE session_id IS NOT NULL "
            "GROUP BY session_id ORDER BY MAX(id) DESC"
        )
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        with self._connection("list sessions") as conn:
            return [row[0] for row in conn.execute(sql, params).fetchall()]

    def save_messages(self, run_id: str, messages: Sequence[Message]) -> None:
        """See `EventStore.save_messages`."""
        data = json.dumps([m.model_dump(mode="json") for m in messages], separators=(",", ":"))
        with self._connection(f"save messages of run {run_id!r}") as conn:
            cursor = conn.execute(
                f"UPDATE {self.table_prefix}runs SET messages = %s WHERE run_id = %s",
                (data, run_id),
            )
            if cursor.rowcount == 0:
                raise RunNotFound(run_id=run_id)

    def load_messages(self, run_id: str) -> list[Message] | None:
        """See `EventStore.load_messages`."""
        from agentkit.messages import Message

        with self._connection(f"load messages of run {run_id!r}") as conn:
            row = conn.execute(
                f"SELECT messages FROM {self.table_prefix}runs WHERE run_id = %s",
                (run_id,),
            ).fetchone()
        if row is None:
            raise RunNotFound(run_id=run_id)
        if row[0] is None:
            return None
        return [Message.model_validate(m) for m in json.loads(row[0])]

    def close(self) -> None:
        """Close the store's connections; connections in use close when they are handed back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __repr__(self) -> str:
        # Never show a password: "user:secret@" becomes "user:***@", and password=... in key/value form too.
        shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.dsn)
        shown = re.sub(r"(password\s*=\s*)\S+", r"\1***", shown)
        return f"PostgresStore({shown!r})"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _summary(row: Sequence[Any] | None) -> RunSummary:
    if row is None:  # pragma: no cover - the row was locked or created in this transaction
        raise StorageError("a run row vanished inside its own transaction")
    run_id, session_id, status, next_seq, agent, model, started, updated, steps, usage, output = (
        row[:11]
    )
    return RunSummary(
        run_id=run_id,
        session_id=session_id,
        status=status,
        events=next_seq,
        agent=agent,
        model=model,
        started_at=None if started is None else datetime.fromisoformat(started),
        updated_at=None if updated is None else datetime.fromisoformat(updated),
        steps=steps,
        usage=json.loads(usage),
        output=output,
    )
