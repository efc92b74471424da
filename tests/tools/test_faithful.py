"""Nothing a tool's author wrote is dropped, merged away or guessed (issue 13, "Faithful").

Each case below was lost silently before: a description, a default, a docstring, a constraint, an unknown key, or
the whole definition (a RecursionError). Property-based tests at the end build tools from random signatures.
"""

from __future__ import annotations

import functools
import inspect
import json
import warnings
from typing import Annotated, Any, Literal

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from agentkit import JsonSchemaTool, RunContext, Tool, tool
from agentkit.exceptions import SchemaCompileError, ToolDefinitionError
from agentkit.tools import ToolContract, ToolDefinitionWarning
from agentkit.tools.dialects import available_dialects, get_dialect

DIALECTS = available_dialects()


def _run(t: Any, raw: str) -> Any:
    return anyio.run(t.invoke_json, raw)


# ------------------------------------------------------------------ descriptions and defaults


def test_annotated_plain_string_is_the_parameter_description() -> None:
    """``Annotated[int, "First number"]`` describes the parameter, as in LangChain and the OpenAI Agents SDK."""

    @tool
    def add(a: Annotated[int, "First number"], b: Annotated[int, "Second", "number"]) -> int:
        """Add."""
        return a + b

    props = add.contract.input_schema["properties"]
    assert props["a"]["description"] == "First number"
    assert props["b"]["description"] == "Second number"


def test_field_description_wins_over_annotated_string_and_docstring() -> None:
    """An explicit ``Field(description=...)`` is kept; an ``Annotated`` string beats the docstring entry."""

    @tool
    def f(
        a: Annotated[int, "from annotated", Field(description="from field")],
        b: Annotated[int, "from annotated"],
    ) -> int:
        """F.

        Args:
            a: from docstring
            b: from docstring
        """
        return a + b

    props = f.contract.input_schema["properties"]
    assert (props["a"]["description"], props["b"]["description"]) == (
        "from field",
        "from annotated",
    )


def test_default_inside_annotated_field_makes_the_parameter_optional() -> None:
    """A default given only in ``Annotated[int, Field(default=3)]`` is kept and a call may leave it out."""

    @tool
    def add(a: int, b: Annotated[int, Field(default=3, ge=0)]) -> int:
        """Add."""
        return a + b

    schema = add.contract.input_schema
    assert schema["required"] == ["a"]
    assert schema["properties"]["b"] == {"default": 3, "minimum": 0, "type": "integer"}
    assert _run(add, '{"a": 1}').content == "4"


def test_default_factory_inside_annotated_field_makes_the_parameter_optional() -> None:
    """``Field(default_factory=list)`` in the annotation also makes the parameter optional."""

    @tool
    def count(items: Annotated[list[int], Field(default_factory=list)]) -> int:
        """Count."""
        return len(items)

    assert "required" not in count.contract.input_schema
    assert _run(count, "{}").content == "0"


# ------------------------------------------------------------------ docstrings


def test_callable_object_keeps_the_docs_written_on_call() -> None:
    """A callable object documented on ``__call__`` keeps its description and parameter descriptions."""

    class Adder:
        def __call__(self, a: int, step: int = 1) -> int:
            """Add a step to a number.

            Args:
                a: The number.
                step: How much to add.
            """
            return a + step

    adder = tool(name="adder")(Adder())
    assert adder.contract.description == "Add a step to a number."
    props = adder.contract.input_schema["properties"]
    assert (props["a"]["description"], props["step"]["description"]) == (
        "The number.",
        "How much to add.",
    )
    assert _run(adder, '{"a": 2}').content == "3"


def test_callable_object_class_docstring_is_the_description_when_it_has_one() -> None:
    """The class docstring describes the tool; its entries for __init__ arguments raise no warning."""

    class Scaler:
        """Scale a number.

        Args:
            factor: Set at construction.
        """

        def __init__(self, factor: int) -> None:
            self.factor = factor

        def __call__(self, x: int) -> int:
            """Ignored summary.

            Args:
                x: The number.
            """
            return x * self.factor

    scaler = tool(name="scaler")(Scaler(3))
    assert scaler.contract.description == "Scale a number."
    assert scaler.contract.input_schema["properties"]["x"]["description"] == "The number."


