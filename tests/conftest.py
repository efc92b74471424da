"""Shared fixtures: async tests run on asyncio through anyio's pytest plugin."""

from __future__ import annotations

import sys

import pytest

# httpx2 (the httpx fork much of the ecosystem moved to) exists for Python >= 3.11 only; elsewhere its tests cannot
# be collected at all. Wherever it can be installed, the test sessions install it and its tests must pass.
collect_ignore = ["providers/test_httpx2.py"] if sys.version_info < (3, 11) else []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
