"""Canonical JSON Schema generation and the schema lookups used by repair hints."""

from __future__ import annotations

import json
import re
import threading
import types
import typing
import weakref
from collections import abc
from typing import Any, NamedTuple, TypeGuard, get_args, get_origin

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic.json_schema import CoreRef, DefsRef, GenerateJsonSchema, JsonRef, JsonSchemaValue

from agentkit._frozen import FrozenDict, freeze, json_copy
from agentkit.tools._sensitive import Sensitive

__all__ = (
    "MAX_SCHEMA_DEPTH",
    "ArgumentsJsonSchema",
    "CanonicalJsonSchema",
    "ResultJsonSchema",
    "describe_expected",
    "field_names_at",
    "find_sensitive_pointers",
    "forbid_unset_extras",
    "is_model_class",
    "schema_depth_problem",
    "share_defs",
    "subschema_at",
)

MAX_SCHEMA_DEPTH = 64
"""How deep a JSON Schema may nest (objects, arrays and ``$ref`` hops counted together) before it is refused.

A remote MCP server may send a schema hundreds of levels deep, or a chain of a thousand ``$ref`` s: walking it
would exhaust Python's recursion limit. 64 levels is far beyond any real tool (OpenAI strict allows 10 object
levels), and far below the limit.
"""


_HANDLER_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


class CanonicalJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema 2020-12 generator, minus the auto-generated field titles.

    Titles such as ``"Origin"`` for a field named ``origin`` carry no information, cost tokens on every request,
    and some providers reject them; titles a user sets explicitly are kept.
    """

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def build_schema_type_to_method(self) -> Any:
        # pydantic lists the core schema types (a typing introspection) for every generator it makes: list them
        # once per generator class; the handlers are still this instance's methods, looked up by the same names.
        names = _HANDLER_NAMES.get(type(self))
        if names is None:
            mapping = super().build_schema_type_to_method()
            _HANDLER_NAMES[type(self)] = tuple(
                (key, f"{key.replace('-', '_')}_schema") for key in mapping
            )
            return mapping
        return {key: getattr(self, name) for key, name in names}

    def encode_default(self, dft: Any) -> Any:
        # pydantic builds a TypeAdapter per default to encode it; the defaults tools mostly have (None, numbers,
        # strings, flags, empty or small lists and dicts of those) are their own JSON form: only a copy is made.
        plain = _plain_json(dft)
        return plain if plain is not _NOT_PLAIN else super().encode_default(dft)

    def literal_schema(self, schema: Any) -> JsonSchemaValue:
        # pydantic < 2.10 writes a one-value Literal as {"const": x, "enum": [x]}, later releases as {"const": x}:
        # drop the redundant enum so a contract's schema (and fingerprint) does not depend on the pydantic version.
        json_schema = super().literal_schema(schema)
        if "const" in json_schema and json_schema.get("enum") == [json_schema["const"]]:
            json_schema = {k: v for k, v in json_schema.items() if k != "enum"}
        return json_schema

    # A nested model whose extra-keys policy agentkit set to "forbid" (see `forbid_unset_extras`) says so in its
    # schema: what the schema allows is what validation accepts.
    def model_schema(self, schema: Any) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        if (schema.get("config") or {}).get("extra_fields_behavior") == "forbid":
            target = self._target(json_schema)
            if target is not None and "additionalProperties" not in target:
                target["additionalProperties"] = False
        return json_schema

    def dataclass_schema(self, schema: Any) -> JsonSchemaValue:
        json_schema = super().dataclass_schema(schema)
        inner = schema.get("schema") or {}
        if inner.get("extra_behavior") == "forbid":
            target = self._target(json_schema)
            if target is not None and "additionalProperties" not in target:
                target["additionalProperties"] = False
        return json_schema

    def _target(self, json_schema: JsonSchemaValue) -> dict[str, Any] | None:
        if "properties" in json_schema or json_schema.get("type") == "object":
            return json_schema
        ref = json_schema.get("$ref")
        if isinstance(ref, str):
            try:
                found = self.get_schema_from_definitions(JsonRef(ref))
            except Exception:  # pragma: no cover - pydantic internals differ between versions
                return None
            return found if isinstance(found, dict) else None
        return None


class _Memo(NamedTuple):
    """What generating one nested model's definition did, to do again without generating it."""

    core_ref: str
    json_ref: str
    # (core ref, defs ref, JSON ref) of the model and of every definition it reaches.
    refs: tuple[tuple[str, str, str], ...]
    # (defs ref, read-only definition) of the same.
    definitions: tuple[tuple[str, Any], ...]


