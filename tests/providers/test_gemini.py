"""Gemini adapter, tested on the real recorded traffic in tests/fixtures/gemini.

Every recorded request is rebuilt as a ``ModelRequest`` (assistant turns come from the responses agentkit parsed,
tool results from the recording) and the body agentkit sends is compared with the recorded one on ``contents``,
``tools``, ``toolConfig``, ``systemInstruction`` and ``generationConfig``. Intentional differences, normalised
away before comparing:

* agentkit sends no ``functionCall.id`` / ``functionResponse.id`` (the API returns none; pydantic-ai and
  llm-gemini add their own); results are paired by name and order.
* tool results go out as the result object itself, or ``{"output": value}`` for non-objects (pydantic-ai wraps as
  ``{"return_value": ...}``); the single wrapping key is unwrapped on both sides.
* ``thoughtSignature`` is compared as decoded bytes (pydantic-ai re-encodes it URL-safe).
* tools are compiled by the ``gemini`` dialect into ``parameters`` (upper-case OpenAPI types, no
  ``additionalProperties``) where newer pydantic-ai sends ``parameters_json_schema``; schemas are compared with
  lower-cased types and without ``additionalProperties: false`` or empty ``properties``.
* ``toolConfig`` is sent explicitly (``AUTO`` when tools are present); ``ANY`` listing every tool equals ``ANY``.
* ``systemInstruction`` has no ``role``; pydantic-ai's ``generationConfig.responseModalities: [TEXT]`` is not sent;
  snake_case request fields (llm-gemini) compare equal to camelCase.
* streams are requested with ``?alt=sse``; the llm-gemini recording answered a request without it (a JSON array).
"""

from __future__ import annotations

