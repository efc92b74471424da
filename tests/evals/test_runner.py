"""The eval runner: concurrency, timeouts, repeats, stores, offline replay, progress, scoring, through the front door."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit import tool
from agentkit.evals import (
    Case,
    CaseOutcome,
    Dataset,
    ExpectedCall,
    Progress,
    Score,
    eval_session_id,
    run_eval,
    run_eval_sync,
)
from agentkit.exceptions import UsageError
from agentkit.messages import ToolCallPart
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, SQLiteStore
from agentkit.testing import FakeProvider, FakeProviderServer, FunctionProvider, MockClock, Reply

if TYPE_CHECKING:
    from pathlib import Path

    from agentkit.providers import ModelRequest
    from agentkit.testing import ServedRequest

pytestmark = pytest.mark.anyio


@tool
def weather(city: str, unit: str = "celsius") -> str:
    """The weather in a city."""
    return f"sunny in {city} ({unit})"


WEATHER = Dataset(
    name="weather",
    cases=[
        Case(
            name="paris",
            inputs="Weather in Paris?",
            expected_tools=[ExpectedCall(name="weather", arguments={"city": "Paris"})],
            expected_output="Sunny in Paris.",
        ),
        Case(
            name="oslo",
            inputs="Weather in Oslo?",
            expected_tools=[ExpectedCall(name="weather", arguments={"city": "Oslo"})],
            expected_output="Sunny in Oslo.",
        ),
        Case(
            name="rome",
            inputs="Weather in Rome?",
            # The model below asks for Lyon instead: this case fails its trajectory.
            expected_tools=[ExpectedCall(name="weather", arguments={"city": "Rome"})],
            expected_output="Sunny in Rome.",
        ),
    ],
)


def _city(text: str) -> str:
    return text.split(" in ")[1].rstrip("?")


def _respond(served: ServedRequest) -> Reply:
    """The OpenAI wire: call weather for the asked city (Lyon for Rome), then answer."""
    messages = served.body["messages"]
    city = _city(next(m["content"] for m in messages if m["role"] == "user"))
    if any(m["role"] == "tool" for m in messages):
        return Reply(f"Sunny in {city}.")
    asked = "Lyon" if city == "Rome" else city
    return Reply("", tool_calls=(("weather", json.dumps({"city": asked})),))


def _scripted(request: ModelRequest) -> str | list[ToolCallPart]:
    """The same model as `_respond`, as a `FunctionProvider`."""
    city = _city(next(m.text for m in request.messages if m.role == "user"))
    if any(m.role == "tool" for m in request.messages):
        return f"Sunny in {city}."
    asked = "Lyon" if city == "Rome" else city
    return [ToolCallPart(id="c1", name="weather", arguments=json.dumps({"city": asked}))]


async def test_an_agent_over_a_real_adapter_is_evaluated_recorded_and_replayed_offline(
    tmp_path: Path,
) -> None:
    """An OpenAI adapter over the loopback server is scored per case, its runs stored, then replayed with no server."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    try:
        async with FakeProviderServer(responder=_respond) as server:
            provider = OpenAIChatProvider(
                "gpt-4.1-mini", api_key="k-test", base_url=server.url + "/v1"
            )
            agent = Agent(provider, tools=[weather], name="weather-bot", clock=MockClock(tick=0.5))
            try:
                live = await run_eval(WEATHER, agent, store=store, concurrency=2)
            finally:
                await provider.aclose()
            served = len(server.requests)
        assert served == 6  # two model calls per case
        assert [c.name for c in live.cases] == ["paris", "oslo", "rome"]
        assert [c.passed for c in live.cases] == [True, True, False]
        rome = live.case("rome").runs[0]
        assert [(s.scorer, s.passed) for s in rome.scores] == [
            ("exact_match", True),
            ("trajectory", False),
        ]
        assert "Lyon" in (rome.scores[1].reason or "")
        assert rome.tool_calls[0].arguments == {"city": "Lyon"}
        assert live.target == "weather-bot (gpt-4.1-mini)"
        assert live.case("paris").runs[0].cost_usd is not None  # a priced model: the cost is known
        assert live.case("paris").runs[0].input_tokens > 0
        # Every run's events are in the store, under the case's session.
        for case in WEATHER:
            (summary,) = store.runs(None, session_id=eval_session_id("weather", case.name))
            assert summary.run_id == live.case(case.name).runs[0].run_id
            assert summary.status == "completed"

        # The server is gone: offline, the runs are replayed from the store and score the same.
        offline = await run_eval(WEATHER, agent, store=store, offline=True)
        assert offline.offline
        assert [[(s.scorer, s.value) for s in c.runs[0].scores] for c in offline.cases] == [
            [(s.scorer, s.value) for s in c.runs[0].scores] for c in live.cases
        ]
        assert all(r.error is None for r in offline.runs)
    finally:
        store.close()


