"""OpenAI Chat Completions (``POST /chat/completions``) and the servers that speak it.

`OpenAIChatProvider` talks to api.openai.com; `OpenAICompatibleProvider` talks to vLLM, Ollama, Groq, Mistral,
OpenRouter, DeepSeek, Cerebras, Gemini's OpenAI endpoint, the Hugging Face router or any other server with the
same wire format, each described by a capability profile (`SERVER_PROFILES`) instead of guesses from model
names. Both build the request body from a neutral `ModelRequest`, parse answers and SSE streams into a neutral
`ModelResponse`, and translate every error once, here, into the ``ProviderError`` tree.

Examples:
    >>> from agentkit.providers.openai import OpenAIChatProvider, OpenAICompatibleProvider
    >>> OpenAIChatProvider("gpt-4.1", api_key="sk-test").profile.system_role
    'system'
    >>> OpenAIChatProvider("o3-mini", api_key="sk-test").profile.system_role
    'developer'
    >>> OpenAICompatibleProvider("llama3.2", server="ollama").base_url
    'http://localhost:11434/v1'
"""

from __future__ import annotations

from typing import Any

from agentkit.providers.openai._compatible import OpenAICompatibleProvider
from agentkit.providers.openai._profiles import SERVER_PROFILES, ServerInfo, _chat_profile_compat
from agentkit.providers.openai._provider import OpenAIChatProvider

__all__ = (
    "SERVER_PROFILES",
    "OpenAIChatProvider",
    "OpenAICompatibleProvider",
    "ServerInfo",
)


def __getattr__(name: str) -> Any:
    """``ChatCompletionsProfile``: a deprecated alias of `ModelProfile`, which now has every field it added."""
    if name == "ChatCompletionsProfile":
        import warnings

        warnings.warn(
            "agentkit.providers.openai.ChatCompletionsProfile is deprecated: use "
            "agentkit.providers.ModelProfile, which has max_tokens_field, sampling and reasoning_in_history",
            DeprecationWarning,
            stacklevel=2,
        )
        return _chat_profile_compat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
