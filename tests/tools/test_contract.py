"""``ToolContract``: frozen, canonical JSON, stable fingerprint, validated fields; plus a round-trip property."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from agentkit import ToolContract, tool
from agentkit.tools import ToolAnnotations, Version

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"q": {"type": "string"}},
    "required": ["q"],
}


def _contract(**overrides: Any) -> ToolContract:
    fields: dict[str, Any] = {
        "name": "search",
        "version": "1.2.0",
        "description": "Search.",
        "input_schema": SCHEMA,
    }
    fields.update(overrides)
    return ToolContract(**fields)


def test_contract_is_frozen() -> None:
    contract = _contract()
    with pytest.raises(ValidationError):
        contract.name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ToolContract(name="x", input_schema=SCHEMA, colour="red")  # type: ignore[call-arg]


def test_contract_round_trips_through_json() -> None:
    contract = _contract(
        namespace="travel",
        output_schema={"type": "array", "items": {"type": "string"}},
        annotations=ToolAnnotations(read_only=True),
        tags=("b", "a"),
        timeout=2.5,
        requires_approval=True,
        sensitive=("/token",),
    )
    assert ToolContract.model_validate_json(contract.to_json()) == contract
    assert ToolContract.model_validate_json(contract.model_dump_json()) == contract


def test_canonical_json_is_sorted_and_compact() -> None:
    text = _contract().to_json()
    assert text == (
        '{"annotations":{"destructive":null,"idempotent":null,"open_world":null,"read_only":null},'
        '"description":"Search.","input_schema":{"properties":{"q":{"type":"string"}},'
        '"required":["q"],"type":"object"},"name":"search","namespace":null,"output_schema":null,'
        '"requires_approval":false,"sensitive":[],"tags":[],"timeout":null,"version":"1.2.0"}'
    )


def test_fingerprint_is_the_sha256_of_the_canonical_json() -> None:
    contract = _contract()
    assert (
        contract.fingerprint == "sha256:" + hashlib.sha256(contract.to_json().encode()).hexdigest()
    )


def test_fingerprint_is_stable_and_independent_of_key_order() -> None:
    reordered = {"required": ["q"], "properties": {"q": {"type": "string"}}, "type": "object"}
    assert _contract().fingerprint == _contract(input_schema=reordered).fingerprint
    assert _contract().fingerprint == _contract().fingerprint


def test_identically_defined_tools_share_a_fingerprint() -> None:
    def define() -> ToolContract:
        @tool(version="1.0.0")
        def search(q: str, limit: int = 5) -> list[str]:
            """Search."""
            return []

        return search.contract

    assert define().fingerprint == define().fingerprint


@pytest.mark.parametrize(
    "change",
    [
        {"description": "Search better."},
        {"version": "1.2.1"},
        {"input_schema": {**SCHEMA, "required": []}},
        {"annotations": ToolAnnotations(destructive=True)},
        {"tags": ("new",)},
        {"timeout": 1.0},
        {"sensitive": ("/q",)},
        {"namespace": "web"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_fingerprint_changes_with_any_field(change: dict[str, Any]) -> None:
    assert _contract(**change).fingerprint != _contract().fingerprint


def test_tags_are_sorted_and_unique() -> None:
    assert _contract(tags=("web", "fast", "web")).tags == ("fast", "web")


def test_sensitive_pointers_are_sorted_and_unique() -> None:
    assert _contract(sensitive=("/b", "/a", "/b")).sensitive == ("/a", "/b")


@pytest.mark.parametrize("name", ["", "has space", "-dash-first", "ünïcode", "x" * 129, "a/b"])
def test_invalid_names_are_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match="is not valid"):
        _contract(name=name)


@pytest.mark.parametrize("name", ["a", "_private", "get-weather", "v2.search", "x" * 128, "9lives"])
def test_valid_names_are_accepted(name: str) -> None:
    assert _contract(name=name).name == name


@pytest.mark.parametrize("namespace", ["", "1travel", "travel.", "a..b", "acme-billing", "a b"])
def test_invalid_namespaces_are_rejected(namespace: str) -> None:
    with pytest.raises(ValidationError, match=r"namespace .* is not valid"):
        _contract(namespace=namespace)


def test_dotted_namespaces_make_the_qualified_name() -> None:
    assert _contract(namespace="acme.billing").qualified_name == "acme.billing.search"
    assert _contract().qualified_name == "search"


@pytest.mark.parametrize("pointer", ["token", "", "#/token"])
def test_sensitive_entries_must_be_json_pointers(pointer: str) -> None:
    with pytest.raises(ValidationError, match="is not a JSON pointer"):
        _contract(sensitive=(pointer,))


@pytest.mark.parametrize(
    "schema",
    [{"type": "string"}, {"type": "array", "items": {}}, {}, {"anyOf": [{"type": "object"}]}],
)
def test_input_schema_must_be_an_object(schema: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="input_schema must describe a JSON object"):
        _contract(input_schema=schema)


def test_untyped_schema_with_properties_counts_as_an_object() -> None:
    assert _contract(input_schema={"properties": {}}).input_schema == {"properties": {}}


@pytest.mark.parametrize("version", ["1", "1.x", "latest"])
def test_invalid_versions_are_rejected(version: str) -> None:
    with pytest.raises(ValidationError, match="not a semantic version"):
        _contract(version=version)


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        _contract(timeout=0)


def test_semver_property_parses_the_version() -> None:
    assert _contract(version="2.0.0-rc.1").semver == Version(2, 0, 0, ("rc", 1))


# --------------------------------------------------------------------------------------------- property


class Leg(BaseModel):
    origin: Annotated[str, Field(min_length=3, max_length=3)]
    stops: Annotated[int, Field(ge=0, le=3)] = 0


@tool
def plan(
    legs: list[Leg],
    travellers: Annotated[int, Field(ge=1, le=9)],
    cabin: Literal["economy", "premium", "business"] = "economy",
    budget: float | None = None,
    notes: str = "",
    flags: dict[str, bool] = {},  # noqa: B006 - pydantic copies defaults
) -> dict[str, Any]:
    """Echo the validated arguments back."""
    return {
        "legs": legs,
        "travellers": travellers,
        "cabin": cabin,
        "budget": budget,
        "notes": notes,
        "flags": flags,
    }


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
LEGS = st.lists(
    st.fixed_dictionaries(
        {"origin": st.text(st.characters(exclude_categories=("Cs",)), min_size=3, max_size=3)},
        optional={"stops": st.integers(0, 3)},
    ),
    max_size=4,
)
ARGUMENTS = st.fixed_dictionaries(
    {"legs": LEGS, "travellers": st.integers(1, 9)},
    optional={
        "cabin": st.sampled_from(["economy", "premium", "business"]),
        "budget": st.none() | st.floats(allow_nan=False, allow_infinity=False, width=64),
        "notes": TEXT,
        "flags": st.dictionaries(TEXT, st.booleans(), max_size=3),
    },
)
DEFAULTS = {"cabin": "economy", "budget": None, "notes": "", "flags": {}}


@settings(
    max_examples=150, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(ARGUMENTS)
def test_every_valid_argument_dict_is_accepted_and_echoed(arguments: dict[str, Any]) -> None:
    outcome = anyio.run(plan.invoke_json, json.dumps(arguments))
    assert outcome.ok, outcome.content
    expected = {**DEFAULTS, **arguments}
    expected["legs"] = [{"stops": 0, **leg} for leg in arguments["legs"]]
    assert json.loads(outcome.content) == expected
    # The schema in the contract agrees with the validator about every generated example.
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(arguments, plan.contract.input_schema)