async def test_offline_replay_of_a_changed_agent_fails_the_case_with_a_divergence() -> None:
    """An agent that now needs an answer the recording lacks fails each case with ReplayDivergence, not a crash."""
    store = MemoryStore()
    agent = Agent(FunctionProvider(_scripted), tools=[weather])
    await run_eval(WEATHER, agent, store=store)
    # An int output: the recorded text answer fails validation, and the retry asks a question never recorded.
    changed = Agent(FunctionProvider(_scripted), tools=[weather], output_type=int)
    report = await run_eval(WEATHER, changed, store=store, offline=True)
    assert report.pass_rate == 0.0
    assert all((r.error or "").startswith("ReplayDivergence") for r in report.runs)


async def test_offline_replay_is_strict_so_stale_answers_are_never_scored() -> None:
    """New instructions the recording could still answer fail each case at the first request, not scored as before."""
    store = MemoryStore()
    await run_eval(WEATHER, Agent(FunctionProvider(_scripted), tools=[weather]), store=store)
    changed = Agent(FunctionProvider(_scripted), tools=[weather], instructions="Answer in French.")
    report = await run_eval(WEATHER, changed, store=store, offline=True)
    assert report.pass_rate == 0.0
    assert all(
        (r.error or "").startswith("ReplayDivergence") and "step 1, request messages" in r.error
        for r in report.runs
    )


async def test_offline_without_a_target_scores_the_recorded_runs_as_they_are() -> None:
    """``target=None`` offline reads each case's stored events and scores them, running nothing."""
    store = MemoryStore()
    await run_eval(WEATHER, Agent(FunctionProvider(_scripted), tools=[weather]), store=store)
    report = await run_eval(WEATHER, None, store=store, offline=True)
    assert [c.passed for c in report.cases] == [True, True, False]
    assert report.target == "recorded runs"


async def test_offline_with_nothing_recorded_fails_each_case_and_says_how_to_record() -> None:
    """A case without a recorded run fails with a message naming the session and the fix."""
    report = await run_eval(WEATHER, None, store=MemoryStore(), offline=True)
    error = report.runs[0].error or ""
    assert error.startswith("LookupError: no recorded run for case 'paris'")
    assert "without --offline" in error


async def test_repeats_replay_the_latest_batch_and_a_missing_repeat_fails() -> None:
    """Offline repeat i replays the i-th of the newest recorded runs; a repeat with no recording fails."""
    store = MemoryStore()
    agent = Agent(FunctionProvider(_scripted), tools=[weather])
    await run_eval(WEATHER, agent, store=store, repeats=2)
    again = await run_eval(WEATHER, agent, store=store, repeats=2, offline=True)
    assert all(r.error is None for r in again.runs)
    more = await run_eval(WEATHER, agent, store=store, repeats=3, offline=True)
    assert [r.error for r in more.case("paris").runs][:2] == [None, None]
    assert (more.case("paris").runs[2].error or "").startswith(
        "LookupError: no recorded run for case 'paris' (repeat 3)"
    )


async def test_concurrency_limits_the_runs_in_flight() -> None:
    """With ``concurrency=2`` no more than two runs are in flight, and all of them run."""
    in_flight = peak = 0

    async def target(inputs: Any) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
        in_flight -= 1
        return str(inputs)

    dataset = Dataset(
        name="n",
        cases=[Case(name=f"c{i}", inputs=f"x{i}", expected_output=f"x{i}") for i in range(7)],
    )
    report = await run_eval(dataset, target, concurrency=2, repeats=2)
    assert peak == 2
    assert len(report.runs) == 14
    assert report.pass_rate == 1.0


