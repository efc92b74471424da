"""``Agent``: the loop that turns a model and tools into an answer, within limits, and records every step."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, overload

import anyio

from agentkit._clock import Clock, system_clock
from agentkit._scope import DeadlineScope, RunScope, current_scope, scoped
from agentkit.events import BaseEvent, EventEmitter, EventSink, RunFinished, RunStarted
from agentkit.exceptions import AmbiguousApproval, EventsNotStored, UsageError
from agentkit.providers._base import ModelSettings, Provider, StreamEvent
from agentkit.registry import Registry, Toolset
from agentkit.registry._flags import collect_evaluations, emit_collected
from agentkit.runtime._capture import active_captures
from agentkit.runtime._deps import check_deps
from agentkit.runtime._loop import _NO_OUTPUT, _Delta, _Run, _Step, emit_sized
from agentkit.runtime._modes import as_policy, run_policy
from agentkit.runtime._output import OutputMode, OutputSpec, type_name
from agentkit.runtime._secrets import HeldSinks, RunRedactor
from agentkit.runtime._telemetry import current_session_id
from agentkit.runtime._types import (
    ApprovalDecision,
    Limits,
    OutputT,
    PendingApproval,
    RunResult,
)
from agentkit.tools import Tool, tool
from agentkit.tools._context import DepsT

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence

    from agentkit.messages import Message
    from agentkit.sandbox import ModePolicy
    from agentkit.tools._function import FunctionTool
    from agentkit.tools._mode import Mode

__all__ = ("Agent", "AgentStream", "PromptLike", "RenderedPromptLike")


class RenderedPromptLike(Protocol):
    """What a rendered prompt looks like to the agent (``agentkit.prompts.RenderedPrompt`` satisfies it).

    Examples:
        >>> from agentkit.runtime import RenderedPromptLike
        >>> hasattr(RenderedPromptLike, "messages")
        True
    """

    @property
    def messages(self) -> Sequence[Message]:
        """The rendered messages (system and/or user)."""
        ...

    @property
    def name(self) -> str | None:
        """The prompt's name."""
        ...

    @property
    def version(self) -> str | None:
        """The prompt's version."""
        ...

    @property
    def content_hash(self) -> str | None:
        """The stable hash of the prompt's content."""
        ...


class PromptLike(Protocol):
    """A versioned prompt an agent can use as its instructions (``agentkit.prompts.Prompt`` satisfies it).

    Examples:
        >>> from agentkit.runtime import PromptLike
        >>> hasattr(PromptLike, "render")
        True
    """

    def render(self, variables: Any, /) -> RenderedPromptLike:
        """Render with the run's variables."""
        ...


_RUN_OPTIONS = frozenset(
    {
        "deps",
        "message_history",
        "prompt_vars",
        "run_id",
        "limits",
        "settings",
        "clock",
        "sinks",
        "transcript",
        "mode",
    }
)


