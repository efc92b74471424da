"""What one run of a case produced: `CaseOutcome` and the tool calls in it (`ObservedCall`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentkit.events import (
    ModelRequested,
    ModelResponded,
    RunFinished,
    RunStarted,
    ToolArgumentsRejected,
    ToolCallCancelled,
    ToolCallFailed,
    ToolCallStarted,
    ToolCallSucceeded,
    UnknownToolCalled,
)
from agentkit.messages import Message, Usage

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from agentkit.events import BaseEvent
    from agentkit.runtime import RunResult

__all__ = ("CallStatus", "CaseOutcome", "ObservedCall")

CallStatus = Literal["succeeded", "failed", "rejected", "unknown", "cancelled", "not_run"]
"""What became of a tool call: run and returned, run and failed, arguments rejected, no such tool, cancelled, or
no event says (a run recorded without its tool events, or a call answered by another route)."""


class ObservedCall(BaseModel):
    """One tool call the model made, as a scorer sees it.

    Attributes:
        name: The tool the model called.
        arguments: The arguments it sent, decoded (empty when they were not a JSON object; see ``raw_arguments``).
        ok: Whether the call ran and returned (``None`` when no event says).
        error: Why it did not, when it did not.
        status: What became of it (see `CallStatus`).
        id: The provider's call id.
        step: The model call (from 1) whose answer held it: calls of the same step were made in parallel.
        raw_arguments: The arguments text, kept when it was not a JSON object.
        mode: The execution mode the call ran in (``"live"``, ``"dry_run"``...), when its events record one.

    Examples:
        >>> from agentkit.evals import ObservedCall
        >>> ObservedCall(name="search", arguments={"q": "x"}).ok is None
        True
    """

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    ok: bool | None = None
    error: str | None = None
    status: CallStatus = "not_run"
    id: str | None = None
    step: int | None = None
    raw_arguments: str | None = None
    mode: str | None = None


class CaseOutcome(BaseModel):
    """What a run of a case produced: its output, its tool calls, what it cost and how long it took.

    The runner builds one per case run with `from_result` (a live run) or `from_events` (a stored or replayed run)
    and sets ``latency_s`` from its own clock; scorers read it.

    Attributes:
        output: The run's final output: the typed value (a string, a pydantic model, a number...), ``None`` when
            the run failed.
        text: The text of the model's last answer.
        tool_calls: Every tool call the model made, in order (the output tool of structured output excluded).
        usage: Tokens used by the run.
        cost_usd: Estimated cost in US dollars, ``None`` when unknown.
        latency_s: Wall time of the run in seconds, as the runner measured it.
        run_id: The run's id.
        error: Why the run failed (``"ErrorType: message"``), ``None`` when it did not.
        steps: Model calls made.
        metadata: Anything else the runner wants scorers or reports to see.

    Examples:
        >>> from agentkit.evals import CaseOutcome, ObservedCall
        >>> outcome = CaseOutcome(output="Paris", tool_calls=[ObservedCall(name="search", arguments={"q": "x"})])
        >>> outcome.text, [c.name for c in outcome.tool_calls]
        ('Paris', ['search'])
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    output: Any = None
    text: str | None = None
    tool_calls: list[ObservedCall] = Field(default_factory=list)
    usage: Usage | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    run_id: str | None = None
    error: str | None = None
    steps: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        """Take the output's text as ``text`` when no answer text was given."""
        if self.text is None and isinstance(self.output, str):
            self.text = self.output

    @classmethod
    def from_result(
        cls, result: RunResult[Any], events: Sequence[BaseEvent] | None = None
    ) -> CaseOutcome:
        """Build the outcome of a run from its `RunResult` (and the events, when they were kept apart).

        Args:
            result: What `Agent.run` returned.
            events: The run's events, when the result does not carry them; ``result.events`` otherwise.

        Examples:
            >>> from agentkit.evals import CaseOutcome
            >>> from agentkit.messages import ToolCallPart
            >>> from agentkit.runtime import Agent
            >>> from agentkit.testing import FakeProvider
            >>> from agentkit import tool
            >>> @tool
            ... def weather(city: str) -> str:
            ...     '''The weather in a city.'''
            ...     return "sunny"
            >>> provider = FakeProvider([[ToolCallPart(id="c1", name="weather", arguments='{"city": "Paris"}')],
            ...                          "Sunny in Paris."])
            >>> result = Agent(provider, tools=[weather]).run_sync("Weather in Paris?")
            >>> outcome = CaseOutcome.from_result(result)
            >>> outcome.output, [(c.name, c.arguments, c.ok) for c in outcome.tool_calls]
            ('Sunny in Paris.', [('weather', {'city': 'Paris'}, True)])
        """
        recorded = tuple(events) if events is not None else tuple(result.events)
        answers = [m for m in result.messages if m.role == "assistant"]
        paused = result.status == "paused"
        return cls(
            output=None if paused else result.output_value,
            text=answers[-1].text if answers else None,
            tool_calls=_observed_calls(answers, recorded),
            usage=result.usage,
            cost_usd=result.cost(),
            latency_s=_elapsed(recorded),
            run_id=result.run_id,
            error="paused: the run waits for approval decisions" if paused else None,
            steps=result.steps,
        )

    @classmethod
    def from_events(cls, events: Sequence[BaseEvent]) -> CaseOutcome:
        """Build the outcome of a run from its recorded events alone (a stored run, or a replay).

        The output is read back from the last model answer: its text for a text agent, the decoded JSON for an
        agent with a structured output type (or the output tool's arguments, when the agent used one). Event
        content went through the run's redactor, so masked secrets stay masked here.

        Args:
            events: The run's events, in order (``EventStore.read(run_id)``).

        Examples:
            >>> from agentkit.evals import CaseOutcome
            >>> from agentkit.runtime import Agent
            >>> from agentkit.testing import FakeProvider
            >>> result = Agent(FakeProvider(['{"city": "Paris"}']), output_type=dict).run_sync("Where?")
            >>> outcome = CaseOutcome.from_events(result.events)
            >>> outcome.output, outcome.usage is not None
            ({'city': 'Paris'}, True)
        """
        events = tuple(events)
        started = next((e for e in events if isinstance(e, RunStarted)), None)
        finished = next((e for e in reversed(events) if isinstance(e, RunFinished)), None)
        answers = [e.message for e in events if isinstance(e, ModelResponded) and e.message]
        output_tools = _output_tools(events)
        output: Any = None
        error: str | None = None
        if finished is not None and finished.status != "completed":
            error = f"{finished.error_type or finished.status}: {finished.error_message or finished.status}"
        elif answers:
            output = _decode_output(
                answers[-1], output_tools, started.output_type if started else "str"
            )
        usage: Usage | None = None
        if finished is not None and finished.usage:
            usage = _usage(finished.usage)
        else:
            responded = [_usage(e.usage) for e in events if isinstance(e, ModelResponded)]
            usage = sum(responded, Usage()) if responded else None
        return cls(
            output=output,
            text=answers[-1].text if answers else None,
            tool_calls=_observed_calls(answers, events),
            usage=usage,
            cost_usd=_cost(events),
            latency_s=_elapsed(events),
            run_id=events[0].run_id if events else None,
            error=error,
            steps=sum(1 for e in events if isinstance(e, ModelResponded)),
        )


