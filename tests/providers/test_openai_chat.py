"""OpenAI Chat Completions adapter, tested on the real recorded traffic in tests/fixtures/openai-chat.

Request bodies are compared with the recorded ones on the fields that matter (messages, tool names and properties,
tool_choice, stream flags). Intentional differences: agentkit compiles tools with its ``openai-auto`` dialect
(strict where the schema allows), so schemas may gain ``additionalProperties: false`` and ``strict`` (only names
and property names are compared); system prompts of reasoning models go out as ``developer`` messages (the o1-mini
recording shows ``system`` being rejected); replayed argument JSON is compared parsed, not byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentkit.exceptions import (
    InvalidRequest,
    MalformedResponse,
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UsageError,
)
from agentkit.messages import Message, ReasoningPart, RefusalPart, TextPart, ToolCallPart
from agentkit.providers import (
    ModelProfile,
    ModelRequest,
    ModelSettings,
    NamedToolChoice,
    OutputFormat,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    infer_provider,
)
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.testing._replay import ReplayTransport, sse_from_chunks


def _load_helpers() -> Any:
    name = "_agentkit_openai_test_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("_openai_helpers.py")
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


h = _load_helpers()
KIND = "openai-chat"
pytestmark = pytest.mark.anyio


def replay(
    name: str, model: str | None = None
) -> tuple[OpenAIChatProvider, ReplayTransport, list[Any]]:
    items = h.interactions(KIND, name)
    transport = ReplayTransport(items)
    first = items[0].request_body or {}
    provider = OpenAIChatProvider(
        model or first.get("model", "gpt-4.1"),
        api_key=h.API_KEY,
        http_client=h.client_for(transport),
    )
    return provider, transport, items


async def run_turn(
    provider: OpenAIChatProvider,
    transport: ReplayTransport,
    recorded: dict[str, Any],
    **settings: Any,
) -> Any:
    """Rebuild the recorded conversation, send it, and check the body agentkit sent is equivalent."""
    request = h.request_from_body(recorded, **settings)
    if recorded.get("stream"):
        result: Any = await h.collect(provider, request)
    else:
        result = await provider.complete(request)
    sent = transport.requests[-1]["json"]
    assert h.normalise(sent) == h.normalise(recorded)
    assert transport.requests[-1]["url"].endswith("/chat/completions")
    return result


# ------------------------------------------------------------------------------------------ recorded traffic


async def test_plain_text_reply() -> None:
    """A plain reply becomes one text part with normalised usage, model and response id."""
    provider, transport, items = replay("plain-text.pydantic-ai.yaml")
    response = await run_turn(provider, transport, items[0].request_body)
    assert response.text == "The capital of France is Paris."
    assert response.finish_reason == "stop"
    assert response.model == "gpt-4o-2024-08-06"
    assert response.response_id == "chatcmpl-Bu8vBIrB8kIWKRyTcpEEPncjhHtMU"
    assert response.usage.input_tokens == 14
    assert response.usage.output_tokens == 7
    assert response.usage.total_tokens == 21
    assert response.provider == "openai"


async def test_single_tool_call_round_trip() -> None:
    """A tool call comes back with its id and JSON arguments; the result goes back as a tool message."""
    provider, transport, items = replay("tool-call-roundtrip.pydantic-ai.yaml")
    first = await run_turn(provider, transport, items[0].request_body)
    (call,) = first.tool_calls
    assert (call.id, call.name, json.loads(call.arguments)) == (
        "call_bhZkmIKKItNGJ41whHUHB7p9",
        "get_temperature",
        {"city": "Tokyo"},
    )
    assert first.finish_reason == "tool_calls"
    assert first.text == ""
    second = await run_turn(provider, transport, items[1].request_body)
    assert second.text == "The temperature in Tokyo is currently 20.0 degrees Celsius."
    sent = transport.requests[1]["json"]["messages"]
    assert sent[2]["content"] is None
    assert sent[2]["tool_calls"][0]["type"] == "function"
    assert sent[3] == {
        "role": "tool",
        "tool_call_id": "call_bhZkmIKKItNGJ41whHUHB7p9",
        "content": "20.0",
    }


async def test_round_trip_from_the_response_message() -> None:
    """Appending ``response.message`` and a tool result rebuilds exactly the recorded second request."""
    provider, transport, items = replay("tool-call-roundtrip.pydantic-ai.yaml")
    request = h.request_from_body(items[0].request_body)
    first = await provider.complete(request)
    from agentkit.messages import ToolResultPart

    result = Message(
        role="tool",
        parts=(
            ToolResultPart(
                tool_call_id=first.tool_calls[0].id, name="get_temperature", content="20.0"
            ),
        ),
    )
    follow_up = ModelRequest(
        messages=[*request.messages, first.message, result], tools=request.tools
    )
    await provider.complete(follow_up)
    assert h.normalise(transport.requests[1]["json"]) == h.normalise(items[1].request_body)


async def test_parallel_tool_calls_round_trip() -> None:
    """Two calls in one turn keep their order and ids; both results go back."""
    provider, transport, items = replay("parallel-tool-calls-roundtrip.pydantic-ai.yaml")
    first = await run_turn(provider, transport, items[0].request_body)
    assert [(c.id, c.name, json.loads(c.arguments)) for c in first.tool_calls] == [
        ("call_jYdIdRZHxZTn5bWCq5jlMrJi", "delete_file", {"path": ".env"}),
        ("call_TmlTVWQbzrXCZ4jNsCVNbNqu", "create_file", {"path": "test.txt"}),
    ]
    second = await run_turn(provider, transport, items[1].request_body)
    assert "test.txt" in second.text


async def test_three_turn_tool_chain() -> None:
    """Two sequential calls and a final answer replay turn by turn (llm's non-strict tools)."""
    provider, transport, items = replay("tool-call-chain-3-turns.llm.yaml")
    r0 = await run_turn(provider, transport, items[0].request_body)
    r1 = await run_turn(provider, transport, items[1].request_body)
    r2 = await run_turn(provider, transport, items[2].request_body)
    assert [c.name for c in r0.tool_calls] == ["lookup_population"]
    assert json.loads(r1.tool_calls[0].arguments) == {"population": 123124}
    assert r2.text == "YES"


async def test_reasoning_tokens_are_part_of_output() -> None:
    """``completion_tokens_details.reasoning_tokens`` is kept as reasoning inside output tokens."""
    provider, transport, items = replay("tool-call-roundtrip-reasoning-tokens.pydantic-ai.yaml")
    assert provider.profile.system_role == "developer"
    await run_turn(provider, transport, items[0].request_body)
    second = await run_turn(provider, transport, items[1].request_body)
    assert second.usage.output_tokens == 171
    assert second.usage.reasoning_tokens == 128
    assert second.usage.input_tokens == 167
    assert second.usage.total_tokens == 338


@pytest.mark.parametrize(
    ("name", "choice"),
    [
        ("tool-choice-none.pydantic-ai.yaml", "none"),
        ("tool-choice-required.pydantic-ai.yaml", "required"),
    ],
)
async def test_tool_choice_variants(name: str, choice: str) -> None:
    """``none`` and ``required`` go out as recorded and the answers parse."""
    provider, transport, items = replay(name)
    response = await run_turn(provider, transport, items[0].request_body)
    assert transport.requests[0]["json"]["tool_choice"] == choice
    assert bool(response.tool_calls) is (choice == "required")


async def test_usage_with_cache_write_then_read() -> None:
    """Cache writes and reads are reported; cached tokens stay inside input tokens."""
    provider, transport, items = replay("usage-cached-tokens.pydantic-ai.yaml")
    first = await run_turn(provider, transport, items[0].request_body)
    second = await run_turn(provider, transport, items[1].request_body)
    assert (
        first.usage.input_tokens,
        first.usage.cache_write_tokens,
        first.usage.cache_read_tokens,
    ) == (
        4020,
        4012,
        0,
    )
    assert (second.usage.input_tokens, second.usage.cache_read_tokens) == (4020, 4012)
    assert second.usage.total_tokens == 4024


async def test_stream_parallel_tool_calls_round_trip() -> None:
    """Interleaved streamed calls assemble by index; deltas concatenate to the final arguments."""
    provider, transport, items = replay("stream-parallel-tool-calls-roundtrip.pydantic-ai.yaml")
    events = await run_turn(provider, transport, items[0].request_body)
    response = h.done(events)
    h.assert_deltas_match(events)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_q2UyBRP7eXNTzAoR8lEhjc9Z", "get_country", "{}"),
        ("call_b51ijcpFkDiTQG1bQzsrmtW5", "get_product_name", "{}"),
    ]
    assert response.usage.input_tokens == 364
    assert response.usage.output_tokens == 40
    assert response.finish_reason == "tool_calls"
    for item in items[1:]:
        events = await run_turn(provider, transport, item.request_body)
        h.assert_deltas_match(events)
    assert json.loads(h.done(events).tool_calls[0].arguments)


