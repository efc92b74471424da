"""``agentkit serve``: a module's tools and agents (or an app it names) as the HTTP service, under uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import EXIT_CODES_HELP, CommandError, ExitCode
from agentkit.cli._output import error, escape

if TYPE_CHECKING:
    from collections.abc import Iterator

    from agentkit.runtime import Agent
    from agentkit.storage import EventStore
    from agentkit.tools import Tool

__all__ = (
    "DEFAULT_KEY_ENV",
    "ServeTarget",
    "add_serve_command",
    "load_target",
    "run_serve_command",
)

DEFAULT_KEY_ENV = "AGENTKIT_API_KEYS"
"""The environment variable ``agentkit serve`` reads its API keys from unless ``--api-key-env`` names another."""

DEFAULT_GRACE = 30.0
"""Seconds a stopping server gives open requests (event streams included), then running runs, to finish."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value}")
    return value


def add_serve_command(commands: Any) -> None:
    """Add the ``serve`` command to the ``agentkit`` parser's subparsers.

    Examples:
        >>> import argparse
        >>> from agentkit.cli._serve import add_serve_command
        >>> parser = argparse.ArgumentParser()
        >>> add_serve_command(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["serve", "myapp.service:agent", "--port", "9000", "--no-auth"])
        >>> args.target, args.host, args.port, args.no_auth
        ('myapp.service:agent', '127.0.0.1', 9000, True)
    """
    serve = commands.add_parser(
        "serve",
        help="serve tools and agent runs over HTTP (needs agentkit-contracts[server])",
        description="Serve the tools and agents of MODULE (every tool and every Agent it defines at top "
        "level), or the Registry, Toolset, Agent, list or mapping of them, or the ready FastAPI app that "
        "MODULE:ATTR names, as agentkit's HTTP service under uvicorn. Requests need an API key from the "
        f"environment variable --api-key-env names (default {DEFAULT_KEY_ENV}; several keys separated by "
        "commas), sent as 'X-API-Key: KEY' or 'Authorization: Bearer KEY', unless --no-auth. Ctrl-C (SIGINT) "
        "or SIGTERM stops it gracefully.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("target", metavar="MODULE[:ATTR]", help="'pkg.module' or 'pkg.module:name'")
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (default: 8000; 0 picks one)"
    )
    serve.add_argument(
        "--store",
        metavar="URL",
        default=None,
        help="where runs are kept: a SQLite file, sqlite:///FILE, postgresql://... or redis://... "
        "(default: in memory, so runs end with the process; a file lets a restarted server resume "
        "paused runs)",
    )
    auth = serve.add_mutually_exclusive_group()
    auth.add_argument(
        "--api-key-env",
        metavar="VAR",
        default=None,
        help=f"environment variable holding the accepted API keys, comma-separated (default: "
        f"{DEFAULT_KEY_ENV})",
    )
    auth.add_argument(
        "--no-auth",
        action="store_true",
        help="serve without authentication (an explicit opt-out; anyone who can connect may call)",
    )
    serve.add_argument(
        "--shutdown-grace",
        metavar="SECONDS",
        type=_seconds,
        default=DEFAULT_GRACE,
        help="on shutdown, how long open requests (event streams too) may take to finish, and then how "
        f"long running runs may; the rest are cancelled and stored as such (default: {DEFAULT_GRACE:g})",
    )


class ServeTarget:
    """What ``MODULE[:ATTR]`` names: tools and agents to build the service from, or a ready app.

    Attributes:
        tools: The tools to serve.
        agents: The agents to run, by name.
        app: A ready ASGI application (``MODULE:ATTR`` naming a FastAPI app), served as it is.
    """

    def __init__(
        self,
        tools: list[Tool[Any, Any]] | None = None,
        agents: dict[str, Agent[Any, Any]] | None = None,
        app: Any = None,
    ) -> None:
        self.tools = tools or []
        self.agents = agents or {}
        self.app = app

    def __repr__(self) -> str:
        if self.app is not None:
            return f"ServeTarget(app={type(self.app).__name__})"
        return f"ServeTarget(tools={len(self.tools)}, agents={sorted(self.agents)})"


