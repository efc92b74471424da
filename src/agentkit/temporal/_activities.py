"""The activities: everything with I/O (model calls, tool calls, event delivery) runs here, on a worker."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import anyio
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agentkit._scope import scoped
from agentkit.events import EventEmitter
from agentkit.exceptions import ApprovalRequired
from agentkit.messages import Message, ToolResultPart
from agentkit.providers._base import (
    ModelRequest,
    ModelSettings,
    NamedToolChoice,
    OutputFormat,
)
from agentkit.runtime._loop import _APPROVED
from agentkit.temporal._base import KEY
from agentkit.temporal._convert import (
    CONTRACT_CHANGED,
    application_error,
    dump_error,
    dump_events,
    load_events,
    split_retry,
)
from agentkit.temporal._payloads import (
    EventBatch,
    ModelCall,
    ModelReturn,
    Snapshot,
    SnapshotCall,
    ToolCall,
    ToolReturn,
)
from agentkit.tools import RunContext, Tool, ToolContract

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from agentkit.events import BaseEvent, EventSink
    from agentkit.runtime import Agent

__all__ = ("Activities", "dump_request", "load_request")

_log = logging.getLogger("agentkit.temporal")


def dump_request(request: ModelRequest) -> str:
    """A model request as JSON text (messages and contracts by pydantic, the rest as plain values)."""
    choice = request.tool_choice
    return json.dumps(
        {
            "messages": [m.model_dump(mode="json") for m in request.messages],
            "tools": [c.model_dump(mode="json") for c in request.tools],
            "tool_choice": asdict(choice) if isinstance(choice, NamedToolChoice) else choice,
            "output": asdict(request.output) if request.output is not None else None,
            "settings": asdict(request.settings),
        }
    )


def load_request(text: str) -> ModelRequest:
    """The request `dump_request` wrote."""
    data = json.loads(text)
    choice = data["tool_choice"]
    settings = dict(data["settings"])
    settings["stop"] = tuple(settings.get("stop") or ())
    return ModelRequest(
        messages=tuple(Message.model_validate(m) for m in data["messages"]),
        tools=tuple(ToolContract.model_validate(c) for c in data["tools"]),
        tool_choice=NamedToolChoice(**choice) if isinstance(choice, dict) else choice,
        output=OutputFormat(**data["output"]) if data["output"] is not None else None,
        settings=ModelSettings(**settings),
    )


@dataclass
class _Delivered:
    """The next ``seq`` a plain sink has been given, per run (within this worker process)."""

    next_seq: dict[str, int]


class Activities:
    """The activities of one worker, bound to its agents, sinks, dependencies and extra tool versions."""

    def __init__(
        self,
        agents: Mapping[str, Agent[Any, Any]],
        *,
        sinks: Sequence[EventSink] = (),
        deps: Callable[[str], Any] | Any = None,
        tools: Sequence[Tool[Any, Any]] = (),
    ) -> None:
        self.agents = dict(agents)
        self.sinks = list(sinks)
        self.deps = deps
        self.extra_tools = list(tools)
        self._plain: dict[int, dict[str, int]] = {}

    def agent(self, name: str) -> Agent[Any, Any]:
        """The agent registered under ``name``."""
        try:
            return self.agents[name]
        except KeyError:
            raise ApplicationError(
                f"this worker has no agent named {name!r} (it has {sorted(self.agents)})",
                type="UnknownAgent",
                non_retryable=True,
            ) from None

    # ----------------------------------------------------------------------------------------- snapshot

    @activity.defn(name="agentkit.snapshot")
    async def snapshot(self, call: SnapshotCall) -> Snapshot:
        """Fix what the run uses in the history: its tool contracts (flags evaluated now) and its instructions."""
        agent = self.agent(call.agent)
        contracts = [t.contract.model_dump_json() for t in agent.toolset.tools()]
        instructions = agent.instructions
        if instructions is None or isinstance(instructions, str):
            return Snapshot(contracts=contracts, instructions=instructions)
        rendered = instructions.render(call.prompt_vars)
        dump = getattr(rendered, "model_dump_json", None)
        if dump is None:  # a prompt-like object of the user's own: keep what the run reads from it
            text = json.dumps(
                {
                    "messages": [m.model_dump(mode="json") for m in rendered.messages],
                    "name": rendered.name,
                    "version": rendered.version,
                    "content_hash": rendered.content_hash,
                }
            )
        else:
            text = dump()
        sensitive = [str(v) for v in getattr(rendered, "_sensitive_values", ())]
        return Snapshot(contracts=contracts, prompt=text, sensitive=sensitive)

    # ----------------------------------------------------------------------------------------- model

    @activity.defn(name="agentkit.model")
    async def model(self, call: ModelCall) -> ModelReturn:
        """One model call, without the outermost `RetryPolicy` (Temporal retries instead)."""
        agent = self.agent(call.agent)
        provider, policy = split_retry(agent.provider)
        request = load_request(call.request)
        emitter = EventEmitter(call.run_id)
        with scoped(run_id=call.run_id, emitter=emitter):
            try:
                response = await provider.complete(request)
            except Exception as exc:
                raise application_error(exc, policy) from exc
        return ModelReturn(response=response.model_dump_json(), events=dump_events(emitter.events))

    # ----------------------------------------------------------------------------------------- tools

    def find_tool(self, agent: Agent[Any, Any], name: str, fingerprint: str) -> Tool[Any, Any]:
        """The tool with this exact contract: the agent's, or an extra version the worker keeps."""
        candidates = [*agent.toolset.tools(), *self.extra_tools]
        for item in candidates:
            contract = item.contract
            if contract.name == name and contract.fingerprint == fingerprint:
                return item
        current = [c.contract for c in candidates if c.contract.name == name]
        have = ", ".join(f"{c.version} ({c.fingerprint[:12]})" for c in current) or "none"
        raise ApplicationError(
            f"tool {name!r}: the run started with the contract {fingerprint[:12]}, which this worker does "
            f"not have (it has: {have}); keep the old version on the worker (worker(..., tools=[...])) "
            "until the runs that use it finish",
            type=CONTRACT_CHANGED,
            non_retryable=True,
        )

    def deps_for(self, run_id: str) -> Any:
        """The dependencies a tool of ``run_id`` receives."""
        deps = self.deps
        return deps(run_id) if callable(deps) else deps

    @activity.defn(name="agentkit.tool")
    async def tool(self, call: ToolCall) -> ToolReturn:
        """One tool call (validation, execution, serialization), heartbeating while the tool runs."""
        agent = self.agent(call.agent)
        found = self.find_tool(agent, call.name, call.fingerprint)
        emitter = EventEmitter(
            call.run_id
        )  # no redactor: the workflow redacts these when it records them
        ctx: RunContext[Any] = RunContext(
            deps=self.deps_for(call.run_id),
            run_id=call.run_id,
            tool_call_id=call.tool_call_id,
            events=emitter,
            retries=dict(call.retries),
        )
        timeout = activity.info().heartbeat_timeout
        interval = max(timeout.total_seconds() / 4, 0.05) if timeout else None

        async def invoke() -> ToolReturn:
            key_token = KEY.set(call.key)
            approved_token = _APPROVED.set(call.approved)
            try:
                outcome = await found.invoke_json(call.arguments, ctx)
            except ApprovalRequired as signal:
                return ToolReturn(
                    status="approval",
                    retries=dict(ctx.retries),
                    events=dump_events(emitter.events),
                    approval=signal.message,
                    approval_details=dict(signal.details),
                )
            finally:
                _APPROVED.reset(approved_token)
                KEY.reset(key_token)
            media = ToolResultPart(tool_call_id="", name="", content="", media=outcome.media)
            return ToolReturn(
                status=outcome.status,
                content=outcome.content,
                media=media.model_dump_json(),
                error=dump_error(outcome.error) if outcome.error is not None else None,
                retries=dict(ctx.retries),
                events=dump_events(emitter.events),
            )

        if interval is None:
            return await invoke()
        async with anyio.create_task_group() as tg:

            async def beat() -> None:
                while True:
                    activity.heartbeat()
                    await anyio.sleep(interval)

            tg.start_soon(beat)
            try:
                result = await invoke()
            finally:
                tg.cancel_scope.cancel()
        return result

    # ----------------------------------------------------------------------------------------- events

    @activity.defn(name="agentkit.events")
    async def events(self, batch: EventBatch) -> int:
        """Deliver events to the agent's and the worker's sinks, each event once per store.

        A store is asked how many events of the run it holds, and gets only the later ones; a plain sink is
        given each ``seq`` once per worker process (a retry after a crash may deliver again: at least once).
        """
        agent = self.agent(batch.agent)
        events: list[BaseEvent] = load_events(batch.events)
        delivered = 0
        for sink in [*agent.sinks, *self.sinks]:
            store = getattr(sink, "store", None)
            if store is not None and hasattr(store, "get_run"):
                start = _stored(store, batch.run_id)
            else:
                start = self._plain.setdefault(id(sink), {}).get(batch.run_id, 0)
            fresh = [e for e in events if e.seq >= start]
            for event in fresh:
                sink(event)
            if store is None and fresh:
                self._plain[id(sink)][batch.run_id] = fresh[-1].seq + 1
            delivered = max(delivered, len(fresh))
        return delivered


def _stored(store: Any, run_id: str) -> int:
    """How many events of ``run_id`` the store holds (0 for a run it has not seen)."""
    from agentkit.storage import RunNotFound

    try:
        return int(store.get_run(run_id).events)
    except RunNotFound:
        return 0
