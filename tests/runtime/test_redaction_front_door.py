"""Redaction by construction, through the front door: a real adapter, a retry policy, a Session on SQLite.

Run 1: the user types a PIN, the model passes it to a tool as a ``Sensitive()`` argument, then sends a call whose
arguments are cut (unparsable) but hold another sensitive value. Run 2, same session, new agent: the model echoes
both values. No byte of either reaches the SQLite file or the LoggingSink output.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest

from agentkit import Sensitive, tool
from agentkit.observability import LoggingSink
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent
from agentkit.storage import Session, SQLiteStore
from agentkit.testing import FakeProviderServer, Fault, Reply, ServedRequest

pytestmark = pytest.mark.anyio

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"  # a gateway key of no well-known shape
PIN = "48213377"  # digits no built-in pattern recognises
CODE = "7781-QQZ-9902"  # the value inside the cut arguments
MODEL = "gpt-4.1-mini"


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door with its PIN."""
    return f"{door} unlocked"


@tool
def redeem(code: Annotated[str, Sensitive()], note: str = "") -> str:
    """Redeem a voucher code."""
    return "redeemed"


def _respond(request: ServedRequest) -> Reply:
    """Script both runs from what the conversation holds so far."""
    body = json.dumps(request.body)
    users = [m for m in request.body["messages"] if m["role"] == "user"]
    tools_answered = body.count('"role": "tool"')
    if len(users) == 1:  # run 1
        if tools_answered == 0:
            return Reply("", tool_calls=(("unlock", json.dumps({"door": "front", "pin": PIN})),))
        if tools_answered == 1:
            # A stream cut mid-arguments: the JSON never closes.
            return Reply("", tool_calls=(("redeem", '{"code": "' + CODE + '", "note": "wel'),))
        return Reply("Done.")
    return Reply(f"Your PIN was {PIN} and the code {CODE}.")  # run 2 echoes both


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything LoggingSink writes at DEBUG."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    logger = logging.getLogger("agentkit.test.frontdoor")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield buffer
    logger.removeHandler(handler)


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


async def test_sensitive_values_reach_no_store_or_log_across_a_sessions_runs(
    tmp_path: Path, log_text: io.StringIO
) -> None:
    """A typed PIN, a cut call's code and the key stay out of SQLite and logs in both runs of a session."""
    path = tmp_path / "runs.db"
    store = SQLiteStore(path)
    session = Session(store, "s1")
    async with FakeProviderServer(responder=_respond) as server:
        server.script(Fault.server_error(503))  # the retry policy earns its place
        adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
        try:
            first = Agent(
                RetryPolicy(adapter, sleep=_no_wait),
                tools=[unlock, redeem],
                sinks=[LoggingSink("agentkit.test.frontdoor")],
            )
            one = await session.run(first, f"Open the front door, my PIN is {PIN}.")
            # A new agent (as after a deploy): what run 1 learned lives in the session.
            second = Agent(
                RetryPolicy(adapter, sleep=_no_wait), sinks=[LoggingSink("agentkit.test.frontdoor")]
            )
            two = await session.run(second, "Remind me what I used?")
        finally:
            await adapter.aclose()
    store.close()
    assert one.status == "completed"
    # The caller gets the answer itself; only what is kept is masked.
    assert PIN in two.output
    assert CODE in two.output
    assert isinstance(server.requests[0].action, Fault)  # the first attempt failed and was retried
    raw = _file_bytes(path)
    logged = log_text.getvalue()
    for secret in (KEY, PIN, CODE):
        assert secret.encode() not in raw
        assert secret not in logged
        for event in (*one.events, *two.events):
            assert secret not in event.model_dump_json()
    assert "unlock" in logged
    assert "redeem" in logged
    assert b"***" in raw


async def _no_wait(seconds: float) -> None:
    return None
