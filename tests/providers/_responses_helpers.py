"""Helpers for the OpenAI Responses adapter tests: fixture lookup, conversation rebuilding and request comparison."""

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
    StreamEvent,
)
from agentkit.providers.openai_responses import OpenAIResponsesProvider
from agentkit.testing._replay import Interaction, ReplayTransport, load_cassette

API_KEY = "test-key"
KIND = "openai-responses"

# Request keys passed through ModelSettings.extra_body when rebuilding a recorded request.
EXTRA_KEYS = ("reasoning", "service_tier", "prompt_cache_key", "prompt_cache_options")


# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))


def fixtures_root() -> Path:
    """``tests/fixtures``, checked to hold the Responses folder; a missing folder fails the test loudly."""
    root: Path = _fixtures["fixtures_root"](KIND)
    return root


def fixture(name: str) -> Path:
    path: Path = _fixtures["fixture"](f"{KIND}/{name}")
    return path


def interactions(name: str) -> list[Interaction]:
    return list(load_cassette(fixture(name)).interactions)


def provider_for(
    transport: ReplayTransport | httpx.MockTransport, model: str = "gpt-4o", **options: Any
) -> OpenAIResponsesProvider:
    mock = transport.mock() if isinstance(transport, ReplayTransport) else transport
    return OpenAIResponsesProvider(
        model, api_key=API_KEY, http_client=httpx.AsyncClient(transport=mock), **options
    )


def sse_transport(body: bytes) -> ReplayTransport:
    return ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")


# ------------------------------------------------------------------------------------- rebuilding requests


def contract_of(tool: dict[str, Any]) -> ToolContract:
    """A contract from a recorded (flat) Responses function tool."""
    return ToolContract(
        name=tool["name"],
        description=tool.get("description") or "",
        input_schema=tool.get("parameters") or {"type": "object", "properties": {}},
    )


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def _is_output_item(item: dict[str, Any]) -> bool:
    """Items a model produced (replayed back): reasoning, function calls and assistant messages."""
    return item.get("type") in ("reasoning", "function_call") or item.get("role") == "assistant"


def messages_from_items(
    items: list[dict[str, Any]], call_ids: dict[str, str] | None = None
) -> list[Message]:
    """Neutral messages straight from recorded input items (``call_ids`` renames recorded call ids)."""
    ids = call_ids or {}
    messages: list[Message] = []
    assistant: list[Any] = []
    results: list[ToolResultPart] = []

    def flush() -> None:
        if assistant:
            messages.append(Message(role="assistant", parts=tuple(assistant)))
            assistant.clear()
        if results:
            messages.append(Message(role="tool", parts=tuple(results)))
            results.clear()

    for item in items:
        if item.get("type") == "function_call_output":
            if assistant:
                flush()
            results.append(
                ToolResultPart(
                    tool_call_id=ids.get(item["call_id"], item["call_id"]),
                    name="?",
                    content=item["output"],
                )
            )
        elif item.get("type") == "reasoning":
            if results:
                flush()
            text = "\n\n".join(s["text"] for s in item.get("summary") or [])
            assistant.append(
                ReasoningPart(
                    text=text,
                    id=item["id"],
                    encrypted=item.get("encrypted_content"),
                    provider="openai",
                )
            )
        elif item.get("type") == "function_call":
            if results:
                flush()
            details = {"item_id": item["id"]} if item.get("id") else None
            assistant.append(
                ToolCallPart(
                    id=item["call_id"],
                    name=item["name"],
                    arguments=item["arguments"],
                    provider_details=details,
                )
            )
        elif item.get("role") == "assistant":
            if results or any(isinstance(p, TextPart) for p in assistant):
                flush()  # each recorded assistant message stays its own message
            assistant.append(TextPart(text=_text(item.get("content"))))
        else:
            flush()
            role = item.get("role")
            text = _text(item.get("content"))
            messages.append(
                Message.system(text) if role in ("system", "developer") else Message.user(text)
            )
    flush()
    return messages


def conversation(body: dict[str, Any], responses: list[ModelResponse]) -> list[Message]:
    """The neutral conversation behind a recorded request.

    Each replayed model turn is taken from agentkit's own parse of the recorded response it came from (so
    reasoning parts and item ids are agentkit's); tool results whose recorded ``call_id`` is an ``fc_`` item id
    (an old pydantic-ai bug) are paired with the real call id.
    """
    ids = item_to_call_ids(responses)
    messages: list[Message] = []
    if body.get("instructions"):
        messages.append(Message.system(body["instructions"]))
    items = body["input"]
    if isinstance(items, str):
        return [*messages, Message.user(items)]
    turn = 0
    i = 0
    while i < len(items):
        if _is_output_item(items[i]):
            j = i
            while j < len(items) and _is_output_item(items[j]):
                j += 1
            if turn < len(responses):
                messages.append(responses[turn].message)
                turn += 1
            else:
                messages.extend(messages_from_items(items[i:j], ids))
            i = j
        else:
            j = i
            while j < len(items) and not _is_output_item(items[j]):
                j += 1
            messages.extend(messages_from_items(items[i:j], ids))
            i = j
    return messages


