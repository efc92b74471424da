"""The OpenAI Responses adapter, proved on recorded real traffic (``tests/fixtures/openai-responses``).

Every recorded file is replayed (``test_every_fixture_file_is_replayed`` keeps the list honest). For cassettes
that hold the requests too, the conversation is rebuilt as a ``ModelRequest`` (model turns taken from agentkit's
own parse of the recorded responses) and the body agentkit builds is compared with the recorded one; the
intentional differences are listed in ``_responses_helpers.normalise``.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentkit import ToolContract
from agentkit.exceptions import (
    InvalidRequest,
    MalformedResponse,
    ModelNotFound,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UsageError,
)
from agentkit.messages import (
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from agentkit.providers import (
    ModelProfile,
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
    infer_provider,
)
from agentkit.providers.openai_responses import OpenAIResponsesProvider
from agentkit.testing._replay import ReplayTransport, sse_from_chunks


def _load_helpers() -> Any:
    """The sibling helper module (tests are imported with --import-mode=importlib: no package, no relative import)."""
    name = "_agentkit_responses_test_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("_responses_helpers.py")
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_h = _load_helpers()
API_KEY: str = _h.API_KEY
KIND: str = _h.KIND
check_fc_ids = _h.check_fc_ids
collect = _h.collect
conversation = _h.conversation
drain = _h.drain
fixture = _h.fixture
fixtures_root = _h.fixtures_root
interactions = _h.interactions
messages_from_items = _h.messages_from_items
normalise = _h.normalise
provider_for = _h.provider_for
request_for = _h.request_for
sse_transport = _h.sse_transport

pytestmark = pytest.mark.anyio

# Every file in the fixture folder, and the test that replays it.
COVERAGE = {
    "plain-text.pydantic-ai.yaml": "test_plain_text",
    "tool-call-roundtrip.pydantic-ai.yaml": "test_tool_call_roundtrip",
    "parallel-tool-calls-roundtrip.pydantic-ai.yaml": "test_parallel_tool_calls",
    "reasoning-interleaved-tool-calls-4-turns.llm.yaml": "test_reasoning_interleaved_4_turns",
    "encrypted-reasoning-roundtrip.llm.yaml": "test_encrypted_reasoning_roundtrip",
    "reasoning-tool-call-cached-tokens.pydantic-ai.yaml": "test_reasoning_tool_call_cached_tokens",
    "usage-cached-tokens.pydantic-ai.yaml": "test_usage_cached_tokens",
    "tool-choice-required.pydantic-ai.yaml": "test_tool_choice_required",
    "stream-tool-call-roundtrip.pydantic-ai.yaml": "test_stream_tool_call_roundtrip_pydantic_ai",
    "stream-tool-call-roundtrip.llm.yaml": "test_stream_tool_call_roundtrip_llm",
    "stream-usage-reasoning-tokens.pydantic-ai.yaml": "test_stream_usage_reasoning_tokens",
    "sse/stream-tool-call-roundtrip.pydantic-ai.response-0.sse": "test_raw_sse_files_match_cassettes",
    "sse/stream-usage-reasoning-tokens.pydantic-ai.response-0.sse": "test_raw_sse_files_match_cassettes",
    "error-400-invalid-temperature.pydantic-ai.yaml": "test_error_400_invalid_temperature",
    "error-400-model-not-supported.pydantic-ai.yaml": "test_error_400_model_not_supported",
    "error-400-reasoning-item-without-follower.pydantic-ai.yaml": "test_reasoning_item_without_follower",
    "error-429-insufficient-quota.vercel-ai.body.json": "test_error_429_insufficient_quota",
    "stream-error-insufficient-quota.vercel-ai.stream-chunks.jsonl": "test_stream_error_insufficient_quota",
}


def test_every_fixture_file_is_replayed() -> None:
    """Each recorded file in the folder is covered by a named test (a new recording fails until it is)."""
    folder = fixtures_root() / KIND
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert found == set(COVERAGE)
    assert all(name in globals() for name in COVERAGE.values())


# ------------------------------------------------------------------------------------- replaying cassettes


async def replay(name: str) -> tuple[list[ModelResponse], list[dict[str, Any]]]:
    """Replay every turn of a cassette through the adapter; check each request agentkit builds.

    Returns the parsed responses and the bodies agentkit sent.
    """
    recorded = interactions(name)
    transport = ReplayTransport(list(recorded))
    provider = provider_for(transport, model=recorded[0].request_body["model"])
    responses: list[ModelResponse] = []
    for interaction in recorded:
        body = interaction.request_body
        request = request_for(body, conversation(body, responses))
        _, by_wire = provider.build_body(request)
        if body.get("stream"):
            events = await collect(provider, request)
            check_stream(events, interaction.body, provider, by_wire)
            done = events[-1]
            assert isinstance(done, StreamDone)
            response = done.response
        else:
            response = await provider.complete(request)
            assert response == provider.parse_response(interaction.json, by_wire)
        sent = transport.requests[-1]["json"]
        assert normalise(sent) == normalise(body, call_ids=_h.item_to_call_ids(responses))
        if "store" in body:
            assert sent["store"] == body["store"]
        if provider.profile.reasoning:
            assert sent["store"] is False
            assert sent["include"] == ["reasoning.encrypted_content"]
        check_fc_ids(sent, responses)
        responses.append(response)
    await provider.aclose()
    return responses, [r["json"] for r in transport.requests]


def completed_payload(sse: bytes) -> dict[str, Any]:
    """The response object inside a stream's ``response.completed`` event."""
    for block in sse.decode().split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: ") and '"response.completed"' in line:
                return dict(json.loads(line[6:])["response"])
    raise AssertionError("no response.completed event")