import base64
import json
import pickle
import runpy
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentkit import ToolContract
from agentkit.exceptions import (
    AuthenticationFailed,
    InvalidRequest,
    MalformedResponse,
    ModelNotFound,
    Overloaded,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UsageError,
)
from agentkit.messages import (
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from agentkit.providers import (
    ModelRequest,
    ModelResponse,
    ModelSettings,
    NamedToolChoice,
    OutputFormat,
    ReasoningDelta,
    StreamDone,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolChoice,
    infer_provider,
)
from agentkit.providers.gemini import GeminiProvider, gemini_profile
from agentkit.testing._replay import Interaction, ReplayTransport, load_cassette

pytestmark = pytest.mark.anyio

API_KEY = "test-key"
KIND = "gemini"
BASE = "https://generativelanguage.googleapis.com/v1beta"


# ------------------------------------------------------------------------------------------ fixtures


# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))


def fixtures_root() -> Path:
    """``tests/fixtures``, checked to hold the Gemini folder; a missing folder fails the test loudly."""
    root: Path = _fixtures["fixtures_root"](KIND)
    return root


def fixture(name: str) -> Path:
    path: Path = _fixtures["fixture"](f"{KIND}/{name}")
    return path


def interactions(name: str) -> list[Interaction]:
    return list(load_cassette(fixture(name)).interactions)


def jsonl(name: str) -> list[dict[str, Any]]:
    lines = fixture(name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def sse_crlf(chunks: list[dict[str, Any]]) -> bytes:
    """Frame chunks the way Gemini does: ``data: {json}`` events separated by CRLF CRLF."""
    return "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks).encode()


def provider_for(transport: ReplayTransport, model: str = "gemini-2.5-flash") -> GeminiProvider:
    return GeminiProvider(
        model, api_key=API_KEY, http_client=httpx.AsyncClient(transport=transport.mock())
    )


def model_of(uri: str) -> str:
    return uri.split("/models/", 1)[1].split(":", 1)[0]


async def collect(provider: GeminiProvider, request: ModelRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream(request)]


async def send(
    provider: GeminiProvider, request: ModelRequest, *, streaming: bool
) -> ModelResponse:
    """``complete`` or ``stream`` (returning the streamed response)."""
    if streaming:
        return done(await collect(provider, request))
    return await provider.complete(request)


def done(events: list[StreamEvent]) -> ModelResponse:
    assert sum(isinstance(e, StreamDone) for e in events) == 1
    last = events[-1]
    assert isinstance(last, StreamDone)
    return last.response


def merged(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """One non-streamed response with the content of all stream chunks (what ``complete`` would get)."""
    parts: list[Any] = []
    out: dict[str, Any] = {}
    candidate: dict[str, Any] = {}
    for chunk in chunks:
        for key in ("usageMetadata", "modelVersion", "responseId", "promptFeedback"):
            if key in chunk:
                out[key] = chunk[key]
        for cand in chunk.get("candidates", [])[:1]:
            parts.extend(cand.get("content", {}).get("parts", []))
            if "finishReason" in cand:
                candidate["finishReason"] = cand["finishReason"]
    out["candidates"] = [{**candidate, "content": {"role": "model", "parts": parts}}]
    return out


def sse_chunks(body: bytes) -> list[dict[str, Any]]:
    text = body.decode()
    return [
        json.loads(block.removeprefix("data: "))
        for block in text.replace("\r\n", "\n").split("\n\n")
        if block.strip()
    ]


def assert_stream_matches_complete(
    provider: GeminiProvider, events: list[StreamEvent], chunks: list[dict[str, Any]], tools: Any
) -> ModelResponse:
    """The stream's final response equals what ``complete`` parses from the same content."""
    response = done(events)
    _, by_wire = provider.build_body(ModelRequest(messages=[Message.user("x")], tools=tools))
    assert response.model_dump() == provider.parse_response(merged(chunks), by_wire).model_dump()
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == response.text
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == "".join(p.text for p in response.parts if isinstance(p, ReasoningPart))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    for k, call in enumerate(response.tool_calls):
        mine = [d for d in deltas if d.index == k]
        assert mine[0].id == call.id
        assert json.loads("".join(d.arguments for d in mine)) == json.loads(call.arguments)
    return response


# ------------------------------------------------------------------------------------------ rebuilding requests


def _lower_types(schema: Any) -> Any:
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "type" and isinstance(value, str):
                out[key] = value.lower()
            elif key == "properties" and isinstance(value, dict):
                out[key] = {name: _lower_types(sub) for name, sub in value.items()}
            else:
                out[key] = _lower_types(value)
        return out
    if isinstance(schema, list):
        return [_lower_types(item) for item in schema]
    return schema


def _declaration_schema(declaration: dict[str, Any]) -> dict[str, Any]:
    for key in ("parameters_json_schema", "parametersJsonSchema", "parameters"):
        if isinstance(declaration.get(key), dict):
            schema: dict[str, Any] = _lower_types(declaration[key])
            return schema
    return {"type": "object", "properties": {}}


def contracts_from(body: dict[str, Any]) -> list[ToolContract]:
    """The tools of a recorded request, as contracts agentkit compiles itself."""
    return [
        ToolContract(
            name=decl["name"],
            description=decl.get("description") or "",
            input_schema=_declaration_schema(decl),
        )
        for tools in body.get("tools", [])
        for decl in tools.get("functionDeclarations", [])
    ]


def tool_choice_from(body: dict[str, Any]) -> ToolChoice:
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = config.get("mode", "AUTO")
    if mode == "NONE":
        return "none"
    if mode == "ANY":
        names = config.get("allowedFunctionNames")
        every = {c.name for c in contracts_from(body)}
        if names and set(names) != every and len(names) == 1:
            return NamedToolChoice(names[0])
        return "required"
    return "auto"


def _camel(part: dict[str, Any]) -> dict[str, Any]:
    renames = {"function_call": "functionCall", "function_response": "functionResponse"}
    return {renames.get(k, k): v for k, v in part.items()}


def _result_text(response: Any) -> str:
    if isinstance(response, dict) and len(response) == 1:
        ((key, value),) = response.items()
        if key in ("return_value", "output", "result"):
            return value if isinstance(value, str) else json.dumps(value)
    return json.dumps(response)


def user_messages(contents: list[dict[str, Any]], calls: tuple[ToolCallPart, ...]) -> list[Message]:
    """Recorded user contents as messages; functionResponse parts pair with ``calls`` by order."""
    messages: list[Message] = []
    pending = list(calls)
    for content in contents:
        assert content.get("role", "user") == "user", content
        results: list[ToolResultPart] = []
        texts: list[TextPart] = []
        for raw in content["parts"]:
            part = _camel(raw)
            if "functionResponse" in part:
                fr = part["functionResponse"]
                call = pending.pop(0)
                assert call.name == fr["name"]
                results.append(
                    ToolResultPart(
                        tool_call_id=call.id, name=call.name, content=_result_text(fr["response"])
                    )
                )
            elif "text" in part:
                texts.append(TextPart(text=part["text"]))
        if results:
            messages.append(Message(role="tool", parts=tuple(results)))
        if texts:
            messages.append(Message(role="user", parts=tuple(texts)))
    return messages


_PASSTHROUGH = ("safetySettings", "cachedContent")


def request_from(body: dict[str, Any], messages: list[Message]) -> ModelRequest:
    system = [
        Message.system(p["text"]) for p in (body.get("systemInstruction") or {}).get("parts", [])
    ]
    config = dict(body.get("generationConfig") or {})
    extra: dict[str, Any] = {k: body[k] for k in _PASSTHROUGH if k in body}
    extra_config = {
        k: v for k, v in config.items() if k not in ("temperature", "responseModalities")
    }
    if extra_config:
        extra["generationConfig"] = extra_config
    return ModelRequest(
        messages=[*system, *messages],
        tools=contracts_from(body),
        tool_choice=tool_choice_from(body),
        settings=ModelSettings(temperature=config.get("temperature"), extra_body=extra),
    )


def _signature(value: str) -> bytes:
    standard = value.replace("-", "+").replace("_", "/")
    return base64.b64decode(standard + "=" * (-len(standard) % 4))


def _norm_schema(schema: Any) -> Any:
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "additionalProperties" and value is False:
                continue
            if key == "properties":
                if value:
                    out[key] = {name: _norm_schema(sub) for name, sub in value.items()}
                continue
            out[key] = (
                value.lower() if key == "type" and isinstance(value, str) else _norm_schema(value)
            )
        return out
    if isinstance(schema, list):
        return [_norm_schema(item) for item in schema]
    return schema


def _norm_part(raw: dict[str, Any]) -> dict[str, Any]:
    part = _camel(raw)
    out: dict[str, Any] = {}
    if "text" in part:
        out["text"] = part["text"]
    if part.get("thought"):
        out["thought"] = True
    if "functionCall" in part:
        call = part["functionCall"]
        out["functionCall"] = {"name": call["name"], "args": call.get("args") or {}}
    if "functionResponse" in part:
        fr = part["functionResponse"]
        out["functionResponse"] = {"name": fr["name"], "response": _result_text(fr["response"])}
    if part.get("thoughtSignature"):
        out["thoughtSignature"] = _signature(part["thoughtSignature"])
    return out


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    """The parts of a request body that must match, with the intentional differences normalised away."""
    declarations = [
        {
            "name": decl["name"],
            "description": decl.get("description") or "",
            "parameters": _norm_schema(_declaration_schema(decl)),
        }
        for tools in body.get("tools", [])
        for decl in tools.get("functionDeclarations", [])
    ]
    config = dict((body.get("toolConfig") or {}).get("functionCallingConfig") or {})
    if declarations:
        config.setdefault("mode", "AUTO")
        names = config.get("allowedFunctionNames")
        if config["mode"] == "ANY" and names and set(names) == {d["name"] for d in declarations}:
            del config["allowedFunctionNames"]
    generation = {
        k: v for k, v in (body.get("generationConfig") or {}).items() if k != "responseModalities"
    }
    return {
        "contents": [
            {"role": c.get("role", "user"), "parts": [_norm_part(p) for p in c["parts"]]}
            for c in body.get("contents", [])
        ],
        "systemInstruction": [
            p["text"] for p in (body.get("systemInstruction") or {}).get("parts", [])
        ],
        "tools": declarations,
        "toolConfig": config,
        "generationConfig": generation,
        **{k: body[k] for k in _PASSTHROUGH if k in body},
    }


async def replay_cassette(
    name: str, *, stream: bool
) -> tuple[GeminiProvider, ReplayTransport, list[ModelResponse]]:
    """Replay every interaction of a cassette as a conversation, checking each request body agentkit sends."""
    items = interactions(name)
    transport = ReplayTransport(items)
    provider = provider_for(transport, model_of(items[0].uri))
    history: list[Message] = []
    previous: list[dict[str, Any]] = []
    responses: list[ModelResponse] = []
    for item in items:
        recorded: dict[str, Any] = item.request_body
        contents = recorded["contents"]
        if responses and len(contents) > len(previous):
            # The recording continues the conversation: our parsed answer, then the new user turns.
            history = [
                *history,
                responses[-1].message,
                *user_messages(contents[len(previous) + 1 :], responses[-1].tool_calls),
            ]
        else:
            history = user_messages(contents, ())
        previous = contents
        request = request_from(recorded, history)
        if stream:
            events = await collect(provider, request)
            response = assert_stream_matches_complete(
                provider, events, _chunks_of(item), request.tools
            )
        else:
            response = await provider.complete(request)
        sent = transport.requests[-1]
        assert normalise(sent["json"]) == normalise(recorded)
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        assert sent["url"] == f"{BASE}/models/{model_of(item.uri)}:{method}"
        assert sent["headers"]["x-goog-api-key"] == API_KEY
        responses.append(response)
    assert not transport.interactions, "every recorded interaction is replayed"
    return provider, transport, responses


def _chunks_of(item: Interaction) -> list[dict[str, Any]]:
    if item.is_sse:
        return sse_chunks(item.body)
    data = json.loads(item.body)
    return data if isinstance(data, list) else [data]


# ------------------------------------------------------------------------------------------ recorded traffic


async def test_plain_text_reply() -> None:
    """A plain text answer: text, finish reason, model, id and usage with thinking tokens in the output."""
    _, _, (response,) = await replay_cassette("plain-text.pydantic-ai.yaml", stream=False)
    assert response.text == "Hello! How can I help you today?"
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "STOP"
    assert response.model == "gemini-2.5-flash"
    assert response.response_id == "bzlXaa_EE_aHqtsPi_zw8Ao"
    assert response.usage == Usage(input_tokens=9, output_tokens=43, reasoning_tokens=34)
    assert response.usage.total_tokens == 52  # totalTokenCount: nothing counted twice


async def test_tool_call_round_trip() -> None:
    """A call with a thought signature, its result sent back with the signature, then the final text."""
    _, transport, (first, second) = await replay_cassette(
        "tool-call-roundtrip.pydantic-ai.yaml", stream=False
    )
    (call,) = first.tool_calls
    assert first.finish_reason == "tool_calls"
    assert first.raw_finish_reason == "STOP"
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris"}
    assert call.id == "call_78F7aafeKcDVz7IPh4DK-AM_0"
    assert call.provider_details is not None
    assert call.provider_details["thoughtSignature"].startswith(
        "CusBAXLI2nxjqlNFmkZhFvBKYO2Qbvj3E+"
    )
    sent_call = transport.requests[1]["json"]["contents"][1]["parts"][0]
    assert "id" not in sent_call["functionCall"]
    assert sent_call["thoughtSignature"] == call.provider_details["thoughtSignature"]
    assert transport.requests[1]["json"]["contents"][2] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "get_weather",
                    "response": {"output": "Sunny, 22C in Paris"},
                }
            }
        ],
    }
    assert second.text == "The weather in Paris is sunny with a temperature of 22C."
    assert second.usage == Usage(input_tokens=88, output_tokens=15)


