"""Definition-time mistakes are refused with a typed error that says what to write, never reinterpreted."""

from __future__ import annotations

import types
from typing import Any

import anyio
import pytest
from pydantic import BaseModel, ValidationError

from agentkit import JsonSchemaTool, RunContext, Tool, ToolContract, tool
from agentkit.exceptions import ToolDefinitionError, ToolOptionError, ToolSignatureError

OBJECT_SCHEMA = {"type": "object", "properties": {"card": {"type": "string"}}}


class Args(BaseModel):
    card: str


def _define(**options: Any) -> Any:
    @tool(**options)
    def charge(card: str) -> str:
        """Charge a card."""
        return "ok"

    return charge


# --------------------------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("options", "option", "fix"),
    [
        ({"tags": "read"}, "tags", "write tags=['read']"),
        ({"tags": b"read"}, "tags", "write tags=['read']"),
        ({"sensitive": "/card"}, "sensitive", "write sensitive=['/card']"),
    ],
)
def test_tool_refuses_a_bare_string_where_a_list_belongs(
    options: dict[str, Any], option: str, fix: str
) -> None:
    """@tool(tags="read") is refused (it would be four one-letter tags), naming the list to write instead."""
    with pytest.raises(ToolOptionError) as info:
        _define(**options)
    assert info.value.option == option
    assert info.value.tool_name == "charge"
    assert str(info.value).endswith(fix)
    assert "is not a JSON pointer" not in str(info.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tags": 5}, "tags must be a collection of strings, got int 5"),
        ({"tags": {"read": True}}, "tags must be a collection of strings, got dict"),
        ({"tags": ["read", 1]}, "tags must contain only strings, got 1 (int)"),
        ({"sensitive": [None]}, "sensitive must contain only JSON pointers, got None"),
    ],
)
def test_tool_refuses_options_that_are_not_collections_of_strings(
    options: dict[str, Any], message: str
) -> None:
    """A number, a mapping or a non-string entry is refused with what was given."""
    with pytest.raises(ToolOptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _define(**options)


def test_tool_still_accepts_any_collection_of_strings() -> None:
    """Lists, tuples, sets and generators of strings keep working."""
    charge = _define(tags={"b", "a"}, sensitive=(p for p in ["/card"]))
    assert charge.contract.tags == ("a", "b")
    assert charge.contract.sensitive == ("/card",)
    assert _define(tags=("read",)).contract.tags == ("read",)


def test_option_errors_are_definition_errors_and_type_errors() -> None:
    """Existing ``except ToolDefinitionError`` handlers still catch the new, narrower error."""
    with pytest.raises(ToolDefinitionError):
        _define(tags="read")
    with pytest.raises(TypeError):
        _define(tags="read")


@pytest.mark.parametrize(
    ("options", "fix"),
    [({"tags": "remote"}, "write tags=['remote']"), ({"sensitive": "/card"}, "['/card']")],
)
def test_json_schema_tool_refuses_a_bare_string(options: dict[str, Any], fix: str) -> None:
    """JsonSchemaTool takes the same options and refuses the same trap."""
    with pytest.raises(ToolOptionError) as info:
        JsonSchemaTool(
            name="pay", input_schema=OBJECT_SCHEMA, handler=lambda args, ctx: None, **options
        )
    assert str(info.value).startswith("tool 'pay': ")
    assert str(info.value).endswith(fix)


@pytest.mark.parametrize("field", ["tags", "sensitive"])
def test_contract_refuses_a_bare_string_with_the_fix(field: str) -> None:
    """A contract built by hand explains the trap in its validation error."""
    with pytest.raises(ValidationError, match=rf"write {field}=\['/x'\]"):
        ToolContract(name="t", input_schema={"type": "object"}, **{field: "/x"})


def test_a_sensitive_entry_without_a_slash_gets_the_pointer_to_write() -> None:
    """A dotted path is answered with the JSON pointer it meant."""
    with pytest.raises(ToolDefinitionError, match=r"write it like '/card/number'"):
        _define(sensitive=["card.number"])


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("tags", "read", r"write tags = \('read',\) \(mind the comma\) or \['read'\]"),
        ("sensitive", "/card", r"write sensitive = \('/card',\) \(mind the comma\)"),
        ("tags", 3, "tags must be a collection of strings, got int 3"),
        (
            "name",
            ["charge"],
            r"name must be a string, got list \['charge'\]; write name = 'charge'",
        ),
    ],
)
def test_tool_class_settings_are_checked_when_the_class_is_created(
    attribute: str, value: Any, message: str
) -> None:
    """``tags = ("read")`` (no comma) fails at the class statement, not when the tool is first used."""
    with pytest.raises(ToolOptionError, match=message) as info:
        _tool_class({attribute: value, "run": _sync})
    assert info.value.option == attribute


