"""Implementation of the ``agentkit`` command (stdlib ``argparse``; nothing optional needed)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any, TextIO

from agentkit.cli._exit import EXIT_CODES_HELP, CommandError, ExitCode
from agentkit.cli._output import Output, error, escape, warning

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit.registry import ContractDiff, ContractSnapshot, Registry

__all__ = ("DEFAULT_LOCK", "STDIO", "main")

DEFAULT_LOCK = "agentkit-contracts.lock.json"
STDIO = "-"
"""``--lock -``: ``snapshot`` writes the lock to standard output, ``check`` reads it from standard input."""

_HELP: dict[str, Any] = {
    "epilog": EXIT_CODES_HELP,
    "formatter_class": argparse.RawDescriptionHelpFormatter,
}


def _parser() -> argparse.ArgumentParser:
    from agentkit import __version__
    from agentkit.cli._runs import add_runs_commands

    parser = argparse.ArgumentParser(
        prog="agentkit",
        description="Typed tool contracts for LLM agents: tools, contract locks and stored runs.",
        **_HELP,
    )
    parser.add_argument("--version", action="version", version=f"agentkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    tools = commands.add_parser(
        "tools", help="list and inspect tools", description="List and inspect tools.", **_HELP
    )
    tools.set_defaults(group_parser=tools)
    tool_commands = tools.add_subparsers(dest="tools_command", metavar="SUBCOMMAND")

    def sources(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "-m",
            "--module",
            action="append",
            default=[],
            metavar="MODULE",
            help="register the tools of this module, imported from the current directory or sys.path "
            "as 'python -m' would (repeatable)",
        )
        sub.add_argument(
            "--entry-points",
            action="store_true",
            help="also load tools that installed distributions declare in the 'agentkit.tools' group",
        )

    listing = tool_commands.add_parser(
        "list",
        help="list tools with their versions and fingerprints",
        description="List tools with their versions, fingerprints and descriptions.",
        **_HELP,
    )
    sources(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    show = tool_commands.add_parser(
        "show",
        help="print one tool's contract as JSON",
        description="Print one tool's contract as JSON.",
        **_HELP,
    )
    sources(show)
    show.add_argument("name", help="qualified tool name (namespace.name)")
    show.add_argument(
        "--version", dest="requirement", default=None, help="version requirement, e.g. '^1'"
    )
    schema = tool_commands.add_parser(
        "schema",
        help="print tool definitions compiled for a provider's schema dialect",
        description="Print tool definitions as a provider receives them, compiled for one schema dialect "
        "(all tools as a JSON array, or one tool by name); what the dialect changed goes to stderr.",
        **_HELP,
    )
    sources(schema)
    schema.add_argument("name", nargs="?", help="qualified tool name (default: every tool)")
    schema.add_argument(
        "--dialect",
        default="canonical",
        metavar="DIALECT",
        help="schema dialect: canonical (default), openai-strict, openai, anthropic, gemini, mcp...",
    )
    schema.add_argument(
        "--version", dest="requirement", default=None, help="version requirement, e.g. '^1'"
    )

    contracts = commands.add_parser(
        "contracts",
        help="snapshot contracts and check changes against the snapshot",
        description="Snapshot every contract to a lock file, and check changes against it.",
        **_HELP,
    )
    contracts.set_defaults(group_parser=contracts)
    contract_commands = contracts.add_subparsers(dest="contracts_command", metavar="SUBCOMMAND")
    snap = contract_commands.add_parser(
        "snapshot",
        help="write every contract to a reviewable JSON lock file",
        description="Write every contract to a reviewable JSON lock file.",
        **_HELP,
    )
    sources(snap)
    snap.add_argument(
        "--lock",
        default=DEFAULT_LOCK,
        metavar="FILE",
        help=f"lock file to write, '-' for standard output (default: {DEFAULT_LOCK})",
    )
    check = contract_commands.add_parser(
        "check",
        help="compare contracts with the lock file; exit 1 if a change is not versioned correctly",
        description="Compare the contracts with the lock file; exit 1 on a bad version bump.",
        **_HELP,
    )
    sources(check)
    check.add_argument(
        "--lock",
        default=DEFAULT_LOCK,
        metavar="FILE",
        help=f"lock file to compare with, '-' for standard input (default: {DEFAULT_LOCK})",
    )
    check.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON (ok, violations, changes with level and problem, notes)",
    )

    add_runs_commands(commands)
    from agentkit.cli._eval import add_eval_commands

    add_eval_commands(commands)
    from agentkit.cli._serve import add_serve_command

    add_serve_command(commands)
    from agentkit.cli._mcp import add_mcp_commands

    add_mcp_commands(commands)
    from agentkit.cli._new import add_new_commands

    add_new_commands(commands)
    from agentkit.cli._temporal import add_temporal_commands

    add_temporal_commands(commands)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stdin: TextIO | None = None
) -> int:
    """Run the ``agentkit`` command and return its exit code.

    Exit codes: 0 ok, 1 a check failed (a contract change not versioned correctly, a replay that diverged),
    2 bad command line, 3 a module or agent could not be imported, 4 a lock file, database, run or tool is
    missing or unreadable.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        stdout: Where to write results (default: ``sys.stdout``); errors always go to ``sys.stderr``.
        stdin: Where ``--lock -`` reads from (default: ``sys.stdin``).

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
        with contextlib.redirect_stdout(out):  # --help and --version print to our stdout too
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(ExitCode.OK)
    if args.command is None:
        parser.print_help(out)
        return int(ExitCode.USAGE)
    if args.command == "serve":
        from agentkit.cli._serve import run_serve_command

        return run_serve_command(args)
    sub = {
        "tools": "tools_command",
        "contracts": "contracts_command",
        "runs": "runs_command",
        "eval": "eval_command",
        "mcp": "mcp_command",
        "new": "new_command",
        "temporal": "temporal_command",
    }
    if getattr(args, sub[args.command]) is None:  # a command group without its subcommand
        args.group_parser.print_help(out)
        return int(ExitCode.USAGE)
    if args.command == "runs":
        from agentkit.cli._runs import run_runs_command

        return run_runs_command(args, out)
    if args.command == "eval":
        from agentkit.cli._eval import run_eval_command

        return run_eval_command(args, out)
    if args.command == "mcp":
        from agentkit.cli._mcp import run_mcp_command

        return run_mcp_command(args)
    if args.command == "new":
        from agentkit.cli._new import run_new_command

        return run_new_command(args, Output(out))
    if args.command == "temporal":
        from agentkit.cli._temporal import run_temporal_command

        return run_temporal_command(args)
    try:
        return int(_tools_or_contracts(args, Output(out), stdin or sys.stdin))
    except CommandError as exc:
        error(exc.message)
        return int(exc.code)


