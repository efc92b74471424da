"""A function tool validates with a typed-dict copy of its arguments model and keeps no model class.

Issue 13 ("≤ 12 KiB per registered tool"): the arguments model of a ``@tool`` function gives the input schema and
the core schema, then goes; the tool checks arguments with a typed-dict copy of that core schema, which yields the
keyword arguments. These tests hold the copy to the model: for any payload, the same values in the same order, the
same errors (what the model is told), the same JSON for events; and the model comes back on demand.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import gc
import json
import warnings
import weakref
from typing import Annotated, Any, Literal, Optional

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import NotRequired, TypedDict

from agentkit import RunContext, tool
from agentkit.tools import _base, _function
from agentkit.tools._base import _forbidding_validator
from agentkit.tools._hints import HintBuilder
from agentkit.tools._warnings import ToolDefinitionWarning


class Color(enum.Enum):
    """A colour."""

    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    """No extra-keys policy of its own: the tool forbids unknown keys in it."""

    street: str
    city: str = "Oslo"


class Person(BaseModel):
    """Allows extra keys on purpose, and nests a model."""

    model_config = ConfigDict(extra="allow")

    name: str
    home: Address | None = None


class Options(TypedDict):
    """A TypedDict with an optional key."""

    depth: int
    mode: NotRequired[Literal["fast", "slow"]]


@dataclasses.dataclass
class Window:
    """A dataclass argument."""

    start: datetime.date
    days: int = 7


def _even(value: int) -> int:
    if value % 2:
        raise ValueError("must be even")
    return value


def everything(  # noqa: D417 - most parameters are undocumented on purpose
    ctx: RunContext[Any],
    name: str,
    count: Annotated[int, Field(ge=0, le=100)] = 3,
    ratio: float | None = None,
    flag: bool = False,
    when: datetime.datetime | None = None,
    day: Optional[datetime.date] = None,  # noqa: UP045 - the Optional spelling on purpose
    color: Color = Color.RED,
    mode: Literal["a", "b"] = "a",
    tags: list[str] = [],  # noqa: B006 - a mutable default, as users write it
    scores: dict[str, float] | None = None,
    person: Person | None = None,
    home: Address | None = None,
    homes: list[Address] | None = None,
    options: Options | None = None,
    window: Window | None = None,
    even: Annotated[int, AfterValidator(_even)] = 0,
    labelled: Annotated[str, Field(alias="label")] = "",
    made: Annotated[list[int], Field(default_factory=lambda: [1, 2])] = ...,  # type: ignore[assignment]
) -> str:
    """Take every kind of parameter (only two are documented: the rest have no description).

    Args:
        name: A name.
        count: How many.
    """
    return name


def simple(a: int, b: str = "x") -> int:
    """Add."""
    return a


def strict_one(n: int, when: datetime.date | None = None) -> int:
    """Strict."""
    return n


_TOOLS = [tool(everything), tool(simple), tool(strict=True)(strict_one)]


def _reference(made: Any) -> Any:
    """The validator the tool used to have: its arguments model, forbidding unknown keys at every level."""
    model = made.args_model
    return _forbidding_validator(model.__pydantic_core_schema__, model.__pydantic_validator__)


def _outcome(validate: Any, payload: str) -> Any:
    try:
        value = validate(payload)
    except ValidationError as exc:
        return "error", exc
    return "ok", value


_KEYS = st.sampled_from(
    ["name", "count", "ratio", "flag", "when", "day", "color", "mode", "tags", "scores", "person", "home",
     "homes", "options", "window", "even", "label", "labelled", "made", "a", "b", "n", "nme", "street", "x"]
)  # fmt: skip
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.sampled_from(
        ["", "x", "red", "fast", "2024-02-30", "2024-05-01", "2024-05-01T10:00:00", "5", "a"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)
_TEXT = st.text(alphabet="ab5 -", max_size=4)
_ADDRESS = st.fixed_dictionaries({"street": _TEXT}, optional={"city": _TEXT})
_FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=32)
_VALID: dict[str, Any] = {
    "name": _TEXT,
    "count": st.integers(0, 100),
    "ratio": st.none() | _FLOATS,
    "flag": st.booleans(),
    "when": st.none() | st.sampled_from(["2024-05-01T10:00:00", "2024-05-01T10:00:00+02:00"]),
    "day": st.none() | st.just("2024-05-01"),
    "color": st.sampled_from(["red", "blue"]),
    "mode": st.sampled_from(["a", "b"]),
    "tags": st.lists(_TEXT, max_size=3),
    "scores": st.none() | st.dictionaries(_TEXT, _FLOATS, max_size=2),
    "person": st.none()
    | st.fixed_dictionaries({"name": _TEXT}, optional={"home": _ADDRESS, "extra": st.integers()}),
    "home": st.none() | _ADDRESS,
    "homes": st.none() | st.lists(_ADDRESS, max_size=2),
    "options": st.none()
    | st.fixed_dictionaries(
        {"depth": st.integers()}, optional={"mode": st.sampled_from(["fast", "slow"])}
    ),
    "window": st.none()
    | st.fixed_dictionaries({"start": st.just("2024-05-01")}, optional={"days": st.integers()}),
    "even": st.integers(0, 10),
    "label": _TEXT,
    "made": st.lists(st.integers(), max_size=3),
}
_SHAPES = [
    ({"name": _VALID["name"]}, {k: v for k, v in _VALID.items() if k != "name"}),
    ({"a": st.integers()}, {"b": _TEXT}),
    ({"n": st.integers()}, {"when": st.none() | st.just("2024-05-01")}),
]


@st.composite
def _payloads(draw: st.DrawFn, index: int) -> str:
    """Mostly well-formed arguments for tool ``index``, often with one thing wrong; sometimes anything at all."""
    required, optional = _SHAPES[index]
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return json.dumps(draw(st.dictionaries(_KEYS, _JSON, max_size=8) | _JSON))
    payload = draw(st.fixed_dictionaries(required, optional=optional))
    if kind == 2:  # one value of any kind
        payload[draw(_KEYS)] = draw(_JSON)
    elif kind == 3 and payload:  # one key missing
        payload.pop(draw(st.sampled_from(sorted(payload))))
    return json.dumps(payload)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_typed_dict_copy_agrees_with_the_model_on_any_payload(data: st.DataObject) -> None:
    """Same values in the same order, the same JSON for events, the same issues told to the model."""
    index = data.draw(st.sampled_from(range(len(_TOOLS))))
    payload = data.draw(_payloads(index))
    made = _TOOLS[index]
    spec = made._spec
    got = _outcome(spec.validate_json, payload)
    want = _outcome(_reference(made).validate_json, payload)
    assert got[0] == want[0], (payload, got, want)
    if got[0] == "ok":
        expected = dict(want[1].__dict__)
        assert list(got[1]) == list(expected)
        assert got[1] == expected
        assert spec.plain_args(got[1]) == want[1].model_dump(mode="json")
    python = _outcome(spec.validate_python, json.loads(payload))
    reference = _outcome(_reference(made).validate_python, json.loads(payload))
    assert python[0] == reference[0]
    if python[0] == "ok":
        assert python[1] == dict(reference[1].__dict__)
    if got[0] == "ok":
        return
    hints = HintBuilder(made.contract.input_schema, made.contract.sensitive)
    assert hints.from_pydantic(got[1]) == hints.from_pydantic(want[1])
    mine = [(e["type"], e["loc"], e["msg"]) for e in got[1].errors(include_url=False)]
    theirs = [(e["type"], e["loc"], e["msg"]) for e in want[1].errors(include_url=False)]
    if mine != theirs:  # only at the top: not an object is ``dict_type``, not ``model_type``
        assert [t for t, loc, _ in mine] == ["dict_type"], (payload, mine, theirs)
        assert [t for t, loc, _ in theirs] == ["model_type"], (payload, mine, theirs)


def test_a_function_tool_keeps_no_model_class() -> None:
    """Once defined, nothing holds the arguments model: the class and its field infos are collected."""
    seen: list[weakref.ref[type]] = []
    real = _base._Keywords.__init__

    def spy(self: Any, args_model: Any, **kwargs: Any) -> None:
        seen.append(weakref.ref(args_model))
        real(self, args_model, **kwargs)

    _base._Keywords.__init__ = spy  # type: ignore[method-assign]
    try:
        made = tool(everything)
    finally:
        _base._Keywords.__init__ = real  # type: ignore[method-assign]
    gc.collect()
    assert len(seen) == 1
    assert seen[0]() is None
    outcome = anyio.run(made.invoke_json, '{"name": "Ada", "home": {"street": "x", "cty": "y"}}')
    assert outcome.status == "invalid_arguments"
    assert '"did_you_mean":"city"' in outcome.content


def test_args_model_is_built_again_on_demand_and_kept() -> None:
    """``args_model`` is an equal model (same schema, same validation), built once, without warning again."""
    with pytest.warns(ToolDefinitionWarning, match="nme"):

        @tool
        def greet(name: str, times: int = 1) -> str:  # noqa: D417 - misdocumented on purpose
            """Greet.

            Args:
                nme: Misspelt on purpose.
            """
            return name * times

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = greet.args_model
    assert greet.args_model is model
    assert model.__name__ == "GreetArgs"
    assert model.model_config.get("extra") == "forbid"
    assert model(name="x").times == 1
    schema = _base._Keywords(model, tool_name="greet").schema
    assert schema == greet.contract.input_schema


def test_run_takes_the_keyword_dict_or_a_model_instance() -> None:
    """``FunctionTool.run`` accepts what the tool validates to, and an ``args_model`` instance as before."""
    made = tool(simple)
    ctx: RunContext[None] = RunContext(deps=None)
    assert made.run({"a": 4, "b": "y"}, ctx) == 4
    assert made.run(made.args_model(a=5), ctx) == 5


def test_events_and_dry_runs_see_json_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arguments recorded in events are JSON values (dates as text, enums by value, models as objects)."""
    made = tool(everything)
    payload = {"name": "Ada", "day": "2024-05-01", "color": "blue", "home": {"street": "Main"}}
    args = made._spec.validate_json(json.dumps(payload))
    assert isinstance(args["day"], datetime.date)
    assert args["color"] is Color.BLUE
    plain = _base._as_plain(args, made._spec)
    assert plain["day"] == "2024-05-01"
    assert plain["color"] == "blue"
    assert plain["home"] == {"street": "Main", "city": "Oslo"}
    assert json.loads(json.dumps(plain)) == plain


