"""Providers: one interface to every model API, spoken over plain httpx.

``infer_provider("openai:gpt-4.1")`` builds a provider from a string and imports only the adapter it needs.
Adapters live in their own modules (``agentkit.providers.openai``, ``.openai_responses``, ``.anthropic``,
``.gemini``); importing this package loads none of them, nor httpx.

Examples:
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest, ModelSettings
    >>> ModelRequest(messages=[Message.user("hi")], settings=ModelSettings(temperature=0)).settings.temperature
    0
"""

from __future__ import annotations

from agentkit.providers._base import (
    FinishReason,
    ModelProfile,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    NamedToolChoice,
    OutputFormat,
    Provider,
    ReasoningDelta,
    ResponseBuilder,
    StreamDone,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolChoice,
    resolve_tool_choice,
)
from agentkit.providers._infer import PROVIDER_PREFIXES, infer_provider
from agentkit.providers._pricing import DEFAULT_PRICES, ModelPrice, PriceTable

__all__ = (
    "DEFAULT_PRICES",
    "PROVIDER_PREFIXES",
    "FinishReason",
    "ModelPrice",
    "ModelProfile",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "NamedToolChoice",
    "OutputFormat",
    "PriceTable",
    "Provider",
    "ReasoningDelta",
    "ResponseBuilder",
    "StreamDone",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
    "ToolChoice",
    "infer_provider",
    "resolve_tool_choice",
)
