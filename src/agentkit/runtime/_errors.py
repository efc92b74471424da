"""Errors that end an agent run; defined in `agentkit.exceptions` with the rest of the tree."""

from __future__ import annotations

from agentkit.exceptions import (
    BudgetExceeded,
    LimitName,
    OutputRetriesExhausted,
    RunRetriesExhausted,
)

__all__ = ("BudgetExceeded", "LimitName", "OutputRetriesExhausted", "RunRetriesExhausted")
