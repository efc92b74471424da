"""Rendering: values, sections, escaping, injection, render errors and the content hash."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from agentkit.exceptions import UsageError
from agentkit.messages import Message
from agentkit.prompts import (
    Prompt,
    PromptRenderError,
    PromptVariableIssue,
    RenderedPrompt,
    content_hash,
)

from ._models import CartVars, Order, SupportVars, Tier


def text(template: str, vars: Any, vars_type: Any = SupportVars) -> str:
    return Prompt("p", vars=vars_type, user=template).render(vars).messages[0].text


def ada(**fields: Any) -> SupportVars:
    return SupportVars(customer_name="Ada", **fields)


# ------------------------------------------------------------------------------------------ basics


def test_render_returns_messages_in_order_with_name_version_and_hash() -> None:
    """System first, then extra messages, then user; the result names the prompt, version and hash."""
    prompt = Prompt(
        "support",
        vars=SupportVars,
        version="2.1.0",
        system="You help {customer_name}.",
        messages=[("user", "Example question"), ("assistant", "Example answer")],
        user="Question from {customer_name}",
    )
    rendered = prompt.render(ada())
    assert [(m.role, m.text) for m in rendered.messages] == [
        ("system", "You help Ada."),
        ("user", "Example question"),
        ("assistant", "Example answer"),
        ("user", "Question from Ada"),
    ]
    assert (rendered.name, rendered.version, rendered.content_hash) == (
        "support",
        "2.1.0",
        prompt.content_hash,
    )
    assert rendered.messages[0] == Message.system("You help Ada.")


def test_rendered_prompt_round_trips_through_json() -> None:
    """A RenderedPrompt can be stored and read back."""
    rendered = Prompt("p", vars=SupportVars, user="Hi {customer_name}").render(ada())
    assert RenderedPrompt.model_validate_json(rendered.model_dump_json()) == rendered


def test_a_dict_is_accepted_for_a_model_prompt_and_validated() -> None:
    """At runtime a dict works too; it is validated into the model first."""
    assert text("{customer_name} {count}", {"customer_name": "Ada", "count": "3"}) == "Ada 3"


def test_prompt_without_variables_renders_with_or_without_an_empty_dict() -> None:
    """A Prompt without vars renders with no argument or {}."""
    prompt = Prompt("plain", system="Static {{text}}")
    assert prompt.render().messages[0].text == "Static {text}"
    assert prompt.render({}).messages[0].text == "Static {text}"
    assert prompt.variables == ()


def test_metadata_is_exposed_read_only() -> None:
    """Name, version, description, tags, vars type and templates are available and cannot be reassigned."""
    prompt = Prompt(
        "p",
        vars=SupportVars,
        system="s",
        user="u",
        version="1.2.3",
        description="Support.",
        tags=["b", "a", "b"],
    )
    assert (prompt.name, prompt.version, prompt.description, prompt.tags) == (
        "p",
        "1.2.3",
        "Support.",
        ("a", "b"),
    )
    assert prompt.vars_type is SupportVars
    assert prompt.semver.minor == 2
    assert [tuple(t) for t in prompt.templates] == [("system", "s"), ("user", "u")]
    assert prompt.variables[:3] == ("customer_name", "vip", "orders")
    assert repr(prompt).startswith("Prompt('p', version='1.2.3', content_hash='sha256:")
    with pytest.raises(AttributeError):
        prompt.name = "q"  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("fields", "template", "expected"),
    [
        ({"count": 42}, "{count}", "42"),
        ({"vip": True}, "{vip}", "True"),
        ({"vip": False}, "{vip}", "False"),
        ({"since": date(2026, 3, 1)}, "{since}", "2026-03-01"),
        ({"since": None}, "[{since}]", "[]"),
        ({"tier": Tier.GOLD}, "{tier}", "gold"),
        ({"tags": ["a", "b"]}, "{tags}", '["a","b"]'),
        ({"meta": {"k": 1, "é": 2}}, "{meta}", '{"k":1,"é":2}'),
        ({"orders": [Order(id="A", total=1.5)]}, "{orders}", '[{"id":"A","total":1.5,"lines":[]}]'),
    ],
)
def test_values_are_converted_as_documented(
    fields: dict[str, Any], template: str, expected: str
) -> None:
    """str() for scalars and dates, nothing for None, enum values, compact JSON for lists, dicts and models."""
    assert text(template, ada(**fields)) == expected


def test_floats_use_str() -> None:
    """Floats render with str(), as Python prints them."""

    class Price(BaseModel):
        amount: float

    assert text("{amount}", Price(amount=0.1), Price) == "0.1"


def test_sets_render_sorted_so_output_is_deterministic() -> None:
    """A set renders as a sorted JSON list (mixed types by their repr), whatever the hash seed."""

    class Labels(BaseModel):
        labels: set[str]
        mixed: frozenset[Any]

    rendered = text(
        "{labels} {mixed}", Labels(labels={"c", "a", "b"}, mixed=frozenset({1, "x"})), Labels
    )
    assert rendered == '["a","b","c"] ["x",1]'


# ------------------------------------------------------------------------------------------ sections


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"vip": True}, "VIP"), ({"vip": False}, "regular")],
)
def test_if_else(fields: dict[str, Any], expected: str) -> None:
    """{#if} renders its body when the value is truthy, {#else} otherwise."""
    assert text("{#if vip}VIP{#else}regular{/if}", ada(**fields)) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"vip": True}, "<>"), ({"vip": False}, "<not vip>")],
)
def test_if_not(fields: dict[str, Any], expected: str) -> None:
    """{#if not} negates the test."""
    assert text("<{#if not vip}not vip{/if}>", ada(**fields)) == expected


