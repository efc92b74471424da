"""The schema compiler shared by the restrictive dialects (OpenAI strict, Anthropic strict, Gemini).

It walks the canonical JSON Schema once, produces the dialect's schema, a codec tree (how to decode the model's
arguments back), and the warnings. Every rule lives here, parametrised by a `Profile`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentkit._frozen import FrozenDict
from agentkit.exceptions import SchemaCompileError
from agentkit.tools.dialects._base import DialectWarning, json_copy, on_clear
from agentkit.tools.dialects._codec import (
    IDENTITY,
    ArrayCodec,
    Codec,
    EnumCodec,
    MapCodec,
    ObjectCodec,
    OptionalField,
    RefCodec,
    UnionCodec,
)
from agentkit.tools.dialects._subset import SubsetRules, vouch

__all__ = ("NOISE", "Profile", "compile_schema", "strip_noise")

NOISE = frozenset({"title", "$schema", "$id", "$comment", "discriminator", "$anchor"})
"""Keywords dropped silently by the provider dialects: they cost tokens and constrain nothing."""

_MAX_NODES = 20_000
_MAX_WALK_DEPTH = 100
"""Nested walks (objects, arrays, unions, $ref hops) before a schema is refused rather than recursed into."""

# Keywords that describe a value without constraining it: beside a $ref (or a one-entry allOf) the parent's own
# text is the one meant for this use, so it wins.
_ANNOTATION_KEYWORDS = frozenset(
    {
        "description",
        "title",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
# Bounds whose conjunction is the tighter one: merging them keeps exactly the same set of valid values.
_LOWER_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"})
_UPPER_BOUNDS = frozenset({"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"})

# Keywords whose value is a map from names to schemas (their keys are names, not keywords).
_NAMED_SCHEMAS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)


def strip_noise(schema: Any, noise: frozenset[str] = NOISE) -> Any:
    """A copy of ``schema`` without the ``noise`` keywords (property *names* such as ``title`` are kept)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in noise:
            continue
        if key in _NAMED_SCHEMAS and isinstance(value, dict):
            out[key] = {name: strip_noise(sub, noise) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [strip_noise(sub, noise) for sub in value]
        elif key in _SCHEMA_VALUES:
            out[key] = strip_noise(value, noise)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Profile:
    """The rules of one restrictive dialect."""

    name: str
    allowed: frozenset[str]
    """Value keywords kept as they are; any other one is moved into the description."""
    formats: frozenset[str] | None
    """String formats kept (``None``: all)."""
    all_required: bool = False
    """OpenAI strict: every property required, optional ones become nullable."""
    closed_objects: bool = False
    """Every object gets ``additionalProperties: false``; free-form objects are refused."""
    maps_as_pairs: bool = False
    """``dict[str, T]`` becomes a list of ``{"key", "value"}`` objects."""
    keep_refs: bool = True
    """``False``: ``$ref`` is inlined and a cycle is refused."""
    allow_recursion: bool = True
    ref_siblings: bool = False
    """Whether keywords may sit beside ``$ref``."""
    openapi: bool = False
    """Gemini ``parameters``: upper-case types, ``nullable``, string-only enums, no ``const``."""
    default_to_description: bool = False
    max_min_items: int | None = None
    """Largest ``minItems`` kept (Anthropic strict supports 0 and 1)."""
    simple_patterns: bool = False
    """Only regexes without look-around, backreferences or word boundaries are kept."""
    reason: str = ""
    """Where these rules come from, for error messages."""
    noise: frozenset[str] = field(default=NOISE)


_COMPLEX_REGEX = re.compile(r"\(\?[=!<]|\\b|\\B|\\[1-9]|\\k<")


# Keywords with a rule of their own in `_Compiler.keywords`; any other keyword is kept or moved, by `allowed`.
_SPECIAL_KEYWORDS = frozenset({"$defs", "definitions", "default", "format", "minItems", "pattern"})
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _property_pointer(base: str, name: str) -> str:
    """``_pointer(base, "properties", name)``, without the loop when the name needs no escaping."""
    if "~" in name or "/" in name:
        return _pointer(base, "properties", name)
    return f"{base}/properties/{name}"


def _pointer(base: str, *tokens: str | int) -> str:
    for token in tokens:
        text = token if type(token) is str else str(token)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        base += "/" + text
    return base


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(", ", ": ")).encode


def _json(value: Any) -> str:
    # One encoder for every call (json.dumps with options builds a new one each time).
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    return _ENCODE(value)


