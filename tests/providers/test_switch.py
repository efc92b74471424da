"""A conversation survives a switch of provider mid-way: ids, tool results and reasoning state travel correctly."""

from __future__ import annotations

import json
import re
from typing import Any

from agentkit import tool
from agentkit.messages import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from agentkit.providers import ModelRequest
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.gemini import GeminiProvider
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.providers.openai_responses import OpenAIResponsesProvider


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return "sunny"


def conversation() -> list[Message]:
    """Turn 1 answered by Anthropic (thinking + a call), turn 2 by OpenAI with an id of its own format."""
    return [
        Message.system("You are a weather bot."),
        Message.user("Weather in Paris and Oslo?"),
        Message(
            role="assistant",
            parts=(
                ReasoningPart(text="Two cities.", signature="sig-anthropic", provider="anthropic"),
                ToolCallPart(id="toolu_01A", name="get_weather", arguments='{"city":"Paris"}'),
            ),
        ),
        Message(
            role="tool",
            parts=(ToolResultPart(tool_call_id="toolu_01A", name="get_weather", content="sunny"),),
        ),
        Message(
            role="assistant",
            parts=(
                ReasoningPart(text="", encrypted="enc", id="rs_1", provider="openai"),
                ToolCallPart(
                    id="call_Xy.9:odd",
                    name="get_weather",
                    arguments='{"city":"Oslo"}',
                    provider_details={"thoughtSignature": "c2ln"},
                ),
            ),
        ),
        Message(
            role="tool",
            parts=(
                ToolResultPart(tool_call_id="call_Xy.9:odd", name="get_weather", content="snow"),
            ),
        ),
        Message(role="assistant", parts=(TextPart(text="Paris sunny, Oslo snow."),)),
        Message.user("Thanks! And Rome?"),
    ]


def request() -> ModelRequest:
    return ModelRequest(messages=conversation(), tools=[get_weather.contract])


def test_anthropic_pairs_every_result_and_keeps_only_its_own_reasoning() -> None:
    body = AnthropicProvider("claude-sonnet-4-5", api_key="k").build_body(request())
    uses = [
        b
        for m in body["messages"]
        for b in m["content"]
        if isinstance(b, dict) and b["type"] == "tool_use"
    ]
    results = [
        b
        for m in body["messages"]
        for b in m["content"]
        if isinstance(b, dict) and b["type"] == "tool_result"
    ]
    assert [u["id"] for u in uses] == [r["tool_use_id"] for r in results]
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]+", u["id"]) for u in uses)
    thinking = [
        b
        for m in body["messages"]
        for b in m["content"]
        if isinstance(b, dict) and b["type"] == "thinking"
    ]
    assert [t["signature"] for t in thinking] == ["sig-anthropic"]
    assert "enc" not in json.dumps(body)
    assert body["messages"][0]["role"] == "user"


def test_openai_chat_gets_plain_tool_messages_and_no_foreign_reasoning() -> None:
    body, _ = OpenAIChatProvider("gpt-4.1", api_key="k").build_body(request())
    calls = [c for m in body["messages"] if m.get("tool_calls") for c in m["tool_calls"]]
    results = [m for m in body["messages"] if m["role"] == "tool"]
    assert [c["id"] for c in calls] == [r["tool_call_id"] for r in results]
    dumped = json.dumps(body)
    assert "sig-anthropic" not in dumped
    assert "enc" not in dumped


def test_responses_replays_nothing_it_did_not_produce_and_pairs_call_ids() -> None:
    body, _ = OpenAIResponsesProvider("gpt-4.1", api_key="k").build_body(request())
    items: list[dict[str, Any]] = body["input"]
    calls = [i["call_id"] for i in items if i.get("type") == "function_call"]
    outputs = [i["call_id"] for i in items if i.get("type") == "function_call_output"]
    assert calls == outputs
    assert "sig-anthropic" not in json.dumps(body)


def test_gemini_answers_each_call_by_name_and_order_without_foreign_state() -> None:
    body, _ = GeminiProvider("gemini-2.5-flash", api_key="k").build_body(request())
    parts = [p for c in body["contents"] for p in c.get("parts", [])]
    calls = [p["functionCall"]["name"] for p in parts if "functionCall" in p]
    responses = [p["functionResponse"]["name"] for p in parts if "functionResponse" in p]
    assert calls == responses == ["get_weather", "get_weather"]
    dumped = json.dumps(body)
    assert "sig-anthropic" not in dumped
    assert "enc" not in dumped
