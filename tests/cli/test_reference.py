"""``--help`` and docs/cli.md tell the truth: every command and option, the same exit-code table."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.cli._exit import EXIT_CODES_HELP, MEANINGS, ExitCode
from agentkit.cli._main import _parser

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the command tree with its path of subcommand names, depth first."""
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(commands(sub, (*path, name)))
    return found


ALL = commands(_parser())
LEAVES = [
    path
    for path, parser in ALL
    if not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
]


def test_the_command_tree_is_what_the_page_covers() -> None:
    """The tree has the commands the reference page documents."""
    assert sorted(" ".join(p) for p in LEAVES) == [
        "contracts check",
        "contracts snapshot",
        "eval add-run",
        "eval compare",
        "eval run",
        "mcp serve",
        "new project",
        "new provider",
        "new tool",
        "runs list",
        "runs replay",
        "runs show",
        "serve",
        "temporal worker",
        "tools list",
        "tools schema",
        "tools show",
    ]


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=lambda p: " ".join(p) or "agentkit")
def test_every_help_ends_with_the_exit_codes(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """``agentkit ... --help`` exits 0 and ends with the exit-code table."""
    out = io.StringIO()
    assert main([*path, "--help"], stdout=out) == 0
    assert out.getvalue().rstrip().endswith(EXIT_CODES_HELP)
    assert capsys.readouterr().out == ""


def test_the_page_has_the_exit_code_table_of_the_code() -> None:
    """docs/cli.md lists exactly the codes and meanings of ``ExitCode``."""
    rows = re.findall(r"^\| (\d) \| (.+?) \|$", PAGE.read_text(encoding="utf-8"), re.M)
    assert [(int(code), meaning) for code, meaning in rows] == [
        (int(code), meaning) for code, meaning in MEANINGS.items()
    ]
    assert set(MEANINGS) == set(ExitCode)


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_the_page_shows_every_command_with_its_options(path: tuple[str, ...]) -> None:
    """Each command has a usage line on the page naming every one of its options."""
    text = PAGE.read_text(encoding="utf-8")
    usage = re.search(rf"^\$ agentkit {' '.join(path)}\b.*$", text, re.M)
    assert usage is not None, f"docs/cli.md has no usage line for 'agentkit {' '.join(path)}'"
    parser = dict(ALL)[path]
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            shown = [
                opt
                for opt in action.option_strings
                if re.search(rf"\[{re.escape(opt)}[ \]]", usage.group())
            ]
            assert shown, f"{action.option_strings} missing from: {usage.group()}"