def check_stream(
    events: list[StreamEvent],
    sse: bytes,
    provider: OpenAIResponsesProvider | None = None,
    by_wire: Any = None,
) -> None:
    """StreamDone equals complete()'s parse of the final response, and the deltas agree with it."""
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert sum(isinstance(e, StreamDone) for e in events) == 1
    response = done.response
    final = completed_payload(sse)
    parser = provider or OpenAIResponsesProvider("gpt-4o", api_key=API_KEY)
    assert response == parser.parse_response(final, by_wire)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == response.text
    reasoning = "".join(p.text for p in response.parts if isinstance(p, ReasoningPart))
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == reasoning
    raw_calls = [i for i in final["output"] if i["type"] == "function_call"]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    for n, raw in enumerate(raw_calls):
        mine = [d for d in deltas if d.index == n]
        assert mine[0].id == raw["call_id"]
        assert mine[0].name == raw["name"]
        assert "".join(d.arguments for d in mine) == raw["arguments"]
        assert response.tool_calls[n].id == raw["call_id"]
        assert response.tool_calls[n].provider_details == {"item_id": raw["id"]}


async def test_plain_text() -> None:
    """A plain text reply parses to one text part, stop, usage and ids; the request matches the recording."""
    (response,), (sent,) = await replay("plain-text.pydantic-ai.yaml")
    assert response.text == "The capital of France is Paris."
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "completed"
    assert response.usage.input_tokens == 14
    assert response.usage.output_tokens == 8
    assert response.model == "gpt-4o-2024-08-06"
    assert response.response_id == "resp_68c2e8c147ac819491bcd667055eadbc02e845978fbbb592"
    assert response.provider == "openai"
    assert "store" not in sent
    assert "include" not in sent


async def test_tool_call_roundtrip() -> None:
    """A call comes back with its call_ id, the fc_ item id in provider_details, and goes back with both."""
    (first, second), sent = await replay("tool-call-roundtrip.pydantic-ai.yaml")
    (call,) = first.tool_calls
    assert call.id == "call_YfwRsW8sUxDKipwyhWTzOXCA"
    assert call.provider_details == {
        "item_id": "fc_04907f5d3de791830068fbaa1b310c81958dc9c508e878c632"
    }
    assert json.loads(call.arguments) == {"country": "PotatoLand"}
    assert first.finish_reason == "tool_calls"
    assert first.raw_finish_reason == "completed"
    assert second.text == "The capital of PotatoLand is Potato City."
    assert sent[1]["input"][1] == {
        "type": "function_call",
        "call_id": "call_YfwRsW8sUxDKipwyhWTzOXCA",
        "name": "get_capital",
        "arguments": '{"country":"PotatoLand"}',
        "id": "fc_04907f5d3de791830068fbaa1b310c81958dc9c508e878c632",
    }
    assert sent[1]["input"][2] == {
        "type": "function_call_output",
        "call_id": "call_YfwRsW8sUxDKipwyhWTzOXCA",
        "output": "Potato City",
    }
    assert sent[0]["tools"] == [
        {
            "type": "function",
            "name": "get_capital",
            "parameters": {
                "type": "object",
                "properties": {"country": {"type": "string"}},
                "required": ["country"],
                "additionalProperties": False,
            },
            "strict": True,
        }
    ]