async def test_parallel_tool_calls_five_turns() -> None:
    """Three parallel calls (one signed) get distinct ids, and their results go back in call order."""
    _, transport, responses = await replay_cassette(
        "parallel-tool-calls-5-turns.pydantic-ai.yaml", stream=False
    )
    first = responses[0]
    assert [c.name for c in first.tool_calls] == ["generate_topic"] * 3
    assert len({c.id for c in first.tool_calls}) == 3
    assert [c.arguments for c in first.tool_calls] == ["{}"] * 3
    assert [bool(c.provider_details) for c in first.tool_calls] == [True, False, False]
    sent = transport.requests[1]["json"]["contents"]
    assert [p["functionResponse"]["response"] for p in sent[2]["parts"]] == [
        {"output": "cars"},
        {"output": "penguins"},
        {"output": "cars"},
    ]
    assert transport.requests[0]["json"]["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    final = responses[-1]
    (answer,) = final.tool_calls
    assert answer.name == "final_result"
    assert len(json.loads(answer.arguments)["response"]) == 3
    assert final.usage.reasoning_tokens == 235
    assert final.usage.output_tokens == 65 + 235
    assert (
        len({c.id for r in responses for c in r.tool_calls}) == 7
    )  # unique across the conversation


async def test_no_args_tool_in_mode_any() -> None:
    """A parameterless tool in mode ANY is called with ``{}`` and its result round-trips."""
    _, transport, (first, second) = await replay_cassette(
        "tool-call-no-args-mode-any.pydantic-ai.yaml", stream=False
    )
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("bar", "{}")]
    assert first.tool_calls[0].provider_details is None
    assert first.tool_calls[0].id == "call_LFteaOOfMaPG1PIPi5qVEA_0"
    assert transport.requests[0]["json"]["tools"][0]["functionDeclarations"][0] == {
        "name": "bar",
        "description": "",
        "parameters": {"type": "OBJECT"},
    }
    assert json.loads(second.tool_calls[0].arguments) == {"bar": "hello"}


