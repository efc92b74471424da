"""``isolated`` mode: a subprocess per call, with wall-time and memory limits, killed with its children."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest

from agentkit import RunContext, tool
from agentkit.events import EventEmitter, ToolCallFailed, ToolCallSucceeded
from agentkit.exceptions import ToolExecutionError, ToolTimeout
from agentkit.messages import ToolCallPart
from agentkit.runtime import Agent
from agentkit.sandbox import (
    IsolationError,
    IsolationLimits,
    ModePolicy,
    ToolCrashed,
    ToolMemoryExceeded,
    ToolNotIsolatable,
    invoke,
    with_mode,
)
from agentkit.testing import FakeProvider

pytestmark = pytest.mark.anyio

# Generous: a subprocess importing pydantic on a loaded 2-core machine can take seconds to start.
ROOMY = ModePolicy(force="isolated", limits=IsolationLimits(timeout=120, max_memory=256 * 2**20))


async def test_an_isolated_call_runs_in_another_process_and_returns_its_typed_result(
    iso: ModuleType,
) -> None:
    """Sync, async and class-based tools run in a subprocess; results come back typed and serialized."""
    outcome = await invoke(iso.add, {"a": 2, "b": "3"}, ROOMY)
    assert (outcome.status, outcome.value, outcome.content) == ("success", 5, "5")
    other = await invoke(iso.pid, {}, ROOMY)
    assert other.value != os.getpid()
    assert (await invoke(iso.async_double, {"x": 21}, ROOMY)).value == 42
    echoed = await invoke(iso.Echo(prefix="#"), {"text": "hi"}, ROOMY)
    assert echoed.content.startswith("# hi (pid ")  # the instance's state went along
    assert str(os.getpid()) not in echoed.content
    greeted = await invoke(iso.with_deps, {"name": "Ada"}, ROOMY, RunContext(deps="Hello"))
    assert greeted.value == "Hello, Ada"


async def test_a_tool_that_exceeds_its_memory_limit_fails_typed(iso: ModuleType) -> None:
    """Allocating past the limit ends the call with ToolMemoryExceeded, not a crash of the caller."""
    seen: list[Any] = []
    ctx = RunContext(deps=None, events=EventEmitter("r", sinks=[seen.append]), tool_call_id="c1")
    policy = ModePolicy(
        force="isolated", limits=IsolationLimits(timeout=120, max_memory=64 * 2**20)
    )
    outcome = await invoke(iso.greedy, {"megabytes": 1024}, policy, ctx)
    assert outcome.status == "error"
    assert isinstance(outcome.error, ToolMemoryExceeded)
    assert outcome.error.limit == 64 * 2**20
    assert "exceeded its memory limit of 64 MiB" in str(outcome.error)
    (failed,) = [e for e in seen if isinstance(e, ToolCallFailed)]
    assert (failed.mode, failed.reason) == ("isolated", "exception")
    assert "The tool failed" in outcome.content  # the model learns nothing of the internals
    # Within the limit, the same tool succeeds.
    assert (await invoke(iso.greedy, {"megabytes": 8}, policy)).value == 8 * 2**20


async def test_a_tool_that_exceeds_its_time_limit_is_killed_and_times_out(iso: ModuleType) -> None:
    """Past the wall-time limit the subprocess is killed and the call ends as a timeout."""
    policy = ModePolicy(force="isolated", limits=IsolationLimits(timeout=3, max_memory=None))
    outcome = await invoke(iso.sleepy, {"seconds": 600}, policy)
    assert outcome.status == "timeout"
    assert isinstance(outcome.error, ToolTimeout)
    assert outcome.content == "The tool sleepy timed out after 3s."


async def test_processes_the_tool_started_die_with_it(iso: ModuleType, tmp_path: Path) -> None:
    """A grandchild process the tool started is killed with the tool's process group."""
    pid_file = tmp_path / "child.pid"
    policy = ModePolicy(force="isolated", limits=IsolationLimits(timeout=5))
    outcome = await invoke(iso.spawner, {"pid_file": str(pid_file)}, policy)
    assert outcome.status == "timeout"
    grandchild = int(pid_file.read_text())
    assert await _gone(grandchild)


async def _gone(process_id: int) -> bool:
    """Whether the process is dead (gone, or a zombie waiting to be reaped), allowing the kernel a moment."""
    for _ in range(200):
        try:
            status = await anyio.Path(f"/proc/{process_id}/status").read_text()
        except FileNotFoundError:
            return True
        if "\nState:\tZ" in status or "\nState:\tX" in status:
            return True
        await anyio.sleep(0.05)
    return False


