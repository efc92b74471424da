"""The agent runtime: ``Agent``, the loop, limits, approvals, streaming and routing.

An `Agent` sends the conversation and its tools' contracts to a provider, executes the tool calls that come
back (concurrently, within timeouts and budgets), returns the results or repair hints to the model, and repeats
until the model gives its final answer, typed as ``output_type``. Every step emits a typed event.

Examples:
    >>> from agentkit.runtime import Agent
    >>> from agentkit.testing import FakeProvider
    >>> Agent(FakeProvider(["Hi!"])).run_sync("Hello").output
    'Hi!'
"""

from __future__ import annotations

from agentkit.runtime._agent import Agent, AgentStream, PromptLike, RenderedPromptLike
from agentkit.runtime._capture import CapturedEvents, capture_events
from agentkit.runtime._errors import (
    BudgetExceeded,
    LimitName,
    OutputRetriesExhausted,
    RunRetriesExhausted,
)
from agentkit.runtime._loop import SEQUENTIAL_TAG, TOOL_OUTPUT_NOTICE, is_approved
from agentkit.runtime._output import DEFAULT_OUTPUT_TOOL
from agentkit.runtime._router import (
    DEFAULT_ESCALATE_ON,
    EscalateIf,
    Route,
    Router,
    Tier,
    TierAttempt,
    Tiered,
    TieredResult,
)
from agentkit.runtime._types import (
    ApprovalDecision,
    Limits,
    PendingApproval,
    PendingCall,
    PromptInfo,
    RunResult,
    approve,
    reject,
)

__all__ = (
    "DEFAULT_ESCALATE_ON",
    "DEFAULT_OUTPUT_TOOL",
    "SEQUENTIAL_TAG",
    "TOOL_OUTPUT_NOTICE",
    "Agent",
    "AgentStream",
    "ApprovalDecision",
    "BudgetExceeded",
    "CapturedEvents",
    "EscalateIf",
    "LimitName",
    "Limits",
    "OutputRetriesExhausted",
    "PendingApproval",
    "PendingCall",
    "PromptInfo",
    "PromptLike",
    "RenderedPromptLike",
    "Route",
    "Router",
    "RunResult",
    "RunRetriesExhausted",
    "Tier",
    "TierAttempt",
    "Tiered",
    "TieredResult",
    "approve",
    "capture_events",
    "is_approved",
    "reject",
)
