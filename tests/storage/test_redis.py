"""RedisStore against a real Redis server: its own behaviour, plus many writer processes.

The shared store contract runs against Redis in test_stores.py; the server comes from conftest.py.
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
from agentkit.storage import RedisStore, SequenceError, Session, StorageError
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from collections.abc import Iterator

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def store(redis_url: str, redis_prefix: str) -> Iterator[RedisStore]:
    """An empty RedisStore under its own prefix."""
    with RedisStore(redis_url, prefix=redis_prefix) as made:
        yield made


def test_two_stores_share_keys(redis_url: str, redis_prefix: str) -> None:
    """Two stores with the same prefix see each other's runs."""
    emitter = EventEmitter(run_id="r1")
    with (
        RedisStore(redis_url, prefix=redis_prefix) as first,
        RedisStore(redis_url, prefix=redis_prefix) as second,
    ):
        first.append(
            "r1",
            [emitter.emit(RunStarted, agent="a", provider="P", output_type="str")],
            session_id="s",
        )
        assert [e.type for e in second.read("r1")] == ["run.started"]
        assert second.sessions() == ["s"]


def test_run_ids_cannot_collide_with_other_keys(store: RedisStore) -> None:
    """Run ids that look like key suffixes stay separate runs."""
    store.append("a", [_event("a", 0)])
    store.append("a:events", [_event("a:events", 0)])
    store.append("events:a", [_event("events:a", 0)])
    assert [len(store.read(r)) for r in ("a", "a:events", "events:a")] == [1, 1, 1]


def test_zero_limits(store: RedisStore) -> None:
    """A limit of zero lists nothing."""
    store.append("a", [_event("a", 0)], session_id="s")
    assert store.runs(0) == []
    assert store.sessions(0) == []


def test_passed_client_is_not_closed(redis_url: str, redis_prefix: str) -> None:
    """A client handed to the store stays open after the store closes."""
    import redis

    client = redis.Redis.from_url(redis_url)
    with RedisStore(prefix=redis_prefix, client=client) as store:
        store.append("a", [_event("a", 0)])
    assert client.ping()
    client.close()


def test_unreachable_server_raises_storage_error() -> None:
    """A server that does not answer surfaces as StorageError, naming the store without its password."""
    store = RedisStore("redis://:hunter2@127.0.0.1:1/0")
    for call in (store.runs, store.sessions, lambda: store.read("r"), lambda: store.get_run("r")):
        with pytest.raises(StorageError, match=r"RedisStore\('redis://:\*\*\*@") as info:
            call()
        assert "hunter2" not in str(info.value)
    with pytest.raises(StorageError, match="cannot append"):
        store.append("r", [_event("r", 0)])
    with pytest.raises(StorageError, match="cannot save"):
        store.save_messages("r", [])
    with pytest.raises(StorageError, match="cannot load"):
        store.load_messages("r")
    store.close()


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without redis-py, construction raises MissingExtraError with the pip line."""
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingExtraError, match=r"agentkit-contracts\[redis\]"):
        RedisStore()


def test_racing_writers_of_one_run_never_duplicate(store: RedisStore) -> None:
    """Threads racing to append the same seqs to one run: exactly one wins each seq, the rest get SequenceError."""
    wins: list[int] = []
    lock = threading.Lock()

    def race() -> None:
        for seq in range(30):
            try:
                store.append("shared", [_event("shared", seq)])
            except SequenceError:
                continue
            with lock:
                wins.append(seq)

    threads = [threading.Thread(target=race) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == list(range(30))
    assert [e.seq for e in store.read("shared")] == list(range(30))
    assert store.get_run("shared").events == 30


SESSIONS_PER_WRITER = 6
TURNS = 3

WRITER = textwrap.dedent(
    """
    import sys, anyio
    from agentkit import tool
    from agentkit.messages import ToolCallPart
    from agentkit.runtime import Agent
    from agentkit.storage import Session, RedisStore

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

    async def main(url, prefix, name):
        store = RedisStore(url, prefix=prefix)
        async with anyio.create_task_group() as tg:
            for i in range({sessions}):
                tg.start_soon(converse, store, f"{{name}}-s{{i}}")
        store.close()

    anyio.run(main, *sys.argv[1:4])
    """
).format(turns=TURNS, sessions=SESSIONS_PER_WRITER)


def test_concurrent_sessions_from_several_processes(redis_url: str, redis_prefix: str) -> None:
    """Three processes each run six concurrent sessions on one server; every run is complete and in order."""
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, redis_url, redis_prefix, f"p{i}"], stderr=subprocess.PIPE
        )
        for i in range(3)
    ]
    with RedisStore(redis_url, prefix=redis_prefix) as store:

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
        assert len(sessions) == 4 * SESSIONS_PER_WRITER
        runs = store.runs(None)
        assert len(runs) == 3 * SESSIONS_PER_WRITER * TURNS + SESSIONS_PER_WRITER
        for summary in runs:
            events = store.read(summary.run_id)
            assert [e.seq for e in events] == list(range(len(events)))
            assert summary.events == len(events)
            assert events[-1].type == "run.finished"
            assert summary.status == "completed"
        for name in sessions:
            if name.startswith("local"):
                continue
            history = Session(store, name).history()
            answers = [m.text for m in history if m.role == "assistant" and m.text]
            assert answers == [f"{name} turn {t}" for t in range(TURNS)]


def _event(run_id: str, seq: int) -> ToolCallSucceeded:
    return ToolCallSucceeded(
        run_id=run_id, seq=seq, at=AT, tool_name="t", duration_s=0.0, output_chars=seq
    )