class _Compiler:
    def __init__(
        self,
        profile: Profile,
        root: Mapping[str, Any],
        tool_name: str,
        rules: SubsetRules | None = None,
    ) -> None:
        self.p = profile
        self.root = root
        self.tool_name = tool_name
        self.warnings: list[DialectWarning] = []
        self.defs_out: dict[str, Any] = {}
        self.def_codecs: dict[str, Codec] = {}
        self.def_names: dict[str, str] = {}
        self.in_progress: list[str] = []
        self.inline_stack: list[str] = []
        self.nodes = 0
        self.depth = 0
        self.out_root: dict[str, Any] = {}
        self.unions: list[UnionCodec] = []
        self.deepest = 0
        # Definition-cache recordings in progress (innermost last): see `inline_cached`.
        self.frames: list[_Frame] = []
        self.defs = _def_cache(profile, rules) if not profile.keep_refs else None

    # ------------------------------------------------------------------ helpers
    def error(self, pointer: str, reason: str) -> SchemaCompileError:
        where = f" at {pointer}" if pointer else ""
        return SchemaCompileError(
            tool_name=self.tool_name, dialect=self.p.name, reason=f"{reason}{where}"
        )

    def warn(self, code: str, pointer: str, message: str) -> None:
        self.warnings.append(DialectWarning(code, pointer, message))

    def kind(self, name: str) -> str:
        return name.upper() if self.p.openapi else name

    def lookup(self, ref: Any, pointer: str) -> tuple[str, Any]:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.error(pointer, f"only local $ref ('#/...') can be compiled, got {ref!r}")
        target: Any = self.root
        tokens = ref[1:].split("/")[1:] if ref != "#" else []
        for token in tokens:
            token = token.replace("~1", "/").replace("~0", "~")
            if (
                not isinstance(target, dict) and not isinstance(target, Mapping)
            ) or token not in target:
                if self.frames:
                    self.frames[-1].deps[ref] = ("", _MISSING)
                raise self.error(pointer, f"$ref {ref!r} does not resolve")
            target = target[token]
        if self.frames:
            self.frames[-1].deps[ref] = (ref[1:], target)
        return ref[1:], target

    def resolve(self, ref: str) -> Any:
        """What ``ref`` points at in this schema (`_MISSING` if nothing), without raising or recording."""
        if ref.startswith("#/$defs/") and "/" not in ref[8:] and "~" not in ref:
            defs = self.root.get("$defs")
            if type(defs) is dict or type(defs) is FrozenDict:
                return defs.get(ref[8:], _MISSING)
        try:
            frames, self.frames = self.frames, []
            try:
                return self.lookup(ref, "")[1]
            finally:
                self.frames = frames
        except SchemaCompileError:
            return _MISSING

    def def_name(self, target_pointer: str) -> str:
        name = self.def_names.get(target_pointer)
        if name is None:
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", target_pointer.rsplit("/", 1)[-1]) or "def"
            name, n = base, 2
            while name in self.def_names.values():
                name, n = f"{base}_{n}", n + 1
            self.def_names[target_pointer] = name
        return name

    def accepts_null(self, schema: Any, depth: int = 0) -> bool:
        if (not isinstance(schema, dict) and not isinstance(schema, Mapping)) or depth > 8:
            return schema is True
        if "$ref" in schema:
            try:
                _, target = self.lookup(schema["$ref"], "")
            except SchemaCompileError:
                return False
            if self.accepts_null(target, depth + 1):
                return True
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
        if "null" in kinds:
            return True
        if "enum" in schema and None in schema["enum"]:
            return True
        if "const" in schema and schema["const"] is None:
            return True
        for key in ("anyOf", "oneOf"):
            if any(self.accepts_null(s, depth + 1) for s in schema.get(key, [])):
                return True
        meaningful = set(schema) - self.p.noise - {"description", "default", "examples"}
        return not meaningful

    def move(self, notes: list[str], pointer: str, key: str, value: Any, why: str) -> None:
        notes.append(f"{key}: {_json(value)}")
        self.warn(
            "moved-to-description",
            _pointer(pointer, key),
            f"{self.p.name} does not support {key!r} ({why}); it was moved into the description, so "
            "the provider no longer enforces it (agentkit still validates it)",
        )

    # ------------------------------------------------------------------ entry point
    def run(self) -> tuple[dict[str, Any], Codec]:
        schema, codec = self.walk(self.root, "")
        if "$ref" in schema or "anyOf" in schema or schema.get("type") != self.kind("object"):
            raise self.error("", "the parameters schema must be a plain object schema at its root")
        if self.defs_out:
            schema["$defs"] = self.defs_out
        self.def_codecs.setdefault("#", codec)
        self.out_root.update(schema)
        return schema, codec

    def merge(
        self, base: Mapping[str, Any], extra: Mapping[str, Any], pointer: str, what: str
    ) -> dict[str, Any]:
        """``base`` and the keywords beside it (``extra``) as one schema that accepts exactly the same values.

        Both must hold, so equal keywords stay, annotations take the parent's text, and bounds take the tighter
        one; any other keyword both set differently is refused: letting one side win would drop a constraint
        (and could make an unsatisfiable schema satisfiable).
        """
        merged = dict(base)
        for key, value in extra.items():
            if key not in merged or merged[key] == value or key in _ANNOTATION_KEYWORDS:
                merged[key] = value
                continue
            old = merged[key]
            numbers = all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in (old, value)
            )
            if numbers and key in _LOWER_BOUNDS:
                merged[key] = max(old, value)
            elif numbers and key in _UPPER_BOUNDS:
                merged[key] = min(old, value)
            elif key == "required" and isinstance(old, list) and isinstance(value, list):
                merged[key] = [*old, *(v for v in value if v not in old)]
            else:
                raise self.error(
                    pointer,
                    f"{what} and the keywords beside it both set {key!r}, to {_json(old)} and {_json(value)}; "
                    f"{self.p.name} needs them merged into one schema, and no merge keeps both meanings, so "
                    "the schema is refused: make the two agree (or drop one)",
                )
        return merged

    # ------------------------------------------------------------------ the walk
    def walk(self, node: Any, pointer: str) -> tuple[dict[str, Any], Codec]:
        if self.depth >= _MAX_WALK_DEPTH:
            raise self.error(
                pointer,
                f"the schema nests deeper than {_MAX_WALK_DEPTH} levels (objects, arrays, unions and $ref "
                "hops); flatten it",
            )
        self.depth += 1
        if self.depth > self.deepest:
            self.deepest = self.depth
        try:
            return self._walk(node, pointer)
        finally:
            self.depth -= 1

    def _walk(self, node: Any, pointer: str) -> tuple[dict[str, Any], Codec]:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise self.error(pointer, f"the schema expands to more than {_MAX_NODES} nodes")
        if type(node) is not dict:
            if node is True or node == {}:
                return self.any_value({}, pointer)
            if node is False:
                raise self.error(pointer, "a 'false' schema accepts nothing and cannot be compiled")
            if not isinstance(node, Mapping):
                raise self.error(pointer, f"expected a schema object, got {type(node).__name__}")
        elif not node:
            return self.any_value({}, pointer)
        noise = self.p.noise
        # A copy to take keywords from (without the dialect's noise: titles, $schema and the like).
        node = (
            dict(node)
            if noise.isdisjoint(node)
            else {k: v for k, v in node.items() if k not in noise}
        )
        description = node.pop("description", None)
        notes: list[str] = []
        if "$ref" in node:
            return self.ref(node, pointer, description)
        if "allOf" in node:
            parts = node.pop("allOf")
            if not isinstance(parts, list) or len(parts) != 1:
                raise self.error(
                    pointer,
                    f"allOf with several schemas cannot be expressed in {self.p.name}; merge them into one schema",
                )
            merged = self.merge(
                parts[0] if (type(parts[0]) is dict or isinstance(parts[0], Mapping)) else {},
                node,
                pointer,
                "allOf",
            )
            if description is not None:
                merged["description"] = description
            return self.walk(merged, pointer)
        tag: str | None = None
        if "oneOf" in node:
            branches = node.pop("oneOf")
            tag = self.tag_of(branches)
            if tag is None:
                self.warn(
                    "oneof-as-anyof",
                    _pointer(pointer, "oneOf"),
                    f"{self.p.name} has no oneOf; it became anyOf, so a value matching several "
                    "branches is no longer rejected by the provider (agentkit still validates it)",
                )
            node["anyOf"] = branches
        if "anyOf" in node:
            return self.union(node, pointer, description, notes, tag=tag)
        if "const" in node and self.p.openapi:
            node["enum"] = [node.pop("const")]
        kind = node.pop("type", None)
        if type(kind) is str:
            nullable = kind == "null"
            kinds = [] if nullable else [kind]
        elif kind is None:
            nullable, kinds = False, []
        else:
            kinds = list(kind) if isinstance(kind, list) else [kind]
            nullable = "null" in kinds
            kinds = [k for k in kinds if k != "null"]
        enum_codec: Codec = IDENTITY
        if "enum" in node:
            if self.p.openapi:
                enum_codec, nullable, kinds = self.openapi_enum(node, pointer, nullable, kinds)
            elif not isinstance(node["enum"], list) or not node["enum"]:
                raise self.error(pointer, "enum must be a non-empty list")
        if len(kinds) > 1:
            return self.type_union(node, kinds, nullable, pointer, description)
        single = kinds[0] if kinds else None
        if single is None:
            # A schema without a type: infer it from its keywords, or accept anything.
            if "properties" in node or "additionalProperties" in node:
                single = "object"
            elif "items" in node or "prefixItems" in node:
                single = "array"
            elif "enum" not in node and "const" not in node:
                anything, codec = self.any_value(node, pointer)
                if description is not None:
                    anything["description"] = description
                return anything, codec
        out: dict[str, Any] = {}
        codec = enum_codec
        if single == "object":
            out, codec = self.object(node, pointer, notes)
        elif single == "array":
            out, codec = self.array(node, pointer, notes)
        elif single is not None:
            out["type"] = self.kind(single)
        self.keywords(node, out, pointer, notes)
        if nullable:
            if self.p.openapi:
                out["nullable"] = True
            elif "type" in out:
                out["type"] = [out["type"], "null"]
                if "enum" in out and None not in out["enum"]:
                    out["enum"] = [*out["enum"], None]
            elif "enum" in out:
                if None not in out["enum"]:
                    out["enum"] = [*out["enum"], None]
            else:
                out = {"anyOf": [out, {"type": "null"}]}
        return self.describe(out, description, notes), codec

    def describe(self, out: dict[str, Any], description: Any, notes: list[str]) -> dict[str, Any]:
        text = description if isinstance(description, str) else ""
        if notes:
            text = f"{text} ({'; '.join(notes)})" if text else f"({'; '.join(notes)})"
        if text:
            out = {"description": text, **out} if "$ref" not in out else out
        return out

    def any_value(self, node: dict[str, Any], pointer: str) -> tuple[dict[str, Any], Codec]:
        if self.p.closed_objects:
            raise self.error(
                pointer,
                f"a value of any type cannot be expressed in {self.p.name} (it needs a type); "
                "give the field a concrete type",
            )
        out: dict[str, Any] = {}
        notes: list[str] = []
        self.keywords(node, out, pointer, notes)
        return self.describe(out, None, notes), IDENTITY

    def disjoint(self, branches: Any) -> bool:
        """Whether oneOf branches are told apart by a constant property (a discriminated union)."""
        return self.tag_of(branches) is not None

    def tag_of(self, branches: Any) -> str | None:
        """The property whose constant value tells oneOf branches apart (a tagged union's tag), or ``None``."""
        if not isinstance(branches, list):
            return None
        resolved = []
        for branch in branches:
            if (isinstance(branch, (dict, Mapping))) and "$ref" in branch:
                try:
                    branch = self.lookup(branch["$ref"], "")[1]
                except SchemaCompileError:
                    return None
            if not isinstance(branch, dict) and not isinstance(branch, Mapping):
                return None
            resolved.append(branch.get("properties", {}))
        if not resolved:
            return None
        common = set.intersection(*(set(p) for p in resolved))
        for key in sorted(common, key=str):
            tags = []
            for props in resolved:
                sub = props[key]
                if (isinstance(sub, (dict, Mapping))) and "const" in sub:
                    tags.append(_json(sub["const"]))
                elif (isinstance(sub, (dict, Mapping))) and len(sub.get("enum", [])) == 1:
                    tags.append(_json(sub["enum"][0]))
                else:
                    break
            else:
                if len(set(tags)) == len(tags):
                    return str(key)
        return None

    # ------------------------------------------------------------------ $ref
    def ref(
        self, node: dict[str, Any], pointer: str, description: Any
    ) -> tuple[dict[str, Any], Codec]:
        ref = node.pop("$ref")
        target_pointer, target = self.lookup(ref, pointer)
        siblings = {k: v for k, v in node.items() if k not in ("default", "examples")}
        if not self.p.keep_refs:
            if target_pointer in self.inline_stack:
                raise self.error(
                    pointer,
                    f"recursive schema ($ref {ref!r} refers to itself): {self.p.name} has no $ref, so "
                    "recursion cannot be inlined; bound the depth (e.g. a model per level) or use a "
                    "dialect that keeps $ref (openai-strict, anthropic, mcp)",
                )
            if (
                not siblings
                and self.defs is not None
                and (description is None or (type(description) is str and description))
                and (isinstance(target, (dict, Mapping)))
            ):
                return self.inline_cached(target, target_pointer, pointer, description)
            merged = self.merge(
                target if (isinstance(target, (dict, Mapping))) else {},
                siblings,
                pointer,
                f"$ref {ref!r}",
            )
            if description is not None:
                merged["description"] = description
            self.inline_stack.append(target_pointer)
            try:
                return self.walk(merged, pointer)
            finally:
                self.inline_stack.pop()
        if (
            siblings
            and target_pointer not in self.in_progress
            and (isinstance(target, (dict, Mapping)))
        ):
            # Keywords beside $ref are not allowed by every provider: inline this one level.
            merged = self.merge(target, siblings, pointer, f"$ref {ref!r}")
            if description is not None:
                merged["description"] = description
            self.in_progress.append(target_pointer)
            try:
                return self.walk(merged, pointer)
            finally:
                self.in_progress.pop()
        if target_pointer in self.in_progress and not self.p.allow_recursion:
            raise self.error(
                pointer,
                f"recursive schema ($ref {ref!r} refers to itself): {self.p.reason or self.p.name} does "
                "not support recursive schemas; bound the depth or use a dialect that allows it "
                "(openai-strict, anthropic, mcp)",
            )
        if target_pointer == "":
            out: dict[str, Any] = {"$ref": "#"}
            codec: Codec = RefCodec(self.def_codecs, "#")
        else:
            name = self.def_name(target_pointer)
            if name not in self.defs_out and target_pointer not in self.in_progress:
                self.in_progress.append(target_pointer)
                self.defs_out[name] = {}  # placeholder keeps the order stable
                try:
                    schema, def_codec = self.walk(target, target_pointer)
                finally:
                    self.in_progress.pop()
                self.defs_out[name] = schema
                self.def_codecs[name] = def_codec
            out = {"$ref": f"#/$defs/{name}"}
            codec = RefCodec(self.def_codecs, name)
        if isinstance(description, str) and description:
            out = (
                {"$ref": out["$ref"], "description": description}
                if self.p.ref_siblings
                else {"anyOf": [out], "description": description}
            )
        return out, codec

    # ------------------------------------------------------------------ the definition cache
    def inline_cached(
        self, target: Mapping[str, Any], target_pointer: str, pointer: str, description: Any
    ) -> tuple[dict[str, Any], Codec]:
        """Inline ``target`` (a ``$ref`` without sibling keywords) from the definition cache, or compile and keep it."""
        cache = self.defs
        assert cache is not None
        described = description is not None
        entry = cache.entries.get((id(target), described))
        if entry is not None and entry.target is target and self.fits(entry):
            cache.hits += 1
            self.nodes += entry.nodes
            if self.depth + entry.height > self.deepest:
                self.deepest = self.depth + entry.height
            if entry.warnings:
                self.warnings.extend(
                    [
                        DialectWarning(code, pointer + rel, text)
                        for code, rel, text in entry.warnings
                    ]
                )
            if self.frames:
                self.frames[-1].deps.update(entry.deps)
            return _instance(entry.out, description), entry.codec
        cache.misses += 1
        frame = _Frame(self.nodes, len(self.warnings), self.depth, self.deepest)
        self.deepest = self.depth
        self.frames.append(frame)
        merged = dict(target)
        if described:
            merged["description"] = _SLOT  # the use site's description goes here on every use
        self.inline_stack.append(target_pointer)
        try:
            out, codec = self.walk(merged, pointer)
        except SchemaCompileError as exc:
            if (
                described and _SLOT in exc.reason
            ):  # the error quotes the description: give it the real one
                raise SchemaCompileError(
                    tool_name=exc.tool_name,
                    dialect=exc.dialect,
                    reason=exc.reason.replace(_SLOT, description),
                ) from None
            raise
        finally:
            self.inline_stack.pop()
            self.frames.pop()
        height = self.deepest - frame.depth
        if frame.deepest > self.deepest:
            self.deepest = frame.deepest
        if self.frames:
            self.frames[-1].deps.update(frame.deps)
        top = cache.keep(
            target,
            described,
            out,
            codec,
            pointer,
            self.warnings[frame.warnings :],
            self.nodes - frame.nodes,
            height,
            frame.deps,
        )
        return _instance(top, description), codec

    def fits(self, entry: _Entry) -> bool:
        """Whether a cached definition compiles here as it did where it was cached (else it is walked again)."""
        if self.nodes + entry.nodes > _MAX_NODES or self.depth + entry.height > _MAX_WALK_DEPTH:
            return False
        if self.inline_stack and not entry.pointers.isdisjoint(self.inline_stack):
            return False  # it reaches a definition being inlined around it: the walk reports the recursion
        if entry.local:
            defs = self.root.get("$defs")
            if type(defs) is dict or type(defs) is FrozenDict:
                get = defs.get
                for name, target in entry.local:
                    if get(name, _MISSING) is not target:
                        return False
            else:
                return False
        resolve = self.resolve
        return all(resolve(ref) is target for ref, target in entry.other)

    # ------------------------------------------------------------------ unions
    def union(
        self,
        node: dict[str, Any],
        pointer: str,
        description: Any,
        notes: list[str],
        *,
        tag: str | None = None,
    ) -> tuple[dict[str, Any], Codec]:
        branches = node.pop("anyOf")
        if not isinstance(branches, list) or not branches:
            raise self.error(pointer, "anyOf must be a non-empty list")
        null_branch = any(
            (isinstance(b, (dict, Mapping))) and b.get("type") == "null" for b in branches
        )
        others = [
            (i, b)
            for i, b in enumerate(branches)
            if not ((isinstance(b, (dict, Mapping))) and b.get("type") == "null")
        ]
        compiled = [(self.walk(b, _pointer(pointer, "anyOf", i)), b) for i, b in others]
        if tag is not None:
            for i, ((schema, _), _) in enumerate(compiled):
                self.require_tag(schema, tag, _pointer(pointer, "oneOf", others[i][0]))
        out: dict[str, Any]
        if self.p.openapi and len(compiled) == 1:
            (out, codec), _ = compiled[0]
            out = dict(out)
            if null_branch:
                out["nullable"] = True
        else:
            schemas = [s for (s, _), _ in compiled]
            if self.p.openapi:
                out = {"anyOf": schemas}
                if null_branch:
                    out["nullable"] = True
            else:
                out = {"anyOf": [*schemas, {"type": "null"}] if null_branch else schemas}
            if all(c.identity for (_, c), _ in compiled):
                codec = IDENTITY
            else:
                union = UnionCodec([(s, b, c) for (s, c), b in compiled], self.out_root, self.root)
                codec = union
        extra: dict[str, Any] = {}
        self.keywords(node, extra, pointer, notes)
        if extra:
            out = {**out, **extra}
        inner = out.pop("description", None) if "anyOf" not in out else None
        text = description if description is not None else inner
        return self.describe(out, text, notes), codec

    def require_tag(self, schema: dict[str, Any], tag: str, pointer: str) -> None:
        """Keep a tagged union's tag required in a compiled branch, or warn when the branch cannot say so.

        A tag with a default is optional in the canonical schema, which would let the model leave out the one
        field that picks the branch.
        """
        target: Any = schema
        ref = schema.get("$ref") if "properties" not in schema else None
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = self.defs_out.get(ref[len("#/$defs/") :])
        if not isinstance(target, dict) or tag not in as_mapping(target.get("properties")):
            self.warn(
                "tag-optional",
                pointer,
                f"the tag {tag!r} of this tagged union could not be kept required in {self.p.name}; the model "
                "may leave it out (agentkit still validates the arguments)",
            )
            return
        required = target.get("required")
        required = list(required) if isinstance(required, list) else []
        if tag not in required:
            target["required"] = [*required, tag]

    def type_union(
        self,
        node: dict[str, Any],
        kinds: list[str],
        nullable: bool,
        pointer: str,
        description: Any,
    ) -> tuple[dict[str, Any], Codec]:
        if not self.p.openapi:
            out: dict[str, Any] = {"type": [*kinds, "null"] if nullable else kinds}
            notes: list[str] = []
            if any(k in ("object", "array") for k in kinds):
                raise self.error(
                    pointer, "a type list with object or array members cannot be compiled"
                )
            self.keywords(node, out, pointer, notes)
            return self.describe(out, description, notes), IDENTITY
        branches: list[Any] = []
        for kind in kinds:
            sub = dict(node)
            sub["type"] = kind
            branches.append(sub)
        merged: dict[str, Any] = {"anyOf": branches}
        if nullable:
            merged["anyOf"].append({"type": "null"})
        if description is not None:
            merged["description"] = description
        return self.walk(merged, pointer)

    def openapi_enum(
        self, node: dict[str, Any], pointer: str, nullable: bool, kinds: list[str]
    ) -> tuple[Codec, bool, list[str]]:
        values = node["enum"]
        if not isinstance(values, list) or not values:
            raise self.error(pointer, "enum must be a non-empty list")
        if None in values:
            nullable = True
            values = [v for v in values if v is not None]
        if all(isinstance(v, str) for v in values):
            node["enum"] = values
            return IDENTITY, nullable, ["string"]
        if any(isinstance(v, (dict, list)) for v in values):
            raise self.error(
                pointer,
                f"{self.p.name} enums hold strings only; object and array values cannot be mapped",
            )
        mapping: dict[str, Any] = {}
        for value in values:
            key = value if isinstance(value, str) else _json(value)
            if key in mapping:
                raise self.error(
                    pointer,
                    f"enum values {mapping[key]!r} and {value!r} both read {key!r} as strings, and "
                    f"{self.p.name} enums hold strings only",
                )
            mapping[key] = value
        node["enum"] = list(mapping)
        codec = EnumCodec(mapping)
        if "default" in node:
            node["default"] = codec.encode(node["default"])
        self.warn(
            "enum-stringified",
            _pointer(pointer, "enum"),
            f"{self.p.name} enums hold strings only; the values are sent as strings "
            f"({', '.join(mapping)}) and decoded back to their original types",
        )
        return codec, nullable, ["string"]

    # ------------------------------------------------------------------ objects and arrays
    def object(
        self, node: dict[str, Any], pointer: str, notes: list[str]
    ) -> tuple[dict[str, Any], Codec]:
        has_props = "properties" in node
        props = node.pop("properties", None) or {}
        required = node.pop("required", [])
        addl = node.pop("additionalProperties", None)
        for key in ("patternProperties", "unevaluatedProperties"):
            if key in node and (self.p.closed_objects or self.p.maps_as_pairs):
                raise self.error(
                    _pointer(pointer, key), f"{key} cannot be expressed in {self.p.name}"
                )
        if (not isinstance(props, dict) and not isinstance(props, Mapping)) or not isinstance(
            required, list
        ):
            raise self.error(pointer, "properties must be an object and required a list")
        typed_map = (isinstance(addl, (dict, Mapping))) and bool(
            {k: v for k, v in addl.items() if k not in self.p.noise}
        )
        if not has_props and typed_map:
            assert isinstance(addl, (dict, Mapping))
            return self.map(node, addl, pointer, notes)
        if typed_map and props and self.p.maps_as_pairs:
            raise self.error(
                pointer,
                f"an object with both fixed properties and typed additionalProperties cannot be "
                f"expressed in {self.p.name}; move the free keys into their own dict field",
            )
        if (
            self.p.closed_objects
            and has_props
            and (addl is True or ((isinstance(addl, (dict, Mapping))) and not typed_map))
        ):
            # The schema says "any other key is fine"; closing the object would reject what it accepts.
            raise self.error(
                _pointer(pointer, "additionalProperties"),
                f"this object explicitly allows keys beyond its properties (additionalProperties: "
                f"{_json(addl)}), which {self.p.name} cannot express: it needs every object closed. Drop "
                "extra='allow' from the model (or additionalProperties from the schema), or use a dialect "
                "that keeps it (openai non-strict, anthropic, mcp)",
            )
        out: dict[str, Any] = {"type": self.kind("object")}
        if not has_props and addl is not False:
            # A free-form object: any keys, any values.
            if self.p.closed_objects:
                raise self.error(
                    pointer,
                    f"a free-form object (no declared properties) cannot be expressed in {self.p.name}, "
                    "which needs every key declared; declare the properties or use a dict[str, T] field",
                )
            self.warn(
                "free-form-object",
                pointer or "",
                f"{self.p.name} cannot describe an object with arbitrary keys; it is sent as an object "
                "without properties, so the model gets no guidance on its keys",
            )
            return out, IDENTITY
        missing = [r for r in required if r not in props]
        if missing and (self.p.closed_objects or self.p.openapi):
            raise self.error(
                pointer, f"required lists {missing!r}, which properties does not define"
            )
        out_props: dict[str, Any] = {}
        codecs: dict[str, Codec] = {}
        optional: dict[str, OptionalField] = {}
        for name, sub in props.items():
            schema, codec = self.walk(
                sub,
                _property_pointer(pointer, name)
                if type(name) is str
                else _pointer(pointer, "properties", name),
            )
            if self.p.all_required and name not in required:
                was_nullable = self.accepts_null(sub)
                default = sub.get("default") if (isinstance(sub, (dict, Mapping))) else None
                has_default = (isinstance(sub, (dict, Mapping))) and "default" in sub
                if has_default and default is None and not was_nullable:
                    has_default = (
                        False  # a null default on a non-nullable field just means "omitted"
                    )
                elif has_default and not self.default_fits(sub, default):
                    self.warn(
                        "invalid-default",
                        _pointer(pointer, "properties", name, "default"),
                        f"the default {_json(default)} does not match the field's own schema; null "
                        "will mean 'omitted' instead of restoring it",
                    )
                    has_default, default = False, None
                if not was_nullable:
                    schema = self.nullable(schema)
                optional[name] = OptionalField(has_default, default, was_nullable)
            out_props[name] = schema
            codecs[name] = codec
        out["properties"] = out_props
        if self.p.all_required:
            out["required"] = list(out_props)
        elif required:
            out["required"] = [r for r in required if r in out_props]
        if self.p.closed_objects:
            out["additionalProperties"] = False
        elif addl is not None and not self.p.openapi:
            if isinstance(addl, (dict, Mapping)):
                out["additionalProperties"], _ = self.walk(
                    addl, _pointer(pointer, "additionalProperties")
                )
            else:
                out["additionalProperties"] = addl
        if self.p.openapi and not out_props:
            del out["properties"]
        if all(c.identity for c in codecs.values()) and not optional and addl is not False:
            return out, IDENTITY
        return out, ObjectCodec(codecs, optional, drop_unknown=addl is False)

    def default_fits(self, sub: Mapping[str, Any], default: Any) -> bool:
        from agentkit.tools.dialects._codec import matches

        return matches(default, sub, self.root)

    def nullable(self, schema: dict[str, Any]) -> dict[str, Any]:
        schema = dict(schema)
        if "anyOf" in schema:
            if not any(b.get("type") == "null" for b in schema["anyOf"]):
                schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
            return schema
        if "type" in schema and "const" not in schema:
            kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            schema["type"] = [*kinds, "null"]
            if "enum" in schema and None not in schema["enum"]:
                schema["enum"] = [*schema["enum"], None]
            return schema
        description = schema.pop("description", None)
        out: dict[str, Any] = {"anyOf": [schema, {"type": "null"}]}
        if description is not None:
            out = {"description": description, **out}
        return out

    def map(
        self, node: dict[str, Any], values: Mapping[str, Any], pointer: str, notes: list[str]
    ) -> tuple[dict[str, Any], Codec]:
        value_schema, value_codec = self.walk(values, _pointer(pointer, "additionalProperties"))
        if not self.p.maps_as_pairs:
            return {"type": self.kind("object"), "additionalProperties": value_schema}, (
                IDENTITY if value_codec.identity else _MapValues(value_codec)
            )
        key_schema: dict[str, Any] = {"type": self.kind("string")}
        names = node.pop("propertyNames", None)
        if isinstance(names, (dict, Mapping)):
            key_schema, _ = self.walk(
                {"type": "string", **names}, _pointer(pointer, "propertyNames")
            )
        item: dict[str, Any] = {
            "type": self.kind("object"),
            "properties": {"key": key_schema, "value": value_schema},
            "required": ["key", "value"],
        }
        if self.p.closed_objects:
            item["additionalProperties"] = False
        out: dict[str, Any] = {"type": self.kind("array"), "items": item}
        for source, target in (("minProperties", "minItems"), ("maxProperties", "maxItems")):
            if source in node:
                node[target] = node.pop(source)
        self.warn(
            "map-as-pairs",
            pointer,
            f"{self.p.name} cannot describe an object with arbitrary keys; this map is sent as a list "
            "of {key, value} objects and decoded back into an object",
        )
        return out, MapCodec(value_codec)

    def array(
        self, node: dict[str, Any], pointer: str, notes: list[str]
    ) -> tuple[dict[str, Any], Codec]:
        if "prefixItems" in node:
            raise self.error(
                _pointer(pointer, "prefixItems"),
                f"a tuple (prefixItems) cannot be expressed in {self.p.name}; use a list or an object "
                "with named fields",
            )
        items = node.pop("items", None)
        out: dict[str, Any] = {"type": self.kind("array")}
        if items is None or items is True or items == {}:
            if self.p.closed_objects:
                raise self.error(
                    pointer,
                    f"an array of values of any type cannot be expressed in {self.p.name}; give the "
                    "items a type",
                )
            out["items"] = {}
            return out, IDENTITY
        schema, codec = self.walk(items, _pointer(pointer, "items"))
        out["items"] = schema
        return out, IDENTITY if codec.identity else ArrayCodec(codec)

    # ------------------------------------------------------------------ value keywords
    def keywords(
        self, node: dict[str, Any], out: dict[str, Any], pointer: str, notes: list[str]
    ) -> None:
        allowed = self.p.allowed
        for key, value in node.items():
            if key not in _SPECIAL_KEYWORDS:
                # The common case: a keyword the dialect keeps (a copy) or moves into the description.
                if key in allowed:
                    out[key] = value if type(value) in _SCALARS else json_copy(value)
                else:
                    self.move(notes, pointer, key, value, "not in its documented schema subset")
                continue
            if key in ("$defs", "definitions"):
                continue  # definitions are compiled where they are referenced
            if key == "default" and self.p.default_to_description:
                notes.append(f"default: {_json(value)}")
                continue
            if key == "default" and value is None and self.p.openapi:
                continue  # Gemini rejects a null default; nullable already says null is allowed
            if key == "format" and self.p.formats is not None and value not in self.p.formats:
                self.move(
                    notes,
                    pointer,
                    key,
                    value,
                    f"supported formats: {', '.join(sorted(self.p.formats))}",
                )
                continue
            if (
                key == "minItems"
                and self.p.max_min_items is not None
                and value > self.p.max_min_items
            ):
                self.move(notes, pointer, key, value, f"only minItems up to {self.p.max_min_items}")
                continue
            if key == "pattern" and self.p.simple_patterns and _COMPLEX_REGEX.search(str(value)):
                self.move(
                    notes,
                    pointer,
                    key,
                    value,
                    "look-around, backreferences and \\b are not supported",
                )
                continue
            if key in self.p.allowed:
                out[key] = json_copy(value)
                continue
            self.move(notes, pointer, key, value, "not in its documented schema subset")


