"""An eval of a small travel agent: a dataset in YAML, scorers, a terminal table and an HTML report.

Run it with::

    python examples/evals/travel_eval.py [OUTPUT_DIR]

or through the command line (the agent below is ``examples.evals.travel_eval:agent``)::

    agentkit eval run examples/evals/travel.yaml --agent examples.evals.travel_eval:agent --html report.html

Offline (the default) the model is a scripted `FunctionProvider` that answers each case the same way every time
(and gets one case wrong on purpose). With ``OPENAI_API_KEY`` (or ``ANTHROPIC_API_KEY``) set, the same agent
talks to the real model instead; set ``TRAVEL_AGENT_MODEL`` to pick one.

What it does:

1. Loads ``travel.yaml``: five cases with their expected tool calls (and answers, where they are fixed).
2. Runs every case against the agent, two at a time, recording each run's events in a SQLite store. In an eval
   tools run live, except destructive ones (``book_flight``): those run ``dry_run``, validated and recorded
   but not executed, so no seat is booked (a case's ``mode`` or ``--mode`` changes that).
3. Prints the table and writes ``report.json`` and ``report.html`` to OUTPUT_DIR (``build/eval`` by default).
4. Replays the recorded runs offline (no model, no tools) and compares that report with the first one.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agentkit import ToolAnnotations, tool
from agentkit.messages import ToolCallPart, Usage
from agentkit.runtime import Agent
from agentkit.testing import FunctionProvider, MockClock

if TYPE_CHECKING:
    from agentkit.providers import ModelRequest, Provider

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------- the tools

FLIGHTS = {("LIS", "OPO"): [("TP1940", "07:10", 89.0), ("TP1944", "12:40", 64.0)]}
WEATHER = {"lisbon": 24, "porto": 21, "madrid": 31}
BOOKINGS: list[str] = []
"""Every seat `book_flight` really booked: an eval leaves it empty (the tool runs in dry_run mode there)."""


@tool(annotations=ToolAnnotations(read_only=True))
def search_flights(origin: str, destination: str) -> list[dict[str, object]]:
    """Search direct flights.

    Args:
        origin: IATA code of the departure airport, e.g. "LIS".
        destination: IATA code of the arrival airport, e.g. "OPO".
    """
    found = FLIGHTS.get((origin.upper(), destination.upper()), [])
    return [{"number": n, "departs": d, "price_eur": p} for n, d, p in found]


@tool(annotations=ToolAnnotations(read_only=True))
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict[str, object]:
    """Today's weather forecast for a city.

    Args:
        city: The city name.
        unit: The temperature unit.
    """
    high = WEATHER.get(city.lower(), 20)
    if unit == "fahrenheit":
        high = round(high * 9 / 5 + 32)
    return {"city": city, "forecast": "sunny", "high": high, "unit": unit}


@tool(annotations=ToolAnnotations(read_only=False, destructive=True))
def book_flight(flight_number: str) -> str:
    """Book a seat on a flight (a side effect: evals run it in dry_run mode).

    Args:
        flight_number: The flight to book, e.g. "TP1944".
    """
    BOOKINGS.append(flight_number)
    return f"booked {flight_number}, confirmation PNR-7Q2X"


# --------------------------------------------------------------------------------------------- the model

CALLS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "lisbon today": [("get_weather", {"city": "Lisbon"})],
    "lisbon to porto.": [("search_flights", {"origin": "LIS", "destination": "OPO"})],
    "weather in porto": [
        ("search_flights", {"origin": "LIS", "destination": "OPO"}),
        ("get_weather", {"city": "Porto"}),
    ],
    "book flight tp1944": [("book_flight", {"flight_number": "TP1944"})],
    "madrid": [("get_weather", {"city": "Madrid"})],  # the unit is forgotten on purpose
}


def scripted(request: ModelRequest) -> str | list[ToolCallPart]:
    """What a model would answer, decided from the conversation so far (the same answer for the same case)."""
    question = next(m.text for m in request.messages if m.role == "user").lower()
    results = [p for m in request.messages if m.role == "tool" for p in m.parts]
    if not results:
        for key, calls in CALLS.items():
            if key in question:
                return [
                    ToolCallPart(id=f"call_{i}", name=name, arguments=json.dumps(arguments))
                    for i, (name, arguments) in enumerate(calls)
                ]
        return "Sorry, I can only help with flights and the weather."
    if "weather in lisbon" in question:
        return "Sunny in Lisbon, up to 24 °C."
    if "cheapest" in question:
        return "The cheapest is TP1944 at 12:40 for 64 EUR."
    if "porto" in question and "weather" in question:
        return "TP1944 at 12:40 for 64 EUR; sunny in Porto, up to 21 °C."
    if "book" in question:
        return "Your booking of TP1944 is recorded."
    return "Sunny in Madrid, up to 31 degrees."


def live_model() -> Provider | None:
    """A real provider when an API key is set, else ``None``."""
    from agentkit.providers import infer_provider

    if os.environ.get("OPENAI_API_KEY"):
        return infer_provider(os.environ.get("TRAVEL_AGENT_MODEL", "openai:gpt-4.1-mini"))
    if os.environ.get("ANTHROPIC_API_KEY"):
        return infer_provider(os.environ.get("TRAVEL_AGENT_MODEL", "anthropic:claude-sonnet-4-5"))
    return None


def build_agent() -> Agent[None, str]:
    """The agent under evaluation: a real model when a key is set, the scripted one otherwise."""
    model = live_model() or FunctionProvider(
        scripted, model="scripted-travel", usage=Usage(input_tokens=310, output_tokens=24)
    )
    return Agent(
        model,
        tools=[search_flights, get_weather, book_flight],
        instructions="You are a travel agent. Use the tools; answer in one short sentence.",
        name="travel",
        max_steps=6,
        clock=MockClock(datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc), tick=0.05),
    )


agent = build_agent()
"""The agent ``agentkit eval run --agent examples.evals.travel_eval:agent`` evaluates."""

# --------------------------------------------------------------------------------------------- the eval


def main(out_dir: Path) -> int:
    from agentkit.evals import Dataset, compare, run_eval_sync
    from agentkit.storage import SQLiteStore

    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = Dataset.from_yaml(HERE / "travel.yaml")
    db = out_dir / "runs.sqlite3"
    db.unlink(missing_ok=True)
    store = SQLiteStore(db)
    try:
        report = run_eval_sync(dataset, agent, concurrency=2, store=store, progress=sys.stdout)
        print()
        print(report.table())
        report.save(out_dir / "report.json")
        report.save(out_dir / "report.html")
        print(f"\nwrote {out_dir / 'report.json'} and {out_dir / 'report.html'}")

        # The same cases again, replayed from the store: no model call, no tool run.
        offline = run_eval_sync(dataset, agent, concurrency=2, store=store, offline=True)
    finally:
        store.close()
    booking = report.case("book-tp1944").runs[0].tool_calls
    print(
        f"book_flight ran {booking[0].mode if booking else 'never'}; seats booked: {len(BOOKINGS)}"
    )
    print(f"offline replay: pass rate {offline.pass_rate:.0%}")
    print(compare(report, offline).table().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/eval")))
