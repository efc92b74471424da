"""Canary: secrets planted everywhere in a full agent run appear in no sink's output."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pytest

from agentkit import Sensitive, tool
from agentkit.events import BaseEvent
from agentkit.exceptions import AuthenticationFailed
from agentkit.messages import ToolCallPart, Usage
from agentkit.observability import LoggingSink, Metrics, RedactingSink, SecretRedactor
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider

PROVIDER_KEY = (
    "sk-proj-CANARYproviderKEY0123456789"  # given to the provider, registered with the redactor
)
PIN = "canary-pin-7391"  # a Sensitive tool argument with no secret shape
BEARER = "CANARYbearerTOKEN9f8e7d6c5b4a"  # in a tool result the model echoes back
AWS_KEY = "AKIACANARY0123456789"  # in a tool's exception message
HEADER_KEY = "canary-header-value-5150"  # an x-api-key header in an exception message
OPAQUE = "opaque-canary-credential-31337"  # an exact value registered with the redactor
CANARIES = (PROVIDER_KEY, PIN, BEARER, AWS_KEY, HEADER_KEY, OPAQUE)


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door with a PIN."""
    return f"unlocked {door}; session Authorization: Bearer {BEARER}"


@tool
def deploy(target: str) -> str:
    """Deploy somewhere."""
    raise RuntimeError(
        f"deploy failed with {AWS_KEY}, headers x-api-key: {HEADER_KEY}, token {OPAQUE}"
    )


def test_no_canary_reaches_any_sink(caplog: pytest.LogCaptureFixture, otel: Any) -> None:
    """Provider key, sensitive argument, bearer token, AWS key and header never reach logs, metrics or traces."""
    caplog.set_level(logging.DEBUG)
    raw: list[BaseEvent] = []
    received: list[BaseEvent] = []
    metrics = Metrics()
    redactor = SecretRedactor(secrets=[OPAQUE])
    redactor.add_secret(PROVIDER_KEY)  # as with redactor.add_secret(provider.api_key)
    sink = RedactingSink(LoggingSink(), metrics, otel.sink, received.append, redactor=redactor)

    provider = FakeProvider(
        [
            [
                ToolCallPart(
                    id="c1", name="unlock", arguments=f'{{"door": "front", "pin": "{PIN}"}}'
                ),
                ToolCallPart(id="c2", name="deploy", arguments='{"target": "prod"}'),
            ],
            f"Done: Authorization: Bearer {BEARER}",
            AuthenticationFailed(f"invalid key {PROVIDER_KEY} for {AWS_KEY}", provider="fake"),
        ],
        usage=Usage(input_tokens=5, output_tokens=1),
    )
    # redactor=False: this test checks the explicit RedactingSink pipeline against the raw stream.
    agent = Agent(
        provider, tools=[unlock, deploy], name="canary", sinks=[raw.append, sink], redactor=False
    )
    agent.run_sync("open the door and deploy")
    with pytest.raises(AuthenticationFailed):
        agent.run_sync("again")

    # The canaries were really planted: the unredacted stream holds all but the ones the runtime masks itself.
    planted = "\n".join(e.model_dump_json() for e in raw)
    assert {c for c in CANARIES if c in planted} >= {
        PROVIDER_KEY,
        BEARER,
        AWS_KEY,
        HEADER_KEY,
        OPAQUE,
    }

    log_text = caplog.text + "\n".join(repr(vars(r)) for r in caplog.records)
    outputs = {
        "list sink": "\n".join(e.model_dump_json() for e in received),
        "logging": log_text,
        "metrics": metrics.prometheus_text(),
        "otel": otel.dump(),
    }
    assert len(received) == len(raw)
    assert "tool.call.failed" in outputs["logging"]
    assert "invoke_agent canary" in outputs["otel"]
    for name, text in outputs.items():
        leaked = [c for c in CANARIES if c in text]
        assert not leaked, f"{name} leaked {leaked}"


def test_sensitive_argument_echoed_by_the_model_is_masked() -> None:
    """A Sensitive argument value the model repeats in its answer is masked in run.finished too."""
    received: list[BaseEvent] = []
    provider = FakeProvider(
        [
            [
                ToolCallPart(
                    id="c1", name="unlock", arguments=f'{{"door": "front", "pin": "{PIN}"}}'
                )
            ],
            f"pin {PIN}",
        ]
    )
    result = Agent(provider, tools=[unlock], sinks=[received.append]).run_sync("open")
    assert PIN not in "".join(e.model_dump_json() for e in received)
    assert PIN not in "".join(e.model_dump_json() for e in result.events)


def test_agents_redact_by_default_before_any_sink_and_in_the_result() -> None:
    """With no configuration, secret-shaped canaries reach neither sinks nor ``RunResult.events``."""
    received: list[BaseEvent] = []
    provider = FakeProvider(
        [
            [ToolCallPart(id="c2", name="deploy", arguments='{"target": "prod"}')],
            f"Done: Authorization: Bearer {BEARER} and {PROVIDER_KEY}",
        ]
    )
    result = Agent(provider, tools=[deploy], sinks=[received.append]).run_sync("deploy")
    for stream in (received, list(result.events)):
        text = "".join(e.model_dump_json() for e in stream)
        assert not [c for c in (BEARER, AWS_KEY, HEADER_KEY, PROVIDER_KEY) if c in text]
