"""The SSE parser: line endings, chunk boundaries, fields, comments, UTF-8, cut streams, and every recorded stream."""

from __future__ import annotations

import itertools
import json
import runpy
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit.providers._sse import SSEEvent, iter_sse

# ----------------------------------------------------------------------------------------------- helpers

# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))

SSE_FOLDERS = tuple(
    f"{kind}/sse"
    for kind in ("anthropic", "gemini", "openai-chat", "openai-compatible", "openai-responses")
)


def fixtures_root() -> Path:
    """``tests/fixtures``, checked to hold every ``<provider>/sse`` folder; a missing one fails the test loudly."""
    root: Path = _fixtures["fixtures_root"](*SSE_FOLDERS)
    return root


def parse(*chunks: bytes) -> list[SSEEvent]:
    """Every event of a stream made of these chunks (synchronously, for tests)."""

    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async def main() -> list[SSEEvent]:
        return [event async for event in iter_sse(source())]

    return anyio.run(main)


def split_at(body: bytes, points: list[int]) -> list[bytes]:
    cuts = [0, *sorted(set(points)), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(cuts)]


# A body with every feature: comments, event names, ids, multi-line data, an empty data line, padding spaces
# after the JSON (as Anthropic sends), a field without a value, non-ASCII text and a 4-byte emoji.
EVENTS_LF = (
    ": OPENROUTER PROCESSING\n"
    "\n"
    "event: message_start\n"
    "id: 1\n"
    'data: {"type":"message_start"}   \n'
    "\n"
    ": keep-alive\n"
    "data: first line\n"
    "data:second line\n"
    "data\n"
    "data:  two leading spaces, one kept\n"
    "\n"
    "event: content_block_delta\n"
    'data: {"text":"Grüße, 東京 🚀"}\n'
    "retry: 1000\n"
    "unknown-field: ignored\n"
    "\n"
    "id: 2\n"
    "data: [DONE]\n"
    "\n"
)

EXPECTED = [
    SSEEvent("message_start", '{"type":"message_start"}', "1"),
    SSEEvent("message", "first line\nsecond line\n\n two leading spaces, one kept", "1"),
    SSEEvent("content_block_delta", '{"text":"Grüße, 東京 🚀"}', "1"),
    SSEEvent("message", "[DONE]", "2"),
]


def body(ending: str) -> bytes:
    return EVENTS_LF.replace("\n", ending).encode()


# ----------------------------------------------------------------------------------------------- fields


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings(ending: str) -> None:
    """LF, CRLF (Gemini) and bare CR line endings all give the same events, each complete."""
    assert parse(body(ending)) == EXPECTED


def test_mixed_line_endings() -> None:
    """Endings may change from line to line."""
    assert parse(b"data: a\r\n\ndata: b\r\rdata: c\n\r\n") == [
        SSEEvent("message", "a"),
        SSEEvent("message", "b"),
        SSEEvent("message", "c"),
    ]


def test_comments_are_skipped() -> None:
    """Comment lines (``:`` first) never make or alter an event, even between fields."""
    assert parse(b": hi\n\n:\ndata: x\n: between\ndata: y\n\n: bye\n") == [
        SSEEvent("message", "x\ny")
    ]


def test_event_and_id_fields() -> None:
    """``event:`` names the event (``message`` by default) and ``id:`` is remembered for later events."""
    events = parse(b"event: ping\ndata: {}\n\nid: 7\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n")
    assert [(e.event, e.id) for e in events] == [
        ("ping", None),
        ("message", "7"),
        ("message", "7"),
        ("message", ""),
    ]


def test_event_name_resets_after_each_event() -> None:
    """An event name applies to one event only."""
    events = parse(b"event: error\ndata: {}\n\ndata: {}\n\n")
    assert [e.event for e in events] == ["error", "message"]


def test_trailing_spaces_after_json() -> None:
    """Anthropic's padded lines still carry valid JSON, inside and after the object."""
    events = parse(
        b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0       }   \n\n'
    )
    assert json.loads(events[0].data) == {"type": "content_block_stop", "index": 0}


def test_blank_lines_without_fields_make_no_event() -> None:
    """Blank lines alone, or an ``id:`` alone, dispatch nothing."""
    assert parse(b"\n\n\r\n\rid: 3\n\n") == []


