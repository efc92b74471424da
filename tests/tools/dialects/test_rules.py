"""Each lossless rule of the dialects, the compile cache, wire names and the dialect registry."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import tool
from agentkit.exceptions import SchemaCompileError
from agentkit.tools import ToolAnnotations, ToolContract
from agentkit.tools.dialects import (
    CompiledTool,
    OpenAIDialect,
    SchemaDialect,
    WireNames,
    clear_compile_cache,
    compile_cache_info,
    get_dialect,
    register_dialect,
    wire_name,
)


def _contract(schema: dict[str, Any], name: str = "t", **fields: Any) -> ToolContract:
    return ToolContract(name=name, input_schema=schema, **fields)


OPTIONALS = _contract(
    {
        "type": "object",
        "properties": {
            "q": {"type": "string"},
            "limit": {"type": "integer", "default": 10},
            "cursor": {"type": "string"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "x"},
        },
        "required": ["q"],
    }
)


def test_openai_strict_makes_optional_fields_required_and_nullable() -> None:
    """Optional fields become required `T | null`; defaults go into the description."""
    schema = get_dialect("openai-strict").compile(OPTIONALS).schema
    assert schema["required"] == ["q", "limit", "cursor", "note"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["limit"] == {
        "description": "(default: 10)",
        "type": ["integer", "null"],
    }
    assert schema["properties"]["cursor"] == {"type": ["string", "null"]}


def test_openai_strict_null_restores_the_default_or_omits_the_key() -> None:
    """Null decodes to the declared default, or to an omitted key without one; a real null stays null."""
    compiled = get_dialect("openai-strict").compile(OPTIONALS)
    decoded = compiled.decode({"q": "a", "limit": None, "cursor": None, "note": None})
    assert decoded == {"q": "a", "limit": 10, "note": None}
    assert compiled.encode({"q": "a"}) == {"q": "a", "limit": None, "cursor": None, "note": "x"}


def test_unsupported_keywords_move_into_the_description_with_a_warning() -> None:
    """MinLength is not in OpenAI's strict subset: it moves into the description, and a warning says so."""
    contract = _contract(
        {
            "type": "object",
            "properties": {"code": {"type": "string", "minLength": 3, "description": "A code."}},
            "required": ["code"],
        }
    )
    compiled = get_dialect("openai-strict").compile(contract)
    assert compiled.schema["properties"]["code"] == {
        "description": "A code. (minLength: 3)",
        "type": "string",
    }
    (warning,) = compiled.warnings
    assert (warning.code, warning.pointer) == ("moved-to-description", "/properties/code/minLength")


def test_maps_become_key_value_lists_in_strict_mode() -> None:
    """dict[str, T] is sent as a list of {key, value} objects and decoded back."""

    @tool
    def tag(labels: dict[str, int]) -> None:
        """Tag."""

    compiled = get_dialect("openai-strict").compile(tag.contract)
    assert compiled.schema["properties"]["labels"]["items"]["required"] == ["key", "value"]
    assert compiled.decode({"labels": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]}) == {
        "labels": {"a": 1, "b": 2}
    }
    assert compiled.encode({"labels": {"a": 1}}) == {"labels": [{"key": "a", "value": 1}]}


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        (
            {
                "type": "object",
                "properties": {
                    "m": {
                        "type": "object",
                        "properties": {"a": {"type": "string"}},
                        "additionalProperties": {"type": "integer"},
                    }
                },
            },
            "both fixed properties and typed additionalProperties",
        ),
        ({"type": "object", "properties": {"m": {"type": "object"}}}, "free-form object"),
        ({"type": "object", "properties": {"v": {}}}, "any type"),
        (
            {
                "type": "object",
                "properties": {"t": {"type": "array", "prefixItems": [{"type": "string"}]}},
            },
            "tuple",
        ),
    ],
)
def test_what_strict_cannot_express_is_refused_with_a_reason(
    schema: dict[str, Any], reason: str
) -> None:
    """Shapes strict mode cannot express raise SchemaCompileError naming the problem and the place."""
    with pytest.raises(SchemaCompileError, match=reason) as info:
        get_dialect("openai-strict").compile(_contract(schema))
    assert info.value.dialect == "openai-strict"