# Per model class (weakly: a class that goes away takes its memos along), per generator settings.
_MEMOS: weakref.WeakKeyDictionary[type, dict[tuple[Any, ...], _Memo]] = weakref.WeakKeyDictionary()

# pydantic names a definition "<module and qualified name>-<Mode>__<n>", where n counts the distinct classes with
# that module and qualified name met so far in the schema: only n == 1 names are independent of the order.
_FIRST_OF_ITS_NAME = re.compile(r"^(.*)-(?:Input|Output)__1$")
_NAME_OF = re.compile(r"^(.*)-(?:Input|Output)__\d+$")


class _OncePerModel(CanonicalJsonSchema):
    """`CanonicalJsonSchema` that generates each nested model's definitions once per process, not once per schema.

    A thousand tools taking the same ``Address`` model would otherwise generate its definition a thousand times:
    most of what defining a tool costs. A nested model's definition (and those of the models it reaches) depends
    only on the model class, the generator class and settings, the mode, and what was done to the core schema
    before (each subclass is used for one kind of core schema only). So the first generation is remembered, and
    later ones name the same definitions through pydantic (as generating them would) and copy them. Remembered and
    reused only when nothing depends on the order definitions are met in: no definition involved may share its
    module and qualified name with another class, in the model or, when reused, in the schema so far. A model
    whose generation warned is never remembered.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._warned: list[bool] = []  # one flag per model being generated and watched
        self._root_cls: Any = None
        self._depth = 0
        self._pending: list[tuple[type, tuple[Any, ...], str, Any]] = []

    def generate(self, schema: Any, mode: Any = "validation") -> JsonSchemaValue:
        root = schema.get("schema", schema) if schema.get("type") == "definitions" else schema
        self._root_cls = root.get("cls") if root.get("type") == "model" else None
        return super().generate(schema, mode)

    def emit_warning(self, kind: Any, detail: str) -> None:
        self._warned[:] = [True] * len(self._warned)
        super().emit_warning(kind, detail)

    def generate_inner(self, schema: Any) -> JsonSchemaValue:
        self._depth += 1
        try:
            result = self._once(schema)
        finally:
            self._depth -= 1
        if not self._depth and self._pending:
            # The whole schema is generated: every definition a model reaches exists now (pydantic generates the
            # core schema's own list of definitions before the models that refer to them, or after).
            pending, self._pending = self._pending, []
            for args in pending:
                self._remember(*args)
        return result

    def _once(self, schema: Any) -> JsonSchemaValue:
        cls = schema.get("cls") if schema.get("type") == "model" else None
        ref = schema.get("ref")
        if cls is None or cls is self._root_cls or ref is None or schema.get("root_model"):
            return super().generate_inner(schema)
        if (ref, self.mode) in self.core_to_defs_refs:
            # Named already: generated, or being generated (a recursive model).
            return super().generate_inner(schema)
        key = (self.mode, self.by_alias, self.ref_template, type(self))
        memo = _MEMOS.get(cls, {}).get(key)
        if memo is not None and memo.core_ref == ref:
            replayed = self._replay(memo)
            if replayed is not None:
                return replayed
        self._warned.append(False)
        try:
            result = super().generate_inner(schema)
        finally:
            warned = self._warned.pop()
        if not warned and memo is None:
            self._pending.append((cls, key, ref, result))
        return result

    def _replay(self, memo: _Memo) -> JsonSchemaValue | None:
        # Check first, changing nothing: a definition named already must have the remembered name; one not named
        # yet must not share its module and qualified name with anything named so far.
        named: dict[Any, Any] = self.core_to_defs_refs
        json_refs: dict[Any, Any] = self.core_to_json_refs
        defs_to_core: dict[Any, Any] = self.defs_to_core_refs
        taken: dict[str, set[str]] | None = None
        for core_ref, defs_ref, json_ref in memo.refs:
            existing = named.get((core_ref, self.mode))
            if existing is not None:
                if existing != defs_ref or json_refs[(core_ref, self.mode)] != json_ref:
                    return None
                continue
            if taken is None:
                taken = {}
                for other_defs, (other_core, _) in defs_to_core.items():
                    match = _NAME_OF.match(other_defs)
                    taken.setdefault(match.group(1) if match else other_defs, set()).add(other_core)
            first = _FIRST_OF_ITS_NAME.match(defs_ref)
            if first is None or taken.get(first.group(1), set()) - {core_ref}:
                return None
        for core_ref, defs_ref, json_ref in memo.refs:
            got_defs, got = self.get_cache_defs_ref_schema(CoreRef(core_ref))
            if got_defs != defs_ref or got["$ref"] != json_ref:  # pragma: no cover - checked above
                return None
        for defs_ref, definition in memo.definitions:
            if defs_ref not in self.definitions:
                self.definitions[DefsRef(defs_ref)] = json_copy(definition)
        return {"$ref": memo.json_ref}

    def _remember(self, cls: type, key: tuple[Any, ...], ref: str, result: Any) -> None:
        json_to_defs: dict[Any, Any] = self.json_to_defs_refs
        defs_to_core: dict[Any, Any] = self.defs_to_core_refs
        json_refs: dict[Any, Any] = self.core_to_json_refs
        definitions: dict[Any, Any] = self.definitions
        json_ref = result.get("$ref") if type(result) is dict and len(result) == 1 else None
        start = json_to_defs.get(json_ref) if isinstance(json_ref, str) else None
        if start is None:
            return
        reached: dict[str, Any] = {}
        names: set[str] = set()
        stack = [start]
        while stack:
            defs_ref = stack.pop()
            if defs_ref in reached:
                continue
            definition = definitions.get(defs_ref)
            core_mode_ref = defs_to_core.get(defs_ref)
            first = _FIRST_OF_ITS_NAME.match(defs_ref)
            if (
                definition is None
                or core_mode_ref is None
                or core_mode_ref[1] != self.mode
                or first is None
            ):
                return
            if first.group(1) in names:
                return  # two classes with one name: their names depend on the order they are met in
            names.add(first.group(1))
            reached[defs_ref] = definition
            for target in _json_refs(definition):
                target_defs = json_to_defs.get(target)
                if target_defs is None:
                    return
                stack.append(target_defs)
        refs = tuple(
            (str(defs_to_core[d][0]), str(d), str(json_refs[defs_to_core[d]])) for d in reached
        )
        memos = _MEMOS.get(cls)
        if memos is None:
            memos = _MEMOS.setdefault(cls, {})
        memos[key] = _Memo(
            ref, str(json_ref), refs, tuple((d, freeze(reached[d])) for d in reached)
        )


class ArgumentsJsonSchema(_OncePerModel):
    """The generator of tools' argument schemas (each nested model's definitions generated once per process).

    It writes the schema of the core schema's copy where classes without an extra-keys policy forbid extra keys
    (`forbid_unset_extras`, which tools validate with), without making that copy: each class node is rewritten
    the same way as the generator reaches it.

    Examples:
        >>> from pydantic import create_model
        >>> Unit = create_model("Unit", name=(str, ...))
        >>> Args = create_model("Args", unit=(Unit, ...))
        >>> core = Args.__pydantic_core_schema__
        >>> ArgumentsJsonSchema().generate(core) == CanonicalJsonSchema().generate(forbid_unset_extras(core)[0])
        True
        >>> ArgumentsJsonSchema().generate(core)["$defs"]["Unit"]["additionalProperties"]
        False
    """

    def generate_inner(self, schema: Any) -> JsonSchemaValue:
        kind = schema.get("type")
        if kind == "model" or kind == "typed-dict" or kind == "dataclass":
            schema = _forbid_node(schema)
        return super().generate_inner(schema)


class ResultJsonSchema(_OncePerModel):
    """The generator of tools' output schemas (each nested model's definitions generated once per process).

    Always given a type's own core schema, never a rewritten copy.
    """


def _json_refs(value: Any) -> list[str]:
    """Every ``$ref`` string inside a JSON value."""
    found: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return found


_NOT_PLAIN: Any = object()
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def _plain_json(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` if it is plain JSON already, else ``_NOT_PLAIN``.

    Plain: exact ``str``, ``int``, ``bool``, ``None`` and finite ``float``, and lists and string-keyed dicts of them.
    """
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return value
    if kind is float:
        return value if value - value == 0 else _NOT_PLAIN  # inf and nan follow the config's rules
    if depth > 8:
        return _NOT_PLAIN
    if kind is list:
        items = [_plain_json(item, depth + 1) for item in value]
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in items) else items
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                return _NOT_PLAIN
            plain = _plain_json(item, depth + 1)
            if plain is _NOT_PLAIN:
                return _NOT_PLAIN
            out[key] = plain
        return out
    return _NOT_PLAIN