async def test_a_case_that_takes_too_long_fails_with_a_timeout_and_the_others_finish() -> None:
    """The runner's timeout fails a hung run; a case's own timeout wins over the runner's."""

    async def target(inputs: Any) -> str:
        if inputs == "hang":
            await anyio.sleep_forever()
        if inputs == "slowish":
            await anyio.sleep(0.2)
        return "ok"

    dataset = Dataset(
        name="t",
        cases=[
            Case(name="hung", inputs="hang", expected_output="ok"),
            Case(name="quick", inputs="now", expected_output="ok"),
            Case(name="patient", inputs="slowish", expected_output="ok", timeout=30),
        ],
    )
    report = await run_eval(dataset, target, timeout=0.05)
    hung = report.case("hung").runs[0]
    assert hung.error == "TimeoutError: the case took longer than 0.05s"
    assert not hung.passed
    assert hung.scores[0].passed is False
    assert report.case("quick").passed
    assert report.case("patient").passed


async def test_repeats_give_each_case_a_pass_rate_and_mean_scores() -> None:
    """A flaky target run four times passes half of them: pass rate 0.5, mean 0.5, not passed."""
    calls = 0

    def flaky(inputs: Any) -> str:
        nonlocal calls
        calls += 1
        return "yes" if calls % 2 else "no"

    dataset = Dataset(name="f", cases=[Case(name="c", inputs="?", expected_output="yes")])
    report = await run_eval(dataset, flaky, repeats=4, concurrency=1)
    case = report.case("c")
    assert [r.repeat for r in case.runs] == [0, 1, 2, 3]
    assert case.pass_rate == 0.5
    assert case.mean_score("exact_match") == 0.5
    assert not case.passed
    assert report.repeats == 4


async def test_latency_comes_from_the_injected_clock() -> None:
    """Latency is the difference of two readings of the runner's clock."""
    clock = MockClock(tick=0.25)
    dataset = Dataset(name="l", cases=[Case(name="c", inputs="hi", expected_output="hi")])
    report = await run_eval(dataset, lambda inputs: inputs, clock=clock)
    assert report.runs[0].latency_s == 0.25
    assert report.started_at == datetime(
        2026, 1, 1, tzinfo=timezone.utc
    )  # the clock's first reading


async def test_function_targets_may_return_outcomes_results_or_values_and_their_agent_runs_are_stored() -> (
    None
):
    """A function's agent runs are captured into the store; a RunResult or CaseOutcome it returns is used as is."""
    store = MemoryStore()
    agent = Agent(FakeProvider(["Bonjour !"] * 3))

    async def via_agent(inputs: Any) -> Any:
        return await agent.run(inputs, run_id="inner-run")

    def as_outcome(inputs: Any) -> CaseOutcome:
        return CaseOutcome(output="Bonjour !", run_id="made-up")

    def as_value(inputs: Any) -> str:
        return agent.run_sync(
            inputs
        ).output  # a sync function runs in a worker thread, so run_sync works

    dataset = Dataset(name="f", cases=[Case(name="c", inputs="hi", expected_output="Bonjour !")])
    first = await run_eval(dataset, via_agent, store=store)
    assert first.runs[0].run_id == "inner-run"
    assert next(e.type for e in store.read("inner-run")) == "run.started"
    assert store.get_run("inner-run").session_id == eval_session_id("f", "c")
    assert (await run_eval(dataset, as_outcome)).runs[0].run_id == "made-up"
    third = await run_eval(dataset, as_value, store=store)
    assert third.pass_rate == 1.0
    assert third.runs[0].run_id is not None
    assert len(store.runs(None, session_id=eval_session_id("f", "c"))) == 2


async def test_an_error_in_the_target_or_a_scorer_fails_that_run_only() -> None:
    """A target that raises records the error; a scorer that raises gives a failed score saying so."""

    def target(inputs: Any) -> str:
        if inputs == "boom":
            raise ValueError("no such city")
        return "fine"

    def picky(case: Case, outcome: CaseOutcome) -> bool:
        if outcome.output == "fine":
            raise RuntimeError("scorer bug")
        return False

    dataset = Dataset(
        name="e", cases=[Case(name="bad", inputs="boom"), Case(name="good", inputs="ok")]
    )
    report = await run_eval(dataset, target, scorers=[picky])
    assert report.case("bad").runs[0].error == "ValueError: no such city"
    (score,) = report.case("good").runs[0].scores
    assert (score.scorer, score.passed, score.reason) == (
        "picky",
        False,
        "the scorer raised RuntimeError: scorer bug",
    )


