"""``SQLiteStore``: the embedded default event store (stdlib ``sqlite3``, WAL, one transaction per batch)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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
    from collections.abc import Sequence

    from agentkit.events import BaseEvent, Event
    from agentkit.messages import Message

__all__ = ("DEFAULT_DB", "SQLiteStore")

DEFAULT_DB = "agentkit-runs.sqlite3"
"""The database file the CLI uses when neither ``--db`` nor ``AGENTKIT_DB`` names one."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    session_id TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    next_seq INTEGER NOT NULL DEFAULT 0,
    agent TEXT,
    model TEXT,
    started_at TEXT,
    updated_at TEXT,
    steps INTEGER NOT NULL DEFAULT 0,
    usage TEXT NOT NULL DEFAULT '{}',
    output TEXT,
    messages TEXT,
    head TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_session ON runs (session_id, id);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL,
    hash TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""

_SUMMARY_COLUMNS = "run_id, session_id, status, next_seq, agent, model, started_at, updated_at, steps, usage, output"

# Columns added after the first release: a database written by it gains them, empty, when opened.
_ADDED_COLUMNS = (("runs", "head", "TEXT"), ("events", "hash", "TEXT"))


class SQLiteStore(EventStore):
    """Events in one SQLite file, safe for many threads and processes.

    The database runs in WAL mode, so readers never block the writer. Each `append` is one ``BEGIN IMMEDIATE``
    transaction: the sequence check and the insert see the same state even with other processes writing, and
    when `append` returns the batch is committed. With the default ``synchronous="NORMAL"`` a committed batch
    survives the process being killed (it is in the WAL, which the OS holds); only an OS crash or power loss
    can lose the last commits. ``synchronous="FULL"`` also survives those, at the cost of an fsync per batch.

    One connection is shared by the threads of a process, behind a lock (SQLite writes one transaction at a
    time anyway); other processes wait up to ``busy_timeout`` seconds for the write lock.

    Args:
        path: The database file (created when missing, unless ``create=False``), or ``":memory:"``.
        synchronous: SQLite's ``synchronous`` setting: ``"NORMAL"`` (survives a killed process) or ``"FULL"``
            (also survives power loss).
        busy_timeout: Seconds to wait for another process's write lock.
        create: Create a missing database file. ``False`` raises `StorageError` instead, for readers (such as
            ``agentkit runs``) that must not leave an empty database behind.

    Examples:
        >>> from agentkit.events import EventEmitter, RunStarted
        >>> from agentkit.storage import SQLiteStore
        >>> store = SQLiteStore(":memory:")
        >>> emitter = EventEmitter(run_id="r1")
        >>> store.append("r1", [emitter.emit(RunStarted, agent="a", provider="P", output_type="str")])
        >>> store.read("r1")[0].type, store.get_run("r1").agent
        ('run.started', 'a')
        >>> store.close()
        >>> SQLiteStore("no-such-dir/runs.sqlite3", create=False)
        Traceback (most recent call last):
        ...
        agentkit.exceptions.StorageError: SQLite event store 'no-such-dir/runs.sqlite3' does not exist
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_DB,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 30.0,
        create: bool = True,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        target, uri = self.path, False
        if not create and self.path != ":memory:":
            if not os.path.exists(self.path):
                raise StorageError(f"SQLite event store {self.path!r} does not exist")
            # mode=rw: never create the file, even if it disappears between the check and the connect.
            target, uri = Path(self.path).absolute().as_uri() + "?mode=rw", True
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
            self._db = sqlite3.connect(
                target,
                timeout=busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=uri,
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite event store {self.path!r}: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            self._db.executescript(_SCHEMA)
            for table, column, kind in _ADDED_COLUMNS:
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except sqlite3.Error as exc:
            # A file that is not a database (or a schema we cannot migrate): never leak the connection.
            self._db.close()
            raise StorageError(f"cannot open SQLite event store {self.path!r}: {exc}") from exc

    def append(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        """See `EventStore.append`: one transaction per batch, committed when this returns."""
        batch = list(events)
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    row = db.execute(
                        f"SELECT {_SUMMARY_COLUMNS}, head FROM runs WHERE run_id = ?", (run_id,)
                    ).fetchone()
                    summary = (
                        RunSummary(run_id=run_id, session_id=session_id)
                        if row is None
                        else _summary(row)
                    )
                    check_batch(run_id, summary.events, batch)
                    summary = summary.with_events(batch)
                    rows, head = event_rows(
                        run_id, GENESIS if row is None else row[-1] or GENESIS, batch
                    )
                    if row is None:
                        db.execute(
                            "INSERT INTO runs (run_id, session_id) VALUES (?, ?)",
                            (run_id, session_id),
                        )
                    db.executemany(
                        "INSERT INTO events (run_id, seq, type, schema_version, at, data, hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                    db.execute(
                        "UPDATE runs SET status = ?, next_seq = ?, agent = ?, model = ?, started_at = ?, "
                        "updated_at = ?, steps = ?, usage = ?, output = ?, head = ? WHERE run_id = ?",
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
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(
                    f"cannot append to run {run_id!r} in {self.path!r}: {exc}"
                ) from exc

    def read(self, run_id: str) -> list[Event]:
        """See `EventStore.read`; events written by older releases are migrated."""
        return self._read(run_id)[0]

    def verify(self, run_id: str) -> bool:
        """See `EventStore.verify`."""
        return self._read(run_id)[1]

    def _read(self, run_id: str) -> tuple[list[Event], bool]:
        with self._lock:
            # One read transaction: the events and the run's head hash from the same snapshot.
            self._db.execute("BEGIN")
            try:
                rows = self._db.execute(
                    "SELECT schema_version, data, hash FROM events WHERE run_id = ? ORDER BY seq",
                    (run_id,),
                ).fetchall()
                found = self._db.execute(
                    "SELECT head FROM runs WHERE run_id = ?", (run_id,)
                ).fetchone()
            finally:
                self._db.execute("COMMIT")
        if found is None:
            raise RunNotFound(run_id=run_id)
        chained = verify_chain(run_id, [(data, digest) for _, data, digest in rows], found[0])
        events = [load_event(v, data) for v, data, _ in rows]
        check_order(run_id, events)
        return events, chained

    def runs(self, limit: int | None = 50, *, session_id: str | None = None) -> list[RunSummary]:
        """See `EventStore.runs`."""
        params: list[Any] = [] if session_id is None else [session_id]
        where = "" if session_id is None else "WHERE session_id = ?"
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM runs {where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_summary(row) for row in rows]

    def get_run(self, run_id: str) -> RunSummary:
        """See `EventStore.get_run`."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        if row is None:
            raise RunNotFound(run_id=run_id)
        return _summary(row)

    def sessions(self, limit: int | None = 50) -> list[str]:
        """See `EventStore.sessions`."""
        sql = (
            "SELECT session_id FROM runs WHERE session_id IS NOT NULL "
            "GROUP BY session_id ORDER BY MAX(id) DESC"
        )
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._lock:
            return [row[0] for row in self._db.execute(sql, params).fetchall()]

    def save_messages(self, run_id: str, messages: Sequence[Message]) -> None:
        """See `EventStore.save_messages`."""
        data = json.dumps([m.model_dump(mode="json") for m in messages], separators=(",", ":"))
        with self._lock:
            cursor = self._db.execute(
                "UPDATE runs SET messages = ? WHERE run_id = ?", (data, run_id)
            )
            if cursor.rowcount == 0:
                raise RunNotFound(run_id=run_id)

    def load_messages(self, run_id: str) -> list[Message] | None:
        """See `EventStore.load_messages`."""
        from agentkit.messages import Message

        with self._lock:
            row = self._db.execute(
                "SELECT messages FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        if row is None:
            raise RunNotFound(run_id=run_id)
        if row[0] is None:
            return None
        return [Message.model_validate(m) for m in json.loads(row[0])]

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _summary(row: Sequence[Any]) -> RunSummary:
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
