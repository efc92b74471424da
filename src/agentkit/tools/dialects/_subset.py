"""Validators of each target's documented schema subset: they list violations, they never fix anything."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agentkit._frozen import FrozenDict, FrozenList, freeze

__all__ = (
    "ANTHROPIC_STRICT_FORMATS",
    "GEMINI_FIELDS",
    "GEMINI_FORMATS",
    "GEMINI_TYPES",
    "OPENAI_STRICT_FORMATS",
    "SubsetRules",
    "check_schema",
    "freeze_checked",
    "unvouch",
    "vouch",
)

OPENAI_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
ANTHROPIC_STRICT_FORMATS = OPENAI_STRICT_FORMATS | {"uri"}
GEMINI_FORMATS = frozenset({"date-time", "enum", "float", "double", "int32", "int64"})
GEMINI_TYPES = frozenset({"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"})
GEMINI_FIELDS = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "maxItems",
        "minItems",
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "anyOf",
        "propertyOrdering",
        "default",
        "items",
        "minimum",
        "maximum",
    }
)
_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_STRUCTURAL = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "$ref",
    }
)


@dataclass(frozen=True)
class SubsetRules:
    """What one target accepts."""

    name: str
    keywords: frozenset[str]
    formats: frozenset[str] | None = None
    openapi: bool = False
    all_required: bool = False
    closed_objects: bool = False
    refs: bool = True
    recursion: bool = True
    ref_siblings: bool = False
    max_depth: int | None = None
    max_properties: int | None = None
    max_enum_values: int | None = None
    max_min_items: int | None = None


def _children(node: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
    for key in ("properties", "$defs"):
        named = node.get(key)
        if named and (isinstance(named, (dict, Mapping))):
            for name, sub in named.items():
                yield f"{pointer}/{key}/{name}", sub
    for key in ("items", "additionalProperties"):
        sub = node.get(key)
        if sub is not None and (isinstance(sub, (dict, Mapping))):
            yield f"{pointer}/{key}", sub
    for i, sub in enumerate(node.get("anyOf") or ()):
        yield f"{pointer}/anyOf/{i}", sub


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, (dict, Mapping)):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key in ("properties", "$defs") and (isinstance(value, (dict, Mapping))):
                for sub in value.values():
                    yield from _refs(sub)
            elif key in ("items", "additionalProperties") or (
                key == "anyOf" and isinstance(value, list)
            ):
                for sub in value if isinstance(value, list) else [value]:
                    yield from _refs(sub)


def _has_cycle(schema: Mapping[str, Any]) -> bool:
    defs = schema.get("$defs") or {}
    graph = {
        name: {r.rsplit("/", 1)[-1] for r in _refs(sub) if r.startswith("#/$defs/")}
        for name, sub in defs.items()
    }
    if any(r == "#" for r in _refs({k: v for k, v in schema.items() if k != "$defs"})) or any(
        "#" in set(_refs(sub)) for sub in defs.values()
    ):
        return True
    state: dict[str, int] = {}

    def visit(name: str) -> bool:
        if state.get(name) == 1:
            return True
        if state.get(name) == 2:
            return False
        state[name] = 1
        if any(visit(n) for n in graph.get(name, ()) if n in graph):
            return True
        state[name] = 2
        return False

    return any(visit(name) for name in graph)


def check_schema(schema: Any, rules: SubsetRules) -> tuple[str, ...]:
    """Every place where ``schema`` breaks ``rules``, as ``"<pointer>: <problem>"`` strings."""
    problems: list[str] = []
    if not isinstance(schema, dict) and not isinstance(schema, Mapping):
        return ("(root): the parameters schema must be an object",)
    root_type = "OBJECT" if rules.openapi else "object"
    if schema.get("type") != root_type or "anyOf" in schema:
        problems.append(f"(root): must be a plain schema of type {root_type!r}, not a union")
    if not rules.refs and ("$defs" in schema or any(True for _ in _refs(schema))):
        problems.append("(root): $ref/$defs are not supported; inline them")
    if not rules.recursion and _has_cycle(schema):
        problems.append("(root): recursive schemas are not supported")
    total_properties = 0
    enum_values = 0
    stack: list[tuple[str, Any, int]] = [("", schema, 0)]
    while stack:
        pointer, node, depth = stack.pop()
        where = pointer or "(root)"
        if not isinstance(node, dict) and not isinstance(node, Mapping):
            problems.append(f"{where}: a schema must be an object, got {node!r}")
            continue
        allowed = rules.keywords | ({"$defs"} if pointer == "" and rules.refs else set())
        unknown = sorted(set(node) - allowed)
        if unknown:
            problems.append(f"{where}: unsupported keyword(s) {', '.join(unknown)}")
        if "$ref" in node and not rules.ref_siblings and len(node) > 1:
            problems.append(f"{where}: keywords beside $ref are not supported")
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
        valid_types = GEMINI_TYPES if rules.openapi else _JSON_TYPES
        for k in kinds:
            if k not in valid_types:
                problems.append(f"{where}: unknown type {k!r}")
        if rules.openapi and isinstance(kind, list):
            problems.append(f"{where}: type must be a single type, not a list (use nullable)")
        if "format" in node and rules.formats is not None and node["format"] not in rules.formats:
            problems.append(f"{where}: format {node['format']!r} is not supported")
        if "enum" in node:
            values = node["enum"]
            enum_values += len(values) if isinstance(values, list) else 0
            if rules.openapi and not all(isinstance(v, str) for v in values):
                problems.append(f"{where}: enum values must be strings")
        if (
            rules.max_min_items is not None
            and isinstance(node.get("minItems"), int)
            and node["minItems"] > rules.max_min_items
        ):
            problems.append(f"{where}: minItems above {rules.max_min_items} is not supported")
        is_object = "object" in kinds or "OBJECT" in kinds or "properties" in node
        if is_object:
            props = node.get("properties") or {}
            total_properties += len(props)
            required = node.get("required") or []
            if any(r not in props for r in required):
                problems.append(f"{where}: required names a property that is not defined")
            if rules.all_required and set(required) != set(props):
                problems.append(f"{where}: every property must be listed in required")
            if rules.closed_objects and node.get("additionalProperties") is not False:
                problems.append(f"{where}: additionalProperties must be false")
        if rules.max_depth is not None and depth > rules.max_depth:
            problems.append(f"{where}: nested deeper than {rules.max_depth} levels")
        for child_pointer, child in _children(node, pointer):
            stack.append((child_pointer, child, depth + (1 if is_object else 0)))
    if rules.max_properties is not None and total_properties > rules.max_properties:
        problems.append(f"(root): {total_properties} properties, more than {rules.max_properties}")
    if rules.max_enum_values is not None and enum_values > rules.max_enum_values:
        problems.append(f"(root): {enum_values} enum values, more than {rules.max_enum_values}")
    return tuple(problems)


NAME_PATTERNS = {
    "openai": re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
    "anthropic": re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
    "gemini": re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$"),
    "mcp": re.compile(r"^[A-Za-z0-9_.-]{1,128}$"),
}


class _Refused(Exception):
    """Raised inside `freeze_checked`'s walk at the first thing it does not vouch for."""


