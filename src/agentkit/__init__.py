"""agentkit: typed tool contracts for LLM agents.

Define a tool once, validate a model's arguments at the speed of pydantic-core, turn bad calls into repair hints
the model can act on, and keep every tool in a versioned registry.

``import agentkit`` is light: names are loaded on first use, and nothing optional (nor httpx or jsonschema) is
imported until a feature needs it.

Examples:
    >>> import anyio
    >>> import agentkit
    >>> @agentkit.tool
    ... def add(a: int, b: int) -> int:
    ...     '''Add two integers.'''
    ...     return a + b
    >>> anyio.run(add.invoke_json, '{"a": 1, "b": 2}').content
    '3'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import (
    AgentkitError,
    AgentkitSignal,
    ApprovalRequired,
    InvalidToolArguments,
    RetryWithFeedback,
    RunError,
    ToolError,
    ToolFailed,
    UsageError,
)

if TYPE_CHECKING:
    from agentkit._clock import Clock, SystemClock
    from agentkit.events import Event, EventEmitter
    from agentkit.messages import Message, Usage
    from agentkit.prompts import Prompt, PromptRegistry
    from agentkit.registry import Registry, Toolset
    from agentkit.runtime import Agent, BudgetExceeded, Limits, RunResult
    from agentkit.tools import (
        FunctionTool,
        JsonSchemaTool,
        RunContext,
        Sensitive,
        Tool,
        ToolAnnotations,
        ToolContract,
        ToolOutcome,
        tool,
    )

__version__ = "0.1.0.dev0"

# A library never prints by itself: agentkit._log attaches a NullHandler when the first module that logs loads.

__all__ = (
    "Agent",
    "AgentkitError",
    "AgentkitSignal",
    "ApprovalRequired",
    "BudgetExceeded",
    "Clock",
    "Event",
    "EventEmitter",
    "FunctionTool",
    "InvalidToolArguments",
    "JsonSchemaTool",
    "Limits",
    "Message",
    "Prompt",
    "PromptRegistry",
    "Registry",
    "RetryWithFeedback",
    "RunContext",
    "RunError",
    "RunResult",
    "Sensitive",
    "SystemClock",
    "Tool",
    "ToolAnnotations",
    "ToolContract",
    "ToolError",
    "ToolFailed",
    "ToolOutcome",
    "Toolset",
    "Usage",
    "UsageError",
    "__version__",
    "tool",
)

_LAZY = {
    "Agent": "agentkit.runtime",
    "BudgetExceeded": "agentkit.exceptions",
    "Limits": "agentkit.runtime",
    "RunResult": "agentkit.runtime",
    "Clock": "agentkit._clock",
    "SystemClock": "agentkit._clock",
    "Event": "agentkit.events",
    "EventEmitter": "agentkit.events",
    "Message": "agentkit.messages",
    "Usage": "agentkit.messages",
    "Prompt": "agentkit.prompts",
    "PromptRegistry": "agentkit.prompts",
    "Registry": "agentkit.registry",
    "Toolset": "agentkit.registry",
    "FunctionTool": "agentkit.tools",
    "JsonSchemaTool": "agentkit.tools",
    "RunContext": "agentkit.tools",
    "Sensitive": "agentkit.tools",
    "Tool": "agentkit.tools",
    "ToolAnnotations": "agentkit.tools",
    "ToolContract": "agentkit.tools",
    "ToolOutcome": "agentkit.tools",
    "tool": "agentkit.tools",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