async def test_tool_failures_and_crashes_come_back_typed(iso: ModuleType) -> None:
    """ToolFailed reaches the model as usual; an exception keeps its type; a dead subprocess is ToolCrashed."""
    seen: list[Any] = []
    ctx = RunContext(deps=None, events=EventEmitter("r", sinks=[seen.append]), tool_call_id="c")
    failed = await invoke(iso.refuses, {"reason": "not today"}, ROOMY, ctx)
    assert (failed.status, failed.content) == ("failed", "not today")
    crashed = await invoke(iso.crashes, {}, ROOMY, ctx)
    assert isinstance(crashed.error, ToolExecutionError)
    assert crashed.error.exception_type == "KeyError"
    (event,) = [e for e in seen if isinstance(e, ToolCallFailed) and e.tool_name == "crashes"]
    assert "_isolated_tools.py" in (
        event.traceback or ""
    )  # the child's traceback, for the developer
    died = await invoke(iso.dies, {}, ROOMY)
    assert isinstance(died.error, ToolCrashed)
    assert died.error.returncode == 3
    assert isinstance(died.error, IsolationError)


async def test_tools_a_subprocess_cannot_load_are_refused_with_the_reason(iso: ModuleType) -> None:
    """Code defined in a function body, unpicklable deps or a vanished module give ToolNotIsolatable."""

    @tool
    def local(x: int) -> int:
        """Defined in a test body."""
        return x

    outcome = await invoke(local, {"x": 1}, ROOMY)
    assert isinstance(outcome.error, ToolNotIsolatable)
    assert "define it at module level" in outcome.error.reason
    unpicklable = await invoke(iso.with_deps, {"name": "x"}, ROOMY, RunContext(deps=_Unpicklable()))
    assert isinstance(unpicklable.error, ToolNotIsolatable)
    assert "cannot be pickled" in unpicklable.error.reason


class _Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("no pickling")


def test_errors_survive_pickling_with_their_fields() -> None:
    """The sandbox's errors carry typed fields through pickle, like every agentkit error."""
    for error in (
        ToolMemoryExceeded(tool_name="t", limit=1024),
        ToolCrashed(tool_name="t", returncode=-9, stderr="boom"),
        ToolCrashed(tool_name="t", returncode=-999),
        ToolNotIsolatable(tool_name="t", reason="r"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), str(copy)) == (type(error), str(error))
    assert "killed by signal SIGKILL" in str(ToolCrashed(tool_name="t", returncode=-9))
    assert "boom" in str(ToolCrashed(tool_name="t", returncode=-9, stderr="boom"))


def test_an_agent_runs_a_tool_isolated_and_records_the_mode(iso: ModuleType) -> None:
    """Through an Agent, an isolated tool's result reaches the model and its events say isolated."""
    call = ToolCallPart(id="c1", name="add", arguments='{"a": 20, "b": 22}')
    isolated = with_mode(iso.add, "isolated", limits=IsolationLimits(timeout=120))
    agent = Agent(FakeProvider([[call], "42"]), tools=[isolated])
    result = agent.run_sync("add")
    assert "42" in result.messages[3].parts[0].content
    (done,) = [e for e in result.events if isinstance(e, ToolCallSucceeded)]
    assert done.mode == "isolated"


def test_the_child_serves_each_kind_of_request(iso: ModuleType) -> None:
    """The subprocess's request handler, in process: results, errors, memory and unloadable code as replies."""
    from agentkit.sandbox._child import _serve

    def serve(module: str, qualname: str, kind: str, *args: Any, **kwargs: Any) -> Any:
        return _serve(pickle.dumps((module, qualname, kind, None, args, kwargs)), None)

    assert serve("_isolated_tools", "add", "function", a=1, b=2) == ("ok", 3)
    assert serve("_isolated_tools", "async_double", "function", x=2) == ("ok", 4)
    assert serve("_isolated_tools", "out_of_memory", "function") == ("memory",)
    kind, error, trace = serve("_isolated_tools", "crashes", "function")
    assert (kind, type(error), "KeyError" in trace) == ("error", KeyError, True)
    assert serve("_isolated_tools", "nothing_here", "function")[0] == "not_isolatable"
    args = iso.EchoArgs(text="x")
    state = {"prefix": "!"}
    reply = _serve(
        pickle.dumps(("_isolated_tools", "Echo", "method", state, (args, None), {})), None
    )
    assert reply[0] == "ok"
    assert reply[1].startswith("! x")


def test_replies_the_parent_cannot_use_are_typed_failures() -> None:
    """Garbage on the reply channel is a crash; a result that could not be pickled back is an IsolationError."""
    from agentkit.sandbox._isolate import _decode

    limits = IsolationLimits()
    with pytest.raises(ToolCrashed, match="exit status 0"):
        _decode("t", b"not a pickle", 0, "", limits)
    with pytest.raises(IsolationError, match="cannot be pickled back"):
        _decode(
            "t",
            pickle.dumps(("unsendable", "the tool's result cannot be pickled back")),
            0,
            "",
            limits,
        )
    with pytest.raises(ToolNotIsolatable, match="no module"):
        _decode("t", pickle.dumps(("not_isolatable", "no module")), 0, "", limits)


async def test_code_in_main_cannot_be_isolated() -> None:
    """A tool defined in __main__ (a script, a notebook) is refused with the way out."""

    def script_tool(x: int) -> int:
        return x

    script_tool.__module__ = "__main__"
    script_tool.__qualname__ = "script_tool"
    outcome = await invoke(tool(script_tool), {"x": 1}, ROOMY)
    assert isinstance(outcome.error, ToolNotIsolatable)
    assert "move it to a module" in outcome.error.reason
