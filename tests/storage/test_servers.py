"""The throwaway test servers (tests/_servers.py): failures carry the server's log, and ports are retried."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType


def test_postgres_that_cannot_start_raises_with_its_log(test_servers: ModuleType) -> None:
    """A PostgreSQL server that refuses its settings raises ServerError quoting the server's own complaint."""
    with (
        pytest.raises(test_servers.ServerError, match="exited during startup") as info,
        test_servers.postgres(settings=["no_such_setting=1"]),
    ):
        pass
    assert 'unrecognized configuration parameter "no_such_setting"' in str(info.value)


def test_redis_that_cannot_start_raises_with_its_log(test_servers: ModuleType) -> None:
    """A redis-server given a bad directive raises ServerError quoting the server's own complaint."""
    with (
        pytest.raises(test_servers.ServerError, match="exited during startup") as info,
        test_servers.redis(options=["--no-such-directive", "1"]),
    ):
        pass
    assert "no-such-directive" in str(info.value)


def test_port_taken_before_the_server_binds_is_retried(
    test_servers: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When another process takes the chosen port first, the server starts on the next free one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy, test_servers._free_port()])
        monkeypatch.setattr(test_servers, "_free_port", lambda: next(ports))
        with test_servers.redis() as url:
            assert url != f"redis://127.0.0.1:{busy}/0"
            assert test_servers.redis_error(url) is None
    assert next(ports, None) is None
