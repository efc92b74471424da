"""``agentkit temporal worker``: serve the agents of a module as durable runs on Temporal ([temporal] extra)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import EXIT_CODES_HELP, CommandError, ExitCode
from agentkit.cli._output import error

if TYPE_CHECKING:
    from agentkit.runtime import Agent

__all__ = ("add_temporal_commands", "run_temporal_command")

ADDRESS_ENV = "TEMPORAL_ADDRESS"
DEFAULT_ADDRESS = "127.0.0.1:7233"


def add_temporal_commands(commands: Any) -> None:
    """Add the ``temporal`` command group to the ``agentkit`` parser's subparsers.

    Examples:
        >>> import argparse
        >>> from agentkit.cli._temporal import add_temporal_commands
        >>> parser = argparse.ArgumentParser()
        >>> add_temporal_commands(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["temporal", "worker", "-m", "app.agents", "--task-queue", "q"])
        >>> args.module, args.task_queue, args.namespace
        (['app.agents'], 'q', 'default')
    """
    common: dict[str, Any] = {
        "epilog": EXIT_CODES_HELP,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
    group: argparse.ArgumentParser = commands.add_parser(
        "temporal",
        help="run durable agent runs on Temporal",
        description="Durable agent runs on Temporal (needs the [temporal] extra).",
        **common,
    )
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="temporal_command", metavar="SUBCOMMAND")
    work = sub.add_parser(
        "worker",
        help="serve the agents of modules until interrupted",
        description="Serve every Agent the modules define (by Agent(name=...)) as durable runs, until "
        "SIGINT or SIGTERM; each agent's own sinks receive its runs' events.",
        **common,
    )
    work.add_argument(
        "-m",
        "--module",
        action="append",
        required=True,
        metavar="MODULE",
        help="a module defining agents, imported from the current directory or sys.path (repeatable)",
    )
    work.add_argument(
        "--address",
        default=None,
        help=f"the Temporal frontend, host:port (default: ${ADDRESS_ENV} or {DEFAULT_ADDRESS})",
    )
    work.add_argument("--namespace", default="default", help="the Temporal namespace")
    work.add_argument(
        "--task-queue", default="agentkit", help="the task queue to listen on (default: agentkit)"
    )


def run_temporal_command(args: argparse.Namespace) -> int:
    """Run a parsed ``agentkit temporal`` command; returns the exit code."""
    try:
        return _worker(args)
    except CommandError as exc:
        error(exc.message)
        return int(exc.code)


def _agents(modules: list[str]) -> dict[str, Agent[Any, Any]]:
    from agentkit.cli._load import import_module
    from agentkit.exceptions import UsageError
    from agentkit.runtime import Agent

    found: dict[str, Agent[Any, Any]] = {}
    for name in modules:
        module = import_module(name)
        for value in vars(module).values():
            if isinstance(value, Agent):
                other = found.get(value.name)
                if other is not None and other is not value:
                    raise CommandError(
                        f"two agents are named {value.name!r}; give each its own Agent(name=...)",
                        ExitCode.LOAD_ERROR,
                    )
                found[value.name] = value
    if not found:
        problem = UsageError(f"no Agent objects in {', '.join(map(repr, modules))}")
        raise CommandError(str(problem), ExitCode.LOAD_ERROR)
    return found


def _worker(args: argparse.Namespace) -> int:
    try:
        import anyio

        from agentkit.temporal import worker
        from agentkit.temporal._base import require_sdk

        require_sdk()  # the install hint now, before the modules are imported
    except ImportError as exc:
        raise CommandError(str(exc), ExitCode.LOAD_ERROR) from exc
    agents = _agents(args.module)
    address = args.address or os.environ.get(ADDRESS_ENV) or DEFAULT_ADDRESS

    async def serve() -> None:
        import signal

        from temporalio.client import Client

        try:
            client = await Client.connect(address, namespace=args.namespace)
        except Exception as exc:
            raise CommandError(
                f"cannot connect to Temporal at {address!r}: {exc}", ExitCode.MISSING
            ) from exc
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with worker(client, agents, task_queue=args.task_queue):
                print(
                    f"agentkit temporal worker: serving {', '.join(sorted(agents))} on task queue "
                    f"{args.task_queue!r} at {address}",
                    flush=True,
                )
                async for _ in signals:
                    break
        sys.stdout.flush()

    anyio.run(serve)
    return int(ExitCode.OK)
