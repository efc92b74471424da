"""What each OpenAI model and each OpenAI-compatible server accepts: capability profiles and `SERVER_PROFILES`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentkit.providers._base import (
    ModelProfile,
)
from agentkit.providers.openai._wire import _ALL_CHOICES

_OPENAI_DEFAULT = ModelProfile(dialect="openai-auto", max_tokens_field="max_completion_tokens")


_OPENAI_REASONING = ModelProfile(
    dialect="openai-auto",
    system_role="developer",
    reasoning=True,
    sampling=False,
    max_tokens_field="max_completion_tokens",
)


# First matching prefix wins. Facts: OpenAI's reasoning guide ("developer messages" replace system messages from
# o1-2024-12-17 on; reasoning models reject temperature/top_p) and the recording
# openai-chat/error-400-unsupported-system-role (o1-mini: "'messages[0].role' does not support 'system'").
# gpt-5 "chat" variants are not reasoning models.
_OPENAI_MODELS: tuple[tuple[str, ModelProfile], ...] = (
    ("gpt-5-chat", _OPENAI_DEFAULT),
    ("gpt-5", _OPENAI_REASONING),
    ("o1", _OPENAI_REASONING),
    ("o3", _OPENAI_REASONING),
    ("o4", _OPENAI_REASONING),
)


def _openai_profile(model: str) -> ModelProfile:
    name = model.rsplit("/", 1)[-1].lower()
    for prefix, profile in _OPENAI_MODELS:
        if name.startswith(prefix) and "-chat" not in name[len(prefix) :]:
            return profile
    return _OPENAI_DEFAULT


@dataclass(frozen=True)
class ServerInfo:
    """How to reach one OpenAI-compatible server, and what it supports.

    Attributes:
        profile: The capability profile.
        base_url: Default API root (``None``: the caller must pass ``base_url``).
        api_key_env: Environment variable holding the key.
        requires_api_key: Whether a key is needed (local servers need none).

    Examples:
        >>> SERVER_PROFILES["groq"].api_key_env
        'GROQ_API_KEY'
    """

    profile: ModelProfile
    base_url: str | None = None
    api_key_env: str | None = None
    requires_api_key: bool = True


SERVER_PROFILES: dict[str, ServerInfo] = {
    # vLLM docs, "Tool Calling": named function calling plus auto, required (vllm>=0.8.3) and none. No documented
    # strict mode or parallel_tool_calls switch, so neither is sent. Reasoning parsers emit reasoning_content.
    "vllm": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            reasoning_field="reasoning_content",
            max_tokens_field="max_tokens",
        ),
        base_url="http://localhost:8000/v1",
        api_key_env="VLLM_API_KEY",
        requires_api_key=False,
    ),
    # Ollama docs, "OpenAI compatibility": tools, response_format, seed, stream_options.include_usage are listed;
    # tool_choice is not (it is ignored, and the recording ollama-tool-call sends "auto"). Reasoning comes in
    # `reasoning` (fixtures ollama-tool-call, ollama-local-json-schema-output, which also shows json_schema works).
    "ollama": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=frozenset({"auto"}),
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="http://localhost:11434/v1",
        api_key_env="OLLAMA_API_KEY",
        requires_api_key=False,
    ),
    # Groq: tool_choice "required" works (fixture groq-parallel-tool-calls), reasoning in `reasoning` with
    # completion_tokens_details.reasoning_tokens (groq-reasoning-tokens); streams carry usage in the final chunk
    # without stream_options (groq-stream-error-event-tool-use-failed), so none is sent.
    "groq": ServerInfo(
        ModelProfile(
            dialect="openai",
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
    ),
    # Mistral: usage arrives in the last stream chunk unasked (mistral-stream-*.jsonl) and unknown fields are
    # rejected with 422 extra_forbidden (errors/transcribed-error-bodies.json), so no stream_options; the seed is
    # called random_seed there, so `seed` is not sent.
    "mistral": ServerInfo(
        ModelProfile(
            dialect="openai",
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            seed=False,
            max_tokens_field="max_tokens",
        ),
        base_url="https://api.mistral.ai/v1",
        api_key_env="MISTRAL_API_KEY",
    ),
    # OpenRouter: stream_options.include_usage honoured (openrouter-stream-*), reasoning in `reasoning` and
    # `reasoning_details` (openrouter-stream-comments-and-inline-error); errors may come inside a 200.
    "openrouter": ServerInfo(
        ModelProfile(
            dialect="openai",
            tool_choice=_ALL_CHOICES,
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
    ),
    # DeepSeek docs, "Thinking Mode": reasoning_content of turns that called tools must be passed back in all
    # later requests (else HTTP 400); the recording deepseek-parallel-tool-calls-thinking does so. Only
    # json_object output (no json_schema); no parallel_tool_calls or seed parameter documented.
    "deepseek": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            reasoning=True,
            reasoning_field="reasoning_content",
            reasoning_in_history=True,
            json_schema_output=False,
            seed=False,
            max_tokens_field="max_tokens",
        ),
        base_url="https://api.deepseek.com/v1",
        api_key_env="DEEPSEEK_API_KEY",
    ),
    # Cerebras API reference: max_completion_tokens, tool_choice none/auto/required/named. Stream usage and
    # parallel_tool_calls are not relied on. Plain text: fixture cerebras-plain-text.
    "cerebras": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            max_tokens_field="max_completion_tokens",
        ),
        base_url="https://api.cerebras.ai/v1",
        api_key_env="CEREBRAS_API_KEY",
    ),
    # Gemini's OpenAI endpoint: empty tool-call ids, thought signatures in extra_content.google and hidden
    # thinking tokens counted only in total_tokens (gemini-openai-compat-tool-calls-without-id).
    "gemini-openai": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=frozenset({"auto", "none", "required"}),
            seed=False,
            max_tokens_field="max_tokens",
        ),
        base_url="https://generativelanguage.googleapis.com/v1beta/openai",
        api_key_env="GEMINI_API_KEY",
    ),
    # Hugging Face router: tool_choice "required" answered with a call (huggingface-router-tool-choice-required).
    "huggingface": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="https://router.huggingface.co/v1",
        api_key_env="HF_TOKEN",
    ),
    # Anything else: only what every Chat-Completions server accepts.
    # xAI (Grok), docs "Function calling" and "Reasoning": tool_choice auto, required, none or a named function;
    # parallel calls are on by default under xAI's own switch (parallel_function_calling), so the OpenAI field is
    # never sent; grok-3-mini streams its reasoning in reasoning_content. No recorded traffic yet: nothing else is
    # assumed (no stream_options, the classic max_tokens field).
    "xai": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            reasoning_field="reasoning_content",
            max_tokens_field="max_tokens",
        ),
        base_url="https://api.x.ai/v1",
        api_key_env="XAI_API_KEY",
    ),
    "generic": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            stream_usage=False,
            max_tokens_field="max_tokens",
        ),
        api_key_env="OPENAI_COMPATIBLE_API_KEY",
        requires_api_key=False,
    ),
}
"""Server name -> `ServerInfo` (profile, default base URL, key variable), for `OpenAICompatibleProvider`."""


def _chat_profile_compat(**fields: Any) -> ModelProfile:
    """What ``ChatCompletionsProfile(...)`` built: its default ``max_tokens_field`` was ``max_completion_tokens``."""
    return ModelProfile(**{"max_tokens_field": "max_completion_tokens", **fields})
