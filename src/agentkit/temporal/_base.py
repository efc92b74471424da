"""What agentkit.temporal offers without the Temporal SDK: its names, the idempotency key, the agents to serve.

Nothing here imports ``temporalio``, so ``agentkit.temporal`` imports (and ``help()`` renders it) without the
``temporal`` extra; `require_sdk` is what every feature that needs the SDK calls first.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError, UsageError

if TYPE_CHECKING:
    from agentkit.runtime import Agent
    from agentkit.tools import RunContext

__all__ = (
    "DEFAULT_TASK_QUEUE",
    "PASSTHROUGH_MODULES",
    "WORKFLOW_NAME",
    "agents_of",
    "idempotency_key",
    "require_sdk",
)

WORKFLOW_NAME = "agentkit.run"
"""The Temporal workflow type of a durable run (what ``temporal workflow list`` shows)."""

DEFAULT_TASK_QUEUE = "agentkit"
"""The task queue `start` and `worker` use unless told otherwise."""

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

# Set by the tool activity around each call (agentkit.temporal._activities); unset everywhere else.
KEY: ContextVar[str | None] = ContextVar("agentkit_idempotency_key", default=None)


def require_sdk() -> None:
    """Import the Temporal SDK, or raise `MissingExtraError` with the install hint when it is missing.

    Examples:
        >>> from agentkit.temporal._base import require_sdk
        >>> require_sdk()
    """
    try:
        import temporalio  # noqa: F401 - imported for the check alone
    except ImportError as exc:
        raise MissingExtraError(extra="temporal", package="temporalio") from exc


def idempotency_key(ctx: RunContext[Any]) -> str | None:
    """The idempotency key of the tool call running in ``ctx``, in a durable run; ``None`` elsewhere.

    It is ``"<run_id>/<step>/<position>"``: the same on every attempt of the call (after a worker crash, a
    timeout, a redeploy), different for every other call. A tool with side effects records its effect under
    this key (a unique column, an ``Idempotency-Key`` header) and does nothing the second time. It needs no
    Temporal SDK, so the same tool also runs in a local ``Agent.run`` where the extra is not installed.

    Examples:
        >>> from agentkit import RunContext
        >>> from agentkit.temporal import idempotency_key
        >>> idempotency_key(RunContext(deps=None, run_id="r1", tool_call_id="c1")) is None
        True
    """
    key = KEY.get()
    if key is None or ctx.tool_call_id is None:
        return None
    return key if key.startswith(ctx.run_id + "/") else None


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
