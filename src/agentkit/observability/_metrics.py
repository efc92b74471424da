"""In-process metrics computed from the event stream, with a Prometheus text exposition."""

from __future__ import annotations

import bisect
import importlib
import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from agentkit.events import BaseEvent

__all__ = ("DEFAULT_LATENCY_BUCKETS", "HistogramValue", "Metrics")

DEFAULT_LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
)  # fmt: skip
"""Upper bounds (seconds) of the latency histograms' buckets; ``+Inf`` is implied."""

_TOKEN_TYPES = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_tokens": "cache_read",
    "cache_write_tokens": "cache_write",
    "reasoning_tokens": "reasoning",
}
_MODEL_LABELS = ("provider", "model", "prompt", "prompt_version")

# name -> (type, help, label names)
_DEFINITIONS: dict[str, tuple[Literal["counter", "histogram"], str, tuple[str, ...]]] = {
    "agentkit_runs_total": (
        "counter",
        "Agent runs that ended, by status.",
        ("agent", "provider", "model", "status"),
    ),
    "agentkit_model_calls_total": (
        "counter",
        "Model calls, by outcome (success or error).",
        (*_MODEL_LABELS, "outcome"),
    ),
    "agentkit_model_call_duration_seconds": (
        "histogram",
        "Latency of successful model calls in seconds.",
        _MODEL_LABELS,
    ),
    "agentkit_tokens_total": (
        "counter",
        "Tokens used, by type (input, output, cache_read, cache_write, reasoning).",
        (*_MODEL_LABELS, "type"),
    ),
    "agentkit_tool_calls_total": (
        "counter",
        "Tool calls that ended, by outcome (success, or the failure reason, or cancelled).",
        ("tool", "outcome"),
    ),
    "agentkit_tool_call_duration_seconds": (
        "histogram",
        "Latency of tool calls in seconds (successful and failed).",
        ("tool",),
    ),
    "agentkit_tool_argument_rejections_total": (
        "counter",
        "Tool calls whose arguments did not validate (the model got a repair hint).",
        ("tool",),
    ),
    "agentkit_retries_total": (
        "counter",
        "Provider calls scheduled for another attempt, by error type.",
        ("provider", "model", "error_type"),
    ),
    "agentkit_retry_give_ups_total": (
        "counter",
        "Provider calls that failed for good, by reason.",
        ("provider", "model", "reason"),
    ),
    "agentkit_fallbacks_total": (
        "counter",
        "Moves from one provider to the next in a fallback chain.",
        ("from_provider", "to_provider", "reason"),
    ),
    "agentkit_budget_exceeded_total": ("counter", "Runs stopped by a limit, by limit.", ("limit",)),
}


@dataclass(frozen=True)
class HistogramValue:
    """A histogram's state: cumulative bucket counts, total count and sum.

    Attributes:
        buckets: Upper bounds of the buckets (``+Inf`` last).
        counts: How many observations were at most each bound (cumulative, as Prometheus counts them).
        count: How many observations there were.
        sum: The sum of the observations.

    Examples:
        >>> from agentkit.observability import HistogramValue
        >>> HistogramValue(buckets=(1.0, float("inf")), counts=(1, 2), count=2, sum=3.5).mean
        1.75
    """

    buckets: tuple[float, ...]
    counts: tuple[int, ...]
    count: int
    sum: float

    @property
    def mean(self) -> float | None:
        """The mean observation, or ``None`` when there is none."""
        return self.sum / self.count if self.count else None


@dataclass
class _Histogram:
    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    count: int = 0
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.total += value


@dataclass
class _Run:
    agent: str = ""
    provider: str = ""
    model: str = ""
    prompt: str = ""
    prompt_version: str = ""


