"""SQLiteStore under concurrent sessions from several processes, and after a writer is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import anyio

from agentkit.runtime import Agent
from agentkit.storage import Session, SQLiteStore
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from pathlib import Path

SESSIONS_PER_WRITER = 6
TURNS = 3

# One writer: many sessions at once in a task group, each taking TURNS turns.
WRITER = textwrap.dedent(
    """
    import sys, anyio
    from agentkit import tool
    from agentkit.messages import ToolCallPart
    from agentkit.runtime import Agent
    from agentkit.storage import Session, SQLiteStore

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

    async def main(path, prefix):
        store = SQLiteStore(path)
        async with anyio.create_task_group() as tg:
            for i in range({sessions}):
                tg.start_soon(converse, store, f"{{prefix}}-s{{i}}")
        store.close()

    anyio.run(main, sys.argv[1], sys.argv[2])
    """
).format(turns=TURNS, sessions=SESSIONS_PER_WRITER)


def test_concurrent_sessions_from_several_processes(tmp_path: Path) -> None:
    """Three processes each run six concurrent sessions on one file; every run is complete and in order."""
    path = str(tmp_path / "runs.sqlite3")
    SQLiteStore(path).close()  # create the schema once, so the writers only race on appends
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, path, f"p{i}"], stderr=subprocess.PIPE)
        for i in range(3)
    ]
    # Meanwhile this process runs sessions of its own against the same file.
    with SQLiteStore(path) as store:

        async def local() -> None:
            async with anyio.create_task_group() as tg:
                for i in range(SESSIONS_PER_WRITER):
                    session = Session(store, f"local-s{i}")
                    tg.start_soon(session.run, Agent(FakeProvider(["ok"])), "hi")

        anyio.run(local)
        # Collect every writer before judging any, so a failure leaves no process or pipe behind.
        errors = [writer.communicate(timeout=100)[1] for writer in writers]
        for writer, err in zip(writers, errors, strict=True):
            assert writer.returncode == 0, err.decode()

        sessions = store.sessions(None)
        assert len(sessions) == 4 * SESSIONS_PER_WRITER
        runs = store.runs(None)
        assert len(runs) == 3 * SESSIONS_PER_WRITER * TURNS + SESSIONS_PER_WRITER
        for summary in runs:
            events = store.read(summary.run_id)
            assert [e.seq for e in events] == list(range(len(events)))
            assert events[0].type == "run.started"
            assert events[-1].type == "run.finished"
            assert summary.status == "completed"
        for name in sessions:
            if name.startswith("local"):
                continue
            history = Session(store, name).history()
            answers = [m.text for m in history if m.role == "assistant" and m.text]
            assert answers == [f"{name} turn {t}" for t in range(TURNS)]


CRASHER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from agentkit.events import ToolCallSucceeded
    from agentkit.storage import SQLiteStore

    store = SQLiteStore(sys.argv[1])
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    seq = 0
    while True:  # until killed
        batch = [ToolCallSucceeded(run_id="victim", seq=seq + i, at=at, tool_name="t", duration_s=0.0,
                                   output_chars=seq + i) for i in range(3)]
        store.append("victim", batch)
        seq += 3
        sys.stdout.write(f"{seq}\\n")  # acknowledged: every event below seq is committed
        sys.stdout.flush()
    """
)


def test_killed_writer_keeps_every_acknowledged_event(tmp_path: Path) -> None:
    """A writer killed with SIGKILL mid-run loses no event whose append had returned."""
    path = str(tmp_path / "runs.sqlite3")
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASHER, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert writer.stdout is not None
    acknowledged = 0
    while acknowledged < 300:  # wait for acknowledgements through the pipe, no sleeping
        line = writer.stdout.readline()
        assert line, writer.stderr.read().decode() if writer.stderr else "writer died"
        acknowledged = int(line)
    os.kill(writer.pid, signal.SIGKILL)
    rest, _ = writer.communicate(timeout=30)
    for line in rest.split():  # acknowledgements still in the pipe count too
        acknowledged = int(line)
    assert writer.returncode == -signal.SIGKILL
    with SQLiteStore(path) as store:
        events = store.read("victim")
        assert len(events) >= acknowledged
        assert len(events) % 3 == 0  # batches are all-or-nothing
        assert [e.seq for e in events] == list(range(len(events)))
        assert [getattr(e, "output_chars", None) for e in events] == list(range(len(events)))
        assert store.get_run("victim").events == len(events)
