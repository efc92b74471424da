"""``agentkit tools schema``: tool definitions compiled for a provider's dialect."""

from __future__ import annotations

import io
import json

import pytest

from agentkit.cli import main

DEMO = ("-m", "agentkit.cli._demo_tools")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


@pytest.mark.parametrize(
    ("dialect", "where"),
    [
        ("canonical", ("input_schema",)),
        ("openai-strict", ("function", "parameters")),
        ("anthropic", ("input_schema",)),
        ("gemini", ("parameters",)),
    ],
)
def test_every_tool_compiles_to_the_dialects_definition(
    dialect: str, where: tuple[str, ...]
) -> None:
    """Without a name, every tool's definition is printed as a JSON array in the dialect's shape."""
    code, out = run("tools", "schema", "--dialect", dialect, *DEMO)
    assert code == 0
    (definition,) = json.loads(out)
    for key in where:
        definition = definition[key]
    assert "text" in json.dumps(definition)


def test_entry_point_tools_are_compiled_too() -> None:
    """Tools that installed plugins declare are compiled like module tools."""
    code, out = run("tools", "schema", "--entry-points", "--dialect", "mcp")
    assert code == 0
    assert "get_weather" in [d["name"] for d in json.loads(out)]


def test_dialect_warnings_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """What a dialect had to change is reported on stderr, not mixed into the JSON."""
    code, out = run("tools", "schema", "demo.echo", "--dialect", "gemini", *DEMO)
    assert code == 0
    assert json.loads(out)["name"] == "echo"
    assert "warning" not in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("--dialect", "opnai"), 2, "did you mean 'openai'"),
        (("--version", "^1"), 2, "--version needs a tool name"),
        (("demo.echo", "--version", "one"), 2, "--version 'one'"),
        (("demo.ecko",), 4, "did you mean 'demo.echo'"),
    ],
)
def test_bad_requests_exit_with_the_documented_codes(
    argv: tuple[str, ...], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown dialect or a stray --version is a usage error; an unknown tool is missing."""
    assert run("tools", "schema", *argv, *DEMO)[0] == code
    assert message in capsys.readouterr().err


def test_a_schema_the_dialect_cannot_express_fails_the_check(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A contract with no strict form exits 1 for openai-strict and names the tool."""
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    (tmp_path / "open_tools.py").write_text(
        "from typing import Any\n"
        "from agentkit import tool\n\n"
        "@tool\n"
        "def anything(payload: dict[str, Any]) -> str:\n"
        '    """Take anything."""\n'
        '    return "ok"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, _ = run("tools", "schema", "--dialect", "openai-strict", "-m", "open_tools")
    assert code == 1
    assert "anything cannot be compiled for openai-strict" in capsys.readouterr().err
