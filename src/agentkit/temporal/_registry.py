"""Which agents a worker serves, by task queue: the workflow finds its agent here (in the worker's process)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.runtime import Agent

__all__ = ("REPLAY_PREFIX", "lookup", "register")

_AGENTS: dict[str, dict[str, Agent[Any, Any]]] = {}
REPLAY_PREFIX = "replay-"
"""Temporal's replayer runs workflows on a task queue of its own, named with this prefix."""
_LOCK = threading.Lock()


def register(task_queue: str, agents: Mapping[str, Agent[Any, Any]]) -> None:
    """Serve ``agents`` on ``task_queue`` in this process."""
    with _LOCK:
        _AGENTS.setdefault(task_queue, {}).update(agents)


def lookup(task_queue: str, name: str) -> Agent[Any, Any]:
    """The agent ``name`` on ``task_queue``; a `LookupError` names the ones served.

    Temporal's replayer runs on a queue of its own: `agentkit.temporal.replayer` registers its agents for it.
    """
    with _LOCK:
        served = _AGENTS.get(task_queue, {})
        if not served and task_queue.startswith(REPLAY_PREFIX):
            served = _AGENTS.get(REPLAY_PREFIX, {})
        try:
            return served[name]
        except KeyError:
            anywhere = {
                id(a): a for queue in _AGENTS.values() for n, a in queue.items() if n == name
            }
            if len(anywhere) == 1:
                return next(iter(anywhere.values()))
            raise LookupError(
                f"no agent named {name!r} on task queue {task_queue!r} in this worker "
                f"(it serves {sorted(served)})"
            ) from None
