"""The one-walk freeze-and-check of compiled schemas never vouches for a schema the full subset check refuses."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from agentkit import tool
from agentkit.tools.dialects import clear_compile_cache, get_dialect
from agentkit.tools.dialects._base import FrozenDict, FrozenList, freeze
from agentkit.tools.dialects._builtin import (
    ANTHROPIC_STRICT,
    ANTHROPIC_STRICT_RULES,
    GEMINI,
    GEMINI_RULES,
    OPENAI_STRICT,
    OPENAI_STRICT_RULES,
)
from agentkit.tools.dialects._engine import compile_schema
from agentkit.tools.dialects._subset import SubsetRules, check_schema, freeze_checked

_RULES = {
    "openai-strict": (OPENAI_STRICT, OPENAI_STRICT_RULES),
    "anthropic-strict": (ANTHROPIC_STRICT, ANTHROPIC_STRICT_RULES),
    "gemini": (GEMINI, GEMINI_RULES),
}


class Leg(BaseModel):
    origin: str = Field(min_length=3, max_length=3, description="IATA code.")
    day: date
    stops: list[str] = []


class Trip(BaseModel):
    legs: list[Leg]
    cabin: Literal["economy", "business"] = "economy"
    notes: dict[str, int] = {}


@tool
def plan(
    trip: Trip, size: Literal[1, 2, 4] = 2, budget: float | None = None, tags: list[str] = ()
) -> str:
    """Plan a trip.

    Args:
        trip: The legs.
        size: Party size.
        budget: Most to spend.
        tags: Labels.
    """
    return ""


@tool
def lookup(code: str, page: int = Field(1, ge=1, le=100), exact: bool = False) -> str:
    """Look a code up."""
    return code


def _all_frozen(value: Any) -> bool:
    if isinstance(value, dict):
        return type(value) is FrozenDict and all(_all_frozen(v) for v in value.values())
    if isinstance(value, list):
        return type(value) is FrozenList and all(_all_frozen(v) for v in value)
    return True


@pytest.mark.parametrize("dialect", sorted(_RULES))
@pytest.mark.parametrize("made", [plan, lookup])
def test_a_compiled_schema_is_frozen_and_vouched_for_in_one_walk(dialect: str, made: Any) -> None:
    """The engine's output passes: the copy is read-only throughout and equal, byte for byte, to the schema."""
    profile, rules = _RULES[dialect]
    schema, _, _ = compile_schema(profile, made.contract.input_schema, made.contract.name)
    frozen, ok = freeze_checked(schema, rules)
    assert ok
    assert check_schema(schema, rules) == ()
    assert json.dumps(frozen) == json.dumps(schema)
    assert frozen == freeze(schema)
    assert _all_frozen(frozen)
    clear_compile_cache()
    compiled = get_dialect(dialect).compile(made.contract)
    assert json.dumps(compiled.schema) == json.dumps(schema)
    assert _all_frozen(compiled.definition)


_KEYS = [
    "type",
    "description",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "$ref",
    "$defs",
    "enum",
    "format",
    "nullable",
    "minItems",
    "pattern",
    "title",
    "default",
    "minimum",
    "oneOf",
]
_SCALARS = st.one_of(
    st.sampled_from(
        [
            "object",
            "OBJECT",
            "string",
            "STRING",
            "integer",
            "null",
            "date",
            "date-time",
            "uuid",
            "a",
            "#/$defs/a",
        ]
    ),
    st.integers(-2, 3),
    st.booleans(),
    st.none(),
)


def _schemas() -> st.SearchStrategy[Any]:
    names = st.sampled_from(["a", "b", "c"])
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(names, inner, max_size=3),
            st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5),
        ),
        max_leaves=25,
    )


def _root() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda kind, rest: {"type": kind, **rest},
        st.sampled_from(["object", "OBJECT"]),
        st.dictionaries(st.sampled_from(_KEYS), _schemas(), max_size=5),
    )