class Agent(Generic[DepsT, OutputT]):
    """A model, tools and instructions, run in a loop until the model gives a final answer.

    Each step sends the conversation and the tool contracts to the provider, executes the tool calls in the answer
    (concurrently, each with its timeout; tools tagged ``"sequential"`` act as barriers), and sends the results
    back, until the model answers without calling a tool, a limit is reached, or the run is cancelled. Invalid
    arguments and unknown tools go back to the model as repair hints, within per-tool and per-run budgets.

    Args:
        provider: The model to talk to.
        tools: A list of tools (plain functions are wrapped with ``@tool``), a ``Registry`` (its latest
            releases) or a ``Toolset``; the list is rebuilt at every step, so flags and filters apply.
        instructions: A system prompt: a string, or a versioned prompt (anything with ``render(vars)``).
        output_type: ``str`` (the default), a pydantic model, a TypedDict, a dataclass or any type pydantic
            validates. Structured output uses the provider's native JSON Schema mode when its profile has one,
            otherwise an output tool.
        deps_type: The type of the ``deps`` each run receives. It types ``deps=`` for mypy, and each tool's
            ``RunContext[X]`` is checked against it here: a ``deps_type`` that is not ``X`` or a subclass of it
            raises ``UsageError`` (when both are plain classes; the tools a toolset offers at construction).
        name: The agent's name, in events.
        max_steps: Shortcut for ``limits.max_steps``.
        limits: Default limits for each run (steps, tokens, tool calls, deadline, retries).
        settings: Model settings sent with every request.
        output_mode: ``"auto"`` (native when supported), ``"native"`` or ``"tool"``.
        frame_tool_output: Wrap successful tool output in ``<tool-output>`` tags, and tell the model in the
            system prompt that text inside them is data, not instructions.
        max_tool_output_chars: Longer tool output is cut, with a visible notice to the model.
        clock: Where event times come from.
        sinks: Event sinks receiving every run's events.
        redactor: Redacts every event once, before it is kept or any sink sees it. ``True`` (the default) uses
            `agentkit.observability.SecretRedactor`; ``False`` turns redaction off; or pass your own callable
            (a `SecretRedactor` with your patterns...). Whatever the redactor, each run also masks the provider's
            ``secrets()`` (its API key, through any stack of wrappers), the ``secrets()`` of the tools and
            toolsets in ``tools`` that have such a method (an MCP server's bearer token, a remote tool server's
            key: see `agentkit.Toolset.secrets`) and the values of sensitive tool arguments it meets, with a
            run-local redactor applied before yours: the agent never changes a redactor you pass, so one
            shared by several agents or sinks learns nothing from a run. Runs of one `agentkit.storage.Session`
            share what they learn (in memory only).
        mode: The execution mode of tool calls in runs that choose none (``"live"``, ``"dry_run"``, ``"mocked"``,
            ``"isolated"``, or an `agentkit.sandbox.ModePolicy`); see `agentkit.sandbox`.

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.messages import ToolCallPart
        >>> from agentkit.runtime import Agent
        >>> from agentkit.testing import FakeProvider
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> provider = FakeProvider([[ToolCallPart(id="c1", name="add", arguments='{"a": 2, "b": 3}')], "It is 5."])
        >>> agent = Agent(provider, tools=[add], instructions="Be brief.")
        >>> result = agent.run_sync("What is 2 + 3?")
        >>> result.output, result.steps, [m.role for m in result.messages]
        ('It is 5.', 2, ['system', 'user', 'assistant', 'tool', 'assistant'])
    """

    @overload
    def __init__(
        self: Agent[DepsT, str],
        provider: Provider,
        *,
        tools: Sequence[Tool[Any, Any] | Callable[..., Any]] | Registry | Toolset = (),
        instructions: str | PromptLike | None = None,
        output_type: None = None,
        deps_type: type[DepsT] | None = None,
        name: str | None = None,
        max_steps: int | None = None,
        limits: Limits | None = None,
        settings: ModelSettings | None = None,
        output_mode: Literal["auto", "native", "tool"] = "auto",
        frame_tool_output: bool = True,
        max_tool_output_chars: int | None = 20_000,
        clock: Clock | None = None,
        sinks: Sequence[EventSink] = (),
        redactor: Callable[[BaseEvent], BaseEvent] | bool = True,
        mode: Mode | ModePolicy | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        provider: Provider,
        *,
        tools: Sequence[Tool[Any, Any] | Callable[..., Any]] | Registry | Toolset = (),
        instructions: str | PromptLike | None = None,
        output_type: type[OutputT],
        deps_type: type[DepsT] | None = None,
        name: str | None = None,
        max_steps: int | None = None,
        limits: Limits | None = None,
        settings: ModelSettings | None = None,
        output_mode: Literal["auto", "native", "tool"] = "auto",
        frame_tool_output: bool = True,
        max_tool_output_chars: int | None = 20_000,
        clock: Clock | None = None,
        sinks: Sequence[EventSink] = (),
        redactor: Callable[[BaseEvent], BaseEvent] | bool = True,
        mode: Mode | ModePolicy | None = None,
    ) -> None: ...

    def __init__(
        self,
        provider: Provider,
        *,
        tools: Sequence[Tool[Any, Any] | Callable[..., Any]] | Registry | Toolset = (),
        instructions: str | PromptLike | None = None,
        output_type: Any = None,
        deps_type: Any = None,
        name: str | None = None,
        max_steps: int | None = None,
        limits: Limits | None = None,
        settings: ModelSettings | None = None,
        output_mode: Literal["auto", "native", "tool"] = "auto",
        frame_tool_output: bool = True,
        max_tool_output_chars: int | None = 20_000,
        clock: Clock | None = None,
        sinks: Sequence[EventSink] = (),
        redactor: Callable[[BaseEvent], BaseEvent] | bool = True,
        mode: Mode | ModePolicy | None = None,
    ) -> None:
        if not isinstance(provider, Provider):
            raise UsageError(
                f"Agent needs a Provider, got {provider!r}; "
                "use agentkit.providers.infer_provider('openai:gpt-4.1') or agentkit.testing.FakeProvider"
            )
        self.provider = provider
        self.toolset = _as_toolset(tools)
        self.instructions = instructions
        self.output_type: Any = str if output_type is None else output_type
        self.deps_type = deps_type
        if deps_type is not None:
            check_deps(deps_type, self.toolset.tools())
        self.name = name or "agent"
        base = limits or Limits()
        self.limits = base if max_steps is None else dataclasses.replace(base, max_steps=max_steps)
        self.settings = settings or ModelSettings()
        self.frame_tool_output = frame_tool_output
        if max_tool_output_chars is not None and max_tool_output_chars <= 0:
            raise UsageError("max_tool_output_chars must be > 0 (or None for no limit)")
        self.max_tool_output_chars = max_tool_output_chars
        self.clock: Clock = clock or system_clock
        self.sinks: list[EventSink] = list(sinks)
        self._redactor_option = redactor
        self.mode: ModePolicy | None = as_policy(mode)
        self._output = OutputSpec(self.output_type)
        profile = provider.profile
        self.output_mode: OutputMode
        if self._output.is_text:
            self.output_mode = "text"
        elif output_mode == "auto":
            self.output_mode = "native" if profile.json_schema_output else "tool"
        else:
            self.output_mode = output_mode

    def _new_redactor(self) -> RunRedactor | None:
        """The run's redactor: none (``redactor=False``), or one that knows the provider's and tools' secrets.

        The default is a fresh `SecretRedactor`; a redactor the user passed is wrapped, never changed. Inside a
        `agentkit.storage.Session`, it also masks what the session's earlier runs learned, and teaches it more.
        """
        option = self._redactor_option
        if option is False:
            return None
        secrets = self.provider.secrets() | self.toolset.secrets()
        return RunRedactor.for_run(secrets, None if option is True else option)

    # ------------------------------------------------------------------------------------------ running

    async def run(
        self,
        user_input: str | Sequence[Message] | None = None,
        *,
        deps: DepsT | None = None,
        message_history: Sequence[Message] | None = None,
        prompt_vars: Any = None,
        run_id: str | None = None,
        limits: Limits | None = None,
        settings: ModelSettings | None = None,
        clock: Clock | None = None,
        sinks: Sequence[EventSink] = (),
        transcript: list[Message] | None = None,
        mode: Mode | ModePolicy | None = None,
    ) -> RunResult[OutputT]:
        """Run the agent on one input until it answers, pauses for approval, or fails.

        Args:
            user_input: The user's message, or messages to append to the history.
            deps: The dependencies tools receive through ``RunContext[Deps]``.
            message_history: Earlier messages (a previous result's ``messages`` continues that conversation).
            prompt_vars: Variables for the instructions, when they are a versioned prompt.
            run_id: The run's id; made up when omitted.
            limits: Limits for this run, instead of the agent's.
            settings: Model settings for this run, instead of the agent's.
            clock: The clock for event times, instead of the agent's.
            sinks: Extra event sinks for this run.
            transcript: A list the run keeps equal to the conversation as it goes; after an error or a
                cancellation it still holds a valid history in which every tool call has a result.
            mode: The execution mode of this run's tool calls: a mode (every call) or an
                `agentkit.sandbox.ModePolicy`; by default the innermost `agentkit.sandbox.use_mode`, else the
                agent's ``mode``.

        Returns:
            The result, with the typed output (or, when paused, the state to resume from).

        Raises:
            BudgetExceeded: A limit was reached (``err.limit`` says which).
            RunRetriesExhausted: The model made too many bad tool calls in the run.
            ToolRetriesExhausted: The model kept calling one tool wrongly (or calling an unknown tool).
            OutputRetriesExhausted: The model's final output kept failing validation.
            ProviderError: The model call failed.
            EventsNotStored: A required sink (a `agentkit.storage.StoreSink`, a `agentkit.storage.Session`'s
                store) still lacked some of the run's events at its end, after retries; the run failed (its
                ``run.finished`` event says ``failed`` wherever it could be written).

        Examples:
            >>> import anyio
            >>> from agentkit.runtime import Agent
            >>> from agentkit.testing import FakeProvider
            >>> agent = Agent(FakeProvider(["Bonjour !"]))
            >>> anyio.run(agent.run, "Say hello in French").output
            'Bonjour !'
        """
        run = self._new_run(
            deps=deps,
            run_id=run_id,
            limits=limits,
            settings=settings,
            clock=clock,
            sinks=sinks,
            mode=mode,
        )
        run.start(user_input, message_history, prompt_vars, transcript)
        return await self._drive(run, resumed=False)

    def run_sync(
        self,
        user_input: str | Sequence[Message] | None = None,
        *,
        deps: DepsT | None = None,
        message_history: Sequence[Message] | None = None,
        prompt_vars: Any = None,
        run_id: str | None = None,
        limits: Limits | None = None,
        settings: ModelSettings | None = None,
        clock: Clock | None = None,
        sinks: Sequence[EventSink] = (),
        transcript: list[Message] | None = None,
        mode: Mode | ModePolicy | None = None,
    ) -> RunResult[OutputT]:
        """Run the agent from synchronous code (``anyio.run`` around `run`); the same arguments, as typed.

        Raises:
            UsageError: Called from inside a running event loop; ``await agent.run(...)`` there instead.

        Examples:
            >>> from agentkit.runtime import Agent
            >>> from agentkit.testing import FakeProvider
            >>> Agent(FakeProvider(["42"]), output_type=int).run_sync("answer?").output
            42
        """
        try:
            anyio.get_current_task()
        except RuntimeError:
            pass
        else:
            raise UsageError(
                "Agent.run_sync() cannot be called from a running event loop; "
                "use `await agent.run(...)` instead"
            )
        return anyio.run(
            functools.partial(
                self.run,
                user_input,
                deps=deps,
                message_history=message_history,
                prompt_vars=prompt_vars,
                run_id=run_id,
                limits=limits,
                settings=settings,
                clock=clock,
                sinks=sinks,
                transcript=transcript,
                mode=mode,
            )
        )

    async def resume(
        self,
        state: PendingApproval | str | Mapping[str, Any],
        decisions: Mapping[Any, ApprovalDecision | bool],
        *,
        deps: DepsT | None = None,
        limits: Limits | None = None,
        settings: ModelSettings | None = None,
        clock: Clock | None = None,
        sinks: Sequence[EventSink] = (),
        transcript: list[Message] | None = None,
        mode: Mode | ModePolicy | None = None,
    ) -> RunResult[OutputT]:
        """Continue a run paused for approval, with a decision for every pending call.

        Args:
            state: ``result.pending``, or its JSON (``model_dump_json()``) or dict form.
            decisions: For each pending call: ``approve()``, ``reject(reason)``, or a bool, keyed by its
                ``tool_call_id`` or by its position in the step (``PendingCall.index``). When several pending
                calls share an id (a model may repeat one), key them by position.
            deps: The dependencies (they are not part of the stored state).
            limits: Limits for the rest of the run (usage so far counts against them).
            settings: Model settings for the rest of the run.
            clock: The clock for event times.
            sinks: Extra event sinks.
            transcript: As for `run`.
            mode: As for `run`.

        Raises:
            AmbiguousApproval: A decision is keyed by an id several pending calls share.
            UsageError: A pending call has no decision (or two), or a decision names no pending call.

        Examples:
            >>> from agentkit.runtime import Agent, PendingApproval
            >>> from agentkit.testing import FakeProvider
            >>> import anyio
            >>> agent = Agent(FakeProvider(["done"]))
            >>> state = PendingApproval(run_id="r1", messages=[])
            >>> anyio.run(agent.resume, state, {}).output
            'done'
        """
        if isinstance(state, str):
            state = PendingApproval.model_validate_json(state)
        elif not isinstance(state, PendingApproval):
            state = PendingApproval.model_validate(state)
        resolved = _match_decisions(state, decisions)
        run = self._new_run(
            deps=deps,
            run_id=state.run_id,
            limits=limits,
            settings=settings,
            clock=clock,
            sinks=sinks,
            next_seq=state.next_seq,
            mode=mode,
        )
        run.load(state, transcript)
        return await self._drive(run, resumed=True, decisions=resolved, state=state)

    @asynccontextmanager
    async def run_stream(
        self,
        user_input: str | Sequence[Message] | None = None,
        *,
        deps: DepsT | None = None,
        message_history: Sequence[Message] | None = None,
        prompt_vars: Any = None,
        run_id: str | None = None,
        limits: Limits | None = None,
        settings: ModelSettings | None = None,
        clock: Clock | None = None,
        sinks: Sequence[EventSink] = (),
        transcript: list[Message] | None = None,
        mode: Mode | ModePolicy | None = None,
    ) -> AsyncIterator[AgentStream[OutputT]]:
        """Run the agent, streaming text deltas and run events as they happen.

        Iterate the stream for ``TextDelta`` / ``ReasoningDelta`` / ``ToolCallDelta`` items from the model and
        the run's events (``tool.call.started``...); `AgentStream.result` holds the final result once the
        iteration ends. Leaving the block early cancels the run.

        Examples:
            >>> import anyio
            >>> from agentkit.providers import TextDelta
            >>> from agentkit.runtime import Agent
            >>> from agentkit.testing import FakeProvider
            >>> async def main() -> None:
            ...     async with Agent(FakeProvider(["Hello there"])).run_stream("hi") as stream:
            ...         text = "".join([item.text async for item in stream if isinstance(item, TextDelta)])
            ...     print(text, "|", stream.result.output)
            >>> anyio.run(main)
            Hello there | Hello there
        """
        send, receive = anyio.create_memory_object_stream[Any](max_buffer_size=math.inf)
        stream: AgentStream[OutputT] = AgentStream(receive)

        def forward(item: Any) -> None:
            # When the reader left early there is nothing to deliver to.
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                send.send_nowait(item)

        run = self._new_run(
            deps=deps,
            run_id=run_id,
            limits=limits,
            settings=settings,
            clock=clock,
            sinks=[*sinks, forward],
            on_delta=forward,
            mode=mode,
        )
        run.start(user_input, message_history, prompt_vars, transcript)

        async def produce() -> None:
            async with send:
                try:
                    stream.result = await self._drive(run, resumed=False)
                except Exception as exc:
                    stream.error = exc

        body_error: Exception | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            try:
                yield stream
            except Exception as exc:
                body_error = exc  # re-raised below, as itself rather than inside an exception group
            finally:
                tg.cancel_scope.cancel()
                receive.close()
        if body_error is not None:
            raise body_error
        if stream.error is not None:
            raise stream.error

    # ------------------------------------------------------------------------------------------ internals

    async def _run_routed(
        self, user_input: str, on_start: Callable[[EventEmitter], None], **kwargs: Any
    ) -> RunResult[OutputT]:
        """`run`, with a hook that records the routing decision right after ``run.started``."""
        unknown = set(kwargs) - _RUN_OPTIONS
        if unknown:
            raise TypeError(f"unexpected argument(s) for Agent.run: {', '.join(sorted(unknown))}")
        run = self._new_run(
            deps=kwargs.get("deps"),
            run_id=kwargs.get("run_id"),
            limits=kwargs.get("limits"),
            settings=kwargs.get("settings"),
            clock=kwargs.get("clock"),
            sinks=kwargs.get("sinks", ()),
            mode=kwargs.get("mode"),
        )
        run.on_start = on_start
        run.start(
            user_input,
            kwargs.get("message_history"),
            kwargs.get("prompt_vars"),
            kwargs.get("transcript"),
        )
        return await self._drive(run, resumed=False)

    def _new_run(
        self,
        *,
        deps: Any,
        run_id: str | None,
        limits: Limits | None,
        settings: ModelSettings | None,
        clock: Clock | None,
        sinks: Sequence[EventSink],
        next_seq: int = 0,
        on_delta: _Delta | None = None,
        mode: Mode | ModePolicy | None = None,
    ) -> _Run:
        clock = clock or self.clock
        if clock is system_clock:
            # No clock of its own: the run reads the one around it (testing_mode's MockClock), like its policies.
            clock = current_scope().now_clock()
        all_sinks: list[EventSink] = [*self.sinks, *sinks]
        all_sinks.extend(capture.append for capture in active_captures())
        redactor = self._new_redactor()
        # With redaction on, delivery can be held while the run may learn a secret (see HeldSinks).
        held = HeldSinks(all_sinks) if redactor is not None else None
        emitter = EventEmitter(
            run_id,
            clock=clock,
            sinks=[held] if held is not None else all_sinks,
            redactor=redactor,
            start_seq=next_seq,
        )
        if held is not None:
            held.emitter = emitter
        run = _Run(
            self,
            deps=deps,
            emitter=emitter,
            limits=limits or self.limits,
            settings=settings or self.settings,
            clock=clock,
            on_delta=on_delta,
        )
        run.held = held
        run.modes = run_policy(mode, self.mode)
        return run

    @contextlib.contextmanager
    def _scope(self, run: _Run) -> Iterator[RunScope]:
        """Make ``run`` the run scope: every policy and tool beneath reads its clock, deadline and emitter."""
        outer = current_scope().deadline
        timeout = run.limits.timeout
        deadline = (
            DeadlineScope(timeout, clock=run.ctx.clock, parent=outer)
            if timeout is not None
            else outer
        )
        with scoped(
            run_id=run.emitter.run_id, clock=run.ctx.clock, deadline=deadline, emitter=run.emitter
        ) as scope:
            yield scope

    async def _drive(
        self,
        run: _Run,
        *,
        resumed: bool,
        decisions: Sequence[ApprovalDecision] | None = None,
        state: PendingApproval | None = None,
    ) -> RunResult[OutputT]:
        emitter = run.emitter
        with collect_evaluations(run.early_flags):
            tool_names = sorted(t.contract.name for t in self.toolset.tools())
        emitter.emit(
            RunStarted,
            agent=self.name,
            provider=self.provider.system,
            model=self.provider.model,
            output_type=type_name(self.output_type),
            resumed=resumed,
            tool_names=tool_names,
            session_id=current_session_id(),
        )
        if run.on_start is not None:
            run.on_start(emitter)
        emit_collected(emitter, run.early_flags)
        if run.rendered is not None and not resumed:
            _emit_prompt_rendered(emitter, run.rendered)
        try:
            with self._scope(run), anyio.move_on_after(run.limits.timeout) as scope:
                run.deadline_scope = scope
                if state is not None and decisions is not None:
                    step = await run.resume_step(state, decisions)
                else:
                    step = _Step()
                if step.final is _NO_OUTPUT and not step.pending:
                    step = await run.loop()
            if scope.cancelled_caught:
                timeout = run.limits.timeout or 0.0
                raise run.budget_error("deadline", timeout, timeout)
            # A run whose store still lacks some of its events ends failed, never completed.
            lost = _not_stored(emitter)
            if lost is not None:
                raise lost
        except BaseException as exc:
            cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
            await emit_sized(
                emitter,
                RunFinished,
                status="cancelled" if cancelled else "failed",
                steps=run.steps,
                tool_calls=run.tool_calls,
                usage=run.usage.model_dump(),
                **run.closing_messages(),
                error_type=type(exc).__name__,
                error_message=str(exc)[:500],
            )
            if not cancelled and not isinstance(exc, EventsNotStored):
                lost = _not_stored(emitter)
                if lost is not None:
                    raise lost from exc
            raise
        if step.pending:
            await emit_sized(
                emitter,
                RunFinished,
                status="paused",
                steps=run.steps,
                tool_calls=run.tool_calls,
                usage=run.usage.model_dump(),
                **run.closing_messages(),
            )
            lost = _not_stored(emitter)
            if lost is not None:
                raise lost
            pending = run.pending_state(step.pending)
            return RunResult(
                run_id=emitter.run_id,
                status="paused",
                output_value=None,
                messages=tuple(run.messages),
                usage=run.usage,
                events=emitter.events,
                steps=run.steps,
                tool_calls=run.tool_calls,
                prompt=run.prompt,
                pending=pending,
            )
        await emit_sized(
            emitter,
            RunFinished,
            status="completed",
            steps=run.steps,
            tool_calls=run.tool_calls,
            usage=run.usage.model_dump(),
            output=_summary(step.final),
            **run.closing_messages(),
        )
        lost = _not_stored(emitter)
        if lost is not None:
            raise lost
        return RunResult(
            run_id=emitter.run_id,
            status="completed",
            output_value=step.final,
            messages=tuple(run.messages),
            usage=run.usage,
            events=emitter.events,
            steps=run.steps,
            tool_calls=run.tool_calls,
            prompt=run.prompt,
        )

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, provider={self.provider!r}, output_type={type_name(self.output_type)})"