async def test_tool_config_mode_any() -> None:
    """``tool_choice="required"`` is mode ANY, and the forced call comes back with its signature."""
    _, transport, (response,) = await replay_cassette(
        "tool-config-mode-any.pydantic-ai.yaml", stream=False
    )
    assert transport.requests[0]["json"]["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert response.finish_reason == "tool_calls"
    assert json.loads(response.tool_calls[0].arguments) == {"city": "Paris"}


async def test_tool_config_mode_none() -> None:
    """``tool_choice="none"`` is mode NONE; the model answers in text."""
    _, transport, (response,) = await replay_cassette(
        "tool-config-mode-none.pydantic-ai.yaml", stream=False
    )
    assert transport.requests[0]["json"]["toolConfig"] == {
        "functionCallingConfig": {"mode": "NONE"}
    }
    assert response.tool_calls == ()
    assert response.text.startswith("Okay, let me check")
    assert response.usage.reasoning_tokens == 996


async def test_safety_block_is_an_empty_content_filter_answer() -> None:
    """``content: {}`` with ``finishReason: SAFETY`` is an empty answer, not a crash."""
    _, _, (response,) = await replay_cassette(
        "safety-block-finish-reason.pydantic-ai.yaml", stream=False
    )
    assert response.parts == ()
    assert response.finish_reason == "content_filter"
    assert response.raw_finish_reason == "SAFETY"
    assert response.usage == Usage(input_tokens=14)


async def test_cached_content_usage() -> None:
    """``cachedContentTokenCount`` is cache-read input, already inside the prompt count."""
    items = interactions("usage-cached-content.pydantic-ai.yaml")
    generate = [i for i in items if i.uri.endswith(":generateContent")]
    assert len(generate) == 2  # the cachedContents create / delete calls are not the adapter's job
    transport = ReplayTransport(generate)
    provider = provider_for(transport)
    for item in generate:
        recorded = item.request_body
        response = await provider.complete(
            request_from(recorded, user_messages(recorded["contents"], ()))
        )
        assert normalise(transport.requests[-1]["json"]) == normalise(recorded)
        assert transport.requests[-1]["json"]["cachedContent"] == recorded["cachedContent"]
        assert response.text == "Paris."
        assert response.usage.input_tokens == 3520
        assert response.usage.cache_read_tokens == 3512
        assert response.usage.output_tokens == 2 + response.usage.reasoning_tokens
        assert response.usage.reasoning_tokens in (42, 51)


async def test_stream_text() -> None:
    """An SSE text stream (CRLF events) yields text deltas and the same answer as ``complete``."""
    _, _, (response,) = await replay_cassette("stream-text.pydantic-ai.yaml", stream=True)
    assert response.text == "The capital of France is Paris.\n"
    assert response.finish_reason == "stop"
    assert response.usage == Usage(input_tokens=13, output_tokens=8)  # the last chunk's usage wins


async def test_stream_tool_calls_three_turns() -> None:
    """Streamed calls arrive whole; two tool turns then a text answer."""
    _, _, responses = await replay_cassette(
        "stream-tool-calls-3-turns.pydantic-ai.yaml", stream=True
    )
    assert [r.tool_calls[0].name for r in responses[:2]] == ["get_capital", "get_temperature"]
    assert [r.finish_reason for r in responses] == ["tool_calls", "tool_calls", "stop"]
    assert responses[2].text == "The temperature in Paris is 30°C.\n"


async def test_stream_tool_call_thought_signature_is_replayed() -> None:
    """Gemini 3's streamed thoughtSignature goes back, byte for byte, with the call on the next request."""
    _, transport, (first, second) = await replay_cassette(
        "stream-tool-call-thought-signature.pydantic-ai.yaml", stream=True
    )
    (call,) = first.tool_calls
    assert call.provider_details is not None
    signature = call.provider_details["thoughtSignature"]
    replayed = transport.requests[1]["json"]["contents"][1]["parts"][0]["thoughtSignature"]
    recorded = interactions("stream-tool-call-thought-signature.pydantic-ai.yaml")[1].request_body
    recorded_sig = recorded["contents"][1]["parts"][0]["thoughtSignature"]
    assert replayed == signature
    assert replayed != recorded_sig  # the recording re-encoded it URL-safe...
    assert _signature(replayed) == _signature(recorded_sig)  # ...but the bytes are the same
    assert first.usage == Usage(input_tokens=29, output_tokens=212, reasoning_tokens=202)
    assert second.text == "The capital of Mexico is Mexico City."


async def test_stream_json_array_with_thoughts() -> None:
    """llm-gemini's JSON-array stream: thought deltas, a signed call, and unsigned thoughts not sent back."""
    _, transport, responses = await replay_cassette(
        "stream-tool-calls-snake-case-request.llm-gemini.yaml", stream=True
    )
    first = responses[0]
    reasoning, call = first.parts
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text.startswith("**Generating Pelican Names**")
    assert reasoning.provider == "gemini"
    assert reasoning.signature is None
    assert isinstance(call, ToolCallPart)
    assert call.name == "pelican_name_generator"
    assert call.provider_details is not None
    sent_model_turn = transport.requests[1]["json"]["contents"][1]
    assert [set(p) for p in sent_model_turn["parts"]] == [{"functionCall", "thoughtSignature"}]
    assert first.usage == Usage(input_tokens=32, output_tokens=54, reasoning_tokens=42)
    assert responses[2].text == "How about Charles and Sammy?"


@pytest.mark.parametrize(
    ("sse_name", "cassette"),
    [
        (
            "stream-tool-call-thought-signature.pydantic-ai.response-0.sse",
            "stream-tool-call-thought-signature.pydantic-ai.yaml",
        ),
        (
            "stream-tool-calls-3-turns.pydantic-ai.response-0.sse",
            "stream-tool-calls-3-turns.pydantic-ai.yaml",
        ),
    ],
)
async def test_raw_sse_files(sse_name: str, cassette: str) -> None:
    """The raw CRLF SSE bodies stream to the same answer as ``complete`` on their content."""
    body = fixture(f"sse/{sse_name}").read_bytes()
    assert b"\r\n\r\n" in body
    transport = ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    provider = provider_for(transport)
    recorded = interactions(cassette)[0].request_body
    request = request_from(recorded, user_messages(recorded["contents"], ()))
    events = await collect(provider, request)
    response = assert_stream_matches_complete(provider, events, sse_chunks(body), request.tools)
    assert response.finish_reason == "tool_calls"
    assert isinstance(events[0], ToolCallDelta)


async def test_vercel_tool_call_body() -> None:
    """A recorded generateContent body with a signed call parses to one tool call."""
    data = json.loads(fixture("tool-call.vercel-ai.body.json").read_text())
    provider = provider_for(ReplayTransport.from_bodies([(200, data)]))
    response = await provider.complete(ModelRequest(messages=[Message.user("weather?")]))
    (call,) = response.tool_calls
    assert (call.name, json.loads(call.arguments)) == ("weather", {"location": "San Francisco"})
    assert call.id == "call_m36LaZGyCLz1xs0PtNSB-QU_0"
    assert response.usage == Usage(input_tokens=29, output_tokens=15 + 893, reasoning_tokens=893)


async def test_vercel_stream_tool_call() -> None:
    """Recorded stream chunks, framed as CRLF SSE: a whole call, then an empty text part with the finish."""
    chunks = jsonl("stream-tool-call.vercel-ai.stream-chunks.jsonl")
    transport = ReplayTransport.from_bodies(
        [(200, sse_crlf(chunks))], content_type="text/event-stream"
    )
    provider = provider_for(transport)
    events = await collect(provider, ModelRequest(messages=[Message.user("weather?")]))
    response = assert_stream_matches_complete(provider, events, chunks, ())
    assert [type(e).__name__ for e in events] == ["ToolCallDelta", "StreamDone"]
    assert response.tool_calls[0].provider_details is not None
    assert response.finish_reason == "tool_calls"


async def test_vertex_partial_function_call_arguments() -> None:
    """Vertex ``partialArgs`` assemble into two complete calls, the same as ``complete`` would give."""
    chunks = jsonl("stream-function-call-partial-args-vertex.vercel-ai.stream-chunks.jsonl")
    transport = ReplayTransport.from_bodies(
        [(200, sse_crlf(chunks))], content_type="text/event-stream"
    )
    provider = provider_for(transport, "gemini-3.1-pro-preview")
    weather = ToolContract(
        name="getWeather",
        input_schema={"type": "object", "properties": {"location": {"type": "string"}}},
    )
    request = ModelRequest(messages=[Message.user("weather?")], tools=[weather])
    events = await collect(provider, request)
    response = assert_stream_matches_complete(provider, events, chunks, [weather])
    assert [(c.name, json.loads(c.arguments)) for c in response.tool_calls] == [
        ("getWeather", {"location": "Boston"}),
        ("getWeather", {"location": "San Francisco"}),
    ]
    assert response.tool_calls[0].provider_details is not None
    assert response.tool_calls[1].provider_details is None
    assert response.usage == Usage(input_tokens=26, output_tokens=23 + 132, reasoning_tokens=132)
    assert response.finish_reason == "tool_calls"


async def test_error_404_model_not_found() -> None:
    """google.rpc NOT_FOUND is ``ModelNotFound`` with Google's message."""
    (item,) = interactions("error-404-model-not-found.pydantic-ai.yaml")
    provider = provider_for(ReplayTransport([item]), model_of(item.uri))
    with pytest.raises(ModelNotFound) as info:
        await provider.complete(ModelRequest(messages=[Message.user("hello")]))
    assert info.value.status_code == 404
    assert "gemini-3.6-flahs is not found" in info.value.message
    assert info.value.provider == "gemini"


async def test_error_429_retry_info() -> None:
    """RESOURCE_EXHAUSTED with ``RetryInfo.retryDelay: 34.4s`` is ``RateLimited(retry_after=34.4)``."""
    body = json.loads(
        fixture("error-429-resource-exhausted-retry-info.vercel-ai.body.json").read_text()
    )
    for streaming in (False, True):
        provider = provider_for(ReplayTransport.from_bodies([(429, body)]))
        request = ModelRequest(messages=[Message.user("hi")])
        with pytest.raises(RateLimited) as info:
            await send(provider, request, streaming=streaming)
        assert info.value.retry_after == pytest.approx(34.4)
        assert info.value.message == "You exceeded your current quota, please check your plan."


def test_every_gemini_fixture_is_replayed() -> None:
    """Each file under fixtures/gemini is used by a test here (a new recording needs a test)."""
    covered = {
        "error-404-model-not-found.pydantic-ai.yaml",
        "error-429-resource-exhausted-retry-info.vercel-ai.body.json",
        "parallel-tool-calls-5-turns.pydantic-ai.yaml",
        "plain-text.pydantic-ai.yaml",
        "safety-block-finish-reason.pydantic-ai.yaml",
        "stream-function-call-partial-args-vertex.vercel-ai.stream-chunks.jsonl",
        "stream-text.pydantic-ai.yaml",
        "stream-tool-call-thought-signature.pydantic-ai.yaml",
        "stream-tool-call.vercel-ai.stream-chunks.jsonl",
        "stream-tool-calls-3-turns.pydantic-ai.yaml",
        "stream-tool-calls-snake-case-request.llm-gemini.yaml",
        "tool-call-no-args-mode-any.pydantic-ai.yaml",
        "tool-call-roundtrip.pydantic-ai.yaml",
        "tool-call.vercel-ai.body.json",
        "tool-config-mode-any.pydantic-ai.yaml",
        "tool-config-mode-none.pydantic-ai.yaml",
        "usage-cached-content.pydantic-ai.yaml",
        "sse/stream-tool-call-thought-signature.pydantic-ai.response-0.sse",
        "sse/stream-tool-calls-3-turns.pydantic-ai.response-0.sse",
    }
    folder = fixtures_root() / KIND
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert present == covered


# ------------------------------------------------------------------------------------------ synthetic bad input
# Synthetic: no such responses were recorded; shapes from the google.rpc error model and the Gemini docs.


@pytest.mark.parametrize(
    ("status", "rpc", "expected"),
    [
        (400, "INVALID_ARGUMENT", InvalidRequest),
        (403, "PERMISSION_DENIED", AuthenticationFailed),
        (500, "INTERNAL", ProviderUnavailable),
        (503, "UNAVAILABLE", Overloaded),
    ],
)
async def test_synthetic_google_rpc_errors(
    status: int, rpc: str, expected: type[ProviderError]
) -> None:
    """Each google.rpc status maps to its typed error, streaming or not."""
    body = {"error": {"code": status, "message": f"synthetic {rpc}", "status": rpc}}
    for streaming in (False, True):
        provider = provider_for(ReplayTransport.from_bodies([(status, body)]))
        request = ModelRequest(messages=[Message.user("hi")])
        with pytest.raises(expected) as info:
            await send(provider, request, streaming=streaming)
        assert type(info.value) is expected
        assert info.value.message == f"synthetic {rpc}"


async def test_truncated_json_body() -> None:
    """A truncated JSON body is ``MalformedResponse``."""
    provider = provider_for(
        ReplayTransport.from_bodies([(200, b'{"candidates": [{"content": {"par')])
    )
    with pytest.raises(MalformedResponse):
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))


