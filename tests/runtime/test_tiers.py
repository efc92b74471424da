"""Cost/latency tiers: the cheap agent first, the next tier on a rejected answer or a budget error."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.events import RouteEscalated, RunStarted, parse_event
from agentkit.exceptions import OutputRetriesExhausted, ProviderError, UsageError
from agentkit.messages import ToolCallPart, Usage
from agentkit.providers import ModelPrice, PriceTable
from agentkit.runtime import (
    Agent,
    BudgetExceeded,
    Limits,
    RunResult,
    Tier,
    Tiered,
    TieredResult,
    capture_events,
)
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio


class Answer(BaseModel):
    text: str
    confidence: float


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return key.upper()


def tiers(cheap: list[Any], strong: list[Any], **agent: Any) -> list[Tier[Any]]:
    return [
        Tier(
            "cheap",
            Agent(FakeProvider(cheap, model="small", usage=Usage(input_tokens=10)), **agent),
        ),
        Tier(
            "strong",
            Agent(FakeProvider(strong, model="large", usage=Usage(input_tokens=100)), **agent),
        ),
    ]


async def test_accepted_cheap_answer_never_touches_the_next_tier() -> None:
    """An accepted first answer is returned from tier 0 and emits no escalation."""
    strong = FakeProvider([])
    tiered = Tiered([Tier("cheap", Agent(FakeProvider(["ok"]))), Tier("strong", Agent(strong))])
    with capture_events() as events:
        result = await tiered.run("hi")
    assert (result.output, result.tier, result.tier_index, result.escalated) == (
        "ok",
        "cheap",
        0,
        False,
    )
    assert isinstance(result, RunResult)
    assert not events.of_type(RouteEscalated)
    assert strong.requests == []
    assert [a.reason for a in result.attempts] == [None]


async def test_empty_answer_escalates_by_default() -> None:
    """With no check given, an empty text answer goes to the next tier."""
    result = await Tiered(tiers(["  "], ["full answer"])).run("hi")
    assert (result.output, result.tier) == ("full answer", "strong")
    assert [a.reason for a in result.attempts] == ["empty answer", None]


async def test_predicate_on_structured_output_escalates_with_its_reason() -> None:
    """A check on the typed output (low confidence) escalates, and its reason lands in the event."""

    def unsure(result: RunResult[Any]) -> str | None:
        return "low confidence" if result.output.confidence < 0.5 else None

    cheap = '{"text": "maybe", "confidence": 0.2}'
    strong = '{"text": "surely", "confidence": 0.9}'
    tiered = Tiered(tiers([cheap], [strong], output_type=Answer), escalate_if=unsure, name="qa")
    with capture_events() as events:
        result = await tiered.run("q", run_id="job")
    assert result.output == Answer(text="surely", confidence=0.9)
    (escalated,) = events.of_type(RouteEscalated)
    assert (escalated.router, escalated.from_tier, escalated.to_tier) == ("qa", "cheap", "strong")
    assert (escalated.reason, escalated.error_type) == ("low confidence", None)
    assert (escalated.from_run_id, escalated.run_id, escalated.seq) == (
        "job.cheap",
        "job.strong",
        1,
    )
    assert events.for_run("job.strong")[0].type == "run.started"
    assert parse_event(escalated.model_dump_json()) == escalated


async def test_true_verdict_names_the_check() -> None:
    """A check returning True gives a reason naming the check."""

    def too_short(result: RunResult[Any]) -> bool:
        return len(result.output) < 3

    result = await Tiered(tiers(["no"], ["longer"]), escalate_if=too_short).run("q")
    assert result.attempts[0].reason == "rejected by too_short"


async def test_output_retries_exhausted_escalates_and_is_recorded() -> None:
    """A tier whose output keeps failing validation hands over; the error is on the attempt and the event."""
    tiered = Tiered(tiers(["x", "y"], ["7"], output_type=int, limits=Limits(output_retries=1)))
    with capture_events() as events:
        result = await tiered.run("number?")
    assert (result.output, result.tier) == (7, "strong")
    first = result.attempts[0]
    assert isinstance(first.error, OutputRetriesExhausted)
    assert first.usage.input_tokens == 20  # both of the cheap tier's calls count
    (escalated,) = events.of_type(RouteEscalated)
    assert escalated.error_type == "OutputRetriesExhausted"
    assert escalated.reason.startswith("OutputRetriesExhausted: ")


async def test_budget_exceeded_escalates() -> None:
    """A tier that runs out of steps hands over to the next."""
    loop = [ToolCallPart(id="c", name="lookup", arguments='{"key": "a"}')]
    tiered = Tiered(tiers([loop, loop], [loop, "A"], tools=[lookup], max_steps=2))
    result = await tiered.run("go")
    assert result.output == "A"
    assert isinstance(result.attempts[0].error, BudgetExceeded)


async def test_errors_outside_escalate_on_propagate_at_once() -> None:
    """A provider error is not an escalation reason by default: it propagates from the first tier."""
    boom = ProviderError("down", provider="fake")
    strong = FakeProvider(["unused"])
    tiered = Tiered([Tier("cheap", Agent(FakeProvider([boom]))), Tier("strong", Agent(strong))])
    with pytest.raises(ProviderError):
        await tiered.run("hi")
    assert strong.requests == []


async def test_escalate_on_can_include_provider_errors() -> None:
    """Listing ProviderError in escalate_on makes an outage of the cheap model escalate."""
    boom = ProviderError("down", provider="fake")
    result = await Tiered(tiers([boom], ["fine"]), escalate_on=(ProviderError,)).run("hi")
    assert result.output == "fine"
    assert result.attempts[0].reason == "ProviderError: fake: down"


async def test_last_tier_error_propagates() -> None:
    """When the last tier fails too, its error is raised."""
    with pytest.raises(OutputRetriesExhausted):
        await Tiered(tiers(["x"], ["y"], output_type=int, limits=Limits(output_retries=0))).run("n")


async def test_last_tier_answer_is_returned_even_if_rejected() -> None:
    """There is no tier left to escalate to: the answer comes back, with the reason in `unresolved`."""
    result = await Tiered(tiers([""], [""])).run("hi")
    assert (result.tier, result.output, result.unresolved) == ("strong", "", "empty answer")


async def test_each_tier_gets_the_same_input_by_default() -> None:
    """Without carry_transcript, the next tier sees only the original input."""
    cheap, strong = FakeProvider([""]), FakeProvider(["ok"])
    tiered = Tiered(
        [Tier("a", Agent(cheap, instructions="A")), Tier("b", Agent(strong, instructions="B"))]
    )
    await tiered.run("question")
    assert [(m.role, m.text) for m in strong.requests[0].messages] == [
        ("system", "B"),
        ("user", "question"),
    ]


async def test_carry_transcript_hands_over_the_conversation_and_a_note() -> None:
    """With carry_transcript, the next tier sees the previous conversation (its own instructions) and a note."""
    cheap, strong = FakeProvider([""]), FakeProvider(["ok"])
    tiered = Tiered(
        [Tier("a", Agent(cheap, instructions="A")), Tier("b", Agent(strong, instructions="B"))],
        carry_transcript=True,
    )
    await tiered.run("question")
    messages = strong.requests[0].messages
    assert [(m.role, m.text) for m in messages[:4]] == [
        ("system", "B"),
        ("user", "question"),
        ("assistant", ""),
        ("user", messages[3].text),
    ]
    assert "not accepted (empty answer)" in messages[3].text


async def test_total_usage_and_cost_add_up_every_tier() -> None:
    """The answering run's usage is its own; total_usage and total_cost cover every tier tried."""
    prices = PriceTable({"small": ModelPrice(1.0, 1.0), "large": ModelPrice(10.0, 10.0)})
    result = await Tiered(tiers([""], ["ok"])).run("hi")
    assert (result.usage.input_tokens, result.total_usage.input_tokens) == (100, 110)
    assert result.cost(prices) == pytest.approx(100 * 10.0 / 1e6)
    assert result.total_cost(prices) == pytest.approx((10 * 1.0 + 100 * 10.0) / 1e6)


