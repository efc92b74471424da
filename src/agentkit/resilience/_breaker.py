"""``CircuitBreaker``: stop calling a provider+model that keeps failing, probe it again after a cooldown."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Literal

from agentkit.events import CircuitRejected, CircuitStateChanged
from agentkit.exceptions import ProviderError, UsageError
from agentkit.providers._base import StreamDone
from agentkit.resilience._base import PolicyProvider, bounded_complete, bounded_stream, closing
from agentkit.resilience._context import emit, resolve_clock
from agentkit.resilience._errors import CircuitOpen, DeadlineExceeded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from agentkit._clock import Clock
    from agentkit.events import EventEmitter
    from agentkit.providers._base import ModelRequest, ModelResponse, Provider, StreamEvent

__all__ = ("CircuitBreaker", "CircuitRegistry", "CircuitState")

CircuitState = Literal["closed", "open", "half_open"]
"""``closed``: calls go through; ``open``: calls fail fast; ``half_open``: a few probes go through."""


class _Circuit:
    __slots__ = ("opened_at", "outcomes", "probes", "state")

    def __init__(self, window: int) -> None:
        self.state: CircuitState = "closed"
        self.outcomes: deque[bool] = deque(maxlen=window)  # True = failure
        self.opened_at = 0.0
        self.probes = 0


class CircuitRegistry:
    """The circuits' state, per ``provider:model`` key; share one between breakers (and runs) to pool it.

    Examples:
        >>> registry = CircuitRegistry()
        >>> registry.state("openai:gpt-4.1")
        'closed'
    """

    def __init__(self) -> None:
        self._circuits: dict[str, _Circuit] = {}

    def _get(self, key: str, window: int) -> _Circuit:
        circuit = self._circuits.get(key)
        if circuit is None:
            circuit = self._circuits[key] = _Circuit(window)
        return circuit

    def state(self, key: str) -> CircuitState:
        """The state of the circuit for ``key`` (``"closed"`` when it was never used)."""
        circuit = self._circuits.get(key)
        return circuit.state if circuit is not None else "closed"

    def __repr__(self) -> str:
        return f"CircuitRegistry({ {k: c.state for k, c in self._circuits.items()}!r})"


def _default_is_failure(error: ProviderError) -> bool:
    if isinstance(error, DeadlineExceeded):
        return error.stage in ("call", "stream")  # the provider did not answer in time
    return error.retryable


class CircuitBreaker(PolicyProvider):
    """Fail fast while a provider+model keeps failing; probe it again after ``cooldown``.

    The breaker keeps the outcomes of the last ``window`` calls. When at least ``min_calls`` are known and the
    share of failures reaches ``failure_rate``, it opens: calls raise `CircuitOpen` at once, without being sent.
    After ``cooldown`` seconds it goes half-open and lets ``half_open_probes`` calls through; a probe that
    succeeds closes it, one that fails opens it again. Failures are ``ProviderError`` s for which
    ``is_failure`` is true (by default: retryable ones and calls cut by a deadline, i.e. the provider's fault,
    not the request's); other
    errors count for nothing. A stream counts when it ends.

    Args:
        inner: The provider to call.
        failure_rate: Share of failures (0 to 1) in the window that opens the circuit.
        window: How many recent calls are considered.
        min_calls: Calls needed in the window before it can open.
        cooldown: Seconds the circuit stays open before probing.
        half_open_probes: Calls let through at once while half-open.
        is_failure: Which errors count as failures.
        registry: Shared state (per key); a private one when omitted.
        clock: Where time is read (the `testing_mode` clock or the system clock by default).
        events: Emitter for ``circuit.state_changed`` / ``circuit.rejected``.

    Examples:
        >>> import anyio
        >>> from agentkit.exceptions import ProviderUnavailable
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.resilience import CircuitBreaker, CircuitOpen
        >>> from agentkit.testing import FakeProvider
        >>> down = FakeProvider([ProviderUnavailable("down", provider="fake")] * 2, model="m")
        >>> breaker = CircuitBreaker(down, min_calls=2, failure_rate=0.5)
        >>> async def call():
        ...     try:
        ...         await breaker.complete(ModelRequest(messages=[Message.user("hi")]))
        ...     except Exception as exc:
        ...         return type(exc).__name__
        >>> [anyio.run(call) for _ in range(3)], breaker.state
        (['ProviderUnavailable', 'ProviderUnavailable', 'CircuitOpen'], 'open')
    """

    def __init__(
        self,
        inner: Provider,
        *,
        failure_rate: float = 0.5,
        window: int = 20,
        min_calls: int = 5,
        cooldown: float = 30.0,
        half_open_probes: int = 1,
        is_failure: Callable[[ProviderError], bool] | None = None,
        registry: CircuitRegistry | None = None,
        clock: Clock | None = None,
        events: EventEmitter | None = None,
    ) -> None:
        super().__init__(inner, events=events)
        if not 0.0 < failure_rate <= 1.0:
            raise UsageError(f"CircuitBreaker failure_rate must be in (0, 1], got {failure_rate!r}")
        if window < 1 or min_calls < 1 or half_open_probes < 1:
            raise UsageError(
                "CircuitBreaker window, min_calls and half_open_probes must be >= 1, got "
                f"{window!r}, {min_calls!r}, {half_open_probes!r}"
            )
        if cooldown < 0:
            raise UsageError(f"CircuitBreaker cooldown must be >= 0, got {cooldown!r}")
        self.failure_rate = failure_rate
        self.window = window
        self.min_calls = min(min_calls, window)
        self.cooldown = cooldown
        self.half_open_probes = half_open_probes
        self.is_failure = is_failure or _default_is_failure
        self.registry = registry if registry is not None else CircuitRegistry()
        self._clock = clock

    @property
    def key(self) -> str:
        """``"provider:model"``: what the state is kept per."""
        return f"{self.inner.system}:{self.inner.model}"

    @property
    def state(self) -> CircuitState:
        """The circuit's state now (an open circuit past its cooldown reads ``half_open``)."""
        circuit = self.registry._get(self.key, self.window)
        self._refresh(circuit)
        return circuit.state

    def allows_request(self) -> bool:
        """Whether a call would be let through now (without using up a half-open probe)."""
        circuit = self.registry._get(self.key, self.window)
        self._refresh(circuit)
        if circuit.state == "closed":
            return True
        return circuit.state == "half_open" and circuit.probes < self.half_open_probes

    def rejection(self) -> CircuitOpen:
        """The `CircuitOpen` error a call would get now."""
        circuit = self.registry._get(self.key, self.window)
        retry_in = 0.0
        if circuit.state == "open":
            now = resolve_clock(self._clock).monotonic()
            retry_in = max(0.0, circuit.opened_at + self.cooldown - now)
        return CircuitOpen(
            provider=self.inner.system, model=self.inner.model, key=self.key, retry_in=retry_in
        )

    # ------------------------------------------------------------------------------------ state machine

    def _rate(self, circuit: _Circuit) -> float:
        return sum(circuit.outcomes) / len(circuit.outcomes) if circuit.outcomes else 0.0

    def _move(self, circuit: _Circuit, new: CircuitState) -> None:
        old = circuit.state
        if old == new:
            return
        rate, calls = self._rate(circuit), len(circuit.outcomes)
        circuit.state = new
        if new == "open":
            circuit.opened_at = resolve_clock(self._clock).monotonic()
        if new in ("open", "closed"):
            circuit.probes = 0
        if new == "closed":
            circuit.outcomes.clear()
        emit(
            self.events,
            CircuitStateChanged,
            key=self.key,
            old_state=old,
            new_state=new,
            failure_rate=rate,
            calls=calls,
        )

    def _refresh(self, circuit: _Circuit) -> None:
        if circuit.state == "open":
            now = resolve_clock(self._clock).monotonic()
            if now - circuit.opened_at >= self.cooldown:
                self._move(circuit, "half_open")

    def _admit(self) -> tuple[_Circuit, bool]:
        """Let a call through (returning whether it is a probe) or raise `CircuitOpen`."""
        circuit = self.registry._get(self.key, self.window)
        self._refresh(circuit)
        if circuit.state == "closed":
            return circuit, False
        if circuit.state == "half_open" and circuit.probes < self.half_open_probes:
            circuit.probes += 1
            return circuit, True
        error = self.rejection()
        emit(self.events, CircuitRejected, key=self.key, retry_in_s=error.retry_in)
        raise error

    def _record(self, circuit: _Circuit, probe: bool, outcome: bool | None) -> None:
        """Record a call's outcome: ``True`` failure, ``False`` success, ``None`` neither."""
        if probe:
            if circuit.state != "half_open":
                return
            if outcome is None:
                circuit.probes = max(0, circuit.probes - 1)
            elif outcome:
                self._move(circuit, "open")
            else:
                self._move(circuit, "closed")
            return
        if outcome is None or circuit.state != "closed":
            return
        circuit.outcomes.append(outcome)
        if len(circuit.outcomes) >= self.min_calls and self._rate(circuit) >= self.failure_rate:
            self._move(circuit, "open")

    def _outcome(self, error: BaseException) -> bool | None:
        if isinstance(error, ProviderError) and not isinstance(error, CircuitOpen):
            return True if self.is_failure(error) else None
        return None

    # ------------------------------------------------------------------------------------ Provider

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Call the provider unless the circuit is open; record the outcome."""
        circuit, probe = self._admit()
        outcome: bool | None = None
        try:
            response = await bounded_complete(self.inner, request, events=self.events)
            outcome = False
            return response
        except BaseException as exc:
            outcome = self._outcome(exc)
            raise
        finally:
            self._record(circuit, probe, outcome)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream from the provider unless the circuit is open; the outcome is recorded when the stream ends."""
        circuit, probe = self._admit()
        outcome: bool | None = None
        try:
            async with closing(bounded_stream(self.inner, request, events=self.events)) as stream:
                async for event in stream:
                    if isinstance(event, StreamDone):
                        outcome = False
                    yield event
        except BaseException as exc:
            if outcome is None:  # a consumer closing the stream after StreamDone is still a success
                outcome = self._outcome(exc)
            raise
        finally:
            self._record(circuit, probe, outcome)
