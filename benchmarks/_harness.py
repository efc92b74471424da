"""Interleaved, ratio-based measurement for a noisy machine.

This machine's speed swings by up to 2x within a second, so a single timing means little. Every scenario runs in
*rounds*: in each round every contender runs one small batch (a few milliseconds), in an order rotated from round
to round, and each contender's time per call is divided by the floor's time per call *in the same round*. Slow and
fast moments hit both sides of a ratio alike; we report the median ratio with its 25th and 75th percentiles.

Async contenders are awaited in a tight loop inside one running event loop, so loop start-up is never measured.
Import times are taken inside fresh interpreters (``perf_counter`` around the import statement), one subprocess
per sample, interleaved the same way.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ("Result", "measure_async", "measure_imports", "measure_sync", "summarize")

perf_counter = time.perf_counter


@dataclass
class Result:
    """Per-round samples of one contender in one scenario."""

    name: str
    per_call: list[float] = field(default_factory=list)  # seconds per call, one per round
    ratios: list[float] = field(default_factory=list)  # per-round ratio to the floor
    batch: int = 1
    error: str | None = None


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(result: Result) -> dict[str, Any]:
    """Median, p25 and p75 of the ratios, and the median time per call in microseconds."""
    if result.error is not None or not result.ratios:
        return {"name": result.name, "status": result.error or "no samples"}
    return {
        "name": result.name,
        "status": "ok",
        "ratio_median": statistics.median(result.ratios),
        "ratio_p25": _quantile(result.ratios, 0.25),
        "ratio_p75": _quantile(result.ratios, 0.75),
        "us_per_call_median": statistics.median(result.per_call) * 1e6,
        "rounds": len(result.ratios),
        "calls_per_batch": result.batch,
    }


def _batch_size(seconds_per_call: float, target: float) -> int:
    return max(1, min(10_000, round(target / max(seconds_per_call, 1e-9))))


async def measure_async(
    contenders: Sequence[tuple[str, Callable[[str], Awaitable[str]]]],
    raw: str,
    *,
    duration: float,
    batch_seconds: float = 0.003,
) -> list[Result]:
    """Interleave async contenders (the first is the floor) for about ``duration`` seconds in the running loop."""
    results = [Result(name) for name, _ in contenders]
    calls = [call for _, call in contenders]
    # Warm up (first calls build caches, start worker threads) and calibrate each batch to ~batch_seconds.
    for result, call in zip(results, calls, strict=True):
        for _ in range(20):
            await call(raw)
        n = 50
        start = perf_counter()
        for _ in range(n):
            await call(raw)
        result.batch = _batch_size((perf_counter() - start) / n, batch_seconds)
    order = list(range(len(calls)))
    deadline = perf_counter() + duration
    rnd = 0
    while perf_counter() < deadline or rnd < 5:
        k = rnd % len(order)
        times = [0.0] * len(calls)
        for i in order[k:] + order[:k]:
            call, n = calls[i], results[i].batch
            start = perf_counter()
            for _ in range(n):
                await call(raw)
            times[i] = (perf_counter() - start) / n
        for i, result in enumerate(results):
            result.per_call.append(times[i])
            result.ratios.append(times[i] / times[0])
        rnd += 1
    return results


def measure_sync(
    contenders: Sequence[tuple[str, Callable[[], Any]]],
    *,
    duration: float,
    batch_seconds: float = 0.004,
) -> list[Result]:
    """Interleave plain callables (the first is the floor) for about ``duration`` seconds."""
    results = [Result(name) for name, _ in contenders]
    calls = [call for _, call in contenders]
    for result, call in zip(results, calls, strict=True):
        for _ in range(3):
            call()
        n = 5
        start = perf_counter()
        for _ in range(n):
            call()
        result.batch = _batch_size((perf_counter() - start) / n, batch_seconds)
    order = list(range(len(calls)))
    deadline = perf_counter() + duration
    rnd = 0
    while perf_counter() < deadline or rnd < 5:
        k = rnd % len(order)
        times = [0.0] * len(calls)
        for i in order[k:] + order[:k]:
            call, n = calls[i], results[i].batch
            start = perf_counter()
            for _ in range(n):
                call()
            times[i] = (perf_counter() - start) / n
        for i, result in enumerate(results):
            result.per_call.append(times[i])
            result.ratios.append(times[i] / times[0])
        rnd += 1
    return results


_IMPORT_PROBE = "import time\n_t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)\n"


def _import_once(code: str) -> float:
    # Bytecode caches are written (and then read), as in any installed environment: with PYTHONDONTWRITEBYTECODE
    # set (CI machines often set it), an editable source tree would be compiled again at every import, while the
    # peers and pydantic, compiled by pip at install, would not.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    if proc.returncode != 0:
        lines = (proc.stderr or "").strip().splitlines() or ["exit code " + str(proc.returncode)]
        raise RuntimeError(lines[-1][:160])
    return float(proc.stdout.strip().splitlines()[-1])


def measure_imports(
    contenders: Sequence[tuple[str, str, int]],
    *,
    rounds: int,
) -> list[Result]:
    """Import time of each ``(name, code, every)`` in fresh interpreters; the first is the floor.

    A contender with ``every=k`` is sampled only every k-th round (heavy peers, shown for context); its ratio uses
    the floor's sample from the same round.
    """
    results = [Result(name) for name, _, _ in contenders]
    for result, (_, code, _) in zip(results, contenders, strict=True):
        try:
            _import_once(code)  # warm the bytecode caches and fail early on a broken import
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:  # noqa: PERF203 - once per contender
            result.error = f"unavailable ({exc})"
    live = [i for i, r in enumerate(results) if r.error is None]
    if 0 not in live:
        return results
    for rnd in range(rounds):
        active = [i for i in live if rnd % contenders[i][2] == 0]
        k = rnd % len(active)
        times: dict[int, float] = {}
        for i in active[k:] + active[:k]:
            times[i] = _import_once(contenders[i][1])
        for i, t in times.items():
            results[i].per_call.append(t)
            results[i].ratios.append(t / times[0])
    return results
