"""Codecs: how arguments move between a dialect's form and the canonical form, node by node."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = (
    "IDENTITY",
    "ArrayCodec",
    "Codec",
    "EnumCodec",
    "MapCodec",
    "ObjectCodec",
    "OptionalField",
    "RefCodec",
    "UnionCodec",
    "matches",
)


class Codec:
    """Identity codec; subclasses transform one schema node (and their children)."""

    identity = True

    def decode(self, value: Any) -> Any:
        return value

    def encode(self, value: Any) -> Any:
        return value


IDENTITY = Codec()


@dataclass(frozen=True)
class OptionalField:
    """An optional property made required-but-nullable (OpenAI strict)."""

    has_default: bool
    default: Any
    nullable: bool  # the canonical schema itself accepts null here


class ObjectCodec(Codec):
    identity = False

    def __init__(
        self, props: dict[str, Codec], optional: dict[str, OptionalField], *, drop_unknown: bool
    ) -> None:
        self.props = props
        self.optional = optional
        self.drop_unknown = drop_unknown

    def decode(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            codec = self.props.get(key)
            if codec is None and self.drop_unknown:
                continue  # the canonical object is closed; the provider could not say so
            opt = self.optional.get(key)
            if opt is not None and item is None and not opt.nullable:
                if opt.has_default:
                    out[key] = copy.deepcopy(opt.default)
                continue
            out[key] = codec.decode(item) if codec is not None else item
        return out

    def encode(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, codec in self.props.items():
            if key in value:
                out[key] = codec.encode(value[key])
                continue
            opt = self.optional.get(key)
            if opt is not None:
                # Omitted means "use the default": null says so unless null is itself a real value.
                out[key] = codec.encode(opt.default) if opt.nullable and opt.has_default else None
        out.update((key, item) for key, item in value.items() if key not in self.props)
        return out


class ArrayCodec(Codec):
    identity = False

    def __init__(self, items: Codec) -> None:
        self.items = items

    def decode(self, value: Any) -> Any:
        return [self.items.decode(v) for v in value] if isinstance(value, list) else value

    def encode(self, value: Any) -> Any:
        return [self.items.encode(v) for v in value] if isinstance(value, list) else value


class MapCodec(Codec):
    """``dict[str, T]`` sent as a list of ``{"key": ..., "value": ...}`` objects."""

    identity = False

    def __init__(self, values: Codec) -> None:
        self.values = values

    def decode(self, value: Any) -> Any:
        if not isinstance(value, list) or not all(
            isinstance(p, dict) and isinstance(p.get("key"), str) and "value" in p for p in value
        ):
            return value
        return {p["key"]: self.values.decode(p["value"]) for p in value}

    def encode(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return [{"key": k, "value": self.values.encode(v)} for k, v in value.items()]


def _token(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class EnumCodec(Codec):
    """Non-string enum values sent as strings (Gemini enums are strings only)."""

    identity = False

    def __init__(self, mapping: dict[str, Any]) -> None:
        self.mapping = mapping
        self.reverse = {_token(v): k for k, v in mapping.items()}

    def decode(self, value: Any) -> Any:
        if isinstance(value, str) and value in self.mapping:
            return copy.deepcopy(self.mapping[value])
        return value

    def encode(self, value: Any) -> Any:
        return self.reverse.get(_token(value), value)


class RefCodec(Codec):
    """A named definition's codec, looked up late so recursive definitions work."""

    identity = False

    def __init__(self, table: dict[str, Codec], name: str) -> None:
        self.table = table
        self.name = name

    def decode(self, value: Any) -> Any:
        return self.table.get(self.name, IDENTITY).decode(value)

    def encode(self, value: Any) -> Any:
        return self.table.get(self.name, IDENTITY).encode(value)


class UnionCodec(Codec):
    """Pick the branch the value matches (in the dialect schema to decode, in the canonical one to encode)."""

    identity = False

    def __init__(
        self,
        branches: list[tuple[dict[str, Any], dict[str, Any], Codec]],
        dialect_root: dict[str, Any],
        canonical_root: Mapping[str, Any],
    ) -> None:
        self.branches = branches
        self.dialect_root = dialect_root
        self.canonical_root = canonical_root

    def decode(self, value: Any) -> Any:
        for dialect_schema, _, codec in self.branches:
            if matches(value, dialect_schema, self.dialect_root):
                return codec.decode(value)
        return value

    def encode(self, value: Any) -> Any:
        for _, canonical_schema, codec in self.branches:
            if matches(value, canonical_schema, self.canonical_root):
                return codec.encode(value)
        return value


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 16:
        ref = schema["$ref"]
        target: Any = root
        if isinstance(ref, str) and ref.startswith("#"):
            for token in ref[1:].split("/")[1:]:
                token = token.replace("~1", "/").replace("~0", "~")
                target = target.get(token, {}) if (isinstance(target, (dict, Mapping))) else {}
        else:
            target = {}
        schema = target if (isinstance(target, (dict, Mapping))) else {}
        seen += 1
    return schema


def _type_ok(value: Any, kind: str) -> bool:
    kind = kind.lower()
    if kind == "null":
        return value is None
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _PY_TYPES.get(kind, (object,)))


def matches(value: Any, schema: Any, root: Mapping[str, Any], depth: int = 0) -> bool:
    """A cheap structural check: types, const/enum, required keys and nested discriminators."""
    if not isinstance(schema, dict) and not isinstance(schema, Mapping):
        return schema is not False
    schema = _resolve(schema, root)
    if value is None and schema.get("nullable") is True:
        return True
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return any(matches(value, s, root, depth + 1) for s in schema[key])
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_type_ok(value, k) for k in kinds):
            return False
    if "const" in schema and _token(schema["const"]) != _token(value):
        return False
    if "enum" in schema and _token(value) not in {_token(v) for v in schema["enum"]}:
        return False
    if isinstance(value, dict) and depth < 4:
        required = schema.get("required", [])
        if any(r not in value for r in required):
            return False
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False and any(k not in props for k in value):
            return False
        for key, sub in props.items():
            if key in value and not matches(value[key], sub, root, depth + 1):
                return False
    if (
        isinstance(value, list)
        and depth < 4
        and (type(schema.get("items")) is dict or isinstance(schema.get("items"), Mapping))
    ):
        return all(matches(v, schema["items"], root, depth + 1) for v in value)
    return True
