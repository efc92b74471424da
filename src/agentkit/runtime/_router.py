"""Routing: ``Router`` picks one of several agents; ``Tiered`` tries a cheap one first and escalates on need.

``Router`` decides by rules or by asking a (cheap) classifier model. ``Tiered`` runs its agents in order, cheapest
first, and hands the input to the next one when an answer fails a check or a run fails with a budget error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal

from pydantic import create_model
from typing_extensions import TypeVar

from agentkit._log import library_logger
from agentkit.events import RouteChosen, RouteEscalated, RunFinished
from agentkit.exceptions import (
    BudgetExceeded,
    OutputRetriesExhausted,
    RunRetriesExhausted,
    ToolRetriesExhausted,
    UsageError,
)
from agentkit.messages import Message, Usage
from agentkit.registry._flags import collect_evaluations, emit_collected, evaluate_flag
from agentkit.runtime._agent import Agent
from agentkit.runtime._types import RunResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit.events import BaseEvent, EventEmitter
    from agentkit.providers._base import Provider
    from agentkit.providers._pricing import PriceTable
    from agentkit.registry import FlagProvider

__all__ = (
    "DEFAULT_ESCALATE_ON",
    "EscalateIf",
    "Route",
    "Router",
    "Tier",
    "TierAttempt",
    "Tiered",
    "TieredResult",
)

OutputT = TypeVar("OutputT", default=str)
_log = library_logger("agentkit.runtime")


@dataclass(frozen=True)
class Route:
    """One destination of a `Router`.

    Attributes:
        name: The route's name (in events, and what a classifier answers).
        agent: The agent that handles inputs sent here.
        when: A rule: inputs for which it returns ``True`` go here (rules are tried in order).
        description: What belongs here, for the classifier.

    Examples:
        >>> from agentkit.runtime import Agent, Route
        >>> from agentkit.testing import FakeProvider
        >>> Route("refunds", Agent(FakeProvider()), when=lambda text: "refund" in text).name
        'refunds'
    """

    name: str
    agent: Agent[Any, Any]
    when: Callable[[str], bool] | None = None
    description: str = ""


class Router:
    """Chooses an agent for each input: a flag's route, else the first matching rule, a classifier's pick, the default.

    The choice is recorded as a ``route.chosen`` event at the start of the chosen agent's run (same ``run_id``),
    after the ``flag.evaluated`` event of the route flag, when there is one.

    Args:
        routes: The destinations, tried in order for rules.
        default: The route used when no rule matches and there is no classifier.
        classifier: A model asked to pick a route by name from the routes' descriptions, when no rule matches.
        name: The router's name, in events.
        flags: A flag provider consulted first (see `agentkit.registry.evaluate_flag`): when ``flag``'s value
            names a route, that route is chosen (method ``"flag"``); otherwise the other rules apply. A percentage
            rollout (`agentkit.registry.Rollout` with ``on``/``off`` route names) sends a share of the subjects
            to a new model.
        flag: The name of the route flag (required with ``flags``).

    Examples:
        >>> from agentkit.runtime import Agent, Route, Router, capture_events
        >>> from agentkit.testing import FakeProvider
        >>> router = Router(
        ...     [Route("billing", Agent(FakeProvider(["Refund on its way."])), when=lambda t: "refund" in t),
        ...      Route("general", Agent(FakeProvider(["Hello!"])))],
        ...     default="general",
        ... )
        >>> with capture_events() as events:
        ...     result = router.run_sync("I want a refund")
        >>> result.output, events.types()[:2]
        ('Refund on its way.', ['run.started', 'route.chosen'])
    """

    def __init__(
        self,
        routes: Sequence[Route],
        *,
        default: str | None = None,
        classifier: Provider | None = None,
        name: str = "router",
        flags: FlagProvider | None = None,
        flag: str | None = None,
    ) -> None:
        if not routes:
            raise UsageError("a Router needs at least one route")
        if (flags is None) != (flag is None):
            raise UsageError("a route flag needs both flags= (the provider) and flag= (its name)")
        self.flags = flags
        self.flag = flag
        self.routes = {route.name: route for route in routes}
        if len(self.routes) != len(routes):
            raise UsageError("route names must be unique")
        if default is not None and default not in self.routes:
            raise UsageError(
                f"default route {default!r} is not one of the routes: {', '.join(self.routes)}"
            )
        if default is None and classifier is None:
            default = routes[-1].name
        self.default = default
        self.name = name
        self._classifier: Agent[None, Any] | None = None
        if classifier is not None:
            names = tuple(self.routes)
            route_type: Any = Literal[names]  # built from the route names at runtime
            choice = create_model("RouteChoice", route=(route_type, ...))
            lines = "\n".join(f"- {r.name}: {r.description or r.name}" for r in routes)
            self._classifier = Agent(
                classifier,
                output_type=choice,
                instructions=f"Pick the route that should handle the user's message.\nRoutes:\n{lines}",
                name=f"{name}.classifier",
                max_steps=3,
            )

    async def choose(
        self, user_input: str
    ) -> tuple[Route, Literal["rule", "classifier", "default", "flag"]]:
        """The route for an input, and how it was chosen.

        Examples:
            >>> import anyio
            >>> from agentkit.runtime import Agent, Route, Router
            >>> from agentkit.testing import FakeProvider
            >>> router = Router([Route("a", Agent(FakeProvider()), when=lambda t: t == "x"),
            ...                  Route("b", Agent(FakeProvider()))])
            >>> route, how = anyio.run(router.choose, "y")
            >>> route.name, how
            ('b', 'default')
        """
        if self.flags is not None and self.flag is not None:
            chosen = evaluate_flag(self.flags, self.flag, "", site="route")
            if chosen in self.routes:
                return self.routes[chosen], "flag"
            if chosen != "":
                _log.warning(
                    "route flag %r names no route (%r): routing by the rules", self.flag, chosen
                )
        for route in self.routes.values():
            if route.when is not None and route.when(user_input):
                return route, "rule"
        if self._classifier is not None:
            result = await self._classifier.run(user_input)
            return self.routes[result.output.route], "classifier"
        assert self.default is not None
        return self.routes[self.default], "default"

    async def run(self, user_input: str, **kwargs: Any) -> RunResult[Any]:
        """Choose a route and run its agent on the input (``kwargs`` go to ``Agent.run``).

        Examples:
            >>> import anyio
            >>> from agentkit.runtime import Agent, Route, Router
            >>> from agentkit.testing import FakeProvider
            >>> router = Router([Route("only", Agent(FakeProvider(["hi"])))])
            >>> anyio.run(router.run, "hello").output
            'hi'
        """
        evaluations: list[dict[str, Any]] = []
        with collect_evaluations(evaluations):
            route, method = await self.choose(user_input)

        def record(emitter: Any) -> None:
            emit_collected(emitter, evaluations)
            emitter.emit(RouteChosen, router=self.name, route=route.name, method=method)

        return await route.agent._run_routed(user_input, record, **kwargs)

    def run_sync(self, user_input: str, **kwargs: Any) -> RunResult[Any]:
        """`run` from synchronous code.

        Examples:
            >>> from agentkit.runtime import Agent, Route, Router
            >>> from agentkit.testing import FakeProvider
            >>> Router([Route("only", Agent(FakeProvider(["hi"])))]).run_sync("hello").output
            'hi'
        """
        import functools

        import anyio

        return anyio.run(functools.partial(self.run, user_input, **kwargs))


# ----------------------------------------------------------------------------------------------- tiers

DEFAULT_ESCALATE_ON: tuple[type[Exception], ...] = (
    OutputRetriesExhausted,
    RunRetriesExhausted,
    ToolRetriesExhausted,
    BudgetExceeded,
)
"""Errors that make `Tiered` try the next tier by default: the model could not do the job within its budgets.

