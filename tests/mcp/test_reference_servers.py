"""`MCPToolset` against MCP servers nobody here wrote: the reference ``mcp-server-time`` and ``mcp-server-git``.

Both are PyPI packages started over stdio by the test (``python -m mcp_server_time``, ``python -m mcp_server_git``);
the git server works on a temporary repository the test creates. A server that cannot start fails the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import anyio
import pytest

from agentkit.mcp import MCPToolset

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


async def test_mcp_server_time() -> None:
    """The time server's tools import with their schemas, and a conversion between zones runs."""
    command = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]
    with anyio.fail_after(120):
        async with MCPToolset(command, namespace="time", connect_timeout=60) as tools:
            assert {"time_get_current_time", "time_convert_time"} <= set(tools.names())
            schema = tools.get("time_convert_time").contract.input_schema
            assert {"source_timezone", "time", "target_timezone"} <= set(schema["properties"])
            converted = await tools.get("time_convert_time").invoke_json(
                json.dumps(
                    {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
                )
            )
            bad_zone = await tools.get("time_get_current_time").invoke_json(
                '{"timezone": "Mars/Olympus"}'
            )
            missing = await tools.get("time_get_current_time").invoke_json("{}")
    assert converted.ok, converted.content
    assert "21:00" in converted.content
    assert bad_zone.status == "failed"  # the server's isError, as ToolFailed
    assert "Mars/Olympus" in bad_zone.content
    assert missing.status == "invalid_arguments"  # caught by agentkit before the call


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository with one commit and one uncommitted file."""
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(
            ["git", *args],
            cwd=repo,
            check=True,
            capture_output=True,
            env={**GIT_ENV, "PATH": _path()},
        )

    git("init", "-q", "-b", "main")
    (repo / "README.md").write_text("hello\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "First commit of the fixture")
    (repo / "notes.txt").write_text("draft\n")
    return repo


def _path() -> str:
    import os

    return os.environ.get("PATH", "/usr/bin:/bin")


async def test_mcp_server_git(repository: Path) -> None:
    """The git server reports the fixture repository's status and log through our toolset."""
    command = [sys.executable, "-m", "mcp_server_git", "--repository", str(repository)]
    with anyio.fail_after(120):
        async with MCPToolset(command, namespace="git", env=GIT_ENV, connect_timeout=60) as tools:
            names = set(tools.names())
            assert {"git_git_status", "git_git_log"} <= names
            status = await tools.get("git_git_status").invoke_json(
                json.dumps({"repo_path": str(repository)})
            )
            log = await tools.get("git_git_log").invoke_json(
                json.dumps({"repo_path": str(repository)})
            )
            outside = await tools.get("git_git_status").invoke_json(
                json.dumps({"repo_path": str(repository.parent)})
            )
    assert status.ok, status.content
    assert "notes.txt" in status.content
    assert log.ok, log.content
    assert "First commit of the fixture" in log.content
    assert outside.status == "failed"
