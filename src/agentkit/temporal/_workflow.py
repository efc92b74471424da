"""The workflow: agentkit's own run loop, with every model and tool call delegated to an activity.

Everything here is deterministic: time comes from the workflow (``workflow.now()``, ``workflow.time()``), ids
from the history, and the only I/O is activities. On replay the loop runs again from the history and emits the
same events with the same ``seq``; the activity that delivered them is not run again, so no sink or store sees
an event twice.
"""

from __future__ import annotations

import asyncio
import copy
import json
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    # anyio loads its backend on first use: loaded here, outside the sandbox, which would refuse its threads.
    import anyio._backends._asyncio  # noqa: F401

    try:
        import sniffio
    except ImportError:  # pragma: no cover - newer anyio releases do not use it
        sniffio = None  # type: ignore[assignment]
    from pydantic import TypeAdapter

    from agentkit.events import BaseEvent, EventEmitter
    from agentkit.exceptions import AgentkitError, ApprovalRequired, UsageError
    from agentkit.messages import Message, ToolResultPart
    from agentkit.providers._base import ModelProfile, ModelRequest, ModelResponse, Provider
    from agentkit.registry import Toolset
    from agentkit.runtime._agent import Agent, _match_decisions
    from agentkit.runtime._loop import _Run, is_approved
    from agentkit.runtime._secrets import HeldSinks
    from agentkit.runtime._types import ApprovalDecision, PendingApproval, RunResult
    from agentkit.temporal._activities import dump_request
    from agentkit.temporal._base import WORKFLOW_NAME
    from agentkit.temporal._convert import (
        dump_error,
        dump_events,
        event_fields,
        load_error,
        load_events,
        retry_policy,
        split_retry,
        unwrap_failure,
    )
    from agentkit.temporal._payloads import (
        EventBatch,
        ModelCall,
        ModelReturn,
        RunInput,
        RunOutput,
        Snapshot,
        SnapshotCall,
        ToolCall,
        ToolReturn,
    )
    from agentkit.temporal._registry import lookup
    from agentkit.tools import RunContext, Tool, ToolContract, ToolOutcome

__all__ = ("AgentWorkflow",)


def _build_events() -> None:
    """Build every event class now, outside the sandbox (they are built on first use otherwise).

    Inside it, ``datetime`` is the sandbox's own module, which older pydantic releases cannot make a schema of.
    """
    pending = list(BaseEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        cls.model_rebuild()


_build_events()

_POSITION: ContextVar[int] = ContextVar("agentkit_call_position", default=0)
# A tool's own failures are outcomes, never activity failures: what is retried is a lost worker or a timeout.
_TOOL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=10)
_SHORT = timedelta(seconds=60)
_DEFAULT_CALL = 600.0  # seconds an activity may take when nothing gives it a timeout


class _WorkflowClock:
    """The workflow's clock: replayed from the history, never the machine's."""

    def now(self) -> datetime:
        return workflow.now()

    def monotonic(self) -> float:
        return workflow.time()


_CLOCK = _WorkflowClock()


class _WorkflowEmitter(EventEmitter):
    """An emitter that never leaves the workflow's thread (no offloaded redaction: threads are I/O here)."""

    __slots__ = ()

    async def emit_offloaded(self, event_type: type[Any], /, **fields: Any) -> Any:
        return self.emit(event_type, **fields)


class _DurableRun(_Run):
    """The loop's run, telling each tool call its position in the step (for its idempotency key)."""

    async def execute(self, call: Any, found: Any, index: int, **kwargs: Any) -> None:
        token = _POSITION.set(index)
        try:
            await super().execute(call, found, index, **kwargs)
        finally:
            _POSITION.reset(token)


class _Recorded:
    """Instructions fixed at the run's start: ``render`` returns what the first activity rendered."""

    def __init__(self, rendered: Any) -> None:
        self.rendered = rendered

    def render(self, variables: Any, /) -> Any:
        return self.rendered


