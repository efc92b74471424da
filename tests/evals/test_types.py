"""Evals data model: cases, datasets on disk and from stored runs, and outcomes built from runs and their events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel, ValidationError

from agentkit import tool
from agentkit.evals import (
    ANY,
    Case,
    CaseOutcome,
    Dataset,
    ExpectedCall,
    ObservedCall,
    TrajectoryOptions,
    one_of,
    optional,
)
from agentkit.exceptions import UsageError
from agentkit.messages import Message, ToolCallPart, Usage
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, RunNotFound, SQLiteStore, StoreSink
from agentkit.testing import FakeProvider, MockClock

if TYPE_CHECKING:
    from pathlib import Path


@tool
def weather(city: str, unit: str = "C") -> str:
    """The weather in a city."""
    return f"sunny in {city} ({unit})"


@tool
def explode(city: str) -> str:
    """A tool that always fails."""
    raise RuntimeError("boom")


class City(BaseModel):
    """A structured output."""

    name: str
    country: str


def _call(call_id: str, name: str, arguments: str) -> ToolCallPart:
    return ToolCallPart(id=call_id, name=name, arguments=arguments)


def _dataset() -> Dataset:
    return Dataset(
        name="weather",
        description="tool use",
        scorers=["trajectory", "exact_match"],
        cases=[
            Case(
                name="paris",
                inputs="Weather in Paris?",
                expected_output="Sunny.",
                expected_tools=[
                    ExpectedCall(
                        name="weather",
                        arguments={"city": "Paris", "unit": one_of("C", "celsius"), "x": ANY},
                        optional=["unit"],
                        group="g",
                    )
                ],
                trajectory=TrajectoryOptions(order="any"),
                metadata={"source": "test"},
                mode="dry_run",
                timeout=5,
                tags=["smoke"],
            ),
            Case(name="vars", inputs={"city": "Lyon"}, expected_output={"name": "Lyon"}),
            Case(name="msgs", inputs=[Message.user("hi")]),
        ],
    )


def test_dataset_round_trips_through_json_and_yaml(tmp_path: Path) -> None:
    """A dataset written to JSON or YAML reads back equal, patterns and messages included."""
    data = _dataset()
    assert Dataset.from_json(data.to_json(tmp_path / "d.json")) == data
    assert Dataset.from_yaml(data.to_yaml(tmp_path / "d.yaml")) == data
    written = json.loads((tmp_path / "d.json").read_text())
    assert written["cases"][0]["expected_tools"][0]["arguments"]["unit"] == {
        "$one_of": ["C", "celsius"]
    }
    assert "expected_output" not in written["cases"][2]  # defaults are left out of the file


def test_dataset_file_accepts_message_shorthand_and_rejects_typos(tmp_path: Path) -> None:
    """A YAML case may write messages as role/content; an unknown key or a duplicate name is refused."""
    path = tmp_path / "d.yaml"
    path.write_text(
        "name: d\ncases:\n  - name: a\n    inputs:\n      - {role: system, content: Be brief.}\n"
        "      - {role: user, content: hi}\n"
    )
    case = Dataset.from_yaml(path).case("a")
    assert isinstance(case.inputs, list)
    assert [(m.role, m.text) for m in case.inputs] == [("system", "Be brief."), ("user", "hi")]
    assert case.user_input == case.inputs
    assert case.prompt_vars is None
    path.write_text("name: d\ncases:\n  - name: a\n    inputs: hi\n    expected_outptu: x\n")
    with pytest.raises(ValidationError, match="expected_outptu"):
        Dataset.from_yaml(path)
    with pytest.raises(ValidationError, match="two cases are named 'a'"):
        Dataset(name="d", cases=[Case(name="a", inputs="x"), Case(name="a", inputs="y")])
    path.write_text("- just a list\n")
    with pytest.raises(UsageError, match="a dataset file holds a mapping"):
        Dataset.from_yaml(path)


def test_dataset_lookup_and_iteration() -> None:
    """A dataset iterates its cases, has a length, and finds a case by name or names the ones it has."""
    data = _dataset()
    assert [c.name for c in data] == ["paris", "vars", "msgs"]
    assert len(data) == 3
    assert data.case("vars").prompt_vars == {"city": "Lyon"}
    assert data.case("vars").user_input is None
    with pytest.raises(KeyError, match=r"no case named 'nope'.*'paris'"):
        data.case("nope")


def test_case_rejects_unknown_mode_and_bad_timeout() -> None:
    """The mode is one of the four execution modes, and a timeout is positive."""
    with pytest.raises(ValidationError, match="mode"):
        Case(name="c", inputs="x", mode="yolo")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timeout"):
        Case(name="c", inputs="x", timeout=0)


def test_expected_call_from_bfcl_reads_acceptable_values_and_omissions() -> None:
    """BFCL's lists of acceptable values become patterns: one value, one_of, optional, nested dicts."""
    call = ExpectedCall.from_bfcl(
        {
            "f": {
                "a": [1],
                "b": ["x", "y"],
                "c": ["", "z"],
                "d": [""],
                "e": [{"k": ["v"], "o": ["", 1, 2]}],
                "l": [[1, 2], [2, 1]],
            }
        },
        group="p",
    )
    assert call.arguments == {
        "a": 1,
        "b": one_of("x", "y"),
        "c": optional("z"),
        "d": optional(""),
        "e": {"k": "v", "o": optional(one_of(1, 2))},
        "l": one_of([1, 2], [2, 1]),
    }
    assert call.group == "p"
    assert call.is_optional("c")
    assert not call.is_optional("a")
    with pytest.raises(ValueError, match="exactly one function"):
        ExpectedCall.from_bfcl({"f": {}, "g": {}})