class AgentStream(Generic[OutputT]):
    """What ``Agent.run_stream`` yields: iterate it for deltas and events; then read `result`.

    Examples:
        >>> from agentkit.runtime import AgentStream
        >>> AgentStream.__name__
        'AgentStream'
    """

    def __init__(self, receive: Any) -> None:
        self._receive = receive
        self.result: RunResult[OutputT] | None = None
        self.error: Exception | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent | BaseEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[StreamEvent | BaseEvent]:
        async for item in self._receive:
            yield item

    async def get_result(self) -> RunResult[OutputT]:
        """Consume what is left of the stream and return the final result.

        Raises:
            RunError: Whatever ended the run.
        """
        async for _ in self._receive:
            pass
        if self.error is not None:
            raise self.error
        if self.result is None:  # pragma: no cover - the producer always sets one or the other
            raise UsageError("the run did not finish")
        return self.result


def _as_toolset(
    tools: Sequence[Tool[Any, Any] | Callable[..., Any]] | Registry | Toolset,
) -> Toolset:
    if isinstance(tools, Toolset):
        return tools
    if isinstance(tools, Registry):
        return tools.toolset()
    items: list[Tool[Any, Any]] = []
    for item in tools:
        if isinstance(item, Tool):
            items.append(item)
        elif isinstance(item, type) and issubclass(item, Tool):
            items.append(item())
        elif callable(item):
            wrapped: FunctionTool[Any, Any] = tool(item)
            items.append(wrapped)
        else:
            raise UsageError(f"tools must be Tool objects or functions, got {item!r}")
    return Toolset(items)


