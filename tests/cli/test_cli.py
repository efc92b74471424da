"""The ``agentkit`` command: listing and showing tools from modules and plugins."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from agentkit.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def test_list_as_json_has_names_versions_and_fingerprints() -> None:
    code, out = run("tools", "list", "--module", "agentkit.cli._demo_tools", "--json")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["name"] == "demo.echo"
    assert rows[0]["fingerprint"].startswith("sha256:")


def test_show_prints_the_contract() -> None:
    code, out = run("tools", "show", "demo.echo", "-m", "agentkit.cli._demo_tools")
    assert code == 0
    assert json.loads(out)["input_schema"]["required"] == ["text"]


def test_unknown_tool_exits_1_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("tools", "show", "demo.ecko", "-m", "agentkit.cli._demo_tools")
    assert code == 1
    assert "did you mean 'demo.echo'" in capsys.readouterr().err


def test_missing_module_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("tools", "list", "-m", "no_such_module_anywhere")
    assert code == 1
    assert "no_such_module_anywhere" in capsys.readouterr().err


def test_entry_points_skip_broken_plugins_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run("tools", "list", "--entry-points")
    assert code == 0
    assert "get_weather" in out
    assert "broken" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2() -> None:
    code, out = run()
    assert code == 2
    assert "tools" in out


def test_bad_arguments_exit_2() -> None:
    assert run("tools", "list", "--bogus")[0] == 2


def test_python_dash_m_agentkit_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentkit", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("agentkit ")
