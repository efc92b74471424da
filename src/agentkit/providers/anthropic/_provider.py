"""`AnthropicProvider`: request bodies, response parsing and errors of ``POST /v1/messages``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from agentkit.exceptions import ProviderError, RateLimited, UsageError
from agentkit.messages import (
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from agentkit.providers._base import (
    FinishReason,
    ModelProfile,
    ModelRequest,
    ModelResponse,
    NamedToolChoice,
    ResponseBuilder,
    StreamEvent,
)
from agentkit.providers._http import HttpProvider
from agentkit.providers._media import check_media, unsupported
from agentkit.providers.anthropic._profiles import DEFAULT_MAX_TOKENS, anthropic_profile
from agentkit.providers.anthropic._stream import _StreamState
from agentkit.providers.anthropic._wire import (
    _ERROR_STATUS,
    _OPAQUE,
    _STOP_REASONS,
    ANTHROPIC_VERSION,
    _compact,
    _Ids,
    _output_text,
    _RawJSON,
    _thinking_enabled,
    _Tools,
    _usage,
)
from agentkit.tools._contract import ToolContract
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

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

    # ---------------------------------------------------------------------------------- request body

    def build_body(self, request: ModelRequest, *, stream: bool = False) -> dict[str, Any]:
        """The JSON body for ``request``.

        Raises:
            UsageError: Two tools share a wire name, ``tool_choice`` names a tool the request does not carry,
                or asks for a value the profile does not accept.

        Examples:
            >>> from agentkit.messages import Message
            >>> from agentkit.providers import ModelSettings
            >>> body = AnthropicProvider("claude-haiku-4-5", api_key="k").build_body(ModelRequest(
            ...     messages=[Message.system("Be brief."), Message.user("hi"), Message.user("there")],
            ...     settings=ModelSettings(temperature=0.2, stop=("END",))))
            >>> body["system"], body["messages"], body["stop_sequences"], body["max_tokens"]
            ('Be brief.', [{'role': 'user', 'content': [{'type': 'text', 'text': 'hi'}, {'type': 'text', 'text': 'there'}]}], ['END'], 4096)
        """
        return self._build(request, stream=stream)[0]

    def _build(self, request: ModelRequest, *, stream: bool) -> tuple[dict[str, Any], _Tools]:
        settings = request.settings
        tools = self._compile(request)
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": settings.max_tokens
            if settings.max_tokens is not None
            else DEFAULT_MAX_TOKENS,
        }
        system, messages = self._messages(request.messages, tools)
        if system is not None:
            body["system"] = system
        body["messages"] = messages
        definitions = [tool.definition for tool in tools.by_wire.values()]
        if tools.output is not None and request.tool_choice == "none":
            definitions = []  # "no tools" still has to give the answer in the output shape
        if tools.output is not None:
            definitions.append(tools.output.definition)
        if definitions:
            body["tools"] = definitions
        choice = self._tool_choice(request, tools)
        if choice is not None:
            body["tool_choice"] = choice
        body.update(self.profile.sampling_settings(settings, where=f"{self.system} ({self.model})"))
        if settings.stop:
            body["stop_sequences"] = list(settings.stop)
        body["stream"] = stream
        body.update(settings.extra_body)
        if _thinking_enabled(settings.extra_body) and not self.profile.reasoning:
            raise UsageError(
                f"{self.system} ({self.model}) has no extended thinking: drop 'thinking' from extra_body, or "
                "pass a profile with reasoning=True if the model does think"
            )
        return body, tools

    def _compile(self, request: ModelRequest) -> _Tools:
        dialect = get_dialect(self.profile.dialect)
        by_wire: dict[str, CompiledTool] = {}
        for tool in dialect.compile_all(request.tools):
            other = by_wire.get(tool.wire_name)
            if other is not None and other.name != tool.name:
                raise UsageError(
                    f"tools {other.name!r} and {tool.name!r} both map to the wire name {tool.wire_name!r}; "
                    "rename one of them (or expose them through a prefixed toolset)"
                )
            by_wire[tool.wire_name] = tool
        output = None
        if request.output is not None:
            fmt = request.output
            output = dialect.compile(
                ToolContract(
                    name=fmt.name,
                    description=fmt.description
                    or "Give your final answer by calling this tool with it.",
                    input_schema=dict(fmt.schema),
                )
            )
            if output.wire_name in by_wire:
                raise UsageError(
                    f"the output format {fmt.name!r} has the same wire name as a tool "
                    f"({output.wire_name!r}); rename the output format"
                )
        return _Tools(by_wire, output)

    def _tool_choice(self, request: ModelRequest, tools: _Tools) -> dict[str, Any] | None:
        choice = request.tool_choice
        key = "named" if isinstance(choice, NamedToolChoice) else choice
        if key not in self.profile.tool_choice:
            raise UsageError(
                f"{self.system} ({self.model}) does not accept tool_choice={key!r}; accepted: "
                + ", ".join(sorted(self.profile.tool_choice))
            )
        result: dict[str, Any]
        if isinstance(choice, NamedToolChoice):
            wire = next((w for w, t in tools.by_wire.items() if t.name == choice.name), None)
            if wire is None:
                known = ", ".join(repr(t.name) for t in tools.by_wire.values()) or "none"
                raise UsageError(
                    f"tool_choice names {choice.name!r}, which is not among the request's tools ({known})"
                )
            result = {"type": "tool", "name": wire}
        elif tools.output is not None:
            if choice == "none" or not tools.by_wire:
                result = {"type": "tool", "name": tools.output.wire_name}
            else:
                result = {"type": "any"}  # a tool or the answer, but never free text
            if _thinking_enabled(request.settings.extra_body):
                result = {"type": "auto"}  # Anthropic rejects forced tool use while thinking
        elif not tools.by_wire:
            if choice == "required":
                raise UsageError("tool_choice='required' needs at least one tool in the request")
            return None
        elif choice == "auto":
            result = {"type": "auto"}
        elif choice == "required":
            result = {"type": "any"}
        else:
            return {"type": "none"}
        if request.settings.parallel_tool_calls is False:
            result["disable_parallel_tool_use"] = True
        return result

    def _messages(
        self, messages: Sequence[Message], tools: _Tools
    ) -> tuple[str | None, list[dict[str, Any]]]:
        by_name = {tool.name: tool for tool in tools.by_wire.values()}
        dialect = get_dialect(self.profile.dialect)
        ids = _Ids()
        system: list[str] = []
        turns: list[dict[str, Any]] = []
        check_media(self, messages)
        for message in messages:
            if message.role == "system":
                text = message.text
                if text:
                    system.append(text)
                continue
            role = "assistant" if message.role == "assistant" else "user"
            blocks: list[dict[str, Any]] = []
            for part in message.parts:
                block = self._block(part, role, by_name, dialect.wire_name, ids)
                if block is not None:
                    blocks.append(block)
            if not blocks:
                continue
            if turns and turns[-1]["role"] == role:
                turns[-1]["content"].extend(blocks)
            else:
                turns.append({"role": role, "content": blocks})
        for turn in turns:
            if turn["role"] == "user":
                # tool_result blocks must open the user turn that answers the tool calls
                content = turn["content"]
                turn["content"] = [b for b in content if b["type"] == "tool_result"] + [
                    b for b in content if b["type"] != "tool_result"
                ]
        return ("\n\n".join(system) if system else None), turns

    def _block(
        self,
        part: Any,
        role: str,
        by_name: Mapping[str, CompiledTool],
        wire_name: Any,
        ids: _Ids,
    ) -> dict[str, Any] | None:
        if isinstance(part, (TextPart, RefusalPart)):
            return {"type": "text", "text": part.text} if part.text else None
        if isinstance(part, ToolResultPart):
            content: str | list[dict[str, Any]] = part.content
            if part.media:
                content = [{"type": "text", "text": part.content}] if part.content else []
                content.extend(self._media_block(m, "tool-result") for m in part.media)
            return {
                "type": "tool_result",
                "tool_use_id": ids.result(part.tool_call_id),
                "content": content,
                "is_error": part.is_error,
            }
        if isinstance(part, MediaPart):
            return self._media_block(part, "user")
        if role != "assistant":
            return None
        if isinstance(part, ToolCallPart):
            tool = by_name.get(part.name)
            return {
                "type": "tool_use",
                "id": ids.call(part.id),
                "name": tool.wire_name if tool is not None else str(wire_name(part.name)),
                "input": self._input(part.arguments, tool),
            }
        if isinstance(part, ReasoningPart) and part.provider == self.system:
            return self._reasoning_block(part)
        return None

    def _media_block(
        self, part: MediaPart, where: Literal["user", "tool-result"]
    ) -> dict[str, Any]:
        """An ``image`` or ``document`` block with a ``base64``, ``text`` or ``url`` source."""
        if part.kind == "audio":
            raise unsupported(self, part, where, "the Messages API takes images and documents only")
        if part.url is not None:
            source: dict[str, Any] = {"type": "url", "url": part.url}
        elif part.kind == "document" and (part.media_type or "").startswith("text/"):
            assert part.data is not None  # check_media refused references
            text = part.data.decode("utf-8", "replace")
            source = {"type": "text", "media_type": "text/plain", "data": text}
        else:
            source = {"type": "base64", "media_type": part.media_type, "data": part.base64}
        block: dict[str, Any] = {"type": part.kind, "source": source}
        if part.kind == "document" and part.filename:
            block["title"] = part.filename
        return block

    @staticmethod
    def _input(arguments: str, tool: CompiledTool | None) -> dict[str, Any]:
        if not arguments.strip():
            return {}
        try:
            value = json.loads(arguments)
        except ValueError:
            return {"_raw_arguments": arguments}
        if value is None:
            return {}
        if not isinstance(value, dict):
            return {"_raw_arguments": arguments}
        if tool is not None:
            try:
                return tool.encode(value)
            except Exception:  # a shape the dialect cannot encode: send what the model sent
                return value
        return value

    @staticmethod
    def _reasoning_block(part: ReasoningPart) -> dict[str, Any] | None:
        if part.id and part.id.startswith(_OPAQUE) and part.encrypted:
            try:
                block = json.loads(part.encrypted)
            except ValueError:
                return None
            return block if isinstance(block, dict) else None
        if part.signature:
            return {"type": "thinking", "thinking": part.text, "signature": part.signature}
        if part.encrypted:
            return {"type": "redacted_thinking", "data": part.encrypted}
        return None  # unsigned thinking is rejected by the API: drop it

    # ---------------------------------------------------------------------------------- complete

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send ``request`` and return the whole answer.

        Raises:
            ProviderError: A typed error (``RateLimited``, ``Overloaded``, ``InvalidRequest``,
                ``MalformedResponse``...).

        Examples:
            >>> import anyio, httpx
            >>> from agentkit.messages import Message
            >>> from agentkit.testing._replay import ReplayTransport
            >>> replay = ReplayTransport.from_bodies([(529, {"type": "error", "error": {
            ...     "type": "overloaded_error", "message": "Overloaded"}})])
            >>> provider = AnthropicProvider("claude-haiku-4-5", api_key="k",
            ...                              http_client=httpx.AsyncClient(transport=replay.mock()))
            >>> anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")]))
            Traceback (most recent call last):
            agentkit.exceptions.Overloaded: anthropic (claude-haiku-4-5): Overloaded [HTTP 529]
        """
        body, tools = self._build(request, stream=False)
        data = await self.post_json(
            self.path, body, request=request, headers={"anthropic-version": ANTHROPIC_VERSION}
        )
        return self._parse(data, tools)

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
        return self._parse(data, _Tools(dict(tools or {})))

    def _parse(self, data: Any, tools: _Tools) -> ModelResponse:
        if not isinstance(data, dict):
            raise self.malformed(f"expected a JSON object, got {type(data).__name__}")
        if data.get("type") == "error":
            raise self._inline_error(data)
        content = data.get("content")
        if content is None and "stop_reason" not in data:
            raise self.malformed(
                f"not a Messages response (keys: {', '.join(sorted(map(str, data))) or 'none'})"
            )
        if content is None:
            content = []
        if not isinstance(content, list):
            raise self.malformed(f"'content' must be a list, got {type(content).__name__}")
        builder = ResponseBuilder(provider=self.system)
        builder.model = data.get("model") if isinstance(data.get("model"), str) else None
        builder.response_id = data.get("id") if isinstance(data.get("id"), str) else None
        builder.usage = _usage(data.get("usage"))
        builder.usage_reported = isinstance(data.get("usage"), dict) and bool(data["usage"])
        output_wire = tools.output.wire_name if tools.output is not None else None
        output_text: str | None = None
        for index, block in enumerate(content):
            if not isinstance(block, dict):
                raise self.malformed(f"content block {index} is not an object: {block!r:.100}")
            kind = block.get("type")
            if kind == "text":
                builder.add_text(str(block.get("text") or ""))
            elif kind == "thinking":
                builder.add_reasoning(
                    str(block.get("thinking") or ""),
                    signature=block.get("signature") or None,
                    new_block=True,
                )
            elif kind == "redacted_thinking":
                builder.add_reasoning(encrypted=str(block.get("data") or ""), new_block=True)
            elif kind == "tool_use":
                arguments = self._arguments(block.get("input"))
                if output_wire is not None and block.get("name") == output_wire:
                    assert tools.output is not None  # narrowed with output_wire
                    output_text = _output_text(tools.output, arguments)
                    continue
                builder.tool_call(
                    index, id=str(block.get("id") or ""), name=str(block.get("name") or "")
                )
                builder.tool_arguments(index, arguments)
            else:
                # server tools (server_tool_use, web_search_tool_result...) and blocks newer than this adapter:
                # opaque state the API wants back verbatim in the next request
                builder.add_reasoning(
                    encrypted=_compact(block), id=f"{_OPAQUE}{kind}", new_block=True
                )
        raw_reason = data.get("stop_reason")
        raw_reason = raw_reason if isinstance(raw_reason, str) else None
        finish: FinishReason = _STOP_REASONS.get(raw_reason or "", "other")
        if finish == "refusal":
            details = data.get("stop_details")
            explanation = details.get("explanation") if isinstance(details, dict) else None
            builder.add_refusal(explanation if isinstance(explanation, str) else "")
        response = builder.build(
            finish_reason=finish, raw_finish_reason=raw_reason, raw=data, name_map=tools.by_wire
        )
        if output_text is not None:
            parts: list[Part] = [p for p in response.parts if not isinstance(p, TextPart)]
            parts.append(TextPart(text=output_text))
            response = response.model_copy(
                update={
                    "parts": tuple(parts),
                    "finish_reason": "stop" if finish == "tool_calls" else finish,
                }
            )
        return response

    @staticmethod
    def _arguments(value: Any) -> str:
        if isinstance(value, _RawJSON):
            return str(value)
        if value is None:
            return "{}"
        return _compact(value)

    # ---------------------------------------------------------------------------------- errors

    def _inline_error(self, payload: Any) -> ProviderError:
        """The typed error for an error envelope that arrived with HTTP 200 (a stream ``error`` event)."""
        error = payload.get("error") if isinstance(payload, dict) else None
        kind = error.get("type") if isinstance(error, dict) else None
        status = _ERROR_STATUS.get(kind if isinstance(kind, str) else "", 500)
        body = payload if isinstance(payload, dict) else {"error": {"message": str(payload)}}
        return self.inline_error_of(status, body)

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error; a rate limit without ``retry-after`` waits for the exhausted limit's reset."""
        error = super().classify_error(status, headers, body, text)
        if isinstance(error, RateLimited) and error.retry_after is None:
            error.retry_after = self._reset_after(headers)
        return error

    def _reset_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds until the exhausted ``anthropic-ratelimit-*`` limit resets (RFC 3339 ``*-reset`` headers)."""
        lower = {k.lower(): v for k, v in headers.items()}
        now = self.clock.now()
        exhausted: list[float] = []
        every: list[float] = []
        for name, value in lower.items():
            if not (name.startswith("anthropic-ratelimit-") and name.endswith("-reset")):
                continue
            try:
                when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = max(0.0, (when - now).total_seconds())
            every.append(seconds)
            if lower.get(name[: -len("reset")] + "remaining", "").strip() == "0":
                exhausted.append(seconds)
        if exhausted:
            return max(exhausted)
        return min(every) if every else None

    # ---------------------------------------------------------------------------------- stream

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        r"""Send ``request`` and yield deltas as they arrive, then one ``StreamDone``.

        An ``error`` event is raised as its typed error (``overloaded_error`` → ``Overloaded``...) after the deltas
        already yielded; a stream that ends before ``message_stop`` raises ``MalformedResponse``. ``ping`` and
        unknown event types are ignored.

        Examples:
            >>> import anyio, httpx
            >>> from agentkit.messages import Message
            >>> from agentkit.testing._replay import ReplayTransport, sse_from_chunks
            >>> sse = sse_from_chunks([
            ...     '{"type":"message_start","message":{"id":"msg_1","model":"claude-haiku-4-5","content":[],'
            ...     '"usage":{"input_tokens":5,"output_tokens":1}}}',
            ...     '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
            ...     '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}',
            ...     '{"type":"content_block_stop","index":0}',
            ...     '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}',
            ...     '{"type":"message_stop"}'], with_event_names=True)
            >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
            >>> provider = AnthropicProvider("claude-haiku-4-5", api_key="k",
            ...                              http_client=httpx.AsyncClient(transport=replay.mock()))
            >>> async def main():
            ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
            >>> events = anyio.run(main)
            >>> events[0], events[-1].response.text, events[-1].response.usage.output_tokens
            (TextDelta(text='Hi'), 'Hi', 3)
        """

        def start() -> tuple[str, dict[str, Any], _StreamState]:
            body, tools = self._build(request, stream=True)
            return self.path, body, _StreamState(self, tools)

        return self.stream_lazily(
            start, request=request, headers={"anthropic-version": ANTHROPIC_VERSION}
        )