def test_tool_subclass_without_docstring_uses_the_arguments_model_docstring() -> None:
    """A ``Tool[Args, R]`` subclass with no docstring of its own is described by its arguments model."""

    class SearchArgs(BaseModel):
        """Search the web for a query."""

        q: str

    class Search(Tool[SearchArgs, str]):
        async def run(self, args: SearchArgs, ctx: RunContext[Any]) -> str:
            return args.q

    class Documented(Tool[SearchArgs, str]):
        """Its own words."""

        async def run(self, args: SearchArgs, ctx: RunContext[Any]) -> str:
            return args.q

    assert Search().contract.description == "Search the web for a query."
    assert Documented().contract.description == "Its own words."


class Place(TypedDict):
    """A place."""

    city: str
    """The city's name."""
    country: str


def test_typeddict_attribute_docstrings_describe_its_fields() -> None:
    """A TypedDict parameter's attribute docstrings become field descriptions (pydantic's use_attribute_docstrings)."""

    @tool
    def weather(place: Place) -> str:
        """Weather."""
        return place["city"]

    defs = weather.contract.input_schema["$defs"]
    assert defs["Place"]["properties"]["city"]["description"] == "The city's name."
    assert "description" not in defs["Place"]["properties"]["country"]


def test_docstring_that_starts_with_args_keeps_its_parameter_descriptions() -> None:
    """A docstring whose first line is ``Args:`` is cleaned once and keeps every entry."""

    @tool
    def f(a: int, b: int) -> int:
        """Args:
            a: First.
                More about a.
            b: Second.

        Returns:
            The sum.
        """  # noqa: D205  # the layout under test
        return a + b

    props = f.contract.input_schema["properties"]
    assert (props["a"]["description"], props["b"]["description"]) == (
        "First. More about a.",
        "Second.",
    )
    assert f.contract.description == "Returns:\n    The sum."


def test_docstring_entry_for_a_missing_parameter_warns() -> None:
    """A docstring entry for a parameter that does not exist (a rename) raises a `ToolDefinitionWarning`."""
    with pytest.warns(ToolDefinitionWarning, match=r"describes 'qurey'.*'qurey' may be 'query'"):

        @tool
        def search(query: str) -> str:  # noqa: D417  # the mistake under test
            """Search.

            Args:
                qurey: What to look for.
            """
            return query

    assert "description" not in search.contract.input_schema["properties"]["query"]


def test_documented_run_context_and_partial_bound_parameters_do_not_warn() -> None:
    """Parameters that exist but leave the schema (the run context, a partial's bound ones) are no mistake."""

    def lookup(ctx: RunContext[Any], key: str, region: str) -> str:
        """Look up.

        Args:
            ctx: The run context.
            key: The key.
            region: Where.
        """
        return key

    with warnings.catch_warnings():
        warnings.simplefilter("error", ToolDefinitionWarning)
        tool(lookup)
        tool(functools.partial(lookup, region="eu"))


# ------------------------------------------------------------------ partial and optional context


def test_partial_is_a_tool_without_its_bound_arguments() -> None:
    """A ``functools.partial`` keeps the function's name and docs; bound arguments leave the schema."""

    def convert(amount: float, currency: str, rate: float = 1.0) -> str:
        """Convert money.

        Args:
            amount: How much.
            currency: Target currency.
            rate: Exchange rate.
        """
        return f"{amount * rate:.2f} {currency}"

    eur = tool(functools.partial(convert, rate=0.5))
    assert eur.contract.name == "convert"
    assert eur.contract.description == "Convert money."
    schema = eur.contract.input_schema
    assert list(schema["properties"]) == ["amount", "currency"]
    assert schema["properties"]["amount"]["description"] == "How much."
    assert _run(eur, '{"amount": 10, "currency": "EUR"}').content == "5.00 EUR"
    assert not _run(eur, '{"amount": 10, "currency": "EUR", "rate": 2}').ok
    positional = tool(name="ten")(functools.partial(convert, 10.0))
    assert list(positional.contract.input_schema["properties"]) == ["currency", "rate"]


