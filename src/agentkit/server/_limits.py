"""Request size limits and per-client rate limits: `ServerLimits` and the pieces that enforce it."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentkit._clock import system_clock
from agentkit.exceptions import UsageError
from agentkit.server._problems import PROBLEM_JSON, Problem, encode, problem_body

if TYPE_CHECKING:
    from agentkit._clock import Clock

__all__ = ("BodyLimit", "RateLimits", "ServerLimits")


@dataclass(frozen=True)
class ServerLimits:
    """What one client may send: request sizes, request rates, and how long shutdown waits for runs.

    Attributes:
        max_body_bytes: Largest request body; a larger one is a 413 (checked on ``Content-Length`` and on the
            bytes actually received).
        requests_per_minute: Sustained requests per client (a token bucket); ``None`` for no limit.
        burst: Requests a client may make at once before the rate applies (the bucket's size).
        max_concurrent_runs: Agent runs in progress at once on this server; more is a 429.
        shutdown_grace: Seconds shutdown lets running runs finish; the rest are cancelled, their events
            (ending with ``run.finished`` ``cancelled``) stored.
        clock: Where the rate limiter reads time (a `agentkit.testing.MockClock` in tests).

    Examples:
        >>> from agentkit.server import ServerLimits
        >>> ServerLimits().max_body_bytes
        1048576
        >>> ServerLimits(requests_per_minute=0)
        Traceback (most recent call last):
        ...
        agentkit.exceptions.UsageError: ServerLimits.requests_per_minute must be > 0 (or None for no limit), got 0
    """

    max_body_bytes: int = 1024 * 1024
    requests_per_minute: float | None = 600.0
    burst: int = 60
    max_concurrent_runs: int = 64
    shutdown_grace: float = 30.0
    clock: Clock = field(default=system_clock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise UsageError(
                f"ServerLimits.max_body_bytes must be >= 1, got {self.max_body_bytes!r}"
            )
        rpm = self.requests_per_minute
        if rpm is not None and not (math.isfinite(rpm) and rpm > 0):
            raise UsageError(
                f"ServerLimits.requests_per_minute must be > 0 (or None for no limit), got {rpm!r}"
            )
        if self.burst < 1:
            raise UsageError(f"ServerLimits.burst must be >= 1, got {self.burst!r}")
        if self.max_concurrent_runs < 1:
            raise UsageError(
                f"ServerLimits.max_concurrent_runs must be >= 1, got {self.max_concurrent_runs!r}"
            )
        if not (math.isfinite(self.shutdown_grace) and self.shutdown_grace >= 0):
            raise UsageError(
                f"ServerLimits.shutdown_grace must be >= 0, got {self.shutdown_grace!r}"
            )


class RateLimits:
    """One token bucket per client; `check` takes a token or raises a 429 `Problem` with ``Retry-After``."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Take one request's token for ``client``.

        Raises:
            Problem: 429, with the seconds until the next token in ``Retry-After``.
        """
        rpm = self.limits.requests_per_minute
        if rpm is None:
            return
        rate = rpm / 60.0
        burst = float(self.limits.burst)
        now = self.limits.clock.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(client, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / rate)
                raise Problem(
                    429,
                    f"rate limit exceeded: {rpm:g} requests per minute per client; retry in {wait} s",
                    kind="rate-limited",
                    headers={"Retry-After": str(wait)},
                )
            self._buckets[client] = (tokens - 1.0, now)


class BodyLimit:
    """ASGI middleware: a request body larger than ``max_bytes`` gets a 413 problem, however it is sent."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    await self._too_large(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._problem()
            return message

        async def watched_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except Problem:
            if started:
                raise
            await self._too_large(send)

    def _problem(self) -> Problem:
        return Problem(
            413, f"the request body is larger than {self.max_bytes} bytes", kind="body-too-large"
        )

    async def _too_large(self, send: Any) -> None:
        body = encode(problem_body(self._problem()))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
