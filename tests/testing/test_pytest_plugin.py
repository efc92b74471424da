"""The pytest plugin, run the way users get it: pytest loads it from the installed ``pytest11`` entry point.

Each test writes a small test file and runs pytest on it in-process with `pytester`; the inner run has no
configuration of ours, so the plugin comes from its entry point, as in a user's project.
"""

from __future__ import annotations

import importlib.metadata
import json
from typing import TYPE_CHECKING

import pytest

from agentkit.testing import ReplayTransport

if TYPE_CHECKING:
    from agentkit.runtime import CapturedEvents
    from agentkit.testing import FakeProvider

CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

TOOLS = """
import pytest
from agentkit import tool
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent

DELETED = []

@tool
def delete_user(user_id: int) -> str:
    '''Delete a user.'''
    DELETED.append(user_id)
    return "deleted"

CALL = ToolCallPart(id="c1", name="delete_user", arguments='{"user_id": 7}')
"""


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    # An ini file of its own: wherever the temporary directory is, the inner run never takes up ours.
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-W", "error", "--strict-markers", *args)


def test_the_entry_point_names_the_plugin_module() -> None:
    """The installed distribution declares the pytest11 entry point to agentkit.testing._pytest_plugin."""
    points = importlib.metadata.entry_points(group="pytest11")
    assert [p.value for p in points if p.name == "agentkit"] == ["agentkit.testing._pytest_plugin"]


def test_the_dry_run_marker_keeps_tools_from_running(pytester: pytest.Pytester) -> None:
    """In a marked test (sync and async) tool calls run dry; an unmarked test runs them live."""
    source = (
        TOOLS
        + """
@pytest.mark.agentkit_dry_run
@pytest.mark.agentkit_script([CALL], "Done.")
def test_sync(agentkit_provider):
    result = Agent(agentkit_provider, tools=[delete_user]).run_sync("delete user 7")
    assert [e.mode for e in result.events if e.type == "tool.call.succeeded"] == ["dry_run"]
    assert DELETED == []

@pytest.mark.anyio
@pytest.mark.agentkit_dry_run
@pytest.mark.agentkit_script([CALL], "Done.")
async def test_async(agentkit_provider):
    result = await Agent(agentkit_provider, tools=[delete_user]).run("delete user 7")
    assert [e.mode for e in result.events if e.type == "tool.call.succeeded"] == ["dry_run"]
    assert DELETED == []

@pytest.mark.agentkit_script([CALL], "Done.")
def test_live(agentkit_provider):
    result = Agent(agentkit_provider, tools=[delete_user]).run_sync("delete user 7")
    assert [e.mode for e in result.events if e.type == "tool.call.succeeded"] == ["live"]
    assert DELETED == [7]
"""
    )
    _run(pytester, source).assert_outcomes(passed=3)


def test_the_markers_are_registered(pytester: pytest.Pytester) -> None:
    """``pytest --markers`` lists both markers (so --strict-markers accepts them)."""
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["*agentkit_dry_run*dry_run mode*", "*agentkit_script*"])


def test_events_are_captured_in_sync_and_async_tests(pytester: pytest.Pytester) -> None:
    """agentkit_events holds the events of the runs the test starts, also in an async test's own task."""
    source = """
import pytest
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider

def test_sync(agentkit_events):
    Agent(FakeProvider(["hi"])).run_sync("hello")
    assert agentkit_events.types() == ["run.started", "model.requested", "model.responded", "run.finished"]

@pytest.mark.anyio
async def test_async(agentkit_events):
    await Agent(FakeProvider(["a"])).run("x")
    await Agent(FakeProvider(["b"])).run("y")
    assert len(agentkit_events.run_ids()) == 2
"""
    _run(pytester, source).assert_outcomes(passed=2)


def test_the_fake_provider_fixture_is_fresh_and_scriptable(pytester: pytest.Pytester) -> None:
    """Without a marker the provider is empty and scripted with add(); marker kwargs reach FakeProvider."""
    source = """
import pytest
from agentkit.runtime import Agent

def test_unscripted(agentkit_provider):
    assert agentkit_provider.remaining == 0
    agentkit_provider.add("later")
    assert Agent(agentkit_provider).run_sync("hi").output == "later"

@pytest.mark.agentkit_script("hi", model="tiny")
def test_model(agentkit_provider, agentkit_clock):
    assert agentkit_provider.model == "tiny"
    agentkit_clock.advance(5)
    assert agentkit_clock.monotonic() == 5.0
"""
    _run(pytester, source).assert_outcomes(passed=2)


def test_recorded_http_replays_and_unused_interactions_fail(pytester: pytest.Pytester) -> None:
    """agentkit_replay answers an adapter from a cassette next to the test file; leftovers fail the test."""
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4.1-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Recorded hello."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    interaction = {
        "request": {"method": "POST", "uri": "https://api.openai.com/v1/chat/completions"},
        "response": {
            "status": {"code": 200},
            "headers": {"content-type": ["application/json"]},
            "body": {"string": json.dumps(body)},
        },
    }
    pytester.mkdir("cassettes")
    pytester.path.joinpath("cassettes", "hello.yaml").write_text(
        json.dumps({"interactions": [interaction]}), encoding="utf-8"
    )
    source = """
import httpx
import pytest
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent

@pytest.mark.anyio
async def test_cassette(agentkit_replay):
    transport = agentkit_replay("cassettes/hello.yaml")
    async with httpx.AsyncClient(transport=transport.mock()) as client:
        provider = OpenAIChatProvider("gpt-4.1-mini", api_key="k-test", http_client=client)
        assert (await Agent(provider).run("hi")).output == "Recorded hello."
    assert transport.requests[0]["json"]["messages"][-1]["content"] == "hi"

def test_leftover(agentkit_replay):
    agentkit_replay([(200, {"ok": True})])

def test_lenient(agentkit_replay):
    agentkit_replay([(200, {})], strict=False)
"""
    result = _run(pytester, source)
    result.assert_outcomes(passed=3, errors=1)  # test_leftover passes, then fails at teardown
    result.stdout.fnmatch_lines(["*1 recorded HTTP interaction(s) were never requested*"])


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    """With ``-p no:agentkit`` its fixtures are unknown: nothing of it is active."""
    source = """
def test_needs_fixture(agentkit_provider):
    pass
"""
    result = _run(pytester, source, "-p", "no:agentkit")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'agentkit_provider' not found*"])


def test_our_suite_has_the_fixtures_too(
    agentkit_provider: FakeProvider, agentkit_events: CapturedEvents
) -> None:
    """Our own suite loads the plugin from tests/conftest.py, so its fixtures work here as well."""
    from agentkit.runtime import Agent

    agentkit_provider.add("hi")
    Agent(agentkit_provider).run_sync("hello")
    assert agentkit_events.types()[0] == "run.started"
    assert isinstance(ReplayTransport.from_bodies([]), ReplayTransport)
