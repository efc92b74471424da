"""The values a run takes and gives back: limits, results, and the serializable state of a paused run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeVar

from agentkit.exceptions import UsageError
from agentkit.messages import Message, ToolResultPart, Usage

if TYPE_CHECKING:
    from agentkit.events import BaseEvent
    from agentkit.providers._pricing import PriceTable

__all__ = (
    "ApprovalDecision",
    "Limits",
    "PendingApproval",
    "PendingCall",
    "PromptInfo",
    "RunResult",
    "approve",
    "reject",
)

OutputT = TypeVar("OutputT", default=str)


@dataclass(frozen=True)
class Limits:
    """What one run may spend. ``None`` means no limit.

    Attributes:
        max_steps: Model calls per run.
        max_input_tokens: Input tokens summed over the run's model calls.
        max_output_tokens: Output tokens summed over the run's model calls.
        max_total_tokens: Input plus output tokens.
        max_tool_calls: Tool calls the model may make (valid or not).
        timeout: Seconds the whole run may take (a deadline, propagated to every model and tool call).
        max_retries: Bad tool calls (invalid arguments, unknown tools, retry requests) per run, over all tools;
            each tool also has its own budget of consecutive bad calls (``Tool.max_retries``).
        output_retries: Repairs of an invalid final output before the run fails.

    Examples:
        >>> from agentkit.runtime import Limits
        >>> Limits(max_steps=5, max_total_tokens=10_000).max_steps
        5
    """

    max_steps: int | None = 20
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_total_tokens: int | None = None
    max_tool_calls: int | None = None
    timeout: float | None = None
    max_retries: int = 5
    output_retries: int = 2


class PromptInfo(BaseModel):
    """Which prompt a run used: enough to trace an answer to the exact prompt text.

    Examples:
        >>> from agentkit.runtime import PromptInfo
        >>> PromptInfo(name="support", version="1.2.0", content_hash="sha256:ab").version
        '1.2.0'
    """

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    version: str | None = None
    content_hash: str | None = None


class ApprovalDecision(BaseModel):
    """A human's decision on one paused tool call; build it with `approve` or `reject`.

    Examples:
        >>> from agentkit.runtime import reject
        >>> reject("too expensive").model_dump()
        {'approved': False, 'reason': 'too expensive'}
    """

    model_config = ConfigDict(frozen=True)

    approved: bool
    reason: str | None = None


def approve(reason: str | None = None) -> ApprovalDecision:
    """Approve a paused tool call: it runs when the run resumes.

    Examples:
        >>> from agentkit.runtime import approve
        >>> approve().approved
        True
    """
    return ApprovalDecision(approved=True, reason=reason)


def reject(reason: str | None = None) -> ApprovalDecision:
    """Reject a paused tool call: the model is told it was rejected (and why) instead of a result.

    Examples:
        >>> from agentkit.runtime import reject
        >>> reject("not today").approved
        False
    """
    return ApprovalDecision(approved=False, reason=reason)


class PendingCall(BaseModel):
    """One tool call waiting for a human.

    Attributes:
        tool_call_id: The model's id for the call.
        tool_name: The tool.
        arguments: The raw arguments the model sent.
        reason: Why approval is needed (the tool's ``ApprovalRequired`` message), when given.
        details: Extra context for the approver.
        index: The call's position among the step's tool calls (``None`` in states saved by releases before
            it existed). Decisions may be keyed by it; they must be when several paused calls share an id.

    Examples:
        >>> from agentkit.runtime import PendingCall
        >>> PendingCall(tool_call_id="c1", tool_name="book", arguments='{"id": "TP1"}', index=0).tool_name
        'book'
    """

    model_config = ConfigDict(frozen=True)

    tool_call_id: str
    tool_name: str
    arguments: str
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    index: int | None = None


class PendingApproval(BaseModel):
    """The whole state of a run paused for approval; JSON-serializable, so it can be stored and resumed later.

    Pass it to ``Agent.resume`` with a decision for each call in `calls`, keyed by its ``tool_call_id`` or by its
    ``index`` (its position in the step; required when a model gave several paused calls the same id).

    Attributes:
        run_id: The run (events after the resume keep it, and their ``seq`` continues).
        messages: The conversation so far, ending with the assistant message that made the calls.
        calls: The calls waiting for a decision.
        results: Results of the other calls of the same step, already executed.
        usage: Tokens used so far.
        steps: Model calls made so far.
        tool_calls: Tool calls made so far.
        run_retries: Bad tool calls so far (the per-run budget's state).
        tool_retries: Consecutive bad calls per tool (the per-tool budgets' state).
        output_retries: Output repairs so far.
        next_seq: The ``seq`` the next event of this run gets.
        prompt: The prompt the run used, if any.

    Examples:
        >>> from agentkit.messages import Message
        >>> from agentkit.runtime import PendingApproval
        >>> state = PendingApproval(run_id="r1", messages=[Message.user("hi")])
        >>> PendingApproval.model_validate_json(state.model_dump_json()) == state
        True
    """

    model_config = ConfigDict(frozen=True)

    format: Literal[1] = 1
    run_id: str
    messages: list[Message]
    calls: list[PendingCall] = Field(default_factory=list)
    results: list[ToolResultPart] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    steps: int = 0
    tool_calls: int = 0
    run_retries: int = 0
    tool_retries: dict[str, int] = Field(default_factory=dict)
    output_retries: int = 0
    next_seq: int = 0
    prompt: PromptInfo | None = None


@dataclass(frozen=True)
class RunResult(Generic[OutputT]):
    """What a run gives back: the typed output, the conversation, token usage and the run's events.

    A run paused for approval has ``status == "paused"`` and a `pending` state instead of an output.

    Attributes:
        run_id: The run's id (also on every event).
        status: ``"completed"`` or ``"paused"``.
        messages: The whole conversation, every tool call answered; pass it as ``message_history`` to continue.
        usage: Tokens used, summed over the run's model calls.
        events: Every event the run emitted, in order.
        steps: Model calls made.
        tool_calls: Tool calls the model made.
        prompt: The prompt's name, version and content hash, when the agent's instructions are a prompt.
        pending: The state to resume from, when paused.

    Examples:
        >>> from agentkit.messages import Usage
        >>> from agentkit.runtime import RunResult
        >>> result = RunResult(run_id="r", status="completed", output_value=42, messages=(), usage=Usage(),
        ...                    events=(), steps=1, tool_calls=0)
        >>> result.output
        42
    """

    run_id: str
    status: Literal["completed", "paused"]
    output_value: OutputT | None
    messages: tuple[Message, ...]
    usage: Usage
    events: tuple[BaseEvent, ...]
    steps: int
    tool_calls: int
    prompt: PromptInfo | None = None
    pending: PendingApproval | None = None

    @property
    def output(self) -> OutputT:
        """The typed final output.

        Raises:
            UsageError: The run is paused for approval (see `pending`); resume it first.
        """
        if self.status == "paused":
            raise UsageError(
                "the run is paused for approval and has no output yet; "
                "resume it with agent.resume(result.pending, decisions={...})"
            )
        return self.output_value  # type: ignore[return-value]  # set whenever status == "completed"

    @property
    def paused(self) -> bool:
        """Whether the run is waiting for approval decisions."""
        return self.status == "paused"

    def cost(self, prices: PriceTable | None = None) -> float | None:
        """Estimated cost of the run in US dollars, summed per model call from the run's events.

        Args:
            prices: The price table; the built-in one (`agentkit.providers.PriceTable()`) when omitted.

        Returns:
            The estimate, or ``None`` when a model the run used has no known price, or a model call's usage was
            never reported by its server (its ``model.responded`` event carries no usage).

        Examples:
            >>> from agentkit.events import ModelResponded
            >>> from agentkit.messages import Usage
            >>> from agentkit.runtime import RunResult
            >>> from datetime import datetime, timezone
            >>> answered = ModelResponded(run_id="r", seq=0, at=datetime(2026, 1, 1, tzinfo=timezone.utc), step=1,
            ...     model="gpt-4.1", finish_reason="stop", usage={"input_tokens": 1_000_000, "output_tokens": 0})
            >>> RunResult(run_id="r", status="completed", output_value="hi", messages=(), usage=Usage(),
            ...           events=(answered,), steps=1, tool_calls=0).cost()
            2.0
        """
        from agentkit.events import ModelResponded
        from agentkit.providers._pricing import PriceTable

        table = prices if prices is not None else PriceTable()
        total = 0.0
        for event in self.events:
            if not isinstance(event, ModelResponded):
                continue
            if event.model is None or not event.usage:
                return None  # no model, or usage the server never reported: the cost is unknown
            usage = Usage.model_validate(
                {k: v for k, v in event.usage.items() if k in Usage.model_fields}
            )
            estimate = table.estimate(usage, event.model)
            if estimate is None:
                return None
            total += estimate
        return total

    def __repr__(self) -> str:
        return (
            f"RunResult(run_id={self.run_id!r}, status={self.status!r}, "
            f"output={self.output_value!r}, steps={self.steps})"
        )