def test_outcome_from_result_reads_calls_status_usage_and_latency() -> None:
    """A run's outcome lists every call with its status, its usage, cost and the latency on the run's clock."""
    clock = MockClock()
    provider = FakeProvider(
        [
            [
                _call("c1", "weather", '{"city": "Paris"}'),
                _call("c2", "explode", '{"city": "Lyon"}'),
                _call("c3", "weather", '{"town": "Nice"}'),
                _call("c4", "nope", "{}"),
                _call("c5", "weather", "not json"),
            ],
            "Done.",
        ],
        usage=Usage(input_tokens=10, output_tokens=5),
        model="gpt-4.1",
    )
    agent = Agent(provider, tools=[weather, explode], clock=clock)
    result = agent.run_sync("Weather?")
    outcome = CaseOutcome.from_result(result)
    assert outcome.output == outcome.text == "Done."
    assert [(c.name, c.status, c.ok, c.step) for c in outcome.tool_calls] == [
        ("weather", "succeeded", True, 1),
        ("explode", "failed", False, 1),
        ("weather", "rejected", False, 1),
        ("nope", "unknown", False, 1),
        ("weather", "rejected", False, 1),
    ]
    assert outcome.tool_calls[0].arguments == {"city": "Paris"}
    assert outcome.tool_calls[1].error == "RuntimeError: boom"
    assert "arguments rejected" in (outcome.tool_calls[2].error or "")
    assert outcome.tool_calls[4].raw_arguments == "not json"
    assert outcome.tool_calls[4].arguments == {}
    assert outcome.usage == Usage(input_tokens=20, output_tokens=10)
    assert outcome.cost_usd is not None
    assert outcome.cost_usd > 0
    assert outcome.latency_s == 0.0  # the mock clock never moved
    assert outcome.run_id == result.run_id
    assert outcome.steps == 2
    assert outcome.error is None
    from_events = CaseOutcome.from_events(result.events)
    assert from_events.tool_calls == outcome.tool_calls
    assert (from_events.output, from_events.usage, from_events.steps) == ("Done.", outcome.usage, 2)


def test_outcome_from_events_decodes_structured_output_in_both_modes() -> None:
    """The output of a structured run is read back from native JSON text or from the output tool's arguments."""
    native = Agent(FakeProvider(['{"name": "Paris", "country": "FR"}']), output_type=City)
    events = native.run_sync("Where?").events
    assert CaseOutcome.from_events(events).output == {"name": "Paris", "country": "FR"}
    answer = [_call("o1", "final_result", '{"name": "Lyon", "country": "FR"}')]
    via_tool = Agent(FakeProvider([answer]), output_type=City, output_mode="tool")
    result = via_tool.run_sync("Where?")
    outcome = CaseOutcome.from_events(result.events)
    assert outcome.output == {"name": "Lyon", "country": "FR"}
    assert outcome.tool_calls == []  # the output tool is not one of the agent's calls
    assert CaseOutcome.from_result(result).output == City(name="Lyon", country="FR")
    wrapped = [_call("o1", "final_result", '{"result": 42}')]
    number = Agent(FakeProvider([wrapped]), output_type=int, output_mode="tool").run_sync("?")
    assert CaseOutcome.from_events(number.events).output == 42