_MISSING: Any = object()
"""What a ``$ref`` that does not resolve points at (a definition's recorded dependencies)."""

_SLOT = "\u2063agentkit:description\u2063"
"""Stands for the use site's description while a definition is compiled for the cache (`inline_cached`)."""

DEFS_KEPT = 4096
"""How many compiled definitions the definition cache keeps per dialect profile (oldest dropped first)."""


class _Frame:
    """A definition being compiled for the cache: where the counters stood, and every ``$ref`` it resolved."""

    __slots__ = ("deepest", "deps", "depth", "nodes", "warnings")

    def __init__(self, nodes: int, warnings: int, depth: int, deepest: int) -> None:
        self.nodes, self.warnings, self.depth, self.deepest = nodes, warnings, depth, deepest
        self.deps: dict[str, tuple[str, Any]] = {}


class _Entry:
    """One compiled definition, as every use of it needs it.

    Its output (the use site's description to fill in), codec, warnings (pointers relative to the use site), the
    nodes and depth walked, and what each ``$ref`` it reached resolved to.
    """

    __slots__ = (
        "codec",
        "deps",
        "height",
        "local",
        "nodes",
        "other",
        "out",
        "pointers",
        "target",
        "vouched",
        "warnings",
    )

    def __init__(
        self,
        target: Mapping[str, Any],
        out: dict[str, Any],
        codec: Codec,
        warnings: tuple[tuple[str, str, str], ...],
        nodes: int,
        height: int,
        deps: dict[str, tuple[str, Any]],
        vouched: tuple[Any, ...],
    ) -> None:
        self.target = target  # held, so its id cannot be reused while the entry lives
        self.out, self.codec, self.warnings = out, codec, warnings
        self.nodes, self.height, self.deps, self.vouched = nodes, height, deps, vouched
        self.pointers = frozenset(p for p, t in deps.values() if t is not _MISSING)
        # The $refs to "#/$defs/<name>" (looked up directly on a hit), and the others.
        self.local = tuple(
            (ref[8:], target)
            for ref, (_, target) in deps.items()
            if ref.startswith("#/$defs/") and "/" not in ref[8:] and "~" not in ref
        )
        self.other = tuple(
            (ref, target)
            for ref, (_, target) in deps.items()
            if not (ref.startswith("#/$defs/") and "/" not in ref[8:] and "~" not in ref)
        )


