"""Errors the resilience layer raises itself, as members of the ``ProviderError`` tree.

```text
ProviderError
├── CircuitOpen            a circuit breaker is open: the call was failed fast, never sent
└── ProviderTimeout
    └── DeadlineExceeded   the deadline ran out (in a call, a stream, or a retry / limiter wait)
```

Both are ``retryable=False``: trying again at once cannot help. Both pickle with their typed fields.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from agentkit.exceptions import ProviderError, ProviderTimeout

__all__ = ("CircuitOpen", "DeadlineExceeded", "DeadlineStage")

DeadlineStage = Literal["call", "stream", "retry_wait", "limiter_wait"]
"""Where a deadline ran out."""


class CircuitOpen(ProviderError):
    """The circuit breaker for ``key`` is open: the call failed fast, without being sent.

    Attributes:
        key: The breaker's key (``"provider:model"``).
        retry_in: Seconds until the breaker lets a probe through.

    Examples:
        >>> import pickle
        >>> err = CircuitOpen(provider="openai", model="gpt-4.1", key="openai:gpt-4.1", retry_in=12.5)
        >>> print(err)
        openai (gpt-4.1): circuit 'openai:gpt-4.1' is open; next probe in 12.5s
        >>> err.retryable, pickle.loads(pickle.dumps(err)).retry_in
        (False, 12.5)
    """

    _fields: ClassVar[tuple[str, ...]] = ("provider", "model", "key", "retry_in")

    def __init__(self, *, provider: str, model: str | None, key: str, retry_in: float) -> None:
        super().__init__(
            f"circuit {key!r} is open; next probe in {retry_in:.3g}s",
            provider=provider,
            model=model,
            retryable=False,
        )
        self.key = key
        self.retry_in = retry_in


class DeadlineExceeded(ProviderTimeout):
    """The deadline ran out before the provider call could finish.

    Attributes:
        timeout: The deadline's budget in seconds (as it was set).
        stage: Where it ran out: ``"call"``, ``"stream"``, ``"retry_wait"`` or ``"limiter_wait"``.

    Examples:
        >>> err = DeadlineExceeded(provider="anthropic", model="claude", timeout=2.0, stage="retry_wait")
        >>> print(err)
        anthropic (claude): deadline of 2s exceeded (retry_wait)
        >>> isinstance(err, TimeoutError), err.retryable
        (True, False)
    """

    _fields: ClassVar[tuple[str, ...]] = ("provider", "model", "timeout", "stage")

    def __init__(
        self, *, provider: str, model: str | None, timeout: float, stage: DeadlineStage
    ) -> None:
        super().__init__(
            f"deadline of {timeout:.3g}s exceeded ({stage})",
            provider=provider,
            model=model,
            retryable=False,
        )
        self.timeout = timeout
        self.stage: DeadlineStage = stage
