"""What each Claude model accepts: capability profiles, thinking and sampling rules."""

from __future__ import annotations

import re

from agentkit.providers._base import (
    ModelProfile,
)

DEFAULT_MAX_TOKENS = 4096
"""``max_tokens`` sent when ``ModelSettings.max_tokens`` is unset (Anthropic requires the field)."""


_NO_THINKING_PREFIXES = (
    "claude-2",
    "claude-instant",
    "claude-3-haiku",
    "claude-3-sonnet",
    "claude-3-opus",
    "claude-3-5-",
)
"""Models without extended thinking: every Claude before 3.7 (Anthropic's "extended thinking" model list).
Newer and unknown models are assumed to think, so a new model name never blocks ``thinking``."""


_GENERATION = re.compile(r"^claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=-|$)")
"""``claude-<family>-<major>[-<minor>]``: a minor has one or two digits (``-20250514`` is a date)."""


def anthropic_profile(model: str) -> ModelProfile:
    """The capability profile of an Anthropic model.

    Tools use the ``anthropic`` dialect, the system prompt is top-level, every ``tool_choice`` is accepted, and
    ``reasoning`` is set for the models with extended thinking. Claude 4.1 and later (Opus 4.1, Sonnet 4.5, Haiku
    4.5 and newer) refuse ``temperature`` and ``top_p`` together ("cannot both be specified for this model"), so
    their profile has ``sampling="one"`` and setting both is a `UsageError` before anything is sent.

    Examples:
        >>> anthropic_profile("claude-sonnet-4-5").reasoning, anthropic_profile("claude-3-5-haiku-latest").reasoning
        (True, False)
        >>> anthropic_profile("claude-haiku-4-5").system_role
        'top-level'
        >>> anthropic_profile("claude-sonnet-4-5").sampling, anthropic_profile("claude-sonnet-4-20250514").sampling
        ('one', True)
    """
    return ModelProfile(
        dialect="anthropic",
        parallel_tool_calls=True,
        tool_choice=frozenset({"auto", "none", "required", "named"}),
        stream_usage=True,
        system_role="top-level",
        reasoning=not model.startswith(_NO_THINKING_PREFIXES),
        sampling="one" if _one_sampling_knob(model) else True,
        json_schema_output=False,
        seed=False,
        # image and document blocks, in user turns and inside tool_result content; no audio input.
        media_input=frozenset({"image", "document"}),
        media_in_tool_results=frozenset({"image", "document"}),
    )


def _one_sampling_knob(model: str) -> bool:
    """Whether ``model`` takes ``temperature`` or ``top_p`` but not both (Claude 4.1 and later)."""
    match = _GENERATION.match(model)
    if match is None:
        return False
    major, minor = int(match.group(1)), int(match.group(2) or 0)
    return major > 4 or (major == 4 and minor >= 1)
