"""Crash tests: worker processes killed with SIGKILL mid-run, and runs that still complete exactly once.

A worker (``agentkit temporal worker -m _app``) is killed during a tool call, or while its run waits for an
approval; a new worker starts, and the run completes with each tool effect once and each event stored once,
exactly as a local run stores them.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit.storage import Recording, SQLiteStore, replay
from agentkit.temporal import start
from agentkit.testing import FakeProviderServer, Reply

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    from temporalio.client import Client

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(150)]

HERE = Path(__file__).parent
CHARGE = Reply("", tool_calls=(("charge", '{"amount": 5}'),))
REFUND = Reply("", tool_calls=(("refund", '{"amount": 3}'),))


class Workers:
    """Worker subprocesses (``python -m agentkit temporal worker -m _app``), each killed at the end if alive."""

    def __init__(self, address: str, task_queue: str, url: str, state: Path) -> None:
        self.address = address
        self.task_queue = task_queue
        self.env = {
            **os.environ,
            "AGENTKIT_TEST_PROVIDER_URL": url,
            "AGENTKIT_TEST_STATE_DIR": str(state),
        }
        self.state = state
        self.started: list[subprocess.Popen[bytes]] = []

    async def start(self) -> subprocess.Popen[bytes]:
        """Start a worker and wait until it says it serves (its output goes to a log in the state dir)."""
        log = self.state / f"worker-{len(self.started)}.log"
        argv = [sys.executable, "-m", "agentkit", "temporal", "worker", "-m", "_app"]
        argv += ["--address", self.address, "--task-queue", self.task_queue]
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: ASYNC220 - returns at once; the output goes to the log
                argv, cwd=HERE, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.started.append(process)
        with anyio.fail_after(60):
            while "serving shop" not in log.read_text(errors="replace"):
                if process.poll() is not None:
                    pytest.fail(f"the worker exited ({process.returncode}):\n{log.read_text()}")
                await anyio.sleep(0.05)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no cleanup, no goodbye to the server."""
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def workers(temporal_address: str, task_queue: str, tmp_path: Path) -> Iterator[Any]:
    """A factory of `Workers` for the test's fake server URL; every worker is stopped at the end."""
    made: list[Workers] = []

    def make(url: str) -> Workers:
        made.append(Workers(temporal_address, task_queue, url, tmp_path))
        return made[-1]

    yield make
    for item in made:
        item.stop_all()


def _rows(state: Path, query: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(state / "effects.sqlite3")) as db, db:
        return list(db.execute(query))


async def _local_types(app: ModuleType, tmp_path: Path, *replies: Any) -> list[str]:
    state = tmp_path / "local"
    state.mkdir()
    async with FakeProviderServer() as server:
        server.script(*replies)
        agent = app.build(server.url, state)
        result = await agent.run("Go.", run_id="local")
        if result.status == "paused":
            assert result.pending is not None
            await agent.resume(result.pending, {0: True})
    with SQLiteStore(state / "store.sqlite3") as store:
        return [e.type for e in store.read("local")]


def _check_store(tmp_path: Path, run_id: str, local: list[str]) -> SQLiteStore:
    """The durable run's store, checked: each event once, in order, chained, of the local run's types."""
    store = SQLiteStore(tmp_path / "store.sqlite3")
    events = store.read(run_id)
    assert [e.seq for e in events] == list(range(len(events)))
    assert [e.type for e in events] == local
    assert store.verify(run_id)
    return store


async def test_a_worker_killed_during_a_tool_call(
    client: Client, app: ModuleType, workers: Any, task_queue: str, tmp_path: Path
) -> None:
    """The tool call is retried on the new worker under the same key: its effect happens once, events once."""
    async with FakeProviderServer() as server:
        server.script(CHARGE, Reply("Charged."))
        pool = workers(server.url)
        first = await pool.start()
        (tmp_path / "hang").touch()
        run = await start(
            client, "shop", "Go.", task_queue=task_queue, heartbeat_timeout=2.0, timeout=120
        )
        with anyio.fail_after(60):
            while not (tmp_path / "hung").exists():  # noqa: ASYNC110 - another process writes it
                await anyio.sleep(0.05)
        pool.kill(first)
        await pool.start()
        with anyio.fail_after(90):
            result = await run.result()
        assert len(server.requests) == 2
    assert result.output == "Charged."
    assert _rows(tmp_path, "SELECT key, amount FROM charges") == [(f"{run.run_id}/1/0", 5)]
    attempts = _rows(tmp_path, "SELECT key, pid FROM attempts WHERE tool = 'charges'")
    assert len(attempts) == 2  # the killed attempt and the retry, on two processes
    assert len({pid for _, pid in attempts}) == 2
    local = await _local_types(app, tmp_path, CHARGE, Reply("Charged."))
    with _check_store(tmp_path, run.run_id, local) as store:
        replayed = await replay(
            app.build("http://127.0.0.1:9", tmp_path / "local"), Recording.load(store, run.run_id)
        )
    assert replayed.output == "Charged."


async def test_a_worker_killed_while_waiting_for_an_approval(
    client: Client, app: ModuleType, workers: Any, task_queue: str, tmp_path: Path
) -> None:
    """The run waits on the server, not in the worker: a new worker takes the approval and finishes it."""
    async with FakeProviderServer() as server:
        server.script(REFUND, Reply("Refunded."))
        pool = workers(server.url)
        first = await pool.start()
        run = await start(client, "shop", "Go.", task_queue=task_queue, timeout=120)
        with anyio.fail_after(60):
            while (await run.state()).status != "paused":  # noqa: ASYNC110 - polled on the server
                await anyio.sleep(0.05)
        pool.kill(first)
        await pool.start()
        await run.approve({"call_0": True})
        with anyio.fail_after(90):
            result = await run.result()
        assert len(server.requests) == 2
    assert result.output == "Refunded."
    assert _rows(tmp_path, "SELECT key, amount FROM refunds") == [(f"{run.run_id}/1/0", 3)]
    assert len(_rows(tmp_path, "SELECT key FROM attempts WHERE tool = 'refunds'")) == 1
    local = await _local_types(app, tmp_path, REFUND, Reply("Refunded."))
    _check_store(tmp_path, run.run_id, local).close()
