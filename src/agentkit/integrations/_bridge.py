"""What the SDK bridges share: one invocation path and a way to call it from synchronous code."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentkit.tools import RunContext

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from agentkit.tools import Tool, ToolOutcome

__all__ = ("call_context", "invoke", "run_sync")


def call_context(base: RunContext[Any] | None, tool_call_id: str | None) -> RunContext[Any]:
    """The context of one call: the bridge's run-wide context (retry budget, events) for this call id."""
    if base is None:
        return RunContext(deps=None, tool_call_id=tool_call_id)
    return base.for_call(tool_call_id)


async def invoke(
    tool: Tool[Any, Any],
    arguments: Mapping[str, Any] | str,
    ctx: RunContext[Any],
    decode: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
) -> ToolOutcome[Any]:
    """Validate and run through agentkit's own path, so every peer gets the same outcomes and hints.

    Arguments arrive as JSON text (validated raw, as in an agentkit run) or decoded by the peer (sent back to
    JSON text, so validation runs in JSON mode either way). ``decode`` maps a dialect's form to canonical
    arguments first (OpenAI strict: ``null`` for an omitted optional field).
    """
    if isinstance(arguments, str):
        if decode is None:
            return await tool.invoke_json(arguments, ctx)
        try:
            parsed = json.loads(arguments) if arguments.strip() else {}
        except ValueError:  # not JSON: agentkit's own parser writes the repair hint
            return await tool.invoke_json(arguments, ctx)
        if not isinstance(parsed, dict):
            return await tool.invoke_json(arguments, ctx)
        arguments = parsed
    if decode is not None:
        arguments = decode(arguments)
    return await tool.invoke_json(json.dumps(arguments, ensure_ascii=False), ctx)


def run_sync(fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``fn`` to completion from synchronous code, in a worker thread when this thread runs an event loop."""
    import asyncio  # only to ask whether this thread runs a loop (LangChain and the Agents SDK run on asyncio)

    import anyio

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop here: run one
        return anyio.run(fn)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentkit-bridge") as pool:
        return pool.submit(anyio.run, fn).result()
