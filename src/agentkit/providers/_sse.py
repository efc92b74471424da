"""A small, strict-enough Server-Sent Events parser (WHATWG rules) over an async byte stream.

Handles LF, CRLF and CR line endings (Gemini uses CRLF), comment lines (OpenRouter's ``: PROCESSING``),
``event:`` / ``data:`` / ``id:`` fields, multi-line data, and trailing spaces after JSON (Anthropic pads lines).
An event still open when the stream ends is yielded with ``complete=False`` so the adapter can report a cut stream
instead of silently dropping it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterable

__all__ = ("SSEEvent", "iter_sse")


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One server-sent event.

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


async def iter_sse(chunks: AsyncIterable[bytes]) -> AsyncGenerator[SSEEvent, None]:
    r"""Parse an async stream of byte chunks into events.

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

    __slots__ = ("data", "event", "last_id", "pending")

    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.last_id: str | None = None
        self.pending = False

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
            event = self.feed(line)
            if event is not None:
                events.append(event)
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
            self.pending = True
        elif name == "event":
            self.event = value.strip()
            self.pending = True
        elif name == "id":
            self.last_id = value
        return None

    def dispatch(self, *, complete: bool = True) -> SSEEvent:
        event = SSEEvent(self.event or "message", "\n".join(self.data), self.last_id, complete)
        self.event, self.data, self.pending = "", [], False
        return event


class _Utf8:
    """Incremental UTF-8 decoding: a multi-byte character split across chunks is not corrupted."""

    def __init__(self) -> None:
        import codecs

        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def decode(self, chunk: bytes) -> str:
        return self._decoder.decode(chunk)

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)