Provider errors (``RateLimited``, ``ProviderTimeout``...) are not in it: they say nothing about the model's
ability, and ``agentkit.resilience`` retries or falls back on them. Add ``ProviderError`` to ``escalate_on`` to
escalate on them too."""

EscalateIf = Callable[[RunResult[Any]], "bool | str | None"]
"""A check on a tier's completed result: falsy accepts it; ``True`` or a reason (``str``) escalates."""

_ESCALATION_NOTE = "A previous attempt at this request was not accepted ({reason}). Answer the request above again."


@dataclass(frozen=True)
class Tier(Generic[OutputT]):
    """One level of a `Tiered` router: a name (in events and results) and the agent that answers at this level.

    Attributes:
        name: The tier's name.
        agent: The agent tried at this level.

    Examples:
        >>> from agentkit.runtime import Agent, Tier
        >>> from agentkit.testing import FakeProvider
        >>> Tier("cheap", Agent(FakeProvider(model="small"))).name
        'cheap'
    """

    name: str
    agent: Agent[Any, OutputT]


@dataclass(frozen=True)
class TierAttempt:
    """What one tier did during a `Tiered` run.

    Attributes:
        tier: The tier's name.
        run_id: The id of the tier's run (its events carry it).
        reason: Why the next tier was tried; ``None`` for the tier whose answer was accepted. On the last tier it
            says why its answer would have been escalated, had there been a tier left.
        error: The error that ended the tier's run, when it failed.
        usage: Tokens the tier's run used, also when it failed.
        events: Every event of the tier's run.

    Examples:
        >>> from agentkit.messages import Usage
        >>> from agentkit.runtime import TierAttempt
        >>> TierAttempt("cheap", "r.cheap", reason="empty answer", error=None, usage=Usage(), events=()).reason
        'empty answer'
    """

    tier: str
    run_id: str
    reason: str | None
    error: Exception | None
    usage: Usage
    events: tuple[BaseEvent, ...]


