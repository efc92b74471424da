"""``Registry``: namespaced, versioned tools with an explicit collision policy and plugin discovery."""

from __future__ import annotations

import difflib
import importlib
import inspect
import types
from typing import TYPE_CHECKING, Any, Literal, overload

from agentkit.exceptions import (
    PluginLoadError,
    ToolCollisionError,
    ToolDefinitionError,
    ToolNotFoundError,
    UsageError,
)
from agentkit.registry._snapshot import ContractSnapshot
from agentkit.registry._toolset import Toolset, string_set
from agentkit.tools import FunctionTool, Tool, tool
from agentkit.tools._semver import Version, VersionRange

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

__all__ = ("ENTRY_POINT_GROUP", "CollisionPolicy", "Registry")

CollisionPolicy = Literal["error", "prefix", "replace"]
"""What to do when a tool claims a name and major version that is already taken:

- ``"error"`` (default): raise `agentkit.exceptions.ToolCollisionError`;
- ``"replace"``: the newcomer replaces the registered tool;
- ``"prefix"``: the newcomer is registered as ``{prefix}_{name}`` (the prefix is given, or the plugin's entry-point
  name, or the module's last name component).
"""

ENTRY_POINT_GROUP = "agentkit.tools"
"""The entry-point group third-party distributions declare tools in."""

_POLICIES = ("error", "prefix", "replace")


