"""OpenTelemetry sink: spans and metrics following the GenAI semantic conventions (``agentkit-contracts[otel]``).

This module imports without OpenTelemetry; `OTelSink` raises `MissingExtraError` when it is created without
the ``opentelemetry-api`` package. Spans are built from events, with the events' own timestamps, so a replayed
run yields the same spans as the original:

- ``invoke_agent {agent}`` (INTERNAL) from ``run.started`` to ``run.finished``, parent of the others (and a
  child of the span current when the run started);
- ``chat {model}`` (CLIENT) from ``model.requested`` to ``model.responded`` / ``model.failed``, with
  ``gen_ai.usage.*`` tokens (reasoning included), ``gen_ai.response.finish_reasons``, ``gen_ai.response.id``,
  ``gen_ai.request.stream``, ``gen_ai.output.type`` and ``server.address`` / ``server.port``;
- ``execute_tool {tool}`` (INTERNAL) from ``tool.call.started`` to ``tool.call.succeeded`` / ``failed`` /
  ``cancelled``.

Each span is made current while it is open, in the task that opened it: a span a tool opens, or the span an
instrumented HTTP client opens for the provider's request, nests under ``execute_tool`` / ``chat``. Every span
has ``gen_ai.conversation.id`` (the `agentkit.storage.Session` id, or the run id outside a session) and, when the
run rendered a `Prompt`, ``gen_ai.prompt.name`` and ``agentkit.prompt.version``.

Failures set ``error.type`` and an ERROR status. Metrics: ``gen_ai.client.operation.duration`` (seconds) and
``gen_ai.client.token.usage`` (``gen_ai.token.type`` = ``input`` / ``output``), with the bucket boundaries the
conventions advise. Both ``gen_ai.provider.name`` (current conventions) and ``gen_ai.system`` (before 1.37) are
set. Message and tool content (``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.system_instructions``, ``gen_ai.tool.call.arguments``, ``gen_ai.tool.call.result``) is recorded only
with ``capture_content=True``, as the conventions require.
"""

from __future__ import annotations

import json
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


def _require() -> tuple[Any, Any, Any]:
    try:
        from opentelemetry import context, metrics, trace
    except ImportError as exc:
        raise MissingExtraError(extra="otel", package="opentelemetry") from exc
    return trace, metrics, context


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


def _output_type(mode_or_type: str) -> str:
    """``gen_ai.output.type``: ``text`` for plain text, ``json`` for structured output."""
    return "text" if mode_or_type in ("text", "str") else "json"


def _part(part: Any) -> dict[str, Any]:
    kind = getattr(part, "kind", "")
    if kind in ("text", "refusal", "reasoning"):
        return {"type": "reasoning" if kind == "reasoning" else "text", "content": part.text}
    if kind == "tool-call":
        try:
            arguments: Any = json.loads(part.arguments or "{}")
        except ValueError:
            arguments = part.arguments
        return {"type": "tool_call", "id": part.id, "name": part.name, "arguments": arguments}
    if kind == "tool-result":
        return {"type": "tool_call_response", "id": part.tool_call_id, "response": part.content}
    return {"type": kind or type(part).__name__}


def _message(message: Any) -> dict[str, Any]:
    return {"role": message.role, "parts": [_part(p) for p in message.parts]}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Open:
    """An open span, made current in the context that opened it (``context``, restored with ``token``)."""

    span: Span
    context: Any
    token: Any
    model: str | None = None
    started: int = 0
    server: dict[str, Any] = field(default_factory=dict)
    # a chat span opened from a held model.requested, before the event itself
    previewed: bool = False


@dataclass
class _RunSpans:
    agent: _Open
    provider: str
    model: str | None
    conversation: str
    output_type: str
    prompt: dict[str, str] = field(default_factory=dict)
    chats: dict[int, _Open] = field(default_factory=dict)
    tools: dict[tuple[str, int | None], _Open] = field(default_factory=dict)
    history: list[Any] = field(
        default_factory=list
    )  # the conversation, kept only to capture content


