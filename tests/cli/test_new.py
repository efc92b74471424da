"""``agentkit new``: generated projects, tools and providers pass their own tests."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def test_project_tool_and_provider_pass_their_own_tests(tmp_path: Path) -> None:
    """A new project with a new tool and a new provider passes its generated test suite in a fresh process."""
    assert run("new", "project", "order-bot", "--dir", str(tmp_path))[0] == 0
    project = tmp_path / "order-bot"
    code, out = run("new", "tool", "shout", "--dir", str(project))
    assert code == 0
    assert f"created {project / 'src' / 'order_bot' / 'shout.py'}" in out
    assert run("new", "provider", "acme", "--dir", str(project))[0] == 0
    lock = json.loads((project / "agentkit-contracts.lock.json").read_text(encoding="utf-8"))
    assert "order_bot.lookup_order" in json.dumps(lock)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "12 passed" in done.stdout


def test_a_generated_project_passes_our_own_lint_rules(tmp_path: Path) -> None:
    """A project with a tool and a provider is ruff-clean under agentkit's rules, agentkit being a dependency."""
    run("new", "project", "order-bot", "--dir", str(tmp_path))
    project = tmp_path / "order-bot"
    run("new", "tool", "shout", "--dir", str(project))
    run("new", "provider", "acme", "--dir", str(project))
    rules = Path(__file__).resolve().parents[2] / "pyproject.toml"
    # For the generated project agentkit is a third-party package and order_bot its own.
    imports = (
        "lint.isort.known-third-party = ['agentkit']",
        "lint.isort.known-first-party = ['order_bot']",
    )
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config", str(rules)]
        + [arg for setting in imports for arg in ("--config", setting)]
        + ["."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_lock_passes_contracts_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock written with the project is what ``agentkit contracts check`` expects."""
    run("new", "project", "shop", "--dir", str(tmp_path))
    monkeypatch.chdir(tmp_path / "shop")
    monkeypatch.syspath_prepend(str(tmp_path / "shop" / "src"))
    code, out = run("contracts", "check", "-m", "shop.tools")
    assert code == 0, out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("new", "project", "9lives"), 2, "not usable"),
        (("new", "tool", "Bad-Name"), 2, "not usable"),
        (("new", "tool", "class"), 2, "not usable"),
        (("new", "tool", "shout"), 4, "not a project with one package under src/"),
    ],
)
def test_bad_names_and_places_are_refused(
    argv: tuple[str, ...],
    code: int,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Names that are not identifiers, and a tool outside a project, are refused with the reason."""
    assert run(*argv, "--dir", str(tmp_path))[0] == code
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_nothing_is_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second project or tool of the same name is refused, leaving the first one untouched."""
    run("new", "project", "app", "--dir", str(tmp_path))
    project = tmp_path / "app"
    assert run("new", "project", "app", "--dir", str(tmp_path))[0] == 2
    assert run("new", "tool", "shout", "--dir", str(project))[0] == 0
    (project / "src" / "app" / "shout.py").write_text("# mine\n", encoding="utf-8")
    assert run("new", "tool", "shout", "--dir", str(project))[0] == 2
    assert "already exists" in capsys.readouterr().err
    assert (project / "src" / "app" / "shout.py").read_text(encoding="utf-8") == "# mine\n"


def test_new_without_a_kind_prints_help() -> None:
    """``agentkit new`` alone lists the three kinds and exits 2."""
    code, out = run("new")
    assert code == 2
    assert "project" in out
    assert "provider" in out
