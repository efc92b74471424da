"""Edge cases of the loop: odd tools, odd providers, odd answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel

from agentkit import RunContext, Tool, tool
from agentkit.exceptions import ApprovalRequired, MalformedResponse, UsageError
from agentkit.messages import ToolCallPart
from agentkit.providers import (
    ModelProfile,
    ModelRequest,
    ModelResponse,
    Provider,
    StreamEvent,
    TextDelta,
)
from agentkit.runtime import DEFAULT_OUTPUT_TOOL, Agent, approve
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio


def call(name: str, arguments: str = "{}", id: str = "c1") -> ToolCallPart:
    return ToolCallPart(id=id, name=name, arguments=arguments)


class Answer(BaseModel):
    value: int


def test_bad_settings_and_tools_are_usage_errors() -> None:
    """A non-positive output limit and tools that are not tools are refused when the agent is built."""
    with pytest.raises(UsageError, match="max_tool_output_chars"):
        Agent(FakeProvider(), max_tool_output_chars=0)
    with pytest.raises(UsageError, match="tools must be Tool objects or functions"):
        Agent(FakeProvider(), tools=[42])  # type: ignore[list-item]


async def test_a_tool_class_is_instantiated() -> None:
    """A Tool subclass given as a class is instantiated."""

    class Args(BaseModel):
        n: int

    class Double(Tool[Args, int]):
        """Double a number."""

        async def run(self, args: Args, ctx: RunContext) -> int:
            return args.n * 2

    provider = FakeProvider([[call("double", '{"n": 4}')], "8"])
    result = await Agent(provider, tools=[Double]).run("go")
    assert "\n8\n" in result.messages[-2].tool_results[0].content


async def test_a_stream_without_stream_done_is_malformed() -> None:
    """A provider stream that ends without StreamDone is a MalformedResponse."""

    class Broken(Provider):
        system = "broken"
        model = "broken"
        profile = ModelProfile()

        def secrets(self) -> frozenset[str]:  # pragma: no cover
            return frozenset()

        async def complete(self, request: ModelRequest) -> ModelResponse:  # pragma: no cover
            raise NotImplementedError

        async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
            yield TextDelta("half an answ")

    with pytest.raises(MalformedResponse, match="StreamDone"):
        async with Agent(Broken()).run_stream("go") as stream:
            await stream.get_result()


async def test_unknown_tool_in_tool_mode_lists_the_output_tool() -> None:
    """In tool mode, the repair hint for an unknown tool lists the output tool as available."""
    provider = FakeProvider(
        [[call("answer", '{"value": 1}')], [call(DEFAULT_OUTPUT_TOOL, '{"value": 1}', id="c2")]],
        profile=ModelProfile(json_schema_output=False),
    )
    result = await Agent(provider, output_type=Answer).run("go")
    hint = json.loads(provider.requests[1].messages[-1].tool_results[0].content)
    assert hint["available"] == [DEFAULT_OUTPUT_TOOL]
    assert result.output == Answer(value=1)


async def test_two_final_results_keep_the_first() -> None:
    """When the output tool is called twice in one answer, the first valid call wins."""
    provider = FakeProvider(
        [
            [
                call(DEFAULT_OUTPUT_TOOL, '{"value": 1}', id="a"),
                call(DEFAULT_OUTPUT_TOOL, '{"value": 2}', id="b"),
            ]
        ],
        profile=ModelProfile(json_schema_output=False),
    )
    result = await Agent(provider, output_type=Answer).run("go")
    assert result.output == Answer(value=1)
    assert result.messages[-1].tool_results[1].is_error


async def test_a_tool_asking_again_after_approval_gets_an_error_result() -> None:
    """A tool that raises ApprovalRequired even once approved is answered with an error, not paused forever."""

    @tool
    def stubborn() -> str:
        """Always wants approval."""
        raise ApprovalRequired("again")

    agent = Agent(FakeProvider([[call("stubborn")], "gave up"]), tools=[stubborn])
    paused = await agent.run("go")
    assert paused.pending is not None
    result = await agent.resume(paused.pending, {"c1": approve()})
    answer = result.messages[-2].tool_results[0]
    assert answer.is_error
    assert "approval again" in answer.content