@st.composite
def _near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A schema shaped like a compiled one (either case of types), sometimes with one odd keyword added."""
    upper = draw(st.booleans())

    def kind(name: str) -> str:
        return name.upper() if upper else name

    def node(depth: int) -> dict[str, Any]:
        shape = draw(
            st.sampled_from(["scalar", "scalar", "scalar", "object", "array", "union", "ref"])
        )
        if depth > 2 or shape == "scalar":
            out: dict[str, Any] = {"type": kind(draw(st.sampled_from(["string", "integer"])))}
            out.update(
                draw(
                    st.dictionaries(
                        st.sampled_from(["description", "format", "enum", "pattern", "nullable"]),
                        st.sampled_from(["date-time", "date-time", ["a", "b"], [1], True]),
                        max_size=2,
                    )
                )
            )
        elif shape == "object":
            out = obj(depth + 1)
        elif shape == "array":
            out = {"type": kind("array"), "items": node(depth + 1)}
            if draw(st.booleans()):
                out["minItems"] = draw(st.integers(0, 2))
        elif shape == "union":
            out = {"anyOf": [node(depth + 1), {"type": kind("null")}]}
        else:
            out = {"$ref": "#/$defs/a"}
        if draw(st.integers(0, 9)) == 0:
            out[draw(st.sampled_from(_KEYS))] = draw(_SCALARS)
        return out

    def obj(depth: int) -> dict[str, Any]:
        names = draw(st.lists(st.sampled_from("abc"), max_size=3, unique=True))
        out: dict[str, Any] = {
            "type": kind("object"),
            "properties": {n: node(depth) for n in names},
        }
        out["required"] = draw(st.sampled_from([names, names, names[:1], [*names, "z"]]))
        extra = draw(st.sampled_from([False, False, False, "absent", True, {}]))
        if extra != "absent":
            out["additionalProperties"] = extra
        return out

    root = obj(0)
    if draw(st.booleans()):
        root["$defs"] = {"a": obj(1)}
    return root


@pytest.mark.parametrize("dialect", sorted(_RULES))
@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(schema=st.one_of(_root(), _near_valid()))
def test_a_schema_vouched_for_passes_the_full_check(dialect: str, schema: dict[str, Any]) -> None:
    """Whatever the schema, ``True`` means check_schema finds nothing, and the copy equals the schema."""
    rules = _RULES[dialect][1]
    frozen, ok = freeze_checked(schema, rules)
    if ok:
        assert check_schema(schema, rules) == ()
        assert frozen == schema
        assert _all_frozen(frozen)
    else:
        assert frozen is schema


@pytest.mark.parametrize(
    ("schema", "rules", "check_fails"),
    [
        (
            {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(3)}},
            "few",
            True,
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "enum": [1, 2, 3]}}},
            "few",
            True,
        ),
        (
            {"type": "object", "properties": {"a": {"type": "object", "properties": {}}}},
            "shallow",
            True,
        ),
        ({"type": "object", "properties": {"a": {"type": "array", "minItems": 2}}}, "min", True),
        ({"type": "object", "$defs": {"a": {"$ref": "#/$defs/a"}}}, "acyclic", True),
        ({"type": "object", "properties": {"a": {"$ref": "#", "description": "x"}}}, "few", True),
        (
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            "all",
            True,
        ),
        ({"type": "object", "properties": {"a": {"type": "array", "items": [{}]}}}, "few", False),
    ],
)
def test_each_limit_is_refused_like_the_full_check(
    schema: dict[str, Any], rules: str, check_fails: bool
) -> None:
    """Counts, depth, minItems, cycles and siblings of $ref are refused; a tuple of items is left to the check."""
    base: dict[str, Any] = {"name": "t", "keywords": frozenset(_KEYS) - {"oneOf"}}
    made = {
        "few": SubsetRules(**base, max_properties=2, max_enum_values=2),
        "shallow": SubsetRules(**base, max_depth=0),
        "min": SubsetRules(**base, max_min_items=1),
        "acyclic": SubsetRules(**base, recursion=False),
        "all": SubsetRules(**base, all_required=True, closed_objects=True),
    }[rules]
    frozen, ok = freeze_checked(schema, made)
    assert not ok
    assert frozen is schema
    assert bool(check_schema(schema, made)) is check_fails
