"""What each model accepts on the Responses API: capability profiles."""

from __future__ import annotations

from typing import Any

from agentkit.providers._base import (
    ModelProfile,
)
from agentkit.providers.openai_responses._wire import _MEDIA

_DEFAULT = ModelProfile(
    dialect="openai-auto",
    system_role="top-level",
    seed=False,
    media_input=_MEDIA,
    media_in_tool_results=_MEDIA,
)


_REASONING = ModelProfile(
    dialect="openai-auto",
    system_role="top-level",
    seed=False,
    media_input=_MEDIA,
    media_in_tool_results=_MEDIA,
    reasoning=True,
    reasoning_in_history=True,
    sampling=False,
)


# First matching prefix wins; gpt-5 "chat" variants are not reasoning models.
_MODELS: tuple[tuple[str, ModelProfile], ...] = (
    ("gpt-5", _REASONING),
    ("o1", _REASONING),
    ("o3", _REASONING),
    ("o4", _REASONING),
)


def _responses_profile(model: str) -> ModelProfile:
    name = model.rsplit("/", 1)[-1].lower()
    for prefix, profile in _MODELS:
        if name.startswith(prefix) and "-chat" not in name[len(prefix) :]:
            return profile
    return _DEFAULT


def _responses_profile_compat(*, stateless: bool = False, **fields: Any) -> ModelProfile:
    """What ``OpenAIResponsesProfile(...)`` built: the Responses defaults, ``stateless`` as ``reasoning_in_history``."""
    defaults: dict[str, Any] = {"dialect": "openai-auto", "system_role": "top-level", "seed": False}
    return ModelProfile(**{**defaults, "reasoning_in_history": stateless, **fields})
