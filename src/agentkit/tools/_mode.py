"""The execution mode of the tool call running now, and the mode runs started in this context default to.

Both live here, below the runtime, so the tools layer can tag its events with the mode and the runtime can read
the default that `agentkit.sandbox.use_mode` sets, without either importing `agentkit.sandbox`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Literal

__all__ = ("CALL_MODE", "MODES", "RUN_MODE", "Mode")

Mode = Literal["live", "dry_run", "mocked", "isolated"]
"""How a tool call is executed: ``live``, ``dry_run``, ``mocked`` or ``isolated``."""

MODES: tuple[Mode, ...] = ("live", "dry_run", "mocked", "isolated")

CALL_MODE: ContextVar[Mode] = ContextVar("agentkit_call_mode", default="live")
"""The mode of the tool call running in this context (its events record it)."""

RUN_MODE: ContextVar[Any] = ContextVar("agentkit_run_mode", default=None)
"""The mode (or ``ModePolicy``) of runs started in this context that choose none themselves."""
