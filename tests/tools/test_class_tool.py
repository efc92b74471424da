"""``class X(Tool[Args, Result])``: contracts from class attributes, sync and async ``run``."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from pydantic import BaseModel, Field

from agentkit import RunContext, Tool
from agentkit.exceptions import ToolDefinitionError
from agentkit.tools import ToolAnnotations


class SearchArgs(BaseModel):
    query: str = Field(description="What to look for")
    limit: int = Field(default=3, ge=1, le=10)


class Hit(BaseModel):
    title: str
    score: float


class SearchFlights(Tool[SearchArgs, list[Hit]]):
    """Search the flight index.

    Returns the best matches first.
    """

    async def run(self, args: SearchArgs, ctx: RunContext[Any]) -> list[Hit]:
        return [Hit(title=f"{args.query} #{i}", score=1 / (i + 1)) for i in range(args.limit)]


class CountWords(Tool[SearchArgs, int]):
    """Count words."""

    version = "2.3.1"
    namespace = "text"
    timeout = 5.0
    tags = ("nlp", "cheap", "nlp")
    annotations = ToolAnnotations(read_only=True, open_world=False)
    requires_approval = True
    max_retries = 0

    def run(self, args: SearchArgs, ctx: RunContext[Any]) -> int:
        return len(args.query.split())


class WhereAmI(Tool[SearchArgs, int]):
    def run(self, args: SearchArgs, ctx: RunContext[Any]) -> int:
        return threading.get_ident()


class WhereAmIInline(WhereAmI):
    blocking = False


@pytest.mark.anyio
async def test_async_run_result_is_serialized_by_pydantic() -> None:
    outcome = await SearchFlights().invoke_json('{"query": "LIS", "limit": 2}')
    assert outcome.ok
    assert outcome.content == '[{"title":"LIS #0","score":1.0},{"title":"LIS #1","score":0.5}]'
    assert outcome.value == [Hit(title="LIS #0", score=1.0), Hit(title="LIS #1", score=0.5)]


@pytest.mark.anyio
async def test_sync_run_works_too() -> None:
    assert (await CountWords().invoke_json('{"query": "a b c"}')).value == 3


@pytest.mark.anyio
async def test_sync_run_goes_to_a_worker_thread_unless_non_blocking() -> None:
    loop_thread = threading.get_ident()
    assert (await WhereAmI().invoke_json('{"query": "x"}')).value != loop_thread
    assert (await WhereAmIInline().invoke_json('{"query": "x"}')).value == loop_thread


def test_default_name_is_the_class_name_in_snake_case() -> None:
    assert SearchFlights().name == "search_flights"
    assert CountWords().contract.name == "count_words"

    class HTTPFetchTool(Tool[SearchArgs, str]):
        def run(self, args: SearchArgs, ctx: RunContext[Any]) -> str:
            return ""

    assert HTTPFetchTool().name == "http_fetch_tool"


def test_explicit_name_class_attribute_wins() -> None:
    class Anything(Tool[SearchArgs, str]):
        name = "find_things"  # type: ignore[assignment]

        def run(self, args: SearchArgs, ctx: RunContext[Any]) -> str:
            return ""

    assert Anything().contract.name == "find_things"


def test_docstring_is_the_description() -> None:
    assert SearchFlights().contract.description == (
        "Search the flight index.\n\nReturns the best matches first."
    )
    assert WhereAmI().contract.description == ""


def test_description_class_attribute_overrides_the_docstring() -> None:
    class Described(Tool[SearchArgs, str]):
        """Docstring."""

        description = "Attribute."

        def run(self, args: SearchArgs, ctx: RunContext[Any]) -> str:
            return ""

    assert Described().contract.description == "Attribute."


def test_class_attributes_reach_the_contract() -> None:
    contract = CountWords().contract
    assert contract.version == "2.3.1"
    assert contract.namespace == "text"
    assert contract.qualified_name == "text.count_words"
    assert contract.timeout == 5.0
    assert contract.tags == ("cheap", "nlp")
    assert contract.annotations == ToolAnnotations(read_only=True, open_world=False)
    assert contract.requires_approval is True
    assert SearchFlights().contract.annotations == ToolAnnotations()
    assert SearchFlights().contract.requires_approval is False


def test_schemas_come_from_the_generic_arguments() -> None:
    contract = SearchFlights().contract
    assert contract.input_schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string", "description": "What to look for"},
            "limit": {"type": "integer", "default": 3, "minimum": 1, "maximum": 10},
        },
        "required": ["query"],
    }
    assert contract.output_schema is not None
    assert contract.output_schema["type"] == "array"
    assert CountWords().contract.output_schema == {"type": "integer"}


def test_missing_generic_arguments_raise_definition_error() -> None:
    class Bare(Tool):  # type: ignore[type-arg]
        def run(self, args: Any, ctx: RunContext[Any]) -> Any:
            return None

    with pytest.raises(
        ToolDefinitionError, match=r"Bare must subclass Tool\[ArgsModel, ResultType\]"
    ):
        _ = Bare().contract


def test_abstract_tool_cannot_be_instantiated() -> None:
    class NoRun(Tool[SearchArgs, int]):
        pass

    with pytest.raises(TypeError, match="abstract"):
        NoRun()  # type: ignore[abstract]


def test_invalid_class_settings_raise_definition_error() -> None:
    class BadVersion(Tool[SearchArgs, int]):
        version = "1.x"

        def run(self, args: SearchArgs, ctx: RunContext[Any]) -> int:
            return 0

    with pytest.raises(ToolDefinitionError, match=r"tool 'bad_version': version '1.x'"):
        _ = BadVersion().contract


def test_contract_is_built_once_per_class() -> None:
    a, b = SearchFlights(), SearchFlights()
    assert a.contract is b.contract
    assert SearchFlights._spec is SearchFlights._spec


def test_subclasses_get_their_own_contract_even_after_the_parent_was_used() -> None:
    assert SearchFlights().contract.version == "1.0.0"

    class SearchFlightsV2(SearchFlights):
        """Search v2."""

        version = "2.0.0"

    contract = SearchFlightsV2().contract
    assert contract.name == "search_flights_v2"
    assert contract.version == "2.0.0"
    assert contract.description == "Search v2."
    assert SearchFlights().contract.version == "1.0.0"


@pytest.mark.anyio
async def test_renamed_copies_the_tool_under_a_new_name() -> None:
    original = CountWords()
    renamed = original.renamed("word_count")
    assert renamed.contract.name == "word_count"
    assert renamed.contract.namespace == "text"
    assert renamed.contract.version == original.contract.version
    assert original.contract.name == "count_words"
    assert isinstance(renamed, CountWords)
    assert (await renamed.invoke_json('{"query": "a b"}')).value == 2
    assert CountWords().contract.name == "count_words"


def test_renamed_can_change_or_drop_the_namespace() -> None:
    assert CountWords().renamed("w", namespace="nlp").contract.qualified_name == "nlp.w"
    assert CountWords().renamed("w", namespace=None).contract.qualified_name == "w"


def test_renamed_validates_the_new_name() -> None:
    with pytest.raises(ToolDefinitionError, match="tool 'no spaces'"):
        CountWords().renamed("no spaces")


def test_repr_shows_qualified_name_and_version() -> None:
    assert repr(CountWords()) == "<CountWords 'text.count_words' v2.3.1>"


@pytest.mark.anyio
async def test_run_receives_the_context() -> None:
    class Echo(Tool[SearchArgs, str]):
        async def run(self, args: SearchArgs, ctx: RunContext[Any]) -> str:
            return f"{ctx.deps}:{ctx.tool_call_id}"

    outcome = await Echo().invoke_json('{"query": "q"}', RunContext(deps="D").for_call("c7"))
    assert outcome.content == "D:c7"
    assert outcome.tool_call_id == "c7"


@pytest.mark.anyio
async def test_per_class_timeout_applies() -> None:
    class Hang(Tool[SearchArgs, str]):
        timeout = 0.05

        async def run(self, args: SearchArgs, ctx: RunContext[Any]) -> str:
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

    outcome = await Hang().invoke_json('{"query": "q"}')
    assert outcome.status == "timeout"


@pytest.mark.anyio
async def test_typed_dict_arguments_are_supported() -> None:
    from typing_extensions import TypedDict

    class Point(TypedDict):
        x: int
        y: int

    class Norm(Tool[Point, int]):
        """Manhattan norm."""

        def run(self, args: Point, ctx: RunContext[Any]) -> int:
            return abs(args["x"]) + abs(args["y"])

    norm = Norm()
    assert norm.contract.input_schema["required"] == ["x", "y"]
    ctx = RunContext.new(run_id="r", events=True)
    assert (await norm.invoke_json('{"x": -2, "y": 3}', ctx)).value == 5
    assert ctx.events is not None
    assert ctx.events.events[0].arguments == {"x": -2, "y": 3}  # type: ignore[attr-defined]
    assert (await norm.invoke_json('{"x": "a"}')).status == "invalid_arguments"


@pytest.mark.anyio
async def test_unknown_fields_come_back_as_hints_unless_the_model_chose_a_policy() -> None:
    outcome = await SearchFlights().invoke_json('{"query": "x", "limt": 2}')
    assert outcome.status == "invalid_arguments"
    assert '"did_you_mean":"limit"' in outcome.content

    class Lenient(BaseModel):
        model_config = {"extra": "ignore"}
        query: str

    class LenientSearch(Tool[Lenient, str]):
        """Search, ignoring unknown fields on purpose."""

        async def run(self, args: Lenient, ctx: RunContext[Any]) -> str:
            assert isinstance(args, Lenient)
            return args.query

    lenient = await LenientSearch().invoke_json('{"query": "x", "limt": 2}')
    assert (lenient.status, lenient.content) == ("success", "x")
