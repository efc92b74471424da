"""``agentkit temporal worker``: what it serves and how it fails (the crash tests run it for real)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest

from agentkit.cli import main
from agentkit.cli._temporal import _agents

if TYPE_CHECKING:
    from pathlib import Path


def test_a_module_without_agents_is_a_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module that defines no Agent exits 3 and says so."""
    (tmp_path / "empty_agents.py").write_text("X = 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["temporal", "worker", "-m", "empty_agents"], stdout=io.StringIO()) == 3
    assert "no Agent objects in 'empty_agents'" in capsys.readouterr().err


def test_two_agents_with_one_name_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Agents are served by name, so two different agents may not share one."""
    (tmp_path / "twins.py").write_text(
        "from agentkit.runtime import Agent\nfrom agentkit.testing import FakeProvider\n"
        "a = Agent(FakeProvider(['hi']), name='x')\nb = Agent(FakeProvider(['hi']), name='x')\n"
    )
    monkeypatch.chdir(tmp_path)
    from agentkit.cli._exit import CommandError

    with pytest.raises(CommandError, match="two agents are named 'x'"):
        _agents(["twins"])


def test_an_unreachable_server_exits_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker that cannot reach Temporal says where it looked and exits 4."""
    (tmp_path / "one_agent.py").write_text(
        "from agentkit.runtime import Agent\nfrom agentkit.testing import FakeProvider\n"
        "a = Agent(FakeProvider(['hi']), name='solo')\n"
    )
    monkeypatch.chdir(tmp_path)
    code = main(
        ["temporal", "worker", "-m", "one_agent", "--address", "127.0.0.1:9"],
        stdout=io.StringIO(),
    )
    assert code == 4
    assert "cannot connect to Temporal at '127.0.0.1:9'" in capsys.readouterr().err


def test_agents_of_accepts_mappings_lists_and_modules() -> None:
    """worker() takes agents by name from a mapping, a list or a module, and refuses anything else."""
    import types

    from agentkit.exceptions import UsageError
    from agentkit.runtime import Agent
    from agentkit.temporal import agents_of
    from agentkit.testing import FakeProvider

    agent = Agent(FakeProvider(["hi"]), name="solo")
    module = types.ModuleType("m")
    module.solo = agent  # type: ignore[attr-defined]
    assert agents_of({"alias": agent}) == {"alias": agent}
    assert agents_of(module) == {"solo": agent}
    with pytest.raises(UsageError, match="serves Agent objects"):
        agents_of(["not an agent"])  # type: ignore[list-item]
    with pytest.raises(UsageError, match="no agents to serve"):
        agents_of([])
    with pytest.raises(UsageError, match="two agents are named 'solo'"):
        agents_of([agent, Agent(FakeProvider(["hi"]), name="solo")])
