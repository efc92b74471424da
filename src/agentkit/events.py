"""Typed events: the single record of what happened in a run.

Every event carries the run it belongs to (``run_id``), its position in that run (``seq``, strictly increasing from
0), when it happened (``at``, read from an injectable clock) and the ``schema_version`` of the event format, so
stored logs stay readable as the format evolves. Events form a discriminated union on ``type`` and round-trip
through JSON with `parse_event`.

An `EventEmitter` stamps events for one run and hands them to sinks (anything callable with an event).
Logging, metrics, tracing, storage and replay are all sinks.

Examples:
    >>> from agentkit.events import EventEmitter, ToolCallStarted, parse_event
    >>> seen = []
    >>> emitter = EventEmitter(run_id="run-1", sinks=[seen.append])
    >>> event = emitter.emit(ToolCallStarted, tool_name="search", tool_version="1.0.0", tool_call_id="c1",
    ...                      arguments={"q": "x"})
    >>> (event.type, event.seq, seen[0] is event)
    ('tool.call.started', 0, True)
    >>> parse_event(event.model_dump_json()) == event
    True
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agentkit._clock import Clock, system_clock
from agentkit._log import library_logger
from agentkit.messages import Message

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pydantic import TypeAdapter

__all__ = (
    "SCHEMA_VERSION",
    "ApprovalRequested",
    "ApprovalResolved",
    "BaseEvent",
    "BudgetExceededEvent",
    "CircuitRejected",
    "CircuitStateChanged",
    "DeadlineExceededEvent",
    "Event",
    "EventEmitter",
    "EventSink",
    "FallbackTriggered",
    "FlagEvaluated",
    "ModelFailed",
    "ModelRequested",
    "ModelResponded",
    "OutputRejected",
    "PromptRendered",
    "RateLimitWaited",
    "RetryGaveUp",
    "RetryScheduled",
    "RouteChosen",
    "RouteEscalated",
    "RunFinished",
    "RunStarted",
    "ToolArgumentsRejected",
    "ToolCallCancelled",
    "ToolCallFailed",
    "ToolCallStarted",
    "ToolCallSucceeded",
    "UnknownToolCalled",
    "Unwritten",
    "parse_event",
)

SCHEMA_VERSION = 2
"""Version of the event format written by this release.

