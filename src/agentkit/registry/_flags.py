"""The flag layer: providers that answer feature flags, rollouts by subject, and a record of every answer.

Flags are consulted in three places: when a toolset's tool list is built (`Toolset.gated`), when an agent's prompt
version is chosen (`FlaggedPrompt`) and when a `agentkit.runtime.Router` picks a route (its ``flag=``). Each
evaluation goes through `evaluate_flag`, which asks the provider and records the answer as a ``flag.evaluated``
event of the run it happens in. `agentkit.storage.replay` answers flags from those events instead of asking the
provider again, so a replay makes the same choices as the recorded run, whatever the flags say now.

A *subject* (a user or session id) makes percentage rollouts stable: `rollout_bucket` hashes it with SHA-256
(never Python's ``hash()``, which changes between processes), so one subject lands in the same bucket in every
process, on every machine and every Python version.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections import deque
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Union, runtime_checkable

from agentkit._scope import current_scope
from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import TypeAlias

    from agentkit.events import BaseEvent, EventEmitter
    from agentkit.prompts import PromptRegistry

__all__ = (
    "EnvFlags",
    "FlagProvider",
    "FlagResolution",
    "FlagResolver",
    "FlagValue",
    "FlaggedPrompt",
    "Rollout",
    "StaticFlags",
    "current_subject",
    "evaluate_flag",
    "flag_subject",
    "replaying_flags",
    "rollout_bucket",
)

FlagValue: TypeAlias = Union[bool, str, int, float]  # noqa: UP007 - evaluated at runtime on Python 3.10
"""What a flag evaluates to: on/off, a variant name (a route, a prompt version...) or a number."""


@runtime_checkable
class FlagProvider(Protocol):
    """Anything that answers "is this feature flag on?" (LaunchDarkly, Unleash, an env var, a dict...).

    A provider that also has ``resolve_flag`` (a `FlagResolver`) answers values other than on/off and rollouts
    by subject; one with ``is_enabled`` alone answers on/off flags, and the caller's default otherwise.

    Examples:
        >>> isinstance(StaticFlags({"beta": True}), FlagProvider)
        True
    """

    def is_enabled(self, flag: str) -> bool:
        """Whether ``flag`` is on right now."""
        ...


@dataclass(frozen=True)
class FlagResolution:
    """A provider's answer for one flag: its value, why (``reason``) and which variant it is, when named.

    Reasons used here: ``"static"`` (a fixed value), ``"default"`` (the flag is unknown), ``"rollout"`` (a
    percentage rollout placed the subject), ``"no_subject"`` (a rollout without a subject: off), ``"error"`` (the
    provider failed or answered the wrong type). Providers may use their own (OpenFeature's ``TARGETING_MATCH``).

    Examples:
        >>> FlagResolution("2.0.0", "static").value
        '2.0.0'
    """

    value: FlagValue
    reason: str = "static"
    variant: str | None = None


@runtime_checkable
class FlagResolver(FlagProvider, Protocol):
    """A `FlagProvider` that resolves any flag value, for a subject.

    Examples:
        >>> isinstance(EnvFlags(), FlagResolver)
        True
    """

    def resolve_flag(self, flag: str, default: FlagValue, subject: str | None) -> FlagResolution:
        """The value of ``flag`` for ``subject`` (``default`` when the flag is unknown)."""
        ...


# ------------------------------------------------------------------------------------------------ rollouts


def rollout_bucket(flag: str, subject: str, *, salt: str | None = None) -> float:
    """Where ``subject`` falls for ``flag``, in ``[0, 100)``: the same in every process and Python version.

    The bucket is the first 8 bytes of ``sha256(salt + NUL + subject)``, as a fraction of 2**64, times 100. The
    salt defaults to the flag's name, so different flags place a subject independently; flags given the same
    ``salt`` place it alike (widen two related features together).

    Examples:
        >>> round(rollout_bucket("new-search", "user-42"), 4)
        52.1505
        >>> rollout_bucket("new-search", "user-42") == rollout_bucket("other", "user-42", salt="new-search")
        True
    """
    digest = hashlib.sha256(f"{flag if salt is None else salt}\x00{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64 * 100.0


@dataclass(frozen=True)
class Rollout:
    """A flag that is ``on`` for ``percent`` % of subjects and ``off`` for the others (a value in `StaticFlags`).

    Attributes:
        percent: The share of subjects that get ``on``, from 0 to 100.
        on: The value for subjects inside the rollout.
        off: The value for the others, and when there is no subject.
        salt: Buckets subjects by this instead of the flag's name (see `rollout_bucket`).

    Examples:
        >>> Rollout(50).resolve("new-search", "user-1")
        FlagResolution(value=True, reason='rollout', variant='on')
        >>> Rollout(50).resolve("new-search", "user-42").value
        False
        >>> Rollout(50, on="strong", off="cheap").resolve("route", None).value
        'cheap'
    """

    percent: float
    on: FlagValue = True
    off: FlagValue = False
    salt: str | None = None

    def __post_init__(self) -> None:
        given: object = self.percent  # checked at runtime: users may pass anything
        if isinstance(given, bool) or not isinstance(given, int | float) or not 0 <= given <= 100:
            raise UsageError(f"a rollout's percent is from 0 to 100, got {self.percent!r}")

    def resolve(self, flag: str, subject: str | None) -> FlagResolution:
        """The value for ``subject`` (``off`` without one)."""
        if subject is None:
            return FlagResolution(self.off, "no_subject", "off")
        inside = rollout_bucket(flag, subject, salt=self.salt) < self.percent
        return FlagResolution(self.on if inside else self.off, "rollout", "on" if inside else "off")


# ----------------------------------------------------------------------------------------------- subjects

_SUBJECT: ContextVar[str | None] = ContextVar("agentkit_flag_subject", default=None)


@contextmanager
def flag_subject(subject: str | None) -> Iterator[None]:
    """Evaluate flags for ``subject`` (a user id...) inside the block: rollouts place this subject.

    Examples:
        >>> with flag_subject("user-42"):
        ...     current_subject()
        'user-42'
        >>> current_subject() is None
        True
    """
    token = _SUBJECT.set(subject)
    try:
        yield
    finally:
        _SUBJECT.reset(token)


def current_subject() -> str | None:
    """The subject flags are evaluated for here: `flag_subject`'s, else the running session's id, else ``None``.

    Examples:
        >>> current_subject() is None
        True
    """
    subject = _SUBJECT.get()
    if subject is not None:
        return subject
    # The session id lives in the runtime, a layer above; a session exists only once the runtime is loaded.
    telemetry = sys.modules.get("agentkit.runtime._telemetry")
    session: str | None = telemetry.current_session_id() if telemetry is not None else None
    return session


# ---------------------------------------------------------------------------------------------- providers


def _matches(value: object, default: FlagValue) -> bool:
    """Whether ``value`` has the type of ``default`` (a bool is not an int here; an int passes for a float)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return type(value) is type(default)


class StaticFlags:
    """A flag provider backed by a mapping: on/off flags, values, and `Rollout` s. Mutate ``flags`` to flip them.

    Args:
        flags: Flag name to value (``True``, ``"2.0.0"``, ``Rollout(10)``...).
        default: The answer for unknown on/off flags; ``None`` (the default) leaves it to the caller's default
            (``is_enabled`` then says off).

    Examples:
        >>> flags = StaticFlags({"beta": True, "prompt": "2.0.0", "new-search": Rollout(100)})
        >>> flags.is_enabled("beta"), flags.is_enabled("unknown")
        (True, False)
        >>> flags.resolve_flag("prompt", "1.0.0", None).value
        '2.0.0'
        >>> flags.resolve_flag("new-search", False, "user-42").value
        True
    """

    def __init__(
        self, flags: Mapping[str, FlagValue | Rollout] | None = None, *, default: bool | None = None
    ) -> None:
        self.flags: dict[str, FlagValue | Rollout] = dict(flags or {})
        self.default = default

    def is_enabled(self, flag: str) -> bool:
        """Whether ``flag`` is on (for the current subject, when it is a rollout)."""
        return bool(self.resolve_flag(flag, bool(self.default), current_subject()).value)

    def resolve_flag(self, flag: str, default: FlagValue, subject: str | None) -> FlagResolution:
        """The value of ``flag`` for ``subject``."""
        if flag not in self.flags:
            if isinstance(default, bool) and self.default is not None:
                return FlagResolution(self.default, "default")
            return FlagResolution(default, "default")
        value = self.flags[flag]
        if isinstance(value, Rollout):
            return value.resolve(flag, subject)
        return FlagResolution(value, "static")

    def __repr__(self) -> str:
        return f"StaticFlags({self.flags!r}, default={self.default!r})"


_TRUE = frozenset({"1", "true", "on", "yes", "enabled"})
_FALSE = frozenset({"0", "false", "off", "no", "disabled", ""})
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class EnvFlags:
    """Flags from environment variables, read at each evaluation: ``new-search`` is ``AGENTKIT_FLAG_NEW_SEARCH``.

    An on/off flag reads ``1/true/on/yes`` as on, ``0/false/off/no`` (or empty) as off, and ``25%`` as a
    `Rollout` to a quarter of the subjects. A string flag reads the text as it is; numbers are parsed.

    Args:
        prefix: Put before the flag's name, upper-cased with every other character than letters and digits
            turned into ``_``.
        environ: Where to read (``os.environ`` by default).

    Examples:
        >>> flags = EnvFlags(environ={"AGENTKIT_FLAG_BETA": "on", "AGENTKIT_FLAG_PROMPT": "2.0.0"})
        >>> flags.is_enabled("beta"), flags.resolve_flag("prompt", "1.0.0", None).value
        (True, '2.0.0')
        >>> EnvFlags.variable("new-search")
        'AGENTKIT_FLAG_NEW_SEARCH'
    """

    def __init__(
        self, prefix: str = "AGENTKIT_FLAG_", *, environ: Mapping[str, str] | None = None
    ) -> None:
        self.prefix = prefix
        self.environ = environ

    @staticmethod
    def variable(flag: str, prefix: str = "AGENTKIT_FLAG_") -> str:
        """The environment variable that holds ``flag``."""
        return prefix + re.sub(r"[^A-Za-z0-9]", "_", flag).upper()

    def is_enabled(self, flag: str) -> bool:
        """Whether ``flag`` is on (for the current subject, when it is a rollout)."""
        return bool(self.resolve_flag(flag, False, current_subject()).value)

    def resolve_flag(self, flag: str, default: FlagValue, subject: str | None) -> FlagResolution:
        """The value of ``flag`` for ``subject``, from its variable (``default`` when unset or unreadable)."""
        environ = os.environ if self.environ is None else self.environ
        raw = environ.get(self.variable(flag, self.prefix))
        if raw is None:
            return FlagResolution(default, "default")
        if isinstance(default, bool):
            text = raw.strip().lower()
            if text in _TRUE or text in _FALSE:
                return FlagResolution(text in _TRUE, "static")
            percent = _PERCENT.match(text)
            if percent is not None and float(percent.group(1)) <= 100:
                return Rollout(float(percent.group(1))).resolve(flag, subject)
            return FlagResolution(default, "error")
        if isinstance(default, str):
            return FlagResolution(raw, "static")
        try:
            number: FlagValue = int(raw) if isinstance(default, int) else float(raw)
        except ValueError:
            return FlagResolution(default, "error")
        return FlagResolution(number, "static")

    def __repr__(self) -> str:
        return f"EnvFlags(prefix={self.prefix!r})"


# ------------------------------------------------------------------------------------- evaluating, recording


class _Collector:
    """Evaluations made before a run's ``run.started``, emitted right after it."""

    __slots__ = ("emitter", "items")

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.emitter = current_scope().emitter  # only evaluations of this same scope are collected


_COLLECTOR: ContextVar[_Collector | None] = ContextVar("agentkit_flag_collector", default=None)


@contextmanager
def collect_evaluations(into: list[dict[str, Any]]) -> Iterator[None]:
    """Keep the evaluations made in the block in ``into`` instead of emitting them (a run's set-up phase)."""
    token = _COLLECTOR.set(_Collector(into))
    try:
        yield
    finally:
        _COLLECTOR.reset(token)


def emit_collected(emitter: EventEmitter, items: list[dict[str, Any]]) -> None:
    """Emit the evaluations `collect_evaluations` kept, in order, and forget them."""
    if not items:
        return
    from agentkit.events import FlagEvaluated

    for fields in items:
        emitter.emit(FlagEvaluated, **fields)
    items.clear()


class _Recorded:
    """The recorded evaluations of a run, answered in order per flag."""

    __slots__ = ("queues",)

    def __init__(self, events: Iterable[BaseEvent]) -> None:
        self.queues: dict[str, deque[Any]] = {}
        for event in events:
            if getattr(event, "type", None) == "flag.evaluated":
                self.queues.setdefault(event.flag, deque()).append(event)  # type: ignore[attr-defined]  # a FlagEvaluated

    def take(self, flag: str) -> Any:
        queue = self.queues.get(flag)
        return queue.popleft() if queue else None


_REPLAY: ContextVar[_Recorded | None] = ContextVar("agentkit_flag_replay", default=None)


@contextmanager
def replaying_flags(events: Iterable[BaseEvent]) -> Iterator[None]:
    """Answer every flag evaluated in the block from the ``flag.evaluated`` events given, in order, per flag.

    A flag evaluated more often than recorded is asked of its provider (the replay then diverges on the extra
    event). `agentkit.storage.replay` uses it; use it yourself to re-make a recorded run's choices.
    """
    token = _REPLAY.set(_Recorded(events))
    try:
        yield
    finally:
        _REPLAY.reset(token)


def _provider_name(provider: object) -> str:
    name = getattr(provider, "name", None)
    return name if isinstance(name, str) else type(provider).__name__


def _ask(
    provider: FlagProvider, flag: str, default: FlagValue, subject: str | None
) -> FlagResolution:
    try:
        resolve = getattr(provider, "resolve_flag", None)
        if resolve is not None:
            answer = resolve(flag, default, subject)
            if not isinstance(answer, FlagResolution):
                answer = FlagResolution(answer, "static")
        elif isinstance(default, bool):
            answer = FlagResolution(bool(provider.is_enabled(flag)), "static")
        else:
            return FlagResolution(default, "unsupported")
    except Exception as exc:
        _warn(
            "flag provider %r failed on %r (%s): using the default",
            provider,
            flag,
            type(exc).__name__,
        )
        return FlagResolution(default, "error")
    if not _matches(answer.value, default):
        _warn(
            "flag %r is %r, not a %s like its default: using the default",
            flag,
            answer.value,
            type(default).__name__,
        )
        return FlagResolution(default, "error", answer.variant)
    return answer


def _warn(message: str, *args: object) -> None:
    from agentkit._log import library_logger

    library_logger("agentkit.flags").warning(message, *args)


def evaluate_flag(
    provider: FlagProvider,
    flag: str,
    default: FlagValue,
    *,
    subject: str | None = None,
    site: str | None = None,
) -> Any:
    """Evaluate ``flag`` with ``provider`` and record the answer as a ``flag.evaluated`` event of the current run.

    Inside a replay (`agentkit.storage.replay`) the answer comes from the recorded run instead, in order, and
    the provider is not asked. A provider that raises or answers a value of another type than ``default`` gives
    ``default`` (reason ``"error"``, logged on ``agentkit.flags``): a flag service outage never fails a run.

    Args:
        provider: Who answers.
        flag: The flag's name.
        default: The value when the flag is unknown; its type is the flag's type.
        subject: Whom to evaluate for (rollouts); `current_subject` when omitted.
        site: What the flag decides (``"tools"``, ``"prompt"``, ``"route"`` here), recorded with the answer.

    Returns:
        The flag's value, of the type of ``default``.

    Examples:
        >>> from agentkit.events import EventEmitter
        >>> from agentkit._scope import scoped
        >>> emitter = EventEmitter(run_id="r")
        >>> with scoped(emitter=emitter), flag_subject("user-42"):
        ...     evaluate_flag(StaticFlags({"route": "strong"}), "route", "cheap", site="route")
        'strong'
        >>> event = emitter.events[0]
        >>> event.type, event.flag, event.value, event.subject, event.reason
        ('flag.evaluated', 'route', 'strong', 'user-42', 'static')
    """
    if subject is None:
        subject = current_subject()
    recorded = _REPLAY.get()
    previous = recorded.take(flag) if recorded is not None else None
    if previous is not None:
        fields: dict[str, Any] = {
            "flag": flag,
            "value": previous.value,
            "default": previous.default,
            "subject": previous.subject,
            "reason": previous.reason,
            "variant": previous.variant,
            "provider": previous.provider,
            "site": previous.site,
        }
    else:
        answer = _ask(provider, flag, default, subject)
        fields = {
            "flag": flag,
            "value": answer.value,
            "default": default,
            "subject": subject,
            "reason": answer.reason,
            "variant": answer.variant,
            "provider": _provider_name(provider),
            "site": site,
        }
    _record(fields)
    return fields["value"]


def _record(fields: dict[str, Any]) -> None:
    emitter = current_scope().emitter
    collector = _COLLECTOR.get()
    if collector is not None and collector.emitter is emitter:
        collector.items.append(fields)
    elif emitter is not None:
        from agentkit.events import FlagEvaluated

        emitter.emit(FlagEvaluated, **fields)


# ------------------------------------------------------------------------------------------------- prompts


class FlaggedPrompt:
    """An agent's instructions chosen by a flag: the flag's value names which prompt (or version) renders.

    The flag is evaluated each time the prompt is rendered (once per run, before the first model call) and
    recorded; the chosen prompt's ``prompt.rendered`` event says which version ran. A value that names no
    choice falls back to ``default`` (logged).

    Args:
        flags: The flag provider.
        flag: The flag's name; its value is a key of ``choices``.
        choices: Prompts (anything with ``render(vars)``) by variant name, e.g. by version.
        default: The variant used when the flag is unknown (a key of ``choices``).

    Examples:
        >>> from agentkit.prompts import Prompt
        >>> v1, v2 = Prompt("support", system="Be brief."), Prompt("support", system="Be warm.", version="2.0.0")
        >>> flags = StaticFlags({"support-prompt": "2.0.0"})
        >>> prompt = FlaggedPrompt(flags, "support-prompt", {"1.0.0": v1, "2.0.0": v2}, default="1.0.0")
        >>> prompt.render(None).messages[0].text
        'Be warm.'
    """

    def __init__(
        self, flags: FlagProvider, flag: str, choices: Mapping[str, Any], *, default: str
    ) -> None:
        if default not in choices:
            raise UsageError(
                f"the default prompt {default!r} is not one of the choices: {', '.join(map(repr, choices))}"
            )
        self.flags = flags
        self.flag = flag
        self.choices = dict(choices)
        self.default = default

    @classmethod
    def from_registry(
        cls,
        registry: PromptRegistry,
        name: str,
        *,
        flags: FlagProvider,
        flag: str,
        default: str = "active",
    ) -> FlaggedPrompt:
        """The flag's value is a version (or range) of the prompt ``name`` in ``registry``; ``default`` if unknown.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("support", system="v1"), activate=True)
            >>> _ = registry.register(Prompt("support", system="v2", version="2.0.0"))
            >>> flags = StaticFlags({"support-prompt": "2.0.0"})
            >>> FlaggedPrompt.from_registry(registry, "support", flags=flags, flag="support-prompt").render(
            ...     None).version
            '2.0.0'
        """
        return _RegistryPrompt(registry, name, flags, flag, default)

    def choose(self) -> Any:
        """Evaluate the flag (recorded) and return the prompt it chooses."""
        value = evaluate_flag(self.flags, self.flag, self.default, site="prompt")
        if value not in self.choices:
            _warn("flag %r names no prompt (%r): using %r", self.flag, value, self.default)
            value = self.default
        return self.choices[value]

    def render(self, variables: Any, /) -> Any:
        """Choose the prompt by the flag and render it with ``variables``."""
        return self.choose().render(variables)

    def __repr__(self) -> str:
        return f"FlaggedPrompt({self.flag!r}, choices={list(self.choices)!r}, default={self.default!r})"


class _RegistryPrompt(FlaggedPrompt):
    def __init__(
        self, registry: PromptRegistry, name: str, flags: FlagProvider, flag: str, default: str
    ) -> None:
        self.registry = registry
        self.name = name
        self.flags = flags
        self.flag = flag
        self.default = default
        self.choices = {}

    def choose(self) -> Any:
        value = evaluate_flag(self.flags, self.flag, self.default, site="prompt")
        return self.registry.get(self.name, value)

    def __repr__(self) -> str:
        return f"FlaggedPrompt.from_registry({self.name!r}, flag={self.flag!r}, default={self.default!r})"
