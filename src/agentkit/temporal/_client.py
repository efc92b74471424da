"""The client side: start a durable run, query it, approve its calls, and wait for its result."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from agentkit.messages import Message, Usage
from agentkit.runtime._types import ApprovalDecision, PendingApproval, PromptInfo, RunResult
from agentkit.temporal._base import DEFAULT_TASK_QUEUE, WORKFLOW_NAME, require_sdk
from agentkit.temporal._payloads import RunInput, RunOutput

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from temporalio.client import Client, WorkflowHandle

    from agentkit.runtime import Agent

__all__ = ("DurableRun", "DurableState", "attach", "start")


@dataclass(frozen=True)
class DurableState:
    """What the ``state`` query answers: where a durable run is.

    Attributes:
        run_id: The run's id (also the workflow id).
        status: ``"running"``, ``"paused"`` (waiting for `DurableRun.approve`), ``"completed"``, ``"failed"``
            or ``"cancelled"``.
        steps: Model calls made so far.
        tool_calls: Tool calls the model made so far.
        pending: When paused, the calls waiting for a decision (as `agentkit.runtime.RunResult.pending`).

    Examples:
        >>> from agentkit.temporal import DurableState
        >>> DurableState(run_id="r1", status="running", steps=1, tool_calls=0).pending is None
        True
    """

    run_id: str
    status: str
    steps: int
    tool_calls: int
    pending: PendingApproval | None = None


class DurableRun:
    """A handle on one durable run: the Temporal counterpart of a `agentkit.runtime.RunResult` in progress.

    Get one from `start` or `attach`. `approve` mirrors `agentkit.runtime.Agent.resume` (same decisions, keyed
    by call id or position), `result` mirrors the result of ``Agent.run``.

    Examples:
        >>> from agentkit.temporal import DurableRun
        >>> sorted(name for name in vars(DurableRun) if not name.startswith("_"))
        ['approve', 'cancel', 'result', 'run_id', 'state']
    """

    def __init__(self, handle: WorkflowHandle[Any, Any]) -> None:
        self._handle = handle

    @property
    def run_id(self) -> str:
        """The run's id (the workflow id)."""
        return self._handle.id

    async def state(self) -> DurableState:
        """Ask the workflow where the run is (a Temporal query: answered by a worker, from the history)."""
        raw: dict[str, Any] = await self._handle.query("state", result_type=dict)
        pending = raw.get("pending")
        return DurableState(
            run_id=raw["run_id"],
            status=raw["status"],
            steps=raw["steps"],
            tool_calls=raw["tool_calls"],
            pending=PendingApproval.model_validate_json(pending) if pending else None,
        )

    async def approve(self, decisions: Mapping[Any, ApprovalDecision | bool]) -> None:
        """Decide every pending call of a paused run (the ``approve`` signal); the run then goes on.

        Args:
            decisions: As for `agentkit.runtime.Agent.resume`: ``approve()``, ``reject(reason)`` or a bool per
                pending call, keyed by its ``tool_call_id`` or its position in the step. Decisions that do not
                match the pending calls are ignored by the run (a warning in the worker's log), which keeps
                waiting.
        """
        items: list[list[Any]] = []
        for key, value in decisions.items():
            decision = (
                value if isinstance(value, ApprovalDecision) else ApprovalDecision(approved=value)
            )
            items.append([key, decision.approved, decision.reason])
        await self._handle.signal("approve", items)

    async def result(self, *, output_type: Any = None) -> RunResult[Any]:
        """Wait for the run to end and return its result (its events are in the worker's stores).

        Args:
            output_type: Validate the output as this type (the agent's ``output_type``); otherwise the output
                is the JSON value the workflow returned.

        Raises:
            AgentkitError: The typed error that ended the run (``BudgetExceeded``, a ``ProviderError``...).
        """
        # A handle exists only where the SDK does: these imports cannot fail here.
        from temporalio.client import WorkflowFailureError

        from agentkit.temporal._convert import unwrap_failure

        try:
            out: RunOutput = await self._handle.result()
        except WorkflowFailureError as exc:
            raise unwrap_failure(exc) from exc
        if output_type is None:
            value = json.loads(out.output)
        else:
            from pydantic import TypeAdapter

            value = TypeAdapter(output_type).validate_json(out.output)
        return RunResult(
            run_id=out.run_id,
            status="completed",
            output_value=value,
            messages=tuple(Message.model_validate(m) for m in json.loads(out.messages)),
            usage=Usage.model_validate_json(out.usage),
            events=(),
            steps=out.steps,
            tool_calls=out.tool_calls,
            prompt=PromptInfo.model_validate_json(out.prompt) if out.prompt else None,
        )

    async def cancel(self) -> None:
        """Ask the run to stop: it ends ``cancelled``, every started call answered, its events delivered."""
        await self._handle.cancel()


async def start(
    client: Client,
    agent: Agent[Any, Any] | str,
    user_input: str | None = None,
    *,
    run_id: str | None = None,
    task_queue: str = DEFAULT_TASK_QUEUE,
    message_history: Sequence[Message] | None = None,
    prompt_vars: Any = None,
    timeout: float | None = None,
    heartbeat_timeout: float = 30.0,
) -> DurableRun:
    """Start a durable run of ``agent`` on a worker of ``task_queue`` (the counterpart of ``Agent.run``).

    Args:
        client: A connected ``temporalio.client.Client``.
        agent: The agent, or its name (``Agent(name=...)``) as the worker serves it.
        user_input: The user's message.
        run_id: The run's id, also the workflow id (made up when omitted).
        task_queue: Where the workers of this agent listen.
        message_history: Earlier messages, to continue a conversation.
        prompt_vars: Variables for the agent's prompt (a pydantic model or a JSON-able mapping).
        timeout: The whole run's deadline in seconds, approvals included (the workflow's execution timeout).
        heartbeat_timeout: How soon a lost worker's tool call is retried elsewhere.

    Returns:
        A `DurableRun` handle.

    Raises:
        MissingExtraError: The ``temporal`` extra is not installed.
    """
    require_sdk()
    from pydantic import BaseModel

    name = agent if isinstance(agent, str) else agent.name
    rid = run_id or uuid.uuid4().hex
    if isinstance(prompt_vars, BaseModel):
        prompt_vars = prompt_vars.model_dump(mode="json")
    history = (
        json.dumps([m.model_dump(mode="json") for m in message_history])
        if message_history is not None
        else None
    )
    handle = await client.start_workflow(
        WORKFLOW_NAME,
        RunInput(
            agent=name,
            run_id=rid,
            user_input=user_input,
            history=history,
            prompt_vars=prompt_vars,
            heartbeat_timeout=heartbeat_timeout,
        ),
        id=rid,
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=timeout) if timeout is not None else None,
        result_type=RunOutput,
    )
    return DurableRun(handle)


def attach(client: Client, run_id: str) -> DurableRun:
    """A handle on a durable run started earlier (by any process), from its id.

    Raises:
        MissingExtraError: The ``temporal`` extra is not installed.

    Examples:
        >>> from agentkit.temporal import attach
        >>> attach.__name__
        'attach'
    """
    require_sdk()
    return DurableRun(client.get_workflow_handle(run_id, result_type=RunOutput))