class _ActivityProvider(Provider):
    """The agent's provider, as seen from the workflow: each ``complete`` is a ``agentkit.model`` activity."""

    def __init__(self, real: Provider, host: AgentWorkflow) -> None:
        self.real = real
        self.host = host
        self._policy = retry_policy(real)
        _, self._retry = split_retry(real)

    @property
    def system(self) -> str:
        return self.real.system

    @property
    def model(self) -> str:
        return self.real.model

    @property
    def profile(self) -> ModelProfile:
        return self.real.profile

    def secrets(self) -> frozenset[str]:
        return self.real.secrets()

    async def complete(self, request: ModelRequest) -> ModelResponse:
        host = self.host
        await host.flush()
        timeout = request.settings.timeout
        elapsed = self._retry.max_elapsed if self._retry is not None else None
        try:
            done: ModelReturn = await workflow.execute_activity(
                "agentkit.model",
                ModelCall(
                    agent=host.params.agent,
                    run_id=host.params.run_id,
                    step=host.current.steps,
                    request=dump_request(request),
                ),
                result_type=ModelReturn,
                start_to_close_timeout=timedelta(
                    seconds=(timeout if timeout is not None else _DEFAULT_CALL) + 5.0
                ),
                schedule_to_close_timeout=timedelta(seconds=elapsed) if elapsed else None,
                retry_policy=self._policy,
            )
        except ActivityError as exc:
            raise unwrap_failure(exc) from None
        host.relay(done.events)
        return ModelResponse.model_validate_json(done.response)

    def stream(self, request: ModelRequest) -> Any:
        raise UsageError("durable runs do not stream: the answer arrives whole from an activity")


class _ActivityTool(Tool[Any, Any]):
    """A tool as seen from the workflow: its contract from the run's start, its calls ``agentkit.tool`` activities."""

    def __init__(self, contract: ToolContract, host: AgentWorkflow) -> None:
        self._contract = contract
        self._host = host

    @property
    def contract(self) -> ToolContract:
        return self._contract

    @property
    def name(self) -> str:
        return self._contract.name

    def run(
        self, args: Any, ctx: RunContext[Any]
    ) -> Any:  # pragma: no cover - invoke_json is overridden
        raise NotImplementedError

    async def invoke_json(
        self, raw_arguments: str | bytes, ctx: RunContext[Any] | None = None
    ) -> ToolOutcome[Any]:
        host = self._host
        assert ctx is not None  # the loop always passes the run's context
        contract = self._contract
        raw = raw_arguments.decode() if isinstance(raw_arguments, bytes) else raw_arguments
        timeout = contract.timeout if contract.timeout is not None else _DEFAULT_CALL
        try:
            done: ToolReturn = await workflow.execute_activity(
                "agentkit.tool",
                ToolCall(
                    agent=host.params.agent,
                    run_id=ctx.run_id,
                    name=contract.name,
                    fingerprint=contract.fingerprint,
                    arguments=raw,
                    tool_call_id=ctx.tool_call_id,
                    key=f"{ctx.run_id}/{host.current.steps}/{_POSITION.get()}",
                    retries=dict(ctx.retries),
                    approved=is_approved(ctx),
                ),
                result_type=ToolReturn,
                start_to_close_timeout=timedelta(seconds=timeout + 5.0),
                heartbeat_timeout=timedelta(seconds=host.params.heartbeat_timeout),
                retry_policy=_TOOL_RETRY,
            )
        except ActivityError as exc:
            found = unwrap_failure(exc)
            if isinstance(found, AgentkitError):
                raise found from None
            # A worker without this contract (ContractChanged), an unknown agent: the run cannot go on.
            raise UsageError(getattr(exc.cause, "message", None) or str(exc)) from None
        ctx.retries.clear()
        ctx.retries.update(done.retries)
        host.relay(done.events, ctx.events)
        if done.status == "approval":
            raise ApprovalRequired(done.approval or "", details=done.approval_details)
        media = ToolResultPart.model_validate_json(done.media).media
        return ToolOutcome(
            contract.name,
            done.status,  # type: ignore[arg-type]  # one of the statuses the activity's outcome had
            done.content,
            None,
            load_error(done.error),  # type: ignore[arg-type]  # the activity pickled the outcome's ToolError
            ctx.tool_call_id,
            media,
        )


