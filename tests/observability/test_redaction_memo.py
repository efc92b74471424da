"""`SecretRedactor(cache_chars=...)`: what it remembers is never stale, never a leak, and bounded."""

from __future__ import annotations

from collections import UserDict, UserList
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, SecretStr

from agentkit._redact import SecretRedactor
from agentkit.events import EventEmitter, ModelResponded, RunFinished
from agentkit.exceptions import UsageError
from agentkit.messages import (
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

SECRET = "gw7-Qm4tZr81xKc2Lp0vNa5e"
OTHER = "hunter22-lemon"


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string a `SecretRedactor` scans (a remembered one is not scanned again)."""
    seen: list[str] = []
    scan = SecretRedactor._scan

    def counting(redactor: SecretRedactor, text: str, *config: Any) -> str:
        seen.append(text)
        return scan(redactor, text, *config)

    monkeypatch.setattr(SecretRedactor, "_scan", counting)
    return seen


def test_a_string_is_scanned_once_and_served_from_memory(scans: list[str]) -> None:
    """The same text, clean or not, is scanned once; its answer is the same either way."""
    redactor = SecretRedactor(secrets=[SECRET], cache_chars=10_000)
    clean, dirty = "nothing here", f"key {SECRET}"
    first = [redactor.redact_text(clean), redactor.redact_text(dirty)]
    again = [redactor.redact_text(clean), redactor.redact_text("key " + SECRET)]
    assert first == again == [clean, "key ***"]
    assert again[0] is clean
    assert scans == [clean, dirty]


def test_without_cache_chars_nothing_is_remembered(scans: list[str]) -> None:
    """The default redactor scans a repeated string every time."""
    redactor = SecretRedactor()
    redactor.redact_text("same")
    redactor.redact_text("same")
    assert scans == ["same", "same"]


def test_a_secret_learned_later_is_masked_in_what_was_remembered_as_clean() -> None:
    """add_secret forgets every remembered answer, for strings and for messages."""
    redactor = SecretRedactor(cache_chars=10_000)
    message = Message.user(f"my password manager says {OTHER}")
    assert redactor.redact_text(f"use {OTHER}") == f"use {OTHER}"
    assert redactor.redact_value(message) is message
    redactor.add_secret(OTHER)
    assert redactor.redact_text(f"use {OTHER}") == "use ***"
    assert redactor.redact_value(message).text == "my password manager says ***"


def test_add_tool_forgets_what_was_remembered(scans: list[str]) -> None:
    """A tool with sensitive pointers changes the configuration, so remembered answers are dropped."""
    from typing import Annotated

    from agentkit import Sensitive, tool

    @tool
    def login(user: str, pin: Annotated[str, Sensitive()]) -> str:
        """Log in."""
        return "ok"

    redactor = SecretRedactor(cache_chars=10_000)
    redactor.redact_text("ann")
    redactor.add_tool(login)
    redactor.redact_text("ann")
    assert scans == ["ann", "ann"]


def test_a_frozen_message_is_redacted_once_by_identity(scans: list[str]) -> None:
    """A message whose parts cannot change is answered from memory, the same object each time."""
    redactor = SecretRedactor(secrets=[SECRET], cache_chars=10_000)
    message = Message(
        role="assistant",
        parts=(
            TextPart(text=f"the key is {SECRET}"),
            ReasoningPart(text="think", signature="sig"),
            ToolCallPart(id="c1", name="lookup", arguments='{"k": 1}'),
        ),
    )
    first = redactor.redact_value(message)
    count = len(scans)
    assert redactor.redact_value(message) is first
    assert len(scans) == count
    assert first.text == "the key is ***"
    assert first.parts[1:] == message.parts[1:]


def test_a_message_holding_a_dict_is_never_served_stale() -> None:
    """Provider details are a mutable dict: a change made after a redaction is seen by the next one."""
    redactor = SecretRedactor(cache_chars=10_000)
    message = Message(
        role="assistant",
        parts=(ToolCallPart(id="c1", name="f", arguments="{}", provider_details={"note": "fine"}),),
    )
    details = message.parts[0].provider_details  # type: ignore[union-attr]
    assert details is not None
    assert redactor.redact_value(message) is message
    details["note"] = f"Authorization: Bearer {SECRET}"
    details["api_key"] = "abc123"
    redacted = redactor.redact_value(message)
    assert redacted.parts[0].provider_details == {
        "note": "Authorization: ***",
        "api_key": "***",
    }
    assert details["api_key"] == "abc123"  # the caller's dict is not changed


def test_memory_is_bounded_by_cache_chars(scans: list[str]) -> None:
    """Texts longer than cache_chars are not remembered; when the budget is spent the memory starts over."""
    redactor = SecretRedactor(cache_chars=10)
    for text in ["a" * 11, "a" * 11, "bbbbbb", "cccccc", "bbbbbb"]:
        redactor.redact_text(text)
    # "bbbbbb" was forgotten when "cccccc" did not fit beside it.
    assert scans == ["a" * 11, "a" * 11, "bbbbbb", "cccccc", "bbbbbb"]
    redactor.redact_text("bbbbbb")
    assert len(scans) == 5


def test_the_message_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most a fixed number of messages are remembered; past it the memory starts over."""
    import agentkit._redact as redact

    monkeypatch.setattr(redact, "_MEMO_MAX_MESSAGES", 2)
    redactor = SecretRedactor(cache_chars=10_000)
    messages = [Message.user(f"m{i}") for i in range(3)]
    for message in messages:
        redactor.redact_value(message)
    memo = redactor._memo
    assert memo is not None
    assert [entry[0] for entry in memo.messages.values()] == [messages[2]]


def test_cache_chars_must_not_be_negative() -> None:
    """A negative budget is refused with the value in the message."""
    with pytest.raises(UsageError, match="cache_chars must be >= 0, got -1"):
        SecretRedactor(cache_chars=-1)


class Note(BaseModel):
    """A model of the user's own, redacted through its JSON form."""

    text: str


class Shout(str):
    """A str subclass."""

    __slots__ = ()


class Screenshot(ToolResultPart):
    """A subclass of a message type."""


def _values() -> list[Any]:
    image = ImagePart(url=f"https://u:{SECRET}@example.com/a.png")
    return [
        f"plain {SECRET}",
        Shout(f"shout {SECRET}"),
        SecretStr("x"),
        UserDict({"token": "abc", "n": f"Bearer {SECRET}"}),
        UserList([f"{SECRET}", 1]),
        (f"{SECRET}", None, 2.5, True),
        image,
        Message.user("look", image),
        Screenshot(tool_call_id="c", name="shot", content=f"k={SECRET}", media=(image,)),
        Note(text=f"note {SECRET}"),
        f"{SECRET}".encode(),
        b"clean bytes",
        object,
        RunFinished(
            run_id="r",
            seq=0,
            at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            status="completed",
            steps=1,
            tool_calls=0,
        ),
    ]


def test_remembering_changes_no_answer_for_any_kind_of_value() -> None:
    """Every kind of value redacts the same with and without memory, the first time and the second."""
    plain = SecretRedactor(secrets=[SECRET])
    remembering = SecretRedactor(secrets=[SECRET], cache_chars=100_000)
    for value in _values():
        expected = plain.redact_value(value)
        assert remembering.redact_value(value) == expected, value
        assert remembering.redact_value(value) == expected, value


_WORDS = st.sampled_from(
    ["ok", "user", SECRET, OTHER, "Bearer abcdefghijkl", "4111 1111 1111 1111", " ", "x"]
)
_TEXTS = st.lists(_WORDS, max_size=6).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            _TEXTS.map(lambda t: ("text", t)),
            _TEXTS.map(lambda t: ("message", t)),
            st.sampled_from([SECRET, OTHER]).map(lambda s: ("secret", s)),
        ),
        max_size=20,
    )
)
def test_a_remembering_redactor_answers_as_a_fresh_one_would(steps: list[tuple[str, str]]) -> None:
    """Any sequence of texts, messages (repeated objects included) and learned secrets gets the same answers."""
    remembering = SecretRedactor(cache_chars=1_000)
    learned: list[str] = []
    messages: dict[str, Message] = {}
    for kind, value in steps:
        if kind == "secret":
            remembering.add_secret(value)
            learned.append(value)
            continue
        fresh = SecretRedactor(secrets=learned)
        if kind == "text":
            assert remembering.redact_text(value) == fresh.redact_text(value)
        else:
            message = messages.setdefault(value, Message.assistant(value))
            assert remembering.redact_value(message) == fresh.redact_value(message)


