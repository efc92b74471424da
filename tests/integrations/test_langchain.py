"""agentkit tools inside LangChain's tool-calling flow, and LangChain tools inside an agentkit Agent."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import anyio
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import ToolException
from langchain_core.tools import tool as lc_tool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agentkit import RunContext, Sensitive, tool
from agentkit.events import ToolCallStarted
from agentkit.exceptions import MissingExtraError
from agentkit.integrations.langchain import from_langchain, to_langchain
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, StoreSink
from agentkit.testing import FakeProviderServer, Reply
from agentkit.tools import MASK

IBAN = "DE89370400440532013000"


@tool(namespace="weather")
def forecast(city: str, unit: str = "C") -> dict[str, Any]:
    """Forecast for a city.

    Args:
        city: The city.
        unit: C or F.
    """
    return {"city": city, "temperature": 18, "unit": unit}


@tool
def pay(iban: Annotated[str, Sensitive()], cents: int) -> str:
    """Pay someone."""
    return f"paid {cents} to {iban[:4]}"


@tool(timeout=0.05)
async def slow(query: str) -> str:
    """A tool that never answers in time."""
    await anyio.sleep_forever()
    return query


class Inputs(BaseCallbackHandler):
    """Records what LangChain hands its callbacks when a tool starts."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
        self.seen.append((input_str, kwargs.get("inputs")))


def run_flow(tools: list[Any], calls: list[dict[str, Any]]) -> list[ToolMessage]:
    """LangChain's tool-calling loop: the model answers with tool calls and each one is invoked as a ToolCall."""
    model = FakeMessagesListChatModel(responses=[AIMessage(content="", tool_calls=calls)])
    by_name = {t.name: t for t in tools}
    ai = model.invoke([HumanMessage("go")])
    assert isinstance(ai, AIMessage)
    return [by_name[call["name"]].invoke(call) for call in ai.tool_calls]


def test_tool_calling_flow_returns_content_and_the_python_value() -> None:
    """A model's tool call runs the agentkit tool: JSON content for the model, the value as the artifact."""
    lc = to_langchain(forecast)
    (message,) = run_flow([lc], [{"name": "forecast", "args": {"city": "Oslo"}, "id": "c1"}])
    assert message.status == "success"
    assert message.tool_call_id == "c1"
    assert json.loads(message.content) == {"city": "Oslo", "temperature": 18, "unit": "C"}
    assert message.artifact == {"city": "Oslo", "temperature": 18, "unit": "C"}


def test_bind_tools_schema_is_the_contract_schema() -> None:
    """What LangChain sends a model as parameters is the contract's input schema, description included."""
    function = convert_to_openai_tool(to_langchain(forecast))["function"]
    assert function["name"] == "forecast"
    assert function["description"] == forecast.contract.description
    assert function["parameters"]["properties"] == forecast.contract.input_schema["properties"]
    assert function["parameters"]["required"] == ["city"]


def test_invalid_call_becomes_an_error_tool_message_with_the_repair_hint() -> None:
    """Bad arguments are validated by agentkit and reach the model as a status="error" ToolMessage."""
    calls = [{"name": "forecast", "args": {"town": "Oslo"}, "id": "c2"}]
    (message,) = run_flow([to_langchain(forecast)], calls)
    assert message.status == "error"
    hint = json.loads(message.content)
    assert hint["error"] == "invalid_arguments"
    assert {i["path"]: i["problem"] for i in hint["issues"]} == {
        "city": "missing",
        "town": "unknown_field",
    }


@pytest.mark.anyio
async def test_ainvoke_runs_the_tool_and_applies_the_contract_timeout() -> None:
    """Ainvoke runs on the caller's loop, and the contract's timeout ends a hung call with an error message."""
    ok = await to_langchain(forecast).ainvoke({"city": "Rome", "unit": "F"})
    assert json.loads(ok)["unit"] == "F"
    call = {"type": "tool_call", "name": "slow", "args": {"query": "q"}, "id": "c3"}
    message = await to_langchain(slow).ainvoke(call)
    assert message.status == "error"
    assert message.content == "The tool slow timed out after 0.05s."


@pytest.mark.anyio
async def test_sync_invoke_from_inside_a_running_loop() -> None:
    """A synchronous invoke made while an event loop runs in this thread still completes (in a worker thread)."""
    assert json.loads(to_langchain(forecast).invoke({"city": "Lima"}))["city"] == "Lima"


