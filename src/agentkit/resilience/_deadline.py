"""``Deadline``: a time budget for each call through it, which bounds every wait and call beneath."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentkit.exceptions import UsageError
from agentkit.resilience._base import PolicyProvider, bounded_complete, bounded_stream, closing
from agentkit.resilience._context import DeadlineScope, current_deadline, within_deadline

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from agentkit._clock import Clock
    from agentkit.events import EventEmitter
    from agentkit.providers._base import ModelRequest, ModelResponse, Provider, StreamEvent

__all__ = ("Deadline",)


class Deadline(PolicyProvider):
    """Give every call ``timeout`` seconds in all (never more than a deadline already in force).

    Inside, the remaining time bounds every retry wait, limiter wait and provider call, and is passed down as
    ``ModelSettings.timeout`` (which the HTTP adapters use as their read timeout, so it is also the stream's idle
    timeout). ``idle_timeout`` additionally bounds the silence between two stream events. Put it outermost for
    a budget over all retries and fallbacks, or inside a `RetryPolicy` for a per-attempt timeout. Running out
    raises `DeadlineExceeded` (a ``ProviderTimeout``).

    Args:
        inner: The provider to call.
        timeout: Seconds per call.
        idle_timeout: Most seconds between two stream events (``None``: only the deadline).
        clock: Where time is read (the `testing_mode` clock or the system clock by default).
        events: Emitter for ``deadline.exceeded``.

    Examples:
        >>> import anyio
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.resilience import Deadline
        >>> from agentkit.testing import FunctionProvider
        >>> seen = []
        >>> def answer(request):
        ...     seen.append(request.settings.timeout)
        ...     return "ok"
        >>> bounded = Deadline(FunctionProvider(answer), timeout=5.0)
        >>> anyio.run(bounded.complete, ModelRequest(messages=[Message.user("hi")])).text, 0 < seen[0] <= 5.0
        ('ok', True)
    """

    def __init__(
        self,
        inner: Provider,
        *,
        timeout: float,
        idle_timeout: float | None = None,
        clock: Clock | None = None,
        events: EventEmitter | None = None,
    ) -> None:
        super().__init__(inner, events=events)
        if idle_timeout is not None and idle_timeout <= 0:
            raise UsageError(f"Deadline idle_timeout must be > 0 or None, got {idle_timeout!r}")
        DeadlineScope(timeout)  # validates
        self.timeout = timeout
        self.idle_timeout = idle_timeout
        self._clock = clock

    def _scope(self) -> DeadlineScope:
        return DeadlineScope(self.timeout, clock=self._clock, parent=current_deadline())

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Call the provider within the deadline."""
        with within_deadline(self._scope()):
            return await bounded_complete(self.inner, request, events=self.events)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream from the provider within the deadline (and the idle timeout)."""
        async with closing(
            bounded_stream(
                self.inner,
                request,
                scope=self._scope(),
                idle_timeout=self.idle_timeout,
                events=self.events,
            )
        ) as stream:
            async for event in stream:
                yield event
