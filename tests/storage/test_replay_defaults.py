"""A run whose tool calls leave out arguments that have defaults replays exactly (the stand-ins fill them)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import Recording, Session, SQLiteStore, replay
from agentkit.storage._defaults import with_defaults
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from pathlib import Path


class Stop(BaseModel):
    """A stop on the way."""

    city: str
    nights: int = 1
    tags: list[str] = []


class Near(BaseModel):
    """Where to look."""

    radius_km: float = 5.0


@tool
def plan(
    origin: str,
    stops: list[Stop],
    unit: str = "celsius",
    near: Near = Near(),  # noqa: B008 - a model default, as users write it
    budget: int | None = None,
    back: Stop | None = None,
) -> str:
    """Plan a trip."""
    return f"{origin}: {len(stops)} stops, {unit}, {near.radius_km} km, budget {budget}"


def _respond(request: ServedRequest) -> Reply:
    if '"role": "tool"' in json.dumps(request.body):
        return Reply("Planned.")
    arguments = {
        "origin": "Oslo",
        "stops": [{"city": "Bergen"}, {"city": "Ålesund", "nights": 2}],
        "back": {"city": "Oslo"},
    }
    return Reply("", tool_calls=(("plan", json.dumps(arguments)),))


@pytest.mark.anyio
async def test_a_run_relying_on_defaults_replays_from_sqlite_without_divergence(
    tmp_path: Path,
) -> None:
    """Top-level, nested and list-item defaults recorded by the live tool are what the replay records too."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    async with FakeProviderServer(responder=_respond) as server:
        adapter = OpenAIChatProvider("gpt-4.1-mini", api_key="sk-x", base_url=server.url + "/v1")
        agent = Agent(adapter, tools=[plan])
        try:
            result = await Session(store, "s1").run(agent, "Plan it", run_id="r1")
        finally:
            await adapter.aclose()
    started = next(e for e in store.read("r1") if e.type == "tool.call.started")
    assert started.arguments["unit"] == "celsius"  # type: ignore[attr-defined]
    assert started.arguments["stops"][0] == {"city": "Bergen", "nights": 1, "tags": []}  # type: ignore[attr-defined]
    assert started.arguments["back"] == {"city": "Oslo", "nights": 1, "tags": []}  # type: ignore[attr-defined]

    replayed = await replay(agent, Recording.load(store, "r1"))
    assert replayed.output == result.output == "Planned."
    again = next(e for e in replayed.events if e.type == "tool.call.started")
    assert again.arguments == started.arguments  # type: ignore[attr-defined]
    store.close()


def test_defaults_are_filled_through_refs_and_items_but_not_into_unions_or_given_values() -> None:
    """Given values win, a union is filled only through its one branch of the value's kind, defaults are copies."""
    schema = {
        "type": "object",
        "properties": {
            "given": {"type": "integer", "default": 1},
            "listed": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
            "either": {"anyOf": [{"$ref": "#/$defs/Item"}, {"type": "null"}]},
            "ambiguous": {"oneOf": [{"$ref": "#/$defs/Item"}, {"$ref": "#/$defs/Item"}]},
            "shared": {"type": "array", "default": []},
            "wrapped": {"allOf": [{"$ref": "#/$defs/Item"}]},
        },
        "$defs": {"Item": {"type": "object", "properties": {"n": {"default": 0}}}},
    }
    value = {"given": 7, "listed": [{}, {"n": 3}], "either": {}, "ambiguous": {}, "wrapped": {}}
    filled = with_defaults(schema, value)
    assert filled == {
        "given": 7,
        "listed": [{"n": 0}, {"n": 3}],
        "either": {"n": 0},
        "ambiguous": {},
        "wrapped": {"n": 0},
        "shared": [],
    }
    filled["shared"].append(1)
    assert schema["properties"]["shared"]["default"] == []  # type: ignore[index]
    assert value == {
        "given": 7,
        "listed": [{}, {"n": 3}],
        "either": {},
        "ambiguous": {},
        "wrapped": {},
    }
    assert with_defaults({"$ref": "#/$defs/Missing"}, {"a": 1}) == {"a": 1}
    assert with_defaults(True, {"a": 1}) == {"a": 1}
