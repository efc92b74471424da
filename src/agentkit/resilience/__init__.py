"""Resilience: retries, rate limits, circuit breakers, fallbacks and deadlines, as ``Provider`` wrappers.

Every policy is itself a `agentkit.providers.Provider` that wraps another one, so they compose::

    provider = Deadline(
        Fallback([
            RetryPolicy(CircuitBreaker(RateLimiter(primary, requests_per_minute=500))),
            RetryPolicy(secondary),
        ], reject=[empty_answer]),
        timeout=30.0,
    )

Each policy emits typed events (``retry.scheduled``, ``retry.gave_up``, ``circuit.state_changed``,
``circuit.rejected``, ``fallback.triggered``, ``rate_limit.waited``, ``deadline.exceeded``) to the emitter it was
given, or to the one bound with `bind_events`. Waits go through an injectable sleeper and clock:
`testing_mode` makes them instant in tests.

Examples:
    >>> import anyio
    >>> from agentkit.exceptions import RateLimited
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.resilience import RetryPolicy, testing_mode
    >>> from agentkit.testing import FakeProvider, MockClock
    >>> provider = RetryPolicy(FakeProvider([RateLimited("slow down", provider="fake", retry_after=7), "hi"]))
    >>> with testing_mode(MockClock()) as sleep:
    ...     text = anyio.run(provider.complete, ModelRequest(messages=[Message.user("hello")])).text
    >>> text, sleep.calls
    ('hi', [7.0])
"""

from __future__ import annotations

from agentkit.resilience._base import PolicyProvider
from agentkit.resilience._breaker import CircuitBreaker, CircuitRegistry, CircuitState
from agentkit.resilience._context import (
    POLICY_EVENT_TYPES,
    DeadlineScope,
    InstantSleep,
    Sleep,
    bind_events,
    current_deadline,
    deadline,
    testing_mode,
)
from agentkit.resilience._deadline import Deadline
from agentkit.resilience._errors import CircuitOpen, DeadlineExceeded, DeadlineStage
from agentkit.resilience._fallback import Fallback, ResponsePredicate, empty_answer, refusal
from agentkit.resilience._limiter import RateLimiter, estimate_tokens
from agentkit.resilience._retry import DEFAULT_RETRY_STATUSES, RetryPolicy

__all__ = (
    "DEFAULT_RETRY_STATUSES",
    "POLICY_EVENT_TYPES",
    "CircuitBreaker",
    "CircuitOpen",
    "CircuitRegistry",
    "CircuitState",
    "Deadline",
    "DeadlineExceeded",
    "DeadlineScope",
    "DeadlineStage",
    "Fallback",
    "InstantSleep",
    "PolicyProvider",
    "RateLimiter",
    "ResponsePredicate",
    "RetryPolicy",
    "Sleep",
    "bind_events",
    "current_deadline",
    "deadline",
    "empty_answer",
    "estimate_tokens",
    "refusal",
    "testing_mode",
)