async def test_stream_tool_call_round_trip_with_usage_chunk() -> None:
    """The usage-only final chunk (``choices: []``) is read; the follow-up text streams as text deltas."""
    provider, transport, items = replay("stream-tool-call-roundtrip.llm.yaml")
    events = await run_turn(provider, transport, items[0].request_body)
    h.assert_deltas_match(events)
    response = h.done(events)
    assert json.loads(response.tool_calls[0].arguments) == {"a": 1231, "b": 2331}
    assert response.usage.total_tokens > 0
    events = await run_turn(provider, transport, items[1].request_body)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == h.done(events).text
    assert "2869461" in text.replace(",", "")


@pytest.mark.parametrize(
    "name",
    [
        "stream-parallel-tool-calls-roundtrip.pydantic-ai.yaml",
        "stream-tool-call-roundtrip.llm.yaml",
    ],
)
async def test_stream_done_equals_complete(name: str) -> None:
    """``StreamDone.response`` equals ``complete()`` on a body assembled from the same chunks."""
    for item in h.interactions(KIND, name):
        transport = ReplayTransport([item])
        provider = OpenAIChatProvider(
            "gpt-4o", api_key=h.API_KEY, http_client=h.client_for(transport)
        )
        request = h.request_from_body(item.request_body)
        streamed = h.done(await h.collect(provider, request))
        body = assemble(item.body)
        complete_transport = ReplayTransport.from_bodies([(200, body)])
        provider = OpenAIChatProvider(
            "gpt-4o", api_key=h.API_KEY, http_client=h.client_for(complete_transport)
        )
        completed = await provider.complete(request)
        assert h.comparable(streamed) == h.comparable(completed)


