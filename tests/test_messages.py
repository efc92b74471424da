"""Provider-neutral messages and usage: frozen, JSON round-trips, usage arithmetic."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from agentkit import Message, Usage
from agentkit.messages import Part, ReasoningPart, TextPart, ToolCallPart, ToolResultPart

CONVERSATION = [
    Message.system("You book flights."),
    Message.user("Fly me to Lisbon"),
    Message(
        role="assistant",
        parts=(
            ReasoningPart(text="search first", signature="sig==", provider="anthropic"),
            TextPart(text="Searching."),
            ToolCallPart(id="call_1", name="search", arguments='{"to":"LIS"}'),
            ToolCallPart(id="call_2", name="weather", arguments='{"city":"Lisbon"'),
        ),
    ),
    Message(
        role="tool",
        parts=(
            ToolResultPart(tool_call_id="call_1", name="search", content='["TP123"]'),
            ToolResultPart(tool_call_id="call_2", name="weather", content="bad", is_error=True),
        ),
    ),
    Message.assistant("Booked TP123 — ça marche 🛫"),
]


@pytest.mark.parametrize("message", CONVERSATION, ids=lambda m: m.role)
def test_message_round_trips_through_json(message: Message) -> None:
    assert Message.model_validate_json(message.model_dump_json()) == message


def test_conversation_round_trips_as_a_list() -> None:
    adapter = TypeAdapter(list[Message])
    assert adapter.validate_json(adapter.dump_json(CONVERSATION)) == CONVERSATION


def test_parts_are_told_apart_by_kind() -> None:
    adapter: TypeAdapter[Part] = TypeAdapter(Part)
    part = adapter.validate_python({"kind": "tool-call", "id": "c", "name": "n"})
    assert isinstance(part, ToolCallPart)
    assert part.arguments == "{}"
    with pytest.raises(ValidationError):
        adapter.validate_python({"kind": "video", "url": "x"})


def test_malformed_tool_arguments_are_kept_verbatim() -> None:
    raw = '{"city":"Lisbon"'
    message = CONVERSATION[2]
    assert message.tool_calls[1].arguments == raw
    assert Message.model_validate_json(message.model_dump_json()).tool_calls[1].arguments == raw


def test_message_helpers_pick_parts_in_order() -> None:
    assistant, tool_message = CONVERSATION[2], CONVERSATION[3]
    assert assistant.text == "Searching."
    assert [c.id for c in assistant.tool_calls] == ["call_1", "call_2"]
    assert assistant.tool_results == ()
    assert [r.is_error for r in tool_message.tool_results] == [False, True]
    multi = Message(role="user", parts=(TextPart(text="a"), TextPart(text="b")))
    assert multi.text == "ab"


def test_message_constructors_set_the_role() -> None:
    assert [m.role for m in CONVERSATION[:2]] == ["system", "user"]
    assert Message.assistant("x").role == "assistant"


def test_messages_are_frozen_and_reject_unknown_fields() -> None:
    message = Message.user("hi")
    with pytest.raises(ValidationError):
        message.role = "assistant"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        TextPart(text="x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Message(role="robot", parts=())  # type: ignore[arg-type]


def test_usage_adds_field_by_field() -> None:
    a = Usage(input_tokens=10, output_tokens=2, cache_read_tokens=1, reasoning_tokens=1)
    b = Usage(input_tokens=5, output_tokens=3, cache_write_tokens=4, reasoning_tokens=2)
    assert a + b == Usage(
        input_tokens=15,
        output_tokens=5,
        cache_read_tokens=1,
        cache_write_tokens=4,
        reasoning_tokens=3,
    )
    assert sum([a, b], Usage()) == a + b


def test_usage_total_is_input_plus_output() -> None:
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=50, reasoning_tokens=5)
    assert usage.total_tokens == 120


def test_usage_addition_with_other_types_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Usage() + 1  # type: ignore[operator]


def test_usage_rejects_negative_counts() -> None:
    with pytest.raises(ValidationError):
        Usage(input_tokens=-1)


def test_usage_round_trips_and_has_a_readable_repr() -> None:
    usage = Usage(input_tokens=3, output_tokens=4)
    assert Usage.model_validate_json(usage.model_dump_json()) == usage
    assert repr(usage) == (
        "Usage(input_tokens=3, output_tokens=4, cache_read_tokens=0, cache_write_tokens=0, "
        "reasoning_tokens=0)"
    )
