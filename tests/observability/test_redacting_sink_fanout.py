"""A required sink wrapped in a RedactingSink keeps its guarantee: the run fails or the store gets every event."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from agentkit import Sensitive, tool
from agentkit.events import EventEmitter, ModelFailed
from agentkit.exceptions import EventsNotStored
from agentkit.messages import ToolCallPart
from agentkit.observability import LoggingSink, RedactingSink, SecretRedactor
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, StoreSink
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from agentkit.events import BaseEvent

SECRET = "tok-9f8e7d6c5b4a"


class FlakyStore(MemoryStore):
    """A MemoryStore whose appends fail when ``refuse(event, attempt)`` says so."""

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


@tool
def unlock(pin: Annotated[str, Sensitive()]) -> str:
    """Unlock with a PIN."""
    return "unlocked"


def plain_agent() -> Agent[Any, str]:
    calls = [ToolCallPart(id="c1", name="add", arguments='{"a": 2, "b": 3}')]
    return Agent(FakeProvider([calls, f"5 (key {SECRET})"]), tools=[add])


def sensitive_agent() -> Agent[Any, str]:
    # A tool with Sensitive() fields makes the run hold model.requested while the model is called.
    calls = [ToolCallPart(id="c1", name="unlock", arguments='{"pin": "4321-9876"}')]
    return Agent(FakeProvider([calls, f"done (key {SECRET})"]), tools=[unlock])


AGENTS = pytest.mark.parametrize("make", [plain_agent, sensitive_agent], ids=["plain", "held"])


def redacting(store: MemoryStore) -> RedactingSink:
    return RedactingSink(
        StoreSink(store), LoggingSink("test.redacting"), redactor=SecretRedactor(secrets=[SECRET])
    )


@AGENTS
def test_a_store_refusing_for_good_behind_a_redacting_sink_fails_the_run(
    make: Callable[[], Agent[Any, str]],
) -> None:
    """From the 3rd event on the store refuses: the run raises EventsNotStored, not a completed result."""
    store = FlakyStore(lambda event, attempt: event.seq >= 2)
    with pytest.raises(EventsNotStored) as caught:
        make().run_sync("go", run_id="r1", sinks=[redacting(store)])
    assert (caught.value.run_id, caught.value.first_seq) == ("r1", 2)
    assert "disk I/O error" in caught.value.reason
    assert [e.seq for e in store.read("r1")] == [0, 1]
    assert store.runs()[0].status == "running"


@AGENTS
def test_a_store_that_recovers_behind_a_redacting_sink_gets_the_backlog_in_order(
    make: Callable[[], Agent[Any, str]], caplog: pytest.LogCaptureFixture
) -> None:
    """Events 2 and 3 are refused once each: they are delivered, in order, before the 4th; the run completes."""
    store = FlakyStore(lambda event, attempt: event.seq in (2, 3) and attempt <= 4)
    with caplog.at_level(logging.DEBUG, logger="test.redacting"):
        result = make().run_sync("go", run_id="r1", sinks=[redacting(store)])
    assert result.status == "completed"
    stored = store.read("r1")
    assert [e.seq for e in stored] == list(range(len(result.events)))
    assert [e.type for e in stored] == [e.type for e in result.events]
    assert store.verify("r1")
    assert store.runs()[0].status == "completed"
    dumped = "".join(e.model_dump_json() for e in stored)
    assert SECRET not in dumped
    assert "***" in dumped
    # The best-effort sink beside the store got every event once.
    logged = [r for r in caplog.records if r.name == "test.redacting"]
    assert len(logged) == len(result.events)


def test_a_best_effort_sink_failing_beside_the_store_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A broken logging sink next to the store neither fails the run nor costs the store an event."""

    def broken(event: BaseEvent) -> None:
        raise RuntimeError("sink down")

    store = MemoryStore()
    result = plain_agent().run_sync(
        "go", run_id="r1", sinks=[RedactingSink(broken, StoreSink(store))]
    )
    assert result.status == "completed"
    assert [e.seq for e in store.read("r1")] == list(range(len(result.events)))
    assert any("sink down" in (r.exc_text or "") for r in caplog.records)


def test_unwritten_and_retry_are_reported_through_the_wrapper() -> None:
    """An emitter sees what the wrapped store lacks, and its retry delivers it once the store is back."""
    store = FlakyStore(lambda event, attempt: attempt == 1)
    emitter = EventEmitter(run_id="r1", sinks=[RedactingSink(StoreSink(store))])
    emitter.emit(ModelFailed, step=1, error_type="X", error_message="a")
    assert [len(u.events) for u in emitter.unwritten] == [1]
    assert emitter.retry_unwritten() is True
    assert emitter.unwritten == ()
    assert [e.seq for e in store.read("r1")] == [0]
