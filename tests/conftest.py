"""Shared fixtures: async tests run on asyncio through anyio's pytest plugin; the test-server helper, loaded once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests are deterministic and never timed: the same examples on every run (no example database, no seed
# drawn from the clock) and no wall-clock deadline or "too slow" check, which a loaded 2-core machine would trip.
settings.register_profile(
    "agentkit",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("agentkit")

# httpx2 (the httpx fork much of the ecosystem moved to) exists for Python >= 3.11 only; elsewhere its tests cannot
# be collected at all. Wherever it can be installed, the test sessions install it and its tests must pass.
collect_ignore = ["providers/test_httpx2.py"] if sys.version_info < (3, 11) else []

# pytester runs pytest in-process for the plugin's tests; agentkit's plugin is loaded here rather than from its
# entry point (see addopts), so that coverage is measuring when it imports agentkit.
pytest_plugins = ("pytester", "agentkit.testing._pytest_plugin")


SERVERS = "_agentkit_test_servers"
"""The name tests/_servers.py is loaded under: conftests and tests that start a server read ``sys.modules[SERVERS]``."""


def _load_servers() -> None:
    # --import-mode=importlib makes tests/ no package: load the helper by path, once, before any other conftest.
    spec = importlib.util.spec_from_file_location(SERVERS, Path(__file__).parent / "_servers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[SERVERS] = module
    spec.loader.exec_module(module)


_load_servers()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
