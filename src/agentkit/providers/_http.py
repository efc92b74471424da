"""The one seam to the network: the HTTP/SSE driver every adapter plugs into, and error translation.

`HttpProvider` sends a request and reads the answer once for every adapter: the whole call is bounded by its
timeout and the silence between two chunks by the idle timeout (``anyio`` deadlines, so a server that trickles one
byte at a time cannot hold a call open), bodies and single stream lines by size caps counted on decoded bytes, and
every body is decoded by one JSON reader that turns a cut, hostile (nesting too deep, lone surrogates) or
non-JSON body into ``MalformedResponse``. An adapter supplies only what differs: the request body, parsing a
response, a `StreamState` fed each stream event, and its error mapping (`HttpProvider.classify_error`, which
receives the parsed body).

Every foreign failure (an HTTP status, an httpx or httpx2 exception, an unreadable body) is translated here, once,
into the ``ProviderError`` tree, ``raise ... from exc``. Nothing here retries. API keys are held as ``SecretStr``
and never appear in reprs, errors or events.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import re
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from datetime import timezone
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

import anyio
import anyio.lowlevel
import httpx
from pydantic import SecretStr

from agentkit._clock import Clock, system_clock
from agentkit.exceptions import (
    AuthenticationFailed,
    ContextWindowExceeded,
    InvalidRequest,
    MalformedResponse,
    ModelNotFound,
    Overloaded,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UsageError,
)
from agentkit.providers._base import (
    ModelProfile,
    ModelRequest,
    ModelResponse,
    Provider,
    ReasoningDelta,
    StreamDone,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from agentkit.providers._sse import (
    CutArray,
    LineTooLong,
    NotAnArray,
    SSEEvent,
    iter_json_array,
    iter_sse,
)
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import (
        AsyncGenerator,
        AsyncIterator,
        Awaitable,
        Callable,
        Iterable,
        Mapping,
    )

    from agentkit.tools.dialects import CompiledTool

__all__ = (
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "HttpProvider",
    "StreamState",
    "decode_json",
    "error_from_response",
    "parse_retry_after",
    "translate_transport_error",
)

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=30.0, pool=10.0)
"""The per-phase timeouts handed to the HTTP client when none is given."""

DEFAULT_TOTAL_TIMEOUT = 600.0
"""Seconds one whole call (request, headers, every chunk) may take when no ``timeout`` is given."""

DEFAULT_IDLE_TIMEOUT = 120.0
"""Seconds of silence allowed between two chunks of an answer (never more than what is left of the call)."""

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
"""The largest response body read (decoded bytes, so a gzip bomb stops here): JSON answers and error bodies."""

DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
"""The largest single stream line or event. Not 1 MiB: Responses' ``response.completed`` repeats the whole answer
in one line, and a long answer must still fit."""

_MISSING: Any = object()

_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length|context window|maximum context|prompt is too long|too many tokens|"
    r"input (?:is )?too long|exceeds? the (?:maximum|max) (?:number of )?tokens|reduce the length",
    re.IGNORECASE,
)


def parse_retry_after(
    headers: Mapping[str, str], body: Any = None, *, clock: Clock = system_clock
) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``Retry-After`` (seconds or HTTP-date), or a body hint.

    A gateway that renames the upstream's headers is understood too: LiteLLM sends ``llm_provider-retry-after``
    (and ``llm_provider-retry-after-ms``), read when the plain header is absent. Body hints: Gemini's
    ``google.rpc.RetryInfo`` (``"retryDelay": "34.4s"``).

    Examples:
        >>> parse_retry_after({"retry-after-ms": "1500"})
        1.5
        >>> parse_retry_after({"retry-after": "7"})
        7.0
        >>> parse_retry_after({"llm_provider-retry-after": "12"})
        12.0
        >>> parse_retry_after({}, {"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
        ...                                                 "retryDelay": "34.4s"}]}})
        34.4
    """
    lower = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" not in lower and "retry-after" not in lower:
        for name in ("retry-after-ms", "retry-after"):
            gateway = lower.get("llm_provider-" + name)
            if gateway is not None:
                lower[name] = gateway
    value = lower.get("retry-after-ms")
    if value is not None:
        try:
            ms = float(value)
            if math.isfinite(ms) and ms >= 0:
                return ms / 1000
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value is not None:
        value = value.strip()
        try:
            seconds = float(value)
            if math.isfinite(seconds) and seconds >= 0:
                return seconds
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                return max(0.0, (when - clock.now()).total_seconds())
    if isinstance(body, dict):
        error = body.get("error")
        details = error.get("details") if isinstance(error, dict) else None
        if isinstance(details, list):
            for detail in details:
                if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
                    delay = str(detail.get("retryDelay", "")).rstrip("s")
                    try:
                        seconds = float(delay)
                    except ValueError:
                        continue
                    if math.isfinite(seconds):
                        return max(0.0, seconds)
    return None


