"""Google Gemini API (``models/{model}:generateContent`` and ``:streamGenerateContent``) over plain httpx.

`GeminiProvider` builds the Gemini request body from a neutral `ModelRequest`, parses answers and streams into a
neutral `ModelResponse`, and translates every error once, here, into the ``ProviderError`` tree (google.rpc
bodies: ``RESOURCE_EXHAUSTED`` with ``RetryInfo`` becomes ``RateLimited(retry_after=...)``, ``NOT_FOUND``
``ModelNotFound``, ``INVALID_ARGUMENT`` ``InvalidRequest``, ``UNAVAILABLE`` ``Overloaded``, ``PERMISSION_DENIED``
``AuthenticationFailed``).

How the neutral conversation maps to Gemini:

* System messages become ``systemInstruction``; user and assistant messages become ``contents`` with roles
  ``user`` and ``model`` (adjacent contents of the same role are merged).
* Tool calls become ``functionCall`` parts with an ``args`` object. Gemini returns no call ids, so parsed calls get
  stable ids (``call_<responseId>_<n>``, or ``call_<n>``) that the runtime pairs results with; ids are never sent
  back. Tool results become ``functionResponse`` parts in a ``user`` content, named after their call and ordered
  like the calls. A result that is a JSON object is sent as the ``response`` itself; anything else is wrapped as
  ``{"output": value}``, and a result marked ``is_error`` as ``{"error": value}`` (the keys Gemini's
  ``FunctionResponse.response`` documentation names).
* ``thoughtSignature`` values are kept: on a ``functionCall`` part in ``ToolCallPart.provider_details``, on a
  thought part in ``ReasoningPart.signature``, and on any other part as a ``ReasoningPart`` with empty text (placed
  after the part). They are sent back on the same kind of part. Thought text without a signature is not sent back
  (Gemini does not need its thought summaries), nor is reasoning from other providers.
* Tools are compiled with the ``gemini`` dialect into ``tools: [{functionDeclarations: [...]}]``;
  ``tool_choice`` becomes ``toolConfig.functionCallingConfig`` (``AUTO``, ``NONE``, ``ANY``, or ``ANY`` with
  ``allowedFunctionNames`` for one named tool). ``ModelSettings.parallel_tool_calls`` has no Gemini equivalent and
  is ignored.
* `OutputFormat` becomes ``responseMimeType: application/json`` with ``responseJsonSchema`` (the field that
  accepts JSON Schema as is, rather than the OpenAPI subset of ``responseSchema``).
* ``ModelSettings.extra_body`` is merged into the body recursively (so ``{"generationConfig": {"thinkingConfig":
  ...}}`` keeps the sampling settings), e.g. for ``cachedContent``, ``safetySettings`` or ``thinkingConfig``.

Streams use ``?alt=sse``. A streamed body that is a JSON array (what the endpoint sends without ``alt=sse``) is
also accepted, as are Vertex AI's partial function-call arguments (``partialArgs`` with ``willContinue``).

Examples:
    >>> from agentkit.providers.gemini import GeminiProvider
    >>> provider = GeminiProvider("gemini-2.5-flash", api_key="test-key")
    >>> provider.profile.dialect, provider.profile.system_role, provider.profile.reasoning
    ('gemini', 'top-level', True)
    >>> provider
    GeminiProvider(model='gemini-2.5-flash', base_url='https://generativelanguage.googleapis.com/v1beta', api_key='***')
"""

from __future__ import annotations

from agentkit.providers.gemini._profiles import gemini_profile
from agentkit.providers.gemini._provider import GeminiProvider

__all__ = ("GeminiProvider", "gemini_profile")
