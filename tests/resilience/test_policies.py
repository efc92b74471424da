"""Unit tests of the policies against in-process providers, with instant sleeps and a mock clock."""

from __future__ import annotations

import pickle
import random

import anyio
import pytest
from anyio.lowlevel import checkpoint

from agentkit.events import EventEmitter
from agentkit.exceptions import (
    AuthenticationFailed,
    InvalidRequest,
    Overloaded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from agentkit.messages import RefusalPart, TextPart
from agentkit.providers import ModelResponse, ModelSettings, StreamDone, TextDelta
from agentkit.resilience import (
    CircuitBreaker,
    CircuitOpen,
    CircuitRegistry,
    Deadline,
    DeadlineExceeded,
    Fallback,
    InstantSleep,
    RateLimiter,
    RetryPolicy,
    bind_events,
    current_deadline,
    deadline,
    empty_answer,
    refusal,
    testing_mode,
)
from agentkit.testing import FakeProvider, FunctionProvider, MockClock

from ._helpers import HANG, StreamScript, collect, request, types

pytestmark = pytest.mark.anyio


def down(n: int = 1) -> list[BaseException]:
    return [ProviderUnavailable("down", provider="fake", status_code=503) for _ in range(n)]


# ------------------------------------------------------------------------------------------- retry


async def test_retry_recovers_from_retryable_errors_with_exponential_backoff() -> None:
    """Retryable failures are retried with growing waits, each one recorded as retry.scheduled."""
    emitter = EventEmitter(run_id="r", clock=MockClock())
    fake = FakeProvider([*down(2), "ok"])
    with testing_mode(MockClock()) as sleep:
        policy = RetryPolicy(fake, initial_delay=1.0, jitter=0.0, events=emitter)
        response = await policy.complete(request())
    assert response.text == "ok"
    assert sleep.calls == [1.0, 2.0]
    assert types(emitter.events) == ["retry.scheduled", "retry.scheduled"]
    assert [e.attempt for e in emitter.events] == [1, 2]  # type: ignore[attr-defined]


async def test_jitter_is_reproducible_from_the_seed() -> None:
    """The same seed gives the same jittered waits; the waits stay within [base*(1-jitter), base]."""

    async def waits(seed: int) -> list[float]:
        sleep = InstantSleep()
        policy = RetryPolicy(
            FakeProvider([*down(3), "ok"]), max_attempts=4, seed=seed, jitter=0.5, sleep=sleep
        )
        await policy.complete(request())
        return sleep.calls

    first, again = await waits(7), await waits(7)
    assert first == again
    for wait, base in zip(first, [0.5, 1.0, 2.0], strict=True):
        assert base * 0.5 <= wait <= base


async def test_retry_uses_an_injected_rng() -> None:
    """A caller-supplied random generator drives the jitter."""
    sleep = InstantSleep()
    rng = random.Random(1)
    expected = 1.0 * (1 - 1.0 * random.Random(1).random())
    await RetryPolicy(
        FakeProvider([*down(1), "ok"]), initial_delay=1.0, jitter=1.0, rng=rng, sleep=sleep
    ).complete(request())
    assert sleep.calls == [expected]


async def test_non_retryable_errors_are_raised_at_once() -> None:
    """An error marked retryable=False is raised after one attempt, with a retry.gave_up event."""
    emitter = EventEmitter(run_id="r")
    fake = FakeProvider([AuthenticationFailed("bad key", provider="fake", status_code=401)])
    with testing_mode(), pytest.raises(AuthenticationFailed):
        await RetryPolicy(fake, events=emitter).complete(request())
    assert len(fake.requests) == 1
    (event,) = emitter.events
    assert event.type == "retry.gave_up"  # type: ignore[attr-defined]
    assert event.reason == "not_retryable"  # type: ignore[attr-defined]


async def test_quota_exhausted_429_is_not_retried() -> None:
    """A 429 that the adapter marked non-retryable (quota exhausted) is not retried."""
    fake = FakeProvider([RateLimited("quota", provider="fake", retryable=False), "ok"])
    with testing_mode(), pytest.raises(RateLimited):
        await RetryPolicy(fake).complete(request())


async def test_retry_gives_up_after_max_attempts_with_the_last_error() -> None:
    """After max_attempts the last error is raised and the trail says why."""
    emitter = EventEmitter(run_id="r")
    fake = FakeProvider(down(3))
    with testing_mode(), pytest.raises(ProviderUnavailable):
        await RetryPolicy(fake, max_attempts=3, events=emitter).complete(request())
    assert len(fake.requests) == 3
    assert types(emitter.events) == ["retry.scheduled", "retry.scheduled", "retry.gave_up"]
    assert emitter.events[-1].reason == "max_attempts"  # type: ignore[attr-defined]
    assert emitter.events[-1].attempts == 3  # type: ignore[attr-defined]


async def test_retry_after_is_honoured_and_capped_by_max_wait() -> None:
    """A Retry-After is waited as asked, but never longer than max_wait."""
    emitter = EventEmitter(run_id="r")
    fake = FakeProvider(
        [
            RateLimited("slow", provider="fake", retry_after=3.0),
            RateLimited("slower", provider="fake", retry_after=500.0),
            "ok",
        ]
    )
    with testing_mode(MockClock()) as sleep:
        await RetryPolicy(fake, max_wait=10.0, max_elapsed=None, events=emitter).complete(request())
    assert sleep.calls == [3.0, 10.0]
    assert [e.retry_after_s for e in emitter.events] == [3.0, 500.0]  # type: ignore[attr-defined]


async def test_retry_stops_at_the_total_time_cap() -> None:
    """A wait that would pass max_elapsed is not taken: the policy gives up."""
    clock = MockClock()
    emitter = EventEmitter(run_id="r")
    fake = FakeProvider([RateLimited("slow", provider="fake", retry_after=30.0), "ok"])
    with testing_mode(clock), pytest.raises(RateLimited):
        await RetryPolicy(fake, max_elapsed=10.0, events=emitter).complete(request())
    assert emitter.events[-1].reason == "max_elapsed"  # type: ignore[attr-defined]


async def test_retry_wait_is_bounded_by_the_deadline() -> None:
    """A retry wait longer than the remaining time fails at once with DeadlineExceeded (retry_wait), unslept."""
    clock = MockClock()
    emitter = EventEmitter(run_id="r")
    fake = FakeProvider([RateLimited("slow", provider="fake", retry_after=8.0), "ok"])
    with testing_mode(clock) as sleep, deadline(5.0), pytest.raises(DeadlineExceeded) as info:
        await RetryPolicy(fake, events=emitter).complete(request())
    assert (info.value.stage, info.value.timeout) == ("retry_wait", 5.0)
    assert isinstance(info.value.__cause__, RateLimited)
    assert [e.type for e in emitter.events] == ["retry.gave_up", "deadline.exceeded"]
    assert emitter.events[0].reason == "deadline"  # type: ignore[attr-defined]
    assert len(fake.requests) == 1
    assert sleep.calls == []
    assert clock.monotonic() == 0.0


async def test_retry_filter_narrows_what_is_retried() -> None:
    """retry_on can refuse a retryable error."""
    fake = FakeProvider([Overloaded("busy", provider="fake"), "ok"])
    policy = RetryPolicy(fake, retry_on=lambda e: not isinstance(e, Overloaded))
    with testing_mode(), pytest.raises(Overloaded):
        await policy.complete(request())


async def test_stream_is_retried_before_any_event() -> None:
    """A stream that fails before yielding anything is sent again."""
    script = StreamScript([[ProviderUnavailable("down", provider="s")], ["Hel", "lo"]])
    with testing_mode():
        events = await collect(RetryPolicy(script).stream(request()))
    assert script.calls == 2
    assert isinstance(events[-1], StreamDone)
    assert events[-1].response.text == "Hello"


async def test_stream_is_never_resent_after_content() -> None:
    """Once a delta reached the caller, a failure is raised, not retried."""
    emitter = EventEmitter(run_id="r")
    script = StreamScript([["Hel", ProviderUnavailable("cut", provider="s")], ["Hello"]])
    seen: list[object] = []

    async def consume() -> None:
        async for event in RetryPolicy(script, events=emitter).stream(request()):
            seen.append(event)

    with testing_mode(), pytest.raises(ProviderUnavailable):
        await consume()
    assert seen == [TextDelta("Hel")]
    assert script.calls == 1
    assert emitter.events[-1].reason == "stream_started"  # type: ignore[attr-defined]


def test_policies_delegate_identity_and_validate_arguments() -> None:
    """Wrappers expose the wrapped provider's system, model and profile, and reject bad settings."""
    fake = FakeProvider([], model="m1")
    policy = RetryPolicy(CircuitBreaker(RateLimiter(fake)))
    assert (policy.system, policy.model, policy.profile) == (fake.system, "m1", fake.profile)
    assert "RetryPolicy" in repr(policy)
    from agentkit.exceptions import UsageError

    for bad in (
        lambda: RetryPolicy(fake, max_attempts=0),
        lambda: RetryPolicy(fake, jitter=2),
        lambda: RetryPolicy(fake, initial_delay=-1),
        lambda: CircuitBreaker(fake, failure_rate=0),
        lambda: CircuitBreaker(fake, window=0),
        lambda: CircuitBreaker(fake, cooldown=-1),
        lambda: RateLimiter(fake, requests_per_minute=0),
        lambda: RateLimiter(fake, period=0),
        lambda: Deadline(fake, timeout=-1),
        lambda: Deadline(fake, timeout=1, idle_timeout=0),
        lambda: Fallback([]),
    ):
        with pytest.raises(UsageError):
            bad()


# ------------------------------------------------------------------------------------------- breaker


async def test_breaker_opens_fails_fast_then_probes_and_closes() -> None:
    """Closed → open on the failure rate, fast CircuitOpen while open, half-open after the cooldown, closed."""
    clock = MockClock()
    emitter = EventEmitter(run_id="r", clock=clock)
    fake = FakeProvider([*down(3), "recovered"], model="m")
    breaker = CircuitBreaker(
        fake, min_calls=3, failure_rate=0.6, cooldown=10.0, clock=clock, events=emitter
    )
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            await breaker.complete(request())
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen) as info:
        await breaker.complete(request())
    assert info.value.key == "fake:m"
    assert info.value.retry_in == 10.0
    assert not info.value.retryable
    assert len(fake.requests) == 3  # the rejected call was never sent
    clock.advance(10.0)
    assert breaker.allows_request()
    assert (await breaker.complete(request())).text == "recovered"
    assert breaker.state == "closed"
    assert types(emitter.events) == [
        "circuit.state_changed",
        "circuit.rejected",
        "circuit.state_changed",
        "circuit.state_changed",
    ]
    states = [
        (e.old_state, e.new_state) for e in emitter.events if e.type == "circuit.state_changed"
    ]  # type: ignore[attr-defined]
    assert states == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


