"""Durable agent runs on Temporal (the ``temporal`` extra): the loop as a workflow, each call an activity.

A run started with `start` is a Temporal workflow that runs agentkit's own loop; every model call and tool call
(MCP tools included) is an activity, so a worker can crash or be redeployed mid-run and another one carries on
from the history. Approvals are the ``approve`` signal (`DurableRun.approve`), the run's state a query
(`DurableRun.state`), and the run emits the same events as a local one into the worker's sinks and stores,
each event once. See the guide, "Durable runs".

This module imports (and ``help()`` renders it) without the ``temporal`` extra: the Temporal SDK is imported
when a function that needs it is called (`start`, `attach`, `worker`, `replayer`, `sandbox_runner`,
`retry_policy`, `application_error`), which raises `agentkit.exceptions.MissingExtraError` with the install hint
when it is missing. The constants, `DurableState`, `idempotency_key` and `agents_of` need no SDK. The workflow
class itself is registered by `worker` and `replayer`; it is not part of the public surface.

Examples:
    >>> from agentkit.temporal import WORKFLOW_NAME, DEFAULT_TASK_QUEUE
    >>> WORKFLOW_NAME, DEFAULT_TASK_QUEUE
    ('agentkit.run', 'agentkit')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.temporal._api import (
    application_error,
    replayer,
    retry_policy,
    sandbox_runner,
    worker,
)
from agentkit.temporal._base import (
    DEFAULT_TASK_QUEUE,
    PASSTHROUGH_MODULES,
    WORKFLOW_NAME,
    agents_of,
    idempotency_key,
)

if TYPE_CHECKING:
    from agentkit.temporal._client import DurableRun, DurableState, attach, start

__all__ = (
    "DEFAULT_TASK_QUEUE",
    "PASSTHROUGH_MODULES",
    "WORKFLOW_NAME",
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

_CLIENT = frozenset({"DurableRun", "DurableState", "attach", "start"})


def __getattr__(name: str) -> Any:
    # The client side (pydantic models of the runtime) loads on first use; none of it imports the SDK.
    if name in _CLIENT:
        from agentkit.temporal import _client

        return getattr(_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # List the lazy names too, so help(), inspect.getmembers and IDEs see the whole public surface.
    return sorted(set(globals()) | set(__all__))
