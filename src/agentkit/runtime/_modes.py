"""The runtime's side of execution modes: which policy a run uses, and the call that honours it.

`agentkit.sandbox` does the work; it is imported only when a run or a tool asks for a mode, so runs without
modes pay one attribute lookup per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.tools._mode import RUN_MODE

if TYPE_CHECKING:
    from agentkit.sandbox import ModePolicy
    from agentkit.tools import RunContext, Tool, ToolOutcome

__all__ = ("as_policy", "invoke_tool", "run_policy")


def as_policy(mode: Any) -> ModePolicy | None:
    """``mode`` (a mode, a `ModePolicy` or ``None``) as a policy; a bad value raises ``UsageError`` here."""
    if mode is None:
        return None
    from agentkit.sandbox import ModePolicy

    return ModePolicy.of(mode)


def run_policy(run_mode: Any, agent_policy: ModePolicy | None) -> ModePolicy | None:
    """The policy of one run: its own ``mode=``, else the innermost ``use_mode``, else the agent's."""
    if run_mode is not None:
        return as_policy(run_mode)
    ambient: ModePolicy | None = RUN_MODE.get()
    return ambient if ambient is not None else agent_policy


async def invoke_tool(
    found: Tool[Any, Any], raw: str, ctx: RunContext[Any], policy: ModePolicy | None
) -> ToolOutcome[Any]:
    """Run one call of ``found`` in the mode the run's policy (or the tool itself) gives it."""
    if policy is None and getattr(found, "execution_mode", None) is None:
        return await found.invoke_json(raw, ctx)
    from agentkit.sandbox._execute import invoke_in_mode

    return await invoke_in_mode(found, raw, ctx, policy)
