"""A travel agent: a versioned prompt, three tools, parallel calls, approval for booking, a typed answer.

Run it with::

    python examples/travel_agent.py

Offline (the default) the model is a scripted ``FakeProvider``, so the output is the same on every run. With
``OPENAI_API_KEY`` (or ``ANTHROPIC_API_KEY``) set, the same agent talks to the real model instead; set
``TRAVEL_AGENT_MODEL`` to pick one (``openai:gpt-4.1-mini`` / ``anthropic:claude-sonnet-4-5`` by default).

What it shows:

1. The model searches flights and checks the weather in one step: both tools run concurrently.
2. It asks to book: ``book_flight`` requires approval, so the run pauses with a JSON-serializable state.
3. The state is stored as JSON and read back (as a web app would between two requests); a human approves.
4. The run resumes, the booking runs, and the answer arrives as a validated ``Itinerary``.
5. The run's events, from start to finish, across the pause.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

import anyio
from pydantic import BaseModel, Field

from agentkit import RunContext, tool
from agentkit.exceptions import ToolFailed
from agentkit.messages import ToolCallPart, Usage
from agentkit.prompts import Prompt
from agentkit.runtime import Agent, Limits, PendingApproval, approve, capture_events
from agentkit.testing import FakeProvider, MockClock

if TYPE_CHECKING:
    from agentkit.providers import Provider

# --------------------------------------------------------------------------------------------- the tools

FLIGHTS = {
    ("LIS", "OPO"): [("TP1940", "07:10", 89.0), ("TP1944", "12:40", 64.0)],
    ("LIS", "MAD"): [("IB3103", "09:05", 120.0)],
}


class Flight(BaseModel):
    number: str
    departs: str
    price_eur: float


@tool(tags=["read"])
async def search_flights(origin: str, destination: str) -> list[Flight]:
    """Search direct flights.

    Args:
        origin: IATA code of the departure airport, e.g. "LIS".
        destination: IATA code of the arrival airport, e.g. "OPO".
    """
    found = FLIGHTS.get((origin.upper(), destination.upper()), [])
    return [Flight(number=n, departs=d, price_eur=p) for n, d, p in found]


@tool(tags=["read"])
async def get_weather(city: str) -> dict[str, str | int]:
    """Today's weather forecast for a city.

    Args:
        city: The city name.
    """
    return {"city": city, "forecast": "sunny", "high_c": 24}


@tool(requires_approval=True, tags=["write", "sequential"])
def book_flight(ctx: RunContext[str], flight_number: str) -> str:
    """Book a seat on a flight for the traveller (needs a human's approval).

    Args:
        ctx: The run context; ``deps`` is the traveller's name.
        flight_number: The flight to book, e.g. "TP1944".
    """
    if flight_number not in {n for flights in FLIGHTS.values() for n, _, _ in flights}:
        raise ToolFailed(f"no flight {flight_number}; search first")
    return f"booked {flight_number} for {ctx.deps}, confirmation PNR-7Q2X"


class Itinerary(BaseModel):
    flight_number: str
    departs: str
    price_eur: float
    confirmation: str
    weather: str = Field(description="One short sentence about the weather at the destination.")
    status: Literal["booked", "not_booked"]


TRAVEL_PROMPT = Prompt(
    "travel-agent",
    version="1.1.0",
    system=(
        "You are a travel agent. Find the cheapest direct flight, check the destination's weather, "
        "book the flight, and answer with the itinerary."
    ),
)

# --------------------------------------------------------------------------------------------- the model


def scripted_model() -> FakeProvider:
    """What a model would answer at each step, scripted so the example runs offline and deterministically."""
    usage = Usage(input_tokens=420, output_tokens=38)
    return FakeProvider(
        [
            [
                ToolCallPart(
                    id="call_search",
                    name="search_flights",
                    arguments='{"origin": "LIS", "destination": "OPO"}',
                ),
                ToolCallPart(id="call_weather", name="get_weather", arguments='{"city": "Porto"}'),
            ],
            [
                ToolCallPart(
                    id="call_book", name="book_flight", arguments='{"flight_number": "TP1944"}'
                )
            ],
            json.dumps(
                {
                    "flight_number": "TP1944",
                    "departs": "12:40",
                    "price_eur": 64.0,
                    "confirmation": "PNR-7Q2X",
                    "weather": "Sunny in Porto, up to 24 C.",
                    "status": "booked",
                }
            ),
        ],
        usage=usage,
    )


def live_model() -> Provider | None:
    """A real provider when an API key is set (and its adapter is available), else ``None``."""
    try:
        from agentkit.providers import infer_provider
    except ImportError:  # pragma: no cover - older builds without adapters
        return None
    if os.environ.get("OPENAI_API_KEY"):
        return infer_provider(os.environ.get("TRAVEL_AGENT_MODEL", "openai:gpt-4.1-mini"))
    if os.environ.get("ANTHROPIC_API_KEY"):
        return infer_provider(os.environ.get("TRAVEL_AGENT_MODEL", "anthropic:claude-sonnet-4-5"))
    return None


# --------------------------------------------------------------------------------------------- the run


async def main() -> None:
    provider = live_model()
    offline = provider is None
    model = provider if provider is not None else scripted_model()
    clock = MockClock(datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc), tick=0.25)
    agent = Agent(
        model,
        tools=[search_flights, get_weather, book_flight],
        instructions=TRAVEL_PROMPT,
        output_type=Itinerary,
        deps_type=str,
        name="travel",
        limits=Limits(max_steps=8, max_total_tokens=50_000, timeout=120),
        clock=clock,
    )
    print(f"model          {'scripted FakeProvider' if offline else repr(model)}")

    with capture_events() as events:
        first = await agent.run(
            "Book me the cheapest flight from Lisbon to Porto today.",
            deps="Ada Lovelace",
            run_id="trip-0001",
        )
        print(f"status         {first.status} after {first.steps} steps")
        final = first
        if first.pending is not None:
            for call in first.pending.calls:
                print(f"needs approval {call.tool_name}({call.arguments})  [{call.tool_call_id}]")
            stored = first.pending.model_dump_json()  # into a database, a queue, a form...
            print(
                f"stored state   {len(stored)} bytes of JSON, {len(first.pending.messages)} messages"
            )
            state = PendingApproval.model_validate_json(stored)
            # A human looks at the pending calls (here: Ada approves them all).
            decisions = {call.tool_call_id: approve("ok by Ada") for call in state.calls}
            final = await agent.resume(state, decisions, deps="Ada Lovelace")

    itinerary = final.output
    print(f"status         {final.status} after {final.steps} steps, {final.tool_calls} tool calls")
    print(
        f"itinerary      {itinerary.flight_number} at {itinerary.departs}, {itinerary.price_eur:.2f} EUR"
    )
    print(f"confirmation   {itinerary.confirmation} ({itinerary.status})")
    print(f"weather        {itinerary.weather}")
    if final.prompt is not None:
        print(f"prompt         {final.prompt.name} {final.prompt.version}")
    print(f"usage          {final.usage.input_tokens} in / {final.usage.output_tokens} out")
    if offline:
        print("events")
        for event in events:
            data = event.model_dump()
            stamp = f"{event.at:%H:%M:%S.%f}"[:-4]
            print(f"  #{event.seq:<2} {stamp}  {data['type']:<22}{_detail(data)}".rstrip())


def _detail(data: dict[str, object]) -> str:
    for key in ("tool_name", "status", "finish_reason", "prompt_name"):
        value = data.get(key)
        if value:
            return str(value)
    return ""


if __name__ == "__main__":
    anyio.run(main)