def _usage(raw: dict[str, int]) -> Usage:
    return Usage.model_validate({k: v for k, v in raw.items() if k in Usage.model_fields})


def _cost(events: Sequence[BaseEvent]) -> float | None:
    from agentkit.runtime import RunResult

    if not any(isinstance(e, ModelResponded) for e in events):
        return None
    probe: RunResult[Any] = RunResult(
        run_id="",
        status="completed",
        output_value=None,
        messages=(),
        usage=Usage(),
        events=tuple(events),
        steps=0,
        tool_calls=0,
    )
    return probe.cost()


def _elapsed(events: Sequence[BaseEvent]) -> float | None:
    """Seconds from ``run.started`` to ``run.finished``, on the clock the run was given."""
    started = next((e for e in events if isinstance(e, RunStarted)), None)
    finished = next((e for e in reversed(events) if isinstance(e, RunFinished)), None)
    if started is None or finished is None:
        return None
    return max((finished.at - started.at).total_seconds(), 0.0)


def _output_tools(events: Iterable[BaseEvent]) -> frozenset[str]:
    """The names offered to the model that are not the agent's tools: the output tool of structured output."""
    offered: set[str] = set()
    tools: set[str] = set()
    for event in events:
        if isinstance(event, ModelRequested):
            offered.update(event.tool_names)
        elif isinstance(event, RunStarted):
            tools.update(event.tool_names)
    return frozenset(offered - tools)


