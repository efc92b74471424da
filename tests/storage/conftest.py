"""Fixtures: each store kind, opened on a fresh location and closed after the test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from agentkit.storage import EventStore, MemoryStore, SQLiteStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """Every store implementation, empty."""
    made: EventStore = (
        MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "runs.sqlite3")
    )
    with made:
        yield made
