"""The secrets of the tools and toolsets an agent uses reach the run's redactor, through the front door."""

from __future__ import annotations

import io
import json
import logging
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel

from agentkit import RunContext, Tool, Toolset, tool
from agentkit.exceptions import ToolFailed, UsageError
from agentkit.messages import ToolCallPart
from agentkit.observability import LoggingSink
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import Recording, Session, SQLiteStore, replay
from agentkit.testing import FakeProvider, FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.anyio

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"  # the provider's key
TOKEN = (
    "crm-8Hq2vLx0TzR4mW9p"  # the CRM toolset's bearer token: no built-in pattern knows its shape
)
SERVICE_TOKEN = "svc-ticket-5566-Zq"
LOGGER = "agentkit.test.toolset_secrets"


class CRMTools(Toolset):
    """A toolset holding a credential, as `MCPToolset` and `RemoteToolset` do: it offers ``secrets()``."""

    def __init__(self, token: str) -> None:
        self.token = token

        @tool
        def whoami() -> str:
            """Who the CRM thinks we are."""
            return f"authenticated with Bearer {self.token}"

        @tool
        def lookup(customer: str) -> str:
            """Look a customer up."""
            raise ToolFailed(f"401 for {customer}: token {self.token} expired")

        super().__init__([whoami, lookup])

    def secrets(self) -> frozenset[str]:
        """The bearer token."""
        return frozenset({self.token})


def _respond(request: ServedRequest) -> Reply:
    answered = json.dumps(request.body).count('"role": "tool"')
    if answered == 0:
        return Reply(
            "",
            tool_calls=(("crm_whoami", "{}"), ("crm_lookup", '{"customer": "ada"}')),
        )
    return Reply(f"You are signed in with {TOKEN}.")  # the model echoes it too


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything LoggingSink writes at DEBUG."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield buffer
    logger.removeHandler(handler)


async def test_a_toolsets_token_reaches_no_event_store_log_or_next_request(
    tmp_path: Path, log_text: io.StringIO
) -> None:
    """Echoed by a tool, a tool error and the model, the token is masked everywhere; the run replays exactly."""
    path = tmp_path / "runs.sqlite3"
    store = SQLiteStore(path)
    async with FakeProviderServer(responder=_respond) as server:
        adapter = OpenAIChatProvider("gpt-4.1-mini", api_key=KEY, base_url=server.url + "/v1")
        # Derived toolsets keep the secrets of what they were made of.
        agent = Agent(adapter, tools=CRMTools(TOKEN).prefixed("crm"), sinks=[LoggingSink(LOGGER)])
        try:
            result = await Session(store, "s1").run(agent, "Who am I?", run_id="r1")
        finally:
            await adapter.aclose()
    assert result.output == f"You are signed in with {TOKEN}."  # the caller gets the answer itself
    second = json.dumps(server.requests[-1].body)
    assert "authenticated with Bearer ***" in second
    assert "token *** expired" in second
    assert TOKEN not in second
    for event in result.events:
        assert TOKEN not in event.model_dump_json()
    assert TOKEN not in log_text.getvalue()
    assert "crm_whoami" in log_text.getvalue()
    store.close()
    raw = _file_bytes(path)
    assert TOKEN.encode() not in raw
    assert b"Bearer ***" in raw

    store = SQLiteStore(path)
    recording = Recording.load(store, "r1")
    assert (await replay(agent, recording)).output == "You are signed in with ***."
    # The live tools echo the token again: the replay masks it as the recorded run did.
    assert (await replay(agent, recording, tools="live")).output == "You are signed in with ***."
    store.close()


class TicketArgs(BaseModel):
    """A ticket to open."""

    title: str


class OpenTicket(Tool[TicketArgs, str]):
    """Open a ticket in the helpdesk (a tool of one's own holding a service token)."""

    def run(self, args: TicketArgs, ctx: RunContext[None]) -> str:
        return f"opened {args.title!r} as {SERVICE_TOKEN}"

    def secrets(self) -> frozenset[str]:
        """The service token."""
        return frozenset({SERVICE_TOKEN})


@tool
def echo(text: str) -> str:
    """Say it back."""
    return text


def test_a_tool_in_a_list_and_combined_toolsets_offer_their_secrets() -> None:
    """A tool with ``secrets()`` in ``tools=`` is masked; ``|`` and ``filter`` keep secrets; a string is refused."""
    provider = FakeProvider(
        [[ToolCallPart(id="c1", name="open_ticket", arguments='{"title": "VPN"}')], "Done."]
    )
    result = Agent(provider, tools=[OpenTicket(), echo]).run_sync("Open one")
    assert "opened 'VPN' as ***" in result.messages[-2].parts[0].content  # type: ignore[union-attr]
    for event in result.events:
        assert SERVICE_TOKEN not in event.model_dump_json()

    plain = Toolset([echo])
    assert plain.secrets() == frozenset()
    assert Toolset(lambda: [OpenTicket()]).secrets() == frozenset()  # a live source is not asked
    assert (plain | CRMTools(TOKEN)).filter(names=["whoami"]).secrets() == {TOKEN}
    assert Toolset([OpenTicket(), echo]).renamed({"echo": "say"}).secrets() == {SERVICE_TOKEN}

    class Broken(Toolset):
        def secrets(self) -> Any:
            return "one-string-secret"

    with pytest.raises(UsageError, match="not one string"):
        (Broken([]) | plain).secrets()