class _DefCache:
    """Compiled definitions of one dialect profile, by (identity of the definition, described at the use site)."""

    def __init__(self, rules: SubsetRules | None) -> None:
        self.rules = rules
        self.entries: dict[tuple[int, bool], _Entry] = {}
        self.hits = 0
        self.misses = 0

    def keep(
        self,
        target: Mapping[str, Any],
        described: bool,
        out: dict[str, Any],
        codec: Codec,
        pointer: str,
        warnings: list[DialectWarning],
        nodes: int,
        height: int,
        deps: dict[str, tuple[str, Any]],
    ) -> dict[str, Any]:
        """Keep a freshly compiled definition if nothing in it depends on where it was used; its output."""
        relative = []
        for warning in warnings:
            if not warning.pointer.startswith(pointer):
                return out
            relative.append((warning.code, warning.pointer[len(pointer) :], warning.message))
        # The slot was put on the top level only, and the engine never copies a node's description into its
        # subschemas: so it can only be at the start of the top level's description (or the description was
        # dropped, which a use could not undo).
        text = out.get("description")
        if described and not (type(text) is str and text.startswith(_SLOT)):
            return out
        top, vouched = out, ()
        if self.rules is not None:
            top, vouched = _vouch_children(out, self.rules)
        entry = _Entry(target, top, codec, tuple(relative), nodes, height, deps, vouched)
        with _DEFS_LOCK:
            entries = self.entries
            key = (id(target), described)
            held = entries.get(key)
            if held is not None and held.target is target:
                _forget(entry)  # another thread kept it first
                return top
            while len(entries) >= DEFS_KEPT:
                _forget(entries.pop(next(iter(entries))))
            entries[key] = entry
        return top