def assemble(sse: bytes) -> dict[str, Any]:
    """A plain index-based assembler (good enough for OpenAI's own well-formed streams)."""
    content, calls, finish, usage, meta = [], {}, None, None, {}
    for line in sse.decode().splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        meta = {"id": chunk["id"], "model": chunk["model"]}
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            delta = choice["delta"]
            content.append(delta.get("content") or "")
            for tc in delta.get("tool_calls") or []:
                call = calls.setdefault(
                    tc["index"], {"id": None, "function": {"name": None, "arguments": ""}}
                )
                call["id"] = tc.get("id") or call["id"]
                fn = tc.get("function") or {}
                call["function"]["name"] = fn.get("name") or call["function"]["name"]
                call["function"]["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content) or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return {**meta, "choices": [{"message": message, "finish_reason": finish}], "usage": usage}


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        (
            "error-400-unsupported-option.pydantic-ai.yaml",
            InvalidRequest,
            "Web search options not supported",
        ),
        (
            "error-400-unsupported-system-role.pydantic-ai.yaml",
            InvalidRequest,
            "does not support 'system'",
        ),
        (
            "error-404-model-not-found.pydantic-ai.yaml",
            ModelNotFound,
            "`gpt-5.2-proo` does not exist",
        ),
    ],
)
async def test_recorded_errors(name: str, error: type[ProviderError], message: str) -> None:
    """Every recorded error status becomes the right typed error with the provider's own message."""
    provider, transport, items = replay(name)
    recorded = items[0].request_body
    extra = {k: v for k, v in recorded.items() if k == "web_search_options"}
    request = h.request_from_body(recorded, extra_body=extra)
    with pytest.raises(error) as info:
        await provider.complete(request)
    assert message in info.value.message
    assert info.value.status_code == items[0].status
    assert info.value.provider == "openai"
    assert info.value.model == recorded["model"]
    assert h.API_KEY not in str(info.value)
    assert h.API_KEY not in repr(info.value)
    sent = transport.requests[0]["json"]
    if "web_search_options" in recorded:
        assert sent["web_search_options"] == recorded["web_search_options"]
    if recorded["model"].startswith("o1"):
        # Intentional difference: agentkit sends the developer role that reasoning models accept.
        assert sent["messages"][0]["role"] == "developer"
    else:
        assert h.normalise(sent) == h.normalise(recorded)


