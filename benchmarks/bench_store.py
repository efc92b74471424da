"""Event-append throughput per store (events/s), for batch sizes 1 and 100. Reports; never gates.

Run: ``python benchmarks/bench_store.py``. PostgreSQL and Redis are measured too when
``AGENTKIT_TEST_POSTGRES_DSN`` / ``AGENTKIT_TEST_REDIS_URL`` are set (``python tests/_servers.py python
benchmarks/bench_store.py`` starts both on loopback for one run); each run uses fresh run ids and its own table /
key prefix.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from agentkit.events import ToolCallSucceeded
from agentkit.storage import EventStore, MemoryStore, SQLiteStore

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOTAL = 5_000


def bench(store: EventStore, batch: int, total: int = TOTAL) -> float:
    """Append ``total`` events in batches of ``batch``; return events per second."""
    run_id = f"bench-{uuid.uuid4().hex[:12]}"
    events = [
        ToolCallSucceeded(
            run_id=run_id, seq=i, at=AT, tool_name="t", duration_s=0.0, output_chars=i
        )
        for i in range(total)
    ]
    started = time.perf_counter()
    for start in range(0, total, batch):
        store.append(run_id, events[start : start + batch])
    return total / (time.perf_counter() - started)


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
            tag = uuid.uuid4().hex[:8]
            if os.environ.get("AGENTKIT_TEST_POSTGRES_DSN"):
                from agentkit.storage import PostgresStore

                dsn = os.environ["AGENTKIT_TEST_POSTGRES_DSN"]
                cases.append(("PostgresStore", PostgresStore(dsn, table_prefix=f"bench_{tag}_")))
            if os.environ.get("AGENTKIT_TEST_REDIS_URL"):
                from agentkit.storage import RedisStore

                url = os.environ["AGENTKIT_TEST_REDIS_URL"]
                cases.append(("RedisStore", RedisStore(url, prefix=f"bench:{tag}:")))
            for name, store in cases:
                # Server stores pay a network round trip per append: fewer events keep the run short.
                total = TOTAL if name in ("MemoryStore",) or name.startswith("SQLite") else 1_000
                with store:
                    rate = bench(store, batch, total)
                print(f"{name:<20} batch={batch:<4} {rate:>12,.0f} events/s")


if __name__ == "__main__":
    main()