Version 2 added the content needed to replay a run from its events alone: ``model.requested.new_messages`` and
``tool_fingerprints``, ``model.responded.message``, ``tool.call.succeeded.content`` and ``tool.call.failed.content``,
``run.finished.new_messages``. Version 1 events read as version 2 with those fields empty.
"""

_log = library_logger("agentkit.events")

ExecutionMode = Literal["live", "dry_run", "mocked", "isolated"]
# How a tool call ran (`agentkit.sandbox.Mode`); events stored before modes existed read as "live".


# The step and position in it of the tool call running in this context (set by the run's loop around each call):
# the emitter stamps the position on the tool-call events the call emits, and replay finds the call's record by it.
_CALL_POSITION: ContextVar[tuple[int, int] | None] = ContextVar(
    "agentkit_call_position", default=None
)


class BaseEvent(BaseModel):
    """Fields every event has.

    Examples:
        >>> from agentkit.events import BaseEvent, ToolCallStarted
        >>> issubclass(ToolCallStarted, BaseEvent)
        True
    """

    # defer_build: event classes are built on first use, so importing tools does not pay for them.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    schema_version: int = SCHEMA_VERSION
    run_id: str
    seq: int = Field(ge=0)
    at: datetime


class ToolCallStarted(BaseEvent):
    """A tool call passed validation and is about to run.

    ``arguments`` are the validated arguments with sensitive fields masked. ``mode`` is how the call runs
    (``live``, ``dry_run``, ``mocked`` or ``isolated``, see `agentkit.sandbox`); the other tool-call events carry
    it too, and events stored before modes existed read as ``"live"``. ``position`` is the call's place in its
    step's answer, from 0 (set when an agent runs the call; the other tool-call and approval events carry it too):
    a model may give two calls of one answer the same id, and the position still tells them apart. Events stored
    before it existed read as ``None``.

    Examples:
        >>> from agentkit.events import ToolCallStarted
        >>> ToolCallStarted.model_fields["type"].default
        'tool.call.started'
    """

    type: Literal["tool.call.started"] = "tool.call.started"
    tool_name: str
    tool_version: str
    tool_call_id: str | None = None
    position: int | None = Field(default=None, ge=0)
    arguments: dict[str, Any] | None = None
    mode: ExecutionMode = "live"


class ToolCallSucceeded(BaseEvent):
    """A tool call finished and its result was serialized for the model.

    ``content`` is the serialized result as the tool produced it (before the agent frames or truncates it for the
    model); ``None`` in events written before schema version 2. ``output_chars`` is the length of ``content`` as
    the event holds it: when the run's redactor masks a secret in it, the masked text is counted.

    Examples:
        >>> from agentkit.events import ToolCallSucceeded
        >>> ToolCallSucceeded.model_fields["type"].default
        'tool.call.succeeded'
    """

    type: Literal["tool.call.succeeded"] = "tool.call.succeeded"
    tool_name: str
    tool_call_id: str | None = None
    position: int | None = Field(default=None, ge=0)
    duration_s: float = Field(ge=0)
    output_chars: int = Field(ge=0)
    content: str | None = None
    mode: ExecutionMode = "live"


class ToolCallFailed(BaseEvent):
    """A tool call failed: the tool raised ``ToolFailed``, crashed, timed out, or returned unserializable output.

    ``reason`` says which. For crashes, ``error_type``, ``error_message`` and ``traceback`` give the developer
    the detail the model never sees; ``content`` is what the model was told instead (``None`` before schema
    version 2).

    Examples:
        >>> from agentkit.events import ToolCallFailed
        >>> ToolCallFailed.model_fields["type"].default
        'tool.call.failed'
    """

    type: Literal["tool.call.failed"] = "tool.call.failed"
    tool_name: str
    tool_call_id: str | None = None
    position: int | None = Field(default=None, ge=0)
    reason: Literal["tool_failed", "retry_requested", "exception", "timeout", "invalid_output"]
    duration_s: float = Field(ge=0)
    error_type: str
    error_message: str
    traceback: str | None = None
    content: str | None = None
    mode: ExecutionMode = "live"


class ToolArgumentsRejected(BaseEvent):
    """The model's arguments for a tool did not validate; the model gets a repair hint.

    Examples:
        >>> from agentkit.events import ToolArgumentsRejected
        >>> ToolArgumentsRejected.model_fields["type"].default
        'tool.arguments.rejected'
    """

    type: Literal["tool.arguments.rejected"] = "tool.arguments.rejected"
    tool_name: str
    tool_call_id: str | None = None
    position: int | None = Field(default=None, ge=0)
    issues: list[dict[str, Any]]
    attempt: int = Field(ge=1)
    max_retries: int = Field(ge=0)
    mode: ExecutionMode = "live"


class RunStarted(BaseEvent):
    """An agent run started (or resumed after an approval pause).

    ``session_id`` names the `agentkit.storage.Session` the run belongs to, when it runs in one.

    Examples:
        >>> from agentkit.events import RunStarted
        >>> RunStarted.model_fields["type"].default
        'run.started'
    """

    type: Literal["run.started"] = "run.started"
    agent: str
    provider: str
    model: str | None = None
    output_type: str
    resumed: bool = False
    tool_names: list[str] = Field(default_factory=list)
    session_id: str | None = None


class RunFinished(BaseEvent):
    """An agent run ended: ``status`` says how; ``usage`` is the run's token total so far.

    ``output`` is a short summary of the final output (at most 200 characters), never the raw payload.
    ``messages`` and ``new_messages`` close the run's conversation, as in `ModelRequested`: the messages added
    after the last model answer (tool results, feedback), so the events hold the conversation the run ended
    with (``None`` before schema version 2).

    Examples:
        >>> from agentkit.events import RunFinished
        >>> RunFinished.model_fields["type"].default
        'run.finished'
    """

    type: Literal["run.finished"] = "run.finished"
    status: Literal["completed", "paused", "failed", "cancelled"]
    steps: int = Field(ge=0)
    tool_calls: int = Field(ge=0)
    usage: dict[str, int] = Field(default_factory=dict)
    output: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    messages: int | None = Field(ge=0, default=None)
    new_messages: list[Message] | None = None


class ModelRequested(BaseEvent):
    """A request is about to go to the model.

    ``messages`` is how many messages the request holds; ``new_messages`` are the last of them, those no earlier
    event of the run holds (all of them for the first request; after that, the tool results and feedback added
    since the previous answer). The request's messages are therefore the run's conversation up to message
    ``messages - len(new_messages)``, followed by ``new_messages``. ``tool_fingerprints`` maps each offered tool
    to its contract fingerprint, so a replay can tell a changed tool. Both are empty in events written before
    schema version 2. ``server_address`` and ``server_port`` are the host and port of the provider's API root,
    when the provider has one (an HTTP adapter, directly or through resilience wrappers).

    Examples:
        >>> from agentkit.events import ModelRequested
        >>> ModelRequested.model_fields["type"].default
        'model.requested'
    """

    type: Literal["model.requested"] = "model.requested"
    step: int = Field(ge=1)
    provider: str
    model: str | None = None
    messages: int = Field(ge=0)
    tool_names: list[str] = Field(default_factory=list)
    output_mode: Literal["text", "native", "tool"] = "text"
    timeout_s: float | None = None
    stream: bool = False
    tool_fingerprints: dict[str, str] = Field(default_factory=dict)
    new_messages: list[Message] | None = None
    server_address: str | None = None
    server_port: int | None = None


class ModelResponded(BaseEvent):
    """The model answered: finish reason, usage, the shape of the answer and the answer itself.

    ``message`` is the assistant message as the model sent it (text, tool calls with their raw arguments,
    reasoning with its opaque provider state), redacted like every event; ``None`` before schema version 2.
    ``response_id`` is the provider's id for the response, when it sent one.

    Examples:
        >>> from agentkit.events import ModelResponded
        >>> ModelResponded.model_fields["type"].default
        'model.responded'
    """

    type: Literal["model.responded"] = "model.responded"
    step: int = Field(ge=1)
    model: str | None = None
    finish_reason: str
    usage: dict[str, int] = Field(default_factory=dict)
    tool_calls: list[str] = Field(default_factory=list)
    text_chars: int = Field(ge=0, default=0)
    duration_s: float = Field(ge=0, default=0.0)
    message: Message | None = None
    response_id: str | None = None


class ModelFailed(BaseEvent):
    """The model call raised (a provider error, a timeout...); the run ends unless something retries it.

    Examples:
        >>> from agentkit.events import ModelFailed
        >>> ModelFailed.model_fields["type"].default
        'model.failed'
    """

    type: Literal["model.failed"] = "model.failed"
    step: int = Field(ge=1)
    error_type: str
    error_message: str


class UnknownToolCalled(BaseEvent):
    """The model called a tool that is not offered; it gets a repair hint listing the tools it may call.

    Examples:
        >>> from agentkit.events import UnknownToolCalled
        >>> UnknownToolCalled.model_fields["type"].default
        'tool.unknown'
    """

    type: Literal["tool.unknown"] = "tool.unknown"
    tool_name: str
    tool_call_id: str | None = None
    did_you_mean: str | None = None
    attempt: int = Field(ge=1)


class ToolCallCancelled(BaseEvent):
    """A tool call was cancelled or never ran (the run was cancelled, hit a limit or stopped first).

    The model's history still gets a result for the call, saying so.

    Examples:
        >>> from agentkit.events import ToolCallCancelled
        >>> ToolCallCancelled.model_fields["type"].default
        'tool.call.cancelled'
    """

    type: Literal["tool.call.cancelled"] = "tool.call.cancelled"
    tool_name: str
    tool_call_id: str | None = None
    position: int | None = Field(default=None, ge=0)
    reason: str


class OutputRejected(BaseEvent):
    """The model's final output did not match the output type; it gets a repair hint.

    Examples:
        >>> from agentkit.events import OutputRejected
        >>> OutputRejected.model_fields["type"].default
        'output.rejected'
    """

    type: Literal["output.rejected"] = "output.rejected"
    issues: list[dict[str, Any]] = Field(default_factory=list)
    attempt: int = Field(ge=1)
    max_retries: int = Field(ge=0)


class BudgetExceededEvent(BaseEvent):
    """A run limit was reached (steps, tokens, tool calls, retries, deadline); the run stops.

    Examples:
        >>> from agentkit.events import BudgetExceededEvent
        >>> BudgetExceededEvent.model_fields["type"].default
        'budget.exceeded'
    """

    type: Literal["budget.exceeded"] = "budget.exceeded"
    limit: str
    maximum: float
    used: float


class ApprovalRequested(BaseEvent):
    """A tool call needs a human's approval: the run pauses.

    Examples:
        >>> from agentkit.events import ApprovalRequested
        >>> ApprovalRequested.model_fields["type"].default
        'approval.requested'
    """

    type: Literal["approval.requested"] = "approval.requested"
    tool_name: str
    tool_call_id: str
    position: int | None = Field(default=None, ge=0)
    reason: str | None = None


class ApprovalResolved(BaseEvent):
    """A human approved or rejected a paused tool call.

    Examples:
        >>> from agentkit.events import ApprovalResolved
        >>> ApprovalResolved.model_fields["type"].default
        'approval.resolved'
    """

    type: Literal["approval.resolved"] = "approval.resolved"
    tool_name: str
    tool_call_id: str
    position: int | None = Field(default=None, ge=0)
    approved: bool
    reason: str | None = None


class RouteChosen(BaseEvent):
    """A router picked a route for the input.

    Examples:
        >>> from agentkit.events import RouteChosen
        >>> RouteChosen.model_fields["type"].default
        'route.chosen'
    """

    type: Literal["route.chosen"] = "route.chosen"
    router: str
    route: str
    method: Literal["rule", "classifier", "default", "flag"]


class RouteEscalated(BaseEvent):
    """A tiered router handed the input to its next tier; recorded in that tier's run, after ``run.started``.

    ``reason`` is why: the check on the previous tier's answer, or its error (``error_type`` is then set).
    ``from_run_id`` links to the previous tier's run.

    Examples:
        >>> from agentkit.events import RouteEscalated
        >>> RouteEscalated.model_fields["type"].default
        'route.escalated'
    """

    type: Literal["route.escalated"] = "route.escalated"
    router: str
    from_tier: str
    to_tier: str
    reason: str
    error_type: str | None = None
    from_run_id: str


class FlagEvaluated(BaseEvent):
    """A feature flag was evaluated (see `agentkit.registry.evaluate_flag`); a replay answers it from this event.

    ``site`` says what the flag decided (``"tools"``, ``"prompt"``, ``"route"``, or your own); ``subject`` is who
    it was evaluated for (the user or session a rollout placed); ``reason`` is the provider's (``"static"``,
    ``"rollout"``, ``"default"``, ``"error"``...); ``provider`` names the flag provider.

    Examples:
        >>> from agentkit.events import FlagEvaluated
        >>> FlagEvaluated.model_fields["type"].default
        'flag.evaluated'
    """

    type: Literal["flag.evaluated"] = "flag.evaluated"
    flag: str
    value: bool | int | float | str
    default: bool | int | float | str
    subject: str | None = None
    reason: str = "static"
    variant: str | None = None
    provider: str = ""
    site: str | None = None


class PromptRendered(BaseEvent):
    """A prompt was rendered: enough to trace any answer back to the exact prompt text.

    It carries the names of the prompt's variables and their ``values`` as JSON (``None`` in events of earlier
    releases), with variables marked ``Sensitive()`` masked and the run's redactor applied like everywhere else,
    so `agentkit.storage.replay` renders the prompt again by itself.

    Examples:
        >>> from agentkit.events import PromptRendered
        >>> PromptRendered.model_fields["type"].default
        'prompt.rendered'
    """

    type: Literal["prompt.rendered"] = "prompt.rendered"
    prompt_name: str
    prompt_version: str
    content_hash: str
    variables: list[str]
    message_count: int
    values: dict[str, Any] | None = None


# --------------------------------------------------------------------------------------------- resilience


class RetryScheduled(BaseEvent):
    """A provider call failed with a retryable error; the resilience layer will try again after ``delay_s``.

    ``retry_after_s`` is the wait the provider asked for (``Retry-After``), when it said.

    Examples:
        >>> from agentkit.events import RetryScheduled
        >>> RetryScheduled.model_fields["type"].default
        'retry.scheduled'
    """

    type: Literal["retry.scheduled"] = "retry.scheduled"
    provider: str
    model: str | None = None
    attempt: int = Field(ge=1)
    delay_s: float = Field(ge=0)
    retry_after_s: float | None = None
    error_type: str
    error_message: str


class RetryGaveUp(BaseEvent):
    """A provider call failed and will not be tried again; ``reason`` says why.

    Examples:
        >>> from agentkit.events import RetryGaveUp
        >>> RetryGaveUp.model_fields["type"].default
        'retry.gave_up'
    """

    type: Literal["retry.gave_up"] = "retry.gave_up"
    provider: str
    model: str | None = None
    attempts: int = Field(ge=1)
    reason: Literal["not_retryable", "max_attempts", "max_elapsed", "deadline", "stream_started"]
    error_type: str
    error_message: str


class CircuitStateChanged(BaseEvent):
    """A circuit breaker changed state (``closed`` → ``open`` → ``half_open`` → ``closed``).

    Examples:
        >>> from agentkit.events import CircuitStateChanged
        >>> CircuitStateChanged.model_fields["type"].default
        'circuit.state_changed'
    """

    type: Literal["circuit.state_changed"] = "circuit.state_changed"
    key: str
    old_state: Literal["closed", "open", "half_open"]
    new_state: Literal["closed", "open", "half_open"]
    failure_rate: float = Field(ge=0, le=1)
    calls: int = Field(ge=0)


class CircuitRejected(BaseEvent):
    """An open circuit breaker failed a call fast, without sending it.

    Examples:
        >>> from agentkit.events import CircuitRejected
        >>> CircuitRejected.model_fields["type"].default
        'circuit.rejected'
    """

    type: Literal["circuit.rejected"] = "circuit.rejected"
    key: str
    retry_in_s: float = Field(ge=0)


class FallbackTriggered(BaseEvent):
    """A fallback chain moved on from one provider to the next (``to_*`` is ``None`` when none was left).

    ``reason`` is ``"error"`` (``detail`` names the error type), ``"response"`` (``detail`` names the predicate
    that rejected the answer) or ``"circuit_open"`` (the provider was skipped without being called).

    Examples:
        >>> from agentkit.events import FallbackTriggered
        >>> FallbackTriggered.model_fields["type"].default
        'fallback.triggered'
    """

    type: Literal["fallback.triggered"] = "fallback.triggered"
    from_provider: str
    from_model: str | None = None
    to_provider: str | None = None
    to_model: str | None = None
    reason: Literal["error", "response", "circuit_open"]
    detail: str


class RateLimitWaited(BaseEvent):
    """A client-side rate limiter held a call back before sending it.

    Examples:
        >>> from agentkit.events import RateLimitWaited
        >>> RateLimitWaited.model_fields["type"].default
        'rate_limit.waited'
    """

    type: Literal["rate_limit.waited"] = "rate_limit.waited"
    provider: str
    model: str | None = None
    limit: Literal["requests", "tokens", "concurrency"]
    waited_s: float = Field(ge=0)


class DeadlineExceededEvent(BaseEvent):
    """The remaining time ran out; ``stage`` says where (a provider call, a stream, a retry or limiter wait).

    Examples:
        >>> from agentkit.events import DeadlineExceededEvent
        >>> DeadlineExceededEvent.model_fields["type"].default
        'deadline.exceeded'
    """

    type: Literal["deadline.exceeded"] = "deadline.exceeded"
    provider: str
    model: str | None = None
    stage: Literal["call", "stream", "retry_wait", "limiter_wait"]
    timeout_s: float = Field(ge=0)


# The events a tool emits while the loop runs it: the emitter stamps them with the call's position.
_AT_POSITION = frozenset(
    {ToolCallStarted, ToolCallSucceeded, ToolCallFailed, ToolArgumentsRejected}
)


Event = Annotated[
    ToolCallStarted
    | ToolCallSucceeded
    | ToolCallFailed
    | ToolArgumentsRejected
    | RunStarted
    | RunFinished
    | ModelRequested
    | ModelResponded
    | ModelFailed
    | UnknownToolCalled
    | ToolCallCancelled
    | OutputRejected
    | BudgetExceededEvent
    | ApprovalRequested
    | ApprovalResolved
    | RouteChosen
    | PromptRendered
    | RouteEscalated
    | FlagEvaluated
    | RetryScheduled
    | RetryGaveUp
    | CircuitStateChanged
    | CircuitRejected
    | FallbackTriggered
    | RateLimitWaited
    | DeadlineExceededEvent,
    Field(discriminator="type"),
]
"""Any event; ``type`` tells them apart."""


@cache
def _event_adapter() -> TypeAdapter[Event]:
    from pydantic import TypeAdapter

    return TypeAdapter(Event)


def parse_event(data: str | bytes | dict[str, Any]) -> Event:
    """Parse one event from JSON text or a dict, whatever its type.

    Examples:
        >>> from agentkit.events import parse_event
        >>> parse_event({"type": "tool.call.succeeded", "run_id": "r", "seq": 3, "at": "2026-01-01T00:00:00Z",
        ...              "tool_name": "t", "duration_s": 0.5, "output_chars": 2}).seq
        3
    """
    adapter = _event_adapter()
    if isinstance(data, dict):
        return adapter.validate_python(data)
    return adapter.validate_json(data)


class EventSink(Protocol):
    """Anything that receives events: a callable taking one event.

    A sink is best-effort unless it has a true ``required`` attribute (`agentkit.storage.StoreSink` has): an
    exception from a best-effort sink (logs, metrics, traces) is logged and the run goes on; a required sink's
    events wait in a backlog retried before each later event, and a run that ends with some still unwritten
    fails with `agentkit.exceptions.EventsNotStored`. A sink that fans out to others
    (`agentkit.observability.RedactingSink`) reports their backlog with ``unwritten()`` and
    ``retry_unwritten()`` methods.

    While an agent holds events back (its tools have ``Sensitive()`` fields and a model call is in flight), a
    sink with a ``preview(event)`` method gets each held event at once, without its content fields, in the
    task that emitted it; the event itself follows when released. The OpenTelemetry sink opens its ``chat``
    span from the preview, so the spans of the provider's HTTP request nest under it.

    Examples:
        >>> from agentkit.events import EventEmitter
        >>> received = []
        >>> EventEmitter(sinks=[received.append]).sinks[0] == received.append
        True
    """

    def __call__(self, event: BaseEvent, /) -> None:
        """Receive one event."""
        ...


E = TypeVar("E", bound=BaseEvent)


class Unwritten(NamedTuple):
    """Events a required sink has not taken yet, oldest first, and its last error."""

    sink: EventSink
    events: tuple[BaseEvent, ...]
    error: Exception


class SinkFanout:
    """Hands each event to a list of sinks in order; a failure of one never stops the others.

    A best-effort sink's exception is logged on ``agentkit.events``. A required sink (``sink.required`` true)
    that raises keeps the event in a backlog: before each later event, the backlog is offered again, oldest
    first, so the sink receives every event once and in order as soon as it recovers. `unwritten` says what is
    still waiting; sinks that fan out themselves (with their own ``unwritten``) are included.
    """

    __slots__ = ("_backlog",)

    def __init__(self) -> None:
        self._backlog: dict[int, Unwritten] = {}

    def deliver(self, sinks: Iterable[EventSink], event: BaseEvent) -> None:
        """Hand ``event`` to every sink (after a required sink's backlog)."""
        for sink in sinks:
            if getattr(sink, "required", False) is True:
                waiting = self._backlog.get(id(sink))
                self._push(sink, (*waiting.events, event) if waiting is not None else (event,))
                continue
            try:
                sink(event)
            except Exception:
                # Name the event by type and number only: its content may be what made the sink fail.
                _log.exception(
                    "event sink %r failed on %s #%d", sink, type(event).__name__, event.seq
                )

    def _push(self, sink: EventSink, events: tuple[BaseEvent, ...]) -> bool:
        for index, event in enumerate(events):
            try:
                sink(event)
            except Exception as exc:  # noqa: PERF203 - stop at the first event the sink refuses
                self._backlog[id(sink)] = Unwritten(sink, events[index:], exc)
                _log.exception(
                    "required event sink %r failed on %s #%d; %d event(s) wait to be retried",
                    sink,
                    type(event).__name__,
                    event.seq,
                    len(events) - index,
                )
                return False
        self._backlog.pop(id(sink), None)
        return True

    def retry(self, sinks: Iterable[EventSink] = ()) -> bool:
        """Offer every backlog again (and ask ``sinks`` that fan out to do the same); ``True`` when all is written."""
        for waiting in list(self._backlog.values()):
            self._push(waiting.sink, waiting.events)
        done = not self._backlog
        for sink in sinks:
            nested = getattr(sink, "retry_unwritten", None)
            if callable(nested) and nested() is False:
                done = False
        return done

    def unwritten(self, sinks: Iterable[EventSink] = ()) -> tuple[Unwritten, ...]:
        """What required sinks have not taken yet (including those of ``sinks`` that fan out)."""
        found = list(self._backlog.values())
        for sink in sinks:
            nested = getattr(sink, "unwritten", None)
            more = nested() if callable(nested) else None
            if isinstance(more, tuple):
                found.extend(more)
        return tuple(found)


def _stamp_position(fields: dict[str, Any]) -> None:
    """Add the position of the tool call running in this context (if the loop runs one) to an event's fields."""
    at = _CALL_POSITION.get()
    if at is not None:
        fields["position"] = at[1]


class EventEmitter:
    """Stamps events for one run (run id, sequence number, time) and hands them to sinks.

    The emitter keeps every event it emitted in `events`, before any sink sees it, so a failing sink
    loses nothing: its exception is logged on the ``agentkit.events`` logger and the next sink still runs. A
    sink marked ``required`` (a store) gets the events it refused again before each later one; `unwritten`
    says what it still lacks (the agent fails a run that ends with any).

    Redaction happens here, once: with a ``redactor`` (any callable from an event to its redacted copy, such as
    `agentkit.observability.SecretRedactor`), every event is redacted before it is stored or any sink sees it.

    Args:
        run_id: Identifier of the run; a random one is made when omitted.
        clock: Where event times come from.
        sinks: Callables that receive each event.
        redactor: Applied to every event before it is kept or handed to a sink.
        start_seq: The first sequence number (to continue a run's sequence after a pause).

    Examples:
        >>> from agentkit.events import EventEmitter, ToolCallSucceeded
        >>> emitter = EventEmitter(run_id="r")
        >>> _ = emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.1, output_chars=2)
        >>> _ = emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.2, output_chars=2)
        >>> [e.seq for e in emitter.events]
        [0, 1]
    """

    __slots__ = ("_events", "_fanout", "_seq", "clock", "redactor", "run_id", "sinks")

    def __init__(
        self,
        run_id: str | None = None,
        *,
        clock: Clock = system_clock,
        sinks: Iterable[EventSink] = (),
        redactor: Callable[[BaseEvent], BaseEvent] | None = None,
        start_seq: int = 0,
    ) -> None:
        if start_seq < 0:
            raise ValueError("start_seq must be >= 0")
        self.run_id = run_id if run_id is not None else uuid.uuid4().hex
        self.clock = clock
        self.sinks: list[EventSink] = list(sinks)
        self.redactor = redactor
        self._events: list[BaseEvent] = []
        self._seq = start_seq
        self._fanout = SinkFanout()

    @property
    def events(self) -> tuple[BaseEvent, ...]:
        """Every event emitted so far, in order."""
        return tuple(self._events)

    def emit(self, event_type: type[E], /, **fields: Any) -> E:
        """Create an event of ``event_type`` stamped with this run's id, the next ``seq`` and the clock's time.

        Args:
            event_type: The event class.
            **fields: The event's own fields.

        Returns:
            The event, after every sink received it.
        """
        if event_type in _AT_POSITION and "position" not in fields:
            _stamp_position(fields)
        event = event_type(run_id=self.run_id, seq=self._seq, at=self.clock.now(), **fields)
        if self.redactor is not None:
            event = self.redactor(event)  # type: ignore[assignment]  # a redactor returns a copy of the same type
        return self._deliver(event)

    async def emit_offloaded(self, event_type: type[E], /, **fields: Any) -> E:
        """`emit`, with the redaction done in a worker thread: for an event that carries a long text.

        Redacting megabytes of tool output takes a while; done here it does not block the event loop. The
        event takes its ``seq`` and time once redacted, so the sequence stays in order whatever was emitted
        meanwhile; a cancellation waits for the redaction, and the event is still delivered.

        Examples:
            >>> import anyio
            >>> from agentkit.events import EventEmitter, ToolCallSucceeded
            >>> emitter = EventEmitter(run_id="r", redactor=lambda e: e)
            >>> event = anyio.run(lambda: emitter.emit_offloaded(
            ...     ToolCallSucceeded, tool_name="t", duration_s=0.1, output_chars=2, content="ok"))
            >>> event.seq, event.content
            (0, 'ok')
        """
        redactor = self.redactor
        if redactor is None:
            return self.emit(event_type, **fields)
        import anyio
        import anyio.to_thread

        if event_type in _AT_POSITION and "position" not in fields:
            _stamp_position(fields)
        draft = event_type(run_id=self.run_id, seq=self._seq, at=self.clock.now(), **fields)
        with anyio.CancelScope(shield=True):
            redacted = await anyio.to_thread.run_sync(redactor, draft)
        event: E = redacted.model_copy(update={"seq": self._seq, "at": self.clock.now()})  # type: ignore[assignment]  # a redactor returns a copy of the same type
        return self._deliver(event)

    def _deliver(self, event: E) -> E:
        self._seq += 1
        self._events.append(event)
        self._fanout.deliver(self.sinks, event)
        return event

    @property
    def unwritten(self) -> tuple[Unwritten, ...]:
        """Events that required sinks (stores) have not taken yet, per sink: empty when all is written.

        Examples:
            >>> from agentkit.events import EventEmitter, ToolCallSucceeded
            >>> class Flaky:
            ...     required = True
            ...     def __init__(self): self.got, self.fail = [], True
            ...     def __call__(self, event):
            ...         if self.fail:
            ...             raise OSError("disk full")
            ...         self.got.append(event.seq)
            >>> sink = Flaky()
            >>> emitter = EventEmitter(run_id="r", sinks=[sink])
            >>> _ = emitter.emit(ToolCallSucceeded, tool_name="t", duration_s=0.1, output_chars=2)
            >>> [(len(u.events), str(u.error)) for u in emitter.unwritten]
            [(1, 'disk full')]
            >>> sink.fail = False
            >>> emitter.retry_unwritten(), sink.got, emitter.unwritten
            (True, [0], ())
        """
        return self._fanout.unwritten(self.sinks)

    def retry_unwritten(self) -> bool:
        """Offer required sinks the events they have not taken again; ``True`` when nothing is left unwritten."""
        return self._fanout.retry(self.sinks)

    def __repr__(self) -> str:
        return f"EventEmitter(run_id={self.run_id!r}, events={len(self._events)})"
