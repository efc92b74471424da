"""Front door: an Agent on infer_provider's default retry policy over the loopback fault server.

The run scope joins the resilience layer to the run: the policy's events carry the run's id and sequence and
reach its sinks, store and metrics, and the run's deadline bounds the policy's waits. Waits are instant
(``testing_mode`` with a ``MockClock``); nothing sleeps on the wall clock.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from agentkit.events import BaseEvent
from agentkit.exceptions import InvalidRequest, RateLimited, UsageError
from agentkit.observability import Metrics
from agentkit.providers import Provider, infer_provider
from agentkit.resilience import (
    Deadline,
    DeadlineExceeded,
    RetryPolicy,
    bind_events,
    current_deadline,
    deadline,
    testing_mode,
)
from agentkit.runtime import Agent, Limits
from agentkit.storage import MemoryStore, Recording, StoreSink, replay
from agentkit.testing import FakeProvider, FakeProviderServer, Fault, FunctionProvider, MockClock

pytestmark = pytest.mark.anyio

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"
MODEL = "gpt-4.1-mini"


def _types(events: Any) -> list[str]:
    return [e.type for e in events]


def _provider(server: FakeProviderServer, **options: Any) -> Provider:
    return infer_provider(f"openai:{MODEL}", base_url=server.url + "/v1", api_key=KEY, **options)


async def test_a_429_is_retried_by_default_and_the_retry_is_part_of_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The default policy waits out Retry-After; retry.scheduled is a run event in the store, metrics and log."""
    store, metrics = MemoryStore(), Metrics()
    clock = MockClock()
    async with FakeProviderServer() as server:
        server.script(Fault.rate_limited(retry_after="2"))
        provider = _provider(server)
        agent = Agent(provider, sinks=[StoreSink(store), metrics])
        with (
            testing_mode(clock) as sleep,
            caplog.at_level(logging.INFO, logger="agentkit.retry"),
        ):
            result = await agent.run("hello", run_id="r1")
        await provider.aclose()
    assert result.output == "Hello from the fake server."
    assert len(server.requests) == 2
    assert sleep.calls == [2.0]
    assert _types(result.events) == [
        "run.started",
        "model.requested",
        "retry.scheduled",
        "model.responded",
        "run.finished",
    ]
    assert [e.seq for e in result.events] == [0, 1, 2, 3, 4]
    scheduled = result.events[2]
    assert scheduled.run_id == "r1"
    assert (scheduled.provider, scheduled.model) == ("openai", MODEL)  # type: ignore[attr-defined]
    assert scheduled.retry_after_s == 2.0  # type: ignore[attr-defined]
    # Stamped by the run's clock, the one testing_mode set: the answer came 2 s (of mock time) later.
    assert (result.events[3].at - scheduled.at).total_seconds() == 2.0
    assert _types(store.read("r1")) == _types(result.events)
    assert metrics.counter("agentkit_retries_total", error_type="RateLimited") == 1.0
    [record] = [r for r in caplog.records if r.name == "agentkit.retry"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"openai ({MODEL}): RateLimited (HTTP 429), retrying in 2s (attempt 2 of 3)"
    )
    assert KEY not in caplog.text

    # The stored run, retry and all, replays exactly.
    replayed = await replay(Agent(provider), Recording.load(store, "r1"))
    assert replayed.output == result.output


async def test_a_retry_after_longer_than_the_runs_deadline_fails_at_once() -> None:
    """With 5 s left and Retry-After 30, the run fails with DeadlineExceeded (retry_wait) and never sleeps."""
    store, clock = MemoryStore(), MockClock()
    async with FakeProviderServer() as server:
        server.script(Fault.rate_limited(retry_after="30"))
        provider = _provider(server)
        agent = Agent(provider, sinks=[StoreSink(store)], limits=Limits(timeout=5.0), clock=clock)
        with testing_mode(clock) as sleep, pytest.raises(DeadlineExceeded) as info:
            await agent.run("hello", run_id="r2")
        await provider.aclose()
    assert (info.value.stage, info.value.timeout) == ("retry_wait", 5.0)
    assert isinstance(info.value.__cause__, RateLimited)
    assert sleep.calls == []
    assert clock.monotonic() == 0.0
    assert len(server.requests) == 1
    stored = store.read("r2")
    assert _types(stored)[-4:] == [
        "retry.gave_up",
        "deadline.exceeded",
        "model.failed",
        "run.finished",
    ]
    assert stored[-4].reason == "deadline"  # type: ignore[attr-defined]
    assert stored[-1].error_type == "DeadlineExceeded"  # type: ignore[attr-defined]
    assert {e.run_id for e in stored} == {"r2"}