def _emit_prompt_rendered(emitter: EventEmitter, rendered: Any) -> None:
    """Record which prompt was used, through ``agentkit.prompts`` when the rendered prompt is one of its own."""
    try:
        from agentkit.prompts import RenderedPrompt, emit_prompt_rendered
    except ImportError:  # pragma: no cover - the prompts package is part of the core
        return
    if isinstance(rendered, RenderedPrompt):
        emit_prompt_rendered(emitter, rendered)


def _match_decisions(
    state: PendingApproval, decisions: Mapping[Any, ApprovalDecision | bool]
) -> list[ApprovalDecision]:
    """One decision per pending call of ``state``, in order, from decisions keyed by call id or by position."""
    calls = state.calls
    by_id: dict[str, list[int]] = {}
    for n, item in enumerate(calls):
        by_id.setdefault(item.tool_call_id, []).append(n)
    by_index = {item.index: n for n, item in enumerate(calls) if item.index is not None}
    chosen: dict[int, ApprovalDecision] = {}
    extra: list[str] = []
    twice: list[str] = []
    for key, value in decisions.items():
        decision = (
            value if isinstance(value, ApprovalDecision) else ApprovalDecision(approved=value)
        )
        if isinstance(key, int) and not isinstance(key, bool):
            targets = [by_index[key]] if key in by_index else []
        else:
            targets = by_id.get(key, [])
            if len(targets) > 1:
                raise AmbiguousApproval(
                    tool_call_id=key, indices=tuple(calls[n].index or 0 for n in targets)
                )
        if not targets:
            extra.append(repr(key))
        elif targets[0] in chosen:
            twice.append(repr(key))
        else:
            chosen[targets[0]] = decision
    missing = [
        repr(item.tool_call_id)
        if item.index is None
        else f"{item.tool_call_id!r} (index {item.index})"
        for n, item in enumerate(calls)
        if n not in chosen
    ]
    if missing or extra or twice:
        problems = []
        if missing:
            problems.append(f"no decision for pending call(s) {', '.join(missing)}")
        if extra:
            problems.append(f"decision(s) for {', '.join(extra)}, which are not pending")
        if twice:
            problems.append(f"a second decision for the same call from {', '.join(twice)}")
        raise UsageError(
            "cannot resume: "
            + "; ".join(problems)
            + ". Pending calls: "
            + (
                ", ".join(
                    f"{c.tool_call_id!r} ({c.tool_name}"
                    + (f", index {c.index})" if c.index is not None else ")")
                    for c in calls
                )
                or "none"
            )
        )
    return [chosen[n] for n in range(len(calls))]


def _not_stored(emitter: EventEmitter) -> EventsNotStored | None:
    """The error to fail the run with when a required sink (a store) still lacks events after one more try."""
    if emitter.retry_unwritten():
        return None
    waiting = emitter.unwritten
    if not waiting:  # pragma: no cover - retry_unwritten is False only while something waits
        return None
    worst = max(waiting, key=lambda u: len(u.events))
    reason = f"{type(worst.error).__name__}: {worst.error}"[:300]
    redact_text = getattr(getattr(emitter.redactor, "own", None), "redact_text", None)
    if redact_text is not None:
        reason = redact_text(reason)  # a store's message may quote what it refused
    return EventsNotStored(
        run_id=emitter.run_id,
        unwritten=len(worst.events),
        first_seq=min(u.events[0].seq for u in waiting),
        reason=reason,
    )


def _summary(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:199] + "…"
