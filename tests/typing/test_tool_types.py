"""Static types users get from the tool API, checked by ``mypy --strict`` and run by pytest.

``assert_type`` is a no-op at runtime, so every check below also runs as an ordinary test. Lines marked
``# type: ignore[...]`` are expected mypy errors: with ``warn_unused_ignores`` (part of ``--strict``), mypy fails if
such a line ever stops being an error.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from pydantic import BaseModel
from typing_extensions import assert_type

from agentkit import RunContext, Tool, ToolOutcome, tool
from agentkit.tools import FunctionTool, ToolContract


@tool
def add(a: int, b: int = 1) -> int:
    """Add two integers."""
    return a + b


@tool
async def fetch(url: str) -> str:
    """Fetch a URL."""
    return f"<html>{url}</html>"


@tool(name="mul", version="1.1.0", tags=["math"])
def multiply(a: float, b: float) -> float:
    """Multiply."""
    return a * b


@dataclass
class Deps:
    api_key: str
    retries: int


@tool
def whoami(ctx: RunContext[Deps], greeting: str) -> str:
    """Greet with the configured key."""
    assert_type(ctx.deps, Deps)
    assert_type(ctx.deps.retries, int)
    return f"{greeting} {ctx.deps.api_key}"


class SearchArgs(BaseModel):
    query: str


class Hit(BaseModel):
    title: str


class Search(Tool[SearchArgs, list[Hit]]):
    """Search."""

    async def run(self, args: SearchArgs, ctx: RunContext[Any]) -> list[Hit]:
        assert_type(args.query, str)
        return [Hit(title=args.query)]


def test_sync_tool_keeps_its_signature_and_return_type() -> None:
    as_function_tool: FunctionTool[[int, int], int] = add
    assert as_function_tool is add
    assert_type(add(1, 2), int)
    assert_type(add(1), int)
    assert_type(add(a=1, b=2), int)
    assert add(1, 2) == 3


def test_called_form_keeps_the_signature_too() -> None:
    assert_type(multiply(2.0, 3.0), float)
    assert multiply(2.0, 3.0) == 6.0


def test_async_tool_returns_a_coroutine_of_its_result() -> None:
    as_function_tool: FunctionTool[[str], Coroutine[Any, Any, str]] = fetch
    assert_type(fetch("x").close(), None)
    assert as_function_tool is fetch

    async def main() -> str:
        result = await fetch("x")
        assert_type(result, str)
        return result

    assert anyio.run(main) == "<html>x</html>"


def test_wrong_argument_types_are_errors() -> None:
    with pytest.raises(TypeError):
        add("1", 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add(1, 2, 3)  # type: ignore[call-arg]
    coroutine = fetch(42)  # type: ignore[arg-type]
    coroutine.close()


def test_run_context_deps_are_typed() -> None:
    ctx = RunContext(deps=Deps(api_key="k", retries=2))
    assert_type(ctx, RunContext[Deps])
    assert_type(ctx.deps, Deps)
    assert_type(ctx.for_call("c1"), RunContext[Deps])
    assert_type(whoami(ctx, "hi"), str)
    assert whoami(ctx, "hi") == "hi k"
    with pytest.raises(AttributeError):
        whoami(RunContext(deps="not deps"), "hi")  # type: ignore[arg-type]


def test_default_deps_type_is_none() -> None:
    ctx: RunContext = RunContext(deps=None)
    assert_type(ctx.deps, None)


def test_tool_subclass_outcome_is_typed_by_its_result() -> None:
    search = Search()
    assert_type(search.contract, ToolContract)

    async def main() -> list[Hit] | None:
        outcome = await search.invoke_json('{"query": "x"}')
        assert_type(outcome, ToolOutcome[list[Hit]])
        assert_type(outcome.value, list[Hit] | None)
        assert_type(outcome.content, str)
        assert_type(outcome.ok, bool)
        assert_type(outcome.raise_for_error(), ToolOutcome[list[Hit]])
        return outcome.value

    assert anyio.run(main) == [Hit(title="x")]


def test_function_tools_are_tools() -> None:
    tools: list[Tool[Any, Any]] = [add, fetch, multiply, whoami, Search()]
    names = [t.name for t in tools]
    assert_type(names, list[str])
    assert names == ["add", "fetch", "mul", "whoami", "search"]


def test_function_tool_outcome_value_is_untyped() -> None:
    async def main() -> object:
        outcome = await add.invoke_json('{"a": 1}')
        assert_type(outcome, ToolOutcome[Any])
        return outcome.value

    assert anyio.run(main) == 2


def test_renamed_keeps_the_tool_type() -> None:
    assert_type(Search().renamed("find"), Tool[SearchArgs, list[Hit]])
