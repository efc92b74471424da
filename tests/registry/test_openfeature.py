"""The OpenFeature adapter, against the real OpenFeature SDK and its in-memory provider."""

from __future__ import annotations

import sys
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider

from agentkit import tool
from agentkit.events import FlagEvaluated
from agentkit.exceptions import MissingExtraError
from agentkit.registry import FlagResolution, Toolset, flag_subject
from agentkit.registry.openfeature import OpenFeatureFlags
from agentkit.runtime import Agent
from agentkit.storage import Recording, replay
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from collections.abc import Iterator


def _beta_users(flag: InMemoryFlag[Any], context: EvaluationContext) -> FlagResolutionDetails[Any]:
    """On for targeting keys starting with ``beta-``."""
    variant = "on" if (context.targeting_key or "").startswith("beta-") else "off"
    return FlagResolutionDetails(
        value=flag.variants[variant], reason=Reason.TARGETING_MATCH, variant=variant
    )


@pytest.fixture
def flags() -> Iterator[OpenFeatureFlags]:
    """An adapter over an in-memory provider bound to a domain of its own (removed afterwards)."""
    domain = f"agentkit-test-{uuid.uuid4().hex[:8]}"
    api.set_provider(
        InMemoryProvider(
            {
                "new-search": InMemoryFlag(
                    "off", {"on": True, "off": False}, context_evaluator=_beta_users
                ),
                "route": InMemoryFlag("b", {"a": "cheap", "b": "strong"}),
                "max-tools": InMemoryFlag("low", {"low": 2, "high": 8}),
                "temperature": InMemoryFlag("warm", {"warm": 0.7}),
            }
        ),
        domain=domain,
    )
    try:
        yield OpenFeatureFlags(domain=domain, attributes={"service": "tests"})
    finally:
        api.set_provider(InMemoryProvider({}), domain=domain)


def test_values_of_every_type_come_with_their_reason_and_variant(flags: OpenFeatureFlags) -> None:
    """Booleans, strings, integers and floats resolve through the matching typed evaluation."""
    assert flags.resolve_flag("route", "cheap", None) == FlagResolution("strong", "STATIC", "b")
    assert flags.resolve_flag("max-tools", 0, None).value == 2
    assert flags.resolve_flag("temperature", 0.0, None).value == 0.7
    assert flags.resolve_flag("new-search", False, "beta-7") == FlagResolution(
        True, "TARGETING_MATCH", "on"
    )
    assert flags.resolve_flag("new-search", False, "user-7").value is False


def test_missing_flags_and_wrong_types_give_the_default(flags: OpenFeatureFlags) -> None:
    """An OpenFeature error (flag not found, type mismatch) is the caller's default with reason "error"."""
    assert flags.resolve_flag("nope", True, None) == FlagResolution(True, "error", None)
    assert flags.resolve_flag("route", False, None).reason == "error"


def test_the_subject_is_the_targeting_key_in_a_recorded_replayable_run(
    flags: OpenFeatureFlags,
) -> None:
    """A gated toolset over OpenFeature offers the beta tool to beta users, records it, and replays it."""

    @tool(tags=["flag:new-search"])
    def deep_search(q: str) -> str:
        """Search the new index."""
        return q

    agent = Agent(FakeProvider(["ok", "ok"]), tools=Toolset([deep_search]).gated(flags))
    with flag_subject("beta-1"):
        result = agent.run_sync("hi")
        assert flags.is_enabled("new-search") is True
    assert result.events[0].tool_names == ["deep_search"]  # type: ignore[attr-defined]
    evaluated = [e for e in result.events if isinstance(e, FlagEvaluated)]
    assert {(e.value, e.reason, e.variant, e.provider, e.subject) for e in evaluated} == {
        (True, "TARGETING_MATCH", "on", "openfeature", "beta-1")
    }
    with flag_subject("user-1"):
        assert agent.run_sync("hi").events[0].tool_names == []  # type: ignore[attr-defined]
        import anyio

        replayed = anyio.run(replay, agent, Recording.from_result(result))
    assert replayed.events[0].tool_names == ["deep_search"]  # type: ignore[attr-defined]


def test_without_the_sdk_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating the adapter without openfeature-sdk raises MissingExtraError with the pip line."""
    monkeypatch.setitem(sys.modules, "openfeature", None)
    with pytest.raises(MissingExtraError, match=r"agentkit-contracts\[openfeature\]"):
        OpenFeatureFlags()


def test_a_client_can_be_passed_and_repr_names_it(flags: OpenFeatureFlags) -> None:
    """An explicit client is used as is."""
    adapter = OpenFeatureFlags(flags.client)
    assert adapter.client is flags.client
    assert repr(adapter).startswith("OpenFeatureFlags(")
