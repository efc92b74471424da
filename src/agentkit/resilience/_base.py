"""What every policy shares: delegation to the wrapped provider and deadline-bounded calls."""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio

from agentkit.events import DeadlineExceededEvent
from agentkit.exceptions import ProviderTimeout
from agentkit.providers._base import ModelProfile, ModelRequest, ModelResponse, Provider
from agentkit.resilience._context import (
    DeadlineScope,
    current_deadline,
    emit,
    within_deadline,
)
from agentkit.resilience._errors import DeadlineExceeded, DeadlineStage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from agentkit.events import EventEmitter
    from agentkit.providers._base import StreamEvent

__all__ = ("PolicyProvider", "bounded_complete", "bounded_stream", "closing")


class PolicyProvider(Provider):
    """A provider that wraps another one: ``system``, ``model``, ``profile`` and ``secrets()`` are the wrapped one's.

    So redaction and telemetry see the real provider through any stack of policies.

    Examples:
        >>> from agentkit.resilience import Deadline, RetryPolicy
        >>> from agentkit.testing import FakeProvider
        >>> wrapped = RetryPolicy(Deadline(FakeProvider(["hi"], model="m1"), timeout=5))
        >>> wrapped.system, wrapped.model, wrapped.secrets()
        ('fake', 'm1', frozenset())
    """

    def __init__(self, inner: Provider, *, events: EventEmitter | None = None) -> None:
        self.inner = inner
        self.events = events

    @property
    def system(self) -> str:
        """The wrapped provider's name."""
        return self.inner.system

    @property
    def model(self) -> str:
        """The wrapped provider's model."""
        return self.inner.model

    @property
    def profile(self) -> ModelProfile:
        """The wrapped provider's capability profile."""
        return self.inner.profile

    def secrets(self) -> frozenset[str]:
        """The wrapped provider's secrets."""
        return self.inner.secrets()

    async def aclose(self) -> None:
        """Close the wrapped provider."""
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"


@asynccontextmanager
async def closing(stream: AsyncIterator[StreamEvent]) -> AsyncIterator[AsyncIterator[StreamEvent]]:
    """Close ``stream`` (an async generator) on the way out, so a provider's HTTP stream is released at once."""
    try:
        yield stream
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def _timed(request: ModelRequest, seconds: float) -> ModelRequest:
    current = request.settings.timeout
    if current is not None and current <= seconds:
        return request
    return dataclasses.replace(
        request, settings=dataclasses.replace(request.settings, timeout=max(seconds, 0.001))
    )


def _expired(
    provider: Provider,
    scope: DeadlineScope,
    stage: DeadlineStage,
    events: EventEmitter | None,
) -> DeadlineExceeded:
    emit(
        events,
        DeadlineExceededEvent,
        provider=provider.system,
        model=provider.model,
        stage=stage,
        timeout_s=scope.budget,
    )
    return DeadlineExceeded(
        provider=provider.system, model=provider.model, timeout=scope.budget, stage=stage
    )


async def bounded_complete(
    provider: Provider, request: ModelRequest, *, events: EventEmitter | None = None
) -> ModelResponse:
    """``provider.complete(request)`` bounded by the current deadline (which also sets the call's timeout)."""
    scope = current_deadline()
    if scope is None:
        return await provider.complete(request)
    left = scope.remaining()
    if left <= 0:
        raise _expired(provider, scope, "call", events)
    with anyio.move_on_after(left):
        return await provider.complete(_timed(request, left))
    raise _expired(provider, scope, "call", events)


async def bounded_stream(
    provider: Provider,
    request: ModelRequest,
    *,
    scope: DeadlineScope | None = None,
    idle_timeout: float | None = None,
    events: EventEmitter | None = None,
) -> AsyncIterator[StreamEvent]:
    """``provider.stream(request)`` with every step bounded by the deadline and by ``idle_timeout``.

    The deadline is made current around each step, so policies inside the stream see it.
    """
    scope = scope if scope is not None else current_deadline()
    if scope is not None:
        left = scope.remaining()
        if left <= 0:
            raise _expired(provider, scope, "call", events)
        request = _timed(request, left)
    async with closing(provider.stream(request)) as stream:
        iterator = stream.__aiter__()
        while True:
            limit = scope.remaining() if scope is not None else None
            if limit is not None and limit <= 0 and scope is not None:
                raise _expired(provider, scope, "stream", events)
            idle = idle_timeout is not None and (limit is None or idle_timeout < limit)
            if idle:
                limit = idle_timeout
            got = False
            with within_deadline(scope), anyio.move_on_after(limit if limit is not None else None):
                try:
                    event = await iterator.__anext__()
                except StopAsyncIteration:
                    return
                got = True
            if not got:
                if idle or scope is None:
                    raise ProviderTimeout(
                        f"no stream event for {idle_timeout:.3g}s (idle timeout)",
                        provider=provider.system,
                        model=provider.model,
                    )
                raise _expired(provider, scope, "stream", events)
            yield event