def test_sensitive_arguments_are_masked_for_callbacks_and_events() -> None:
    """Callbacks and agentkit events see the IBAN masked; the tool itself receives the real value."""
    ctx = RunContext.new(events=True)
    handler = Inputs()
    lc = to_langchain(pay, context=ctx)
    call = {"type": "tool_call", "name": "pay", "args": {"iban": IBAN, "cents": 5}, "id": "c4"}
    message = lc.invoke(call, config={"callbacks": [handler]})
    assert message.content == "paid 5 to DE89"
    ((input_str, inputs),) = handler.seen
    assert inputs == {"iban": MASK, "cents": 5}
    assert IBAN not in input_str
    assert ctx.events is not None
    started = [e for e in ctx.events.events if isinstance(e, ToolCallStarted)]
    assert started[0].arguments == {"iban": MASK, "cents": 5}


def test_retry_budget_is_shared_through_the_context() -> None:
    """With a shared context, repeated bad calls exhaust the tool's retry budget as in an agentkit run."""
    lc = to_langchain(forecast, context=RunContext(deps=None))
    bad = {"type": "tool_call", "name": "forecast", "args": {}, "id": "c5"}
    contents = [lc.invoke(bad).content for _ in range(forecast._spec.max_retries + 1)]
    assert contents[-1].endswith("stop calling it.")


@lc_tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@lc_tool
def lookup(key: str) -> str:
    """Look a key up."""
    raise ToolException(f"no entry for {key}")


lookup.handle_tool_error = True


@pytest.mark.anyio
async def test_langchain_tool_in_an_agent_over_the_loopback_server() -> None:
    """An Agent on the OpenAI adapter calls a LangChain tool; results, errors and hints reach the model."""
    tools = [from_langchain(multiply, namespace="math"), from_langchain(lookup)]
    store = MemoryStore()
    async with FakeProviderServer() as server:
        server.script(
            Reply(
                "",
                tool_calls=(
                    ("multiply", '{"a": 6, "b": 7}'),
                    ("lookup", '{"key": "k1"}'),
                    ("multiply", '{"a": "six"}'),
                ),
            ),
            Reply("42."),
        )
        adapter = OpenAIChatProvider("gpt-4.1", api_key="test-key", base_url=server.url + "/v1")
        agent = Agent(adapter, tools=tools, sinks=[StoreSink(store)], frame_tool_output=False)
        try:
            result = await agent.run("six times seven?", run_id="lc1")
        finally:
            await adapter.aclose()
    assert result.output == "42."
    sent = server.requests[0].body["tools"]
    assert sorted(t["function"]["name"] for t in sent) == ["lookup", "multiply"]
    answers = [m["content"] for m in server.requests[1].body["messages"] if m["role"] == "tool"]
    assert answers[0] == "42"
    assert answers[1] == "no entry for k1"
    hint = json.loads(answers[2])
    assert hint["error"] == "invalid_arguments"
    assert {i["path"] for i in hint["issues"]} == {"a", "b"}
    assert store.read("lc1")


def test_from_langchain_reads_pydantic_and_json_schemas() -> None:
    """A tool with a JSON-schema args_schema keeps it; a crash inside LangChain is a generic failure."""

    def boom(**kwargs: Any) -> str:
        raise RuntimeError("internal detail")

    from langchain_core.tools import StructuredTool

    schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    lc = StructuredTool.from_function(boom, name="boom", description="Boom.", args_schema=schema)
    imported = from_langchain(lc, version="2.1.0", sensitive=["/q"])
    assert imported.contract.version == "2.1.0"
    assert imported.contract.input_schema["properties"] == {"q": {"type": "string"}}
    outcome = anyio.run(imported.invoke_json, '{"q": "x"}')
    assert outcome.status == "error"
    assert "internal detail" not in outcome.content


def test_missing_extra_names_the_pip_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without langchain-core or openai-agents installed, the bridges say which extra to install."""
    from agentkit.integrations import openai_agents

    monkeypatch.setitem(sys.modules, "langchain_core.tools", None)
    monkeypatch.setitem(sys.modules, "agents", None)
    with pytest.raises(MissingExtraError, match=r"agentkit-contracts\[langchain\]"):
        to_langchain(forecast)
    with pytest.raises(MissingExtraError, match=r"agentkit-contracts\[openai-agents\]"):
        openai_agents.to_openai_agents(forecast)
