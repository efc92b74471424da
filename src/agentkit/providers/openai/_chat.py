"""`OpenAIChatProvider`: request bodies, response parsing and errors of ``POST /chat/completions``."""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from agentkit.exceptions import ProviderError, UsageError
from agentkit.messages import (
    MediaPart,
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
)
from agentkit.providers._base import (
    FinishReason,
    ModelProfile,
    ModelRequest,
    ModelResponse,
    ResponseBuilder,
    StreamEvent,
    resolve_tool_choice,
)
from agentkit.providers._coerce import as_dict
from agentkit.providers._http import (
    HttpProvider,
)
from agentkit.providers._media import check_media, unsupported
from agentkit.providers.openai._profiles import _openai_profile
from agentkit.providers.openai._stream import _StreamState
from agentkit.providers.openai._wire import (
    _AUDIO_FORMATS,
    _FINISH,
    _REASONING_FIELDS,
    _arguments_text,
    _text_of,
    _usage,
)
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from agentkit.tools.dialects import CompiledTool


class OpenAIChatProvider(HttpProvider):
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

    @property
    def _max_tokens_field(self) -> str:
        return self.profile.max_tokens_field or self.default_max_tokens_field

    # ---------------------------------------------------------------------------------- request body

    def build_body(
        self, request: ModelRequest, *, stream: bool = False
    ) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The JSON body for ``request`` and the compiled tools by wire name (to map calls back).

        Raises:
            UsageError: The request asks for something this server's profile does not support (a
                ``tool_choice`` value, JSON-Schema output) or names a tool it does not carry.

        Examples:
            >>> from agentkit.messages import Message
            >>> body, _ = OpenAIChatProvider("o3", api_key="sk-test").build_body(
            ...     ModelRequest(messages=[Message.system("Be brief."), Message.user("hi")]))
            >>> body["messages"][0]["role"], body["stream"]
            ('developer', False)
        """
        profile = self.profile
        dialect = get_dialect(profile.dialect)
        compiled = [dialect.compile(contract) for contract in request.tools]
        by_wire: dict[str, CompiledTool] = {}
        for tool in compiled:
            other = by_wire.get(tool.wire_name)
            if other is not None and other.name != tool.name:
                raise UsageError(
                    f"tools {other.name!r} and {tool.name!r} both map to the wire name {tool.wire_name!r}; "
                    "rename one of them (or expose them through a prefixed toolset)"
                )
            by_wire[tool.wire_name] = tool
        by_name = {tool.name: tool for tool in compiled}

        body: dict[str, Any] = {
            "model": self.model,
            "messages": self._messages(request.messages, by_name, dialect.wire_name),
        }
        if compiled:
            body["tools"] = [tool.definition for tool in compiled]
        choice = self._tool_choice(request, by_name)
        if choice is not None:
            body["tool_choice"] = choice
        if request.output is not None:
            if not profile.json_schema_output:
                raise UsageError(
                    f"{self.system} ({self.model}) has no JSON-Schema output mode: ask for the answer through a "
                    "tool instead, or drop ModelRequest.output"
                )
            schema: dict[str, Any] = {
                "name": request.output.name,
                "schema": dict(request.output.schema),
                "strict": request.output.strict,
            }
            if request.output.description:
                schema["description"] = request.output.description
            body["response_format"] = {"type": "json_schema", "json_schema": schema}

        settings = request.settings
        body.update(profile.sampling_settings(settings, where=f"{self.system} ({self.model})"))
        if settings.max_tokens is not None:
            body[self._max_tokens_field] = settings.max_tokens
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.seed is not None and profile.seed:
            body["seed"] = settings.seed
        if settings.parallel_tool_calls is not None and compiled and profile.parallel_tool_calls:
            body["parallel_tool_calls"] = settings.parallel_tool_calls
        body["stream"] = stream
        if stream and profile.stream_usage:
            body["stream_options"] = {"include_usage": True}
        body.update(settings.extra_body)
        return body, by_wire

    def _tool_choice(
        self, request: ModelRequest, by_name: Mapping[str, CompiledTool]
    ) -> str | dict[str, Any] | None:
        choice = resolve_tool_choice(self, request, by_name)
        if choice is None or isinstance(choice, str):
            return choice
        return {"type": "function", "function": {"name": choice.wire_name}}

    def _messages(
        self,
        messages: Sequence[Message],
        by_name: Mapping[str, CompiledTool],
        wire_name: Any,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        system_role = self.profile.system_role
        if system_role == "top-level":
            system_role = "system"
        reasoning_field = self.profile.reasoning_field
        send_reasoning = self.profile.reasoning_in_history and reasoning_field
        check_media(self, messages)
        for message in messages:
            moved: list[dict[str, Any]] = []
            for result in message.tool_results:
                content = result.content
                if result.media:
                    # Tool messages take text only: the media follow in a user message (as pydantic-ai does).
                    moved.append(
                        {"type": "text", "text": f"The result of tool call {result.tool_call_id}:"}
                    )
                    moved.extend(self._media_out(m, "tool-result") for m in result.media)
                    content = content or "[the result's media follow in the next user message]"
                out.append(
                    {"role": "tool", "tool_call_id": result.tool_call_id, "content": content}
                )
            if moved:
                out.append({"role": "user", "content": moved})
            if message.role == "tool":
                continue
            text = "".join(p.text for p in message.parts if isinstance(p, (TextPart, RefusalPart)))
            if message.role == "system":
                out.append({"role": system_role, "content": text})
            elif message.role == "user":
                if any(isinstance(p, MediaPart) for p in message.parts):
                    out.append({"role": "user", "content": self._user_content(message)})
                elif text or not message.tool_results:
                    out.append({"role": "user", "content": text})
            else:
                calls = message.tool_calls
                entry: dict[str, Any] = {"role": "assistant", "content": text or None}
                if calls:
                    entry["tool_calls"] = [self._call_out(c, by_name, wire_name) for c in calls]
                elif not text:
                    entry["content"] = ""
                if send_reasoning:
                    assert reasoning_field is not None  # narrowed by send_reasoning
                    entry[reasoning_field] = "".join(
                        p.text
                        for p in message.parts
                        if isinstance(p, ReasoningPart) and p.provider == self.system
                    )
                out.append(entry)
        return out

    def _user_content(self, message: Message) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                if part.text:
                    content.append({"type": "text", "text": part.text})
            elif isinstance(part, MediaPart):
                content.append(self._media_out(part, "user"))
        return content

    def _media_out(self, part: MediaPart, where: Literal["user", "tool-result"]) -> dict[str, Any]:
        """One content part, as OpenAI's Chat Completions "image_url", "input_audio" and "file" parts."""
        if part.kind == "image":
            return {"type": "image_url", "image_url": {"url": part.url or part.data_url}}
        if part.data is None:
            raise unsupported(
                self, part, where, f"Chat Completions takes {part.kind} as bytes only, not a URL"
            )
        if part.kind == "audio":
            fmt = _AUDIO_FORMATS.get((part.media_type or "").lower())
            if fmt is None:
                raise unsupported(
                    self, part, where, f"input_audio takes wav or mp3, not {part.media_type!r}"
                )
            return {"type": "input_audio", "input_audio": {"data": part.base64, "format": fmt}}
        return {
            "type": "file",
            "file": {"filename": part.filename or "document", "file_data": part.data_url},
        }

    def _call_out(
        self, call: ToolCallPart, by_name: Mapping[str, CompiledTool], wire_name: Any
    ) -> dict[str, Any]:
        tool = by_name.get(call.name)
        name = tool.wire_name if tool is not None else str(wire_name(call.name))
        arguments = call.arguments or "{}"
        if tool is not None and call.arguments_are_json:
            try:
                arguments = json.dumps(
                    tool.encode(json.loads(arguments)), ensure_ascii=False, separators=(",", ":")
                )
            except Exception:  # a shape the dialect cannot encode: send what the model sent
                arguments = call.arguments
        entry: dict[str, Any] = {
            "id": call.id,
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        details = call.provider_details or {}
        extra = details.get("extra_content")
        if self.system == "gemini-openai" and isinstance(extra, dict):
            entry["extra_content"] = extra  # Gemini wants its thought signature back with the call
        return entry

    # ---------------------------------------------------------------------------------- complete

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send ``request`` and return the whole answer.

        Raises:
            ProviderError: A typed error (``RateLimited``, ``InvalidRequest``, ``MalformedResponse``...).
        """
        body, by_wire = self.build_body(request, stream=False)
        data = await self.post_json(self.path, body, request=request)
        return self.parse_completion(data, by_wire)

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
        if not isinstance(data, dict):
            raise self.malformed(f"expected a JSON object, got {type(data).__name__}")
        choices = data.get("choices")
        if data.get("error") and not choices:
            raise self._inline_error(data["error"])
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise self.malformed("the answer has no choices")
        choice = choices[0]
        message = as_dict(choice.get("message"))
        builder = self._builder(data)
        reasoning = self._reasoning_of(message)
        if reasoning:
            builder.add_reasoning(reasoning)
        builder.add_text(_text_of(message.get("content")))
        refusal = message.get("refusal")
        if isinstance(refusal, str) and refusal:
            builder.add_refusal(refusal)
        details = self._call_details(message)
        tool_calls = message.get("tool_calls")
        has_calls = False
        if isinstance(tool_calls, list):
            for i, call in enumerate(tool_calls):
                if not isinstance(call, dict):
                    continue
                function = as_dict(call.get("function"))
                call_id = call.get("id")
                name = function.get("name")
                builder.tool_call(
                    i,
                    id=call_id if isinstance(call_id, str) else None,
                    name=name if isinstance(name, str) else None,
                    arguments=_arguments_text(function.get("arguments")) or "",
                    provider_details=details,
                )
                has_calls = True
        builder.usage = _usage(data.get("usage"))
        builder.usage_reported = isinstance(data.get("usage"), dict)
        raw_finish = choice.get("finish_reason")
        return self._finish(
            builder,
            raw_finish if isinstance(raw_finish, str) else None,
            has_calls=has_calls,
            refused=isinstance(refusal, str) and bool(refusal),
            raw=data,
            tools=tools,
        )

    def _builder(self, data: Mapping[str, Any]) -> ResponseBuilder:
        builder = ResponseBuilder(provider=self.system)
        model, response_id = data.get("model"), data.get("id")
        builder.model = model if isinstance(model, str) else None
        builder.response_id = response_id if isinstance(response_id, str) and response_id else None
        return builder

    def _finish(
        self,
        builder: ResponseBuilder,
        raw_finish: str | None,
        *,
        has_calls: bool,
        refused: bool,
        raw: Any,
        tools: Mapping[str, CompiledTool] | None,
    ) -> ModelResponse:
        if raw_finish is None:
            finish: FinishReason = "tool_calls" if has_calls else "stop"
        else:
            finish = _FINISH.get(raw_finish, "other")
        if finish == "stop" and has_calls:
            finish = "tool_calls"  # some servers say "stop" after calling tools
        elif finish == "stop" and refused:
            finish = "refusal"
        return builder.build(
            finish_reason=finish, raw_finish_reason=raw_finish, raw=raw, name_map=tools or None
        )

    @cached_property
    def _reasoning_fields(self) -> tuple[str, ...]:
        """Where reasoning text may be: the profile's field first, then the other known ones."""
        field = self.profile.reasoning_field
        return (
            (field, *(f for f in _REASONING_FIELDS if f != field)) if field else _REASONING_FIELDS
        )

    def _reasoning_of(self, holder: Mapping[str, Any]) -> str:
        """Reasoning text from a message or delta (see `_reasoning_fields`)."""
        for name in self._reasoning_fields:
            value = holder.get(name)
            if isinstance(value, str) and value:
                return value
        details = holder.get("reasoning_details")
        if isinstance(details, list):
            return "".join(
                d["text"] for d in details if isinstance(d, dict) and isinstance(d.get("text"), str)
            )
        return ""

    @staticmethod
    def _call_details(holder: Mapping[str, Any]) -> dict[str, Any] | None:
        extra = holder.get("extra_content")
        return {"extra_content": extra} if isinstance(extra, dict) and extra else None

    # ---------------------------------------------------------------------------------- errors

    def _inline_error(self, error: Any, *, default_status: int = 500) -> ProviderError:
        """The typed error for an error object that came with HTTP 200 (inside a body or a stream)."""
        err = error if isinstance(error, dict) else {"message": str(error)}
        status = 0
        for key in ("status_code", "code", "status"):
            value = err.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 400 <= value < 600:
                status = value
                break
        if not status:
            kind = str(err.get("type") or err.get("code") or "").lower()
            if "rate_limit" in kind or "quota" in kind:
                status = 429
            elif "auth" in kind or "permission" in kind:
                status = 401
            elif "invalid" in kind or "tool_use_failed" in kind:
                status = 400
            else:
                status = default_status
        return self.inline_error_of(status, {"error": err})

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error, with OpenRouter's upstream words (``error.metadata.raw``) kept in the message."""
        error = body.get("error") if isinstance(body, dict) else None
        metadata = error.get("metadata") if isinstance(error, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("raw"), str):
            assert isinstance(error, dict)  # narrowed with metadata
            assert isinstance(body, dict)  # narrowed with error
            upstream = metadata.get("provider_name")
            prefix = f"{upstream}: " if isinstance(upstream, str) else ""
            error = {**error, "message": f"{error.get('message')} ({prefix}{metadata['raw']})"}
            body = {**body, "error": error}
        return super().classify_error(status, headers, body, text)

    # ---------------------------------------------------------------------------------- stream

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        r"""Send ``request`` and yield deltas as they arrive, then one ``StreamDone``.

        Errors sent inside the stream (an ``event: error`` frame, an ``error`` object in a chunk) are raised as
        typed errors after the deltas already received; a stream that ends before ``[DONE]`` or a finish reason
        raises ``MalformedResponse``.

        Examples:
            >>> import anyio, httpx
            >>> from agentkit.messages import Message
            >>> from agentkit.testing._replay import ReplayTransport
            >>> sse = (b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            ...        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
            >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
            >>> provider = OpenAIChatProvider("gpt-4.1", api_key="sk-test",
            ...                               http_client=httpx.AsyncClient(transport=replay.mock()))
            >>> async def main():
            ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
            >>> events = anyio.run(main)
            >>> events[0], events[-1].response.text
            (TextDelta(text='Hi'), 'Hi')
        """

        def start() -> tuple[str, dict[str, Any], _StreamState]:
            body, by_wire = self.build_body(request, stream=True)
            return self.path, body, _StreamState(self, by_wire)

        return self.stream_lazily(start, request=request)