async def test_scorers_objects_and_functions_and_skipped_scores_are_kept() -> None:
    """Scorer objects and plain functions both score; a skipped score passes and is left out of the means."""

    class Always:
        name = "always"

        async def score(self, case: Case, outcome: CaseOutcome) -> Score:
            return Score.skip("always", "nothing to judge")

    dataset = Dataset(name="s", cases=[Case(name="c", inputs="x")])
    report = await run_eval(
        dataset, lambda inputs: "x", scorers=[Always(), lambda case, outcome: 0.75]
    )
    skipped, plain = report.runs[0].scores
    assert skipped.skipped
    assert skipped.passed
    assert plain.scorer == "<lambda>"
    assert plain.value == 0.75
    assert report.case("c").mean_score("always") is None
    assert [s.scorer for s in report.summary().scorers] == ["<lambda>"]


async def test_the_default_scorers_are_the_datasets_named_ones() -> None:
    """A dataset naming its scorers is scored by exactly those."""
    dataset = Dataset(
        name="d", scorers=["fuzzy_match"], cases=[Case(name="c", inputs="x", expected_output="x")]
    )
    report = await run_eval(dataset, lambda inputs: "x")
    assert [s.scorer for s in report.runs[0].scores] == ["fuzzy_match"]


async def test_wrong_arguments_are_usage_errors() -> None:
    """Bad repeats or concurrency, offline without a store, or nothing to run are refused before any run."""
    with pytest.raises(UsageError, match="repeats"):
        await run_eval(WEATHER, lambda i: i, repeats=0)
    with pytest.raises(UsageError, match="concurrency"):
        await run_eval(WEATHER, lambda i: i, concurrency=0)
    with pytest.raises(UsageError, match="store="):
        await run_eval(WEATHER, None, offline=True)
    with pytest.raises(UsageError, match="nothing to evaluate"):
        await run_eval(WEATHER, None)


async def test_run_eval_sync_refuses_a_running_loop() -> None:
    """``run_eval_sync`` inside an event loop says to await ``run_eval``."""
    with pytest.raises(UsageError, match="await run_eval"):
        run_eval_sync(WEATHER, lambda i: i)


def test_run_eval_sync_runs_from_plain_code() -> None:
    """``run_eval_sync`` runs the eval with the same options."""
    report = run_eval_sync(
        WEATHER, Agent(FunctionProvider(_scripted), tools=[weather]), metadata={"commit": "abc"}
    )
    assert report.summary().cases_passed == 2
    assert report.metadata == {"commit": "abc"}


async def test_progress_is_one_line_per_run_without_a_terminal() -> None:
    """Without a terminal, each finished run prints one line: its number, verdict, case and latency."""
    out = io.StringIO()
    agent = Agent(FunctionProvider(_scripted), tools=[weather])
    await run_eval(WEATHER, agent, progress=out, concurrency=1, clock=MockClock(tick=0.5))
    lines = out.getvalue().splitlines()
    assert lines == [
        "[1/3] pass  paris  500ms",
        "[2/3] pass  oslo  500ms",
        "[3/3] FAIL  rome  500ms",
    ]


async def test_progress_on_a_terminal_is_a_bar_redrawn_in_place() -> None:
    """On a terminal the bar is redrawn with a carriage return and ends with one newline."""
    out = io.StringIO()
    progress = Progress(3, out, tty=True, width=6)
    await run_eval(
        WEATHER,
        Agent(FunctionProvider(_scripted), tools=[weather]),
        progress=progress,
        concurrency=1,
    )
    text = out.getvalue()
    assert text.count("\r") == 3
    assert text.endswith("\r██████ 3/3 runs  2 passed  1 failed\x1b[K\n")


def test_progress_escapes_control_characters_from_case_names() -> None:
    """A case name holding an escape sequence is printed as visible escapes."""
    out = io.StringIO()
    progress = Progress(1, out, tty=False)
    progress.update("evil\x1b[2J", 1, passed=False, latency_s=None, error="Boom\nsecond line")
    assert out.getvalue() == "[1/1] FAIL  evil\\x1b[2J #2  -  Boom\n"
