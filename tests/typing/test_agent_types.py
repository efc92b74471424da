"""Static types of ``Agent.run_sync`` and ``deps``, checked by ``mypy --strict`` and run by pytest.

Lines marked ``# type: ignore[...]`` are expected mypy errors (``warn_unused_ignores`` fails if one stops being an
error); the deps check at Agent construction is tested at runtime in tests/runtime/test_deps.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from typing_extensions import assert_type

from agentkit import RunContext, tool
from agentkit.runtime import Agent, RunResult
from agentkit.testing import FakeProvider


@dataclass
class Deps:
    currency: str


@tool
def price(ctx: RunContext[Deps], amount: float) -> str:
    """Format a price."""
    return f"{amount:.2f} {ctx.deps.currency}"


def test_run_sync_is_typed_like_run() -> None:
    """run_sync returns RunResult[Output] and takes run's keyword arguments, each with its type."""
    agent = Agent(FakeProvider(["42"]), output_type=int, deps_type=Deps, tools=[price])
    assert_type(agent, Agent[Deps, int])
    result = agent.run_sync("answer?", deps=Deps("EUR"), run_id="r1")
    assert_type(result, RunResult[int])
    assert_type(result.output, int)
    assert result.output == 42


def test_wrong_arguments_to_run_sync_are_type_errors() -> None:
    """A misspelt option or deps of the wrong type is a mypy error, as it is for run."""
    agent = Agent(FakeProvider(["ok", "ok"]), deps_type=Deps)
    with pytest.raises(TypeError, match="dep"):
        agent.run_sync("hi", dep=Deps("EUR"))  # type: ignore[call-arg]
    agent.run_sync("hi", deps="EUR")  # type: ignore[arg-type]
