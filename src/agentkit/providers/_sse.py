"""A small, strict-enough Server-Sent Events parser (WHATWG rules) over an async byte stream.

Handles LF, CRLF and CR line endings (Gemini uses CRLF), comment lines (OpenRouter's ``: PROCESSING``),
``event:`` / ``data:`` / ``id:`` fields, multi-line data, and trailing spaces after JSON (Anthropic pads lines).
An event still open when the stream ends is yielded with ``complete=False`` so the adapter can report a cut stream
instead of silently dropping it. A line (or one event's data) longer than ``max_line_chars`` raises `LineTooLong`
while it is being read, so a server that never sends a line ending cannot make the parser hold the whole stream.

`iter_json_array` reads a streamed JSON array (``[{...},{...}]``, Gemini without ``alt=sse``) object by object.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterable

__all__ = ("LineTooLong", "SSEEvent", "iter_json_array", "iter_sse")


class LineTooLong(ValueError):
    """A single SSE line, one event's data or one streamed JSON element exceeds the size cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a single stream line or event exceeds {limit} characters")
        self.limit = limit


@dataclass(slots=True)
class SSEEvent:
    """One server-sent event (not frozen: a frozen dataclass costs three times as much to build, once per event).

    Attributes:
        event: The ``event:`` field (``"message"`` when absent).
        data: The ``data:`` lines joined with newlines.
        id: The ``id:`` field, if any.
        complete: ``False`` when the stream ended before the event's terminating blank line.
    """

    event: str
    data: str
    id: str | None = None
    complete: bool = True


async def iter_sse(
    chunks: AsyncIterable[bytes], *, max_line_chars: int | None = None
) -> AsyncGenerator[SSEEvent, None]:
    r"""Parse an async stream of byte chunks into events.

    Raises:
        LineTooLong: A line, or the data of one event, grew past ``max_line_chars``.

    Examples:
        >>> import anyio
        >>> async def chunks():
        ...     yield b": comment\r\nevent: ping\r\ndata: {}\r\n\r\ndata: {\"a\":"
        ...     yield b" 1}\n\n"
        >>> async def main():
        ...     return [(e.event, e.data) async for e in iter_sse(chunks())]
        >>> anyio.run(main)
        [('ping', '{}'), ('message', '{"a": 1}')]
    """
    parser = _Parser()
    buffer = ""
    decoder = _Utf8()
    async for chunk in chunks:
        buffer += decoder.decode(chunk)
        events, buffer = parser.feed_lines(buffer)
        if max_line_chars is not None and (
            len(buffer) > max_line_chars or parser.size > max_line_chars
        ):
            raise LineTooLong(max_line_chars)
        for event in events:
            yield event
    buffer += decoder.flush()
    if buffer.endswith("\r"):
        buffer += "\n"  # at the end of the stream a trailing CR ends its line: no LF can follow it any more
    events, buffer = parser.feed_lines(buffer)
    for event in events:
        yield event
    if buffer:
        parser.feed(buffer)  # a last line without its line ending
    if parser.pending:
        yield parser.dispatch(complete=False)


class _Parser:
    """Field state of the event being read; ``feed`` takes one line and returns an event on a blank line."""

    __slots__ = ("data", "event", "last_id", "pending", "size")

    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.last_id: str | None = None
        self.pending = False
        self.size = 0  # characters of data held for the event being read

    def feed_lines(self, buffer: str) -> tuple[list[SSEEvent], str]:
        """Feed every complete line of ``buffer``; return the events and what is left of ``buffer``.

        One pass with a moving index: a chunk holding a whole stream is parsed in linear time.
        """
        events: list[SSEEvent] = []
        pos = 0
        end = len(buffer)
        find = buffer.find
        while pos < end:
            lf = find("\n", pos)
            cr = find("\r", pos, lf if lf != -1 else end)
            if cr == -1:
                if lf == -1:
                    break
                line = buffer[pos:lf]
                pos = lf + 1
            else:
                if cr + 1 == end:
                    break  # a CR at the very end may be the first half of a CRLF: wait for more
                line = buffer[pos:cr]
                pos = cr + 2 if buffer[cr + 1] == "\n" else cr + 1
            if line.startswith("data: "):
                # The hot path, inlined: almost every line of a provider stream is ``data: {...}``.
                value = line[6:]
                self.data.append(value if self.data else value.rstrip(" "))
                self.size += len(value)
                self.pending = True
            elif line:
                self.feed(line)
            elif self.pending:
                events.append(self.dispatch())
        return events, buffer[pos:]

    def feed(self, line: str) -> SSEEvent | None:
        if line == "":
            return self.dispatch() if self.pending else None
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self.data.append(value.rstrip(" ") if not self.data else value)
            self.size += len(value)
            self.pending = True
        elif name == "event":
            self.event = value.strip()
            self.pending = True
        elif name == "id":
            self.last_id = value
        return None

    def dispatch(self, *, complete: bool = True) -> SSEEvent:
        event = SSEEvent(self.event or "message", "\n".join(self.data), self.last_id, complete)
        self.event, self.data, self.pending, self.size = "", [], False, 0
        return event


class _Utf8:
    """Incremental UTF-8 decoding: a multi-byte character split across chunks is not corrupted."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def decode(self, chunk: bytes) -> str:
        return self._decoder.decode(chunk)

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)


class NotAnArray(ValueError):
    """A streamed JSON body that is a single value, not an array; ``value`` holds it (``None`` if unreadable)."""

    def __init__(self, text: str) -> None:
        super().__init__("the streamed JSON body is not an array")
        self.text = text


class CutArray(ValueError):
    """A streamed JSON array ended before its closing bracket."""


async def iter_json_array(
    chunks: AsyncIterable[bytes], *, max_line_chars: int | None = None
) -> AsyncGenerator[Any, None]:
    r"""The elements of a streamed JSON array, each as soon as it is complete.

    Raises:
        NotAnArray: The body is one JSON value (an error object, a non-streamed answer), given whole in ``text``.
        CutArray: The array never closed.
        LineTooLong: One element grew past ``max_line_chars`` before it was complete.
        ValueError: Data follows the closing bracket.

    Examples:
        >>> import anyio
        >>> async def chunks():
        ...     yield b'[{"a": 1},'
        ...     yield b' {"a": 2}]'
        >>> async def main():
        ...     return [item async for item in iter_json_array(chunks())]
        >>> anyio.run(main)
        [{'a': 1}, {'a': 2}]
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buffer = ""
    opened = closed = False
    async for raw in chunks:
        buffer += utf8.decode(raw)
        while not closed:
            buffer = buffer.lstrip(" \t\r\n,")
            if not buffer:
                break
            if not opened:
                if buffer[0] != "[":
                    break  # a single value: returned whole at the end
                opened, buffer = True, buffer[1:]
                continue
            if buffer[0] == "]":
                closed, buffer = True, buffer[1:]
                break
            try:
                item, end = decoder.raw_decode(buffer)
            except ValueError:
                break  # incomplete: wait for more bytes
            buffer = buffer[end:]
            yield item
        if max_line_chars is not None and len(buffer) > max_line_chars:
            raise LineTooLong(max_line_chars)
    buffer = (buffer + utf8.decode(b"", final=True)).strip()
    if opened and not closed:
        raise CutArray("the streamed JSON array ended before its closing bracket")
    if not opened and buffer:
        raise NotAnArray(buffer)
    if closed and buffer:
        raise ValueError(f"unexpected data after the streamed array: {buffer[:200]!r}")
