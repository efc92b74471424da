"""The real adapters, through httpx and real sockets, against the fake provider server's scripted faults.

Every fault ends either in a success (through retry or fallback) or in the right typed error, within the
deadline, with the event trail saying what happened. Waits are instant (InstantSleep); only hang cases use
short real timeouts, bounded by pytest-timeout.
"""

from __future__ import annotations

import email.utils
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest

from agentkit.events import EventEmitter
from agentkit.exceptions import (
    MalformedResponse,
    Overloaded,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from agentkit.providers import ModelResponse, Provider, StreamDone, TextDelta
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import (
    CircuitBreaker,
    Deadline,
    Fallback,
    InstantSleep,
    RetryPolicy,
    empty_answer,
    refusal,
)
from agentkit.testing._server import FakeProviderServer, Fault, Reply

from ._helpers import request, types

pytestmark = pytest.mark.anyio

WIRES = ["openai", "anthropic"]
MODES = ["complete", "stream"]


@pytest.fixture
async def server() -> AsyncIterator[FakeProviderServer]:
    async with FakeProviderServer() as running:
        yield running


def adapter(server: FakeProviderServer, wire: str) -> Provider:
    if wire == "openai":
        return OpenAIChatProvider("gpt-4.1", base_url=server.url + "/v1", api_key="test")
    return AnthropicProvider("claude-haiku-4-5", base_url=server.url, api_key="test")


async def call(provider: Provider, mode: str) -> ModelResponse:
    if mode == "complete":
        return await provider.complete(request())
    events = [event async for event in provider.stream(request())]
    assert isinstance(events[-1], StreamDone)
    assert sum(isinstance(e, StreamDone) for e in events) == 1
    return events[-1].response


def retrying(provider: Provider, emitter: EventEmitter, **options: object) -> RetryPolicy:
    options.setdefault("sleep", InstantSleep())
    return RetryPolicy(provider, events=emitter, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.server_error(500), ProviderUnavailable),
        (Fault.server_error(502), ProviderUnavailable),
        (Fault.server_error(503), ProviderUnavailable),
        (Fault.overloaded(), Overloaded),
        (Fault.html_page(502), ProviderUnavailable),
        (Fault.reset(), ProviderConnectionError),
        (Fault.cut_stream(after_events=0), ProviderConnectionError),
    ],
    ids=["500", "502", "503", "529", "html", "reset", "cut-before-content"],
)
async def test_transient_faults_end_in_success_through_retry(
    server: FakeProviderServer, wire: str, mode: str, fault: Fault, error: type[ProviderError]
) -> None:
    """A transient fault is retried once and the second attempt succeeds; the trail names the error."""
    server.script(fault)
    emitter = EventEmitter(run_id="r")
    async with adapter(server, wire) as provider:
        response = await call(retrying(provider, emitter), mode)
    assert response.text == "Hello from the fake server."
    assert len(server.requests) == 2
    (event,) = emitter.events
    assert event.type == "retry.scheduled"  # type: ignore[attr-defined]
    assert event.error_type == error.__name__  # type: ignore[attr-defined]
    if fault.kind == "html_page":
        assert "HTML" in event.error_message  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wire", WIRES)