def test_empty_stream() -> None:
    """No bytes, no events."""
    assert parse() == []
    assert parse(b"", b"") == []


# ------------------------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_single_split_point(ending: str) -> None:
    """Cutting the body in two at any byte gives the same events (CRLF cut between CR and LF included)."""
    data = body(ending)
    for point in range(len(data) + 1):
        assert parse(data[:point], data[point:]) == EXPECTED, point


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_one_byte_chunks(ending: str) -> None:
    """A stream delivered one byte at a time gives the same events."""
    data = body(ending)
    assert parse(*(data[i : i + 1] for i in range(len(data)))) == EXPECTED


@settings(max_examples=200, deadline=None)
@given(
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    points=st.lists(st.integers(min_value=0, max_value=len(body("\r\n"))), max_size=30),
)
def test_random_split_points_yield_identical_events(ending: str, points: list[int]) -> None:
    """Any way of splitting the body into chunks yields the same events."""
    data = body(ending)
    assert parse(*split_at(data, [p for p in points if p <= len(data)])) == EXPECTED


def test_utf8_character_split_across_chunks() -> None:
    """A multi-byte character cut between chunks (here a 4-byte emoji, byte by byte) is decoded whole."""
    rocket = "🚀".encode()
    assert len(rocket) == 4
    events = parse(b'data: {"t":"', rocket[:1], rocket[1:3], rocket[3:] + b'"}\n\n')
    assert json.loads(events[0].data) == {"t": "🚀"}


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    """Bytes that are not UTF-8 become U+FFFD instead of stopping the stream."""
    assert parse(b"data: \xff\xfe ok\n\n") == [SSEEvent("message", "\ufffd\ufffd ok")]


# --------------------------------------------------------------------------------------------- cut at EOF


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"data: a\n\ndata: b\n", SSEEvent("message", "b", complete=False)),
        (b"data: a\n\ndata: b", SSEEvent("message", "b", complete=False)),
        (b'data: a\n\nevent: x\ndata: {"cut', SSEEvent("x", '{"cut', complete=False)),
        (b"data: a\r\n\r\ndata: b\r\n", SSEEvent("message", "b", complete=False)),
        (b"data: a\r\rdata: b\r", SSEEvent("message", "b", complete=False)),
        (b"data: a\n\nevent: y\n", SSEEvent("y", "", complete=False)),
    ],
    ids=["after-line", "mid-line", "mid-json", "crlf", "cr", "event-only"],
)
def test_event_cut_at_eof_is_marked_incomplete(data: bytes, expected: SSEEvent) -> None:
    """An event the stream ends inside is still yielded, with ``complete=False``, after the complete ones."""
    assert parse(data) == [SSEEvent("message", "a"), expected]


@pytest.mark.parametrize(
    "data",
    [
        b"data: a\n\n",
        b"data: a\r\n\r\n",
        b"data: a\r\r",
        b"data: a\n\n: trailing comment",
        b"data: a\n\n\n",
    ],
    ids=["LF", "CRLF", "CR", "comment-after", "extra-blank"],
)
def test_terminated_last_event_is_complete(data: bytes) -> None:
    """A last event ended by its blank line is complete, whatever the line ending (a final CR included)."""
    assert parse(data) == [SSEEvent("message", "a")]


# ------------------------------------------------------------------------------------ recorded streams

# File name -> number of events the recording holds.
RECORDED_COUNTS: dict[str, int] = {
    "anthropic/sse/stream-parallel-tool-calls-roundtrip.llm-anthropic.response-0.sse": 10,
    "anthropic/sse/stream-thinking.pydantic-ai.response-0.sse": 118,
    "anthropic/sse/stream-tool-call-partial-json-roundtrip.pydantic-ai.response-0.sse": 36,
    "gemini/sse/stream-tool-call-thought-signature.pydantic-ai.response-0.sse": 2,
    "gemini/sse/stream-tool-calls-3-turns.pydantic-ai.response-0.sse": 1,
    "openai-chat/sse/stream-parallel-tool-calls-roundtrip.pydantic-ai.response-0.sse": 8,
    "openai-chat/sse/stream-tool-call-roundtrip.llm.response-0.sse": 15,
    "openai-chat/sse/stream-tool-call-roundtrip.llm.response-1.sse": 28,
    "openai-compatible/sse/groq-stream-error-event-tool-use-failed.pydantic-ai.response-0.sse": 95,
    "openai-compatible/sse/groq-stream-error-event-tool-use-failed.pydantic-ai.response-1.sse": 26,
    "openai-compatible/sse/openrouter-stream-comments-and-inline-error.pydantic-ai.response-0.sse": 5,
    "openai-responses/sse/stream-tool-call-roundtrip.pydantic-ai.response-0.sse": 11,
    "openai-responses/sse/stream-usage-reasoning-tokens.pydantic-ai.response-0.sse": 14,
}


