"""Execution modes in evals: the eval default, a case's mode and the run's mode reach the agent and the report."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from agentkit import ToolAnnotations, tool
from agentkit.evals import (
    Case,
    Dataset,
    EvalReport,
    effective_mode,
    eval_session_id,
    mode_label,
    run_eval,
)
from agentkit.exceptions import UsageError
from agentkit.messages import ToolCallPart
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.sandbox import Mocks, ModePolicy
from agentkit.storage import SQLiteStore
from agentkit.testing import FakeProviderServer, FunctionProvider, MockClock, Reply

if TYPE_CHECKING:
    from pathlib import Path

    from agentkit.providers import ModelRequest
    from agentkit.storage import EventStore
    from agentkit.testing import ServedRequest

pytestmark = pytest.mark.anyio

REFUNDS: list[str] = []
"""Every refund `refund` really made (a side effect the tests can see)."""


@tool(annotations=ToolAnnotations(read_only=True))
def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id}: 2 items"


@tool(annotations=ToolAnnotations(destructive=True))
def refund(order_id: str) -> str:
    """Refund an order."""
    REFUNDS.append(order_id)
    return f"refunded {order_id}"


@pytest.fixture(autouse=True)
def _no_refunds() -> None:
    """Each test starts with no refund made."""
    REFUNDS.clear()


def _calls() -> list[tuple[str, str]]:
    return [("lookup", json.dumps({"order_id": "A1"})), ("refund", json.dumps({"order_id": "A1"}))]


def _respond(served: ServedRequest) -> Reply:
    """The OpenAI wire: look the order up and refund it in one step, then answer."""
    if any(m["role"] == "tool" for m in served.body["messages"]):
        return Reply("Done.")
    return Reply("", tool_calls=tuple(_calls()))


def _scripted(request: ModelRequest) -> str | list[ToolCallPart]:
    """The same model as `_respond`, as a `FunctionProvider`."""
    if any(m.role == "tool" for m in request.messages):
        return "Done."
    return [ToolCallPart(id=f"c{i}", name=n, arguments=a) for i, (n, a) in enumerate(_calls())]


def _dataset(*modes: Any) -> Dataset:
    return Dataset(
        name="orders",
        cases=[
            Case(name=f"case-{i}", inputs="Refund order A1", mode=mode)
            for i, mode in enumerate(modes)
        ],
    )


def _stored_modes(store: EventStore, case: str) -> dict[str, str]:
    """The mode each tool call of the case's (single) stored run records, by tool name."""
    (summary,) = store.runs(None, session_id=eval_session_id("orders", case))
    modes: dict[str, str] = {}
    for event in store.read(summary.run_id):
        if event.type == "tool.call.succeeded":
            modes[event.tool_name] = event.mode  # type: ignore[attr-defined]
    return modes


async def test_each_way_of_setting_a_mode_reaches_the_agent_over_a_real_adapter(
    tmp_path: Path,
) -> None:
    """The eval default dry-runs the destructive tool only; a case's and the run's mode reach the events."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    try:
        async with FakeProviderServer(responder=_respond) as server:
            provider = OpenAIChatProvider(
                "gpt-4.1-mini", api_key="k-test", base_url=server.url + "/v1"
            )
            agent = Agent(provider, tools=[lookup, refund], clock=MockClock(tick=0.1))
            try:
                by_default = await run_eval(_dataset(None, "dry_run"), agent, store=store)
                assert _stored_modes(store, "case-0") == {"lookup": "live", "refund": "dry_run"}
                assert _stored_modes(store, "case-1") == {"lookup": "dry_run", "refund": "dry_run"}
                assert REFUNDS == []  # nothing was refunded

                store2 = SQLiteStore(tmp_path / "runs2.sqlite3")
                try:
                    run_default = await run_eval(
                        _dataset(None, "live"), agent, store=store2, mode="dry_run"
                    )
                    assert _stored_modes(store2, "case-0") == {
                        "lookup": "dry_run",
                        "refund": "dry_run",
                    }
                    # A case's own "live" wins over the run's, and its destructive tool still dry-runs.
                    assert _stored_modes(store2, "case-1") == {
                        "lookup": "live",
                        "refund": "dry_run",
                    }
                finally:
                    store2.close()
                assert REFUNDS == []
            finally:
                await provider.aclose()
    finally:
        store.close()
    # The report says which mode each case ran under, and each call's mode.
    assert [c.runs[0].mode for c in by_default.cases] == ["live, destructive: dry_run", "dry_run"]
    assert [(t.name, t.mode) for t in by_default.cases[0].runs[0].tool_calls] == [
        ("lookup", "live"),
        ("refund", "dry_run"),
    ]
    assert [c.mode for c in run_default.cases] == ["dry_run", "live, destructive: dry_run"]


async def test_a_policy_as_the_runs_mode_is_used_as_it_is() -> None:
    """Only a `ModePolicy` given as the run's mode lets a destructive tool really run; its mocks serve cases."""
    agent = Agent(FunctionProvider(_scripted), tools=[lookup, refund])
    report = await run_eval(_dataset(None), agent, mode=ModePolicy())
    assert REFUNDS == ["A1"]
    assert report.cases[0].mode == "live"
    assert [t.mode for t in report.cases[0].runs[0].tool_calls] == ["live", "live"]

    mocks = Mocks().add("lookup", returns="mocked order").add("refund", returns="mocked refund")
    mocked = await run_eval(_dataset("mocked"), agent, mode=ModePolicy(mocks=mocks))
    assert mocked.runs[0].error is None
    assert [t.mode for t in mocked.runs[0].tool_calls] == ["mocked", "mocked"]
    assert REFUNDS == ["A1"]  # the mocked run refunded nothing