def test_partial_of_an_async_function_is_awaited() -> None:
    """A partial of an ``async def`` is an async tool."""

    async def greet(greeting: str, name: str) -> str:
        """Greet."""
        return f"{greeting} {name}"

    hello = tool(functools.partial(greet, "Hello"))
    assert _run(hello, '{"name": "Ada"}').content == "Hello Ada"


@pytest.mark.parametrize(
    "annotation", [RunContext[Any] | None, "RunContext[Any] | None", "Optional[RunContext[Any]]"]
)
def test_optional_run_context_is_injected(annotation: Any) -> None:
    """``ctx: RunContext[Any] | None = None`` is the run context, injected and left out of the schema."""
    seen: list[Any] = []

    def f(a: int, ctx=None) -> int:  # type: ignore[no-untyped-def]  # annotated below
        seen.append(ctx)
        return a

    f.__annotations__["ctx"] = annotation
    t = tool(f)
    assert list(t.contract.input_schema["properties"]) == ["a"]
    ctx = RunContext(deps=None)
    assert anyio.run(functools.partial(t.invoke_json, '{"a": 1}', ctx)).content == "1"
    assert seen == [ctx]


# ------------------------------------------------------------------ nested extra keys


class Units(BaseModel):
    city: str
    units: str = "C"


class LooseUnits(BaseModel):
    model_config = ConfigDict(extra="ignore")

    city: str
    units: str = "C"


class OpenUnits(BaseModel):
    model_config = ConfigDict(extra="allow")

    city: str


def test_misspelt_key_in_a_nested_model_gets_a_repair_hint() -> None:
    """``{"loc": {"city": "Oslo", "unts": "F"}}`` is refused with "did you mean units", like a top-level key."""

    @tool
    def weather(loc: Units) -> str:
        """Weather."""
        return loc.units

    outcome = _run(weather, '{"loc": {"city": "Oslo", "unts": "F"}}')
    assert outcome.status == "invalid_arguments"
    issue = json.loads(outcome.content)["issues"][0]
    assert (issue["path"], issue["problem"], issue["did_you_mean"]) == (
        "loc.unts",
        "unknown_field",
        "units",
    )
    assert weather.contract.input_schema["$defs"]["Units"]["additionalProperties"] is False
    assert (
        Units.model_validate({"city": "x", "unts": "F"}).units == "C"
    )  # the user's class is untouched


def test_nested_misspelt_key_in_a_tool_subclass_arguments_model() -> None:
    """The same holds for a ``Tool[Args, R]`` whose arguments model nests another model."""

    class Args(BaseModel):
        loc: Units

    class Weather(Tool[Args, str]):
        """Weather."""

        def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return args.loc.units

    outcome = _run(Weather(), '{"loc": {"city": "Oslo", "unts": "F"}}')
    assert json.loads(outcome.content)["issues"][0]["did_you_mean"] == "units"
    assert isinstance(Weather._spec.validate_python({"loc": {"city": "O"}}), Args)


def test_nested_model_that_chose_its_extra_policy_keeps_it() -> None:
    """A nested model with ``extra="ignore"`` or ``"allow"`` set by its author keeps that policy."""

    @tool
    def weather(loose: LooseUnits, open_: OpenUnits) -> str:
        """Weather."""
        return f"{loose.units} {open_.model_extra}"

    outcome = _run(
        weather,
        '{"loose": {"city": "Oslo", "unts": "F"}, "open_": {"city": "Oslo", "wind": 3}}',
    )
    assert outcome.content == "C {'wind': 3}"
    defs = weather.contract.input_schema["$defs"]
    assert "additionalProperties" not in defs["LooseUnits"]
    assert defs["OpenUnits"]["additionalProperties"] is True


class _Opts(TypedDict):
    units: str


class _Where(BaseModel):
    """A model without a policy, nesting a TypedDict without one."""

    city: str
    opts: _Opts


