"""A tool's return value is checked against its declared return type, whatever that type is."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from agentkit import RunContext, Tool, tool
from agentkit.events import EventEmitter, ToolCallFailed
from agentkit.exceptions import ToolOutputError
from agentkit.tools import GENERIC_FAILURE

pytestmark = pytest.mark.anyio


class Flight(BaseModel):
    number: str
    price: float


@dataclass
class Seat:
    row: int


class Colour(str, enum.Enum):
    RED = "red"


def _returning(declared: Any, value: Any) -> Tool[Any, Any]:
    """A tool declared to return ``declared`` that returns ``value``."""

    def give() -> Any:
        """Give the value."""
        return value

    give.__annotations__["return"] = declared
    return tool(give)


MISMATCHES = [
    pytest.param(int, "nope", "int", id="str-for-int"),
    pytest.param(int, True, "int", id="bool-for-int"),
    pytest.param(str, 5, "str", id="int-for-str"),
    pytest.param(Literal["a", "b"], "c", "Literal['a', 'b']", id="literal"),
    pytest.param(Annotated[int, Field(gt=0)], -1, "Annotated", id="constrained"),
    pytest.param(list[int], [1, "x"], "list[int]", id="list-item"),
    pytest.param(Flight, {"number": "TP1"}, "Flight", id="dict-missing-field-for-model"),
    pytest.param(Seat, Seat(row="3"), "Seat", id="dataclass-field"),  # type: ignore[arg-type]  # the lie under test
    pytest.param(None, "done", "None", id="value-for-none"),
    pytest.param(Colour, "blue", "Colour", id="enum"),
]


@pytest.mark.parametrize(("declared", "value", "named"), MISMATCHES)
async def test_a_value_of_the_wrong_type_is_a_typed_failure(
    declared: Any, value: Any, named: str
) -> None:
    """The model sees the generic failure; the developer's error and event say what type was declared and returned."""
    emitter = EventEmitter(run_id="r1")
    outcome = await _returning(declared, value).invoke_json(
        "{}", RunContext(deps=None, events=emitter)
    )
    assert (outcome.status, outcome.content) == ("error", GENERIC_FAILURE)
    assert isinstance(outcome.error, ToolOutputError)
    assert (
        f"it returned {type(value).__name__}, which does not match the declared return type"
        in str(outcome.error)
    )
    assert named in outcome.error.reason
    (failed,) = [e for e in emitter.events if isinstance(e, ToolCallFailed)]
    assert failed.reason == "invalid_output"
    assert "declared return type" in failed.error_message
    assert failed.content == GENERIC_FAILURE


async def test_the_fast_path_checks_too() -> None:
    """Without a run context (the fast path), a str from a ``-> int`` tool fails just the same."""
    outcome = await _returning(int, "nope").invoke_json("{}")
    assert outcome.status == "error"
    assert isinstance(outcome.error, ToolOutputError)


MATCHES = [
    pytest.param(int, 3, "3", id="int"),
    pytest.param(float, 3, "3.0", id="int-for-float"),
    pytest.param(str, "hi", "hi", id="str-verbatim"),
    pytest.param(str, Colour.RED, "red", id="str-enum-for-str"),
    pytest.param(Literal["a", "b"], "a", '"a"', id="literal"),
    pytest.param(Annotated[int, Field(gt=0)], 2, "2", id="constrained"),
    pytest.param(list[int], [1, 2], "[1,2]", id="list"),
    pytest.param(dict[str, Any], {"a": 1}, '{"a":1}', id="dict"),
    pytest.param(Flight, Flight(number="TP1", price=1), '{"number":"TP1","price":1.0}', id="model"),
    pytest.param(
        Flight, {"number": "TP1", "price": 1.0}, '{"number":"TP1","price":1.0}', id="dict-for-model"
    ),
    pytest.param(Seat, Seat(row=3), '{"row":3}', id="dataclass"),
    pytest.param(None, None, "null", id="none"),
    pytest.param(int | None, None, "null", id="optional"),
    pytest.param(Any, ["x", 1], '["x",1]', id="any-is-unchecked"),
]


@pytest.mark.parametrize(("declared", "value", "content"), MATCHES)
async def test_a_value_of_the_declared_type_is_serialized(
    declared: Any, value: Any, content: str
) -> None:
    """Values that match the declared type (strictly; a dict for a model) are serialized as before."""
    outcome = await _returning(declared, value).invoke_json("{}")
    assert (outcome.status, outcome.content) == ("success", content)


async def test_a_tool_subclass_result_is_checked() -> None:
    """A ``Tool[Args, int]`` subclass whose run returns a str fails like a function tool."""

    class Args(BaseModel):
        q: str

    class Count(Tool[Args, int]):
        """Count."""

        async def run(self, args: Args, ctx: RunContext[Any]) -> int:
            return args.q  # type: ignore[return-value]  # the lie under test

    outcome = await Count().invoke_json('{"q": "many"}')
    assert outcome.status == "error"
    assert isinstance(outcome.error, ToolOutputError)
    assert "declared return type int" in outcome.error.reason
