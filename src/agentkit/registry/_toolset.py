"""``Toolset``: a composable view over tools (filter, prefix, rename, combine)."""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from agentkit.exceptions import ToolCollisionError, UnknownToolError, UsageError
from agentkit.registry._flags import FlagProvider, StaticFlags, evaluate_flag
from agentkit.tools import Tool

__all__ = ("FLAG_TAG_PREFIX", "FlagProvider", "StaticFlags", "Toolset")

FLAG_TAG_PREFIX = "flag:"
"""A tool tagged ``flag:NAME`` is offered only while the feature flag ``NAME`` is on (see `Toolset.gated`)."""


def string_set(value: object, *, option: str) -> frozenset[str] | None:
    """``value`` as a set of strings; a bare string is refused (it would quietly become a set of its letters).

    Examples:
        >>> sorted(string_set(["read", "write"], option="tags"))
        ['read', 'write']
        >>> string_set("read", option="tags")
        Traceback (most recent call last):
        ...
        agentkit.exceptions.UsageError: tags must be a collection of strings, got the string 'read'; write tags=['read']
    """
    if value is None:
        return None
    if isinstance(value, str | bytes):
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        raise UsageError(
            f"{option} must be a collection of strings, got the string {value!r}; write {option}=[{text!r}]"
        )
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise UsageError(f"{option} must be a collection of strings, got {type(value).__name__}")
    items = frozenset(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise UsageError(f"{option} must hold strings only, got {bad[0]!r}")
    return frozenset(str(item) for item in items)


_Source = Callable[[], Iterable[Tool[Any, Any]]]


class Toolset:
    """An immutable, lazily evaluated set of tools offered to a model, by the name the model sees.

    A toolset is built from tools or from a live source (a registry): every transformation returns a new toolset,
    and the tools are computed when asked for, so a toolset over a registry sees tools registered later. Names must
    be unique within a toolset; a clash raises `agentkit.exceptions.ToolCollisionError` when it is
    materialized, with the names involved.

    Examples:
        >>> from agentkit import Toolset, tool
        >>> @tool(tags=["read"])
        ... def get_order(order_id: str) -> dict:
        ...     '''Fetch an order.'''
        ...     return {}
        >>> @tool(tags=["write"])
        ... def cancel_order(order_id: str) -> str:
        ...     '''Cancel an order.'''
        ...     return "ok"
        >>> shop = Toolset([get_order, cancel_order])
        >>> shop.filter(tags={"read"}).prefixed("shop").names()
        ['shop_get_order']
        >>> shop.renamed({"cancel_order": "cancel"}).names()
        ['cancel', 'get_order']
    """

    __slots__ = ("_last", "_parts", "_source")

    def __init__(self, tools: Iterable[Tool[Any, Any]] | _Source = ()) -> None:
        # The last listing: (the source's tools, the sorted result). A source that yields the same tool objects
        # in the same order (a registry between changes, a fixed list) is not checked and sorted again.
        self._last: tuple[tuple[Tool[Any, Any], ...], tuple[Tool[Any, Any], ...]] | None = None
        # What this toolset was made of (its fixed tools, or the toolsets it was derived from), for `secrets`.
        self._parts: tuple[object, ...] = ()
        if callable(tools):
            self._source: _Source = tools
        else:
            fixed = list(tools)
            for item in fixed:
                if not isinstance(item, Tool):
                    raise UsageError(
                        f"a Toolset holds Tool objects, got {item!r}; wrap functions with @tool"
                    )
            self._source = lambda: fixed
            self._parts = tuple(fixed)

    def tools(self) -> list[Tool[Any, Any]]:
        """The tools, sorted by name; raises ``ToolCollisionError`` if two share a name."""
        items = self._source()
        last = self._last
        if last is not None and (
            items is last[0]
            or (
                type(items) is list
                and len(items) == len(last[0])
                and all(map(operator.is_, items, last[0]))
            )
        ):
            return list(last[1])
        items = tuple(items)
        seen: dict[str, Tool[Any, Any]] = {}
        for item in items:
            name = item.contract.name
            other = seen.get(name)
            if other is not None and other is not item:
                raise ToolCollisionError(
                    name=name,
                    existing_version=other.contract.version,
                    new_version=item.contract.version,
                )
            seen[name] = item
        listed = tuple(seen[n] for n in sorted(seen))
        self._last = (items, listed)
        return list(listed)

    def _derived(self, source: _Source, *parts: Toolset) -> Toolset:
        made = Toolset(source)
        made._parts = parts
        return made

    def secrets(self) -> frozenset[str]:
        """The credentials this toolset's tools hold, which every run using it masks (see `agentkit.runtime.Agent`).

        A tool or toolset holds secrets by having a ``secrets() -> frozenset[str]`` method (a protocol, no base
        class needed): `agentkit.mcp.MCPToolset` returns its header values and URL passwords,
        `agentkit.server.RemoteToolset` its API key, and a tool of your own can return its token. A toolset built
        from tools returns the union of theirs; one derived from other toolsets (`filter`, `gated`, `prefixed`,
        `renamed`, ``|``), the union of those toolsets'. A toolset over a live source (a registry) returns none.

        Raises:
            UsageError: A ``secrets()`` returned one string instead of a collection of strings.

        Examples:
            >>> from agentkit import Toolset, tool
            >>> @tool
            ... def ping() -> str:
            ...     '''Ping.'''
            ...     return "pong"
            >>> class Vault(Toolset):
            ...     def secrets(self) -> frozenset[str]:
            ...         return frozenset({"vault-token-1234"})
            >>> (Toolset([ping]) | Vault([])).prefixed("ops").secrets()
            frozenset({'vault-token-1234'})
        """
        from agentkit._redact import secret_values

        found: set[str] = set()
        for part in self._parts:
            method = getattr(part, "secrets", None)
            if callable(method):
                for value in secret_values(method(), owner=f"{part!r}.secrets()"):
                    # A pydantic SecretStr is welcome too.
                    reveal = getattr(value, "get_secret_value", None)
                    found.add(str(reveal() if callable(reveal) else value))
        return frozenset(v for v in found if v)

    def names(self) -> list[str]:
        """The names the model sees, sorted."""
        return [t.contract.name for t in self.tools()]

    def get(self, name: str) -> Tool[Any, Any]:
        """The tool a model called by ``name``.

        Raises:
            UnknownToolError: No tool has that name; carries the available names and a "did you mean".
        """
        tools = {t.contract.name: t for t in self.tools()}
        try:
            return tools[name]
        except KeyError:
            close = tuple(difflib.get_close_matches(name, list(tools), n=1, cutoff=0.6))
            raise UnknownToolError(
                tool_name=name, available=tuple(tools), suggestions=close
            ) from None

    def filter(
        self,
        predicate: Callable[[Tool[Any, Any]], bool] | None = None,
        *,
        tags: Iterable[str] | None = None,
        names: Iterable[str] | None = None,
        namespace: str | None = None,
    ) -> Toolset:
        """Keep the tools that pass every given test.

        Args:
            predicate: Any function of the tool.
            tags: Keep tools having at least one of these tags.
            names: Keep tools with these names.
            namespace: Keep tools in this namespace (or below it).
        """
        tag_set = string_set(tags, option="tags")
        name_set = string_set(names, option="names")

        def keep(item: Tool[Any, Any]) -> bool:
            contract = item.contract
            if tag_set is not None and not tag_set.intersection(contract.tags):
                return False
            if name_set is not None and contract.name not in name_set:
                return False
            if namespace is not None and not (
                contract.namespace == namespace
                or (contract.namespace or "").startswith(namespace + ".")
            ):
                return False
            return predicate is None or predicate(item)

        source = self._source
        return self._derived(lambda: [t for t in source() if keep(t)], self)

    def gated(
        self,
        flags: FlagProvider,
        *,
        flag_for: Callable[[Tool[Any, Any]], str | None] | None = None,
    ) -> Toolset:
        """Offer a tool only while its feature flag is on, asking ``flags`` each time the tool list is built.

        By default a tool's flag is its tag ``flag:NAME``; tools without one are always offered. Because a toolset
        is evaluated lazily, an agent re-reads the flags at every step. Each evaluation goes through
        `agentkit.registry.evaluate_flag`: for the current subject (rollouts), recorded as a ``flag.evaluated``
        event of the run, and answered from the recording when the run is replayed.

        Args:
            flags: The flag provider.
            flag_for: Returns a tool's flag name (or ``None`` for no flag), instead of reading its tags.

        Examples:
            >>> from agentkit import Toolset, tool
            >>> def search_v2(q: str) -> str:
            ...     return q
            >>> flags = StaticFlags({"new-search": False})
            >>> toolset = Toolset([tool(tags=["flag:new-search"], description="Search.")(search_v2)]).gated(flags)
            >>> toolset.names()
            []
            >>> flags.flags["new-search"] = True
            >>> toolset.names()
            ['search_v2']
        """

        def flag_of(item: Tool[Any, Any]) -> str | None:
            if flag_for is not None:
                return flag_for(item)
            for tag in item.contract.tags:
                if tag.startswith(FLAG_TAG_PREFIX):
                    return tag[len(FLAG_TAG_PREFIX) :]
            return None

        def keep(item: Tool[Any, Any]) -> bool:
            flag = flag_of(item)
            return flag is None or bool(evaluate_flag(flags, flag, False, site="tools"))

        source = self._source
        return self._derived(lambda: [t for t in source() if keep(t)], self)

    def prefixed(self, prefix: str, *, separator: str = "_") -> Toolset:
        """Prefix every tool's name (``prefix`` + ``separator`` + name)."""
        source = self._source
        return self._derived(
            lambda: [t.renamed(f"{prefix}{separator}{t.contract.name}") for t in source()], self
        )

    def renamed(self, mapping: Mapping[str, str]) -> Toolset:
        """Rename tools by their current name; names not in ``mapping`` are kept."""
        source = self._source
        renames = dict(mapping)
        return self._derived(
            lambda: [
                t.renamed(renames[t.contract.name]) if t.contract.name in renames else t
                for t in source()
            ],
            self,
        )

    def __or__(self, other: Toolset) -> Toolset:
        if not isinstance(other, Toolset):
            return NotImplemented
        left, right = self._source, other._source
        return self._derived(lambda: [*left(), *right()], self, other)

    def __iter__(self) -> Iterator[Tool[Any, Any]]:
        return iter(self.tools())

    def __len__(self) -> int:
        return len(self.tools())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __repr__(self) -> str:
        try:
            return f"Toolset({self.names()!r})"
        except ToolCollisionError:
            return "Toolset(<name collision>)"