class Metrics:
    """Counters and histograms computed from events: a sink with an in-process API and a Prometheus exposition.

    Give it to an agent as a sink (behind a `RedactingSink`); it reads ``run.started``, ``prompt.rendered``,
    ``model.responded`` / ``model.failed`` (latency, tokens by provider, model and prompt version),
    ``tool.call.*`` (latency and outcome by tool), ``retry.*``, ``fallback.triggered``, ``budget.exceeded`` and
    ``run.finished``. Token types are ``input``, ``output``, ``cache_read``, ``cache_write`` and ``reasoning``
    (``input`` and ``output`` include the others, as in `agentkit.messages.Usage`). Every metric and its labels
    are listed by `definitions`.

    The ``model`` label is the model the agent asked for, on success and failure alike (a provider's dated
    answer, such as ``gpt-4.1-2025-04-14``, does not split the series). The metrics can also be collected by
    ``prometheus_client``: ``registry.register(metrics)`` (or `register`) exposes them on its registry.

    Thread-safe; times come from the events, so metrics of a replayed run equal the original's. What it keeps
    per run in flight (labels) is dropped when the run ends, and at most ``max_runs_in_flight`` runs are kept
    (the oldest is forgotten first), so a process that runs forever uses bounded memory.

    Args:
        latency_buckets: Upper bounds (seconds) of the latency histograms' buckets.
        max_runs_in_flight: How many unfinished (or paused) runs' labels to keep.

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.messages import ToolCallPart, Usage
        >>> from agentkit.observability import Metrics
        >>> from agentkit.runtime import Agent
        >>> from agentkit.testing import FakeProvider
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> metrics = Metrics()
        >>> provider = FakeProvider([[ToolCallPart(id="c1", name="add", arguments='{"a": 2, "b": 3}')], "5"],
        ...                         usage=Usage(input_tokens=10, output_tokens=2))
        >>> _ = Agent(provider, tools=[add], sinks=[metrics]).run_sync("2 + 3?")
        >>> metrics.counter("agentkit_tokens_total", type="input"), metrics.counter("agentkit_model_calls_total")
        (20.0, 2.0)
        >>> metrics.success_rate("tool", tool="add"), metrics.histogram("agentkit_tool_call_duration_seconds").count
        (1.0, 1)
        >>> print(metrics.prometheus_text().splitlines()[0])
        # HELP agentkit_model_call_duration_seconds Latency of successful model calls in seconds.
    """

    content_type = "text/plain; version=0.0.4; charset=utf-8"
    """The HTTP ``Content-Type`` of `prometheus_text`."""

    definitions: Mapping[str, tuple[Literal["counter", "histogram"], str, tuple[str, ...]]] = (
        _DEFINITIONS
    )
    """Every metric: its type, help text and label names."""

    def __init__(
        self,
        *,
        latency_buckets: Iterable[float] = DEFAULT_LATENCY_BUCKETS,
        max_runs_in_flight: int = 10_000,
    ) -> None:
        bounds = tuple(sorted(float(b) for b in latency_buckets if not math.isinf(b)))
        if not bounds or len(set(bounds)) != len(bounds):
            raise UsageError(
                f"latency_buckets must be distinct finite numbers, got {tuple(latency_buckets)!r}"
            )
        if max_runs_in_flight < 1:
            raise UsageError(f"max_runs_in_flight must be at least 1, got {max_runs_in_flight!r}")
        self.latency_buckets = bounds
        self.max_runs_in_flight = max_runs_in_flight
        self._lock = threading.Lock()
        self._counters: dict[str, dict[tuple[str, ...], float]] = {}
        self._histograms: dict[str, dict[tuple[str, ...], _Histogram]] = {}
        self._runs: dict[str, _Run] = {}

    # ------------------------------------------------------------------------------------------ recording

    def _inc(self, name: str, labels: Sequence[str], value: float = 1.0) -> None:
        series = self._counters.setdefault(name, {})
        key = tuple(labels)
        series[key] = series.get(key, 0.0) + value

    def _observe(self, name: str, labels: Sequence[str], value: float) -> None:
        series = self._histograms.setdefault(name, {})
        key = tuple(labels)
        hist = series.get(key)
        if hist is None:
            hist = series[key] = _Histogram(self.latency_buckets)
        hist.observe(value)

    def __call__(self, event: BaseEvent, /) -> None:
        """Update the metrics from one event."""
        kind: str = getattr(event, "type", "")
        e: Any = event
        with self._lock:
            run = self._runs.get(event.run_id)
            if run is None:
                run = _Run()
                if kind == "run.started":
                    # Only a run's start opens its state, so stray events cannot grow it.
                    self._runs[event.run_id] = run
                    while len(self._runs) > self.max_runs_in_flight:
                        del self._runs[next(iter(self._runs))]
                elif kind == "model.responded":
                    run.model = e.model or ""  # a run that started before this sink was attached
            model_labels = (run.provider, run.model, run.prompt, run.prompt_version)
            if kind == "run.started":
                run.agent, run.provider, run.model = e.agent, e.provider, e.model or ""
            elif kind == "prompt.rendered":
                run.prompt, run.prompt_version = e.prompt_name, e.prompt_version
            elif kind == "model.requested":
                run.provider, run.model = e.provider, e.model or run.model
            elif kind == "model.responded":
                labels = model_labels  # the requested model, as for failures
                self._inc("agentkit_model_calls_total", (*labels, "success"))
                self._observe("agentkit_model_call_duration_seconds", labels, e.duration_s)
                for key, token_type in _TOKEN_TYPES.items():
                    value = e.usage.get(key, 0)
                    if value:
                        self._inc("agentkit_tokens_total", (*labels, token_type), value)
            elif kind == "model.failed":
                self._inc("agentkit_model_calls_total", (*model_labels, "error"))
            elif kind == "tool.call.succeeded":
                self._inc("agentkit_tool_calls_total", (e.tool_name, "success"))
                self._observe("agentkit_tool_call_duration_seconds", (e.tool_name,), e.duration_s)
            elif kind == "tool.call.failed":
                self._inc("agentkit_tool_calls_total", (e.tool_name, e.reason))
                self._observe("agentkit_tool_call_duration_seconds", (e.tool_name,), e.duration_s)
            elif kind == "tool.call.cancelled":
                self._inc("agentkit_tool_calls_total", (e.tool_name, "cancelled"))
            elif kind == "tool.arguments.rejected":
                self._inc("agentkit_tool_argument_rejections_total", (e.tool_name,))
            elif kind == "retry.scheduled":
                model = e.model or run.model
                self._inc("agentkit_retries_total", (e.provider, model, e.error_type))
            elif kind == "retry.gave_up":
                model = e.model or run.model
                self._inc("agentkit_retry_give_ups_total", (e.provider, model, e.reason))
            elif kind == "fallback.triggered":
                self._inc(
                    "agentkit_fallbacks_total", (e.from_provider, e.to_provider or "", e.reason)
                )
            elif kind == "budget.exceeded":
                self._inc("agentkit_budget_exceeded_total", (e.limit,))
            elif kind == "run.finished":
                self._inc("agentkit_runs_total", (run.agent, run.provider, run.model, e.status))
                if e.status != "paused":  # a resumed run keeps its prompt labels
                    self._runs.pop(event.run_id, None)

    # ------------------------------------------------------------------------------------------ reading

    def _matching(self, name: str, labels: Mapping[str, str]) -> list[tuple[str, ...]]:
        definition = _DEFINITIONS.get(name)
        if definition is None:
            raise UsageError(
                f"unknown metric {name!r}; known metrics: {', '.join(sorted(_DEFINITIONS))}"
            )
        names = definition[2]
        unknown = set(labels) - set(names)
        if unknown:
            raise UsageError(
                f"metric {name!r} has no label {sorted(unknown)[0]!r}; its labels: {', '.join(names)}"
            )
        index = [(names.index(k), v) for k, v in labels.items()]
        store: Mapping[tuple[str, ...], object] = (
            self._counters.get(name, {})
            if definition[0] == "counter"
            else self._histograms.get(name, {})
        )
        return [key for key in store if all(key[i] == v for i, v in index)]

    def counter(self, name: str, /, **labels: str) -> float:
        """The value of a counter, summed over every series matching ``labels`` (all series when none).

        Raises:
            UsageError: The metric or a label name is unknown.
        """
        with self._lock:
            series = self._counters.get(name, {})
            return float(sum(series[key] for key in self._matching(name, labels)))

    def histogram(self, name: str, /, **labels: str) -> HistogramValue:
        """A histogram merged over every series matching ``labels`` (all series when none).

        Raises:
            UsageError: The metric or a label name is unknown.
        """
        with self._lock:
            series = self._histograms.get(name, {})
            counts = [0] * (len(self.latency_buckets) + 1)
            count, total = 0, 0.0
            for key in self._matching(name, labels):
                hist = series[key]
                counts = [a + b for a, b in zip(counts, hist.counts, strict=True)]
                count += hist.count
                total += hist.total
        cumulative = tuple(sum(counts[: i + 1]) for i in range(len(counts)))
        return HistogramValue(
            buckets=(*self.latency_buckets, math.inf), counts=cumulative, count=count, sum=total
        )

    def success_rate(self, kind: Literal["model", "tool", "run"], /, **labels: str) -> float | None:
        """The share of successful model calls, tool calls or completed runs matching ``labels``.

        ``None`` when there was none. Paused runs count as neither success nor failure.
        """
        name, label, good = {
            "model": ("agentkit_model_calls_total", "outcome", "success"),
            "tool": ("agentkit_tool_calls_total", "outcome", "success"),
            "run": ("agentkit_runs_total", "status", "completed"),
        }[kind]
        labels = {k: v for k, v in labels.items() if k != label}
        total = self.counter(name, **labels)
        if kind == "run":
            total -= self.counter(name, **labels, status="paused")
        return self.counter(name, **labels, **{label: good}) / total if total else None

    def reset(self) -> None:
        """Forget every value (the runs in flight included)."""
        with self._lock:
            self._counters.clear()
            self._histograms.clear()
            self._runs.clear()

    # ------------------------------------------------------------------------------------------ exposition

    def prometheus_text(self) -> str:
        r"""Every metric in the Prometheus text exposition format 0.0.4 (serve it with `content_type`).

        Metrics without a value yet are left out; series are sorted, so the text is deterministic.

        Examples:
            >>> from agentkit.events import EventEmitter, ToolCallSucceeded
            >>> from agentkit.observability import Metrics
            >>> metrics = Metrics(latency_buckets=[0.1, 1.0])
            >>> _ = EventEmitter(run_id="r", sinks=[metrics]).emit(
            ...     ToolCallSucceeded, tool_name='say "hi"', duration_s=0.5, output_chars=2)
            >>> print(metrics.prometheus_text())
            # HELP agentkit_tool_call_duration_seconds Latency of tool calls in seconds (successful and failed).
            # TYPE agentkit_tool_call_duration_seconds histogram
            agentkit_tool_call_duration_seconds_bucket{tool="say \"hi\"",le="0.1"} 0
            agentkit_tool_call_duration_seconds_bucket{tool="say \"hi\"",le="1.0"} 1
            agentkit_tool_call_duration_seconds_bucket{tool="say \"hi\"",le="+Inf"} 1
            agentkit_tool_call_duration_seconds_sum{tool="say \"hi\""} 0.5
            agentkit_tool_call_duration_seconds_count{tool="say \"hi\""} 1
            # HELP agentkit_tool_calls_total Tool calls that ended, by outcome (success, or the failure reason, or cancelled).
            # TYPE agentkit_tool_calls_total counter
            agentkit_tool_calls_total{tool="say \"hi\"",outcome="success"} 1
            <BLANKLINE>
        """
        lines: list[str] = []
        with self._lock:
            for name in sorted({*self._counters, *self._histograms}):
                kind, help_text, label_names = _DEFINITIONS[name]
                lines.append(f"# HELP {name} {_escape_help(help_text)}")
                lines.append(f"# TYPE {name} {kind}")
                if kind == "counter":
                    for key, value in sorted(self._counters[name].items()):
                        lines.append(f"{name}{_labels(label_names, key)} {_number(value)}")
                    continue
                for key, hist in sorted(self._histograms[name].items()):
                    running = 0
                    for bound, count in zip((*hist.bounds, math.inf), hist.counts, strict=True):
                        running += count
                        le = _labels((*label_names, "le"), (*key, _bound(bound)))
                        lines.append(f"{name}_bucket{le} {running}")
                    lines.append(f"{name}_sum{_labels(label_names, key)} {_number(hist.total)}")
                    lines.append(f"{name}_count{_labels(label_names, key)} {hist.count}")
        return "\n".join(lines) + "\n" if lines else ""

    # ------------------------------------------------------------------------------------------ prometheus_client

    def describe(self) -> list[Any]:
        """Every metric, without samples: how ``prometheus_client``'s registry learns the names it collects.

        Raises:
            ImportError: ``prometheus_client`` is not installed.
        """
        return self._families(samples=False)

    def collect(self) -> list[Any]:
        """The metrics as ``prometheus_client`` metric families, for a registry to expose (a custom collector).

        Raises:
            ImportError: ``prometheus_client`` is not installed.
        """
        return self._families(samples=True)

    def register(self, registry: Any = None) -> None:
        """Register the metrics with a ``prometheus_client`` registry (its default ``REGISTRY`` when omitted).

        Args:
            registry: A ``prometheus_client.CollectorRegistry``.

        Raises:
            ImportError: ``prometheus_client`` is not installed.
            ValueError: The registry already has a metric of the same name (``prometheus_client``'s check).
        """
        if registry is None:
            registry = _prometheus_core().REGISTRY
        registry.register(self)

    def _families(self, *, samples: bool) -> list[Any]:
        core = _prometheus_core()
        families: list[Any] = []
        with self._lock:
            for name, (kind, help_text, label_names) in sorted(_DEFINITIONS.items()):
                if kind == "counter":
                    counter = core.CounterMetricFamily(name, help_text, labels=label_names)
                    for key, value in (
                        sorted(self._counters.get(name, {}).items()) if samples else ()
                    ):
                        counter.add_metric(list(key), value)
                    families.append(counter)
                    continue
                histogram = core.HistogramMetricFamily(name, help_text, labels=label_names)
                for key, hist in sorted(self._histograms.get(name, {}).items()) if samples else ():
                    buckets, running = [], 0
                    for bound, count in zip((*hist.bounds, math.inf), hist.counts, strict=True):
                        running += count
                        buckets.append((_bound(bound), running))
                    histogram.add_metric(list(key), buckets, hist.total)
                families.append(histogram)
        return families

    def __repr__(self) -> str:
        return f"Metrics(series={sum(map(len, self._counters.values())) + sum(map(len, self._histograms.values()))})"


def _prometheus_core() -> Any:
    try:
        core = importlib.import_module("prometheus_client.core")
    except ImportError as exc:
        # Not an agentkit extra: Metrics serves its own text without it; this is only for its registry.
        raise ImportError(
            "registering agentkit metrics with prometheus_client needs it installed: pip install prometheus-client"
        ) from exc
    return core


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    return (
        "{"
        + ",".join(f'{n}="{_escape_label(v)}"' for n, v in zip(names, values, strict=True))
        + "}"
    )


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _bound(value: float) -> str:
    return "+Inf" if math.isinf(value) else repr(float(value))
