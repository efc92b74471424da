"""A tiny module of tools for the CLI's doctest and smoke tests."""

from __future__ import annotations

from agentkit.tools import tool

__all__ = ("echo",)


@tool(namespace="demo")
def echo(text: str) -> str:
    """Echo text back."""
    return text