def test_an_event_redacts_the_same_with_memory() -> None:
    """A model.responded event with the same message twice is masked alike both times."""
    redactor = SecretRedactor(cache_chars=10_000)
    redactor.add_secret(SECRET)
    emitter = EventEmitter(run_id="r")
    message = Message.assistant(f"key {SECRET}")
    event = emitter.emit(ModelResponded, step=1, finish_reason="stop", message=message)
    first, second = redactor(event), redactor(event)
    assert first == second
    assert first.message is not None
    assert first.message.text == "key ***"


class Shelf(list):  # type: ignore[type-arg]
    """A list subclass."""


class Photo(ImagePart):
    """A subclass of a media part."""


def test_subclasses_of_containers_and_parts_redact_as_their_base_does(scans: list[str]) -> None:
    """A list subclass, a media subclass and a message holding a part subclass are masked, and not remembered."""
    redactor = SecretRedactor(secrets=[SECRET], cache_chars=10_000)
    assert redactor.redact_value(Shelf([f"k {SECRET}"])) == ["k ***"]
    photo = Photo(url=f"https://u:{SECRET}@example.com/p.png")
    assert redactor.redact_value(photo).url == "https://u:***@example.com/p.png"
    shot = Screenshot(tool_call_id="c", name="shot", content=f"k={SECRET}")
    message = Message(role="tool", parts=(shot,))
    assert redactor.redact_value(message).parts[0].content == "k=***"  # type: ignore[union-attr]
    count = len(scans)
    redactor.redact_value(message)  # a part of a type of the user's own: walked again
    assert len(scans) == count


def test_the_module_caches_start_over_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-pattern and per-key caches are bounded; answers stay right after they start over."""
    import agentkit._redact as redact

    monkeypatch.setattr(redact, "_KEY_CACHE_SIZE", 1)
    monkeypatch.setattr(redact, "_ANALYSED", {})
    monkeypatch.setattr(redact, "_KEY_VERDICTS", {})
    redactor = SecretRedactor(patterns=[r"\bzz\d+"])
    assert redactor.redact_value({"api_key": "v", "user": "zz12", "password": "p"}) == {
        "api_key": "***",
        "user": "***",
        "password": "***",
    }
    assert len(redact._ANALYSED) == len(redact._KEY_VERDICTS) == 1
