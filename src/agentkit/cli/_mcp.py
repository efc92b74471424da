"""``agentkit mcp serve``: a module's tools (or a registry, toolset or server it names) served over MCP."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import EXIT_CODES_HELP, CommandError, ExitCode
from agentkit.cli._output import error

if TYPE_CHECKING:
    from agentkit.mcp import MCPServer

__all__ = ("add_mcp_commands", "load_server", "run_mcp_command")


def add_mcp_commands(commands: Any) -> None:
    """Add the ``mcp`` command to the ``agentkit`` parser's subparsers.

    Examples:
        >>> import argparse
        >>> from agentkit.cli._mcp import add_mcp_commands
        >>> parser = argparse.ArgumentParser()
        >>> add_mcp_commands(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["mcp", "serve", "--http", "127.0.0.1:8765", "myapp.tools"])
        >>> args.http, args.target
        ('127.0.0.1:8765', 'myapp.tools')
    """
    common: dict[str, Any] = {
        "epilog": EXIT_CODES_HELP,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
    group = commands.add_parser(
        "mcp",
        help="serve tools to MCP clients",
        description="Serve tools to MCP clients (needs agentkit-contracts[mcp]).",
        **common,
    )
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="mcp_command", metavar="SUBCOMMAND")
    serve = sub.add_parser(
        "serve",
        help="serve a module's tools over stdio (default) or streamable HTTP",
        description="Serve the tools of MODULE (every tool it defines), or of the Registry, Toolset, MCPServer "
        "or list of tools that MODULE:NAME names, over stdio (default) or streamable HTTP.",
        **common,
    )
    serve.add_argument(
        "target", metavar="MODULE_OR_ENTRYPOINT", help="'pkg.module' or 'pkg.module:name'"
    )
    serve.add_argument(
        "--http",
        metavar="HOST:PORT",
        default=None,
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio",
    )
    serve.add_argument(
        "--name", default="agentkit", help="server name clients see (default: agentkit)"
    )


def load_server(target: str, *, name: str = "agentkit") -> MCPServer:
    """The `agentkit.mcp.MCPServer` for ``pkg.module`` (its tools) or ``pkg.module:name``.

    Examples:
        >>> from agentkit.cli._mcp import load_server
        >>> load_server("agentkit.cli._demo_tools").toolset.names()
        ['demo_echo']
    """
    from agentkit.cli._load import import_attribute, import_module
    from agentkit.exceptions import AgentkitError
    from agentkit.mcp import MCPServer
    from agentkit.registry import Registry

    if ":" in target:
        obj = import_attribute(target, option="MODULE_OR_ENTRYPOINT")
        if isinstance(obj, MCPServer):
            return obj
        try:
            return MCPServer(obj, name=name)
        except (AgentkitError, TypeError) as exc:
            raise CommandError(
                f"{target!r} is not a Registry, Toolset, MCPServer or list of tools: {exc}",
                ExitCode.LOAD_ERROR,
            ) from exc
    module = import_module(target)
    registry = Registry()
    try:
        registry.register_module(module)
    except AgentkitError as exc:
        raise CommandError(
            f"cannot register the tools of {target!r}: {exc}", ExitCode.LOAD_ERROR
        ) from exc
    return MCPServer(registry, name=name)


def run_mcp_command(args: argparse.Namespace) -> int:
    """Execute a parsed ``mcp`` command and return its exit code (see `ExitCode`)."""
    import anyio

    try:
        server = load_server(args.target, name=args.name)
        if args.http is None:
            anyio.run(server.serve_stdio)
            return int(ExitCode.OK)
        host, sep, port = args.http.rpartition(":")
        if not sep or not port.isdigit():
            raise CommandError(
                f"--http must look like HOST:PORT, got {args.http!r}", ExitCode.USAGE
            )
        anyio.run(lambda: server.serve_http(host.strip("[]") or "127.0.0.1", int(port)))
    except CommandError as exc:
        error(exc.message)
        return int(exc.code)
    except KeyboardInterrupt:
        pass
    return int(ExitCode.OK)
