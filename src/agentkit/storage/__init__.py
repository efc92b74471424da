"""Event stores, sessions, replay and a response cache: everything that keeps runs after they end.

An `EventStore` keeps each run's events as an append-only log (`MemoryStore` in memory, `SQLiteStore` in one
SQLite file, the embedded default), each event chained to the one before by a hash, so an edited stored run
reads as `TamperedRun`. `StoreSink` writes a run's events as they happen; `Session` carries a
conversation across runs; `replay` re-runs a stored run against recorded model answers and tool results and
raises `ReplayDivergence` where the new run differs; `migrate` reads events written by older releases;
`CachingProvider` answers repeated identical requests from a cache.

Examples:
    >>> from agentkit.runtime import Agent
    >>> from agentkit.storage import Session, SQLiteStore
    >>> from agentkit.testing import FakeProvider
    >>> store = SQLiteStore(":memory:")
    >>> session = Session(store, "chat-1")
    >>> agent = Agent(FakeProvider(["Hello!", "Still here."]))
    >>> session.run_sync(agent, "hi").output, session.run_sync(agent, "again?").output
    ('Hello!', 'Still here.')
    >>> [m.role for m in session.history()]
    ['user', 'assistant', 'user', 'assistant']
    >>> store.close()
"""

from __future__ import annotations

from agentkit.exceptions import EventsNotStored, TamperedRun
from agentkit.storage._base import EventStore, RunStatus, RunSummary
from agentkit.storage._cache import CachingProvider, MemoryResponseCache, ResponseCache, request_key
from agentkit.storage._errors import (
    MigrationError,
    ReplayDivergence,
    RunNotFound,
    SequenceError,
    StorageError,
)
from agentkit.storage._memory import MemoryStore
from agentkit.storage._migrate import migrate, register_migration
from agentkit.storage._postgres import PostgresStore
from agentkit.storage._redis import RedisStore
from agentkit.storage._replay import RecordedStep, Recording, ReplayProvider, replay
from agentkit.storage._session import Session
from agentkit.storage._sink import StoreSink
from agentkit.storage._sqlite import DEFAULT_DB, SQLiteStore

__all__ = (
    "DEFAULT_DB",
    "CachingProvider",
    "EventStore",
    "EventsNotStored",
    "MemoryResponseCache",
    "MemoryStore",
    "MigrationError",
    "PostgresStore",
    "RecordedStep",
    "Recording",
    "RedisStore",
    "ReplayDivergence",
    "ReplayProvider",
    "ResponseCache",
    "RunNotFound",
    "RunStatus",
    "RunSummary",
    "SQLiteStore",
    "SequenceError",
    "Session",
    "StorageError",
    "StoreSink",
    "TamperedRun",
    "migrate",
    "register_migration",
    "replay",
    "request_key",
)
