"""A fake model provider **HTTP server** on 127.0.0.1 that speaks OpenAI Chat and Anthropic Messages, with faults.

It listens on a real socket (an OS-chosen free port), so the real adapters, httpx and the network stack are all
exercised. Each request takes the next scripted action (`Reply` or a `Fault`), else asks the ``responder``, else
gets ``default``. Routes: ``POST /v1/chat/completions`` (OpenAI: point ``base_url`` at ``server.url + "/v1"``)
and ``POST /v1/messages`` (Anthropic: ``base_url=server.url``); JSON or SSE as the request's ``stream`` asks.

Everything stops when the server stops: a hung response is bounded by ``Fault.hang(seconds)`` and cancelled when
the ``async with`` block (or `FakeProviderServer.running_in_thread`) ends.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskGroup
from anyio.from_thread import start_blocking_portal
from anyio.streams.buffered import BufferedByteReceiveStream

from agentkit._log import library_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType

__all__ = ("FakeProviderServer", "Fault", "FaultKind", "Reply", "ServedRequest", "ServerAction")

_log = library_logger("agentkit.testing.server")

FaultKind = Literal["status", "hang", "cut_stream", "malformed_json", "html_page", "reset"]
"""What a `Fault` does."""

Wire = Literal["openai", "anthropic", "unknown"]


@dataclass(frozen=True)
class Reply:
    """A successful answer, in the request's wire format (JSON, or SSE when it asked to stream).

    Args:
        text: The answer text (may be empty, for "empty answer" cases).
        refusal: Send a refusal with this text instead (OpenAI ``refusal``; Anthropic ``stop_reason: refusal``).
        chunks: Pieces the text is streamed in.
        input_tokens: Reported input usage.
        output_tokens: Reported output usage (the number of chunks when omitted).
        first_byte_delay: Seconds before the status line is sent (a slow first byte).
        chunk_delay: Seconds between two stream events.
        tool_calls: Tool calls to make, as ``(name, arguments JSON text)`` pairs, after any text; the call ids
            are ``call_0``, ``call_1``... (``toolu_0``... on Anthropic) and the finish reason says tool calls.

    Examples:
        >>> Reply("Paris.", chunks=2).chunks
        2
        >>> Reply("", tool_calls=(("get_weather", '{"city": "Paris"}'),)).tool_calls[0][0]
        'get_weather'
    """

    text: str = "Hello from the fake server."
    refusal: str | None = None
    chunks: int = 3
    input_tokens: int = 10
    output_tokens: int | None = None
    first_byte_delay: float = 0.0
    chunk_delay: float = 0.0
    tool_calls: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Fault:
    """A scripted failure; build one with the class methods.

    Examples:
        >>> Fault.rate_limited(retry_after="2").status, Fault.overloaded().status, Fault.hang(0.5).seconds
        (429, 529, 0.5)
    """

    kind: FaultKind
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    after_events: int = 1

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """An HTTP 5xx with the provider's JSON error body (500, 502, 503...)."""
        return cls("status", status=status)

    @classmethod
    def rate_limited(cls, retry_after: str | None = "1") -> Fault:
        """HTTP 429 with ``Retry-After`` (seconds, or an HTTP-date such as ``email.utils.format_datetime``)."""
        return cls("status", status=429, retry_after=retry_after)

    @classmethod
    def overloaded(cls) -> Fault:
        """HTTP 529 ``overloaded_error`` (Anthropic's "overloaded")."""
        return cls("status", status=529)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Fault:
        """Read the request, answer nothing for ``seconds`` (or until the server stops), then close."""
        return cls("hang", seconds=seconds)

    @classmethod
    def slow_first_byte(cls, seconds: float, reply: Reply | None = None) -> Reply:
        """A normal answer whose first byte comes after ``seconds``."""
        base = reply if reply is not None else Reply()
        return Reply(**{**base.__dict__, "first_byte_delay": seconds})

    @classmethod
    def cut_stream(cls, after_events: int = 1) -> Fault:
        """Send ``after_events`` whole events (or half a JSON body), then half an event, then drop the connection."""
        return cls("cut_stream", after_events=after_events)

    @classmethod
    def malformed_json(cls) -> Fault:
        """HTTP 200 whose JSON (or SSE data) does not parse."""
        return cls("malformed_json", status=200)

    @classmethod
    def html_page(cls, status: int = 502) -> Fault:
        """An HTML error page, as a proxy or load balancer sends."""
        return cls("html_page", status=status)

    @classmethod
    def reset(cls) -> Fault:
        """Read the request, then reset the connection (TCP RST) without answering."""
        return cls("reset")