async def test_html_error_page() -> None:
    """An HTML page is typed by its status, with its title and no markup dump; on a 200 it is malformed."""
    html = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>x</body></html>"
    provider = provider_for(ReplayTransport.from_bodies([(502, html)], content_type="text/html"))
    with pytest.raises(ProviderUnavailable, match="HTML page") as info:
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    assert "502 Bad Gateway" in info.value.message
    provider = provider_for(ReplayTransport.from_bodies([(200, html)], content_type="text/html"))
    with pytest.raises(MalformedResponse):
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))


@pytest.mark.parametrize(
    "body", [{}, {"candidates": []}, [], {"usageMetadata": {"promptTokenCount": 3}}]
)
async def test_no_candidates(body: Any) -> None:
    """An answer with no candidates (and no block reason) is ``MalformedResponse``, not an ``IndexError``."""
    provider = provider_for(ReplayTransport.from_bodies([(200, body)]))
    with pytest.raises(MalformedResponse):
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))


async def test_prompt_blocked_without_candidates() -> None:
    """``promptFeedback.blockReason`` with no candidates is an empty content-filter answer."""
    body = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 7},
    }
    provider = provider_for(ReplayTransport.from_bodies([(200, body)]))
    response = await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    assert (response.parts, response.finish_reason) == ((), "content_filter")
    assert response.raw_finish_reason == "PROHIBITED_CONTENT"
    assert response.usage.input_tokens == 7


