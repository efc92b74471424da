"""Typed failures of sandboxed tool calls: an unmatched mock, and what can end an isolated call."""

from __future__ import annotations

from typing import Any, ClassVar

from agentkit.exceptions import ToolError

__all__ = (
    "IsolationError",
    "MockNotFound",
    "ToolCrashed",
    "ToolMemoryExceeded",
    "ToolNotIsolatable",
)


class MockNotFound(ToolError):
    """A ``mocked`` call matched no recorded answer and no mock function.

    Attributes:
        tool_name: The tool called.
        arguments: The call's validated arguments (sensitive values masked).
        known: The argument sets that do have an answer for this tool (at most ten).

    Examples:
        >>> from agentkit.sandbox import MockNotFound
        >>> print(MockNotFound(tool_name="weather", arguments={"city": "Oslo"}, known=[{"city": "Paris"}]))
        no mocked answer for weather({"city": "Oslo"}); answers exist for: {"city": "Paris"}
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "arguments", "known")

    def __init__(
        self, *, tool_name: str, arguments: Any, known: list[Any] | tuple[Any, ...] = ()
    ) -> None:
        import json

        def show(value: Any) -> str:
            return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)[:300]

        where = (
            "answers exist for: " + "; ".join(show(k) for k in known[:10])
            if known
            else "there is no answer for this tool (add one with Mocks.add or Mocks.function)"
        )
        super().__init__(
            f"no mocked answer for {tool_name}({show(arguments)}); {where}", tool_name=tool_name
        )
        self.arguments = arguments
        self.known = list(known)


class IsolationError(ToolError):
    """An ``isolated`` call could not run, or its subprocess ended badly.

    Examples:
        >>> from agentkit.sandbox import IsolationError, ToolCrashed
        >>> issubclass(ToolCrashed, IsolationError)
        True
    """


class ToolMemoryExceeded(IsolationError):
    """The isolated tool needed more memory than its limit allowed.

    Attributes:
        tool_name: The tool.
        limit: The limit, in bytes.

    Examples:
        >>> from agentkit.sandbox import ToolMemoryExceeded
        >>> print(ToolMemoryExceeded(tool_name="resize", limit=64 * 2**20))
        tool 'resize' exceeded its memory limit of 64 MiB
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "limit")

    def __init__(self, *, tool_name: str, limit: int) -> None:
        super().__init__(
            f"tool {tool_name!r} exceeded its memory limit of {limit / 2**20:g} MiB",
            tool_name=tool_name,
        )
        self.limit = limit


class ToolCrashed(IsolationError):
    """The isolated tool's subprocess died without an answer (a signal, an abort, ``os._exit``).

    Attributes:
        tool_name: The tool.
        returncode: The subprocess's exit status (negative: the signal that killed it).
        stderr: The end of what it wrote to its standard error.

    Examples:
        >>> from agentkit.sandbox import ToolCrashed
        >>> print(ToolCrashed(tool_name="convert", returncode=-11, stderr=""))
        tool 'convert' crashed in its subprocess (killed by signal SIGSEGV)
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "returncode", "stderr")

    def __init__(self, *, tool_name: str, returncode: int | None, stderr: str = "") -> None:
        if returncode is not None and returncode < 0:
            import signal

            try:
                how = f"killed by signal {signal.Signals(-returncode).name}"
            except ValueError:
                how = f"killed by signal {-returncode}"
        else:
            how = f"exit status {returncode}"
        tail = f": {stderr.strip()[-500:]}" if stderr.strip() else ""
        super().__init__(
            f"tool {tool_name!r} crashed in its subprocess ({how}){tail}", tool_name=tool_name
        )
        self.returncode = returncode
        self.stderr = stderr


class ToolNotIsolatable(IsolationError):
    """The tool cannot run in a subprocess (its code is not importable there, or what it needs is not picklable).

    Attributes:
        tool_name: The tool.
        reason: Why, and what to change.

    Examples:
        >>> from agentkit.sandbox import ToolNotIsolatable
        >>> ToolNotIsolatable(tool_name="t", reason="defined in a function body").reason
        'defined in a function body'
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "reason")

    def __init__(self, *, tool_name: str, reason: str) -> None:
        super().__init__(f"tool {tool_name!r} cannot run isolated: {reason}", tool_name=tool_name)
        self.reason = reason
