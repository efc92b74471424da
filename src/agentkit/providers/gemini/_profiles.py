"""What each Gemini model accepts: capability profiles."""

from __future__ import annotations

from agentkit.providers._base import (
    ModelProfile,
)
from agentkit.providers.gemini._wire import _ALL_CHOICES

# Gemini's "thinking" models, per the Gemini API thinking guide: the 2.5 and 3 families (and the 2.0 Flash
# Thinking experiment). Older models do not reason and report no thoughtsTokenCount.
_REASONING_PREFIXES = ("gemini-2.5", "gemini-3", "gemini-2.0-flash-thinking")


_NO_REASONING_PREFIXES = ("gemini-1", "gemini-2.0", "gemini-pro", "gemma")
"""Models known not to think; any other name (a newer family) is assumed to, so it never blocks thinkingConfig."""


def gemini_profile(model: str) -> ModelProfile:
    """The capability profile of a Gemini model.

    Every Gemini model takes tools through the ``gemini`` dialect, its system prompt as the top-level
    ``systemInstruction``, all four tool choices (``AUTO``, ``NONE``, ``ANY``, ``ANY`` + one allowed name), JSON
    Schema output, a ``seed`` and reports usage in every stream chunk; there is no ``parallel_tool_calls`` switch.
    Only the 2.5 and 3 families reason (thinking).

    Examples:
        >>> gemini_profile("gemini-3-pro-preview").reasoning, gemini_profile("models/gemini-2.0-flash").reasoning
        (True, False)
    """
    name = model.rsplit("/", 1)[-1].lower()
    return ModelProfile(
        dialect="gemini",
        parallel_tool_calls=False,
        tool_choice=_ALL_CHOICES,
        stream_usage=True,
        system_role="top-level",
        reasoning=name.startswith(_REASONING_PREFIXES)
        or not name.startswith(_NO_REASONING_PREFIXES),
        json_schema_output=True,
        seed=True,
    )