def test_strict_auto_falls_back_for_that_tool_only() -> None:
    """openai-auto compiles strict where possible and non-strict (with the reason) where not."""
    awkward = _contract({"type": "object", "properties": {"m": {"type": "object"}}}, name="awkward")
    fine = _contract({"type": "object", "properties": {"a": {"type": "string"}}}, name="fine")
    auto = get_dialect("openai-auto")
    assert auto.compile(fine).strict is True
    fallback = auto.compile(awkward)
    assert fallback.strict is False
    assert fallback.definition["function"]["strict"] is False
    assert fallback.warnings[0].code == "strict-disabled"
    assert "free-form object" in fallback.warnings[0].message


RECURSIVE = _contract(
    {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "required": ["root"],
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["value", "children"],
            }
        },
    }
)


def test_recursive_refs_are_kept_where_the_dialect_allows_them() -> None:
    """OpenAI strict keeps a recursive $ref; Gemini and Anthropic strict refuse it and say why."""
    schema = get_dialect("openai-strict").compile(RECURSIVE).schema
    assert schema["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    with pytest.raises(SchemaCompileError, match="recursive schema"):
        get_dialect("gemini").compile(RECURSIVE)
    with pytest.raises(SchemaCompileError, match="does not support recursive schemas"):
        get_dialect("anthropic-strict").compile(RECURSIVE)


def test_gemini_inlines_refs_and_rewrites_const_type_lists_and_enums() -> None:
    """Gemini: $ref inlined, const -> enum, type lists -> nullable, integer enums -> strings decoded back."""
    contract = _contract(
        {
            "type": "object",
            "properties": {
                "kind": {"const": "a"},
                "name": {"type": ["string", "null"]},
                "level": {"enum": [1, 2]},
                "where": {"$ref": "#/$defs/Place"},
                "ratio": {"type": "number", "exclusiveMinimum": 0},
            },
            "$defs": {"Place": {"type": "object", "properties": {"city": {"type": "string"}}}},
        }
    )
    compiled = get_dialect("gemini").compile(contract)
    props = compiled.schema["properties"]
    assert props["kind"] == {"type": "STRING", "enum": ["a"]}
    assert props["name"] == {"type": "STRING", "nullable": True}
    assert props["level"] == {"type": "STRING", "enum": ["1", "2"]}
    assert props["where"] == {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}
    assert props["ratio"] == {"description": "(exclusiveMinimum: 0)", "type": "NUMBER"}
    assert "$defs" not in compiled.schema
    assert compiled.decode({"level": "2"}) == {"level": 2}
    assert {w.code for w in compiled.warnings} == {"enum-stringified", "moved-to-description"}


def test_subset_checkers_find_nothing_in_what_compile_returns() -> None:
    """check_subset lists violations of hand-written schemas, and none in compiled ones."""
    bad = CompiledTool(
        "gemini",
        "t",
        "t",
        {},
        {"type": "object", "properties": {"a": {"type": "string", "const": "x"}}},
    )
    problems = get_dialect("gemini").check_subset(bad)
    assert "/properties/a: unsupported keyword(s) const" in problems
    assert "/properties/a: unknown type 'string'" in problems
    good = get_dialect("gemini").compile(OPTIONALS)
    assert get_dialect("gemini").check_subset(good) == ()


def test_titles_and_noise_are_stripped_for_providers() -> None:
    """Titles and $schema are dropped by provider dialects; a property *named* title survives."""
    contract = _contract(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Args",
            "type": "object",
            "properties": {"title": {"type": "string", "title": "Title"}},
        }
    )
    for name in ("openai", "openai-strict", "anthropic", "gemini"):
        schema = get_dialect(name).compile(contract).schema
        assert "title" not in schema
        assert "$schema" not in schema
        assert "title" in schema["properties"]
        assert "title" not in schema["properties"]["title"]
    assert get_dialect("mcp").compile(contract).schema["title"] == "Args"


