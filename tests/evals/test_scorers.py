"""Scorers: text, schema, fields, budgets, custom functions, tool trajectories and the LLM judge."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.evals import (
    ANY,
    Case,
    CaseOutcome,
    CostBudget,
    ExactMatch,
    ExpectedCall,
    FieldsMatch,
    FuzzyMatch,
    JsonSchemaValid,
    JudgeVars,
    LatencyBudget,
    LLMJudge,
    ObservedCall,
    Score,
    Scorer,
    TokenBudget,
    TrajectoryMatch,
    TrajectoryOptions,
    as_scorer,
    one_of,
    optional,
    scorer_by_name,
)
from agentkit.exceptions import UsageError
from agentkit.messages import Message, Usage
from agentkit.prompts import Prompt
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.storage import MemoryStore, StoreSink
from agentkit.testing import FakeProvider, FakeProviderServer, MockClock, Reply

pytestmark = pytest.mark.anyio


class City(BaseModel):
    """A structured output."""

    name: str
    population: int


def _case(**fields: Any) -> Case:
    return Case(name=fields.pop("name", "c"), inputs=fields.pop("inputs", "?"), **fields)


async def test_exact_match_compares_data_as_data_and_text_after_normalisation() -> None:
    """Structured outputs compare as data; text after the chosen normalisation; failures say why."""
    scorer = ExactMatch()
    data = _case(expected_output={"name": "Paris", "population": 2})
    assert (await scorer.score(data, CaseOutcome(output=City(name="Paris", population=2)))).passed
    differs = await scorer.score(data, CaseOutcome(output={"name": "Lyon", "population": 2}))
    assert not differs.passed
    assert differs.details["got"] == {"name": "Lyon", "population": 2}
    text = _case(expected_output="Hello,  World")
    assert (await scorer.score(text, CaseOutcome(output=" Hello, World\n"))).passed
    assert not (await scorer.score(text, CaseOutcome(output="hello, world"))).passed
    loose = ExactMatch(ignore_case=True, ignore_punctuation=True)
    assert (await loose.score(text, CaseOutcome(output="hello world"))).passed
    json_text = _case(expected_output={"a": 1})
    assert (await scorer.score(json_text, CaseOutcome(output='{"a":1}'))).passed
    assert not (await scorer.score(json_text, CaseOutcome(output='{"a": 2}'))).passed
    assert not (await scorer.score(json_text, CaseOutcome(output="a: 1"))).passed


async def test_text_scorers_skip_without_expectation_and_fail_failed_runs() -> None:
    """No expected output: skipped; a failed run or a run without output fails with the reason."""
    for scorer in (ExactMatch(), FuzzyMatch()):
        skipped = await scorer.score(_case(), CaseOutcome(output="x"))
        assert skipped.skipped
        assert skipped.passed
        failed = await scorer.score(_case(expected_output="x"), CaseOutcome(error="ValueError: no"))
        assert not failed.passed
        assert "ValueError: no" in failed.reason
        empty = await scorer.score(_case(expected_output="x"), CaseOutcome())
        assert empty.reason == "the run produced no output"
    assert (await ExactMatch().score(_case(expected_output="x"), CaseOutcome(text="x"))).passed


async def test_fuzzy_match_uses_the_ratio_as_value_and_the_threshold_to_pass() -> None:
    """The similarity ratio is the value; the case passes from the threshold on."""
    case = _case(expected_output="The capital of France is Paris.")
    close = await FuzzyMatch(threshold=0.9).score(
        case, CaseOutcome(output="the capital of France is Paris")
    )
    assert close.passed
    assert close.value > 0.9
    far = await FuzzyMatch(threshold=0.9).score(case, CaseOutcome(output="I do not know."))
    assert not far.passed
    assert far.details["threshold"] == 0.9
    with pytest.raises(UsageError, match="between 0 and 1"):
        FuzzyMatch(threshold=2)


async def test_json_schema_valid_reads_models_metadata_and_text() -> None:
    """A model's schema or the case's metadata schema validates the output; violations are listed."""
    scorer = JsonSchemaValid(City)
    assert (await scorer.score(_case(), CaseOutcome(output=City(name="P", population=1)))).passed
    bad = await scorer.score(_case(), CaseOutcome(output='{"name": 3}'))
    assert not bad.passed
    assert len(bad.details["errors"]) == 2
    assert "violations" in bad.reason
    assert "not JSON" in (await scorer.score(_case(), CaseOutcome(output="{nope"))).reason
    assert "failed" in (await scorer.score(_case(), CaseOutcome(error="E: x"))).reason
    from_metadata = JsonSchemaValid()
    assert (await from_metadata.score(_case(), CaseOutcome(output="1"))).skipped
    typed = _case(metadata={"output_schema": {"type": "integer"}})
    assert (await from_metadata.score(typed, CaseOutcome(output=1))).passed
    assert not (await from_metadata.score(typed, CaseOutcome(output="1.5"))).passed


async def test_fields_match_compares_selected_and_nested_fields() -> None:
    """Selected dotted paths (list indexes included) or every leaf are compared; the value is the share equal."""
    expected = {
        "city": "Paris",
        "geo": {"lat": 48.8566},
        "tags": ["a", "b"],
        "ok": True,
        "empty": {},
    }
    case = _case(expected_output=expected)
    same = {"city": "paris", "geo": {"lat": 48.8567}, "tags": ["a", "b"], "ok": True, "empty": {}}
    strict = await FieldsMatch().score(case, CaseOutcome(output=same))
    assert strict.value == pytest.approx(4 / 6)
    assert set(strict.details["fields"]) == {"city", "geo.lat"}
    lenient = FieldsMatch(rel_tol=1e-3, ignore_case=True)
    assert (await lenient.score(case, CaseOutcome(output=json.dumps(same)))).passed
    picked = await FieldsMatch(["tags.-1", "ok"]).score(
        case, CaseOutcome(output={"tags": ["b"], "ok": 1})
    )
    assert picked.details["fields"] == {"ok": "expected True, got 1"}
    missing = await FieldsMatch(["geo.lat"]).score(case, CaseOutcome(output={"geo": {}}))
    assert missing.details["fields"] == {"geo.lat": "missing"}
    assert "not structured" in (await FieldsMatch().score(case, CaseOutcome(output="x"))).reason
    assert (await FieldsMatch().score(_case(), CaseOutcome(output={}))).skipped
    assert (await FieldsMatch().score(case, CaseOutcome(error="E: x"))).passed is False
    assert (await FieldsMatch([]).score(case, CaseOutcome(output={}))).skipped
    with pytest.raises(UsageError, match="no field 'nope'"):
        await FieldsMatch(["nope"]).score(case, CaseOutcome(output={}))


async def test_budgets_pass_within_and_scale_over_and_handle_unknowns() -> None:
    """Within budget the value is 1; over it budget/used; an unknown measure skips or fails as asked."""
    usage = Usage(input_tokens=800, output_tokens=400)
    outcome = CaseOutcome(latency_s=1.0, cost_usd=0.02, usage=usage)
    assert (await LatencyBudget(2).score(_case(), outcome)).passed
    over = await CostBudget(0.01).score(_case(), outcome)
    assert over.value == pytest.approx(0.5)
    assert not over.passed
    assert (await TokenBudget(1000, kind="input").score(_case(), outcome)).passed
    assert not (await TokenBudget(300, kind="output").score(_case(), outcome)).passed
    assert (await TokenBudget(10).score(_case(), CaseOutcome())).skipped
    unknown = await CostBudget(1, if_unknown="fail").score(_case(), CaseOutcome())
    assert not unknown.passed
    assert "unknown" in unknown.reason
    assert (await LatencyBudget(0).score(_case(), CaseOutcome(latency_s=0.0))).passed
    assert (await LatencyBudget(0).score(_case(), CaseOutcome(latency_s=1.0))).value == 0.0
    with pytest.raises(UsageError, match="not negative"):
        LatencyBudget(-1)


async def test_as_scorer_adapts_functions_of_every_shape() -> None:
    """bool, float, Score, sync or async: a function becomes a scorer; a scorer stays itself."""

    def yes(case: Case, outcome: CaseOutcome) -> bool:
        return True

    async def half(case: Case, outcome: CaseOutcome) -> float:
        return 0.5

    def full(case: Case, outcome: CaseOutcome) -> Score:
        return Score(scorer="other", value=1.0, passed=True, reason="fine")

    def broken(case: Case, outcome: CaseOutcome) -> Any:
        return "yes"

    outcome = CaseOutcome(output="x")
    assert (await as_scorer(yes).score(_case(), outcome)).reason == "passed"
    graded = await as_scorer(half, name="half", threshold=0.6).score(_case(), outcome)
    assert (graded.scorer, graded.passed) == ("half", False)
    assert (await as_scorer(full).score(_case(), outcome)).scorer == "full"
    with pytest.raises(UsageError, match="returned 'yes'"):
        await as_scorer(broken).score(_case(), outcome)
    exact = ExactMatch()
    assert as_scorer(exact) is exact
    wrapped = as_scorer(yes)
    assert as_scorer(wrapped) is wrapped
    assert isinstance(wrapped, Scorer)
    assert repr(wrapped) == "FunctionScorer('yes')"


def test_scorer_by_name_builds_builtins_and_suggests_names() -> None:
    """Built-in scorers come by name; a typo gets a suggestion."""
    assert isinstance(scorer_by_name("fuzzy_match"), FuzzyMatch)
    with pytest.raises(UsageError, match="did you mean 'trajectory'"):
        scorer_by_name("trajectry")


# ------------------------------------------------------------------------------------------- trajectory


def _calls(*pairs: tuple[str, dict[str, Any]]) -> list[ObservedCall]:
    return [ObservedCall(name=name, arguments=arguments) for name, arguments in pairs]


async def test_trajectory_strict_order_groups_and_out_of_order_calls() -> None:
    """In strict order, grouped calls match in any order; a call out of its place is reported as such."""
    expected = [
        ExpectedCall(name="search", arguments={"q": "flights"}),
        ExpectedCall(name="book", arguments={"id": 1}, group="g"),
        ExpectedCall(name="pay", arguments={"id": 1}, group="g"),
    ]
    case = _case(expected_tools=expected)
    good = _calls(("search", {"q": "Flights"}), ("pay", {"id": 1}), ("book", {"id": 1}))
    assert (await TrajectoryMatch().score(case, CaseOutcome(tool_calls=good))).passed
    swapped = _calls(("book", {"id": 1}), ("search", {"q": "flights"}), ("pay", {"id": 1}))
    score = await TrajectoryMatch().score(case, CaseOutcome(tool_calls=swapped))
    assert not score.passed
    assert "wrong_order" in score.details["kinds"]
    anywhere = TrajectoryMatch(order="any")
    assert (await anywhere.score(case, CaseOutcome(tool_calls=swapped))).passed
    assert (await TrajectoryMatch().score(_case(), CaseOutcome(tool_calls=swapped))).skipped


async def test_trajectory_extra_calls_and_arguments_when_allowed() -> None:
    """Extra calls and arguments fail by default and pass when the options allow them."""
    case = _case(
        expected_tools=[ExpectedCall(name="a", arguments={"x": 1}), ExpectedCall(name="b")]
    )
    calls = _calls(("log", {}), ("a", {"x": 1, "verbose": True}), ("log", {}), ("b", {}))
    strict = await TrajectoryMatch().score(case, CaseOutcome(tool_calls=calls))
    assert not strict.passed
    assert set(strict.details["kinds"]) >= {"unexpected_argument"}
    relaxed = TrajectoryMatch(extra_calls=True, extra_arguments=True)
    score = await relaxed.score(case, CaseOutcome(tool_calls=calls))
    assert score.passed
    assert score.value == 1.0
    per_case = case.model_copy(
        update={"trajectory": TrajectoryOptions(extra_calls=True, extra_arguments=True)}
    )
    assert (await TrajectoryMatch().score(per_case, CaseOutcome(tool_calls=calls))).passed
    none_expected = await TrajectoryMatch().score(
        _case(expected_tools=[]), CaseOutcome(tool_calls=calls[:1])
    )
    assert none_expected.details["kinds"] == ["extra_call"]
    assert (await TrajectoryMatch().score(_case(expected_tools=[]), CaseOutcome())).reason == (
        "no call expected, none made"
    )
    short = await TrajectoryMatch(extra_calls=True).score(case, CaseOutcome(tool_calls=calls[:2]))
    assert short.details["kinds"] == ["unexpected_argument", "wrong_function"] or not short.passed


async def test_trajectory_patterns_types_and_nesting() -> None:
    """one_of, optional keys, ANY, nested dicts and lists, BFCL's type rules and string normalisation."""
    want = ExpectedCall(
        name="book",
        arguments={
            "city": one_of("New York", "NYC"),
            "guests": 2,
            "price": 10.0,
            "dates": ["2024-05-01", "2024-05-03"],
            "prefs": {"smoking": False, "floor": optional(one_of(1, 2))},
            "note": ANY,
            "extra": optional(),
        },
    )
    scorer = TrajectoryMatch()
    ok = ObservedCall(
        name="book",
        arguments={
            "city": "new-york",
            "guests": 2,
            "price": 10,
            "dates": ["2024 05 01", "2024-05-03"],
            "prefs": {"smoking": False},
            "note": {"anything": 1},
        },
    )
    assert scorer.check_call(want, ok) == []
    cases = {
        "guests": (2.0, "wrong_type"),
        "price": ("10", "wrong_type"),
        "city": ("Boston", "wrong_value"),
        "dates": (["2024-05-01"], "wrong_value"),
        "prefs": ({"smoking": 0}, "wrong_type"),
    }
    for key, (value, kind) in cases.items():
        changed = ok.model_copy(update={"arguments": {**ok.arguments, key: value}})
        assert [m.kind for m in scorer.check_call(want, changed)] == [kind], key
    nested = ok.model_copy(
        update={"arguments": {**ok.arguments, "prefs": {"smoking": False, "floor": 3}}}
    )
    assert [m.path for m in scorer.check_call(want, nested)] == ["prefs.floor"]
    extra_key = ok.model_copy(
        update={"arguments": {**ok.arguments, "prefs": {"smoking": False, "x": 1}}}
    )
    assert [m.kind for m in scorer.check_call(want, extra_key)] == ["unexpected_argument"]
    no_prefs = {k: v for k, v in ok.arguments.items() if k != "prefs"}
    assert [
        m.kind for m in scorer.check_call(want, ok.model_copy(update={"arguments": no_prefs}))
    ] == ["missing_argument"]
    mixed = ExpectedCall(name="f", arguments={"v": one_of(1, True)})
    assert (
        scorer.check_call(mixed, ObservedCall(name="f", arguments={"v": "1"}))[0].kind
        == "wrong_type"
    )
    exact = TrajectoryMatch(normalize_strings=False)
    assert exact.check_call(want, ok)[0].kind == "wrong_value"
    broken = ObservedCall(name="book", raw_arguments="{oops")
    assert scorer.check_call(want, broken)[0].kind == "invalid_arguments"
    nothing = ExpectedCall(name="f", arguments={"v": one_of()})
    assert (
        "no value is acceptable"
        in scorer.check_call(nothing, ObservedCall(name="f", arguments={"v": 1}))[0].message
    )
    lists = ExpectedCall(name="f", arguments={"v": [1, 2]})
    assert (
        scorer.check_call(lists, ObservedCall(name="f", arguments={"v": "1,2"}))[0].kind
        == "wrong_type"
    )
    objects = ExpectedCall(name="f", arguments={"v": {"a": 1}})
    assert (
        scorer.check_call(objects, ObservedCall(name="f", arguments={"v": [1]}))[0].kind
        == "wrong_type"
    )
    nulls = ExpectedCall(name="f", arguments={"v": None})
    assert scorer.check_call(nulls, ObservedCall(name="f", arguments={"v": None})) == []


