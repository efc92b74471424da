"""Implementation of the ``agentkit`` command (stdlib ``argparse``; nothing optional needed)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from agentkit.exceptions import AgentkitError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ("DEFAULT_LOCK", "main")

DEFAULT_LOCK = "agentkit-contracts.lock.json"


def _parser() -> argparse.ArgumentParser:
    from agentkit import __version__

    parser = argparse.ArgumentParser(
        prog="agentkit", description="Typed tool contracts for LLM agents."
    )
    parser.add_argument("--version", action="version", version=f"agentkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    tools = commands.add_parser("tools", help="list and inspect tools")
    tool_commands = tools.add_subparsers(dest="tools_command", metavar="SUBCOMMAND")

    def sources(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "-m",
            "--module",
            action="append",
            default=[],
            metavar="MODULE",
            help="register the tools of this importable module (repeatable)",
        )
        sub.add_argument(
            "--entry-points",
            action="store_true",
            help="also load tools that installed distributions declare in the 'agentkit.tools' group",
        )

    listing = tool_commands.add_parser(
        "list", help="list tools with their versions and fingerprints"
    )
    sources(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    show = tool_commands.add_parser("show", help="print one tool's contract as JSON")
    sources(show)
    show.add_argument("name", help="qualified tool name (namespace.name)")
    show.add_argument(
        "--version", dest="requirement", default=None, help="version requirement, e.g. '^1'"
    )

    contracts = commands.add_parser(
        "contracts", help="snapshot contracts and check changes against the snapshot"
    )
    contract_commands = contracts.add_subparsers(dest="contracts_command", metavar="SUBCOMMAND")
    snap = contract_commands.add_parser(
        "snapshot", help="write every contract to a reviewable JSON lock file"
    )
    sources(snap)
    snap.add_argument(
        "--lock", default=DEFAULT_LOCK, help=f"lock file to write (default: {DEFAULT_LOCK})"
    )
    check = contract_commands.add_parser(
        "check",
        help="compare contracts with the lock file; exit 1 if a change is not versioned correctly",
    )
    sources(check)
    check.add_argument(
        "--lock", default=DEFAULT_LOCK, help=f"lock file to compare with (default: {DEFAULT_LOCK})"
    )

    from agentkit.storage._cli import add_runs_commands

    add_runs_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the ``agentkit`` command and return its exit code (0 ok, 1 error, 2 usage).

    Examples:
        >>> from agentkit.cli import main
        >>> main(["tools", "list", "--module", "agentkit.cli._demo_tools"])
        NAME         VERSION  FINGERPRINT          DESCRIPTION
        demo.echo    1.0.0    sha256:...  Echo text back.
        0
    """
    out = stdout or sys.stdout
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "runs":
        from agentkit.storage._cli import run_runs_command

        return run_runs_command(args, out)
    sub = {"tools": "tools_command", "contracts": "contracts_command"}.get(args.command or "")
    if sub is None or getattr(args, sub) is None:
        parser.print_help(out)
        return 2
    from agentkit.registry import Registry

    registry = Registry()
    try:
        for module in args.module:
            registry.register_module(module)
        if args.entry_points:
            registry.load_entry_points(on_error="skip")
            for error in registry.plugin_errors:
                print(f"agentkit: warning: {error}", file=sys.stderr)
        if args.command == "contracts":
            return _contracts(registry, args.contracts_command, args.lock, out)
        if args.tools_command == "list":
            _list(registry, out, as_json=args.json)
        else:
            contract = registry.get(args.name, args.requirement).contract
            out.write(
                json.dumps(contract.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
            )
    except (AgentkitError, ImportError, OSError, ValueError) as exc:
        print(f"agentkit: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _contracts(registry: object, command: str, lock: str, out: TextIO) -> int:
    from pathlib import Path

    from agentkit.registry import ContractSnapshot, Registry, diff

    assert isinstance(registry, Registry)
    current = registry.snapshot()
    if command == "snapshot":
        current.write(lock)
        out.write(f"wrote {len(current.contracts)} contracts to {lock}\n")
        return 0
    if not Path(lock).exists():
        print(
            f"agentkit: error: no lock file {lock!r}; create it with 'agentkit contracts snapshot'",
            file=sys.stderr,
        )
        return 1
    result = diff(ContractSnapshot.read(lock), current)
    out.write(result.report() + "\n")
    if not result.ok:
        out.write(f"{len(result.problems)} contract change(s) are not versioned correctly\n")
        return 1
    if result.changes:
        out.write(
            "all changes are versioned correctly; refresh the lock with 'agentkit contracts snapshot'\n"
        )
    return 0


def _list(registry: object, out: TextIO, *, as_json: bool) -> None:
    from agentkit.registry import Registry

    assert isinstance(registry, Registry)
    contracts = [t.contract for t in registry.tools()]
    if as_json:
        rows = [
            {
                "name": c.qualified_name,
                "version": c.version,
                "fingerprint": c.fingerprint,
                "description": c.description,
            }
            for c in contracts
        ]
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = [("NAME", "VERSION", "FINGERPRINT", "DESCRIPTION")]
    for c in contracts:
        summary = c.description.strip().splitlines()[0] if c.description.strip() else ""
        table.append((c.qualified_name, c.version, c.fingerprint[:19], summary))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        out.write(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3]))
            + "  "
            + row[3]
            + "\n"
        )
