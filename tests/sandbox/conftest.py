"""The isolated-mode tests' tools live in a module a subprocess can import by name (``_isolated_tools``)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture
def iso(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The ``_isolated_tools`` module, importable by name here and in the subprocesses the test starts."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return importlib.import_module("_isolated_tools")