def test_tool_class_settings_that_are_collections_keep_working() -> None:
    """Lists and tuples of strings as class attributes are accepted as before."""

    class Charge(Tool[Args, str]):
        """Charge a card."""

        tags = ["billing"]  # type: ignore[assignment]  # noqa: RUF012  # a list, as users write it, works
        sensitive = ("/card",)

        def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return "ok"

    assert Charge().contract.tags == ("billing",)
    assert Charge().contract.sensitive == ("/card",)


# --------------------------------------------------------------------------------------------- tool(x)


class PlainClass:
    """Not a tool."""

    def __init__(self, amount: int) -> None:
        self.amount = amount


class Charge(Tool[Args, str]):
    """Charge a card."""

    def run(self, args: Args, ctx: RunContext[Any]) -> str:
        return "ok"


def test_tool_on_a_plain_class_says_how_classes_become_tools() -> None:
    """tool(SomeClass) explains subclassing Tool or passing a callable instance, not ``*args``."""
    with pytest.raises(ToolSignatureError) as info:
        tool(PlainClass)
    message = str(info.value)
    assert "not the class PlainClass" in message
    assert "subclassing Tool[Args, Result]" in message
    assert "PlainClass(), whose __call__ is the tool" in message
    assert "*args" not in message


def test_tool_on_a_tool_subclass_or_a_tool_says_it_is_one_already() -> None:
    """A Tool subclass wants an instance; a tool needs no wrapping."""
    with pytest.raises(ToolSignatureError, match=r"use an instance, Charge\(\), instead of tool"):
        tool(Charge)
    with pytest.raises(ToolSignatureError, match="is a tool already"):
        tool(Charge())  # type: ignore[call-overload]


def test_tool_with_a_positional_name_says_options_are_keywords() -> None:
    """@tool("search") is refused with the keyword form to write."""
    with pytest.raises(ToolOptionError, match=r"write @tool\(name='search'\)"):
        tool("search")  # type: ignore[call-overload]


def test_a_callable_instance_is_still_a_tool() -> None:
    """An object whose __call__ is the tool keeps working."""

    class Adder:
        def __call__(self, a: int, b: int) -> int:
            """Add."""
            return a + b

    add = tool(Adder())
    assert anyio.run(add.invoke_json, '{"a": 1, "b": 2}').value == 3


# --------------------------------------------------------------------------------------------- run()


def _tool_class(namespace: dict[str, Any]) -> type:
    body = {"__doc__": "Charge a card.", **namespace}
    return types.new_class("Charge", (Tool[Args, str],), exec_body=lambda ns: ns.update(body))


async def _arun(self: Any, args: Args, ctx: RunContext[Any]) -> str:
    return "ok"


def _missing_ctx(self: Any, args: Args) -> str:
    return "ok"


def _missing_self(args: Args, ctx: RunContext[Any]) -> str:
    return "ok"


def _only_self(self: Any) -> str:
    return "ok"


def _keyword_ctx(self: Any, args: Args, *, ctx: RunContext[Any]) -> str:
    return "ok"


def _extra_required(self: Any, args: Args, ctx: RunContext[Any], user: str) -> str:
    return "ok"


async def _yields(self: Any, args: Args, ctx: RunContext[Any]) -> Any:
    yield "ok"


def _gen(self: Any, args: Args, ctx: RunContext[Any]) -> Any:
    yield "ok"