@pytest.mark.parametrize(
    ("fields", "truthy"),
    [
        ({"count": 0}, False),
        ({"count": 2}, True),
        ({"tags": []}, False),
        ({"tags": ["x"]}, True),
        ({"meta": {}}, False),
        ({"since": None}, False),
        ({"since": date(2026, 1, 1)}, True),
        ({"orders": [Order(id="A", total=0)]}, True),
    ],
)
def test_truthiness(fields: dict[str, Any], truthy: bool) -> None:
    """None, False, 0, "" and empty collections are false; anything present is true."""
    name = next(iter(fields))
    assert text(f"{{#if {name}}}yes{{#else}}no{{/if}}", ada(**fields)) == (
        "yes" if truthy else "no"
    )


def test_empty_string_is_false() -> None:
    """An empty string is false."""
    assert (
        text("{#if customer_name}named{#else}anonymous{/if}", SupportVars(customer_name=""))
        == "anonymous"
    )


def test_each_over_plain_values() -> None:
    """{#each} repeats its body for every element, binding the loop variable."""
    assert text("{#each tags as t}[{t}]{/each}", ada(tags=["a", "b", "c"])) == "[a][b][c]"


def test_each_over_an_empty_list_renders_nothing_and_else_branches_work_around_it() -> None:
    """An empty list renders no iteration; an {#if} around it can say so."""
    template = "{#if orders}Orders:{#each orders as o} {o.id}{/each}{#else}No orders.{/if}"
    assert text(template, ada()) == "No orders."
    assert text("<{#each tags as t}{t}{/each}>", ada()) == "<>"


def test_each_with_one_level_of_field_access_and_nested_sections() -> None:
    """Loop items expose their fields; loops and conditionals nest to any depth of the template."""
    template = (
        "{#each orders as o}"
        "{o.id}={o.total}"
        "{#if o.lines}:{#each o.lines as line}{#if vip}*{/if}{line};{/each}{#else}:none{/if}"
        "\n{/each}"
    )
    orders = [Order(id="A", total=2.5, lines=["x", "y"]), Order(id="B", total=3)]
    assert text(template, ada(orders=orders, vip=True)) == "A=2.5:*x;*y;\nB=3.0:none\n"


def test_nested_loops_see_outer_loop_variables() -> None:
    """An inner loop can use the outer loop's variable."""
    orders = [Order(id="A", total=1, lines=["x", "y"]), Order(id="B", total=1, lines=["z"])]
    assert text(
        "{#each orders as o}{#each o.lines as l}{o.id}{l} {/each}{/each}", ada(orders=orders)
    ) == ("Ax Ay Bz ")


def test_typeddict_items_and_not_required_keys() -> None:
    """TypedDict items are read by key; a NotRequired key that is absent renders as nothing."""
    cart: CartVars = {
        "shopper": "Bo",
        "lines": [{"sku": "S1", "qty": 2, "note": "gift"}, {"sku": "S2", "qty": 1}],
    }
    template = "{shopper}{#if coupon} ({coupon}){/if}:{#each lines as l} {l.sku}x{l.qty}{#if l.note} [{l.note}]{/if}{/each}"
    assert text(template, cart, CartVars) == "Bo: S1x2 [gift] S2x1"


def test_dict_items_with_a_missing_key_are_a_render_error() -> None:
    """Items typed as plain dicts must have the key a template reads."""

    class Rows(BaseModel):
        rows: list[dict[str, Any]]

    assert text("{#each rows as r}{r.a}{/each}", Rows(rows=[{"a": 1}, {"a": 2}]), Rows) == "12"
    with pytest.raises(PromptRenderError) as info:
        text("{#each rows as r}{r.a}{/each}", Rows(rows=[{"b": 1}]), Rows)
    assert info.value.issues == (PromptVariableIssue("r.a", "is not a key of the item"),)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([1], "cannot be read: the item is int"),
        ([Order(id="A", total=1)], "is not a field of Order"),
    ],
)
def test_field_access_on_an_unsuitable_item_is_a_render_error(value: Any, problem: str) -> None:
    """Only model fields and dict keys can be read; nothing else on the object is reachable."""

    class Things(BaseModel):
        things: list[Any]

    with pytest.raises(PromptRenderError, match=problem):
        text("{#each things as t}{t.model_config}{/each}", Things(things=value), Things)


