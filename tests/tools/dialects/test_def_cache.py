"""A definition shared by many tools is compiled once per dialect, and every tool gets what a fresh compile gives."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit import ToolContract
from agentkit.exceptions import SchemaCompileError
from agentkit.tools.dialects import _engine, _subset, clear_compile_cache, get_dialect
from agentkit.tools.dialects._builtin import GEMINI

_ADDRESS: dict[str, Any] = {
    "type": "object",
    "title": "Address",
    "description": "Where to deliver.",
    "properties": {
        "street": {"type": "string", "title": "Street", "minLength": 1, "uniqueItems": True},
        "zone": {"enum": [1, 2, 3], "title": "Zone"},
        "kind": {"$ref": "#/$defs/Kind", "description": "The kind of place."},
    },
    "required": ["street"],
}
_KIND: dict[str, Any] = {"enum": ["home", "work"], "type": "string", "title": "Kind"}


def _tool(name: str, defs: dict[str, Any], *, description: str = "Deliver it.") -> ToolContract:
    schema = {
        "type": "object",
        "properties": {
            "to": {"$ref": "#/$defs/Address", "description": f"{name}: the address."},
            "also": {"type": "array", "items": {"$ref": "#/$defs/Address"}},
            "maybe": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": None},
            "note": {"type": "string", "multipleOf": 2},
        },
        "required": ["to", "also"],
        "$defs": defs,
    }
    return ToolContract(name=name, description=description, input_schema=schema)


def _export(dialect: str, contracts: list[ToolContract]) -> list[Any]:
    """What a dialect gives for each contract: the definition as JSON, the warnings and a decode, or the error."""
    out: list[Any] = []
    for contract in contracts:
        try:
            compiled = get_dialect(dialect).compile(contract)
        except SchemaCompileError as exc:
            out.append(("error", str(exc)))
            continue
        sample = {"to": {"street": "x", "zone": "2", "kind": "home"}, "also": [{"zone": "3"}]}
        out.append(
            (
                json.dumps(compiled.definition),
                [(w.code, w.pointer, w.message) for w in compiled.warnings],
                compiled.decode(sample),
                compiled.encode(compiled.decode(sample)),
            )
        )
    return out


def _uncached(
    dialect: str, contracts: list[ToolContract], monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    """The same export with the definition cache turned off (every definition walked where it is used)."""
    with monkeypatch.context() as patch:
        patch.setattr(_engine, "_def_cache", lambda *args: None)
        clear_compile_cache()
        return _export(dialect, contracts)


def test_a_definition_shared_by_many_tools_is_compiled_once() -> None:
    """Fifty tools holding the same definition objects compile each one once; the other uses are cache hits."""
    defs = {"Address": copy.deepcopy(_ADDRESS), "Kind": dict(_KIND)}
    contracts = [_tool(f"t{i}", dict(defs)) for i in range(50)]
    clear_compile_cache()
    _export("gemini", contracts)
    hits, misses, size = _engine.def_cache_info(GEMINI)
    # Address is compiled described (to) and undescribed (also, maybe); Kind inside the first Address compile.
    assert (misses, size) == (3, 3)
    # 150 uses of Address, 2 compiled; Kind reached once more, inside the second Address compile.
    assert hits == 150 - 2 + 1


def test_shared_and_unshared_definitions_give_the_same_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shared objects, copies and the cache turned off all give the same definitions, warnings and decoding."""
    defs = {"Address": copy.deepcopy(_ADDRESS), "Kind": dict(_KIND)}
    shared = [_tool(f"t{i}", dict(defs)) for i in range(5)]
    copies = [_tool(f"t{i}", copy.deepcopy(defs)) for i in range(5)]
    for dialect in ("gemini", "openai-strict", "anthropic-strict", "openai", "mcp"):
        clear_compile_cache()
        cached = _export(dialect, shared)
        clear_compile_cache()
        assert _export(dialect, copies) == cached
        assert _uncached(dialect, shared, monkeypatch) == cached