@pytest.mark.parametrize(
    ("raw", "finish"),
    [
        ("MAX_TOKENS", "length"),
        ("RECITATION", "content_filter"),
        ("SPII", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "other"),
        ("LANGUAGE", "other"),
    ],
)
def test_finish_reasons(raw: str, finish: str) -> None:
    """Gemini finish reasons map to the neutral ones."""
    provider = GeminiProvider("gemini-2.5-flash", api_key=API_KEY)
    body = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": raw}]}
    response = provider.parse_response(body)
    assert (response.finish_reason, response.raw_finish_reason) == (finish, raw)


async def test_sse_cut_mid_event() -> None:
    """A stream cut inside an event raises ``MalformedResponse`` after the deltas already received."""
    body = b'data: {"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}\r\n\r\ndata: {"candidates": [{"cont'
    provider = provider_for(
        ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    )
    seen: list[StreamEvent] = []

    async def consume() -> None:
        async for event in provider.stream(ModelRequest(messages=[Message.user("hi")])):
            seen.append(event)

    with pytest.raises(MalformedResponse, match="stream ended"):
        await consume()
    assert seen == [TextDelta("Hel")]


async def test_sse_cut_between_events() -> None:
    """A stream that ends cleanly but without a finish reason is also ``MalformedResponse``."""
    body = b'data: {"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}\r\n\r\n'
    provider = provider_for(
        ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    )
    with pytest.raises(MalformedResponse, match="stream ended"):
        await collect(provider, ModelRequest(messages=[Message.user("hi")]))


async def test_json_array_stream_cut() -> None:
    """A JSON-array stream cut before its closing bracket is ``MalformedResponse``."""
    body = b'[{"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]},\n{"cand'
    provider = provider_for(ReplayTransport.from_bodies([(200, body)]))
    with pytest.raises(MalformedResponse, match="stream ended"):
        await collect(provider, ModelRequest(messages=[Message.user("hi")]))


