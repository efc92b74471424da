"""Test doubles and helpers that ship with agentkit, for your tests and ours.

Examples:
    >>> from agentkit.testing import ReplayTransport
    >>> ReplayTransport.from_bodies([(200, {"ok": True})]).interactions[0].status
    200
"""

from __future__ import annotations

from agentkit.testing._replay import (
    Cassette,
    Interaction,
    ReplayTransport,
    load_cassette,
    sse_from_chunks,
)

__all__ = ("Cassette", "Interaction", "ReplayTransport", "load_cassette", "sse_from_chunks")
