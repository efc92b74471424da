"""Issue 11's dialect wire defects, each pinned by a test built from the provider's documented schema rules.

Sources: OpenAI's ``invalid_function_parameters`` answers ("object schema missing properties", "array schema
missing items"), Gemini's ``Schema`` object (no null default), and the dialects guide's promise that tagged
unions lose nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit import ToolContract, tool
from agentkit.messages import Message
from agentkit.providers import ModelProfile, ModelRequest
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.providers.openai_responses import OpenAIResponsesProvider
from agentkit.tools.dialects import get_dialect

KEY = "sk-test-key-123456"
CLOCK = ToolContract(name="clock", description="The time.", input_schema={"type": "object"})


# ------------------------------------------------------------------------- 1. OpenAI object and array shapes


@pytest.mark.parametrize("dialect", ["openai", "openai-auto"])
def test_openai_loose_schemas_get_properties_and_items(dialect: str) -> None:
    """A no-argument object (MCP style) and an array without items go out as ``properties: {}`` / ``items: {}``.

    OpenAI answers both with ``invalid_function_parameters`` ("object schema missing properties", "array schema
    missing items"; reported e.g. in fast-agent#143 and aichat#1049).
    """
    raw = ToolContract(
        name="tag",
        description="Tag things.",
        input_schema={
            "type": "object",
            "properties": {"labels": {"type": "array"}, "extra": {"type": ["object", "null"]}},
        },
    )
    provider = OpenAIChatProvider("gpt-4.1", api_key=KEY, profile=ModelProfile(dialect=dialect))
    body, _ = provider.build_body(ModelRequest(messages=[Message.user("x")], tools=[CLOCK, raw]))
    clock, tag = (t["function"]["parameters"] for t in body["tools"])
    assert clock == {"type": "object", "properties": {}}
    assert tag["properties"]["labels"] == {"type": "array", "items": {}}
    assert tag["properties"]["extra"] == {"type": ["object", "null"], "properties": {}}
    responses = OpenAIResponsesProvider(
        "gpt-4.1", api_key=KEY, profile=ModelProfile(dialect=dialect, system_role="top-level")
    )
    rbody, _ = responses.build_body(ModelRequest(messages=[Message.user("x")], tools=[CLOCK]))
    assert rbody["tools"][0]["parameters"] == {"type": "object", "properties": {}}


def test_gemini_schemas_send_no_null_default() -> None:
    """An optional field's ``"default": null`` is left out of Gemini schemas (``nullable`` already says it)."""

    @tool
    def note(text: str, tag: str | None = None) -> str:
        """Take a note."""
        return text

    schema = get_dialect("gemini").compile(note.contract).schema
    assert "default" not in json.dumps(schema)
    assert schema["properties"]["tag"] == {"type": "STRING", "nullable": True}


# ------------------------------------------------------------------------- 7. tagged unions with a defaulted tag


_PET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pet": {
            "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
            "discriminator": {"propertyName": "kind"},
        }
    },
    "required": ["pet"],
    "$defs": {
        "Cat": {
            "type": "object",
            "properties": {
                "kind": {"const": "cat", "default": "cat"},
                "lives": {"type": "integer"},
            },
            "required": ["lives"],
        },
        "Dog": {
            "type": "object",
            "properties": {"kind": {"const": "dog", "default": "dog"}, "breed": {"type": "string"}},
            "required": ["breed"],
        },
    },
}


@pytest.mark.parametrize("dialect", ["anthropic-strict", "gemini"])
def test_tagged_union_keeps_a_defaulted_tag_required(dialect: str) -> None:
    """The tag of a tagged union stays required in every branch, even when it has a default."""
    contract = ToolContract(name="adopt", description="Adopt a pet.", input_schema=_PET_SCHEMA)
    compiled = get_dialect(dialect).compile(contract)
    schema = compiled.schema
    pet = schema["properties"]["pet"]
    branches = [
        schema["$defs"][b["$ref"].rsplit("/", 1)[-1]] if "$ref" in b else b for b in pet["anyOf"]
    ]
    assert [("kind" in b["required"]) for b in branches] == [True, True]
    assert not [w for w in compiled.warnings if w.code == "tag-optional"]
    assert compiled.decode({"pet": {"kind": "dog", "breed": "corgi"}}) == {
        "pet": {"kind": "dog", "breed": "corgi"}
    }