async def test_failed_probe_reopens_and_only_one_probe_at_a_time() -> None:
    """A failing half-open probe opens the circuit again; a second caller during the probe is rejected."""
    clock = MockClock()
    gate = anyio.Event()

    async def answer(req: object) -> str:
        await gate.wait()
        raise ProviderUnavailable("still down", provider="function")

    breaker = CircuitBreaker(
        FunctionProvider(answer, model="m"), min_calls=1, cooldown=5.0, clock=clock
    )
    gate.set()
    with pytest.raises(ProviderUnavailable):
        await breaker.complete(request())
    assert breaker.state == "open"
    clock.advance(5.0)
    gate = anyio.Event()
    results: list[str] = []

    async def call() -> None:
        try:
            await breaker.complete(request())
        except Exception as exc:
            results.append(type(exc).__name__)

    async with anyio.create_task_group() as tg:
        tg.start_soon(call)
        await checkpoint()
        await checkpoint()
        tg.start_soon(call)
        await checkpoint()
        await checkpoint()
        gate.set()
    assert sorted(results) == ["CircuitOpen", "ProviderUnavailable"]
    assert breaker.state == "open"


async def test_breaker_ignores_request_errors_and_shares_state_by_key() -> None:
    """Non-retryable (request) errors do not count; breakers sharing a registry share a key's state."""
    registry = CircuitRegistry()
    bad_request = [InvalidRequest("bad", provider="fake", status_code=400) for _ in range(5)]
    a = CircuitBreaker(FakeProvider(bad_request, model="m"), min_calls=2, registry=registry)
    for _ in range(5):
        with pytest.raises(InvalidRequest):
            await a.complete(request())
    assert a.state == "closed"
    b = CircuitBreaker(FakeProvider(down(2), model="m"), min_calls=2, registry=registry)
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await b.complete(request())
    assert registry.state("fake:m") == "open"
    assert a.state == "open"
    assert "open" in repr(registry)


