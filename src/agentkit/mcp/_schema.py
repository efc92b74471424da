"""``normalise_schema``: an MCP tool's input schema made closed enough for agentkit (no SDK needed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ("normalise_schema",)


def normalise_schema(schema: Any) -> dict[str, Any]:
    """A tool input schema as agentkit needs it: an object schema, and no object or array left open-ended.

    Many MCP servers declare a tool without arguments as ``{"type": "object"}`` and lists as
    ``{"type": "array"}``; this adds ``"properties": {}`` and ``"items": {}`` wherever they are missing (at any
    depth) so every dialect can compile the schema, and turns a missing or non-object schema into an empty object
    schema.

    Examples:
        >>> from agentkit.mcp import normalise_schema
        >>> normalise_schema({"type": "object"})
        {'type': 'object', 'properties': {}}
        >>> normalise_schema({"type": "object", "properties": {"ids": {"type": "array"}}})
        {'type': 'object', 'properties': {'ids': {'type': 'array', 'items': {}}}}
        >>> normalise_schema(None)
        {'type': 'object', 'properties': {}}
    """
    if not isinstance(schema, Mapping):
        return {"type": "object", "properties": {}}
    out: dict[str, Any] = normalise(schema)
    if "type" not in out:
        out["type"] = "object"
    if out.get("type") == "object":
        out.setdefault("properties", {})
    return out


def normalise(value: Any) -> Any:
    """``value`` with ``properties``/``items`` added to every open-ended object or array schema inside it."""
    if isinstance(value, Mapping):
        out = {key: normalise(item) for key, item in value.items()}
        kinds = out.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "object" in kinds and "properties" not in out and "additionalProperties" not in out:
            out["properties"] = {}
        if "array" in kinds and "items" not in out and "prefixItems" not in out:
            out["items"] = {}
        return out
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value
