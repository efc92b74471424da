"""The mapping of agentkit's errors and retry policies onto Temporal's, without a server."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from agentkit.exceptions import ProviderError, ProviderUnavailable, RateLimited, UsageError
from agentkit.resilience import RetryPolicy
from agentkit.temporal import application_error, retry_policy
from agentkit.temporal._convert import dump_error, load_error, split_retry, unwrap_failure
from agentkit.temporal._registry import lookup, register
from agentkit.testing import FakeProvider


def test_without_a_retry_policy_temporal_retries_with_its_default_backoff() -> None:
    """An unwrapped provider gets unlimited attempts (the workflow's timeout bounds them), 1 s doubling."""
    provider = FakeProvider(["hi"])
    policy = retry_policy(provider)
    assert (policy.maximum_attempts, policy.initial_interval.total_seconds()) == (0, 1.0)
    assert split_retry(provider) == (provider, None)
    assert split_retry(RetryPolicy(max_attempts=2))[1] is None  # a template wraps nothing


def test_retry_policy_fields_map_one_to_one() -> None:
    """Attempts, first delay, multiplier and longest delay become Temporal's fields."""
    policy = retry_policy(
        RetryPolicy(
            FakeProvider(["hi"]), max_attempts=5, initial_delay=0.25, max_delay=8, multiplier=3
        )
    )
    assert policy.maximum_attempts == 5
    assert policy.initial_interval.total_seconds() == 0.25
    assert policy.backoff_coefficient == 3.0
    assert policy.maximum_interval is not None
    assert policy.maximum_interval.total_seconds() == 8.0


def test_retry_statuses_and_retry_on_decide_with_the_policy() -> None:
    """A status the policy retries makes an error retryable; ``retry_on`` may veto; Retry-After is capped."""
    teapot = ProviderError("odd", provider="p", status_code=418)
    policy = RetryPolicy(FakeProvider(["hi"]), retry_statuses=(418,), max_wait=2.0)
    assert application_error(teapot, None).non_retryable
    assert not application_error(teapot, policy).non_retryable
    vetoed = RetryPolicy(FakeProvider(["hi"]), retry_on=lambda error: False)
    assert application_error(
        ProviderUnavailable("down", provider="p", status_code=503), vetoed
    ).non_retryable
    slow = RateLimited("slow", provider="p", status_code=429, retry_after=30)
    delay = application_error(slow, policy).next_retry_delay
    assert delay is not None
    assert delay.total_seconds() == 2.0


def test_anything_but_a_provider_error_is_permanent_and_keeps_its_type() -> None:
    """A usage error is never retried, and the workflow gets the same typed error back."""
    failure = application_error(UsageError("bad"), None)
    assert failure.non_retryable
    assert failure.type == "UsageError"
    wrapped = ApplicationError("outer")
    wrapped.__cause__ = failure
    found = unwrap_failure(wrapped)
    assert isinstance(found, UsageError)
    assert str(found) == "bad"


def test_errors_that_do_not_pickle_travel_as_their_message() -> None:
    """An unpicklable error has no details, so the failure is the error itself; garbage decodes to nothing."""

    class Local(Exception):
        pass

    failure = application_error(Local("local class"), None)
    assert failure.details == ()
    assert unwrap_failure(failure) is failure
    assert dump_error(Local("x")) is None
    assert load_error("not base64 at all!") is None
    assert load_error(None) is None
    assert load_error(dump_error(ValueError("v"))).args == ("v",)  # type: ignore[union-attr]


def test_the_registry_names_what_a_queue_serves() -> None:
    """An agent missing from a queue raises a LookupError listing the queue's agents."""
    from agentkit.runtime import Agent

    register("test-registry-queue", {"one": Agent(FakeProvider(["hi"]), name="one")})
    assert lookup("test-registry-queue", "one").name == "one"
    with pytest.raises(
        LookupError, match=r"no agent named 'two' on task queue 'test-registry-queue'.*\['one'\]"
    ):
        lookup("test-registry-queue", "two")
