"""``Fallback``: try a chain of providers in order, on errors and on answers that are not good enough."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agentkit.events import FallbackTriggered
from agentkit.exceptions import ProviderError, UsageError
from agentkit.messages import RefusalPart
from agentkit.providers._base import ModelResponse, StreamDone
from agentkit.resilience._base import PolicyProvider, bounded_complete, bounded_stream, closing
from agentkit.resilience._breaker import CircuitBreaker
from agentkit.resilience._context import current_deadline, emit
from agentkit.resilience._errors import CircuitOpen, DeadlineExceeded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from agentkit.events import EventEmitter
    from agentkit.providers._base import ModelRequest, Provider, StreamEvent

__all__ = ("Fallback", "ResponsePredicate", "empty_answer", "refusal")

ResponsePredicate = Callable[[ModelResponse], bool]
"""A check on an answer: ``True`` rejects it and moves on to the next provider."""


def empty_answer(response: ModelResponse) -> bool:
    """Whether the answer has neither text nor tool calls (a predicate for ``Fallback(reject=...)``).

    Examples:
        >>> from agentkit.providers import ModelResponse
        >>> empty_answer(ModelResponse(provider="x"))
        True
    """
    return not response.text.strip() and not response.tool_calls


def refusal(response: ModelResponse) -> bool:
    """Whether the model refused (a refusal part or finish reason; a predicate for ``Fallback(reject=...)``).

    Examples:
        >>> from agentkit.messages import RefusalPart
        >>> from agentkit.providers import ModelResponse
        >>> refusal(ModelResponse(parts=(RefusalPart(text="I can't."),), provider="x"))
        True
    """
    return response.finish_reason == "refusal" or any(
        isinstance(part, RefusalPart) for part in response.parts
    )


def _open_breaker(provider: Provider) -> CircuitBreaker | None:
    """The first open circuit breaker in ``provider``'s chain of wrappers, if any."""
    seen = 0
    current: object = provider
    while current is not None and seen < 32:
        if isinstance(current, CircuitBreaker) and not current.allows_request():
            return current
        if isinstance(current, Fallback):
            return None
        current = getattr(current, "inner", None)
        seen += 1
    return None


class Fallback(PolicyProvider):
    """Try providers in order: move on when one raises a ``fallback_on`` error or its answer is rejected.

    A provider whose circuit breaker is open is skipped without being called. Nothing falls back once a stream
    delivered an event to the caller, and a `DeadlineExceeded` is raised at once when the deadline in force
    around the chain has run out (no time is left for the others). When every provider failed, the last error is raised; when some answered but were rejected, the
    last rejected answer is returned. ``system``, ``model`` and ``profile`` are the first provider's;
    ``secrets()`` holds every provider's, so redaction masks the keys of the whole chain.

    Args:
        providers: The chain, primary first (at least one).
        fallback_on: Error types that move on to the next provider.
        reject: Predicates on answers (`empty_answer`, `refusal`, your own): one that returns ``True`` rejects
            the answer; its ``__name__`` is the ``detail`` of the ``fallback.triggered`` event.
        events: Emitter for ``fallback.triggered``.

    Examples:
        >>> import anyio
        >>> from agentkit.exceptions import Overloaded
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.resilience import Fallback, empty_answer
        >>> from agentkit.testing import FakeProvider
        >>> chain = Fallback([FakeProvider([Overloaded("busy", provider="a")], model="a"),
        ...                   FakeProvider([""], model="b"), FakeProvider(["Paris."], model="c")],
        ...                  reject=[empty_answer])
        >>> anyio.run(chain.complete, ModelRequest(messages=[Message.user("Capital?")])).text
        'Paris.'
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        fallback_on: tuple[type[BaseException], ...] = (ProviderError,),
        reject: Sequence[ResponsePredicate] = (),
        events: EventEmitter | None = None,
    ) -> None:
        if not providers:
            raise UsageError("Fallback needs at least one provider")
        super().__init__(providers[0], events=events)
        self.providers = tuple(providers)
        self.fallback_on = fallback_on
        self.reject = tuple(reject)

    def secrets(self) -> frozenset[str]:
        """The secrets of every provider in the chain.

        Examples:
            >>> from agentkit.resilience import Fallback
            >>> from agentkit.testing import FakeProvider
            >>> Fallback([FakeProvider(), FakeProvider()]).secrets()
            frozenset()
        """
        return frozenset().union(*(provider.secrets() for provider in self.providers))

    def _rejected_by(self, response: ModelResponse) -> str | None:
        for predicate in self.reject:
            if predicate(response):
                return getattr(predicate, "__name__", repr(predicate))
        return None

    def _moved(self, index: int, reason: str, detail: str) -> None:
        current = self.providers[index]
        following = self.providers[index + 1] if index + 1 < len(self.providers) else None
        emit(
            self.events,
            FallbackTriggered,
            from_provider=current.system,
            from_model=current.model,
            to_provider=following.system if following is not None else None,
            to_model=following.model if following is not None else None,
            reason=reason,
            detail=detail,
        )

    def _on_error(self, index: int, error: BaseException) -> bool:
        """Whether to move on after ``error`` (emitting the event when so)."""
        if not isinstance(error, self.fallback_on):
            return False
        scope = current_deadline()
        if isinstance(error, DeadlineExceeded) and scope is not None and scope.expired:
            return False  # no time is left for the others
        reason = "circuit_open" if isinstance(error, CircuitOpen) else "error"
        self._moved(index, reason, type(error).__name__)
        return True

    def _skip_open(self, index: int) -> CircuitOpen | None:
        breaker = _open_breaker(self.providers[index])
        if breaker is None:
            return None
        self._moved(index, "circuit_open", breaker.key)
        return breaker.rejection()

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The first acceptable answer of the chain."""
        last_error: BaseException | None = None
        rejected: ModelResponse | None = None
        for index, provider in enumerate(self.providers):
            skipped = self._skip_open(index)
            if skipped is not None:
                last_error = skipped
                continue
            try:
                response = await bounded_complete(provider, request, events=self.events)
            except Exception as exc:
                if not self._on_error(index, exc):
                    raise
                last_error = exc
                continue
            name = self._rejected_by(response)
            if name is None:
                return response
            self._moved(index, "response", name)
            rejected = response
        if rejected is not None:
            return rejected
        assert last_error is not None
        raise last_error

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream from the first provider that works; never fall back after an event reached the caller."""
        last_error: BaseException | None = None
        rejected: ModelResponse | None = None
        for index, provider in enumerate(self.providers):
            skipped = self._skip_open(index)
            if skipped is not None:
                last_error = skipped
                continue
            yielded = False
            try:
                async with closing(bounded_stream(provider, request, events=self.events)) as stream:
                    async for event in stream:
                        if isinstance(event, StreamDone) and not yielded:
                            name = self._rejected_by(event.response)
                            if name is not None:
                                self._moved(index, "response", name)
                                rejected = event.response
                                break
                        yielded = True
                        yield event
                    else:
                        return
                    continue
            except Exception as exc:
                if yielded or not self._on_error(index, exc):
                    raise
                last_error = exc
        if rejected is not None:
            yield StreamDone(rejected)
            return
        assert last_error is not None
        raise last_error
