"""Structured output: native JSON Schema mode, the output tool, repair, and exhaustion."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from agentkit import tool
from agentkit.events import OutputRejected
from agentkit.messages import Message, ToolCallPart
from agentkit.providers import ModelProfile
from agentkit.runtime import (
    DEFAULT_OUTPUT_TOOL,
    Agent,
    Limits,
    OutputRetriesExhausted,
    capture_events,
)
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio

NO_NATIVE = ModelProfile(json_schema_output=False)


class Flight(BaseModel):
    number: str
    price: float


class FlightDict(TypedDict):
    number: str
    price: float


@dataclass
class FlightData:
    number: str
    price: float


def call(name: str, arguments: str = "{}", id: str = "c1") -> ToolCallPart:
    return ToolCallPart(id=id, name=name, arguments=arguments)


async def test_native_mode_sends_the_schema_and_validates_the_answer() -> None:
    """With native JSON mode, the request carries the schema and the text answer is validated."""
    provider = FakeProvider(['{"number": "TP1", "price": 99.5}'])
    agent = Agent(provider, output_type=Flight)
    assert agent.output_mode == "native"
    result = await agent.run("cheapest?")
    assert result.output == Flight(number="TP1", price=99.5)
    request = provider.requests[0]
    assert request.output is not None
    assert request.output.schema["required"] == ["number", "price"]
    assert request.tools == ()


async def test_native_mode_repairs_invalid_output() -> None:
    """Invalid native output is sent back with a repair hint; the corrected answer wins."""
    provider = FakeProvider(['{"number": "TP1"}', '```json\n{"number": "TP1", "price": 1}\n```'])
    with capture_events() as events:
        result = await Agent(provider, output_type=Flight).run("go")
    assert result.output.price == 1
    repair = provider.requests[1].messages[-1]
    assert repair.role == "user"
    assert '"path":"price","problem":"missing"' in repair.text
    (rejected,) = events.of_type(OutputRejected)
    assert (rejected.attempt, rejected.max_retries) == (1, 2)


async def test_tool_mode_when_the_provider_has_no_native_json() -> None:
    """Without native JSON mode, the model answers by calling the output tool, which ends the run."""
    provider = FakeProvider(
        [[call(DEFAULT_OUTPUT_TOOL, '{"number": "TP1", "price": 2}')]], profile=NO_NATIVE
    )
    agent = Agent(provider, output_type=Flight)
    assert agent.output_mode == "tool"
    result = await agent.run("go")
    assert result.output == Flight(number="TP1", price=2)
    request = provider.requests[0]
    assert [c.name for c in request.tools] == [DEFAULT_OUTPUT_TOOL]
    assert request.tool_choice == "required"
    assert result.messages[-1].tool_results[0].content == "Final result received."


async def test_tool_mode_repairs_invalid_arguments_and_text_answers() -> None:
    """Bad output-tool arguments and plain-text answers both get repair messages within the budget."""
    provider = FakeProvider(
        [
            [call(DEFAULT_OUTPUT_TOOL, '{"number": "TP1", "price": "cheap"}')],
            "It is TP1.",
            [call(DEFAULT_OUTPUT_TOOL, '{"number": "TP1", "price": 3}', id="c2")],
        ],
        profile=NO_NATIVE,
    )
    result = await Agent(provider, output_type=Flight).run("go")
    assert result.output.price == 3
    first_repair = provider.requests[1].messages[-1].tool_results[0]
    assert first_repair.is_error
    assert json.loads(first_repair.content)["issues"][0]["path"] == "price"
    assert "Call the final_result tool" in provider.requests[2].messages[-1].text


async def test_output_repair_budget_exhaustion() -> None:
    """An output that keeps failing ends the run with OutputRetriesExhausted, saying what was wrong."""
    provider = FakeProvider(['{"number": 1}'] * 3)
    with pytest.raises(OutputRetriesExhausted, match="price") as info:
        await Agent(provider, output_type=Flight, limits=Limits(output_retries=1)).run("go")
    assert info.value.max_retries == 1
    assert len(provider.requests) == 2


async def test_final_result_with_other_calls_answers_them_without_running() -> None:
    """When the output tool is called with other tools, the others get a not-executed result."""
    ran: list[str] = []

    @tool
    def side_effect() -> str:
        """Side effect."""
        ran.append("ran")
        return "x"

    provider = FakeProvider(
        [
            [
                call("side_effect", id="a"),
                call(DEFAULT_OUTPUT_TOOL, '{"number": "T", "price": 1}', id="b"),
            ]
        ],
        profile=NO_NATIVE,
    )
    result = await Agent(provider, tools=[side_effect], output_type=Flight).run("go")
    assert ran == []
    answers = {p.tool_call_id: p for p in result.messages[-1].tool_results}
    assert answers["a"].is_error
    assert not answers["b"].is_error


@pytest.mark.parametrize(
    ("output_type", "answer", "expected"),
    [
        (int, "42", 42),
        (int, '{"result": 42}', 42),
        (list[str], '["a", "b"]', ["a", "b"]),
        (FlightDict, '{"number": "T", "price": 1}', {"number": "T", "price": 1.0}),
        (FlightData, '{"number": "T", "price": 1}', FlightData(number="T", price=1.0)),
    ],
)
async def test_primitives_typeddicts_and_dataclasses(
    output_type: object, answer: str, expected: object
) -> None:
    """Primitives (wrapped in an object schema), TypedDicts and dataclasses are valid output types."""
    provider = FakeProvider([answer])
    result = await Agent(provider, output_type=output_type).run("go")  # type: ignore[call-overload]
    assert result.output == expected


async def test_primitive_output_tool_is_wrapped_in_an_object() -> None:
    """A primitive output type is offered as an output tool with a single ``result`` argument."""
    provider = FakeProvider([[call(DEFAULT_OUTPUT_TOOL, '{"result": 7}')]], profile=NO_NATIVE)
    result = await Agent(provider, output_type=int).run("go")
    assert result.output == 7
    assert provider.requests[0].tools[0].input_schema["required"] == ["result"]


async def test_a_tool_named_like_the_output_tool_is_refused() -> None:
    """A user tool named final_result would shadow the output tool: the run refuses it."""
    from agentkit.exceptions import UsageError

    @tool(name=DEFAULT_OUTPUT_TOOL)
    def clash() -> str:
        """Clash."""
        return ""

    agent = Agent(FakeProvider(["{}"], profile=NO_NATIVE), tools=[clash], output_type=Flight)
    with pytest.raises(UsageError, match="rename the tool"):
        await agent.run("go")


async def test_forced_tool_mode_even_with_native_support() -> None:
    """``output_mode="tool"`` uses the output tool even when the provider has native JSON mode."""
    provider = FakeProvider([[call(DEFAULT_OUTPUT_TOOL, '{"number": "T", "price": 1}')]])
    agent = Agent(provider, output_type=Flight, output_mode="tool")
    result = await agent.run([Message.user("go")])
    assert result.output.number == "T"
    assert provider.requests[0].output is None