async def test_error_inside_the_stream() -> None:
    """An error object sent as a stream event (HTTP 200) raises its typed error."""
    error = {
        "error": {
            "code": 429,
            "message": "slow down",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}],
        }
    }
    body = sse_crlf([{"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}, error])
    provider = provider_for(
        ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    )
    with pytest.raises(RateLimited) as info:
        await collect(provider, ModelRequest(messages=[Message.user("hi")]))
    assert info.value.retry_after == 2.0
    unavailable = sse_crlf([{"error": {"message": "busy", "status": "UNAVAILABLE"}}])
    provider = provider_for(
        ReplayTransport.from_bodies([(200, unavailable)], content_type="text/event-stream")
    )
    with pytest.raises(Overloaded):
        await collect(provider, ModelRequest(messages=[Message.user("hi")]))


async def test_unreadable_stream_event() -> None:
    """A complete SSE event that is not JSON is ``MalformedResponse``."""
    body = b"data: <html>oops</html>\r\n\r\n"
    provider = provider_for(
        ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    )
    with pytest.raises(MalformedResponse, match="unreadable"):
        await collect(provider, ModelRequest(messages=[Message.user("hi")]))


async def test_read_timeout() -> None:
    """An httpx read timeout becomes ``ProviderTimeout``, for ``complete`` and ``stream``."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    provider = GeminiProvider(
        "gemini-2.5-flash",
        api_key=API_KEY,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(ProviderTimeout):
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    with pytest.raises(ProviderTimeout):
        await collect(provider, ModelRequest(messages=[Message.user("hi")]))


# ------------------------------------------------------------------------------------------ secrets


async def test_api_key_never_leaks() -> None:
    """The key travels only in the x-goog-api-key header: never in the repr, URL, errors or dumps."""
    body = json.loads(
        fixture("error-429-resource-exhausted-retry-info.vercel-ai.body.json").read_text()
    )
    ok = {"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]}
    transport = ReplayTransport.from_bodies([(200, ok), (429, body)])
    provider = provider_for(transport)
    response = await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    with pytest.raises(RateLimited) as info:
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    error = info.value
    assert API_KEY not in repr(provider)
    assert API_KEY not in response.model_dump_json()
    assert API_KEY not in repr(response)
    assert API_KEY not in str(error)
    assert API_KEY not in repr(error)
    assert API_KEY.encode() not in pickle.dumps(error)
    for sent in transport.requests:
        assert API_KEY not in sent["url"]
        assert "key=" not in sent["url"]
        assert API_KEY not in json.dumps(sent["json"])
        assert sent["headers"]["x-goog-api-key"] == API_KEY
        assert "authorization" not in sent["headers"]


def test_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """GEMINI_API_KEY wins over GOOGLE_API_KEY; with neither, a ``UsageError`` names both."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(UsageError, match=r"GEMINI_API_KEY.*GOOGLE_API_KEY"):
        GeminiProvider("gemini-2.5-flash")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    assert GeminiProvider("gemini-2.5-flash").auth_headers() == {"x-goog-api-key": "google-key"}
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    assert GeminiProvider("gemini-2.5-flash").auth_headers() == {"x-goog-api-key": "gemini-key"}


def test_infer_provider() -> None:
    """``gemini:`` and ``google:`` prefixes build a ``GeminiProvider``."""
    for spec in ("gemini:gemini-2.5-flash", "google:gemini-2.5-flash"):
        provider = infer_provider(spec, api_key=API_KEY, retry=None)
        assert isinstance(provider, GeminiProvider)
        assert provider.model == "gemini-2.5-flash"
        assert provider.system == "gemini"


def test_profiles() -> None:
    """Profiles: gemini dialect, top-level system prompt, all tool choices, reasoning for 2.5 and 3 only."""
    for model, reasoning in [
        ("gemini-2.5-flash", True),
        ("gemini-2.5-pro", True),
        ("gemini-3-pro-preview", True),
        ("models/gemini-3-flash-preview", True),
        ("gemini-2.0-flash", False),
        ("gemini-1.5-flash", False),
    ]:
        profile = gemini_profile(model)
        assert profile.reasoning is reasoning, model
        assert profile.dialect == "gemini"
        assert profile.system_role == "top-level"
        assert profile.tool_choice == frozenset({"auto", "none", "required", "named"})
        assert profile.parallel_tool_calls is False
    assert (
        GeminiProvider("models/gemini-2.5-flash", api_key=API_KEY).model_path
        == "/models/gemini-2.5-flash"
    )


# ------------------------------------------------------------------------------------------ request building

WEATHER = ToolContract(
    name="get_weather",
    description="Weather for a city.",
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
TIME = ToolContract(
    name="get.time", description="Now.", input_schema={"type": "object", "properties": {}}
)


def body_of(request: ModelRequest, model: str = "gemini-2.5-flash") -> dict[str, Any]:
    body, _ = GeminiProvider(model, api_key=API_KEY).build_body(request)
    return body


def test_tool_results_pair_with_calls_by_order_and_name() -> None:
    """Results are named after their call and sent in call order; non-objects wrap as output, errors as error."""
    calls = Message(
        role="assistant",
        parts=(
            ToolCallPart(id="a", name="get_weather", arguments='{"city":"Oslo"}'),
            ToolCallPart(id="b", name="get.time", arguments="{}"),
            ToolCallPart(id="c", name="get_weather", arguments='{"city":"Rome"}'),
        ),
    )
    results = Message(
        role="tool",
        parts=(
            ToolResultPart(tool_call_id="c", name="get_weather", content='{"temp": 20}'),
            ToolResultPart(tool_call_id="b", name="get.time", content="boom", is_error=True),
            ToolResultPart(tool_call_id="a", name="get_weather", content="sunny"),
        ),
    )
    body = body_of(
        ModelRequest(
            messages=[Message.user("go"), calls, results, Message.user("thanks")],
            tools=[WEATHER, TIME],
        )
    )
    model_turn, result_turn = body["contents"][1], body["contents"][2]
    assert [p["functionCall"]["name"] for p in model_turn["parts"]] == [
        "get_weather",
        "get.time",
        "get_weather",
    ]
    assert result_turn == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}},
            {"functionResponse": {"name": "get.time", "response": {"error": "boom"}}},
            {"functionResponse": {"name": "get_weather", "response": {"temp": 20}}},
            {"text": "thanks"},  # the next user message merges into the same user content
        ],
    }
    assert len(body["contents"]) == 3


