"""``@tool``: schemas from signatures and docstrings, context injection, and definition errors."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, Optional

import anyio
import pytest
from pydantic import BaseModel, Field

from agentkit import RunContext, tool
from agentkit.exceptions import ToolDefinitionError
from agentkit.tools import FunctionTool, Tool, ToolAnnotations


class Address(BaseModel):
    city: str
    country: Annotated[str, Field(min_length=2, max_length=2)] = "PT"


class Traveller(BaseModel):
    name: str
    home: Address


@dataclass
class ModuleDeps:
    currency: str


# --------------------------------------------------------------------------------------------- forms


def test_bare_decorator_makes_a_function_tool() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    assert isinstance(add, FunctionTool)
    assert isinstance(add, Tool)
    assert add.name == "add"
    assert add.contract.description == "Add two integers."
    assert add.contract.version == "1.0.0"


def test_called_decorator_applies_options() -> None:
    @tool(
        name="plus",
        version="2.1.0",
        description="Overrides the docstring.",
        namespace="math",
        tags=["b", "a", "b"],
        timeout=3,
        requires_approval=True,
        annotations=ToolAnnotations(read_only=True, idempotent=True),
    )
    def add(a: int, b: int) -> int:
        """Docstring."""
        return a + b

    contract = add.contract
    assert contract.name == "plus"
    assert contract.qualified_name == "math.plus"
    assert contract.version == "2.1.0"
    assert contract.description == "Overrides the docstring."
    assert contract.tags == ("a", "b")
    assert contract.timeout == 3
    assert contract.requires_approval is True
    assert contract.annotations.read_only is True
    assert contract.annotations.destructive is None


def test_empty_parentheses_work_like_the_bare_form() -> None:
    @tool()
    def ping() -> str:
        return "pong"

    assert ping.name == "ping"
    assert ping.contract.description == ""


async def _async_fetch(url: str) -> str:
    return f"fetched {url}"


@pytest.mark.anyio
async def test_sync_and_async_functions_both_invoke() -> None:
    @tool
    def shout(text: str) -> str:
        return text.upper()

    fetch = tool(_async_fetch)
    assert (await shout.invoke_json('{"text": "hi"}')).content == "HI"
    assert (await fetch.invoke_json('{"url": "x"}')).content == "fetched x"


def test_decorated_function_is_still_callable_with_its_signature() -> None:
    @tool
    def add(a: int, b: int = 1) -> int:
        """Add."""
        return a + b

    assert add(2, b=3) == 5
    assert add(a=1) == 2
    assert add.__name__ == "add"
    assert add.__doc__ == "Add."
    assert list(inspect.signature(add).parameters) == ["a", "b"]
    assert add.func(1, 1) == 2


@pytest.mark.anyio
async def test_decorated_async_function_still_returns_a_coroutine() -> None:
    fetch = tool(_async_fetch)
    call = fetch("u")
    assert inspect.iscoroutine(call)
    assert await call == "fetched u"


@pytest.mark.anyio
async def test_invoke_accepts_decoded_mappings() -> None:
    @tool
    def add(a: int, b: int) -> int:
        return a + b

    outcome = await add.invoke({"a": 2, "b": 3})
    assert outcome.value == 5
    assert (await add.invoke('{"a": 1, "b": 1}')).value == 2
    assert (await add.invoke({"a": "x", "b": 3})).status == "invalid_arguments"


def test_callable_objects_can_be_tools() -> None:
    class Multiplier:
        def __call__(self, x: int) -> int:
            return 3 * x

    triple = tool(name="triple")(Multiplier())
    assert triple.contract.input_schema["properties"] == {"x": {"type": "integer"}}
    assert anyio.run(triple.invoke_json, '{"x": 2}').content == "6"


def test_parameter_names_that_shadow_basemodel_methods_are_fine() -> None:
    @tool
    def query(sql: str, schema: str = "public", json: bool = False) -> str:
        return f"{sql}|{schema}|{json}"

    assert set(query.contract.input_schema["properties"]) == {"sql", "schema", "json"}
    outcome = anyio.run(query.invoke_json, '{"sql": "s", "schema": "x", "json": true}')
    assert outcome.content == "s|x|True"


# --------------------------------------------------------------------------------------------- schema


def test_schema_from_signature_has_types_defaults_and_required() -> None:
    @tool
    def search(origin: str, limit: int = 10, ratio: float = 0.5, direct: bool = False) -> list[str]:
        return []

    schema = search.contract.input_schema
    assert schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "origin": {"type": "string"},
            "limit": {"type": "integer", "default": 10},
            "ratio": {"type": "number", "default": 0.5},
            "direct": {"type": "boolean", "default": False},
        },
        "required": ["origin"],
    }
    assert search.contract.output_schema == {"type": "array", "items": {"type": "string"}}


def test_annotated_field_constraints_reach_the_schema() -> None:
    @tool
    def book(
        origin: Annotated[str, Field(pattern="^[A-Z]{3}$", description="IATA code")],
        seats: Annotated[int, Field(ge=1, le=9)] = 1,
        note: Annotated[str, Field(max_length=20)] = "",
    ) -> str:
        return origin

    props = book.contract.input_schema["properties"]
    assert props["origin"] == {
        "type": "string",
        "pattern": "^[A-Z]{3}$",
        "description": "IATA code",
    }
    assert props["seats"] == {"type": "integer", "minimum": 1, "maximum": 9, "default": 1}
    assert props["note"]["maxLength"] == 20


def test_literal_becomes_an_enum() -> None:
    @tool
    def fly(cabin: Literal["economy", "business"] = "economy") -> str:
        return cabin

    assert fly.contract.input_schema["properties"]["cabin"] == {
        "type": "string",
        "enum": ["economy", "business"],
        "default": "economy",
    }


def test_optional_parameters_accept_null() -> None:
    @tool
    def find(name: Optional[str] = None, limit: int | None = None) -> str:  # noqa: UP045 - both spellings on purpose
        return f"{name}/{limit}"

    props = find.contract.input_schema["properties"]
    assert props["name"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["limit"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
    assert "required" not in find.contract.input_schema
    assert anyio.run(find.invoke_json, '{"name": null, "limit": 3}').content == "None/3"


def test_nested_models_become_defs_and_validate_into_instances() -> None:
    seen: list[Traveller] = []

    @tool
    def register(traveller: Traveller) -> str:
        seen.append(traveller)
        return traveller.home.city

    schema = register.contract.input_schema
    assert schema["properties"]["traveller"] == {"$ref": "#/$defs/Traveller"}
    assert set(schema["$defs"]) == {"Traveller", "Address"}
    outcome = anyio.run(
        register.invoke_json, '{"traveller": {"name": "Ada", "home": {"city": "Lisbon"}}}'
    )
    assert outcome.content == "Lisbon"
    assert seen == [Traveller(name="Ada", home=Address(city="Lisbon"))]


def test_dates_are_strings_with_a_format_and_arrive_as_date_objects() -> None:
    received: list[date] = []

    @tool
    def depart(when: date) -> date:
        received.append(when)
        return when

    assert depart.contract.input_schema["properties"]["when"] == {
        "type": "string",
        "format": "date",
    }
    outcome = anyio.run(depart.invoke_json, '{"when": "2026-03-01"}')
    assert received == [date(2026, 3, 1)]
    assert outcome.content == '"2026-03-01"'


def test_field_titles_are_not_generated() -> None:
    @tool
    def f(some_value: int) -> int:
        return some_value

    assert "title" not in f.contract.input_schema
    assert "title" not in f.contract.input_schema["properties"]["some_value"]


def test_unannotated_parameters_accept_anything() -> None:
    @tool
    def echo(value):  # type: ignore[no-untyped-def]
        return value

    assert echo.contract.input_schema["properties"] == {"value": {}}
    assert echo.contract.output_schema is None
    assert anyio.run(echo.invoke_json, '{"value": [1, "a"]}').content == '[1,"a"]'


def test_strict_mode_refuses_coercion() -> None:
    @tool
    def lax(n: int) -> int:
        return n

    @tool(strict=True)
    def strict(n: int) -> int:
        return n

    assert anyio.run(lax.invoke_json, '{"n": "5"}').content == "5"
    assert anyio.run(strict.invoke_json, '{"n": "5"}').status == "invalid_arguments"


# --------------------------------------------------------------------------------------------- docstrings


def test_google_docstring_params_go_into_properties() -> None:
    @tool
    def search(origin: str, limit: int = 10) -> list[str]:
        """Search flights.

        Uses the fare cache.

        Args:
            origin: IATA code of the
                departure airport.
            limit (int): How many results.

        Returns:
            Flight numbers.
        """
        return []

    props = search.contract.input_schema["properties"]
    assert props["origin"]["description"] == "IATA code of the departure airport."
    assert props["limit"]["description"] == "How many results."
    description = search.contract.description
    assert description.startswith("Search flights.\n\nUses the fare cache.")
    assert "Returns:" in description
    assert "Flight numbers." in description
    assert "IATA" not in description


NUMPY_DOCSTRING = """Search flights.

    Parameters
    ----------
    origin : str
        IATA code of the departure airport.
    limit : int
        How many results.

    Returns
    -------
    list of str
        Flight numbers.
    """


def test_numpy_docstring_params_go_into_properties() -> None:
    def _search(origin: str, limit: int = 10) -> list[str]:
        return []

    # Assigned rather than written inline: the linter enforces Google style on real docstrings.
    _search.__doc__ = NUMPY_DOCSTRING
    search = tool(name="search")(_search)
    props = search.contract.input_schema["properties"]
    assert props["origin"]["description"] == "IATA code of the departure airport."
    assert props["limit"]["description"] == "How many results."
    assert search.contract.description.startswith("Search flights.")
    assert "Parameters" not in search.contract.description
    assert "Flight numbers." in search.contract.description


def test_sphinx_docstring_params_go_into_properties() -> None:
    @tool
    def search(origin: str, limit: int = 10) -> list[str]:
        """Search flights.

        :param origin: IATA code of the departure airport.
        :type origin: str
        :param int limit: How many results.
        :returns: Flight numbers.
        """
        return []

    props = search.contract.input_schema["properties"]
    assert props["origin"]["description"] == "IATA code of the departure airport."
    assert props["limit"]["description"] == "How many results."
    assert search.contract.description == "Search flights.\n\n:returns: Flight numbers."


def test_explicit_field_description_wins_over_the_docstring() -> None:
    @tool
    def search(origin: Annotated[str, Field(description="From the Field")]) -> str:
        """Search.

        Args:
            origin: From the docstring.
        """
        return origin

    assert search.contract.input_schema["properties"]["origin"]["description"] == "From the Field"


# --------------------------------------------------------------------------------------------- RunContext


@pytest.mark.anyio
async def test_run_context_is_injected_and_never_in_the_schema() -> None:
    @tool
    def price(amount: float, ctx: RunContext[ModuleDeps]) -> str:
        return f"{amount:.2f} {ctx.deps.currency} {ctx.tool_call_id}"

    schema = price.contract.input_schema
    assert set(schema["properties"]) == {"amount"}
    assert schema["required"] == ["amount"]
    ctx = RunContext(deps=ModuleDeps("EUR")).for_call("call_9")
    assert (await price.invoke_json('{"amount": 3}', ctx)).content == "3.00 EUR call_9"


@pytest.mark.anyio
async def test_model_cannot_forge_the_context_parameter() -> None:
    @tool
    def whoami(ctx: RunContext[ModuleDeps]) -> str:
        return ctx.deps.currency

    outcome = await whoami.invoke_json(
        '{"ctx": {"deps": "forged"}}', RunContext(deps=ModuleDeps("EUR"))
    )
    assert outcome.status == "invalid_arguments"


@pytest.mark.anyio
async def test_run_context_works_with_types_defined_inside_the_test() -> None:
    @dataclass
    class LocalDeps:
        rate: float

    class Money(BaseModel):
        amount: float

    @tool
    async def convert(ctx: RunContext[LocalDeps], money: Money) -> float:
        assert isinstance(ctx.deps, LocalDeps)
        return money.amount * ctx.deps.rate

    @tool(name="convert_sync")
    def convert_sync(money: Money, context: RunContext[LocalDeps]) -> float:
        return money.amount * context.deps.rate

    assert set(convert.contract.input_schema["properties"]) == {"money"}
    ctx = RunContext(deps=LocalDeps(rate=2.0))
    assert (await convert.invoke_json('{"money": {"amount": 1.5}}', ctx)).value == 3.0
    assert (await convert_sync.invoke_json('{"money": {"amount": 2}}', ctx)).value == 4.0


@pytest.mark.anyio
async def test_bare_run_context_annotation_is_recognised() -> None:
    @tool
    def run_id(ctx: RunContext) -> str:  # type: ignore[type-arg]
        return ctx.run_id

    assert run_id.contract.input_schema["properties"] == {}
    assert (await run_id.invoke_json("{}", RunContext(deps=None, run_id="r-1"))).content == "r-1"


@pytest.mark.anyio
async def test_context_tools_get_an_empty_context_when_none_is_given() -> None:
    @tool
    def deps_of(ctx: RunContext[None]) -> str:
        return repr(ctx.deps)

    assert (await deps_of.invoke_json("{}")).content == "None"


def test_only_one_run_context_parameter_is_allowed() -> None:
    with pytest.raises(ToolDefinitionError, match="only one RunContext"):

        @tool
        def two(a: RunContext[None], b: RunContext[None]) -> None:
            pass


def test_context_can_be_passed_when_calling_directly() -> None:
    @tool
    def price(ctx: RunContext[ModuleDeps], amount: float) -> str:
        return f"{amount:.2f} {ctx.deps.currency}"

    assert price(RunContext(deps=ModuleDeps("USD")), 2) == "2.00 USD"


# --------------------------------------------------------------------------------------------- errors


def _define(source: str, **options: Any) -> FunctionTool[..., Any]:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    return tool(**options)(namespace["f"])


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("def f(*args: int) -> int: ...", r"\*args/\*\*kwargs \('args'\)"),
        ("def f(a: int, **extra: int) -> int: ...", r"\*args/\*\*kwargs \('extra'\)"),
        ("def f(a: int, /) -> int: ...", "positional-only parameter 'a'"),
        ("def f(self, a: int) -> int: ...", "decorates functions, not methods; .*subclass Tool"),
        ("def f(cls, a: int) -> int: ...", "decorates functions, not methods"),
        ("def f(_secret: int) -> int: ...", "parameter '_secret' starts with '_'"),
        ("def f(model_config: str) -> str: ...", "'model_config' is reserved"),
    ],
    ids=["varargs", "varkw", "positional-only", "self", "cls", "underscore", "model_config"],
)
def test_unsupported_signatures_raise_definition_errors(source: str, match: str) -> None:
    with pytest.raises(ToolDefinitionError, match=match) as info:
        _define(source)
    assert info.value.tool_name == "f"
    assert str(info.value).startswith("tool 'f': ")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (
            {"version": "1.x"},
            r"version '1.x' is not a semantic version; expected MAJOR.MINOR.PATCH",
        ),
        ({"version": "1.0"}, "not a semantic version"),
        ({"name": "bad name"}, "tool name 'bad name' is not valid"),
        ({"name": "x" * 129}, "is not valid: use 1-128"),
        ({"namespace": "1travel"}, "namespace '1travel' is not valid"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries must be >= 0"),
        ({"max_argument_bytes": 0}, "max_argument_bytes must be > 0"),
        ({"sensitive": ["password"]}, "not a JSON pointer; write it like '/password'"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_invalid_options_raise_definition_errors(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ToolDefinitionError, match=match):
        _define("def f(a: int) -> int: ...", **options)


def test_lambda_needs_an_explicit_name() -> None:
    with pytest.raises(ToolDefinitionError, match=r"lambda needs an explicit name: tool\(name="):
        tool(lambda x: x)
    named = tool(name="identity")(lambda x: x)
    assert named.name == "identity"
    assert named(4) == 4


def test_non_callables_are_rejected() -> None:
    with pytest.raises(ToolDefinitionError, match="needs a function, got int"):
        tool(42)  # type: ignore[call-overload]


def test_unresolvable_annotation_names_the_parameter() -> None:
    namespace: dict[str, Any] = {}
    exec("from __future__ import annotations\ndef f(when: Missing) -> int: ...", namespace)
    with pytest.raises(
        ToolDefinitionError, match="cannot resolve the annotation 'Missing' of 'when'"
    ):
        tool(namespace["f"])


def test_unschemable_argument_types_raise_definition_errors() -> None:
    class Opaque:
        pass

    with pytest.raises(ToolDefinitionError, match="tool 'f'"):

        @tool
        def f(thing: Opaque) -> None:
            pass


def test_definition_error_is_chained_to_its_cause_for_debugging() -> None:
    class Opaque:
        pass

    with pytest.raises(ToolDefinitionError) as info:

        @tool
        def f(thing: Opaque) -> None:
            pass

    assert info.value.__cause__ is not None


def test_contract_json_is_valid_for_every_shape_above() -> None:
    @tool
    def everything(
        traveller: Traveller,
        when: date,
        cabin: Literal["economy", "business"] = "economy",
        note: Optional[str] = None,  # noqa: UP045 - the Optional spelling on purpose
    ) -> dict[str, Any]:
        return {}

    assert json.loads(everything.contract.to_json())["name"] == "everything"


@pytest.mark.anyio
async def test_run_context_imported_only_for_type_checking_is_recognised() -> None:
    namespace: dict[str, Any] = {}
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from agentkit import RunContext\n"
        "def f(ctx: RunContext[str], n: int) -> str:\n"
        "    return f'{ctx.deps}{n}'\n"
    )
    exec(source, namespace)
    f = tool(namespace["f"])
    assert set(f.contract.input_schema["properties"]) == {"n"}
    assert (await f.invoke_json('{"n": 1}', RunContext(deps="d"))).content == "d1"


@pytest.mark.anyio
async def test_non_blocking_sync_tool_with_a_timeout_runs_inline() -> None:
    import threading

    @tool(blocking=False, timeout=30)
    def where() -> int:
        return threading.get_ident()

    assert (await where.invoke_json("")).value == threading.get_ident()


def test_run_calls_the_function_with_validated_arguments() -> None:
    @tool
    def price(ctx: RunContext[ModuleDeps], amount: float) -> str:
        return f"{amount:.1f} {ctx.deps.currency}"

    args = price.args_model(amount=2)
    assert price.run(args, RunContext(deps=ModuleDeps("EUR"))) == "2.0 EUR"
