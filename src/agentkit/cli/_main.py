"""Implementation of the ``agentkit`` command (stdlib ``argparse``; nothing optional needed)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from agentkit.exceptions import AgentkitError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ("main",)


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
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the ``agentkit`` command and return its exit code (0 ok, 1 error, 2 usage).

    Example:
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
    if args.command != "tools" or args.tools_command is None:
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
        if args.tools_command == "list":
            _list(registry, out, as_json=args.json)
        else:
            contract = registry.get(args.name, args.requirement).contract
            out.write(
                json.dumps(contract.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
            )
    except (AgentkitError, ImportError) as exc:
        print(f"agentkit: error: {exc}", file=sys.stderr)
        return 1
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
