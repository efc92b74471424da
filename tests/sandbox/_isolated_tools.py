"""Module-level tools for the isolated-mode tests: a subprocess must be able to import them."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from pydantic import BaseModel

from agentkit import RunContext, Tool, ToolFailed, tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers, in whatever process runs this."""
    return a + b


@tool
def pid() -> int:
    """The id of the process running the tool."""
    return os.getpid()


@tool
async def async_double(x: int) -> int:
    """Double a number, asynchronously."""
    return 2 * x


@tool
def greedy(megabytes: int) -> int:
    """Allocate ``megabytes`` of memory."""
    block = bytearray(megabytes * 2**20)
    return len(block)


@tool
def sleepy(seconds: float) -> str:
    """Sleep, then answer."""
    time.sleep(seconds)
    return "awake"


@tool
def spawner(pid_file: str) -> str:
    """Start a long-lived child process, write its pid to ``pid_file``, then hang."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(pid_file, "w") as out:
        out.write(str(child.pid))
    time.sleep(600)
    return "never"


@tool
def refuses(reason: str) -> str:
    """Fail on purpose, with a message for the model."""
    raise ToolFailed(reason)


@tool
def crashes() -> str:
    """Raise an unexpected error."""
    raise KeyError("missing")


@tool
def dies() -> str:
    """End the process without an answer."""
    os._exit(3)


@tool
def with_deps(ctx: RunContext[str], name: str) -> str:
    """Greet with the run's deps."""
    return f"{ctx.deps}, {name}"


class EchoArgs(BaseModel):
    """Arguments of the echo tool."""

    text: str


class Echo(Tool[EchoArgs, str]):
    """Echo text with a prefix kept on the instance."""

    def __init__(self, prefix: str = ">") -> None:
        self.prefix = prefix

    def run(self, args: EchoArgs, ctx: RunContext[None]) -> str:
        return f"{self.prefix} {args.text} (pid {os.getpid()})"


@tool
def out_of_memory() -> str:
    """Raise MemoryError, as an allocation past the limit does."""
    raise MemoryError