def test_warnings_keep_the_pointer_of_each_use() -> None:
    """A definition's warnings point into the tool and the property that used it, on a cache hit too."""
    defs = {"Address": copy.deepcopy(_ADDRESS), "Kind": dict(_KIND)}
    clear_compile_cache()
    first, second = (get_dialect("gemini").compile(_tool(n, dict(defs))) for n in ("a", "b"))
    pointers = [w.pointer for w in second.warnings]
    assert pointers == [w.pointer for w in first.warnings]
    assert "/properties/to/properties/street/uniqueItems" in pointers
    assert "/properties/also/items/properties/zone/enum" in pointers
    assert "/properties/maybe/anyOf/0/properties/street/uniqueItems" in pointers
    assert first.schema["properties"]["to"]["description"].startswith("a: the address.")
    assert second.schema["properties"]["to"]["description"].startswith("b: the address.")


def test_a_definition_reaching_another_one_is_reused_only_where_that_one_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same Address object beside a different Kind (same name) compiles with that Kind, not the cached one."""
    address = copy.deepcopy(_ADDRESS)
    other_kind = {"enum": ["shop", "depot", "port"], "type": "string"}
    contracts = [
        _tool("a", {"Address": address, "Kind": dict(_KIND)}),
        _tool("b", {"Address": address, "Kind": other_kind}),
        _tool("c", {"Address": address}),  # Kind missing: an error, as without the cache
    ]
    clear_compile_cache()
    cached = _export("gemini", contracts)
    assert cached == _uncached("gemini", contracts, monkeypatch)
    assert "depot" in cached[1][0]
    assert "depot" not in cached[0][0]
    assert cached[2][0] == "error"


def test_context_dependent_uses_are_walked_where_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keywords beside a $ref, a reference to the root and recursion compile exactly as without the cache."""
    leaf = {"type": "object", "properties": {"n": {"type": "integer"}}}
    to_root = {"type": "object", "properties": {"up": {"$ref": "#"}}}
    loop = {"type": "object", "properties": {"next": {"$ref": "#/$defs/Loop"}}}
    schemas = [
        {
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/Leaf", "maxProperties": 3}},
            "$defs": {"Leaf": leaf},
        },
        {
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/Leaf", "description": ""}},
            "$defs": {"Leaf": leaf},
        },
        {"type": "object", "properties": {"x": {"$ref": "#/$defs/Up"}}, "$defs": {"Up": to_root}},
        {"type": "object", "properties": {"x": {"$ref": "#/$defs/Loop"}}, "$defs": {"Loop": loop}},
        {"type": "object", "properties": {"x": {"$ref": "#/$defs/Leaf"}}, "$defs": {"Leaf": leaf}},
    ]
    contracts = [ToolContract(name=f"t{i}", input_schema=s) for i, s in enumerate(schemas * 2)]
    clear_compile_cache()
    assert _export("gemini", contracts) == _uncached("gemini", contracts, monkeypatch)


def test_a_cached_definition_never_lifts_the_depth_or_size_limits() -> None:
    """A definition cached shallow is refused when a later tool uses it past the nesting limit, as if walked."""
    leaf = {"type": "object", "properties": {"n": {"type": "integer"}}}
    shallow = ToolContract(
        name="shallow",
        input_schema={
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/Leaf"}},
            "$defs": {"Leaf": leaf},
        },
    )
    deep: dict[str, Any] = {"$ref": "#/$defs/Leaf"}
    for _ in range(98):
        deep = {"type": "array", "items": deep}
    too_deep = ToolContract(
        name="deep",
        input_schema={"type": "object", "properties": {"x": deep}, "$defs": {"Leaf": leaf}},
    )
    clear_compile_cache()
    get_dialect("gemini").compile(shallow)
    with pytest.raises(SchemaCompileError, match="nests deeper than 100 levels") as cached:
        get_dialect("gemini").compile(too_deep)
    clear_compile_cache()
    with pytest.raises(SchemaCompileError) as fresh:
        get_dialect("gemini").compile(too_deep)
    assert str(cached.value) == str(fresh.value)


