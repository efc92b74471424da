"""Nested models' definitions are generated once per process, and the schemas are exactly what pydantic writes."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import gc
import json
import sys
import warnings
from typing import Annotated, Any, Generic, Literal, Optional, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    TypeAdapter,
    WithJsonSchema,
    computed_field,
    create_model,
)
from pydantic.json_schema import PydanticJsonSchemaWarning
from typing_extensions import TypedDict

from agentkit import tool
from agentkit.tools import _schema
from agentkit.tools._schema import (
    ArgumentsJsonSchema,
    CanonicalJsonSchema,
    ResultJsonSchema,
    forbid_unset_extras,
)


def reference(core: Any, mode: str = "validation") -> dict[str, Any]:
    """What the schema was before: pydantic's generator on the rewritten copy, nothing remembered."""
    return CanonicalJsonSchema().generate(forbid_unset_extras(core)[0], mode=mode)  # type: ignore[arg-type]


def same(a: Any, b: Any) -> bool:
    return json.dumps(a) == json.dumps(b)  # order and 1 / 1.0 / True told apart


class Address(BaseModel):
    street: str
    city: str = "Oslo"


class Person(BaseModel):
    name: str
    home: Address
    work: Optional[Address] = None  # noqa: UP045 - both spellings are what users write


def test_a_nested_model_is_generated_once_for_many_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second tool taking the same nested models generates none of their definitions again."""
    generated: list[str] = []
    original = CanonicalJsonSchema.model_schema

    def counting(self: Any, schema: Any) -> Any:
        generated.append(schema["cls"].__name__)
        return original(self, schema)

    monkeypatch.setattr(CanonicalJsonSchema, "model_schema", counting)
    first = create_model("First", person=(Person, ...), n=(int, 1))
    second = create_model("Second", who=(Person, ...), also=(Address, ...))
    reference_first = reference(first.__pydantic_core_schema__)
    reference_second = reference(second.__pydantic_core_schema__)
    ArgumentsJsonSchema().generate(
        first.__pydantic_core_schema__
    )  # may remember Person and Address
    generated.clear()
    got_first = ArgumentsJsonSchema().generate(first.__pydantic_core_schema__)
    got_second = ArgumentsJsonSchema().generate(second.__pydantic_core_schema__)
    assert generated == ["First", "Second"]  # only the roots
    assert same(got_first, reference_first)
    assert same(got_second, reference_second)


def test_two_classes_with_one_name_are_named_as_pydantic_names_them() -> None:
    """Classes that share a name (here, module and qualified name too) get pydantic's disambiguated names."""

    def make(kind: type) -> type[BaseModel]:
        return create_model("Item", value=(kind, ...), __module__="shop.models")

    item_int, item_str = make(int), make(str)
    for fields in (
        {"a": (item_int, ...), "b": (item_str, ...)},
        {"b": (item_str, ...), "a": (item_int, ...)},
        {"only": (item_str, ...)},
        {"a": (list[item_int], ...), "b": (dict[str, item_str], ...), "c": (item_int, None)},
    ):
        for _ in range(2):  # cold, then from what was remembered
            model = create_model("Args", **fields)  # type: ignore[call-overload]
            core = model.__pydantic_core_schema__
            assert same(ArgumentsJsonSchema().generate(core), reference(core))


def test_recursive_and_generic_models() -> None:
    """Self- and mutually-recursive models, and two parametrisations of one generic model, stay exact."""
    T = TypeVar("T")

    class Page(BaseModel, Generic[T]):
        items: list[T]
        next: Optional[Page[T]] = None  # noqa: UP045

    class Tree(BaseModel):
        value: int
        children: list[Tree] = []

    class Ping(BaseModel):
        pong: Optional[Pong] = None  # noqa: UP045

    class Pong(BaseModel):
        ping: Optional[Ping] = None  # noqa: UP045

    Ping.model_rebuild()
    namespace = {"Page": Page, "Tree": Tree, "Ping": Ping, "Pong": Pong}
    for fields in (
        {"tree": (Tree, ...)},
        {"ints": (Page[int], ...), "strs": (Page[str], ...)},
        {"ping": (Ping, ...), "tree": (Tree | None, None)},
        {"pong": (Pong, ...)},
    ):
        for _ in range(2):
            model = create_model("Args", **fields)  # type: ignore[call-overload]
            model.model_rebuild(_types_namespace=namespace)
            core = model.__pydantic_core_schema__
            assert same(ArgumentsJsonSchema().generate(core), reference(core))


