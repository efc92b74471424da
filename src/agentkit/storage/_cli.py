"""``agentkit runs list | show RUN | replay RUN``: look into the default SQLite event store."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import AgentkitError

if TYPE_CHECKING:
    import argparse
    from typing import TextIO

__all__ = ("add_runs_commands", "db_path", "run_runs_command")


def db_path(explicit: str | None) -> str:
    """The database: ``--db``, else ``$AGENTKIT_DB``, else ``./agentkit-runs.sqlite3``.

    Examples:
        >>> from agentkit.storage._cli import db_path
        >>> db_path("x.sqlite3")
        'x.sqlite3'
    """
    from agentkit.storage._sqlite import DEFAULT_DB

    return explicit or os.environ.get("AGENTKIT_DB") or DEFAULT_DB


def add_runs_commands(commands: Any) -> None:
    """Add the ``runs`` command to the ``agentkit`` parser's subparsers.

    Examples:
        >>> import argparse
        >>> from agentkit.storage._cli import add_runs_commands
        >>> parser = argparse.ArgumentParser()
        >>> add_runs_commands(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["runs", "show", "r1"]).run_id
        'r1'
    """
    runs: argparse.ArgumentParser = commands.add_parser(
        "runs", help="list, show and replay stored runs"
    )
    runs.add_argument(
        "--db", default=None, help="SQLite file (default: $AGENTKIT_DB or ./agentkit-runs.sqlite3)"
    )
    sub = runs.add_subparsers(dest="runs_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="list runs, newest first")
    listing.add_argument(
        "--limit", type=int, default=20, help="at most this many runs (default 20)"
    )
    listing.add_argument("--session", default=None, help="only the runs of this session")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = sub.add_parser("show", help="print a run's events")
    show.add_argument("run_id", metavar="RUN")
    show.add_argument("--json", action="store_true", help="print the events as JSON lines")
    again = sub.add_parser("replay", help="replay a run from its recorded answers (no network)")
    again.add_argument("run_id", metavar="RUN")
    again.add_argument(
        "--agent",
        default=None,
        metavar="MODULE:NAME",
        help="the agent to replay with; without it, the recorded steps are printed",
    )


def run_runs_command(args: argparse.Namespace, out: TextIO) -> int:
    r"""Execute a parsed ``runs`` command; returns the exit code (0 ok, 1 error or divergence, 2 usage).

    Examples:
        >>> import argparse, io, os, tempfile
        >>> from agentkit.storage._cli import add_runs_commands, run_runs_command
        >>> parser = argparse.ArgumentParser()
        >>> add_runs_commands(parser.add_subparsers(dest="command"))
        >>> db = os.path.join(tempfile.mkdtemp(), "runs.sqlite3")
        >>> out = io.StringIO()
        >>> run_runs_command(parser.parse_args(["runs", "--db", db, "list"]), out), out.getvalue()
        (0, 'no runs\n')
    """
    import sys

    from agentkit.storage._sqlite import SQLiteStore

    command = getattr(args, "runs_command", None)
    if command is None:
        out.write("usage: agentkit runs {list,show,replay} ...\n")
        return 2
    try:
        store = SQLiteStore(db_path(args.db))
    except AgentkitError as exc:
        sys.stderr.write(f"agentkit: error: {exc}\n")
        return 1
    try:
        if command == "list":
            return _list(store, args, out)
        if command == "show":
            return _show(store, args, out)
        return _replay(store, args, out)
    except (AgentkitError, ImportError, ValueError) as exc:
        sys.stderr.write(f"agentkit: error: {exc}\n")
        return 1
    finally:
        store.close()


def _list(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    summaries = store.runs(args.limit, session_id=args.session)
    if args.json:
        rows = [
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
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    if not summaries:
        out.write("no runs\n")
        return 0
    table = [("RUN", "STATUS", "EVENTS", "STEPS", "AGENT", "MODEL", "STARTED")]
    for s in summaries:
        started = "" if s.started_at is None else s.started_at.isoformat(timespec="seconds")
        table.append(
            (s.run_id, s.status, str(s.events), str(s.steps), s.agent or "", s.model or "", started)
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        out.write(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
    return 0


def _show(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    events = store.read(args.run_id)
    if args.json:
        for event in events:
            out.write(event.model_dump_json() + "\n")
        return 0
    s = store.get_run(args.run_id)
    out.write(
        f"run {s.run_id}  status={s.status}  agent={s.agent}  model={s.model}  session={s.session_id}\n"
    )
    for event in events:
        data = event.model_dump(
            mode="json", exclude={"run_id", "seq", "at", "schema_version", "type"}
        )
        detail = " ".join(
            f"{k}={json.dumps(v)}" for k, v in data.items() if v not in (None, [], {})
        )
        out.write(
            f"{event.seq:>4}  {event.at.isoformat(timespec='milliseconds')}  {event.type:<22} {detail}\n"
        )
    return 0


def _replay(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    import importlib

    import anyio

    from agentkit.storage._errors import ReplayDivergence
    from agentkit.storage._replay import Recording, render_messages, replay

    recording = Recording.load(store, args.run_id)
    if args.agent is None:
        for step in recording.steps:
            out.write(f"step {step.step}: {len(step.request_messages)} message(s) sent; answer:\n")
            out.write(render_messages([step.response.message]) + "\n")
        out.write(
            f"{len(recording.steps)} step(s); pass --agent MODULE:NAME to replay against an agent\n"
        )
        return 0
    module_name, _, attribute = args.agent.partition(":")
    if not attribute:
        raise ValueError(f"--agent must look like 'package.module:agent', got {args.agent!r}")
    agent = getattr(importlib.import_module(module_name), attribute)
    try:
        result = anyio.run(replay, agent, recording)
    except ReplayDivergence as exc:
        out.write(f"{exc}\n")
        return 1
    out.write(f"run {recording.run_id} replayed identically ({result.steps} step(s))\n")
    return 0