def test_another_core_schema_shape_falls_back_to_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were pydantic to build another shape, the tool keeps its model and behaves the same."""
    monkeypatch.setattr(_base, "_as_keywords", lambda core: None)
    made = tool(everything)
    args = made._spec.validate_json('{"name": "Ada", "color": "blue", "made": [3]}')
    assert args["color"] is Color.BLUE
    assert args["made"] == [3]
    assert _base._as_plain(args, made._spec)["color"] == "blue"
    assert made._spec.validate_python({"name": "Ada"})["count"] == 3
    outcome = anyio.run(made.invoke_json, '{"name": "Ada", "home": {"street": "x", "cty": "y"}}')
    assert outcome.status == "invalid_arguments"
    assert '"did_you_mean":"city"' in outcome.content
    assert anyio.run(made.invoke, {"name": "Ada"}).content == "Ada"


def test_strict_tools_stay_strict() -> None:
    """``strict=True`` reaches the typed-dict copy: no ``"5"`` → ``5`` coercion, no date from text."""
    made = _TOOLS[2]
    assert anyio.run(made.invoke_json, '{"n": "5"}').status == "invalid_arguments"
    assert anyio.run(made.invoke_json, '{"n": 5}').value == 5


def test_the_analysis_runs_once_per_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defining a tool analyses the function once; ``args_model`` is the only thing that does it again."""
    calls: list[str] = []
    real = _function._analyse

    def counting(func: Any, name: str, **kwargs: Any) -> Any:
        calls.append(name)
        return real(func, name, **kwargs)

    monkeypatch.setattr(_function, "_analyse", counting)
    made = tool(simple)
    anyio.run(made.invoke_json, '{"a": 1}')
    assert calls == ["simple"]
    _ = made.args_model
    _ = made.args_model
    assert calls == ["simple", "simple"]