def _registry(args: argparse.Namespace) -> Registry:
    from agentkit.cli._load import cwd_on_path, import_module
    from agentkit.exceptions import AgentkitError
    from agentkit.registry import Registry

    registry = Registry()
    for name in args.module:
        module = import_module(name)
        try:
            registry.register_module(module)
        except AgentkitError as exc:
            raise CommandError(
                f"cannot register the tools of {name!r}: {exc}", ExitCode.LOAD_ERROR
            ) from exc
    if args.entry_points:
        with cwd_on_path():
            registry.load_entry_points(on_error="skip")
        for problem in registry.plugin_errors:
            warning(str(problem))
    return registry


def _tools_or_contracts(args: argparse.Namespace, out: Output, stdin: TextIO) -> ExitCode:
    if args.command == "contracts" and args.contracts_command == "check":
        # Read the lock before importing anything: a missing lock is reported as such, not after an import.
        old = _read_lock(args.lock, stdin)
        return _check(old, _registry(args).snapshot(), args, out)
    registry = _registry(args)
    if args.command == "contracts":
        return _snapshot(registry.snapshot(), args.lock, out)
    if args.tools_command == "list":
        return _list(registry, out, as_json=args.json)
    if args.tools_command == "schema":
        from agentkit.cli._schema import print_schema

        return print_schema(registry, args, out)
    return _show(registry, args.name, args.requirement, out)


def _show(registry: Registry, name: str, requirement: str | None, out: Output) -> ExitCode:
    from agentkit.exceptions import ToolNotFoundError, UsageError
    from agentkit.tools._semver import VersionRange

    if requirement is not None:
        try:
            VersionRange(requirement)
        except (UsageError, ValueError) as exc:
            raise CommandError(f"--version {requirement!r}: {exc}", ExitCode.USAGE) from exc
    try:
        contract = registry.get(name, requirement).contract
    except ToolNotFoundError as exc:
        raise CommandError(str(exc), ExitCode.MISSING) from exc
    out.json(contract.model_dump(mode="json"))
    return ExitCode.OK


