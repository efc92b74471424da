"""The agent loop: inputs, history, tools in every form, prompts, results and run_sync."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from agentkit import Registry, RunContext, Toolset, tool
from agentkit.exceptions import UsageError
from agentkit.messages import Message, ToolCallPart, Usage
from agentkit.prompts import Prompt
from agentkit.runtime import TOOL_OUTPUT_NOTICE, Agent, capture_events
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio


def call(name: str, arguments: str = "{}", id: str = "c1") -> ToolCallPart:
    return ToolCallPart(id=id, name=name, arguments=arguments)


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def test_text_answer_is_the_output() -> None:
    """A model that answers with text ends the run with that text as the output."""
    provider = FakeProvider(["Hello!"], usage=Usage(input_tokens=5, output_tokens=2))
    result = await Agent(provider, instructions="Be kind.").run("Hi")
    assert result.output == "Hello!"
    assert result.status == "completed"
    assert [m.role for m in result.messages] == ["system", "user", "assistant"]
    assert result.usage == Usage(input_tokens=5, output_tokens=2)
    assert result.steps == 1
    assert provider.requests[0].messages[0].text == "Be kind."


async def test_tool_call_then_answer_sums_usage_and_pairs_results() -> None:
    """A tool call is executed, its result paired by id, and usage summed over both steps."""
    provider = FakeProvider(
        [[call("add", '{"a": 2, "b": 3}', id="x1")], "5"],
        usage=Usage(input_tokens=10, output_tokens=1),
    )
    result = await Agent(provider, tools=[add]).run("2+3?")
    assert result.output == "5"
    tool_message = result.messages[-2]
    assert tool_message.role == "tool"
    (part,) = tool_message.tool_results
    assert part.tool_call_id == "x1"
    assert not part.is_error
    assert "\n5\n" in part.content
    assert result.usage.total_tokens == 22
    assert result.tool_calls == 1
    second = provider.requests[1]
    assert [c.name for c in second.tools] == ["add"]
    assert second.messages[-1].tool_results[0].tool_call_id == "x1"


async def test_tools_from_registry_toolset_and_plain_functions() -> None:
    """Tools may be given as a registry, a toolset, or plain functions (wrapped with @tool)."""

    def shout(text: str) -> str:
        """Upper-case text."""
        return text.upper()

    registry = Registry()
    registry.register(shout, namespace="text")
    for tools in ([shout], Toolset([tool(shout)]), registry):
        provider = FakeProvider([[call("shout", '{"text": "hi"}')], "done"])
        result = await Agent(provider, tools=tools).run("go")
        assert "HI" in result.messages[-2].tool_results[0].content
        assert [c.name for c in provider.requests[0].tools] == ["shout"]


async def test_toolset_is_rebuilt_every_step() -> None:
    """The tool list is built per step, so a tool registered mid-run is offered at the next step."""
    registry = Registry()

    @tool
    def first() -> str:
        """First tool."""
        registry.register(tool(name="second", description="Second.")(lambda: "2"))
        return "1"

    registry.register(first)
    provider = FakeProvider([[call("first")], "done"])
    await Agent(provider, tools=registry).run("go")
    assert [[c.name for c in r.tools] for r in provider.requests] == [
        ["first"],
        ["first", "second"],
    ]


async def test_deps_reach_tools_through_run_context() -> None:
    """``deps`` reach tools that ask for ``RunContext``."""

    class Deps(BaseModel):
        currency: str

    @tool
    def price(ctx: RunContext[Deps], amount: float) -> str:
        """Format a price."""
        return f"{amount:.2f} {ctx.deps.currency}"

    provider = FakeProvider([[call("price", '{"amount": 3}')], "ok"])
    agent = Agent(provider, tools=[price], deps_type=Deps)
    result = await agent.run("price?", deps=Deps(currency="EUR"))
    assert "3.00 EUR" in result.messages[-2].tool_results[0].content


async def test_message_history_continues_a_conversation() -> None:
    """A previous result's messages continue the conversation without a second system message."""
    agent = Agent(FakeProvider(["one", "two"]), instructions="Count.")
    first = await agent.run("go")
    second = await agent.run("again", message_history=first.messages)
    assert [m.role for m in second.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert second.output == "two"


async def test_input_as_messages_and_nothing_to_send() -> None:
    """Input may be a list of messages; a run with nothing to send is a usage error."""
    result = await Agent(FakeProvider(["ok"])).run([Message.user("a"), Message.user("b")])
    assert [m.text for m in result.messages[:2]] == ["a", "b"]
    with pytest.raises(UsageError, match="nothing to send"):
        await Agent(FakeProvider(["ok"])).run()


async def test_versioned_prompt_is_rendered_and_recorded() -> None:
    """A Prompt as instructions is rendered with the run's variables; its version and hash are recorded."""

    class Vars(BaseModel):
        name: str

    prompt = Prompt("greeter", vars=Vars, version="1.2.0", system="Greet {name}.")
    provider = FakeProvider(["Hi Ada"])
    with capture_events() as events:
        result = await Agent(provider, instructions=prompt).run(
            "hello", prompt_vars=Vars(name="Ada")
        )
    assert provider.requests[0].messages[0].text == "Greet Ada."
    assert result.prompt is not None
    assert (result.prompt.name, result.prompt.version) == ("greeter", "1.2.0")
    assert result.prompt.content_hash == prompt.content_hash
    assert events.types()[:2] == ["run.started", "prompt.rendered"]


async def test_tool_output_notice_joins_the_system_prompt_when_tools_exist() -> None:
    """With tools, the system prompt tells the model that tool output is data, not instructions."""
    provider = FakeProvider(["ok"])
    await Agent(provider, tools=[add], instructions="Be brief.").run("go")
    system = provider.requests[0].messages[0]
    assert system.role == "system"
    assert system.text.startswith("Be brief.")
    assert TOOL_OUTPUT_NOTICE in system.text


def test_run_sync_runs_outside_an_event_loop() -> None:
    """``run_sync`` runs the agent from synchronous code."""
    assert Agent(FakeProvider(["ok"])).run_sync("go").output == "ok"


async def test_run_sync_inside_a_running_loop_is_a_clear_error() -> None:
    """``run_sync`` inside an event loop says to await ``run`` instead."""
    with pytest.raises(UsageError, match=r"await agent\.run"):
        Agent(FakeProvider(["ok"])).run_sync("go")


def test_agent_rejects_what_is_not_a_provider() -> None:
    """Passing something that is not a Provider is a usage error pointing to the fix."""
    with pytest.raises(UsageError, match="infer_provider"):
        Agent("openai:gpt-4.1")  # type: ignore[call-overload]


async def test_paused_result_has_no_output() -> None:
    """Reading the output of a result that is not completed explains how to resume."""

    @tool(requires_approval=True)
    def book(id: str) -> str:
        """Book."""
        return "booked"

    result = await Agent(FakeProvider([[call("book", '{"id": "1"}')]]), tools=[book]).run("go")
    assert result.paused
    with pytest.raises(UsageError, match="resume"):
        _ = result.output
