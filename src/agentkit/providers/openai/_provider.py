"""`OpenAIChatProvider`: the ``POST /chat/completions`` hooks over the HTTP driver.

The body is built in ``_request``, answers are parsed in ``_response``, streams assembled in ``_stream``, errors
mapped in ``_errors``; this class only composes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from agentkit.providers._http import ToolMapProvider
from agentkit.providers.openai._errors import with_upstream_words
from agentkit.providers.openai._profiles import _openai_profile
from agentkit.providers.openai._request import build_body
from agentkit.providers.openai._response import parse_completion
from agentkit.providers.openai._stream import _StreamState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.exceptions import ProviderError
    from agentkit.providers._base import ModelProfile, ModelRequest, ModelResponse
    from agentkit.tools.dialects import CompiledTool


class OpenAIChatProvider(ToolMapProvider):
    """OpenAI Chat Completions over plain httpx.

    Tools are compiled with the profile's dialect (``openai-auto``: strict where the schema allows), calls come
    back under their canonical names. Reasoning models (``o1``/``o3``/``o4``/``gpt-5``) get ``developer``
    messages and no ``temperature``/``top_p``. Nothing here retries.

    Args:
        model: The model name (``"gpt-4.1"``).
        api_key: The key; ``OPENAI_API_KEY`` when omitted.
        base_url: API root (default ``https://api.openai.com/v1``).
        http_client: An ``httpx.AsyncClient`` or ``httpx2.AsyncClient`` to use (the caller keeps owning it).
        profile: Overrides the capability profile.
        timeout: Bounds each whole call, seconds; ``idle_timeout``, ``max_body_bytes`` and ``max_line_bytes``
            are taken too (see `HttpProvider`).
        clock: Where ``Retry-After`` dates are compared to.

    Examples:
        >>> import anyio, httpx
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.testing._replay import ReplayTransport
        >>> replay = ReplayTransport.from_bodies([(200, {"id": "c1", "model": "gpt-4.1", "choices": [
        ...     {"message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}],
        ...     "usage": {"prompt_tokens": 9, "completion_tokens": 2}})])
        >>> provider = OpenAIChatProvider("gpt-4.1", api_key="sk-test",
        ...                               http_client=httpx.AsyncClient(transport=replay.mock()))
        >>> response = anyio.run(provider.complete, ModelRequest(messages=[Message.user("Capital of France?")]))
        >>> response.text, response.finish_reason, response.usage.total_tokens
        ('Paris.', 'stop', 11)
    """

    system: str = "openai"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    default_max_tokens_field: ClassVar[str] = "max_completion_tokens"
    path: ClassVar[str] = "/chat/completions"

    def default_profile(self, model: str) -> ModelProfile:
        """The profile of an OpenAI model: reasoning models get the ``developer`` role and no sampling knobs.

        Examples:
            >>> p = OpenAIChatProvider("gpt-5-mini", api_key="sk-test").profile
            >>> p.system_role, p.reasoning, p.sampling
            ('developer', True, False)
        """
        return _openai_profile(model)

    # ---------------------------------------------------------------------------------- hooks

    def build_body(
        self, request: ModelRequest, *, stream: bool = False
    ) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The JSON body for ``request`` and the compiled tools by wire name (to map calls back).

        Raises:
            UsageError: The request asks for something this server's profile does not support (a
                ``tool_choice`` value, JSON-Schema output) or names a tool it does not carry.

        Examples:
            >>> from agentkit.messages import Message
            >>> from agentkit.providers import ModelRequest
            >>> body, _ = OpenAIChatProvider("o3", api_key="sk-test").build_body(
            ...     ModelRequest(messages=[Message.system("Be brief."), Message.user("hi")]))
            >>> body["messages"][0]["role"], body["stream"]
            ('developer', False)
        """
        return build_body(self, request, stream=stream)

    def parse_completion(
        self, data: Any, tools: Mapping[str, CompiledTool] | None = None
    ) -> ModelResponse:
        """Parse a ``chat.completion`` body (``tools``: compiled tools by wire name, to map calls back).

        Examples:
            >>> p = OpenAIChatProvider("gpt-4.1", api_key="sk-test")
            >>> r = p.parse_completion({"choices": [{"message": {"content": None, "tool_calls": [
            ...     {"id": "", "function": {"name": "now", "arguments": None}}]}, "finish_reason": "tool_calls"}]})
            >>> r.tool_calls[0].id, r.tool_calls[0].arguments, r.finish_reason
            ('call_0', '{}', 'tool_calls')
        """
        return parse_completion(self, data, tools)

    def parse_response(self, data: Any, context: Mapping[str, CompiledTool]) -> ModelResponse:
        """The driver's hook: `parse_completion`."""
        return self.parse_completion(data, context)

    def stream_state(self, context: Mapping[str, CompiledTool]) -> _StreamState:
        """The state that assembles one Chat Completions stream (``context``: the tools by wire name)."""
        return _StreamState(self, context)

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error, with OpenRouter's upstream words (``error.metadata.raw``) kept in the message."""
        return super().classify_error(status, headers, with_upstream_words(body), text)