def _error_message(body: Any, text: str) -> tuple[str, str | None]:
    """The provider's own message and error type/code from a JSON error body (every known shape)."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message")
            if not isinstance(message, str):
                message = json.dumps(message) if message is not None else None
            kind = error.get("type") or error.get("code") or error.get("status")
            if message:
                return message, str(kind) if kind is not None else None
        elif isinstance(error, str):
            return error, None
        detail = body.get("detail") or body.get("message")
        if detail:
            return (detail if isinstance(detail, str) else json.dumps(detail)), None
    stripped = text.strip()
    if stripped.lower().startswith(("<!doctype", "<html")) or "<html" in stripped[:200].lower():
        title = re.search(r"<title>(.*?)</title>", stripped, re.IGNORECASE | re.DOTALL)
        return (
            f"the provider returned an HTML page instead of JSON ({(title.group(1).strip() if title else 'no title')[:120]})",
            None,
        )
    return (stripped[:300] or "empty response body"), None


def _error_kinds(body: Any) -> set[str]:
    """Every error type, code and status word in a JSON error body, lower-cased.

    Providers spread the classification over several fields (OpenAI ``type`` and ``code``, Gemini's numeric
    ``code`` beside its ``status`` word), so all of them are consulted, not the first one present.
    """
    if not isinstance(body, dict):
        return set()
    error = body.get("error", body)
    if not isinstance(error, dict):
        return set()
    return {
        value.lower()
        for value in (error.get("type"), error.get("code"), error.get("status"))
        if isinstance(value, str) and value
    }


class _BadJSON(ValueError):
    """A body that is not usable JSON; ``reason`` says why in words fit for an error message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_json(content: bytes | str) -> Any:
    r"""Decode a JSON body, refusing what would crash later: nesting too deep for Python, lone surrogates.

    Raises:
        ValueError: The body is not JSON, is nested too deeply, or holds a lone surrogate (``\ud800`` without its
            pair), which no UTF-8 store, log or wire can carry. The message says which.

    Examples:
        >>> decode_json(b'{"a": [1, 2]}')
        {'a': [1, 2]}
        >>> decode_json("[" * 100_000)
        Traceback (most recent call last):
        agentkit.providers._http._BadJSON: JSON nested too deeply
        >>> decode_json('{"text": "\\ud800"}')
        Traceback (most recent call last):
        agentkit.providers._http._BadJSON: JSON holds a lone surrogate (\ud800-\udfff without its pair)
    """
    try:
        value = json.loads(content)
    except RecursionError:
        raise _BadJSON("JSON nested too deeply") from None
    except UnicodeDecodeError:
        # not UTF-8: read what can be read, as the SSE parser does
        assert isinstance(content, bytes)  # only bytes are decoded
        return decode_json(content.decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise _BadJSON(str(exc)) from exc
    # find() of one character is a fast scan; the pattern only runs from the first backslash on
    if isinstance(content, bytes):
        start = content.find(b"\\")
        escaped = start != -1 and _SURROGATE_BYTES.search(content, start) is not None
    else:
        start = content.find("\\")
        escaped = start != -1 and _SURROGATE.search(content, start) is not None
    if escaped:
        # an escaped surrogate: fine in a pair (json joins it), fatal alone; check what came out
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _BadJSON(
                "JSON holds a lone surrogate (\\ud800-\\udfff without its pair)"
            ) from exc
        except RecursionError:
            raise _BadJSON("JSON nested too deeply") from None
    return value


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def _sse_framed(text: str) -> Any:
    """The first JSON ``data:`` payload of an error body a gateway framed as SSE, or ``None``."""
    for line in text.splitlines():
        if line.startswith("data:"):
            data = line[5:].strip()
            if not data or data == "[DONE]":
                continue
            try:
                return decode_json(data)
            except ValueError:
                return None
    return None


def error_from_response(
    *,
    provider: str,
    model: str | None,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    clock: Clock = system_clock,
    body: Any = _MISSING,
) -> ProviderError:
    r"""The typed error for an HTTP error response.

    ``body`` is the parsed JSON when the caller already has it (an adapter's error hook, an error inside a
    stream), so nothing is parsed twice; otherwise ``content`` is parsed here. A body a gateway framed as SSE
    (``data: {"error": ...}``) is read for its payload, so the error carries its message, not the raw frame.

    Examples:
        >>> err = error_from_response(provider="anthropic", model="claude", status=529, headers={},
        ...     content=b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
        >>> type(err).__name__, err.message
        ('Overloaded', 'Overloaded')
        >>> err = error_from_response(provider="litellm", model="m", status=429, headers={},
        ...     content=b'data: {"error": {"message": "Slow down", "code": 429}}\n\n')
        >>> type(err).__name__, err.message
        ('RateLimited', 'Slow down')
    """
    text = content.decode("utf-8", errors="replace")
    if body is _MISSING:
        try:
            body = decode_json(text) if text.strip() else None
        except ValueError:
            body = _sse_framed(text) if "data:" in text else None
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict):
        # Gemini's streamGenerateContent without alt=sse wraps its error in a JSON array.
        body = body[0]
    message, _ = _error_message(body, text)
    lower = {k.lower(): v for k, v in headers.items()}
    request_id = (
        lower.get("request-id")
        or lower.get("x-request-id")
        or (
            body.get("request_id")
            if isinstance(body, dict) and isinstance(body.get("request_id"), str)
            else None
        )
    )
    common: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "status_code": status,
        "request_id": request_id,
    }
    kinds = _error_kinds(body)
    if status == 429 or kinds & {"rate_limit_error", "resource_exhausted", "rate_limit_exceeded"}:
        quota = "insufficient_quota" in kinds or "insufficient_quota" in text
        return RateLimited(
            message,
            retry_after=parse_retry_after(headers, body, clock=clock),
            retryable=not quota,
            **common,
        )
    if (
        status == 529
        or kinds & {"overloaded_error", "unavailable"}
        or (status == 503 and "overload" in message.lower())
    ):
        return Overloaded(message, **common)
    if status in (401, 403) or kinds & {
        "authentication_error",
        "permission_error",
        "unauthenticated",
        "permission_denied",
    }:
        return AuthenticationFailed(message, **common)
    if status in (408, 504) or "deadline_exceeded" in kinds:
        return ProviderTimeout(message, **common)
    if _CONTEXT_PATTERNS.search(message) or kinds & {
        "context_length_exceeded",
        "string_above_max_length",
    }:
        return ContextWindowExceeded(message, **common)
    if status == 404 or kinds & {"not_found_error", "model_not_found", "not_found"}:
        return ModelNotFound(message, **common)
    if 400 <= status < 500:
        return InvalidRequest(message, **common)
    if status >= 500:
        return ProviderUnavailable(message, **common)
    return MalformedResponse(f"unexpected HTTP status {status}: {message}", **common)