@dataclass(frozen=True, repr=False)
class TieredResult(RunResult[OutputT]):
    """The result of a `Tiered` run: the answering tier's `RunResult`, plus which tier it was and every attempt.

    The inherited fields (``run_id``, ``messages``, ``usage``, ``events``, ``steps``...) and ``cost()`` describe
    the answering tier's run; `total_usage` and `total_cost` add up every tier that was tried.

    Attributes:
        tier: The name of the tier that answered.
        tier_index: Its position in the tiers (0 is the first, cheapest).
        attempts: Every tier tried, in order, the answering one last.

    Examples:
        >>> from agentkit.messages import Usage
        >>> from agentkit.runtime import TierAttempt, TieredResult
        >>> tried = (TierAttempt("cheap", "r.cheap", "empty answer", None, Usage(input_tokens=5), ()),
        ...          TierAttempt("strong", "r.strong", None, None, Usage(input_tokens=7), ()))
        >>> result = TieredResult(run_id="r.strong", status="completed", output_value="hi", messages=(),
        ...     usage=Usage(input_tokens=7), events=(), steps=1, tool_calls=0, tier="strong", tier_index=1,
        ...     attempts=tried)
        >>> result.tier, result.escalated, result.total_usage.input_tokens
        ('strong', True, 12)
    """

    tier: str = ""
    tier_index: int = 0
    attempts: tuple[TierAttempt, ...] = ()

    @property
    def escalated(self) -> bool:
        """Whether a tier before the answering one was tried."""
        return self.tier_index > 0

    @property
    def unresolved(self) -> str | None:
        """Why the answer would have been escalated, when it came from the last tier and failed the check."""
        return self.attempts[-1].reason if self.attempts else None

    @property
    def total_usage(self) -> Usage:
        """Tokens used by every tier tried, failed ones included."""
        total = Usage()
        for attempt in self.attempts:
            total = total + attempt.usage
        return total

    def total_cost(self, prices: PriceTable | None = None) -> float | None:
        """Estimated cost in US dollars of every tier tried (see `RunResult.cost`).

        Args:
            prices: The price table; the built-in one when omitted.

        Returns:
            The estimate, or ``None`` when a model that was called has no known price.

        Examples:
            >>> from agentkit.runtime import Agent, Tier, Tiered
            >>> from agentkit.testing import FakeProvider
            >>> tiered = Tiered([Tier("cheap", Agent(FakeProvider([""], model="gpt-4.1-mini"))),
            ...                  Tier("strong", Agent(FakeProvider(["42"], model="gpt-4.1")))])
            >>> tiered.run_sync("answer?").total_cost()
            0.0
        """
        everything = tuple(e for attempt in self.attempts for e in attempt.events)
        return RunResult.cost(dataclasses.replace(self, events=everything), prices)

    def __repr__(self) -> str:
        return (
            f"TieredResult(tier={self.tier!r}, run_id={self.run_id!r}, status={self.status!r}, "
            f"output={self.output_value!r}, attempts={len(self.attempts)})"
        )


