"""The provider contract through the Agent: redaction and telemetry see the real provider through any wrappers.

A real OpenAI Chat adapter talks to the fault-injecting server on 127.0.0.1; the key is one no built-in pattern
recognises, so only the provider's ``secrets()`` can mask it.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit import tool
from agentkit.observability import LoggingSink, SecretRedactor
from agentkit.providers import ModelProfile, ModelRequest, ModelResponse, Provider, StreamDone
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import (
    CircuitBreaker,
    CircuitRegistry,
    Deadline,
    Fallback,
    RateLimiter,
    RetryPolicy,
)
from agentkit.runtime import Agent
from agentkit.storage import CachingProvider, MemoryStore, SQLiteStore, StoreSink
from agentkit.testing import FakeProvider, FakeProviderServer, Fault, Reply, ServedRequest

pytestmark = pytest.mark.anyio

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"  # a gateway key of no well-known shape
MODEL = "gpt-4.1-mini"


@tool
def read_env(name: str) -> str:
    """Read a deployment setting."""
    return f"{name} is {KEY} (from the vault)"


async def _no_wait(seconds: float) -> None:
    return None


def _responder_for(wire: str) -> Callable[[ServedRequest], Reply]:
    def respond(request: ServedRequest) -> Reply:
        """First a tool call, then an answer that echoes the key (the model repeating what the tool said)."""
        body = json.dumps(request.body)
        answered = '"role": "tool"' in body if wire == "openai" else '"tool_result"' in body
        if answered:
            return Reply(f"The setting is {KEY}, I looked it up.")
        return Reply("", tool_calls=(("read_env", '{"name": "GATEWAY_KEY"}'),))

    return respond


_responder = _responder_for("openai")


STACKS: dict[str, Callable[[Provider], Provider]] = {
    "retry(breaker(deadline))": lambda p: RetryPolicy(
        CircuitBreaker(Deadline(p, timeout=30.0), registry=CircuitRegistry()), sleep=_no_wait
    ),
    "retry": lambda p: RetryPolicy(p, sleep=_no_wait),
    "breaker": lambda p: CircuitBreaker(p, registry=CircuitRegistry()),
    "deadline": lambda p: Deadline(p, timeout=30.0),
    "limiter": lambda p: RateLimiter(p, requests_per_minute=1000),
    "fallback": lambda p: Fallback([p, FakeProvider(["spare"])]),
    "cache": lambda p: CachingProvider(p),
}


class _OTel:
    """An in-memory OpenTelemetry SDK setup and its sink."""

    def __init__(self) -> None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        from agentkit.observability.otel import OTelSink

        self.exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.sink = OTelSink(
            tracer_provider=tracer_provider,
            meter_provider=MeterProvider(metric_readers=[self.reader]),
        )

    def spans(self) -> list[Any]:
        return list(self.exporter.get_finished_spans())

    def dump(self) -> str:
        metrics = self.reader.get_metrics_data()
        return "\n".join(s.to_json() for s in self.spans()) + (metrics.to_json() if metrics else "")


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything LoggingSink writes at DEBUG, message and structured ``agentkit_event`` alike."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s %(agentkit_event)s"))
    logger = logging.getLogger("agentkit.test.contract")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield buffer
    logger.removeHandler(handler)


def _sqlite_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


@pytest.mark.parametrize("user_redactor", [False, True], ids=["default-redactor", "user-redactor"])
@pytest.mark.parametrize("stack", list(STACKS))
async def test_the_key_is_masked_everywhere_and_telemetry_names_the_real_provider(
    stack: str, user_redactor: bool, tmp_path: Path, log_text: io.StringIO
) -> None:
    """Through each wrapper, the key echoed by a tool and the model reaches no store, log or span."""
    assert SecretRedactor().redact_text(KEY) == KEY  # no built-in pattern would save us
    shared = SecretRedactor(patterns=[r"vault"]) if user_redactor else None
    memory, sqlite_path = MemoryStore(), tmp_path / "runs.db"
    sqlite = SQLiteStore(sqlite_path)
    otel = _OTel()
    async with FakeProviderServer(responder=_responder) as server:
        if stack.startswith("retry"):
            server.script(Fault.server_error(503))
        adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
        provider = STACKS[stack](adapter)
        agent = Agent(
            provider,
            tools=[read_env],
            sinks=[
                StoreSink(memory),
                StoreSink(sqlite),
                LoggingSink("agentkit.test.contract", capture_content=True),  # content, redacted
                otel.sink,
            ],
            redactor=shared if shared is not None else True,
        )
        try:
            result = await agent.run("What is the gateway key?", run_id="r1")
        finally:
            await adapter.aclose()
    sqlite.close()
    assert (
        server.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    )  # the key really was used
    assert KEY in result.output  # the caller gets the answer itself; only what is kept is masked
    stored = json.dumps([e.model_dump(mode="json") for e in memory.read("r1")])
    assert "***" in stored
    assert KEY not in stored
    assert KEY.encode() not in _sqlite_bytes(sqlite_path)
    assert "read_env" in log_text.getvalue()
    assert KEY not in log_text.getvalue()
    assert KEY not in otel.dump()
    chats = [s for s in otel.spans() if s.name.startswith("chat")]
    assert len(chats) >= 2
    for span in chats:
        assert span.attributes["gen_ai.provider.name"] == "openai"
        assert span.attributes["gen_ai.request.model"] == MODEL
    started = memory.read("r1")[0]
    assert (started.type, started.provider, started.model) == ("run.started", "openai", MODEL)
    if shared is not None:
        assert shared.redact_text(KEY) == KEY  # the user's redactor was not changed by the run
        assert "vault" not in stored  # and it was applied


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
async def test_a_streamed_run_through_wrappers_masks_the_key_too(wire: str) -> None:
    """Streaming through RetryPolicy(Deadline(...)) over SSE keeps the key out of the events as well."""
    async with FakeProviderServer(responder=_responder_for(wire)) as server:
        adapter: Provider
        if wire == "anthropic":
            adapter = AnthropicProvider("claude-haiku-4-5", api_key=KEY, base_url=server.url)
        else:
            adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(
            RetryPolicy(Deadline(adapter, timeout=30.0), sleep=_no_wait), tools=[read_env]
        )
        try:
            async with agent.run_stream("What is the gateway key?") as stream:
                result = await stream.get_result()
        finally:
            await adapter.aclose()
    assert all(request.stream for request in server.requests)
    assert KEY in result.output
    events = [e.model_dump(mode="json") for e in result.events]
    assert [e["tool_name"] for e in events if e["type"] == "tool.call.succeeded"] == ["read_env"]
    assert KEY not in json.dumps(events)
    assert events[0]["provider"] == wire


async def test_a_users_own_redactor_still_masks_the_provider_secrets_of_a_fake() -> None:
    """A user's plain callable redactor is kept, and the provider's secrets are masked before it runs."""
    seen: list[str] = []

    def my_redactor(event: Any) -> Any:
        seen.append(event.model_dump_json())
        return event

    provider = RetryPolicy(FakeProvider([f"token {KEY}"], secrets=[KEY]), sleep=_no_wait)
    result = await Agent(provider, redactor=my_redactor).run("hi")
    assert seen
    assert all(KEY not in text for text in seen)
    assert all(KEY not in e.model_dump_json() for e in result.events)


async def test_redactor_false_turns_redaction_off() -> None:
    """``redactor=False`` is the explicit opt-out: events keep the text as it was."""
    result = await Agent(FakeProvider([f"token {KEY}"], secrets=[KEY]), redactor=False).run("hi")
    assert any(KEY in e.model_dump_json() for e in result.events)


# ------------------------------------------------------------------------------------ the contract itself


def test_a_provider_missing_the_contract_members_fails_with_a_clear_message() -> None:
    """A subclass that only implements complete/stream names each missing member and how to add it."""

    class OnlyCalls(Provider):
        async def complete(self, request: ModelRequest) -> ModelResponse:  # pragma: no cover
            raise NotImplementedError

        async def stream(self, request: ModelRequest) -> Any:  # pragma: no cover
            yield StreamDone(ModelResponse(provider="x"))

    with pytest.raises(TypeError) as info:
        OnlyCalls()
    message = str(info.value)
    assert message.startswith("cannot instantiate OnlyCalls")
    for member in ("'model'", "'profile'", "'secrets'", "'system'"):
        assert member in message
    assert "def secrets(self) -> frozenset[str]" in message
    assert "'complete'" not in message


def test_a_provider_with_class_attributes_and_instance_values_is_complete() -> None:
    """Class attributes satisfy the contract, and a class-level default lets __init__ set the model."""

    class Mine(Provider):
        system = "mine"
        model: str = ""
        profile = ModelProfile(dialect="openai-strict")

        def __init__(self, model: str, key: str) -> None:
            self.model = model
            self._key = key

        def secrets(self) -> frozenset[str]:
            return frozenset({self._key})

        async def complete(self, request: ModelRequest) -> ModelResponse:  # pragma: no cover
            raise NotImplementedError

        async def stream(self, request: ModelRequest) -> Any:  # pragma: no cover
            yield StreamDone(ModelResponse(provider="x"))

    wrapped = RetryPolicy(Mine("m-2", "key-123456"))
    assert (wrapped.system, wrapped.model, wrapped.secrets()) == ("mine", "m-2", {"key-123456"})
    assert repr(Mine("m-2", "key-123456")) == "Mine(model='m-2')"
