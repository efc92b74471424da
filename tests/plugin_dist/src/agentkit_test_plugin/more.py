"""A module entry point: every tool in it is registered."""

from __future__ import annotations

from agentkit import tool


@tool(namespace="astro")
def sunrise(city: str) -> str:
    """Sunrise time in a city."""
    return "07:01"