async def test_trajectory_uses_tool_schemas_for_types_and_required_arguments() -> None:
    """A contract's schema adds type rules ($ref and anyOf followed) and the arguments it requires."""

    class Stay(BaseModel):
        """Nested arguments."""

        nights: int
        rate: float

    @tool
    def reserve(
        hotel: str, stay: Stay, note: str | None = None, tags: list[int] | None = None
    ) -> str:
        """Reserve a hotel."""
        return "ok"

    scorer = TrajectoryMatch(tools=[reserve.contract])
    want = ExpectedCall(name="reserve", arguments={"stay": {"nights": 2, "rate": 100}, "tags": ANY})
    ok = ObservedCall(
        name="reserve", arguments={"hotel": "x", "stay": {"nights": 2, "rate": 100.0}, "tags": [1]}
    )
    problems = scorer.check_call(want, ok)
    assert [m.kind for m in problems] == [
        "unexpected_argument"
    ]  # hotel: required, but the case lists it not
    want = want.model_copy(update={"arguments": {**want.arguments, "hotel": ANY}})
    assert scorer.check_call(want, ok) == []
    missing = ObservedCall(
        name="reserve", arguments={"stay": {"nights": 2, "rate": 100.0}, "tags": [1]}
    )
    assert [m.message for m in scorer.check_call(want, missing)] == ["hotel: required but missing"]
    lax = TrajectoryMatch(tools=[reserve.contract], extra_arguments=True)
    no_hotel = ExpectedCall(name="reserve", arguments={"stay": {"nights": 2, "rate": 100}})
    assert lax.check_call(no_hotel, ok) == []
    assert [m.message for m in lax.check_call(no_hotel, missing)] == [
        "hotel: required by the tool but missing"
    ]
    unknown = ok.model_copy(update={"arguments": {**ok.arguments, "zzz": 1}})
    assert [m.kind for m in lax.check_call(no_hotel, unknown)] == ["unexpected_argument"]
    floaty = ok.model_copy(
        update={"arguments": {**ok.arguments, "stay": {"nights": 2.0, "rate": 100}}}
    )
    assert [m.kind for m in scorer.check_call(want, floaty)] == ["wrong_value"] or [
        m.kind for m in scorer.check_call(want, floaty)
    ] == ["wrong_type"]
    typed = TrajectoryMatch(tools=[{"name": "f", "parameters": {"type": "object", "properties": {
        "n": {"type": "number"}, "t": {"type": "array", "items": [{"type": "string"}]},
        "u": {"type": ["string", "null"]}, "w": {"anyOf": [{"type": "integer"}, {}]}}}}])  # fmt: skip
    call = ExpectedCall(name="f", arguments={"n": 3, "t": ["a"], "u": None, "w": 1})
    assert (
        typed.check_call(
            call, ObservedCall(name="f", arguments={"n": 3.0, "t": ["A"], "u": None, "w": 1})
        )
        == []
    )
    assert typed.check_call(
        call, ObservedCall(name="f", arguments={"n": 3, "t": [1], "u": 1, "w": 1})
    )
    with pytest.raises(UsageError, match="a tool definition is"):
        TrajectoryMatch(tools=[{"name": "f"}])


