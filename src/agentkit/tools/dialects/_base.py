"""The ``SchemaDialect`` ABC, the compiled result, the compile cache and the dialect registry."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import operator
import re
import threading
import weakref
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from agentkit._frozen import (  # re-exported (``X as X``): their historical home
    _ATOMS as _ATOMS,
)
from agentkit._frozen import (
    _SCALARS as _SCALARS,
)
from agentkit._frozen import (
    FrozenDict as FrozenDict,
)
from agentkit._frozen import (
    FrozenList as FrozenList,
)
from agentkit._frozen import (
    freeze as freeze,
)
from agentkit._frozen import (
    json_copy as json_copy,
)
from agentkit.exceptions import DialectNotFoundError, SchemaCompileError

if TYPE_CHECKING:
    from agentkit.tools._contract import ToolContract

__all__ = (
    "CacheInfo",
    "CompiledTool",
    "DialectWarning",
    "SchemaDialect",
    "WireNames",
    "available_dialects",
    "clear_compile_cache",
    "compile_cache_info",
    "get_dialect",
    "register_dialect",
    "wire_name",
)

DEFAULT_CACHE_SIZE = 4096
"""How many compiled tools the process-wide LRU cache keeps."""


@dataclass(frozen=True)
class DialectWarning:
    """Something a dialect had to change in a tool's schema, where, and why.

    Attributes:
        code: Stable machine-readable kind, e.g. ``"moved-to-description"``, ``"map-as-pairs"``,
            ``"strict-disabled"``, ``"enum-stringified"``, ``"oneof-as-anyof"``, ``"free-form-object"``.
        pointer: JSON pointer into the canonical input schema (``""`` is the root).
        message: What was changed and why, for a human.

    Examples:
        >>> w = DialectWarning("moved-to-description", "/properties/code/minLength", "not supported")
        >>> str(w)
        'moved-to-description at /properties/code/minLength: not supported'
    """

    code: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} at {self.pointer or '(root)'}: {self.message}"


def _identity(arguments: dict[str, Any]) -> dict[str, Any]:
    return arguments


def _frozen(compiled: CompiledTool) -> CompiledTool:
    """``compiled`` with a read-only definition and schema (the schema stays the same object inside it)."""
    definition, schema = compiled.definition, compiled.schema
    if type(definition) is FrozenDict and type(schema) is FrozenDict:
        return compiled
    frozen_schema = freeze(schema)

    def walk(value: Any) -> Any:
        if value is schema:
            return frozen_schema
        if isinstance(value, dict):
            return FrozenDict({k: walk(v) for k, v in value.items()})
        if isinstance(value, list):
            return FrozenList([walk(v) for v in value])
        return freeze(value)

    return dataclasses.replace(compiled, definition=walk(definition), schema=frozen_schema)


@dataclass(frozen=True, eq=False)
class CompiledTool:
    """One tool compiled for one dialect: the provider-ready definition plus the way back.

    Compiled tools are cached and shared, so ``definition`` and ``schema`` are read-only (`FrozenDict` and
    `FrozenList`: still a ``dict`` and a ``list`` for reading and ``json.dumps``); a change raises ``TypeError``.
    ``copy.deepcopy`` them to edit.

    Attributes:
        dialect: The dialect's name (``"openai-strict"``...).
        name: The contract's name.
        wire_name: The name the provider sees (dots and other characters the provider rejects are mapped).
        definition: The tool definition exactly as the provider's request body expects it.
        schema: The compiled parameters schema (also inside ``definition``).
        warnings: What the dialect had to change, and why.
        strict: Whether the provider is asked to enforce the schema (OpenAI / Anthropic ``strict``).
        decoder: Maps arguments in dialect form back to canonical arguments (identity by default).
        encoder: The inverse of ``decoder`` (canonical arguments to dialect form).

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.tools.dialects import get_dialect
        >>> @tool
        ... def get_weather(city: str, unit: str = "C") -> str:
        ...     '''Weather for a city.'''
        ...     return "sunny"
        >>> compiled = get_dialect("openai-strict").compile(get_weather.contract)
        >>> compiled.schema["required"], compiled.schema["properties"]["unit"]["type"]
        (['city', 'unit'], ['string', 'null'])
        >>> compiled.decode({"city": "Oslo", "unit": None})
        {'city': 'Oslo', 'unit': 'C'}
    """

    dialect: str
    name: str
    wire_name: str
    definition: dict[str, Any]
    schema: dict[str, Any]
    warnings: tuple[DialectWarning, ...] = ()
    strict: bool = False
    decoder: Callable[[dict[str, Any]], dict[str, Any]] = field(default=_identity, repr=False)
    encoder: Callable[[dict[str, Any]], dict[str, Any]] = field(default=_identity, repr=False)

    def decode(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """Turn arguments the model sent in this dialect into canonical arguments.

        ``None`` (some providers send it for tools without parameters) decodes to ``{}``. Values whose shape does
        not match the compiled schema are passed through unchanged, so validation reports them to the model.

        Examples:
            >>> CompiledTool("canonical", "t", "t", {}, {}).decode(None)
            {}
        """
        if arguments is None:
            return {}
        if not isinstance(arguments, Mapping):
            raise TypeError(
                f"tool arguments must be a JSON object (dict), got {type(arguments).__name__}"
            )
        return self.decoder(dict(arguments))

    def encode(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Turn canonical arguments into this dialect's form (the inverse of `decode`).

        Useful to replay recorded calls to a different provider and to test the round trip.

        Examples:
            >>> CompiledTool("canonical", "t", "t", {}, {}).encode({"a": 1})
            {'a': 1}
        """
        return self.encoder(dict(arguments))