async def test_retry_none_gives_the_bare_adapter_and_the_first_429_fails_the_run() -> None:
    """``retry=None`` turns the default policy off."""
    async with FakeProviderServer() as server:
        server.script(Fault.rate_limited(retry_after="1"))
        provider = _provider(server, retry=None)
        with testing_mode(MockClock()) as sleep, pytest.raises(RateLimited):
            await Agent(provider).run("hello")
        await provider.aclose()
    assert type(provider).__name__ == "OpenAIChatProvider"
    assert sleep.calls == []
    assert len(server.requests) == 1


async def test_a_policy_template_replaces_the_default() -> None:
    """``retry=RetryPolicy(...)`` wraps the adapter in a copy of that policy, seeded jitter included."""
    template = RetryPolicy(max_attempts=4, initial_delay=1.0, seed=7)
    async with FakeProviderServer() as server:
        server.script(*[Fault.server_error(503)] * 3)
        provider = _provider(server, retry=template)
        with testing_mode(MockClock()) as sleep:
            result = await Agent(provider).run("hello")
        await provider.aclose()
    assert isinstance(provider, RetryPolicy)
    assert provider is not template
    assert not template.bound
    assert provider.max_attempts == 4
    assert len(server.requests) == 4
    assert result.output == "Hello from the fake server."
    again = RetryPolicy(max_attempts=4, initial_delay=1.0, seed=7).wrap(FakeProvider([]))
    assert sleep.calls == [again.backoff(n, InvalidRequest("x", provider="p")) for n in (1, 2, 3)]


async def test_a_conflict_is_retried_by_default_but_other_client_errors_are_not() -> None:
    """409 is retried like the vendor SDKs do; a 400 is not."""
    async with FakeProviderServer() as server:
        server.script(Fault("status", status=409), Fault("status", status=400))
        provider = _provider(server)
        with testing_mode(MockClock()), pytest.raises(InvalidRequest) as info:
            await Agent(provider).run("hello")
        await provider.aclose()
    assert info.value.status_code == 400
    assert len(server.requests) == 2


def test_a_bound_policy_is_refused_as_a_template() -> None:
    """Passing a policy that already wraps a provider is a UsageError that says what to write."""
    with pytest.raises(UsageError, match=r"RetryPolicy\(max_attempts=\.\.\.\)"):
        infer_provider("openai:gpt-4.1", api_key=KEY, retry=RetryPolicy(FakeProvider([])))


async def test_an_unbound_template_cannot_be_called() -> None:
    """A template has no provider: calling it says how to bind one."""
    with pytest.raises(UsageError, match=r"policy\.wrap\(provider\)"):
        await Agent(RetryPolicy()).run("hello")


async def test_a_users_own_policy_stack_reports_into_the_run_with_its_deadline() -> None:
    """Policies the user wraps see the run's emitter and deadline; an outer deadline() still bounds the run."""
    seen: list[float | None] = []

    def answer(request: Any) -> str:
        scope = current_deadline()
        seen.append(scope.remaining() if scope is not None else None)
        if len(seen) == 1:
            raise InvalidRequest("conflict", provider="fake", status_code=409)
        return "ok"

    captured: list[BaseEvent] = []
    clock = MockClock()
    policy = RetryPolicy(
        Deadline(FunctionProvider(answer), timeout=60.0), initial_delay=1.0, jitter=0.0
    )
    with (
        testing_mode(clock),
        bind_events(None),  # the run's emitter wins over an (empty) outer binding
        deadline(20.0),
    ):
        result = await Agent(policy, limits=Limits(timeout=10.0), sinks=[captured.append]).run(
            "hi", run_id="r3"
        )
    assert result.output == "ok"
    assert "retry.scheduled" in _types(result.events)
    assert [e.type for e in captured] == _types(result.events)
    assert all(e.run_id == "r3" for e in captured)
    assert seen == [10.0, 9.0]  # the run's 10 s (inside the outer 20 s), less the 1 s backoff