async def test_breaker_counts_streams_when_they_end() -> None:
    """A stream that ends counts as a success; one that fails counts as a failure."""
    script = StreamScript([["a"], [ProviderUnavailable("x", provider="s")]])
    breaker = CircuitBreaker(script, min_calls=2, failure_rate=0.5)
    await collect(breaker.stream(request()))
    with pytest.raises(ProviderUnavailable):
        await collect(breaker.stream(request()))
    assert breaker.state == "open"


# ------------------------------------------------------------------------------------------- fallback


async def test_fallback_moves_on_errors_and_rejected_answers_with_events() -> None:
    """Errors and rejected answers move down the chain; each move is one fallback.triggered event."""
    emitter = EventEmitter(run_id="r")
    chain = Fallback(
        [
            FakeProvider([Overloaded("busy", provider="fake")], model="a"),
            FakeProvider([""], model="b"),
            FakeProvider([[RefusalPart(text="I can't")]], model="c"),
            FakeProvider(["answer"], model="d"),
        ],
        reject=[refusal, empty_answer],
        events=emitter,
    )
    assert (await chain.complete(request())).text == "answer"
    moves = [(e.from_model, e.to_model, e.reason, e.detail) for e in emitter.events]  # type: ignore[attr-defined]
    assert moves == [
        ("a", "b", "error", "Overloaded"),
        ("b", "c", "response", "empty_answer"),
        ("c", "d", "response", "refusal"),
    ]


