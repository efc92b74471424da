"""Running one tool call in a mode: the tool's own validation, events and errors, with another executor."""

from __future__ import annotations

import copy
import inspect
import json
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import ToolError, ToolExecutionError
from agentkit.sandbox._mocks import _Recorded
from agentkit.sandbox._policy import ModePolicy, check_mode
from agentkit.tools._base import _CALL_MODEL, _as_plain
from agentkit.tools._function import FunctionTool
from agentkit.tools._mode import CALL_MODE, Mode
from agentkit.tools._sensitive import mask_arguments

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from agentkit.tools import RunContext, Tool, ToolOutcome
    from agentkit.tools._base import _ToolSpec

__all__ = ("DryRunResult", "invoke", "invoke_in_mode")

_DEFAULT = ModePolicy()

DRY_RUN_NOTICE = (
    "[dry run] {name} was not executed. This run is a dry run: the arguments were checked and the call was "
    "recorded, but nothing happened and there is no real result. Do not assume the action took effect."
)


class DryRunResult:
    """What a ``dry_run`` call of a tool without a dry-run answer of its own returns, instead of running.

    The model receives `text`, which says plainly that nothing was executed; it never pretends the tool ran.

    Attributes:
        tool_name: The tool.
        arguments: The validated arguments (sensitive values masked).
        text: What the model is told.

    Examples:
        >>> import anyio
        >>> from agentkit import tool
        >>> from agentkit.sandbox import DryRunResult, invoke
        >>> @tool
        ... def send_email(to: str, body: str) -> str:
        ...     '''Send an email.'''
        ...     raise AssertionError("not in a dry run")
        >>> outcome = anyio.run(invoke, send_email, {"to": "a@example.com", "body": "hi"}, "dry_run")
        >>> isinstance(outcome.value, DryRunResult), outcome.value.arguments["to"]
        (True, 'a@example.com')
        >>> print(outcome.content)
        [dry run] send_email was not executed. This run is a dry run: the arguments were checked and the call was recorded, but nothing happened and there is no real result. Do not assume the action took effect.
    """

    __slots__ = ("arguments", "text", "tool_name")

    def __init__(self, tool_name: str, arguments: Any, text: str) -> None:
        self.tool_name = tool_name
        self.arguments = arguments
        self.text = text

    def __repr__(self) -> str:
        return f"DryRunResult(tool_name={self.tool_name!r}, arguments={self.arguments!r})"


async def invoke(
    item: Tool[Any, Any],
    arguments: Mapping[str, Any] | str | bytes,
    mode: Mode | ModePolicy = "live",
    ctx: RunContext[Any] | None = None,
) -> ToolOutcome[Any]:
    """Call ``item`` once in ``mode``, outside any agent: what an agent's run does for each call.

    Args:
        item: The tool.
        arguments: The arguments, decoded or as the model's JSON text.
        mode: A mode (forced) or a `ModePolicy`.
        ctx: The run context (events, deps); none by default.

    Returns:
        The outcome, as from ``tool.invoke_json``; its ``error`` is typed (`MockNotFound`, `ToolMemoryExceeded`...).

    Examples:
        >>> import anyio
        >>> from agentkit import tool
        >>> from agentkit.sandbox import Mocks, ModePolicy, invoke
        >>> @tool
        ... def weather(city: str) -> dict:
        ...     '''Current weather.'''
        ...     raise AssertionError("mocked")
        >>> mocks = Mocks().add("weather", {"city": "Oslo"}, returns={"temp_c": -3})
        >>> anyio.run(invoke, weather, {"city": "Oslo"}, ModePolicy(force="mocked", mocks=mocks)).content
        '{"temp_c":-3}'
    """
    raw = arguments if isinstance(arguments, str | bytes) else json.dumps(dict(arguments))
    return await invoke_in_mode(item, raw, ctx, ModePolicy.of(mode))


