"""Which mode each tool call runs in: `ModePolicy`, `use_mode`, `with_mode`."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from typing import TYPE_CHECKING, Any, overload

from agentkit.exceptions import UsageError
from agentkit.registry import Toolset
from agentkit.tools import Tool, tool
from agentkit.tools._mode import CALL_MODE, MODES, RUN_MODE, Mode

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from agentkit.sandbox._mocks import Mocks

__all__ = (
    "IsolationLimits",
    "ModePolicy",
    "check_mode",
    "current_mode",
    "declared_mode",
    "use_mode",
    "with_mode",
)

_MODE_ATTR = "execution_mode"
_LIMITS_ATTR = "execution_limits"


def check_mode(value: object, *, option: str = "mode") -> Mode:
    """``value`` as a `Mode`, or a `UsageError` naming the valid modes.

    Examples:
        >>> from agentkit.sandbox._policy import check_mode
        >>> check_mode("dry_run")
        'dry_run'
    """
    if isinstance(value, str) and value in MODES:
        return value
    raise UsageError(f"{option} must be one of {', '.join(map(repr, MODES))}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class IsolationLimits:
    """What a tool running in ``isolated`` mode may use.

    Attributes:
        timeout: Wall-clock seconds before the subprocess (and every process it started) is killed; ``None``
            for no limit beyond the tool's own ``timeout``.
        max_memory: Bytes of address space the tool may add to what the interpreter and its imports already use
            (``RLIMIT_AS`` on Linux); ``None`` for no limit.

    Examples:
        >>> from agentkit.sandbox import IsolationLimits
        >>> IsolationLimits(timeout=5, max_memory=256 * 2**20).timeout
        5
    """

    timeout: float | None = 30.0
    max_memory: int | None = 512 * 2**20

    def __post_init__(self) -> None:
        if self.timeout is not None and not self.timeout > 0:
            raise UsageError(f"IsolationLimits.timeout must be > 0 (or None), got {self.timeout!r}")
        if self.max_memory is not None and self.max_memory <= 0:
            raise UsageError(
                f"IsolationLimits.max_memory must be > 0 bytes (or None), got {self.max_memory!r}"
            )


@dataclasses.dataclass(frozen=True)
class ModePolicy:
    """How each tool call of a run is executed.

    For one call, the first rule that gives a mode wins:

    1. ``force``: every call, whatever the tool says;
    2. ``tools[name]``: the call's tool, by the name the model sees;
    3. the tool's own mode (`with_mode` on the tool, then on a toolset holding it; a ``Tool`` subclass may set
       the class attribute ``execution_mode``);
    4. ``destructive``: tools whose contract says ``destructive=True`` (and not ``read_only=True``);
    5. ``default``.

    A bare mode given to ``Agent(mode=...)``, ``agent.run(mode=...)`` or `use_mode` means ``ModePolicy(force=mode)``:
    ``mode="dry_run"`` is a dry run of everything.

    Attributes:
        default: The mode of calls no other rule decides.
        force: The mode of every call, when set.
        tools: Modes by tool name.
        destructive: The mode of destructive tools, when set.
        mocks: Where ``mocked`` calls get their answers (`Mocks`); without it every mocked call fails with
            `MockNotFound`.
        limits: The limits of ``isolated`` calls (a tool's own, from `with_mode`, win).

    Examples:
        >>> from agentkit import ToolAnnotations, tool
        >>> from agentkit.sandbox import ModePolicy
        >>> @tool(annotations=ToolAnnotations(destructive=True))
        ... def drop_table(name: str) -> str:
        ...     '''Drop a table.'''
        ...     return "dropped"
        >>> ModePolicy.for_evals().mode_for(drop_table), ModePolicy(force="isolated").mode_for(drop_table)
        ('dry_run', 'isolated')
    """

    default: Mode = "live"
    force: Mode | None = None
    tools: Mapping[str, Mode] = dataclasses.field(default_factory=dict)
    destructive: Mode | None = None
    mocks: Mocks | None = None
    limits: IsolationLimits = dataclasses.field(default_factory=IsolationLimits)

    def __post_init__(self) -> None:
        check_mode(self.default, option="ModePolicy.default")
        if self.force is not None:
            check_mode(self.force, option="ModePolicy.force")
        if self.destructive is not None:
            check_mode(self.destructive, option="ModePolicy.destructive")
        for name, mode in self.tools.items():
            check_mode(mode, option=f"ModePolicy.tools[{name!r}]")
        object.__setattr__(self, "tools", dict(self.tools))

    @classmethod
    def of(cls, value: Mode | ModePolicy) -> ModePolicy:
        """The policy a ``mode=`` argument stands for: a policy as it is, a bare mode forced on every call.

        Examples:
            >>> from agentkit.sandbox import ModePolicy
            >>> ModePolicy.of("dry_run").force
            'dry_run'
        """
        if isinstance(value, ModePolicy):
            return value
        return cls(force=check_mode(value))

    @classmethod
    def for_evals(
        cls,
        default: Mode = "live",
        *,
        mocks: Mocks | None = None,
        limits: IsolationLimits | None = None,
    ) -> ModePolicy:
        """The policy for evaluation runs: destructive tools run ``dry_run`` unless ``default`` has no side effects.

        Args:
            default: The mode of the other tools (a case's mode).
            mocks: Answers for ``mocked`` calls.
            limits: Limits for ``isolated`` calls.

        Examples:
            >>> from agentkit.sandbox import ModePolicy
            >>> policy = ModePolicy.for_evals()
            >>> policy.default, policy.destructive
            ('live', 'dry_run')
            >>> ModePolicy.for_evals("mocked").destructive is None
            True
        """
        check_mode(default, option="default")
        return cls(
            default=default,
            destructive="dry_run" if default in ("live", "isolated") else None,
            mocks=mocks,
            limits=limits or IsolationLimits(),
        )

    def mode_for(self, item: Tool[Any, Any]) -> Mode:
        """The mode a call of ``item`` runs in under this policy.

        Examples:
            >>> from agentkit import tool
            >>> from agentkit.sandbox import ModePolicy
            >>> @tool
            ... def ping() -> str:
            ...     '''Ping.'''
            ...     return "pong"
            >>> ModePolicy(tools={"ping": "mocked"}).mode_for(ping)
            'mocked'
        """
        if self.force is not None:
            return self.force
        contract = item.contract
        named = self.tools.get(contract.name)
        if named is None and contract.namespace:
            named = self.tools.get(contract.qualified_name)
        if named is not None:
            return named
        own = declared_mode(item)
        if own is not None:
            return own
        if self.destructive is not None:
            hints = contract.annotations
            if hints.destructive is True and hints.read_only is not True:
                return self.destructive
        return self.default

    def limits_for(self, item: Tool[Any, Any]) -> IsolationLimits:
        """The isolation limits of ``item``: its own (`with_mode`), else the policy's."""
        own = getattr(item, _LIMITS_ATTR, None)
        return own if isinstance(own, IsolationLimits) else self.limits


def declared_mode(item: Tool[Any, Any]) -> Mode | None:
    """The mode ``item`` declares for itself (`with_mode`, or an ``execution_mode`` class attribute), if any.

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.sandbox import declared_mode, with_mode
        >>> @tool
        ... def ping() -> str:
        ...     '''Ping.'''
        ...     return "pong"
        >>> declared_mode(ping), declared_mode(with_mode(ping, "isolated"))
        (None, 'isolated')
    """
    own = getattr(item, _MODE_ATTR, None)
    if own is None:
        return None
    return check_mode(own, option=f"{type(item).__name__}.execution_mode")


def current_mode() -> Mode:
    """The mode of the tool call running in this context (``"live"`` outside any call).

    A tool may read it, e.g. to say more in a dry run; it never needs to: a dry-run call does not run the tool.

    Examples:
        >>> from agentkit.sandbox import current_mode
        >>> current_mode()
        'live'
    """
    return CALL_MODE.get()


@contextlib.contextmanager
def use_mode(mode: Mode | ModePolicy) -> Iterator[ModePolicy]:
    """Make ``mode`` the mode of every run started inside the block that does not choose one itself.

    The precedence for a run is ``agent.run(mode=...)``, then the innermost `use_mode`, then
    ``Agent(mode=...)``, then live (each tool's own mode applies). Blocks nest; the context is per task, like
    any context variable.

    Args:
        mode: A mode (forced on every call) or a `ModePolicy`.

    Yields:
        The policy in effect inside the block.

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.messages import ToolCallPart
        >>> from agentkit.runtime import Agent
        >>> from agentkit.sandbox import use_mode
        >>> from agentkit.testing import FakeProvider
        >>> @tool
        ... def delete_user(user_id: int) -> str:
        ...     '''Delete a user.'''
        ...     raise AssertionError("never runs in a dry run")
        >>> call = ToolCallPart(id="c1", name="delete_user", arguments='{"user_id": 7}')
        >>> agent = Agent(FakeProvider([[call], "Done."]), tools=[delete_user])
        >>> with use_mode("dry_run"):
        ...     result = agent.run_sync("delete user 7")
        >>> [e.mode for e in result.events if e.type == "tool.call.succeeded"]
        ['dry_run']
    """
    policy = ModePolicy.of(mode)
    token = RUN_MODE.set(policy)
    try:
        yield policy
    finally:
        RUN_MODE.reset(token)


@overload
def with_mode(
    tools: Tool[Any, Any], mode: Mode, *, limits: IsolationLimits | None = None
) -> Tool[Any, Any]: ...


@overload
def with_mode(
    tools: Toolset | Sequence[Tool[Any, Any] | Callable[..., Any]],
    mode: Mode,
    *,
    limits: IsolationLimits | None = None,
) -> Toolset: ...


def with_mode(
    tools: Tool[Any, Any] | Toolset | Sequence[Tool[Any, Any] | Callable[..., Any]],
    mode: Mode,
    *,
    limits: IsolationLimits | None = None,
) -> Tool[Any, Any] | Toolset:
    """A tool, or a toolset, that runs in ``mode`` unless the run's policy forces or names another.

    On one tool, the mode is the tool's own. On a toolset (or a list of tools), it applies to the tools that have
    none of their own: a tool's mode is more specific than its toolset's. The originals are unchanged.

    Args:
        tools: A tool, a `Toolset` (evaluated lazily, as toolsets are) or a list of tools and functions.
        mode: The mode.
        limits: The limits when ``mode`` is ``"isolated"``.

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.sandbox import declared_mode, with_mode
        >>> @tool
        ... def read(path: str) -> str:
        ...     '''Read a file.'''
        ...     return ""
        >>> @tool
        ... def write(path: str, text: str) -> str:
        ...     '''Write a file.'''
        ...     return "ok"
        >>> files = with_mode([with_mode(read, "live"), write], "dry_run")
        >>> {t.contract.name: declared_mode(t) for t in files}
        {'read': 'live', 'write': 'dry_run'}
    """
    check_mode(mode)
    if isinstance(tools, Tool):
        return _stamped(tools, mode, limits)
    toolset = tools if isinstance(tools, Toolset) else Toolset([_as_tool(t) for t in tools])
    copies: dict[int, tuple[Tool[Any, Any], Tool[Any, Any]]] = {}

    def stamp(item: Tool[Any, Any]) -> Tool[Any, Any]:
        if declared_mode(item) is not None:
            return item
        known = copies.get(id(item))
        if known is None or known[0] is not item:
            # The same copy for the same tool, step after step: the toolset's listing stays cached.
            known = copies[id(item)] = (item, _stamped(item, mode, limits))
        return known[1]

    return Toolset(lambda: [stamp(t) for t in toolset.tools()])


def _as_tool(item: Tool[Any, Any] | Callable[..., Any]) -> Tool[Any, Any]:
    if isinstance(item, Tool):
        return item
    if isinstance(item, type) and issubclass(item, Tool):
        return item()
    if callable(item):
        made: Tool[Any, Any] = tool(item)
        return made
    raise UsageError(f"with_mode takes tools, a Toolset or functions, got {item!r}")


def _stamped(item: Tool[Any, Any], mode: Mode, limits: IsolationLimits | None) -> Tool[Any, Any]:
    clone = copy.copy(item)
    setattr(clone, _MODE_ATTR, mode)
    if limits is not None:
        setattr(clone, _LIMITS_ATTR, limits)
    return clone
