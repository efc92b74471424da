"""Durable agent runs on Temporal (the ``temporal`` extra): the loop as a workflow, each call an activity.

A run started with `start` is a Temporal workflow that runs agentkit's own loop; every model call and tool call
(MCP tools included) is an activity, so a worker can crash or be redeployed mid-run and another one carries on
from the history. Approvals are the ``approve`` signal (`DurableRun.approve`), the run's state a query
(`DurableRun.state`), and the run emits the same events as a local one into the worker's sinks and stores,
each event once. See the guide, "Durable runs".

Examples:
    >>> from agentkit.temporal import WORKFLOW_NAME, DEFAULT_TASK_QUEUE
    >>> WORKFLOW_NAME, DEFAULT_TASK_QUEUE
    ('agentkit.run', 'agentkit')
"""

from __future__ import annotations

from agentkit.exceptions import MissingExtraError

try:
    import temporalio  # noqa: F401 - the extra's presence is checked here, once
except ImportError as exc:  # pragma: no cover - the test environment installs the extra
    raise MissingExtraError(extra="temporal", package="temporalio") from exc

from agentkit.temporal._activities import idempotency_key
from agentkit.temporal._client import DEFAULT_TASK_QUEUE, DurableRun, DurableState, attach, start
from agentkit.temporal._convert import application_error, retry_policy
from agentkit.temporal._worker import (
    PASSTHROUGH_MODULES,
    agents_of,
    replayer,
    sandbox_runner,
    worker,
)
from agentkit.temporal._workflow import WORKFLOW_NAME, AgentWorkflow

__all__ = (
    "DEFAULT_TASK_QUEUE",
    "PASSTHROUGH_MODULES",
    "WORKFLOW_NAME",
    "AgentWorkflow",
    "DurableRun",
    "DurableState",
    "agents_of",
    "application_error",
    "attach",
    "idempotency_key",
    "replayer",
    "retry_policy",
    "sandbox_runner",
    "start",
    "worker",
)
