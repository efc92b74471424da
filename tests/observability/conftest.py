"""Fixtures for observability tests: an in-memory OpenTelemetry SDK setup.

The ``otel`` fixture imports the OTel SDK when a test asks for it, so a missing ``otel`` extra fails those
tests loudly (ImportError) instead of skipping them, while the core-only tests still run.
"""

from __future__ import annotations

import json
from typing import Any

import pytest


class OTelHarness:
    """An OTelSink wired to an in-memory span exporter and metric reader."""

    def __init__(self, **options: Any) -> None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        from agentkit.observability.otel import OTelSink

        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.sink = OTelSink(
            tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **options
        )

    def spans(self) -> list[Any]:
        return list(self.exporter.get_finished_spans())

    def metrics(self) -> dict[str, list[Any]]:
        data = self.reader.get_metrics_data()
        out: dict[str, list[Any]] = {}
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    out.setdefault(metric.name, []).extend(metric.data.data_points)
        return out

    def dump(self) -> str:
        data = self.reader.get_metrics_data()
        metrics = data.to_json() if data else ""
        return "\n".join(span.to_json() for span in self.spans()) + json.dumps(metrics)


@pytest.fixture
def otel() -> OTelHarness:
    """A fresh in-memory OpenTelemetry setup with its sink."""
    return OTelHarness()


@pytest.fixture
def otel_content() -> OTelHarness:
    """An in-memory OpenTelemetry setup whose sink captures message and tool content."""
    return OTelHarness(capture_content=True)


@pytest.fixture
def make_otel() -> type[OTelHarness]:
    """The harness class, to build one with other sink options."""
    return OTelHarness
