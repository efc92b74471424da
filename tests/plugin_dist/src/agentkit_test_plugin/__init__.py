"""Tools shipped by a third-party distribution (test fixture for entry-point discovery)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from agentkit import RunContext, Tool, tool


@tool(version="1.0.0", tags=["weather"])
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return {"city": city, "temp_c": 21}


class ConvertArgs(BaseModel):
    value: float
    unit: Literal["c", "f"]


class ConvertUnits(Tool[ConvertArgs, float]):
    """Convert a temperature between Celsius and Fahrenheit."""

    name = "convert_units"

    async def run(self, args: ConvertArgs, ctx: RunContext[Any]) -> float:
        return args.value * 9 / 5 + 32 if args.unit == "c" else (args.value - 32) * 5 / 9


@tool
def moon_phase(date: str) -> str:
    """Moon phase on a date (YYYY-MM-DD)."""
    return "full"


@tool
def tide(port: str) -> str:
    """Next high tide at a port."""
    return "06:12"


def bundle() -> list[Tool[Any, Any]]:
    """Factory entry point: returns several tools."""
    return [moon_phase, tide]