@workflow.defn(name=WORKFLOW_NAME, sandboxed=True)
class AgentWorkflow:
    """One agent run, durable: the loop of `agentkit.runtime.Agent` with model and tool calls as activities.

    Approvals arrive as the ``approve`` signal, and ``state`` is a query (see `agentkit.temporal.DurableRun`).
    """

    def __init__(self) -> None:
        self.params = RunInput(agent="", run_id="")
        self.run: _Run | None = None
        self.buffer: list[BaseEvent] = []
        self.status = "running"
        self.pending: PendingApproval | None = None
        self.decisions: list[list[Any]] | None = None

    # ----------------------------------------------------------------------------------------- interface

    @workflow.signal(name="approve")
    def approve(self, decisions: list[list[Any]]) -> None:
        """Decisions for the pending calls: ``[key, approved, reason]`` items (key: call id or position)."""
        self.decisions = decisions

    @workflow.query(name="state")
    def state(self) -> dict[str, Any]:
        """The run's status, counters and, when paused, the pending calls (as `PendingApproval` JSON)."""
        run = self.run
        return {
            "run_id": self.params.run_id,
            "status": self.status,
            "steps": run.steps if run is not None else 0,
            "tool_calls": run.tool_calls if run is not None else 0,
            "pending": self.pending.model_dump_json() if self.pending is not None else None,
        }

    @property
    def current(self) -> _Run:
        """The run in progress (set before any model or tool call)."""
        assert self.run is not None
        return self.run

    # ----------------------------------------------------------------------------------------- events

    def collect(self, event: BaseEvent) -> None:
        """The run's sink: events wait here (redacted) until `flush` hands them to an activity."""
        self.buffer.append(event)

    def relay(self, texts: list[str], emitter: EventEmitter | None = None) -> None:
        """Emit again, on the run's emitter, the events an activity emitted (its numbering replaced)."""
        target = emitter or self.current.emitter
        for event in load_events(texts):
            target.emit(type(event), **event_fields(event))

    async def flush(self) -> None:
        """Deliver the buffered events to the worker's sinks and stores (an activity, so never twice)."""
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        await workflow.execute_local_activity(
            "agentkit.events",
            EventBatch(
                agent=self.params.agent, run_id=self.params.run_id, events=dump_events(batch)
            ),
            result_type=int,
            start_to_close_timeout=_SHORT,
        )

    # ----------------------------------------------------------------------------------------- the run

    def _new_run(self, agent: Agent[Any, Any], next_seq: int) -> _Run:
        redactor = agent._new_redactor()
        held = HeldSinks([self.collect]) if redactor is not None else None
        emitter = _WorkflowEmitter(
            self.params.run_id,
            clock=_CLOCK,
            sinks=[held] if held is not None else [self.collect],
            redactor=redactor,
            start_seq=next_seq,
        )
        if held is not None:
            held.emitter = emitter
        run = _DurableRun(
            agent,
            deps=None,
            emitter=emitter,
            limits=agent.limits,
            settings=agent.settings,
            clock=_CLOCK,
            on_delta=None,
        )
        run.held = held
        self.run = run
        return run

    def _durable_agent(self, snapshot: Snapshot) -> Agent[Any, Any]:
        real = lookup(workflow.info().task_queue, self.params.agent)
        durable = copy.copy(real)
        durable.provider = _ActivityProvider(real.provider, self)
        durable.toolset = Toolset(
            [_ActivityTool(ToolContract.model_validate_json(c), self) for c in snapshot.contracts]
        )
        durable.sinks = []
        if snapshot.prompt is not None:
            durable.instructions = _Recorded(_rendered(snapshot))
        else:
            durable.instructions = snapshot.instructions
        return durable

    @workflow.run
    async def run_agent(self, params: RunInput) -> RunOutput:
        """Run the agent to its end, pausing for approvals as long as it takes."""
        # anyio asks sniffio which event loop runs; older temporalio loops are not found by its probe.
        if sniffio is not None:
            sniffio.current_async_library_cvar.set("asyncio")
        self.params = params
        snapshot: Snapshot = await workflow.execute_activity(
            "agentkit.snapshot",
            SnapshotCall(agent=params.agent, run_id=params.run_id, prompt_vars=params.prompt_vars),
            result_type=Snapshot,
            start_to_close_timeout=_SHORT,
        )
        agent = self._durable_agent(snapshot)
        history = (
            [Message.model_validate(m) for m in json.loads(params.history)]
            if params.history is not None
            else None
        )
        try:
            run = self._new_run(agent, 0)
            run.start(params.user_input, history, None, None)
            result = await agent._drive(run, resumed=False)
            while result.status == "paused":
                assert result.pending is not None
                result = await self._resume(agent, result.pending)
        except (asyncio.CancelledError, AgentkitError) as exc:
            self.status = "cancelled" if isinstance(exc, asyncio.CancelledError) else "failed"
            await self.flush()
            if isinstance(exc, asyncio.CancelledError):
                raise
            details = dump_error(exc)
            raise ApplicationError(
                str(exc)[:1000],
                *([details] if details is not None else []),
                type=type(exc).__name__,
                non_retryable=True,
            ) from None
        self.status = "completed"
        await self.flush()
        return _output(agent, result)

    async def _resume(self, agent: Agent[Any, Any], pending: PendingApproval) -> RunResult[Any]:
        """Wait for decisions (a signal), then continue as `Agent.resume` would, under the same run id."""
        self.status = "paused"
        self.pending = pending
        await self.flush()
        while True:
            await workflow.wait_condition(lambda: self.decisions is not None)
            raw, self.decisions = self.decisions or [], None
            decisions: dict[Any, ApprovalDecision] = {
                key: ApprovalDecision(approved=bool(approved), reason=reason)
                for key, approved, reason in raw
            }
            try:
                resolved = _match_decisions(pending, decisions)
            except AgentkitError as exc:
                workflow.logger.warning("approve signal ignored: %s", exc)
                continue
            break
        self.status = "running"
        self.pending = None
        run = self._new_run(agent, pending.next_seq)
        run.load(pending, None)
        return await agent._drive(run, resumed=True, decisions=resolved, state=pending)