async def test_unsupported_parameter_body() -> None:
    """The vercel body (a 400 about max_tokens) is an InvalidRequest; agentkit itself sends max_completion_tokens."""
    body = json.loads(
        h.fixture(KIND, "error-400-unsupported-parameter.vercel-ai.body.json").read_text()
    )
    transport = ReplayTransport.from_bodies([(400, body)])
    provider = OpenAIChatProvider("o3", api_key=h.API_KEY, http_client=h.client_for(transport))
    with pytest.raises(InvalidRequest, match="max_completion_tokens"):
        await provider.complete(
            ModelRequest(messages=[Message.user("hi")], settings=ModelSettings(max_tokens=5))
        )
    sent = transport.requests[0]["json"]
    assert sent["max_completion_tokens"] == 5
    assert "max_tokens" not in sent


# ------------------------------------------------------------------------------------------ request building


def body_of(
    provider: OpenAIChatProvider, request: ModelRequest, *, stream: bool = False
) -> dict[str, Any]:
    return provider.build_body(request, stream=stream)[0]


def test_settings_map_to_fields() -> None:
    """Settings go to their Chat-Completions fields; extra_body is merged last."""
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY)
    contract = h.contract_of(
        {"function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}
    )
    settings = ModelSettings(
        temperature=0.2,
        top_p=0.9,
        max_tokens=64,
        stop=("END",),
        seed=7,
        parallel_tool_calls=False,
        extra_body={"temperature": 0.5, "user": "u1"},
    )
    body = body_of(
        provider, ModelRequest(messages=[Message.user("x")], tools=[contract], settings=settings)
    )
    assert body["temperature"] == 0.5
    assert body["user"] == "u1"
    assert (body["top_p"], body["max_completion_tokens"], body["stop"], body["seed"]) == (
        0.9,
        64,
        ["END"],
        7,
    )
    assert body["parallel_tool_calls"] is False
    no_tools = body_of(provider, ModelRequest(messages=[Message.user("x")], settings=settings))
    assert "parallel_tool_calls" not in no_tools
    assert "tool_choice" not in no_tools


def test_reasoning_models_drop_sampling_and_use_developer_role() -> None:
    """o-series and gpt-5 models get developer messages and no temperature/top_p."""
    for model in ("o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5.2"):
        provider = OpenAIChatProvider(model, api_key=h.API_KEY)
        body = body_of(
            provider,
            ModelRequest(
                messages=[Message.system("s"), Message.user("x")],
                settings=ModelSettings(temperature=0.3, top_p=0.5),
            ),
        )
        assert body["messages"][0]["role"] == "developer", model
        assert "temperature" not in body
        assert "top_p" not in body
    chat = OpenAIChatProvider("gpt-5-chat-latest", api_key=h.API_KEY)
    assert chat.profile.system_role == "system"
    assert not chat.profile.reasoning


def test_stream_flags() -> None:
    """Streams ask for usage when the profile allows it."""
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY)
    body = body_of(provider, ModelRequest(messages=[Message.user("x")]), stream=True)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    quiet = OpenAIChatProvider(
        "gpt-4.1", api_key=h.API_KEY, profile=ModelProfile(stream_usage=False)
    )
    assert "stream_options" not in body_of(
        quiet, ModelRequest(messages=[Message.user("x")]), stream=True
    )