_CONTAINERS = (dict, list)


def forbid_unset_extras(core_schema: Any) -> tuple[Any, bool]:
    """A copy of a core schema where classes that chose no extra-keys policy forbid extra keys; and if any did.

    Every model, TypedDict and dataclass without a policy of its own gets ``extra="forbid"``. pydantic's default (``extra="ignore"``) drops a misspelt key silently: the model's call then succeeds with
    the field's default, and nobody learns that ``unts`` was meant to be ``units``. A class that sets ``extra``
    itself (``model_config = ConfigDict(extra="allow")`` or ``"ignore"``, on the class or a base class it inherits
    from, or ``__pydantic_config__`` on a TypedDict) keeps its policy: the core schema carries a policy only
    when one was set, which is how the two are told apart. The user's classes are not modified; only the copy the
    tool validates with is.
    """
    changed = False

    # Copy on write: a node is copied only when something under it changes, so a schema where every class set
    # its policy (the common case) is scanned, not copied, and the copy shares every unchanged branch.
    def walk(node: Any) -> Any:
        nonlocal changed
        if isinstance(node, list):
            items = [walk(item) for item in node]
            return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if kind in _LEAF_KINDS or (kind == "model" and _all_set(node.get("cls"))):
            return node  # no class under it, or all chose a policy: nothing to copy
        out = node
        for key, value in node.items():
            if key in _NOT_SCHEMAS:
                continue  # JSON Schema notes, a default value, a config: never a core schema
            cls = type(value)
            if (
                cls is str
                or cls is bool
                or (cls is not dict and cls is not list and not isinstance(value, _CONTAINERS))
            ):
                continue  # a leaf: most of a core schema
            new = walk(value)
            if new is not value:
                if out is node:
                    out = dict(node)
                out[key] = new
        forbidding = _forbid_node(out)
        if forbidding is not out:
            changed = True
        return forbidding

    copied = walk(core_schema)
    return copied, changed