class OTelSink:
    """Turns events into OpenTelemetry spans and GenAI metrics.

    Give it to the agent (``Agent(sinks=[...])``), which calls it in the task where each event happens; that is
    what lets it make each span current while it is open.

    Args:
        tracer_provider: Where spans go; the global tracer provider when omitted.
        meter_provider: Where metrics go; the global meter provider when omitted.
        provider_name: The ``gen_ai.provider.name`` to report; derived from the provider's ``system``
            otherwise, through any wrappers (``openai``, ``anthropic``, ``gcp.gemini``...).
        capture_content: Record message and tool content on the spans (``gen_ai.input.messages`` and the
            rest). Off by default: spans leave the process, and content may be personal or confidential.
        max_runs_in_flight: How many unfinished runs to track; past it, the oldest run's spans are ended.

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
        capture_content: bool = False,
        max_runs_in_flight: int = 10_000,
    ) -> None:
        trace, metrics, context = _require()
        self._trace = trace
        self._context = context
        self._provider_name = provider_name
        self.capture_content = capture_content
        self.max_runs_in_flight = max(1, max_runs_in_flight)
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

    def _open(
        self,
        name: str,
        kind: Any,
        event: BaseEvent,
        attributes: dict[str, Any],
        parent: _Open | None,
    ) -> _Open:
        """Start a span and make it current in the caller's context until `_close`."""
        trace = self._trace
        span = self._tracer.start_span(
            name,
            context=trace.set_span_in_context(parent.span) if parent is not None else None,
            kind=kind,
            start_time=_ns(event),
            attributes=attributes,
        )
        current = trace.set_span_in_context(span)
        return _Open(span, current, self._context.attach(current), started=_ns(event))

    def _close(self, opened: _Open, end: int) -> None:
        # Restore the context only where this span is still the current one: a cancelled tool's task is gone,
        # and resetting another task's context would corrupt it.
        if self._context.get_current() is opened.context:
            self._context.detach(opened.token)
        opened.span.end(end_time=end)

    def _fail(self, span: Span, error_type: str) -> None:
        span.set_attribute("error.type", error_type)
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))

    def __call__(self, event: BaseEvent, /) -> None:
        """Turn one event into span starts, span ends and metric records."""
        with self._lock:
            self._handle(event)

    def preview(self, event: BaseEvent, /) -> None:
        """Open the ``chat`` span from a held ``model.requested`` (a copy without content), as the call starts.

        An agent whose tools have ``Sensitive()`` fields holds ``model.requested`` back until the model answers
        (the answer may mark a value it carries as secret). The span opens now, current in the task making the
        call, so the provider's HTTP request nests under it; the event, delivered later, completes it.
        """
        e: Any = event
        if getattr(e, "type", "") != "model.requested":
            return
        with self._lock:
            run = self._runs.get(event.run_id)
            if run is not None and e.step not in run.chats:
                self._chat_started(run, e, event, content=False)
                run.chats[e.step].previewed = True

    def _common(self, run: _RunSpans) -> dict[str, Any]:
        return {
            "gen_ai.provider.name": run.provider,
            "gen_ai.system": run.provider,
            "gen_ai.conversation.id": run.conversation,
            **run.prompt,
        }

    def _handle(self, event: BaseEvent) -> None:
        kind: str = getattr(event, "type", "")
        e: Any = event
        run = self._runs.get(event.run_id)
        SpanKind = self._trace.SpanKind
        if kind == "run.started":
            if run is not None:  # started twice without finishing: close the first
                self._finish(event.run_id, run, _ns(event))
            provider = self._provider(e.provider)
            run = _RunSpans(
                agent=None,  # type: ignore[arg-type]  # set just below, once the attributes are known
                provider=provider,
                model=e.model,
                # Events written before these optional fields existed lack them: getattr.
                conversation=getattr(e, "session_id", None) or event.run_id,
                output_type=_output_type(e.output_type),
            )
            attributes = {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": e.agent,
                "gen_ai.output.type": run.output_type,
                "agentkit.run.id": event.run_id,
                **self._common(run),
            }
            if e.model:
                attributes["gen_ai.request.model"] = e.model
            run.agent = self._open(
                f"invoke_agent {e.agent}", SpanKind.INTERNAL, event, attributes, None
            )
            self._runs[event.run_id] = run
            while len(self._runs) > self.max_runs_in_flight:
                oldest = next(iter(self._runs))
                self._finish(oldest, self._runs[oldest], _ns(event))
            return
        if run is None:
            return  # a run that started before this sink was attached
        if kind == "prompt.rendered":
            run.prompt = {
                "gen_ai.prompt.name": e.prompt_name,
                "agentkit.prompt.version": e.prompt_version,
            }
            for key, value in run.prompt.items():
                run.agent.span.set_attribute(key, value)
        elif kind == "model.requested":
            self._chat_started(run, e, event)
        elif kind in ("model.responded", "model.failed"):
            self._chat_ended(run, e, event, kind)
        elif kind == "tool.call.started":
            attributes = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": e.tool_name,
                "gen_ai.tool.type": "function",
                "gen_ai.conversation.id": run.conversation,
            }
            if e.tool_call_id:
                attributes["gen_ai.tool.call.id"] = e.tool_call_id
            if self.capture_content and e.arguments is not None:
                attributes["gen_ai.tool.call.arguments"] = _json(e.arguments)
            run.tools[_tool_key(e)] = self._open(
                f"execute_tool {e.tool_name}", SpanKind.INTERNAL, event, attributes, run.agent
            )
        elif kind in ("tool.call.succeeded", "tool.call.failed", "tool.call.cancelled"):
            tool = run.tools.pop(_tool_key(e), None)
            if tool is None:
                return
            if kind == "tool.call.failed":
                self._fail(tool.span, e.error_type)
            elif kind == "tool.call.cancelled":
                self._fail(tool.span, "cancelled")
            content = getattr(e, "content", None)
            if self.capture_content and content is not None:
                tool.span.set_attribute("gen_ai.tool.call.result", content)
            self._close(tool, _ns(event))
        elif kind == "run.finished":
            usage = e.usage
            for key, attribute in (
                ("input_tokens", "gen_ai.usage.input_tokens"),
                ("output_tokens", "gen_ai.usage.output_tokens"),
                ("reasoning_tokens", "gen_ai.usage.reasoning.output_tokens"),
            ):
                if key in usage:
                    run.agent.span.set_attribute(attribute, usage[key])
            if e.status in ("failed", "cancelled"):
                self._fail(run.agent.span, e.error_type or e.status)
            if e.status == "paused":
                run.agent.span.set_attribute("agentkit.run.status", "paused")
            self._finish(event.run_id, run, _ns(event))

    def _finish(self, run_id: str, run: _RunSpans, end: int) -> None:
        """End the run's open spans, innermost first, and forget the run."""
        for tool in reversed(list(run.tools.values())):
            self._close(tool, end)
        for chat in reversed(list(run.chats.values())):
            self._close(chat, end)
        self._close(run.agent, end)
        del self._runs[run_id]

    def _chat_started(
        self, run: _RunSpans, e: Any, event: BaseEvent, *, content: bool = True
    ) -> None:
        opened = run.chats.get(e.step)
        if opened is not None and opened.previewed:
            # Opened from the held event's preview: only the content is left to record.
            opened.previewed = False
            if self.capture_content:
                for key, value in self._input_content(run, e).items():
                    opened.span.set_attribute(key, value)
            return
        model = e.model or run.model
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.stream": bool(e.stream),
            "gen_ai.output.type": _output_type(e.output_mode),
            **self._common(run),
        }
        if model:
            attributes["gen_ai.request.model"] = model
        server: dict[str, Any] = {}
        address, port = getattr(e, "server_address", None), getattr(e, "server_port", None)
        if address:
            server["server.address"] = address
            if port is not None:
                server["server.port"] = port
        attributes.update(server)
        if self.capture_content and content:
            attributes.update(self._input_content(run, e))
        name = f"chat {model}" if model else "chat"
        chat = self._open(name, self._trace.SpanKind.CLIENT, event, attributes, run.agent)
        chat.model, chat.server = model, server
        run.chats[e.step] = chat

    def _input_content(self, run: _RunSpans, e: Any) -> dict[str, Any]:
        """The request's content attributes (the conversation so far, with this request's new messages)."""
        attributes: dict[str, Any] = {}
        run.history.extend(e.new_messages or ())
        system = [p for m in run.history if m.role == "system" for p in map(_part, m.parts)]
        if system:
            attributes["gen_ai.system_instructions"] = _json(system)
        attributes["gen_ai.input.messages"] = _json(
            [_message(m) for m in run.history if m.role != "system"]
        )
        return attributes

    def _chat_ended(self, run: _RunSpans, e: Any, event: BaseEvent, kind: str) -> None:
        chat = run.chats.pop(e.step, None)
        if chat is None:
            return
        span, model = chat.span, chat.model
        metric_attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": run.provider,
            "gen_ai.system": run.provider,
        }
        if model:
            metric_attributes["gen_ai.request.model"] = model
        metric_attributes.update(chat.server)
        if kind == "model.responded":
            usage: dict[str, int] = e.usage
            span.set_attribute("gen_ai.response.finish_reasons", [e.finish_reason])
            if e.model:
                span.set_attribute("gen_ai.response.model", e.model)
                metric_attributes["gen_ai.response.model"] = e.model
            response_id = getattr(e, "response_id", None)
            if response_id:
                span.set_attribute("gen_ai.response.id", response_id)
            for key, attribute in (
                ("input_tokens", "gen_ai.usage.input_tokens"),
                ("output_tokens", "gen_ai.usage.output_tokens"),
                ("cache_read_tokens", "gen_ai.usage.cache_read.input_tokens"),
                ("cache_write_tokens", "gen_ai.usage.cache_creation.input_tokens"),
                ("reasoning_tokens", "gen_ai.usage.reasoning.output_tokens"),
            ):
                if key in usage:
                    span.set_attribute(attribute, usage[key])
            for key, token_type in (("input_tokens", "input"), ("output_tokens", "output")):
                if key in usage:
                    self._tokens.record(
                        usage[key], {**metric_attributes, "gen_ai.token.type": token_type}
                    )
            if self.capture_content and e.message is not None:
                run.history.append(e.message)
                output = {**_message(e.message), "finish_reason": e.finish_reason}
                span.set_attribute("gen_ai.output.messages", _json([output]))
            duration = float(e.duration_s)
        else:
            self._fail(span, e.error_type)
            metric_attributes["error.type"] = e.error_type
            duration = max(0.0, (_ns(event) - chat.started) / 1e9)
        self._duration.record(duration, metric_attributes)
        self._close(chat, _ns(event))

    def __repr__(self) -> str:
        return f"OTelSink(runs_in_flight={len(self._runs)})"


def _tool_key(event: Any) -> tuple[str, int | None]:
    """Which open tool span an event belongs to: its call's id (or tool name) and its place in the step.

    Two calls of one answer may share an id; their positions (events stored before positions read ``None``)
    still keep their spans apart.
    """
    return (event.tool_call_id or f"name:{event.tool_name}", getattr(event, "position", None))