class CacheInfo(NamedTuple):
    """Statistics of the compile cache.

    Examples:
        >>> info = compile_cache_info()
        >>> info.maxsize >= info.size
        True
    """

    hits: int
    misses: int
    size: int
    maxsize: int


class _LRU:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.data: OrderedDict[tuple[str, ...], CompiledTool] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, ...]) -> CompiledTool | None:
        with self.lock:
            found = self.data.get(key)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            self.data.move_to_end(key)
            return found

    def put(self, key: tuple[str, ...], value: CompiledTool) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.maxsize:
                self.data.popitem(last=False)


_CACHE = _LRU(DEFAULT_CACHE_SIZE)

# The first level of the cache: each live contract object's compiled results by (dialect class, cache_key), so a
# warm compile is two dict lookups (no fingerprint key, no lock). Keyed by id() with a weak reference, because
# contracts are neither hashable nor to carry the cache when pickled; an entry goes when its contract does.
_MEMO: dict[int, tuple[weakref.ref[Any], dict[tuple[type, str], CompiledTool]]] = {}


def _remember(contract: Any, slot: tuple[type, str], compiled: CompiledTool) -> None:
    key = id(contract)
    entry = _MEMO.get(key)
    if entry is None or entry[0]() is not contract:

        def forget(ref: weakref.ref[Any], key: int = key) -> None:
            current = _MEMO.get(key)
            if current is not None and current[0] is ref:
                del _MEMO[key]

        try:
            entry = (weakref.ref(contract, forget), {})
        except TypeError:  # an object without weak references: the shared cache still serves it
            return
        _MEMO[key] = entry
    entry[1][slot] = compiled


# The tool lists compiled together by `SchemaDialect.compile_all`, per (dialect class, cache_key): the last few
# (contracts, results) pairs, newest first. An agent step sends the same contract objects in the same order while
# nothing changes, so its whole list is one identity check. The contracts are held strongly (a dead contract's
# id could be reused by a new one), which bounds what is kept to _BATCHES_KEPT lists per dialect.
_BATCHES: dict[tuple[type, str], list[tuple[tuple[Any, ...], tuple[CompiledTool, ...]]]] = {}
_BATCHES_KEPT = 4


_CLEAR_HOOKS: list[Callable[[], None]] = []


def on_clear(hook: Callable[[], None]) -> None:
    """Have `clear_compile_cache` also call ``hook`` (the engine's definition cache registers here)."""
    _CLEAR_HOOKS.append(hook)


def compile_cache_info() -> CacheInfo:
    """Hits, misses and size of the process-wide compile cache.

    Examples:
        >>> isinstance(compile_cache_info().hits, int)
        True
    """
    with _CACHE.lock:
        return CacheInfo(_CACHE.hits, _CACHE.misses, len(_CACHE.data), _CACHE.maxsize)


def clear_compile_cache(*, maxsize: int | None = None) -> None:
    """Empty the compile cache and reset its counters, optionally changing its size.

    Examples:
        >>> clear_compile_cache()
        >>> compile_cache_info().size
        0
    """
    with _CACHE.lock:
        _CACHE.data.clear()
        _MEMO.clear()
        _BATCHES.clear()
        _CACHE.hits = _CACHE.misses = 0
        for hook in _CLEAR_HOOKS:
            hook()
        if maxsize is not None:
            if maxsize < 1:
                raise ValueError(f"maxsize must be at least 1, got {maxsize}")
            _CACHE.maxsize = maxsize


