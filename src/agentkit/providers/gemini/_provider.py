"""`GeminiProvider`: the ``generateContent`` hooks over the HTTP driver.

The body is built in ``_request``, answers are parsed in ``_response``, chunks assembled in ``_stream``, errors
mapped in ``_errors``; this class only composes them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from agentkit._clock import Clock, system_clock
from agentkit.exceptions import UsageError
from agentkit.providers._http import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    ToolMapProvider,
)
from agentkit.providers.gemini._errors import inline_error, key_rejected
from agentkit.providers.gemini._profiles import gemini_profile
from agentkit.providers.gemini._request import build_body
from agentkit.providers.gemini._response import parse_response
from agentkit.providers.gemini._stream import _Assembler

if TYPE_CHECKING:
    from collections.abc import Mapping

    import httpx
    from pydantic import SecretStr

    from agentkit.exceptions import ProviderError
    from agentkit.providers._base import ModelProfile, ModelRequest, ModelResponse
    from agentkit.tools.dialects import CompiledTool


class GeminiProvider(ToolMapProvider):
    """The Gemini API (``generativelanguage.googleapis.com``): ``generateContent`` and streaming.

    The API key is sent in the ``x-goog-api-key`` header, never in the URL, so it cannot leak into logs or
    errors. It comes from ``api_key``, else ``GEMINI_API_KEY``, else ``GOOGLE_API_KEY``.

    Args:
        model: The model name (``gemini-2.5-flash``; ``models/...`` and ``tunedModels/...`` are accepted).
        api_key: The key; read from the environment when omitted. Held as a secret.
        base_url: API root (default ``https://generativelanguage.googleapis.com/v1beta``).
        http_client: An ``httpx.AsyncClient`` or ``httpx2.AsyncClient`` to use (the caller keeps owning it).
        profile: Overrides the model's capability profile (`gemini_profile`).
        timeout: Bounds each whole call, seconds (a ``ModelSettings.timeout`` wins per request).
        idle_timeout: The longest silence between two chunks, seconds.
        max_body_bytes: The largest response body read.
        max_line_bytes: The largest single stream line or streamed array element.
        clock: Where ``Retry-After`` dates are compared to.

    Examples:
        >>> import anyio, httpx
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.testing._replay import ReplayTransport
        >>> replay = ReplayTransport.from_bodies([(200, {"candidates": [{"content": {"role": "model",
        ...     "parts": [{"text": "Hi!"}]}, "finishReason": "STOP"}], "modelVersion": "gemini-2.5-flash"})])
        >>> provider = GeminiProvider("gemini-2.5-flash", api_key="test-key",
        ...                           http_client=httpx.AsyncClient(transport=replay.mock()))
        >>> response = anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")]))
        >>> response.text, response.finish_reason, replay.requests[0]["url"]
        ('Hi!', 'stop', 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent')
    """

    system = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    api_key_env = "GEMINI_API_KEY"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        http_client: Any = None,
        profile: ModelProfile | None = None,
        timeout: float | httpx.Timeout | None = None,
        idle_timeout: float | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        clock: Clock = system_clock,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY") or None
        if api_key is None:
            raise UsageError(
                "GeminiProvider needs an API key: pass api_key=... or set GEMINI_API_KEY (or GOOGLE_API_KEY)"
            )
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
            clock=clock,
        )

    def default_profile(self, model: str) -> ModelProfile:
        """The capability profile for ``model`` (see `gemini_profile`).

        Examples:
            >>> GeminiProvider("gemini-2.0-flash", api_key="test-key").default_profile("gemini-3-flash").reasoning
            True
        """
        return gemini_profile(model)

    def auth_headers(self) -> dict[str, str]:
        """The ``x-goog-api-key`` header (the key never goes into the URL).

        Examples:
            >>> list(GeminiProvider("gemini-2.5-flash", api_key="test-key").auth_headers())
            ['x-goog-api-key']
        """
        key = self.api_key
        return {"x-goog-api-key": key} if key else {}

    @property
    def model_path(self) -> str:
        """The URL path of the model (``/models/gemini-2.5-flash``), without the method.

        Examples:
            >>> GeminiProvider("tunedModels/my-model", api_key="test-key").model_path
            '/tunedModels/my-model'
        """
        name = self.model.strip("/")
        if not name.startswith(("models/", "tunedModels/")):
            name = "models/" + name
        return "/" + quote(name, safe="/-._~")

    def endpoint(self, *, stream: bool) -> str:
        """``generateContent``, or ``streamGenerateContent?alt=sse`` for a stream, under `model_path`.

        Examples:
            >>> GeminiProvider("gemini-2.5-flash", api_key="test-key").endpoint(stream=False)
            '/models/gemini-2.5-flash:generateContent'
        """
        if stream:
            return f"{self.model_path}:streamGenerateContent?alt=sse"
        return f"{self.model_path}:generateContent"

    # ---------------------------------------------------------------------------------- hooks

    def build_body(
        self, request: ModelRequest, *, stream: bool = False
    ) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The JSON body for ``request`` and the compiled tools by wire name (to map calls back).

        Raises:
            UsageError: Two tools share a wire name, ``tool_choice`` names a tool the request does not carry,
                or asks for a tool when there are none.

        Examples:
            >>> from agentkit.messages import Message
            >>> from agentkit.providers import ModelRequest
            >>> body, _ = GeminiProvider("gemini-2.5-flash", api_key="test-key").build_body(
            ...     ModelRequest(messages=[Message.system("Be brief."), Message.user("hi")]))
            >>> body
            {'contents': [{'role': 'user', 'parts': [{'text': 'hi'}]}], 'systemInstruction': {'parts': [{'text': 'Be brief.'}]}}
        """
        return build_body(self, request)

    def parse_response(
        self, data: Any, tools: Mapping[str, CompiledTool] | None = None
    ) -> ModelResponse:
        """Parse a ``GenerateContentResponse`` body (``tools``: compiled tools by wire name, to map calls back).

        Raises:
            ProviderError: The body is an error object, or has neither candidates nor a block reason.

        Examples:
            >>> p = GeminiProvider("gemini-2.5-flash", api_key="test-key")
            >>> r = p.parse_response({"candidates": [{"content": {"role": "model", "parts": [
            ...     {"functionCall": {"name": "now", "args": {}}, "thoughtSignature": "c2ln"}]},
            ...     "finishReason": "STOP"}], "responseId": "abc"})
            >>> r.tool_calls[0].id, r.tool_calls[0].provider_details, r.finish_reason
            ('call_abc_0', {'thoughtSignature': 'c2ln'}, 'tool_calls')
        """
        return parse_response(self, data, tools or {})

    def stream_state(self, context: Mapping[str, CompiledTool]) -> _Assembler:
        """The assembler for one stream: SSE events, or the elements of a streamed JSON array."""
        return _Assembler(self, context)

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error; an invalid or expired key is ``AuthenticationFailed``, not ``InvalidRequest``.

        Gemini answers a bad key with HTTP 400 ``INVALID_ARGUMENT`` whose ``google.rpc.ErrorInfo`` reason is
        ``API_KEY_INVALID`` (or ``API_KEY_EXPIRED``).

        Examples:
            >>> p = GeminiProvider("gemini-2.5-flash", api_key="test-key")
            >>> type(p.classify_error(400, {}, {"error": {"code": 400, "message": "API key not valid.",
            ...     "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
            ...     "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}, "")).__name__
            'AuthenticationFailed'
        """
        return key_rejected(self, status, body) or super().classify_error(
            status, headers, body, text
        )

    def inline_error(self, error: Any) -> ProviderError:
        """The typed error for a google.rpc error object that came with HTTP 200 (inside a stream).

        Examples:
            >>> p = GeminiProvider("gemini-2.5-flash", api_key="test-key")
            >>> type(p.inline_error({"code": 503, "message": "busy", "status": "UNAVAILABLE"})).__name__
            'Overloaded'
        """
        return inline_error(self, error)
