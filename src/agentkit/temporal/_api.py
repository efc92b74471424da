"""The public functions of agentkit.temporal that need the Temporal SDK, as wrappers that import it when called.

This module imports no ``temporalio``: each function checks for the SDK first (raising `MissingExtraError` with
the install hint when it is missing), then calls its implementation in the module that imports the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.temporal._base import DEFAULT_TASK_QUEUE, require_sdk

if TYPE_CHECKING:
    import types
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from temporalio.client import Client
    from temporalio.common import RetryPolicy as TemporalRetryPolicy
    from temporalio.exceptions import ApplicationError
    from temporalio.worker import Replayer, Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    from agentkit.events import EventSink
    from agentkit.providers import Provider
    from agentkit.resilience import RetryPolicy
    from agentkit.runtime import Agent
    from agentkit.tools import Tool

__all__ = ("application_error", "replayer", "retry_policy", "sandbox_runner", "worker")


def worker(
    client: Client,
    agents: Mapping[str, Agent[Any, Any]] | Iterable[Agent[Any, Any]] | types.ModuleType,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    sinks: Sequence[EventSink] = (),
    deps: Callable[[str], Any] | Any = None,
    tools: Sequence[Tool[Any, Any]] = (),
    **options: Any,
) -> Worker:
    """A Temporal worker running durable runs of ``agents``; use it as an async context manager, or ``run()`` it.

    Args:
        client: A connected ``temporalio.client.Client``.
        agents: The agents, by name (a mapping, a list named by ``Agent(name=...)``, or a module).
        task_queue: The queue to listen on.
        sinks: Event sinks for every run, besides each agent's own ``sinks`` (a `agentkit.storage.StoreSink`
            gets each event exactly once, whatever crashes).
        deps: The ``deps`` tools receive: a value, or a callable ``deps(run_id)``.
        tools: Older versions of tools to keep serving: a run uses the contracts fixed at its start, and an
            activity runs the tool with that exact fingerprint.
        **options: Passed to ``temporalio.worker.Worker`` (``max_concurrent_activities``...).

    Returns:
        The worker.

    Raises:
        MissingExtraError: The ``temporal`` extra is not installed.
    """
    require_sdk()
    from agentkit.temporal import _worker

    return _worker.worker(
        client, agents, task_queue=task_queue, sinks=sinks, deps=deps, tools=tools, **options
    )


def sandbox_runner() -> SandboxedWorkflowRunner:
    """Temporal's workflow sandbox, with `PASSTHROUGH_MODULES` shared rather than imported again per run.

    Raises:
        MissingExtraError: The ``temporal`` extra is not installed.

    Examples:
        >>> from agentkit.temporal import sandbox_runner
        >>> type(sandbox_runner()).__name__
        'SandboxedWorkflowRunner'
    """
    require_sdk()
    from agentkit.temporal import _worker

    return _worker.sandbox_runner()


def replayer(
    agents: Mapping[str, Agent[Any, Any]] | Iterable[Agent[Any, Any]] | types.ModuleType,
    **options: Any,
) -> Replayer:
    """Temporal's ``Replayer`` for durable runs of ``agents``: replays a workflow history in the sandbox.

    Use it in a test or a deploy check: a history recorded before a change that replays without a
    nondeterminism error is safe to run on the new code.

    Raises:
        MissingExtraError: The ``temporal`` extra is not installed.

    Examples:
        >>> from agentkit.runtime import Agent
        >>> from agentkit.temporal import replayer
        >>> from agentkit.testing import FakeProvider
        >>> type(replayer([Agent(FakeProvider(["hi"]), name="support")])).__name__
        'Replayer'
    """
    require_sdk()
    from agentkit.temporal import _worker

    return _worker.replayer(agents, **options)


def retry_policy(provider: Provider) -> TemporalRetryPolicy:
    """Temporal's retry policy for the model calls of ``provider``, from its outermost `RetryPolicy`.

    ``max_attempts``, ``initial_delay``, ``multiplier`` and ``max_delay`` map onto Temporal's fields. Without a
    `RetryPolicy`, retryable errors (and lost workers) are retried with Temporal's default backoff, without an
    attempt limit: the workflow's timeout bounds them. Which errors are retried is decided per error (see
    `application_error`): typed permanent errors never are.

    Raises:
        MissingExtraError: The ``temporal`` extra is not installed.

    Examples:
        >>> from agentkit.resilience import RetryPolicy
        >>> from agentkit.temporal import retry_policy
        >>> from agentkit.testing import FakeProvider
        >>> policy = retry_policy(RetryPolicy(FakeProvider(["hi"]), max_attempts=4, initial_delay=0.5))
        >>> policy.maximum_attempts, policy.initial_interval.total_seconds(), policy.backoff_coefficient
        (4, 0.5, 2.0)
    """
    require_sdk()
    from agentkit.temporal import _convert

    return _convert.retry_policy(provider)


def application_error(exc: BaseException, policy: RetryPolicy | None) -> ApplicationError:
    """The failure an activity raises for ``exc``: retryable or not as agentkit decides, Retry-After kept.

    A `ProviderError` is retried when it is ``retryable`` (or its HTTP status is in the policy's
    ``retry_statuses``) and the policy's ``retry_on`` agrees; a `RateLimited` error's ``retry_after`` becomes
    the delay before the next attempt (capped at the policy's ``max_wait``). Everything else is permanent.
    The error itself travels pickled in the details, so the workflow raises the same typed error.

    Raises:
        MissingExtraError: The ``temporal`` extra is not installed.

    Examples:
        >>> from agentkit.exceptions import AuthenticationFailed, RateLimited
        >>> from agentkit.temporal import application_error
        >>> err = application_error(RateLimited("slow", provider="openai", status_code=429, retry_after=2), None)
        >>> err.type, err.non_retryable, err.next_retry_delay.total_seconds()
        ('RateLimited', False, 2.0)
        >>> application_error(AuthenticationFailed("no", provider="openai", status_code=401), None).non_retryable
        True
    """
    require_sdk()
    from agentkit.temporal import _convert

    return _convert.application_error(exc, policy)
