"""Metrics registered with prometheus_client's registry expose the same series as Metrics.prometheus_text."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from agentkit import tool
from agentkit.messages import ToolCallPart, Usage
from agentkit.observability import Metrics
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_metrics_register_with_a_prometheus_client_registry() -> None:
    """A registry collects the counters and histograms of a real run; a second registration is refused."""
    metrics = Metrics()
    registry = CollectorRegistry()
    metrics.register(registry)
    provider = FakeProvider(
        [[ToolCallPart(id="c1", name="add", arguments='{"a": 2, "b": 3}')], "5"],
        usage=Usage(input_tokens=10, output_tokens=2),
    )
    Agent(provider, tools=[add], sinks=[metrics]).run_sync("2 + 3?")
    text = generate_latest(registry).decode()
    assert 'agentkit_tool_calls_total{outcome="success",tool="add"} 1.0' in text
    assert (
        'agentkit_tokens_total{model="fake-model",prompt="",prompt_version="",provider="fake",type="input"} 20.0'
        in text
    )
    assert 'agentkit_tool_call_duration_seconds_bucket{le="+Inf",tool="add"} 1.0' in text
    assert "agentkit_tool_call_duration_seconds_count" in text
    assert (
        registry.get_sample_value(
            "agentkit_model_calls_total",
            {
                "provider": "fake",
                "model": "fake-model",
                "prompt": "",
                "prompt_version": "",
                "outcome": "success",
            },
        )
        == 2.0
    )
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        metrics.register(registry)
