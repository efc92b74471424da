"""The logging and metrics sinks turn a real agent run's events into log records and metrics."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from agentkit import ToolFailed, tool
from agentkit.events import EventEmitter, RetryScheduled, RunFinished, ToolCallFailed
from agentkit.exceptions import UsageError
from agentkit.messages import ToolCallPart, Usage
from agentkit.observability import LoggingSink, Metrics, RedactingSink
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def flaky(x: int) -> int:
    """Always fails."""
    raise ToolFailed("not today")


def run_agent(*sinks: object) -> None:
    provider = FakeProvider(
        [
            [
                ToolCallPart(id="c1", name="add", arguments='{"a": 1, "b": 2}'),
                ToolCallPart(id="c2", name="flaky", arguments='{"x": 1}'),
            ],
            "3",
        ],
        usage=Usage(input_tokens=100, output_tokens=20, cache_read_tokens=40, reasoning_tokens=5),
    )
    Agent(provider, tools=[add, flaky], name="calc", sinks=[RedactingSink(*sinks)]).run_sync(
        "1 + 2?"
    )  # type: ignore[arg-type]


def test_logging_sink_levels_and_structured_fields(caplog: pytest.LogCaptureFixture) -> None:
    """Each event is one record on agentkit.events with structured extras; failures log at WARNING or above."""
    caplog.set_level(logging.DEBUG, logger="agentkit.events")
    run_agent(LoggingSink())
    records = [r for r in caplog.records if r.name == "agentkit.events"]
    kinds = [r.event_type for r in records]  # type: ignore[attr-defined]
    assert kinds[0] == "run.started"
    assert kinds[-1] == "run.finished"
    by_kind = {r.event_type: r for r in records}  # type: ignore[attr-defined]
    assert by_kind["tool.call.failed"].levelno == logging.WARNING
    assert by_kind["model.responded"].levelno == logging.DEBUG
    assert by_kind["run.finished"].levelno == logging.INFO
    assert by_kind["tool.call.failed"].agentkit_event["error_message"] == "not today"  # type: ignore[attr-defined]
    assert all(r.run_id == records[0].run_id for r in records)  # type: ignore[attr-defined]
    assert [r.seq for r in records] == sorted(r.seq for r in records)  # type: ignore[attr-defined]


def test_logging_sink_raises_level_for_crashes_and_failed_runs() -> None:
    """A crashed tool and a failed run log at ERROR, a cancelled run at WARNING; overrides apply."""
    sink = LoggingSink(levels={"run.started": logging.WARNING})
    emitter = EventEmitter(run_id="r")
    crash = emitter.emit(
        ToolCallFailed,
        tool_name="t",
        reason="exception",
        duration_s=0,
        error_type="E",
        error_message="m",
    )
    failed = emitter.emit(RunFinished, status="failed", steps=1, tool_calls=0)
    cancelled = emitter.emit(RunFinished, status="cancelled", steps=1, tool_calls=0)
    assert sink.level_for(crash) == logging.ERROR
    assert sink.level_for(failed) == logging.ERROR
    assert sink.level_for(cancelled) == logging.WARNING
    assert sink.levels["run.started"] == logging.WARNING
    assert repr(sink) == "LoggingSink('agentkit.events')"


def test_logging_sink_prints_nothing_by_default() -> None:
    """Without logging configuration, even warnings and errors print nothing (agentkit adds a NullHandler)."""
    code = (
        "from agentkit.events import EventEmitter, RunFinished\n"
        "from agentkit.observability import LoggingSink\n"
        "EventEmitter(sinks=[LoggingSink()]).emit(RunFinished, status='failed', steps=1, tool_calls=0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == ""
    assert done.stderr == ""


def test_observability_import_stays_light() -> None:
    """Importing agentkit does not import observability; importing observability does not import OpenTelemetry."""
    code = (
        "import sys, agentkit\n"
        "assert 'agentkit.observability' not in sys.modules\n"
        "import agentkit.observability\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')]\n"
        "assert 'agentkit.observability.otel' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_metrics_from_a_run() -> None:
    """Model and tool latency, outcomes and token usage by type are read from the run's events."""
    metrics = Metrics()
    run_agent(metrics)
    assert metrics.counter("agentkit_model_calls_total", outcome="success") == 2
    assert metrics.counter("agentkit_tokens_total", type="input") == 200
    assert metrics.counter("agentkit_tokens_total", type="output", provider="fake") == 40
    assert metrics.counter("agentkit_tokens_total", type="cache_read", model="fake-model") == 80
    assert metrics.counter("agentkit_tokens_total", type="reasoning") == 10
    assert metrics.counter("agentkit_tool_calls_total", tool="flaky", outcome="tool_failed") == 1
    assert metrics.success_rate("tool") == 0.5
    assert metrics.success_rate("tool", tool="add", outcome="ignored") == 1.0
    assert metrics.success_rate("model") == 1.0
    assert metrics.success_rate("run") == 1.0
    assert metrics.counter("agentkit_runs_total", agent="calc", status="completed") == 1
    assert metrics.histogram("agentkit_model_call_duration_seconds").count == 2
    tools = metrics.histogram("agentkit_tool_call_duration_seconds")
    assert tools.count == 2
    assert tools.counts[-1] == 2
    assert tools.buckets[-1] == float("inf")
    metrics.reset()
    assert metrics.counter("agentkit_tokens_total") == 0
    assert metrics.success_rate("tool") is None
    assert metrics.histogram("agentkit_tool_call_duration_seconds").mean is None


