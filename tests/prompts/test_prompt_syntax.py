"""Template syntax: what compiles, and every definition error with its position and "did you mean"."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from agentkit.exceptions import UsageError
from agentkit.prompts import Prompt, PromptDefinitionError

from ._models import CartVars, SupportVars


def define(template: str, vars: Any = SupportVars) -> Prompt[Any]:
    return Prompt("support", vars=vars, system=template)


def definition_error(template: str, vars: Any = SupportVars) -> PromptDefinitionError:
    with pytest.raises(PromptDefinitionError) as info:
        define(template, vars)
    return info.value


def test_unknown_variable_fails_at_definition_with_did_you_mean() -> None:
    """A typo in a placeholder is caught when the prompt is created, with the closest declared name."""
    err = definition_error("Hello {custmer_name}")
    assert err.suggestions == ("customer_name",)
    assert err.prompt == "support"
    assert err.template == "system"
    assert (err.line, err.column) == (1, 7)
    assert str(err) == (
        "prompt 'support', system template, line 1, column 7: unknown variable 'custmer_name' in "
        "{custmer_name}; did you mean 'customer_name'?"
    )


def test_unknown_variable_without_close_match_has_no_suggestion() -> None:
    """A name nothing like a declared one gets no suggestion."""
    err = definition_error("{zzzzzz}")
    assert err.suggestions == ()
    assert "did you mean" not in str(err)


def test_position_counts_lines_and_columns_in_the_failing_template() -> None:
    """Line and column point at the offending brace, in the template that holds it."""
    with pytest.raises(PromptDefinitionError) as info:
        Prompt("p", vars=SupportVars, system="ok {customer_name}", user="line one\n  and {nope}")
    assert (info.value.template, info.value.line, info.value.column) == ("user", 2, 7)


def test_extra_message_templates_are_labelled_by_index() -> None:
    """Errors in extra message templates name them messages[i]."""
    with pytest.raises(PromptDefinitionError) as info:
        Prompt("p", vars=SupportVars, messages=[("user", "fine"), ("assistant", "{bad}")])
    assert info.value.template == "messages[1]"


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{customer_name.upper}", "attribute access is not allowed"),
        ("{customer_name.__class__}", "names starting with '_' are not allowed"),
        ("{tags[0]}", "index access is not allowed"),
        ("{meta['k']}", "index access is not allowed"),
        ("{customer_name:>10}", "format specs are not allowed"),
        ("{count:d}", "format specs are not allowed"),
        ("{customer_name!r}", "conversions such as '!r' are not allowed"),
        ("{customer_name!s:>3}", "conversions such as '!r' are not allowed"),
        ("{customer_name.strip()}", "calls are not allowed"),
        ("{len(tags)}", "calls are not allowed"),
        ("{count + 1}", "expressions are not allowed"),
        ("{vip or count}", "expressions are not allowed"),
        ("{__import__}", "names starting with '_' are not allowed"),
        ("{_private}", "names starting with '_' are not allowed"),
        ("{ customer_name }", "no spaces inside a placeholder; write {customer_name}"),
        ("{}", "empty placeholder {}"),
        ("{0}", "is not a placeholder"),
        ('{"json": true}', "is not a placeholder"),
        ("{class}", "expressions are not allowed"),
        ("{a.b.c}", "only one level of field access"),
        ("{#each orders as o}{o.id.upper}{/each}", "only one level of field access"),
        ("{#each orders as o}{o._secret}{/each}", "names starting with '_' are not allowed"),
    ],
)
def test_forbidden_placeholder_syntax_is_a_definition_error(template: str, fragment: str) -> None:
    """Attribute/index access, format specs, conversions, calls and expressions never compile."""
    assert fragment in str(definition_error(template))


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{#if vip}never closed", "section {#if vip} is never closed; add {/if}"),
        (
            "{#each orders as o}never closed",
            "section {#each orders as o} is never closed; add {/each}",
        ),
        ("{/if}", "{/if} closes a section that was never opened"),
        ("{/each}", "{/each} closes a section that was never opened"),
        ("{#if vip}{/each}", "{/each} cannot close {#if vip}"),
        ("{#each orders as o}{/if}", "{/if} cannot close {#each orders as o}"),
        ("{#if vip}{#each orders as o}{/if}{/each}", "{/if} cannot close {#each orders as o}"),
        ("{#else}", "{#else} outside an {#if} section"),
        ("{#each orders as o}{#else}{/each}", "{#else} outside an {#if} section"),
        ("{#if vip}a{#else}b{#else}c{/if}", "second {#else} in {#if vip}"),
        ("{#else now}", "write {#else} on its own"),
        ("{#if}{/if}", "a condition is one name"),
        ("{#if vip and count}{/if}", "no expressions"),
        ("{#if not}{/if}", "a condition is one name"),
        ("{#if count > 1}{/if}", "no expressions"),
        ("{#each orders}{/each}", "write {#each items as item}"),
        ("{#each orders in o}{/each}", "write {#each items as item}"),
        ("{#for x in orders}{/for}", "unknown section {#for x in orders}"),
        ("{/for}", "unknown closing tag {/for}"),
        (
            "{#each customer_name as c}{/each}",
            "needs a list, but 'customer_name' is declared as str",
        ),
        ("{#each meta as m}{/each}", "needs a list, but 'meta' is declared as dict"),
        ("{#each orders as vip}{/each}", "hides the declared variable"),
        ("{#each orders as o}{#each orders as o}{/each}{/each}", "already used by an enclosing"),
        ("{#each orders as _o}{/each}", "names starting with '_' are not allowed"),
        ("{#each orders as o.x}{/each}", "is not a plain name"),
        ("{#each orders as o}{/each}{o}", "unknown variable 'o'"),
        ("{#each tags as t}{t.upper}{/each}", "items of the loop are str"),
        ("{#each orders as o}{o.idd}{/each}", "Order has no field 'idd'"),
        ("{#if nope}{/if}", "unknown variable 'nope'"),
    ],
)
def test_malformed_sections_are_definition_errors(template: str, fragment: str) -> None:
    """Unbalanced, mismatched, unknown or ill-typed sections never compile."""
    assert fragment in str(definition_error(template))


def test_unknown_loop_field_suggests_the_declared_field() -> None:
    """A typo in a loop item's field gets a "did you mean" from the item's model."""
    assert definition_error("{#each orders as o}{o.totl}{/each}").suggestions == ("total",)


def test_typeddict_loop_fields_are_checked_too() -> None:
    """Fields of TypedDict items are checked at definition time, NotRequired keys included."""
    define("{#each lines as line}{line.sku} {line.note}{/each}", CartVars)
    err = definition_error("{#each lines as line}{line.skuu}{/each}", CartVars)
    assert err.suggestions == ("sku",)


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("a } b", "single '}' outside a placeholder"),
        ("a { b", "'{' is never closed"),
        ("{customer_name", "'{' is never closed"),
        ("{customer_name{vip}}", "'{' is never closed"),
        ("{customer_name}}", "single '}' outside a placeholder"),
        ("}}}", "single '}' outside a placeholder"),
    ],
)
def test_stray_braces_are_definition_errors(template: str, fragment: str) -> None:
    """A lone brace is an error that says how to escape it."""
    message = str(definition_error(template))
    assert fragment in message
    assert "write {{ and }} for literal braces" in message


def test_loop_variable_names_may_be_reused_by_sibling_loops() -> None:
    """Two loops one after the other may use the same loop variable name."""
    define("{#each orders as o}{o.id}{/each}{#each tags as o}{o}{/each}")


def test_fields_of_untyped_items_are_checked_at_render_time_only() -> None:
    """Items typed as dict or Any allow any field name at definition time."""

    class Loose(BaseModel):
        rows: list[dict[str, Any]]
        things: list[Any]

    define("{#each rows as r}{r.anything}{/each}{#each things as t}{t.x}{/each}", Loose)


def test_a_prompt_needs_a_template() -> None:
    """Without any template there is nothing to render."""
    with pytest.raises(PromptDefinitionError, match="at least one template"):
        Prompt("empty")


@pytest.mark.parametrize("name", ["", "has space", "x" * 129, "ünïcode", "a/b"])
def test_invalid_names_are_rejected(name: str) -> None:
    """Prompt names use the same alphabet as tool names."""
    with pytest.raises(PromptDefinitionError, match="prompt name"):
        Prompt(name, system="x")


@pytest.mark.parametrize("version", ["1", "1.0", "v1.0.0", "1.0.0.0", "latest"])
def test_invalid_versions_are_rejected(version: str) -> None:
    """Versions must be semver."""
    with pytest.raises(PromptDefinitionError, match="not a semantic version") as info:
        Prompt("p", system="x", version=version)
    assert info.value.prompt == "p"


def test_tags_must_not_be_a_bare_string() -> None:
    """tags="x" is a bug (it would be the tags 'x' split into characters); it is refused."""
    with pytest.raises(PromptDefinitionError, match=r"write tags=\['support'\]"):
        Prompt("p", system="x", tags="support")


@pytest.mark.parametrize("bad", [dict, int, "SupportVars", SupportVars(customer_name="x")])
def test_vars_must_be_a_model_or_typeddict_class(bad: Any) -> None:
    """Anything but a pydantic model class or TypedDict class is refused."""
    with pytest.raises(PromptDefinitionError, match="pydantic model class or a TypedDict class"):
        Prompt("p", vars=bad, system="x")


def test_pydantic_refusing_the_typeddict_is_a_definition_error() -> None:
    """typing.TypedDict on Python < 3.12 is refused by pydantic; the error says so as a PromptDefinitionError."""
    import sys
    import typing

    class Plain(typing.TypedDict):
        a: str

    if sys.version_info >= (3, 12):
        define("{a}", Plain)
    else:
        assert "typing_extensions.TypedDict" in str(definition_error("{a}", Plain))


@pytest.mark.parametrize(
    "messages",
    [[("tool", "x")], [("user",)], ["user: hi"], [("user", "a", "b")]],
)
def test_extra_messages_must_be_role_template_pairs(messages: Any) -> None:
    """Extra messages are (role, template) pairs with a system, user or assistant role."""
    with pytest.raises(
        PromptDefinitionError, match=r"messages\[0\] must be a \(role, template\) pair"
    ):
        Prompt("p", messages=messages)


def test_templates_must_be_strings() -> None:
    """A template that is not a str is refused with its label."""
    with pytest.raises(PromptDefinitionError, match="the system template must be a str, got int"):
        Prompt("p", system=42)  # type: ignore[call-overload]


def test_definition_errors_are_usage_errors_and_pickle() -> None:
    """PromptDefinitionError is a UsageError and survives pickle with every field."""
    err = definition_error("{custmer_name}")
    assert isinstance(err, UsageError)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is PromptDefinitionError
    assert str(clone) == str(err)
    assert (clone.prompt, clone.template, clone.line, clone.column, clone.suggestions) == (
        "support",
        "system",
        1,
        1,
        ("customer_name",),
    )


def test_empty_typeddict_vars_declare_nothing() -> None:
    """A TypedDict without keys is a valid variables type; any placeholder is then unknown."""

    class Empty(TypedDict):
        pass

    assert Prompt("p", vars=Empty, system="static").variables == ()
    assert "unknown variable 'x'" in str(definition_error("{x}", Empty))
