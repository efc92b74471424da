"""The MCP tests' peer server (tests/mcp/peer.py), in process or as a command."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def load_peer() -> ModuleType:
    """tests/mcp/peer.py as a module (the suite imports by path, not as a package)."""
    spec = importlib.util.spec_from_file_location("_agentkit_mcp_peer", HERE / "peer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PEER = load_peer()


def serve_command(*extra: str) -> list[str]:
    """The command that serves peer.py's server over stdio (or HTTP with ``--http``), run from tests/mcp."""
    return [sys.executable, "-m", "agentkit", "mcp", "serve", *extra, "peer:server"]


@pytest.fixture
def peer_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a peer process: where ``die_once`` keeps its marker."""
    return {"PEER_MARKER": str(tmp_path / "died-once")}