def test_each_over_something_that_is_not_a_list_is_a_render_error() -> None:
    """A loose-typed variable that turns out not to be a list fails before any output is produced."""

    class Loose(BaseModel):
        items: Any

    assert text("{#each items as i}{i}{/each}", Loose(items=("a", "b")), Loose) == "ab"
    assert text("{#each items as i}{i}{/each}", Loose(items=None), Loose) == ""
    assert text("{#each items as i}{i}{/each}", Loose(items={2, 1}), Loose) == "12"
    for bad, kind in [("abc", "str"), ({"a": 1}, "dict"), (5, "int")]:
        with pytest.raises(
            PromptRenderError, match=f"variable 'items' must be a list for {{#each}}, got {kind}"
        ):
            text("{#each items as i}{i}{/each}", Loose(items=bad), Loose)


def test_escaped_braces_render_literally() -> None:
    """{{ and }} are literal braces, also next to placeholders and inside sections."""
    template = '{{"name": "{customer_name}"}} {#if vip}{{vip}}{/if}'
    assert text(template, ada(vip=True)) == '{"name": "Ada"} {vip}'
    assert text("{{{{}}}}", ada()) == "{{}}"


def test_multiline_templates_keep_their_text_exactly() -> None:
    """Whitespace and newlines around sections are kept as written."""
    template = "Orders:\n{#each tags as t}  - {t}\n{/each}End"
    assert text(template, ada(tags=["a", "b"])) == "Orders:\n  - a\n  - b\nEnd"


# ------------------------------------------------------------------------------------------ injection


@pytest.mark.parametrize(
    "value",
    [
        "{count}",
        "{#if vip}leak{/if}",
        "{#each tags as t}{t}{/each}",
        "{{",
        "}",
        "{__class__.__mro__}",
        "{customer_name!r:>99}",
        "{/if}{/each}",
    ],
)
def test_values_that_look_like_template_syntax_render_literally(value: str) -> None:
    """A value is inserted as text and never parsed again."""
    vars = ada(tags=[value], vip=True, count=7)
    vars = vars.model_copy(update={"customer_name": value})
    assert text("<{customer_name}>", vars) == f"<{value}>"
    assert text("{#each tags as t}<{t}>{/each}", vars) == f"<{value}>"


@given(st.text())
def test_arbitrary_text_values_render_verbatim(value: str) -> None:
    """Any string value appears in the output exactly as given, between the template's own text."""
    prompt = Prompt("p", vars=SupportVars, user="[{customer_name}]{#each tags as t}({t}){/each}")
    rendered = prompt.render(SupportVars(customer_name=value, tags=[value, value]))
    assert rendered.messages[0].text == f"[{value}]({value})({value})"


# ------------------------------------------------------------------------------------------ render errors


def test_missing_variable_names_the_variable_and_the_prompt() -> None:
    """A missing required variable is a PromptRenderError before anything is rendered."""
    prompt = Prompt("support", vars=SupportVars, version="1.0.0", user="{customer_name}")
    with pytest.raises(PromptRenderError) as info:
        prompt.render({"vip": True})  # type: ignore[arg-type]
    err = info.value
    assert err.prompt == "support"
    assert err.version == "1.0.0"
    assert err.variables == ("customer_name",)
    assert str(err) == "cannot render prompt 'support' 1.0.0: variable 'customer_name' is missing"
    assert isinstance(err, UsageError)


def test_wrong_type_lists_every_problem_with_its_path_and_never_the_value() -> None:
    """Every bad variable is listed with its path; the values (maybe sensitive) are not."""
    prompt = Prompt("support", vars=SupportVars, user="{customer_name}")
    secret = "SECRET-4111111111111111"
    with pytest.raises(PromptRenderError) as info:
        prompt.render({"customer_name": 5, "count": secret, "orders": [{"id": secret}]})  # type: ignore[arg-type]
    err = info.value
    assert err.variables == ("customer_name", "orders[0].total", "count")
    assert err.issues[2] == PromptVariableIssue(
        "count", "is invalid: Input should be a valid integer, unable to parse string as an integer"
    )
    assert err.issues[1].problem == "is missing"
    assert secret not in str(err)
    assert secret not in repr(err.issues)


