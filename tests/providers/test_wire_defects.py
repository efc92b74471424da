"""Issue 11's wire defects, each pinned by a test built from the provider's documented wire format.

Payloads marked SYNTHETIC are written by hand in the documented shape (no recording of that exact case exists);
the shapes come from the providers' API references and the public error reports cited beside each test.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentkit import ToolContract
from agentkit.exceptions import AuthenticationFailed, UsageError
from agentkit.messages import Message, TextPart, ToolCallPart, ToolResultPart
from agentkit.providers import (
    ModelProfile,
    ModelRequest,
    ModelSettings,
    OutputFormat,
    StreamDone,
    StreamEvent,
    ToolCallDelta,
)
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.gemini import GeminiProvider
from agentkit.providers.openai import OpenAIChatProvider, OpenAICompatibleProvider
from agentkit.providers.openai_responses import OpenAIResponsesProvider
from agentkit.testing._replay import ReplayTransport, sse_from_chunks

pytestmark = pytest.mark.anyio

KEY = "sk-test-key-123456"
HOTEL = ToolContract(
    name="travel.find_hotel",
    description="Find a hotel.",
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
CLOCK = ToolContract(name="clock", description="The time.", input_schema={"type": "object"})
WEATHER = ToolContract(
    name="weather",
    description="The weather.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
)


def _client(replay: ReplayTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=replay.mock())


async def _stream(provider: Any, request: ModelRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream(request)]


def _sse(replay_chunks: list[dict[str, Any]], *, names: bool = False) -> ReplayTransport:
    body = sse_from_chunks([json.dumps(c) for c in replay_chunks], with_event_names=names)
    return ReplayTransport.from_bodies([(200, body)], content_type="text/event-stream")


# ------------------------------------------------------------------------- 2. Anthropic sampling


async def test_anthropic_temperature_and_top_p_together_fail_before_sending() -> None:
    """Claude 4.1+ refuses both knobs ("cannot both be specified for this model"): a UsageError, nothing sent."""
    replay = ReplayTransport.from_bodies([])
    provider = AnthropicProvider("claude-sonnet-4-5", api_key=KEY, http_client=_client(replay))
    both = ModelRequest(
        messages=[Message.user("hi")], settings=ModelSettings(temperature=0.2, top_p=0.9)
    )
    with pytest.raises(UsageError, match="temperature or top_p, not both"):
        await provider.complete(both)
    with pytest.raises(UsageError, match="not both"):
        await _stream(provider, both)
    assert replay.requests == []
    one = provider.build_body(
        ModelRequest(messages=[Message.user("hi")], settings=ModelSettings(top_p=0.9))
    )
    assert one["top_p"] == 0.9
    assert "temperature" not in one
    older = AnthropicProvider("claude-sonnet-4-20250514", api_key=KEY).build_body(both)
    assert (older["temperature"], older["top_p"]) == (0.2, 0.9)


def test_anthropic_thinking_on_a_model_without_it_is_a_usage_error() -> None:
    """``thinking`` in extra_body for a model whose profile does not reason fails before sending."""
    request = ModelRequest(
        messages=[Message.user("hi")],
        settings=ModelSettings(extra_body={"thinking": {"type": "enabled", "budget_tokens": 1024}}),
    )
    with pytest.raises(UsageError, match="no extended thinking"):
        AnthropicProvider("claude-3-5-haiku-latest", api_key=KEY).build_body(request)
    assert AnthropicProvider("claude-sonnet-4-5", api_key=KEY).build_body(request)["thinking"]


# ------------------------------------------------------------------------- 3. Anthropic streaming


def _anthropic_stream(blocks: list[dict[str, Any]], final_usage: dict[str, Any]) -> ReplayTransport:
    return _sse(
        [
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-5",
                    "content": [],
                    "usage": {
                        "input_tokens": 20,
                        "cache_read_input_tokens": 100,
                        "cache_creation_input_tokens": 5,
                        "output_tokens": 1,
                    },
                },
            },
            *blocks,
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": final_usage,
            },
            {"type": "message_stop"},
        ],
        names=True,
    )


async def test_anthropic_citations_delta_after_null_citations() -> None:
    """A text block opened with ``"citations": null`` takes the ``citations_delta`` that follows (no crash).

    Shape from Anthropic's citations docs (streaming): ``content_block_start`` carries the text block, then a
    ``citations_delta`` with one ``citation`` object. SYNTHETIC: the ``null`` is what some gateways send.
    """
    citation = {
        "type": "char_location",
        "cited_text": "The grass is green.",
        "document_index": 0,
        "start_char_index": 0,
        "end_char_index": 19,
    }
    replay = _anthropic_stream(
        [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": "", "citations": None},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "citations_delta", "citation": citation},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "the grass is green"},
            },
            {"type": "content_block_stop", "index": 0},
        ],
        {"output_tokens": 9},
    )
    provider = AnthropicProvider("claude-sonnet-4-5", api_key=KEY, http_client=_client(replay))
    events = await _stream(provider, ModelRequest(messages=[Message.user("colour?")]))
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.response.text == "the grass is green"


async def test_anthropic_stream_usage_thinking_tokens_and_null_fields() -> None:
    """``output_tokens_details.thinking_tokens`` becomes reasoning tokens; null input fields keep the streamed counts.

    SYNTHETIC final ``message_delta``: the SDK's ``MessageDeltaUsage`` declares ``input_tokens`` and the cache
    fields nullable, and ``output_tokens_details.thinking_tokens`` as the thinking share of ``output_tokens``.
    """
    replay = _anthropic_stream(
        [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "ok"},
            },
            {"type": "content_block_stop", "index": 0},
        ],
        {
            "input_tokens": None,
            "cache_read_input_tokens": None,
            "cache_creation_input_tokens": None,
            "output_tokens": 50,
            "output_tokens_details": {"thinking_tokens": 30},
        },
    )
    provider = AnthropicProvider("claude-sonnet-4-5", api_key=KEY, http_client=_client(replay))
    done = (await _stream(provider, ModelRequest(messages=[Message.user("hi")])))[-1]
    assert isinstance(done, StreamDone)
    usage = done.response.usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens) == (125, 100, 5)
    assert (usage.output_tokens, usage.reasoning_tokens) == (50, 30)
    assert done.response.usage_reported


# ------------------------------------------------------------------------- 4. canonical names in deltas


def _delta_names(events: list[StreamEvent]) -> list[str]:
    return [e.name for e in events if isinstance(e, ToolCallDelta) and e.name]


async def test_chat_stream_deltas_name_tools_canonically() -> None:
    """OpenAI Chat deltas carry ``travel.find_hotel``, not the wire name ``travel_find_hotel``."""
    replay = _sse(
        [
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "call_1",
                                    "type": "function",
                                    "function": {"name": "travel_find_hotel", "arguments": ""},
                                }
                            ]
                        },
                    }
                ]
            },
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {"index": 0, "function": {"arguments": '{"city":"Oslo"}'}}
                            ]
                        },
                        "finish_reason": "tool_calls",
                    }
                ]
            },
        ]
    )
    provider = OpenAIChatProvider("gpt-4.1", api_key=KEY, http_client=_client(replay))
    events = await _stream(provider, ModelRequest(messages=[Message.user("x")], tools=[HOTEL]))
    assert _delta_names(events) == ["travel.find_hotel"]
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.response.tool_calls[0].name == "travel.find_hotel"


async def test_responses_stream_deltas_name_tools_canonically() -> None:
    """OpenAI Responses deltas carry the canonical name too."""
    item = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "travel_find_hotel",
        "arguments": "",
    }
    done_item = {**item, "arguments": '{"city":"Oslo"}', "status": "completed"}
    replay = _sse(
        [
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {
                "type": "response.function_call_arguments.delta",
                "output_index": 0,
                "item_id": "fc_1",
                "delta": '{"city":"Oslo"}',
            },
            {"type": "response.output_item.done", "output_index": 0, "item": done_item},
            {
                "type": "response.completed",
                "response": {
                    "id": "resp_1",
                    "status": "completed",
                    "output": [done_item],
                    "usage": {"input_tokens": 5, "output_tokens": 3},
                },
            },
        ],
        names=True,
    )
    provider = OpenAIResponsesProvider("gpt-4.1", api_key=KEY, http_client=_client(replay))
    events = await _stream(provider, ModelRequest(messages=[Message.user("x")], tools=[HOTEL]))
    assert _delta_names(events) == ["travel.find_hotel"]


# ------------------------------------------------------------------------- 5. Gemini


async def test_gemini_invalid_key_is_authentication_failed() -> None:
    """HTTP 400 ``INVALID_ARGUMENT`` with ErrorInfo reason ``API_KEY_INVALID`` is ``AuthenticationFailed``.

    The body is the one the Gemini API returns for a bad key (google.rpc.Status with ErrorInfo and
    LocalizedMessage details, as quoted in continuedev/continue#8516).
    """
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ],
        }
    }
    replay = ReplayTransport.from_bodies([(400, body), (400, [body])])
    provider = GeminiProvider("gemini-2.5-flash", api_key=KEY, http_client=_client(replay))
    with pytest.raises(AuthenticationFailed, match="API key not valid") as caught:
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    assert caught.value.status_code == 400
    with pytest.raises(AuthenticationFailed):  # the JSON-array form streamGenerateContent uses
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))


def _repeated_id_history() -> list[Message]:
    return [
        Message.user("weather and time?"),
        Message(
            role="assistant",
            parts=(
                ToolCallPart(id="0", name="weather", arguments='{"city":"Oslo"}'),
                ToolCallPart(id="0", name="clock", arguments="{}"),
            ),
        ),
        Message(
            role="tool",
            parts=(
                ToolResultPart(tool_call_id="0", name="weather", content='{"sky":"grey"}'),
                ToolResultPart(tool_call_id="0", name="clock", content='"12:00"'),
            ),
        ),
    ]


def test_repeated_call_ids_pair_results_by_position_on_every_adapter() -> None:
    """Two calls sharing the id "0" keep their own results: weather's, then clock's, on every adapter."""
    request = ModelRequest(messages=_repeated_id_history(), tools=[WEATHER, CLOCK])
    gemini, _ = GeminiProvider("gemini-2.5-flash", api_key=KEY).build_body(request)
    answers = [p["functionResponse"]["name"] for p in gemini["contents"][2]["parts"]]
    assert answers == ["weather", "clock"]

    anthropic = AnthropicProvider("claude-sonnet-4-5", api_key=KEY).build_body(request)
    uses = [b["id"] for b in anthropic["messages"][1]["content"]]
    results = [b["tool_use_id"] for b in anthropic["messages"][2]["content"]]
    assert len(set(uses)) == 2
    assert results == uses

    chat, _ = OpenAICompatibleProvider("m", base_url="http://127.0.0.1:9").build_body(request)
    assert [m.get("tool_call_id") for m in chat["messages"][2:]] == ["0", "0"]
    assert [json.loads(m["content"]) for m in chat["messages"][2:]] == [{"sky": "grey"}, "12:00"]


async def test_chat_stream_repeated_ids_at_new_indexes_are_two_calls() -> None:
    """A compatible server that numbers both calls ``"0"`` (indexes 0 and 1) streams two calls, not one merged."""
    replay = _sse(
        [
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "0",
                                    "function": {"name": "weather", "arguments": ""},
                                }
                            ]
                        },
                    }
                ]
            },
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "0",
                                    "function": {"arguments": '{"city":"Oslo"}'},
                                }
                            ]
                        },
                    }
                ]
            },
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 1,
                                    "id": "0",
                                    "function": {"name": "clock", "arguments": "{}"},
                                }
                            ]
                        },
                        "finish_reason": "tool_calls",
                    }
                ]
            },
        ]
    )
    provider = OpenAICompatibleProvider(
        "m", base_url="http://127.0.0.1:9", http_client=_client(replay)
    )
    events = await _stream(
        provider, ModelRequest(messages=[Message.user("x")], tools=[WEATHER, CLOCK])
    )
    done = events[-1]
    assert isinstance(done, StreamDone)
    calls = done.response.tool_calls
    assert [(c.id, c.name, json.loads(c.arguments)) for c in calls] == [
        ("0", "weather", {"city": "Oslo"}),
        ("0", "clock", {}),
    ]


async def test_gemini_chunk_with_only_candidate_one_is_not_the_answer() -> None:
    """With candidateCount 2, a chunk carrying only ``index: 1`` adds nothing to the answer (candidate 0)."""
    replay = _sse(
        [
            {
                "candidates": [
                    {"index": 0, "content": {"role": "model", "parts": [{"text": "Hel"}]}}
                ]
            },
            {
                "candidates": [
                    {"index": 1, "content": {"role": "model", "parts": [{"text": "XYZ"}]}}
                ]
            },
            {
                "candidates": [
                    {
                        "index": 0,
                        "content": {"role": "model", "parts": [{"text": "lo"}]},
                        "finishReason": "STOP",
                    }
                ],
                "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2},
            },
        ]
    )
    provider = GeminiProvider("gemini-2.5-flash", api_key=KEY, http_client=_client(replay))
    done = (await _stream(provider, ModelRequest(messages=[Message.user("hi")])))[-1]
    assert isinstance(done, StreamDone)
    assert done.response.text == "Hello"


# ------------------------------------------------------------------------- 6. Responses: only response.completed


async def test_responses_stream_with_only_completed_is_accepted() -> None:
    """A proxy that sends nothing but ``response.completed`` yields its text as a delta, then the response."""
    final = {
        "id": "resp_1",
        "model": "gpt-4.1",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Paris."}],
            }
        ],
        "usage": {"input_tokens": 9, "output_tokens": 2},
    }
    replay = _sse([{"type": "response.completed", "response": final}], names=True)
    provider = OpenAIResponsesProvider("gpt-4.1", api_key=KEY, http_client=_client(replay))
    events = await _stream(provider, ModelRequest(messages=[Message.user("capital?")]))
    assert [type(e).__name__ for e in events] == ["TextDelta", "StreamDone"]
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert (done.response.text, done.response.usage.total_tokens) == ("Paris.", 11)


# ------------------------------------------------------------------------- 8. every profile field is read


def _body(provider: Any, request: ModelRequest, **kw: Any) -> dict[str, Any]:
    built = provider.build_body(request, **kw)
    return built[0] if isinstance(built, tuple) else built


def _chat(**fields: Any) -> OpenAIChatProvider:
    return OpenAIChatProvider("gpt-4.1", api_key=KEY, profile=ModelProfile(**fields))


_HI = ModelRequest(messages=[Message.system("s"), Message.user("hi")])
_TOOLS = ModelRequest(
    messages=[Message.user("hi")],
    tools=[HOTEL],
    settings=ModelSettings(parallel_tool_calls=False),
)


def _observe(field: str, value: Any) -> Any:
    """What changes on the wire (or which error is raised) when the profile ``field`` is ``value``."""
    try:
        if field == "dialect":
            return _body(_chat(dialect=value), _TOOLS)["tools"][0]["function"]["strict"]
        if field == "parallel_tool_calls":
            return "parallel_tool_calls" in _body(_chat(parallel_tool_calls=value), _TOOLS)
        if field == "tool_choice":
            request = dataclasses.replace(_TOOLS, tool_choice="required")
            return _body(_chat(tool_choice=value), request)["tool_choice"]
        if field == "stream_usage":
            return "stream_options" in _body(_chat(stream_usage=value), _HI, stream=True)
        if field == "system_role":
            return _body(_chat(system_role=value), _HI)["messages"][0]["role"]
        if field == "reasoning":
            thinking = ModelSettings(
                extra_body={"thinking": {"type": "enabled", "budget_tokens": 1}}
            )
            provider = AnthropicProvider(
                "claude-x", api_key=KEY, profile=ModelProfile(reasoning=value)
            )
            return "thinking" in provider.build_body(dataclasses.replace(_HI, settings=thinking))
        if field == "reasoning_field":
            answer = {"choices": [{"message": {"content": "a", "thoughts": "hmm"}}]}
            return len(_chat(reasoning_field=value).parse_completion(answer).parts)
        if field == "reasoning_in_history":
            provider = OpenAIResponsesProvider(
                "gpt-4.1", api_key=KEY, profile=ModelProfile(reasoning_in_history=value)
            )
            return _body(provider, _HI).get("store")
        if field == "json_schema_output":
            output = OutputFormat(name="a", schema={"type": "object", "properties": {}})
            return "response_format" in _body(
                _chat(json_schema_output=value), dataclasses.replace(_HI, output=output)
            )
        if field == "seed":
            return "seed" in _body(
                _chat(seed=value), dataclasses.replace(_HI, settings=ModelSettings(seed=1))
            )
        if field == "max_tokens_field":
            request = dataclasses.replace(_HI, settings=ModelSettings(max_tokens=5))
            return sorted(k for k in _body(_chat(max_tokens_field=value), request) if "max" in k)
        if field == "sampling":
            request = dataclasses.replace(_HI, settings=ModelSettings(temperature=0.1, top_p=0.2))
            return sorted(
                k for k in _body(_chat(sampling=value), request) if k in ("temperature", "top_p")
            )
    except UsageError as exc:
        return type(exc).__name__
    raise AssertionError(field)


_VALUES: dict[str, tuple[Any, Any]] = {
    "dialect": ("openai", "openai-strict"),
    "parallel_tool_calls": (True, False),
    "tool_choice": (frozenset({"auto", "required"}), frozenset({"auto"})),
    "stream_usage": (True, False),
    "system_role": ("system", "developer"),
    "reasoning": (True, False),
    "reasoning_field": ("thoughts", None),
    "reasoning_in_history": (True, False),
    "json_schema_output": (True, False),
    "seed": (True, False),
    "max_tokens_field": ("max_tokens", None),
    "sampling": (True, "one"),
}
"""For each field, two values an adapter must tell apart."""

_READ_ELSEWHERE = {"media_input", "media_in_tool_results"}
"""Fields the multimodal work owns (their behaviour is tested with media parts); checked here for a reader."""


def test_every_profile_field_is_read() -> None:
    """Each ModelProfile field changes what an adapter sends (or refuses); strict_tools only warns, deprecated."""
    fields = {f.name for f in dataclasses.fields(ModelProfile)}
    assert fields == set(_VALUES) | _READ_ELSEWHERE | {"strict_tools"}
    for name, (a, b) in _VALUES.items():
        assert _observe(name, a) != _observe(name, b), name
    with pytest.warns(DeprecationWarning, match="strict_tools"):
        ModelProfile(strict_tools=True)
    source = "".join(
        p.read_text() for p in Path("src/agentkit/providers").rglob("*.py") if p.name != "_base.py"
    )
    for name in _READ_ELSEWHERE:
        assert re.search(rf"profile\.{name}\b", source), name


def test_deprecated_profile_aliases_warn_and_keep_their_defaults() -> None:
    """ChatCompletionsProfile and OpenAIResponsesProfile still import, warn, and build the profiles they built."""
    import agentkit.providers.openai as chat_module
    import agentkit.providers.openai_responses as responses_module

    with pytest.warns(DeprecationWarning, match="ChatCompletionsProfile is deprecated"):
        chat = chat_module.ChatCompletionsProfile(stream_usage=False)
    assert (chat.max_tokens_field, chat.stream_usage) == ("max_completion_tokens", False)
    with pytest.warns(DeprecationWarning, match="OpenAIResponsesProfile is deprecated"):
        responses = responses_module.OpenAIResponsesProfile(stateless=True)
    assert (responses.dialect, responses.system_role, responses.reasoning_in_history) == (
        "openai-auto",
        "top-level",
        True,
    )


# ------------------------------------------------------------------------- 9. usage never reported is unknown


async def test_stream_without_usage_is_unreported_not_zero() -> None:
    """A Chat stream with no usage chunk says ``usage_reported=False``; one with it says True."""
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": "Hi"}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    quiet = OpenAICompatibleProvider(
        "m", base_url="http://127.0.0.1:9", http_client=_client(_sse(chunks))
    )
    done = (await _stream(quiet, ModelRequest(messages=[Message.user("x")])))[-1]
    assert isinstance(done, StreamDone)
    assert (done.response.usage_reported, done.response.usage.total_tokens) == (False, 0)
    counted = [*chunks, {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}]
    loud = OpenAICompatibleProvider(
        "m", base_url="http://127.0.0.1:9", http_client=_client(_sse(counted))
    )
    done = (await _stream(loud, ModelRequest(messages=[Message.user("x")])))[-1]
    assert isinstance(done, StreamDone)
    assert (done.response.usage_reported, done.response.usage.total_tokens) == (True, 4)
    assert TextPart(text="Hi") in done.response.parts


async def test_unreported_usage_is_stored_as_unknown_and_replays_as_unknown() -> None:
    """A run whose stream reported no usage stores ``usage={}``; its replay says unknown too, and costs ``None``."""
    from agentkit.runtime import Agent
    from agentkit.storage import MemoryStore, Recording, StoreSink, replay

    chunks = [
        {"choices": [{"index": 0, "delta": {"content": "Hi"}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    quiet = OpenAICompatibleProvider(
        "m", base_url="http://127.0.0.1:9", http_client=_client(_sse(chunks))
    )
    store = MemoryStore()
    agent = Agent(quiet, sinks=[StoreSink(store)])
    async with agent.run_stream("x", run_id="quiet") as stream:
        _ = [item async for item in stream]
    result = stream.result
    responded = [e for e in result.events if e.type == "model.responded"]
    assert [e.usage for e in responded] == [{}]
    assert result.cost() is None
    replayed = await replay(agent, Recording.load(store, "quiet"))
    assert [e.usage for e in replayed.events if e.type == "model.responded"] == [{}]
    assert replayed.cost() is None