def test_extra_keys_policies_as_the_validating_copy_has_them() -> None:
    """Models and dataclasses without a policy forbid extra keys in the schema; those with one keep it."""

    class Loose(BaseModel):
        model_config = ConfigDict(extra="allow")
        x: int = 0

    class Plain(TypedDict):
        y: int

    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    model = create_model(
        "Args", loose=(Loose, ...), plain=(Plain, ...), point=(Point, ...), address=(Address, ...)
    )
    for _ in range(2):
        schema = ArgumentsJsonSchema().generate(model.__pydantic_core_schema__)
        assert same(schema, reference(model.__pydantic_core_schema__))
    defs = schema["$defs"]
    assert defs["Loose"]["additionalProperties"] is True
    # A TypedDict without a config takes its policy from the model around it, which chose none here: pydantic 2.7
    # leaves the policy unset in the core schema, later releases write "ignore" but no policy in its config. Either
    # way the validating copy forbids extra keys, and the schema says so.
    assert defs["Plain"]["additionalProperties"] is False
    assert defs["Point"]["additionalProperties"] is False
    assert defs["Address"]["additionalProperties"] is False


def test_a_definition_that_warns_is_generated_every_time() -> None:
    """Pydantic's warnings (a default it cannot write) are raised for every tool, never remembered away."""

    class Odd(BaseModel):
        when: Any = Field(default=object())

    for name in ("One", "Two"):
        model = create_model(name, odd=(Odd, ...))
        with pytest.warns(PydanticJsonSchemaWarning, match="not JSON serializable"):
            ArgumentsJsonSchema().generate(model.__pydantic_core_schema__)


def test_output_schemas_remember_apart_from_argument_schemas() -> None:
    """A result type's schema (serialization mode, no rewrite) never reuses an argument definition, nor the reverse."""
    adapter = TypeAdapter(Person)
    result = adapter.json_schema(mode="serialization", schema_generator=ResultJsonSchema)
    plain = adapter.json_schema(mode="serialization", schema_generator=CanonicalJsonSchema)
    assert same(result, plain)
    assert "additionalProperties" not in result["$defs"]["Address"]
    arguments = ArgumentsJsonSchema().generate(
        create_model("Args", p=(Person, ...)).__pydantic_core_schema__
    )
    assert arguments["$defs"]["Address"]["additionalProperties"] is False


def test_what_is_remembered_goes_with_the_class() -> None:
    """The memo is weak: a model class that goes away takes what was remembered for it along."""
    inner = create_model("Transient", x=(int, ...))
    ArgumentsJsonSchema().generate(create_model("Args", t=(inner, ...)).__pydantic_core_schema__)
    assert inner in _schema._MEMOS
    count = len(_schema._MEMOS)
    del inner
    gc.collect()
    assert len(_schema._MEMOS) < count


def test_tools_agree_with_pydantic_through_the_front_door() -> None:
    """Tools defined from the same nested models carry exactly the schemas the unremembered path gives."""

    def book(person: Person, seats: int = 1, note: str | None = None) -> str:
        """Book seats."""
        return person.name

    def move(person: Person, to: Address) -> Address:
        """Move someone."""
        return to

    for func in (book, move, book):
        made = tool(func)
        expected = reference(made.args_model.__pydantic_core_schema__)
        expected.pop("title", None)
        assert same(made.contract.input_schema, expected)
    assert tool(book)(Person(name="Ada", home=Address(street="x")), 2) == "Ada"


# ----------------------------------------------------------------------------------------- generated models

_SCALARS: list[Any] = [int, str, float, bool, Literal["a", "b"], Optional[int]]  # noqa: UP045


