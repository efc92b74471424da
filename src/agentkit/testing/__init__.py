"""Test doubles and helpers that ship with agentkit, for your tests and ours.

- `FakeProvider` answers from a script and `FunctionProvider` asks a callback: no network, no API key.
- `MockClock` is a manual `agentkit.Clock`: time moves only when the test says so.
- `ReplayTransport` replays recorded HTTP traffic (`load_cassette`, `sse_from_chunks`) through
  ``httpx.MockTransport``, to test provider adapters against real wire formats.

Examples:
    >>> from agentkit.testing import ReplayTransport
    >>> ReplayTransport.from_bodies([(200, {"ok": True})]).interactions[0].status
    200
    >>> from agentkit.testing import FakeProvider, MockClock
    >>> FakeProvider(["hello"]).remaining, MockClock().monotonic()
    (1, 0.0)
"""

from __future__ import annotations

from agentkit.runtime._capture import CapturedEvents, capture_events
from agentkit.testing._clock import MockClock
from agentkit.testing._fake import FakeProvider, FunctionProvider, ScriptedResponse
from agentkit.testing._replay import (
    Cassette,
    Interaction,
    ReplayTransport,
    load_cassette,
    sse_from_chunks,
)
from agentkit.testing._server import FakeProviderServer, Fault, Reply, ServedRequest, ServerAction

__all__ = (
    "CapturedEvents",
    "Cassette",
    "FakeProvider",
    "FakeProviderServer",
    "Fault",
    "FunctionProvider",
    "Interaction",
    "MockClock",
    "ReplayTransport",
    "Reply",
    "ScriptedResponse",
    "ServedRequest",
    "ServerAction",
    "capture_events",
    "load_cassette",
    "sse_from_chunks",
)