# Core schema types that hold no other schema (scalars, literals, enums), and keys that never hold one.
_LEAF_KINDS = frozenset(
    {
        "any", "none", "bool", "int", "float", "decimal", "complex", "str", "bytes", "date", "time", "datetime",
        "timedelta", "literal", "enum", "is-instance", "is-subclass", "callable", "uuid", "url", "multi-host-url",
    }
)  # fmt: skip
_NOT_SCHEMAS = frozenset({"metadata", "default", "config"})
_ALL_SET: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def _all_set(cls: Any) -> bool:
    """Whether a model, and every class its own core schema reaches, chose an extra-keys policy.

    Then `forbid_unset_extras` leaves any copy of its node as it is, without walking it: the classes a node of
    ``cls`` reaches are the ones ``cls``'s own core schema reaches, however a tool's schema inlines them. Answered
    once per class; a class still being answered (a recursive one) reads as "no" meanwhile, which only means a walk.
    """
    if not isinstance(cls, type):
        return False
    answer = _ALL_SET.get(cls)
    if answer is not None:
        return answer
    own = cls.__dict__.get("__pydantic_core_schema__")
    if not isinstance(own, dict):  # a model not built yet (its schema is a mock)
        return False
    _ALL_SET[cls] = False  # meanwhile: a recursive model reaches itself
    answer = not forbid_unset_extras(own)[1]
    _ALL_SET[cls] = answer
    return answer


