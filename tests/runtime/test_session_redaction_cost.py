"""Redaction across a `Session`'s runs costs what is new, through the front door: a real adapter over loopback.

Each run of a session sends the whole conversation again, so its first ``model.requested`` carries everything the
earlier runs said. The session keeps what the last run's redactor scanned (strings and their redacted forms,
under that redactor's exact settings), and the next run's redactor takes it over when its settings are the same:
the strings scanned by run k's first request do not grow with k. A secret learned in a later run changes the
settings, so nothing remembered under the old ones is served: the history first scanned (clean) in run 1 is
masked in everything run 2 and later emit and store, and every run of the session replays.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit import Sensitive, tool
from agentkit._redact import SecretRedactor
from agentkit.events import ModelRequested
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent
from agentkit.runtime._secrets import SecretMemory
from agentkit.storage import Recording, Session, SQLiteStore, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from agentkit.events import BaseEvent
    from agentkit.runtime import RunResult

pytestmark = pytest.mark.anyio

KEY = "gw7-Qm4tZr81xKc2Lp0vNa5e"  # a gateway key of no well-known shape
PIN = "48213377"  # digits no built-in pattern recognises
MODEL = "gpt-4.1-mini"
RUNS = 5
_TEXTS = st.lists(
    st.sampled_from(["ok ", KEY, PIN, "hunter22-lemon", "Bearer abcdefghijkl", " ", "x"]),
    max_size=5,
).map("".join)


@tool
async def lookup(key: str) -> str:
    """Look a key up."""
    return f"{key.upper()} is on shelf {key[-2:]}"


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door with its PIN."""
    return f"{door} unlocked"


class Scans:
    """Counts the strings redactors scan (memory misses), per redacted event, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        self.per_event: list[tuple[str, str, int]] = []
        scan, call = SecretRedactor._scan, SecretRedactor.__call__

        def counting_scan(redactor: SecretRedactor, text: str, *config: Any) -> str:
            self.texts.append(text)
            return scan(redactor, text, *config)

        def counting_call(redactor: SecretRedactor, event: Any) -> Any:
            before = len(self.texts)
            redacted = call(redactor, event)
            self.per_event.append((event.run_id, event.type, len(self.texts) - before))
            return redacted

        monkeypatch.setattr(SecretRedactor, "_scan", counting_scan)
        monkeypatch.setattr(SecretRedactor, "__call__", counting_call)

    def first_request(self, run_id: str) -> int:
        """Strings scanned redacting a run's first ``model.requested`` (held, so redacted twice: both count)."""
        counts = [
            n for run, kind, n in self.per_event if run == run_id and kind == "model.requested"
        ]
        return sum(counts[:2])

    def run(self, run_id: str) -> int:
        """Strings scanned in all of a run's events."""
        return sum(n for run, _, n in self.per_event if run == run_id)


def _lookup_responder(request: ServedRequest) -> Reply:
    """In every run: look up the key the latest user message names, then answer."""
    messages = request.body["messages"]
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    key = messages[last_user]["content"].rsplit(" ", 1)[-1]
    if not any(m["role"] == "tool" for m in messages[last_user:]):
        return Reply("", tool_calls=(("lookup", json.dumps({"key": key})),))
    return Reply(f"{key} is on its shelf.")


async def _session_runs(
    path: Path,
    responder: Callable[[ServedRequest], Reply],
    inputs: list[str],
    *,
    share: bool = True,
) -> tuple[Scans, list[RunResult[Any]]]:
    """Run a session (an agent on the loopback server, RetryPolicy, SQLite) once per input, counting scans."""
    with pytest.MonkeyPatch.context() as patch:
        if not share:  # the redactors of earlier releases: each run's memory starts empty
            patch.setattr(SecretRedactor, "_share_memo", lambda redactor, holder: None)
        scans = Scans(patch)
        store = SQLiteStore(path)
        session = Session(store, "s1")
        results: list[RunResult[Any]] = []
        async with FakeProviderServer(responder=responder) as server:
            adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
            try:
                agent = Agent(RetryPolicy(adapter), tools=[lookup, unlock])
                for text in inputs:
                    results.append(await session.run(agent, text))
            finally:
                await adapter.aclose()
    assert [r.status for r in results] == ["completed"] * len(inputs)
    for result in results:
        assert store.read(result.run_id) == list(result.events)
    store.close()
    return scans, results


def _keys(runs: int) -> list[str]:
    return [f"Look up key k{n:02d}" for n in range(runs)]