_PROVIDER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def wire_name(name: str, *, allowed: str = "A-Za-z0-9_-", max_length: int = 64) -> str:
    """Map a contract name to a provider-safe tool name, deterministically.

    Characters outside ``allowed`` (a regex character-class body) become ``_``. A name longer than
    ``max_length`` keeps its first characters and ends with ``_`` plus 8 hex digits of its SHA-256, so
    distinct long names stay distinct. Names that already fit are returned unchanged. Two different names
    can map to the same wire name (``a.b`` and ``a_b``); `WireNames` resolves such collisions for a
    set of tools and maps back.

    Examples:
        >>> wire_name("math.factorial")
        'math_factorial'
        >>> wire_name("spotify.play", allowed="A-Za-z0-9_.:-")
        'spotify.play'
    """
    mapped = re.sub(f"[^{allowed}]", "_", name)
    if len(mapped) > max_length:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        mapped = mapped[: max_length - 9] + "_" + digest
    return mapped


class WireNames:
    """A reversible mapping between contract names and provider-safe wire names for one set of tools.

    Each name maps with `wire_name`. When several names map to the same wire name, every one of them
    gets a suffix of ``_`` plus 6 hex digits of the SHA-256 of its original name, so the result does not depend
    on the order of the tools.

    Args:
        names: Contract names of the tools exposed together.
        mapper: The per-name mapping (a dialect's ``wire_name`` method, or `wire_name`).

    Examples:
        >>> names = WireNames(["math.factorial", "math_factorial", "search"])
        >>> names.wire("search")
        'search'
        >>> names.wire("math.factorial") != names.wire("math_factorial")
        True
        >>> names.original(names.wire("math.factorial"))
        'math.factorial'
    """

    def __init__(self, names: Iterable[str], mapper: Callable[[str], str] = wire_name) -> None:
        groups: dict[str, list[str]] = {}
        for name in dict.fromkeys(names):
            groups.setdefault(mapper(name), []).append(name)
        self._to_wire: dict[str, str] = {}
        for wire, members in groups.items():
            if len(members) == 1:
                self._to_wire[members[0]] = wire
                continue
            for member in members:
                suffix = "_" + hashlib.sha256(member.encode()).hexdigest()[:6]
                self._to_wire[member] = wire[: 64 - len(suffix)] + suffix
        self._to_name = {wire: name for name, wire in self._to_wire.items()}

    def wire(self, name: str) -> str:
        """The wire name of a contract name."""
        return self._to_wire[name]

    def original(self, wire: str) -> str:
        """The contract name behind a wire name the model used; ``KeyError`` if unknown."""
        return self._to_name[wire]

    def __len__(self) -> int:
        return len(self._to_wire)


