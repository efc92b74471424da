"""The test servers (tests/_servers.py): failures carry the log or name the variable, ports are retried, apps are served."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

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


def test_a_server_that_cannot_start_fails_the_fixture_naming_the_variable(
    test_servers: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``throwaway_or_external`` turns a start failure into a test failure that says which variable to set."""
    monkeypatch.delenv("AGENTKIT_TEST_X", raising=False)

    def start() -> None:
        raise test_servers.ServerError("no binary")

    with pytest.raises(pytest.fail.Exception) as info:
        next(test_servers.throwaway_or_external("AGENTKIT_TEST_X", start, "X"))
    assert str(info.value) == "cannot start the test X server (or set AGENTKIT_TEST_X): no binary"


def test_a_named_server_that_does_not_answer_fails_with_its_password_masked(
    test_servers: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server named by the variable is checked first; the failure shows its URL without the password."""
    monkeypatch.setenv("AGENTKIT_TEST_X", "redis://user:hunter2@127.0.0.1:9/0")
    with pytest.raises(pytest.fail.Exception) as info:
        next(
            test_servers.throwaway_or_external("AGENTKIT_TEST_X", None, "X", lambda url: "refused")
        )
    assert (
        str(info.value) == "AGENTKIT_TEST_X=redis://user:***@127.0.0.1:9/0 does not answer: refused"
    )
    unchecked = test_servers.throwaway_or_external("AGENTKIT_TEST_X", None, "X")
    assert next(unchecked) == "redis://user:hunter2@127.0.0.1:9/0"


def test_serving_runs_an_asgi_app_on_loopback_and_stops_it(test_servers: ModuleType) -> None:
    """``serving`` yields the URL of the running app, and the port is closed once the block ends."""
    import httpx

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"up"})

    with test_servers.serving(app) as url:
        assert httpx.get(url, trust_env=False).text == "up"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(url.rsplit(":", 1)[1]))) != 0