def test_tool_choice_named_and_errors() -> None:
    """A named choice uses the wire name; unknown names and impossible choices raise UsageError."""
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY)
    contract = h.contract_of(
        {"function": {"name": "math.factorial", "parameters": {"type": "object", "properties": {}}}}
    )
    request = ModelRequest(
        messages=[Message.user("x")],
        tools=[contract],
        tool_choice=NamedToolChoice("math.factorial"),
    )
    body = body_of(provider, request)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "math_factorial"}}
    assert body["tools"][0]["function"]["name"] == "math_factorial"
    with pytest.raises(UsageError, match=r"did you mean 'math\.factorial'"):
        body_of(
            provider,
            ModelRequest(
                messages=[Message.user("x")],
                tools=[contract],
                tool_choice=NamedToolChoice("math.factorail"),
            ),
        )
    with pytest.raises(UsageError, match="needs tools"):
        body_of(provider, ModelRequest(messages=[Message.user("x")], tool_choice="required"))
    limited = OpenAIChatProvider(
        "gpt-4.1",
        api_key=h.API_KEY,
        profile=ModelProfile(tool_choice=frozenset({"auto"})),
    )
    with pytest.raises(UsageError, match="does not support tool_choice='required'"):
        body_of(
            limited,
            ModelRequest(messages=[Message.user("x")], tools=[contract], tool_choice="required"),
        )
    with pytest.raises(UsageError, match="cannot be forced"):
        body_of(limited, request)


async def test_tool_calls_map_back_by_wire_name() -> None:
    """A call to a mangled wire name comes back under the canonical name with canonical arguments."""
    contract = h.contract_of(
        {
            "function": {
                "name": "math.factorial",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "n": {"type": "integer"},
                        "exact": {"type": "boolean", "default": True},
                    },
                    "required": ["n"],
                },
            }
        }
    )
    answer = {
        "choices": [
            {
                "message": {
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {
                                "name": "math_factorial",
                                "arguments": '{"n": 5, "exact": null}',
                            },
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    transport = ReplayTransport.from_bodies([(200, answer)])
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY, http_client=h.client_for(transport))
    response = await provider.complete(
        ModelRequest(messages=[Message.user("5!")], tools=[contract])
    )
    (call,) = response.tool_calls
    assert call.name == "math.factorial"
    assert json.loads(call.arguments) == {"n": 5, "exact": True}


def test_history_conversion() -> None:
    """Foreign reasoning is dropped, refusals go back as assistant text, JSON-schema output is requested."""
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY)
    messages = [
        Message.user("a"),
        Message(
            role="assistant",
            parts=(
                ReasoningPart(text="hidden", signature="sig", provider="anthropic"),
                RefusalPart(text="I can't."),
            ),
        ),
        Message.user("b"),
        Message(
            role="assistant", parts=(ReasoningPart(text="only thinking", provider="anthropic"),)
        ),
    ]
    body = body_of(
        provider,
        ModelRequest(
            messages=messages,
            output=OutputFormat(name="Out", schema={"type": "object"}, description="d"),
        ),
    )
    assert body["messages"][1] == {"role": "assistant", "content": "I can't."}
    assert body["messages"][3] == {"role": "assistant", "content": ""}
    assert "hidden" not in json.dumps(body)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "Out",
            "schema": {"type": "object"},
            "strict": True,
            "description": "d",
        },
    }


# ------------------------------------------------------------------------------------------ bad input (synthetic)


async def complete_with(status: int, body: Any, **kwargs: Any) -> Any:
    transport = ReplayTransport.from_bodies([(status, body)], **kwargs)
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY, http_client=h.client_for(transport))
    return await provider.complete(ModelRequest(messages=[Message.user("x")]))