def _rendered(snapshot: Snapshot) -> Any:
    from agentkit.prompts import RenderedPrompt

    assert snapshot.prompt is not None
    try:
        rendered: Any = RenderedPrompt.model_validate_json(snapshot.prompt)
    except ValueError:
        data = json.loads(snapshot.prompt)
        return _PromptView(
            messages=[Message.model_validate(m) for m in data["messages"]],
            name=data.get("name"),
            version=data.get("version"),
            content_hash=data.get("content_hash"),
            sensitive=tuple(snapshot.sensitive),
        )
    rendered._sensitive_values = tuple(snapshot.sensitive)
    return rendered


class _PromptView:
    """A rendered prompt of the user's own kind, as the run reads it."""

    def __init__(
        self,
        *,
        messages: list[Message],
        name: str | None,
        version: str | None,
        content_hash: str | None,
        sensitive: tuple[str, ...],
    ) -> None:
        self.messages = messages
        self.name = name
        self.version = version
        self.content_hash = content_hash
        self._sensitive_values = sensitive


def _output(agent: Agent[Any, Any], result: RunResult[Any]) -> RunOutput:
    adapter: TypeAdapter[Any] = TypeAdapter(agent.output_type)
    return RunOutput(
        run_id=result.run_id,
        status=result.status,
        output=adapter.dump_json(result.output_value).decode(),
        messages=json.dumps([m.model_dump(mode="json") for m in result.messages]),
        usage=result.usage.model_dump_json(),
        steps=result.steps,
        tool_calls=result.tool_calls,
        prompt=result.prompt.model_dump_json() if result.prompt is not None else None,
    )
