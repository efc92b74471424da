"""The agents the Temporal tests serve, in-process and from ``agentkit temporal worker -m _app`` subprocesses.

`build` makes the shop agent: a real OpenAI Chat adapter (behind a `RetryPolicy`) talking to the loopback fake
provider server, a SQLite store, and two tools recording their side effects in SQLite under their idempotency
key. As a worker module (``AGENTKIT_TEST_PROVIDER_URL`` set) it defines ``shop`` from the environment.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import anyio

from agentkit import RunContext, tool
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent
from agentkit.storage import SQLiteStore, StoreSink
from agentkit.temporal import idempotency_key

URL_ENV = "AGENTKIT_TEST_PROVIDER_URL"
STATE_ENV = "AGENTKIT_TEST_STATE_DIR"
MODEL = "gpt-4.1-mini"
KEY = "tk7-Wm2pLs90XcQe4Rv8Nb3z"


def _effect(state: Path, table: str, key: str | None, amount: int) -> bool:
    """Record an attempt, and the effect unless its key has one already; whether the effect is new."""
    with closing(sqlite3.connect(state / "effects.sqlite3", timeout=30)) as db, db:
        db.execute("CREATE TABLE IF NOT EXISTS attempts (tool TEXT, key TEXT, pid INTEGER)")
        db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, amount INTEGER)")
        db.execute("INSERT INTO attempts VALUES (?, ?, ?)", (table, key, os.getpid()))
        inserted = db.execute(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", (key, amount))
        return inserted.rowcount == 1


def build(
    url: str, state: Path, *, name: str = "shop", retry_attempts: int = 3
) -> Agent[None, str]:
    """The shop agent on the fake server at ``url``, keeping its store and effects in ``state``."""

    @tool(timeout=60)
    async def charge(ctx: RunContext[None], amount: int) -> str:
        """Charge the customer's card, in euros."""
        fresh = _effect(state, "charges", idempotency_key(ctx), amount)
        if fresh and (state / "hang").exists():
            (state / "hung").write_text(str(os.getpid()))
            await anyio.sleep(3600)  # the test kills this worker now
        return f"charged {amount} EUR"

    @tool(requires_approval=True)
    def refund(ctx: RunContext[None], amount: int) -> str:
        """Refund the customer, in euros."""
        _effect(state, "refunds", idempotency_key(ctx), amount)
        return f"refunded {amount} EUR"

    provider = OpenAIChatProvider(MODEL, api_key=KEY, base_url=url + "/v1")
    return Agent(
        RetryPolicy(provider, max_attempts=retry_attempts, initial_delay=0.05, max_delay=0.2),
        tools=[charge, refund],
        instructions="You run a shop's till.",
        name=name,
        sinks=[StoreSink(_store(state / "store.sqlite3"))],
    )


STORES: list[SQLiteStore] = []  # every store build() opened, closed by close_stores()


def _store(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    STORES.append(store)
    return store


def close_stores() -> None:
    """Close the stores of every agent built so far (a test's agents; a worker process exits instead)."""
    while STORES:
        STORES.pop().close()


if os.environ.get(URL_ENV):
    shop = build(os.environ[URL_ENV], Path(os.environ[STATE_ENV]))