async def test_parallel_tool_calls() -> None:
    """Two calls in one turn come back in order and both results go back."""
    (first, second), sent = await replay("parallel-tool-calls-roundtrip.pydantic-ai.yaml")
    assert [json.loads(c.arguments) for c in first.tool_calls] == [
        {"loc_name": "Londos"},
        {"loc_name": "London"},
    ]
    assert [c.id for c in first.tool_calls] == [
        "call_LWVp74L5HaH2KNvgVz9PJsrj",
        "call_YnRAWeTyxI91m5uNa5bxXwVO",
    ]
    assert first.usage.total_tokens == 0  # the recording really reports zeros
    assert [i.get("type") for i in sent[1]["input"]] == [
        None,
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert "London" in second.text


async def test_reasoning_interleaved_4_turns() -> None:
    """Reasoning items are replayed with their ids and encrypted content, each right before its call."""
    responses, sent = await replay("reasoning-interleaved-tool-calls-4-turns.llm.yaml")
    assert [len(r.tool_calls) for r in responses] == [1, 1, 1, 5]
    for response in responses:
        reasoning = response.parts[0]
        assert isinstance(reasoning, ReasoningPart)
        assert reasoning.id is not None
        assert reasoning.id.startswith("rs_")
        assert reasoning.encrypted is not None
        assert reasoning.encrypted.startswith("gAAAA")
        assert reasoning.provider == "openai"
        assert reasoning.text == ""
    last = sent[3]["input"]
    kinds = [i.get("type") for i in last]
    assert kinds == [None] + ["reasoning", "function_call", "function_call_output"] * 3
    for n, response in enumerate(responses[:3]):
        rs, fc = last[1 + 3 * n], last[2 + 3 * n]
        part = response.parts[0]
        assert isinstance(part, ReasoningPart)
        assert rs == {
            "type": "reasoning",
            "id": part.id,
            "summary": [],
            "encrypted_content": part.encrypted,
        }
        assert fc["id"] == (response.tool_calls[0].provider_details or {})["item_id"]
    usage = responses[3].usage
    assert (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens) == (532, 119, 17)
    # llm sends tools without "strict" and the API turns it on; agentkit says so explicitly.
    assert all(t["strict"] is True for t in sent[0]["tools"])


async def test_encrypted_reasoning_roundtrip() -> None:
    """Encrypted reasoning survives a three-turn tool loop; a turn without reasoning replays none."""
    responses, sent = await replay("encrypted-reasoning-roundtrip.llm.yaml")
    assert [r.finish_reason for r in responses] == ["tool_calls", "tool_calls", "stop"]
    assert not any(isinstance(p, ReasoningPart) for p in responses[1].parts)
    assert [i.get("type") for i in sent[2]["input"]] == [
        None,
        "reasoning",
        "function_call",
        "function_call_output",
        "function_call",
        "function_call_output",
    ]
    assert responses[2].text.startswith("Pundora has a population of 123,124")
    assert responses[0].usage.reasoning_tokens == 63


async def test_reasoning_tool_call_cached_tokens() -> None:
    """Reasoning summaries become reasoning text; cached and reasoning tokens are normalised."""
    (first, second), sent = await replay("reasoning-tool-call-cached-tokens.pydantic-ai.yaml")
    reasoning = first.parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text.startswith("**Creating a structured poem**")
    assert reasoning.text.count("\n\n**") == 4  # five summaries, joined by blank lines
    assert (first.usage.input_tokens, first.usage.output_tokens, first.usage.reasoning_tokens) == (
        124,
        1926,
        1792,
    )
    assert (second.usage.input_tokens, second.usage.cache_read_tokens) == (2087, 2048)
    assert second.usage.total_tokens == 2087 + 124
    assert sent[0]["instructions"].startswith("You are a helpful assistant that uses planning.")
    # Intentional difference: the five summaries go back as one summary_text holding the same text.
    assert sent[1]["input"][1]["summary"] == [{"type": "summary_text", "text": reasoning.text}]


async def test_usage_cached_tokens() -> None:
    """Cache writes and cache reads are reported where Usage says, never counted twice."""
    (first, second), _ = await replay("usage-cached-tokens.pydantic-ai.yaml")
    assert (
        first.usage.input_tokens,
        first.usage.cache_write_tokens,
        first.usage.cache_read_tokens,
    ) == (4020, 4012, 0)
    assert (second.usage.input_tokens, second.usage.cache_read_tokens) == (4020, 4012)
    assert second.usage.total_tokens == 4025
    assert second.text == "OK"


async def test_tool_choice_required() -> None:
    """tool_choice "required" is sent as such and the forced call comes back after its reasoning."""
    (response,), (sent,) = await replay("tool-choice-required.pydantic-ai.yaml")
    assert sent["tool_choice"] == "required"
    assert [p.kind for p in response.parts] == ["reasoning", "tool-call"]
    assert response.tool_calls[0].name == "get_weather"
    assert response.usage.reasoning_tokens == 64


async def test_stream_tool_call_roundtrip_pydantic_ai() -> None:
    """An old recording (no sequence_number) streams a call's argument deltas and then the answer text."""
    (first, second), sent = await replay("stream-tool-call-roundtrip.pydantic-ai.yaml")
    assert first.tool_calls[0].arguments == '{"country":"France"}'
    assert first.finish_reason == "tool_calls"
    assert second.text == "The capital of France is Paris."
    # Intentional difference: that pydantic-ai version sent the fc_ item id as call_id; agentkit sends the call_ id.
    assert sent[1]["input"][1]["call_id"] == "call_kL0PCQV7M2WMoVX8V8OtYSAL"
    assert sent[1]["input"][1]["id"] == "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2"


async def test_stream_tool_call_roundtrip_llm() -> None:
    """A gpt-5.5 stream: call deltas, then answer text, with usage only from response.completed."""
    (first, second), sent = await replay("stream-tool-call-roundtrip.llm.yaml")
    assert json.loads(first.tool_calls[0].arguments) == {"a": 1231, "b": 2331}
    assert "2869461" in second.text.replace(",", "")
    assert second.usage.total_tokens > 0
    assert all(body["stream"] is True for body in sent)


async def test_stream_usage_reasoning_tokens() -> None:
    """A streamed reasoning item keeps the encrypted content of output_item.done/response.completed."""
    (response,), _ = await replay("stream-usage-reasoning-tokens.pydantic-ai.yaml")
    reasoning = response.parts[0]
    assert isinstance(reasoning, ReasoningPart)
    final = completed_payload(
        interactions("stream-usage-reasoning-tokens.pydantic-ai.yaml")[0].body
    )
    assert reasoning.encrypted == final["output"][0]["encrypted_content"]
    assert response.usage.reasoning_tokens == 448
    assert response.tool_calls[0].name == "final_result"


async def test_raw_sse_files_match_cassettes() -> None:
    """The raw SSE files replay to the same response as the cassettes they were cut from."""
    for stem in (
        "stream-tool-call-roundtrip.pydantic-ai",
        "stream-usage-reasoning-tokens.pydantic-ai",
    ):
        raw = fixture(f"sse/{stem}.response-0.sse").read_bytes()
        recorded = interactions(f"{stem}.yaml")[0]
        assert raw == recorded.body
        provider = provider_for(sse_transport(raw))
        events = await collect(provider, ModelRequest(messages=[Message.user("x")]))
        check_stream(events, raw)


# ------------------------------------------------------------------------------------- recorded errors


async def test_error_400_invalid_temperature() -> None:
    """A stream request that fails validation gets a plain JSON 400: InvalidRequest with OpenAI's words."""
    (recorded,) = interactions("error-400-invalid-temperature.pydantic-ai.yaml")
    transport = ReplayTransport([recorded])
    provider = provider_for(transport)
    body = recorded.request_body
    with pytest.raises(InvalidRequest) as caught:
        await collect(provider, request_for(body, conversation(body, [])))
    err = caught.value
    assert type(err) is InvalidRequest
    assert err.status_code == 400
    assert not err.retryable
    assert "Invalid 'temperature'" in err.message
    assert normalise(transport.requests[0]["json"]) == normalise(body)
    assert API_KEY not in str(err)
    assert API_KEY not in repr(err)


async def test_error_400_model_not_supported() -> None:
    """OpenAI's 400 with code model_not_found becomes ModelNotFound (an InvalidRequest)."""
    (recorded,) = interactions("error-400-model-not-supported.pydantic-ai.yaml")
    transport = ReplayTransport([recorded])
    provider = provider_for(transport, model="gpt-5.2-proo")
    body = recorded.request_body
    with pytest.raises(ModelNotFound, match="does not exist") as caught:
        await provider.complete(request_for(body, conversation(body, [])))
    assert caught.value.status_code == 400
    assert normalise(transport.requests[0]["json"]) == normalise(body)


async def test_reasoning_item_without_follower() -> None:
    """The adapter never sends a reasoning item whose follower is not the item it preceded (the recorded 400)."""
    first, failed, retried = interactions(
        "error-400-reasoning-item-without-follower.pydantic-ai.yaml"
    )
    transport = ReplayTransport([first, failed, retried])
    provider = provider_for(transport, model="gpt-5")
    body0 = first.request_body
    response = await provider.complete(request_for(body0, conversation(body0, [])))
    reasoning = response.parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.id is not None
    assert reasoning.text.startswith("**Considering perspectives on meaning**")

    # The recorded client replayed the reasoning item before an edited answer, and got a 400 for it.
    body1 = failed.request_body
    assert [i.get("type") for i in body1["input"]] == [None, "reasoning", None, None]
    edited = [
        Message.user("What is the meaning of life?"),
        Message(role="assistant", parts=(reasoning, TextPart(text="The meaning of life is 42"))),
        Message.user("Anything to add?"),
    ]
    for history in (edited, [edited[0], response.message, edited[2]]):
        sent, _ = provider.build_body(request_for(body1, history))
        assert all(item.get("type") != "reasoning" for item in sent["input"]), sent["input"]

    # The server's answer to the recorded request is OpenAI's 400, typed (agentkit's own request, built from the
    # same items, leaves the reasoning item out).
    with pytest.raises(InvalidRequest) as caught:
        await provider.complete(request_for(body1, messages_from_items(body1["input"])))
    assert caught.value.status_code == 400
    assert "without its required following item" in caught.value.message
    assert [i.get("type") for i in transport.requests[1]["json"]["input"]] == [None, None, None]

    # The recorded retry (reasoning folded into <think> text) replays and parses.
    body2 = retried.request_body
    final = await provider.complete(request_for(body2, conversation(body2, [])))
    assert normalise(transport.requests[2]["json"]) == normalise(body2)
    assert final.text.startswith("Plenty.")
    assert final.usage.reasoning_tokens == 128


async def test_error_429_insufficient_quota() -> None:
    """insufficient_quota (HTTP 429, per the README) is RateLimited but not retryable, streaming or not."""
    body = json.loads(fixture("error-429-insufficient-quota.vercel-ai.body.json").read_text())
    request = ModelRequest(messages=[Message.user("hi")])
    errors = []
    with pytest.raises(RateLimited) as caught:
        await provider_for(ReplayTransport.from_bodies([(429, body)])).complete(request)
    errors.append(caught.value)
    with pytest.raises(RateLimited) as caught:
        await collect(provider_for(ReplayTransport.from_bodies([(429, body)])), request)
    errors.append(caught.value)
    for err in errors:
        assert err.retryable is False
        assert err.status_code == 429
        assert err.message.startswith("You exceeded your current quota")
        assert pickle.loads(pickle.dumps(err)).retryable is False


async def test_stream_error_insufficient_quota() -> None:
    """An error event mid-stream (HTTP 200) raises RateLimited(retryable=False) after what was yielded."""
    lines = (
        fixture("stream-error-insufficient-quota.vercel-ai.stream-chunks.jsonl")
        .read_text()
        .splitlines()
    )
    provider = provider_for(
        sse_transport(sse_from_chunks(lines, with_event_names=True)), model="gpt-5-nano"
    )
    seen: list[StreamEvent] = []
    with pytest.raises(RateLimited) as caught:
        await drain(provider, ModelRequest(messages=[Message.user("hi")]), seen)
    assert caught.value.retryable is False
    assert seen == []

    # Synthetic: text already streamed before the error is yielded first; response.failed alone is typed too.
    text = json.dumps(
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "delta": "Hel",
        }
    )
    for tail in (lines[2:], lines[3:]):
        provider = provider_for(
            sse_transport(sse_from_chunks([*lines[:2], text, *tail], with_event_names=True))
        )
        seen = []
        with pytest.raises(RateLimited) as caught:
            await drain(provider, ModelRequest(messages=[Message.user("hi")]), seen)
        assert seen == [TextDelta("Hel")]
        assert caught.value.retryable is False


