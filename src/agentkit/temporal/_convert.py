"""Conversions between agentkit's types and Temporal's: events, errors, retry policies, timeouts."""

from __future__ import annotations

import base64
import pickle
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.common import RetryPolicy as TemporalRetryPolicy
from temporalio.exceptions import ApplicationError

from agentkit.exceptions import ProviderError, RateLimited
from agentkit.resilience import RetryPolicy
from agentkit.storage._base import canonical_json, load_event

if TYPE_CHECKING:
    from collections.abc import Iterable

    from agentkit.events import BaseEvent
    from agentkit.providers import Provider

__all__ = (
    "CONTRACT_CHANGED",
    "application_error",
    "dump_error",
    "dump_events",
    "load_error",
    "load_events",
    "retry_policy",
    "split_retry",
)

CONTRACT_CHANGED = "ContractChanged"
"""The error type of a tool activity whose worker lacks the tool version the run started with."""

_BASE_FIELDS = frozenset({"schema_version", "run_id", "seq", "at", "type"})


def dump_events(events: Iterable[BaseEvent]) -> list[str]:
    """Events as their stored JSON text."""
    return [canonical_json(event) for event in events]


def load_events(texts: Iterable[str]) -> list[Any]:
    """Events from their stored JSON text (schema migrations included)."""
    from agentkit.events import SCHEMA_VERSION

    return [load_event(SCHEMA_VERSION, text) for text in texts]


def event_fields(event: BaseEvent) -> dict[str, Any]:
    """An event's own fields (not its run, number or time): to emit it again on another emitter."""
    return {
        name: getattr(event, name) for name in type(event).model_fields if name not in _BASE_FIELDS
    }


def dump_error(exc: BaseException) -> str | None:
    """The exception pickled as base64 text, or ``None`` when it does not pickle."""
    try:
        return base64.b64encode(pickle.dumps(exc)).decode("ascii")
    except Exception:
        return None


def load_error(text: str | None) -> BaseException | None:
    """The exception `dump_error` made, or ``None``.

    The text comes from the run's own workflow history, written by this package's activities.
    """
    if not text:
        return None
    try:
        value = pickle.loads(base64.b64decode(text))
    except Exception:
        return None
    return value if isinstance(value, BaseException) else None


def split_retry(provider: Provider) -> tuple[Provider, RetryPolicy | None]:
    """The provider to call from an activity, and the outermost `RetryPolicy` Temporal takes over.

    Temporal retries the activity instead of the policy retrying inside it, so a retry survives a worker crash
    and is visible in the workflow history.
    """
    if isinstance(provider, RetryPolicy) and provider.bound:
        return provider.inner, provider
    return provider, None


def retry_policy(provider: Provider) -> TemporalRetryPolicy:
    """The policy of `agentkit.temporal.retry_policy` (documented there)."""
    _, policy = split_retry(provider)
    if policy is None:
        return TemporalRetryPolicy(
            initial_interval=timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=60),
        )
    initial = max(policy.initial_delay, 0.001)
    return TemporalRetryPolicy(
        initial_interval=timedelta(seconds=initial),
        backoff_coefficient=max(policy.multiplier, 1.0),
        maximum_interval=timedelta(seconds=max(policy.max_delay, initial)),
        maximum_attempts=policy.max_attempts,
    )


def application_error(exc: BaseException, policy: RetryPolicy | None) -> ApplicationError:
    """The failure of `agentkit.temporal.application_error` (documented there)."""
    retryable = False
    delay: float | None = None
    if isinstance(exc, ProviderError):
        if policy is None:
            retryable = exc.retryable
        else:
            retryable = exc.retryable or (
                exc.status_code is not None and exc.status_code in policy.retry_statuses
            )
            if retryable and policy.retry_on is not None:
                retryable = bool(policy.retry_on(exc))
        if retryable and isinstance(exc, RateLimited) and exc.retry_after is not None:
            cap = policy.max_wait if policy is not None else 60.0
            delay = min(max(0.0, float(exc.retry_after)), cap)
    details = dump_error(exc)
    return ApplicationError(
        str(exc)[:1000],
        *([details] if details is not None else []),
        type=type(exc).__name__,
        non_retryable=not retryable,
        next_retry_delay=timedelta(seconds=delay) if delay is not None else None,
    )


def unwrap_failure(exc: BaseException) -> BaseException:
    """The agentkit error an activity or workflow failure carries, else ``exc`` itself."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, ApplicationError) and current.details:
            found = load_error(current.details[0] if isinstance(current.details[0], str) else None)
            if found is not None:
                return found
        current = current.__cause__
        seen += 1
    return exc