def recorded_files() -> list[Path]:
    root = fixtures_root()
    return sorted(root.glob("*/sse/*.sse"))


def expected_event_count(raw: bytes) -> int:
    """Events in a recording, counted independently of the parser: blocks holding a ``data`` line."""
    text = raw.decode().replace("\r\n", "\n")
    return sum(
        1
        for block in text.split("\n\n")
        if any(line.startswith("data:") for line in block.split("\n"))
    )


def test_every_recorded_stream_is_known() -> None:
    """The list of recorded streams checked below matches the files on disk, so none is silently skipped."""
    root = fixtures_root()
    assert {p.relative_to(root).as_posix() for p in recorded_files()} == set(RECORDED_COUNTS)


@pytest.mark.parametrize("name", sorted(RECORDED_COUNTS))
def test_recorded_streams_parse(name: str) -> None:
    """Every raw recorded stream parses into complete events whose data is JSON or ``[DONE]``."""
    raw = (fixtures_root() / name).read_bytes()
    events = parse(raw)
    assert len(events) == RECORDED_COUNTS[name] == expected_event_count(raw)
    for event in events:
        assert event.complete
        if event.data != "[DONE]":
            json.loads(event.data)
    # The same bytes in awkward chunks (odd sizes that cut CRLFs and UTF-8) give the same events.
    assert parse(*(raw[i : i + 7] for i in range(0, len(raw), 7))) == events


def test_recorded_stream_shapes() -> None:
    """What the fixtures README says about each wire shape holds for the parsed events."""
    root = fixtures_root()
    chat = parse(
        (root / "openai-chat/sse/stream-tool-call-roundtrip.llm.response-0.sse").read_bytes()
    )
    assert chat[-1].data == "[DONE]"
    assert {e.event for e in chat} == {"message"}

    anthropic = parse(
        (root / "anthropic/sse/stream-thinking.pydantic-ai.response-0.sse").read_bytes()
    )
    assert anthropic[-1].event == "message_stop"
    assert all(json.loads(e.data)["type"] == e.event for e in anthropic)

    gemini_raw = (
        root / "gemini/sse/stream-tool-calls-3-turns.pydantic-ai.response-0.sse"
    ).read_bytes()
    assert b"\r\n\r\n" in gemini_raw
    assert all("candidates" in json.loads(e.data) for e in parse(gemini_raw))

    groq = parse(
        (
            root
            / "openai-compatible/sse/groq-stream-error-event-tool-use-failed.pydantic-ai.response-0.sse"
        ).read_bytes()
    )
    errors = [e for e in groq if e.event == "error"]
    assert errors
    assert json.loads(errors[0].data)["error"]["code"] == "tool_use_failed"

    openrouter_raw = (
        root
        / "openai-compatible/sse/openrouter-stream-comments-and-inline-error.pydantic-ai.response-0.sse"
    ).read_bytes()
    assert b": OPENROUTER PROCESSING" in openrouter_raw
    inline = [
        e for e in parse(openrouter_raw) if e.data != "[DONE]" and "error" in json.loads(e.data)
    ]
    assert json.loads(inline[0].data)["error"]["message"] == "Token limit reached"

    responses = parse(
        (
            root / "openai-responses/sse/stream-usage-reasoning-tokens.pydantic-ai.response-0.sse"
        ).read_bytes()
    )
    assert responses[-1].event == "response.completed"
    assert all(json.loads(e.data)["type"] == e.event for e in responses)
