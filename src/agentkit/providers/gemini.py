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

import json
import os
import re
from collections import deque
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from agentkit._clock import Clock, system_clock
from agentkit.exceptions import AuthenticationFailed, UsageError
from agentkit.messages import (
    MediaPart,
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from agentkit.providers._base import (
    FinishReason,
    ModelProfile,
    ModelRequest,
    ModelResponse,
    ReasoningDelta,
    ResponseBuilder,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    resolve_tool_choice,
)
from agentkit.providers._coerce import as_count, as_dict
from agentkit.providers._http import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    HttpProvider,
    StreamState,
)
from agentkit.providers._media import check_media, media_type_of, unsupported

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence

    import httpx
    from pydantic import SecretStr

    from agentkit.exceptions import ProviderError
    from agentkit.tools.dialects import CompiledTool

__all__ = ("GeminiProvider", "gemini_profile")

_CUT = "stream ended before the response was complete"

_FINISH: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
"""Gemini ``finishReason`` to the neutral one; anything else (``LANGUAGE``, ``MALFORMED_FUNCTION_CALL``,
``OTHER``...) is ``"other"``. ``STOP`` becomes ``"tool_calls"`` when the answer holds function calls."""

_RPC_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
"""google.rpc status names to HTTP codes, for errors that arrive inside a 200 stream."""

# Gemini's "thinking" models, per the Gemini API thinking guide: the 2.5 and 3 families (and the 2.0 Flash
# Thinking experiment). Older models do not reason and report no thoughtsTokenCount.
_REASONING_PREFIXES = ("gemini-2.5", "gemini-3", "gemini-2.0-flash-thinking")
_NO_REASONING_PREFIXES = ("gemini-1", "gemini-2.0", "gemini-pro", "gemma")
"""Models known not to think; any other name (a newer family) is assumed to, so it never blocks thinkingConfig."""

_ALL_CHOICES = frozenset({"auto", "none", "required", "named"})


def gemini_profile(model: str) -> ModelProfile:
    """The capability profile of a Gemini model.

    Every Gemini model takes tools through the ``gemini`` dialect, its system prompt as the top-level
    ``systemInstruction``, all four tool choices (``AUTO``, ``NONE``, ``ANY``, ``ANY`` + one allowed name), JSON
    Schema output, a ``seed`` and reports usage in every stream chunk; there is no ``parallel_tool_calls`` switch.
    Only the 2.5 and 3 families reason (thinking).

    Examples:
        >>> gemini_profile("gemini-3-pro-preview").reasoning, gemini_profile("models/gemini-2.0-flash").reasoning
        (True, False)
    """
    name = model.rsplit("/", 1)[-1].lower()
    return ModelProfile(
        dialect="gemini",
        parallel_tool_calls=False,
        tool_choice=_ALL_CHOICES,
        stream_usage=True,
        system_role="top-level",
        reasoning=name.startswith(_REASONING_PREFIXES)
        or not name.startswith(_NO_REASONING_PREFIXES),
        json_schema_output=True,
        seed=True,
    )


# ------------------------------------------------------------------------------------------ small helpers


def _usage(meta: Any) -> Usage:
    """``usageMetadata`` in neutral terms: input includes cached and tool-use prompt tokens, output thoughts."""
    meta = as_dict(meta)
    thoughts = as_count(meta.get("thoughtsTokenCount"))
    return Usage(
        input_tokens=as_count(meta.get("promptTokenCount"))
        + as_count(meta.get("toolUsePromptTokenCount")),
        output_tokens=as_count(meta.get("candidatesTokenCount")) + thoughts,
        cache_read_tokens=as_count(meta.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})
"""``google.rpc.ErrorInfo`` reasons that mean the key itself was refused."""


