"""Agent runs behind the service: started in the background, stored as they happen, paused and resumed.

The event store is the source of truth. A run's status, output and events are read from it; the state a paused
run resumes from is rebuilt from its stored (redacted) events, so a server restarted on the same store resumes
runs paused by the one before.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread

from agentkit._log import library_logger
from agentkit.events import (
    ApprovalRequested,
    ModelResponded,
    OutputRejected,
    PromptRendered,
    RunFinished,
    RunStarted,
    ToolArgumentsRejected,
    ToolCallFailed,
    ToolCallSucceeded,
    UnknownToolCalled,
)
from agentkit.exceptions import UsageError
from agentkit.messages import ToolCallPart, ToolResultPart, Usage
from agentkit.runtime import PendingApproval, PendingCall, PromptInfo
from agentkit.server._problems import Problem
from agentkit.storage import RunNotFound, Session, StoreSink
from agentkit.storage._replay import conversation_from_events
from agentkit.tools._hints import safe_text

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping, Sequence

    from anyio.abc import TaskGroup

    from agentkit.events import BaseEvent, EventSink
    from agentkit.messages import Message
    from agentkit.runtime import Agent, ApprovalDecision
    from agentkit.server._limits import ServerLimits
    from agentkit.storage import EventStore

__all__ = ("RunManager", "pending_calls", "pending_from_events")

_log = library_logger("agentkit.server")

_POLL = 1.0
"""Seconds an event stream waits before reading the store again when no run of this process wakes it."""


def _last_step_start(events: Sequence[BaseEvent]) -> int:
    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], ModelResponded):
            return i
    return 0


def pending_calls(events: Sequence[BaseEvent], messages: Sequence[Message]) -> list[PendingCall]:
    """The calls a paused run waits on: its last step's ``approval.requested`` events, with their arguments.

    Each event names its call by its position in the step; events stored before they carried one, by id (the
    first call with that id not taken yet).
    """
    calls = list(messages[-1].tool_calls) if messages else []
    taken: set[int] = set()
    found: list[PendingCall] = []
    for event in events[_last_step_start(events) :]:
        if not isinstance(event, ApprovalRequested):
            continue
        index = _position_of(event, calls, taken)
        if index is None:
            continue
        taken.add(index)
        found.append(
            PendingCall(
                tool_call_id=event.tool_call_id,
                tool_name=event.tool_name,
                arguments=calls[index].arguments,
                reason=event.reason,
                index=index,
            )
        )
    return found


def _position_of(
    event: ApprovalRequested | ToolCallSucceeded | ToolCallFailed,
    calls: Sequence[ToolCallPart],
    taken: set[int],
) -> int | None:
    """The position in the step of the call ``event`` belongs to, if it is one of ``calls`` and not ``taken``."""
    at = event.position
    if at is not None:
        fits = at < len(calls) and calls[at].id == event.tool_call_id and at not in taken
        return at if fits else None
    return next(
        (i for i, c in enumerate(calls) if c.id == event.tool_call_id and i not in taken), None
    )


def _shape(agent: Agent[Any, Any], name: str, content: str) -> str:
    """A tool's output as the agent showed it to the model (the runtime's framing and truncation)."""
    content = safe_text(content)
    notice = ""
    limit = agent.max_tool_output_chars
    if limit is not None and len(content) > limit:
        notice = (
            f"\n[agentkit: the output of {name} was truncated to its first {limit} of "
            f"{len(content)} characters]"
        )
        content = content[:limit]
    if agent.frame_tool_output:
        safe = content.replace("</tool-output", "<\\/tool-output")
        content = f'<tool-output tool="{name}">\n{safe}\n</tool-output>'
    return content + notice


def pending_from_events(events: Sequence[BaseEvent], agent: Agent[Any, Any]) -> PendingApproval:
    """The state a paused run resumes from, rebuilt from its stored events.

    The conversation comes from the events (redacted, like everything stored); the paused calls from the last
    step's ``approval.requested`` events; the step's other results from its ``tool.call.succeeded`` and
    ``tool.call.failed`` events; usage and counters from the ``run.finished`` that paused it. A call of that
    step whose result the events do not hold (a rejected argument, an unknown tool) is answered again on resume.

    Raises:
        Problem: 409 when the events do not end with a paused run.
    """
    finished = events[-1] if events else None
    if not isinstance(finished, RunFinished) or finished.status != "paused":
        raise Problem(409, "the run is not paused", kind="run-not-paused")
    messages = conversation_from_events(events) or []
    calls = list(messages[-1].tool_calls) if messages else []
    paused = pending_calls(events, messages)
    # Each call's result, by its position in the step: the events name it (by id in events stored before that).
    answered: set[int] = {p.index for p in paused if p.index is not None}
    ended: dict[int, ToolCallSucceeded | ToolCallFailed] = {}
    for event in events[_last_step_start(events) :]:
        if not isinstance(event, (ToolCallSucceeded, ToolCallFailed)) or event.content is None:
            continue
        index = _position_of(event, calls, answered)
        if index is not None:
            answered.add(index)
            ended[index] = event
    results: list[ToolResultPart] = []
    for index, call in enumerate(calls):
        end = ended.get(index)
        if end is None or end.content is None:
            continue
        if isinstance(end, ToolCallSucceeded):
            content, is_error = _shape(agent, call.name, end.content), False
        else:
            content, is_error = end.content, True
        results.append(
            ToolResultPart(tool_call_id=call.id, name=call.name, content=content, is_error=is_error)
        )
    tool_retries: dict[str, int] = {}
    run_retries = output_retries = 0
    prompt: PromptInfo | None = None
    for event in events:
        if isinstance(event, (ToolArgumentsRejected, UnknownToolCalled)):
            run_retries += 1
            tool_retries[event.tool_name] = event.attempt
        elif isinstance(event, ToolCallSucceeded):
            tool_retries.pop(event.tool_name, None)
        elif isinstance(event, OutputRejected):
            output_retries += 1
        elif isinstance(event, PromptRendered):
            prompt = PromptInfo(
                name=event.prompt_name,
                version=event.prompt_version,
                content_hash=event.content_hash,
            )
    usage = Usage.model_validate(
        {k: v for k, v in finished.usage.items() if k in Usage.model_fields}
    )
    return PendingApproval(
        run_id=finished.run_id,
        messages=messages,
        calls=paused,
        results=results,
        usage=usage,
        steps=finished.steps,
        tool_calls=finished.tool_calls,
        run_retries=run_retries,
        tool_retries=tool_retries,
        output_retries=output_retries,
        next_seq=finished.seq + 1,
        prompt=prompt,
    )


@dataclass
class _Active:
    """A run in progress in this process."""

    agent: str
    session_id: str | None
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)


class RunManager:
    """The runs of one service: starts, resumes, streams and cancels them; the store keeps everything."""

    def __init__(
        self,
        store: EventStore,
        agents: Mapping[str, Agent[Any, Any]],
        limits: ServerLimits,
        redact: Callable[[str], str],
    ) -> None:
        self.store = store
        self.agents = dict(agents)
        self.limits = limits
        self.redact = redact
        self.active: dict[str, _Active] = {}
        self.accepting = False
        self._task_group: TaskGroup | None = None
        self._sessions: dict[str, Session] = {}
        self._waiters: dict[str, anyio.Event] = {}
        # The events of each run executing here, as its sinks get them: a live stream reads new events from here
        # instead of reading the whole run from the store again on every event.
        self._seen: dict[str, list[Any]] = {}
        # Made in `running`: before anyio 4.5 (our floor is 4.4) an Event cannot be made outside an event loop.
        self._idle: anyio.Event | None = None
        self._loop_thread: int | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ lifecycle

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Accept runs for the block; on exit, let running runs finish, then cancel (and so store) the rest."""
        self._loop_thread = threading.get_ident()
        self._idle = anyio.Event()
        if not self.active:
            self._idle.set()
        async with anyio.create_task_group() as tg:
            self._task_group = tg
            self.accepting = True
            try:
                yield
            finally:
                self.accepting = False
                with anyio.move_on_after(self.limits.shutdown_grace, shield=True):
                    await self._idle.wait()
                for active in list(self.active.values()):
                    active.scope.cancel()
                for run_id in list(self._waiters):
                    self._wake(run_id)
        self._task_group = None

    # ------------------------------------------------------------------------------------------ runs

    def agent(self, name: str | None) -> Agent[Any, Any]:
        """The agent called ``name`` (the only one when ``None``).

        Raises:
            Problem: 404 for an unknown name, 422 when several agents are served and none is named.
        """
        if name is None:
            if len(self.agents) == 1:
                return next(iter(self.agents.values()))
            if not self.agents:
                raise Problem(404, "this service runs no agents", kind="agent-not-found")
            raise Problem(
                422,
                f"name the agent to run: one of {', '.join(sorted(self.agents))}",
                kind="agent-required",
            )
        try:
            return self.agents[name]
        except KeyError:
            raise Problem(
                404,
                f"no agent named {name!r}; the service runs: {', '.join(sorted(self.agents)) or 'none'}",
                kind="agent-not-found",
            ) from None

    def _admit(self) -> None:
        if not self.accepting or self._task_group is None:
            raise Problem(
                503,
                "the service is shutting down",
                kind="shutting-down",
                headers={"Retry-After": "5"},
            )
        if len(self.active) >= self.limits.max_concurrent_runs:
            raise Problem(
                429,
                f"the service is running its maximum of {self.limits.max_concurrent_runs} runs",
                kind="too-many-runs",
                headers={"Retry-After": "1"},
            )

    def start(
        self, agent_name: str | None, user_input: str, session_id: str | None = None
    ) -> tuple[str, str]:
        """Start a run in the background; return its id and the agent's name."""
        agent = self.agent(agent_name)
        self._admit()
        run_id = uuid.uuid4().hex
        self._begin(run_id, agent, session_id)
        assert self._task_group is not None
        self._task_group.start_soon(self._execute, run_id, agent, user_input, session_id)
        return run_id, agent.name

    async def resume(self, run_id: str, decisions: Mapping[Any, ApprovalDecision]) -> str:
        """Resume a paused run with ``decisions`` in the background; return the agent's name.

        Raises:
            Problem: 404 for an unknown run, 409 when it is not paused (or is being resumed), 422 for decisions
                that do not match the paused calls.
        """
        from agentkit.runtime._agent import _match_decisions

        if run_id in self.active:
            raise Problem(409, "the run is in progress, not paused", kind="run-not-paused")
        summary = await self._summary(run_id)
        if summary.status != "paused":
            raise Problem(409, f"the run is {summary.status}, not paused", kind="run-not-paused")
        events = await self.store.read_async(run_id)
        started = next((e for e in events if isinstance(e, RunStarted)), None)
        agent = self.agent(started.agent if started is not None else None)
        state = pending_from_events(events, agent)
        try:
            _match_decisions(state, decisions)
        except UsageError as exc:
            raise Problem(422, str(exc), kind="bad-decisions") from exc
        self._admit()
        with self._lock:
            if run_id in self.active:  # another approval won the race
                raise Problem(409, "the run is already being resumed", kind="run-not-paused")
            self._begin(run_id, agent, summary.session_id)
        assert self._task_group is not None
        self._task_group.start_soon(
            self._execute_resume, run_id, agent, state, dict(decisions), summary.session_id
        )
        return agent.name

    def _begin(self, run_id: str, agent: Agent[Any, Any], session_id: str | None) -> None:
        self.active[run_id] = _Active(agent.name, session_id)
        self._seen[run_id] = []
        self._idle = anyio.Event()

    def _end(self, run_id: str) -> None:
        self.active.pop(run_id, None)
        self._seen.pop(run_id, None)
        self._wake(run_id)
        if not self.active and self._idle is not None:
            self._idle.set()

    def _session(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = Session(self.store, session_id)
        return session

    async def _execute(
        self, run_id: str, agent: Agent[Any, Any], user_input: str, session_id: str | None
    ) -> None:
        active = self.active[run_id]
        wake = self._sink(run_id)
        try:
            with active.scope:
                if session_id is not None:
                    await self._session(session_id).run(
                        agent, user_input, run_id=run_id, sinks=[wake]
                    )
                else:
                    await agent.run(user_input, run_id=run_id, sinks=[StoreSink(self.store), wake])
        except Exception as exc:  # the run's events (run.finished "failed") say what happened
            _log.info("run %s failed: %s", run_id, type(exc).__name__)
        finally:
            self._end(run_id)

    async def _execute_resume(
        self,
        run_id: str,
        agent: Agent[Any, Any],
        state: PendingApproval,
        decisions: dict[Any, ApprovalDecision],
        session_id: str | None,
    ) -> None:
        from agentkit.runtime._telemetry import in_session

        active = self.active[run_id]
        sinks: list[EventSink] = [StoreSink(self.store, session_id=session_id), self._sink(run_id)]
        try:
            with active.scope, in_session(session_id) if session_id else contextlib.nullcontext():
                await agent.resume(state, decisions, sinks=sinks)
        except Exception as exc:
            _log.info("run %s failed after its resume: %s", run_id, type(exc).__name__)
        finally:
            self._end(run_id)

    # ------------------------------------------------------------------------------------------ reading

    async def _summary(self, run_id: str) -> Any:
        try:
            return await anyio.to_thread.run_sync(self.store.get_run, run_id)
        except RunNotFound:
            raise Problem(404, f"no run with id {run_id!r}", kind="run-not-found") from None

    async def describe(self, run_id: str) -> dict[str, Any]:
        """A run's status, usage, output and (when paused) the calls waiting for a decision."""
        active = self.active.get(run_id)
        try:
            summary = await anyio.to_thread.run_sync(self.store.get_run, run_id)
        except RunNotFound:
            if active is None:
                raise Problem(404, f"no run with id {run_id!r}", kind="run-not-found") from None
            return {
                "run_id": run_id,
                "session_id": active.session_id,
                "agent": active.agent,
                "status": "running",
                "steps": 0,
                "usage": {},
                "output": None,
                "events": 0,
                "pending": [],
            }
        status = "running" if active is not None else summary.status
        pending: list[dict[str, Any]] = []
        if status == "paused":
            events = await self.store.read_async(run_id)
            messages = conversation_from_events(events) or []
            pending = [c.model_dump(exclude={"details"}) for c in pending_calls(events, messages)]
        return {
            "run_id": run_id,
            "session_id": summary.session_id,
            "agent": summary.agent,
            "status": status,
            "steps": summary.steps,
            "usage": dict(summary.usage),
            "output": summary.output,
            "events": summary.events,
            "pending": pending,
        }

    async def exists(self, run_id: str) -> None:
        """Raise a 404 `Problem` unless the run is stored or running here."""
        if run_id not in self.active:
            await self._summary(run_id)

    async def stream(self, run_id: str, after: int = -1) -> AsyncIterator[str]:
        """The run's events as SSE frames (``id`` is the event's ``seq``), live until the run stops or pauses."""
        cursor = after + 1
        while True:
            waiter = self._waiters.get(run_id)
            if waiter is None:
                waiter = self._waiters[run_id] = anyio.Event()
            seen = self._seen.get(run_id)
            events: list[Any] | None = None
            fresh: Sequence[Any]
            # Running here: the events since the cursor are in memory. Otherwise (the backlog, a run of another
            # process) the store has them, and it reads whole runs.
            if seen and seen[0].seq <= cursor:
                fresh = seen[cursor - seen[0].seq :]
            else:
                try:
                    events = list(await self.store.read_async(run_id))
                except RunNotFound:
                    events = []
                fresh = events[cursor:]
            for item in fresh:
                data = self.redact(item.model_dump_json())
                yield f"id: {item.seq}\nevent: {item.type}\ndata: {data}\n\n"
                cursor = item.seq + 1
            if (
                events is not None
                and run_id not in self.active
                and (not events or isinstance(events[-1], RunFinished) or not self.accepting)
            ):
                return
            with anyio.move_on_after(_POLL):
                await waiter.wait()

    async def session(self, session_id: str) -> dict[str, Any]:
        """A session's runs, oldest first."""
        summaries = await self.store.runs_async(None, session_id=session_id)
        if not summaries:
            raise Problem(404, f"no session with id {session_id!r}", kind="session-not-found")
        return {
            "session_id": session_id,
            "runs": [
                {"run_id": s.run_id, "status": s.status, "output": s.output}
                for s in reversed(summaries)
            ],
        }

    # ------------------------------------------------------------------------------------------ waking

    def _sink(self, run_id: str) -> Callable[[BaseEvent], None]:
        def wake(event: BaseEvent) -> None:
            seen = self._seen.get(run_id)
            if seen is not None:
                seen.append(event)
            self._wake(run_id)

        return wake

    def _wake(self, run_id: str) -> None:
        waiter = self._waiters.pop(run_id, None)
        if waiter is None:
            return
        if threading.get_ident() == self._loop_thread:
            waiter.set()
        else:  # an event emitted from a worker thread (long texts are redacted off the loop)
            with contextlib.suppress(RuntimeError):
                anyio.from_thread.run_sync(waiter.set)


def dump_json(value: Any) -> str:
    """Compact JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