# ------------------------------------------------------------------------------------- synthesized bad input


def _completed(output: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "resp_x", "model": "gpt-4o", "status": "completed", "output": output, **extra}


async def test_truncated_json_is_malformed() -> None:
    """A truncated JSON body raises MalformedResponse, not a JSON error."""
    provider = provider_for(
        ReplayTransport.from_bodies([(200, b'{"id": "resp_1", "output": [{"type"')])
    )
    with pytest.raises(MalformedResponse, match="not JSON"):
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))


async def test_html_error_page() -> None:
    """An HTML page instead of JSON is a typed error naming the page, for an error status or a 200."""
    html = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    )
    provider = provider_for(
        ReplayTransport.from_bodies([(502, html), (200, html)], content_type="text/html")
    )
    with pytest.raises(ProviderUnavailable, match="502 Bad Gateway"):
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    with pytest.raises(MalformedResponse, match="HTML"):
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))


def _stream_body() -> bytes:
    path: Path = fixture("sse/stream-tool-call-roundtrip.pydantic-ai.response-0.sse")
    return path.read_bytes()


async def test_sse_cut_mid_event() -> None:
    """A stream cut inside an event raises MalformedResponse after the deltas that arrived whole."""
    raw = _stream_body()
    cut = raw[: raw.index(b'"type":"response.completed"') + 40]
    provider = provider_for(sse_transport(cut))
    seen: list[StreamEvent] = []
    with pytest.raises(MalformedResponse, match=r"cut mid-event"):
        await drain(provider, ModelRequest(messages=[Message.user("x")]), seen)
    assert (
        "".join(e.arguments for e in seen if isinstance(e, ToolCallDelta)) == '{"country":"France"}'
    )