class Registry:
    """A collection of tools keyed by ``namespace.name``, with several major versions side by side.

    Downstream apps import a registry, add their own tools and modules, discover plugins through entry points,
    and hand a `Toolset` view of it to an agent. Registering the same object twice is a no-op; two
    different tools with the same qualified name and major version follow the collision policy.

    Args:
        on_collision: Default collision policy (``"error"``, ``"prefix"`` or ``"replace"``).

    Examples:
        >>> from agentkit import Registry, tool
        >>> registry = Registry()
        >>> @registry.tool(namespace="travel", version="1.0.0")
        ... def search_flights(origin: str) -> list[str]:
        ...     '''Search flights.'''
        ...     return []
        >>> @tool(version="2.0.0")
        ... def search_flights_v2(origin: str, cabin: str = "economy") -> list[str]:
        ...     '''Search flights, with a cabin class.'''
        ...     return []
        >>> _ = registry.register(search_flights_v2.renamed("search_flights"), namespace="travel")
        >>> registry.versions("travel.search_flights")
        ['1.0.0', '2.0.0']
        >>> registry.get("travel.search_flights", "^1").contract.version
        '1.0.0'
        >>> registry.get("travel.search_flights").contract.version
        '2.0.0'
    """

    def __init__(self, *, on_collision: CollisionPolicy = "error") -> None:
        _check_policy(on_collision)
        self.on_collision: CollisionPolicy = on_collision
        self._tools: dict[str, dict[int, Tool[Any, Any]]] = {}
        # tools() results by latest_only, dropped on every change: an agent step lists the tools each time.
        self._listed: dict[bool, tuple[Tool[Any, Any], ...]] = {}
        self.plugin_errors: list[PluginLoadError] = []
        """Entry points skipped by `load_entry_points` with ``on_error="skip"``."""

    # ------------------------------------------------------------------------------------------ registering

    def register(
        self,
        obj: Tool[Any, Any] | type[Tool[Any, Any]] | Callable[..., Any],
        *,
        namespace: str | None = None,
        on_collision: CollisionPolicy | None = None,
        prefix: str | None = None,
    ) -> Tool[Any, Any]:
        """Register a tool: a ``Tool`` instance, a ``Tool`` subclass, or a plain function.

        A ``Tool`` subclass must have a no-argument constructor; a plain function is wrapped with
        `agentkit.tool`.

        Args:
            obj: What to register.
            namespace: Namespace to put the tool in (joined in front of any namespace the tool already has).
            on_collision: Overrides the registry's collision policy for this call.
            prefix: Prefix for the ``"prefix"`` policy.

        Returns:
            The tool as registered (a renamed copy when a namespace or prefix applied).

        Examples:
            >>> from agentkit import Registry
            >>> def ping() -> str:
            ...     '''Check the service is up.'''
            ...     return "pong"
            >>> Registry().register(ping, namespace="ops").contract.qualified_name
            'ops.ping'
        """
        policy = on_collision or self.on_collision
        _check_policy(policy)
        item = _as_tool(obj)
        if namespace:
            joined = (
                f"{namespace}.{item.contract.namespace}" if item.contract.namespace else namespace
            )
            item = item.renamed(item.contract.name, namespace=joined)
        key = item.contract.qualified_name
        major = item.contract.semver.major
        existing = self._tools.get(key, {}).get(major)
        if existing is not None and existing is not item and existing.contract != item.contract:
            if policy == "error":
                raise ToolCollisionError(
                    name=key,
                    existing_version=existing.contract.version,
                    new_version=item.contract.version,
                )
            if policy == "prefix":
                if not prefix:
                    raise UsageError(
                        f"on_collision='prefix' needs prefix=... to rename the second {key!r}"
                    )
                item = item.renamed(f"{prefix}_{item.contract.name}")
                return self.register(item, on_collision="error")
        self._tools.setdefault(key, {})[major] = item
        self._listed.clear()
        return item

    @overload
    def tool(self, func: Callable[..., Any], /) -> FunctionTool[Any, Any]: ...

    @overload
    def tool(
        self,
        /,
        *,
        namespace: str | None = None,
        on_collision: CollisionPolicy | None = None,
        **options: Any,
    ) -> Callable[[Callable[..., Any]], FunctionTool[Any, Any]]: ...

    def tool(
        self,
        func: Callable[..., Any] | None = None,
        /,
        *,
        namespace: str | None = None,
        on_collision: CollisionPolicy | None = None,
        **options: Any,
    ) -> FunctionTool[Any, Any] | Callable[[Callable[..., Any]], FunctionTool[Any, Any]]:
        """Decorator: make a tool with `agentkit.tool` (same options) and register it.

        The decorated function is returned as the tool (not the namespaced copy), so it stays callable.

        Examples:
            >>> from agentkit import Registry
            >>> registry = Registry()
            >>> @registry.tool
            ... def ping() -> str:
            ...     '''Check the service is up.'''
            ...     return "pong"
            >>> "ping" in registry, ping()
            (True, 'pong')
        """

        def decorate(f: Callable[..., Any]) -> FunctionTool[Any, Any]:
            made = f if isinstance(f, FunctionTool) else tool(**options)(f)
            self.register(made, namespace=namespace, on_collision=on_collision)
            return made

        if func is not None:
            return decorate(func)
        return decorate

    def register_module(
        self,
        module: types.ModuleType | str,
        *,
        namespace: str | None = None,
        on_collision: CollisionPolicy | None = None,
        prefix: str | None = None,
    ) -> list[Tool[Any, Any]]:
        """Register every tool a module exposes.

        That is ``Tool`` instances (``@tool`` functions included) and concrete ``Tool`` subclasses defined in the
        module. ``__all__`` is honoured when present; names starting with ``_`` are not.

        Examples:
            >>> import types
            >>> from agentkit import Registry, tool
            >>> mod = types.ModuleType("acme_tools")
            >>> @tool
            ... def ping() -> str:
            ...     '''Check the service is up.'''
            ...     return "pong"
            >>> mod.ping = ping
            >>> [t.contract.name for t in Registry().register_module(mod)]
            ['ping']
        """
        if isinstance(module, str):
            module = importlib.import_module(module)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n in vars(module) if not n.startswith("_")]
        found: list[Tool[Any, Any] | type[Tool[Any, Any]]] = []
        for attr in sorted(names):
            obj = getattr(module, attr, None)
            if isinstance(obj, Tool) or (
                isinstance(obj, type)
                and issubclass(obj, Tool)
                and obj.__module__ == module.__name__
                and not inspect.isabstract(obj)
            ):
                found.append(obj)
        default_prefix = prefix or module.__name__.rsplit(".", 1)[-1]
        return [
            self.register(
                obj, namespace=namespace, on_collision=on_collision, prefix=default_prefix
            )
            for obj in found
        ]

    def load_entry_points(
        self,
        group: str = ENTRY_POINT_GROUP,
        *,
        names: Iterable[str] | None = None,
        namespace: str | None = None,
        on_collision: CollisionPolicy | None = None,
        on_error: Literal["raise", "skip"] = "raise",
    ) -> list[Tool[Any, Any]]:
        """Discover and register tools that installed distributions declare in an entry-point group.

        An entry point may name a ``Tool``, a ``Tool`` subclass, a module, a list of those, or a zero-argument
        factory returning any of them. In ``pyproject.toml``::

            [project.entry-points."agentkit.tools"]
            weather = "acme_tools:get_weather"

        Args:
            group: The entry-point group.
            names: Only load these entry points.
            namespace: Namespace for every loaded tool.
            on_collision: Collision policy; ``"prefix"`` uses the entry point's name as the prefix.
            on_error: ``"raise"`` a `agentkit.exceptions.PluginLoadError` on the first broken entry point,
                or ``"skip"`` it and record the error in `plugin_errors`.

        Returns:
            The tools registered, in entry-point name order.

        Examples:
            >>> from agentkit import Registry
            >>> Registry().load_entry_points(group="agentkit.doctest-nothing-here")
            []
        """
        from importlib.metadata import entry_points

        wanted = string_set(names, option="names")
        loaded: list[Tool[Any, Any]] = []
        for ep in sorted(entry_points(group=group), key=lambda e: e.name):
            if wanted is not None and ep.name not in wanted:
                continue
            dist = getattr(getattr(ep, "dist", None), "name", None)
            try:
                tools = _tools_from(ep.load(), ep.name)
                if not tools:
                    raise ValueError(f"{ep.value!r} holds no tools")
                loaded.extend(
                    self.register(t, namespace=namespace, on_collision=on_collision, prefix=ep.name)
                    for t in tools
                )
            except Exception as exc:
                if isinstance(exc, ToolCollisionError) and on_error == "raise":
                    raise
                error = PluginLoadError(
                    entry_point=ep.name, distribution=dist, reason=f"{type(exc).__name__}: {exc}"
                )
                if on_error == "raise":
                    raise error from exc
                self.plugin_errors.append(error)
        return loaded

    def unregister(self, name: str, version: str | None = None) -> None:
        """Remove a tool (every version, or those matching ``version``)."""
        versions = self._versions_of(name)
        self._listed.clear()
        if version is None:
            del self._tools[name]
            return
        match = VersionRange(version)
        for major, item in list(versions.items()):
            if item.contract.semver in match:
                del versions[major]
        if not versions:
            del self._tools[name]

    # ------------------------------------------------------------------------------------------ lookup

    def get(self, name: str, version: str | None = None) -> Tool[Any, Any]:
        """The highest registered version of ``name`` matching ``version`` (any version when omitted).

        Releases are preferred over pre-releases: ``3.0.0-rc.1`` is only chosen when no release matches.

        Args:
            name: Qualified name (``namespace.name``).
            version: A requirement such as ``"^1"``, ``"~1.2"``, ``"1.2.0"`` or ``">=1.1,<3"``.

        Raises:
            ToolNotFoundError: No such name, or no version matches (with "did you mean" suggestions).
        """
        versions = self._versions_of(name)
        candidates = sorted(versions.values(), key=lambda t: t.contract.semver, reverse=True)
        if version is not None:
            match = VersionRange(version)
            candidates = [t for t in candidates if t.contract.semver in match]
            if not candidates:
                raise ToolNotFoundError(name=name, version=version)
        return _prefer_release(candidates)

    def versions(self, name: str) -> list[str]:
        """Every registered version of ``name``, lowest first."""
        return [str(v) for v in sorted(_semver(t) for t in self._versions_of(name).values())]

    def tools(self, *, latest_only: bool = False) -> list[Tool[Any, Any]]:
        """Every registered tool (or only the highest release of each name), sorted by name then version."""
        return list(self._listing(latest_only))

    def _listing(self, latest_only: bool) -> tuple[Tool[Any, Any], ...]:
        """`tools`, as the tuple kept until the next change (the same object while nothing changes)."""
        listed = self._listed.get(latest_only)
        if listed is None:
            out: list[Tool[Any, Any]] = []
            for key in sorted(self._tools):
                items = sorted(self._tools[key].values(), key=_semver)
                out.extend([_prefer_release(items[::-1])] if latest_only else items)
            listed = self._listed[latest_only] = tuple(out)
        return listed

    def snapshot(self) -> ContractSnapshot:
        """A stable, reviewable snapshot of every registered contract (commit it; ``diff`` catches breakage).

        Examples:
            >>> from agentkit import Registry, tool
            >>> registry = Registry()
            >>> _ = registry.register(tool(name="ping", description="Ping.")(lambda: "pong"))
            >>> '"ping@1.0.0"' in registry.snapshot().to_json()
            True
        """
        return ContractSnapshot.of(t.contract for t in self.tools())

    def toolset(
        self, *, qualify: bool = False, majors: Literal["latest", "all"] = "latest"
    ) -> Toolset:
        """A live `Toolset` view of the registry.

        Args:
            qualify: Expose namespaced tools as ``namespace_name`` (dots become ``_``), so tools with the same name
                in different namespaces can be offered to a model together. The namespace itself is kept, so
                ``filter(namespace=...)`` still works on the result.
            majors: ``"latest"`` offers the highest release of each tool; ``"all"`` offers every major version
                side by side. Names stay plain unless a tool has several majors, which are then exposed as
                ``name_v1``, ``name_v2``...

        Examples:
            >>> from agentkit import Registry
            >>> registry = Registry()
            >>> def ping() -> str:
            ...     '''Ping.'''
            ...     return "pong"
            >>> _ = registry.register(ping, namespace="ops")
            >>> registry.toolset(qualify=True).names()
            ['ops_ping']
        """
        renamed: dict[int, tuple[Tool[Any, Any], str, Tool[Any, Any]]] = {}

        def rename(item: Tool[Any, Any], name: str, fresh: dict[int, Any]) -> Tool[Any, Any]:
            # The same renamed tool while the registry holds the same tool: its contract (and compiled forms)
            # stay cached from one agent step to the next.
            hit = renamed.get(id(item))
            if hit is None or hit[0] is not item or hit[1] != name:
                hit = (item, name, item.renamed(name))
            fresh[id(item)] = hit
            return hit[2]

        def source() -> Sequence[Tool[Any, Any]]:
            fresh: dict[int, tuple[Tool[Any, Any], str, Tool[Any, Any]]] = {}
            items: Sequence[Tool[Any, Any]]
            if majors == "all":
                every: list[Tool[Any, Any]] = []
                for versions in self._tools.values():
                    ordered = sorted(versions.values(), key=_semver)
                    if len(ordered) == 1:
                        every.append(ordered[0])
                    else:
                        every.extend(
                            rename(t, f"{t.contract.name}_v{t.contract.semver.major}", fresh)
                            for t in ordered
                        )
                items = every
            else:
                items = self._listing(True)
            if qualify:
                items = [
                    rename(t, t.contract.qualified_name.replace(".", "_"), fresh)
                    if t.contract.namespace
                    else t
                    for t in items
                ]
            renamed.clear()
            renamed.update(fresh)
            return items

        return Toolset(source)

    def _versions_of(self, name: str) -> dict[int, Tool[Any, Any]]:
        try:
            return self._tools[name]
        except KeyError:
            suggestions = tuple(difflib.get_close_matches(name, list(self._tools), n=3, cutoff=0.6))
            raise ToolNotFoundError(name=name, suggestions=suggestions) from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return sum(len(v) for v in self._tools.values())

    def __iter__(self) -> Iterator[Tool[Any, Any]]:
        return iter(self.tools())

    def __repr__(self) -> str:
        return f"Registry({len(self)} tools)"


