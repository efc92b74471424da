"""Convert Berkeley Function Calling Leaderboard (BFCL) parameter schemas into JSON Schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ("BFCL_TYPES", "bfcl_to_json_schema")

BFCL_TYPES: Mapping[str, str | None] = {
    "dict": "object",
    "float": "number",
    "tuple": "array",
    "any": None,
}
"""BFCL's non-standard type names and their JSON Schema equivalents (``None``: no type, any value)."""


def bfcl_to_json_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a BFCL function's ``parameters`` into a JSON Schema (2020-12) object schema.

    BFCL writes ``"dict"`` for ``object``, ``"float"`` for ``number``, ``"tuple"`` for ``array`` and ``"any"``
    for "no type", and marks optional parameters with a non-standard ``"optional": true`` (``required`` already
    says the same, so it is dropped). Everything else (descriptions, enums, defaults) is kept as it is, even
    where BFCL's defaults do not match their own type: the dialects decide what to do with those.

    Args:
        parameters: The ``parameters`` object of one BFCL function definition.

    Returns:
        A new JSON Schema dict; the input is not modified.

    Examples:
        >>> bfcl_to_json_schema({"type": "dict", "properties": {"x": {"type": "float"}, "v": {"type": "any"}},
        ...                      "required": ["x"]})
        {'type': 'object', 'properties': {'x': {'type': 'number'}, 'v': {}}, 'required': ['x']}
    """
    schema: dict[str, Any] = _convert(parameters)
    if "type" not in schema:
        schema["type"] = "object"
    return schema


def _convert(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, str):
            mapped = BFCL_TYPES.get(value, value)
            if mapped is not None:
                out["type"] = mapped
        elif key == "optional":
            continue
        elif key == "properties" and isinstance(value, Mapping):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _convert(value)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [_convert(sub) for sub in value]
        else:
            out[key] = value
    return out