_DEF_CACHES: dict[tuple[int, int], tuple[Profile, SubsetRules | None, _DefCache]] = {}
_DEFS_LOCK = threading.Lock()


def _def_cache(profile: Profile, rules: SubsetRules | None) -> _DefCache:
    held = _DEF_CACHES.get((id(profile), id(rules)))
    if held is not None and held[0] is profile and held[1] is rules:
        return held[2]
    with _DEFS_LOCK:
        held = _DEF_CACHES.get((id(profile), id(rules)))
        if held is None or held[0] is not profile or held[1] is not rules:
            held = (profile, rules, _DefCache(rules))  # held: the ids stay theirs
            _DEF_CACHES[(id(profile), id(rules))] = held
        return held[2]


def _forget(entry: _Entry) -> None:
    from agentkit.tools.dialects._subset import unvouch

    unvouch(entry.vouched)


def _clear_def_caches() -> None:
    with _DEFS_LOCK:
        for _, _, cache in _DEF_CACHES.values():
            for entry in cache.entries.values():
                _forget(entry)
            cache.entries.clear()
            cache.hits = cache.misses = 0


on_clear(_clear_def_caches)


def def_cache_info(profile: Profile) -> tuple[int, int, int]:
    """Hits, misses and size of ``profile``'s definition cache (all subset rules together)."""
    hits = misses = size = 0
    for held_profile, _, cache in list(_DEF_CACHES.values()):
        if held_profile is profile:
            hits, misses, size = hits + cache.hits, misses + cache.misses, size + len(cache.entries)
    return hits, misses, size


