"""Fill a JSON Schema's defaults into arguments, as pydantic validation does for a function tool.

A replay answers each recorded call with a stand-in that validates with the tool's JSON Schema. The recorded
``tool.call.started`` holds the arguments *after* the original tool's validation, defaults included; the stand-in
must record the same, or a replay of any run that leaves out an optional argument diverges.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ("with_defaults",)

_MAX_DEPTH = (
    64  # deeper schemas are left as they are (a replay compares; it never refuses on depth)
)


def with_defaults(schema: Any, value: Any) -> Any:
    """``value`` with every missing property that has a ``default`` in ``schema`` filled in (a new object).

    Follows local ``$ref`` (``#/$defs/...``) and single-entry ``allOf``, into object properties and array items;
    in a union (``anyOf``/``oneOf``, as ``Model | None`` compiles) only when one branch alone is of the value's kind
    (an object or an array), since which branch applies is otherwise the validator's business.

    Examples:
        >>> schema = {
        ...     "type": "object",
        ...     "properties": {
        ...         "city": {"type": "string"},
        ...         "unit": {"type": "string", "default": "celsius"},
        ...         "where": {"$ref": "#/$defs/Where"},
        ...     },
        ...     "$defs": {"Where": {"type": "object", "properties": {"near": {"default": None}}}},
        ... }
        >>> with_defaults(schema, {"city": "Oslo", "where": {}})
        {'city': 'Oslo', 'where': {'near': None}, 'unit': 'celsius'}
    """
    return _fill(schema, value, schema, 0)


def _resolve(schema: Any, root: Any) -> Any:
    for _ in range(_MAX_DEPTH):
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
            if not isinstance(target, dict):
                return schema
            schema = target
            continue
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and "properties" not in schema:
            schema = all_of[0]
            continue
        return schema
    return schema


def _fill(schema: Any, value: Any, root: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return value
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return value
    branches = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(branches, list):
        # ``Model | None`` and the like: fill from the one branch of the value's kind, when only one fits.
        kind = (
            "properties"
            if isinstance(value, dict)
            else "items"
            if isinstance(value, list)
            else None
        )
        fitting = [
            b for b in (_resolve(b, root) for b in branches) if isinstance(b, dict) and kind in b
        ]
        return _fill(fitting[0], value, root, depth + 1) if len(fitting) == 1 else value
    if isinstance(value, dict):
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return value
        filled = dict(value)
        for key, sub in properties.items():
            if key in filled:
                filled[key] = _fill(sub, filled[key], root, depth + 1)
                continue
            default = _default_of(sub, root)
            if default is not _MISSING:
                filled[key] = copy.deepcopy(default)
        return filled
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [_fill(items, item, root, depth + 1) for item in value]
    return value


_MISSING = object()


def _default_of(sub: Any, root: Any) -> Any:
    if isinstance(sub, dict) and "default" in sub:
        return sub["default"]  # pydantic puts a field's default beside its $ref, not in the target
    resolved = _resolve(sub, root)
    if isinstance(resolved, dict) and "default" in resolved:
        return resolved["default"]
    return _MISSING
