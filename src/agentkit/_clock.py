"""Time, injected: everything in agentkit reads time from a ``Clock`` so tests never sleep or race the wall."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

__all__ = ("Clock", "SystemClock", "system_clock")


@runtime_checkable
class Clock(Protocol):
    """Where agentkit reads time from.

    ``now()`` stamps events; ``monotonic()`` measures durations. ``agentkit.testing.MockClock`` is a manual
    implementation for tests.

    Examples:
        >>> from agentkit import SystemClock
        >>> clock = SystemClock()
        >>> clock.now().tzinfo is not None
        True
    """

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Return seconds from an arbitrary origin that never goes backwards."""
        ...


class SystemClock:
    """The real clock: UTC wall time and ``time.monotonic``.

    Examples:
        >>> from agentkit import SystemClock
        >>> a = SystemClock().monotonic(); b = SystemClock().monotonic()
        >>> b >= a
        True
    """

    __slots__ = ()

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


system_clock = SystemClock()
"""The shared default clock."""