def test_undeclared_variable_is_a_render_error_with_did_you_mean() -> None:
    """A key the variables type does not declare is refused (TypedDicts always, models with extra='forbid')."""
    with pytest.raises(PromptRenderError) as info:
        text("{customer_name}", {"customer_name": "Ada", "vipp": True})
    assert info.value.issues == (
        PromptVariableIssue("vipp", "is not declared by SupportVars; did you mean 'vip'?"),
    )
    with pytest.raises(PromptRenderError) as info:
        text("{shopper}", {"shopper": "Bo", "lines": [], "copon": "X"}, CartVars)
    assert info.value.issues == (
        PromptVariableIssue("copon", "is not declared by CartVars; did you mean 'coupon'?"),
    )


def test_typeddict_vars_are_validated() -> None:
    """TypedDicts are plain dicts at runtime, so pydantic validation is what catches wrong values."""
    with pytest.raises(PromptRenderError) as info:
        text("{shopper}", {"shopper": "Bo", "lines": [{"sku": "S", "qty": "two"}]}, CartVars)
    assert info.value.variables == ("lines[0].qty",)


@pytest.mark.parametrize("bad", ["Ada", 42, ["customer_name"], None])
def test_variables_of_the_wrong_kind_report_only_their_type(bad: Any) -> None:
    """Passing something that is not the model or a dict says what was expected and what type came."""
    prompt = Prompt("support", vars=SupportVars, user="{customer_name}")
    with pytest.raises(PromptRenderError) as info:
        prompt.render(bad)
    if bad is None:  # None means "no variables": the required one is missing
        assert info.value.variables == ("customer_name",)
    else:
        assert str(info.value) == (
            f"cannot render prompt 'support' 1.0.0: variables must be a SupportVars or a dict, got {type(bad).__name__}"
        )


def test_render_errors_pickle_with_their_issues() -> None:
    """PromptRenderError survives pickle with typed issues."""
    with pytest.raises(PromptRenderError) as info:
        text("{customer_name}", {})
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is PromptRenderError
    assert clone.issues == info.value.issues
    assert isinstance(clone.issues[0], PromptVariableIssue)
    assert str(clone) == str(info.value)


# ------------------------------------------------------------------------------------------ content hash

FIXED = {
    "name": "support",
    "vars": SupportVars,
    "version": "1.2.0",
    "system": "You help {customer_name}.{#if vip} Be kind.{/if}",
    "user": "Orders:{#each orders as o} {o.id}{/each}",
}
FIXED_HASH = "sha256:1415f7735a1222ea878d1bcece207c6c802a40f1c42ce9bb7d8ff72319a949fe"


def test_content_hash_is_the_documented_sha256() -> None:
    """The hash is sha256 over the canonical JSON of format, name, version and templates in rendering order."""
    prompt = Prompt(**FIXED)
    canonical = json.dumps(
        {
            "format": 1,
            "messages": [
                {"role": "system", "template": FIXED["system"]},
                {"role": "user", "template": FIXED["user"]},
            ],
            "name": "support",
            "version": "1.2.0",
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    import hashlib

    assert prompt.content_hash == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    assert prompt.content_hash == content_hash("support", "1.2.0", prompt.templates)


def test_content_hash_is_pinned() -> None:
    """The hash of a fixed prompt never changes between releases (it is stored in event logs)."""
    assert Prompt(**FIXED).content_hash == FIXED_HASH


def test_content_hash_is_identical_in_another_process() -> None:
    """A fresh interpreter with a different hash seed computes the same hash."""
    code = (
        "from agentkit.prompts import Prompt;"
        "print(Prompt('support', version='1.2.0', system='You help.', user='Hi').content_hash)"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {
        Prompt("support", version="1.2.0", system="You help.", user="Hi").content_hash + "\n"
    }


@pytest.mark.parametrize(
    "change",
    [
        {"name": "support2"},
        {"version": "1.2.1"},
        {"system": "You help {customer_name}!"},
        {"user": None, "messages": [("assistant", FIXED["user"])]},
    ],
)
def test_content_hash_changes_with_what_the_model_reads(change: dict[str, Any]) -> None:
    """Name, version, any template text or a role change the hash."""
    assert Prompt(**{**FIXED, **change}).content_hash != FIXED_HASH


def test_content_hash_ignores_metadata_the_model_never_sees() -> None:
    """Description, tags, the variables type and where a user template is declared do not change the hash."""

    class Other(BaseModel):
        customer_name: str
        vip: bool
        orders: list[Order]

    same = Prompt(**{**FIXED, "vars": Other}, description="d", tags=["t"])
    assert same.content_hash == Prompt(**FIXED).content_hash
    moved = Prompt(**{**FIXED, "user": None, "messages": [("user", FIXED["user"])]})
    assert moved.content_hash == FIXED_HASH
