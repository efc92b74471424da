"""The test doubles in ``agentkit.testing``: FakeProvider, FunctionProvider, MockClock, replay of recorded traffic."""

from __future__ import annotations

import gzip
import json
import math
import runpy
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from agentkit import Clock
from agentkit.exceptions import RateLimited, UsageError
from agentkit.messages import (
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from agentkit.providers import (
    ModelProfile,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    Provider,
    ReasoningDelta,
    StreamDone,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from agentkit.providers._sse import iter_sse
from agentkit.testing import (
    FakeProvider,
    FunctionProvider,
    MockClock,
    ReplayTransport,
    ScriptedResponse,
    load_cassette,
    sse_from_chunks,
)

pytestmark = pytest.mark.anyio

REQUEST = ModelRequest(messages=[Message.user("Weather in Lisbon?")])
CALL = ToolCallPart(
    id="call_1", name="get_weather", arguments='{"city": "Lisbon", "unit": "celsius"}'
)


# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))


def fixture(relative: str) -> Path:
    path: Path = _fixtures["fixture"](relative)
    return path


async def collect(provider: Provider, request: ModelRequest = REQUEST) -> list[StreamEvent]:
    return [event async for event in provider.stream(request)]


def reassemble(events: list[StreamEvent]) -> dict[str, Any]:
    """What a consumer of the deltas alone would rebuild: text, reasoning and tool calls."""
    text, reasoning = "", ""
    calls: dict[int, dict[str, str]] = {}
    for event in events:
        if isinstance(event, TextDelta):
            text += event.text
        elif isinstance(event, ReasoningDelta):
            reasoning += event.text
        elif isinstance(event, ToolCallDelta):
            call = calls.setdefault(event.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = event.id or call["id"]
            call["name"] = event.name or call["name"]
            call["arguments"] += event.arguments
    return {"text": text, "reasoning": reasoning, "calls": [calls[i] for i in sorted(calls)]}


# ------------------------------------------------------------------------------------------ FakeProvider


async def test_fake_text_answer() -> None:
    """A scripted string becomes a text response that names the fake provider and model."""
    response = await FakeProvider(["It is sunny."], model="fake-weather").complete(REQUEST)
    assert response.text == "It is sunny."
    assert (response.finish_reason, response.provider, response.model, response.response_id) == (
        "stop",
        "fake",
        "fake-weather",
        "fake-1",
    )
    assert response.usage == Usage()


async def test_fake_tool_calls_answer() -> None:
    """A list of tool calls becomes a ``tool_calls`` response holding them in order."""
    second = ToolCallPart(id="call_2", name="get_time", arguments="{}")
    response = await FakeProvider([[CALL, second]]).complete(REQUEST)
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == (CALL, second)
    assert response.message.role == "assistant"


async def test_fake_mixed_parts_and_model_response() -> None:
    """Parts without a tool call finish with ``stop``; a ``ModelResponse`` is returned as it was scripted."""
    scripted = ModelResponse(parts=(TextPart(text="x"),), finish_reason="length", provider="openai")
    provider = FakeProvider([[TextPart(text="a"), RefusalPart(text="no")], scripted])
    first = await provider.complete(REQUEST)
    assert (first.finish_reason, first.text) == ("stop", "a")
    assert await provider.complete(REQUEST) is scripted


async def test_fake_answers_in_order_and_records_requests() -> None:
    """Answers are consumed in order by ``complete`` and ``stream`` alike, and every request is kept."""
    provider = FakeProvider(["one", "two", "three"])
    second_request = ModelRequest(messages=[Message.user("again")])
    assert (await provider.complete(REQUEST)).text == "one"
    events = await collect(provider, second_request)
    assert isinstance(events[-1], StreamDone)
    assert events[-1].response.text == "two"
    assert (await provider.complete(REQUEST)).response_id == "fake-3"
    assert provider.requests == [REQUEST, second_request, REQUEST]
    assert provider.remaining == 0


async def test_fake_raises_scripted_exceptions() -> None:
    """An exception in the script is raised for that call; the next call gets the next answer."""
    limited = RateLimited("slow down", provider="fake", status_code=429, retry_after=2.0)
    provider = FakeProvider([limited, "recovered"])
    with pytest.raises(RateLimited) as info:
        await provider.complete(REQUEST)
    assert info.value is limited
    assert (await provider.complete(REQUEST)).text == "recovered"
    assert len(provider.requests) == 2


async def test_fake_stream_raises_before_any_event() -> None:
    """A scripted exception on a stream is raised before the first event, as a real error status would be."""
    provider = FakeProvider([TimeoutError("no answer")])
    seen: list[StreamEvent] = []

    async def consume() -> None:
        async for event in provider.stream(REQUEST):
            seen.append(event)

    with pytest.raises(TimeoutError):
        await consume()
    assert seen == []


async def test_fake_stream_consumes_nothing_until_iterated() -> None:
    """Calling ``stream()`` sends nothing until iteration starts, like a real adapter."""
    provider = FakeProvider(["a"])
    stream = provider.stream(REQUEST)
    assert (provider.remaining, provider.requests) == (1, [])
    expected = await FakeProvider(["a"]).complete(REQUEST)
    assert [e async for e in stream][-1] == StreamDone(expected)
    assert provider.remaining == 0


async def test_fake_running_out_fails_clearly() -> None:
    """A request past the end of the script is an ``AssertionError`` saying how many were scripted and what came."""
    provider = FakeProvider(["only"])
    await provider.complete(REQUEST)
    with pytest.raises(
        AssertionError, match=r"ran out of scripted responses: request #2 .* only 1 were"
    ) as info:
        await provider.complete(REQUEST)
    assert "user 'Weather in Lisbon?'" in str(info.value)
    with pytest.raises(AssertionError, match="request #3"):
        await collect(provider)
    empty = FakeProvider()
    with pytest.raises(AssertionError, match=r"last message: none"):
        await empty.complete(ModelRequest(messages=[]))


async def test_fake_add_extends_the_script() -> None:
    """``add`` appends answers after the scripted ones."""
    provider = FakeProvider(["a"])
    provider.add("b", [CALL])
    assert provider.remaining == 3
    assert [(await provider.complete(REQUEST)).finish_reason for _ in range(3)] == [
        "stop",
        "stop",
        "tool_calls",
    ]


@pytest.mark.parametrize(
    ("item", "what"),
    [
        (42, "int"),
        ([CALL, "text"], "a list holding str"),
        (b"bytes", "bytes"),
        ({"text": "x"}, "dict"),
    ],
)
def test_fake_rejects_unusable_script_items(item: Any, what: str) -> None:
    """A script item that is not an answer is a ``UsageError`` when scripted, not a puzzle at call time."""
    with pytest.raises(UsageError, match=f"FakeProvider cannot answer with {what}:"):
        FakeProvider([item])
    with pytest.raises(UsageError, match="or an exception to raise"):
        FakeProvider().add(item)


async def test_fake_profile_model_and_usage_are_configurable() -> None:
    """The profile, model name and usage code under test sees are the ones given."""
    profile = ModelProfile(dialect="anthropic", sampling="one", system_role="top-level")
    usage = Usage(input_tokens=12, output_tokens=3)
    provider = FakeProvider(["x"], model="claude-fake", profile=profile, usage=usage)
    assert (provider.profile, provider.model) == (profile, "claude-fake")
    assert (await provider.complete(REQUEST)).usage == usage
    assert FakeProvider().profile == ModelProfile()
    assert repr(provider) == "FakeProvider(model='claude-fake')"


async def test_fake_is_a_provider_and_a_context_manager() -> None:
    """It is a real ``Provider``: usable wherever one is expected, including ``async with``."""
    async with FakeProvider(["x"]) as provider:
        assert isinstance(provider, Provider)
        assert (await provider.complete(REQUEST)).text == "x"


RICH = ModelResponse(
    parts=(
        ReasoningPart(text="The user wants weather, then time.", signature="sig", provider="fake"),
        TextPart(text="Let me check both. "),
        ToolCallPart(id="call_a", name="get_weather", arguments='{"city": "Lisbon"}'),
        ToolCallPart(id="call_b", name="get_time", arguments=""),
        ToolCallPart(
            id="call_c", name="lookup", arguments='{"q": "a long query that spans fragments"}'
        ),
        RefusalPart(text="Not that."),
    ),
    finish_reason="tool_calls",
    usage=Usage(input_tokens=10, output_tokens=5),
    provider="fake",
)

SCRIPTS: list[ScriptedResponse] = [
    "Hello, world!",
    "",
    "  leading and trailing spaces  \n",
    "multi\nline\n\n text",
    [CALL],
    [TextPart(text="Checking. "), CALL, ToolCallPart(id="c2", name="f", arguments="{}")],
    RICH,
]


@pytest.mark.parametrize("item", SCRIPTS)
async def test_fake_stream_ends_with_what_complete_returns(item: ScriptedResponse) -> None:
    """The stream's ``StreamDone`` equals ``complete()``'s answer, and the deltas rebuild its text and calls."""
    expected = await FakeProvider([item]).complete(REQUEST)
    events = await collect(FakeProvider([item]))
    assert sum(isinstance(e, StreamDone) for e in events) == 1
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.response == expected
    rebuilt = reassemble(events)
    assert rebuilt["text"] == expected.text
    assert rebuilt["reasoning"] == "".join(
        p.text for p in expected.parts if isinstance(p, ReasoningPart)
    )
    assert rebuilt["calls"] == [
        {"id": c.id, "name": c.name, "arguments": c.arguments} for c in expected.tool_calls
    ]


async def test_fake_stream_splits_text_and_arguments() -> None:
    """Text arrives in word-sized chunks; a tool call as id and name first, then argument fragments."""
    events = await collect(FakeProvider([RICH]))
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert texts == ["Let ", "me ", "check ", "both. "]
    first_call = [e for e in events if isinstance(e, ToolCallDelta) and e.index == 0]
    assert first_call[0] == ToolCallDelta(index=0, id="call_a", name="get_weather")
    assert len(first_call) > 2
    assert all(e.id is None and e.name is None and e.arguments for e in first_call[1:])
    # A call without arguments streams only its header.
    assert [e for e in events if isinstance(e, ToolCallDelta) and e.index == 1] == [
        ToolCallDelta(index=1, id="call_b", name="get_time")
    ]


@given(text=st.text(max_size=200))
def test_fake_text_deltas_rebuild_any_text(text: str) -> None:
    """For any text, the deltas are non-empty and join back to it exactly."""
    events = anyio.run(collect, FakeProvider([text]))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert all(deltas)
    assert "".join(deltas) == text


# -------------------------------------------------------------------------------------- FunctionProvider


async def test_function_provider_sync_callback() -> None:
    """A plain function decides the answer from the request; requests are recorded."""
    seen: list[ModelRequest] = []

    def answer(request: ModelRequest) -> str:
        seen.append(request)
        return f"{len(request.messages)} message(s)"

    provider = FunctionProvider(answer, model="fn")
    response = await provider.complete(REQUEST)
    assert (response.text, response.provider, response.model) == ("1 message(s)", "function", "fn")
    assert seen == provider.requests == [REQUEST]


async def test_function_provider_async_callback_drives_a_tool_loop() -> None:
    """An async callback can play a model in a tool loop: call a tool, then answer from its result."""

    async def model(request: ModelRequest) -> str | list[ToolCallPart]:
        await anyio.lowlevel.checkpoint()
        results = request.messages[-1].tool_results
        if not results:
            return [CALL]
        return f"The weather: {results[0].content}"

    provider = FunctionProvider(model)
    first = await provider.complete(REQUEST)
    assert first.tool_calls == (CALL,)
    history = [
        *REQUEST.messages,
        first.message,
        Message(
            role="tool",
            parts=(ToolResultPart(tool_call_id="call_1", name="get_weather", content="21C"),),
        ),
    ]
    events = await collect(provider, ModelRequest(messages=history))
    final = events[-1]
    assert isinstance(final, StreamDone)
    assert final.response.text == "The weather: 21C"
    assert len(provider.requests) == 2


async def test_function_provider_returns_model_responses_and_raises() -> None:
    """A returned ``ModelResponse`` is used as is; an exception from the callback propagates, stream included."""
    canned = ModelResponse(parts=(TextPart(text="canned"),), provider="x")

    def answer(request: ModelRequest) -> ModelResponse:
        if request.settings.max_tokens == 1:
            raise RateLimited("slow", provider="function")
        return canned

    provider = FunctionProvider(answer)
    assert await provider.complete(REQUEST) is canned
    assert (await collect(provider))[-1] == StreamDone(canned)
    tight = ModelRequest(messages=REQUEST.messages, settings=ModelSettings(max_tokens=1))
    with pytest.raises(RateLimited):
        await provider.complete(tight)
    with pytest.raises(RateLimited):
        await collect(provider, tight)


async def test_function_provider_rejects_unusable_answers() -> None:
    """A callback returning something that is not an answer is a ``UsageError`` naming what it returned."""
    provider = FunctionProvider(lambda request: 3.14)  # type: ignore[arg-type,return-value]
    with pytest.raises(UsageError, match="FunctionProvider cannot answer with float") as info:
        await provider.complete(REQUEST)
    assert "exception" not in info.value.message


async def test_function_provider_profile_and_repr() -> None:
    """Profile and model are configurable, and the repr names the callback."""

    def decide(request: ModelRequest) -> str:
        return "x"

    profile = ModelProfile(parallel_tool_calls=False)
    provider = FunctionProvider(decide, profile=profile, usage=Usage(output_tokens=1))
    assert provider.profile is profile
    assert (await provider.complete(REQUEST)).usage.output_tokens == 1
    assert "decide" in repr(provider)


# --------------------------------------------------------------------------------------------- MockClock


def test_mock_clock_is_a_clock_and_deterministic() -> None:
    """It satisfies the ``Clock`` protocol and two fresh clocks read the same times."""
    clock = MockClock()
    assert isinstance(clock, Clock)
    assert clock.now() == MockClock().now() == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert clock.now().tzinfo is not None
    assert clock.monotonic() == clock.monotonic() == 0.0


def test_mock_clock_advance_moves_both_readings() -> None:
    """``advance`` moves wall time and the monotonic reading by the same amount."""
    clock = MockClock(monotonic_start=100.0)
    start = clock.now()
    clock.advance(2.5)
    clock.advance(0)
    assert clock.now() - start == timedelta(seconds=2.5)
    assert clock.monotonic() == 102.5


def test_mock_clock_set_moves_wall_time_only() -> None:
    """``set`` jumps the wall time (forwards or backwards) and leaves monotonic time alone."""
    clock = MockClock()
    clock.advance(10)
    clock.set(datetime(2020, 2, 29, 12, 0, tzinfo=timezone(timedelta(hours=5))))
    assert clock.now() == datetime(2020, 2, 29, 7, 0, tzinfo=timezone.utc)
    assert clock.now().utcoffset() == timedelta(hours=5)
    assert clock.monotonic() == 10.0


@pytest.mark.parametrize("seconds", [-1.0, math.inf, math.nan, -math.inf])
def test_mock_clock_never_goes_backwards(seconds: float) -> None:
    """Negative or non-finite advances are a ``UsageError`` that points at ``set``."""
    with pytest.raises(UsageError, match="use set"):
        MockClock().advance(seconds)


def test_mock_clock_rejects_naive_datetimes() -> None:
    """A naive datetime (no tzinfo) is refused, at construction and in ``set``."""
    with pytest.raises(UsageError, match="timezone-aware"):
        MockClock(datetime(2026, 1, 1))
    with pytest.raises(UsageError, match=r"tzinfo=timezone\.utc"):
        MockClock().set(datetime(2026, 1, 1))


def test_mock_clock_tick_advances_after_each_reading() -> None:
    """With ``tick``, each reading moves the clock on, so measured durations are positive and predictable."""
    clock = MockClock(tick=0.5)
    assert [clock.monotonic(), clock.monotonic(), clock.monotonic()] == [0.0, 0.5, 1.0]
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=timezone.utc)
    with pytest.raises(UsageError, match="tick"):
        MockClock(tick=-1)


def test_mock_clock_repr() -> None:
    """The repr shows both readings."""
    assert repr(MockClock()) == "MockClock(now='2026-01-01T00:00:00+00:00', monotonic=0.0)"


# -------------------------------------------------------------------------------------- ReplayTransport


async def test_replay_transport_from_a_real_cassette() -> None:
    """A recorded cassette is served in order; what the client sent is recorded; extra requests fail."""
    path = fixture("openai-chat/plain-text.pydantic-ai.yaml")
    transport = ReplayTransport.from_cassette(path)
    recorded = load_cassette(path).interactions[0]
    async with httpx.AsyncClient(transport=transport.mock()) as client:
        response = await client.post(
            "https://api.openai.com/v1/chat/completions", json=recorded.request_body
        )
        assert response.status_code == recorded.status == 200
        assert response.json() == recorded.json
        assert response.json()["choices"][0]["message"]["role"] == "assistant"
        with pytest.raises(AssertionError, match="no recorded interaction left for POST"):
            await client.post("https://api.openai.com/v1/chat/completions", json={})
    assert [r["json"] for r in transport.requests] == [recorded.request_body, {}]
    assert transport.requests[0]["url"] == "https://api.openai.com/v1/chat/completions"
    assert transport.requests[0]["method"] == "POST"


async def test_replay_transport_streams_a_recorded_sse_body() -> None:
    """A recorded event stream is replayed byte for byte and parses into its events."""
    path = fixture("openai-chat/stream-parallel-tool-calls-roundtrip.pydantic-ai.yaml")
    transport = ReplayTransport.from_cassette(path)
    first = load_cassette(path).interactions[0]
    assert first.is_sse
    async with (
        httpx.AsyncClient(transport=transport.mock()) as client,
        client.stream("POST", "https://api.openai.com/v1/chat/completions", json={}) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [event async for event in iter_sse(response.aiter_bytes())]
    assert events[-1].data == "[DONE]"
    assert len(transport.interactions) == 2


def test_replay_transport_from_bodies() -> None:
    """Bare bodies are served with their status: dicts as JSON, strings and bytes as they are."""
    transport = ReplayTransport.from_bodies(
        [(200, {"ok": True}), (429, "slow down"), (200, b"data: {}\n\n")],
        content_type="text/plain",
        headers={"retry-after": "3"},
    )
    with httpx.Client(transport=transport.mock()) as client:
        first = client.post("https://x.invalid/a", content=b"not json")
        second = client.get("https://x.invalid/b")
        third = client.post("https://x.invalid/c", json=[1])
    assert (first.status_code, first.json()) == (200, {"ok": True})
    assert (second.status_code, second.text, second.headers["retry-after"]) == (
        429,
        "slow down",
        "3",
    )
    assert third.content == b"data: {}\n\n"
    assert third.headers["content-type"] == "text/plain"
    assert [r["json"] for r in transport.requests] == ["not json", None, [1]]


# ---------------------------------------------------------------------------------------- load_cassette


def test_load_pydantic_ai_cassette() -> None:
    """A pydantic-ai cassette gives parsed request bodies, lower-case headers and JSON response bytes."""
    cassette = load_cassette(fixture("openai-chat/tool-call-roundtrip.pydantic-ai.yaml"))
    assert len(cassette.interactions) == 2
    first, second = cassette.interactions
    assert first.method == "POST"
    assert first.uri == "https://api.openai.com/v1/chat/completions"
    assert isinstance(first.request_body, dict)
    assert "messages" in first.request_body
    assert first.headers["content-type"].startswith("application/json")
    assert all(name == name.lower() for name in first.headers)
    assert first.json["choices"][0]["finish_reason"] == "tool_calls"
    # The second turn replays the first turn's tool call with its result.
    roles = [m["role"] for m in second.request_body["messages"]]
    assert roles[-2:] == ["assistant", "tool"]


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("openai-chat/tool-call-chain-3-turns.llm.yaml", 3),
        ("gemini/stream-tool-calls-snake-case-request.llm-gemini.yaml", 3),
    ],
)
def test_load_vcrpy_gzip_cassette(name: str, count: int) -> None:
    """A vcrpy cassette whose bodies are gzip bytes on disk is loaded decompressed, its request JSON parsed."""
    path = fixture(name)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    on_disk = raw["interactions"][0]["response"]["body"]["string"]
    assert isinstance(on_disk, bytes)
    assert on_disk[:2] == b"\x1f\x8b"
    cassette = load_cassette(path)
    assert len(cassette.interactions) == count
    first = cassette.interactions[0]
    assert first.body == gzip.decompress(on_disk)
    assert first.json  # decompressed, valid JSON (an object, or Gemini's streamed array)
    assert "content-encoding" not in first.headers
    assert "content-type" in first.headers  # wire-case "Content-Type" lower-cased
    assert isinstance(first.request_body, dict)
    assert first.request_body.get("contents") or first.request_body.get("messages")


def test_loaded_cassette_records_its_path() -> None:
    """The cassette remembers where it came from, for failure messages."""
    path = fixture("openai-chat/plain-text.pydantic-ai.yaml")
    assert load_cassette(path).path == str(path)


# -------------------------------------------------------------------------------------- sse_from_chunks


async def test_sse_from_chunks_with_event_names() -> None:
    """A recorded Anthropic chunk file framed with event names parses back into the same chunks."""
    lines = (
        fixture("anthropic/stream-tool-call-no-args.vercel-ai.stream-chunks.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    chunks = [json.loads(line) for line in lines if line.strip()]
    body = sse_from_chunks([*lines, "", "   "], with_event_names=True)

    async def source() -> AsyncIterator[bytes]:
        yield body

    events = [event async for event in iter_sse(source())]
    assert [json.loads(e.data) for e in events] == chunks
    assert [e.event for e in events] == [c["type"] for c in chunks]
    assert all(e.complete for e in events)


def test_sse_from_chunks_plain() -> None:
    """Without event names each line becomes one ``data:`` event."""
    assert sse_from_chunks(['{"a":1}', '{"b":2}']) == b'data: {"a":1}\n\ndata: {"b":2}\n\n'
