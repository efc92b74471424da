"""``MockClock``: a manual, deterministic implementation of the ``Clock`` protocol for tests."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from agentkit.exceptions import UsageError

__all__ = ("MockClock",)

_DEFAULT_START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class MockClock:
    """A clock that moves only when told to: tests read deterministic times and never sleep.

    It satisfies `agentkit.Clock`: ``now()`` is timezone-aware wall time, ``monotonic()`` a reading in seconds
    that never goes backwards. ``advance(seconds)`` moves both forward; ``set(when)`` jumps the wall time only,
    as a real wall clock does when it is adjusted, so durations measured with ``monotonic()`` are unaffected.

    Args:
        start: The initial wall time (timezone-aware); 2026-01-01 00:00 UTC when omitted.
        monotonic_start: The initial ``monotonic()`` reading.
        tick: Seconds the clock moves forward by itself after every reading (``now()`` or ``monotonic()``), so
            code that measures a duration between two readings sees a positive, predictable one. ``0`` (the
            default) keeps the clock still between explicit ``advance`` calls.

    Raises:
        UsageError: ``start`` is naive (no ``tzinfo``), or ``tick`` is negative or not finite.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from agentkit import Clock
        >>> clock = MockClock(datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc))
        >>> isinstance(clock, Clock), clock.now().isoformat(), clock.monotonic()
        (True, '2026-05-14T09:30:00+00:00', 0.0)
        >>> clock.advance(1.5)
        >>> clock.now().isoformat(), clock.monotonic()
        ('2026-05-14T09:30:01.500000+00:00', 1.5)
        >>> clock.set(datetime(2027, 1, 1, tzinfo=timezone.utc))
        >>> clock.now().year, clock.monotonic()
        (2027, 1.5)
        >>> ticking = MockClock(tick=0.25)
        >>> ticking.monotonic(), ticking.monotonic()
        (0.0, 0.25)
    """

    __slots__ = ("_monotonic", "_now", "tick")

    def __init__(
        self,
        start: datetime | None = None,
        *,
        monotonic_start: float = 0.0,
        tick: float = 0.0,
    ) -> None:
        self._now = _DEFAULT_START if start is None else _aware(start)
        self._monotonic = float(monotonic_start)
        if not (math.isfinite(tick) and tick >= 0):
            raise UsageError(f"MockClock tick must be a finite number >= 0, got {tick!r}")
        self.tick = float(tick)

    def now(self) -> datetime:
        """Return the current (mock) wall time, timezone-aware."""
        value = self._now
        self._move(self.tick)
        return value

    def monotonic(self) -> float:
        """Return the current (mock) monotonic reading in seconds."""
        value = self._monotonic
        self._move(self.tick)
        return value

    def advance(self, seconds: float) -> None:
        """Move the wall time and the monotonic reading forward by ``seconds``.

        Raises:
            UsageError: ``seconds`` is negative or not finite (a monotonic clock never goes backwards).

        Examples:
            >>> clock = MockClock()
            >>> clock.advance(30)
            >>> clock.monotonic()
            30.0
        """
        if not (math.isfinite(seconds) and seconds >= 0):
            raise UsageError(
                f"MockClock.advance() needs a finite number of seconds >= 0, got {seconds!r}; "
                "use set() to move the wall time backwards"
            )
        self._move(seconds)

    def set(self, when: datetime) -> None:
        """Jump the wall time to ``when`` (timezone-aware); the monotonic reading does not change.

        Raises:
            UsageError: ``when`` is naive.

        Examples:
            >>> from datetime import datetime, timezone
            >>> clock = MockClock()
            >>> clock.set(datetime(2025, 12, 31, 23, 59, tzinfo=timezone.utc))
            >>> clock.now().isoformat()
            '2025-12-31T23:59:00+00:00'
        """
        self._now = _aware(when)

    def _move(self, seconds: float) -> None:
        if seconds:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    def __repr__(self) -> str:
        return f"MockClock(now={self._now.isoformat()!r}, monotonic={self._monotonic!r})"


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
        raise UsageError(
            f"MockClock needs a timezone-aware datetime, got naive {when.isoformat()!r}; "
            "pass tzinfo=timezone.utc"
        )
    return when