async def test_sse_without_completed() -> None:
    """A stream that ends cleanly but without response.completed raises MalformedResponse."""
    raw = _stream_body()
    cut = raw[: raw.index(b"event: response.completed")]
    provider = provider_for(sse_transport(cut))
    with pytest.raises(MalformedResponse, match=r"response\.completed"):
        await collect(provider, ModelRequest(messages=[Message.user("x")]))


async def test_unknown_event_and_item_types_are_ignored() -> None:
    """Unknown stream events and output item types change nothing."""
    raw = _stream_body().decode()
    unknown = (
        'event: response.hologram.delta\ndata: {"type":"response.hologram.delta","delta":"?"}\n\n'
    )
    nameless = 'data: {"type":"response.future_marker","sequence_number":99}\n\n'
    marker = "event: response.output_item.done"
    patched = raw.replace(marker, unknown + nameless + marker, 1).encode()
    base = await collect(
        provider_for(sse_transport(_stream_body())), ModelRequest(messages=[Message.user("x")])
    )
    events = await collect(
        provider_for(sse_transport(patched)), ModelRequest(messages=[Message.user("x")])
    )
    assert events == base

    body = _completed(
        [
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi"}, {"type": "hologram"}],
            },
        ]
    )
    response = await provider_for(ReplayTransport.from_bodies([(200, body)])).complete(
        ModelRequest(messages=[Message.user("hi")])
    )
    assert response.parts == (TextPart(text="Hi"),)