async def test_truncated_json_body() -> None:
    """A body cut mid-JSON is a MalformedResponse (synthetic)."""
    with pytest.raises(MalformedResponse, match="not JSON"):
        await complete_with(200, b'{"choices": [{"message": {"content": "Par')


async def test_html_error_page() -> None:
    """An HTML 502 page becomes ProviderUnavailable naming the page; an HTML 200 is malformed (synthetic)."""
    page = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    )
    with pytest.raises(ProviderUnavailable, match=r"HTML page.*502 Bad Gateway"):
        await complete_with(502, page, content_type="text/html")
    with pytest.raises(MalformedResponse):
        await complete_with(200, page, content_type="text/html")


@pytest.mark.parametrize("body", [{"choices": []}, {"id": "x"}, [1, 2], {"choices": [None]}])
async def test_empty_or_missing_choices(body: Any) -> None:
    """No usable choice is a MalformedResponse, never a KeyError (synthetic)."""
    with pytest.raises(MalformedResponse):
        await complete_with(200, body)


async def test_error_object_in_a_200_body() -> None:
    """An error object inside a 200 answer is raised as its typed error (synthetic, OpenRouter shape)."""
    with pytest.raises(RateLimited, match="slow down"):
        await complete_with(200, {"error": {"code": 429, "message": "slow down"}})
    with pytest.raises(ProviderUnavailable):
        await complete_with(200, {"error": {"message": "upstream died"}})


async def test_unknown_fields_and_invalid_arguments() -> None:
    """Unknown fields are ignored; invalid JSON arguments are kept raw for the repair loop (synthetic)."""
    body = {
        "id": "c",
        "obfuscation": "xx",
        "choices": [
            {
                "index": 0,
                "brand_new": {"x": 1},
                "message": {
                    "role": "assistant",
                    "content": None,
                    "annotations": [],
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a": 1,'},
                        }
                    ],
                },
                "finish_reason": "function_call",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "surprise": {"x": 1}},
    }
    response = await complete_with(200, body)
    (call,) = response.tool_calls
    assert call.arguments == '{"a": 1,'
    assert not call.arguments_are_json
    assert response.finish_reason == "tool_calls"
    assert response.raw_finish_reason == "function_call"


async def test_refusal_is_parsed() -> None:
    """``message.refusal`` becomes a RefusalPart and the finish reason ``refusal`` (synthetic, spec shape)."""
    response = await complete_with(
        200,
        {
            "choices": [
                {
                    "message": {"role": "assistant", "content": None, "refusal": "I can't help."},
                    "finish_reason": "stop",
                }
            ]
        },
    )
    assert response.parts == (RefusalPart(text="I can't help."),)
    assert response.finish_reason == "refusal"


async def test_rate_limit_with_request_id_and_retry_after() -> None:
    """A 429 keeps the provider message, the request id and Retry-After (synthetic, documented shape)."""
    body = {
        "error": {
            "message": "Rate limit reached for gpt-4.1",
            "type": "requests",
            "code": "rate_limit_exceeded",
        }
    }
    with pytest.raises(RateLimited) as info:
        await complete_with(
            429, body, headers={"x-request-id": "req_123", "retry-after-ms": "1500"}
        )
    assert info.value.request_id == "req_123"
    assert info.value.retry_after == 1.5
    assert "Rate limit reached" in info.value.message
    quota = {
        "error": {
            "message": "You exceeded your current quota",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        }
    }
    with pytest.raises(RateLimited) as info:
        await complete_with(429, quota)
    assert info.value.retryable is False


