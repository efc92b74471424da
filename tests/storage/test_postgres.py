"""PostgresStore against a real PostgreSQL server: its own behaviour, plus many writer processes.

The shared store contract runs against PostgreSQL in test_stores.py; the server comes from conftest.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import anyio
import pytest

from agentkit.events import EventEmitter, RunStarted, ToolCallSucceeded
from agentkit.exceptions import MissingExtraError
from agentkit.runtime import Agent
from agentkit.storage import PostgresStore, SequenceError, Session, StorageError
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from collections.abc import Iterator

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def store(postgres_dsn: str, postgres_prefix: str) -> Iterator[PostgresStore]:
    """An empty PostgresStore on its own tables."""
    with PostgresStore(postgres_dsn, table_prefix=postgres_prefix) as made:
        yield made


def test_tables_are_created_on_first_use_and_shared(
    postgres_dsn: str, postgres_prefix: str
) -> None:
    """Two stores on the same tables see each other's runs; the second creating the schema is harmless."""
    emitter = EventEmitter(run_id="r1")
    with (
        PostgresStore(postgres_dsn, table_prefix=postgres_prefix) as first,
        PostgresStore(postgres_dsn, table_prefix=postgres_prefix) as second,
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
    with pytest.raises(MissingExtraError, match=r"agentkit-contracts\[postgres\]"):
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


def test_concurrent_sessions_from_several_processes(
    postgres_dsn: str, postgres_prefix: str
) -> None:
    """Four processes each run six concurrent sessions against one database; every run is complete and in order."""
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, postgres_dsn, postgres_prefix, f"p{i}"],
            stderr=subprocess.PIPE,
        )
        for i in range(4)
    ]
    with PostgresStore(postgres_dsn, table_prefix=postgres_prefix) as store:

        async def local() -> None:
            async with anyio.create_task_group() as tg:
                for i in range(SESSIONS_PER_WRITER):
                    session = Session(store, f"local-s{i}")
                    tg.start_soon(session.run, Agent(FakeProvider(["ok"])), "hi")

        anyio.run(local)
        # Collect every writer before judging any, so a failure leaves no process or pipe behind.
        errors = [writer.communicate(timeout=90)[1] for writer in writers]
        for writer, err in zip(writers, errors, strict=True):
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
