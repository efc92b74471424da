"""The ``agentkit`` command: listing and showing tools from modules and plugins."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def test_list_as_json_has_names_versions_and_fingerprints() -> None:
    """``tools list --json`` gives each tool's name, version and fingerprint."""
    code, out = run("tools", "list", "--module", "agentkit.cli._demo_tools", "--json")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["name"] == "demo.echo"
    assert rows[0]["fingerprint"].startswith("sha256:")


def test_show_prints_the_contract() -> None:
    """``tools show`` prints the contract as JSON."""
    code, out = run("tools", "show", "demo.echo", "-m", "agentkit.cli._demo_tools")
    assert code == 0
    assert json.loads(out)["input_schema"]["required"] == ["text"]


def test_unknown_tool_exits_4_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown tool name is "missing" (4), with a did-you-mean suggestion."""
    code, _ = run("tools", "show", "demo.ecko", "-m", "agentkit.cli._demo_tools")
    assert code == 4
    assert "did you mean 'demo.echo'" in capsys.readouterr().err


def test_missing_module_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    """A module that cannot be imported is a load error (3)."""
    code, _ = run("tools", "list", "-m", "no_such_module_anywhere")
    assert code == 3
    assert "no_such_module_anywhere" in capsys.readouterr().err


def test_entry_points_skip_broken_plugins_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A plugin that fails to load is skipped with a warning; the others are listed."""
    code, out = run("tools", "list", "--entry-points")
    assert code == 0
    assert "get_weather" in out
    assert "broken" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2() -> None:
    """No command prints the help and exits 2."""
    code, out = run()
    assert code == 2
    assert "tools" in out


def test_bad_arguments_exit_2() -> None:
    """An unknown option exits 2."""
    assert run("tools", "list", "--bogus")[0] == 2


def test_python_dash_m_agentkit_runs_the_command() -> None:
    """``python -m agentkit`` is the same command."""
    result = subprocess.run(
        [sys.executable, "-m", "agentkit", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("agentkit ")


def test_tool_list_escapes_control_characters_in_descriptions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool description with terminal controls is listed with visible escapes."""
    (tmp_path / "cli_hostile_tools.py").write_text(
        "from agentkit import tool\n\n"
        "@tool\n"
        "def ping() -> str:\n"
        "    '''Ping \\x1b[2J now\\x07.'''\n"
        "    return 'pong'\n"
    )
    monkeypatch.chdir(tmp_path)
    try:
        code, out = run("tools", "list", "-m", "cli_hostile_tools")
    finally:
        sys.modules.pop("cli_hostile_tools", None)
    assert code == 0
    assert "\x1b" not in out
    assert "\x07" not in out
    assert r"Ping \x1b[2J now\x07." in out


def test_show_with_a_malformed_version_requirement_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``tools show --version`` with a requirement that does not parse is a usage error."""
    code, _ = run("tools", "show", "demo.echo", "-m", "agentkit.cli._demo_tools", "--version", "^x")
    assert code == 2
    assert "--version '^x'" in capsys.readouterr().err
