"""``PromptRegistry``: prompts by name, several versions each, with a lifecycle and a reviewable snapshot."""

from __future__ import annotations

import difflib
import warnings
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict

from agentkit.exceptions import ToolDefinitionError
from agentkit.prompts._errors import (
    PromptCollisionError,
    PromptDeprecationWarning,
    PromptError,
    PromptLifecycleError,
    PromptNotFoundError,
)
from agentkit.prompts._prompt import MessageTemplate, Prompt
from agentkit.tools._semver import Version, VersionRange, parse_version

if TYPE_CHECKING:
    from collections.abc import Iterator

    from agentkit.events import EventEmitter
    from agentkit.prompts._prompt import RenderedPrompt

__all__ = ("SNAPSHOT_FORMAT", "PromptRecord", "PromptRegistry", "PromptSnapshot", "PromptState")

V = TypeVar("V")

PromptState = Literal["draft", "active", "deprecated", "retired"]
"""Where a prompt version is in its lifecycle:

- ``"draft"``: registered, not served unless asked for by exact version;
- ``"active"``: what ``get(name)`` serves; at most one version per name;
- ``"deprecated"``: still served when asked for (by exact version or range), with a `PromptDeprecationWarning`;
- ``"retired"``: never served unless ``include_retired=True``; final.
"""

SNAPSHOT_FORMAT = 1
"""Version of the `PromptSnapshot` JSON format."""

_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("active", "retired"),
    "active": ("deprecated",),
    "deprecated": ("active", "retired"),
    "retired": (),
}