def _collect(items: Any, target: str, into: ServeTarget) -> None:
    from agentkit.registry import Registry, Toolset
    from agentkit.runtime import Agent
    from agentkit.tools import Tool

    if isinstance(items, (Registry, Toolset)):
        into.tools.extend(items.tools())
        return
    if isinstance(items, Agent):
        if items.name in into.agents and into.agents[items.name] is not items:
            raise CommandError(
                f"{target!r}: two agents are named {items.name!r}; give them distinct names "
                "(Agent(name=...)) or name a mapping of them",
                ExitCode.LOAD_ERROR,
            )
        into.agents[items.name] = items
        return
    if isinstance(items, Tool):
        into.tools.append(items)
        return
    if isinstance(items, dict):
        for name, agent in items.items():
            if not isinstance(agent, Agent):
                raise CommandError(
                    f"{target!r} maps {name!r} to {type(agent).__name__}, not an Agent",
                    ExitCode.LOAD_ERROR,
                )
            into.agents[str(name)] = agent
        return
    if isinstance(items, (list, tuple)):
        for item in items:
            if isinstance(item, (list, tuple, dict)):
                raise CommandError(
                    f"{target!r} holds a nested {type(item).__name__}; list tools and agents directly",
                    ExitCode.LOAD_ERROR,
                )
            _collect(item, target, into)
        return
    raise CommandError(
        f"{target!r} is a {type(items).__name__}, not a FastAPI app, Registry, Toolset, Agent, tool, or list "
        "or mapping of them",
        ExitCode.LOAD_ERROR,
    )


def _is_asgi_app(obj: Any) -> bool:
    fastapi = sys.modules.get("fastapi")
    return fastapi is not None and isinstance(obj, fastapi.FastAPI)


def load_target(target: str) -> ServeTarget:
    """The tools and agents (or the app) that ``pkg.module`` or ``pkg.module:name`` names.

    ``pkg.module`` serves every tool the module exposes (as ``agentkit tools list -m`` finds them) and every
    `agentkit.runtime.Agent` it defines at top level; ``pkg.module:name`` serves what that attribute is.

    Raises:
        CommandError: `ExitCode.LOAD_ERROR` when the module cannot be imported, the attribute is missing or is
            nothing servable, the tools collide, or there is nothing to serve.

    Examples:
        >>> from agentkit.cli._serve import load_target
        >>> load_target("agentkit.cli._demo_tools")
        ServeTarget(tools=1, agents=[])
        >>> load_target("agentkit.cli._demo_tools:echo").tools[0].contract.name
        'echo'
    """
    from agentkit.cli._load import import_attribute, import_module
    from agentkit.exceptions import AgentkitError
    from agentkit.registry import Registry
    from agentkit.runtime import Agent

    found = ServeTarget()
    if ":" in target:
        obj = import_attribute(target, option="MODULE[:ATTR]")
        if _is_asgi_app(obj):
            return ServeTarget(app=obj)
        _collect(obj, target, found)
    else:
        module = import_module(target)
        try:
            found.tools.extend(Registry().register_module(module))
        except AgentkitError as exc:
            raise CommandError(
                f"cannot register the tools of {target!r}: {exc}", ExitCode.LOAD_ERROR
            ) from exc
        names = getattr(module, "__all__", None) or [
            n for n in vars(module) if not n.startswith("_")
        ]
        for name in names:
            value = getattr(module, name, None)
            if isinstance(value, Agent):
                _collect(value, target, found)
    if not found.tools and not found.agents:
        raise CommandError(f"{target!r} has no tools or agents to serve", ExitCode.LOAD_ERROR)
    try:  # tools that collide (one name and version twice) are refused here, as `tools list` would
        registry = Registry()
        for item in found.tools:
            registry.register(item)
    except AgentkitError as exc:
        raise CommandError(
            f"cannot register the tools of {target!r}: {exc}", ExitCode.LOAD_ERROR
        ) from exc
    return found


def _api_keys(variable: str) -> list[str]:
    raw = os.environ.get(variable, "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise CommandError(
            f"no API keys: set {variable} to the key clients must send (several separated by commas), "
            "name another variable with --api-key-env, or pass --no-auth to serve without authentication",
            ExitCode.USAGE,
        )
    return keys


