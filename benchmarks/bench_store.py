"""Event-append throughput per store (events/s), for batch sizes 1 and 100. Reports; never gates.

Run: ``python benchmarks/bench_store.py``
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from agentkit.events import ToolCallSucceeded
from agentkit.storage import EventStore, MemoryStore, SQLiteStore

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOTAL = 5_000


def bench(store: EventStore, batch: int) -> float:
    """Append TOTAL events in batches of ``batch``; return events per second."""
    events = [
        ToolCallSucceeded(
            run_id="bench", seq=i, at=AT, tool_name="t", duration_s=0.0, output_chars=i
        )
        for i in range(TOTAL)
    ]
    started = time.perf_counter()
    for start in range(0, TOTAL, batch):
        store.append("bench", events[start : start + batch])
    return TOTAL / (time.perf_counter() - started)


def main() -> None:
    """Print a table of events/s."""
    with tempfile.TemporaryDirectory() as tmp:
        for batch in (1, 100):
            cases: list[tuple[str, EventStore]] = [
                ("MemoryStore", MemoryStore()),
                ("SQLiteStore NORMAL", SQLiteStore(Path(tmp) / f"n{batch}.sqlite3")),
                (
                    "SQLiteStore FULL",
                    SQLiteStore(Path(tmp) / f"f{batch}.sqlite3", synchronous="FULL"),
                ),
            ]
            for name, store in cases:
                with store:
                    rate = bench(store, batch)
                print(f"{name:<20} batch={batch:<4} {rate:>12,.0f} events/s")


if __name__ == "__main__":
    main()
