"""Agent runs through the HTTP service, through the front door.

A real adapter over the loopback fake provider, uvicorn, SSE, approvals across a server restart on one SQLite
store, sessions, redaction, graceful shutdown, replay.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from agentkit import tool
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent
from agentkit.server import APIKeys, ServerLimits, create_app
from agentkit.storage import Recording, SQLiteStore, replay
from agentkit.testing import FakeProviderServer, Fault, Reply, ServedRequest

from .conftest import KEY, serving

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MODEL = "gpt-4.1-mini"
PROVIDER_KEY = "pk9-Rw2Xn5Tq8Lz3Vc7Bm1Hd"
HEADERS = {"X-API-Key": KEY}
BOOKED: list[str] = []


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@tool(requires_approval=True)
def book(flight: str) -> str:
    """Book a flight (a human approves each booking)."""
    BOOKED.append(flight)
    return f"booked {flight}"


def _respond(request: ServedRequest) -> Reply:
    """Call a tool first; once a tool answered, reply echoing both keys (redaction must mask them)."""
    text = json.dumps(request.body)
    if '"role": "tool"' in text:
        return Reply(f"Done: {KEY} {PROVIDER_KEY} users={text.count(chr(34) + 'user' + chr(34))}")
    last = request.body["messages"][-1]["content"]
    if "book" in str(last):
        return Reply("", tool_calls=(("book", '{"flight": "TP123"}'),))
    if "weather" in str(last):
        return Reply("", tool_calls=(("weather", '{"city": "Oslo"}'),))
    return Reply(f"plain answer users={text.count(chr(34) + 'user' + chr(34))}")


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """The loopback fake provider."""
    with FakeProviderServer(responder=_respond).running_in_thread() as server:
        yield server


def _agent(fake: FakeProviderServer) -> Agent[Any, str]:
    provider = OpenAIChatProvider(MODEL, api_key=PROVIDER_KEY, base_url=fake.url + "/v1")
    return Agent(provider, tools=[weather, book], name="assistant")


def _events(base: str, run_id: str, after: int | None = None) -> tuple[list[dict[str, Any]], str]:
    """Read a run's SSE stream to its end: the events and the raw text."""
    headers = dict(HEADERS)
    if after is not None:
        headers["Last-Event-ID"] = str(after)
    with httpx.stream(
        "GET", f"{base}/v1/runs/{run_id}/events", headers=headers, timeout=60
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = [
        json.loads(line[len("data: ") :]) for line in raw.splitlines() if line.startswith("data: ")
    ]
    return events, raw


def _start(base: str, text: str, **extra: Any) -> str:
    response = httpx.post(base + "/v1/runs", json={"input": text, **extra}, headers=HEADERS)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/runs/{response.json()['run_id']}"
    return str(response.json()["run_id"])


def test_a_run_streams_is_stored_redacted_and_replays(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    """A run started over HTTP streams every event as SSE, never shows a key, and its stored log replays exactly."""
    store = SQLiteStore(tmp_path / "runs.db")
    agent = _agent(fake)
    app = create_app(agents=agent, store=store, auth=APIKeys({KEY: "tests"}))
    with serving(app) as base:
        run_id = _start(base, f"weather please; my key is {KEY}")
        events, raw = _events(base, run_id)
        described = httpx.get(f"{base}/v1/runs/{run_id}", headers=HEADERS)
    types = [e["type"] for e in events]
    assert types[0] == "run.started"
    assert types[-1] == "run.finished"
    assert "tool.call.succeeded" in types
    assert [e["seq"] for e in events] == list(range(len(events)))
    info = described.json()
    assert info["status"] == "completed"
    assert info["agent"] == "assistant"
    assert info["steps"] == 2
    for text in (raw, described.text):
        assert KEY not in text
        assert PROVIDER_KEY not in text
    assert len(fake.requests) == 2
    replayed = anyio.run(replay, agent, Recording.load(store, run_id))
    assert replayed.output.startswith("Done:")
    store.close()


def test_a_paused_run_resumes_after_a_server_restart(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    """Paused on one server, approved on a new one over the same SQLite store, the run completes once."""
    BOOKED.clear()
    path = tmp_path / "runs.db"
    store = SQLiteStore(path)
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        run_id = _start(base, "book a flight")
        first, _ = _events(base, run_id)
        paused = httpx.get(f"{base}/v1/runs/{run_id}", headers=HEADERS).json()
    store.close()
    assert first[-1]["type"] == "run.finished"
    assert first[-1]["status"] == "paused"
    assert paused["status"] == "paused"
    assert paused["pending"] == [
        {
            "tool_call_id": "call_0",
            "tool_name": "book",
            "arguments": '{"flight":"TP123"}',
            "reason": None,
            "index": 0,
        }
    ]
    assert BOOKED == []

    store = SQLiteStore(path)
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        approved = httpx.post(
            f"{base}/v1/runs/{run_id}/approvals",
            json={"decisions": [{"index": 0, "approved": True}]},
            headers=HEADERS,
        )
        assert approved.status_code == 202
        rest, _ = _events(base, run_id, after=first[-1]["seq"])
        final = httpx.get(f"{base}/v1/runs/{run_id}", headers=HEADERS).json()
        again = httpx.post(
            f"{base}/v1/runs/{run_id}/approvals",
            json={"decisions": [{"index": 0, "approved": True}]},
            headers=HEADERS,
        )
    store.close()
    assert rest[0]["type"] == "run.started"
    assert rest[0]["resumed"] is True
    assert rest[0]["seq"] == first[-1]["seq"] + 1
    assert "approval.resolved" in [e["type"] for e in rest]
    assert final["status"] == "completed"
    assert final["output"].startswith("Done:")
    assert BOOKED == ["TP123"]
    assert again.status_code == 409
    assert again.json()["type"].endswith("/run-not-paused")


def test_bad_decisions_and_unknown_runs_are_problems(fake: FakeProviderServer) -> None:
    """A decision naming no paused call is a 422; an unknown run is a 404 for every run endpoint."""
    with serving(create_app(agents=_agent(fake), auth=APIKeys({KEY: "t"}))) as base:
        run_id = _start(base, "book a flight")
        _events(base, run_id)
        wrong = httpx.post(
            f"{base}/v1/runs/{run_id}/approvals",
            json={"decisions": [{"tool_call_id": "nope", "approved": True}]},
            headers=HEADERS,
        )
        keyless = httpx.post(
            f"{base}/v1/runs/{run_id}/approvals",
            json={"decisions": [{"approved": True}]},
            headers=HEADERS,
        )
        unknown = [
            httpx.get(f"{base}/v1/runs/missing", headers=HEADERS),
            httpx.get(f"{base}/v1/runs/missing/events", headers=HEADERS),
            httpx.post(
                f"{base}/v1/runs/missing/approvals",
                json={"decisions": [{"index": 0, "approved": True}]},
                headers=HEADERS,
            ),
            httpx.post(base + "/v1/runs", json={"input": "x", "agent": "nobody"}, headers=HEADERS),
        ]
        rejected = httpx.post(
            f"{base}/v1/runs/{run_id}/approvals",
            json={"decisions": [{"index": 0, "approved": False, "reason": "too pricey"}]},
            headers=HEADERS,
        )
        _events(base, run_id)
        final = httpx.get(f"{base}/v1/runs/{run_id}", headers=HEADERS).json()
    assert wrong.status_code == 422
    assert keyless.status_code == 422
    assert [r.status_code for r in unknown] == [404, 404, 404, 404]
    assert rejected.status_code == 202
    assert final["status"] == "completed"


def test_sessions_continue_and_run_concurrently(fake: FakeProviderServer, tmp_path: Path) -> None:
    """Each session's second run sees its first; runs of several sessions proceed side by side."""
    store = SQLiteStore(tmp_path / "runs.db")
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        sessions = [f"s{i}" for i in range(4)]
        first = [
            httpx.post(
                f"{base}/v1/sessions/{s}/runs", json={"input": "hello"}, headers=HEADERS
            ).json()["run_id"]
            for s in sessions
        ]
        for run_id in first:
            _events(base, run_id)
        second = [_start(base, "hello again", session_id=s) for s in sessions]
        for run_id in second:
            _events(base, run_id)
        outputs = [
            httpx.get(f"{base}/v1/runs/{r}", headers=HEADERS).json()["output"] for r in second
        ]
        listing = httpx.get(f"{base}/v1/sessions/s0", headers=HEADERS).json()
        missing = httpx.get(f"{base}/v1/sessions/none", headers=HEADERS)
        bad = httpx.post(f"{base}/v1/sessions/a b/runs", json={"input": "x"}, headers=HEADERS)
    store.close()
    assert outputs == ["plain answer users=2"] * 4
    assert [r["run_id"] for r in listing["runs"]] == [first[0], second[0]]
    assert missing.status_code == 404
    assert bad.status_code == 422


def test_shutdown_cancels_and_stores_what_it_cannot_finish(
    fake: FakeProviderServer, tmp_path: Path
) -> None:
    """A run still waiting on its model when the grace period ends is cancelled, its end stored as such."""
    store = SQLiteStore(tmp_path / "runs.db")
    fake.script(Fault.hang(30))
    app = create_app(
        agents=_agent(fake),
        store=store,
        auth=APIKeys({KEY: "t"}),
        limits=ServerLimits(shutdown_grace=0.0),
    )
    with serving(app) as base:
        run_id = _start(base, "hello")
        for _ in range(2000):  # bounded: until the model call is in flight
            if fake.requests:
                break
            anyio.run(anyio.sleep, 0.01)
    summary = store.get_run(run_id)
    last = store.read(run_id)[-1]
    store.close()
    assert summary.status == "cancelled"
    assert last.type == "run.finished"


def test_shutdown_lets_a_short_run_finish(fake: FakeProviderServer, tmp_path: Path) -> None:
    """Within the grace period, a run in flight at shutdown completes normally."""
    store = SQLiteStore(tmp_path / "runs.db")
    fake.script(Reply("finished late", first_byte_delay=0.3))
    with serving(create_app(agents=_agent(fake), store=store, auth=APIKeys({KEY: "t"}))) as base:
        run_id = _start(base, "hello")
    summary = store.get_run(run_id)
    store.close()
    assert summary.status == "completed"
    assert summary.output == "finished late"
