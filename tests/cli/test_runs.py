"""``agentkit runs``: ``--db`` anywhere, no database created by reading, no raw control characters printed."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.runtime import Agent
from agentkit.storage import Session, SQLiteStore, StorageError
from agentkit.testing import FakeProvider

HOSTILE = "\x1b]0;pwned\x07 ding\x07 \x1b[2J cleared\x9b31m \u202egnp.exe"
VISIBLE = r"\x1b]0;pwned\x07 ding\x07 \x1b[2J cleared\x9b31m \u202egnp.exe"
# Any raw C0/C1 control other than newline, or a bidi override, reaching the terminal.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

AGENTS = """
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider
same = Agent(FakeProvider([], model="fake-model"), instructions="Be brief.")
not_an_agent = 42
"""


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with run ``r1`` (a plain answer) and run ``evil`` (an answer full of terminal controls)."""
    path = tmp_path / "runs.sqlite3"
    with SQLiteStore(path) as store:
        Session(store, "s1").run_sync(
            Agent(FakeProvider(["Hello."]), instructions="Be brief."), "hi", run_id="r1"
        )
        Session(store, "s2").run_sync(
            Agent(FakeProvider([HOSTILE]), name=f"agent {HOSTILE}"), HOSTILE, run_id="evil"
        )
    return path


def test_db_option_works_before_and_after_the_subcommand(db: Path) -> None:
    """``runs --db F list`` and ``runs list --db F`` read the same database."""
    before = run("runs", "--db", str(db), "list", "--json")
    after = run("runs", "list", "--db", str(db), "--json")
    assert before == after
    assert before[0] == 0
    assert {row["run_id"] for row in json.loads(before[1])} == {"r1", "evil"}
    code, text = run("runs", "show", "r1", "--db", str(db))
    assert code == 0
    assert "model.responded" in text


def test_db_option_after_the_subcommand_wins_over_the_environment(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--db`` given after the subcommand takes precedence over ``$AGENTKIT_DB``."""
    monkeypatch.setenv("AGENTKIT_DB", str(tmp_path / "elsewhere.sqlite3"))
    assert run("runs", "list", "--db", str(db))[0] == 0
    assert not (tmp_path / "elsewhere.sqlite3").exists()


@pytest.mark.parametrize(
    "argv", [("runs", "list"), ("runs", "show", "r1"), ("runs", "replay", "r1")]
)
def test_reading_commands_never_create_a_database(
    argv: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In an empty folder, reading commands exit 4, say the database does not exist, and leave no file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGENTKIT_DB", raising=False)
    assert run(*argv) == (4, "")
    assert "database 'agentkit-runs.sqlite3' does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``--db`` file that SQLite cannot read is reported, exit 4."""
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database, just text that is long enough to have a header" * 4)
    assert run("runs", "list", "--db", str(bogus))[0] == 4
    assert "notes.txt" in capsys.readouterr().err


def test_missing_run_exits_4(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``show`` and ``replay`` of a run that is not stored exit 4 and name the database."""
    assert run("runs", "show", "nope", "--db", str(db)) == (4, "")
    assert f"no run 'nope' in {str(db)!r}" in capsys.readouterr().err
    assert run("runs", "replay", "nope", "--db", str(db)) == (4, "")


def test_sqlite_store_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    """``SQLiteStore(path, create=False)`` raises for a missing file and creates nothing."""
    with pytest.raises(StorageError, match="does not exist"):
        SQLiteStore(tmp_path / "missing.sqlite3", create=False)
    assert list(tmp_path.iterdir()) == []


def test_show_escapes_terminal_controls(db: Path) -> None:
    """``runs show`` prints a model's escape sequences and BELs as visible text, never raw."""
    code, text = run("runs", "show", "evil", "--db", str(db))
    assert code == 0
    assert not RAW_CONTROL.search(text)
    assert VISIBLE in text.splitlines()[0]  # the header's agent name
    # Event fields are JSON values, so their escapes are JSON's: the prompt, the answer, the output.
    assert text.count(r"\u001b[2J") >= 3
    code, lines = run("runs", "show", "evil", "--db", str(db), "--json")
    assert code == 0
    assert not RAW_CONTROL.search(lines)
    events = [json.loads(line) for line in lines.splitlines()]
    assert events[-1]["output"] == HOSTILE  # escaped as JSON, the same data


def test_list_escapes_terminal_controls(db: Path) -> None:
    """``runs list`` shows the hostile agent name escaped and keeps one run per line."""
    code, text = run("runs", "list", "--db", str(db))
    assert code == 0
    assert not RAW_CONTROL.search(text)
    assert len(text.splitlines()) == 3
    assert f"agent {VISIBLE}" in text


def test_replay_escapes_terminal_controls(db: Path) -> None:
    """``runs replay`` prints the recorded answer with visible escapes."""
    code, text = run("runs", "replay", "evil", "--db", str(db))
    assert code == 0
    assert not RAW_CONTROL.search(text)
    assert f"[0] assistant: {VISIBLE}" in text


def test_console_output_is_escaped_through_a_real_pipe(db: Path) -> None:
    """The command run as a program writes no raw ESC or BEL byte for the hostile run."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "agentkit", "runs", "show", "evil", "--db", str(db)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"\x1b" not in result.stdout
    assert b"\x07" not in result.stdout
    assert rb"\x1b]0;pwned\x07" in result.stdout


def test_replay_against_an_agent_from_the_current_directory(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--agent module:name`` is imported from the current directory; a bad one exits 2 or 3."""
    (tmp_path / "cli_replay_agents.py").write_text(AGENTS)
    monkeypatch.chdir(tmp_path)
    try:
        assert run(
            "runs", "replay", "r1", "--db", str(db), "--agent", "cli_replay_agents:same"
        ) == (
            0,
            "run r1 replayed identically (1 step(s))\n",
        )
        assert run("runs", "replay", "r1", "--db", str(db), "--agent", "cli_replay_agents")[0] == 2
        assert "--agent must look like 'package.module:name'" in capsys.readouterr().err
        bad = ("cli_replay_agents:missing", "cli_replay_agents:not_an_agent", "nowhere_x:a")
        for spec in bad:
            assert run("runs", "replay", "r1", "--db", str(db), "--agent", spec) == (3, "")
    finally:
        sys.modules.pop("cli_replay_agents", None)


def test_runs_without_a_subcommand_prints_its_help_and_exits_2() -> None:
    """``agentkit runs`` alone shows the runs help."""
    code, out = run("runs")
    assert code == 2
    assert "replay" in out


def test_replay_live_and_a_tampered_run(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--live`` replays with the agent's own tools; an edited stored event exits 1 naming TamperedRun's event."""
    import sqlite3
    from contextlib import closing

    (tmp_path / "cli_live_agents.py").write_text(AGENTS)
    monkeypatch.chdir(tmp_path)
    try:
        agent = ("--agent", "cli_live_agents:same")
        assert run("runs", "replay", "r1", "--db", str(db), *agent, "--live")[0] == 0
        with closing(sqlite3.connect(db)) as raw, raw:
            raw.execute(
                "UPDATE events SET data = replace(data, 'Hello.', 'Bye.') WHERE run_id = 'r1'"
            )
        code, text = run("runs", "replay", "r1", "--db", str(db), *agent, "--live")
        assert code == 1
        assert "run 'r1' was changed after it was stored" in text
    finally:
        sys.modules.pop("cli_live_agents", None)