@pytest.mark.parametrize(
    ("namespace", "message"),
    [
        (
            {"run": _missing_ctx},
            r"Charge\.run\(self, args\) cannot be called as run\(self, args, ctx\): add the ctx "
            r"parameter \(ctx: RunContext\)",
        ),
        ({"run": _missing_self}, "its first parameter is self"),
        ({"run": _only_self}, r"it takes self, the validated arguments and the run context"),
        ({"run": _keyword_ctx}, "'ctx' must be passed by keyword, but agentkit passes"),
        ({"run": _extra_required}, "so 'user' would never be given; give it a default"),
        ({"run": staticmethod(_missing_self)}, "run is a staticmethod; write it as a plain method"),
        ({"run": classmethod(_missing_self)}, "run is a classmethod"),
        ({"run": None}, "run is None, not a method"),
        ({"run": _yields}, "run yields, but a tool returns its result once"),
        ({"run": _gen}, "run yields"),
        ({"__call__": _arun}, r"defines __call__\(\) but no run\(\).*rename __call__ to run"),
        ({"execute": _arun}, r"defines execute\(\) but no run\(\)"),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value)[:20],
)
def test_a_wrong_run_is_refused_when_the_class_is_created(
    namespace: dict[str, Any], message: str
) -> None:
    """A run that could only fail at the first call fails at the class statement, saying what to write."""
    with pytest.raises(ToolSignatureError, match=message) as info:
        _tool_class(namespace)
    assert info.value.tool_name == "charge"


def test_a_missing_ctx_in_a_class_statement_is_caught_before_any_call() -> None:
    """The ordinary spelling of the mistake raises at the class statement."""
    with pytest.raises(ToolSignatureError, match="add the ctx parameter"):

        class Lookup(Tool[Args, str]):
            def run(self, args: Args) -> str:  # type: ignore[override]
                return args.card


def _defaulted_ctx(self: Any, args: Args, ctx: Any = None) -> str:
    return "ok"


def _var_positional(self: Any, *rest: Any) -> str:
    return "ok"


def _extra_optional(self: Any, args: Args, ctx: Any, verbose: bool = False) -> str:
    return "ok"


def _sync(self: Any, args: Args, ctx: RunContext[Any]) -> str:
    return "ok"


@pytest.mark.parametrize(
    "run",
    [_arun, _sync, _defaulted_ctx, _var_positional, _extra_optional],
    ids=lambda f: f.__name__,
)
def test_every_run_that_works_today_is_still_accepted(run: Any) -> None:
    """Async or sync, with defaults, ``*args`` or optional extras: anything callable as run(self, args, ctx)."""
    outcome = anyio.run(_tool_class({"run": run})().invoke_json, '{"card": "4111"}')
    assert outcome.content == "ok"


def test_an_abstract_intermediate_base_may_leave_run_to_its_subclasses() -> None:
    """A base class without run (or with helpers of other shapes) is fine; its subclasses implement run."""

    class Billing(Tool[Args, str]):
        tags = ("billing",)

        def call(self, url: str) -> str:
            return url

    class Refund(Billing):
        """Refund a card."""

        async def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return self.call("refund")

    assert anyio.run(Refund().invoke_json, '{"card": "4111"}').content == "refund"
    with pytest.raises(TypeError, match="abstract"):
        Billing()  # type: ignore[abstract]


def test_a_base_declaring_its_own_abstract_methods_is_not_second_guessed() -> None:
    """A base that declares abstract methods of its own may name a helper execute(self, args, ctx)."""
    from abc import abstractmethod

    class Pipeline(Tool[Args, str]):
        @abstractmethod
        def step(self) -> str: ...

        def execute(self, args: Args, ctx: RunContext[Any]) -> str:
            return self.step()

    class Done(Pipeline):
        """Done."""

        def step(self) -> str:
            return "done"

        def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return self.execute(args, ctx)

    assert anyio.run(Done().invoke_json, '{"card": "4111"}').content == "done"


def test_an_inherited_run_is_not_checked_again() -> None:
    """A subclass that only changes settings inherits its parent's (valid) run."""

    class ChargeV2(Charge):
        """Charge a card, v2."""

        version = "2.0.0"

    assert ChargeV2().contract.version == "2.0.0"
