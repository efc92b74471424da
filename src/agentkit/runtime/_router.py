"""``Router``: send an input to one of several agents, by rules or by asking a (cheap) classifier model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import create_model

from agentkit.events import RouteChosen
from agentkit.exceptions import UsageError
from agentkit.runtime._agent import Agent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from agentkit.providers._base import Provider
    from agentkit.runtime._types import RunResult

__all__ = ("Route", "Router")


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
    """Chooses an agent for each input: the first matching rule, else a classifier's pick, else the default.

    The choice is recorded as a ``route.chosen`` event at the start of the chosen agent's run (same ``run_id``).

    Args:
        routes: The destinations, tried in order for rules.
        default: The route used when no rule matches and there is no classifier.
        classifier: A model asked to pick a route by name from the routes' descriptions, when no rule matches.
        name: The router's name, in events.

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
    ) -> None:
        if not routes:
            raise UsageError("a Router needs at least one route")
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
    ) -> tuple[Route, Literal["rule", "classifier", "default"]]:
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
        route, method = await self.choose(user_input)

        def record(emitter: Any) -> None:
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
