"""Routing: rules first, then a classifier model, then the default; the choice is recorded in events."""

from __future__ import annotations

import pytest

from agentkit.events import RouteChosen
from agentkit.exceptions import UsageError
from agentkit.providers import ModelProfile
from agentkit.runtime import Agent, Route, Router, capture_events
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio


def routes() -> list[Route]:
    return [
        Route(
            "billing",
            Agent(FakeProvider(["billing answer"])),
            when=lambda text: "refund" in text.lower(),
            description="payments and refunds",
        ),
        Route("travel", Agent(FakeProvider(["travel answer"])), description="flights and hotels"),
    ]


async def test_rule_match_wins_and_is_recorded_in_the_chosen_run() -> None:
    """A matching rule picks the route; route.chosen is the second event of that run."""
    with capture_events() as events:
        result = await Router(routes(), default="travel").run("I want a REFUND", run_id="r1")
    assert result.output == "billing answer"
    (chosen,) = events.of_type(RouteChosen)
    assert (chosen.route, chosen.method, chosen.run_id, chosen.seq) == ("billing", "rule", "r1", 1)


async def test_classifier_picks_when_no_rule_matches() -> None:
    """Without a matching rule, the classifier model picks a route by name from the descriptions."""
    classifier = FakeProvider(['{"route": "travel"}'])
    router = Router(routes(), classifier=classifier)
    with capture_events() as events:
        result = await router.run("A hotel in Porto?")
    assert result.output == "travel answer"
    chosen = events.of_type(RouteChosen)[-1]
    assert (chosen.route, chosen.method) == ("travel", "classifier")
    request = classifier.requests[0]
    assert "payments and refunds" in request.messages[0].text
    assert request.output is not None
    assert request.output.schema["properties"]["route"]["enum"] == ["billing", "travel"]


async def test_classifier_answers_outside_the_routes_are_repaired() -> None:
    """A classifier that names an unknown route is asked again (tool mode here)."""
    from agentkit.messages import ToolCallPart

    classifier = FakeProvider(
        [
            [ToolCallPart(id="a", name="final_result", arguments='{"route": "hotels"}')],
            [ToolCallPart(id="b", name="final_result", arguments='{"route": "travel"}')],
        ],
        profile=ModelProfile(json_schema_output=False),
    )
    route, method = await Router(routes(), classifier=classifier).choose("somewhere sunny")
    assert (route.name, method) == ("travel", "classifier")


async def test_default_route_and_validation() -> None:
    """Without a rule match or classifier, the default (or last) route is used; bad setups are refused."""
    route, method = await Router(routes()).choose("hello")
    assert (route.name, method) == ("travel", "default")
    with pytest.raises(UsageError, match="at least one route"):
        Router([])
    with pytest.raises(UsageError, match="not one of the routes"):
        Router(routes(), default="nope")
    with pytest.raises(UsageError, match="unique"):
        Router([*routes(), *routes()])


async def test_unknown_run_options_are_refused() -> None:
    """Options the agent does not take are a TypeError, as with a direct call."""
    with pytest.raises(TypeError, match="colour"):
        await Router(routes()).run("hi", colour="red")