class _IgnoringWhere(BaseModel):
    """A model whose author chose to ignore extra keys: the TypedDict inside takes that policy."""

    model_config = ConfigDict(extra="ignore")
    city: str
    opts: _Opts


class _OwnOpts(TypedDict):
    __pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[misc]
    units: str


class _WhereWithOwn(BaseModel):
    city: str
    opts: _OwnOpts


def test_misspelt_key_in_a_typeddict_inside_a_model_gets_a_repair_hint() -> None:
    """A TypedDict without a policy, in a model without one, refuses ``unts`` on every pydantic (2.8+ too).

    pydantic >= 2.8 writes "ignore" on every TypedDict's core schema, which read as a chosen policy: the misspelt
    key was dropped silently, by ``@tool`` and ``Tool[Args]`` tools alike.
    """

    @tool
    def weather(where: _Where) -> str:
        """Weather."""
        return where.opts["units"]

    class Args(BaseModel):
        where: _Where

    class Weather(Tool[Args, str]):
        """Weather."""

        def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return args.where.opts["units"]

    for made in (weather, Weather()):
        outcome = _run(made, '{"where": {"city": "Oslo", "opts": {"units": "C", "unts": "F"}}}')
        assert outcome.status == "invalid_arguments"
        issue = json.loads(outcome.content)["issues"][0]
        assert (issue["path"], issue["did_you_mean"]) == ("where.opts.unts", "units")
        assert made.contract.input_schema["$defs"]["_Opts"]["additionalProperties"] is False


def test_a_typeddict_keeps_the_policy_of_its_model_or_its_own() -> None:
    """``extra="ignore"`` on the model around it, or a TypedDict's own ``extra="allow"``, is kept."""

    @tool
    def weather(a: _IgnoringWhere, b: _WhereWithOwn) -> str:
        """Weather."""
        return f"{a.opts} {b.opts}"

    outcome = _run(
        weather,
        '{"a": {"city": "O", "opts": {"units": "C", "unts": "F"}},'
        ' "b": {"city": "O", "opts": {"units": "C", "wind": 3}}}',
    )
    assert outcome.content == "{'units': 'C'} {'units': 'C', 'wind': 3}"


# ------------------------------------------------------------------ dialects: keep or refuse, never rewrite


def _contract(schema: dict[str, Any]) -> ToolContract:
    return ToolContract(name="t", version="1.0.0", input_schema=schema)


