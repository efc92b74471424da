"""Redaction costs what is new in an event, through the front door: a real adapter over the loopback fake server.

An `Agent` on `OpenAIChatProvider` (behind the default `RetryPolicy`), recording to SQLite through a `StoreSink`,
calls a tool step after step. The run's redactor remembers what it scanned, so the run id, the tool list, the
provider and model names and every message already scanned cost a lookup, not a scan: the strings scanned per
step are the same at step 40 as at step 2. A secret learned mid-run (a ``Sensitive()`` argument) makes it forget,
so everything emitted after it is masked, in the events and the store, and the stored run replays.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from agentkit import Sensitive, tool
from agentkit._redact import SecretRedactor
from agentkit.events import ModelRequested
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent
from agentkit.storage import Recording, SQLiteStore, StoreSink, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.anyio

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"  # a gateway key of no well-known shape
PIN = "48213377"  # digits no built-in pattern recognises
MODEL = "gpt-4.1-mini"


@tool
async def lookup(key: str) -> str:
    """Look a key up."""
    return f"{key.upper()} is on shelf {key[-2:]}"


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door with its PIN."""
    return f"{door} unlocked"


class Scans:
    """Counts the strings the redactor scans (memory misses), per redacted event, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        self.per_event: list[tuple[str, int]] = []
        scan, call = SecretRedactor._scan, SecretRedactor.__call__

        def counting_scan(redactor: SecretRedactor, text: str, *config: Any) -> str:
            self.texts.append(text)
            return scan(redactor, text, *config)

        def counting_call(redactor: SecretRedactor, event: Any) -> Any:
            before = len(self.texts)
            redacted = call(redactor, event)
            self.per_event.append((event.type, len(self.texts) - before))
            return redacted

        monkeypatch.setattr(SecretRedactor, "_scan", counting_scan)
        monkeypatch.setattr(SecretRedactor, "__call__", counting_call)

    def per_step(self) -> list[int]:
        """Strings scanned per step: from one ``model.requested`` to the next (the run's start in step 1)."""
        steps = [0]
        requested = False
        for event_type, count in self.per_event:
            if event_type == "model.requested":
                if requested:
                    steps.append(0)
                requested = True
            steps[-1] += count
        return steps


def _steps_responder(tool_steps: int) -> Callable[[ServedRequest], Reply]:
    """Call ``lookup`` ``tool_steps`` times (keys of the same length), then answer."""

    def respond(request: ServedRequest) -> Reply:
        done = sum(1 for m in request.body["messages"] if m["role"] == "tool")
        if done < tool_steps:
            return Reply("", tool_calls=(("lookup", json.dumps({"key": f"k{done:02d}"})),))
        return Reply("All looked up.")

    return respond


async def _run_steps(tool_steps: int, path: Path) -> tuple[list[int], list[str], str]:
    """Run ``tool_steps`` tool steps; the strings scanned per step, all strings scanned, and the run id."""
    with pytest.MonkeyPatch.context() as patch:
        scans = Scans(patch)
        store = SQLiteStore(path)
        async with FakeProviderServer(responder=_steps_responder(tool_steps)) as server:
            adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
            try:
                agent = Agent(
                    RetryPolicy(adapter),
                    tools=[lookup],
                    sinks=[StoreSink(store)],
                    max_steps=tool_steps + 1,
                )
                result = await agent.run("Look up every key.")
            finally:
                await adapter.aclose()
        stored = store.read(result.run_id)
        store.close()
    assert result.status == "completed"
    assert stored == list(result.events)
    assert len([e for e in stored if isinstance(e, ModelRequested)]) == tool_steps + 1
    return scans.per_step(), scans.texts, result.run_id


async def test_strings_scanned_per_step_do_not_grow_with_the_run(tmp_path: Path) -> None:
    """Step 39 of a long run scans as many strings as step 3 of a short one, and no string twice."""
    short, _, _ = await _run_steps(3, tmp_path / "short.db")
    long, texts, run_id = await _run_steps(40, tmp_path / "long.db")
    # Step 1 scans the run's start (instructions, user input, tool list...) and step 2 the first tool result's
    # framing; each tool step after them scans only what is new: the call's arguments and output, the response
    # id and the result sent back.
    tool_step = short[2]
    assert 0 < tool_step < short[1] < short[0]
    assert long[:2] == short[:2]
    assert long[2:40] == [tool_step] * 38
    assert long[40] == short[3]  # the answer step
    # Each distinct string is scanned once in the whole run: the run id, tool and model names, the call id...
    assert Counter(texts).most_common(1)[0][1] == 1
    assert texts.count(run_id) == 1
    assert texts.count("lookup") == 1


async def test_scans_are_the_same_text_the_old_redactor_masked(tmp_path: Path) -> None:
    """What the remembering redactor stores equals what a redactor that forgets everything stores."""
    _, texts, _ = await _run_steps(3, tmp_path / "run.db")
    forgetful = SecretRedactor(secrets=[KEY])
    remembering = SecretRedactor(secrets=[KEY], cache_chars=10_000)
    for text in [*texts, *texts]:
        assert remembering.redact_text(text) == forgetful.redact_text(text)


def _pin_responder(request: ServedRequest) -> Reply:
    """Unlock with the PIN the user typed and look up two keys quoting it, then echo it."""
    if any(m["role"] == "tool" for m in request.body["messages"]):
        return Reply(f"Done. Your PIN {PIN} opened the front door.")
    calls = [("lookup", json.dumps({"key": f"{PIN}-{n}"})) for n in (1, 2)]
    return Reply("", tool_calls=(("unlock", json.dumps({"door": "front", "pin": PIN})), *calls))


async def test_a_secret_learned_mid_run_is_masked_in_every_later_event_and_the_run_replays(
    tmp_path: Path,
) -> None:
    """The user's PIN, scanned before the model marks it sensitive, is masked everywhere after; the run replays.

    The first request's events were scanned (and remembered as clean) before the answer revealed the PIN as a
    ``Sensitive()`` argument; held until then, they are redacted again with the PIN known, as is everything
    emitted later: the answer's other calls quoting it, their outputs, the next request and the final answer.
    """
    path = tmp_path / "runs.db"
    store = SQLiteStore(path)
    async with FakeProviderServer(responder=_pin_responder) as server:
        adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
        try:
            agent = Agent(RetryPolicy(adapter), tools=[lookup, unlock], sinks=[StoreSink(store)])
            result = await agent.run(f"My PIN is {PIN}. Open the front door, then look up my keys.")
        finally:
            await adapter.aclose()
    store.close()
    assert result.status == "completed"
    assert PIN in result.output  # the caller gets the answer itself; only what is kept is masked
    assert [e.type for e in result.events].count("tool.call.succeeded") == 3
    first = next(e for e in result.events if isinstance(e, ModelRequested))
    assert first.new_messages is not None
    assert (
        first.new_messages[-1].text == "My PIN is ***. Open the front door, then look up my keys."
    )
    for event in result.events:
        assert PIN not in event.model_dump_json(), event.type
    raw = b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    assert PIN.encode() not in raw
    assert KEY.encode() not in raw
    assert b"***" in raw

    store = SQLiteStore(path, create=False)
    try:
        recording = Recording.load(store, result.run_id)
        replayed = await replay(
            Agent(RetryPolicy(adapter), tools=[lookup, unlock], sinks=[StoreSink(store)]),
            recording,
        )
    finally:
        store.close()
    assert replayed.status == "completed"
    assert replayed.output == "Done. Your PIN *** opened the front door."


def test_long_text_is_found_inside_subclasses_of_containers() -> None:
    """carries_long_text counts the strings in dict, list and tuple subclasses too."""
    from collections import OrderedDict

    from agentkit.runtime._secrets import carries_long_text

    class Items(list):  # type: ignore[type-arg]
        """A list subclass."""

    assert carries_long_text(OrderedDict(a=Items(["x" * 11])), limit=10)
    assert not carries_long_text(OrderedDict(a=Items(["x" * 10]), b=(1, None)), limit=10)