async def test_429_retry_after_seconds_is_honoured(
    server: FakeProviderServer, wire: str, mode: str
) -> None:
    """Retry-After: 2 makes the policy wait 2 s (instantly, here) before the retry that succeeds."""
    server.script(Fault.rate_limited(retry_after="2"))
    emitter = EventEmitter(run_id="r")
    sleep = InstantSleep()
    async with adapter(server, wire) as provider:
        response = await call(retrying(provider, emitter, sleep=sleep), mode)
    assert response.text
    assert sleep.calls == [2.0]
    (event,) = emitter.events
    assert (event.error_type, event.retry_after_s) == ("RateLimited", 2.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize("wire", WIRES)
async def test_429_retry_after_http_date_is_honoured_and_capped(
    server: FakeProviderServer, wire: str
) -> None:
    """An HTTP-date Retry-After is turned into seconds; the wait is capped at max_wait."""
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    server.script(Fault.rate_limited(retry_after=email.utils.format_datetime(when, usegmt=True)))
    emitter = EventEmitter(run_id="r")
    sleep = InstantSleep()
    async with adapter(server, wire) as provider:
        await call(retrying(provider, emitter, sleep=sleep, max_wait=10.0), "complete")
    (event,) = emitter.events
    assert 100 < event.retry_after_s <= 120  # type: ignore[attr-defined,operator]
    assert sleep.calls == [10.0]


@pytest.mark.parametrize("wire", WIRES)
async def test_persistent_429_ends_in_rate_limited(server: FakeProviderServer, wire: str) -> None:
    """When every attempt is rate-limited, the typed RateLimited error is raised after max_attempts."""
    server.script(*[Fault.rate_limited("1")] * 3)
    emitter = EventEmitter(run_id="r")
    async with adapter(server, wire) as provider:
        with pytest.raises(RateLimited) as info:
            await call(retrying(provider, emitter, max_attempts=3), "complete")
    assert info.value.status_code == 429
    assert types(emitter.events) == ["retry.scheduled", "retry.scheduled", "retry.gave_up"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wire", WIRES)
async def test_malformed_json_is_a_typed_error_and_falls_back(
    server: FakeProviderServer, wire: str, mode: str
) -> None:
    """Malformed JSON is a non-retryable MalformedResponse; a fallback to the other wire format succeeds."""
    server.script(Fault.malformed_json())
    emitter = EventEmitter(run_id="r")
    other = "anthropic" if wire == "openai" else "openai"
    async with adapter(server, wire) as primary, adapter(server, other) as secondary:
        with pytest.raises(MalformedResponse):
            await call(retrying(primary, emitter), mode)
        assert emitter.events[-1].reason == "not_retryable"  # type: ignore[attr-defined]
        server.script(Fault.malformed_json())
        chain = Fallback([retrying(primary, emitter), retrying(secondary, emitter)], events=emitter)
        response = await call(chain, mode)
    assert response.text == "Hello from the fake server."
    assert types(emitter.events)[-2:] == ["retry.gave_up", "fallback.triggered"]
    assert emitter.events[-1].detail == "MalformedResponse"  # type: ignore[attr-defined]


@pytest.mark.parametrize("wire", WIRES)
async def test_stream_cut_after_content_is_raised_not_resent(
    server: FakeProviderServer, wire: str
) -> None:
    """A stream cut mid-event after text reached the caller raises; it is neither retried nor fallen back."""
    server.script(Fault.cut_stream(after_events=3))
    emitter = EventEmitter(run_id="r")
    seen: list[object] = []
    async with adapter(server, wire) as provider, adapter(server, wire) as other:
        chain = Fallback([retrying(provider, emitter), other], events=emitter)

        async def consume() -> None:
            async for event in chain.stream(request()):
                seen.append(event)

        with pytest.raises(ProviderError) as info:
            await consume()
    assert isinstance(info.value, ProviderConnectionError | MalformedResponse)
    assert any(isinstance(e, TextDelta) for e in seen)
    assert len(server.requests) == 1
    assert types(emitter.events) == ["retry.gave_up"]
    assert emitter.events[0].reason == "stream_started"  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wire", WIRES)
async def test_a_hang_is_cut_by_the_per_attempt_deadline_and_retried(
    server: FakeProviderServer, wire: str, mode: str
) -> None:
    """A hung response times out at the per-attempt deadline; the retry succeeds."""
    server.script(Fault.hang(10.0))
    emitter = EventEmitter(run_id="r")
    async with adapter(server, wire) as provider:
        stack = retrying(Deadline(provider, timeout=0.3, events=emitter), emitter)
        response = await call(stack, mode)
    assert response.text
    (event,) = emitter.events[-1:]
    assert event.type == "retry.scheduled"  # type: ignore[attr-defined]
    assert event.error_type in {"ProviderTimeout", "DeadlineExceeded"}  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wire", WIRES)
async def test_hangs_past_the_overall_deadline_end_in_a_timeout(
    server: FakeProviderServer, wire: str, mode: str
) -> None:
    """When every attempt hangs, the overall deadline ends the call with a ProviderTimeout."""
    server.default = Fault.hang(10.0)
    emitter = EventEmitter(run_id="r")
    async with adapter(server, wire) as provider:
        stack = Deadline(retrying(provider, emitter, max_attempts=10), timeout=0.4, events=emitter)
        with pytest.raises(ProviderTimeout):
            await call(stack, mode)
    assert emitter.events[-1].type in {"retry.gave_up", "deadline.exceeded"}  # type: ignore[attr-defined]
    assert len(server.requests) <= 10


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wire", WIRES)
async def test_slow_first_byte_within_the_deadline_succeeds_without_retry(
    server: FakeProviderServer, wire: str, mode: str
) -> None:
    """A slow first byte that still arrives in time is just slow: no retry, no event."""
    server.script(Fault.slow_first_byte(0.05))
    emitter = EventEmitter(run_id="r")
    async with adapter(server, wire) as provider:
        response = await call(Deadline(retrying(provider, emitter), timeout=5.0), mode)
    assert response.text
    assert emitter.events == ()


@pytest.mark.parametrize("mode", MODES)
async def test_fallback_on_empty_and_refused_answers_across_wire_formats(
    server: FakeProviderServer, mode: str
) -> None:
    """An empty answer moves the chain on, and so does a refusal unless its text already streamed."""
    server.script(Reply(text=""), Reply(refusal="I can't help with that."))
    emitter = EventEmitter(run_id="r")
    async with (
        adapter(server, "openai") as a,
        adapter(server, "anthropic") as b,
        adapter(server, "openai") as c,
    ):
        chain = Fallback([a, b, c], reject=[refusal, empty_answer], events=emitter)
        response = await call(chain, mode)
    if mode == "complete":
        assert response.text == "Hello from the fake server."
        assert [e.detail for e in emitter.events] == ["empty_answer", "refusal"]  # type: ignore[attr-defined]
    else:  # the refusal's text already streamed to the caller: no fallback after output
        assert response.text == "I can't help with that."
        assert response.finish_reason == "refusal"
        assert [e.detail for e in emitter.events] == ["empty_answer"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("wire", WIRES)
async def test_an_open_breaker_skips_the_primary_on_later_requests(
    server: FakeProviderServer, wire: str
) -> None:
    """After the primary keeps failing, its breaker opens and later requests go straight to the secondary."""
    emitter = EventEmitter(run_id="r")
    async with (
        FakeProviderServer(default=Fault.server_error(503)) as broken,
        adapter(broken, wire) as primary,
        adapter(server, wire) as secondary,
    ):
        guarded = retrying(
            CircuitBreaker(primary, min_calls=2, events=emitter), emitter, max_attempts=2
        )
        chain = Fallback([guarded, secondary], events=emitter)
        for _ in range(3):
            assert (await chain.complete(request())).text
    assert len(broken.requests) == 2
    assert len(server.requests) == 3
    kinds = types(emitter.events)
    assert kinds.count("circuit.state_changed") == 1
    assert [e.reason for e in emitter.events if e.type == "fallback.triggered"] == [  # type: ignore[attr-defined]
        "error",
        "circuit_open",
        "circuit_open",
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wire", WIRES)
async def test_limiter_corrects_its_estimate_with_the_real_usage(
    server: FakeProviderServer, wire: str, mode: str
) -> None:
    """The token window holds the usage the server reported (10 in + 3 out), not the estimate."""
    from agentkit.resilience import RateLimiter
    from agentkit.testing import MockClock

    clock = MockClock()
    async with adapter(server, wire) as provider:
        limiter = RateLimiter(
            provider,
            tokens_per_minute=10_000,
            estimate=lambda request: 5_000,
            clock=clock,
            sleep=InstantSleep(clock),
        )
        await call(limiter, mode)
        assert limiter.in_window == (1, 13)
