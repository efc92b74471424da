"""`GeminiProvider`: request bodies, response parsing and errors of ``generateContent``."""

from __future__ import annotations

import json
import os
from collections import deque
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
)
from agentkit.providers._base import (
    ModelProfile,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    resolve_tool_choice,
)
from agentkit.providers._coerce import as_dict
from agentkit.providers._http import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    HttpProvider,
)
from agentkit.providers._media import check_media, media_type_of, unsupported
from agentkit.providers.gemini._profiles import gemini_profile
from agentkit.providers.gemini._stream import _Assembler
from agentkit.providers.gemini._wire import (
    _RPC_STATUS,
    _key_rejected,
    _merge,
    _response_object,
    _rpc_message,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping, Sequence

    import httpx
    from pydantic import SecretStr

    from agentkit.exceptions import ProviderError
    from agentkit.tools.dialects import CompiledTool


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
        compiled = dialect.compile_all(request.tools)
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

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
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

        def start() -> tuple[str, dict[str, Any], _Assembler]:
            body, by_wire = self.build_body(request)
            return f"{self.model_path}:streamGenerateContent", body, _Assembler(self, by_wire)

        return self.stream_lazily(start, request=request, params={"alt": "sse"})