async def test_read_timeout() -> None:
    """An httpx read timeout becomes ProviderTimeout (retryable), for complete and stream."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    provider = provider_for(httpx.MockTransport(handler))
    request = ModelRequest(messages=[Message.user("hi")])
    with pytest.raises(ProviderTimeout) as caught:
        await provider.complete(request)
    assert caught.value.retryable
    with pytest.raises(ProviderTimeout):
        await collect(provider, request)


async def test_deltas_disagreeing_with_final_response() -> None:
    """Deltas that disagree with response.completed raise MalformedResponse instead of a silent mismatch."""
    chunks = [
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "delta": "Hello",
        },
        {
            "type": "response.completed",
            "response": _completed(
                [
                    {
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": "Bye"}],
                    }
                ]
            ),
        },
    ]
    sse = sse_from_chunks([json.dumps(c) for c in chunks], with_event_names=True)
    with pytest.raises(MalformedResponse, match="disagrees"):
        await collect(provider_for(sse_transport(sse)), ModelRequest(messages=[Message.user("x")]))


async def test_stream_without_deltas_sends_whole_items() -> None:
    """A server that sends only output_item.done still yields the text and arguments once, in order."""
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "now",
        "arguments": "{}",
    }
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Ok"}],
    }
    chunks = [
        {"type": "response.output_item.done", "output_index": 0, "item": message},
        {"type": "response.output_item.done", "output_index": 1, "item": call},
        {"type": "response.completed", "response": _completed([])},
    ]
    sse = sse_from_chunks([json.dumps(c) for c in chunks], with_event_names=True)
    events = await collect(
        provider_for(sse_transport(sse)), ModelRequest(messages=[Message.user("x")])
    )
    assert events[:2] == [
        TextDelta("Ok"),
        ToolCallDelta(index=0, id="call_1", name="now", arguments="{}"),
    ]
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.response.text == "Ok"
    assert done.response.finish_reason == "tool_calls"


async def test_stream_answered_with_json() -> None:
    """A server that ignores stream=true and answers one JSON object still streams deltas and StreamDone."""
    body = _completed(
        [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "think"}],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi"}],
            },
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "now",
                "arguments": "{}",
            },
        ]
    )
    events = await collect(
        provider_for(ReplayTransport.from_bodies([(200, body)])),
        ModelRequest(messages=[Message.user("x")]),
    )
    assert events[:3] == [
        ReasoningDelta("think"),
        TextDelta("Hi"),
        ToolCallDelta(index=0, id="call_1", name="now", arguments="{}"),
    ]
    assert isinstance(events[-1], StreamDone)


async def test_reasoning_summary_parts_stream_with_separators() -> None:
    """Reasoning summary deltas of several summary parts join exactly like the final reasoning text."""
    item = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}],
    }
    chunks = [
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "a",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 1,
            "delta": "b",
        },
        {"type": "response.completed", "response": _completed([item])},
    ]
    sse = sse_from_chunks([json.dumps(c) for c in chunks], with_event_names=True)
    events = await collect(
        provider_for(sse_transport(sse)), ModelRequest(messages=[Message.user("x")])
    )
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "a\n\nb"
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.response.parts == (ReasoningPart(text="a\n\nb", id="rs_1", provider="openai"),)


# ------------------------------------------------------------------------------------- finish reasons & parts


@pytest.mark.parametrize(
    ("status", "details", "finish"),
    [
        ("incomplete", {"reason": "max_output_tokens"}, "length"),
        ("incomplete", {"reason": "content_filter"}, "content_filter"),
        ("incomplete", None, "other"),
        ("cancelled", None, "other"),
    ],
)
def test_incomplete_finish_reasons(status: str, details: Any, finish: str) -> None:
    """status/incomplete_details map to the neutral finish reason; the raw word is kept."""
    provider = OpenAIResponsesProvider("gpt-4o", api_key=API_KEY)
    body = {
        "status": status,
        "incomplete_details": details,
        "output": [{"type": "message", "content": [{"type": "output_text", "text": "Par"}]}],
    }
    response = provider.parse_response(body)
    assert response.finish_reason == finish
    assert response.raw_finish_reason == ((details or {}).get("reason") or status)


def test_refusal_part() -> None:
    """A refusal content part becomes a RefusalPart and finish reason refusal."""
    provider = OpenAIResponsesProvider("gpt-4o", api_key=API_KEY)
    body = _completed(
        [
            {
                "type": "message",
                "content": [{"type": "refusal", "refusal": "I can't help with that."}],
            }
        ]
    )
    response = provider.parse_response(body)
    assert response.parts == (RefusalPart(text="I can't help with that."),)
    assert response.finish_reason == "refusal"


def test_failed_response_body_is_typed() -> None:
    """A response object with status failed raises the typed error of its error object."""
    provider = OpenAIResponsesProvider("gpt-4o", api_key=API_KEY)
    with pytest.raises(ProviderUnavailable, match="boom"):
        provider.parse_response(
            {"status": "failed", "error": {"code": "server_error", "message": "boom"}, "output": []}
        )
    with pytest.raises(MalformedResponse):
        provider.parse_response([1, 2])
    with pytest.raises(MalformedResponse, match="no output"):
        provider.parse_response({"status": "completed"})


def test_invalid_arguments_are_kept_for_repair() -> None:
    """A call whose arguments are not JSON keeps them verbatim so the runtime can ask for a repair."""
    provider = OpenAIResponsesProvider("gpt-4o", api_key=API_KEY)
    body = _completed(
        [
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "f",
                "arguments": '{"a": ',
            }
        ]
    )
    (call,) = provider.parse_response(body).tool_calls
    assert call.arguments == '{"a":'
    assert not call.arguments_are_json


# ------------------------------------------------------------------------------------- request building

SEARCH = ToolContract(
    name="search.flights",
    description="Search flights.",
    input_schema={
        "type": "object",
        "properties": {"to": {"type": "string"}, "limit": {"type": "integer", "default": 10}},
        "required": ["to"],
    },
)


def test_request_shape_settings_and_tools() -> None:
    """Settings, tools (flat, wire names), named tool choice, output format and extra_body land where the API wants."""
    provider = OpenAIResponsesProvider("gpt-4.1", api_key=API_KEY)
    request = ModelRequest(
        messages=[
            Message.system("Be brief."),
            Message.user("hi"),
            Message.system("Now in French."),
            Message.user("re"),
        ],
        tools=[SEARCH],
        tool_choice=NamedToolChoice("search.flights"),
        output=OutputFormat(name="answer", schema={"type": "object"}, description="The answer."),
        settings=ModelSettings(
            temperature=0.2,
            top_p=0.9,
            max_tokens=64,
            parallel_tool_calls=False,
            seed=7,
            extra_body={"service_tier": "flex"},
        ),
    )
    body, by_wire = provider.build_body(request)
    wire = body["tools"][0]["name"]
    assert wire != "search.flights"
    assert by_wire[wire].name == "search.flights"
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"role": "user", "content": "hi"},
        {"role": "developer", "content": "Now in French."},
        {"role": "user", "content": "re"},
    ]
    assert body["tools"][0]["description"] == "Search flights."
    assert body["tools"][0]["strict"] is True
    assert "function" not in body["tools"][0]
    assert body["tool_choice"] == {"type": "function", "name": wire}
    assert body["text"] == {
        "format": {
            "type": "json_schema",
            "name": "answer",
            "schema": {"type": "object"},
            "strict": True,
            "description": "The answer.",
        }
    }
    assert (
        body["temperature"],
        body["top_p"],
        body["max_output_tokens"],
        body["parallel_tool_calls"],
    ) == (0.2, 0.9, 64, False)
    assert "seed" not in body
    assert "store" not in body
    assert body["service_tier"] == "flex"
    assert body["stream"] is False


def test_reasoning_profile_drops_sampling_and_runs_stateless() -> None:
    """Reasoning models get store false + encrypted reasoning, and no temperature/top_p."""
    provider = OpenAIResponsesProvider("o4-mini", api_key=API_KEY)
    body, _ = provider.build_body(
        ModelRequest(
            messages=[Message.user("hi")], settings=ModelSettings(temperature=0.5, top_p=0.5)
        )
    )
    assert "temperature" not in body
    assert "top_p" not in body
    assert body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]
    assert OpenAIResponsesProvider("gpt-5-chat-latest", api_key=API_KEY).profile.reasoning is False


def test_system_role_profile_sends_input_items() -> None:
    """A profile with system_role "developer" sends every system message as an input item."""
    profile = ModelProfile(dialect="openai-auto", system_role="developer")
    provider = OpenAIResponsesProvider("gpt-4.1", api_key=API_KEY, profile=profile)
    body, _ = provider.build_body(
        ModelRequest(messages=[Message.system("Be brief."), Message.user("hi")])
    )
    assert "instructions" not in body
    assert body["input"][0] == {"role": "developer", "content": "Be brief."}


def test_non_strict_dialect_says_strict_false() -> None:
    """The API defaults strict to true, so a non-strict dialect must say false."""
    provider = OpenAIResponsesProvider(
        "gpt-4.1", api_key=API_KEY, profile=ModelProfile(dialect="openai", system_role="top-level")
    )
    body, _ = provider.build_body(ModelRequest(messages=[Message.user("hi")], tools=[SEARCH]))
    assert body["tools"][0]["strict"] is False


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        (
            ModelRequest(messages=[Message.user("hi")], settings=ModelSettings(stop=("x",))),
            "stop sequences",
        ),
        (ModelRequest(messages=[Message.user("hi")], tool_choice="required"), "needs tools"),
        (
            ModelRequest(
                messages=[Message.user("hi")],
                tools=[SEARCH],
                tool_choice=NamedToolChoice("search.flight"),
            ),
            "did you mean",
        ),
    ],
)
def test_unsupported_requests_raise_usage_error(request_: ModelRequest, match: str) -> None:
    """Requests the Responses API cannot carry fail before any network call, with the fix."""
    with pytest.raises(UsageError, match=match):
        OpenAIResponsesProvider("gpt-4.1", api_key=API_KEY).build_body(request_)


def test_history_from_other_providers_and_reasoning_rules() -> None:
    """Foreign reasoning is dropped; ours is sent only before the call it preceded; tool results follow calls."""
    provider = OpenAIResponsesProvider("gpt-5", api_key=API_KEY)
    ours = ReasoningPart(text="plan", id="rs_1", encrypted="gAAA", provider="openai")
    call = ToolCallPart(
        id="call_1",
        name="search.flights",
        arguments='{"to":"LIS","limit":10}',
        provider_details={"item_id": "fc_1"},
    )
    foreign_call = ToolCallPart(id="toolu_1", name="search.flights", arguments='{"to":"OPO"}')
    history = [
        Message.user("fly"),
        Message(
            role="assistant",
            parts=(ReasoningPart(text="x", signature="sig", provider="anthropic"), foreign_call),
        ),
        Message(
            role="tool",
            parts=(ToolResultPart(tool_call_id="toolu_1", name="search.flights", content="[]"),),
        ),
        Message(
            role="assistant", parts=(ours.model_copy(update={"encrypted": None}), call)
        ),  # stateless: needs encrypted
        Message(
            role="tool",
            parts=(ToolResultPart(tool_call_id="call_1", name="search.flights", content="[]"),),
        ),
        Message(
            role="assistant",
            parts=(
                ours.model_copy(update={"id": "rs_2"}),
                ours.model_copy(update={"id": "rs_3"}),
                call,
            ),
        ),
        Message(
            role="user",
            parts=(
                ToolResultPart(tool_call_id="call_1", name="search.flights", content="[1]"),
                TextPart(text="and?"),
            ),
        ),
        Message(role="assistant", parts=(ours, TextPart(text="Done."), RefusalPart(text=""))),
    ]
    body, _ = provider.build_body(ModelRequest(messages=history, tools=[SEARCH]))
    summary = [
        (i.get("type") or i["role"], i.get("id") or i.get("call_id") or i.get("content"))
        for i in body["input"]
    ]
    assert summary == [
        ("user", "fly"),
        ("function_call", "toolu_1"),
        ("function_call_output", "toolu_1"),
        ("function_call", "fc_1"),
        ("function_call_output", "call_1"),
        ("reasoning", "rs_2"),
        ("reasoning", "rs_3"),
        ("function_call", "fc_1"),
        ("function_call_output", "call_1"),
        ("user", "and?"),
        ("assistant", "Done."),
    ]
    # Canonical arguments are encoded back to the dialect (a missing optional field is null under strict).
    assert json.loads(body["input"][1]["arguments"]) == {"to": "OPO", "limit": None}


async def test_calls_decode_to_canonical_names() -> None:
    """Calls come back under the contract's canonical name, with dialect nulls restored to defaults."""
    provider = OpenAIResponsesProvider("gpt-4.1", api_key=API_KEY)
    _, by_wire = provider.build_body(ModelRequest(messages=[Message.user("hi")], tools=[SEARCH]))
    (wire,) = by_wire
    body = _completed(
        [
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": wire,
                "arguments": '{"to":"LIS","limit":null}',
            }
        ]
    )
    (call,) = provider.parse_response(body, by_wire).tool_calls
    assert call.name == "search.flights"
    assert json.loads(call.arguments) == {
        "to": "LIS",
        "limit": 10,
    }


