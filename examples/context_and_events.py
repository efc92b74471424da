"""Run context, dependencies, sensitive fields, timeouts, raw JSON Schema tools, retries, and the event stream.

Run it from the repository root with ``python examples/context_and_events.py``. It needs no network and no API
key.

What it shows:

1. A tool that takes ``RunContext[Deps]``: the context is injected, typed, and never part of the schema.
2. A sensitive argument (``Annotated[str, Sensitive()]``): masked in events, never echoed in repair hints.
3. A timeout, a crash (the model only sees a generic message), and ``RetryWithFeedback`` with its retry budget.
4. A tool described by a raw JSON Schema (``JsonSchemaTool``), as an MCP server or remote peer would send it.
5. The events every call emits, stamped by an injected clock and delivered to a sink.

The output is deterministic: the clock is a fake one, and nothing is random.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated, Any

import anyio

from agentkit import JsonSchemaTool, RetryWithFeedback, RunContext, Sensitive, tool
from agentkit.events import EventEmitter, ToolCallStarted


# --8<-- [start:deps]
@dataclass
class Deps:
    """What the application hands every tool of a run: connections, settings, the current user..."""

    currency: str
    loyalty: dict[str, int] = field(default_factory=dict)


@tool
def loyalty_balance(ctx: RunContext[Deps], member_id: str) -> str:
    """Loyalty points of a member.

    Args:
        ctx: The run context, injected by agentkit; the model never sees it.
        member_id: The member's number, e.g. "M-1001".
    """
    points = ctx.deps.loyalty.get(member_id, 0)
    return f"{member_id} has {points} points"


# --8<-- [end:deps]


# --8<-- [start:sensitive]
@tool
def pay(card_number: Annotated[str, Sensitive()], amount: float) -> str:
    """Pay with a card."""
    return f"paid {amount:.2f} with card ending {card_number[-4:]}"


# --8<-- [end:sensitive]


# --8<-- [start:failures]
@tool(timeout=0.05)
async def slow_quote(route: str) -> str:
    """A quote from a supplier that is having a bad day."""
    await anyio.sleep(10)
    return "never"


@tool
def parse_pnr(pnr: str) -> dict[str, str]:
    """Parse a booking reference."""
    return {
        "pnr": pnr,
        "segment": pnr.split("/")[1],
    }  # IndexError for "K7Q2XZ": a bug, not the model's fault


@tool(max_retries=1)
def find_airport(query: str) -> list[str]:
    """Find airports by city name."""
    if len(query) < 3:
        raise RetryWithFeedback("query is too short: use at least 3 letters of the city name")
    return ["LIS"]


# --8<-- [end:failures]


# --8<-- [start:raw-schema]
def lookup_population(arguments: dict[str, Any], ctx: RunContext[Any]) -> dict[str, Any]:
    return {"city": arguments["city"], "population": 545_000}


population = JsonSchemaTool(
    name="population",
    description="Population of a city.",
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string", "minLength": 2}},
        "required": ["city"],
        "additionalProperties": False,
    },
    handler=lookup_population,
)
# --8<-- [end:raw-schema]


# --8<-- [start:clock]
class FakeClock:
    """A clock that stands still for wall time and advances 0.25 s per monotonic reading."""

    def __init__(self) -> None:
        self._ticks = 0

    def now(self) -> datetime:
        return datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc)

    def monotonic(self) -> float:
        self._ticks += 1
        return self._ticks * 0.25


# --8<-- [end:clock]


def heading(text: str) -> None:
    print(f"\n== {text} ==")


async def main() -> None:
    # --8<-- [start:run]
    seen: list[str] = []
    clock = FakeClock()
    emitter = EventEmitter(
        run_id="run-1", clock=clock, sinks=[lambda event: seen.append(event.type)]
    )
    ctx = RunContext(
        deps=Deps(currency="EUR", loyalty={"M-1001": 1200}),
        run_id="run-1",
        events=emitter,
        clock=clock,
    )
    outcome = await loyalty_balance.invoke_json('{"member_id": "M-1001"}', ctx.for_call("call_1"))
    # --8<-- [end:run]

    heading("RunContext and deps")
    print(f"schema properties  {list(loyalty_balance.contract.input_schema['properties'])}")
    print(f"model gets         {outcome.content}")

    heading("Sensitive fields")
    print(f"contract.sensitive {pay.contract.sensitive}")
    outcome = await pay.invoke_json('{"card_number": "4111111111111111", "amount": 20}', ctx)
    print(f"model gets         {outcome.content}")
    started = [e for e in emitter.events if isinstance(e, ToolCallStarted)][-1]
    print(f"event arguments    {started.arguments}")
    outcome = await pay.invoke_json('{"card_number": 4111111111111111, "amount": "twenty"}', ctx)
    print(f"repair hint        {outcome.content}")

    heading("Timeouts, crashes and retries")
    outcome = await slow_quote.invoke_json('{"route": "CDG-LIS"}', ctx)
    print(f"timeout            {outcome.status}: {outcome.content}")
    outcome = await parse_pnr.invoke_json('{"pnr": "K7Q2XZ"}', ctx)
    print(f"crash              {outcome.status}: {outcome.content}")
    print(f"  developer sees   {type(outcome.error).__name__}: {outcome.error}")
    for attempt in (1, 2):
        outcome = await find_airport.invoke_json('{"query": "Li"}', ctx)
        print(f"retry attempt {attempt}    {outcome.status}: {outcome.content}")

    heading("A raw JSON Schema tool")
    outcome = await population.invoke_json('{"city": "Lisbon"}', ctx)
    print(f"valid              {outcome.content}")
    outcome = await population.invoke_json('{"cty": "Lisbon"}', ctx)
    print(f"invalid            {outcome.content}")

    heading("The event stream")
    for event in emitter.events:
        print(
            f"  #{event.seq:<2} {event.at:%H:%M} {event.type:<24} {getattr(event, 'tool_name', '')}"
        )
    print(f"the sink saw {len(seen)} events")


if __name__ == "__main__":
    anyio.run(main)
