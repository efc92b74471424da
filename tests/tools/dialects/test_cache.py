"""The compile cache hands out read-only results, and the tool list of a step is reused while nothing changes."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest

from agentkit import Registry, ToolContract, Toolset, tool
from agentkit.registry import StaticFlags
from agentkit.tools.dialects import (
    available_dialects,
    clear_compile_cache,
    compile_cache_info,
    get_dialect,
)

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name.", "title": "City"},
        "units": {"enum": ["C", "F"], "type": "string", "default": "C"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["city"],
    "additionalProperties": False,
}


def _contract(name: str = "weather") -> ToolContract:
    return ToolContract(name=name, description="Weather.", input_schema=copy.deepcopy(_SCHEMA))


def _edits(compiled: Any) -> list[Any]:
    """Every way a caller might try to change a compiled tool in place."""
    schema, definition = compiled.schema, compiled.definition
    props = schema["properties"]
    return [
        lambda: schema.__setitem__("type", "array"),
        lambda: schema.pop("properties"),
        lambda: schema.update({"x": 1}),
        lambda: props["city"].__setitem__("type", "integer"),
        lambda: props.clear(),
        lambda: schema["required"].append("units"),
        lambda: schema["required"].__setitem__(0, "zip"),
        lambda: definition.__delitem__(next(iter(definition))),
        lambda: definition.setdefault("extra", True),
    ]


@pytest.mark.parametrize("dialect", available_dialects())
def test_a_compiled_tool_cannot_be_changed_through_the_cache(dialect: str) -> None:
    """Mutating what compile() returned raises, and the next compile returns the original, unchanged."""
    clear_compile_cache()
    contract = _contract()
    first = get_dialect(dialect).compile(contract)
    expected = json.dumps(first.definition, sort_keys=True)
    for edit in _edits(first):
        with pytest.raises(TypeError, match="read-only"):
            edit()
    again = get_dialect(dialect).compile(contract)
    equal = get_dialect(dialect).compile(_contract())  # an equal contract: served by fingerprint
    assert json.dumps(again.definition, sort_keys=True) == expected
    assert json.dumps(equal.definition, sort_keys=True) == expected
    assert contract.input_schema == _SCHEMA


def test_copies_of_a_compiled_tool_are_plain_and_editable() -> None:
    """deepcopy, copy and pickle give plain dicts and lists; editing them leaves the cached result alone."""
    contract = _contract()
    compiled = get_dialect("openai-strict").compile(contract)
    edited = copy.deepcopy(compiled.definition)
    edited["function"]["parameters"]["properties"]["city"]["type"] = "integer"
    assert type(edited) is dict
    assert type(edited["function"]["parameters"]["required"]) is list
    shallow = copy.copy(compiled.schema)
    shallow["type"] = "array"
    restored = pickle.loads(pickle.dumps(compiled.definition))
    assert type(restored) is dict
    assert restored == compiled.definition
    assert compiled.schema["type"] == "object"
    assert compiled.schema["properties"]["city"]["type"] == "string"
    assert get_dialect("openai-strict").compile(contract).definition == compiled.definition
    assert compiled.definition["function"]["parameters"] is compiled.schema


def test_a_warm_compile_returns_the_same_object_and_clearing_forgets_it() -> None:
    """The same contract object gets the same result until the cache is cleared."""
    contract = _contract()
    dialect = get_dialect("gemini")
    first = dialect.compile(contract)
    assert dialect.compile(contract) is first
    clear_compile_cache()
    assert dialect.compile(contract) is not first


def test_a_registry_toolset_reuses_its_listing_until_the_registry_changes() -> None:
    """Listing a registry's toolset twice gives the same tools; a registration shows up in the next listing."""
    registry = Registry()

    def ping() -> str:
        """Ping."""
        return "pong"

    def echo(text: str) -> str:
        """Echo."""
        return text

    registry.register(ping, namespace="ops")
    plain, qualified = registry.toolset(), registry.toolset(qualify=True)
    assert [t.contract.name for t in plain.tools()] == ["ping"]
    first = qualified.tools()
    assert [t.contract.name for t in first] == ["ops_ping"]
    assert qualified.tools()[0] is first[0]  # the renamed tool (and its compiled forms) is kept
    registry.register(echo, namespace="ops")
    assert [t.contract.name for t in plain.tools()] == ["echo", "ping"]
    assert [t.contract.name for t in qualified.tools()] == ["ops_echo", "ops_ping"]
    registry.unregister("ops.ping")
    assert [t.contract.name for t in qualified.tools()] == ["ops_echo"]