ServerAction = Reply | Fault
"""What the server does with one request."""


@dataclass
class ServedRequest:
    """One request the server received, and the action it took.

    Attributes:
        index: 0-based arrival order.
        path: The request path.
        wire: ``"openai"``, ``"anthropic"`` or ``"unknown"``.
        stream: Whether the body asked for a stream.
        headers: Request headers, lower-cased names (the auth headers included: it is a test server).
        body: The decoded JSON body (``None`` if it did not parse).
        action: What the server did.

    Examples:
        >>> import httpx
        >>> with FakeProviderServer().running_in_thread() as server:
        ...     _ = httpx.post(server.url + "/v1/chat/completions", json={"model": "gpt-4.1", "stream": True})
        >>> served = server.requests[0]
        >>> served.wire, served.stream, served.body["model"], type(served.action).__name__
        ('openai', True, 'gpt-4.1', 'Reply')
    """

    index: int
    method: str
    path: str
    wire: Wire
    stream: bool
    headers: dict[str, str]
    body: Any
    action: ServerAction | None = None


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Overloaded",
}

_ANTHROPIC_ERROR = {429: "rate_limit_error", 529: "overloaded_error", 400: "invalid_request_error"}


def _pieces(text: str, chunks: int) -> list[str]:
    if not text:
        return []
    count = max(1, min(chunks, len(text)))
    size = -(-len(text) // count)
    return [text[i : i + size] for i in range(0, len(text), size)]


def _anthropic_stop(reply: Reply) -> str:
    if reply.refusal is not None:
        return "refusal"
    return "tool_use" if reply.tool_calls else "end_turn"


def _error_body(wire: Wire, status: int) -> bytes:
    message = {
        429: "Rate limit reached for requests",
        529: "Overloaded",
    }.get(status, f"The server had an error processing the request ({status})")
    if wire == "anthropic":
        body: dict[str, Any] = {
            "type": "error",
            "error": {"type": _ANTHROPIC_ERROR.get(status, "api_error"), "message": message},
        }
    else:
        kind = {429: "requests", 529: "overloaded_error"}.get(status, "server_error")
        code = "rate_limit_exceeded" if status == 429 else None
        body = {"error": {"message": message, "type": kind, "code": code}}
    return json.dumps(body).encode()


class FakeProviderServer:
    """A real HTTP server on 127.0.0.1 that answers like OpenAI Chat / Anthropic Messages and injects faults.

    Use it as ``async with FakeProviderServer() as server:`` (in an async test), or
    ``with FakeProviderServer().running_in_thread() as server:`` from synchronous code. Script actions with
    `script`; every request is recorded in `requests`.

    Args:
        default: The action when nothing is scripted and the ``responder`` returns ``None``.
        responder: Called with each request (before it is answered) when the script is empty: returns the
            action, or ``None`` for ``default``. Chaos runs use it to inject random faults.
        host: The loopback address to bind (``127.0.0.1``).

    Examples:
        >>> import anyio, httpx
        >>> async def main():
        ...     async with FakeProviderServer() as server:
        ...         server.script(Fault.server_error(503))
        ...         async with httpx.AsyncClient(base_url=server.url) as client:
        ...             first = await client.post("/v1/chat/completions", json={"model": "m"})
        ...             second = await client.post("/v1/chat/completions", json={"model": "m"})
        ...     return first.status_code, second.json()["choices"][0]["message"]["content"]
        >>> anyio.run(main)
        (503, 'Hello from the fake server.')
    """

    def __init__(
        self,
        *,
        default: ServerAction | None = None,
        responder: Callable[[ServedRequest], ServerAction | None] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.default: ServerAction = default if default is not None else Reply()
        self.responder = responder
        self.host = host
        self.port = 0
        self.requests: list[ServedRequest] = []
        self._script: list[ServerAction] = []
        self._lock = threading.Lock()
        self._task_group: TaskGroup | None = None
        self._listener: Any = None

    # ------------------------------------------------------------------------------------- scripting

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (the port is chosen by the OS when the server starts)."""
        return f"http://{self.host}:{self.port}"

    def script(self, *actions: ServerAction) -> None:
        """Queue actions for the next requests, in order."""
        with self._lock:
            self._script.extend(actions)

    @property
    def pending(self) -> int:
        """Scripted actions not used yet."""
        with self._lock:
            return len(self._script)

    def _next_action(self, request: ServedRequest) -> ServerAction:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        if self.responder is not None:
            chosen = self.responder(request)
            if chosen is not None:
                return chosen
        return self.default

    # ------------------------------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeProviderServer:
        listener = await anyio.create_tcp_listener(local_host=self.host, local_port=0)
        self._listener = listener
        self.port = listener.extra(SocketAttribute.local_port)
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        task_group.start_soon(listener.serve, self._serve_connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task_group, self._task_group = self._task_group, None
        if task_group is not None:
            task_group.cancel_scope.cancel()
            await task_group.__aexit__(None, None, None)
        if self._listener is not None:
            await self._listener.aclose()
            self._listener = None

    @contextmanager
    def running_in_thread(self) -> Iterator[FakeProviderServer]:
        """Run the server on an event loop in a background thread for the duration of the block.

        Examples:
            >>> import httpx
            >>> with FakeProviderServer().running_in_thread() as server:
            ...     httpx.post(server.url + "/v1/messages", json={"model": "claude"}).json()["content"][0]["type"]
            'text'
        """
        with start_blocking_portal() as portal, portal.wrap_async_context_manager(self) as server:
            yield server

    # ------------------------------------------------------------------------------------- HTTP

    async def _serve_connection(self, stream: SocketStream) -> None:
        try:
            async with stream:
                reader = BufferedByteReceiveStream(stream)
                keep_alive = True
                while keep_alive:
                    try:
                        head = await reader.receive_until(b"\r\n\r\n", 1 << 16)
                    except (anyio.EndOfStream, anyio.IncompleteRead):
                        return
                    request = await self._read_request(head, reader)
                    keep_alive = await self._respond(stream, request)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError, OSError):
            return  # the client went away: nothing to answer
        except Exception:  # a bug here must not take the whole server down
            _log.exception("fake provider server failed on a connection")

    async def _read_request(self, head: bytes, reader: BufferedByteReceiveStream) -> ServedRequest:
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = ([*lines[0].split(" ", 2), "", ""])[:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        raw = await reader.receive_exactly(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path_only = path.split("?", 1)[0]
        wire: Wire = (
            "openai"
            if path_only.endswith("/chat/completions")
            else "anthropic"
            if path_only.endswith("/messages")
            else "unknown"
        )
        request = ServedRequest(
            index=len(self.requests),
            method=method,
            path=path_only,
            wire=wire,
            stream=bool(isinstance(body, dict) and body.get("stream")),
            headers=headers,
            body=body,
        )
        self.requests.append(request)
        request.action = self._next_action(request)
        return request

    async def _respond(self, stream: SocketStream, request: ServedRequest) -> bool:
        """Answer ``request``; returns whether the connection can be reused."""
        action = request.action
        if request.wire == "unknown":
            await self._send(stream, 404, b'{"error": {"message": "not found"}}')
            return True
        if isinstance(action, Reply):
            if action.first_byte_delay > 0:
                await anyio.sleep(action.first_byte_delay)
            if request.stream:
                await self._send_sse(stream, request, action)
            else:
                await self._send(
                    stream, 200, json.dumps(self._json_reply(request, action)).encode()
                )
            return True
        assert isinstance(action, Fault)
        if action.kind == "status":
            extra = {"retry-after": action.retry_after} if action.retry_after is not None else {}
            await self._send(stream, action.status, _error_body(request.wire, action.status), extra)
            return True
        if action.kind == "html_page":
            page = (
                f"<html><head><title>{action.status} {_REASONS.get(action.status, 'Error')}</title></head>"
                "<body><h1>Bad gateway</h1><p>The upstream server did not answer.</p></body></html>"
            )
            await self._send(stream, action.status, page.encode(), content_type="text/html")
            return True
        if action.kind == "malformed_json":
            if request.stream:
                await self._send_head(stream, 200, "text/event-stream", chunked=True)
                await self._chunk(stream, b'data: {"id": "x", "choices": [{"delta": \n\n')
                await self._chunk(stream, b"")
            else:
                await self._send(stream, 200, b'{"id": "chatcmpl-1", "choices": [{"message": ')
            return True
        if action.kind == "hang":
            with anyio.move_on_after(action.seconds):
                await anyio.sleep_forever()
            return False
        if action.kind == "cut_stream":
            await self._cut(stream, request, action.after_events)
            return False
        # reset: an RST instead of an orderly close
        raw = stream.extra(SocketAttribute.raw_socket)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False

    async def _send_head(
        self,
        stream: SocketStream,
        status: int,
        content_type: str,
        *,
        length: int | None = None,
        chunked: bool = False,
        extra: dict[str, str] | None = None,
    ) -> None:
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"content-type: {content_type}",
        ]
        if chunked:
            lines.append("transfer-encoding: chunked")
        if length is not None:
            lines.append(f"content-length: {length}")
        lines.append("x-request-id: req_fake")
        for name, value in (extra or {}).items():
            lines.append(f"{name}: {value}")
        await stream.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def _send(
        self,
        stream: SocketStream,
        status: int,
        body: bytes,
        extra: dict[str, str] | None = None,
        *,
        content_type: str = "application/json",
    ) -> None:
        await self._send_head(stream, status, content_type, length=len(body), extra=extra)
        await stream.send(body)

    async def _chunk(self, stream: SocketStream, data: bytes) -> None:
        await stream.send(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    # ------------------------------------------------------------------------------------- wire formats

    def _model(self, request: ServedRequest) -> str:
        body = request.body
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else "fake-model"

    def _json_reply(self, request: ServedRequest, reply: Reply) -> dict[str, Any]:
        pieces = _pieces(reply.text, reply.chunks)
        output = reply.output_tokens if reply.output_tokens is not None else max(1, len(pieces))
        model = self._model(request)
        rid = f"fake-{request.index}"
        if request.wire == "anthropic":
            content: list[dict[str, Any]] = []
            if reply.refusal is None and reply.text:
                content.append({"type": "text", "text": reply.text})
            elif reply.refusal is not None:
                content.append({"type": "text", "text": reply.refusal})
            content.extend(
                {
                    "type": "tool_use",
                    "id": f"toolu_{i}",
                    "name": name,
                    "input": json.loads(arguments),
                }
                for i, (name, arguments) in enumerate(reply.tool_calls)
            )
            return {
                "id": f"msg_{rid}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": _anthropic_stop(reply),
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": output},
            }
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.refusal is not None:
            message = {"role": "assistant", "content": None, "refusal": reply.refusal}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
                for i, (name, arguments) in enumerate(reply.tool_calls)
            ]
        finish = "tool_calls" if reply.tool_calls else "stop"
        return {
            "id": f"chatcmpl-{rid}",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": reply.input_tokens,
                "completion_tokens": output,
                "total_tokens": reply.input_tokens + output,
            },
        }

    def _sse_events(self, request: ServedRequest, reply: Reply) -> list[bytes]:
        pieces = _pieces(reply.text if reply.refusal is None else reply.refusal, reply.chunks)
        output = reply.output_tokens if reply.output_tokens is not None else max(1, len(pieces))
        model = self._model(request)
        rid = f"fake-{request.index}"
        if request.wire == "anthropic":
            frames: list[tuple[str, dict[str, Any]]] = [
                (
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "id": f"msg_{rid}",
                            "type": "message",
                            "role": "assistant",
                            "model": model,
                            "content": [],
                            "stop_reason": None,
                            "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
                        },
                    },
                )
            ]
            if pieces:
                frames.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": 0,
                            "content_block": {"type": "text", "text": ""},
                        },
                    )
                )
                frames.extend(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": piece},
                        },
                    )
                    for piece in pieces
                )
                frames.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
            first = 1 if pieces else 0
            for i, (name, arguments) in enumerate(reply.tool_calls):
                block = {"type": "tool_use", "id": f"toolu_{i}", "name": name, "input": {}}
                delta = {"type": "input_json_delta", "partial_json": arguments}
                frames.extend(
                    [
                        (
                            "content_block_start",
                            {
                                "type": "content_block_start",
                                "index": first + i,
                                "content_block": block,
                            },
                        ),
                        (
                            "content_block_delta",
                            {"type": "content_block_delta", "index": first + i, "delta": delta},
                        ),
                        ("content_block_stop", {"type": "content_block_stop", "index": first + i}),
                    ]
                )
            frames.append(
                (
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": _anthropic_stop(reply)},
                        "usage": {"output_tokens": output},
                    },
                )
            )
            frames.append(("message_stop", {"type": "message_stop"}))
            return [
                f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in frames
            ]
        key = "refusal" if reply.refusal is not None else "content"
        chunks: list[dict[str, Any]] = [
            {
                "id": f"chatcmpl-{rid}",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [
                    {"index": 0, "delta": {"role": "assistant", key: ""}, "finish_reason": None}
                ],
            }
        ]
        chunks.extend(
            {
                "id": f"chatcmpl-{rid}",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": {key: piece}, "finish_reason": None}],
            }
            for piece in pieces
        )
        chunks.extend(
            {
                "id": f"chatcmpl-{rid}",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": i,
                                    "id": f"call_{i}",
                                    "type": "function",
                                    "function": {"name": name, "arguments": arguments},
                                }
                            ]
                        },
                        "finish_reason": None,
                    }
                ],
            }
            for i, (name, arguments) in enumerate(reply.tool_calls)
        )
        finish = "tool_calls" if reply.tool_calls else "stop"
        chunks.append(
            {
                "id": f"chatcmpl-{rid}",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
            }
        )
        chunks.append(
            {
                "id": f"chatcmpl-{rid}",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [],
                "usage": {
                    "prompt_tokens": reply.input_tokens,
                    "completion_tokens": output,
                    "total_tokens": reply.input_tokens + output,
                },
            }
        )
        return [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]

    async def _send_sse(self, stream: SocketStream, request: ServedRequest, reply: Reply) -> None:
        await self._send_head(stream, 200, "text/event-stream", chunked=True)
        for index, frame in enumerate(self._sse_events(request, reply)):
            if index and reply.chunk_delay > 0:
                await anyio.sleep(reply.chunk_delay)
            await self._chunk(stream, frame)
        await stream.send(b"0\r\n\r\n")

    async def _cut(self, stream: SocketStream, request: ServedRequest, after: int) -> None:
        if request.stream:
            frames = self._sse_events(request, Reply())
            await self._send_head(stream, 200, "text/event-stream", chunked=True)
            for frame in frames[: max(0, min(after, len(frames) - 1))]:
                await self._chunk(stream, frame)
            cut = frames[min(after, len(frames) - 1)]
            await self._chunk(stream, cut[: len(cut) // 2])
            return
        body = json.dumps(self._json_reply(request, Reply())).encode()
        await self._send_head(stream, 200, "application/json", length=len(body))
        await stream.send(body[: len(body) // 2])

    def __repr__(self) -> str:
        return f"FakeProviderServer(url={self.url!r}, requests={len(self.requests)}, pending={self.pending})"
