"""``JsonSchemaTool``: raw JSON Schema tools validated with jsonschema, with the same repair hints."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit import JsonSchemaTool, RunContext
from agentkit.events import ToolArgumentsRejected, ToolCallStarted
from agentkit.exceptions import InvalidToolArguments, ToolDefinitionError
from agentkit.tools import MASK

CANARY = "CANARY-b7e1-never-echo"

WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "api_key": {"type": "string", "minLength": 64},
        "options": {
            "type": "object",
            "properties": {"hourly": {"type": "boolean"}},
            "additionalProperties": False,
        },
    },
    "required": ["city"],
    "additionalProperties": False,
}


def _weather(**options: Any) -> tuple[JsonSchemaTool, list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def handler(arguments: dict[str, Any], ctx: RunContext[Any]) -> dict[str, Any]:
        calls.append(arguments)
        return {"city": arguments["city"], "temp": 21}

    tool = JsonSchemaTool(
        name="weather",
        description="Weather for a city.",
        input_schema=WEATHER_SCHEMA,
        handler=handler,
        sensitive=["/api_key"],
        **options,
    )
    return tool, calls


def _issues(content: str) -> list[dict[str, Any]]:
    payload = json.loads(content)
    assert payload["error"] == "invalid_arguments"
    return payload["issues"]  # type: ignore[no-any-return]


def test_contract_carries_the_schema_verbatim() -> None:
    tool, _ = _weather(version="1.4.0", tags=["weather"])
    assert tool.contract.input_schema == WEATHER_SCHEMA
    assert tool.contract.description == "Weather for a city."
    assert tool.contract.version == "1.4.0"
    assert tool.contract.sensitive == ("/api_key",)
    assert tool.name == "weather"


@pytest.mark.anyio
async def test_valid_call_reaches_the_handler_as_a_dict() -> None:
    tool, calls = _weather()
    outcome = await tool.invoke_json('{"city": "Lisbon", "days": 2}')
    assert outcome.ok
    assert outcome.content == '{"city":"Lisbon","temp":21}'
    assert calls == [{"city": "Lisbon", "days": 2}]


@pytest.mark.anyio
async def test_async_handlers_and_decoded_mappings_work() -> None:
    async def handler(arguments: dict[str, Any], ctx: RunContext[Any]) -> str:
        return f"hello {arguments['name']} from {ctx.deps}"

    tool = JsonSchemaTool(
        name="hello",
        input_schema={"type": "object", "properties": {"name": {"type": "string"}}},
        handler=handler,
    )
    assert (
        await tool.invoke({"name": "Ada"}, RunContext(deps="test"))
    ).content == "hello Ada from test"
    assert (await tool.invoke({"name": 1})).status == "invalid_arguments"


@pytest.mark.anyio
async def test_missing_required_field() -> None:
    tool, calls = _weather()
    outcome = await tool.invoke_json("{}")
    assert outcome.status == "invalid_arguments"
    assert _issues(outcome.content) == [
        {"path": "city", "problem": "missing", "message": "Field required", "expected": "string"}
    ]
    assert isinstance(outcome.error, InvalidToolArguments)
    assert calls == []


@pytest.mark.anyio
async def test_unknown_field_gets_did_you_mean() -> None:
    tool, _ = _weather()
    issues = _issues((await tool.invoke_json('{"city": "x", "unti": "celsius"}')).content)
    assert issues == [
        {
            "path": "unti",
            "problem": "unknown_field",
            "message": "Extra inputs are not permitted",
            "did_you_mean": "unit",
        }
    ]


@pytest.mark.anyio
async def test_unknown_nested_field_gets_did_you_mean() -> None:
    tool, _ = _weather()
    issues = _issues((await tool.invoke_json('{"city": "x", "options": {"hourli": true}}')).content)
    assert issues[0]["path"] == "options.hourli"
    assert issues[0]["did_you_mean"] == "hourly"


@pytest.mark.anyio
async def test_unknown_field_without_a_close_match_lists_the_fields() -> None:
    tool, _ = _weather()
    issues = _issues((await tool.invoke_json('{"city": "x", "zzz": 1}')).content)
    assert "did_you_mean" not in issues[0]
    assert issues[0]["expected"] == "one of the fields city, unit, days, api_key, options"


@pytest.mark.anyio
async def test_wrong_type_says_what_was_expected_and_got() -> None:
    tool, _ = _weather()
    issues = _issues((await tool.invoke_json('{"city": 7}')).content)
    assert issues == [
        {
            "path": "city",
            "problem": "wrong_type",
            "message": "7 is not of type 'string'",
            "expected": "string",
            "got": 7,
        }
    ]


@pytest.mark.anyio
async def test_enum_violation_gets_did_you_mean() -> None:
    tool, _ = _weather()
    (issue,) = _issues((await tool.invoke_json('{"city": "x", "unit": "celsus"}')).content)
    assert issue["problem"] == "not_allowed"
    assert issue["expected"] == "one of 'celsius', 'fahrenheit'"
    assert issue["did_you_mean"] == "celsius"
    assert issue["got"] == "celsus"


@pytest.mark.anyio
async def test_range_violation_states_the_range() -> None:
    tool, _ = _weather()
    (issue,) = _issues((await tool.invoke_json('{"city": "x", "days": 9}')).content)
    assert issue["problem"] == "out_of_range"
    assert issue["expected"] == "integer >= 1, <= 7"


@pytest.mark.anyio
@pytest.mark.parametrize("raw", ['{"city": "x"', "nope", '{"city": "x",}'])
async def test_malformed_json_is_reported_as_invalid_json(raw: str) -> None:
    tool, calls = _weather()
    outcome = await tool.invoke_json(raw)
    (issue,) = _issues(outcome.content)
    assert issue["problem"] == "invalid_json"
    assert issue["expected"] == "a JSON object"
    assert calls == []


@pytest.mark.anyio
async def test_non_object_payload_is_a_wrong_type() -> None:
    tool, _ = _weather()
    (issue,) = _issues((await tool.invoke_json("[1, 2]")).content)
    assert (issue["path"], issue["problem"], issue["expected"]) == ("", "wrong_type", "object")


@pytest.mark.anyio
@pytest.mark.parametrize("raw", ["", "null", "{}", b"", b"null"])
async def test_tools_without_required_fields_accept_empty_and_null(raw: str | bytes) -> None:
    tool = JsonSchemaTool(
        name="now",
        input_schema={"type": "object", "properties": {"tz": {"type": "string"}}},
        handler=lambda arguments, ctx: arguments,
    )
    outcome = await tool.invoke_json(raw)
    assert outcome.ok, outcome.content
    assert outcome.content == "{}"


@pytest.mark.anyio
async def test_sensitive_values_are_not_echoed() -> None:
    tool, _ = _weather()
    ctx = RunContext.new(run_id="r", events=True)
    outcome = await tool.invoke_json(json.dumps({"city": "x", "api_key": CANARY}), ctx)
    (issue,) = _issues(outcome.content)
    assert issue["path"] == "api_key"
    assert "got" not in issue
    assert CANARY not in outcome.content
    assert CANARY not in str(outcome.error)
    assert ctx.events is not None
    assert all(CANARY not in e.model_dump_json() for e in ctx.events.events)
    assert isinstance(ctx.events.events[0], ToolArgumentsRejected)


@pytest.mark.anyio
async def test_sensitive_values_are_masked_in_started_events() -> None:
    tool, calls = _weather()
    ctx = RunContext.new(run_id="r", events=True)
    key = CANARY * 4
    outcome = await tool.invoke_json(json.dumps({"city": "x", "api_key": key}), ctx)
    assert outcome.ok
    assert calls[0]["api_key"] == key
    assert ctx.events is not None
    started = ctx.events.events[0]
    assert isinstance(started, ToolCallStarted)
    assert started.arguments == {"city": "x", "api_key": MASK}
    assert all(CANARY not in e.model_dump_json() for e in ctx.events.events)


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        ({"type": "objekt"}, "input_schema is not a valid JSON Schema at type"),
        (
            {"type": "object", "properties": {"a": {"type": 5}}},
            "input_schema is not a valid JSON Schema at properties/a/type",
        ),
        ({"type": "object", "required": "city"}, "not a valid JSON Schema at required"),
        ({"type": "string"}, "must describe a JSON object"),
        ([{"type": "object"}], "must be a JSON object"),
    ],
    ids=["bad-type", "bad-nested-type", "bad-required", "not-object", "not-dict"],
)
def test_invalid_schemas_are_rejected_at_definition(schema: Any, match: str) -> None:
    with pytest.raises(ToolDefinitionError, match=match) as info:
        JsonSchemaTool(name="bad", input_schema=schema, handler=lambda a, c: None)
    assert info.value.tool_name == "bad"


def test_invalid_output_schema_is_rejected_too() -> None:
    with pytest.raises(ToolDefinitionError, match="output_schema is not a valid JSON Schema"):
        JsonSchemaTool(
            name="bad",
            input_schema={"type": "object"},
            output_schema={"type": "nothing"},
            handler=lambda a, c: None,
        )


def test_handler_must_be_callable() -> None:
    with pytest.raises(ToolDefinitionError, match=r"handler must be callable"):
        JsonSchemaTool(name="bad", input_schema={"type": "object"}, handler="nope")  # type: ignore[arg-type]


def test_bad_name_is_rejected() -> None:
    with pytest.raises(ToolDefinitionError, match="tool name 'has space' is not valid"):
        JsonSchemaTool(name="has space", input_schema={"type": "object"}, handler=lambda a, c: None)


@pytest.mark.anyio
async def test_retry_budget_applies_to_schema_tools() -> None:
    tool, _ = _weather(max_retries=1)
    ctx = RunContext(deps=None)
    assert (await tool.invoke_json("{}", ctx)).status == "invalid_arguments"
    assert (await tool.invoke_json("{}", ctx)).status == "retries_exhausted"


@pytest.mark.anyio
async def test_renamed_schema_tool_still_validates() -> None:
    tool, calls = _weather()
    renamed = tool.renamed("forecast")
    assert renamed.contract.name == "forecast"
    assert (await renamed.invoke_json('{"city": "Porto"}')).ok
    bad = await renamed.invoke_json("{}")
    assert json.loads(bad.content)["tool"] == "forecast"
    assert calls == [{"city": "Porto"}]
