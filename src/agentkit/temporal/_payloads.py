"""What crosses the workflow/activity boundary: plain dataclasses of JSON-friendly values.

Temporal's default data converter serializes dataclasses as JSON; agentkit's own types (messages, contracts,
events, requests) travel as JSON text made by pydantic, so they round-trip exactly.
"""

# No ``from __future__ import annotations`` here: Temporal's data converter reads these hints at run time
# (``typing.get_type_hints``), which older temporalio releases resolve outside this module's namespace.
from dataclasses import dataclass, field
from typing import Any

__all__ = (
    "EventBatch",
    "ModelCall",
    "ModelReturn",
    "RunInput",
    "RunOutput",
    "Snapshot",
    "SnapshotCall",
    "ToolCall",
    "ToolReturn",
)


@dataclass
class RunInput:
    """The workflow's input: which agent, on what, with which options."""

    agent: str
    run_id: str
    user_input: str | None = None
    history: str | None = None
    prompt_vars: Any = None
    heartbeat_timeout: float = 30.0


@dataclass
class SnapshotCall:
    """The first activity's input: what to fix in the workflow history."""

    agent: str
    run_id: str
    prompt_vars: Any = None


@dataclass
class Snapshot:
    """What the run uses, fixed in the history at its start: tool contracts and the instructions (or prompt)."""

    contracts: list[str]
    instructions: str | None = None
    prompt: str | None = None
    sensitive: list[str] = field(default_factory=list)


@dataclass
class ModelCall:
    """One model call: the request as JSON."""

    agent: str
    run_id: str
    step: int
    request: str


@dataclass
class ModelReturn:
    """The answer as JSON, and the events the call emitted."""

    response: str
    events: list[str] = field(default_factory=list)


@dataclass
class ToolCall:
    """One tool call, with the state the tool's retry budget needs and its idempotency key."""

    agent: str
    run_id: str
    name: str
    fingerprint: str
    arguments: str
    tool_call_id: str | None
    key: str
    retries: dict[str, int] = field(default_factory=dict)
    approved: bool = False


@dataclass
class ToolReturn:
    """The outcome of one tool call; ``approval`` is set when the tool asked for one instead."""

    status: str
    content: str = ""
    media: str = "[]"
    error: str | None = None
    retries: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    approval: str | None = None
    approval_details: dict[str, Any] | None = None


@dataclass
class EventBatch:
    """Events for the worker's sinks and stores (deduplicated by ``(run_id, seq)``)."""

    agent: str
    run_id: str
    events: list[str]


@dataclass
class RunOutput:
    """What the workflow returns: a `agentkit.runtime.RunResult` without its events (they are in the store)."""

    run_id: str
    status: str
    output: str
    messages: str
    usage: str
    steps: int
    tool_calls: int
    prompt: str | None = None