class SchemaDialect(ABC):
    """Compiles tool contracts into one provider's schema dialect. Subclass it for a new target.

    A subclass sets ``name`` and implements `build`; `compile` adds the cache (keyed by the
    contract's fingerprint, the dialect class and `cache_key`) and runs `check_subset` on every
    fresh result, refusing to return a schema the target would reject.

    Examples:
        >>> from agentkit import ToolContract
        >>> class Upper(SchemaDialect):
        ...     name = "upper"
        ...     def build(self, contract):
        ...         schema = dict(contract.input_schema)
        ...         return CompiledTool(self.name, contract.name, contract.name.upper(),
        ...                             {"name": contract.name.upper(), "schema": schema}, schema)
        >>> contract = ToolContract(name="ping", input_schema={"type": "object", "properties": {}})
        >>> Upper().compile(contract).wire_name
        'PING'
    """

    name: str = ""

    @property
    def cache_key(self) -> str:
        """The part of the cache key that stands for this dialect and its options (default: ``name``)."""
        return self.name

    def compile(self, contract: ToolContract) -> CompiledTool:
        """Compile ``contract`` for this dialect, or return the cached result.

        The result is shared (cached per contract and per fingerprint), so its ``definition`` and ``schema`` are
        read-only.

        Raises:
            SchemaCompileError: The schema cannot be expressed in this dialect without losing meaning, or the
                result breaks the target's documented subset.
        """
        kind = type(self)
        slot = (kind, self.cache_key)
        entry = _MEMO.get(id(contract))
        if entry is not None and entry[0]() is contract:
            found = entry[1].get(slot)
            if found is not None:
                _CACHE.hits += 1
                return found
        try:
            fingerprint = contract.fingerprint
            key = (fingerprint, kind.__module__, kind.__qualname__, slot[1])
            cached = _CACHE.get(key)
            if cached is not None:
                _remember(contract, slot, cached)
                return cached
            compiled = self.build(contract)
        except SchemaCompileError:
            raise
        except (RecursionError, ValueError) as exc:
            # A schema nested past what can be serialized or walked (a remote MCP server's, say): a typed refusal.
            from agentkit.tools._schema import schema_depth_problem

            reason = schema_depth_problem(contract.input_schema)
            if reason is None and isinstance(exc, ValueError):
                raise
            raise SchemaCompileError(
                tool_name=contract.name,
                dialect=self.name,
                reason=reason or "the schema nests too deeply to compile",
            ) from None
        violations = self.check_subset(compiled)
        if violations:
            raise SchemaCompileError(
                tool_name=contract.name,
                dialect=self.name,
                reason="the compiled schema breaks the target's documented subset: "
                + "; ".join(violations),
            )
        compiled = _frozen(compiled)
        _CACHE.put(key, compiled)
        _remember(contract, slot, compiled)
        return compiled

    def compile_all(self, contracts: Iterable[ToolContract]) -> list[CompiledTool]:
        """Compile several contracts (each one cached on its own), in order; a new list each time.

        The same contract objects in the same order as one of the last lists compiled (what an agent step sends
        while its toolset is unchanged) are served as a whole, in one identity check; any other list is
        compiled contract by contract, from the cache where it can be.

        Examples:
            >>> from agentkit import ToolContract
            >>> c = ToolContract(name="ping", input_schema={"type": "object", "properties": {}})
            >>> [t.wire_name for t in get_dialect("openai").compile_all([c])]
            ['ping']
        """
        batch = contracts if type(contracts) is tuple else tuple(contracts)
        key = (type(self), self.cache_key)
        kept = _BATCHES.get(key)
        if kept is not None:
            size = len(batch)
            for held, results in kept:
                if len(held) == size and all(map(operator.is_, batch, held)):
                    _CACHE.hits += size
                    return list(results)
        compile_ = self.compile
        results = tuple([compile_(contract) for contract in batch])
        with _CACHE.lock:
            kept = _BATCHES.setdefault(key, [])
            kept.insert(0, (batch, results))
            del kept[_BATCHES_KEPT:]
        return list(results)

    @abstractmethod
    def build(self, contract: ToolContract) -> CompiledTool:
        """Compile without the cache; subclasses implement this."""

    def check_subset(self, compiled: CompiledTool) -> tuple[str, ...]:
        """Every way ``compiled`` breaks the target's documented schema subset (empty when it complies)."""
        return ()

    def wire_name(self, name: str) -> str:
        """The provider-safe name for a contract name (default: unchanged)."""
        return name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


_DIALECTS: dict[str, SchemaDialect] = {}


def register_dialect(dialect: SchemaDialect, *, replace: bool = False) -> SchemaDialect:
    """Make ``dialect`` available to `get_dialect` under its ``name``.

    Examples:
        >>> from agentkit.tools.dialects import OpenAIDialect
        >>> register_dialect(OpenAIDialect(strict=True), replace=True).name
        'openai-strict'
    """
    if not dialect.name:
        raise ValueError(f"{type(dialect).__name__} has no name; set the class attribute 'name'")
    if dialect.name in _DIALECTS and not replace:
        raise ValueError(
            f"a dialect named {dialect.name!r} is already registered; pass replace=True to replace it"
        )
    _DIALECTS[dialect.name] = dialect
    return dialect


def available_dialects() -> tuple[str, ...]:
    """Names of the registered dialects, sorted.

    Examples:
        >>> available_dialects()[:4]
        ('anthropic', 'anthropic-strict', 'canonical', 'gemini')
    """
    return tuple(sorted(_DIALECTS))


def get_dialect(name: str | SchemaDialect) -> SchemaDialect:
    """The registered dialect called ``name`` (a dialect instance is returned as is).

    Raises:
        DialectNotFoundError: No dialect has that name (the message suggests the closest one); it is also a
            ``ValueError``.

    Examples:
        >>> get_dialect("gemini").name
        'gemini'
        >>> get_dialect("opnai")
        Traceback (most recent call last):
        ...
        agentkit.exceptions.DialectNotFoundError: unknown schema dialect 'opnai'; did you mean 'openai'? Known: anthropic, ...
    """
    if isinstance(name, SchemaDialect):
        return name
    try:
        return _DIALECTS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_DIALECTS), n=1)
        raise DialectNotFoundError(
            name=name, available=available_dialects(), suggestion=close[0] if close else None
        ) from None
