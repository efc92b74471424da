"""Migrations, the response cache, the `agentkit runs` commands and import lightness."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from agentkit import tool
from agentkit.cli._runs import add_runs_commands, run_runs_command
from agentkit.events import SCHEMA_VERSION
from agentkit.messages import Message
from agentkit.providers import ModelRequest, ModelResponse, ModelSettings, TextDelta
from agentkit.runtime import Agent
from agentkit.storage import (
    CachingProvider,
    MigrationError,
    Session,
    SQLiteStore,
    migrate,
    request_key,
)
from agentkit.testing import FakeProvider

if TYPE_CHECKING:
    from pathlib import Path


def test_hand_written_v0_event_migrates() -> None:
    """A pre-release (v0) run.started event becomes a current RunStarted."""
    v0 = {
        "event": "run.started",
        "run_id": "old",
        "seq": 0,
        "timestamp": "2024-06-01T12:00:00+00:00",
        "agent": "legacy",
        "provider": "OpenAI",
        "output_type": "str",
    }
    event = migrate(v0)
    assert (event.type, event.schema_version, getattr(event, "agent", None)) == (
        "run.started",
        SCHEMA_VERSION,
        "legacy",
    )


def test_newer_event_is_refused() -> None:
    """An event from a newer release raises MigrationError telling to upgrade."""
    with pytest.raises(MigrationError, match="upgrade agentkit"):
        migrate({"schema_version": SCHEMA_VERSION + 1, "type": "run.started"})


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return key


@tool(version="1.1.0")
def lookup_v11(key: str) -> str:
    """Look a key up."""
    return key


def test_request_key_covers_what_changes_the_answer() -> None:
    """Tools, settings and messages change the key; timeouts do not."""
    base = ModelRequest(messages=[Message.user("hi")], tools=[lookup.contract])
    key = request_key(base, model="m")
    assert key == request_key(
        ModelRequest(
            messages=[Message.user("hi")],
            tools=[lookup.contract],
            settings=ModelSettings(timeout=3),
        ),
        model="m",
    )
    assert key != request_key(
        ModelRequest(messages=[Message.user("hi")], tools=[lookup_v11.contract]), model="m"
    )
    assert key != request_key(
        ModelRequest(
            messages=[Message.user("hi")],
            tools=[lookup.contract],
            settings=ModelSettings(temperature=0),
        ),
        model="m",
    )
    assert key != request_key(base, model="m", extra="prompt-hash")


def test_cache_streams_hits_and_skips_errors() -> None:
    """A streamed hit yields the cached text; an "error" finish is never cached."""
    inner = FakeProvider(
        [ModelResponse(provider="fake", finish_reason="error"), "cached", "unused"]
    )
    cached = CachingProvider(inner)
    request = ModelRequest(messages=[Message.user("hi")])

    async def main() -> list[Any]:
        await cached.complete(request)  # error: not kept
        await cached.complete(request)  # "cached": kept
        return [event async for event in cached.stream(request)]

    events = anyio.run(main)
    assert isinstance(events[0], TextDelta)
    assert events[0].text == "cached"
    assert (cached.hits, cached.misses, len(inner.requests)) == (1, 2, 2)


def _runs(db: Path, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    add_runs_commands(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    code = run_runs_command(parser.parse_args(["runs", "--db", str(db), *argv]), out)
    return code, out.getvalue()


REPLAY_AGENT = """
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider
same = Agent(FakeProvider([], model="fake-model"), instructions="Be brief.")
changed = Agent(FakeProvider([], model="fake-model"), instructions="Be long.")
"""


def test_cli_list_show_replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`agentkit runs` lists, shows and replays runs of the SQLite store."""
    db = tmp_path / "runs.sqlite3"
    with SQLiteStore(db) as store:
        Session(store, "s1").run_sync(
            Agent(FakeProvider(["Hello."]), instructions="Be brief."), "hi", run_id="r1"
        )
    code, text = _runs(db, "list")
    assert code == 0
    assert text.splitlines()[0].split() == [
        "RUN",
        "STATUS",
        "EVENTS",
        "STEPS",
        "AGENT",
        "MODEL",
        "STARTED",
    ]
    assert text.splitlines()[1].split()[:4] == ["r1", "completed", "4", "1"]
    code, text = _runs(db, "show", "r1")
    assert code == 0
    assert "model.responded" in text
    code, text = _runs(db, "replay", "r1")
    assert (code, text.splitlines()[-1]) == (
        0,
        "1 step(s); pass --agent MODULE:NAME to replay against an agent",
    )
    (tmp_path / "replay_agents.py").write_text(REPLAY_AGENT)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, text = _runs(db, "replay", "r1", "--agent", "replay_agents:same")
    assert (code, text) == (0, "run r1 replayed identically (1 step(s))\n")
    code, text = _runs(db, "replay", "r1", "--agent", "replay_agents:changed")
    assert code == 1
    assert "+[0] system: Be long." in text
    assert _runs(db, "show", "missing")[0] == 4


def test_import_agentkit_does_not_load_storage() -> None:
    """`import agentkit` leaves agentkit.storage and sqlite3 unimported."""
    code = (
        "import sys, agentkit; print('agentkit.storage' in sys.modules, 'sqlite3' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["False", "False"]
