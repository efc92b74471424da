"""``isolated`` mode, the parent's side: one subprocess per call, with a wall-time and a memory limit.

The child (`agentkit.sandbox._child`) runs in a new session, so the call's processes form one process group: at the
end of the call, whatever happened (an answer, a timeout, a cancellation, a crash), the whole group is killed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import anyio

from agentkit.exceptions import ToolTimeout
from agentkit.sandbox._errors import (
    IsolationError,
    ToolCrashed,
    ToolMemoryExceeded,
    ToolNotIsolatable,
)
from agentkit.tools import RunContext
from agentkit.tools._base import _CALL_DICT, _CALL_KWARGS, _CALL_KWARGS_CTX, _CALL_MODEL
from agentkit.tools._function import FunctionTool

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentkit.sandbox._policy import IsolationLimits
    from agentkit.tools import Tool
    from agentkit.tools._base import _ToolSpec

__all__ = ("isolated_call",)

_STDERR_TAIL = 8192
_INSTANCE_SKIP = frozenset({"_spec", "execution_mode", "execution_limits"})


class ChildTraceback(Exception):
    """The traceback of an exception raised in the isolated subprocess (the cause of the one raised here)."""


def isolated_call(
    item: Tool[Any, Any], spec: _ToolSpec, limits: IsolationLimits
) -> Callable[..., Any]:
    """The call of a substitute tool (``_CALL_MODEL`` convention) that runs ``item`` in a subprocess."""

    async def call(_self: Any, args: Any, ctx: RunContext[Any]) -> Any:
        payload = _request(item, spec, args, ctx)
        return await _run_child(spec.name, payload, limits)

    return call


def _request(item: Tool[Any, Any], spec: _ToolSpec, args: Any, ctx: RunContext[Any]) -> bytes:
    """What the child needs, pickled: where the code is, the instance's state, the arguments."""
    name = spec.name
    mode = spec.call_mode
    state: dict[str, Any] | None = None
    call_args: tuple[Any, ...] = ()
    call_kwargs: dict[str, Any] = {}
    if isinstance(item, FunctionTool):
        code: Any = item.func
        kind = "function"
    elif mode == _CALL_MODEL:
        code = type(item)
        kind = "method"
        state = {k: v for k, v in vars(item).items() if k not in _INSTANCE_SKIP}
    elif mode == _CALL_DICT:
        code = spec.call
        kind = "handler"
    else:  # pragma: no cover - every tool kind is one of the above
        raise ToolNotIsolatable(
            tool_name=name, reason=f"unsupported tool type {type(item).__name__}"
        )
    module = getattr(code, "__module__", None)
    qualname = getattr(code, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise ToolNotIsolatable(
            tool_name=name,
            reason=f"{code!r} has no importable name; define the tool's code at module level",
        )
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise ToolNotIsolatable(
            tool_name=name,
            reason=f"{module}.{qualname} is defined inside a function; define it at module level",
        )
    if module == "__main__":
        raise ToolNotIsolatable(
            tool_name=name,
            reason=f"{qualname} is defined in __main__, which the subprocess cannot import; "
            "move it to a module",
        )
    child_ctx = RunContext(deps=ctx.deps, run_id=ctx.run_id, tool_call_id=ctx.tool_call_id)
    if kind == "function":
        call_kwargs = dict(args)
        if mode == _CALL_KWARGS_CTX and spec.ctx_param is not None:
            call_kwargs[spec.ctx_param] = child_ctx
        elif mode != _CALL_KWARGS:  # pragma: no cover - function tools use one of the two
            raise ToolNotIsolatable(tool_name=name, reason="unsupported call convention")
    else:
        call_args = (args, child_ctx)
    try:
        return pickle.dumps((module, qualname, kind, state, call_args, call_kwargs))
    except Exception as exc:
        raise ToolNotIsolatable(
            tool_name=name,
            reason=f"its arguments, state or the run's deps cannot be pickled ({type(exc).__name__}: {exc})",
        ) from exc


async def _run_child(name: str, payload: bytes, limits: IsolationLimits) -> Any:
    message = pickle.dumps((list(sys.path), limits.max_memory, payload))
    process = await anyio.open_process(
        [sys.executable, "-m", "agentkit.sandbox._child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
    out = bytearray()
    err = bytearray()

    async def drain_stderr() -> None:
        async for chunk in stderr:
            err.extend(chunk)
            del err[:-_STDERR_TAIL]

    try:
        with anyio.move_on_after(limits.timeout) as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(drain_stderr)
                try:
                    await stdin.send(message)
                    await stdin.aclose()
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    pass  # it died before reading: its status says why
                async for chunk in stdout:
                    out.extend(chunk)
                await process.wait()
                # A process the tool started may still hold stderr open: stop reading it.
                tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            _kill_group(process)
            await process.wait()
            await process.aclose()
    if scope.cancelled_caught:
        assert limits.timeout is not None
        raise ToolTimeout(tool_name=name, timeout=limits.timeout)
    return _decode(name, bytes(out), process.returncode, err.decode(errors="replace"), limits)


def _kill_group(process: Any) -> None:
    """Kill the subprocess and every process in its group (the tool's own children)."""
    if os.name == "posix":
        # ProcessLookupError: gone already, group and all.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, 9)  # SIGKILL
    elif process.returncode is None:  # pragma: no cover - Windows: no process groups here
        process.kill()


def _decode(
    name: str, out: bytes, returncode: int | None, stderr: str, limits: IsolationLimits
) -> Any:
    try:
        reply = pickle.loads(out) if out else None
    except Exception:
        reply = None
    if not isinstance(reply, tuple) or not reply:
        raise ToolCrashed(tool_name=name, returncode=returncode, stderr=stderr)
    kind = reply[0]
    if kind == "ok":
        return reply[1]
    if kind == "error":
        exc, tb = reply[1], reply[2]
        raise exc from ChildTraceback(tb)
    if kind == "memory":
        raise ToolMemoryExceeded(tool_name=name, limit=limits.max_memory or 0)
    if kind == "not_isolatable":
        raise ToolNotIsolatable(tool_name=name, reason=reply[1])
    # "unsendable": the result or the exception could not be pickled back
    raise IsolationError(str(reply[1]), tool_name=name)
