"""The worker: the workflow and its activities, serving a set of agents on one task queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio.worker import Replayer, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from agentkit.temporal._activities import Activities
from agentkit.temporal._base import DEFAULT_TASK_QUEUE, PASSTHROUGH_MODULES, agents_of
from agentkit.temporal._registry import REPLAY_PREFIX, register
from agentkit.temporal._workflow import AgentWorkflow

if TYPE_CHECKING:
    import types
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from temporalio.client import Client

    from agentkit.events import EventSink
    from agentkit.runtime import Agent
    from agentkit.tools import Tool

__all__ = ("replayer", "sandbox_runner", "worker")


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
    """The worker of `agentkit.temporal.worker` (documented there)."""
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
    """The sandbox of `agentkit.temporal.sandbox_runner` (documented there)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def replayer(
    agents: Mapping[str, Agent[Any, Any]] | Iterable[Agent[Any, Any]] | types.ModuleType,
    **options: Any,
) -> Replayer:
    """The replayer of `agentkit.temporal.replayer` (documented there)."""
    register(REPLAY_PREFIX, agents_of(agents))
    options.setdefault("workflow_runner", sandbox_runner())
    return Replayer(workflows=[AgentWorkflow], **options)