def item_to_call_ids(responses: list[ModelResponse]) -> dict[str, str]:
    """``fc_`` item id -> call id, for every call in ``responses``."""
    return {
        (c.provider_details or {}).get("item_id", c.id): c.id
        for r in responses
        for c in r.tool_calls
    }


def request_for(body: dict[str, Any], messages: list[Message]) -> ModelRequest:
    """A ModelRequest carrying the recorded tools, tool choice and settings, over ``messages``."""
    choice: Any = body.get("tool_choice") or "auto"
    if isinstance(choice, dict):
        choice = NamedToolChoice(choice["name"])
    extra = {k: body[k] for k in EXTRA_KEYS if body.get(k) is not None}
    return ModelRequest(
        messages=messages,
        tools=[contract_of(t) for t in body.get("tools") or []],
        tool_choice=choice,
        settings=ModelSettings(
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            max_tokens=body.get("max_output_tokens"),
            parallel_tool_calls=body.get("parallel_tool_calls"),
            extra_body=extra,
        ),
    )


# ------------------------------------------------------------------------------------- comparing requests


def _args(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return text


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool schema with ``additionalProperties: false`` made explicit (the API adds it under strict)."""
    return {**schema, "additionalProperties": schema.get("additionalProperties", False)}


def normalise(body: dict[str, Any], *, call_ids: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields that matter, in a comparable form.

    Intentional differences this hides (each asserted or documented in the tests):

    * agentkit sends the ``fc_`` item id on replayed ``function_call`` items (``id``); recorders mostly do not.
      ``status: null`` and empty assistant messages (pydantic-ai) are dropped.
    * message content as a list of ``input_text`` parts vs a string (prompt-cache breakpoints are not modelled).
    * the JSON formatting of replayed arguments (llm re-serialises them with spaces).
    * a reasoning item's summaries are compared as one joined text (agentkit sends one ``summary_text``).
    * ``instructions: ""`` vs none; ``tool_choice`` missing vs ``"auto"``; a tool's ``strict`` missing (the API's
      default, true) vs true; ``description`` null/empty vs absent; ``additionalProperties: false`` added.
    * an old pydantic-ai bug sent the ``fc_`` item id as ``call_id``: ``call_ids`` maps it to the real call id.
    """
    ids = call_ids or {}
    items: list[Any] = []
    input_items = body["input"]
    if isinstance(input_items, str):
        input_items = [{"role": "user", "content": input_items}]
    for item in input_items:
        kind = item.get("type")
        if kind == "function_call":
            items.append(
                (
                    "function_call",
                    ids.get(item["call_id"], item["call_id"]),
                    item["name"],
                    _args(item["arguments"]),
                )
            )
        elif kind == "function_call_output":
            items.append(
                ("function_call_output", ids.get(item["call_id"], item["call_id"]), item["output"])
            )
        elif kind == "reasoning":
            text = "\n\n".join(s["text"] for s in item.get("summary") or [])
            items.append(("reasoning", item["id"], item.get("encrypted_content"), text))
        else:
            role = "system" if item["role"] == "developer" else item["role"]
            text = _text(item.get("content"))
            if role == "assistant" and not text:
                continue
            items.append((role, text))
    tools = [
        (
            t["name"],
            t.get("description") or None,
            _schema(t.get("parameters") or {}),
            t.get("strict", True),
        )
        for t in body.get("tools") or []
    ]
    return {
        "model": body["model"],
        "instructions": body.get("instructions") or None,
        "input": items,
        "tools": tools,
        "tool_choice": body.get("tool_choice", "auto" if tools else None),
        "stream": bool(body.get("stream")),
        "include": body.get("include"),
        **{
            k: body.get(k)
            for k in ("temperature", "top_p", "max_output_tokens", "parallel_tool_calls")
        },
        **{k: body[k] for k in EXTRA_KEYS if body.get(k) is not None},
    }


def check_fc_ids(sent: dict[str, Any], responses: list[ModelResponse]) -> None:
    """Every replayed function_call agentkit sent carries the ``fc_`` item id of the call it parsed."""
    known = {
        call.id: (call.provider_details or {}).get("item_id")
        for response in responses
        for call in response.tool_calls
    }
    for item in sent["input"]:
        if item.get("type") == "function_call" and item["call_id"] in known:
            assert item.get("id") == known[item["call_id"]], item


async def collect(provider: OpenAIResponsesProvider, request: ModelRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream(request)]


async def drain(
    provider: OpenAIResponsesProvider, request: ModelRequest, seen: list[StreamEvent]
) -> None:
    """Consume a stream into ``seen`` (so a test can check the deltas that came before an error)."""
    async for event in provider.stream(request):
        seen.append(event)