@st.composite
def model_graphs(draw: st.DrawFn) -> list[type[BaseModel]]:
    """A few models, each with fields of scalars or of models made before it (lists, dicts, optionals)."""
    models: list[type[BaseModel]] = []
    for index in range(draw(st.integers(1, 5))):
        fields: dict[str, Any] = {}
        for f in range(draw(st.integers(1, 4))):
            kind = draw(st.integers(0, 4)) if models else 0
            base: Any = (
                draw(st.sampled_from(_SCALARS)) if kind == 0 else draw(st.sampled_from(models))
            )
            annotation = {0: base, 1: base, 2: list[base], 3: dict[str, base], 4: base | None}[kind]
            default = ... if draw(st.booleans()) else None
            if default is None and kind == 0 and base in (int, float):
                default = draw(st.sampled_from([0, 1, 1.0, -2]))
            described = draw(st.booleans())
            fields[f"f{f}"] = (
                annotation,
                Field(default, description=f"field {f}") if described else default,
            )
        extra = draw(st.sampled_from([None, "allow", "ignore", "forbid"]))
        name = draw(st.sampled_from(["Node", "Item", f"M{index}"]))  # clashing names on purpose
        module = draw(st.sampled_from(["pkg.a", "pkg.b"]))
        config = ConfigDict(extra=extra) if extra else None
        models.append(create_model(name, __config__=config, __module__=module, **fields))  # type: ignore[call-overload]
    return models


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs=model_graphs(), data=st.data())
def test_generated_model_graphs_match_pydantic(
    graphs: list[type[BaseModel]], data: st.DataObject
) -> None:
    """For arguments over generated model graphs (clashing names included), warm or cold, the schema is pydantic's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            chosen = data.draw(st.lists(st.sampled_from(graphs), min_size=1, max_size=3))
            fields = {f"p{i}": (cls, ...) for i, cls in enumerate(chosen)}
            model = create_model("Args", **fields)  # type: ignore[call-overload]
            core = model.__pydantic_core_schema__
            assert same(ArgumentsJsonSchema().generate(core), reference(core))
            assert same(
                ArgumentsJsonSchema().generate(core, mode="serialization"),
                reference(core, "serialization"),
            )


def test_the_generated_benchmark_tools_match_pydantic() -> None:
    """All of the benchmark's generated tools (shared nested models) give the schemas of the unremembered path."""
    sys.path.insert(
        0, str(__import__("pathlib").Path(__file__).resolve().parents[2] / "benchmarks")
    )
    try:
        import _manytools  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec in _manytools.load(150, seed=11):
            made = tool(spec.func)
            expected = reference(made.args_model.__pydantic_core_schema__)
            expected.pop("title", None)
            expected.pop("description", None)
            assert same(made.contract.input_schema, expected), spec.func.__name__


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Cat(BaseModel):
    kind: Literal["cat"] = "cat"
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"] = "dog"
    good: bool = True


class Tags(RootModel[list[str]]):
    pass


@dataclasses.dataclass
class Spot:
    x: int
    y: int = 0


class Dressed(BaseModel):
    model_config = ConfigDict(
        title="Custom Title", json_schema_extra=lambda s, cls: s.update({"x-note": "hi"})
    )
    when: datetime.datetime
    color: Color = Color.RED
    alias_field: int = Field(0, alias="aliasField")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def doubled(self) -> int:
        return self.alias_field * 2


T = TypeVar("T")


class Box(BaseModel, Generic[T]):
    item: T


class Owner(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]
    tags: Tags = Tags([])
    spot: Spot | None = None
    dressed: Dressed | None = None
    box: Box[int] | None = None
    custom: Annotated[int, WithJsonSchema({"type": "integer", "x-custom": True})] = 1


def test_unusual_constructs_match_pydantic() -> None:
    """Unusual constructs give pydantic's schemas, in both modes, cold and remembered, for arguments and results.

    Discriminated unions, enums, root models, dataclasses, aliases, computed fields, a custom title and
    ``json_schema_extra``, generic models and ``WithJsonSchema``.
    """
    model = create_model(
        "Args",
        owner=(Owner, ...),
        cats=(list[Cat], []),
        color=(Color, Color.BLUE),
        boxes=(dict[str, Box[str]], {}),
        dressed=(Dressed | None, None),
    )
    core = model.__pydantic_core_schema__
    for _ in range(2):
        for mode in ("validation", "serialization"):
            assert same(ArgumentsJsonSchema().generate(core, mode=mode), reference(core, mode))
        for result_type in (Owner, list[Dressed], dict[str, Owner]):
            adapter = TypeAdapter(result_type)
            assert same(
                adapter.json_schema(mode="serialization", schema_generator=ResultJsonSchema),
                adapter.json_schema(mode="serialization", schema_generator=CanonicalJsonSchema),
            )