def test_reasoning_is_carried_back_only_from_gemini_with_a_signature() -> None:
    """Signed Gemini thoughts go back; unsigned thoughts and other providers' reasoning do not."""
    history = Message(
        role="assistant",
        parts=(
            ReasoningPart(text="anthropic thinking", signature="sig-a", provider="anthropic"),
            ReasoningPart(text="summary", provider="gemini"),
            ReasoningPart(text="signed thought", signature="c2ln", provider="gemini"),
            TextPart(text="Answer."),
            ReasoningPart(signature="dGV4dA==", provider="gemini"),
            ToolCallPart(
                id="x",
                name="get_weather",
                arguments='{"city":"Oslo"}',
                provider_details={"other": "ignored"},
            ),
        ),
    )
    body = body_of(ModelRequest(messages=[Message.user("q"), history], tools=[WEATHER]))
    assert body["contents"][1]["parts"] == [
        {"text": "signed thought", "thought": True, "thoughtSignature": "c2ln"},
        {"text": "Answer.", "thoughtSignature": "dGV4dA=="},
        {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
    ]


def test_text_signature_round_trip() -> None:
    """A signature on a text part comes back as signature-only reasoning and is sent back on that text."""
    provider = GeminiProvider("gemini-3-pro-preview", api_key=API_KEY)
    response = provider.parse_response(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"text": "Deep", "thought": True},
                            {"text": " thought", "thought": True, "thoughtSignature": "AAAA"},
                            {"text": "Answer", "thoughtSignature": "BBBB"},
                        ]
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    assert [
        (type(p).__name__, getattr(p, "text", None), getattr(p, "signature", None))
        for p in response.parts
    ] == [
        ("ReasoningPart", "Deep thought", "AAAA"),
        ("TextPart", "Answer", None),
        ("ReasoningPart", "", "BBBB"),
    ]
    body, _ = provider.build_body(ModelRequest(messages=[Message.user("q"), response.message]))
    assert body["contents"][1]["parts"] == [
        {"text": "Deep thought", "thought": True, "thoughtSignature": "AAAA"},
        {"text": "Answer", "thoughtSignature": "BBBB"},
    ]


def test_tool_choice_and_generation_config() -> None:
    """Named choice is ANY with one allowed name; settings, JSON output and extra_body land in the body."""
    request = ModelRequest(
        messages=[Message.user("hi")],
        tools=[WEATHER, TIME],
        tool_choice=NamedToolChoice("get.time"),
        output=OutputFormat(name="answer", schema={"type": "object"}, description="The answer."),
        settings=ModelSettings(
            temperature=0.2,
            top_p=0.9,
            max_tokens=64,
            stop=("END",),
            seed=7,
            parallel_tool_calls=False,
            extra_body={
                "generationConfig": {"thinkingConfig": {"thinkingBudget": 0}},
                "cachedContent": "c/1",
            },
        ),
    )
    body = body_of(request)
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get.time"]}
    }
    assert body["generationConfig"] == {
        "temperature": 0.2,
        "topP": 0.9,
        "maxOutputTokens": 64,
        "stopSequences": ["END"],
        "seed": 7,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "description": "The answer."},
        "thinkingConfig": {"thinkingBudget": 0},
    }
    assert body["cachedContent"] == "c/1"
    assert [d["name"] for d in body["tools"][0]["functionDeclarations"]] == [
        "get_weather",
        "get.time",
    ]
    assert "parallel" not in json.dumps(body)


def test_tool_choice_errors() -> None:
    """Asking for a tool without tools, or naming an unknown tool, is a ``UsageError`` with a hint."""
    with pytest.raises(UsageError, match="needs tools"):
        body_of(ModelRequest(messages=[Message.user("hi")], tool_choice="required"))
    with pytest.raises(UsageError, match="did you mean 'get_weather'"):
        body_of(
            ModelRequest(
                messages=[Message.user("hi")],
                tools=[WEATHER],
                tool_choice=NamedToolChoice("get_wether"),
            )
        )
    assert "toolConfig" not in body_of(
        ModelRequest(messages=[Message.user("hi")], tool_choice="none")
    )


def test_calls_with_canonical_names_come_back() -> None:
    """Calls come back under canonical names with decoded arguments; broken args stay raw for repair."""
    provider = GeminiProvider("gemini-2.5-flash", api_key=API_KEY)
    _, tools = provider.build_body(
        ModelRequest(messages=[Message.user("q")], tools=[WEATHER, TIME])
    )
    response = provider.parse_response(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"functionCall": {"name": "get.time"}},
                            {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
                            {"functionCall": {"name": "unknown", "args": "not an object"}},
                        ]
                    },
                    "finishReason": "MAX_TOKENS",
                }
            ]
        },
        tools,
    )
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_0", "get.time", "{}"),
        ("call_1", "get_weather", '{"city":"Oslo"}'),
        ("call_2", "unknown", '"not an object"'),
    ]
    assert response.finish_reason == "length"


def test_partial_arguments_with_nested_paths() -> None:
    """Synthetic Vertex partial args: nested paths, list indexes, numbers and continued strings assemble."""
    provider = GeminiProvider("gemini-3.1-pro-preview", api_key=API_KEY)
    pieces = [
        {"functionCall": {"name": "book", "willContinue": True}},
        {
            "functionCall": {
                "willContinue": True,
                "partialArgs": [
                    {"jsonPath": "$.trip.city", "stringValue": "New ", "willContinue": True}
                ],
            }
        },
        {
            "functionCall": {
                "willContinue": True,
                "partialArgs": [
                    {"jsonPath": "$.trip.city", "stringValue": "York"},
                    {"jsonPath": "$.trip.nights", "numberValue": 3},
                    {"jsonPath": "$.guests[1]", "stringValue": "Bo"},
                    {"jsonPath": "$['flag']", "boolValue": True},
                ],
            }
        },
        {"functionCall": {}},
    ]
    response = provider.parse_response(
        {"candidates": [{"content": {"parts": pieces}, "finishReason": "STOP"}]}
    )
    (call,) = response.tool_calls
    assert json.loads(call.arguments) == {
        "trip": {"city": "New York", "nights": 3},
        "guests": [None, "Bo"],
        "flag": True,
    }
    bad = {
        "functionCall": {"name": "x", "willContinue": True, "partialArgs": [{"jsonPath": "trip"}]}
    }
    with pytest.raises(MalformedResponse, match="jsonPath"):
        provider.parse_response(
            {"candidates": [{"content": {"parts": [bad]}, "finishReason": "STOP"}]}
        )