def _decode_output(answer: Message, output_tools: frozenset[str], output_type: str) -> Any:
    for call in answer.tool_calls:
        if call.name in output_tools:
            arguments = _arguments(call.arguments)[0]
            # A non-object output type travels wrapped as {"result": ...}; its type name is lower-case
            # ("int", "list[str]"), a model's is its class name.
            if set(arguments) == {"result"} and output_type[:1].islower():
                return arguments["result"]
            return arguments
    text = answer.text
    if output_type == "str":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _arguments(raw: str) -> tuple[dict[str, Any], str | None]:
    try:
        decoded = json.loads(raw or "{}")
    except ValueError:
        return {}, raw
    return (decoded, None) if isinstance(decoded, dict) else ({}, raw)


def _observed_calls(answers: Sequence[Message], events: Sequence[BaseEvent]) -> list[ObservedCall]:
    """The model's tool calls, from its answers, with what became of each from the run's events."""
    status: dict[str, tuple[CallStatus, str | None]] = {}
    modes: dict[str, str] = {}
    started: list[ToolCallStarted] = []
    for event in events:
        if isinstance(event, ToolCallStarted):
            started.append(event)
            mode = getattr(event, "mode", None)
            if event.tool_call_id and isinstance(mode, str):
                modes[event.tool_call_id] = mode
        call_id = getattr(event, "tool_call_id", None)
        if not call_id:
            continue
        if isinstance(event, ToolCallSucceeded):
            status[call_id] = ("succeeded", None)
        elif isinstance(event, ToolCallFailed):
            status[call_id] = ("failed", f"{event.error_type}: {event.error_message}")
        elif isinstance(event, ToolArgumentsRejected):
            problems = "; ".join(str(i.get("msg", i)) for i in event.issues) or "invalid arguments"
            status[call_id] = ("rejected", f"arguments rejected: {problems}")
        elif isinstance(event, UnknownToolCalled):
            status[call_id] = ("unknown", f"no tool named {event.tool_name!r}")
        elif isinstance(event, ToolCallCancelled):
            status[call_id] = ("cancelled", f"cancelled: {event.reason}")
    output_tools = _output_tools(events)
    calls: list[ObservedCall] = []
    if not answers:
        # Events written before schema version 2 hold no answers: the calls that ran are all there is.
        for event in started:
            state, error = status.get(event.tool_call_id or "", ("not_run", None))
            calls.append(
                ObservedCall(
                    name=event.tool_name,
                    arguments=dict(event.arguments or {}),
                    id=event.tool_call_id,
                    ok=_ok(state),
                    error=error,
                    status=state,
                    mode=modes.get(event.tool_call_id or ""),
                )
            )
        return calls
    for step, answer in enumerate(answers, start=1):
        for part in answer.tool_calls:
            if part.name in output_tools:
                continue
            arguments, raw = _arguments(part.arguments)
            state, error = status.get(part.id, ("not_run", None))
            calls.append(
                ObservedCall(
                    name=part.name,
                    arguments=arguments,
                    ok=_ok(state),
                    error=error,
                    status=state,
                    id=part.id,
                    step=step,
                    raw_arguments=raw,
                    mode=modes.get(part.id),
                )
            )
    return calls


def _ok(state: CallStatus) -> bool | None:
    return None if state == "not_run" else state == "succeeded"