_CHILD_MAPS = ("properties", "$defs")
_CHILD_VALUES = ("items", "additionalProperties")


def _vouch_children(
    out: dict[str, Any], rules: SubsetRules
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """``out`` with its subschemas frozen and checked against ``rules`` once (`vouch`), and those subschemas.

    ``out`` itself stays a plain dict: each use copies it with its own description. A subschema the rules refuse
    stays as it is (the whole schema's check reports it).
    """
    top = dict(out)
    kept: list[Any] = []

    def one(sub: Any) -> Any:
        frozen = vouch(sub, rules) if type(sub) is dict else None
        if frozen is None:
            return sub
        kept.append(frozen)
        return frozen

    for key, value in out.items():
        if key == "anyOf" and type(value) is list:
            top[key] = [one(sub) for sub in value]
        elif key in _CHILD_MAPS and type(value) is dict:
            top[key] = {name: one(sub) for name, sub in value.items()}
        elif key in _CHILD_VALUES and type(value) is dict:
            top[key] = one(value)
    return top, tuple(kept)


def _instance(top: dict[str, Any], description: Any) -> dict[str, Any]:
    """A cached definition's output for one use: a fresh top level, with the use site's description."""
    out = dict(top)
    if description is not None:
        text = top.get("description")
        if type(text) is str and text.startswith(_SLOT):
            out["description"] = description + text[len(_SLOT) :]
    return out


class _MapValues(Codec):
    identity = False

    def __init__(self, values: Codec) -> None:
        self.values = values

    def decode(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: self.values.decode(v) for k, v in value.items()}

    def encode(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: self.values.encode(v) for k, v in value.items()}


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one."""
    return value if (isinstance(value, (dict, Mapping))) else {}


def compile_schema(
    profile: Profile,
    schema: Mapping[str, Any],
    tool_name: str,
    rules: SubsetRules | None = None,
) -> tuple[dict[str, Any], Codec, tuple[DialectWarning, ...]]:
    """Compile a canonical input schema under ``profile``: (schema, codec, warnings).

    With ``keep_refs=False`` each definition a ``$ref`` inlines is compiled once per profile and reused by every
    schema that holds the same definition object (the ``$defs`` entries tools built from one nested model share);
    with ``rules``, its subschemas are also checked against them and frozen once (`freeze_checked` then takes them
    as they are).
    """
    compiler = _Compiler(profile, schema, tool_name, rules)
    out, codec = compiler.run()
    return out, codec, tuple(compiler.warnings)