@pytest.mark.parametrize("dialect", ["openai-strict", "anthropic-strict"])
@pytest.mark.parametrize("extra", [True, {}])
def test_strict_dialects_refuse_objects_that_allow_extra_keys(dialect: str, extra: Any) -> None:
    """``additionalProperties: true`` (or ``{}``) is refused by the dialects that close every object."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": extra,
    }
    with pytest.raises(SchemaCompileError, match=r"explicitly allows keys beyond its properties"):
        get_dialect(dialect).compile(_contract(schema))


def test_model_with_extra_allow_is_refused_by_openai_strict_and_kept_elsewhere() -> None:
    """A tool whose model allows extras compiles where extras can be said, and is refused where they cannot."""

    @tool
    def f(open_: OpenUnits) -> str:
        """F."""
        return open_.city

    with pytest.raises(SchemaCompileError, match="additionalProperties"):
        get_dialect("openai-strict").compile(f.contract)
    compiled = get_dialect("anthropic").compile(f.contract)
    assert compiled.schema["$defs"]["OpenUnits"]["additionalProperties"] is True


@pytest.mark.parametrize("dialect", ["openai-strict", "anthropic-strict", "gemini"])
def test_ref_siblings_keep_the_tighter_bound(dialect: str) -> None:
    """``{"$ref": N, "maximum": 10}`` where N says ``maximum: 5`` keeps 5 (before, the parent's 10 won)."""
    schema = {
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/N", "maximum": 10, "minimum": 1}},
        "required": ["n"],
        "$defs": {"N": {"type": "integer", "maximum": 5, "minimum": 0}},
    }
    compiled = get_dialect(dialect).compile(_contract(schema))
    text = json.dumps(compiled.schema)  # anthropic-strict moves the bounds into the description
    assert '"maximum": 5' in text or "maximum: 5" in text
    assert '"minimum": 1' in text or "minimum: 1" in text
    assert "10" not in text


@pytest.mark.parametrize("dialect", ["openai-strict", "anthropic-strict", "gemini"])
@pytest.mark.parametrize("wrap", ["ref", "allOf"])
def test_conflicting_siblings_are_refused(dialect: str, wrap: str) -> None:
    """A keyword set differently beside a ``$ref`` or a one-entry ``allOf`` is refused, not overwritten."""
    inner = {"type": "string", "pattern": "^[a-z]+$"}
    prop: dict[str, Any] = (
        {"$ref": "#/$defs/S", "pattern": "^[0-9]+$"}
        if wrap == "ref"
        else {"allOf": [inner], "pattern": "^[0-9]+$"}
    )
    schema = {"type": "object", "properties": {"s": prop}, "required": ["s"], "$defs": {"S": inner}}
    with pytest.raises(SchemaCompileError, match=r"both set 'pattern'"):
        get_dialect(dialect).compile(_contract(schema))


@pytest.mark.parametrize("dialect", ["openai-strict", "gemini"])
def test_single_allof_with_siblings_keeps_an_unsatisfiable_schema_unsatisfiable(
    dialect: str,
) -> None:
    """``allOf: [{minimum: 10}]`` beside ``minimum: 1, maximum: 5`` keeps minimum 10 (no value fits, as before)."""
    schema = {
        "type": "object",
        "properties": {
            "n": {"allOf": [{"type": "integer", "minimum": 10}], "minimum": 1, "maximum": 5}
        },
        "required": ["n"],
    }
    text = json.dumps(get_dialect(dialect).compile(_contract(schema)).schema)
    assert '"minimum": 10' in text
    assert '"maximum": 5' in text


# ------------------------------------------------------------------ deep schemas


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"x": schema}, "required": ["x"]}
    return schema


def _ref_chain(length: int) -> dict[str, Any]:
    defs: dict[str, Any] = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(length)}
    defs[f"d{length}"] = {"type": "string"}
    return {
        "type": "object",
        "properties": {"x": {"$ref": "#/$defs/d0"}},
        "required": ["x"],
        "$defs": defs,
    }


@pytest.mark.parametrize("schema", [_nested(100), _ref_chain(1000)], ids=["nested", "ref-chain"])
def test_a_remote_schema_too_deep_is_a_typed_refusal(schema: dict[str, Any]) -> None:
    """A raw schema 100 objects deep, or a chain of 1,000 ``$ref`` s, is refused with ToolDefinitionError."""
    with pytest.raises(ToolDefinitionError, match=r"nests deeper than 64 levels"):
        JsonSchemaTool(name="deep", input_schema=schema, handler=lambda args, ctx: None)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "schema",
    [_nested(100), _nested(400), _ref_chain(1000)],
    ids=["nested", "nested-400", "ref-chain"],
)
def test_every_dialect_refuses_a_too_deep_contract_with_a_typed_error(
    dialect: str, schema: dict[str, Any]
) -> None:
    """Compiling a contract that nests too deeply raises SchemaCompileError or compiles; never RecursionError."""
    try:
        get_dialect(dialect).compile(_contract(schema))
    except SchemaCompileError as exc:
        error: SchemaCompileError | None = exc
    else:
        error = None
    assert error is None or "deep" in str(error)


def test_a_schema_within_the_depth_limit_still_works() -> None:
    """Thirty nested objects are a valid tool that validates its arguments."""
    tool_ = JsonSchemaTool(name="ok", input_schema=_nested(30), handler=lambda args, ctx: "fine")
    value: Any = "leaf"
    for _ in range(30):
        value = {"x": value}
    assert _run(tool_, json.dumps(value)).content == "fine"


# ------------------------------------------------------------------ property: signatures in, schema out

