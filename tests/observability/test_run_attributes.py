"""Telemetry that needs the runtime's run scope and event fields: session, server, response id, retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentkit.observability import Metrics
from agentkit.prompts import Prompt
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.storage import Session, SQLiteStore
from agentkit.testing import FakeProviderServer, Reply

pytestmark = pytest.mark.anyio

MODEL = "gpt-4.1-mini"


async def test_spans_carry_session_prompt_server_and_response_attributes(
    otel: Any, tmp_path: Path
) -> None:
    """A session run over HTTP names its conversation, prompt, stream mode, output type, server and response id."""
    store = SQLiteStore(tmp_path / "runs.db")
    session = Session(store, "conv-42")
    prompt = Prompt("support", version="1.2.0", system="You are a terse support agent.")
    async with FakeProviderServer(responder=lambda r: Reply("Done.")) as server:
        adapter = OpenAIChatProvider(MODEL, api_key="sk-test", base_url=server.url + "/v1")
        agent = Agent(adapter, instructions=prompt, sinks=[otel.sink])
        try:
            await session.run(agent, "Close my ticket.")
            async with agent.run_stream("And the other one?") as stream:
                await stream.get_result()
        finally:
            await adapter.aclose()
    (summary,) = store.runs(session_id="conv-42")
    assert store.read(summary.run_id)[0].session_id == "conv-42"  # run.started names the session
    store.close()
    host, port = server.url.removeprefix("http://").split(":")
    spans = otel.spans()
    chat, streamed_chat = (s for s in spans if s.name.startswith("chat"))
    agent_span = next(s for s in spans if s.name == "invoke_agent agent")
    for span in (agent_span, chat):
        assert span.attributes["gen_ai.conversation.id"] == "conv-42"
        assert span.attributes["gen_ai.prompt.name"] == "support"
        assert span.attributes["agentkit.prompt.version"] == "1.2.0"
        assert span.attributes["gen_ai.output.type"] == "text"
    assert chat.attributes["gen_ai.request.stream"] is False
    assert streamed_chat.attributes["gen_ai.request.stream"] is True
    assert (
        streamed_chat.attributes["gen_ai.conversation.id"] != "conv-42"
    )  # outside the session: the run id
    assert chat.attributes["server.address"] == host
    assert chat.attributes["server.port"] == int(port)
    assert chat.attributes["gen_ai.response.id"].startswith("chatcmpl-")
    durations = otel.metrics()["gen_ai.client.operation.duration"]
    assert {p.attributes["server.address"] for p in durations} == {host}


async def test_retries_of_a_real_run_reach_metrics_and_spans(otel: Any) -> None:
    """A 503 retried by RetryPolicy counts in agentkit_retries_total under the requested model, and fails no span."""
    from agentkit.resilience import RetryPolicy
    from agentkit.testing import Fault

    async def no_wait(seconds: float) -> None:
        return None

    metrics = Metrics()
    async with FakeProviderServer(responder=lambda r: Reply("Done.")) as server:
        server.script(Fault.server_error(503))
        adapter = OpenAIChatProvider(MODEL, api_key="sk-test", base_url=server.url + "/v1")
        agent = Agent(RetryPolicy(adapter, sleep=no_wait), sinks=[metrics, otel.sink])
        try:
            await agent.run("Hello?")
        finally:
            await adapter.aclose()
    assert metrics.counter("agentkit_retries_total", model=MODEL) == 1.0
    assert metrics.success_rate("model", model=MODEL) == 1.0
    (chat,) = (s for s in otel.spans() if s.name.startswith("chat"))
    assert "error.type" not in chat.attributes  # one logical call, retried within its span
