"""The worker: the workflow and its activities, serving a set of agents on one task queue."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from temporalio.worker import Replayer, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from agentkit.exceptions import UsageError
from agentkit.temporal._activities import Activities
from agentkit.temporal._client import DEFAULT_TASK_QUEUE
from agentkit.temporal._registry import REPLAY_PREFIX, register
from agentkit.temporal._workflow import AgentWorkflow

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from temporalio.client import Client

    from agentkit.events import EventSink
    from agentkit.runtime import Agent
    from agentkit.tools import Tool

__all__ = ("PASSTHROUGH_MODULES", "agents_of", "replayer", "sandbox_runner", "worker")

PASSTHROUGH_MODULES = (
    "agentkit",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    "anyio",
    "sniffio",
    "httpx",
    "httpcore",
    "jsonschema",
    "exceptiongroup",
)
"""Modules the workflow sandbox shares with the worker instead of importing again (Temporal's advice for
deterministic libraries): agentkit itself, pydantic and what the loop imports."""


def agents_of(
    source: Mapping[str, Agent[Any, Any]] | Iterable[Agent[Any, Any]] | types.ModuleType,
) -> dict[str, Agent[Any, Any]]:
    """The agents to serve, by name: a mapping as given, a list by ``agent.name``, a module's `Agent` objects.

    Examples:
        >>> from agentkit.runtime import Agent
        >>> from agentkit.temporal import agents_of
        >>> from agentkit.testing import FakeProvider
        >>> sorted(agents_of([Agent(FakeProvider(["hi"]), name="support")]))
        ['support']
    """
    from agentkit.runtime import Agent

    if isinstance(source, Mapping):
        return dict(source)
    items = (
        [v for v in vars(source).values() if isinstance(v, Agent)]
        if isinstance(source, types.ModuleType)
        else list(source)
    )
    named: dict[str, Agent[Any, Any]] = {}
    for item in items:
        if not isinstance(item, Agent):
            raise UsageError(f"worker() serves Agent objects, got {item!r}")
        if item.name in named and named[item.name] is not item:
            raise UsageError(
                f"two agents are named {item.name!r}: give each its own Agent(name=...)"
            )
        named[item.name] = item
    if not named:
        raise UsageError(
            "no agents to serve: pass Agent objects, a mapping, or a module defining some"
        )
    return named


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
    """
    named = agents_of(agents)
    register(task_queue, named)
    acts = Activities(named, sinks=sinks, deps=deps, tools=tools)
    options.setdefault("workflow_runner", sandbox_runner())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AgentWorkflow],
        activities=[acts.snapshot, acts.model, acts.tool, acts.events],
        **options,
    )


def sandbox_runner() -> SandboxedWorkflowRunner:
    """Temporal's workflow sandbox, with `PASSTHROUGH_MODULES` shared rather than imported again per run.

    Examples:
        >>> from agentkit.temporal import sandbox_runner
        >>> type(sandbox_runner()).__name__
        'SandboxedWorkflowRunner'
    """
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def replayer(
    agents: Mapping[str, Agent[Any, Any]] | Iterable[Agent[Any, Any]] | types.ModuleType,
    **options: Any,
) -> Replayer:
    """Temporal's ``Replayer`` for durable runs of ``agents``: replays a workflow history in the sandbox.

    Use it in a test or a deploy check: a history recorded before a change that replays without a
    nondeterminism error is safe to run on the new code.

    Examples:
        >>> from agentkit.runtime import Agent
        >>> from agentkit.temporal import replayer
        >>> from agentkit.testing import FakeProvider
        >>> type(replayer([Agent(FakeProvider(["hi"]), name="support")])).__name__
        'Replayer'
    """
    register(REPLAY_PREFIX, agents_of(agents))
    options.setdefault("workflow_runner", sandbox_runner())
    return Replayer(workflows=[AgentWorkflow], **options)