async def test_strings_scanned_by_a_later_runs_first_request_do_not_grow_with_the_session(
    tmp_path: Path,
) -> None:
    """Runs 2 to 5 of a session scan as many strings each, first request and whole run, and no string twice."""
    scans, results = await _session_runs(tmp_path / "s.db", _lookup_responder, _keys(RUNS))
    ids = [r.run_id for r in results]
    first = [scans.first_request(i) for i in ids]
    whole = [scans.run(i) for i in ids]
    # Run 1's first request scans the tool list, the model's name...; a later one only the new user message and
    # what the previous run added to the history (its answer and tool result, as stored).
    assert 0 < first[1] < first[0]
    assert first[1:] == [first[1]] * (RUNS - 1)
    assert whole[1:] == [whole[1]] * (RUNS - 1)
    # Each distinct string is scanned once in the whole session: the history, tool and model names, the key...
    assert Counter(scans.texts).most_common(1)[0][1] == 1
    assert scans.texts.count("lookup") == 1


async def test_without_the_sessions_memory_each_run_scans_the_whole_history_again(
    tmp_path: Path,
) -> None:
    """The measure above can fail: with each run's memory starting empty, run k's first request grows with k."""
    scans, results = await _session_runs(
        tmp_path / "s.db", _lookup_responder, _keys(RUNS), share=False
    )
    first = [scans.first_request(r.run_id) for r in results]
    assert first == sorted(first)
    assert len(set(first)) == RUNS


def _pin_responder(request: ServedRequest) -> Reply:
    """Run 1 notes the PIN; run 2 unlocks with it (a ``Sensitive()`` argument) and quotes it; run 3 quotes it."""
    messages = request.body["messages"]
    users = [m["content"] for m in messages if m["role"] == "user"]
    if len(users) == 1:
        return Reply("Noted.")
    if len(users) == 2:
        if messages[-1]["role"] == "tool":
            return Reply(f"Opened the front door with {PIN}.")
        return Reply("", tool_calls=(("unlock", json.dumps({"door": "front", "pin": PIN})),))
    return Reply(f"You used {PIN} for the front door.")


def _stored_json(path: Path, run_id: str) -> Iterator[str]:
    store = SQLiteStore(path, create=False)
    try:
        events: list[BaseEvent] = store.read(run_id)
    finally:
        store.close()
    return (e.model_dump_json() for e in events)


async def test_a_secret_learned_in_a_later_run_is_masked_in_history_first_scanned_before_it(
    tmp_path: Path,
) -> None:
    """Run 1 scans the PIN as plain text; run 2 learns it: runs 2 and 3 emit and store it masked, all three replay.

    Run 2's first request carries run 1's message, which run 1 remembered as clean; once the model passes the
    PIN as a ``Sensitive()`` argument, run 2's redactor works under new settings, so that memory is never served
    again, in run 2 (its held first request is redacted anew) or in run 3 (which takes over run 2's memory).
    """
    path = tmp_path / "s.db"
    inputs = [f"My PIN is {PIN}, keep it in mind.", "Open the front door.", "Which PIN?"]
    scans, results = await _session_runs(path, _pin_responder, inputs)
    one, two, three = results
    # Run 1 could not know: what it kept holds the PIN (the caller's own words, stored before any tool said so).
    assert any(PIN in e for e in _stored_json(path, one.run_id))
    for result in (two, three):
        for event in result.events:
            assert PIN not in event.model_dump_json(), (result.run_id, event.type)
        for stored in _stored_json(path, result.run_id):
            assert PIN not in stored
        assert (
            PIN in result.output
        )  # the caller gets the answer itself; only what is kept is masked
    requested = next(e for e in two.events if e.type == "model.requested")
    assert isinstance(requested, ModelRequested)
    assert requested.new_messages is not None
    users = [m.text for m in requested.new_messages if m.role == "user"]
    assert users == ["My PIN is ***, keep it in mind.", "Open the front door."]
    # Run 3's redactor starts under run 2's final settings and takes over what run 2 scanned after learning.
    assert scans.first_request(three.run_id) < scans.first_request(two.run_id)

    store = SQLiteStore(path, create=False)
    try:
        assert Session(store, "s1").history()[-1].text == "You used *** for the front door."
        for result in results:
            recording = Recording.load(store, result.run_id)
            agent = Agent(RetryPolicy(_unused_provider()), tools=[lookup, unlock])
            again = await replay(agent, recording)
            assert again.status == "completed"
            assert again.output == recording.steps[-1].response.text
    finally:
        store.close()


def _unused_provider() -> OpenAIChatProvider:
    """An adapter replay never calls (nothing listens on the discard port)."""
    return OpenAIChatProvider(MODEL, api_key=KEY, base_url="http://127.0.0.1:9/v1")


