"""The flag layer: providers, stable rollouts, recording of every evaluation and answers from a recording."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from agentkit import tool
from agentkit._scope import scoped
from agentkit.events import EventEmitter, FlagEvaluated, parse_event
from agentkit.exceptions import UsageError
from agentkit.prompts import Prompt, PromptRegistry
from agentkit.registry import (
    EnvFlags,
    FlaggedPrompt,
    FlagProvider,
    FlagResolution,
    FlagResolver,
    Rollout,
    StaticFlags,
    Toolset,
    current_subject,
    evaluate_flag,
    flag_subject,
    replaying_flags,
    rollout_bucket,
)
from agentkit.runtime import Agent, capture_events
from agentkit.testing import FakeProvider

SUBJECTS = [f"user-{n}" for n in range(2000)]


def test_buckets_are_pinned_values() -> None:
    """The bucket of a subject is a fixed number (SHA-256), the same on every machine and release."""
    assert round(rollout_bucket("new-search", "user-42"), 6) == 52.150478
    assert round(rollout_bucket("new-search", "user-1"), 6) == 49.375879
    assert rollout_bucket("a", "user-1", salt="shared") == rollout_bucket(
        "b", "user-1", salt="shared"
    )
    assert rollout_bucket("a", "user-1") != rollout_bucket("b", "user-1")


def test_buckets_are_the_same_in_another_process_with_another_hash_seed() -> None:
    """A fresh interpreter with a different PYTHONHASHSEED puts every subject in the same bucket."""
    code = (
        "import json; from agentkit.registry import rollout_bucket; "
        f"print(json.dumps([rollout_bucket('f', s) for s in {SUBJECTS[:50]!r}]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(out.stdout) == [rollout_bucket("f", s) for s in SUBJECTS[:50]]


def test_a_rollout_reaches_about_its_share_and_grows_monotonically() -> None:
    """10% reaches about a tenth of the subjects, and everyone in 10% is still in 30%."""
    ten = {s for s in SUBJECTS if Rollout(10).resolve("f", s).value}
    thirty = {s for s in SUBJECTS if Rollout(30).resolve("f", s).value}
    assert 150 <= len(ten) <= 250
    assert 500 <= len(thirty) <= 700
    assert ten <= thirty
    assert not any(Rollout(0).resolve("f", s).value for s in SUBJECTS[:100])
    assert all(Rollout(100).resolve("f", s).value for s in SUBJECTS[:100])


def test_a_rollout_without_a_subject_is_off_and_bad_percents_are_refused() -> None:
    """No subject gives ``off`` with reason no_subject; a percent outside 0-100 (or a bool) is a UsageError."""
    assert Rollout(100, on="strong", off="cheap").resolve("route", None) == FlagResolution(
        "cheap", "no_subject", "off"
    )
    for bad in (-1, 101, True, "50"):
        with pytest.raises(UsageError, match="from 0 to 100"):
            Rollout(bad)  # type: ignore[arg-type]  # wrong on purpose


def test_static_flags_answer_values_rollouts_and_defaults() -> None:
    """StaticFlags: fixed values, rollouts by the subject in force, the caller's default or its own."""
    flags = StaticFlags({"on": True, "prompt": "2.0.0", "half": Rollout(50, salt="new-search")})
    assert isinstance(flags, FlagResolver)
    assert flags.resolve_flag("prompt", "1.0.0", None) == FlagResolution("2.0.0", "static")
    assert flags.resolve_flag("missing", "1.0.0", None) == FlagResolution("1.0.0", "default")
    assert flags.resolve_flag("missing", True, None).value is True
    assert StaticFlags(default=True).resolve_flag("missing", False, None).value is True
    assert StaticFlags(default=True).is_enabled("missing") is True
    with flag_subject("user-1"):
        assert flags.is_enabled("half") is True
    with flag_subject("user-42"):
        assert flags.is_enabled("half") is False
    assert "StaticFlags" in repr(flags)


def test_env_flags_read_the_environment_at_each_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    """EnvFlags parse on/off words, percentages, strings and numbers, and fall back on unreadable text."""
    flags = EnvFlags()
    monkeypatch.setenv("AGENTKIT_FLAG_NEW_SEARCH", "off")
    assert flags.is_enabled("new-search") is False
    monkeypatch.setenv("AGENTKIT_FLAG_NEW_SEARCH", "Yes")
    assert flags.is_enabled("new-search") is True
    monkeypatch.setenv("AGENTKIT_FLAG_NEW_SEARCH", "50%")
    assert flags.resolve_flag("new-search", False, "user-1") == FlagResolution(
        True, "rollout", "on"
    )
    assert flags.resolve_flag("new-search", False, "user-42").value is False
    monkeypatch.setenv("AGENTKIT_FLAG_NEW_SEARCH", "maybe")
    assert flags.resolve_flag("new-search", True, None) == FlagResolution(True, "error")
    monkeypatch.setenv("AGENTKIT_FLAG_ROUTE", "strong")
    assert flags.resolve_flag("route", "cheap", None).value == "strong"
    monkeypatch.setenv("AGENTKIT_FLAG_LIMIT", "7")
    assert flags.resolve_flag("limit", 3, None).value == 7
    assert flags.resolve_flag("limit", 0.5, None).value == 7.0
    monkeypatch.setenv("AGENTKIT_FLAG_LIMIT", "seven")
    assert flags.resolve_flag("limit", 3, None) == FlagResolution(3, "error")
    assert flags.resolve_flag("unset-flag", "x", None) == FlagResolution("x", "default")
    assert EnvFlags("MY_", environ={"MY_BETA": "1"}).is_enabled("beta") is True
    assert repr(EnvFlags("MY_")) == "EnvFlags(prefix='MY_')"