def _snapshot(current: ContractSnapshot, lock: str, out: Output) -> ExitCode:
    from agentkit.cli._output import escape_json

    text = escape_json(current.to_json())
    if lock == STDIO:
        out.raw(text)
        return ExitCode.OK
    try:
        with open(lock, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        raise CommandError(
            f"cannot write lock file {lock!r}: {exc.strerror or exc}", ExitCode.MISSING
        ) from exc
    out.text(f"wrote {len(current.contracts)} contracts to {lock}")
    return ExitCode.OK


def _read_lock(lock: str, stdin: TextIO) -> ContractSnapshot:
    from agentkit.registry import ContractSnapshot

    where = "standard input" if lock == STDIO else repr(lock)
    try:
        if lock == STDIO:
            text = stdin.read()
        else:
            with open(lock, encoding="utf-8") as file:
                text = file.read()
    except FileNotFoundError as exc:
        raise CommandError(
            f"no lock file {lock!r}; create it with 'agentkit contracts snapshot'", ExitCode.MISSING
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read lock file {where}: {exc}", ExitCode.MISSING) from exc
    try:
        return ContractSnapshot.from_json(text)
    except ValueError as exc:  # bad JSON, another format, or a contract that does not validate
        raise CommandError(
            f"lock file {where} is not a readable contract lock: {exc}", ExitCode.MISSING
        ) from exc


def check_result(
    old: ContractSnapshot, new: ContractSnapshot
) -> tuple[ContractDiff, dict[str, Any]]:
    """The diff from the lock to the code, and its machine-readable form (what ``check --json`` prints).

    The result has ``ok``, ``violations`` (how many changes are not versioned correctly), ``changes`` (each
    with ``name``, ``old_version``, ``new_version``, ``level``, ``reasons`` and ``problem``, ``null`` when the
    change is versioned correctly) and ``notes`` (explanations that are not violations).

    Examples:
        >>> from agentkit.cli._main import check_result
        >>> from agentkit.registry import ContractSnapshot
        >>> from agentkit.tools import ToolContract
        >>> schema = {"type": "object", "properties": {}}
        >>> old = ContractSnapshot.of([ToolContract(name="t", version="1.0.0", input_schema=schema)])
        >>> new = ContractSnapshot.of(
        ...     [ToolContract(name="t", version="1.0.0", input_schema=schema, description="Documented.")]
        ... )
        >>> result = check_result(old, new)[1]
        >>> result["ok"], result["violations"], result["changes"][0]["problem"]
        (False, 1, 'patch change without a version bump')
    """
    from agentkit.registry import diff

    result = diff(old, new)
    payload: dict[str, Any] = {
        "ok": result.ok,
        "violations": len(result.problems),
        "changes": [
            {
                "name": c.name,
                "old_version": c.old_version,
                "new_version": c.new_version,
                "level": c.level,
                "reasons": list(c.reasons),
                "problem": c.problem,
            }
            for c in result.changes
        ],
        # Explanations that are not violations, shown as "note: ..." lines.
        "notes": list(result.notes),
    }
    return result, payload


def _check(
    old: ContractSnapshot, new: ContractSnapshot, args: argparse.Namespace, out: Output
) -> ExitCode:
    result, payload = check_result(old, new)
    code = ExitCode.OK if result.ok else ExitCode.CHECK_FAILED
    if args.json:
        out.json(payload)
        return code
    out.text(result.report())
    for note in payload["notes"]:
        out.text(f"note: {note}")
    if not result.ok:
        out.text(f"{len(result.problems)} contract change(s) are not versioned correctly")
    elif result.changes:
        out.text(
            "all changes are versioned correctly; refresh the lock with 'agentkit contracts snapshot'"
        )
    return code


def _list(registry: Registry, out: Output, *, as_json: bool) -> ExitCode:
    contracts = [t.contract for t in registry.tools()]
    if as_json:
        out.json(
            [
                {
                    "name": c.qualified_name,
                    "version": c.version,
                    "fingerprint": c.fingerprint,
                    "description": c.description,
                }
                for c in contracts
            ]
        )
        return ExitCode.OK
    table = [("NAME", "VERSION", "FINGERPRINT", "DESCRIPTION")]
    for c in contracts:
        summary = c.description.strip().splitlines()[0] if c.description.strip() else ""
        table.append((escape(c.qualified_name), escape(c.version), c.fingerprint[:19], summary))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        out.text(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3],
            multiline=False,
        )
    return ExitCode.OK