async def test_a_function_target_runs_its_agent_under_the_cases_mode() -> None:
    """A function target runs inside use_mode: the agent it runs takes the case's mode (the eval default here)."""
    agent = Agent(FunctionProvider(_scripted), tools=[lookup, refund])

    async def target(inputs: str) -> Any:
        return await agent.run(inputs)

    report = await run_eval(_dataset(None, "dry_run"), target)
    assert [[t.mode for t in c.runs[0].tool_calls] for c in report.cases] == [
        ["live", "dry_run"],
        ["dry_run", "dry_run"],
    ]
    assert REFUNDS == []


async def test_the_mode_is_shown_in_the_table_html_and_json_and_absent_offline(
    tmp_path: Path,
) -> None:
    """The table and the page get a mode column, JSON keeps it; an offline replay records no mode."""
    agent = Agent(FunctionProvider(_scripted), tools=[lookup, refund])
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    try:
        report = await run_eval(_dataset(None), agent, store=store)
        offline = await run_eval(_dataset(None), agent, store=store, offline=True)
    finally:
        store.close()
    header, row = report.table().splitlines()[:2]
    assert header.split()[-1] == "MODE"
    assert row.endswith("live, destructive: dry_run")
    page = report.to_html()
    assert "<th>mode</th>" in page
    assert '<td class="mode">live, destructive: dry_run</td>' in page
    assert "})  [dry_run]" in page  # the refund call, marked; the live lookup is not
    assert page.count("[dry_run]") == 1
    again = EvalReport.from_json(report.to_json())
    assert again.runs[0].tool_calls[1].mode == "dry_run"
    assert again.cases[0].mode == "live, destructive: dry_run"
    assert offline.runs[0].error is None
    assert offline.runs[0].mode is None
    assert "MODE" not in offline.table().splitlines()[0]
    assert "<th>mode</th>" not in offline.to_html()


async def test_a_bad_run_mode_is_refused_before_any_case_runs() -> None:
    """An unknown mode is a UsageError naming the valid ones, and the agent is never called."""
    agent = Agent(FunctionProvider(_scripted), tools=[lookup, refund])
    with pytest.raises(UsageError, match="dry_run"):
        await run_eval(_dataset(None), agent, mode="reckless")  # type: ignore[arg-type]


def test_effective_mode_precedence_and_labels() -> None:
    """Case over run over the eval default; a bare mode keeps destructive tools dry_run when it has side effects."""
    mocks = Mocks()
    policy = ModePolicy(tools={"refund": "isolated"}, mocks=mocks)
    assert effective_mode(None, None) == ModePolicy.for_evals()
    assert effective_mode(None, "isolated").destructive == "dry_run"
    assert effective_mode("mocked", "live") == ModePolicy.for_evals("mocked")
    assert effective_mode(None, policy) is policy
    from_case = effective_mode("mocked", policy)
    assert (from_case.default, from_case.mocks) == ("mocked", mocks)
    assert mode_label(policy) == "live, refund: isolated"
    assert mode_label(ModePolicy(default="dry_run", destructive="dry_run")) == "dry_run"
