"""agentkit tools driven by the OpenAI Agents SDK's own Runner, over a loopback fake OpenAI server."""

from __future__ import annotations

import json
from typing import Annotated, Any

import anyio
import pytest
from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner
from agents.tool_context import ToolContext
from openai import AsyncOpenAI

from agentkit import RunContext, Sensitive, ToolFailed, tool
from agentkit.events import ToolCallFailed, ToolCallStarted
from agentkit.exceptions import SchemaCompileError
from agentkit.integrations.openai_agents import to_openai_agents
from agentkit.testing import FakeProviderServer, Reply
from agentkit.tools import MASK
from agentkit.tools.dialects import get_dialect

pytestmark = pytest.mark.anyio


@tool(namespace="weather")
def forecast(city: str, unit: str = "C", days: int | None = None) -> str:
    """Forecast for a city.

    Args:
        city: The city.
        unit: C or F.
        days: How many days ahead.
    """
    return f"18 {unit} in {city}" + (f" for {days} days" if days else "")


@tool
def pay(iban: Annotated[str, Sensitive()], cents: int) -> str:
    """Pay someone."""
    raise RuntimeError(f"bank rejected {iban}")


@tool(timeout=0.05)
async def slow(query: str) -> str:
    """A tool that never answers in time."""
    await anyio.sleep_forever()
    return query


@tool
def refuse(reason: str) -> str:
    """A tool that refuses."""
    raise ToolFailed(f"refused: {reason}")


async def run_agent(server: FakeProviderServer, *tools: Any) -> Any:
    client = AsyncOpenAI(base_url=server.url + "/v1", api_key="test-key", max_retries=0)
    model = OpenAIChatCompletionsModel(model="gpt-4.1", openai_client=client)
    agent = Agent(name="assistant", instructions="Use the tools.", model=model, tools=list(tools))
    try:
        return await Runner.run(agent, "go", run_config=RunConfig(tracing_disabled=True))
    finally:
        await client.close()


def tool_messages(body: dict[str, Any]) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


async def test_runner_calls_the_tool_with_the_strict_schema_and_decodes_nulls() -> None:
    """The SDK's Runner sends the openai-strict schema, and a null for an omitted field becomes its default."""
    async with FakeProviderServer() as server:
        args = json.dumps({"city": "Paris", "unit": None, "days": None})
        server.script(Reply("", tool_calls=(("forecast", args),)), Reply("It is 18 C in Paris."))
        result = await run_agent(server, to_openai_agents(forecast))
    assert result.final_output == "It is 18 C in Paris."
    sent = server.requests[0].body["tools"][0]["function"]
    compiled = get_dialect("openai-strict").compile(forecast.contract)
    assert sent["name"] == "forecast"
    assert sent["strict"] is True
    assert sent["parameters"] == compiled.schema
    assert tool_messages(server.requests[1].body) == ["18 C in Paris"]


async def test_runner_sends_the_repair_hint_back_to_the_model() -> None:
    """A bad call reaches the model as agentkit's repair hint, with the SDK's non-strict schema."""
    async with FakeProviderServer() as server:
        server.script(
            Reply("", tool_calls=(("forecast", '{"town": "Paris"}'),)),
            Reply("Done."),
        )
        result = await run_agent(server, to_openai_agents(forecast, strict=False))
    assert result.final_output == "Done."
    assert server.requests[0].body["tools"][0]["function"].get("strict") is not True
    hint = json.loads(tool_messages(server.requests[1].body)[0])
    assert hint["error"] == "invalid_arguments"
    assert {i["path"]: i["problem"] for i in hint["issues"]} == {
        "city": "missing",
        "town": "unknown_field",
    }


async def test_crash_is_generic_for_the_model_and_masked_in_events() -> None:
    """A crash quoting a sensitive argument is a generic failure for the model and masked in the event."""
    ctx = RunContext.new(events=True)
    async with FakeProviderServer() as server:
        args = json.dumps({"iban": "DE89370400440532013000", "cents": 5})
        server.script(Reply("", tool_calls=(("pay", args),)), Reply("Sorry."))
        await run_agent(server, to_openai_agents(pay, context=ctx))
    answer = tool_messages(server.requests[1].body)[0]
    assert "DE89" not in answer
    assert ctx.events is not None
    started = [e for e in ctx.events.events if isinstance(e, ToolCallStarted)]
    failed = [e for e in ctx.events.events if isinstance(e, ToolCallFailed)]
    assert started[0].arguments == {"iban": MASK, "cents": 5}
    assert started[0].tool_call_id == "call_0"
    assert failed[0].error_message == f"bank rejected {MASK}"


async def test_timeout_and_tool_failed_reach_the_model_as_agentkit_words_them() -> None:
    """The contract's timeout applies inside the SDK, and a ToolFailed message is what the model reads."""
    async with FakeProviderServer() as server:
        server.script(
            Reply(
                "",
                tool_calls=(("slow", '{"query": "q"}'), ("refuse", '{"reason": "policy"}')),
            ),
            Reply("Ok."),
        )
        await run_agent(server, to_openai_agents(slow), to_openai_agents(refuse))
    assert tool_messages(server.requests[1].body) == [
        "The tool slow timed out after 0.05s.",
        "refused: policy",
    ]


async def test_on_invoke_tool_repairs_text_that_is_not_json_or_not_an_object() -> None:
    """Arguments that are not a JSON object get agentkit's repair hint, not an exception."""
    wrapped = to_openai_agents(forecast)
    context = ToolContext(context=None, tool_name="forecast", tool_call_id="c1", tool_arguments="{")
    for raw in ("{", "[1]"):
        hint = json.loads(await wrapped.on_invoke_tool(context, raw))
        assert hint["error"] == "invalid_arguments"


def test_strict_true_raises_when_the_schema_has_no_strict_form() -> None:
    """strict=True refuses a schema the strict dialect cannot express; the default falls back to non-strict."""

    @tool
    def open_ended(payload: dict[str, Any]) -> str:
        """Anything goes."""
        return "ok"

    with pytest.raises(SchemaCompileError):
        to_openai_agents(open_ended, strict=True)
    assert to_openai_agents(open_ended).strict_json_schema is False


def test_requires_approval_sets_needs_approval() -> None:
    """A contract that requires approval asks the SDK to pause for a decision."""

    @tool(requires_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        return path

    assert to_openai_agents(delete).needs_approval is True
    assert to_openai_agents(forecast).needs_approval is False
