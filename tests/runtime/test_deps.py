"""An agent's deps_type is checked against its tools' RunContext[Deps] at construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import RunContext, Tool, tool
from agentkit.exceptions import UsageError
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider


@dataclass
class Db:
    url: str


@dataclass
class FakeDb(Db):
    pass


@dataclass
class Cache:
    size: int


@tool
def lookup(ctx: RunContext[Db], key: str) -> str:
    """Look a key up."""
    return f"{ctx.deps.url}/{key}"


@tool
def anything(ctx: RunContext[Any], key: str) -> str:
    """Accept any deps."""
    return key


@tool
def no_context(key: str) -> str:
    """Need no deps."""
    return key


class Args(BaseModel):
    key: str


class Lookup(Tool[Args, str]):
    """Look a key up (class form)."""

    async def run(self, args: Args, ctx: RunContext[Db]) -> str:
        """Look up."""
        return args.key


def test_matching_and_subclass_deps_are_accepted() -> None:
    """deps_type equal to, or a subclass of, what the tools declare builds the agent."""
    for deps_type in (Db, FakeDb):
        Agent(FakeProvider([]), deps_type=deps_type, tools=[lookup, anything, no_context])
        Agent(FakeProvider([]), deps_type=deps_type, tools=[Lookup])


@pytest.mark.parametrize("tools", [[lookup], [Lookup]], ids=["function", "class"])
def test_mismatched_deps_are_a_usage_error_naming_the_tool_and_the_fix(tools: list[Any]) -> None:
    """A tool wanting RunContext[Db] on an agent with deps_type=Cache fails at construction."""
    with pytest.raises(UsageError) as info:
        Agent(FakeProvider([]), deps_type=Cache, tools=tools)
    message = str(info.value)
    assert "RunContext[Db]" in message
    assert "deps_type is Cache" in message
    assert "deps_type=Db" in message


def test_without_deps_type_nothing_is_checked() -> None:
    """An agent that declares no deps_type accepts any tool (the check needs both types)."""
    agent = Agent(FakeProvider(["done"]), tools=[lookup])
    assert agent.run_sync("hi", deps=Db("mem://")).output == "done"