class PromptRecord(BaseModel):
    """One prompt version as listed by `PromptRegistry.snapshot`.

    Examples:
        >>> from agentkit.prompts import Prompt, PromptRegistry
        >>> registry = PromptRegistry()
        >>> _ = registry.register(Prompt("plain", system="Be brief."))
        >>> record = registry.snapshot().prompts[0]
        >>> record.name, record.version, record.state
        ('plain', '1.0.0', 'draft')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    state: PromptState
    content_hash: str
    description: str = ""
    tags: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    templates: tuple[MessageTemplate, ...] = ()


class PromptSnapshot(BaseModel):
    """Every registered prompt version with its state and hash, sorted by name then version: commit it for review.

    Examples:
        >>> from agentkit.prompts import Prompt, PromptRegistry
        >>> registry = PromptRegistry()
        >>> _ = registry.register(Prompt("plain", system="Be brief."), activate=True)
        >>> print(registry.snapshot().to_json()[:60])
        {
          "format": 1,
          "prompts": [
            {
              "name": "plain",
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = SNAPSHOT_FORMAT
    prompts: tuple[PromptRecord, ...] = ()

    def to_json(self) -> str:
        """Stable, indented JSON (two runs over the same registry give identical text)."""
        return self.model_dump_json(indent=2) + "\n"


class _Entry:
    __slots__ = ("prompt", "state")

    def __init__(self, prompt: Prompt[Any], state: PromptState) -> None:
        self.prompt = prompt
        self.state: PromptState = state


class PromptRegistry:
    """Prompts keyed by name, several versions each, moving through draft → active → deprecated → retired.

    Lifecycle rules: a version is registered as a draft (or straight to active with ``activate=True``);
    `activate` makes a version the one active version of its name and deprecates the previously active one;
    `deprecate` and `retire` move a version on. Legal transitions are draft → active, draft → retired,
    active → deprecated, deprecated → active (a rollback) and deprecated → retired; retired is final. Asking for
    the state a version is already in is a no-op; anything else raises `PromptLifecycleError`.

    What `get` serves: ``get(name)`` (or ``"active"``) is the active version. A range such as ``"^1"`` matches
    active and deprecated versions, preferring the active one, then the highest release. An exact version such as
    ``"1.2.0"`` also serves a draft (to try it before activating). Retired versions are never served unless
    ``include_retired=True``. Fetching a deprecated version warns with `PromptDeprecationWarning`.

    The lifecycle lives in the registry, not in the `Prompt`: a prompt object is an immutable value and renders
    wherever it is held; `render` here enforces the lifecycle.

    Examples:
        >>> from agentkit.prompts import Prompt, PromptRegistry
        >>> registry = PromptRegistry()
        >>> _ = registry.register(Prompt("support", system="v1", version="1.0.0"), activate=True)
        >>> _ = registry.register(Prompt("support", system="v2", version="2.0.0"))
        >>> registry.get("support").version, registry.state("support", "2.0.0")
        ('1.0.0', 'draft')
        >>> registry.activate("support", "2.0.0")
        >>> registry.get("support", "active").version, registry.state("support", "1.0.0")
        ('2.0.0', 'deprecated')
    """

    def __init__(self) -> None:
        self._entries: dict[str, dict[Version, _Entry]] = {}

    # ------------------------------------------------------------------------------------------ registering

    def register(self, prompt: Prompt[V], *, activate: bool = False) -> Prompt[V]:
        """Add a prompt version as a draft, or as the active version with ``activate=True``.

        Registering the same content again is a no-op (apart from ``activate``).

        Args:
            prompt: The prompt.
            activate: Make it the active version right away (the previously active one becomes deprecated).

        Returns:
            The prompt, unchanged (so its variables type stays known to the type checker).

        Raises:
            PromptCollisionError: This name and version is registered with different content.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> prompt = registry.register(Prompt("plain", system="Be brief."))
            >>> registry.register(prompt) is prompt, registry.versions("plain")
            (True, ['1.0.0'])
        """
        if not isinstance(prompt, Prompt):
            raise PromptError(f"expected a Prompt, got {type(prompt).__name__}")
        versions = self._entries.setdefault(prompt.name, {})
        existing = versions.get(prompt.semver)
        if existing is None:
            versions[prompt.semver] = _Entry(prompt, "draft")
        elif existing.prompt.content_hash != prompt.content_hash:
            raise PromptCollisionError(
                name=prompt.name,
                version=prompt.version,
                existing_hash=existing.prompt.content_hash,
                new_hash=prompt.content_hash,
            )
        if activate:
            self.activate(prompt.name, prompt.version)
        return prompt

    # ------------------------------------------------------------------------------------------ lifecycle

    def state(self, name: str, version: str) -> PromptState:
        """The lifecycle state of one exact version.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("plain", system="Be brief."))
            >>> registry.state("plain", "1.0.0")
            'draft'
        """
        return self._entry(name, version).state

    def activate(self, name: str, version: str) -> None:
        """Make ``version`` the active version of ``name``; the previously active version becomes deprecated.

        Allowed from draft and from deprecated (a rollback).

        Raises:
            PromptLifecycleError: The version is retired.
            PromptNotFoundError: No such name or exact version.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("plain", system="Be brief."))
            >>> registry.activate("plain", "1.0.0")
            >>> registry.state("plain", "1.0.0")
            'active'
        """
        entry = self._entry(name, version)
        if entry.state == "active":
            return
        self._check(name, entry, "active")
        for other in self._entries[name].values():
            if other.state == "active":
                other.state = "deprecated"
        entry.state = "active"

    def deprecate(self, name: str, version: str) -> None:
        """Mark the active version deprecated; ``name`` then has no active version until one is activated.

        Raises:
            PromptLifecycleError: The version is a draft or retired.
            PromptNotFoundError: No such name or exact version.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("plain", system="Be brief."), activate=True)
            >>> registry.deprecate("plain", "1.0.0")
            >>> registry.state("plain", "1.0.0")
            'deprecated'
        """
        self._move(name, version, "deprecated")

    def retire(self, name: str, version: str) -> None:
        """Retire a draft or deprecated version for good: it is no longer served.

        Raises:
            PromptLifecycleError: The version is active (deprecate it, or activate another, first).
            PromptNotFoundError: No such name or exact version.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("plain", system="Be brief."))
            >>> registry.retire("plain", "1.0.0")
            >>> registry.state("plain", "1.0.0")
            'retired'
        """
        self._move(name, version, "retired")

    def _move(self, name: str, version: str, target: PromptState) -> None:
        entry = self._entry(name, version)
        if entry.state == target:
            return
        self._check(name, entry, target)
        entry.state = target

    @staticmethod
    def _check(name: str, entry: _Entry, target: PromptState) -> None:
        if target not in _TRANSITIONS[entry.state]:
            raise PromptLifecycleError(
                name=name, version=entry.prompt.version, state=entry.state, target=target
            )

    # ------------------------------------------------------------------------------------------ lookup

    @overload
    def get(
        self, name: str, version: str | None = None, *, include_retired: bool = False
    ) -> Prompt[Any]: ...

    @overload
    def get(
        self,
        name: str,
        version: str | None = None,
        *,
        vars: type[V],
        include_retired: bool = False,
    ) -> Prompt[V]: ...

    def get(
        self,
        name: str,
        version: str | None = None,
        *,
        vars: type[Any] | None = None,
        include_retired: bool = False,
    ) -> Prompt[Any]:
        """Fetch a prompt version to render.

        Args:
            name: The prompt's name.
            version: ``None`` or ``"active"`` for the active version, an exact version (``"1.2.0"``, drafts
                included) or a range (``"^1"``, ``"~1.2"``, ``">=1.1,<3"``: active and deprecated versions, the
                active one first, then the highest release).
            vars: The variables type you expect; checked at runtime, and the result is typed ``Prompt[vars]``.
            include_retired: Also serve retired versions.

        Returns:
            The prompt.

        Raises:
            PromptNotFoundError: No such name, no active version, or nothing servable matches (the message says
                which versions exist and in what state).
            PromptError: ``vars`` is not the prompt's variables type, or the version requirement is malformed.

        Warns:
            PromptDeprecationWarning: The version served is deprecated.

        Examples:
            >>> from pydantic import BaseModel
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> class Vars(BaseModel):
            ...     name: str
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("greet", vars=Vars, user="Hi {name}", version="1.1.0"), activate=True)
            >>> registry.get("greet", "^1", vars=Vars).render(Vars(name="Ada")).messages[0].text
            'Hi Ada'
        """
        prompt = self._get(name, version, include_retired=include_retired, stacklevel=3)
        if vars is not None and prompt.vars_type is not vars:
            raise PromptError(
                f"{prompt.version} declares its variables as {prompt.vars_type.__name__}, "
                f"not {vars.__name__}",
                prompt=name,
            )
        return prompt

    def _get(
        self, name: str, version: str | None, *, include_retired: bool, stacklevel: int
    ) -> Prompt[Any]:
        versions = self._versions_of(name)
        ordered = sorted(versions.items(), reverse=True)  # highest first
        servable = (
            ("active", "deprecated", "retired") if include_retired else ("active", "deprecated")
        )
        chosen: _Entry | None = None
        if version is None or version == "active":
            chosen = next((e for _, e in ordered if e.state == "active"), None)
            if chosen is None:
                raise PromptNotFoundError(
                    name=name,
                    version="active",
                    detail=f"no version is active; registered: {_listing(ordered)}",
                )
        elif (exact := _try_parse(version)) is not None:
            entry = versions.get(exact)
            if entry is not None and (entry.state != "retired" or include_retired):
                chosen = entry
        else:
            try:
                wanted = VersionRange(version)
            except ToolDefinitionError as exc:
                raise PromptError(exc.message, prompt=name) from None
            matching = [(v, e) for v, e in ordered if v in wanted and e.state in servable]
            active = [e for _, e in matching if e.state == "active"]
            releases = [e for v, e in matching if not v.prerelease]
            pool = active or releases or [e for _, e in matching]
            chosen = pool[0] if pool else None
        if chosen is None:
            raise PromptNotFoundError(
                name=name, version=version, detail=f"registered: {_listing(ordered)}"
            )
        if chosen.state == "deprecated":
            current = next((e.prompt.version for _, e in ordered if e.state == "active"), None)
            warnings.warn(
                f"prompt {name!r} {chosen.prompt.version} is deprecated"
                + (f"; the active version is {current}" if current else ""),
                PromptDeprecationWarning,
                stacklevel=stacklevel,
            )
        return chosen.prompt

    def render(
        self,
        name: str,
        vars: Any = None,
        *,
        version: str | None = None,
        emitter: EventEmitter | None = None,
        include_retired: bool = False,
    ) -> RenderedPrompt:
        """Fetch a prompt with `get` (same rules, same warning) and render it.

        Args:
            name: The prompt's name.
            vars: Its variables.
            version: As for `get`; the active version by default.
            emitter: When given, a ``prompt.rendered`` event is emitted through it.
            include_retired: Also serve retired versions.

        Examples:
            >>> from agentkit.events import EventEmitter
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("plain", system="Be brief."), activate=True)
            >>> emitter = EventEmitter(run_id="r")
            >>> registry.render("plain", emitter=emitter).messages[0].text
            'Be brief.'
            >>> emitter.events[0].type
            'prompt.rendered'
        """
        prompt = self._get(name, version, include_retired=include_retired, stacklevel=3)
        return prompt.render(vars, emitter=emitter)

    def versions(self, name: str) -> list[str]:
        """Every registered version of ``name``, whatever its state, lowest first.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> for v in ("1.10.0", "1.2.0"):
            ...     _ = registry.register(Prompt("plain", system=f"v{v}", version=v))
            >>> registry.versions("plain")
            ['1.2.0', '1.10.0']
        """
        return [str(v) for v in sorted(self._versions_of(name))]

    def names(self) -> list[str]:
        """Every registered prompt name, sorted.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("b", system="."))
            >>> _ = registry.register(Prompt("a", system="."))
            >>> registry.names()
            ['a', 'b']
        """
        return sorted(self._entries)

    def snapshot(self) -> PromptSnapshot:
        """Every version of every prompt with its state and content hash, for review and for CI diffs.

        Examples:
            >>> from agentkit.prompts import Prompt, PromptRegistry
            >>> registry = PromptRegistry()
            >>> _ = registry.register(Prompt("plain", system="Be brief."), activate=True)
            >>> [(r.name, r.version, r.state) for r in registry.snapshot().prompts]
            [('plain', '1.0.0', 'active')]
        """
        records = []
        for name in sorted(self._entries):
            for _, entry in sorted(self._entries[name].items()):
                p = entry.prompt
                records.append(
                    PromptRecord(
                        name=p.name,
                        version=p.version,
                        state=entry.state,
                        content_hash=p.content_hash,
                        description=p.description,
                        tags=p.tags,
                        variables=p.variables,
                        templates=p.templates,
                    )
                )
        return PromptSnapshot(prompts=tuple(records))

    # ------------------------------------------------------------------------------------------ helpers

    def _versions_of(self, name: str) -> dict[Version, _Entry]:
        versions = self._entries.get(name)
        if versions is None:
            suggestions = tuple(
                difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.6)
            )
            raise PromptNotFoundError(name=name, suggestions=suggestions)
        return versions

    def _entry(self, name: str, version: str) -> _Entry:
        versions = self._versions_of(name)
        entry = versions.get(_parse(name, version))
        if entry is None:
            raise PromptNotFoundError(
                name=name,
                version=version,
                detail=f"registered: {_listing(sorted(versions.items(), reverse=True))}",
            )
        return entry

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())

    def __iter__(self) -> Iterator[Prompt[Any]]:
        for name in sorted(self._entries):
            for _, entry in sorted(self._entries[name].items()):
                yield entry.prompt

    def __repr__(self) -> str:
        return f"PromptRegistry({len(self._entries)} prompts, {len(self)} versions)"


def _try_parse(version: str) -> Version | None:
    try:
        return parse_version(version)
    except ToolDefinitionError:
        return None


def _parse(name: str, version: str) -> Version:
    try:
        return parse_version(version)
    except ToolDefinitionError:
        raise PromptError(
            f"version {version!r} is not a semantic version; expected MAJOR.MINOR.PATCH such as '1.2.0'",
            prompt=name,
        ) from None


def _listing(highest_first: list[tuple[Version, _Entry]]) -> str:
    return ", ".join(f"{e.prompt.version} ({e.state})" for _, e in highest_first) or "nothing"