def test_definitions_have_each_providers_shape() -> None:
    """Each dialect's definition has exactly the keys its provider's request body expects."""
    contract = _contract(
        {"type": "object", "properties": {"n": {"type": "integer"}}},
        name="math.factorial",
        description="Factorial.",
        annotations=ToolAnnotations(read_only=True, idempotent=True),
        output_schema={"type": "object", "properties": {"value": {"type": "integer"}}},
    )
    openai = get_dialect("openai").compile(contract).definition
    assert openai["type"] == "function"
    assert sorted(openai["function"]) == ["description", "name", "parameters", "strict"]
    assert openai["function"]["name"] == "math_factorial"
    assert sorted(get_dialect("anthropic").compile(contract).definition) == [
        "description",
        "input_schema",
        "name",
    ]
    assert get_dialect("anthropic-strict").compile(contract).definition["strict"] is True
    gemini = get_dialect("gemini").compile(contract).definition
    assert sorted(gemini) == ["description", "name", "parameters"]
    assert gemini["name"] == "math.factorial"
    mcp = get_dialect("mcp").compile(contract).definition
    assert sorted(mcp) == ["annotations", "description", "inputSchema", "name", "outputSchema"]
    assert mcp["annotations"] == {"readOnlyHint": True, "idempotentHint": True}


def test_wire_names_are_deterministic_and_reversible() -> None:
    """Dots map to underscores, long names keep a hash, and collisions in a set get distinct suffixes."""
    assert wire_name("math.factorial") == "math_factorial"
    long = wire_name("x" * 100)
    assert len(long) == 64
    assert long == wire_name("x" * 100)
    names = WireNames(["a.b", "a_b", "c"])
    assert names.wire("c") == "c"
    assert len({names.wire("a.b"), names.wire("a_b")}) == 2
    assert names.original(names.wire("a_b")) == "a_b"
    assert WireNames(["a_b", "a.b"]).wire("a.b") == names.wire("a.b")


def test_exporting_a_thousand_tools_twice_compiles_once() -> None:
    """The second export of 1,000 tools is served entirely from the cache."""
    calls = 0

    class Counting(OpenAIDialect):
        def build(self, contract: ToolContract) -> CompiledTool:
            nonlocal calls
            calls += 1
            return super().build(contract)

    dialect = Counting(strict=True)
    contracts = [
        _contract({"type": "object", "properties": {"x": {"type": "integer"}}}, name=f"tool_{i}")
        for i in range(1000)
    ]
    clear_compile_cache()
    first = dialect.compile_all(contracts)
    second = dialect.compile_all(contracts)
    assert calls == 1000
    assert all(a is b for a, b in zip(first, second, strict=True))
    info = compile_cache_info()
    assert (info.hits, info.misses) == (1000, 1000)


def test_the_cache_is_bounded() -> None:
    """The LRU keeps at most maxsize entries."""
    clear_compile_cache(maxsize=10)
    try:
        for i in range(25):
            get_dialect("openai").compile(
                _contract({"type": "object", "properties": {}}, name=f"t{i}")
            )
        assert compile_cache_info().size == 10
    finally:
        clear_compile_cache(maxsize=4096)


def test_custom_dialects_register_and_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A user subclass registers under its name; unknown names suggest the closest one."""
    from agentkit.tools.dialects import _base

    monkeypatch.setattr(_base, "_DIALECTS", dict(_base._DIALECTS))

    class Echo(SchemaDialect):
        name = "echo"

        def build(self, contract: ToolContract) -> CompiledTool:
            return CompiledTool(
                self.name, contract.name, contract.name, {}, dict(contract.input_schema)
            )

    register_dialect(Echo(), replace=True)
    assert get_dialect("echo").compile(OPTIONALS).dialect == "echo"
    with pytest.raises(ValueError, match="did you mean 'gemini'"):
        get_dialect("gemni")


def test_decode_accepts_none_and_rejects_non_objects() -> None:
    """None means no arguments; a non-object is a TypeError."""
    compiled = get_dialect("openai-strict").compile(OPTIONALS)
    assert compiled.decode(None) == {}
    with pytest.raises(TypeError, match="JSON object"):
        compiled.decode([1])  # type: ignore[arg-type]