_SCALARS = frozenset({str, int, float, bool, type(None)})
_SCHEMA_MAPS = ("properties", "$defs")
_SCHEMA_VALUES = ("items", "additionalProperties")


# Subschemas checked and frozen once (`vouch`), by id: (the subschema, the rules, (deepest relative depth, properties,
# enum values)). `freeze_checked` takes a vouched subschema as it is. Each holds its subschema, so an id stays its own.
_VOUCHED: dict[int, tuple[FrozenDict, SubsetRules, tuple[int, int, int]]] = {}


def _checker(rules: SubsetRules, totals: list[int]) -> Any:
    """The checking, freezing walk of `freeze_checked` (``totals``: properties, enum values, deepest depth)."""
    keywords = rules.keywords
    valid_types = GEMINI_TYPES if rules.openapi else _JSON_TYPES
    object_type = "OBJECT" if rules.openapi else "object"
    formats, openapi, refs = rules.formats, rules.openapi, rules.refs
    ref_siblings, all_required, closed = (
        rules.ref_siblings,
        rules.all_required,
        rules.closed_objects,
    )
    max_depth, max_min_items = rules.max_depth, rules.max_min_items

    def walk(node: Any, depth: int, allowed: frozenset[str]) -> FrozenDict:
        if type(node) is not dict:
            held = _VOUCHED.get(id(node)) if type(node) is FrozenDict else None
            if held is None:
                raise _Refused
            vouched, vouched_rules, (deepest, properties, enum_values) = held
            if id(vouched) != id(node) or vouched_rules is not rules:
                raise _Refused
            if depth + deepest > totals[2]:
                totals[2] = depth + deepest
                if max_depth is not None and depth + deepest > max_depth:
                    raise _Refused
            totals[0] += properties
            totals[1] += enum_values
            return vouched
        if not allowed.issuperset(node):
            raise _Refused
        if depth > totals[2]:
            totals[2] = depth
        if "$ref" in node and (not refs or (not ref_siblings and len(node) > 1)):
            raise _Refused
        kind = node.get("type")
        is_object = "properties" in node
        if kind is not None:
            if type(kind) is str:
                if kind not in valid_types:
                    raise _Refused
                is_object = is_object or kind == object_type
            elif type(kind) is list and not openapi:
                for k in kind:
                    if type(k) is not str or k not in valid_types:
                        raise _Refused
                is_object = is_object or object_type in kind
            else:
                raise _Refused
        if "format" in node and formats is not None:
            value = node["format"]
            if type(value) is not str or value not in formats:
                raise _Refused
        if "enum" in node:
            values = node["enum"]
            if type(values) is not list:
                raise _Refused
            totals[1] += len(values)
            if openapi and not all(type(v) is str for v in values):
                raise _Refused
        if max_min_items is not None:
            least = node.get("minItems")
            if isinstance(least, int) and least > max_min_items:
                raise _Refused
        if max_depth is not None and depth > max_depth:
            raise _Refused
        if is_object:
            props = node.get("properties") or {}
            required = node.get("required") or []
            if type(props) is not dict or type(required) is not list:
                raise _Refused
            totals[0] += len(props)
            for name in required:
                if type(name) is not str or name not in props:
                    raise _Refused
            if all_required and len(set(required)) != len(props):
                raise _Refused
            if closed and node.get("additionalProperties") is not False:
                raise _Refused
            depth += 1
        out: dict[str, Any] = {}
        for key, value in node.items():
            kind = type(value)
            if key == "anyOf":
                if kind is not list:
                    raise _Refused
                out[key] = FrozenList([walk(sub, depth, keywords) for sub in value])
            elif kind in _SCALARS:
                out[key] = value
            elif key in _SCHEMA_MAPS:
                if kind is not dict:
                    raise _Refused
                out[key] = FrozenDict({n: walk(sub, depth, keywords) for n, sub in value.items()})
            elif key in _SCHEMA_VALUES:
                if kind is not dict:
                    raise _Refused
                out[key] = walk(value, depth, keywords)
            else:
                out[key] = freeze(value)
        return FrozenDict(out)

    return walk