def test_a_toolset_over_a_changing_list_sees_every_change() -> None:
    """A source that returns the same list object, changed in place, is listed afresh."""

    @tool
    def a() -> str:
        """A."""
        return "a"

    @tool
    def b() -> str:
        """B."""
        return "b"

    items = [a]
    toolset = Toolset(lambda: items)
    assert toolset.names() == ["a"]
    items.append(b)
    assert toolset.names() == ["a", "b"]
    items[:] = [b]
    assert toolset.names() == ["b"]


def _schema_for(i: int) -> dict[str, Any]:
    schema = copy.deepcopy(_SCHEMA)
    schema["properties"][f"extra_{i}"] = {"type": "integer", "minimum": i}
    return schema


def _contracts(count: int) -> list[ToolContract]:
    return [
        ToolContract(name=f"tool_{i}", description=f"Tool {i}.", input_schema=_schema_for(i))
        for i in range(count)
    ]


def _dumped(compiled: list[Any]) -> list[str]:
    return [json.dumps(c.definition, sort_keys=True) for c in compiled]


@pytest.mark.parametrize("dialect", available_dialects())
def test_a_cached_export_equals_a_fresh_one(dialect: str) -> None:
    """compile_all from the cache (twice over) gives byte for byte what a cleared cache compiles again."""
    clear_compile_cache()
    contracts = _contracts(5)
    target = get_dialect(dialect)
    cold = _dumped(target.compile_all(contracts))
    assert _dumped(target.compile_all(contracts)) == cold
    assert _dumped(target.compile_all(tuple(contracts))) == cold
    clear_compile_cache()
    assert _dumped(target.compile_all(_contracts(5))) == cold
    assert _dumped([target.compile(c) for c in contracts]) == cold


def test_compile_all_serves_a_repeated_list_whole_and_any_other_list_afresh() -> None:
    """The same contracts in the same order hit; a replaced, reordered, longer or shorter list does not."""
    clear_compile_cache()
    dialect = get_dialect("openai-strict")
    contracts = _contracts(4)
    first = dialect.compile_all(contracts)
    hits = compile_cache_info().hits
    again = dialect.compile_all(list(contracts))
    assert compile_cache_info().hits == hits + 4
    assert again == first
    assert again is not first
    assert all(a is b for a, b in zip(again, first, strict=True))
    again.clear()  # the caller's list is its own
    assert dialect.compile_all(contracts) == first
    replaced = [*contracts[:2], _contracts(5)[4], contracts[3]]
    assert [c.name for c in dialect.compile_all(replaced)] == [
        "tool_0",
        "tool_1",
        "tool_4",
        "tool_3",
    ]
    assert [c.name for c in dialect.compile_all(contracts[::-1])] == [
        "tool_3",
        "tool_2",
        "tool_1",
        "tool_0",
    ]
    assert [c.name for c in dialect.compile_all(contracts[:3])] == ["tool_0", "tool_1", "tool_2"]
    assert [c.name for c in dialect.compile_all(iter(contracts))] == [c.name for c in first]
    assert dialect.compile_all([]) == []


def test_compile_all_is_per_dialect_and_forgets_on_clear() -> None:
    """The same list compiled for two dialects keeps each one's results; clearing the cache compiles anew."""
    contracts = _contracts(3)
    strict = get_dialect("openai-strict").compile_all(contracts)
    loose = get_dialect("openai").compile_all(contracts)
    assert [c.dialect for c in get_dialect("openai-strict").compile_all(contracts)] == [
        "openai-strict"
    ] * 3
    assert [c.dialect for c in get_dialect("openai").compile_all(contracts)] == ["openai"] * 3
    assert all(s.strict and not lo.strict for s, lo in zip(strict, loose, strict=True))
    clear_compile_cache()
    fresh = get_dialect("openai-strict").compile_all(contracts)
    assert all(a is not b for a, b in zip(fresh, strict, strict=True))
    assert _dumped(fresh) == _dumped(strict)


def test_a_step_tool_list_follows_the_registry_and_its_flags() -> None:
    """The compiled list of a registry toolset changes with a registration and with a feature flag."""
    registry = Registry()
    flags = StaticFlags({"beta": False})

    def ping() -> str:
        """Ping."""
        return "pong"

    def probe(host: str) -> str:
        """Probe a host."""
        return host

    registry.register(ping)
    registry.register(tool(tags=["flag:beta"])(probe))
    toolset = registry.toolset().gated(flags)
    dialect = get_dialect("gemini")

    def step() -> list[str]:
        return [c.wire_name for c in dialect.compile_all([t.contract for t in toolset.tools()])]

    assert step() == ["ping"]
    assert step() == ["ping"]
    flags.flags["beta"] = True
    assert step() == ["ping", "probe"]
    registry.unregister("ping")
    assert step() == ["probe"]
    flags.flags["beta"] = False
    assert step() == []
