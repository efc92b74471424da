"""``agentkit eval run | compare | add-run``: evaluate an agent on a dataset, gate CI on the result."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import EXIT_CODES_HELP, CommandError, ExitCode
from agentkit.cli._output import Output, error, escape

if TYPE_CHECKING:
    from typing import TextIO

    from agentkit.evals import Dataset, EvalReport
    from agentkit.storage import EventStore

__all__ = ("add_eval_commands", "open_store_url", "run_eval_command")

_MODES = ("live", "dry_run", "mocked", "isolated")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value > 1 and value <= 100:
        value /= 100  # --fail-under 90 means 90%
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (or a percentage), got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def add_eval_commands(commands: Any) -> None:
    """Add the ``eval`` command group to the ``agentkit`` parser's subparsers.

    Examples:
        >>> import argparse
        >>> from agentkit.cli._eval import add_eval_commands
        >>> parser = argparse.ArgumentParser()
        >>> add_eval_commands(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["eval", "run", "data.yaml", "--agent", "app:agent", "--fail-under", "90"])
        >>> args.dataset, args.agent, args.fail_under
        ('data.yaml', 'app:agent', 0.9)
    """
    common: dict[str, Any] = {
        "epilog": EXIT_CODES_HELP,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
    group: argparse.ArgumentParser = commands.add_parser(
        "eval",
        help="evaluate an agent on a dataset, compare two reports",
        description="Evaluate an agent on a dataset of cases, and compare two reports.",
        **common,
    )
    group.set_defaults(group_parser=group)
    sub = group.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")

    run = sub.add_parser(
        "run",
        help="run a dataset against an agent and score it",
        description="Run every case of a dataset against an agent (or a function), score each run, print a "
        "table, and write JSON and HTML reports.",
        **common,
    )
    run.add_argument("dataset", metavar="DATASET", help="the dataset file (.yaml, .yml or .json)")
    run.add_argument(
        "--agent",
        metavar="MODULE:NAME",
        default=None,
        help="the agent (or function of a case's inputs) to evaluate, imported from the current directory "
        "or sys.path; optional with --offline (the recorded runs are scored as they are)",
    )
    run.add_argument(
        "--scorer",
        action="append",
        default=[],
        metavar="MODULE:NAME",
        help="a scorer (or a function) to use instead of the dataset's (repeatable)",
    )
    run.add_argument("--json", metavar="FILE", default=None, help="write the report as JSON")
    run.add_argument(
        "--html", metavar="FILE", default=None, help="write the report as an HTML page"
    )
    run.add_argument(
        "--fail-under",
        type=_fraction,
        default=None,
        metavar="X",
        help="exit 1 when the pass rate (passed runs / runs) is below X: 0.9 or 90 (default: never)",
    )
    run.add_argument(
        "--concurrency", type=_positive_int, default=4, metavar="N", help="runs at once (default 4)"
    )
    run.add_argument(
        "--repeats", type=_positive_int, default=1, metavar="N", help="runs per case (default 1)"
    )
    run.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="seconds each run may take, unless its case sets its own",
    )
    run.add_argument(
        "--mode",
        choices=_MODES,
        default=None,
        help="how tools run in cases that set no mode (default: live, destructive tools dry_run)",
    )
    run.add_argument(
        "--store",
        metavar="URL",
        default=None,
        help="record each run's events here (a SQLite file, sqlite:///FILE, postgresql://... or "
        "redis://...); with --offline, where the recorded runs are read",
    )
    run.add_argument(
        "--offline",
        action="store_true",
        help="replay each case's latest recorded runs from --store instead of calling the model",
    )
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")

    cmp = sub.add_parser(
        "compare",
        help="compare a candidate report with a baseline, case by case",
        description="Compare two JSON reports written by 'agentkit eval run --json': regressions, "
        "improvements and unchanged cases.",
        **common,
    )
    cmp.add_argument("baseline", metavar="BASE.json")
    cmp.add_argument("candidate", metavar="CAND.json")
    cmp.add_argument(
        "--fail-on-regression", action="store_true", help="exit 1 when any case regressed"
    )
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")

    add = sub.add_parser(
        "add-run",
        help="turn a stored run into a regression case",
        description="Turn a stored run into a regression case (its input, tool calls and output) and "
        "add it to a dataset file, created if missing; without --dataset, print the case as JSON.",
        **common,
    )
    add.add_argument("run_id", metavar="RUN")
    add.add_argument(
        "--dataset", metavar="FILE", default=None, help="the dataset file to add the case to"
    )
    add.add_argument(
        "--store",
        metavar="URL",
        default=None,
        help="where the run is stored (default: --db, $AGENTKIT_DB, else ./agentkit-runs.sqlite3)",
    )
    add.add_argument("--db", metavar="FILE", default=None, help="SQLite file holding the run")
    add.add_argument("--name", default=None, help="the case's name (default: run-RUN)")


def open_store_url(url: str, *, create: bool) -> EventStore:
    """The store a ``--store`` value names: ``postgresql://``, ``redis://``, ``sqlite:///FILE`` or a file.

    Raises:
        CommandError: `ExitCode.MISSING` when a SQLite file does not exist and ``create`` is false, or the
            store cannot be opened.

    Examples:
        >>> from agentkit.cli._eval import open_store_url
        >>> store = open_store_url("sqlite:///:memory:", create=True)
        >>> store.path
        ':memory:'
        >>> store.close()
    """
    from agentkit.exceptions import AgentkitError

    try:
        if url.startswith(("postgres://", "postgresql://")):
            from agentkit.storage import PostgresStore

            return PostgresStore(url)
        if url.startswith(("redis://", "rediss://", "unix://")):
            from agentkit.storage import RedisStore

            return RedisStore(url)
        from agentkit.storage import SQLiteStore

        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
        if not create and path != ":memory:" and not os.path.exists(path):
            raise CommandError(
                f"store {url!r} does not exist (nothing has been recorded there)", ExitCode.MISSING
            )
        return SQLiteStore(path, create=create)
    except AgentkitError as exc:
        raise CommandError(f"cannot open store {url!r}: {exc}", ExitCode.MISSING) from exc


def run_eval_command(args: argparse.Namespace, out: TextIO) -> int:
    """Execute a parsed ``eval`` command and return its exit code (see `ExitCode`)."""
    try:
        command = args.eval_command
        output = Output(out)
        if command == "run":
            return int(_run(args, output))
        if command == "compare":
            return int(_compare(args, output))
        return int(_add_run(args, output))
    except CommandError as exc:
        error(exc.message)
        return int(exc.code)


def _load_dataset(path: str) -> Dataset:
    from pydantic import ValidationError

    from agentkit.evals import Dataset
    from agentkit.exceptions import AgentkitError

    if not os.path.exists(path):
        raise CommandError(f"no dataset file {path!r}", ExitCode.MISSING)
    try:
        if path.lower().endswith(".json"):
            return Dataset.from_json(path)
        return Dataset.from_yaml(path)
    except (ValidationError, ValueError, OSError, AgentkitError) as exc:
        raise CommandError(f"cannot read dataset {path!r}: {exc}", ExitCode.MISSING) from exc


def _run(args: argparse.Namespace, out: Output) -> ExitCode:
    from agentkit.cli._load import import_attribute
    from agentkit.evals import run_eval_sync

    if args.offline and args.store is None:
        raise CommandError(
            "--offline needs --store URL: the runs are replayed from there", ExitCode.USAGE
        )
    if args.agent is None and not args.offline:
        raise CommandError("--agent MODULE:NAME is required (unless --offline)", ExitCode.USAGE)
    dataset = _load_dataset(args.dataset)
    target = None if args.agent is None else import_attribute(args.agent, option="--agent")
    if target is not None and not callable(getattr(target, "run", None)) and not callable(target):
        raise CommandError(
            f"--agent {args.agent!r} is a {type(target).__name__}, not an Agent or a function",
            ExitCode.LOAD_ERROR,
        )
    scorers = [import_attribute(spec, option="--scorer") for spec in args.scorer] or None
    store = None if args.store is None else open_store_url(args.store, create=not args.offline)
    try:
        report = run_eval_sync(
            dataset,
            target,
            scorers=scorers,
            repeats=args.repeats,
            concurrency=args.concurrency,
            timeout=args.timeout,
            mode=args.mode,
            store=store,
            offline=args.offline,
            progress=None if args.quiet else sys.stderr,
        )
    finally:
        if store is not None:
            store.close()
    out.text(report.table())
    _write(report, args.json, args.html)
    if args.fail_under is not None and report.pass_rate < args.fail_under:
        out.text(f"pass rate {report.pass_rate:.1%} is below --fail-under {args.fail_under:.1%}")
        return ExitCode.CHECK_FAILED
    return ExitCode.OK


def _write(report: EvalReport, json_path: str | None, html_path: str | None) -> None:
    for path, text in ((json_path, report.to_json), (html_path, report.to_html)):
        if path is None:
            continue
        try:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text())
        except OSError as exc:
            raise CommandError(
                f"cannot write {path!r}: {exc.strerror or exc}", ExitCode.MISSING
            ) from exc
        sys.stderr.write(f"wrote {escape(path)}\n")


def _read_report(path: str) -> EvalReport:
    from pydantic import ValidationError

    from agentkit.evals import EvalReport

    try:
        with open(path, encoding="utf-8") as file:
            return EvalReport.from_json(file.read())
    except FileNotFoundError as exc:
        raise CommandError(f"no report file {path!r}", ExitCode.MISSING) from exc
    except (OSError, UnicodeDecodeError, ValidationError) as exc:
        raise CommandError(
            f"{path!r} is not a readable eval report (written by 'agentkit eval run --json'): {exc}",
            ExitCode.MISSING,
        ) from exc


def _compare(args: argparse.Namespace, out: Output) -> ExitCode:
    from agentkit.evals import compare

    result = compare(_read_report(args.baseline), _read_report(args.candidate))
    if args.json:
        out.json(result.model_dump(mode="json"))
    else:
        out.text(result.table())
    if args.fail_on_regression and result.regressions:
        return ExitCode.CHECK_FAILED
    return ExitCode.OK


def _add_run(args: argparse.Namespace, out: Output) -> ExitCode:
    from agentkit.cli._runs import db_path
    from agentkit.evals import Case, Dataset
    from agentkit.exceptions import TamperedRun
    from agentkit.storage import RunNotFound, StorageError

    store = open_store_url(args.store or db_path(args.db), create=False)
    try:
        case = Case.from_run(store, args.run_id, name=args.name)
    except RunNotFound as exc:
        raise CommandError(f"no run {args.run_id!r} in the store", ExitCode.MISSING) from exc
    except TamperedRun as exc:
        raise CommandError(str(exc), ExitCode.CHECK_FAILED) from exc
    except StorageError as exc:
        raise CommandError(f"cannot read the run: {exc}", ExitCode.MISSING) from exc
    finally:
        store.close()
    if args.dataset is None:
        out.json(case.model_dump(mode="json", exclude_none=True))
        return ExitCode.OK
    if os.path.exists(args.dataset):
        dataset = _load_dataset(args.dataset)
    else:
        stem = os.path.splitext(os.path.basename(args.dataset))[0] or "regressions"
        dataset = Dataset(name=stem)
    if any(c.name == case.name for c in dataset.cases):
        raise CommandError(
            f"dataset {args.dataset!r} already has a case named {case.name!r}; pick another with --name",
            ExitCode.USAGE,
        )
    updated = dataset.model_copy(update={"cases": [*dataset.cases, case]})
    if args.dataset.lower().endswith(".json"):
        updated.to_json(args.dataset)
    else:
        updated.to_yaml(args.dataset)
    out.text(
        f"added case {case.name!r} ({len(case.expected_tools or [])} expected tool call(s)) to "
        f"{args.dataset} ({len(updated.cases)} case(s))"
    )
    return ExitCode.OK