async def test_sinks_receive_every_tiers_events() -> None:
    """Sinks given to run see both tiers' runs."""
    seen: list[Any] = []
    await Tiered(tiers([""], ["ok"])).run("hi", sinks=[seen.append])
    assert len([e for e in seen if isinstance(e, RunStarted)]) == 2


def test_run_sync_returns_a_tiered_result() -> None:
    """run_sync works from synchronous code."""
    result = Tiered(tiers([""], ["ok"])).run_sync("hi")
    assert isinstance(result, TieredResult)
    assert "strong" in repr(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"tiers": []}, "at least one tier"),
        ({"tiers": "dup"}, "repeated: 'a'"),
        ({"tiers": "one", "escalate_on": (int,)}, "Exception subclasses"),
    ],
)
def test_invalid_configuration_is_a_usage_error(arguments: dict[str, Any], message: str) -> None:
    """Empty tiers, duplicate names and non-exception escalate_on entries are refused."""
    agent = Agent(FakeProvider())
    named = {"dup": [Tier("a", agent), Tier("a", agent)], "one": [Tier("a", agent)]}
    if isinstance(arguments["tiers"], str):
        arguments = {**arguments, "tiers": named[arguments["tiers"]]}
    with pytest.raises(UsageError, match=message):
        Tiered(**arguments)


async def test_transcript_argument_is_refused() -> None:
    """Each tier keeps its own transcript, so a caller's transcript list is refused."""
    with pytest.raises(UsageError, match="one transcript per tier"):
        await Tiered(tiers(["ok"], [])).run("hi", transcript=[])
