"""`AnthropicProvider`: the ``POST /v1/messages`` hooks over the HTTP driver.

The body is built in ``_request``, answers are parsed in ``_response``, streams assembled in ``_stream``, errors
mapped in ``_errors``; this class only composes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from agentkit.exceptions import RateLimited
from agentkit.providers._http import HttpProvider
from agentkit.providers.anthropic._errors import reset_after
from agentkit.providers.anthropic._profiles import anthropic_profile
from agentkit.providers.anthropic._request import build
from agentkit.providers.anthropic._response import parse_message
from agentkit.providers.anthropic._stream import _StreamState
from agentkit.providers.anthropic._wire import ANTHROPIC_VERSION, _Tools

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.exceptions import ProviderError
    from agentkit.providers._base import ModelProfile, ModelRequest, ModelResponse
    from agentkit.tools.dialects import CompiledTool


class AnthropicProvider(HttpProvider):
    """Anthropic Messages over plain httpx (no SDK): ``complete`` and ``stream``, typed errors, normalised usage.

    Tools are compiled with the profile's dialect (``anthropic``; use a profile with ``dialect="anthropic-strict"``
    for strict tool use) and calls come back under their canonical names with canonical arguments. Nothing here
    retries: that is ``agentkit.resilience``'s job.

    Args:
        model: The model name (``"claude-sonnet-4-5"``).
        api_key: The key, sent as ``x-api-key``; ``ANTHROPIC_API_KEY`` when omitted. Held as a secret.
        base_url: API root (default ``https://api.anthropic.com``).
        http_client: An ``httpx.AsyncClient`` to use (the caller keeps owning it).
        profile: Overrides the capability profile.
        timeout: Default timeout for every call.
        clock: Where ``Retry-After`` dates and rate-limit reset times are compared to.

    Examples:
        >>> provider = AnthropicProvider("claude-sonnet-4-5", api_key="sk-ant-secret")
        >>> provider
        AnthropicProvider(model='claude-sonnet-4-5', base_url='https://api.anthropic.com', api_key='***')
        >>> provider.profile.dialect, provider.profile.reasoning
        ('anthropic', True)
    """

    system: str = "anthropic"
    default_base_url: ClassVar[str] = "https://api.anthropic.com"
    api_key_env: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    path: ClassVar[str] = "/v1/messages"
    request_headers: ClassVar[Mapping[str, str]] = {"anthropic-version": ANTHROPIC_VERSION}

    def default_profile(self, model: str) -> ModelProfile:
        """The profile of an Anthropic model (see `anthropic_profile`).

        Examples:
            >>> AnthropicProvider("claude-3-5-haiku-latest", api_key="k").profile.reasoning
            False
        """
        return anthropic_profile(model)

    def auth_headers(self) -> dict[str, str]:
        """The ``x-api-key`` header (Anthropic does not take a bearer token).

        Examples:
            >>> sorted(AnthropicProvider("claude-haiku-4-5", api_key="k").auth_headers())
            ['x-api-key']
        """
        key = self.api_key
        return {"x-api-key": key} if key else {}

    # ---------------------------------------------------------------------------------- hooks

    def build_body(self, request: ModelRequest, *, stream: bool = False) -> dict[str, Any]:
        """The JSON body for ``request``.

        Raises:
            UsageError: Two tools share a wire name, ``tool_choice`` names a tool the request does not carry,
                or asks for a value the profile does not accept.

        Examples:
            >>> from agentkit.messages import Message
            >>> from agentkit.providers import ModelRequest, ModelSettings
            >>> body = AnthropicProvider("claude-haiku-4-5", api_key="k").build_body(ModelRequest(
            ...     messages=[Message.system("Be brief."), Message.user("hi"), Message.user("there")],
            ...     settings=ModelSettings(temperature=0.2, stop=("END",))))
            >>> body["system"], body["messages"], body["stop_sequences"], body["max_tokens"]
            ('Be brief.', [{'role': 'user', 'content': [{'type': 'text', 'text': 'hi'}, {'type': 'text', 'text': 'there'}]}], ['END'], 4096)
        """
        return build(self, request, stream=stream)[0]

    def encode(self, request: ModelRequest, *, stream: bool) -> tuple[dict[str, Any], _Tools]:
        """The driver's hook: the body and the request's compiled tools (the output tool among them)."""
        return build(self, request, stream=stream)

    def parse_message(
        self, data: Any, tools: Mapping[str, CompiledTool] | None = None
    ) -> ModelResponse:
        """Parse a Messages response body (``tools``: compiled tools by wire name, to map calls back).

        Raises:
            ProviderError: The body is an error envelope (``{"type": "error", ...}``, mapped to its typed error) or
                not a Messages response (``MalformedResponse``).

        Examples:
            >>> p = AnthropicProvider("claude-haiku-4-5", api_key="k")
            >>> r = p.parse_message({"id": "msg_1", "content": [
            ...     {"type": "thinking", "thinking": "easy", "signature": "c2ln"},
            ...     {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {"q": "tea"}}],
            ...     "stop_reason": "tool_use", "usage": {"input_tokens": 5, "output_tokens": 7}})
            >>> r.finish_reason, r.tool_calls[0].arguments, r.parts[0].signature
            ('tool_calls', '{"q":"tea"}', 'c2ln')
        """
        return parse_message(self, data, _Tools(dict(tools or {})))

    def parse_response(self, data: Any, context: _Tools) -> ModelResponse:
        """The driver's hook: `parse_message` with the request's compiled tools."""
        return parse_message(self, data, context)

    def stream_state(self, context: _Tools) -> _StreamState:
        """The state that assembles one Messages stream block by block."""
        return _StreamState(self, context)

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error; a rate limit without ``retry-after`` waits for the exhausted limit's reset."""
        error = super().classify_error(status, headers, body, text)
        if isinstance(error, RateLimited) and error.retry_after is None:
            error.retry_after = reset_after(headers, self.clock.now())
        return error
