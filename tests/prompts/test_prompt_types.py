"""Static types users get from the prompt API, checked by ``mypy --strict`` and run by pytest.

``assert_type`` is a no-op at runtime, so every check below also runs as an ordinary test. Lines marked
``# type: ignore[...]`` are expected mypy errors: with ``warn_unused_ignores`` (part of ``--strict``), mypy fails if
such a line ever stops being an error.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict, assert_type

from agentkit.messages import Message
from agentkit.prompts import (
    NoVars,
    Prompt,
    PromptRegistry,
    PromptRenderError,
    PromptState,
    RenderedPrompt,
)


class SupportVars(BaseModel):
    customer_name: str
    vip: bool = False


class CartVars(TypedDict):
    shopper: str
    items: list[str]


support = Prompt("support", vars=SupportVars, system="Help {customer_name}.")
cart = Prompt("cart", vars=CartVars, user="{shopper}:{#each items as i} {i}{/each}")
plain = Prompt("plain", system="Be brief.")


def test_the_variables_type_is_inferred_from_vars() -> None:
    assert_type(support, Prompt[SupportVars])
    assert_type(cart, Prompt[CartVars])
    assert_type(plain, Prompt[NoVars])
    assert_type(support.vars_type, type[SupportVars])


def test_render_takes_the_variables_type() -> None:
    rendered = support.render(SupportVars(customer_name="Ada"))
    assert_type(rendered, RenderedPrompt)
    assert_type(rendered.messages, list[Message])
    assert_type(rendered.content_hash, str)
    assert rendered.messages[0].text == "Help Ada."


def test_typeddict_variables_are_checked_key_by_key() -> None:
    assert cart.render({"shopper": "Bo", "items": ["a"]}).messages[0].text == "Bo: a"
    with pytest.raises(PromptRenderError):
        cart.render({"shopper": "Bo"})  # type: ignore[typeddict-item]
    with pytest.raises(PromptRenderError):
        cart.render({"shopper": "Bo", "items": [], "extra": 1})  # type: ignore[typeddict-unknown-key]


def test_wrong_variables_type_is_a_type_error() -> None:
    with pytest.raises(PromptRenderError):
        support.render({"shopper": "Bo", "items": []})  # type: ignore[arg-type]
    with pytest.raises(PromptRenderError):
        support.render()  # type: ignore[call-arg]


def test_prompts_without_variables_render_without_arguments() -> None:
    assert_type(plain.render(), RenderedPrompt)
    assert_type(plain.render({}), RenderedPrompt)


def test_registry_keeps_the_type_through_register_and_get_with_vars() -> None:
    registry = PromptRegistry()
    registered = registry.register(support, activate=True)
    assert_type(registered, Prompt[SupportVars])
    fetched = registry.get("support", vars=SupportVars)
    assert_type(fetched, Prompt[SupportVars])
    assert_type(registry.get("support"), Prompt[Any])
    state = registry.state("support", "1.0.0")
    assert_type(state, PromptState)
    assert fetched.render(SupportVars(customer_name="Ada")).messages[0].text == "Help Ada."