def _key_rejected(body: Any) -> bool:
    """Whether a google.rpc error body says the API key is invalid or expired."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # streamGenerateContent without alt=sse wraps errors in an array
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return False
    return any(
        isinstance(d, dict)
        and str(d.get("@type", "")).endswith("google.rpc.ErrorInfo")
        and d.get("reason") in _KEY_REASONS
        for d in details
    )


def _rpc_message(body: Any) -> str | None:
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else None


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` merged into ``base``: nested objects merge, everything else replaces."""
    for key, value in extra.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            base[key] = _merge(dict(current), value)
        else:
            base[key] = value
    return base


def _response_object(result: ToolResultPart) -> dict[str, Any]:
    """The ``functionResponse.response`` object for a tool result."""
    try:
        value: Any = json.loads(result.content)
    except ValueError:
        value = result.content
    if result.is_error:
        return {"error": value}
    if isinstance(value, dict):
        return value
    return {"output": value}


_PATH_TOKEN = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def _json_path(path: str) -> list[str | int] | None:
    """``$.a.b[0]['c']`` as keys and indexes; ``None`` when the path is not of that simple form."""
    if not path.startswith("$"):
        return None
    keys: list[str | int] = []
    pos = 1
    while pos < len(path):
        match = _PATH_TOKEN.match(path, pos)
        if match is None:
            return None
        name, index, quoted, dquoted = match.groups()
        keys.append(int(index) if index is not None else (name or quoted or dquoted or ""))
        pos = match.end()
    return keys


# ------------------------------------------------------------------------------------------ the provider