def test_every_evaluation_in_a_run_is_an_event_with_its_subject() -> None:
    """Inside a run scope, evaluate_flag emits flag.evaluated with value, default, subject, reason and site."""
    emitter = EventEmitter(run_id="r")
    with scoped(emitter=emitter), flag_subject("user-1"):
        assert (
            evaluate_flag(
                StaticFlags({"beta": Rollout(50, salt="new-search")}), "beta", False, site="mine"
            )
            is True
        )
        assert evaluate_flag(StaticFlags(), "beta", False) is False
    first, second = emitter.events
    assert isinstance(first, FlagEvaluated)
    assert (first.flag, first.value, first.default, first.subject, first.reason, first.site) == (
        "beta",
        True,
        False,
        "user-1",
        "rollout",
        "mine",
    )
    assert (second.reason, second.provider) == ("default", "StaticFlags")
    assert parse_event(first.model_dump_json()) == first  # value keeps its type through JSON


def test_outside_a_run_nothing_is_recorded_and_the_subject_defaults_to_none() -> None:
    """Evaluations outside a run still answer; there is no emitter to record to."""
    assert current_subject() is None
    assert evaluate_flag(StaticFlags({"x": "v"}), "x", "d") == "v"


class _Broken:
    def is_enabled(self, flag: str) -> bool:
        raise ConnectionError("flag service down")


class _OnlyOnOff:
    def is_enabled(self, flag: str) -> bool:
        return flag == "beta"


class _Loose:
    name = "loose"

    def is_enabled(self, flag: str) -> bool:
        return True

    def resolve_flag(self, flag: str, default: object, subject: str | None) -> object:
        return {"n": 3, "s": "text", "f": 2}[flag]


def test_provider_failures_and_wrong_types_give_the_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A raising provider or a value of the wrong type gives the default, reason "error", and a warning."""
    emitter = EventEmitter(run_id="r")
    with scoped(emitter=emitter), caplog.at_level(logging.WARNING, logger="agentkit.flags"):
        assert evaluate_flag(_Broken(), "beta", True) is True
        assert evaluate_flag(_Loose(), "s", False) is False  # a string for an on/off flag
        assert evaluate_flag(_Loose(), "n", True) is True  # an int is not a bool
        assert evaluate_flag(_Loose(), "f", 0.5) == 2  # an int passes for a float
        assert evaluate_flag(_OnlyOnOff(), "beta", False) is True
        assert evaluate_flag(_OnlyOnOff(), "route", "cheap") == "cheap"
    reasons = [e.reason for e in emitter.events]  # type: ignore[attr-defined]
    assert reasons == ["error", "error", "error", "static", "static", "unsupported"]
    assert emitter.events[1].provider == "loose"  # type: ignore[attr-defined]
    assert "flag service down" not in caplog.text  # the error's text may hold anything
    assert "ConnectionError" in caplog.text


def test_a_replay_answers_from_the_recording_in_order_per_flag() -> None:
    """Inside replaying_flags the recorded values come back in order; the provider is asked only past them."""
    emitter = EventEmitter(run_id="r")
    flags = StaticFlags({"beta": True})
    with scoped(emitter=emitter):
        evaluate_flag(flags, "beta", False, site="tools")
        flags.flags["beta"] = False
        evaluate_flag(flags, "beta", False, site="tools")
    recorded = emitter.events
    flags.flags["beta"] = "nonsense-now"  # type: ignore[assignment]  # what the provider would say now
    again = EventEmitter(run_id="r2")
    with scoped(emitter=again), replaying_flags(recorded), flag_subject("someone-else"):
        assert evaluate_flag(flags, "beta", False) is True
        assert evaluate_flag(flags, "beta", False) is False
        # Past the recording the provider is asked (and answers a wrong type).
        assert evaluate_flag(flags, "beta", False) is False
    view = [e.model_dump(exclude={"run_id", "at"}) for e in again.events[:2]]
    assert view == [e.model_dump(exclude={"run_id", "at"}) for e in recorded]
    assert again.events[2].reason == "error"  # type: ignore[attr-defined]


def test_gated_toolsets_record_their_flags_in_the_run() -> None:
    """An agent over a gated toolset records each evaluation once run.started is out, and offers what is on."""

    @tool(tags=["flag:new-search"])
    def search(q: str) -> str:
        """Search."""
        return q

    @tool
    def ping() -> str:
        """Ping."""
        return "pong"

    flags = StaticFlags({"new-search": Rollout(50)})
    agent = Agent(FakeProvider(["hi", "hi"]), tools=Toolset([search, ping]).gated(flags))
    with capture_events() as events, flag_subject("user-1"):
        result = agent.run_sync("hello")
    types = events.types()
    assert types[0] == "run.started"
    assert result.events[0].tool_names == ["ping", "search"]  # type: ignore[attr-defined]
    evaluated = [e for e in result.events if isinstance(e, FlagEvaluated)]
    assert evaluated
    assert {(e.flag, e.value, e.subject, e.site) for e in evaluated} == {
        ("new-search", True, "user-1", "tools")
    }
    with flag_subject("user-42"):
        assert agent.run_sync("hello").events[0].tool_names == ["ping"]  # type: ignore[attr-defined]


def test_flagged_prompts_choose_a_version_and_fall_back_on_unknown_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """FlaggedPrompt renders the variant the flag names; an unknown name uses the default, with a warning."""
    v1 = Prompt("support", system="Be brief.")
    v2 = Prompt("support", system="Be warm.", version="2.0.0")
    flags = StaticFlags({"p": "2.0.0"})
    prompt = FlaggedPrompt(flags, "p", {"1.0.0": v1, "2.0.0": v2}, default="1.0.0")
    result = Agent(FakeProvider(["ok"]), instructions=prompt).run_sync("hi")
    assert result.prompt is not None
    assert result.prompt.version == "2.0.0"
    types = [e.type for e in result.events]
    assert types[:3] == ["run.started", "flag.evaluated", "prompt.rendered"]
    flags.flags["p"] = "9.9.9"
    with caplog.at_level(logging.WARNING, logger="agentkit.flags"):
        assert prompt.render(None).version == "1.0.0"
    assert "names no prompt" in caplog.text
    assert "FlaggedPrompt('p'" in repr(prompt)
    with pytest.raises(UsageError, match="not one of the choices"):
        FlaggedPrompt(flags, "p", {"1.0.0": v1}, default="3.0.0")


def test_flagged_prompts_from_a_registry_take_a_version_requirement() -> None:
    """From a registry, the flag's value is a version or range; the default serves the active version."""
    registry = PromptRegistry()
    registry.register(Prompt("support", system="v1"), activate=True)
    registry.register(Prompt("support", system="v2", version="2.1.0"))
    flags = StaticFlags()
    prompt = FlaggedPrompt.from_registry(registry, "support", flags=flags, flag="support-prompt")
    assert prompt.render(None).version == "1.0.0"
    flags.flags["support-prompt"] = "2.1.0"  # a draft is served by its exact version
    assert prompt.render(None).version == "2.1.0"
    assert "from_registry('support'" in repr(prompt)