def _prefer_release(highest_first: list[Tool[Any, Any]]) -> Tool[Any, Any]:
    releases = [t for t in highest_first if not t.contract.semver.prerelease]
    return (releases or highest_first)[0]


def _semver(item: Tool[Any, Any]) -> Version:
    return item.contract.semver


def _check_policy(policy: str) -> None:
    if policy not in _POLICIES:
        raise UsageError(
            f"on_collision must be one of {', '.join(map(repr, _POLICIES))}, got {policy!r}"
        )


def _as_tool(obj: Any) -> Tool[Any, Any]:
    if isinstance(obj, Tool):
        return obj
    if isinstance(obj, type) and issubclass(obj, Tool):
        try:
            return obj()
        except TypeError as exc:
            raise ToolDefinitionError(
                f"cannot instantiate {obj.__name__} without arguments ({exc}); register an instance instead"
            ) from exc
    if callable(obj) and (inspect.isfunction(obj) or inspect.iscoroutinefunction(obj)):
        return tool(obj)
    raise UsageError(f"cannot register {obj!r}: expected a Tool, a Tool subclass or a function")


def _tools_from(
    obj: Any, ep_name: str, _depth: int = 0
) -> list[Tool[Any, Any] | type[Tool[Any, Any]]]:
    """Tools held by an entry point's target."""
    if _depth > 2:
        raise ValueError("entry point nests factories too deeply")
    if isinstance(obj, Tool) or (isinstance(obj, type) and issubclass(obj, Tool)):
        return [obj]
    if isinstance(obj, types.ModuleType):
        registry = Registry(on_collision="error")
        return list(registry.register_module(obj))
    if isinstance(obj, list | tuple | set | frozenset):
        out: list[Tool[Any, Any] | type[Tool[Any, Any]]] = []
        for item in obj:
            out.extend(_tools_from(item, ep_name, _depth + 1))
        return out
    if callable(obj):
        return _tools_from(obj(), ep_name, _depth + 1)
    raise TypeError(
        f"expected a Tool, Tool subclass, module, list or factory, got {type(obj).__name__}"
    )