# ------------------------------------------------------------------------------------- secrets and wiring


async def test_api_key_never_leaks() -> None:
    """The key is sent as a bearer token and appears in no repr, error or dump."""
    body = json.loads(fixture("error-429-insufficient-quota.vercel-ai.body.json").read_text())
    transport = ReplayTransport.from_bodies([(200, _completed([])), (429, body)])
    provider = provider_for(transport)
    response = await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    with pytest.raises(RateLimited) as caught:
        await provider.complete(ModelRequest(messages=[Message.user("hi")]))
    assert transport.requests[0]["headers"]["authorization"] == f"Bearer {API_KEY}"
    assert transport.requests[0]["url"] == "https://api.openai.com/v1/responses"
    texts = [
        repr(provider),
        str(caught.value),
        repr(caught.value),
        response.model_dump_json(),
        repr(response),
        repr(provider.profile),
    ]
    assert all(API_KEY not in t for t in texts)


def test_infer_provider_and_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The prefix "openai-responses:MODEL" builds this adapter; the key comes from OPENAI_API_KEY; none is a UsageError."""
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    provider = infer_provider("openai-responses:gpt-5-mini", retry=None)
    assert isinstance(provider, OpenAIResponsesProvider)
    assert provider.profile.reasoning
    assert API_KEY not in repr(provider)
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(UsageError, match="OPENAI_API_KEY"):
        OpenAIResponsesProvider("gpt-4.1")


async def test_stream_incomplete_is_a_final_response() -> None:
    """response.incomplete ends a stream like response.completed, with the length finish reason."""
    final = _completed(
        [{"type": "message", "content": [{"type": "output_text", "text": "Par"}]}],
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
    )
    chunks = [
        {"type": "response.created", "response": {**final, "status": "in_progress", "output": []}},
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "delta": "Par",
        },
        {"type": "response.incomplete", "response": final},
    ]
    sse = sse_from_chunks([json.dumps(c) for c in chunks], with_event_names=True)
    events = await collect(
        provider_for(sse_transport(sse)), ModelRequest(messages=[Message.user("x")])
    )
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.response.finish_reason == "length"
    assert done.response.text == "Par"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"type": "server_error", "code": "server_error", "message": "oops"}, ProviderUnavailable),
        (
            {
                "code": "context_length_exceeded",
                "message": "Your input exceeds the context window.",
            },
            InvalidRequest,
        ),
        ({"code": "invalid_prompt", "message": "bad prompt"}, InvalidRequest),
        ("plain words", ProviderUnavailable),
    ],
)
async def test_stream_error_events_are_typed(error: Any, expected: type[Exception]) -> None:
    """Every in-stream error event shape becomes a typed ProviderError with the provider's message."""
    sse = sse_from_chunks([json.dumps({"type": "error", "error": error})], with_event_names=True)
    with pytest.raises(expected):
        await collect(provider_for(sse_transport(sse)), ModelRequest(messages=[Message.user("x")]))
