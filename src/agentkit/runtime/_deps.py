"""The ``deps`` an agent declares, checked against the ``RunContext[Deps]`` its tools ask for."""

from __future__ import annotations

import inspect
import typing
from typing import Any, get_args, get_origin

from agentkit.exceptions import UsageError
from agentkit.tools import RunContext, Tool
from agentkit.tools._function import FunctionTool

__all__ = ("check_deps",)


def _context_deps(annotation: Any) -> Any:
    """The ``Deps`` of a ``RunContext[Deps]`` annotation; ``None`` when it is not one or says nothing usable."""
    if get_origin(annotation) is typing.Annotated:
        return _context_deps(get_args(annotation)[0])
    if get_origin(annotation) is RunContext:
        args = get_args(annotation)
        return args[0] if args else None
    return None


def _declared(tool: Tool[Any, Any]) -> Any:
    """The deps type ``tool`` declares through its ``RunContext`` parameter, when it can be read."""
    target: Any = tool.func if isinstance(tool, FunctionTool) else getattr(type(tool), "run", None)
    if target is None:
        return None
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:  # an annotation that does not resolve here: nothing is knowable
        return None
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return None
    for name in params:
        found = _context_deps(hints.get(name))
        if found is not None:
            return found
    return None


def check_deps(deps_type: Any, tools: typing.Iterable[Tool[Any, Any]]) -> None:
    """Raise when a tool's ``RunContext[X]`` cannot receive the agent's ``deps_type``.

    Only what is knowable is checked: both types plain classes (``Any``, unions, type variables and
    ``RunContext[None]`` are accepted as they are).

    Raises:
        UsageError: A tool declares deps of a class that ``deps_type`` is not a subclass of.
    """
    if not isinstance(deps_type, type):
        return
    for tool in tools:
        declared = _declared(tool)
        # typing.Any is a class on Python 3.11+: it accepts anything, like a declared None (no deps used).
        if not isinstance(declared, type) or declared is Any or declared is type(None):
            continue
        if not issubclass(deps_type, declared):
            raise UsageError(
                f"tool {tool.contract.name!r} takes RunContext[{declared.__qualname__}], but the agent's "
                f"deps_type is {deps_type.__qualname__}: make the tool take RunContext[{deps_type.__qualname__}] "
                f"(or a base class of it), or give the agent deps_type={declared.__qualname__}"
            )
