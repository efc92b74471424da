"""Shared helpers for the Chat-Completions adapter tests: fixture lookup, replay, request rebuilding and comparison."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import httpx

from agentkit import ToolContract
from agentkit.messages import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from agentkit.providers import (
    ModelRequest,
    ModelResponse,
    ModelSettings,
    NamedToolChoice,
    OutputFormat,
    StreamDone,
    StreamEvent,
    ToolCallDelta,
)
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.testing._replay import Interaction, ReplayTransport, load_cassette

API_KEY = "test-key"

# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))


def fixtures_root() -> Path:
    """``tests/fixtures``, checked to hold the Chat Completions folders; a missing folder fails the test loudly."""
    root: Path = _fixtures["fixtures_root"]("openai-chat", "openai-compatible")
    return root


def fixture(kind: str, name: str) -> Path:
    path: Path = _fixtures["fixture"](f"{kind}/{name}")
    return path


def interactions(kind: str, name: str) -> list[Interaction]:
    return list(load_cassette(fixture(kind, name)).interactions)


def client_for(transport: ReplayTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport.mock())


def contract_of(definition: dict[str, Any]) -> ToolContract:
    """A contract from a recorded Chat-Completions tool definition."""
    function = definition["function"]
    return ToolContract(
        name=function["name"],
        description=function.get("description") or "",
        input_schema=function.get("parameters") or {"type": "object", "properties": {}},
    )


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def request_from_body(
    body: dict[str, Any], *, reasoning_provider: str | None = None, **settings: Any
) -> ModelRequest:
    """Rebuild the neutral conversation a recorded request body was made from."""
    names: dict[str, str] = {}
    messages: list[Message] = []
    for m in body["messages"]:
        role = m["role"]
        if role in ("system", "developer"):
            messages.append(Message.system(_text(m.get("content"))))
        elif role == "user":
            messages.append(Message.user(_text(m.get("content"))))
        elif role == "tool":
            call_id = m["tool_call_id"]
            part = ToolResultPart(
                tool_call_id=call_id, name=names.get(call_id, "?"), content=_text(m["content"])
            )
            messages.append(Message(role="tool", parts=(part,)))
        else:
            parts: list[Any] = []
            reasoning = m.get("reasoning_content")
            if reasoning and reasoning_provider:
                parts.append(ReasoningPart(text=reasoning, provider=reasoning_provider))
            text = _text(m.get("content"))
            if text or not m.get("tool_calls"):
                parts.append(TextPart(text=text))
            for call in m.get("tool_calls") or []:
                names[call["id"]] = call["function"]["name"]
                parts.append(
                    ToolCallPart(
                        id=call["id"],
                        name=call["function"]["name"],
                        arguments=call["function"]["arguments"],
                    )
                )
            messages.append(Message(role="assistant", parts=tuple(parts)))
    choice = body.get("tool_choice", "auto")
    if isinstance(choice, dict):
        choice = NamedToolChoice(choice["function"]["name"])
    output = None
    response_format = body.get("response_format")
    if response_format and response_format.get("type") == "json_schema":
        spec = response_format["json_schema"]
        output = OutputFormat(
            name=spec["name"], schema=spec["schema"], strict=spec.get("strict", True)
        )
    return ModelRequest(
        messages=messages,
        tools=[contract_of(t) for t in body.get("tools") or []],
        tool_choice=choice,
        output=output,
        settings=ModelSettings(**settings),
    )


def _args(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return text


def normalise(body: dict[str, Any], *, reasoning_field: str | None = None) -> dict[str, Any]:
    """The fields that matter, in a comparable form.

    Intentional differences this hides (documented in the tests): content given as a list of text parts vs a
    string (prompt-cache breakpoints are not modelled), ``content: []``/``""``/``null`` beside tool calls, the
    JSON formatting of replayed arguments, Mistral's ``prefix``/``index`` extras, and tool schemas (agentkit
    compiles them to its own dialect: only names and property names are compared).
    """
    messages = []
    for m in body["messages"]:
        role = "system" if m["role"] == "developer" else m["role"]
        item: dict[str, Any] = {"role": role}
        content = _text(m.get("content"))
        if m.get("tool_calls"):
            item["content"] = content or None
            item["tool_calls"] = [
                (c["id"], c["function"]["name"], _args(c["function"]["arguments"]))
                for c in m["tool_calls"]
            ]
        else:
            item["content"] = content
        if "tool_call_id" in m:
            item["tool_call_id"] = m["tool_call_id"]
        if reasoning_field and role == "assistant":
            item[reasoning_field] = m.get(reasoning_field) or ""
        messages.append(item)
    tools = [
        (
            t["function"]["name"],
            sorted((t["function"].get("parameters") or {}).get("properties", {})),
        )
        for t in body.get("tools") or []
    ]
    out: dict[str, Any] = {
        "model": body["model"],
        "messages": messages,
        "tools": tools,
        "tool_choice": body.get("tool_choice", "auto" if tools else None),
        "stream": bool(body.get("stream")),
        "include_usage": bool((body.get("stream_options") or {}).get("include_usage")),
    }
    response_format = body.get("response_format")
    if response_format:
        spec = response_format["json_schema"]
        out["response_format"] = (spec["name"], spec["schema"])
    return out


async def collect(provider: OpenAIChatProvider, request: ModelRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream(request)]


async def drain(
    provider: OpenAIChatProvider, request: ModelRequest, seen: list[StreamEvent]
) -> None:
    """Consume a stream into ``seen`` (so a test can check the deltas that came before an error)."""
    async for event in provider.stream(request):
        seen.append(event)


def done(events: list[StreamEvent]) -> ModelResponse:
    assert isinstance(events[-1], StreamDone), events[-1]
    assert sum(isinstance(e, StreamDone) for e in events) == 1
    return events[-1].response


def assert_deltas_match(events: list[StreamEvent]) -> None:
    """Tool-call deltas concatenate to each final call's arguments (and carry its id and name once)."""
    response = done(events)
    calls = response.tool_calls
    pieces: dict[int, list[str]] = {}
    ids: dict[int, list[str]] = {}
    names: dict[int, list[str]] = {}
    for event in events:
        if isinstance(event, ToolCallDelta):
            pieces.setdefault(event.index, []).append(event.arguments)
            if event.id:
                ids.setdefault(event.index, []).append(event.id)
            if event.name:
                names.setdefault(event.index, []).append(event.name)
    assert sorted(pieces) == list(range(len(calls)))
    for index, call in enumerate(calls):
        assert _args("".join(pieces[index])) == json.loads(call.arguments)
        assert len(names.get(index, [])) == 1
        assert len(ids.get(index, [])) <= 1
        if ids.get(index):
            assert ids[index][0] == call.id


def comparable(response: ModelResponse) -> dict[str, Any]:
    """A response without its raw payload and with arguments parsed (formatting is not meaning)."""
    data = response.model_dump()
    for part in data["parts"]:
        if part["kind"] == "tool-call":
            part["arguments"] = _args(part["arguments"])
    return data
