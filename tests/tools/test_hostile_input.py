"""Hostile arguments (lone surrogates, NUL, huge numbers, deep nesting, huge payloads) never make a call raise."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import anyio
import pytest

from agentkit import JsonSchemaTool, RunContext, tool
from agentkit.events import EventEmitter, ToolCallFailed
from agentkit.tools import Sensitive
from agentkit.tools._hints import MAX_HINT_CHARS, safe_text

pytestmark = pytest.mark.anyio

BIG = "9" * 4300  # the longest integer pydantic-core reads from JSON
DEEP = "[" * 10_000 + "]" * 10_000


@tool
def echo(text: str) -> str:
    """Echo text."""
    return text


@tool
def anything(value: Any) -> Any:
    """Return any value."""
    return value


@tool
def choose(mode: Literal["fast", "slow"], count: int) -> int:
    """Pick a mode."""
    return count


raw_schema = JsonSchemaTool(
    name="raw",
    input_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
    handler=lambda arguments, ctx: arguments,
)

closed_schema = JsonSchemaTool(
    name="closed",
    input_schema={
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "additionalProperties": False,
    },
    handler=lambda arguments, ctx: arguments,
)


def _strict_json(text: str) -> Any:
    """Parse like a strict peer: Infinity and NaN are not JSON."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


HOSTILE = [
    pytest.param(echo, '{"text": "\ud800"}', id="lone-surrogate-value"),
    pytest.param(echo, '{"\udc00": "x"}', id="lone-surrogate-key"),
    pytest.param(choose, '{"mode": "\ud83d", "count": "\udfff"}', id="surrogates-in-bad-values"),
    pytest.param(anything, '{"value": "\ud800"}', id="surrogate-any"),
    pytest.param(raw_schema, '{"n": "\ud800"}', id="surrogate-raw-schema"),
    pytest.param(echo, '{"text": 1, "x\x00": "\x00"}', id="raw-nul"),
    pytest.param(choose, '{"mode": "\\u0000", "count": 1}', id="escaped-nul"),
    pytest.param(choose, '{"mode": "fast", "count": ' + BIG + "1}", id="4301-digit-int"),
    pytest.param(choose, '{"mode": ' + BIG + ', "count": 1}', id="4300-digit-int-wrong-type"),
    pytest.param(choose, '{"mode": 1e400, "count": 1}', id="infinite-float"),
    pytest.param(raw_schema, '{"n": 1e400}', id="infinite-float-raw-schema"),
    pytest.param(anything, '{"value": ' + DEEP + "}", id="deep-nesting"),
    pytest.param(raw_schema, '{"n": ' + DEEP + "}", id="deep-nesting-raw-schema"),
    pytest.param(echo, b'{"text": "\xed\xa0\x80"}', id="surrogate-as-utf8-bytes"),
]


@pytest.mark.parametrize(("target", "raw"), HOSTILE)
async def test_hostile_arguments_get_a_strict_json_hint_or_a_result(target: Any, raw: str) -> None:
    """Every hostile payload ends in an outcome whose content is strict, encodable JSON (never an exception)."""
    emitter = EventEmitter(run_id="r1")
    outcome = await target.invoke_json(raw, RunContext(deps=None, events=emitter))
    outcome.content.encode("utf-8")  # encodable: no lone surrogate reaches the model
    if outcome.status == "invalid_arguments":
        hint = _strict_json(outcome.content)
        assert hint["error"] == "invalid_arguments"
        assert len(outcome.content) < MAX_HINT_CHARS + 1_000


async def test_a_lone_surrogate_is_named_and_not_echoed() -> None:
    """Arguments holding a lone surrogate get a hint that says so, without quoting the raw text."""
    outcome = await echo.invoke_json('{"text": "abc\ud800"}')
    (issue,) = json.loads(outcome.content)["issues"]
    assert issue["path"] == ""
    assert "lone UTF-16 surrogate" in issue["message"]
    assert "abc" not in outcome.content


async def test_a_surrogate_in_an_echoed_value_is_escaped() -> None:
    """A bad value holding a lone surrogate is echoed with the surrogate escaped as text."""
    outcome = await choose.invoke({"mode": "x\ud800y", "count": 1})
    (issue,) = json.loads(outcome.content)["issues"]
    assert issue["got"] == "x\\ud800y"


async def test_huge_numbers_are_described_not_echoed() -> None:
    """An integer of thousands of digits, or an infinite float, is described in the hint, which stays strict JSON."""
    outcome = await choose.invoke({"mode": 10**5000, "count": 1})
    (issue,) = json.loads(outcome.content)["issues"]
    assert issue["got"] == "an integer of about 5001 digits"
    outcome = await choose.invoke_json('{"mode": 1e400, "count": 1}')
    assert _strict_json(outcome.content)["issues"][0]["got"] == "inf"


async def test_a_4300_digit_sensitive_value_of_a_crashing_tool_is_masked() -> None:
    """A tool that crashes quoting a 4,300-digit sensitive argument has it masked in the developer's event."""

    @tool
    def unlock(pin: Annotated[int, Sensitive()]) -> str:
        """Unlock."""
        raise RuntimeError(f"wrong pin {pin}")

    emitter = EventEmitter(run_id="r1")
    outcome = await unlock.invoke_json(
        '{"pin": ' + BIG + "}", RunContext(deps=None, events=emitter)
    )
    assert outcome.status == "error"
    (failed,) = [e for e in emitter.events if isinstance(e, ToolCallFailed)]
    assert BIG not in failed.error_message
    assert failed.error_message == "wrong pin ***"


async def test_repair_hints_are_capped_whatever_the_model_sent() -> None:
    """Thousands of long unknown fields and long bad values give a hint of bounded size that counts the rest."""
    fields = {f"unknown_{i}_" + "x" * 1000: "y" * 1000 for i in range(300)}
    for target, raw in (
        (choose, json.dumps({"mode": "m" * 100_000, "count": "c" * 100_000, **fields})),
        (closed_schema, json.dumps({"n": "n" * 100_000, **fields})),
    ):
        outcome = await target.invoke_json(raw)
        assert outcome.status == "invalid_arguments"
        assert len(outcome.content) < MAX_HINT_CHARS + 1_000
        issues = json.loads(outcome.content)["issues"]
        assert issues[-1]["problem"] == "more_issues"


def test_safe_text_escapes_only_what_cannot_be_encoded() -> None:
    """Valid text comes back as the same object; lone surrogates are escaped; a limit cuts with an ellipsis."""
    text = "ça va 😀"
    assert safe_text(text) is text
    assert safe_text("a\udfffb") == "a\\udfffb"
    assert safe_text("abcdef", 3) == "abc…"


async def test_nul_in_a_valid_string_reaches_the_tool_unchanged() -> None:
    """An escaped NUL is valid JSON text: the tool receives it as is (stores decide how to keep it)."""
    outcome = await echo.invoke_json('{"text": "a\\u0000b"}')
    assert (outcome.status, outcome.content) == ("success", "a\x00b")


def test_hostile_calls_run_under_anyio_run_too() -> None:
    """The doctest path (``anyio.run``) behaves the same: a surrogate gives a hint, not an exception."""
    outcome = anyio.run(echo.invoke_json, '{"text": "\ud800"}')
    assert outcome.status == "invalid_arguments"