def _forbid_node(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` itself, or a shallow copy forbidding extra keys if it is a class that chose no policy."""
    kind = node.get("type")
    if kind == "model" and not node.get("root_model"):
        config = node.get("config") or {}
        inner = node.get("schema") or {}
        if "extra_fields_behavior" not in config and "extra_behavior" not in inner:
            out = dict(node)
            out["config"] = {**config, "extra_fields_behavior": "forbid"}
            if isinstance(inner, dict) and inner.get("type") == "model-fields":
                out["schema"] = {**inner, "extra_behavior": "forbid"}
            return out
    elif kind == "typed-dict":
        config = node.get("config") or {}
        # pydantic >= 2.8 writes ``extra_behavior: "ignore"`` on every TypedDict; whether a policy was chosen (its
        # own ``__pydantic_config__``, or the config of the model around it) shows in its config, as for models.
        # PEP 728 ``closed=True`` / ``extra_items=`` give "forbid" / "allow", kept as they are.
        if (
            "extra_fields_behavior" not in config
            and node.get("extra_behavior", "ignore") == "ignore"
        ):
            out = dict(node)
            out["extra_behavior"] = "forbid"
            return out
    elif kind == "dataclass":
        config = node.get("config") or {}
        inner = node.get("schema")
        if (
            isinstance(inner, dict)
            and inner.get("type") == "dataclass-args"
            and "extra_fields_behavior" not in config
            and "extra_behavior" not in inner
        ):
            out = dict(node)
            out["schema"] = {**inner, "extra_behavior": "forbid"}
            return out
    return node


_SHARED_DEFS: weakref.WeakValueDictionary[str, FrozenDict] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()
_REF = re.compile(r'"\$ref": "([^"]*)"')
_DEFS_PREFIX = "#/$defs/"


def share_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each ``$defs`` entry replaced by one read-only object shared by every schema that has it.

    Tools that use the same nested model carry the same definition: held once, it costs memory once, and what
    compiles a schema can compile each shared definition once (an identity check tells it the work is done).

    Two entries are shared only when they are equal as JSON text (key order, ``1`` versus ``1.0`` and ``true``
    included) **and** so is every definition they reach through ``$ref`` under the same names: so the identity of a
    shared entry vouches for everything reachable from it, and inlining it gives the same result in every schema.
    An entry that refers outside ``$defs`` (to the root, say) depends on its schema and is left as it is, as is a
    schema that is not plain JSON. The shared entries are `FrozenDict` s; the rest of ``schema`` stays editable.

    Examples:
        >>> inner = {"type": "object", "properties": {"x": {"type": "integer"}}}
        >>> a = share_defs({"type": "object", "$defs": {"P": dict(inner)}})
        >>> b = share_defs({"type": "object", "$defs": {"P": dict(inner)}})
        >>> a["$defs"]["P"] is b["$defs"]["P"], a == {"type": "object", "$defs": {"P": inner}}
        (True, True)
    """
    defs = schema.get("$defs")
    if type(defs) is not dict or not defs:
        return schema
    try:
        texts = {name: json.dumps(value) for name, value in defs.items()}
    except (TypeError, ValueError):
        return schema  # not plain JSON: nothing is shared
    refs: dict[str, set[str] | None] = {}
    for name, text in texts.items():
        found_targets: set[str] = set()
        targets: set[str] | None = found_targets
        for raw in _REF.findall(text):
            try:
                ref = json.loads(f'"{raw}"')
            except ValueError:  # an escaped quote cut it short: not a reference this can follow
                targets = None
                break
            if not ref.startswith(_DEFS_PREFIX):
                targets = None  # refers outside $defs: depends on the schema around it
                break
            target = ref[len(_DEFS_PREFIX) :].replace("~1", "/").replace("~0", "~")
            if target not in texts:
                targets = None
                break
            found_targets.add(target)
        refs[name] = targets
    shared: dict[str, Any] = {}
    with _SHARED_LOCK:
        for name, value in defs.items():
            closure = _reachable(name, refs)
            if closure is None:
                shared[name] = value
                continue
            key = "\x00".join([texts[name], *(f"{n}\x00{texts[n]}" for n in sorted(closure))])
            found = _SHARED_DEFS.get(key)
            if found is None:
                found = freeze(value)
                _SHARED_DEFS[key] = found
            shared[name] = found
    return {**schema, "$defs": shared}


def _reachable(name: str, refs: dict[str, set[str] | None]) -> set[str] | None:
    """Every definition ``name`` reaches through ``$ref`` (itself only when recursive).

    ``None`` when any of them refers outside ``$defs``.
    """
    seen: set[str] = set()
    stack = [name]
    while stack:
        targets = refs.get(stack.pop())
        if targets is None:
            return None
        for target in targets:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


class _TooDeep(Exception):
    pass


def schema_depth_problem(schema: Any, limit: int = MAX_SCHEMA_DEPTH) -> str | None:
    """Why ``schema`` nests too deeply to be walked safely, or ``None``.

    Objects and arrays count one level each, and so does every ``$ref`` followed; a reference already being
    followed (a recursive schema) is not followed again. Never recurses deeper than ``limit`` itself.

    Examples:
        >>> deep = {"type": "string"}
        >>> for _ in range(100):
        ...     deep = {"type": "object", "properties": {"x": deep}}
        >>> schema_depth_problem(deep)
        'the schema nests deeper than 64 levels (objects, arrays and $ref hops), at /properties/x/properties/x/...'
        >>> schema_depth_problem({"type": "object", "properties": {"x": {"type": "string"}}}) is None
        True
    """
    active: set[str] = set()
    done: set[str] = set()
    trail: list[str] = []

    def resolve(ref: str) -> Any:
        target: Any = schema
        for token in ref[2:].split("/") if ref != "#" else []:
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or token not in target:
                return None
            target = target[token]
        return target

    def visit(node: Any, level: int) -> None:
        if level > limit:
            raise _TooDeep
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, dict | list):
                    trail.append(str(index))
                    visit(item, level)
                    trail.pop()
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and ref not in active and ref not in done:
            target = resolve(ref)
            if isinstance(target, dict | list):
                active.add(ref)
                trail.append("$ref")
                visit(target, level + 1)
                trail.pop()
                active.discard(ref)
                done.add(ref)
        for key, value in node.items():
            if key in ("$defs", "definitions") or not isinstance(value, dict | list):
                continue
            trail.append(str(key))
            visit(value, level + (1 if isinstance(value, dict) and key not in _NAMED else 0))
            trail.pop()

    try:
        visit(schema, 0)
    except _TooDeep:
        where = "/".join(trail[:4])
        return f"the schema nests deeper than {limit} levels (objects, arrays and $ref hops), at /{where}/..."
    return None


# Keywords whose value maps names to schemas: the map itself is not a level, the schemas in it are.
_NAMED = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})


def is_model_class(obj: object) -> TypeGuard[type[BaseModel]]:
    """Whether ``obj`` is a pydantic model class; never raises, whatever annotation it is given."""
    # On Python 3.10 isinstance(list[int], type) is True, and with pydantic < 2.11 (whose model metaclass defers to
    # ABCMeta) issubclass(list[int], BaseModel) then raises TypeError: a parametrised generic is no model class.
    if not isinstance(obj, type) or get_origin(obj) is not None:
        return False
    return issubclass(obj, BaseModel)


def _deref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = root
        for token in ref[2:].split("/"):
            target = (
                target.get(token.replace("~1", "/").replace("~0", "~"), {})
                if isinstance(target, dict)
                else {}
            )
        schema = target if isinstance(target, dict) else {}
        seen += 1
    return schema


def _branches(schema: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _deref(schema, root)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            out: list[dict[str, Any]] = []
            for sub in schema[key]:
                if isinstance(sub, dict):
                    out.extend(_branches(sub, root))
            return out
    return [schema]


def subschema_at(root: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any] | None:
    """The schema describing the value at ``path`` of an instance of ``root``, following refs and unions."""
    current = [root]
    for segment in path:
        nxt: list[dict[str, Any]] = []
        for schema in current:
            for branch in _branches(schema, root):
                if isinstance(segment, int) or segment.isdigit():
                    items = branch.get("items")
                    if isinstance(items, dict):
                        nxt.append(items)
                    prefix = branch.get("prefixItems")
                    if isinstance(prefix, list) and int(segment) < len(prefix):
                        nxt.append(prefix[int(segment)])
                props = branch.get("properties")
                if isinstance(props, dict) and segment in props:
                    nxt.append(props[segment])
                elif isinstance(branch.get("additionalProperties"), dict) and not isinstance(
                    segment, int
                ):
                    nxt.append(branch["additionalProperties"])
        if not nxt:
            return None
        current = nxt
    branches = [b for s in current for b in _branches(s, root)]
    if len(branches) == 1:
        return branches[0]
    return {"anyOf": branches}


def field_names_at(root: dict[str, Any], path: tuple[str | int, ...]) -> list[str]:
    """Property names allowed on the object at ``path`` (for "did you mean" suggestions)."""
    schema = subschema_at(root, path) if path else root
    if schema is None:
        return []
    names: list[str] = []
    for branch in _branches(schema, root):
        props = branch.get("properties")
        if isinstance(props, dict):
            names.extend(k for k in props if k not in names)
    return names


def describe_expected(root: dict[str, Any], schema: dict[str, Any] | None) -> str | None:
    """A short human/model-readable description of what ``schema`` accepts (``"integer >= 1"``, ``"one of ..."``)."""
    if schema is None:
        return None
    parts: list[str] = []
    for branch in _branches(schema, root):
        text = _describe_one(branch)
        if text and text not in parts:
            parts.append(text)
    return " or ".join(parts) or None


def _describe_one(schema: dict[str, Any]) -> str | None:
    if "const" in schema:
        return f"exactly {_literal(schema['const'])}"
    if "enum" in schema and isinstance(schema["enum"], list):
        return "one of " + ", ".join(_literal(v) for v in schema["enum"][:20])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind)
    if kind is None:
        if "properties" in schema:
            kind = "object"
        else:
            return None
    text = str(kind)
    fmt = schema.get("format")
    if fmt:
        text += f" ({fmt})"
    if kind == "array" and isinstance(schema.get("items"), dict):
        inner = _describe_one(schema["items"])
        if inner:
            text = f"array of {inner}"
    bounds = []
    for key, sign in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in schema:
            bounds.append(f"{sign} {schema[key]}")
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ):
        if key in schema:
            bounds.append(f"{label} {schema[key]}")
    if "pattern" in schema:
        bounds.append(f"matching {schema['pattern']}")
    if bounds:
        text += " " + ", ".join(bounds)
    return text


def _literal(value: Any) -> str:
    return (
        f"{value!r}"
        if isinstance(value, str)
        else (
            "null"
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    )


def _is_sensitive_annotation(annotation: Any, metadata: list[Any]) -> bool:
    if any(isinstance(m, Sensitive) or m is Sensitive for m in metadata):
        return True
    return annotation in (SecretStr, SecretBytes)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while get_origin(annotation) is typing.Annotated:
        base, *extra = get_args(annotation)
        metadata.extend(extra)
        annotation = base
    return annotation, metadata


_LITERAL_VALUES = frozenset({str, int, bool, float, bytes, type(None)})

# Whether a model class can reach a sensitive field at all: most cannot, and their pointers need no walk.
_REACHES_SENSITIVE: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def _reaches_sensitive(annotation: Any, visiting: set[Any]) -> tuple[bool, bool]:
    """Whether a sensitive field may be reachable from ``annotation``, and whether that answer is final.

    An answer is not final when the search met a class it was still exploring (a recursive model): that class
    decides, once all of its fields are seen. Only final answers are remembered per class.
    """
    cls = type(annotation)
    if cls is type:  # a plain class (str, date, SecretStr): nothing inside
        return annotation is SecretStr or annotation is SecretBytes, True
    if cls in _LITERAL_VALUES:  # the values of a Literal
        return False, True
    annotation, metadata = _unwrap(annotation)
    if _is_sensitive_annotation(annotation, metadata):
        return True, True
    if is_model_class(annotation):
        known = _REACHES_SENSITIVE.get(annotation)
        if known is not None:
            return known, True
        if annotation in visiting:
            return False, False
        visiting.add(annotation)
        final = True
        for info in annotation.model_fields.values():
            if info.metadata and _is_sensitive_annotation(info.annotation, info.metadata):
                found, done = True, True
            else:
                found, done = _reaches_sensitive(info.annotation, visiting)
            if found:
                _REACHES_SENSITIVE[annotation] = True
                visiting.discard(annotation)
                return True, True
            final = final and done
        visiting.discard(annotation)
        if (
            final or not visiting
        ):  # the class the search started from has seen everything it reaches
            _REACHES_SENSITIVE[annotation] = False
            return False, True
        return False, False
    final = True
    for arg in get_args(annotation):
        found, done = _reaches_sensitive(arg, visiting)
        if found:
            return True, True
        final = final and done
    return False, final


def find_sensitive_pointers(
    annotation: Any, prefix: str = "", _seen: frozenset[Any] = frozenset()
) -> list[str]:
    """JSON pointers of every sensitive field reachable from ``annotation`` (models, lists, dicts, unions)."""
    if not prefix and not _seen and not _reaches_sensitive(annotation, set())[0]:
        return []  # nothing sensitive anywhere below: no pointers to build
    annotation, metadata = _unwrap(annotation)
    if _is_sensitive_annotation(annotation, metadata):
        return [prefix or "/"]
    pointers: list[str] = []
    if is_model_class(annotation):
        if annotation in _seen:
            return []
        seen = _seen | {annotation}
        for name, info in annotation.model_fields.items():
            key = info.alias or name
            field_meta = list(info.metadata)
            if _is_sensitive_annotation(info.annotation, field_meta):
                pointers.append(f"{prefix}/{key}")
            else:
                pointers.extend(find_sensitive_pointers(info.annotation, f"{prefix}/{key}", seen))
        return pointers
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, tuple, set, frozenset, abc.Sequence, abc.Set, abc.Iterable):
        for arg in args:
            if arg is not Ellipsis:
                pointers.extend(find_sensitive_pointers(arg, f"{prefix}/*", _seen))
    elif origin in (dict, abc.Mapping):
        if len(args) == 2:
            pointers.extend(find_sensitive_pointers(args[1], f"{prefix}/*", _seen))
    elif origin is typing.Union or origin is types.UnionType:
        for arg in args:
            pointers.extend(find_sensitive_pointers(arg, prefix, _seen))
    return sorted(set(pointers))
