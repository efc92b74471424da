"""Write a provider for a new wire format: the HTTP driver every built-in adapter plugs into, and its hooks.

Subclass `HttpProvider` and supply what differs between APIs; the driver does the rest, the same way for every
adapter: it sends the request on a shared httpx client (or an ``httpx2`` one you pass), bounds the whole call by
its timeout and the silence between chunks by the idle timeout, caps body and stream-line sizes, parses SSE,
decodes JSON (a cut, hostile or non-JSON body is a ``MalformedResponse``), masks the API key in errors, and turns
every HTTP status and network failure into the typed ``ProviderError`` tree. Nothing retries: wrap the provider
in `agentkit.resilience.RetryPolicy`, which forwards ``system``, ``model``, ``profile`` and ``secrets()``, so the
key stays redacted through it.

The hooks, in the order a call uses them:

==========================================  ===================================================================
``path`` / `HttpProvider.endpoint`          where to POST under ``base_url`` (a stream may go elsewhere)
`HttpProvider.auth_headers`                 the credentials (default: ``Authorization: Bearer <api_key>``)
``request_headers``                         fixed headers besides them (an API version)
`HttpProvider.encode`                       the JSON body, and a context for reading the answer (the tools)
`HttpProvider.parse_response`               a decoded JSON answer to a `ModelResponse`
`HttpProvider.stream_state`                 a fresh `StreamState`, fed each decoded stream event
`HttpProvider.classify_error`               an error status and its parsed body to a typed error
`HttpProvider.default_profile`              what the model supports (`ModelProfile`)
==========================================  ===================================================================

Examples:
    A provider for an invented API that answers ``{"answer": "..."}``; `complete` comes from the driver:

    >>> import anyio, httpx
    >>> from agentkit.messages import Message, TextPart
    >>> from agentkit.providers import ModelRequest, ModelResponse
    >>> from agentkit.providers.http import HttpProvider
    >>> class Answers(HttpProvider):
    ...     system = "answers"
    ...     path = "/ask"
    ...     def encode(self, request, *, stream):
    ...         return {"question": request.messages[-1].text}, None
    ...     def parse_response(self, data, context):
    ...         return ModelResponse(parts=(TextPart(text=data["answer"]),), provider=self.system,
    ...                              model=self.model, finish_reason="stop")
    >>> def server(request: httpx.Request) -> httpx.Response:
    ...     return httpx.Response(200, json={"answer": "42"})
    >>> provider = Answers("oracle-1", api_key="sk-answers", base_url="https://answers.invalid",
    ...                    http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)))
    >>> anyio.run(provider.complete, ModelRequest(messages=[Message.user("Why?")])).text
    '42'
    >>> provider.secrets()
    frozenset({'sk-answers'})
"""

from __future__ import annotations

from agentkit.providers._http import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    DEFAULT_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    HttpProvider,
    StreamState,
    error_from_response,
    parse_retry_after,
    replay_response,
)

__all__ = (
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "HttpProvider",
    "StreamState",
    "error_from_response",
    "parse_retry_after",
    "replay_response",
)