def test_outcome_from_events_of_a_failed_run_carries_the_error() -> None:
    """A failed run's outcome has no output and says why it failed."""
    store = MemoryStore()
    agent = Agent(FakeProvider([RuntimeError("provider down")]))
    with pytest.raises(RuntimeError):
        agent.run_sync("hi", run_id="bad", sinks=[StoreSink(store)])
    outcome = CaseOutcome.from_events(store.read("bad"))
    assert outcome.output is None
    assert outcome.error is not None
    assert "provider down" in outcome.error
    assert CaseOutcome.from_events([]).run_id is None


def test_case_from_run_turns_a_stored_run_into_a_regression_case(tmp_path: Path) -> None:
    """A stored run becomes a case: its input, its accepted calls (parallel ones grouped), its output."""
    store = SQLiteStore(tmp_path / "runs.db")
    provider = FakeProvider(
        [
            [
                _call("c1", "weather", '{"city": "Paris"}'),
                _call("c2", "weather", '{"city": "Lyon"}'),
            ],
            [_call("c3", "explode", '{"city": "Nice"}'), _call("c4", "weather", '{"town": "x"}')],
            "Sunny in both.",
        ]
    )
    agent = Agent(provider, tools=[weather, explode], instructions="Be brief.")
    agent.run_sync("Weather in Paris and Lyon?", run_id="prod-1", sinks=[StoreSink(store)])
    case = Case.from_run(store, "prod-1", name="paris-lyon")
    assert case.name == "paris-lyon"
    assert (
        case.inputs == "Weather in Paris and Lyon?"
    )  # the system prompt is the agent's, not the input
    assert case.expected_output == "Sunny in both."
    assert case.expected_tools == [
        ExpectedCall(name="weather", arguments={"city": "Paris"}, group="step-1"),
        ExpectedCall(name="weather", arguments={"city": "Lyon"}, group="step-1"),
        ExpectedCall(
            name="explode", arguments={"city": "Nice"}
        ),  # it failed, but it was the right call
    ]
    assert case.metadata["source_run"] == "prod-1"
    assert case.metadata["provider"]
    dataset = Dataset.from_runs(store, ["prod-1"], name="prod")
    assert dataset.name == "prod"
    assert dataset.cases[0].name == "run-prod-1"
    with pytest.raises(RunNotFound):
        Case.from_run(store, "missing")
    store.close()


def test_case_from_run_keeps_multi_message_input() -> None:
    """A run started from several messages keeps them as the case's input."""
    store = MemoryStore()
    agent = Agent(FakeProvider(["ok"]))
    agent.run_sync(
        [Message.user("first"), Message.assistant("noted"), Message.user("second")],
        run_id="r",
        sinks=[StoreSink(store)],
    )
    case = Case.from_run(store, "r")
    assert isinstance(case.inputs, list)
    assert [m.text for m in case.inputs] == ["first", "noted", "second"]


def test_observed_call_and_outcome_defaults() -> None:
    """An outcome's text defaults to a string output; calls default to not run."""
    assert CaseOutcome(output="x").text == "x"
    assert CaseOutcome(output={"a": 1}).text is None
    assert ObservedCall(name="t").status == "not_run"
    assert CaseOutcome.model_validate_json(
        CaseOutcome(output={"a": 1}).model_dump_json()
    ).output == {"a": 1}


def test_import_evals_is_light() -> None:
    """``import agentkit.evals`` loads no YAML, jsonschema, HTTP client or runtime until they are used."""
    import pathlib
    import runpy

    # tests/_fresh.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
    fresh = runpy.run_path(str(pathlib.Path(__file__).resolve().parents[1] / "_fresh.py"))
    modules = fresh["modules_after"]("import agentkit.evals")
    loaded = {m.split(".")[0] for m in modules} | modules
    assert loaded & {"yaml", "jsonschema", "httpx", "agentkit.runtime", "agentkit.storage"} == set()
