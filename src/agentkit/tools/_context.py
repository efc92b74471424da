"""``RunContext``: what a tool may know about the run it is called in."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from agentkit._clock import Clock, system_clock

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from agentkit.events import EventEmitter  # loaded by new() when asked for: tools do not need it

    ProgressReporter = Callable[[float, "float | None", "str | None"], Awaitable[None]]

__all__ = ("DepsT", "RunContext")

DepsT = TypeVar("DepsT", default=None)
"""Type of the dependencies a run carries (database handles, HTTP clients, the current user...)."""


@dataclass
class RunContext(Generic[DepsT]):
    """The context of a run, injected into tools that ask for it by annotation.

    A tool parameter annotated ``RunContext[MyDeps]`` receives it; it never appears in the tool's schema, so the
    model cannot see or forge it. ``deps`` is typed, so ``ctx.deps.db`` type-checks in an editor.

    Attributes:
        deps: The run's dependencies.
        run_id: The run's identifier (also on every event).
        tool_call_id: The id of the tool call being executed, when there is one.
        events: Where tool-execution events go; ``None`` disables events.
        clock: Where durations and event times are read from.
        retries: Consecutive invalid calls per tool name in this run (the per-tool retry budget's state).
        progress: Where `report_progress` sends progress (set by whoever runs the tool, e.g. the MCP server,
            which forwards it to the calling client); ``None`` drops it.

    Examples:
        >>> from dataclasses import dataclass
        >>> from agentkit import RunContext, tool
        >>> @dataclass
        ... class Deps:
        ...     currency: str
        >>> @tool
        ... def price(ctx: RunContext[Deps], amount: float) -> str:
        ...     '''Format a price.'''
        ...     return f"{amount:.2f} {ctx.deps.currency}"
        >>> "ctx" in price.contract.input_schema["properties"]
        False
        >>> price(RunContext(deps=Deps("EUR")), 3)
        '3.00 EUR'
    """

    deps: DepsT
    run_id: str = ""
    tool_call_id: str | None = None
    events: EventEmitter | None = None
    clock: Clock = system_clock
    retries: dict[str, int] = field(default_factory=dict)
    progress: ProgressReporter | None = None

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Tell the caller how far the tool has got (a no-op when nobody listens).

        Examples:
            >>> import anyio
            >>> from agentkit import RunContext
            >>> seen = []
            >>> async def listener(progress, total, message):
            ...     seen.append((progress, total, message))
            >>> ctx = RunContext(deps=None, progress=listener)
            >>> anyio.run(ctx.report_progress, 1, 4, "1 of 4 files")
            >>> seen
            [(1, 4, '1 of 4 files')]
        """
        if self.progress is not None:
            await self.progress(progress, total, message)

    def for_call(self, tool_call_id: str | None) -> RunContext[DepsT]:
        """Return a copy for one tool call; run-wide state (events, retry counts) stays shared.

        Examples:
            >>> from agentkit import RunContext
            >>> ctx = RunContext(deps=None, run_id="r1")
            >>> ctx.for_call("call_7").tool_call_id, ctx.for_call("call_7").retries is ctx.retries
            ('call_7', True)
        """
        return replace(self, tool_call_id=tool_call_id)

    @classmethod
    def new(
        cls,
        deps: Any = None,
        *,
        run_id: str | None = None,
        events: EventEmitter | bool = False,
        clock: Clock = system_clock,
    ) -> RunContext[Any]:
        """Build a context for a fresh run, optionally with an `agentkit.events.EventEmitter`.

        Args:
            deps: The run's dependencies.
            run_id: The run id; taken from the emitter or made up when omitted.
            events: ``True`` for a new emitter, or an emitter to use; ``False`` for no events.
            clock: The clock for durations and event times.

        Examples:
            >>> from agentkit import RunContext
            >>> ctx = RunContext.new(run_id="r1", events=True)
            >>> ctx.events.run_id
            'r1'
        """
        from agentkit.events import EventEmitter

        emitter: EventEmitter | None
        if isinstance(events, EventEmitter):
            emitter = events
        elif events:
            emitter = EventEmitter(run_id, clock=clock)
        else:
            emitter = None
        rid = run_id or (emitter.run_id if emitter else "")
        return cls(deps=deps, run_id=rid, events=emitter, clock=clock)
