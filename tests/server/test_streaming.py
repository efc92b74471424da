"""A live event stream takes a running run's new events from memory, not by reading the whole run again."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from agentkit import tool
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.server import APIKeys, create_app
from agentkit.storage import MemoryStore
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

from .conftest import KEY, serving

if TYPE_CHECKING:
    from agentkit.events import Event

HEADERS = {"X-API-Key": KEY}
STEPS = 5


class CountingStore(MemoryStore):
    """A memory store that counts whole-run reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read(self, run_id: str) -> list[Event]:
        """Count, then read."""
        self.reads += 1
        return super().read(run_id)


@tool
def step(n: int) -> str:
    """One step of a long job."""
    return f"step {n} done"


def _respond(request: ServedRequest) -> Reply:
    """Call ``step`` ``STEPS`` times, the first answer slow enough for the stream to be open before it."""
    done = sum(1 for m in request.body["messages"] if m["role"] == "tool")
    if done < STEPS:
        delay = 0.5 if done == 0 else 0.0
        return Reply("", tool_calls=(("step", json.dumps({"n": done})),), first_byte_delay=delay)
    return Reply("all steps done")


def test_a_live_stream_reads_the_store_a_bounded_number_of_times() -> None:
    """Every event arrives in order, and the store is read a few times, not once per event."""
    store = CountingStore()
    with FakeProviderServer(responder=_respond).running_in_thread() as fake:
        provider = OpenAIChatProvider("gpt-4.1-mini", api_key="pk-Xr4", base_url=fake.url + "/v1")
        agent = Agent(provider, tools=[step], name="worker")
        with serving(create_app(agents=agent, store=store, auth=APIKeys({KEY: "t"}))) as base:
            run_id = httpx.post(base + "/v1/runs", json={"input": "go"}, headers=HEADERS).json()[
                "run_id"
            ]
            store.reads = 0
            with httpx.stream(
                "GET", f"{base}/v1/runs/{run_id}/events", headers=HEADERS, timeout=60
            ) as response:
                raw = "".join(response.iter_text())
    events: list[dict[str, Any]] = [
        json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")
    ]
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "run.finished"
    assert events[-1]["status"] == "completed"
    assert len(events) > 4 * STEPS
    assert store.reads <= 3
