"""Issue 12's "done when": one run through every layer at once, over a real adapter and the loopback fault server.

An `Agent` on `OpenAIChatProvider`, wrapped in every policy (a deadline, a rate limiter, a circuit breaker and a
retry policy, with a fallback to a second provider), talks to the loopback server, which first answers 429 with
Retry-After and then 503. The run is stored by a `Session` in SQLite, logged at DEBUG with content, traced to an
in-memory OpenTelemetry exporter and counted by `Metrics`. It has parallel tool calls, a `Prompt` with variables
(one ``Sensitive()``), a rejected tool call, a ``Sensitive()`` tool argument and a model echoing secrets. The test
shows the retries in the run's events and metrics, no secret in any sink or store byte, and the stored run
replaying exactly. Waits are instant (``testing_mode`` with a ``MockClock``).
"""

from __future__ import annotations

import io
import json
import logging
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.lowlevel
import pytest
from pydantic import BaseModel

from agentkit import Sensitive, tool
from agentkit.events import PromptRendered
from agentkit.observability import LoggingSink, Metrics
from agentkit.prompts import Prompt
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import (
    CircuitBreaker,
    Deadline,
    Fallback,
    RateLimiter,
    RetryPolicy,
    testing_mode,
)
from agentkit.runtime import Agent
from agentkit.storage import Recording, Session, SQLiteStore, replay
from agentkit.testing import FakeProviderServer, Fault, MockClock, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.anyio

MODEL = "gpt-4.1-mini"
KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"  # the primary's key: no well-known shape
BACKUP_KEY = "bk3-Vn8pYq27HsL4wXe0Tz9c"  # the fallback's key
PIN = "48213377"  # a Sensitive() tool argument the model sends
ACCOUNT = "ACCT-5521-XQ"  # a Sensitive() prompt variable
SECRETS = (KEY, BACKUP_KEY, PIN, ACCOUNT)


class Vars(BaseModel):
    """The prompt's variables."""

    customer: str
    account: Annotated[str, Sensitive()]


PROMPT = Prompt(
    "support", vars=Vars, version="1.0.0", system="You help {customer} (account {account})."
)


@tool
async def weather(city: str) -> str:
    """The weather in a city."""
    await anyio.lowlevel.checkpoint()  # let the other calls start, as concurrent calls do
    return f"sunny in {city}"


@tool
async def feed(limit: int) -> str:
    """Read the news feed."""
    await anyio.lowlevel.checkpoint()
    return f"{limit} items"


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door with its PIN."""
    return f"{door} unlocked"


def _respond(request: ServedRequest) -> Reply:
    """Step 1: three parallel calls and one with bad arguments; step 2: an answer echoing every secret."""
    if '"role": "tool"' in json.dumps(request.body):
        return Reply(f"Done. Key {KEY}, backup {BACKUP_KEY}, PIN {PIN}, account {ACCOUNT}.")
    return Reply(
        "",
        tool_calls=(
            ("weather", '{"city": "Oslo"}'),
            ("feed", '{"limit": 3}'),
            ("unlock", json.dumps({"door": "front", "pin": PIN})),
            ("weather", '{"town": "Paris"}'),
        ),
    )


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything LoggingSink writes at DEBUG."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    logger = logging.getLogger("agentkit.test.e2e")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield buffer
    logger.removeHandler(handler)


def _otel() -> tuple[Any, Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentkit.observability.otel import OTelSink

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OTelSink(tracer_provider=tracer_provider, capture_content=True), exporter


def _file_bytes(path: Path) -> bytes:
    """The database file and its -wal / -shm companions."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


@pytest.mark.parametrize(
    ("attempts", "retries", "fell_back"),
    [(3, 2, False), (2, 1, True)],
    ids=["retried", "fell-back"],
)
async def test_one_run_through_every_layer(
    tmp_path: Path, log_text: io.StringIO, attempts: int, retries: int, fell_back: bool
) -> None:
    """Retries in events and metrics, no secret in any sink or store byte, and the stored run replays exactly.

    With three attempts the primary retries the 429 and the 503; with two it gives up on the 503 and the
    fallback's provider answers.
    """
    path = tmp_path / "runs.sqlite3"
    store = SQLiteStore(path)
    metrics = Metrics()
    otel_sink, exporter = _otel()
    async with FakeProviderServer(responder=_respond) as server:
        server.script(Fault.rate_limited(retry_after="2"), Fault.server_error(503))
        primary = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
        backup = OpenAIChatProvider(MODEL, api_key=BACKUP_KEY, base_url=server.url + "/v1")
        provider = Fallback(
            [
                RetryPolicy(
                    CircuitBreaker(
                        RateLimiter(Deadline(primary, timeout=60.0), requests_per_minute=600)
                    ),
                    max_attempts=attempts,
                ),
                backup,
            ]
        )
        agent = Agent(
            provider,
            tools=[weather, feed, unlock],
            instructions=PROMPT,
            sinks=[LoggingSink("agentkit.test.e2e", capture_content=True), otel_sink, metrics],
        )
        try:
            with testing_mode(MockClock()) as sleep:
                result = await Session(store, "s1").run(
                    agent,
                    "Weather, news, and open the front door.",
                    run_id="r1",
                    prompt_vars=Vars(customer="Ada", account=ACCOUNT),
                )
        finally:
            await primary.aclose()
            await backup.aclose()

    # The run went through: the 429 and the 503 were retried, as run events, in the store and in metrics.
    assert result.status == "completed"
    assert KEY in result.output  # the caller gets the answer itself; only what is kept is masked
    types = [e.type for e in result.events]
    assert types.count("retry.scheduled") == retries
    assert ("fallback.triggered" in types) is fell_back
    assert sleep.calls[0] == 2.0  # Retry-After honoured
    assert metrics.counter("agentkit_retries_total") == float(retries)
    assert metrics.counter("agentkit_retries_total", error_type="RateLimited") == 1.0
    stored = store.read("r1")
    assert stored == list(result.events)
    assert store.get_run("r1").status == "completed"
    assert "tool.arguments.rejected" in types
    assert types.count("tool.call.succeeded") == 3
    (rendered,) = [e for e in stored if isinstance(e, PromptRendered)]
    assert rendered.values == {"customer": "Ada", "account": "***"}

    # No secret in any sink or store byte.
    store.close()
    raw = _file_bytes(path)
    logged = log_text.getvalue()
    spans = "\n".join(span.to_json() for span in exporter.get_finished_spans())
    assert "unlock" in logged
    assert "weather" in spans
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
        assert secret not in logged, secret
        assert secret not in spans, secret
        assert secret not in metrics.prometheus_text(), secret
        for event in result.events:
            assert secret not in event.model_dump_json(), (secret, event.type)

    # The stored run replays exactly, prompt variables and all, without being given them.
    store = SQLiteStore(path, create=False)
    try:
        replayed = await replay(agent, Recording.load(store, "r1"))
    finally:
        store.close()
    assert replayed.status == "completed"
    assert replayed.output == result.events[-1].output  # type: ignore[attr-defined]