def freeze_checked(schema: Any, rules: SubsetRules) -> tuple[Any, bool]:
    """`freeze` (read-only copy) of a compiled schema and whether it passes ``rules``, in one walk.

    ``True`` guarantees that `check_schema` finds nothing; ``False`` means "not vouched for": the caller runs
    `check_schema` for the problems (the walk stops at the first doubt, so it may be stricter than the check, never
    looser). The frozen copy is returned only with ``True`` (``schema`` itself otherwise).

    Examples:
        >>> rules = SubsetRules(name="t", keywords=_STRUCTURAL)
        >>> frozen, ok = freeze_checked({"type": "object", "properties": {"a": {"type": "string"}}}, rules)
        >>> ok, type(frozen["properties"]["a"]).__name__
        (True, 'FrozenDict')
        >>> freeze_checked({"type": "object", "minProperties": 1}, rules)[1]
        False
    """
    if type(schema) is not dict:
        return schema, False
    if schema.get("type") != ("OBJECT" if rules.openapi else "object") or "anyOf" in schema:
        return schema, False
    if not rules.refs and "$defs" in schema:
        return schema, False
    totals = [0, 0, 0]  # properties, enum values, deepest depth
    walk = _checker(rules, totals)
    try:
        frozen = walk(schema, 0, rules.keywords | {"$defs"} if rules.refs else rules.keywords)
        if not rules.recursion and _has_cycle(schema):
            return schema, False
    except (_Refused, RecursionError, TypeError, AttributeError):
        return schema, False
    if rules.max_properties is not None and totals[0] > rules.max_properties:
        return schema, False
    if rules.max_enum_values is not None and totals[1] > rules.max_enum_values:
        return schema, False
    return frozen, True


def vouch(node: dict[str, Any], rules: SubsetRules) -> Any:
    """A frozen copy of the subschema ``node``, checked against ``rules`` once; ``None`` if it is not vouched for.

    `freeze_checked` then takes the copy as it is wherever it sits (its depth, properties and enum values still
    count), until `unvouch` forgets it.

    Examples:
        >>> rules = SubsetRules(name="t", keywords=_STRUCTURAL)
        >>> sub = vouch({"type": "string"}, rules)
        >>> root = {"type": "object", "properties": {"a": sub}}
        >>> freeze_checked(root, rules)[0]["properties"]["a"] is sub
        True
        >>> unvouch([sub])
        >>> freeze_checked(root, rules)[1]
        False
    """
    totals = [0, 0, 0]
    try:
        frozen = _checker(rules, totals)(node, 0, rules.keywords)
        if not rules.recursion and _has_cycle(node):
            return None
    except (_Refused, RecursionError, TypeError, AttributeError):
        return None
    if rules.max_properties is not None and totals[0] > rules.max_properties:
        return None
    if rules.max_enum_values is not None and totals[1] > rules.max_enum_values:
        return None
    _VOUCHED[id(frozen)] = (frozen, rules, (totals[2], totals[0], totals[1]))
    return frozen


def unvouch(nodes: Iterable[Any]) -> None:
    """Forget that ``nodes`` were vouched for (`freeze_checked` walks or refuses them again)."""
    for node in nodes:
        held = _VOUCHED.get(id(node))
        if held is not None and held[0] is node:
            del _VOUCHED[id(node)]