_TYPES: dict[str, tuple[Any, st.SearchStrategy[Any]]] = {
    "int": (int, st.integers(-5, 5)),
    "str": (str, st.text("abc", max_size=3)),
    "bool": (bool, st.booleans()),
    "float": (float, st.floats(-5, 5, allow_nan=False)),
    "list[int]": (list[int], st.lists(st.integers(0, 3), max_size=2)),
    "literal": (Literal["x", "y"], st.sampled_from(["x", "y"])),
}


@st.composite
def _parameter(draw: st.DrawFn, name: str) -> dict[str, Any]:
    type_name = draw(st.sampled_from(sorted(_TYPES)))
    py_type, values = _TYPES[type_name]
    return {
        "name": name,
        "type": py_type,
        "described_by": draw(st.sampled_from(["none", "docstring", "annotated", "field"])),
        "default_by": draw(st.sampled_from(["none", "signature", "field"])),
        "default": draw(values),
        "value": draw(values),
    }


_SIGNATURES = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "eps"]), min_size=1, max_size=5, unique=True
).flatmap(lambda names: st.tuples(*(_parameter(n) for n in names)))


def _function(params: tuple[dict[str, Any], ...]) -> Any:
    def f(**kwargs: Any) -> str:
        return json.dumps(kwargs, sort_keys=True)

    sig_params = []
    annotations: dict[str, Any] = {}
    doc_lines = ["Generated.", "", "Args:"]
    for p in params:
        annotation: Any = p["type"]
        default: Any = inspect.Parameter.empty
        metadata: list[Any] = []
        if p["described_by"] == "annotated":
            metadata.append(f"{p['name']} from annotated")
        if p["described_by"] == "docstring":
            doc_lines.append(f"    {p['name']}: {p['name']} from docstring")
        field_kwargs: dict[str, Any] = {}
        if p["described_by"] == "field":
            field_kwargs["description"] = f"{p['name']} from field"
        if p["default_by"] == "field":
            field_kwargs["default"] = p["default"]
        elif p["default_by"] == "signature":
            default = p["default"]
        if field_kwargs:
            metadata.append(Field(**field_kwargs))
        if metadata:
            annotation = Annotated[(annotation, *metadata)]
        annotations[p["name"]] = annotation
        sig_params.append(
            inspect.Parameter(
                p["name"], inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    f.__signature__ = inspect.Signature(sig_params)  # type: ignore[attr-defined]  # a function attribute
    f.__annotations__ = {**annotations, "return": str}
    f.__doc__ = "\n".join(doc_lines) if len(doc_lines) > 3 else "Generated."
    return f


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_SIGNATURES)
def test_every_parameter_reaches_the_schema_with_its_description_and_default(
    params: tuple[dict[str, Any], ...],
) -> None:
    """Every parameter reaches the schema with its description and default; a call may omit the defaulted ones."""
    t = tool(_function(params))
    schema = t.contract.input_schema
    assert list(schema["properties"]) == [p["name"] for p in params]
    required = [p["name"] for p in params if p["default_by"] == "none"]
    assert schema.get("required", []) == required
    call: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for p in params:
        prop = schema["properties"][p["name"]]
        source = p["described_by"]
        if source == "none":
            assert "description" not in prop
        else:
            assert prop["description"] == f"{p['name']} from {source}"
        if p["default_by"] == "none":
            call[p["name"]] = p["value"]
            expected[p["name"]] = p["value"]
        else:
            assert prop["default"] == p["default"]
            expected[p["name"]] = p["default"]
    outcome = _run(t, json.dumps(call))
    assert outcome.ok, outcome.content
    assert json.loads(outcome.content) == expected


def test_a_default_inside_annotated_survives_a_docstring_description() -> None:
    """``Annotated[bool, Field(default=False)]`` described in the docstring stays optional (pydantic < 2.10 lost it)."""

    def flag(alpha: Annotated[bool, Field(default=False)]) -> str:
        """Set a flag.

        Args:
            alpha: The alpha.
        """
        return str(alpha)

    schema = tool(flag).contract.input_schema
    assert "required" not in schema
    assert schema["properties"]["alpha"] == {
        "default": False,
        "description": "The alpha.",
        "type": "boolean",
    }