def _http_kinds(exc: BaseException) -> frozenset[str]:
    """The httpx-family class names of ``exc`` (httpx, httpx2, httpcore...): duck-typed, nothing imported."""
    return frozenset(
        cls.__name__
        for cls in type(exc).__mro__
        if cls.__module__.split(".", 1)[0].startswith(("httpx", "httpcore"))
    )


def is_http_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an HTTP-client failure (``httpx.HTTPError``, or the same class of httpx2)."""
    return isinstance(exc, httpx.HTTPError) or "HTTPError" in _http_kinds(exc)


def translate_transport_error(exc: Exception, *, provider: str, model: str | None) -> ProviderError:
    """The typed error for an httpx (or httpx2) failure: timeouts, connection errors, protocol errors.

    Examples:
        >>> import httpx
        >>> type(translate_transport_error(httpx.ConnectError("refused"), provider="p", model=None)).__name__
        'ProviderConnectionError'
    """
    kinds = _http_kinds(exc)
    if "TimeoutException" in kinds:
        return ProviderTimeout(
            f"{type(exc).__name__}: no answer in time", provider=provider, model=model
        )
    if "RemoteProtocolError" in kinds:
        return ProviderConnectionError(
            f"the connection broke mid-response ({exc})", provider=provider, model=model
        )
    if "TransportError" in kinds:
        return ProviderConnectionError(
            f"{type(exc).__name__}: {exc}", provider=provider, model=model
        )
    return MalformedResponse(f"{type(exc).__name__}: {exc}", provider=provider, model=model)


class StreamState:
    """What an adapter supplies to read one stream: fed each event, it yields deltas and builds the final response.

    The driver (`HttpProvider.stream_events`) decodes every SSE event's JSON and calls `feed` with the event name
    and the payload (``None`` for an ``error`` event without data); it stops reading once `done` is true, and
    then yields ``StreamDone(finish())``. Errors a server sends inside the stream are raised from `feed`, after
    the deltas of the same event. When the server answers a stream request with one JSON body, `whole` parses it
    and the driver replays it as deltas; with ``json_array`` set, a JSON answer is a streamed array whose elements
    are fed like events (Gemini without ``alt=sse``).

    A state is made per stream (`HttpProvider.stream_state`) and keeps everything it needs: a `ResponseBuilder`
    is the usual way to collect the parts. ``feed`` is called once per event, so keep it lean: return a list (no
    generator per event) and build the final response only in `finish`.

    Attributes:
        done: The stream's last event has been seen.
        cut: The message of the ``MalformedResponse`` for a stream that ends too soon.
        json_array: Read a JSON answer as a streamed array of events (``feed("message", element)``).

    Examples:
        A state for events ``{"delta": "..."}`` closed by ``{"end": true}``, fed by hand as the driver would:

        >>> from agentkit.providers import ResponseBuilder, TextDelta
        >>> class Deltas(StreamState):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.builder = ResponseBuilder(provider="demo")
        ...     def feed(self, event, payload):
        ...         self.done = bool(payload.get("end"))
        ...         text = payload.get("delta") or ""
        ...         self.builder.add_text(text)
        ...         return [TextDelta(text)] if text else []
        ...     def finish(self):
        ...         return self.builder.build(finish_reason="stop")
        >>> state = Deltas()
        >>> [list(state.feed("message", e)) for e in ({"delta": "Hel"}, {"delta": "lo"}, {"end": True})]
        [[TextDelta(text='Hel')], [TextDelta(text='lo')], []]
        >>> state.done, state.finish().text
        (True, 'Hello')
    """

    cut: ClassVar[str] = "stream ended before the response was complete"
    json_array: ClassVar[bool] = False

    def __init__(self) -> None:
        self.done = False

    def feed(self, event: str, payload: Any) -> Iterable[StreamEvent]:
        """The deltas of one event (``payload`` is its decoded JSON object)."""
        raise NotImplementedError

    def end_marker(self) -> None:
        """A ``data: [DONE]`` line arrived (OpenAI's end marker): by default the stream is over."""
        self.done = True

    def finish(self) -> ModelResponse:
        """The final response, once the stream has ended; raise ``MalformedResponse`` if it was cut."""
        raise NotImplementedError

    def whole(self, data: Any) -> ModelResponse:
        """Parse a JSON answer to a stream request (the server ignored ``stream``) as ``complete`` would."""
        raise NotImplementedError


def replay_response(response: ModelResponse) -> Iterable[StreamEvent]:
    """The deltas a stream of ``response`` would have carried, then its ``StreamDone``; empty pieces are left out.

    Examples:
        >>> from agentkit.messages import TextPart
        >>> response = ModelResponse(parts=(TextPart(text="Hi"),), provider="p", model="m",
        ...                          finish_reason="stop")
        >>> list(replay_response(response))[0]
        TextDelta(text='Hi')
    """
    from agentkit.messages import ReasoningPart, TextPart, ToolCallPart

    calls = 0
    for part in response.parts:
        if isinstance(part, TextPart) and part.text:
            yield TextDelta(part.text)
        elif isinstance(part, ReasoningPart) and part.text:
            yield ReasoningDelta(part.text)
        elif isinstance(part, ToolCallPart):
            yield ToolCallDelta(index=calls, id=part.id, name=part.name, arguments=part.arguments)
            calls += 1
    yield StreamDone(response)


class _Limits:
    """The bounds of one call: an absolute deadline (anyio clock) and the longest silence between chunks."""

    __slots__ = ("deadline", "idle", "total")

    def __init__(self, total: float, idle: float) -> None:
        self.total = total
        self.idle = idle
        self.deadline = anyio.current_time() + total


class HttpProvider(Provider):
    """Base for adapters that speak JSON (and SSE) over httpx: the one driver every adapter plugs into.

    `complete` and `stream` are the driver's: a subclass supplies the hooks they call (`encode`,
    `parse_response`, `stream_state`; `endpoint` or ``path``; optionally `auth_headers`, ``request_headers``,
    `classify_error`, `default_profile`). See `agentkit.providers.http` for a complete example.

    Args:
        model: The model name.
        api_key: The key; read from ``api_key_env`` when omitted. Held as a secret.
        base_url: API root; the adapter's default when omitted.
        http_client: An ``httpx.AsyncClient`` or ``httpx2.AsyncClient`` to use (the caller keeps owning it); one
            ``httpx.AsyncClient`` per event loop is created otherwise, so ``run_sync`` can be called again and
            again.
        profile: Overrides the adapter's capability profile.
        timeout: Bounds each whole call, seconds (request, headers and every chunk of a stream); 600 s when
            omitted. An ``httpx.Timeout`` sets the client's per-phase timeouts instead and leaves the whole call at
            600 s. A ``ModelSettings.timeout`` wins per request.
        idle_timeout: The longest silence between two chunks of an answer, seconds (120 s when omitted, and never
            more than ``timeout``).
        max_body_bytes: The largest response body read, decoded bytes (32 MiB): a larger one, or a gzip bomb, is a
            ``MalformedResponse`` as soon as the cap is passed.
        max_line_bytes: The largest single stream line or event (8 MiB), the same way.
        clock: Where ``Retry-After`` dates are compared to.
    """

    default_base_url: ClassVar[str] = ""
    """The API root used when no ``base_url`` is given."""
    api_key_env: ClassVar[str | None] = None
    """The environment variable the key is read from when no ``api_key`` is given."""
    requires_api_key: ClassVar[bool] = True
    """Whether a provider without a key is a ``UsageError`` (``False`` for local servers)."""
    path: ClassVar[str] = ""
    """The endpoint under ``base_url`` that `complete` and `stream` POST to (see `endpoint`)."""
    request_headers: ClassVar[Mapping[str, str]] = {}
    """Headers sent with every request besides `auth_headers` (an API version); never secret."""

    def __init__(
        self,
        model: str,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        http_client: Any = None,
        profile: ModelProfile | None = None,
        timeout: float | httpx.Timeout | None = None,
        idle_timeout: float | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        clock: Clock = system_clock,
    ) -> None:
        self._model = model
        if api_key is None and self.api_key_env:
            api_key = os.environ.get(self.api_key_env) or None
        if api_key is None and self.requires_api_key:
            hint = f" or set {self.api_key_env}" if self.api_key_env else ""
            raise UsageError(f"{type(self).__name__} needs an API key: pass api_key=...{hint}")
        for name, value in (("max_body_bytes", max_body_bytes), ("max_line_bytes", max_line_bytes)):
            if value <= 0:
                raise UsageError(f"{name} must be a positive number of bytes, got {value!r}")
        for name, seconds in (
            ("timeout", timeout if not isinstance(timeout, httpx.Timeout) else None),
            ("idle_timeout", idle_timeout),
        ):
            if seconds is not None and not seconds > 0:
                raise UsageError(f"{name} must be a positive number of seconds, got {seconds!r}")
        self._api_key = (
            api_key if isinstance(api_key, SecretStr) or api_key is None else SecretStr(api_key)
        )
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        if not self.base_url:
            raise UsageError(
                f"{type(self).__name__} needs base_url=... (the API root, e.g. 'https://api.example.com/v1')"
            )
        self._owns_client = http_client is None
        self._given_client = http_client
        self._owned: Any = None  # the client this provider made, and the event loop it belongs to
        self._owned_loop: object = None
        self._guard: Any = None  # closes the owned client when its event loop shuts down
        self._timeout = (
            timeout
            if isinstance(timeout, httpx.Timeout)
            else (httpx.Timeout(timeout) if timeout is not None else DEFAULT_TIMEOUT)
        )
        self._total = float(timeout) if isinstance(timeout, (int, float)) else DEFAULT_TOTAL_TIMEOUT
        self._idle = idle_timeout
        self.max_body_bytes = max_body_bytes
        self.max_line_bytes = max_line_bytes
        self._urls: dict[str, httpx.URL] = {}  # base_url + path, parsed once (see _send)
        self._profile = profile or self.default_profile(model)
        self.clock = clock

    @property
    def model(self) -> str:
        """The model every request goes to."""
        return self._model

    @property
    def profile(self) -> ModelProfile:
        """The model's capability profile (the adapter's default for the model, or the one given)."""
        return self._profile

    def secrets(self) -> frozenset[str]:
        """The API key and the credentials in `auth_headers`, for redaction to mask; never log them.

        Examples:
            >>> from agentkit.providers.anthropic import AnthropicProvider
            >>> AnthropicProvider("claude-haiku-4-5", api_key="sk-ant-test-key").secrets()
            frozenset({'sk-ant-test-key'})
        """
        found: set[str] = set()
        key = self.api_key
        if key:
            found.add(key)
        for value in self.auth_headers().values():
            scheme, _, credential = value.partition(" ")
            credential = credential if credential and scheme.isalpha() else value
            if len(credential) >= 4:
                found.add(credential)
        return frozenset(found)

    # -------------------------------------------------------------------------------------- per adapter

    def default_profile(self, model: str) -> ModelProfile:
        """The capability profile for ``model`` (adapters override)."""
        return ModelProfile()

    def auth_headers(self) -> dict[str, str]:
        """Authentication headers (adapters override; the default is a bearer token)."""
        return {"authorization": f"Bearer {self.api_key}"} if self._api_key else {}

    def endpoint(self, *, stream: bool) -> str:
        """The path under ``base_url`` to POST to, query included (default: `path` for both kinds of call).

        Examples:
            >>> from agentkit.providers.gemini import GeminiProvider
            >>> GeminiProvider("gemini-2.5-flash", api_key="k").endpoint(stream=True)
            '/models/gemini-2.5-flash:streamGenerateContent?alt=sse'
        """
        return self.path

    def encode(self, request: ModelRequest, *, stream: bool) -> tuple[Mapping[str, Any], Any]:
        """The JSON body for ``request``, and the context `parse_response` and `stream_state` are handed.

        The context is whatever reading the answer needs from the request; usually the compiled tools by wire name
        (`compile_tools`), so calls come back under their canonical names. Raise ``UsageError`` for a request the
        API cannot take: nothing has been sent yet.
        """
        raise NotImplementedError(f"{type(self).__name__} must define encode(request, *, stream)")

    def parse_response(self, data: Any, context: Any) -> ModelResponse:
        """The `ModelResponse` for a decoded JSON answer; raise ``self.malformed(...)`` for one that is not.

        ``context`` is the second value `encode` returned for the request.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define parse_response(data, context)"
        )

    def stream_state(self, context: Any) -> StreamState:
        """A fresh `StreamState` for one streamed answer (``context`` as in `parse_response`)."""
        raise NotImplementedError(f"{type(self).__name__} must define stream_state(context)")

    def compile_tools(self, request: ModelRequest) -> dict[str, CompiledTool]:
        """The request's tools compiled with the profile's dialect, by wire name.

        Raises:
            UsageError: Two tools map to the same wire name.

        Examples:
            >>> from agentkit import tool
            >>> from agentkit.messages import Message
            >>> from agentkit.providers.openai import OpenAIChatProvider
            >>> @tool
            ... def find_hotel(city: str) -> str:
            ...     "Find a hotel."
            ...     return city
            >>> tools = OpenAIChatProvider("gpt-4.1", api_key="k").compile_tools(
            ...     ModelRequest(messages=[Message.user("hi")], tools=[find_hotel.contract]))
            >>> {wire: compiled.name for wire, compiled in tools.items()}
            {'find_hotel': 'find_hotel'}
        """
        if not request.tools:
            return {}
        dialect = get_dialect(self.profile.dialect)
        by_wire: dict[str, CompiledTool] = {}
        for tool in dialect.compile_all(request.tools):
            other = by_wire.get(tool.wire_name)
            if other is not None and other.name != tool.name:
                raise UsageError(
                    f"tools {other.name!r} and {tool.name!r} both map to the wire name {tool.wire_name!r}; "
                    "rename one of them (or expose them through a prefixed toolset)"
                )
            by_wire[tool.wire_name] = tool
        return by_wire

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send ``request`` and return the whole answer: `encode`, POST to `endpoint`, `parse_response`.

        Raises:
            ProviderError: A typed error (``RateLimited``, ``InvalidRequest``, ``MalformedResponse``...), from
                `classify_error` for an error status.
        """
        body, context = self.encode(request, stream=False)
        data = await self.post_json(
            self.endpoint(stream=False),
            body,
            request=request,
            headers=self.request_headers or None,
        )
        return self.parse_response(data, context)

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Send ``request`` and yield deltas as they arrive, then one ``StreamDone`` (see `StreamState`).

        The request is built when iteration begins, so a request that cannot be built raises on first read.
        Errors sent inside the stream are raised as typed errors after the deltas already received; a stream
        that ends too soon raises ``MalformedResponse``.
        """
        return self.stream_lazily(
            partial(self._start_stream, request),
            request=request,
            headers=self.request_headers or None,
        )

    def _start_stream(self, request: ModelRequest) -> tuple[str, Mapping[str, Any], StreamState]:
        body, context = self.encode(request, stream=True)
        return self.endpoint(stream=True), body, self.stream_state(context)

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error for an error answer, from its already parsed JSON ``body`` (adapters refine it).

        ``text`` is the body as text (the key masked), for when ``body`` is ``None`` (not JSON).
        """
        return error_from_response(
            provider=self.system,
            model=self.model,
            status=status,
            headers=headers,
            content=text.encode("utf-8", errors="replace"),
            clock=self.clock,
            body=body,
        )

    @property
    def api_key(self) -> str | None:
        """The API key in clear, for building headers only."""
        return self._api_key.get_secret_value() if self._api_key else None

    # -------------------------------------------------------------------------------------- client

    @property
    def client(self) -> Any:
        """The HTTP client: the one given, or the one this provider made for the running event loop.

        An owned client belongs to the loop it was made in; on another loop (a second ``anyio.run`` or
        ``run_sync``) a fresh one replaces it, since the old one's connections died with their loop.
        """
        if not self._owns_client:
            return self._given_client
        loop = _current_loop()
        if self._owned is None or (loop is not None and self._owned_loop != loop):
            self._owned = httpx.AsyncClient(timeout=self._timeout)
            self._owned_loop = loop
            self._guard = None
        return self._owned

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it (safe from any event loop, and twice)."""
        if not self._owns_client or self._owned is None:
            return
        owned, loop, guard = self._owned, self._owned_loop, self._guard
        try:
            if loop is None or loop == _current_loop():
                await owned.aclose()
                if guard is not None:
                    await guard.aclose()
        finally:
            self._owned = None
            self._owned_loop = None
            self._guard = None

    async def _watch_loop(self, client: Any) -> None:
        """Close an owned client when its event loop shuts down, so no connection outlives its loop unclosed.

        ``anyio.run`` and ``asyncio.run`` finalise the loop's async generators before closing it.
        """
        if client is self._owned and self._guard is None:
            guard = _close_at_loop_end(client)
            await guard.asend(None)
            self._guard = guard

    def _headers(
        self, request: ModelRequest | None, extra: Mapping[str, str] | None
    ) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            **self.auth_headers(),
        }
        if extra:
            headers.update(extra)
        if request is not None and request.settings.extra_headers:
            headers.update(request.settings.extra_headers)
        return headers

    def _timeout_for(self, request: ModelRequest | None) -> httpx.Timeout:
        if request is not None and request.settings.timeout is not None:
            t = request.settings.timeout
            return httpx.Timeout(connect=min(10.0, t), read=t, write=t, pool=t)
        return self._timeout

    def _limits(self, request: ModelRequest | None) -> _Limits:
        total = self._total
        if request is not None and request.settings.timeout is not None:
            total = request.settings.timeout
        idle = self._idle
        if idle is None:
            read = self._timeout.read
            idle = read if read is not None else DEFAULT_IDLE_TIMEOUT
        return _Limits(total, min(idle, total))

    def _client_timeout(self, client: Any, request: ModelRequest | None, limits: _Limits) -> Any:
        """The per-phase timeout for this request; ``read`` is the idle timeout (httpx2 takes a tuple)."""
        timeout = self._timeout_for(request)
        if timeout.read is None or timeout.read > limits.idle:
            timeout = httpx.Timeout(
                connect=timeout.connect, read=limits.idle, write=timeout.write, pool=timeout.pool
            )
        if isinstance(client, httpx.AsyncClient):
            return timeout
        return (timeout.connect, timeout.read, timeout.write, timeout.pool)

    def _timed_out(self, limits: _Limits) -> ProviderTimeout:
        return ProviderTimeout(
            f"the call took longer than its {limits.total:g} s timeout",
            provider=self.system,
            model=self.model,
        )

    def _transport_error(self, exc: Exception) -> ProviderError | None:
        if is_http_error(exc):
            return translate_transport_error(exc, provider=self.system, model=self.model)
        return None

    # -------------------------------------------------------------------------------------- reading

    async def _chunks(self, response: Any, limits: _Limits) -> AsyncGenerator[bytes, None]:
        """The decoded body chunks, the call's deadline enforced between and (near its end) during reads.

        Silence between chunks is bounded by the client's read timeout, set to the idle timeout; a read that
        could outlast the deadline gets its own cancel scope. No scope ever spans a ``yield``.
        """
        iterator = response.aiter_bytes()
        deadline, idle = limits.deadline, limits.idle
        try:
            while True:
                left = deadline - anyio.current_time()
                if left <= 0:
                    raise self._timed_out(limits)
                try:
                    if left < idle:
                        chunk = None
                        with anyio.move_on_after(left):
                            chunk = await iterator.__anext__()
                        if chunk is None:
                            raise self._timed_out(limits)
                    else:
                        chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    return
                yield chunk
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    async def _read_body(self, response: Any, *, truncate: bool = False) -> bytes:
        """The whole body (within the caller's deadline), refused once it passes ``max_body_bytes``.

        With ``truncate`` (an error body), what fits is returned instead: the status still says what went wrong.
        """
        length = response.headers.get("content-length")
        if (
            length is not None
            and length.isdigit()
            and int(length) <= self.max_body_bytes
            and "content-encoding" not in response.headers
        ):
            # an unencoded body of a declared size within the cap: the framing cannot deliver more
            return bytes(await response.aread())
        parts: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_body_bytes:
                if truncate:
                    parts.append(chunk[: len(chunk) - (size - self.max_body_bytes)])
                    break
                raise self.malformed(
                    f"the response body exceeds max_body_bytes={self.max_body_bytes}",
                    status_code=response.status_code,
                )
            parts.append(chunk)
        return b"".join(parts)

    def decode(self, content: bytes | str, *, status: int | None = None, what: str) -> Any:
        """Decoded JSON, or ``MalformedResponse`` saying ``what`` was unreadable and why."""
        try:
            return decode_json(content)
        except ValueError as exc:
            text = (
                content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
            )
            reason = exc.reason if isinstance(exc, _BadJSON) and "JSON " in exc.reason else None
            message, _ = _error_message(None, text)
            raise self.malformed(f"{what}: {reason or message}", status_code=status) from exc

    # -------------------------------------------------------------------------------------- the driver

    async def _send(
        self,
        client: Any,
        path: str,
        body: Mapping[str, Any],
        headers: dict[str, str],
        params: Mapping[str, str] | None,
        request: ModelRequest | None,
        limits: _Limits,
    ) -> tuple[Any, Callable[[], Awaitable[object]]]:
        """POST ``body``: the response with its body unread, and what closes it (the caller must).

        For an ``httpx.AsyncClient``, ``send(stream=True)`` rather than ``stream()`` (no context-manager
        generator per call) and the parsed URL kept per address, since parsing one costs more than everything
        else httpx does to build the request. Other clients (httpx2) go through their ``stream()``.
        """
        url: Any = self.base_url + path
        timeout = self._client_timeout(client, request, limits)
        if isinstance(client, httpx.AsyncClient):
            parsed = self._urls.get(url)
            if parsed is None:
                if len(self._urls) >= 16:  # a base_url changed again and again: start over
                    self._urls.clear()
                parsed = self._urls[url] = httpx.URL(url)
            built = client.build_request(
                "POST", parsed, json=body, headers=headers, params=params, timeout=timeout
            )
            response = await client.send(built, stream=True)
            return response, response.aclose
        context = client.stream(
            "POST", url, json=body, headers=headers, params=params, timeout=timeout
        )
        response = await context.__aenter__()
        return response, partial(context.__aexit__, None, None, None)

    async def _open(
        self,
        stack: AsyncExitStack,
        path: str,
        body: Mapping[str, Any],
        *,
        request: ModelRequest | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        accept: str,
        limits: _Limits,
    ) -> Any:
        """Send ``body``; the open response, held by ``stack``. An error status is raised as the typed error.

        The caller bounds this with the call's deadline.
        """
        req_headers = self._headers(request, headers)
        req_headers["accept"] = accept
        client = self.client
        if self._owns_client and self._guard is None:
            await self._watch_loop(client)
        try:
            response, close = await self._send(
                client, path, body, req_headers, params, request, limits
            )
            stack.push_async_callback(close)
            if response.status_code >= 400:
                content = await self._read_body(response, truncate=True)
                raise self._error(response.status_code, response.headers, content)
        except Exception as exc:
            error = self._transport_error(exc)
            if error is not None:
                raise error from exc
            raise
        return response

    async def post_json(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        request: ModelRequest | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """POST JSON and return the decoded JSON answer, or raise the typed error (all within the timeout)."""
        limits = self._limits(request)
        req_headers = self._headers(request, headers)
        client = self.client
        if self._owns_client and self._guard is None:
            await self._watch_loop(client)
        content = b""
        status = 0
        with anyio.move_on_after(limits.total) as scope:
            try:
                response, close = await self._send(
                    client, path, body, req_headers, params, request, limits
                )
                try:
                    status = response.status_code
                    if status >= 400:
                        content = await self._read_body(response, truncate=True)
                        raise self._error(status, response.headers, content)
                    content = await self._read_body(response)
                finally:
                    await close()
            except Exception as exc:
                error = self._transport_error(exc)
                if error is not None:
                    raise error from exc
                raise
        if scope.cancelled_caught:
            raise self._timed_out(limits)
        return self.decode(content, status=status, what="the answer is not JSON")

    @asynccontextmanager
    async def open_stream(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        request: ModelRequest | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Any]:
        """POST and stream the answer; an error status is raised as the typed error before any chunk.

        For an adapter that reads the stream itself (with `sse_events`); `stream_events` is the driver adapters
        normally use.
        """
        limits = self._limits(request)
        async with AsyncExitStack() as stack:
            response = await self._open_within(
                stack, path, body, request=request, headers=headers, params=params, limits=limits
            )
            response.extensions = {**response.extensions, "agentkit.limits": limits}
            yield response

    async def _open_within(
        self,
        stack: AsyncExitStack,
        path: str,
        body: Mapping[str, Any],
        *,
        request: ModelRequest | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        limits: _Limits,
    ) -> Any:
        response = None
        with anyio.move_on_after(limits.total):
            response = await self._open(
                stack,
                path,
                body,
                request=request,
                headers=headers,
                params=params,
                accept="text/event-stream",
                limits=limits,
            )
        if response is None:
            raise self._timed_out(limits)
        return response

    async def sse_events(self, response: Any) -> AsyncGenerator[SSEEvent, None]:
        """Parse a streamed response as SSE within the call's limits, translating network failures on the way.

        The inner parser is closed as soon as this generator is (``aclosing``), so a stream abandoned early never
        leaves a half-read body for the garbage collector.
        """
        limits = response.extensions.get("agentkit.limits") or self._limits(None)
        try:
            async with aclosing(
                iter_sse(self._chunks(response, limits), max_line_chars=self.max_line_bytes)
            ) as events:
                async for event in events:
                    yield event
        except LineTooLong as exc:
            raise self.malformed(
                f"a stream line exceeds max_line_bytes={self.max_line_bytes}"
            ) from exc
        except Exception as exc:
            error = self._transport_error(exc)
            if error is not None:
                raise error from exc
            raise

    def stream_events(
        self,
        path: str,
        body: Mapping[str, Any],
        state: StreamState,
        *,
        request: ModelRequest | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """The driver: send, read the stream within the limits, feed ``state``, yield deltas then ``StreamDone``.

        Every event's data is decoded by `decode_json`; a cut event, an unreadable one or a payload that is not
        an object is a ``MalformedResponse``; a JSON answer to a stream request is parsed by ``state.whole`` and
        replayed as deltas (or read as a streamed array when ``state.json_array``).
        """
        return self.stream_lazily(
            lambda: (path, body, state), request=request, headers=headers, params=params
        )

    async def stream_lazily(
        self,
        start: Callable[[], tuple[str, Mapping[str, Any], StreamState]],
        *,
        request: ModelRequest | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """`stream_events` with the path, body and state built by ``start()`` once iteration begins.

        An adapter's ``stream`` returns this generator as it is (no generator of its own relaying every delta),
        and a request that cannot be built still raises when the stream is first read, not when it is made.
        """
        path, body, state = start()
        limits = self._limits(request)
        async with AsyncExitStack() as stack:
            response = await self._open_within(
                stack, path, body, request=request, headers=headers, params=params, limits=limits
            )
            content_type = response.headers.get("content-type", "")
            if "json" in content_type and "event-stream" not in content_type:
                source = (
                    self._array_events(response, state, limits)
                    if state.json_array
                    else self._whole_events(response, state, limits)
                )
                async with aclosing(source) as events:
                    async for event in events:
                        yield event
                return
            malformed = self.malformed
            loads = json.loads
            try:
                async with aclosing(
                    iter_sse(self._chunks(response, limits), max_line_chars=self.max_line_bytes)
                ) as sse_events:
                    async for sse in sse_events:
                        data = sse.data.strip()
                        if not data:
                            if sse.event == "error":
                                for event in state.feed("error", None):
                                    yield event
                            continue
                        if data == "[DONE]":
                            state.end_marker()
                            if state.done:
                                break
                            continue
                        # json.loads inline (the hot path); anything odd goes through decode_json for its
                        # verdict: a parse error, too deep, or an escaped surrogate (fine only in a pair)
                        try:
                            payload = loads(data)
                            odd = "\\u" in data and _SURROGATE.search(data) is not None
                        except (ValueError, RecursionError):
                            odd = True
                        try:
                            if odd:
                                payload = decode_json(data)
                        except ValueError as exc:
                            if not sse.complete:
                                raise malformed(f"{state.cut} (cut mid-event)") from None
                            if sse.event != "error":
                                reason = exc.reason if isinstance(exc, _BadJSON) else str(exc)
                                detail = f" ({reason})" if reason.startswith("JSON ") else ""
                                raise malformed(
                                    f"unreadable stream chunk{detail}: {data[:200]!r}"
                                ) from None
                            payload = {"message": data[:2000]}
                        if not isinstance(payload, dict):
                            raise malformed(f"unexpected stream chunk: {data[:200]!r}")
                        for event in state.feed(sse.event, payload):
                            yield event
                        if state.done:
                            break
            except LineTooLong as exc:
                raise malformed(
                    f"a stream line exceeds max_line_bytes={self.max_line_bytes}"
                ) from exc
            except Exception as exc:
                error = self._transport_error(exc)
                if error is not None:
                    raise error from exc
                raise
        yield StreamDone(self._final_response(state))

    def _final_response(self, state: StreamState) -> ModelResponse:
        try:
            return state.finish()
        except RecursionError:
            raise self.malformed("the streamed answer is nested too deeply") from None

    async def _whole_events(
        self, response: Any, state: StreamState, limits: _Limits
    ) -> AsyncGenerator[StreamEvent, None]:
        content = b""
        with anyio.move_on_after(limits.deadline - anyio.current_time()) as scope:
            try:
                content = await self._read_body(response)
            except Exception as exc:
                error = self._transport_error(exc)
                if error is not None:
                    raise error from exc
                raise
        if scope.cancelled_caught:
            raise self._timed_out(limits)
        data = self.decode(
            content,
            status=response.status_code,
            what="the stream is a truncated or invalid JSON body",
        )
        try:
            result = state.whole(data)
        except RecursionError:
            raise self.malformed("the answer is nested too deeply") from None
        for event in replay_response(result):
            yield event

    async def _array_events(
        self, response: Any, state: StreamState, limits: _Limits
    ) -> AsyncGenerator[StreamEvent, None]:
        items = iter_json_array(self._chunks(response, limits), max_line_chars=self.max_line_bytes)
        try:
            async with aclosing(items) as elements:
                async for item in elements:
                    if not isinstance(item, dict):
                        raise self.malformed(f"unexpected stream element: {str(item)[:200]}")
                    for event in state.feed("message", item):
                        yield event
        except NotAnArray as exc:
            single = self.decode(
                exc.text, status=response.status_code, what="the streamed answer is not JSON"
            )
            if not isinstance(single, dict):
                raise self.malformed(f"unexpected streamed answer: {exc.text[:200]!r}") from None
            for event in state.feed("message", single):
                yield event
        except CutArray:
            raise self.malformed(state.cut) from None
        except LineTooLong as exc:
            raise self.malformed(
                f"a stream element exceeds max_line_bytes={self.max_line_bytes}"
            ) from exc
        except RecursionError:
            raise self.malformed("a stream element is nested too deeply") from None
        except Exception as exc:
            if isinstance(exc, ProviderError):
                raise
            error = self._transport_error(exc)
            if error is not None:
                raise error from exc
            if isinstance(exc, ValueError):
                raise self.malformed(str(exc)) from exc
            raise
        yield StreamDone(self._final_response(state))

    # -------------------------------------------------------------------------------------- errors

    def _error(self, status: int, headers: Mapping[str, str], content: bytes) -> ProviderError:
        """The typed error for an error answer: the body parsed once, the key masked, then `classify_error`."""
        key = self.api_key
        if key and len(key) >= 8 and key.encode() in content:
            # A server that echoes the key in its error must not leak it into ours.
            content = content.replace(key.encode(), b"***")
        text = content.decode("utf-8", errors="replace")
        try:
            body: Any = decode_json(text) if text.strip() else None
        except ValueError:
            body = _sse_framed(text) if "data:" in text else None
        return self.classify_error(status, headers, body, text)

    def inline_error_of(self, status: int, body: Any) -> ProviderError:
        """The typed error for an error object that came with HTTP 200 (in a body or a stream), already parsed."""
        key = self.api_key
        if key and len(key) >= 8:
            body = _masked(body, key)
        return self.classify_error(status, {}, body, "")

    def malformed(self, message: str, **fields: Any) -> MalformedResponse:
        """A ``MalformedResponse`` for this provider and model."""
        return MalformedResponse(message, provider=self.system, model=self.model, **fields)

    def __repr__(self) -> str:
        key = "***" if self._api_key else None
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r}, api_key={key!r})"


class ToolMapProvider(HttpProvider):
    """An adapter whose `build_body` returns the body and the compiled tools by wire name, its call context.

    `encode` is `build_body`; `parse_response` and `stream_state` receive the tools by wire name.
    """

    def build_body(
        self, request: ModelRequest, *, stream: bool = False
    ) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The JSON body for ``request`` and the compiled tools by wire name (to map calls back)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define build_body(request, *, stream)"
        )

    def encode(
        self, request: ModelRequest, *, stream: bool
    ) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The driver's hook: `build_body`."""
        return self.build_body(request, stream=stream)


def _masked(value: Any, key: str) -> Any:
    """``value`` with ``key`` replaced by ``***`` in every string (an error that echoes the key)."""
    if isinstance(value, str):
        return value.replace(key, "***") if key in value else value
    if isinstance(value, dict):
        return {k: _masked(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, key) for v in value]
    return value


async def _close_at_loop_end(client: Any) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.aclose()


def _current_loop() -> object:
    """A token for the running event loop (equal for the same loop), or ``None`` outside one."""
    try:
        return anyio.lowlevel.current_token()
    except RuntimeError:
        return None