def test_metrics_retries_and_model_failures() -> None:
    """Retries and failed model calls are counted by provider, model and error type."""
    metrics = Metrics()
    emitter = EventEmitter(run_id="r", sinks=[metrics])
    emitter.emit(
        RetryScheduled, provider="openai", model="gpt", attempt=1, delay_s=1, error_type="RateLimited",
        error_message="429",
    )  # fmt: skip
    with pytest.raises(RuntimeError):
        Agent(FakeProvider([RuntimeError("down")]), sinks=[metrics]).run_sync("hi")
    assert (
        metrics.counter("agentkit_retries_total", provider="openai", error_type="RateLimited") == 1
    )
    assert metrics.counter("agentkit_model_calls_total", outcome="error") == 1
    assert metrics.success_rate("model") == 0.0
    assert metrics.counter("agentkit_runs_total", status="failed") == 1


def test_metrics_reject_unknown_names_and_labels() -> None:
    """Asking for an unknown metric or label is a usage error naming what exists."""
    metrics = Metrics()
    with pytest.raises(UsageError, match="unknown metric 'nope'"):
        metrics.counter("nope")
    with pytest.raises(UsageError, match="has no label 'colour'"):
        metrics.histogram("agentkit_tool_call_duration_seconds", colour="red")
    with pytest.raises(UsageError, match="latency_buckets"):
        Metrics(latency_buckets=[])


def test_prometheus_text_format() -> None:
    """The exposition has HELP and TYPE lines, cumulative buckets ending at +Inf, _sum, _count and escaped labels."""
    metrics = Metrics(latency_buckets=[0.5, 1])
    emitter = EventEmitter(run_id="r", sinks=[metrics])
    for duration in (0.25, 0.75, 3.0):
        emitter.emit(
            ToolCallFailed, tool_name='a\\b"c\nd', reason="timeout", duration_s=duration, error_type="T",
            error_message="m",
        )  # fmt: skip
    text = metrics.prometheus_text()
    label = 'tool="a\\\\b\\"c\\nd"'
    assert f'agentkit_tool_call_duration_seconds_bucket{{{label},le="0.5"}} 1' in text
    assert f'agentkit_tool_call_duration_seconds_bucket{{{label},le="1.0"}} 2' in text
    assert f'agentkit_tool_call_duration_seconds_bucket{{{label},le="+Inf"}} 3' in text
    assert f"agentkit_tool_call_duration_seconds_sum{{{label}}} 4" in text
    assert f"agentkit_tool_call_duration_seconds_count{{{label}}} 3" in text
    assert f'agentkit_tool_calls_total{{{label},outcome="timeout"}} 3' in text
    assert "# TYPE agentkit_tool_calls_total counter" in text
    assert "# TYPE agentkit_tool_call_duration_seconds histogram" in text
    assert text.endswith("\n")
    assert Metrics().prometheus_text() == ""
    assert Metrics.content_type.startswith("text/plain; version=0.0.4")
