"""``agentkit runs list | show RUN | replay RUN``: look into the SQLite event store, never creating it."""

from __future__ import annotations

import argparse
import functools
import os
from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import EXIT_CODES_HELP, CommandError, ExitCode
from agentkit.cli._output import Output, dumps, error, escape

if TYPE_CHECKING:
    from typing import TextIO

    from agentkit.storage import SQLiteStore

__all__ = ("add_runs_commands", "db_path", "run_runs_command")


def db_path(explicit: str | None) -> str:
    """The database: ``--db``, else ``$AGENTKIT_DB``, else ``./agentkit-runs.sqlite3``.

    Examples:
        >>> from agentkit.cli._runs import db_path
        >>> db_path("x.sqlite3")
        'x.sqlite3'
    """
    from agentkit.storage._sqlite import DEFAULT_DB

    return explicit or os.environ.get("AGENTKIT_DB") or DEFAULT_DB


def _db_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "--db",
        default=default,
        metavar="FILE",
        help="SQLite file (default: $AGENTKIT_DB, else ./agentkit-runs.sqlite3); never created",
    )


def add_runs_commands(commands: Any) -> None:
    """Add the ``runs`` command to the ``agentkit`` parser's subparsers.

    ``--db`` is accepted before and after the subcommand (``runs --db F list`` and ``runs list --db F``).

    Examples:
        >>> import argparse
        >>> from agentkit.cli._runs import add_runs_commands
        >>> parser = argparse.ArgumentParser()
        >>> add_runs_commands(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["runs", "show", "r1", "--db", "f.sqlite3"])
        >>> args.run_id, args.db
        ('r1', 'f.sqlite3')
    """
    common: dict[str, Any] = {
        "epilog": EXIT_CODES_HELP,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
    runs: argparse.ArgumentParser = commands.add_parser(
        "runs",
        help="list, show and replay stored runs",
        description="List, show and replay the runs stored in a SQLite event store.",
        **common,
    )
    runs.set_defaults(group_parser=runs)
    _db_options(runs, default=None)
    # The same option on every subcommand, without a default: a value given after the subcommand wins, and
    # one given before it is not overwritten by the subcommand's default.
    after = argparse.ArgumentParser(add_help=False)
    _db_options(after, default=argparse.SUPPRESS)
    sub = runs.add_subparsers(dest="runs_command", metavar="SUBCOMMAND")
    listing = sub.add_parser(
        "list",
        parents=[after],
        help="list runs, newest first",
        description="List the stored runs, newest first.",
        **common,
    )
    listing.add_argument(
        "--limit", type=int, default=20, help="at most this many runs (default 20)"
    )
    listing.add_argument("--session", default=None, help="only the runs of this session")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = sub.add_parser(
        "show",
        parents=[after],
        help="print a run's events",
        description="Print a run's events, one per line (control characters as escapes).",
        **common,
    )
    show.add_argument("run_id", metavar="RUN")
    show.add_argument("--json", action="store_true", help="print the events as JSON lines")
    again = sub.add_parser(
        "replay",
        parents=[after],
        help="replay a run from its recorded answers (no network)",
        description="Print a run's recorded answers, or replay them against an agent.",
        **common,
    )
    again.add_argument("run_id", metavar="RUN")
    again.add_argument(
        "--agent",
        default=None,
        metavar="MODULE:NAME",
        help="the agent to replay with (imported from the current directory or sys.path); "
        "without it, the recorded steps are printed",
    )
    again.add_argument(
        "--live",
        action="store_true",
        help="run the agent's real tools (side effects!) instead of answering from the recorded results",
    )
    again.add_argument(
        "--no-verify",
        action="store_true",
        help="replay a run stored without a hash chain (by an earlier agentkit), unverified",
    )


def open_store(path: str) -> SQLiteStore:
    """Open an existing database for reading; a missing or unreadable one is `ExitCode.MISSING`."""
    from agentkit.storage import SQLiteStore, StorageError

    if path != ":memory:" and not os.path.exists(path):
        raise CommandError(
            f"database {path!r} does not exist (nothing has been recorded there); "
            "pass --db FILE or set AGENTKIT_DB to the file your agents write to",
            ExitCode.MISSING,
        )
    try:
        return SQLiteStore(path, create=False)
    except StorageError as exc:
        raise CommandError(str(exc), ExitCode.MISSING) from exc


def run_runs_command(args: argparse.Namespace, out: TextIO) -> int:
    r"""Execute a parsed ``runs`` command and return its exit code (see `ExitCode`).

    Examples:
        >>> import argparse, io, os, tempfile
        >>> from agentkit.cli._runs import add_runs_commands, run_runs_command
        >>> from agentkit.storage import SQLiteStore
        >>> parser = argparse.ArgumentParser()
        >>> add_runs_commands(parser.add_subparsers(dest="command"))
        >>> db = os.path.join(tempfile.mkdtemp(), "runs.sqlite3")
        >>> SQLiteStore(db).close()
        >>> out = io.StringIO()
        >>> run_runs_command(parser.parse_args(["runs", "list", "--db", db]), out), out.getvalue()
        (0, 'no runs\n')
    """
    try:
        return int(_run(args, Output(out)))
    except CommandError as exc:
        error(exc.message)
        return int(exc.code)


def _run(args: argparse.Namespace, out: Output) -> ExitCode:
    from agentkit.exceptions import AgentkitError
    from agentkit.storage import RunNotFound, StorageError

    command = getattr(args, "runs_command", None)
    if command is None:
        out.text("usage: agentkit runs {list,show,replay} ...")
        return ExitCode.USAGE
    store = open_store(db_path(args.db))
    try:
        if command == "list":
            return _list(store, args, out)
        if command == "show":
            return _show(store, args, out)
        return _replay(store, args, out)
    except RunNotFound as exc:
        raise CommandError(f"no run {exc.run_id!r} in {store.path!r}", ExitCode.MISSING) from exc
    except StorageError as exc:
        raise CommandError(f"cannot read {store.path!r}: {exc}", ExitCode.MISSING) from exc
    except AgentkitError as exc:
        raise CommandError(str(exc), ExitCode.CHECK_FAILED) from exc
    finally:
        store.close()


def _list(store: SQLiteStore, args: argparse.Namespace, out: Output) -> ExitCode:
    summaries = store.runs(args.limit, session_id=args.session)
    if args.json:
        out.json(
            [
                {
                    "run_id": s.run_id,
                    "session_id": s.session_id,
                    "status": s.status,
                    "events": s.events,
                    "agent": s.agent,
                    "model": s.model,
                    "started_at": None if s.started_at is None else s.started_at.isoformat(),
                    "steps": s.steps,
                    "usage": s.usage,
                }
                for s in summaries
            ]
        )
        return ExitCode.OK
    if not summaries:
        out.text("no runs")
        return ExitCode.OK
    table: list[list[str]] = [["RUN", "STATUS", "EVENTS", "STEPS", "AGENT", "MODEL", "STARTED"]]
    for s in summaries:
        started = "" if s.started_at is None else s.started_at.isoformat(timespec="seconds")
        cells = [s.run_id, s.status, str(s.events), str(s.steps), s.agent or "", s.model or ""]
        # Escaped before measuring, so the columns line up with what the terminal shows.
        table.append([*(escape(cell) for cell in cells), started])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        out.text(line.rstrip(), multiline=False)
    return ExitCode.OK


def _show(store: SQLiteStore, args: argparse.Namespace, out: Output) -> ExitCode:
    events = store.read(args.run_id)
    if args.json:
        for event in events:
            out.json_text(event.model_dump_json())
        return ExitCode.OK
    s = store.get_run(args.run_id)
    out.text(
        f"run {s.run_id}  status={s.status}  agent={s.agent}  model={s.model}  session={s.session_id}",
        multiline=False,
    )
    for event in events:
        data = event.model_dump(
            mode="json", exclude={"run_id", "seq", "at", "schema_version", "type"}
        )
        detail = " ".join(
            f"{k}={dumps(v, indent=None)}" for k, v in data.items() if v not in (None, [], {})
        )
        out.text(
            f"{event.seq:>4}  {event.at.isoformat(timespec='milliseconds')}  {event.type:<22} {detail}",
            multiline=False,
        )
    return ExitCode.OK


def _replay(store: SQLiteStore, args: argparse.Namespace, out: Output) -> ExitCode:
    import anyio

    from agentkit.cli._load import import_attribute
    from agentkit.exceptions import TamperedRun
    from agentkit.storage import ReplayDivergence
    from agentkit.storage._replay import Recording, render_messages, replay

    try:
        recording = Recording.load(store, args.run_id, verify=not args.no_verify)
    except TamperedRun as exc:
        out.text(str(exc))
        return ExitCode.CHECK_FAILED
    if args.agent is None:
        for step in recording.steps:
            out.text(f"step {step.step}: {len(step.request_messages)} message(s) sent; answer:")
            out.text(render_messages([step.response.message]))
        out.text(
            f"{len(recording.steps)} step(s); pass --agent MODULE:NAME to replay against an agent"
        )
        return ExitCode.OK
    from agentkit.runtime import Agent

    agent = import_attribute(args.agent, option="--agent")
    if not isinstance(agent, Agent):
        raise CommandError(
            f"--agent {args.agent!r} is a {type(agent).__name__}, not an agentkit Agent",
            ExitCode.LOAD_ERROR,
        )
    try:
        result = anyio.run(
            functools.partial(replay, agent, recording, tools="live" if args.live else "recorded")
        )
    except ReplayDivergence as exc:
        out.text(str(exc))
        return ExitCode.CHECK_FAILED
    out.text(f"run {recording.run_id} replayed identically ({result.steps} step(s))")
    return ExitCode.OK
