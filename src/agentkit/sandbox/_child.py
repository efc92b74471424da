"""``isolated`` mode, the child's side: ``python -m agentkit.sandbox._child``, one tool call, then exit.

Reads one pickled request on stdin, runs the call under its memory limit, writes one pickled reply on the
original stdout (the tool's own prints go to stderr), and exits.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import pickle
import sys
import traceback
from typing import Any

__all__ = ("main",)


def main() -> None:
    """Serve one request."""
    reply_to = os.fdopen(os.dup(1), "wb")  # not inherited by processes the tool starts
    os.dup2(2, 1)  # what the tool prints goes to stderr, never into the reply
    paths, max_memory, payload = pickle.loads(sys.stdin.buffer.read())
    sys.path[:0] = [p for p in paths if p not in sys.path]
    reply = _serve(payload, max_memory)
    try:
        blob = pickle.dumps(reply)
    except MemoryError:
        blob = pickle.dumps(("memory",))
    except Exception as exc:
        what = "result" if reply[0] == "ok" else "exception"
        blob = pickle.dumps(
            (
                "unsendable",
                f"the tool's {what} cannot be pickled back ({type(exc).__name__}: {exc})",
            )
        )
    reply_to.write(blob)
    reply_to.flush()


def _serve(payload: bytes, max_memory: int | None) -> tuple[Any, ...]:
    try:
        module, qualname, kind, state, args, kwargs = pickle.loads(payload)
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception as exc:
        return ("not_isolatable", f"the subprocess cannot load it ({type(exc).__name__}: {exc})")
    func = getattr(target, "func", None)
    if kind == "function" and func is not None and callable(func):
        target = func  # the module holds the FunctionTool made by @tool: call its function
    if kind == "method":
        instance = target.__new__(target)
        instance.__dict__.update(state or {})
        fn: Any = target.run
        args = (instance, *args)
    else:
        fn = target
    _limit_memory(max_memory)
    try:
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            import anyio

            async def wait() -> Any:
                return await result

            result = anyio.run(wait)
        return ("ok", result)
    except MemoryError:
        return ("memory",)
    except BaseException as exc:
        return (
            "error",
            exc,
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        )


def _limit_memory(max_memory: int | None) -> None:
    """Allow ``max_memory`` more bytes of address space than the process uses now (Linux; best effort elsewhere)."""
    if max_memory is None:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # pragma: no cover - no /proc (macOS)
        used = 0
    limit = used + max_memory
    with contextlib.suppress(ValueError, OSError):  # a platform that refuses it: no limit
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    main()