def test_what_the_cache_hands_out_is_read_only() -> None:
    """A compiled tool's inlined definitions are frozen: changing one raises, and the next tool is unaffected."""
    defs = {"Address": copy.deepcopy(_ADDRESS), "Kind": dict(_KIND)}
    clear_compile_cache()
    first = get_dialect("gemini").compile(_tool("a", dict(defs)))
    street = first.schema["properties"]["to"]["properties"]["street"]
    with pytest.raises(TypeError, match="read-only"):
        street["type"] = "INTEGER"
    with pytest.raises(TypeError, match="read-only"):
        first.schema["properties"]["to"]["properties"].clear()
    second = get_dialect("gemini").compile(_tool("b", dict(defs)))
    assert second.schema["properties"]["to"]["properties"]["street"] is street  # shared, unchanged
    assert street["type"] == "STRING"


def test_a_tagged_union_does_not_leak_its_required_tag_into_other_uses() -> None:
    """A branch made to require its tag in one tool is a copy: the same definition elsewhere keeps its own required."""
    cat = {
        "type": "object",
        "properties": {"kind": {"const": "cat", "default": "cat"}, "name": {"type": "string"}},
    }
    dog = {
        "type": "object",
        "properties": {"kind": {"const": "dog", "default": "dog"}, "bark": {"type": "boolean"}},
    }
    defs = {"Cat": cat, "Dog": dog}
    plain = {"type": "object", "properties": {"pet": {"$ref": "#/$defs/Cat"}}, "$defs": defs}
    tagged = {
        "type": "object",
        "properties": {"pet": {"oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}},
        "$defs": defs,
    }
    clear_compile_cache()
    dialect = get_dialect("gemini")
    before = dialect.compile(ToolContract(name="plain", input_schema=plain)).schema["properties"][
        "pet"
    ]
    union = dialect.compile(ToolContract(name="tagged", input_schema=tagged)).schema["properties"][
        "pet"
    ]
    after = dialect.compile(ToolContract(name="plain2", input_schema=plain)).schema["properties"][
        "pet"
    ]
    assert union["anyOf"][0]["required"] == ["kind"]
    assert "required" not in before
    assert "required" not in after


def test_clear_compile_cache_forgets_the_definitions_too() -> None:
    """After clear_compile_cache() the definition cache is empty, its counters reset and nothing stays vouched."""
    defs = {"Address": copy.deepcopy(_ADDRESS), "Kind": dict(_KIND)}
    clear_compile_cache()
    vouched = len(_subset._VOUCHED)
    get_dialect("gemini").compile(_tool("a", dict(defs)))
    assert _engine.def_cache_info(GEMINI)[2] > 0
    assert len(_subset._VOUCHED) > vouched
    clear_compile_cache()
    assert _engine.def_cache_info(GEMINI) == (0, 0, 0)
    assert len(_subset._VOUCHED) == vouched


def test_the_definition_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """With room for four definitions, forty distinct ones keep at most four (and what they vouched for goes)."""
    monkeypatch.setattr(_engine, "DEFS_KEPT", 4)
    clear_compile_cache()
    vouched = len(_subset._VOUCHED)
    for i in range(40):
        leaf = {"type": "object", "properties": {"n": {"type": "integer", "maximum": i}}}
        schema = {
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/Leaf"}},
            "$defs": {"Leaf": leaf},
        }
        get_dialect("gemini").compile(ToolContract(name=f"t{i}", input_schema=schema))
        assert _engine.def_cache_info(GEMINI)[2] <= 4
    assert len(_subset._VOUCHED) <= vouched + 4
    clear_compile_cache()


def test_threads_compiling_the_same_definitions_get_the_same_results() -> None:
    """Eight threads exporting tools that share definitions from a cleared cache agree with a sequential export."""
    defs = {"Address": copy.deepcopy(_ADDRESS), "Kind": dict(_KIND)}
    contracts = [_tool(f"t{i}", dict(defs)) for i in range(40)]
    clear_compile_cache()
    expected = _export("gemini", contracts)

    def run(slot: int, barrier: threading.Barrier, results: list[Any]) -> None:
        barrier.wait()
        results[slot] = _export("gemini", contracts[slot::8] + contracts)

    for _ in range(5):
        clear_compile_cache()
        results: list[Any] = [None] * 8
        barrier = threading.Barrier(8)
        threads = [threading.Thread(target=run, args=(i, barrier, results)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for slot, result in enumerate(results):
            assert result == expected[slot::8] + expected


# ------------------------------------------------------------------ generated schemas

_NAMES = ("A", "B", "C", "D")


@st.composite
def _definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Up to four definitions, each an object whose fields may refer to the ones before it."""
    defs: dict[str, Any] = {}
    for index, name in enumerate(_NAMES[: draw(st.integers(1, 4))]):
        props: dict[str, Any] = {}
        for field in draw(st.lists(st.sampled_from("pqrstu"), min_size=1, max_size=4, unique=True)):
            props[field] = draw(_field(_NAMES[:index]))
        required = draw(st.lists(st.sampled_from(sorted(props)), unique=True))
        node: dict[str, Any] = {
            "type": "object",
            "title": name,
            "properties": props,
            "required": required,
        }
        if draw(st.booleans()):
            node["description"] = f"The {name}."
        if draw(st.booleans()):
            node["additionalProperties"] = False
        defs[name] = node
    if draw(st.booleans()):
        defs["Enum"] = {
            "enum": draw(st.sampled_from([["a", "b"], [1, 2], [1, "x", None]])),
            "title": "Enum",
        }
    return defs


def _field(earlier: tuple[str, ...]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["string", "integer", "number", "boolean"])}
        ),
        st.just({"type": "string", "pattern": "^a+$", "maxLength": 9}),
        st.just({"type": "integer", "multipleOf": 3, "description": "Thirds."}),
        st.just({"type": "array", "items": {"type": "string"}, "uniqueItems": True}),
        st.just({"type": "object", "additionalProperties": {"type": "integer"}}),
        st.just({"enum": [1, 2], "default": 1}),
        st.just({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}),
        st.just({"type": ["string", "integer"]}),
    )
    if not earlier:
        return scalars
    ref = st.sampled_from(earlier).map(lambda n: {"$ref": f"#/$defs/{n}"})
    return st.one_of(
        scalars,
        ref,
        ref.map(lambda r: {**r, "description": "Nested."}),
        ref.map(lambda r: {**r, "default": {}}),
        ref.map(lambda r: {"type": "array", "items": r}),
        ref.map(lambda r: {"anyOf": [r, {"type": "null"}], "default": None}),
        ref.map(lambda r: {**r, "maxProperties": 5}),
    )


@st.composite
def _tools(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Tools whose input schemas refer to the same definitions (and sometimes a tool redefines one of them)."""
    defs = draw(_definitions())
    names = sorted(defs)
    tools = []
    for _ in range(draw(st.integers(2, 5))):
        props: dict[str, Any] = {}
        for field in draw(st.lists(st.sampled_from("vwxyz"), min_size=1, max_size=3, unique=True)):
            target: dict[str, Any] = {"$ref": f"#/$defs/{draw(st.sampled_from(names))}"}
            shape = draw(st.integers(0, 3))
            if shape == 1:
                target = {**target, "description": f"Field {field}."}
            elif shape == 2:
                target = {"type": "array", "items": target}
            elif shape == 3:
                target = {"anyOf": [target, {"type": "null"}], "default": None}
            props[field] = target
        own = dict(defs)
        if draw(st.booleans()) and "A" in own:
            own["A"] = {"type": "object", "properties": {"other": {"type": "integer"}}}
        tools.append(
            {"type": "object", "properties": props, "required": sorted(props)[:1], "$defs": own}
        )
    return tools


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(schemas=_tools())
def test_generated_tools_sharing_definitions_compile_as_copies_do(
    schemas: list[dict[str, Any]],
) -> None:
    """Tools holding the same definition objects get, in every dialect, what deep copies get with no cache at all."""
    shared = [ToolContract(name=f"t{i}", input_schema=s) for i, s in enumerate(schemas)]
    copies = [
        ToolContract(name=f"t{i}", input_schema=copy.deepcopy(s)) for i, s in enumerate(schemas)
    ]
    original = _engine._def_cache
    for dialect in ("gemini", "openai-strict", "anthropic-strict"):
        clear_compile_cache()
        cached = _export(dialect, shared) + _export(dialect, shared[::-1])
        try:
            _engine._def_cache = lambda *args: None  # type: ignore[assignment]
            clear_compile_cache()
            fresh = _export(dialect, copies) + _export(dialect, copies[::-1])
        finally:
            _engine._def_cache = original
        assert cached == fresh
    clear_compile_cache()


def test_unions_arrays_and_other_reference_forms_are_reused_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Definitions that are unions or arrays, and ones reached through "#/definitions/...", compile as uncached."""
    either = {
        "anyOf": [{"type": "string", "maxLength": 3}, {"$ref": "#/definitions/Point"}],
        "title": "Either",
    }
    points = {"type": "array", "items": {"$ref": "#/definitions/Point"}, "uniqueItems": True}
    point = {"type": "object", "properties": {"x": {"type": "integer", "multipleOf": 2}}}
    address = copy.deepcopy(_ADDRESS)

    def schema(definitions: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "e": {"$ref": "#/$defs/Either", "description": "One or the other."},
                "p": {"$ref": "#/$defs/Points"},
                "a": {"$ref": "#/definitions/Address"},
            },
            "$defs": {"Either": either, "Points": points},
            "definitions": definitions,
        }

    contracts = [
        ToolContract(name="a", input_schema=schema({"Point": point, "Address": address})),
        ToolContract(name="b", input_schema=schema({"Point": point, "Address": address})),
        # The same objects, but Address's Kind (a "#/$defs/..." reference) is nowhere: an error, as uncached.
        ToolContract(
            name="c", input_schema={**schema({"Point": point, "Address": address}), "$defs": []}
        ),
        ToolContract(name="d", input_schema=schema({"Point": dict(point), "Address": address})),
    ]
    clear_compile_cache()
    cached = _export("gemini", contracts)
    assert _engine.def_cache_info(GEMINI)[0] > 0
    assert cached == _uncached("gemini", contracts, monkeypatch)
    assert cached[2][0] == "error"


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_a_vouched_subschema_still_counts_toward_the_depth_limit(depth: int) -> None:
    """A subschema checked once is refused by freeze_checked where it sits too deep, as check_schema refuses it."""
    rules = _subset.SubsetRules(name="t", keywords=_subset._STRUCTURAL, max_depth=3)
    sub = _subset.vouch(
        {"type": "object", "properties": {"y": {"type": "string"}}, "required": []}, rules
    )
    assert sub is not None
    node: dict[str, Any] = sub
    for _ in range(depth):
        node = {"type": "object", "properties": {"x": node}}
    root = {"type": "object", "properties": {"x": node}}
    frozen, vouched = _subset.freeze_checked(root, rules)
    assert vouched == (not _subset.check_schema(root, rules))
    assert vouched == (depth < 2)
    if vouched:
        assert frozen == root
    _subset.unvouch([sub])
    assert not _subset.freeze_checked({"type": "object", "properties": {"x": sub}}, rules)[1]


def test_a_subschema_outside_the_rules_is_not_vouched_for() -> None:
    """Vouch refuses what the rules refuse (an unknown keyword, a type list where the rules want one type)."""
    rules = _subset.SubsetRules(
        name="t", keywords=_subset._STRUCTURAL, openapi=True, max_properties=1
    )
    assert _subset.vouch({"type": "STRING", "minLength": 1}, rules) is None
    assert _subset.vouch({"type": ["STRING", "NULL"]}, rules) is None
    two = {"type": "OBJECT", "properties": {"a": {"type": "STRING"}, "b": {"type": "STRING"}}}
    assert _subset.vouch(two, rules) is None
