"""A store that refuses events fails the run loudly, or gets every event once it recovers; never a silent gap."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit import tool
from agentkit.events import EventEmitter, ToolCallSucceeded
from agentkit.exceptions import EventsNotStored, StorageError
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, Session, SQLiteStore, StoreSink
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from agentkit.events import BaseEvent


class FlakyStore(MemoryStore):
    """A MemoryStore whose appends fail when ``refuse(event)`` says so."""

    def __init__(self, refuse: Callable[[BaseEvent, int], bool]) -> None:
        super().__init__()
        self.refuse = refuse
        self.attempts = 0

    def append(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        self.attempts += 1
        for event in events:
            if self.refuse(event, self.attempts):
                raise OSError(f"disk I/O error on attempt {self.attempts}")
        super().append(run_id, events, session_id=session_id)


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def agent() -> Agent[Any, str]:
    script: list[Any] = [[ToolCallPart(id="c1", name="add", arguments='{"a": 2, "b": 3}')], "5"]
    return Agent(FakeProvider(script), tools=[add])


EXPECTED_TYPES = [
    "run.started",
    "model.requested",
    "model.responded",
    "tool.call.started",
    "tool.call.succeeded",
    "model.requested",
    "model.responded",
    "run.finished",
]


def run_with_sink(store: Any) -> Any:
    return agent().run_sync("2 + 3?", run_id="r1", sinks=[StoreSink(store)])


def run_in_session(store: Any) -> Any:
    return Session(store, "s1").run_sync(agent(), "2 + 3?", run_id="r1")


BOTH_PATHS = pytest.mark.parametrize(
    "run", [run_with_sink, run_in_session], ids=["sink", "session"]
)


@BOTH_PATHS
def test_a_store_that_fails_once_gets_every_event_in_order(run: Callable[[Any], Any]) -> None:
    """The 3rd event fails once; it is retried before the 4th, the run completes and the log is whole."""
    store = FlakyStore(lambda event, attempt: event.seq == 2 and attempt == 3)
    result = run(store)
    assert result.status == "completed"
    stored = store.read("r1")
    assert [e.seq for e in stored] == list(range(len(EXPECTED_TYPES)))
    assert [e.type for e in stored] == EXPECTED_TYPES
    assert stored == list(result.events)
    assert store.runs()[0].status == "completed"
    assert store.verify("r1")


@BOTH_PATHS
def test_a_store_that_keeps_failing_fails_the_run(run: Callable[[Any], Any]) -> None:
    """From the 3rd event on every append fails: the caller gets EventsNotStored, never a completed result."""
    store = FlakyStore(lambda event, attempt: event.seq >= 2)
    with pytest.raises(EventsNotStored) as caught:
        run(store)
    error = caught.value
    assert isinstance(error, StorageError)
    assert (error.run_id, error.first_seq) == ("r1", 2)
    assert "disk I/O error" in error.reason
    assert [e.seq for e in store.read("r1")] == [0, 1]
    assert store.runs()[0].status == "running"


def test_run_finished_failed_is_stored_when_the_store_comes_back_at_the_end() -> None:
    """A store down for the whole run but back for its last event holds the whole run, finished as failed."""
    state = {"up": False}

    def watch(event: BaseEvent) -> None:
        # A best-effort sink ahead of the store: the store comes back as run.finished is delivered.
        state["up"] = state["up"] or event.type == "run.finished"

    store = FlakyStore(lambda event, attempt: event.seq >= 2 and not state["up"])
    with pytest.raises(EventsNotStored) as caught:
        agent().run_sync("2 + 3?", run_id="r1", sinks=[watch, StoreSink(store)])
    assert caught.value.first_seq == 2
    stored = store.read("r1")
    assert [e.seq for e in stored] == list(range(len(stored)))
    last = stored[-1]
    assert last.type == "run.finished"
    assert (last.status, last.error_type) == ("failed", "EventsNotStored")  # type: ignore[union-attr]
    assert store.runs()[0].status == "failed"


def test_a_refused_final_event_fails_the_run() -> None:
    """Only ``run.finished(completed)`` is refused: the run raises instead of returning completed."""
    store = FlakyStore(lambda event, attempt: event.type == "run.finished")
    with pytest.raises(EventsNotStored) as caught:
        run_with_sink(store)
    assert caught.value.first_seq == len(EXPECTED_TYPES) - 1
    assert store.runs()[0].status != "completed"


def test_a_failing_best_effort_sink_does_not_fail_the_run() -> None:
    """A sink that is not required (logs, metrics) may fail on every event: the run still completes."""

    def broken(event: BaseEvent) -> None:
        raise RuntimeError("log shipper down")

    store = MemoryStore()
    result = agent().run_sync("2 + 3?", run_id="r1", sinks=[broken, StoreSink(store)])
    assert result.status == "completed"
    assert len(store.read("r1")) == len(EXPECTED_TYPES)


def test_the_emitter_retries_a_required_sink_before_each_later_event() -> None:
    """EventEmitter alone: a refused event waits and reaches the sink, in order, before the next one."""
    got: list[int] = []
    state = {"down": True}

    class Required:
        required = True

        def __call__(self, event: BaseEvent) -> None:
            if state["down"]:
                raise OSError("down")
            got.append(event.seq)

    emitter = EventEmitter(run_id="r", sinks=[Required()])
    emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.0, output_chars=0)
    emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.0, output_chars=0)
    assert [len(u.events) for u in emitter.unwritten] == [2]
    state["down"] = False
    emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.0, output_chars=0)
    assert got == [0, 1, 2]
    assert emitter.unwritten == ()


# ----------------------------------------------------------------------------------------- real SQLite failures


def _trigger(path: Path, sql: str) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute(sql)
    finally:
        db.close()


REFUSE_THIRD = (
    "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.seq = 2 "
    "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
)


@BOTH_PATHS
def test_sqlite_refusing_an_event_for_good_fails_the_run(
    tmp_path: Path, run: Callable[[Any], Any]
) -> None:
    """A SQLite trigger aborts every insert of the 3rd event: the run raises; the file holds no completed run."""
    path = tmp_path / "runs.sqlite3"
    store = SQLiteStore(path)
    _trigger(path, REFUSE_THIRD)
    try:
        with pytest.raises(EventsNotStored, match="refused by trigger"):
            run(store)
        assert [e.seq for e in store.read("r1")] == [0, 1]
        assert store.runs()[0].status == "running"
    finally:
        store.close()


def test_sqlite_recovering_mid_run_gets_the_whole_run(tmp_path: Path) -> None:
    """The trigger refuses the 3rd event until the tool drops it: the retried backlog lands, in order."""
    path = tmp_path / "runs.sqlite3"
    store = SQLiteStore(path)
    _trigger(path, REFUSE_THIRD)

    @tool
    def mend() -> str:
        """Repair the database."""
        _trigger(path, "DROP TRIGGER refuse")
        return "mended"

    script: list[Any] = [[ToolCallPart(id="c1", name="mend", arguments="{}")], "done"]
    try:
        result = anyio.run(
            lambda: Session(store, "s1").run(
                Agent(FakeProvider(script), tools=[mend]), "fix it", run_id="r1"
            )
        )
        assert result.status == "completed"
        stored = store.read("r1")
        assert [e.seq for e in stored] == list(range(len(result.events)))
        assert stored == list(result.events)
        assert store.runs()[0].status == "completed"
    finally:
        store.close()