async def test_trajectory_reports_missing_calls_and_partial_value() -> None:
    """A call never made is a missing call; the value is the share of calls matched."""
    case = _case(
        expected_tools=[ExpectedCall(name="a"), ExpectedCall(name="b"), ExpectedCall(name="c")],
        trajectory=TrajectoryOptions(order="any"),
    )
    score = await TrajectoryMatch().score(case, CaseOutcome(tool_calls=_calls(("b", {}))))
    assert score.value == pytest.approx(1 / 3)
    assert score.details["kinds"] == ["missing_call"]
    assert score.reason.count("no call to") == 2
    many = [ExpectedCall(name=f"t{i}") for i in range(5)]
    four_wrong = await TrajectoryMatch().score(_case(expected_tools=many), CaseOutcome())
    assert four_wrong.reason.endswith("; …")


# ------------------------------------------------------------------------------------------------- judge


async def test_llm_judge_returns_the_validated_verdict_and_records_its_prompt() -> None:
    """The judge's JSON verdict becomes the score; its run records the prompt's name and version."""
    store = MemoryStore()
    provider = FakeProvider(['{"score": 0.4, "passed": false, "reason": "Too vague."}'])
    judge = LLMJudge(
        provider, criteria="Names the city.", sinks=[StoreSink(store)], clock=MockClock()
    )
    case = _case(inputs=[Message.user("Where?")], expected_output={"city": "Paris"})
    outcome = CaseOutcome(output="Somewhere.", tool_calls=_calls(("search", {"q": "x"})))
    score = await judge.score(case, outcome)
    assert (score.value, score.passed, score.reason) == (0.4, False, "Too vague.")
    sent = provider.requests[0].messages[-1].text
    assert "Criteria: Names the city." in sent
    assert 'Expected answer:\n{"city": "Paris"}' in sent
    assert 'search({"q": "x"})' in sent
    assert "user: Where?" in sent
    events = store.read(score.details["judge_run_id"])
    rendered = [e for e in events if e.type == "prompt.rendered"]
    assert rendered[0].prompt_name == "agentkit.evals.judge"
    assert rendered[0].prompt_version == "1.0.0"
    lenient = LLMJudge(
        FakeProvider(['{"score": 0.4, "passed": false, "reason": "ok"}']),
        criteria="x",
        threshold=0.3,
    )
    assert (await lenient.score(case, outcome)).passed
    with pytest.raises(UsageError, match="between 0 and 1"):
        LLMJudge(provider, criteria="x", threshold=1.5)