async def invoke_in_mode(
    item: Tool[Any, Any],
    raw_arguments: str | bytes,
    ctx: RunContext[Any] | None,
    policy: ModePolicy | None,
) -> ToolOutcome[Any]:
    """Run one call in the mode ``policy`` gives ``item`` (the runtime's entry point)."""
    policy = policy or _DEFAULT
    mode = policy.mode_for(item)
    token = CALL_MODE.set(mode)
    try:
        if mode == "live":
            return await item.invoke_json(raw_arguments, ctx)
        outcome = await _substitute(item, policy, mode).invoke_json(raw_arguments, ctx)
    finally:
        CALL_MODE.reset(token)
    error = outcome.error
    if isinstance(error, ToolExecutionError) and isinstance(error.__cause__, ToolError):
        # The tools layer wraps whatever a call raised; the sandbox's own failures are typed already.
        outcome.error = error.__cause__
    return outcome


def _substitute(item: Tool[Any, Any], policy: ModePolicy, mode: Mode) -> Tool[Any, Any]:
    """A copy of ``item`` with its contract, validation and events, whose call does what ``mode`` says."""
    spec: _ToolSpec = item._spec
    if mode == "dry_run":
        call = _dry_run_call(item, spec)
        timeout = None
    elif mode == "mocked":
        call = _mocked_call(item, spec, policy)
        timeout = None
    else:
        check_mode(mode)
        from agentkit.sandbox._isolate import isolated_call

        call = isolated_call(item, spec, policy.limits_for(item))
        timeout = spec.timeout
    dump = spec.dump
    clone_spec = copy.copy(spec)
    clone_spec.call = call
    clone_spec.call_mode = _CALL_MODEL
    clone_spec.is_async = True
    clone_spec.timeout = timeout
    clone_spec.inline = timeout is None
    clone_spec.fast = clone_spec.inline
    clone_spec.dump = lambda value: (
        value.text if isinstance(value, _Recorded | DryRunResult) else dump(value)
    )
    clone = copy.copy(item)
    clone._spec = clone_spec
    return clone


def _dry_run_call(item: Tool[Any, Any], spec: _ToolSpec) -> Callable[..., Any]:
    own = _own_dry_run(item, spec)

    async def call(_self: Any, args: Any, ctx: RunContext[Any]) -> Any:
        if own is not None:
            answer = own(args, ctx)
            if inspect.isawaitable(answer):
                answer = await answer
            return answer
        arguments = mask_arguments(_as_plain(args, spec), spec.contract.sensitive)
        return DryRunResult(spec.name, arguments, DRY_RUN_NOTICE.format(name=spec.name))

    return call


def _own_dry_run(item: Tool[Any, Any], spec: _ToolSpec) -> Callable[[Any, Any], Any] | None:
    """The tool's own dry-run answer as ``f(args, ctx)``: ``@tool(dry_run=...)`` or a ``dry_run`` method."""
    if isinstance(item, FunctionTool):
        handler = getattr(item, "dry_run_func", None)
        if handler is None:
            return None
        wants_ctx = spec.ctx_param is not None and spec.ctx_param in _parameters(handler)

        def by_keywords(args: Any, ctx: Any) -> Any:
            fields = dict(args)
            if wants_ctx:
                fields[spec.ctx_param] = ctx
            return handler(**fields)

        return by_keywords
    method = getattr(item, "dry_run", None)
    return method if callable(method) else None


def _parameters(fn: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature
        return set()


def _mocked_call(item: Tool[Any, Any], spec: _ToolSpec, policy: ModePolicy) -> Callable[..., Any]:
    from agentkit.sandbox._errors import MockNotFound

    mocks = policy.mocks

    async def call(_self: Any, args: Any, ctx: RunContext[Any]) -> Any:
        arguments = _as_plain(args, spec)
        if mocks is not None:
            found, answer = mocks._answer(spec.name, arguments, spec.contract.sensitive)
            if found:
                if inspect.isawaitable(answer):
                    answer = await answer
                return answer
            known = mocks._known(spec.name)
        else:
            known = []
        raise MockNotFound(
            tool_name=spec.name,
            arguments=mask_arguments(arguments, spec.contract.sensitive),
            known=known,
        )

    return call