class Tiered(Generic[OutputT]):
    """Cost/latency tiers: run the cheapest agent first and escalate to the next one only when needed.

    Each tier runs the same input as a run of its own (own ``run_id``, own limits). A tier's answer is accepted
    unless ``escalate_if`` rejects it (by default only an empty text answer is rejected); a tier that fails with
    one of ``escalate_on`` hands over to the next tier; any other error propagates at once, and so does the last
    tier's error. The next tier's run records the hand-over as a ``route.escalated`` event right after its
    ``run.started``. An answer the last tier gives is returned even when ``escalate_if`` rejects it; `TieredResult`
    then says why in ``unresolved``. A run paused for approval is returned as is: resume it with
    ``tiered.tiers[result.tier_index].agent.resume(...)``.

    Args:
        tiers: The agents, cheapest first.
        escalate_if: A check on each completed result: falsy accepts it, ``True`` or a reason escalates.
            ``None`` (the default) escalates on an empty or whitespace-only text answer.
        escalate_on: Errors that escalate instead of ending the run (``DEFAULT_ESCALATE_ON`` by default).
        carry_transcript: Give the next tier the previous tier's conversation (without its system messages) and a
            note saying the previous answer was not accepted, instead of the bare input.
        name: The router's name, in events.

    Examples:
        >>> from agentkit.runtime import Agent, Tier, Tiered, capture_events
        >>> from agentkit.testing import FakeProvider
        >>> tiered = Tiered(
        ...     [Tier("cheap", Agent(FakeProvider(["maybe?"]))), Tier("strong", Agent(FakeProvider(["Paris."])))],
        ...     escalate_if=lambda result: "low confidence" if result.output.endswith("?") else None,
        ... )
        >>> with capture_events() as events:
        ...     result = tiered.run_sync("Capital of France?")
        >>> result.output, result.tier, [a.reason for a in result.attempts]
        ('Paris.', 'strong', ['low confidence', None])
        >>> escalation = events.types().index("route.escalated")
        >>> events[escalation].from_tier, events[escalation].to_tier, events[escalation].reason
        ('cheap', 'strong', 'low confidence')
    """

    def __init__(
        self,
        tiers: Sequence[Tier[OutputT]],
        *,
        escalate_if: EscalateIf | None = None,
        escalate_on: Sequence[type[Exception]] = DEFAULT_ESCALATE_ON,
        carry_transcript: bool = False,
        name: str = "tiered",
    ) -> None:
        if not tiers:
            raise UsageError("Tiered needs at least one tier")
        names = [tier.name for tier in tiers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UsageError(
                f"tier names must be unique; repeated: {', '.join(map(repr, duplicates))}"
            )
        given: Sequence[Any] = escalate_on  # checked at runtime: users may pass anything
        bad = [e for e in given if not (isinstance(e, type) and issubclass(e, Exception))]
        if bad:
            raise UsageError(f"escalate_on takes Exception subclasses, got {bad[0]!r}")
        self.tiers: tuple[Tier[OutputT], ...] = tuple(tiers)
        self.escalate_if: EscalateIf = escalate_if if escalate_if is not None else _empty_answer
        self.escalate_on: tuple[type[Exception], ...] = tuple(escalate_on)
        self.carry_transcript = carry_transcript
        self.name = name

    async def run(self, user_input: str, **kwargs: Any) -> TieredResult[OutputT]:
        """Run the tiers in order on the input until one's answer is accepted (``kwargs`` go to ``Agent.run``).

        With ``run_id="x"``, the tiers' runs get the ids ``"x.<tier name>"``; ``sinks`` receive every tier's
        events.

        Raises:
            UsageError: ``transcript`` was given (each tier keeps its own).
            Exception: The error of a tier that is not in ``escalate_on``, or of the last tier.

        Examples:
            >>> import anyio
            >>> from agentkit.runtime import Agent, Tier, Tiered
            >>> from agentkit.testing import FakeProvider
            >>> tiered = Tiered([Tier("only", Agent(FakeProvider(["hi"])))])
            >>> anyio.run(tiered.run, "hello").tier
            'only'
        """
        if "transcript" in kwargs:
            raise UsageError(
                "Tiered.run keeps one transcript per tier; read them from result.attempts"
            )
        base_id: str | None = kwargs.pop("run_id", None)
        history: Sequence[Message] | None = kwargs.pop("message_history", None)
        sinks: Sequence[Any] = kwargs.pop("sinks", ())
        attempts: list[TierAttempt] = []
        turn: str | None = user_input
        last = len(self.tiers) - 1
        for index, tier in enumerate(self.tiers):
            collected: list[BaseEvent] = []
            transcript: list[Message] = []
            record = self._recorder(attempts, tier) if attempts else _no_record
            try:
                result = await tier.agent._run_routed(
                    turn,  # type: ignore[arg-type]  # None only with a carried transcript as history
                    record,
                    run_id=None if base_id is None else f"{base_id}.{tier.name}",
                    message_history=history,
                    sinks=[*sinks, collected.append],
                    transcript=transcript,
                    **kwargs,
                )
            except Exception as exc:
                if index == last or not isinstance(exc, self.escalate_on):
                    raise
                attempts.append(
                    _attempt(tier, f"{type(exc).__name__}: {exc}"[:300], exc, collected)
                )
            else:
                verdict = None if result.paused else self.escalate_if(result)
                rejected = _reason(verdict, self.escalate_if) if verdict else None
                attempts.append(_attempt(tier, rejected, None, collected))
                if rejected is None or index == last:
                    return _tiered(result, tier, index, attempts)
            if self.carry_transcript:
                history = [m for m in transcript if m.role != "system"]
                turn = _ESCALATION_NOTE.format(reason=attempts[-1].reason)
        raise AssertionError("unreachable: the last tier returns or raises")  # pragma: no cover

    def run_sync(self, user_input: str, **kwargs: Any) -> TieredResult[OutputT]:
        """`run` from synchronous code.

        Examples:
            >>> from agentkit.runtime import Agent, Tier, Tiered
            >>> from agentkit.testing import FakeProvider
            >>> Tiered([Tier("only", Agent(FakeProvider(["hi"])))]).run_sync("hello").output
            'hi'
        """
        import functools

        import anyio

        return anyio.run(functools.partial(self.run, user_input, **kwargs))

    def _recorder(
        self, attempts: list[TierAttempt], tier: Tier[OutputT]
    ) -> Callable[[EventEmitter], None]:
        previous = attempts[-1]

        def record(emitter: EventEmitter) -> None:
            emitter.emit(
                RouteEscalated,
                router=self.name,
                from_tier=previous.tier,
                to_tier=tier.name,
                reason=previous.reason or "",
                error_type=None if previous.error is None else type(previous.error).__name__,
                from_run_id=previous.run_id,
            )

        return record

    def __repr__(self) -> str:
        return f"Tiered({', '.join(t.name for t in self.tiers)}, name={self.name!r})"


def _empty_answer(result: RunResult[Any]) -> str | None:
    output = result.output_value
    if isinstance(output, str) and not output.strip():
        return "empty answer"
    return None


def _no_record(emitter: EventEmitter) -> None:
    """The first tier has nothing to record."""


def _reason(verdict: bool | str, check: EscalateIf) -> str:
    if isinstance(verdict, str):
        return verdict
    return f"rejected by {getattr(check, '__name__', 'escalate_if')}"


def _attempt(
    tier: Tier[Any], reason: str | None, error: Exception | None, events: list[BaseEvent]
) -> TierAttempt:
    finished = next((e for e in reversed(events) if isinstance(e, RunFinished)), None)
    usage = Usage.model_validate(finished.usage) if finished is not None else Usage()
    run_id = events[0].run_id if events else ""
    return TierAttempt(tier.name, run_id, reason, error, usage, tuple(events))


def _tiered(
    result: RunResult[OutputT], tier: Tier[OutputT], index: int, attempts: list[TierAttempt]
) -> TieredResult[OutputT]:
    base = {f.name: getattr(result, f.name) for f in dataclasses.fields(RunResult)}
    return TieredResult(**base, tier=tier.name, tier_index=index, attempts=tuple(attempts))