async def test_read_timeout_maps_to_provider_timeout() -> None:
    """An httpx read timeout becomes ProviderTimeout, for complete and stream alike."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY, http_client=client)
    request = ModelRequest(messages=[Message.user("x")])
    with pytest.raises(ProviderTimeout):
        await provider.complete(request)
    with pytest.raises(ProviderTimeout):
        await h.collect(provider, request)


async def stream_with(body: bytes, **kwargs: Any) -> list[Any]:
    transport = ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    provider = OpenAIChatProvider(
        "gpt-4.1", api_key=h.API_KEY, http_client=h.client_for(transport), **kwargs
    )
    return await h.collect(provider, ModelRequest(messages=[Message.user("x")]))


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    return json.dumps(
        {
            "id": "c",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
    )


async def test_stream_cut_mid_event() -> None:
    """A stream cut in the middle of an event raises MalformedResponse after the deltas received (synthetic)."""
    body = (
        sse_from_chunks([chunk({"content": "Hel"})])
        + b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"lo'
    )
    seen: list[Any] = []
    transport = ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY, http_client=h.client_for(transport))
    with pytest.raises(MalformedResponse, match="stream ended before the response was complete"):
        await h.drain(provider, ModelRequest(messages=[Message.user("x")]), seen)
    assert seen == [TextDelta("Hel")]


async def test_stream_without_done_or_finish() -> None:
    """A stream that just stops (no [DONE], no finish reason) is malformed, never a hang (synthetic)."""
    with pytest.raises(MalformedResponse, match="stream ended before the response was complete"):
        await stream_with(sse_from_chunks([chunk({"content": "Hi"})]))
    with pytest.raises(MalformedResponse):
        await stream_with(b"")


async def test_stream_garbage_chunk() -> None:
    """A complete event whose data is not JSON is malformed (synthetic)."""
    with pytest.raises(MalformedResponse, match="unreadable stream chunk"):
        await stream_with(b"data: {nope\n\n")


async def test_stream_fragment_matching() -> None:
    """Ids win over indexes, a new id at a used index starts a new call, missing indexes follow the last call."""
    chunks = [
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x"'}}
                ]
            }
        ),
        chunk(
            {"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}
        ),
        chunk({"tool_calls": [{"id": "a", "function": {"arguments": ": 1}"}}]}),
        chunk({"tool_calls": [{"function": {"arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 5, "function": {"name": "h", "arguments": None}}]}),
        chunk({}, "tool_calls"),
    ]
    events = await stream_with(sse_from_chunks([*chunks, "[DONE]"]))
    h.assert_deltas_match(events)
    calls = h.done(events).tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("a", "f", '{"x": 1}'),
        ("b", "g", "{}"),
        ("call_2", "h", "{}"),
    ]


async def test_stream_reasoning_text_and_usage_only_chunk() -> None:
    """Reasoning and text deltas come out in order; the usage-only chunk sets usage (synthetic)."""
    chunks = [
        chunk({"reasoning_content": "think"}),
        chunk({"content": "Hi"}),
        chunk({}, "stop"),
        json.dumps(
            {
                "id": "c",
                "choices": [],
                "usage": {
                    "prompt_tokens": 5,
                    "completion_tokens": 3,
                    "completion_tokens_details": {"reasoning_tokens": 1},
                },
            }
        ),
        "[DONE]",
    ]
    events = await stream_with(sse_from_chunks(chunks))
    assert events[:2] == [ReasoningDelta("think"), TextDelta("Hi")]
    response = h.done(events)
    assert response.usage.total_tokens == 8
    assert response.usage.reasoning_tokens == 1
    assert [p.kind for p in response.parts] == ["reasoning", "text"]


async def test_stream_error_frame_after_deltas() -> None:
    """An ``event: error`` frame with HTTP 200 is raised as a typed error after the deltas (synthetic)."""
    body = (
        sse_from_chunks([chunk({"content": "partial"})])
        + b'event: error\ndata: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    )
    seen: list[Any] = []
    transport = ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY, http_client=h.client_for(transport))
    with pytest.raises(ProviderUnavailable, match="overloaded"):
        await h.drain(provider, ModelRequest(messages=[Message.user("x")]), seen)
    assert seen == [TextDelta("partial")]


async def test_stream_error_status_before_any_chunk() -> None:
    """An error status on a streaming request is raised before any delta (synthetic)."""
    transport = ReplayTransport.from_bodies(
        [(400, {"error": {"message": "bad temperature", "type": "invalid_request_error"}})]
    )
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY, http_client=h.client_for(transport))
    with pytest.raises(InvalidRequest, match="bad temperature"):
        await h.collect(provider, ModelRequest(messages=[Message.user("x")]))


async def test_stream_answered_with_plain_json() -> None:
    """A server that ignores stream=true and answers JSON still yields deltas and StreamDone (synthetic)."""
    transport = ReplayTransport.from_bodies(
        [
            (
                200,
                {
                    "choices": [
                        {
                            "message": {
                                "content": "Hi",
                                "tool_calls": [
                                    {"id": "k", "function": {"name": "f", "arguments": "{}"}}
                                ],
                            },
                            "finish_reason": "tool_calls",
                        }
                    ]
                },
            )
        ]
    )
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY, http_client=h.client_for(transport))
    events = await h.collect(provider, ModelRequest(messages=[Message.user("x")]))
    assert events[0] == TextDelta("Hi")
    assert isinstance(events[1], ToolCallDelta)
    h.assert_deltas_match(events)


# ------------------------------------------------------------------------------------------ secrets and wiring


async def test_api_key_never_leaks() -> None:
    """The key is absent from repr, errors and response dumps, and sent only as the bearer header."""
    items = h.interactions(KIND, "error-404-model-not-found.pydantic-ai.yaml")
    transport = ReplayTransport([*items, *h.interactions(KIND, "plain-text.pydantic-ai.yaml")])
    provider = OpenAIChatProvider("gpt-4o", api_key=h.API_KEY, http_client=h.client_for(transport))
    assert h.API_KEY not in repr(provider)
    with pytest.raises(ModelNotFound) as info:
        await provider.complete(ModelRequest(messages=[Message.user("hello")]))
    assert h.API_KEY not in str(info.value)
    assert h.API_KEY not in repr(info.value.__dict__)
    response = await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    assert h.API_KEY not in response.model_dump_json()
    assert h.API_KEY not in repr(response)
    assert transport.requests[0]["headers"]["authorization"] == f"Bearer {h.API_KEY}"


def test_key_from_environment_and_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENAI_API_KEY is read when no key is passed; no key at all is a UsageError naming the variable."""
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    assert OpenAIChatProvider("gpt-4.1").api_key == "env-key"
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(UsageError, match="OPENAI_API_KEY"):
        OpenAIChatProvider("gpt-4.1")


