"""Gemini answers: a whole ``GenerateContentResponse`` parsed into a `ModelResponse`.

A whole answer is one chunk of a stream: it goes through the same assembler, so a stream ends with exactly the
response ``complete`` returns for the same content.

Examples:
    >>> import anyio, httpx
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.providers.gemini import GeminiProvider
    >>> from agentkit.testing._replay import ReplayTransport
    >>> replay = ReplayTransport.from_bodies([(200, {"candidates": [{"content": {}, "finishReason": "SAFETY"}]})])
    >>> provider = GeminiProvider("gemini-2.5-flash", api_key="test-key",
    ...                           http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> response = anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")]))
    >>> response.parts, response.finish_reason
    ((), 'content_filter')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.providers.gemini._stream import _Assembler

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.providers._base import ModelResponse
    from agentkit.providers.gemini._provider import GeminiProvider
    from agentkit.tools.dialects import CompiledTool


def parse_response(
    provider: GeminiProvider, data: Any, tools: Mapping[str, CompiledTool]
) -> ModelResponse:
    """Parse a ``GenerateContentResponse`` body (see `GeminiProvider.parse_response`)."""
    if not isinstance(data, dict):
        raise provider.malformed(f"expected a JSON object, got {type(data).__name__}")
    state = _Assembler(provider, tools)
    state.chunk(data)
    return state.build(raw=data, streamed=False)
