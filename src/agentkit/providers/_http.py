"""The one seam to the network: a shared httpx client, JSON and SSE calls, and error translation.

Every foreign failure (an HTTP status, an httpx exception, an unreadable body) is translated here, once, into the
``ProviderError`` tree, ``raise ... from exc``. Nothing here retries. API keys are held as ``SecretStr`` and never
appear in reprs, errors or events.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import re
from contextlib import aclosing, asynccontextmanager
from datetime import timezone
from typing import TYPE_CHECKING, Any, ClassVar

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
from agentkit.providers._base import ModelProfile, ModelRequest, Provider
from agentkit.providers._sse import SSEEvent, iter_sse

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Mapping

__all__ = (
    "DEFAULT_TIMEOUT",
    "HttpProvider",
    "error_from_response",
    "parse_retry_after",
    "translate_transport_error",
)

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=30.0, pool=10.0)
"""Every provider call has a timeout; ``read`` also bounds the silence between two stream chunks."""

_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length|context window|maximum context|prompt is too long|too many tokens|"
    r"input (?:is )?too long|exceeds? the (?:maximum|max) (?:number of )?tokens|reduce the length",
    re.IGNORECASE,
)


def parse_retry_after(
    headers: Mapping[str, str], body: Any = None, *, clock: Clock = system_clock
) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``Retry-After`` (seconds or HTTP-date), or a body hint.

    Body hints: Gemini's ``google.rpc.RetryInfo`` (``"retryDelay": "34.4s"``).

    Examples:
        >>> parse_retry_after({"retry-after-ms": "1500"})
        1.5
        >>> parse_retry_after({"retry-after": "7"})
        7.0
        >>> parse_retry_after({}, {"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
        ...                                                 "retryDelay": "34.4s"}]}})
        34.4
    """
    lower = {k.lower(): v for k, v in headers.items()}
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


def error_from_response(
    *,
    provider: str,
    model: str | None,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    clock: Clock = system_clock,
) -> ProviderError:
    """The typed error for an HTTP error response.

    Examples:
        >>> err = error_from_response(provider="anthropic", model="claude", status=529, headers={},
        ...     content=b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
        >>> type(err).__name__, err.message
        ('Overloaded', 'Overloaded')
    """
    text = content.decode("utf-8", errors="replace")
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
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


def translate_transport_error(exc: Exception, *, provider: str, model: str | None) -> ProviderError:
    """The typed error for an httpx failure (timeouts, connection errors, protocol errors)."""
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeout(
            f"{type(exc).__name__}: no answer in time", provider=provider, model=model
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return ProviderConnectionError(
            f"the connection broke mid-response ({exc})", provider=provider, model=model
        )
    if isinstance(exc, httpx.TransportError):
        return ProviderConnectionError(
            f"{type(exc).__name__}: {exc}", provider=provider, model=model
        )
    return MalformedResponse(f"{type(exc).__name__}: {exc}", provider=provider, model=model)


class HttpProvider(Provider):
    """Base for adapters that speak JSON (and SSE) over httpx.

    Args:
        model: The model name.
        api_key: The key; read from ``api_key_env`` when omitted. Held as a secret.
        base_url: API root; the adapter's default when omitted.
        http_client: An ``httpx.AsyncClient`` to use (the caller keeps owning it); one is created otherwise.
        profile: Overrides the adapter's capability profile.
        timeout: Default timeout for every call (a ``ModelSettings.timeout`` wins per request).
        clock: Where ``Retry-After`` dates are compared to.
    """

    default_base_url: ClassVar[str] = ""
    api_key_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = True

    def __init__(
        self,
        model: str,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        profile: ModelProfile | None = None,
        timeout: float | httpx.Timeout | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._model = model
        if api_key is None and self.api_key_env:
            api_key = os.environ.get(self.api_key_env) or None
        if api_key is None and self.requires_api_key:
            hint = f" or set {self.api_key_env}" if self.api_key_env else ""
            raise UsageError(f"{type(self).__name__} needs an API key: pass api_key=...{hint}")
        self._api_key = (
            api_key if isinstance(api_key, SecretStr) or api_key is None else SecretStr(api_key)
        )
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self._owns_client = http_client is None
        self._client = http_client
        self._timeout = (
            timeout
            if isinstance(timeout, httpx.Timeout)
            else (httpx.Timeout(timeout) if timeout is not None else DEFAULT_TIMEOUT)
        )
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

    @property
    def api_key(self) -> str | None:
        """The API key in clear, for building headers only."""
        return self._api_key.get_secret_value() if self._api_key else None

    # -------------------------------------------------------------------------------------- transport

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client (created on first use when none was given)."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

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

    async def post_json(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        request: ModelRequest | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """POST JSON and return the decoded JSON answer, or raise the typed error."""
        url = self.base_url + path
        try:
            response = await self.client.post(
                url,
                json=body,
                headers=self._headers(request, headers),
                params=params,
                timeout=self._timeout_for(request),
            )
        except httpx.HTTPError as exc:
            raise translate_transport_error(exc, provider=self.system, model=self.model) from exc
        if response.status_code >= 400:
            raise self._error(response.status_code, response.headers, response.content)
        try:
            return response.json()
        except ValueError as exc:
            message, _ = _error_message(None, response.text)
            raise MalformedResponse(
                f"the answer is not JSON: {message}",
                provider=self.system,
                model=self.model,
                status_code=response.status_code,
            ) from exc

    @asynccontextmanager
    async def open_stream(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        request: ModelRequest | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """POST and stream the answer; an error status is raised as the typed error before any chunk."""
        url = self.base_url + path
        req_headers = self._headers(request, headers)
        req_headers["accept"] = "text/event-stream"
        try:
            async with self.client.stream(
                "POST",
                url,
                json=body,
                headers=req_headers,
                params=params,
                timeout=self._timeout_for(request),
            ) as response:
                if response.status_code >= 400:
                    content = await response.aread()
                    raise self._error(response.status_code, response.headers, content)
                yield response
        except httpx.HTTPError as exc:
            raise translate_transport_error(exc, provider=self.system, model=self.model) from exc

    async def sse_events(self, response: httpx.Response) -> AsyncGenerator[SSEEvent, None]:
        """Parse a streamed response as SSE, translating network failures on the way.

        The inner parser is closed as soon as this generator is (``aclosing``), so a stream abandoned early never
        leaves a half-read body for the garbage collector.
        """
        try:
            async with aclosing(iter_sse(response.aiter_bytes())) as events:
                async for event in events:
                    yield event
        except httpx.HTTPError as exc:
            raise translate_transport_error(exc, provider=self.system, model=self.model) from exc

    def _error(self, status: int, headers: Mapping[str, str], content: bytes) -> ProviderError:
        key = self.api_key
        if key and len(key) >= 8 and key.encode() in content:
            # A server that echoes the key in its error must not leak it into ours.
            content = content.replace(key.encode(), b"***")
        return error_from_response(
            provider=self.system,
            model=self.model,
            status=status,
            headers=headers,
            content=content,
            clock=self.clock,
        )

    def malformed(self, message: str, **fields: Any) -> MalformedResponse:
        """A ``MalformedResponse`` for this provider and model."""
        return MalformedResponse(message, provider=self.system, model=self.model, **fields)

    def __repr__(self) -> str:
        key = "***" if self._api_key else None
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r}, api_key={key!r})"