def test_a_redactor_takes_over_only_a_memo_built_under_exactly_its_settings() -> None:
    """Same secrets, patterns, mask and limits: shared; any difference: a memo of its own, never the other's."""
    memory = SecretMemory()
    first = SecretRedactor(secrets=[KEY], cache_chars=10_000)
    first._share_memo(memory)
    assert first.redact_text(f"call {KEY} with {PIN}") == f"call *** with {PIN}"
    same = SecretRedactor(secrets=[KEY], cache_chars=10_000)
    same._share_memo(memory)
    assert same._memo is first._memo
    variants: list[dict[str, Any]] = [
        {"secrets": [KEY, PIN]},
        {"secrets": [PIN, KEY + "x"]},
        {"secrets": [KEY], "patterns": [r"\d{8}"]},
        {"secrets": [KEY], "mask": "[x]"},
        {"secrets": [KEY], "max_text_chars": 5},
        {"secrets": [KEY], "builtin_patterns": False},
        {"secrets": [KEY], "tools": [unlock]},
    ]
    text = f"call {KEY} with {PIN}"
    for options in variants:
        memory.redaction_memo = first._memo
        variant = SecretRedactor(**options, cache_chars=10_000)
        variant._share_memo(memory)
        assert variant._memo is not first._memo, options
        assert memory.redaction_memo is variant._memo
        assert variant.redact_text(text) == SecretRedactor(**options).redact_text(text), options
    other_budget = SecretRedactor(secrets=[KEY], cache_chars=20_000)
    memory.redaction_memo = first._memo
    other_budget._share_memo(memory)
    assert other_budget._memo is not first._memo


@settings(max_examples=150, deadline=None)
@given(
    runs=st.lists(
        st.tuples(
            st.lists(st.sampled_from([KEY, PIN, "hunter22-lemon"]), max_size=2, unique=True),
            st.lists(
                st.one_of(
                    _TEXTS.map(lambda t: ("text", t)),
                    st.sampled_from([PIN, "hunter22-lemon"]).map(lambda v: ("secret", v)),
                ),
                max_size=8,
            ),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_redactors_following_one_another_answer_as_fresh_ones_would(
    runs: list[tuple[list[str], list[tuple[str, str]]]],
) -> None:
    """Any runs (each with its own secrets, texts and secrets learned) sharing one memory get a fresh answer."""
    memory = SecretMemory()
    for initial, steps in runs:
        redactor = SecretRedactor(secrets=initial, cache_chars=1_000)
        redactor._share_memo(memory)
        for kind, value in steps:
            if kind == "secret":
                redactor.add_secret(value)
                continue
            fresh = SecretRedactor(secrets=redactor.secrets)
            assert redactor.redact_text(value) == fresh.redact_text(value)


def test_learning_a_secret_publishes_the_new_memo_and_a_known_one_keeps_it() -> None:
    """A secret learned mid-run starts a memo the session keeps; a secret learned again forgets nothing."""
    memory = SecretMemory()
    redactor = SecretRedactor(secrets=[KEY], cache_chars=10_000)
    redactor._share_memo(memory)
    assert redactor.redact_text(f"PIN {PIN}") == f"PIN {PIN}"
    before = redactor._memo
    redactor.add_secret(KEY)  # known already: the same settings, the same memory
    assert redactor._memo is before
    redactor.add_secret(PIN)
    assert redactor._memo is not before
    assert memory.redaction_memo is redactor._memo
    assert redactor.redact_text(f"PIN {PIN}") == "PIN ***"
    later = SecretRedactor(secrets=sorted([KEY, PIN], key=len, reverse=True), cache_chars=10_000)
    later._share_memo(memory)
    assert later._memo is redactor._memo
    assert later.redact_text(f"PIN {PIN}") == "PIN ***"


def test_takeover_drops_the_messages_remembered_by_identity() -> None:
    """Only strings come back in a later run: the earlier run's messages are not kept alive by the session."""
    from agentkit.messages import Message

    memory = SecretMemory()
    first = SecretRedactor(cache_chars=10_000)
    first._share_memo(memory)
    first.redact_value(Message.user("hello there"))
    assert first._memo is not None
    assert len(first._memo.messages) == 1
    second = SecretRedactor(cache_chars=10_000)
    second._share_memo(memory)
    assert second._memo is first._memo
    assert second._memo is not None
    assert second._memo.messages == {}
    assert "hello there" in second._memo.texts


def test_a_redactor_without_cache_chars_shares_nothing() -> None:
    """With no memory of its own, a redactor leaves the holder alone."""
    memory = SecretMemory()
    redactor = SecretRedactor()
    redactor._share_memo(memory)
    assert redactor._memo is None
    assert memory.redaction_memo is None
    assert repr(memory) == "SecretMemory(0 values)"
