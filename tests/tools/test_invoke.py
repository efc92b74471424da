"""The invocation fast path end to end: outcomes, repair hints, failures, secrets, timeouts, threads, budgets."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import anyio
import pytest
from pydantic import BaseModel, Field, SecretStr

from agentkit import EventEmitter, RunContext, Sensitive, tool
from agentkit.events import (
    ToolArgumentsRejected,
    ToolCallFailed,
    ToolCallStarted,
    ToolCallSucceeded,
)
from agentkit.exceptions import (
    ApprovalRequired,
    InvalidToolArguments,
    RetryWithFeedback,
    ToolExecutionError,
    ToolFailed,
    ToolOutputError,
    ToolRetriesExhausted,
    ToolTimeout,
)
from agentkit.tools import GENERIC_FAILURE, MASK, FunctionTool, ToolOutcome

CANARY = "CANARY-5d1f-do-not-leak"


class FakeClock:
    """Manual time: monotonic() advances only when a test says so."""

    def __init__(self) -> None:
        self.mono = 10.0

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=timezone.utc)

    def monotonic(self) -> float:
        return self.mono


def _ctx(**kwargs: Any) -> RunContext[Any]:
    clock = FakeClock()
    return RunContext.new(
        run_id="run-42", events=EventEmitter("run-42", clock=clock), clock=clock, **kwargs
    )


def _events(ctx: RunContext[Any]) -> list[Any]:
    assert ctx.events is not None
    return list(ctx.events.events)


def _issues(outcome: ToolOutcome[Any]) -> list[dict[str, Any]]:
    assert outcome.status == "invalid_arguments", outcome.content
    payload = json.loads(outcome.content)
    assert payload["error"] == "invalid_arguments"
    return payload["issues"]  # type: ignore[no-any-return]


class Passenger(BaseModel):
    name: str
    age: Annotated[int, Field(ge=0, le=120)]


@tool
def book(
    origin: Annotated[str, Field(pattern="^[A-Z]{3}$")],
    seats: Annotated[int, Field(ge=1, le=9)] = 1,
    cabin: Literal["economy", "business"] = "economy",
    passengers: list[Passenger] = [],  # noqa: B006 - pydantic copies defaults
) -> dict[str, Any]:
    """Book a flight."""
    return {"origin": origin, "seats": seats, "cabin": cabin, "passengers": passengers}


@tool
def ping() -> str:
    """Ping."""
    return "pong"


# --------------------------------------------------------------------------------------------- success


@pytest.mark.anyio
async def test_success_content_is_json_from_pydantic_core() -> None:
    outcome = await book.invoke_json(
        '{"origin": "LIS", "passengers": [{"name": "Ada", "age": 36}]}'
    )
    assert outcome.ok
    assert not outcome.is_error
    assert outcome.status == "success"
    assert outcome.content == (
        '{"origin":"LIS","seats":1,"cabin":"economy","passengers":[{"name":"Ada","age":36}]}'
    )
    assert outcome.value == {
        "origin": "LIS",
        "seats": 1,
        "cabin": "economy",
        "passengers": [Passenger(name="Ada", age=36)],
    }
    assert outcome.error is None
    assert outcome.raise_for_error() is outcome


@pytest.mark.anyio
async def test_bytes_arguments_are_accepted() -> None:
    assert (await book.invoke_json(b'{"origin": "OPO"}')).ok


@pytest.mark.anyio
async def test_results_are_never_python_reprs() -> None:
    class Flight(BaseModel):
        number: str

    @tool
    def flights() -> list[Flight]:
        return [Flight(number="TP1")]

    @tool
    def untyped():  # type: ignore[no-untyped-def]
        return {"when": datetime(2026, 1, 1, tzinfo=timezone.utc), "ok": True, "none": None}

    @tool
    def nothing() -> None:
        return None

    assert (await flights.invoke_json("")).content == '[{"number":"TP1"}]'
    assert (await untyped.invoke_json("")).content == (
        '{"when":"2026-01-01T00:00:00Z","ok":true,"none":null}'
    )
    assert (await nothing.invoke_json("")).content == "null"


@pytest.mark.anyio
async def test_string_results_pass_through_as_text() -> None:
    @tool
    def quote() -> str:
        return 'He said "hi"\n'

    @tool
    def anything() -> Any:
        return "plain"

    assert (await quote.invoke_json("")).content == 'He said "hi"\n'
    assert (await anything.invoke_json("")).content == "plain"


@pytest.mark.anyio
@pytest.mark.parametrize("raw", ["", "{}", "null", " null ", b"", b"null"])
async def test_no_argument_tools_accept_empty_and_null(raw: str | bytes) -> None:
    outcome = await ping.invoke_json(raw)
    assert outcome.content == "pong"


@pytest.mark.anyio
async def test_null_is_still_rejected_when_arguments_are_required() -> None:
    (issue,) = _issues(await book.invoke_json("null"))
    assert (issue["path"], issue["problem"]) == ("", "wrong_type")


# --------------------------------------------------------------------------------------------- invalid arguments


@pytest.mark.anyio
@pytest.mark.parametrize(
    "raw",
    ['{"origin": "LIS"', "not json", '{"origin": "LIS",}', "{'origin': 'LIS'}", '{"origin": "LI'],
    ids=["truncated", "garbage", "trailing-comma", "single-quotes", "cut-in-string"],
)
async def test_malformed_json_is_an_invalid_json_issue(raw: str) -> None:
    (issue,) = _issues(await book.invoke_json(raw))
    assert issue["path"] == ""
    assert issue["problem"] == "invalid_json"
    assert issue["message"].startswith("arguments are not valid JSON: ")
    assert issue["expected"] == "a JSON object"


@pytest.mark.anyio
async def test_wrong_types_are_reported_with_expected_and_got() -> None:
    issues = _issues(await book.invoke_json('{"origin": 5, "seats": "many"}'))
    assert issues == [
        {
            "path": "origin",
            "problem": "wrong_type",
            "message": "Input should be a valid string",
            "expected": "string matching ^[A-Z]{3}$",
            "got": 5,
        },
        {
            "path": "seats",
            "problem": "wrong_type",
            "message": "Input should be a valid integer, unable to parse string as an integer",
            "expected": "integer >= 1, <= 9",
            "got": "many",
        },
    ]


@pytest.mark.anyio
async def test_missing_fields_say_what_is_expected() -> None:
    assert _issues(await book.invoke_json("{}")) == [
        {
            "path": "origin",
            "problem": "missing",
            "message": "Field required",
            "expected": "string matching ^[A-Z]{3}$",
        }
    ]


@pytest.mark.anyio
async def test_unknown_field_gets_did_you_mean() -> None:
    issues = _issues(await book.invoke_json('{"origin": "LIS", "seets": 2}'))
    assert issues == [
        {
            "path": "seets",
            "problem": "unknown_field",
            "message": "Extra inputs are not permitted",
            "did_you_mean": "seats",
        }
    ]


@pytest.mark.anyio
async def test_unknown_field_without_a_close_match_lists_the_fields() -> None:
    (issue,) = _issues(await book.invoke_json('{"origin": "LIS", "zzz": 2}'))
    assert "did_you_mean" not in issue
    assert issue["expected"] == "one of the fields origin, seats, cabin, passengers"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("raw", "path", "expected"),
    [
        ('{"origin": "LIS", "seats": 0}', "seats", ">= 1"),
        ('{"origin": "LIS", "seats": 10}', "seats", "<= 9"),
        (
            '{"origin": "LIS", "passengers": [{"name": "a", "age": 200}]}',
            "passengers.0.age",
            "<= 120",
        ),
    ],
)
async def test_constraint_violations_state_the_range(raw: str, path: str, expected: str) -> None:
    (issue,) = _issues(await book.invoke_json(raw))
    assert issue["path"] == path
    assert issue["problem"] == "out_of_range"
    assert issue["expected"] == expected


@pytest.mark.anyio
async def test_pattern_mismatch_shows_the_pattern() -> None:
    (issue,) = _issues(await book.invoke_json('{"origin": "lisbon"}'))
    assert issue["problem"] == "pattern_mismatch"
    assert issue["expected"] == "a string matching ^[A-Z]{3}$"
    assert issue["got"] == "lisbon"


@pytest.mark.anyio
async def test_literal_violation_gets_did_you_mean() -> None:
    (issue,) = _issues(await book.invoke_json('{"origin": "LIS", "cabin": "busines"}'))
    assert issue["problem"] == "not_allowed"
    assert issue["expected"] == "one of 'economy' or 'business'"
    assert issue["did_you_mean"] == "business"


@pytest.mark.anyio
async def test_oversized_payload_is_rejected_before_parsing() -> None:
    @tool(max_argument_bytes=64)
    def small(text: str) -> str:
        return text

    raw = json.dumps({"text": "x" * 100})
    outcome = await small.invoke_json(raw)
    assert _issues(outcome) == [
        {
            "path": "",
            "problem": "too_large",
            "message": f"arguments are {len(raw)} bytes, more than the limit of 64",
            "expected": "at most 64 bytes of JSON",
        }
    ]
    assert (await small.invoke_json(json.dumps({"text": "x"}))).ok


@pytest.mark.anyio
async def test_many_problems_are_capped_with_a_summary() -> None:
    @tool
    def wide(values: list[int]) -> int:
        return 0

    issues = _issues(await wide.invoke_json(json.dumps({"values": ["x"] * 15})))
    assert len(issues) == 11
    assert issues[-1]["problem"] == "more_issues"
    assert issues[-1]["message"].startswith("5 more problems")


@pytest.mark.anyio
async def test_long_values_are_truncated_in_hints() -> None:
    outcome = await book.invoke_json(json.dumps({"origin": "A" * 1000}))
    (issue,) = _issues(outcome)
    assert len(issue["got"]) < 200
    assert issue["got"].endswith("…")


@pytest.mark.anyio
async def test_repair_hint_is_compact_and_typed_error_is_attached() -> None:
    outcome = await book.invoke_json('{"origin": 1}')
    assert ": " not in outcome.content
    assert ", " not in outcome.content.replace("'economy' or", "")
    assert isinstance(outcome.error, InvalidToolArguments)
    assert outcome.error.tool_name == "book"
    assert outcome.content == outcome.error.repair_hint
    assert outcome.value is None
    assert outcome.is_error
    with pytest.raises(InvalidToolArguments):
        outcome.raise_for_error()


@pytest.mark.anyio
async def test_the_function_is_not_called_with_invalid_arguments() -> None:
    calls: list[int] = []

    @tool
    def count(n: int) -> int:
        calls.append(n)
        return n

    await count.invoke_json('{"n": "x"}')
    assert calls == []


# --------------------------------------------------------------------------------------------- secrets


class Card(BaseModel):
    number: Annotated[str, Sensitive(), Field(pattern=r"^\d{16}$")]
    holder: str


@tool
def pay(
    token: Annotated[str, Sensitive(), Field(min_length=100)],
    pin: SecretStr,
    card: Card,
    mode: Annotated[Literal["card", "wallet"], Sensitive()] = "card",
    cards: list[Card] = [],  # noqa: B006 - pydantic copies defaults
    amount: int = 1,
) -> str:
    """Pay."""
    if token == "explode":
        raise RuntimeError("internal failure")
    return "paid"


def test_sensitive_pointers_are_found_from_annotations() -> None:
    assert pay.contract.sensitive == ("/card/number", "/cards/*/number", "/mode", "/pin", "/token")


BAD_SECRET_CALLS = [
    # Every sensitive field holds the canary and fails its own validation.
    {"token": CANARY, "pin": CANARY, "card": {"number": CANARY, "holder": "h"}, "mode": CANARY},
    # Wrong types that carry the canary inside containers.
    {"token": [CANARY], "pin": {"v": CANARY}, "card": {"number": [CANARY], "holder": "h"}},
    # Valid secrets, but another (non-sensitive) field is wrong.
    {
        "token": CANARY * 5,
        "pin": CANARY,
        "card": {"number": "4" * 16, "holder": "h"},
        "amount": "x",
    },
    # A secret in a list of nested models.
    {
        "token": CANARY * 5,
        "pin": CANARY,
        "card": {"number": "4" * 16, "holder": "h"},
        "cards": [{"number": CANARY, "holder": "h"}],
    },
    # A secret that is a near miss of a literal (no "did you mean" may echo it).
    {"token": CANARY * 5, "pin": "p", "card": {"number": "4" * 16, "holder": "h"}, "mode": "cardx"},
]


@pytest.mark.anyio
@pytest.mark.parametrize("arguments", BAD_SECRET_CALLS)
async def test_sensitive_values_never_reach_hints_events_or_messages(
    arguments: dict[str, Any],
) -> None:
    ctx = _ctx()
    outcome = await pay.invoke_json(json.dumps(arguments), ctx)
    assert outcome.status == "invalid_arguments"
    assert CANARY not in outcome.content
    assert CANARY not in str(outcome.error)
    assert CANARY not in repr(outcome.error)
    assert CANARY not in repr(outcome)
    for event in _events(ctx):
        assert CANARY not in event.model_dump_json()
    if arguments.get("mode") == "cardx":
        assert "cardx" not in outcome.content
        assert "did_you_mean" not in outcome.content


@pytest.mark.anyio
async def test_sensitive_values_are_masked_in_started_events() -> None:
    ctx = _ctx()
    arguments = {
        "token": CANARY * 5,
        "pin": CANARY,
        "card": {"number": "4111111111111111", "holder": "Ada"},
        "cards": [{"number": "4222222222222222", "holder": "Bob"}],
        "amount": 7,
    }
    outcome = await pay.invoke_json(json.dumps(arguments), ctx)
    assert outcome.ok, outcome.content
    started = _events(ctx)[0]
    assert isinstance(started, ToolCallStarted)
    assert started.arguments == {
        "token": MASK,
        "pin": MASK,
        "card": {"number": MASK, "holder": "Ada"},
        "mode": MASK,
        "cards": [{"number": MASK, "holder": "Bob"}],
        "amount": 7,
    }
    for event in _events(ctx):
        assert CANARY not in event.model_dump_json()
        assert "4111111111111111" not in event.model_dump_json()


@pytest.mark.anyio
async def test_explicit_sensitive_pointers_are_masked_too() -> None:
    @tool(sensitive=["/headers/*"])
    def fetch(url: str, headers: dict[str, str]) -> str:
        return "ok"

    ctx = _ctx()
    await fetch.invoke_json(json.dumps({"url": "u", "headers": {"Authorization": CANARY}}), ctx)
    started = _events(ctx)[0]
    assert started.arguments == {"url": "u", "headers": {"Authorization": MASK}}
    bad = await fetch.invoke_json(
        json.dumps({"url": "u", "headers": {"Authorization": [CANARY]}}), ctx
    )
    assert CANARY not in bad.content
    assert all(CANARY not in e.model_dump_json() for e in _events(ctx))


# --------------------------------------------------------------------------------------------- failures


@pytest.mark.anyio
async def test_tool_failed_message_reaches_the_model_verbatim() -> None:
    @tool
    def reserve(flight: str) -> str:
        raise ToolFailed(f"flight {flight} is sold out; try <TP2> instead")

    ctx = _ctx()
    outcome = await reserve.invoke_json('{"flight": "TP1"}', ctx)
    assert outcome.status == "failed"
    assert outcome.content == "flight TP1 is sold out; try <TP2> instead"
    assert outcome.error is None
    assert outcome.is_error
    failed = _events(ctx)[-1]
    assert isinstance(failed, ToolCallFailed)
    assert failed.reason == "tool_failed"
    assert failed.traceback is None


@pytest.mark.anyio
async def test_retry_with_feedback_gives_status_retry() -> None:
    @tool
    def search(query: str) -> list[str]:
        raise RetryWithFeedback("query is too vague; use at least 3 characters")

    ctx = _ctx()
    outcome = await search.invoke_json('{"query": "a"}', ctx)
    assert outcome.status == "retry"
    assert json.loads(outcome.content) == {
        "error": "retry",
        "tool": "search",
        "feedback": "query is too vague; use at least 3 characters",
        "hint": "Change the arguments and call search again.",
    }
    assert _events(ctx)[-1].reason == "retry_requested"
    assert ctx.retries == {"search": 1}


@pytest.mark.anyio
async def test_any_other_exception_becomes_a_generic_failure() -> None:
    @tool
    def lookup(key: str) -> str:
        secret_table: dict[str, str] = {}
        return secret_table[f"internal-{key}"]

    ctx = _ctx()
    outcome = await lookup.invoke_json('{"key": "k"}', ctx)
    assert outcome.status == "error"
    assert outcome.content == GENERIC_FAILURE
    assert "internal-k" not in outcome.content
    error = outcome.error
    assert isinstance(error, ToolExecutionError)
    assert error.exception_type == "KeyError"
    assert isinstance(error.__cause__, KeyError)
    with pytest.raises(ToolExecutionError):
        outcome.raise_for_error()
    failed = _events(ctx)[-1]
    assert isinstance(failed, ToolCallFailed)
    assert failed.reason == "exception"
    assert failed.error_type == "KeyError"
    assert failed.error_message == "'internal-k'"
    assert failed.traceback is not None
    assert "Traceback (most recent call last)" in failed.traceback
    assert "in lookup" in failed.traceback
    assert "KeyError: 'internal-k'" in failed.traceback


@pytest.mark.anyio
async def test_exception_types_are_qualified_outside_builtins() -> None:
    class PaymentGatewayDown(Exception):
        pass

    @tool
    def charge() -> str:
        raise PaymentGatewayDown

    outcome = await charge.invoke_json("")
    assert isinstance(outcome.error, ToolExecutionError)
    assert outcome.error.exception_type.endswith("PaymentGatewayDown")
    assert "." in outcome.error.exception_type


@pytest.mark.anyio
async def test_unserializable_output_is_a_tool_output_error() -> None:
    @tool
    def opaque() -> Any:
        return object()

    @tool
    def nested() -> dict[str, Any]:
        return {"thing": object()}

    for broken in (opaque, nested):
        ctx = _ctx()
        outcome = await broken.invoke_json("", ctx)
        assert outcome.status == "error"
        assert outcome.content == GENERIC_FAILURE
        assert isinstance(outcome.error, ToolOutputError)
        assert "Unable to serialize" in outcome.error.reason
        assert outcome.error.__cause__ is not None
        failed = _events(ctx)[-1]
        assert failed.reason == "invalid_output"
        assert failed.traceback is not None


@pytest.mark.anyio
async def test_approval_required_propagates() -> None:
    @tool
    def refund(amount: int) -> str:
        raise ApprovalRequired("refund above 100 EUR", details={"amount": amount})

    with pytest.raises(ApprovalRequired) as info:
        await refund.invoke_json('{"amount": 250}', _ctx())
    assert info.value.details == {"amount": 250}


# --------------------------------------------------------------------------------------------- timeouts and threads


@pytest.mark.anyio
async def test_async_tool_past_its_timeout_gives_status_timeout() -> None:
    @tool(timeout=0.05)
    async def hang() -> str:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    ctx = _ctx()
    outcome = await hang.invoke_json("", ctx)
    assert outcome.status == "timeout"
    assert outcome.content == "The tool hang timed out after 0.05s."
    assert isinstance(outcome.error, ToolTimeout)
    assert outcome.error.timeout == 0.05
    failed = _events(ctx)[-1]
    assert isinstance(failed, ToolCallFailed)
    assert failed.reason == "timeout"


@pytest.mark.anyio
async def test_sync_tool_past_its_timeout_gives_status_timeout() -> None:
    release = threading.Event()

    @tool(timeout=0.05)
    def stuck() -> str:
        release.wait()
        return "late"

    try:
        outcome = await stuck.invoke_json("")
    finally:
        release.set()  # let the abandoned worker thread finish
    assert outcome.status == "timeout"
    assert isinstance(outcome.error, ToolTimeout)


@pytest.mark.anyio
async def test_tool_within_its_timeout_succeeds() -> None:
    @tool(timeout=30)
    async def quick() -> str:
        await anyio.lowlevel.checkpoint()
        return "done"

    @tool(timeout=30)
    def quick_sync() -> str:
        return "done"

    assert (await quick.invoke_json("")).content == "done"
    assert (await quick_sync.invoke_json("")).content == "done"


@pytest.mark.anyio
async def test_blocking_sync_tools_run_in_a_worker_thread() -> None:
    @tool
    def where() -> int:
        return threading.get_ident()

    assert (await where.invoke_json("")).value != threading.get_ident()


@pytest.mark.anyio
async def test_non_blocking_sync_tools_run_inline() -> None:
    @tool(blocking=False)
    def where() -> int:
        return threading.get_ident()

    assert (await where.invoke_json("")).value == threading.get_ident()


@pytest.mark.anyio
async def test_async_tools_run_on_the_event_loop_thread() -> None:
    @tool
    async def where() -> int:
        return threading.get_ident()

    assert (await where.invoke_json("")).value == threading.get_ident()


# --------------------------------------------------------------------------------------------- retry budget


@pytest.mark.anyio
async def test_consecutive_invalid_calls_beyond_the_budget_exhaust_it() -> None:
    @tool(max_retries=2)
    def add(a: int, b: int) -> int:
        return a + b

    ctx = _ctx()
    assert (await add.invoke_json('{"a": 1}', ctx)).status == "invalid_arguments"
    assert (await add.invoke_json('{"a": 1}', ctx)).status == "invalid_arguments"
    exhausted = await add.invoke_json('{"a": 1}', ctx)
    assert exhausted.status == "retries_exhausted"
    assert (
        exhausted.content == "The tool add was called incorrectly too many times; stop calling it."
    )
    assert isinstance(exhausted.error, ToolRetriesExhausted)
    assert exhausted.error.max_retries == 2
    assert "b: Field required" in exhausted.error.last_error
    rejected = [e for e in _events(ctx) if isinstance(e, ToolArgumentsRejected)]
    assert [(e.attempt, e.max_retries) for e in rejected] == [(1, 2), (2, 2), (3, 2)]


@pytest.mark.anyio
async def test_a_success_resets_the_budget() -> None:
    @tool(max_retries=1)
    def add(a: int, b: int) -> int:
        return a + b

    ctx = _ctx()
    assert (await add.invoke_json("{}", ctx)).status == "invalid_arguments"
    assert (await add.invoke_json('{"a": 1, "b": 2}', ctx)).ok
    assert ctx.retries == {}
    assert (await add.invoke_json("{}", ctx)).status == "invalid_arguments"
    assert (await add.invoke_json("{}", ctx)).status == "retries_exhausted"


@pytest.mark.anyio
async def test_budgets_are_per_tool_and_shared_across_calls_of_a_run() -> None:
    @tool(max_retries=0)
    def first(a: int) -> int:
        return a

    @tool(max_retries=0)
    def second(a: int) -> int:
        return a

    ctx = _ctx()
    assert (await first.invoke_json("{}", ctx.for_call("c1"))).status == "retries_exhausted"
    assert (await second.invoke_json('{"a": 1}', ctx.for_call("c2"))).ok
    assert ctx.retries == {"first": 1}


@pytest.mark.anyio
async def test_retry_with_feedback_counts_against_the_budget() -> None:
    @tool(max_retries=1)
    def picky(q: str) -> str:
        raise RetryWithFeedback("be more specific")

    ctx = _ctx()
    assert (await picky.invoke_json('{"q": "a"}', ctx)).status == "retry"
    exhausted = await picky.invoke_json('{"q": "a"}', ctx)
    assert exhausted.status == "retries_exhausted"
    assert isinstance(exhausted.error, ToolRetriesExhausted)
    assert exhausted.error.last_error == "be more specific"


@pytest.mark.anyio
async def test_without_a_context_there_is_no_budget() -> None:
    @tool(max_retries=0)
    def strict(a: int) -> int:
        return a

    for _ in range(3):
        assert (await strict.invoke_json("{}")).status == "invalid_arguments"


# --------------------------------------------------------------------------------------------- events


@pytest.mark.anyio
async def test_events_carry_run_id_increasing_seq_call_id_and_durations() -> None:
    clock = FakeClock()
    emitter = EventEmitter("run-7", clock=clock)
    ctx = RunContext.new(events=emitter, clock=clock)

    @tool
    async def slow(n: int) -> int:
        clock.mono += 1.5  # time passes only because the test says so
        return n

    await slow.invoke_json('{"n": "x"}', ctx.for_call("c1"))
    await slow.invoke_json('{"n": 1}', ctx.for_call("c2"))
    events = _events(ctx)
    assert [type(e) for e in events] == [ToolArgumentsRejected, ToolCallStarted, ToolCallSucceeded]
    assert [e.seq for e in events] == [0, 1, 2]
    assert {e.run_id for e in events} == {"run-7"}
    assert ctx.run_id == "run-7"
    assert [e.tool_call_id for e in events] == ["c1", "c2", "c2"]
    started, succeeded = events[1], events[2]
    assert started.tool_version == "1.0.0"
    assert started.arguments == {"n": 1}
    assert succeeded.duration_s == 1.5
    assert succeeded.output_chars == 1


@pytest.mark.anyio
async def test_outcome_carries_the_call_id() -> None:
    outcome = await ping.invoke_json("", RunContext(deps=None).for_call("call_3"))
    assert outcome.tool_call_id == "call_3"
    assert outcome.tool_name == "ping"
    assert repr(outcome) == "ToolOutcome(tool_name='ping', status='success', content='pong')"


@pytest.mark.anyio
async def test_no_events_without_an_emitter() -> None:
    ctx: RunContext[None] = RunContext(deps=None)
    assert (await ping.invoke_json("", ctx)).ok
    assert ctx.events is None


@pytest.mark.anyio
async def test_a_crashing_tool_with_a_secret_argument_keeps_hint_and_started_event_clean() -> None:
    ctx = _ctx()
    arguments = {"token": "explode", "pin": CANARY, "card": {"number": "4" * 16, "holder": "h"}}
    # "explode" is shorter than the token's min_length: validation fails first, on a sensitive field.
    outcome = await pay.invoke_json(json.dumps(arguments), ctx)
    assert outcome.status == "invalid_arguments"
    assert "explode" not in outcome.content
    assert all(CANARY not in e.model_dump_json() for e in _events(ctx))


def test_function_tool_is_reexported() -> None:
    assert isinstance(book, FunctionTool)


@pytest.mark.anyio
async def test_run_context_new_builds_an_emitter_when_asked() -> None:
    clock = FakeClock()
    ctx = RunContext.new(deps="d", run_id="r-9", events=True, clock=clock)
    assert ctx.events is not None
    assert ctx.events.run_id == "r-9"
    assert ctx.events.clock is clock
    assert RunContext.new().events is None
    await ping.invoke_json("", ctx)
    assert [e.type for e in ctx.events.events] == ["tool.call.started", "tool.call.succeeded"]
    assert ctx.events.events[0].at == clock.now()


@pytest.mark.anyio
async def test_crash_events_mask_sensitive_values_quoted_in_the_exception() -> None:
    canary = "canary-7f3a9c-secret"

    @tool
    def login(user: str, password: Annotated[str, Sensitive()]) -> str:
        """Log in."""
        raise ValueError(f"bad password {password} for {user}")

    ctx = RunContext.new(events=True)
    outcome = await login.invoke_json(json.dumps({"user": "ann", "password": canary}), ctx)
    assert outcome.status == "error"
    assert canary not in outcome.content
    assert ctx.events is not None
    failed = [e for e in ctx.events.events if e.type == "tool.call.failed"]  # type: ignore[attr-defined]
    assert len(failed) == 1
    dumped = "".join(e.model_dump_json() for e in ctx.events.events)
    assert canary not in dumped
    assert "bad password *** for ann" in failed[0].error_message  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_retry_budget_exhausted_by_feedback_still_closes_the_call_in_events() -> None:
    @tool(max_retries=1)
    def picky(q: str) -> str:
        """Always unhappy."""
        raise RetryWithFeedback("be more specific")

    ctx = RunContext.new(events=True)
    first = await picky.invoke_json('{"q": "a"}', ctx)
    second = await picky.invoke_json('{"q": "b"}', ctx)
    assert (first.status, second.status) == ("retry", "retries_exhausted")
    assert ctx.events is not None
    kinds = [e.type for e in ctx.events.events]  # type: ignore[attr-defined]
    assert kinds == [
        "tool.call.started",
        "tool.call.failed",
        "tool.call.started",
        "tool.call.failed",
    ]