async def test_fallback_returns_the_last_rejected_answer_or_raises_the_last_error() -> None:
    """With nothing acceptable, the last rejected answer wins; with only errors, the last error is raised."""
    chain = Fallback(
        [FakeProvider([""], model="a"), FakeProvider(down(1), model="b")], reject=[empty_answer]
    )
    assert (await chain.complete(request())).text == ""
    failing = Fallback(
        [FakeProvider(down(1), model="a"), FakeProvider([Overloaded("o", provider="f")], model="b")]
    )
    with pytest.raises(Overloaded):
        await failing.complete(request())


async def test_fallback_respects_its_error_types() -> None:
    """Errors outside fallback_on are raised without trying the next provider."""
    second = FakeProvider(["never"], model="b")
    chain = Fallback(
        [FakeProvider([InvalidRequest("bad", provider="f")], model="a"), second],
        fallback_on=(ProviderUnavailable,),
    )
    with pytest.raises(InvalidRequest):
        await chain.complete(request())
    assert second.requests == []


async def test_fallback_skips_an_open_primary_without_calling_it() -> None:
    """Once the primary's breaker is open, later requests go straight to the secondary."""
    emitter = EventEmitter(run_id="r")
    primary = FakeProvider(down(2), model="p")
    breaker = CircuitBreaker(primary, min_calls=2, failure_rate=0.5)
    chain = Fallback(
        [RetryPolicy(breaker, max_attempts=1), FakeProvider(["s"] * 3, model="s")], events=emitter
    )
    for _ in range(3):
        assert (await chain.complete(request())).text == "s"
    assert len(primary.requests) == 2
    reasons = [e.reason for e in emitter.events]  # type: ignore[attr-defined]
    assert reasons == ["error", "error", "circuit_open"]
    assert emitter.events[-1].detail == "fake:p"  # type: ignore[attr-defined]


async def test_fallback_raises_circuit_open_when_every_provider_is_open() -> None:
    """A chain whose only provider is open raises CircuitOpen."""
    breaker = CircuitBreaker(FakeProvider(down(1), model="p"), min_calls=1)
    with pytest.raises(ProviderUnavailable):
        await breaker.complete(request())
    with pytest.raises(CircuitOpen):
        await Fallback([breaker]).complete(request())
    with pytest.raises(CircuitOpen):
        await collect(Fallback([breaker]).stream(request()))


async def test_fallback_stream_never_falls_back_after_content() -> None:
    """A stream that already delivered text raises its error instead of switching provider."""
    second = StreamScript([["other"]], model="b")
    chain = Fallback([StreamScript([["par", ProviderUnavailable("cut", provider="s")]]), second])
    with pytest.raises(ProviderUnavailable):
        await collect(chain.stream(request()))
    assert second.calls == 0


async def test_fallback_stream_moves_on_before_content_and_on_empty_answers() -> None:
    """Before any delta, errors and rejected answers move on; the rejected answer is the last resort."""
    chain = Fallback(
        [
            StreamScript([[ProviderUnavailable("down", provider="s")]], model="a"),
            StreamScript([[]], model="b"),
            StreamScript([["ok"]], model="c"),
        ],
        reject=[empty_answer],
    )
    events = await collect(chain.stream(request()))
    assert [type(e).__name__ for e in events] == ["TextDelta", "StreamDone"]
    only_empty = Fallback([StreamScript([[]])], reject=[empty_answer])
    (done,) = await collect(only_empty.stream(request()))
    assert isinstance(done, StreamDone)
    assert done.response.text == ""


