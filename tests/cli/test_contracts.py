"""``agentkit contracts``: modules from the current directory, ``--lock -``, ``--json`` and the exit codes."""

from __future__ import annotations

import importlib
import io
import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.cli import main

V1 = """\
from agentkit import tool

@tool(version="1.0.0")
def find(q: str) -> list[str]:
    '''Find things.'''
    return []
"""

V1_PATCH_UNBUMPED = V1.replace("Find things.", "Find things quickly.")

V1_BREAKING = """\
from agentkit import tool

@tool(version="1.0.1")
def find(q: str, limit: int) -> list[str]:
    '''Find things.'''
    return []
"""

BROKEN_TOOL = """\
from agentkit import tool

@tool(version="1.0")
def find(q: str) -> str:
    '''Find.'''
    return q
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary project directory as the current directory, its module forgotten afterwards."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in [m for m in sys.modules if m.split(".")[0] in ("cli_shop", "cli_broken")]:
        del sys.modules[name]


def write(project: Path, source: str, name: str = "cli_shop") -> None:
    package = project / name
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "tools.py").write_text(source)
    sys.modules.pop(f"{name}.tools", None)
    sys.modules.pop(name, None)
    importlib.invalidate_caches()


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def console_script() -> str:
    """The installed ``agentkit`` script of this environment (its sys.path starts with bin/, not the cwd)."""
    found = shutil.which("agentkit", path=sysconfig.get_path("scripts"))
    assert found is not None, f"no agentkit console script in {sysconfig.get_path('scripts')}"
    return found


def test_modules_are_imported_from_the_current_directory(project: Path) -> None:
    """``-m pkg.mod`` finds ``./pkg/mod.py`` as ``python -m`` would, and sys.path is left as it was."""
    write(project, V1)
    assert str(project) not in sys.path
    before = list(sys.path)
    code, out = run("contracts", "snapshot", "-m", "cli_shop.tools")
    assert (code, out) == (0, "wrote 1 contracts to agentkit-contracts.lock.json\n")
    assert sys.path == before
    assert (
        "find@1.0.0"
        in json.loads((project / "agentkit-contracts.lock.json").read_text())["contracts"]
    )


def test_console_script_finds_modules_in_the_current_directory(tmp_path: Path) -> None:
    """The real ``agentkit`` script snapshots and checks a module of the directory it runs in."""
    write(tmp_path, V1)
    script = console_script()
    snapshot = subprocess.run(
        [script, "contracts", "snapshot", "-m", "cli_shop.tools"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (snapshot.returncode, snapshot.stderr) == (0, "")
    write(tmp_path, V1_BREAKING)
    check = subprocess.run(
        [script, "contracts", "check", "-m", "cli_shop.tools"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1, check.stderr
    assert "find 1.0.0 -> 1.0.1: major change without a major version bump" in check.stdout


def test_lock_dash_writes_stdout_and_reads_stdin(project: Path) -> None:
    """``snapshot --lock -`` prints the lock; ``check --lock -`` reads it back from stdin."""
    write(project, V1)
    code, lock = run("contracts", "snapshot", "-m", "cli_shop.tools", "--lock", "-")
    assert code == 0
    assert not (project / "-").exists()
    assert json.loads(lock)["format"] == 1
    assert run("contracts", "check", "-m", "cli_shop.tools", "--lock", "-", stdin=lock) == (
        0,
        "no contract changes\n",
    )
    write(project, V1_BREAKING)
    code, out = run("contracts", "check", "-m", "cli_shop.tools", "--lock", "-", stdin=lock)
    assert code == 1
    assert "new required field `limit`: major" in out


def test_lock_dash_from_the_console_script(tmp_path: Path) -> None:
    """A lock piped from ``snapshot --lock -`` into ``check --lock -`` passes through real pipes."""
    write(tmp_path, V1)
    script = console_script()
    lock = subprocess.run(
        [script, "contracts", "snapshot", "-m", "cli_shop.tools", "--lock", "-"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    check = subprocess.run(
        [script, "contracts", "check", "-m", "cli_shop.tools", "--lock", "-", "--json"],
        cwd=tmp_path,
        input=lock,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout) == {"ok": True, "violations": 0, "changes": [], "notes": []}


def test_check_json_classifies_every_change(project: Path) -> None:
    """``check --json`` gives each change's level, reasons and problem, and the count of violations."""
    write(project, V1)
    assert run("contracts", "snapshot", "-m", "cli_shop.tools")[0] == 0
    write(project, V1_BREAKING)
    code, out = run("contracts", "check", "-m", "cli_shop.tools", "--json")
    assert code == 1
    assert json.loads(out) == {
        "ok": False,
        "violations": 1,
        "changes": [
            {
                "name": "find",
                "old_version": "1.0.0",
                "new_version": "1.0.1",
                "level": "major",
                "reasons": ["new required field `limit`: major"],
                "problem": "major change without a major version bump",
            }
        ],
        "notes": [],
    }


