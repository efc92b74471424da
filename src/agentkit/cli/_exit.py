"""The exit codes of the ``agentkit`` command, and the error that carries one out of a subcommand."""

from __future__ import annotations

import enum

__all__ = ("EXIT_CODES_HELP", "MEANINGS", "CommandError", "ExitCode")


class ExitCode(enum.IntEnum):
    """What the ``agentkit`` command's exit status means (docs/cli.md has the same table; a test keeps them equal).

    Examples:
        >>> from agentkit.cli._exit import ExitCode
        >>> int(ExitCode.CHECK_FAILED), int(ExitCode.LOAD_ERROR)
        (1, 3)
    """

    OK = 0
    """Success: the command did what was asked (``contracts check``: every change is versioned correctly)."""
    CHECK_FAILED = 1
    """The check failed: a contract change is not versioned correctly (``contracts check``), a replayed run
    diverged from its recording or cannot be replayed (``runs replay``), an eval's pass rate is below
    ``--fail-under`` (``eval run``) or a case regressed with ``--fail-on-regression`` (``eval compare``)."""
    USAGE = 2
    """The command line is wrong: an unknown option, a missing argument, a malformed value (argparse's code)."""
    LOAD_ERROR = 3
    """User code could not be loaded: a ``-m`` module or ``--agent`` cannot be imported, raises while
    importing (a tool definition error, for example), or its tools cannot be registered together."""
    MISSING = 4
    """Something the command needs is missing or unusable: the lock file, the database, a dataset or an eval
    report does not exist or cannot be read (or an output cannot be written), or the named run or tool is not
    there."""


MEANINGS: dict[ExitCode, str] = {  # one line each, for --help and docs/cli.md
    ExitCode.OK: "success",
    ExitCode.CHECK_FAILED: "check failed: a contract change is not versioned correctly, a replay diverged, "
    "an eval is below --fail-under or regressed",
    ExitCode.USAGE: "bad command line: unknown option, missing or malformed argument",
    ExitCode.LOAD_ERROR: "a -m module or --agent could not be imported, or its tools not registered",
    ExitCode.MISSING: "a lock file, database, dataset, report, run or tool is missing or unreadable",
}

EXIT_CODES_HELP = "exit codes:\n" + "\n".join(
    f"  {int(code)}  {meaning}" for code, meaning in MEANINGS.items()
)
"""The exit-code table every ``--help`` ends with."""


class CommandError(Exception):
    """A subcommand stops: ``main`` prints ``message`` as ``agentkit: error: ...`` and exits with ``code``.

    Examples:
        >>> from agentkit.cli._exit import CommandError, ExitCode
        >>> CommandError("no lock file 'x.json'", ExitCode.MISSING).code
        <ExitCode.MISSING: 4>
    """

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