def _open_store(url: str | None) -> EventStore:
    from agentkit.storage import MemoryStore

    if url is None:
        return MemoryStore()
    from agentkit.cli._eval import open_store_url

    return open_store_url(url, create=True)


def _describe(target: ServeTarget, args: argparse.Namespace, store: EventStore | None) -> str:
    if target.app is not None:
        what = f"the app {args.target}"
    else:
        n = len(target.tools)
        what = f"{n} tool{'s' if n != 1 else ''}"
        if target.agents:
            what += f" and agent{'s' if len(target.agents) != 1 else ''} {', '.join(sorted(target.agents))}"
    if target.app is None:
        auth = (
            "none (--no-auth)"
            if args.no_auth
            else f"API keys from ${args.api_key_env or DEFAULT_KEY_ENV}"
        )
        kept = "memory (runs end with the process)" if args.store is None else repr(store)
        return f"{what}; auth: {auth}; store: {kept}"
    return what


def build_app(target: ServeTarget, args: argparse.Namespace) -> tuple[Any, EventStore | None]:
    """The ASGI app to serve, and the store it was given (to close on exit).

    Raises:
        CommandError: `ExitCode.USAGE` for missing API keys, or options that a ready app cannot take;
            `ExitCode.MISSING` for a store that cannot be opened; `ExitCode.LOAD_ERROR` when the server
            extra is not installed.
    """
    from agentkit.exceptions import MissingExtraError

    if target.app is not None:
        if args.store is not None or args.no_auth or args.api_key_env is not None:
            raise CommandError(
                f"{args.target!r} is a ready app: its store and authentication are its own, so --store, "
                "--api-key-env and --no-auth do not apply",
                ExitCode.USAGE,
            )
        return target.app, None
    try:
        from agentkit.server import APIKeys, NoAuth, ServerLimits, create_app
    except (
        MissingExtraError
    ) as exc:  # pragma: no cover - the extra is installed wherever the tests run
        raise CommandError(str(exc), ExitCode.LOAD_ERROR) from exc
    auth = NoAuth() if args.no_auth else APIKeys(_api_keys(args.api_key_env or DEFAULT_KEY_ENV))
    store = _open_store(args.store)
    app = create_app(
        tools=target.tools,
        agents=target.agents or None,
        store=store,
        auth=auth,
        limits=ServerLimits(shutdown_grace=args.shutdown_grace),
    )
    return app, store


@contextlib.contextmanager
def _stopped_by_signal() -> Iterator[None]:
    """A SIGINT or SIGTERM that stopped uvicorn ends the command with exit code 0.

    uvicorn handles both signals while it serves (a graceful shutdown), then raises the one it got again for the
    handler that was there before: this one, which lets the command return normally (closing its store) instead
    of dying by the signal or raising ``KeyboardInterrupt``.
    """
    if (
        threading.current_thread() is not threading.main_thread()
    ):  # pragma: no cover - the CLI's main thread
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_serve_command(args: argparse.Namespace) -> int:
    """Execute a parsed ``serve`` command: serve until SIGINT or SIGTERM; return the exit code (see `ExitCode`)."""
    store: EventStore | None = None
    try:
        target = load_target(args.target)
        app, store = build_app(target, args)
        try:
            import uvicorn
        except (
            ImportError
        ) as exc:  # pragma: no cover - the extra is installed wherever the tests run
            raise CommandError(
                "agentkit serve needs uvicorn: pip install 'agentkit-contracts[server]'",
                ExitCode.LOAD_ERROR,
            ) from exc
        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            lifespan="on",
            ws="none",  # HTTP and SSE only: no websockets import (and its deprecation warnings)
            timeout_graceful_shutdown=math.ceil(args.shutdown_grace),
            log_level="info",
        )
        server = uvicorn.Server(config)
        print(
            f"agentkit: serving {escape(_describe(target, args, store))} on {args.host}:{args.port}",
            file=sys.stderr,
            flush=True,
        )
        with _stopped_by_signal():
            server.run()
    except CommandError as exc:
        error(exc.message)
        return int(exc.code)
    finally:
        if store is not None:
            store.close()
    return int(ExitCode.OK)
