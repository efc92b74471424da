"""Through the front door: an `Agent` on a real adapter over the loopback fake provider calls MCP tools.

The tools come from ``agentkit mcp serve`` in a subprocess, through `MCPToolset`. The run is stored in SQLite, its
events show each MCP call (with a span per call in OpenTelemetry), and the stored run replays without the server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import anyio
import pytest

from agentkit.mcp import MCPToolset
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import Recording, Session, SQLiteStore, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

from .conftest import HERE, serve_command

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio


def respond(request: ServedRequest) -> Reply:
    """Step 1: call the MCP tools (one with bad arguments); step 2: answer with what they returned."""
    if '"role": "tool"' in json.dumps(request.body):
        return Reply("The sum is 6.")
    return Reply(
        "",
        tool_calls=(
            ("peer_calc_add_v2", '{"a": 1, "b": 2, "c": 3}'),
            ("peer_refuse", '{"account": "A-1"}'),
            ("peer_calc_add_v1", '{"a": "x"}'),
        ),
    )


async def test_an_agent_calls_mcp_tools_records_and_replays(
    tmp_path: Path, peer_env: dict[str, str]
) -> None:
    """Every MCP call is in the run's events and spans; the stored run replays without the server."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentkit.observability.otel import OTelSink

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    try:
        with anyio.fail_after(120):
            async with (
                FakeProviderServer(responder=respond) as fake,
                MCPToolset(serve_command(), namespace="peer", env=peer_env, cwd=str(HERE)) as tools,
            ):
                provider = OpenAIChatProvider(
                    "gpt-4.1-mini", api_key="k", base_url=fake.url + "/v1"
                )
                agent = Agent(
                    provider,
                    tools=tools.filter(
                        names={"peer_calc_add_v1", "peer_calc_add_v2", "peer_refuse"}
                    ),
                    sinks=[OTelSink(tracer_provider=tracer_provider)],
                )
                try:
                    result = await Session(store, "s1").run(agent, "Add 1, 2 and 3.", run_id="r1")
                finally:
                    await provider.aclose()
        assert result.status == "completed"
        assert result.output == "The sum is 6."
        events = store.read("r1")
        assert events == list(result.events)
        succeeded = [e for e in events if e.type == "tool.call.succeeded"]
        failed = [e for e in events if e.type == "tool.call.failed"]
        rejected = [e for e in events if e.type == "tool.arguments.rejected"]
        assert [(e.tool_name, json.loads(e.content or "")) for e in succeeded] == [
            ("peer_calc_add_v2", {"sum": 6})
        ]
        assert [(e.tool_name, e.content) for e in failed] == [
            ("peer_refuse", "account A-1 is frozen")
        ]
        assert [e.tool_name for e in rejected] == ["peer_calc_add_v1"]
        spans = " ".join(span.name for span in exporter.get_finished_spans())
        assert "peer_calc_add_v2" in spans
        assert "peer_refuse" in spans

        # The MCP server is gone (the toolset closed it): the recording answers for the tools.
        replayed = await replay(agent, Recording.load(store, "r1"))
        assert replayed.status == "completed"
        assert replayed.output == "The sum is 6."
    finally:
        store.close()