def test_infer_provider() -> None:
    """``openai:`` resolves to this adapter with the OpenAI base URL, inside the default RetryPolicy."""
    provider = infer_provider("openai:gpt-4.1", api_key=h.API_KEY)
    assert isinstance(provider, RetryPolicy)
    assert isinstance(provider.inner, OpenAIChatProvider)
    assert provider.inner.base_url == "https://api.openai.com/v1"
    assert (provider.system, provider.model, provider.secrets()) == (
        "openai",
        "gpt-4.1",
        provider.inner.secrets(),
    )


def test_text_parts_round_trip() -> None:
    """Assistant text and tool calls in history become one assistant message with content and tool_calls."""
    provider = OpenAIChatProvider("gpt-4.1", api_key=h.API_KEY)
    message = Message(
        role="assistant",
        parts=(
            TextPart(text="Let me look."),
            ToolCallPart(id="c1", name="lookup", arguments="not json"),
        ),
    )
    body = body_of(provider, ModelRequest(messages=[Message.user("q"), message]))
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "Let me look.",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "lookup", "arguments": "not json"},
            }
        ],
    }


@pytest.mark.parametrize("kind", ["openai-chat", "openai-compatible"])
def test_raw_sse_files_match_the_cassettes(kind: str) -> None:
    """The raw ``sse/*.response-<i>.sse`` files are the bodies the cassette tests replay, byte for byte."""
    sse_dir = h.fixtures_root() / kind / "sse"
    files = sorted(sse_dir.glob("*.sse"))
    assert files
    for path in files:
        stem, _, index = path.name.removesuffix(".sse").rpartition(".response-")
        items = h.interactions(kind, f"{stem}.yaml")
        assert items[int(index)].body == path.read_bytes(), path.name
