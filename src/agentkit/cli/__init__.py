"""The ``agentkit`` command line.

Examples:
    >>> from agentkit.cli import main
    >>> main(["--version"])
    agentkit 0.1.0.dev0
    0
"""

from __future__ import annotations

from agentkit.cli._main import main

__all__ = ("main",)