def test_check_passes_with_correctly_versioned_changes_and_says_so(project: Path) -> None:
    """A change with the right bump exits 0 and reminds to refresh the lock."""
    write(project, V1)
    assert run("contracts", "snapshot", "-m", "cli_shop.tools")[0] == 0
    write(project, V1.replace("1.0.0", "1.0.1").replace("Find things.", "Find things fast."))
    code, out = run("contracts", "check", "-m", "cli_shop.tools")
    assert code == 0
    assert out.endswith("refresh the lock with 'agentkit contracts snapshot'\n")


def test_unbumped_change_exits_1(project: Path) -> None:
    """A description change without a version bump is a contract violation (1)."""
    write(project, V1)
    assert run("contracts", "snapshot", "-m", "cli_shop.tools")[0] == 0
    write(project, V1_PATCH_UNBUMPED)
    code, out = run("contracts", "check", "-m", "cli_shop.tools")
    assert code == 1
    assert out.splitlines()[-1] == "1 contract change(s) are not versioned correctly"


def test_missing_module_exits_3_not_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A module that is not there exits 3, so CI can tell it from a contract violation."""
    write(project, V1)
    assert run("contracts", "snapshot", "-m", "cli_shop.tools")[0] == 0
    code, out = run("contracts", "check", "-m", "cli_shop.nope")
    assert (code, out) == (3, "")
    assert "cannot import module 'cli_shop.nope'" in capsys.readouterr().err
    assert run("contracts", "check", "-m", "cli_nowhere.tools") == (3, "")
    assert f"looked in the current directory {str(project)!r}" in capsys.readouterr().err


def test_tool_definition_error_while_importing_exits_3(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module whose tool definition is refused while importing exits 3 and names the error."""
    write(project, V1)
    assert run("contracts", "snapshot", "-m", "cli_shop.tools")[0] == 0
    write(project, BROKEN_TOOL, name="cli_broken")
    code, _ = run("contracts", "check", "-m", "cli_broken.tools")
    assert code == 3
    err = capsys.readouterr().err
    assert "cannot import module 'cli_broken.tools': ToolDefinitionError" in err
    assert "version '1.0' is not a semantic version" in err


def test_module_raising_while_importing_exits_3_with_its_traceback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any exception raised by the module's own code exits 3, after its traceback."""
    write(project, "raise RuntimeError('boom at import')\n", name="cli_broken")
    code, _ = run("contracts", "snapshot", "-m", "cli_broken.tools", "--lock", "-")
    assert code == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.endswith(
        "agentkit: error: cannot import module 'cli_broken.tools': RuntimeError: boom at import\n"
    )


def test_missing_lock_exits_4_before_importing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing lock file exits 4 and says how to create it, even when the module is missing too."""
    code, _ = run("contracts", "check", "-m", "cli_shop.nope", "--lock", "none.json")
    assert code == 4
    assert capsys.readouterr().err == (
        "agentkit: error: no lock file 'none.json'; create it with 'agentkit contracts snapshot'\n"
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "is not a readable contract lock"),
        ('{"format": 99}', "not an agentkit contract snapshot"),
    ],
)
def test_unreadable_lock_exits_4(
    project: Path, capsys: pytest.CaptureFixture[str], content: str, says: str
) -> None:
    """A lock that is not a contract lock exits 4, from a file or from stdin."""
    write(project, V1)
    (project / "bad.json").write_text(content)
    assert run("contracts", "check", "-m", "cli_shop.tools", "--lock", "bad.json")[0] == 4
    assert says in capsys.readouterr().err
    assert run("contracts", "check", "-m", "cli_shop.tools", "--lock", "-", stdin=content)[0] == 4
    assert "lock file standard input" in capsys.readouterr().err


def test_unwritable_lock_exits_4(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lock that cannot be written (its directory is missing) exits 4."""
    write(project, V1)
    code, _ = run("contracts", "snapshot", "-m", "cli_shop.tools", "--lock", "no/dir/lock.json")
    assert code == 4
    assert "cannot write lock file 'no/dir/lock.json'" in capsys.readouterr().err


def test_usage_errors_keep_argparse_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown option or a missing subcommand exits 2."""
    assert run("contracts", "check", "--bogus")[0] == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    code, out = run("contracts")
    assert code == 2
    assert "snapshot" in out
    assert "check" in out


def test_colliding_tools_from_two_modules_exit_3(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two modules that define the same tool and major version cannot be registered together: 3."""
    write(project, V1)
    write(project, V1.replace("Find things.", "Find other things."), name="cli_broken")
    code, _ = run("tools", "list", "-m", "cli_shop.tools", "-m", "cli_broken.tools")
    assert code == 3
    assert "cannot register the tools of 'cli_broken.tools'" in capsys.readouterr().err


def test_a_directory_as_lock_exits_4(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lock path that cannot be read as a file exits 4."""
    write(project, V1)
    (project / "lockdir").mkdir()
    assert run("contracts", "check", "-m", "cli_shop.tools", "--lock", "lockdir")[0] == 4
    assert "cannot read lock file 'lockdir'" in capsys.readouterr().err
