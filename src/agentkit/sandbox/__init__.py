"""Execution modes for tools: ``live``, ``dry_run``, ``mocked`` and ``isolated``, per tool, toolset or run.

- ``live``: the tool runs, as usual.
- ``dry_run``: the arguments are validated and the call recorded; nothing runs. The model gets the tool's own
  dry-run answer (``@tool(dry_run=...)``, a ``dry_run`` method on a ``Tool`` subclass) or a `DryRunResult`
  that says plainly nothing was executed.
- ``mocked``: the answer comes from `Mocks` (a recorded run, fixed values or functions), matched on the tool and
  its arguments; an unmatched call fails with `MockNotFound`.
- ``isolated``: the tool runs in a subprocess with a wall-time and a memory limit (`IsolationLimits`); the
  subprocess and every process it started are killed at the end of the call.

Choose a mode for a run (``agent.run(..., mode="dry_run")``), for every run of an agent (``Agent(mode=...)``), for
every run started in a block (`use_mode`), for a tool or a toolset (`with_mode`), or with rules (`ModePolicy`).
Every tool-call event records the mode the call ran in.

Examples:
    >>> from agentkit import tool
    >>> from agentkit.messages import ToolCallPart
    >>> from agentkit.runtime import Agent
    >>> from agentkit.testing import FakeProvider
    >>> @tool
    ... def refund(order_id: str) -> str:
    ...     '''Refund an order.'''
    ...     raise AssertionError("no refunds in a dry run")
    >>> call = ToolCallPart(id="c1", name="refund", arguments='{"order_id": "A1"}')
    >>> agent = Agent(FakeProvider([[call], "Refund prepared."]), tools=[refund])
    >>> result = agent.run_sync("Refund order A1", mode="dry_run")
    >>> result.messages[3].parts[0].content.splitlines()[1][:40]
    '[dry run] refund was not executed. This '
"""

from __future__ import annotations

from agentkit.sandbox._errors import (
    IsolationError,
    MockNotFound,
    ToolCrashed,
    ToolMemoryExceeded,
    ToolNotIsolatable,
)
from agentkit.sandbox._execute import DryRunResult, invoke
from agentkit.sandbox._mocks import Mocks
from agentkit.sandbox._policy import (
    IsolationLimits,
    ModePolicy,
    current_mode,
    declared_mode,
    use_mode,
    with_mode,
)
from agentkit.tools._mode import MODES, Mode

__all__ = (
    "MODES",
    "DryRunResult",
    "IsolationError",
    "IsolationLimits",
    "MockNotFound",
    "Mocks",
    "Mode",
    "ModePolicy",
    "ToolCrashed",
    "ToolMemoryExceeded",
    "ToolNotIsolatable",
    "current_mode",
    "declared_mode",
    "invoke",
    "use_mode",
    "with_mode",
)