class GeminiProvider(HttpProvider):
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

    # ---------------------------------------------------------------------------------- request body

    def build_body(self, request: ModelRequest) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The JSON body for ``request`` and the compiled tools by wire name (to map calls back).

        Raises:
            UsageError: Two tools share a wire name, ``tool_choice`` names a tool the request does not carry,
                or asks for a tool when there are none.

        Examples:
            >>> from agentkit.messages import Message
            >>> body, _ = GeminiProvider("gemini-2.5-flash", api_key="test-key").build_body(
            ...     ModelRequest(messages=[Message.system("Be brief."), Message.user("hi")]))
            >>> body
            {'contents': [{'role': 'user', 'parts': [{'text': 'hi'}]}], 'systemInstruction': {'parts': [{'text': 'Be brief.'}]}}
        """
        from agentkit.tools.dialects import get_dialect

        dialect = get_dialect(self.profile.dialect)
        compiled = [dialect.compile(contract) for contract in request.tools]
        by_wire: dict[str, CompiledTool] = {}
        for tool in compiled:
            other = by_wire.get(tool.wire_name)
            if other is not None and other.name != tool.name:
                raise UsageError(
                    f"tools {other.name!r} and {tool.name!r} both map to the Gemini function name "
                    f"{tool.wire_name!r}; rename one of them (or expose them through a prefixed toolset)"
                )
            by_wire[tool.wire_name] = tool
        by_name = {tool.name: tool for tool in compiled}

        system, contents = self._contents(request.messages, by_name, dialect.wire_name)
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": system}
        if compiled:
            body["tools"] = [{"functionDeclarations": [tool.definition for tool in compiled]}]
        tool_config = self._tool_config(request, by_name)
        if tool_config is not None:
            body["toolConfig"] = {"functionCallingConfig": tool_config}

        config: dict[str, Any] = {}
        settings = request.settings
        if settings.temperature is not None:
            config["temperature"] = settings.temperature
        if settings.top_p is not None:
            config["topP"] = settings.top_p
        if settings.max_tokens is not None:
            config["maxOutputTokens"] = settings.max_tokens
        if settings.stop:
            config["stopSequences"] = list(settings.stop)
        if settings.seed is not None and self.profile.seed:
            config["seed"] = settings.seed
        if request.output is not None:
            if not self.profile.json_schema_output:
                raise UsageError(
                    f"gemini ({self.model}) has no JSON-Schema output mode in its profile: ask for the answer "
                    "through a tool instead, or drop ModelRequest.output"
                )
            schema = dict(request.output.schema)
            if request.output.description and "description" not in schema:
                schema["description"] = request.output.description
            config["responseMimeType"] = "application/json"
            config["responseJsonSchema"] = schema
        if config:
            body["generationConfig"] = config
        body = _merge(body, settings.extra_body)
        thinking = as_dict(as_dict(body.get("generationConfig")).get("thinkingConfig"))
        if thinking and thinking.get("thinkingBudget") != 0 and not self.profile.reasoning:
            raise UsageError(
                f"gemini ({self.model}) does not think: drop generationConfig.thinkingConfig from extra_body, "
                "or pass a profile with reasoning=True if the model does"
            )
        return body, by_wire

    def _tool_config(
        self, request: ModelRequest, by_name: Mapping[str, CompiledTool]
    ) -> dict[str, Any] | None:
        choice = resolve_tool_choice(self, request, by_name)
        if choice is None:
            return None
        if isinstance(choice, str):
            return {"mode": {"auto": "AUTO", "none": "NONE", "required": "ANY"}[choice]}
        return {"mode": "ANY", "allowedFunctionNames": [choice.wire_name]}

    def _contents(
        self,
        messages: Sequence[Message],
        by_name: Mapping[str, CompiledTool],
        wire_name: Callable[[str], str],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        system: list[dict[str, Any]] = []
        contents: list[dict[str, Any]] = []
        # call id -> (Gemini function name, position in its message) of each call not yet answered, oldest first:
        # results are named and ordered by it. Ids may repeat (compatible servers reuse "0"): then the calls
        # and their results pair by position.
        calls: dict[str, deque[tuple[str, int]]] = {}
        check_media(self, messages)
        for message in messages:
            if message.role == "system":
                system.extend({"text": p.text} for p in message.parts if isinstance(p, TextPart))
                continue
            if message.role == "assistant":
                role = "model"
                parts = self._model_parts(message, by_name, wire_name, calls)
            else:
                role = "user"
                parts = self._user_parts(message, by_name, wire_name, calls)
            if not parts:
                continue
            if contents and contents[-1]["role"] == role:
                contents[-1]["parts"].extend(parts)
            else:
                contents.append({"role": role, "parts": parts})
        return system, contents

    def _model_parts(
        self,
        message: Message,
        by_name: Mapping[str, CompiledTool],
        wire_name: Callable[[str], str],
        calls: dict[str, deque[tuple[str, int]]],
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        position = 0
        for part in message.parts:
            if isinstance(part, (TextPart, RefusalPart)):
                if part.text:
                    out.append({"text": part.text})
            elif isinstance(part, ToolCallPart):
                tool = by_name.get(part.name)
                name = tool.wire_name if tool is not None else wire_name(part.name)
                entry: dict[str, Any] = {
                    "functionCall": {"name": name, "args": self._call_args(part, tool)}
                }
                signature = (part.provider_details or {}).get("thoughtSignature")
                if isinstance(signature, str) and signature:
                    entry["thoughtSignature"] = signature
                out.append(entry)
                calls.setdefault(part.id, deque()).append((name, position))
                position += 1
            elif isinstance(part, ReasoningPart):
                if part.provider != self.system or not part.signature:
                    continue  # thought summaries need not go back; other providers' reasoning never does
                if part.text:
                    out.append(
                        {"text": part.text, "thought": True, "thoughtSignature": part.signature}
                    )
                elif out and set(out[-1]) == {"text"}:
                    out[-1]["thoughtSignature"] = part.signature  # it came on that text part
                else:
                    out.append({"text": "", "thoughtSignature": part.signature})
        return out

    @staticmethod
    def _call_args(call: ToolCallPart, tool: CompiledTool | None) -> dict[str, Any]:
        """The ``args`` object of a call: canonical arguments encoded for the dialect (``{}`` if not JSON)."""
        try:
            value = json.loads(call.arguments or "{}")
        except ValueError:
            return {}
        if not isinstance(value, dict):
            return {}
        if tool is not None:
            try:
                return tool.encode(value)
            except Exception:  # a shape the dialect cannot encode: send what the model sent
                return value
        return value

    def _user_parts(
        self,
        message: Message,
        by_name: Mapping[str, CompiledTool],
        wire_name: Callable[[str], str],
        calls: Mapping[str, deque[tuple[str, int]]],
    ) -> list[dict[str, Any]]:
        results: list[tuple[int, dict[str, Any]]] = []
        others: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                pending = calls.get(part.tool_call_id)
                known = pending.popleft() if pending else None
                if known is not None:
                    name, order = known
                else:
                    tool = by_name.get(part.name)
                    name = tool.wire_name if tool is not None else wire_name(part.name)
                    order = len(calls) + len(
                        results
                    )  # unknown calls keep their order, after known ones
                response: dict[str, Any] = {"name": name, "response": _response_object(part)}
                if part.media and self._nested_media:
                    # Gemini 3: media inside the functionResponse, as inlineData only.
                    response["parts"] = [self._media_out(m, "tool-result") for m in part.media]
                elif part.media:
                    # Earlier models take no media in a functionResponse: they follow it in the same turn.
                    others.extend(self._media_out(m, "tool-result") for m in part.media)
                results.append((order, {"functionResponse": response}))
            elif isinstance(part, (TextPart, RefusalPart)):
                others.append({"text": part.text})
            elif isinstance(part, MediaPart):
                others.append(self._media_out(part, "user"))
        results.sort(
            key=lambda item: item[0]
        )  # stable: Gemini pairs results with calls by name and order
        return [entry for _, entry in results] + others

    @property
    def _nested_media(self) -> bool:
        return self.model.rsplit("/", 1)[-1].lower().startswith("gemini-3")

    def _media_out(self, part: MediaPart, where: Literal["user", "tool-result"]) -> dict[str, Any]:
        """An ``inlineData`` part for bytes, a ``fileData`` part for a URL (a File API or ``gs://`` URI)."""
        media_type = media_type_of(part)
        if part.data is not None:
            return {"inlineData": {"mimeType": media_type, "data": part.base64}}
        if where == "tool-result" and self._nested_media:
            raise unsupported(
                self, part, where, "a Gemini functionResponse takes media as bytes only"
            )
        file_data: dict[str, Any] = {"fileUri": part.url}
        if media_type:
            file_data["mimeType"] = media_type
        return {"fileData": file_data}

    # ---------------------------------------------------------------------------------- complete

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send ``request`` to ``generateContent`` and return the whole answer.

        Raises:
            ProviderError: A typed error (``RateLimited``, ``ModelNotFound``, ``MalformedResponse``...).

        Examples:
            >>> import anyio, httpx
            >>> from agentkit.messages import Message
            >>> from agentkit.testing._replay import ReplayTransport
            >>> replay = ReplayTransport.from_bodies([(200, {"candidates": [{"content": {}, "finishReason": "SAFETY"}]})])
            >>> provider = GeminiProvider("gemini-2.5-flash", api_key="test-key",
            ...                           http_client=httpx.AsyncClient(transport=replay.mock()))
            >>> response = anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")]))
            >>> response.parts, response.finish_reason
            ((), 'content_filter')
        """
        body, by_wire = self.build_body(request)
        data = await self.post_json(f"{self.model_path}:generateContent", body, request=request)
        return self.parse_response(data, by_wire)

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
        if not isinstance(data, dict):
            raise self.malformed(f"expected a JSON object, got {type(data).__name__}")
        state = _Assembler(self, tools or {})
        state.chunk(data)
        return state.build(raw=data, streamed=False)

    # ---------------------------------------------------------------------------------- errors

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
        if _key_rejected(body):
            return AuthenticationFailed(
                _rpc_message(body) or "the API key was rejected",
                provider=self.system,
                model=self.model,
                status_code=status,
            )
        return super().classify_error(status, headers, body, text)

    def inline_error(self, error: Any) -> ProviderError:
        """The typed error for a google.rpc error object that came with HTTP 200 (inside a stream).

        Examples:
            >>> p = GeminiProvider("gemini-2.5-flash", api_key="test-key")
            >>> type(p.inline_error({"code": 503, "message": "busy", "status": "UNAVAILABLE"})).__name__
            'Overloaded'
        """
        err = error if isinstance(error, dict) else {"message": str(error)}
        code = err.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
            status = code
        else:
            status = _RPC_STATUS.get(str(err.get("status", "")).upper(), 500)
        return self.inline_error_of(status, {"error": err})

    # ---------------------------------------------------------------------------------- stream

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        r"""Send ``request`` to ``streamGenerateContent?alt=sse`` and yield deltas, then one ``StreamDone``.

        Each event is a complete partial response; text and thoughts arrive in pieces, a function call whole.
        An error object inside the stream raises its typed error; a stream that ends before a finish reason
        (or cut inside an event) raises ``MalformedResponse``.

        Examples:
            >>> import anyio, httpx
            >>> from agentkit.messages import Message
            >>> from agentkit.testing._replay import ReplayTransport
            >>> sse = (b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\n'
            ...        b'data: {"candidates": [{"content": {"parts": [{"text": "!"}]}, "finishReason": "STOP"}]}\r\n\r\n')
            >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
            >>> provider = GeminiProvider("gemini-2.5-flash", api_key="test-key",
            ...                           http_client=httpx.AsyncClient(transport=replay.mock()))
            >>> async def main():
            ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
            >>> events = anyio.run(main)
            >>> events[:2], events[-1].response.text
            ([TextDelta(text='Hi'), TextDelta(text='!')], 'Hi!')
        """
        body, by_wire = self.build_body(request)
        path = f"{self.model_path}:streamGenerateContent"
        state = _Assembler(self, by_wire)
        async with aclosing(
            self.stream_events(path, body, state, request=request, params={"alt": "sse"})
        ) as events:
            async for event in events:
                yield event


class _Assembler(StreamState):
    """Turns Gemini response chunks (one for ``complete``, many for a stream) into deltas and one response.

    ``complete`` and ``stream`` share it, so a stream ends with exactly the response ``complete`` returns for the
    same content. A JSON answer to a stream request is a streamed array of the same chunks.
    """

    cut = _CUT
    json_array = True

    def __init__(self, provider: GeminiProvider, tools: Mapping[str, CompiledTool]) -> None:
        super().__init__()
        self.provider = provider
        self.tools = tools
        self.builder = ResponseBuilder(provider=provider.system)
        self.finish_reason: str | None = None
        self.block_reason: str | None = None
        self.candidates = False
        self.saw_usage = False
        self.calls = 0
        self.last: str | None = (
            None  # kind of the builder's last item: text, reasoning, signed, call
        )
        self.partial: dict[str, Any] | None = (
            None  # a Vertex call whose arguments are still streaming
        )

    # -------------------------------------------------------------------------------- chunks

    def feed(self, event: str, payload: Any) -> Iterable[StreamEvent]:
        """The deltas of one streamed chunk."""
        if payload is None:  # an error event without data
            raise self.provider.inline_error({})
        return self.chunk(payload)

    def end_marker(self) -> None:
        """``[DONE]`` is no part of Gemini's stream: a finish reason ends it."""

    def finish(self) -> ModelResponse:
        """The streamed response; a stream without a finish reason was cut."""
        return self.build(raw=None, streamed=True)

    def chunk(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The deltas in one chunk (also records usage, model, ids and the finish reason)."""
        if chunk.get("error") is not None and not chunk.get("candidates"):
            raise self.provider.inline_error(chunk["error"])
        b = self.builder
        model, response_id = chunk.get("modelVersion"), chunk.get("responseId")
        if b.model is None and isinstance(model, str) and model:
            b.model = model
        if b.response_id is None and isinstance(response_id, str) and response_id:
            b.response_id = response_id
        if isinstance(chunk.get("usageMetadata"), dict):
            b.usage = _usage(chunk["usageMetadata"])  # cumulative in every chunk: the last one wins
            self.saw_usage = True
        block = as_dict(chunk.get("promptFeedback")).get("blockReason")
        if isinstance(block, str) and block:
            self.block_reason = block
        candidates = chunk.get("candidates")
        events: list[StreamEvent] = []
        if not isinstance(candidates, list) or not candidates:
            return events
        # Only the first candidate is the answer; a chunk that carries only another one (candidateCount > 1)
        # adds nothing to it.
        candidate = next(
            (c for c in candidates if isinstance(c, dict) and c.get("index", 0) in (0, None)),
            None,
        )
        if candidate is None:
            return events
        self.candidates = True
        parts = as_dict(candidate.get("content")).get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict):
                    events.extend(self._part(part))
        finish = candidate.get("finishReason")
        if isinstance(finish, str) and finish:
            self.finish_reason = finish
        return events

    def _part(self, part: Mapping[str, Any]) -> list[StreamEvent]:
        raw_signature = part.get("thoughtSignature")
        signature = raw_signature if isinstance(raw_signature, str) and raw_signature else None
        call = part.get("functionCall")
        if isinstance(call, dict):
            return self._function_call(call, signature)
        events: list[StreamEvent] = []
        text = part.get("text")
        text = text if isinstance(text, str) else ""
        if part.get("thought") is True:
            if not text and not signature:
                return events
            # A signature closes a thought block; the next thought starts a new one.
            self.builder.add_reasoning(text, signature=signature, new_block=self.last == "signed")
            self.last = "signed" if signature else "reasoning"
            if text:
                events.append(ReasoningDelta(text))
            return events
        if text:
            self.builder.add_text(text)
            self.last = "text"
            events.append(TextDelta(text))
        if (
            signature
        ):  # on a text (or otherwise empty) part: kept as signature-only reasoning after it
            self.builder.add_reasoning(signature=signature, new_block=True)
            self.last = "signed"
        return events

    def _call_id(self, n: int) -> str:
        rid = re.sub(r"[^A-Za-z0-9_-]", "", self.builder.response_id or "")[:48]
        return f"call_{rid}_{n}" if rid else f"call_{n}"

    def _function_call(self, call: Mapping[str, Any], signature: str | None) -> list[StreamEvent]:
        name = call.get("name")
        name = name if isinstance(name, str) and name else None
        if "partialArgs" in call or call.get("willContinue") is True or self.partial is not None:
            return self._partial_call(call, name, signature)
        if name is None and not call:
            return []  # an empty functionCall outside a partial call carries nothing
        n = self.calls
        self.calls += 1
        args = call.get("args")
        arguments = json.dumps(
            {} if args is None else args, ensure_ascii=False, separators=(",", ":")
        )
        call_id = self._call_id(n)
        self.builder.tool_call(
            n,
            id=call_id,
            name=name,
            arguments=arguments,
            provider_details={"thoughtSignature": signature} if signature else None,
        )
        self.last = "call"
        return [ToolCallDelta(index=n, id=call_id, name=self._canonical(name), arguments=arguments)]

    def _canonical(self, name: str | None) -> str | None:
        """The canonical tool name deltas carry (the final response maps names the same way)."""
        compiled = self.tools.get(name) if name else None
        return compiled.name if compiled is not None else name

    # -------------------------------------------------------------------------------- Vertex partial args

    def _partial_call(
        self, call: Mapping[str, Any], name: str | None, signature: str | None
    ) -> list[StreamEvent]:
        """Vertex ``streamFunctionCallArguments``: a named call opens, ``partialArgs`` fill it, the end closes it.

        The end is an empty ``functionCall`` (or any one without ``willContinue``).
        """
        events: list[StreamEvent] = []
        partial = self.partial
        if partial is None or (name is not None and partial["name"] is not None):
            if partial is not None:
                events.extend(self._close_partial())
            n = self.calls
            self.calls += 1
            partial = {"n": n, "name": name, "args": {}, "open": set()}
            self.partial = partial
            call_id = self._call_id(n)
            self.builder.tool_call(n, id=call_id, name=name)
            self.last = "call"
            events.append(ToolCallDelta(index=n, id=call_id, name=self._canonical(name)))
        elif name is not None:
            partial["name"] = name
            self.builder.tool_call(partial["n"], name=name)
        if signature:
            self.builder.tool_call(partial["n"], provider_details={"thoughtSignature": signature})
        if isinstance(call.get("args"), dict):
            partial["args"].update(call["args"])
        pieces = call.get("partialArgs")
        if isinstance(pieces, list):
            for piece in pieces:
                if isinstance(piece, dict):
                    self._apply_piece(partial, piece)
        if call.get("willContinue") is not True:
            events.extend(self._close_partial())
        return events

    def _apply_piece(self, partial: dict[str, Any], piece: Mapping[str, Any]) -> None:
        path = piece.get("jsonPath")
        keys = _json_path(path) if isinstance(path, str) else None
        if not keys:
            raise self.provider.malformed(
                f"unsupported jsonPath {path!r} in streamed function-call arguments"
            )
        value: Any
        if "stringValue" in piece:
            value = str(piece["stringValue"])
        elif "numberValue" in piece:
            value = piece["numberValue"]
        elif "boolValue" in piece:
            value = piece["boolValue"]
        elif "nullValue" in piece:
            value = None
        else:
            return
        target: Any = partial["args"]
        for key, following in zip(keys, [*keys[1:], None], strict=True):
            empty: Any = [] if isinstance(following, int) else {}
            if following is None:
                break
            if isinstance(target, dict):
                target = target.setdefault(key, empty)
            elif isinstance(target, list) and isinstance(key, int):
                while len(target) <= key:
                    target.append(None)
                if target[key] is None:
                    target[key] = empty
                target = target[key]
        last = keys[-1]
        joined = str(path)
        if isinstance(value, str) and joined in partial["open"]:
            value = _get(target, last, "") + value  # the string continues
        _set(target, last, value)
        if isinstance(value, str) and piece.get("willContinue") is True:
            partial["open"].add(joined)
        else:
            partial["open"].discard(joined)

    def _close_partial(self) -> list[StreamEvent]:
        partial, self.partial = self.partial, None
        if partial is None:
            return []
        arguments = json.dumps(partial["args"], ensure_ascii=False, separators=(",", ":"))
        self.builder.tool_call(partial["n"], arguments=arguments)
        return [ToolCallDelta(index=partial["n"], arguments=arguments)]

    # -------------------------------------------------------------------------------- the response

    def build(self, *, raw: Any, streamed: bool) -> ModelResponse:
        """The final response; a missing candidate (or, streaming, a missing finish reason) is malformed."""
        self._close_partial()
        raw_finish = self.finish_reason
        if raw_finish is None and self.block_reason is not None:
            finish: FinishReason = "content_filter"
            raw_finish = self.block_reason
        elif not self.candidates:
            raise self.provider.malformed(
                _CUT
                if streamed
                else "the answer has no candidates and no promptFeedback.blockReason"
            )
        elif raw_finish is None:
            if streamed:
                raise self.provider.malformed(_CUT)
            finish = "stop"
        else:
            finish = _FINISH.get(raw_finish, "other")
        if finish == "stop" and self.calls:
            finish = "tool_calls"
        self.builder.usage_reported = self.saw_usage
        return self.builder.build(
            finish_reason=finish,
            raw_finish_reason=raw_finish,
            raw=raw,
            name_map=self.tools or None,
        )


def _get(target: Any, key: str | int, default: str) -> str:
    if isinstance(target, dict):
        value = target.get(key)
    elif isinstance(target, list) and isinstance(key, int) and key < len(target):
        value = target[key]
    else:
        value = None
    return value if isinstance(value, str) else default


def _set(target: Any, key: str | int, value: Any) -> None:
    if isinstance(target, dict):
        target[key] = value
    elif isinstance(target, list) and isinstance(key, int):
        while len(target) <= key:
            target.append(None)
        target[key] = value