class _Bulky:
    """Something a function that defines a tool happens to hold."""


def test_a_tool_defined_in_a_function_keeps_its_types_not_the_callers_locals() -> None:
    """``args_model`` resolves a type local to the defining function, and the function's other locals are freed."""

    def build() -> tuple[Any, weakref.ref[_Bulky]]:
        bulky = _Bulky()

        class Local(BaseModel):
            """Defined in the function body."""

            size: int

        @tool
        def measure(item: Local) -> int:
            """Measure."""
            return item.size

        return measure, weakref.ref(bulky)

    made, bulky = build()
    gc.collect()
    assert bulky() is None
    assert made.args_model(item={"size": 3}).item.size == 3
    assert anyio.run(made.invoke_json, '{"item": {"size": 4}}').value == 4


def test_only_the_locals_the_annotations_name_are_kept() -> None:
    """A tool keeps the caller's locals its annotations name, nothing else (a registry's own frame included)."""
    from agentkit.registry import Registry

    def build() -> Any:
        bulky = _Bulky()  # noqa: F841 - a local the tool must not keep

        class Local(BaseModel):
            """Defined in the function body."""

            size: int

        @tool
        def measure(item: Local, times: list[Local] | None = None) -> int:
            """Measure."""
            return item.size

        return measure

    assert set(build()._locals) == {"Local"}
    assert Registry().register(simple)._locals is None
