"""`OpenAICompatibleProvider`: any server that speaks Chat Completions, described by a `ServerInfo`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from agentkit.exceptions import UsageError
from agentkit.providers._http import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
)
from agentkit.providers.openai._profiles import SERVER_PROFILES
from agentkit.providers.openai._provider import OpenAIChatProvider

if TYPE_CHECKING:
    import httpx
    from pydantic import SecretStr

    from agentkit._clock import Clock
    from agentkit.providers._base import (
        ModelProfile,
    )


class OpenAICompatibleProvider(OpenAIChatProvider):
    """A server that speaks OpenAI Chat Completions: vLLM, Ollama, Groq, Mistral, OpenRouter, DeepSeek...

    ``server`` picks the capability profile, default base URL and API-key variable from `SERVER_PROFILES`;
    ``"generic"`` (the default) needs ``base_url`` and assumes only what every such server accepts. Keys are
    optional for local servers (``ollama``, ``vllm``, ``generic``). Errors and responses name the server
    (``provider="groq"``), so reasoning kept for one server is never sent to another.

    Args:
        model: The model name as the server spells it.
        server: One of `SERVER_PROFILES`.
        api_key: The key; the server's environment variable when omitted.
        base_url: API root; the server's default when omitted.
        http_client: An ``httpx.AsyncClient`` or ``httpx2.AsyncClient`` to use (the caller keeps owning it).
        profile: Overrides the server's profile.
        timeout: Bounds each whole call, seconds (see `HttpProvider`).
        idle_timeout: The longest silence between two chunks, seconds.
        max_body_bytes: The largest response body read.
        max_line_bytes: The largest single stream line.
        clock: Where ``Retry-After`` dates are compared to.

    Examples:
        >>> p = OpenAICompatibleProvider("deepseek-reasoner", server="deepseek", api_key="sk-test")
        >>> p.system, p.base_url, p.profile.reasoning_field, p.profile.max_tokens_field
        ('deepseek', 'https://api.deepseek.com/v1', 'reasoning_content', 'max_tokens')
        >>> p
        OpenAICompatibleProvider(model='deepseek-reasoner', base_url='https://api.deepseek.com/v1', api_key='***')
    """

    system: str = "openai-compatible"
    default_base_url: ClassVar[str] = ""
    api_key_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False
    default_max_tokens_field: ClassVar[str] = "max_tokens"

    def __init__(
        self,
        model: str,
        *,
        server: Literal[
            "vllm",
            "ollama",
            "groq",
            "mistral",
            "openrouter",
            "deepseek",
            "cerebras",
            "gemini-openai",
            "huggingface",
            "generic",
        ]
        | str = "generic",
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        http_client: Any = None,
        profile: ModelProfile | None = None,
        timeout: float | httpx.Timeout | None = None,
        idle_timeout: float | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        clock: Clock | None = None,
    ) -> None:
        info = SERVER_PROFILES.get(server)
        if info is None:
            import difflib

            close = difflib.get_close_matches(server, list(SERVER_PROFILES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"unknown OpenAI-compatible server {server!r}{hint} known: {', '.join(SERVER_PROFILES)}"
            )
        if api_key is None and info.api_key_env:
            api_key = os.environ.get(info.api_key_env) or None
        if api_key is None and info.requires_api_key:
            raise UsageError(
                f"the {server} server needs an API key: pass api_key=... or set {info.api_key_env}"
            )
        base_url = base_url or info.base_url
        if not base_url:
            raise UsageError(
                f"OpenAICompatibleProvider(server={server!r}) needs base_url=..., e.g. 'http://localhost:8000/v1'"
            )
        self.server = server
        self._server_profile = info.profile
        # One class serves many servers: errors, usage and reasoning parts carry the server's own name.
        self.system = (
            "openai-compatible" if server == "generic" else server
        )  # per-instance gen_ai.system
        options: dict[str, Any] = {}
        if clock is not None:
            options["clock"] = clock
        super().__init__(
            model,
            api_key=api_key,
            base_url=base_url,
            http_client=http_client,
            profile=profile,
            timeout=timeout,
            idle_timeout=idle_timeout,
            max_body_bytes=max_body_bytes,
            max_line_bytes=max_line_bytes,
            **options,
        )

    def default_profile(self, model: str) -> ModelProfile:
        """The server's profile (models behind one server share it; pass ``profile=`` to refine).

        Examples:
            >>> OpenAICompatibleProvider("llama3.2", server="ollama").profile.tool_choice
            frozenset({'auto'})
        """
        return self._server_profile