async def test_deadline_exceeded_is_not_fallen_back() -> None:
    """When the deadline is gone, the chain stops instead of trying the next provider."""
    second = FakeProvider(["late"], model="b")
    with deadline(0.0), pytest.raises(DeadlineExceeded):
        await Fallback([FakeProvider(["x"], model="a"), second]).complete(request())
    assert second.requests == []


# ------------------------------------------------------------------------------------------- limiter


async def test_limiter_holds_requests_to_the_per_minute_budget() -> None:
    """The third request in a minute waits for the window to slide, and says so in an event."""
    clock = MockClock()
    emitter = EventEmitter(run_id="r", clock=clock)
    with testing_mode(clock) as sleep:
        limiter = RateLimiter(FakeProvider(["a"] * 3), requests_per_minute=2, events=emitter)
        for _ in range(3):
            await limiter.complete(request())
    assert sleep.calls == [60.0]
    (event,) = emitter.events
    assert (event.limit, event.waited_s) == ("requests", 60.0)  # type: ignore[attr-defined]


async def test_limiter_estimates_tokens_then_corrects_with_real_usage() -> None:
    """The token window holds the estimate while the call runs and the real usage afterwards."""
    clock = MockClock()
    from agentkit.messages import Usage

    fake = FakeProvider(["a", "b"], usage=Usage(input_tokens=10, output_tokens=5))
    seen: list[tuple[int, int]] = []

    def estimate(req: object) -> int:
        return 400

    limiter = RateLimiter(
        fake, tokens_per_minute=1000, estimate=estimate, clock=clock, sleep=InstantSleep(clock)
    )
    await limiter.complete(request())
    seen.append(limiter.in_window)
    await limiter.complete(request())
    seen.append(limiter.in_window)
    assert seen == [(1, 15), (2, 30)]
    big = RateLimiter(
        FakeProvider(["a", "b"]),
        tokens_per_minute=1000,
        estimate=lambda r: 800,
        clock=clock,
        sleep=InstantSleep(clock),
    )
    await big.complete(request())  # FakeProvider reports no usage: the estimate stays
    await big.complete(request())
    assert clock.monotonic() == 60.0


async def test_limiter_wait_past_the_deadline_fails_at_once() -> None:
    """A wait longer than the remaining time raises DeadlineExceeded (limiter_wait) without waiting."""
    clock = MockClock()
    emitter = EventEmitter(run_id="r")
    with testing_mode(clock) as sleep:
        limiter = RateLimiter(FakeProvider(["a", "b"]), requests_per_minute=1, events=emitter)
        await limiter.complete(request())
        with deadline(5.0), pytest.raises(DeadlineExceeded) as info:
            await limiter.complete(request())
    assert info.value.stage == "limiter_wait"
    assert sleep.calls == []
    assert types(emitter.events) == ["deadline.exceeded"]


async def test_limiter_caps_concurrency_and_the_wait_is_bounded() -> None:
    """With max_concurrency=1 a second call waits for the first; under a short deadline it gives up."""
    release = anyio.Event()
    started: list[int] = []

    async def slow(req: object) -> str:
        started.append(1)
        await release.wait()
        return "done"

    emitter = EventEmitter(run_id="r")
    limiter = RateLimiter(FunctionProvider(slow), max_concurrency=1, events=emitter)
    results: list[str] = []

    async def call() -> None:
        results.append((await limiter.complete(request())).text)

    async with anyio.create_task_group() as tg:
        tg.start_soon(call)
        await checkpoint()
        with deadline(0.05), pytest.raises(DeadlineExceeded):
            await limiter.complete(request())
        tg.start_soon(call)
        await checkpoint()
        assert len(started) == 1
        release.set()
    assert results == ["done", "done"]
    assert "rate_limit.waited" in types(emitter.events)


async def test_limiter_shares_its_budget_and_holds_the_slot_during_a_stream() -> None:
    """share() pools the budget between providers; a stream corrects the tokens at its end."""
    clock = MockClock()
    with testing_mode(clock):
        a = RateLimiter(
            StreamScript([["x", "y"]], model="a"), requests_per_minute=5, max_concurrency=2
        )
        b = a.share(FakeProvider(["z"], model="b"))
        await collect(a.stream(request()))
        await b.complete(request())
        assert a.in_window == (2, 5 + b.in_window[1] - 5)
        assert a.in_window[0] == b.in_window[0] == 2


