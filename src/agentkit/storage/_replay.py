"""Replay a stored run against its recorded model answers and tool results, and say where a new run diverges.

Since event schema version 2 the events of a run are enough: ``model.requested`` holds the messages each request
added (``new_messages``) and the fingerprints of the tools it offered, ``model.responded`` the answer
(``message``), ``run.finished`` the messages added after the last answer. All of it went through the run's
redactor, so a replay sees secrets masked, exactly as every store does. Older (version 1) logs hold only the shape
of each call; their content comes from the conversation saved with the run (`EventStore.save_messages`): request
*k* is the first ``model.requested.messages`` messages of it, and answer *k* is the assistant message right after
them.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn, cast

from agentkit._redact import secret_values
from agentkit._scope import POLICY_EVENT_TYPES, current_scope
from agentkit.events import (
    _CALL_POSITION,
    ApprovalRequested,
    ApprovalResolved,
    ModelRequested,
    ModelResponded,
    PromptRendered,
    RouteChosen,
    RunFinished,
    RunStarted,
    ToolArgumentsRejected,
    ToolCallCancelled,
    ToolCallFailed,
    ToolCallStarted,
    ToolCallSucceeded,
)
from agentkit.exceptions import (
    ApprovalRequired,
    InvalidToolArguments,
    TamperedRun,
    ToolFailed,
    ToolRetriesExhausted,
    UsageError,
)
from agentkit.messages import (
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
    attach_media,
)
from agentkit.providers._base import ModelProfile, ModelResponse, Provider, StreamDone, TextDelta
from agentkit.registry import Toolset
from agentkit.registry._flags import replaying_flags
from agentkit.storage._defaults import with_defaults
from agentkit.storage._errors import ReplayDivergence
from agentkit.tools._mode import CALL_MODE

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence

    from agentkit.events import BaseEvent, Event, EventEmitter
    from agentkit.providers._base import ModelRequest, StreamEvent
    from agentkit.runtime import Agent, ApprovalDecision, PendingCall, Router, RunResult
    from agentkit.storage._base import EventStore
    from agentkit.tools import RunContext, Tool, ToolContract
    from agentkit.tools._base import ToolOutcome

__all__ = ("RecordedStep", "Recording", "ReplayProvider", "render_messages", "replay")

# Fields that legitimately differ between a run and its replay.
# Request messages and tool fingerprints are checked by the ReplayProvider, with a readable diff, against the
# recording and the agent's own tools (the replay's stand-ins have contracts of their own).
_VOLATILE = frozenset(
    {
        "at",
        "run_id",
        "seq",
        "schema_version",
        "duration_s",
        "traceback",
        "timeout_s",
        "stream",
        "tool_fingerprints",
        "new_messages",
        # Where the run happened, not what it did: a replay runs outside the session, with no server.
        "session_id",
        "server_address",
        "server_port",
        "response_id",
    }
)
_CONTENT_FIELDS = ("message", "content", "messages", "values")
_PROVIDER_NAMED = frozenset({"run.started", "model.requested"})


@dataclass(frozen=True)
class RecordedStep:
    """One recorded model call: what was sent and what came back.

    Attributes:
        step: The call's number in the run, from 1.
        request_messages: The messages it sent.
        response: The answer it got.
        tool_fingerprints: The contract fingerprint of each tool it offered, by name (empty for logs written
            before event schema version 2).

    Examples:
        >>> from agentkit.storage import RecordedStep
        >>> RecordedStep.__dataclass_fields__.keys() >= {"step", "request_messages", "response"}
        True
    """

    step: int
    request_messages: tuple[Message, ...]
    response: ModelResponse
    tool_fingerprints: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recording:
    """Everything needed to replay one run: its events, its model calls and its tool results.

    Attributes:
        run_id: The recorded run.
        events: Its events, in order.
        steps: Its model calls, in order.
        tool_results: The result the model got for each tool call, by ``tool_call_id`` (the last one, when
            the model reused an id; `replay` reads ``call_results``).
        input: What the run was given: the first request's messages without the leading system messages
            (the agent adds its own instructions again on replay).
        tool_outputs: What each successful tool call returned, by ``tool_call_id``, before the agent framed it
            (from ``tool.call.succeeded.content``; empty for logs written before event schema version 2).
        call_results: The result the model got for each tool call, by the call's step and position in the
            step: models and servers number their call ids afresh in every answer (``call_0``...), so an id
            alone does not name a call.

    Examples:
        >>> from agentkit.runtime import Agent
        >>> from agentkit.storage import Recording
        >>> from agentkit.testing import FakeProvider
        >>> result = Agent(FakeProvider(["hi"]), instructions="Be kind.").run_sync("hello")
        >>> recording = Recording.from_result(result)
        >>> [s.response.text for s in recording.steps], [m.role for m in recording.input]
        (['hi'], ['user'])
    """

    run_id: str
    events: tuple[Event, ...]
    steps: tuple[RecordedStep, ...]
    tool_results: Mapping[str, ToolResultPart] = field(default_factory=dict)
    input: tuple[Message, ...] = ()
    tool_outputs: Mapping[str, str] = field(default_factory=dict)
    call_results: Mapping[tuple[int, int], ToolResultPart] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        run_id: str,
        events: Sequence[BaseEvent],
        messages: Sequence[Message] | None = None,
    ) -> Recording:
        """Assemble a recording from a run's events, and the conversation it ended with for older logs.

        Args:
            run_id: The run.
            events: Its events, in order.
            messages: The conversation the run ended with; needed only when the events were written before
                event schema version 2 (when given, it is used instead of the content of the events).

        Raises:
            UsageError: The events do not hold the run's content and no conversation was given, or the
                conversation does not match the events (it belongs to another run, or is cut short).

        Examples:
            >>> from agentkit.runtime import Agent
            >>> from agentkit.storage import Recording
            >>> from agentkit.testing import FakeProvider
            >>> result = Agent(FakeProvider(["hi"])).run_sync("hello")
            >>> [s.response.text for s in Recording.build(result.run_id, result.events).steps]
            ['hi']
        """
        outputs = {
            e.tool_call_id: e.content
            for e in events
            if isinstance(e, ToolCallSucceeded) and e.tool_call_id and e.content is not None
        }
        if messages is None:
            found = _replay_content(run_id, events)
            if found is None:
                raise UsageError(
                    f"run {run_id!r} was recorded by an older agentkit (event schema version 1), whose events "
                    "do not hold the model answers; pass the conversation saved with it "
                    "(EventStore.save_messages / load_messages)"
                )
            found_steps, conversation, first = found
            return cls(
                run_id,
                tuple(events),  # type: ignore[arg-type]  # BaseEvent instances of the union
                tuple(found_steps),
                _results(conversation[first:]),
                _without_system(conversation[:first]),
                outputs,
                _step_results(found_steps, conversation),
            )
        fingerprints = {
            e.step: dict(e.tool_fingerprints) for e in events if isinstance(e, ModelRequested)
        }
        requested = {e.step: e for e in events if isinstance(e, ModelRequested)}
        steps: list[RecordedStep] = []
        for event in events:
            if not isinstance(event, ModelResponded):
                continue
            sent = requested.get(event.step)
            count = sent.messages if sent is not None else -1
            if sent is None or count >= len(messages) or messages[count].role != "assistant":
                raise UsageError(
                    f"run {run_id!r}: the saved conversation does not hold the answer of step {event.step}; "
                    "was it saved with this run (EventStore.save_messages)?"
                )
            response = ModelResponse.model_validate(
                {
                    "parts": messages[count].parts,
                    "finish_reason": event.finish_reason,
                    "usage": Usage(**event.usage),
                    # model.responded records usage={} when the server never reported any.
                    "usage_reported": bool(event.usage),
                    "model": event.model,
                    "provider": "replay",
                }
            )
            steps.append(
                RecordedStep(
                    event.step,
                    tuple(messages[:count]),
                    response,
                    fingerprints.get(event.step, {}),
                )
            )
        first = (
            min(requested.values(), key=lambda e: e.step).messages if requested else len(messages)
        )
        return cls(
            run_id,
            tuple(events),  # type: ignore[arg-type]  # BaseEvent instances of the union
            tuple(steps),
            _results(messages[first:]),
            _without_system(messages[:first]),
            outputs,
            _step_results(steps, messages),
        )

    @classmethod
    def load(cls, store: EventStore, run_id: str, *, verify: bool = True) -> Recording:
        """Read a stored run: from its events alone, or with its saved conversation for older logs.

        Args:
            store: Where the run is.
            run_id: The run.
            verify: Refuse a run without a hash chain (stored by an earlier agentkit, or by a store that keeps
                none), whose events cannot be checked. A run whose chain is broken is refused whatever this says.

        Raises:
            RunNotFound: No such run.
            TamperedRun: The stored events were changed since they were stored, or (with ``verify=True``) the run
                has no hash chain to check them against.
            UsageError: The events predate event schema version 2 and no conversation was saved with the run.

        Examples:
            >>> from agentkit.runtime import Agent
            >>> from agentkit.storage import MemoryStore, Recording, StoreSink
            >>> from agentkit.testing import FakeProvider
            >>> store = MemoryStore()
            >>> _ = Agent(FakeProvider(["hi"])).run_sync("hello", run_id="r1", sinks=[StoreSink(store)])
            >>> Recording.load(store, "r1").steps[0].response.text
            'hi'
        """
        events = store.read(run_id)
        if verify and not store.verify(run_id):
            raise TamperedRun(
                run_id=run_id,
                seq=0,
                reason="it was stored without a hash chain, so it cannot be verified; "
                "pass verify=False (agentkit runs replay --no-verify) to replay it unverified",
            )
        if _replay_content(run_id, events) is not None:
            return cls.build(run_id, events)
        messages = store.load_messages(run_id)
        if messages is None:
            raise UsageError(
                f"run {run_id!r} was stored by an older agentkit (event schema version 1) without its "
                "conversation, so its model answers cannot be replayed; save it with "
                "store.save_messages(run_id, result.messages)"
            )
        return cls.build(run_id, events, messages)

    @classmethod
    def from_result(cls, result: RunResult[Any]) -> Recording:
        """A recording of a run that just finished, from its `RunResult`."""
        return cls.build(result.run_id, result.events, result.messages)


def _without_system(messages: Sequence[Message]) -> tuple[Message, ...]:
    sent = list(messages)
    while sent and sent[0].role == "system":
        sent.pop(0)
    return tuple(sent)


def _results(messages: Sequence[Message]) -> dict[str, ToolResultPart]:
    return {
        part.tool_call_id: part
        for message in messages
        for part in message.parts
        if isinstance(part, ToolResultPart)
    }


def _step_results(
    steps: Sequence[RecordedStep], conversation: Sequence[Message]
) -> dict[tuple[int, int], ToolResultPart]:
    """Each call's result by (step, position in the step): the tool message right after the step's answer."""
    found: dict[tuple[int, int], ToolResultPart] = {}
    for step in steps:
        calls = step.response.tool_calls
        at = len(step.request_messages)
        if not calls or at + 1 >= len(conversation):
            continue
        answer, results = conversation[at], conversation[at + 1].tool_results
        if (
            answer.role != "assistant"
            or len(results) != len(calls)
            or any(r.tool_call_id != c.id for r, c in zip(results, calls, strict=True))
        ):
            continue  # not the conversation these steps were answered in: replay pairs by id instead
        found.update(((step.step, index), result) for index, result in enumerate(results))
    return found


def _splice(
    run_id: str, conversation: list[Message], total: int, new: Sequence[Message]
) -> list[Message]:
    """The conversation with its messages from ``total - len(new)`` on replaced by ``new``."""
    base = total - len(new)
    if base < 0 or base > len(conversation):
        raise UsageError(
            f"run {run_id!r}: its events do not hold a consistent conversation "
            f"(a message count of {total} after {len(conversation)} known messages)"
        )
    return [*conversation[:base], *new]


def _replay_content(
    run_id: str, events: Sequence[BaseEvent]
) -> tuple[list[RecordedStep], list[Message], int] | None:
    """The model calls, final conversation and first request size a run's events hold; ``None`` for v1 logs.

    Raises:
        UsageError: The events hold content, but not a consistent conversation.
    """
    conversation: list[Message] = []
    sent: dict[int, tuple[tuple[Message, ...], dict[str, str]]] = {}
    steps: list[RecordedStep] = []
    first: int | None = None
    blobs: dict[str, bytes] = {}  # media bytes by sha256: later events name them by reference only
    for event in events:
        if isinstance(event, ModelRequested):
            if event.new_messages is None:
                return None
            new = [attach_media(m, blobs) for m in event.new_messages]
            conversation = _splice(run_id, conversation, event.messages, new)
            sent[event.step] = (tuple(conversation), dict(event.tool_fingerprints))
            if first is None:
                first = len(conversation)
        elif isinstance(event, ModelResponded):
            if event.message is None or event.step not in sent:
                return None
            request, fingerprints = sent[event.step]
            response = ModelResponse.model_validate(
                {
                    "parts": event.message.parts,
                    "finish_reason": event.finish_reason,
                    "usage": Usage(**event.usage),
                    # model.responded records usage={} when the server never reported any.
                    "usage_reported": bool(event.usage),
                    "model": event.model,
                    "provider": "replay",
                }
            )
            steps.append(RecordedStep(event.step, request, response, fingerprints))
            conversation = [*request, event.message]
        elif isinstance(event, RunFinished) and event.new_messages is not None:
            total = event.messages if event.messages is not None else len(conversation)
            new = [attach_media(m, blobs) for m in event.new_messages]
            conversation = _splice(run_id, conversation, total, new)
    has_content = any(isinstance(e, RunFinished) and e.new_messages is not None for e in events)
    if first is None and not has_content:
        return None
    return steps, conversation, first if first is not None else len(conversation)


def conversation_from_events(events: Sequence[BaseEvent]) -> list[Message] | None:
    """The conversation a run ended with, rebuilt from its (redacted) events; ``None`` for v1 logs.

    Raises:
        UsageError: The events hold content, but not a consistent conversation.
    """
    run_id = events[0].run_id if events else "?"
    found = _replay_content(run_id, events)
    return None if found is None else found[1]


def render_messages(messages: Sequence[Message]) -> str:
    """Messages as readable lines, one per part, for diffs.

    Examples:
        >>> from agentkit.messages import Message
        >>> from agentkit.storage._replay import render_messages
        >>> print(render_messages([Message.system("Be brief."), Message.user("hi")]))
        [0] system: Be brief.
        [1] user: hi
    """
    lines: list[str] = []
    for index, message in enumerate(messages):
        for part in message.parts:
            if isinstance(part, TextPart):
                body = part.text
            elif isinstance(part, ToolCallPart):
                body = f"call {part.name}({part.arguments}) id={part.id}"
            elif isinstance(part, ToolResultPart):
                flag = " error" if part.is_error else ""
                body = f"result{flag} {part.name} id={part.tool_call_id}: {part.content}"
            else:
                body = f"<{getattr(part, 'kind', type(part).__name__)}> {getattr(part, 'text', '')}"
            lines.append(f"[{index}] {message.role}: {body}")
    return "\n".join(lines)


class ReplayProvider(Provider):
    """Serves a recording's model answers in order, checking each request against the recorded one.

    No network: nothing is sent anywhere. A request whose messages differ from the recorded request, that offers
    a tool whose contract fingerprint differs from the recorded one, or a request beyond the recorded ones, raises
    `ReplayDivergence` (with ``strict=False`` the recorded answer is served anyway while there is one).

    Args:
        recording: The run to serve answers from.
        model: The model name to report (the recording's, by default).
        profile: The capability profile to report (decides the output mode, as the original provider's did).
        strict: Check each request's messages.
        secrets: Values redaction must mask in the replayed run (`replay` passes the original provider's).

    Examples:
        >>> import anyio
        >>> from agentkit.runtime import Agent
        >>> from agentkit.storage import Recording, ReplayProvider
        >>> from agentkit.testing import FakeProvider
        >>> recording = Recording.from_result(Agent(FakeProvider(["4"])).run_sync("2 + 2?"))
        >>> Agent(ReplayProvider(recording)).run_sync("2 + 2?").output
        '4'
        >>> Agent(ReplayProvider(recording)).run_sync("3 + 3?")
        Traceback (most recent call last):
        ...
        agentkit.storage._errors.ReplayDivergence: run '...' diverges at step 1, request messages:
        --- recorded
        +++ replayed
        @@ -1 +1 @@
        -[0] user: 2 + 2?
        +[0] user: 3 + 3?
    """

    system = "replay"

    def __init__(
        self,
        recording: Recording,
        *,
        model: str | None = None,
        profile: ModelProfile | None = None,
        strict: bool = True,
        secrets: Iterable[str] = (),
    ) -> None:
        self.recording = recording
        self._secrets = frozenset(secret_values(secrets, owner="ReplayProvider(secrets=...)"))
        recorded_model = next((s.response.model for s in recording.steps if s.response.model), None)
        self._model = model if model is not None else (recorded_model or "replay")
        self._profile = profile if profile is not None else ModelProfile()
        self.strict = strict
        self.requests: list[ModelRequest] = []
        self.divergence: ReplayDivergence | None = None
        # replay() points this at the agent's own tools, whose stand-ins have contracts of their own.
        self._fingerprint: Callable[[ToolContract], str] = _own_fingerprint

    @property
    def model(self) -> str:
        """The model reported (the recording's, unless one was given)."""
        return self._model

    @property
    def profile(self) -> ModelProfile:
        """The capability profile reported."""
        return self._profile

    def secrets(self) -> frozenset[str]:
        """The ``secrets`` given: a replay sends nothing anywhere, but live tools may echo the original key."""
        return self._secrets

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The next recorded answer, after checking ``request`` against the recorded request."""
        self.requests.append(request)
        number = len(self.requests)
        steps = self.recording.steps
        if number > len(steps):
            self._diverge(
                number,
                "model call",
                f"(the recorded run made {len(steps)} model call(s))",
                render_messages(request.messages),
            )
        recorded = steps[number - 1]
        if (
            self.strict
            and tuple(request.messages) != recorded.request_messages
            and _as_recorded(request.messages) != recorded.request_messages
        ):
            self._diverge(
                number,
                "request messages",
                render_messages(recorded.request_messages),
                render_messages(request.messages),
            )
        if self.strict and recorded.tool_fingerprints:
            offered = {c.name: self._fingerprint(c) for c in request.tools}
            if offered != dict(recorded.tool_fingerprints):
                self._diverge(
                    number,
                    "tool contracts",
                    _render_fingerprints(recorded.tool_fingerprints),
                    _render_fingerprints(offered),
                )
        return recorded.response

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """`complete`, as a stream: the answer's text as one delta, then ``StreamDone``."""
        response = await self.complete(request)
        if response.text:
            yield TextDelta(response.text)
        yield StreamDone(response)

    def _diverge(self, step: int, where: str, expected: str, actual: str) -> None:
        self.divergence = ReplayDivergence(
            run_id=self.recording.run_id, step=step, where=where, expected=expected, actual=actual
        )
        raise self.divergence


def _as_recorded(messages: Sequence[Message]) -> tuple[Message, ...]:
    """``messages`` as the run's redactor records them: the recording holds every request redacted.

    A prompt rendered again from recorded (masked) variables is compared as it would be stored: a built-in
    pattern may mask more than the value (``Token: ***.`` is stored as ``Token: ***``).
    """
    scope = current_scope()
    redactor = scope.redactor
    if redactor is None:
        return tuple(messages)
    draft = ModelRequested(
        run_id="replay",
        seq=0,
        at=scope.now_clock().now(),
        step=1,
        provider="replay",
        messages=len(messages),
        new_messages=list(messages),
    )
    redacted = redactor(draft)
    return tuple(getattr(redacted, "new_messages", None) or ())


def _own_fingerprint(contract: ToolContract) -> str:
    return contract.fingerprint


def _render_fingerprints(fingerprints: Mapping[str, str]) -> str:
    return "\n".join(f"{name}: {fingerprints[name]}" for name in sorted(fingerprints))


def _unframe(name: str, content: str) -> str:
    """A recorded tool result without the ``<tool-output>`` frame the agent wraps it in again."""
    head = f'<tool-output tool="{name}">\n'
    tail = "\n</tool-output>"
    if content.startswith(head) and content.endswith(tail):
        return content[len(head) : -len(tail)].replace("<\\/tool-output", "</tool-output")
    return content


@dataclass
class _Invocation:
    """One recorded invocation of a tool: how it opened (started or rejected) and how it ended."""

    opened: ToolCallStarted | ToolArgumentsRejected
    output: str | None = None  # what it returned, before framing (tool.call.succeeded.content)
    paused: bool = False  # it asked for approval (ApprovalRequired): the run paused on it
    reason: str | None = None  # why it asked
    done: bool = False


# A recorded call: (step, position in the step), or (step, call id) for events stored before they had a position.
_CallKey = tuple[int, int | str]


def _call_key(step: int, event: BaseEvent) -> _CallKey | None:
    position: int | None = getattr(event, "position", None)
    if position is not None:
        return step, position
    call_id: str | None = getattr(event, "tool_call_id", None)
    return (step, call_id) if call_id else None


def _invocations(events: Iterable[BaseEvent]) -> dict[_CallKey, list[_Invocation]]:
    """Every recorded tool invocation by (step, position in the step), in the order they started.

    A tool event belongs to the step whose answer came last before it: providers number ids afresh in every
    answer, so an id names a call only within its step, and not even there (two calls of one answer may share an
    id). A call paused for approval is invoked again after the resume (a second invocation of the same key); an
    end event closes the earliest open invocation of its key. Events stored before they carried a position are
    keyed by (step, call id): calls sharing an id within a step are then paired in the order they started.
    """
    found: dict[_CallKey, list[_Invocation]] = {}
    step = 0
    for event in events:
        if isinstance(event, ModelRequested | ModelResponded):
            step = event.step
        elif isinstance(event, ToolCallStarted | ToolArgumentsRejected):
            key = _call_key(step, event)
            if key is not None:
                done = isinstance(event, ToolArgumentsRejected)
                found.setdefault(key, []).append(_Invocation(event, done=done))
        elif isinstance(
            event, ToolCallSucceeded | ToolCallFailed | ToolCallCancelled | ApprovalRequested
        ):
            key = _call_key(step, event) or (step, "")
            invocation = next((i for i in found.get(key, ()) if not i.done), None)
            if invocation is None:
                continue  # a call that never started: cancelled, or paused before it ran
            invocation.done = True
            if isinstance(event, ToolCallSucceeded):
                invocation.output = event.content
            elif isinstance(event, ApprovalRequested):
                invocation.paused, invocation.reason = True, event.reason
    return found


# The recorded invocation and result a stand-in's handler answers with (set around each call).
_ANSWERING: ContextVar[tuple[_Invocation | None, ToolResultPart | None]] = ContextVar(
    "agentkit_replay_answering", default=(None, None)
)


def _position() -> tuple[int, int] | None:
    """The step and position of the tool call running in this context (set by the run's loop)."""
    return _CALL_POSITION.get()


class _RecordedCalls:
    """A recording's tool calls, looked up by step and position (or id), each invocation handed out once."""

    def __init__(self, recording: Recording) -> None:
        self.by_position = recording.call_results
        # By id alone: recordings built by hand, and conversations that do not fit their steps.
        self.by_id = recording.tool_results
        self.outputs = recording.tool_outputs
        self.invocations = _invocations(recording.events)
        self.taken: dict[_CallKey, int] = {}

    def take(self, call_id: str | None) -> tuple[_Invocation | None, ToolResultPart | None]:
        """The recorded invocation and result of the call running now (``None`` where the recording has none)."""
        position = _position()
        if position is None or call_id is None:
            return None, self.by_id.get(call_id or "")
        key = _recorded_key(self.invocations, position, call_id)
        count = self.taken.get(key, 0)
        self.taken[key] = count + 1
        known = self.invocations.get(key, [])
        invocation = known[count] if count < len(known) else None
        result = self.by_position.get(position)
        if result is None or result.tool_call_id != call_id:
            result = None if self.by_position else self.by_id.get(call_id)
        return invocation, result

    def output(self, call_id: str | None, invocation: _Invocation | None) -> str | None:
        if invocation is not None:
            return invocation.output
        return None if self.by_position else self.outputs.get(call_id or "")


def _recorded_key(
    recorded: Mapping[_CallKey, object], position: tuple[int, int], call_id: str
) -> _CallKey:
    """The key of the running call's record: its step and position, or its step and id in a log without positions."""
    return position if position in recorded else (position[0], call_id)


def _recorded_tool(tool: Tool[Any, Any], calls: _RecordedCalls) -> Tool[Any, Any]:
    """A stand-in with ``tool``'s contract that answers each call with the recorded result.

    A call whose arguments the recorded run rejected is rejected again from the record (the same issues and
    repair hint), not re-validated: the stand-in validates with JSON Schema, whose wording differs from the tool's.
    A call that asked for approval asks again (the replay pauses and resumes with the recorded decisions).
    """
    from agentkit.tools import JsonSchemaTool
    from agentkit.tools._base import ToolOutcome

    class _Recorded(JsonSchemaTool):
        def _validate_python(self, arguments: Any) -> dict[str, Any]:
            # The recorded call holds the arguments after the tool's own validation, defaults filled in.
            checked = super()._validate_python(arguments)
            filled: dict[str, Any] = with_defaults(schema, checked)
            return filled

        async def invoke_json(
            self, raw_arguments: str | bytes, ctx: RunContext[Any] | None = None
        ) -> ToolOutcome[Any]:
            call_id = ctx.tool_call_id if ctx is not None else None
            invocation, result = calls.take(call_id)
            # The events of the call say the mode it was recorded in (a dry run replays as one).
            mode = invocation.opened.mode if invocation is not None else "live"
            token = CALL_MODE.set(mode)
            try:
                return await self._answer(raw_arguments, ctx, call_id, invocation, result)
            finally:
                CALL_MODE.reset(token)

        async def _answer(
            self,
            raw_arguments: str | bytes,
            ctx: RunContext[Any] | None,
            call_id: str | None,
            invocation: _Invocation | None,
            answer: ToolResultPart | None,
        ) -> ToolOutcome[Any]:
            record = invocation.opened if invocation is not None else None
            if ctx is None or not isinstance(record, ToolArgumentsRejected) or answer is None:
                token = _ANSWERING.set((invocation, answer))
                try:
                    outcome: ToolOutcome[Any] = await super().invoke_json(raw_arguments, ctx)
                finally:
                    _ANSWERING.reset(token)
                return outcome
            if ctx.events is not None:
                ctx.events.emit(
                    ToolArgumentsRejected,
                    tool_name=record.tool_name,
                    tool_call_id=call_id,
                    issues=record.issues,
                    attempt=record.attempt,
                    max_retries=record.max_retries,
                    mode=record.mode,
                )
            ctx.retries[name] = ctx.retries.get(name, 0) + 1
            error = InvalidToolArguments(tool_name=name, issues=())
            if record.attempt > record.max_retries:
                exhausted = ToolRetriesExhausted(
                    tool_name=name, max_retries=record.max_retries, last_error=str(error)
                )
                return ToolOutcome(
                    name, "retries_exhausted", answer.content, None, exhausted, call_id
                )
            return ToolOutcome(name, "invalid_arguments", answer.content, None, error, call_id)

    contract = tool.contract
    name = contract.name
    schema = contract.input_schema

    def handler(arguments: dict[str, Any], ctx: RunContext[Any]) -> Any:
        invocation, recorded = _ANSWERING.get()
        if invocation is not None and invocation.paused:
            raise ApprovalRequired(invocation.reason or "")
        if recorded is None:
            raise ToolFailed(
                f"replay: no recorded result for call {ctx.tool_call_id!r} of {name!r}"
            )
        if recorded.is_error:
            raise ToolFailed(_unframe(name, recorded.content))
        output = calls.output(ctx.tool_call_id, invocation)
        text = output if output is not None else _unframe(name, recorded.content)
        return [text, *recorded.media] if recorded.media else text  # a screenshot comes back too

    return _Recorded(**_stand_in(contract), handler=handler)


class _LiveCheck:
    """For a live replay: each call is checked against the recorded call with its step and id before it runs.

    A live tool acts on the world, so a call the recording does not hold (another tool, other arguments: a
    tampered or inconsistent log, a changed dialect) must not run. The check compares the ``tool.call.started``
    the replay is about to emit (validated, masked and redacted as in the recorded run) with the recorded one.
    """

    def __init__(self, recording: Recording) -> None:
        self.run_id = recording.run_id
        self.expected: dict[_CallKey, list[ToolCallStarted]] = {}
        for key, invocations in _invocations(recording.events).items():
            started = [i.opened for i in invocations if isinstance(i.opened, ToolCallStarted)]
            self.expected[key] = started
        self.divergence: ReplayDivergence | None = None

    def check(self, emitter: EventEmitter, fields: Mapping[str, Any]) -> None:
        draft = ToolCallStarted(run_id=emitter.run_id, seq=0, at=emitter.clock.now(), **fields)
        if emitter.redactor is not None:
            draft = emitter.redactor(draft)  # type: ignore[assignment]  # a redactor returns the same type
        call_id = draft.tool_call_id or ""
        actual = _call_view(draft)
        position = _position()
        step = position[0] if position is not None else 0
        key = _recorded_key(self.expected, position, call_id) if position else (0, call_id)
        queue = self.expected.get(key)
        if not queue:
            self._diverge(
                step, call_id, "(the recorded run ran no call with this id in this step)", actual
            )
        recorded = queue.pop(0)
        expected = _call_view(recorded)
        if expected != actual:
            self._diverge(step, call_id, expected, actual)

    def _diverge(self, step: int, call_id: str, expected: str, actual: str) -> NoReturn:
        self.divergence = ReplayDivergence(
            run_id=self.run_id,
            step=step,
            where=f"tool call {call_id!r}, before it ran",
            expected=expected,
            actual=actual,
        )
        raise self.divergence

    def guard(self, tool: Tool[Any, Any]) -> Tool[Any, Any]:
        """``tool``, checking each call before it runs (the same contract)."""
        from agentkit.tools import JsonSchemaTool

        check = self

        class _Checked(JsonSchemaTool):
            async def invoke_json(
                self, raw_arguments: str | bytes, ctx: RunContext[Any] | None = None
            ) -> ToolOutcome[Any]:
                if ctx is not None and ctx.events is not None:
                    ctx = dataclasses.replace(
                        ctx, events=cast("Any", _CheckedEvents(ctx.events, check))
                    )
                outcome: ToolOutcome[Any] = await tool.invoke_json(raw_arguments, ctx)
                return outcome

        return _Checked(**_stand_in(tool.contract), handler=_never_called)


class _CheckedEvents:
    """The run's emitter, with ``tool.call.started`` checked against the recording before it is emitted."""

    __slots__ = ("_check", "_inner")

    def __init__(self, inner: EventEmitter, check: _LiveCheck) -> None:
        self._inner = inner
        self._check = check

    def emit(self, event_type: type[Any], /, **fields: Any) -> Any:
        if event_type is ToolCallStarted:
            self._check.check(self._inner, fields)  # raises before the tool runs
        return self._inner.emit(event_type, **fields)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _never_called(arguments: dict[str, Any], ctx: RunContext[Any]) -> None:
    raise AssertionError("a checked live tool delegates every call")  # pragma: no cover - delegated


def _call_view(event: ToolCallStarted) -> str:
    return _pretty(
        {"tool_name": event.tool_name, "arguments": event.model_dump(mode="json")["arguments"]}
    )


def _stand_in(contract: ToolContract) -> dict[str, Any]:
    """What a stand-in needs to offer ``contract`` as it is (`replay` maps its fingerprint to the original)."""
    return {
        "name": contract.name,
        "namespace": contract.namespace,
        "input_schema": dict(contract.input_schema),
        "description": contract.description,
        "version": contract.version,
        "annotations": contract.annotations,
        "tags": contract.tags,
        "sensitive": contract.sensitive,
        "requires_approval": contract.requires_approval,
        "blocking": False,
    }


def _projection(event: BaseEvent) -> dict[str, Any]:
    data = event.model_dump(mode="json", exclude=set(_VOLATILE))
    if data.get("type") in _PROVIDER_NAMED:
        data.pop("provider", None)
    return data


# Events of one step's tool calls: the runtime runs the calls concurrently, so their events interleave in any order.
_CALL_EVENTS = frozenset(
    {
        "tool.call.started",
        "tool.call.succeeded",
        "tool.call.failed",
        "tool.call.cancelled",
        "tool.arguments.rejected",
        "approval.requested",
    }
)


def _calls_as_sets(events: Sequence[BaseEvent]) -> list[BaseEvent]:
    """The events with each run of tool-call events grouped by call (each call's own events keep their order).

    Steps are then compared as sets of calls keyed by call id: a replay whose stand-ins finish in another order
    than the recorded tools did is the same run. Calls sharing an id within a step are told apart by their
    position in the step; in events stored before they carried one, by the order they started in, an end event
    closing the earliest open one.
    """
    out: list[BaseEvent] = []
    segment: list[BaseEvent] = []

    def flush() -> None:
        keyed: list[tuple[str, int, int, BaseEvent]] = []
        opened: dict[str, int] = {}
        waiting: dict[str, list[int]] = {}
        for order, event in enumerate(segment):
            call_id = getattr(event, "tool_call_id", None) or ""
            position: int | None = getattr(event, "position", None)
            if position is not None:
                keyed.append((call_id, position, order, event))
                continue
            kind = _kind(event)
            open_calls = waiting.get(call_id)
            if kind in _OPENING or not open_calls:
                nth = opened[call_id] = opened.get(call_id, -1) + 1
                if kind == "tool.call.started":
                    waiting.setdefault(call_id, []).append(nth)
            else:
                nth = open_calls.pop(0)
            keyed.append((call_id, nth, order, event))
        keyed.sort(key=lambda item: item[:3])
        out.extend(item[3] for item in keyed)
        segment.clear()

    for event in events:
        if getattr(event, "type", None) in _CALL_EVENTS:
            segment.append(event)
            continue
        flush()
        out.append(event)
    flush()
    return out


_OPENING = frozenset({"tool.call.started", "tool.arguments.rejected"})


def _kind(event: BaseEvent) -> str | None:
    kind: str | None = getattr(event, "type", None)
    return kind


def _first_event_divergence(
    run_id: str, recorded: Sequence[BaseEvent], replayed: Sequence[BaseEvent]
) -> tuple[int, BaseEvent | None, ReplayDivergence] | None:
    # How a call got through (retries, breakers, fallbacks) is not what the run did: a replay makes no calls.
    recorded = _calls_as_sets([e for e in recorded if _kind(e) not in POLICY_EVENT_TYPES])
    replayed = _calls_as_sets([e for e in replayed if _kind(e) not in POLICY_EVENT_TYPES])
    step = 0
    for index in range(max(len(recorded), len(replayed))):
        old = recorded[index] if index < len(recorded) else None
        new = replayed[index] if index < len(replayed) else None
        if isinstance(old, ModelRequested):
            step = old.step
        old_view = None if old is None else _projection(old)
        new_view = None if new is None else _projection(new)
        if old_view is not None and new_view is not None:
            # A log written before schema version 2 has no content to compare with.
            # Nor did a log written before tool events carried their call's position.
            for name in (*_CONTENT_FIELDS, "position"):
                if name in old_view and old_view[name] is None:
                    old_view.pop(name)
                    new_view.pop(name, None)
        if old_view == new_view:
            continue
        kind = (old_view or new_view or {}).get("type", "?")
        error = ReplayDivergence(
            run_id=run_id,
            step=step,
            where=f"event #{index} ({kind})",
            expected=_pretty(old_view),
            actual=_pretty(new_view),
        )
        return index, new, error
    return None


_BASE_FIELDS = frozenset({"type", "run_id", "seq", "at", "schema_version"})
_ROUTING = frozenset({"route.chosen", "route.escalated"})


def _routing_prelude(events: Sequence[BaseEvent]) -> list[BaseEvent]:
    """The routing events a router recorded right after ``run.started`` (with its route flag's evaluation)."""
    prelude: list[BaseEvent] = []
    for event in events[1:]:
        kind = _kind(event)
        if kind in _ROUTING or (
            kind == "flag.evaluated" and getattr(event, "site", None) == "route"
        ):
            prelude.append(event)
        elif kind not in POLICY_EVENT_TYPES:
            break
    while prelude and _kind(prelude[-1]) not in _ROUTING:
        prelude.pop()  # route flags evaluated after the choice belong to the run itself
    return prelude


async def _route_again(router: Router, recording: Recording) -> Agent[Any, Any]:
    """The agent of the route ``router`` chooses again for the recorded run (flags from the recording)."""
    chosen = next((e for e in recording.events if isinstance(e, RouteChosen)), None)
    if chosen is None:
        raise UsageError(
            f"run {recording.run_id!r} holds no route.chosen event: replay the agent that ran it"
        )
    if chosen.method == "classifier":
        # The classifier's answer came from a model run of its own, not recorded here.
        route = router.routes.get(chosen.route)
        method: str = chosen.method
    else:
        text = "\n".join(m.text for m in recording.input if m.role == "user")
        with replaying_flags(recording.events):
            found, method = await router.choose(text)
        route = found
    if route is None or route.name != chosen.route or method != chosen.method:
        raise ReplayDivergence(
            run_id=recording.run_id,
            step=0,
            where="route.chosen",
            expected=f"{chosen.route} ({chosen.method})",
            actual="(no such route)" if route is None else f"{route.name} ({method})",
        )
    return route.agent


def _resumes(events: Sequence[BaseEvent]) -> list[list[ApprovalResolved]]:
    """The decisions of each time the recorded run was resumed after an approval pause, in order."""
    resumes: list[list[ApprovalResolved]] = []
    for event in events[1:]:
        if isinstance(event, RunStarted):
            resumes.append([])
        elif isinstance(event, ApprovalResolved) and resumes:
            resumes[-1].append(event)
    return resumes


def _recorded_decisions(
    calls: Sequence[PendingCall], decided: Sequence[ApprovalResolved]
) -> dict[Any, ApprovalDecision]:
    """The recorded decisions for the replay's paused calls: by position when recorded, else in the recorded order."""
    from agentkit.runtime import ApprovalDecision

    # A step's calls may pause in any order (each asks when it runs): the position names the call.
    by_position = {e.position: e for e in decided if e.position is not None}
    if len(by_position) == len(decided) and set(by_position) == {c.index for c in calls}:
        return {
            position: ApprovalDecision(approved=e.approved, reason=e.reason)
            for position, e in by_position.items()
        }
    return {
        item.tool_call_id if item.index is None else item.index: ApprovalDecision(
            approved=event.approved, reason=event.reason
        )
        for item, event in zip(calls, decided, strict=True)
    }


def _pretty(view: dict[str, Any] | None) -> str:
    if view is None:
        return "(no event)"
    return json.dumps(view, indent=2, sort_keys=True, ensure_ascii=False)


async def replay(
    agent: Agent[Any, Any] | Router,
    recording: Recording,
    *,
    tools: Literal["recorded", "live"] = "recorded",
    deps: Any = None,
    strict: bool = True,
    prompt_vars: Any = None,
) -> RunResult[Any]:
    """Run ``agent`` again on a recorded run's input, answering from the recording, and check it did the same.

    The agent keeps its instructions, tools, output type and limits; its provider is replaced by a
    `ReplayProvider` (no network), and with ``tools="recorded"`` each tool by a stand-in with the same contract
    returning the recorded result (no side effects). The new run's events are compared with the recorded ones
    (times, ids and durations aside), and its requests with the recorded requests.

    Feature flags the recorded run evaluated (``flag.evaluated`` events: a gated toolset, a `FlaggedPrompt`, a
    router's route flag) are answered from the recording, in order, without asking their provider: the replay
    offers the same tools and renders the same prompt version, whatever the flags say now.

    Args:
        agent: The agent as it is now (possibly with a changed prompt, tool or model); or the
            `agentkit.runtime.Router` that routed the recorded run: the route is chosen again (its flag answered
            from the recording; a classifier's pick taken as recorded) and that route's agent is replayed.
        recording: The run to replay (`Recording.load` reads one from a store).
        tools: ``"recorded"`` (stand-ins) or ``"live"`` (the agent's real tools, whose results are then checked).
        deps: Dependencies for live tools.
        strict: Raise on the first difference (``False``: only on requests the recording cannot answer).
        prompt_vars: The variables to render the agent's `Prompt` with. By default, those the recorded run
            rendered it with, from its ``prompt.rendered`` event (as stored: sensitive and secret values masked,
            as they are in the recorded messages); runs stored by releases that did not record them need these.

    Returns:
        The replayed run's result, when it matches the recording.

    Raises:
        ReplayDivergence: The new run differs; ``step``, ``where`` and ``diff`` say how.
        PromptRenderError: The agent's prompt does not render with ``prompt_vars`` (any error the replayed run
            raises before its first model call is raised as it is, not as a divergence).

    Examples:
        >>> import anyio
        >>> from agentkit.runtime import Agent
        >>> from agentkit.storage import Recording, replay
        >>> from agentkit.testing import FakeProvider
        >>> original = Agent(FakeProvider(["Hi!"]), instructions="Be brief.")
        >>> recording = Recording.from_result(original.run_sync("hello"))
        >>> anyio.run(replay, original, recording).output
        'Hi!'
        >>> changed = Agent(FakeProvider([]), instructions="Be verbose.")
        >>> anyio.run(replay, changed, recording)
        Traceback (most recent call last):
        ...
        agentkit.storage._errors.ReplayDivergence: run '...' diverges at step 1, request messages:
        --- recorded
        +++ replayed
        @@ -1,2 +1,2 @@
        -[0] system: Be brief.
        +[0] system: Be verbose.
         [1] user: hello
    """
    from agentkit.runtime import Agent, Router

    if isinstance(agent, Router):
        agent = await _route_again(agent, recording)
    if prompt_vars is None:
        prompt_vars = next(
            (e.values for e in recording.events if isinstance(e, PromptRendered)), None
        )
    calls = _RecordedCalls(recording)
    provider = ReplayProvider(
        recording,
        model=agent.provider.model,
        profile=agent.provider.profile,
        strict=strict,
        # The stand-in toolset below holds no credentials: the replay masks the agent's tools' secrets too.
        secrets=agent.provider.secrets() | agent.toolset.secrets(),
    )
    live = _LiveCheck(recording) if tools == "live" else None
    # The stand-ins follow the agent's toolset as the run builds it, so a flag-gated toolset offers what the
    # recorded run offered (its flags answered from the recording); one stand-in per tool, made on first sight.
    own: dict[str, str] = {}
    stand_ins: dict[int, tuple[Tool[Any, Any], Tool[Any, Any]]] = {}

    def stand_in(item: Tool[Any, Any]) -> Tool[Any, Any]:
        known = stand_ins.get(id(item))
        if known is None or known[0] is not item:
            made = live.guard(item) if live is not None else _recorded_tool(item, calls)
            known = stand_ins[id(item)] = (item, made)
        own[item.contract.name] = item.contract.fingerprint
        return known[1]

    source = agent.toolset
    replay_tools = Toolset(lambda: [stand_in(t) for t in source.tools()])
    provider._fingerprint = lambda contract: own.get(contract.name, contract.fingerprint)
    twin: Agent[Any, Any] = Agent(
        provider,
        tools=replay_tools,
        instructions=agent.instructions,
        output_type=agent.output_type,
        name=agent.name,
        limits=agent.limits,
        settings=agent.settings,
        output_mode="auto" if agent.output_mode == "text" else agent.output_mode,
        frame_tool_output=agent.frame_tool_output,
        max_tool_output_chars=agent.max_tool_output_chars,
        clock=agent.clock,
    )
    seen: list[BaseEvent] = []
    failure: BaseException | None = None
    result: RunResult[Any] | None = None
    prelude = _routing_prelude(recording.events)

    def routed(emitter: EventEmitter) -> None:
        # The routing decision was taken before the agent ran: the replay records it as it was.
        for event in prelude:
            emitter.emit(type(event), **event.model_dump(exclude=set(_BASE_FIELDS)))

    try:
        with replaying_flags(recording.events):
            result = await twin._run_routed(
                None,  # type: ignore[arg-type]  # the input is the recorded history
                routed,
                message_history=list(recording.input),
                deps=deps,
                run_id=f"{recording.run_id}-replay-{uuid.uuid4().hex[:8]}",
                sinks=[seen.append],
                prompt_vars=prompt_vars,
                # Stand-ins answer from the recording, in the modes it recorded; live tools as the run says.
                mode="live" if live is None else None,
            )
            for decided in _resumes(recording.events):
                # The recorded run paused for approval and was resumed: resume with the recorded decisions.
                pending = result.pending
                if pending is None or len(pending.calls) != len(decided):
                    break  # the replay did not pause as the recording did: the events say how
                decisions = _recorded_decisions(pending.calls, decided)
                result = await twin.resume(
                    pending,
                    decisions,
                    deps=deps,
                    sinks=[seen.append],
                    mode="live" if live is None else None,
                )
    except Exception as exc:
        failure = exc
    if live is not None and live.divergence is not None:
        # A live call the recording does not hold was stopped before it ran: that is the divergence.
        raise live.divergence from None
    if failure is not None and not any(isinstance(e, ModelRequested) for e in seen):
        # It failed before asking the model anything (a prompt that does not render...): that is the news.
        raise failure
    found = _first_event_divergence(recording.run_id, recording.events, seen)
    if found is not None:
        _, new, error = found
        if provider.divergence is not None and (
            new is None or getattr(new, "error_type", None) == "ReplayDivergence"
        ):
            raise provider.divergence from None
        if strict or provider.divergence is not None:
            raise error from None
    if failure is not None:
        raise failure
    assert result is not None
    return result
