"""Quickstart: define tools, read their contracts, and see exactly what a model gets back.

Run it from the repository root with ``python examples/quickstart.py`` (or ``nox -s demo``). It needs no network
and no API key: the "model" here is a handful of raw JSON strings, exactly as a provider hands them over.

What it shows:

1. ``@tool`` on an async and a sync function: ``Annotated[..., Field(...)]`` constraints, a ``Literal``, an
   optional field, a ``date``, and parameter descriptions taken from a Google-style docstring.
2. A class-based tool, ``class BookFlight(Tool[BookingArgs, Booking])``.
3. A ``Registry`` with a namespace, and each tool's contract: name, version, fingerprint and input schema.
4. A valid call through ``invoke_json``, an invalid one and the repair hint the model receives, and a tool that
   refuses with ``ToolFailed``.

The output is deterministic: no clock, no randomness.
"""

import json
from datetime import date
from typing import Annotated, Any, Literal

import anyio
from pydantic import BaseModel, Field

from agentkit import InvalidToolArguments, Registry, RunContext, Tool, ToolFailed, tool

# --8<-- [start:function-tools]
Airport = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Flight(BaseModel):
    number: str
    origin: str
    destination: str
    departs: date
    cabin: str
    stops: int


@tool(version="1.2.0", tags=["travel", "read"])
async def search_flights(
    origin: Airport,
    destination: Airport,
    departs: date,
    cabin: Literal["economy", "business"] = "economy",
    max_stops: Annotated[int, Field(ge=0, le=2)] | None = None,
) -> list[Flight]:
    """Search flights between two airports on a given day.

    Args:
        origin: IATA code of the departure airport, e.g. "LHR".
        destination: IATA code of the arrival airport.
        departs: Day of departure.
        cabin: Cabin class.
        max_stops: Most stops acceptable; any number when omitted.
    """
    route = {"origin": origin, "destination": destination, "departs": departs, "cabin": cabin}
    flights = [Flight(number="AF1081", stops=0, **route), Flight(number="TP1349", stops=1, **route)]
    return [f for f in flights if max_stops is None or f.stops <= max_stops]


@tool(blocking=False)  # quick, pure code: run it inline instead of in a worker thread
def convert_price(
    amount: Annotated[float, Field(gt=0)], currency: Literal["EUR", "USD", "GBP"]
) -> str:
    """Convert a price in euros to another currency.

    Args:
        amount: Price in euros.
        currency: Target currency.
    """
    rates = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85}
    return f"{amount * rates[currency]:.2f} {currency}"


# --8<-- [end:function-tools]


# --8<-- [start:class-tool]
class BookingArgs(BaseModel):
    flight_number: str = Field(description="Flight number from search_flights, e.g. AF1081.")
    passenger: str = Field(min_length=1, description="Full name as on the passport.")


class Booking(BaseModel):
    reference: str
    flight_number: str


class BookFlight(Tool[BookingArgs, Booking]):
    """Book a seat on a flight found with search_flights."""

    version = "1.0.0"
    tags = ("travel", "write")

    async def run(self, args: BookingArgs, ctx: RunContext[Any]) -> Booking:
        if args.flight_number == "TP1349":
            # The model sees this message verbatim: say what it may know, nothing more.
            raise ToolFailed("flight TP1349 is sold out; pick another flight")
        return Booking(reference="K7Q2XZ", flight_number=args.flight_number)


# --8<-- [end:class-tool]


def heading(text: str) -> None:
    print(f"\n== {text} ==")


def describe_property(name: str, schema: dict[str, Any], required: list[str]) -> str:
    """One readable line per argument: name, type and constraints, required or not, description."""
    options = schema.get("anyOf", [schema])
    details = [" | ".join(o.get("format") or o.get("type", "?") for o in options)]
    keys = ("pattern", "enum", "minimum", "maximum", "exclusiveMinimum", "minLength")
    details += [f"{k}={json.dumps(o[k])}" for o in options for k in keys if k in o]
    if "default" in schema:
        details.append(f"default={json.dumps(schema['default'])}")
    flag = "required" if name in required else "optional"
    return f"  {name:<14} {', '.join(details)} ({flag})  {schema.get('description', '')}".rstrip()


def show_contract(item: Tool[Any, Any]) -> None:
    contract = item.contract
    print(f"{contract.qualified_name}  v{contract.version}  tags={list(contract.tags)}")
    print(f"  {contract.description.splitlines()[0]}")
    print(f"  fingerprint    {contract.fingerprint[:23]}...")
    schema = contract.input_schema
    for name, prop in schema["properties"].items():
        print(describe_property(name, prop, schema.get("required", [])))


def show_hint(content: str) -> None:
    """Print a repair hint one issue per line: it is compact JSON, built for a model rather than a person."""
    hint = json.loads(content)
    print(f'{{"error": "{hint["error"]}", "tool": "{hint["tool"]}", "issues": [')
    issues = [json.dumps(issue) for issue in hint["issues"]]
    print(",\n".join(f"  {line}" for line in issues))
    print(f'], "hint": "{hint["hint"]}"}}')


async def main() -> None:
    registry = Registry()
    for item in (search_flights, convert_price, BookFlight()):
        registry.register(item, namespace="travel")

    heading("Contracts")
    for item in registry:
        show_contract(item)

    heading("The JSON Schema behind one contract")
    print(json.dumps(convert_price.contract.input_schema, separators=(",", ":")))

    search = registry.get("travel.search_flights", "^1")

    heading("A valid call")
    raw = '{"origin": "CDG", "destination": "LIS", "departs": "2026-05-14", "max_stops": 0}'
    print(f"model sends   {raw}")
    outcome = await search.invoke_json(raw)
    print(f"status        {outcome.status}")
    print(f"model gets    {outcome.content}")

    heading("An invalid call: the repair hint")
    raw = '{"origin": "CDG", "destinaton": "LIS", "departs": "2026-05-14", "max_stops": "none"}'
    print(f"model sends   {raw}")
    outcome = await search.invoke_json(raw)
    print(f"status        {outcome.status}")
    print("model gets    (compact JSON, one issue per line here)")
    show_hint(outcome.content)
    assert outcome.error is not None
    if isinstance(outcome.error, InvalidToolArguments):  # the typed error, for the developer
        print(f"developer gets InvalidToolArguments with {len(outcome.error.issues)} issues")

    heading("A tool that refuses: ToolFailed")
    book = registry.get("travel.book_flight")
    raw = '{"flight_number": "TP1349", "passenger": "Ada Lovelace"}'
    print(f"model sends   {raw}")
    outcome = await book.invoke_json(raw)
    print(f"status        {outcome.status}")
    print(f"model gets    {outcome.content}")

    heading("Tools stay callable")
    print(f"convert_price(120, 'USD') -> {convert_price(120, 'USD')!r}")


if __name__ == "__main__":
    anyio.run(main)
