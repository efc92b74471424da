"""OpenTelemetry sink: spans and metrics following the GenAI semantic conventions (``agentkit-contracts[otel]``).

This module imports without OpenTelemetry; `OTelSink` raises `MissingExtraError` when it is created without
the ``opentelemetry-api`` package. Spans are built from events after the fact, with the events' own timestamps,
so a replayed run yields the same spans as the original:

- ``invoke_agent {agent}`` (INTERNAL) from ``run.started`` to ``run.finished``, parent of the others;
- ``chat {model}`` (CLIENT) from ``model.requested`` to ``model.responded`` / ``model.failed``, with
  ``gen_ai.usage.*`` tokens and ``gen_ai.response.finish_reasons``;
- ``execute_tool {tool}`` (INTERNAL) from ``tool.call.started`` to ``tool.call.succeeded`` / ``failed`` /
  ``cancelled``.

Failures set ``error.type`` and an ERROR status. Metrics: ``gen_ai.client.operation.duration`` (seconds) and
``gen_ai.client.token.usage`` (``gen_ai.token.type`` = ``input`` / ``output``), with the bucket boundaries the
conventions advise. Both ``gen_ai.provider.name`` (current conventions) and ``gen_ai.system`` (before 1.37) are
set. Message contents are never recorded: events carry none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, TracerProvider

    from agentkit.events import BaseEvent

__all__ = ("OPERATION_DURATION_BUCKETS", "TOKEN_USAGE_BUCKETS", "OTelSink")

TOKEN_USAGE_BUCKETS: tuple[float, ...] = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
"""Bucket boundaries the GenAI conventions advise for ``gen_ai.client.token.usage``."""

OPERATION_DURATION_BUCKETS: tuple[float, ...] = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
"""Bucket boundaries the GenAI conventions advise for ``gen_ai.client.operation.duration``."""

_PROVIDER_NAMES = {
    # A provider's ``system`` (what events carry since the provider contract declared it) ...
    "gemini": "gcp.gemini",
    "gemini-openai": "gcp.gemini",
    "mistral": "mistral_ai",
    "function": "fake",
    # ... and the class names events carried before, so older stored runs still export the same spans.
    "OpenAIChatProvider": "openai",
    "OpenAIResponsesProvider": "openai",
    "AnthropicProvider": "anthropic",
    "GeminiProvider": "gcp.gemini",
    "FakeProvider": "fake",
    "FunctionProvider": "fake",
}
_INSTRUMENTATION = "agentkit"


def _require() -> tuple[Any, Any]:
    try:
        from opentelemetry import metrics, trace
    except ImportError as exc:
        raise MissingExtraError(extra="otel", package="opentelemetry") from exc
    return trace, metrics


def provider_name(provider: str) -> str:
    """The ``gen_ai.provider.name`` of a provider's ``system`` (or of the class name older events carry).

    The conventions' well-known names are used where agentkit's short name differs (``gemini`` is
    ``gcp.gemini``, ``mistral`` is ``mistral_ai``); other names are reported as they are.

    Examples:
        >>> from agentkit.observability.otel import provider_name
        >>> provider_name("openai"), provider_name("gemini"), provider_name("groq")
        ('openai', 'gcp.gemini', 'groq')
        >>> provider_name("AnthropicProvider"), provider_name("MyLocalProvider")
        ('anthropic', 'mylocal')
    """
    known = _PROVIDER_NAMES.get(provider)
    if known is not None:
        return known
    name = provider.removesuffix("Provider") or provider
    return name.lower()


def _ns(event: BaseEvent) -> int:
    return int(event.at.timestamp() * 1_000_000_000)


@dataclass
class _RunSpans:
    agent: Span
    provider: str
    model: str | None
    chats: dict[int, tuple[Span, str | None, int]] = field(default_factory=dict)
    tools: dict[str, Span] = field(default_factory=dict)


class OTelSink:
    """Turns events into OpenTelemetry spans and GenAI metrics.

    Args:
        tracer_provider: Where spans go; the global tracer provider when omitted.
        meter_provider: Where metrics go; the global meter provider when omitted.
        provider_name: The ``gen_ai.provider.name`` to report; derived from the provider's ``system``
            otherwise, through any wrappers (``openai``, ``anthropic``, ``gcp.gemini``...).

    Raises:
        MissingExtraError: OpenTelemetry is not installed (``pip install "agentkit-contracts[otel]"``).

    Examples:
        >>> from agentkit.observability.otel import OTelSink
        >>> OTelSink.__name__
        'OTelSink'

        With the SDK installed (not run here, so the doctests need no extra)::

            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

            exporter = InMemorySpanExporter()
            tracer_provider = TracerProvider()
            tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
            agent = Agent(provider, sinks=[RedactingSink(OTelSink(tracer_provider=tracer_provider))])
            agent.run_sync("hello")
            [span.name for span in exporter.get_finished_spans()]  # ['chat gpt-4.1', 'invoke_agent agent']
    """

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        provider_name: str | None = None,
    ) -> None:
        trace, metrics = _require()
        self._trace = trace
        self._provider_name = provider_name
        self._tracer = trace.get_tracer(_INSTRUMENTATION, tracer_provider=tracer_provider)
        meter = (meter_provider or metrics.get_meter_provider()).get_meter(_INSTRUMENTATION)
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=OPERATION_DURATION_BUCKETS,
        )
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_USAGE_BUCKETS,
        )
        self._lock = threading.Lock()
        self._runs: dict[str, _RunSpans] = {}

    def _provider(self, provider: str) -> str:
        return self._provider_name or provider_name(provider)

    def _start(
        self,
        name: str,
        kind: Any,
        event: BaseEvent,
        attributes: dict[str, Any],
        parent: Span | None,
    ) -> Span:
        context = self._trace.set_span_in_context(parent) if parent is not None else None
        return self._tracer.start_span(  # type: ignore[no-any-return]
            name, context=context, kind=kind, start_time=_ns(event), attributes=attributes
        )

    def _fail(self, span: Span, error_type: str) -> None:
        span.set_attribute("error.type", error_type)
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))

    def __call__(self, event: BaseEvent, /) -> None:
        """Turn one event into span starts, span ends and metric records."""
        with self._lock:
            self._handle(event)

    def _handle(self, event: BaseEvent) -> None:
        kind: str = getattr(event, "type", "")
        e: Any = event
        run = self._runs.get(event.run_id)
        SpanKind = self._trace.SpanKind
        if kind == "run.started":
            provider = self._provider(e.provider)
            attributes = {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": e.agent,
                "gen_ai.provider.name": provider,
                "gen_ai.system": provider,
                "gen_ai.conversation.id": event.run_id,
            }
            if e.model:
                attributes["gen_ai.request.model"] = e.model
            span = self._start(
                f"invoke_agent {e.agent}", SpanKind.INTERNAL, event, attributes, None
            )
            self._runs[event.run_id] = _RunSpans(agent=span, provider=provider, model=e.model)
            return
        if run is None:
            return  # a run that started before this sink was attached
        if kind == "model.requested":
            model = e.model or run.model
            attributes = {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": run.provider,
                "gen_ai.system": run.provider,
            }
            if model:
                attributes["gen_ai.request.model"] = model
            name = f"chat {model}" if model else "chat"
            run.chats[e.step] = (
                self._start(name, SpanKind.CLIENT, event, attributes, run.agent),
                model,
                _ns(event),
            )
        elif kind in ("model.responded", "model.failed"):
            chat = run.chats.pop(e.step, None)
            if chat is None:
                return
            span, model, started = chat
            metric_attributes = {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": run.provider,
                "gen_ai.system": run.provider,
            }
            if model:
                metric_attributes["gen_ai.request.model"] = model
            if kind == "model.responded":
                usage: dict[str, int] = e.usage
                span.set_attribute("gen_ai.response.finish_reasons", [e.finish_reason])
                if e.model:
                    span.set_attribute("gen_ai.response.model", e.model)
                    metric_attributes["gen_ai.response.model"] = e.model
                for key, attribute in (
                    ("input_tokens", "gen_ai.usage.input_tokens"),
                    ("output_tokens", "gen_ai.usage.output_tokens"),
                    ("cache_read_tokens", "gen_ai.usage.cache_read.input_tokens"),
                    ("cache_write_tokens", "gen_ai.usage.cache_creation.input_tokens"),
                ):
                    if key in usage:
                        span.set_attribute(attribute, usage[key])
                for key, token_type in (("input_tokens", "input"), ("output_tokens", "output")):
                    if key in usage:
                        self._tokens.record(
                            usage[key], {**metric_attributes, "gen_ai.token.type": token_type}
                        )
                duration = float(e.duration_s)
            else:
                self._fail(span, e.error_type)
                metric_attributes["error.type"] = e.error_type
                duration = max(0.0, (_ns(event) - started) / 1e9)
            self._duration.record(duration, metric_attributes)
            span.end(end_time=_ns(event))
        elif kind == "tool.call.started":
            attributes = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": e.tool_name,
                "gen_ai.tool.type": "function",
            }
            if e.tool_call_id:
                attributes["gen_ai.tool.call.id"] = e.tool_call_id
            span = self._start(
                f"execute_tool {e.tool_name}", SpanKind.INTERNAL, event, attributes, run.agent
            )
            run.tools[e.tool_call_id or f"name:{e.tool_name}"] = span
        elif kind in ("tool.call.succeeded", "tool.call.failed", "tool.call.cancelled"):
            tool_span = run.tools.pop(e.tool_call_id or f"name:{e.tool_name}", None)
            if tool_span is None:
                return
            if kind == "tool.call.failed":
                self._fail(tool_span, e.error_type)
            elif kind == "tool.call.cancelled":
                self._fail(tool_span, "cancelled")
            tool_span.end(end_time=_ns(event))
        elif kind == "run.finished":
            usage = e.usage
            for key, attribute in (
                ("input_tokens", "gen_ai.usage.input_tokens"),
                ("output_tokens", "gen_ai.usage.output_tokens"),
            ):
                if key in usage:
                    run.agent.set_attribute(attribute, usage[key])
            if e.status in ("failed", "cancelled"):
                self._fail(run.agent, e.error_type or e.status)
            if e.status == "paused":
                run.agent.set_attribute("agentkit.run.status", "paused")
            end = _ns(event)
            for span, _, _ in run.chats.values():
                span.end(end_time=end)
            for span in run.tools.values():
                span.end(end_time=end)
            run.agent.end(end_time=end)
            del self._runs[event.run_id]

    def __repr__(self) -> str:
        return f"OTelSink(runs_in_flight={len(self._runs)})"
