"""Events: stamping by the emitter (run id, seq, injected clock), sinks, and JSON round-trips."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

import agentkit
from agentkit.events import (
    SCHEMA_VERSION,
    BaseEvent,
    EventEmitter,
    ToolArgumentsRejected,
    ToolCallFailed,
    ToolCallStarted,
    ToolCallSucceeded,
    parse_event,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class FakeClock:
    """A manual clock: time moves only when the test says so."""

    def __init__(self) -> None:
        self.current = T0
        self.mono = 100.0

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        self.mono += seconds


def _emit_one_of_each(emitter: EventEmitter) -> list[BaseEvent]:
    return [
        emitter.emit(
            ToolCallStarted,
            tool_name="search",
            tool_version="1.2.0",
            tool_call_id="c1",
            arguments={"q": "x", "nested": {"a": [1, 2]}},
        ),
        emitter.emit(
            ToolCallSucceeded, tool_name="search", tool_call_id="c1", duration_s=0.5, output_chars=2
        ),
        emitter.emit(
            ToolCallFailed,
            tool_name="search",
            reason="exception",
            duration_s=0.0,
            error_type="KeyError",
            error_message="'k'",
            traceback="Traceback ...",
        ),
        emitter.emit(
            ToolArgumentsRejected,
            tool_name="search",
            issues=[{"path": "q", "problem": "missing", "message": "Field required"}],
            attempt=1,
            max_retries=2,
        ),
    ]


def test_fake_clock_satisfies_the_clock_protocol() -> None:
    assert isinstance(FakeClock(), agentkit.Clock)


def test_emitter_stamps_run_id_increasing_seq_and_clock_time() -> None:
    clock = FakeClock()
    emitter = EventEmitter("run-1", clock=clock)
    first = emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.1, output_chars=1)
    clock.advance(2)
    second = emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.1, output_chars=1)
    assert (first.run_id, first.seq, first.at) == ("run-1", 0, T0)
    assert (second.run_id, second.seq, second.at) == ("run-1", 1, T0 + timedelta(seconds=2))
    assert first.schema_version == SCHEMA_VERSION
    assert emitter.events == (first, second)


def test_emitter_makes_up_a_run_id_when_none_is_given() -> None:
    a, b = EventEmitter(), EventEmitter()
    assert a.run_id
    assert a.run_id != b.run_id


def test_sinks_receive_every_event_in_order() -> None:
    first: list[BaseEvent] = []
    second: list[BaseEvent] = []
    emitter = EventEmitter("r", clock=FakeClock(), sinks=[first.append, second.append])
    events = _emit_one_of_each(emitter)
    assert first == events
    assert second == events
    assert [e.seq for e in first] == [0, 1, 2, 3]


def test_a_failing_sink_is_logged_and_loses_no_events(caplog: pytest.LogCaptureFixture) -> None:
    received: list[BaseEvent] = []

    def broken(event: BaseEvent) -> None:
        raise RuntimeError("sink down")

    emitter = EventEmitter("r", clock=FakeClock(), sinks=[broken, received.append])
    with caplog.at_level(logging.ERROR, logger="agentkit.events"):
        events = _emit_one_of_each(emitter)
    assert received == events
    assert emitter.events == tuple(events)
    records = [r for r in caplog.records if r.name == "agentkit.events"]
    assert len(records) == len(events)
    assert records[0].exc_info is not None
    assert "sink down" in caplog.text
    assert "ToolCallStarted #0" in records[0].getMessage()


def test_events_history_is_a_snapshot() -> None:
    emitter = EventEmitter("r", clock=FakeClock())
    before = emitter.events
    emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0, output_chars=0)
    assert before == ()
    assert len(emitter.events) == 1
    assert "events=1" in repr(emitter)


def test_every_event_type_round_trips_through_json_and_dicts() -> None:
    for event in _emit_one_of_each(EventEmitter("r", clock=FakeClock())):
        assert parse_event(event.model_dump_json()) == event
        assert parse_event(event.model_dump_json().encode()) == event
        assert parse_event(event.model_dump(mode="json")) == event


def test_parse_event_discriminates_on_type() -> None:
    base: dict[str, Any] = {"run_id": "r", "seq": 0, "at": "2026-01-01T00:00:00Z", "tool_name": "t"}
    assert isinstance(
        parse_event({**base, "type": "tool.call.started", "tool_version": "1.0.0"}), ToolCallStarted
    )
    assert isinstance(
        parse_event({**base, "type": "tool.call.succeeded", "duration_s": 1, "output_chars": 0}),
        ToolCallSucceeded,
    )
    failed = parse_event(
        {
            **base,
            "type": "tool.call.failed",
            "reason": "timeout",
            "duration_s": 1,
            "error_type": "ToolTimeout",
            "error_message": "slow",
        }
    )
    assert isinstance(failed, ToolCallFailed)
    assert failed.traceback is None
    rejected = parse_event(
        {**base, "type": "tool.arguments.rejected", "issues": [], "attempt": 1, "max_retries": 0}
    )
    assert isinstance(rejected, ToolArgumentsRejected)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "tool.call.exploded", "run_id": "r", "seq": 0, "at": "2026-01-01T00:00:00Z"},
        {"run_id": "r", "seq": 0, "at": "2026-01-01T00:00:00Z", "tool_name": "t"},
        {
            "type": "tool.call.succeeded",
            "run_id": "r",
            "seq": -1,
            "at": "2026-01-01T00:00:00Z",
            "tool_name": "t",
            "duration_s": 0,
            "output_chars": 0,
        },
        {
            "type": "tool.call.succeeded",
            "run_id": "r",
            "seq": 0,
            "at": "2026-01-01T00:00:00Z",
            "tool_name": "t",
            "duration_s": 0,
            "output_chars": 0,
            "surprise": 1,
        },
    ],
    ids=["unknown-type", "no-type", "negative-seq", "extra-field"],
)
def test_parse_event_rejects_malformed_events(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_event(data)


def test_events_are_frozen() -> None:
    event = EventEmitter("r", clock=FakeClock()).emit(
        ToolCallSucceeded, tool_name="t", duration_s=0, output_chars=0
    )
    with pytest.raises(ValidationError):
        event.seq = 5  # type: ignore[misc]


def test_failed_reason_is_a_closed_set() -> None:
    with pytest.raises(ValidationError):
        EventEmitter("r", clock=FakeClock()).emit(
            ToolCallFailed,
            tool_name="t",
            reason="gremlins",
            duration_s=0,
            error_type="X",
            error_message="y",
        )


def test_a_rejected_event_does_not_consume_a_sequence_number() -> None:
    emitter = EventEmitter("r", clock=FakeClock())
    with pytest.raises(ValidationError):
        emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=-1, output_chars=0)
    assert emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0, output_chars=0).seq == 0


def test_default_redactor_masks_secrets_inside_messages_and_tool_content() -> None:
    """SecretRedactor masks secrets nested in a recorded message and a tool result, keeping the message typed."""
    from agentkit.events import ModelResponded, ToolCallSucceeded
    from agentkit.messages import Message, ReasoningPart, TextPart
    from agentkit.observability import SecretRedactor

    secret = "sk-proj-CANARYinMESSAGE0123456789"
    emitter = EventEmitter(run_id="r", redactor=SecretRedactor())
    message = Message(
        role="assistant",
        parts=(ReasoningPart(text="", signature="opaque-sig"), TextPart(text=f"key {secret}")),
    )
    responded = emitter.emit(ModelResponded, step=1, finish_reason="stop", message=message)
    succeeded = emitter.emit(
        ToolCallSucceeded, tool_name="t", duration_s=0.0, output_chars=1, content=f"token={secret}"
    )
    assert isinstance(responded.message, Message)
    assert responded.message.text == "key ***"
    assert responded.message.parts[0] == ReasoningPart(text="", signature="opaque-sig")
    assert succeeded.content == "token=***"
    assert secret not in responded.model_dump_json() + succeeded.model_dump_json()


def test_v1_events_parse_with_empty_content() -> None:
    """Events written at schema version 1 still parse; the version 2 fields are empty."""
    from agentkit.events import ModelRequested, ToolCallSucceeded

    requested = parse_event(
        {
            "schema_version": 1,
            "type": "model.requested",
            "run_id": "r",
            "seq": 0,
            "at": "2025-01-01T00:00:00Z",
            "step": 1,
            "provider": "P",
            "messages": 2,
        }
    )
    assert isinstance(requested, ModelRequested)
    assert (requested.new_messages, requested.tool_fingerprints) == (None, {})
    succeeded = parse_event(
        {
            "schema_version": 1,
            "type": "tool.call.succeeded",
            "run_id": "r",
            "seq": 1,
            "at": "2025-01-01T00:00:00Z",
            "tool_name": "t",
            "duration_s": 0,
            "output_chars": 0,
        }
    )
    assert isinstance(succeeded, ToolCallSucceeded)
    assert succeeded.content is None