def test_the_existing_protocol_still_fits() -> None:
    """A class with only is_enabled is still a FlagProvider, and gates a toolset as before."""

    @tool(tags=["flag:beta"])
    def beta_tool() -> str:
        """Beta."""
        return "b"

    assert isinstance(_OnlyOnOff(), FlagProvider)
    assert Toolset([beta_tool]).gated(_OnlyOnOff()).names() == ["beta_tool"]


def test_a_route_flag_naming_no_route_falls_through_to_the_rules(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A route flag whose value names no route is logged and the rules decide; flags need a flag name."""
    from agentkit.runtime import Route, Router

    flags = StaticFlags({"route": "nowhere"})
    router = Router(
        [Route("a", Agent(FakeProvider(["from a"]))), Route("b", Agent(FakeProvider(["from b"])))],
        default="b",
        flags=flags,
        flag="route",
    )
    with caplog.at_level(logging.WARNING, logger="agentkit.runtime"):
        result = router.run_sync("hi")
    assert result.output == "from b"
    assert "names no route" in caplog.text
    chosen = [e for e in result.events if e.type == "route.chosen"]
    assert chosen[0].method == "default"  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="needs both"):
        Router([Route("a", Agent(FakeProvider()))], flags=flags)


def test_replaying_a_router_needs_a_routed_run_and_keeps_a_classifier_pick() -> None:
    """A run without route.chosen cannot be replayed through a router; a classifier's recorded pick is kept."""
    import anyio

    from agentkit.runtime import Route, Router
    from agentkit.storage import Recording, ReplayDivergence, replay

    plain = Agent(FakeProvider(["hi"])).run_sync("hello")
    router = Router([Route("a", Agent(FakeProvider(["from a"])))])
    with pytest.raises(UsageError, match=r"no route\.chosen"):
        anyio.run(replay, router, Recording.from_result(plain))

    classified = Router(
        [Route("a", Agent(FakeProvider(["A"]))), Route("b", Agent(FakeProvider(["B"])))],
        classifier=FakeProvider(['{"route": "b"}']),
    )
    recording = Recording.from_result(classified.run_sync("pick one"))
    assert anyio.run(replay, classified, recording).output == "B"
    renamed = Router([Route("c", Agent(FakeProvider(["C"])))])
    with pytest.raises(ReplayDivergence, match="no such route"):
        anyio.run(replay, renamed, recording)
