"""PostgresStore against a real PostgreSQL server: the shared store contract, plus many writer processes.

The server comes from ``AGENTKIT_TEST_POSTGRES_DSN`` (``.ci/services.sh`` starts one on loopback and sets it).
In CI (``CI`` set) a missing variable or an unreachable server fails the tests; elsewhere they skip.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit.events import EventEmitter, RunStarted, ToolCallSucceeded
from agentkit.exceptions import MissingExtraError
from agentkit.runtime import Agent
from agentkit.storage import PostgresStore, SequenceError, Session, StorageError
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ENV = "AGENTKIT_TEST_POSTGRES_DSN"
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _contract_cases() -> dict[str, Callable[..., Any]]:
    """The cases of test_stores.py that take only a ``store``: run here against this module's ``store``."""
    spec = importlib.util.spec_from_file_location(
        "_agentkit_store_contract_pg", Path(__file__).with_name("test_stores.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {
        name: case
        for name, case in vars(module).items()
        if name.startswith("test_")
        and callable(case)
        and list(inspect.signature(case).parameters) == ["store"]
    }


globals().update(_contract_cases())


def _unavailable(reason: str) -> None:
    message = f"PostgresStore tests need a PostgreSQL server: {reason}. Run `source .ci/services.sh` first."
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def dsn() -> str:
    """The test server's DSN; fails in CI and skips elsewhere when there is no reachable server."""
    value = os.environ.get(ENV, "")
    if not value:
        _unavailable(f"{ENV} is not set")
    try:
        import psycopg
    except ImportError:
        _unavailable('psycopg is not installed (pip install -e ".[postgres]")')
    try:
        psycopg.connect(value, connect_timeout=5).close()
    except psycopg.Error as exc:
        _unavailable(f"cannot connect to {ENV}: {exc}")
    return value


def _drop(dsn: str, prefix: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {prefix}events, {prefix}runs")


@pytest.fixture
def prefix(dsn: str) -> Iterator[str]:
    """Fresh table names for one test, dropped afterwards."""
    made = f"t{uuid.uuid4().hex[:12]}_"
    yield made
    _drop(dsn, made)


@pytest.fixture
def store(dsn: str, prefix: str) -> Iterator[PostgresStore]:
    """An empty PostgresStore on its own tables (overrides conftest's store for the contract cases)."""
    with PostgresStore(dsn, table_prefix=prefix) as made:
        yield made


def test_tables_are_created_on_first_use_and_shared(dsn: str, prefix: str) -> None:
    """Two stores on the same tables see each other's runs; the second creating the schema is harmless."""
    emitter = EventEmitter(run_id="r1")
    with (
        PostgresStore(dsn, table_prefix=prefix) as first,
        PostgresStore(dsn, table_prefix=prefix) as second,
    ):
        first.append("r1", [emitter.emit(RunStarted, agent="a", provider="P", output_type="str")])
        assert [e.type for e in second.read("r1")] == ["run.started"]
        assert second.get_run("r1").agent == "a"


def test_unreachable_server_raises_storage_error() -> None:
    """A server that does not answer surfaces as StorageError, naming the store without its password."""
    store = PostgresStore("postgresql://u:hunter2@127.0.0.1:1/none", connect_timeout=1)
    with pytest.raises(
        StorageError, match=r"cannot list runs in PostgresStore\('postgresql://u:\*\*\*@"
    ) as info:
        store.runs()
    assert "hunter2" not in str(info.value)


def test_closed_store_refuses_work(store: PostgresStore) -> None:
    """After close, every call raises StorageError."""
    store.close()
    with pytest.raises(StorageError, match="is closed"):
        store.runs()


def test_bad_arguments() -> None:
    """An unsafe table prefix or an empty pool is rejected at construction."""
    with pytest.raises(ValueError, match="table_prefix"):
        PostgresStore("postgresql://", table_prefix="x; DROP TABLE y")
    with pytest.raises(ValueError, match="pool_size"):
        PostgresStore("postgresql://", pool_size=0)


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without psycopg, construction raises MissingExtraError with the pip line."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MissingExtraError, match=r"agentkit\[postgres\]"):
        PostgresStore("postgresql://")


SESSIONS_PER_WRITER = 6
TURNS = 3

WRITER = textwrap.dedent(
    """
    import sys, anyio
    from agentkit import tool
    from agentkit.messages import ToolCallPart
    from agentkit.runtime import Agent
    from agentkit.storage import Session, PostgresStore

    @tool
    def add(a: int, b: int) -> int:
        '''Add.'''
        return a + b

    async def converse(store, name):
        from agentkit.testing import FakeProvider
        session = Session(store, name)
        for turn in range({turns}):
            script = [[ToolCallPart(id=f"{{name}}-{{turn}}", name="add", arguments='{{"a": 1, "b": 2}}')], f"{{name}} turn {{turn}}"]
            await session.run(Agent(FakeProvider(script), tools=[add]), f"question {{turn}}")

    async def main(dsn, prefix, name):
        store = PostgresStore(dsn, table_prefix=prefix)
        async with anyio.create_task_group() as tg:
            for i in range({sessions}):
                tg.start_soon(converse, store, f"{{name}}-s{{i}}")
        store.close()

    anyio.run(main, *sys.argv[1:4])
    """
).format(turns=TURNS, sessions=SESSIONS_PER_WRITER)


def test_concurrent_sessions_from_several_processes(dsn: str, prefix: str) -> None:
    """Four processes each run six concurrent sessions against one database; every run is complete and in order."""
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, dsn, prefix, f"p{i}"], stderr=subprocess.PIPE
        )
        for i in range(4)
    ]
    with PostgresStore(dsn, table_prefix=prefix) as store:

        async def local() -> None:
            async with anyio.create_task_group() as tg:
                for i in range(SESSIONS_PER_WRITER):
                    session = Session(store, f"local-s{i}")
                    tg.start_soon(session.run, Agent(FakeProvider(["ok"])), "hi")

        anyio.run(local)
        for writer in writers:
            _, err = writer.communicate(timeout=90)
            assert writer.returncode == 0, err.decode()

        sessions = store.sessions(None)
        assert len(sessions) == 5 * SESSIONS_PER_WRITER
        runs = store.runs(None)
        assert len(runs) == 4 * SESSIONS_PER_WRITER * TURNS + SESSIONS_PER_WRITER
        for summary in runs:
            events = store.read(summary.run_id)
            assert [e.seq for e in events] == list(range(len(events)))
            assert summary.events == len(events)
            assert events[0].type == "run.started"
            assert events[-1].type == "run.finished"
            assert summary.status == "completed"
        for name in sessions:
            if name.startswith("local"):
                continue
            history = Session(store, name).history()
            answers = [m.text for m in history if m.role == "assistant" and m.text]
            assert answers == [f"{name} turn {t}" for t in range(TURNS)]


def test_racing_writers_of_one_run_never_duplicate(store: PostgresStore) -> None:
    """Threads racing to append the same seqs to one run: exactly one wins each seq, the rest get SequenceError."""
    wins: list[int] = []
    lock = threading.Lock()

    def race(worker: int) -> None:
        for seq in range(20):
            event = ToolCallSucceeded(
                run_id="shared", seq=seq, at=AT, tool_name="t", duration_s=0.0, output_chars=worker
            )
            try:
                store.append("shared", [event])
            except SequenceError:
                continue
            with lock:
                wins.append(seq)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == list(range(20))
    assert [e.seq for e in store.read("shared")] == list(range(20))
    assert store.get_run("shared").events == 20