async def test_llm_judge_with_an_invalid_verdict_gives_a_failing_score() -> None:
    """A judge that never answers a valid verdict fails the case with the reason, it does not stop the eval."""
    provider = FakeProvider(['{"score": 7}'] * 5)
    score = await LLMJudge(provider, criteria="x").score(_case(), CaseOutcome(error="E: boom"))
    assert not score.passed
    assert score.details["judge_error"]
    assert "the judge gave no valid verdict" in score.reason
    assert "(the run failed: E: boom)" in provider.requests[0].messages[-1].text


async def test_llm_judge_with_its_own_prompt_version_over_a_real_adapter() -> None:
    """A custom judge prompt goes over the OpenAI adapter to the loopback server, and its verdict is parsed."""
    custom = Prompt(
        "agentkit.evals.judge",
        vars=JudgeVars,
        version="2.0.0",
        system="Grade strictly. Answer JSON with score, passed, reason.",
        user="{criteria}\n---\n{output}",
    )
    async with FakeProviderServer() as server:
        server.script(Reply('{"score": 1, "passed": true, "reason": "Exactly right."}'))
        adapter = OpenAIChatProvider(
            "gpt-4.1-mini", api_key="sk-test-0000", base_url=server.url + "/v1"
        )
        judge = LLMJudge(adapter, criteria="Says 42.", prompt=custom)
        score = await judge.score(_case(inputs="Answer?"), CaseOutcome(output=42))
        request = server.requests[0].body
    assert (score.value, score.passed, score.reason) == (1.0, True, "Exactly right.")
    assert score.details["prompt"]["version"] == "2.0.0"
    assert request["messages"][-1]["content"] == "Says 42.\n---\n42"