# ------------------------------------------------------------------------------------------- deadline


async def test_deadline_passes_the_remaining_time_as_the_call_timeout() -> None:
    """The inner call gets settings.timeout = remaining time, never more than a shorter request timeout."""
    seen: list[float | None] = []

    def answer(req: object) -> str:
        seen.append(req.settings.timeout)  # type: ignore[attr-defined]
        return "ok"

    clock = MockClock()
    provider = Deadline(FunctionProvider(answer), timeout=10.0, clock=clock)
    await provider.complete(request())
    from agentkit.messages import Message
    from agentkit.providers import ModelRequest

    await provider.complete(
        ModelRequest(messages=[Message.user("x")], settings=ModelSettings(timeout=2.0))
    )
    with deadline(4.0, clock=clock):
        await provider.complete(request())
        assert current_deadline() is not None
    assert seen == [10.0, 2.0, 4.0]


async def test_deadline_cuts_a_hung_call_and_a_hung_stream() -> None:
    """A call that never answers ends with DeadlineExceeded when the time is up (stage call / stream)."""
    emitter = EventEmitter(run_id="r")

    async def hang(req: object) -> str:
        await anyio.sleep(30)
        return "never"

    with pytest.raises(DeadlineExceeded) as info:
        await Deadline(FunctionProvider(hang), timeout=0.05, events=emitter).complete(request())
    assert info.value.stage == "call"
    with pytest.raises(DeadlineExceeded) as info:
        await collect(Deadline(StreamScript([["a", HANG]]), timeout=0.05).stream(request()))
    assert info.value.stage == "stream"
    assert types(emitter.events) == ["deadline.exceeded"]


async def test_idle_timeout_cuts_a_stalled_stream() -> None:
    """A stream silent for longer than idle_timeout raises a retryable ProviderTimeout."""
    with pytest.raises(ProviderTimeout) as info:
        await collect(
            Deadline(StreamScript([["a", HANG]]), timeout=30, idle_timeout=0.05).stream(request())
        )
    assert not isinstance(info.value, DeadlineExceeded)
    assert info.value.retryable


async def test_an_outer_deadline_bounds_retries_through_the_whole_stack() -> None:
    """A Deadline outside RetryPolicy stops the retries when the time is used up by hung attempts."""
    emitter = EventEmitter(run_id="r")

    async def hang(req: object) -> str:
        await anyio.sleep(30)
        return "never"

    stack = Deadline(
        RetryPolicy(FunctionProvider(hang), initial_delay=0.0, max_attempts=50), timeout=0.1
    )
    with bind_events(emitter), pytest.raises(DeadlineExceeded):
        await stack.complete(request())
    assert "deadline.exceeded" in types(emitter.events)


def test_errors_pickle_with_their_fields() -> None:
    """CircuitOpen and DeadlineExceeded survive pickling."""
    err = DeadlineExceeded(provider="p", model="m", timeout=1.5, stage="stream")
    back = pickle.loads(pickle.dumps(err))
    assert (back.timeout, back.stage, str(back)) == (1.5, "stream", str(err))
    circuit = CircuitOpen(provider="p", model=None, key="p:None", retry_in=0.0)
    assert pickle.loads(pickle.dumps(circuit)).key == "p:None"


def test_events_round_trip_through_json() -> None:
    """The resilience events parse back from JSON."""
    from agentkit.events import parse_event

    emitter = EventEmitter(run_id="r")
    from agentkit.events import FallbackTriggered, RetryScheduled

    emitter.emit(
        RetryScheduled, provider="p", attempt=1, delay_s=0.5, error_type="X", error_message="m"
    )
    emitter.emit(FallbackTriggered, from_provider="p", reason="error", detail="X")
    for event in emitter.events:
        assert parse_event(event.model_dump_json()) == event


def test_response_predicates() -> None:
    """empty_answer and refusal look at the parts and the finish reason."""
    assert not empty_answer(ModelResponse(parts=(TextPart(text="x"),), provider="p"))
    assert refusal(ModelResponse(finish_reason="refusal", provider="p"))
    assert not refusal(ModelResponse(parts=(TextPart(text="x"),), provider="p"))
