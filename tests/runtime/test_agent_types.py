"""Static types users get from the agent API, checked by ``mypy --strict`` and run by pytest.

``assert_type`` is a no-op at runtime, so every check below also runs as an ordinary test. Lines marked
``# type: ignore[...]`` are expected mypy errors: with ``warn_unused_ignores`` (part of ``--strict``), mypy fails if
such a line ever stops being an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict, assert_type

from agentkit.runtime import Agent, AgentStream, RunResult
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio


class Flight(BaseModel):
    number: str


class FlightDict(TypedDict):
    number: str


@dataclass
class Deps:
    currency: str


def test_output_type_is_inferred() -> None:
    """``Agent(...)`` is generic in its deps and output types, inferred from the arguments."""
    provider = FakeProvider()
    assert_type(Agent(provider), Agent[None, str])
    assert_type(Agent(provider, output_type=Flight), Agent[None, Flight])
    assert_type(Agent(provider, output_type=int), Agent[None, int])
    assert_type(Agent(provider, output_type=FlightDict), Agent[None, FlightDict])
    assert_type(Agent(provider, deps_type=Deps), Agent[Deps, str])
    assert_type(Agent(provider, output_type=Flight, deps_type=Deps), Agent[Deps, Flight])


async def test_run_result_output_is_typed() -> None:
    """``run`` returns ``RunResult[OutputT]`` and ``output`` is ``OutputT``."""
    agent = Agent(FakeProvider(['{"number": "TP1"}']), output_type=Flight, deps_type=Deps)
    result = await agent.run("go", deps=Deps(currency="EUR"))
    assert_type(result, RunResult[Flight])
    assert_type(result.output, Flight)
    assert result.output.number == "TP1"
    text = Agent(FakeProvider(["hi", "again"]))
    text_result = await text.run("go")
    assert_type(text_result.output, str)
    async with text.run_stream("x") as stream:
        assert_type(stream, AgentStream[str])
        assert_type((await stream.get_result()).output, str)


async def test_wrong_deps_are_type_errors() -> None:
    """Passing deps of the wrong type is a type error."""
    agent = Agent(FakeProvider(["ok"]), deps_type=Deps)
    await agent.run("go", deps="EUR")  # type: ignore[arg-type]
