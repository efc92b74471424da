"""`OpenAIResponsesProvider`: request bodies, response parsing and errors of ``POST /responses``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from agentkit.exceptions import ProviderError, UsageError
from agentkit.messages import (
    MediaPart,
    Message,
    Part,
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
from agentkit.providers._coerce import as_dict, as_list, as_str
from agentkit.providers._http import HttpProvider
from agentkit.providers._media import check_media, unsupported
from agentkit.providers.openai_responses._profiles import _responses_profile
from agentkit.providers.openai_responses._stream import _StreamState
from agentkit.providers.openai_responses._wire import (
    _ENCRYPTED,
    _INCOMPLETE,
    _ITEM_ID,
    _PROMOTED_CODES,
    _item_id,
    _reasoning_text,
    _usage,
)
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from agentkit.tools.dialects import CompiledTool


class OpenAIResponsesProvider(HttpProvider):
    """The OpenAI Responses API over plain httpx.

    Tools are compiled with the profile's dialect (``openai-auto``: strict where the schema allows) into the flat
    Responses tool shape; calls come back under their canonical names with canonical arguments. Reasoning models
    run statelessly (``store: false``) and carry their encrypted reasoning in the conversation. See the module
    docstring for every request-shaping decision.

    Args:
        model: The model name (``"gpt-5-mini"``).
        api_key: The key; ``OPENAI_API_KEY`` when omitted. Held as a secret, never shown.
        base_url: API root (default ``https://api.openai.com/v1``).
        http_client: An ``httpx.AsyncClient`` to use (the caller keeps owning it).
        profile: Overrides the capability profile.
        timeout: Default timeout for every call.
        clock: Where ``Retry-After`` dates are compared to.

    Examples:
        >>> import anyio, httpx
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.testing._replay import ReplayTransport
        >>> replay = ReplayTransport.from_bodies([(200, {"id": "resp_1", "model": "gpt-4.1", "status": "completed",
        ...     "output": [{"type": "message", "role": "assistant",
        ...                 "content": [{"type": "output_text", "text": "Paris."}]}],
        ...     "usage": {"input_tokens": 9, "output_tokens": 2}})])
        >>> provider = OpenAIResponsesProvider("gpt-4.1", api_key="sk-test",
        ...                                    http_client=httpx.AsyncClient(transport=replay.mock()))
        >>> response = anyio.run(provider.complete, ModelRequest(messages=[Message.user("Capital of France?")]))
        >>> response.text, response.finish_reason, response.usage.total_tokens
        ('Paris.', 'stop', 11)
        >>> provider
        OpenAIResponsesProvider(model='gpt-4.1', base_url='https://api.openai.com/v1', api_key='***')
    """

    system: str = "openai"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    path: ClassVar[str] = "/responses"

    def default_profile(self, model: str) -> ModelProfile:
        """The profile of an OpenAI model: reasoning models run statelessly and without sampling knobs.

        Examples:
            >>> p = OpenAIResponsesProvider("o3", api_key="sk-test").profile
            >>> p.reasoning, p.reasoning_in_history, p.sampling, p.system_role
            (True, True, False, 'top-level')
        """
        return _responses_profile(model)

    # ---------------------------------------------------------------------------------- request body

    def build_body(
        self, request: ModelRequest, *, stream: bool = False
    ) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The JSON body for ``request`` and the compiled tools by wire name (to map calls back).

        Raises:
            UsageError: The request asks for something the Responses API or this profile does not support
                (stop sequences, a ``tool_choice`` value, JSON-Schema output) or names a tool it does not carry.

        Examples:
            >>> from agentkit.messages import Message
            >>> body, _ = OpenAIResponsesProvider("o3", api_key="sk-test").build_body(
            ...     ModelRequest(messages=[Message.system("Be brief."), Message.user("hi")]))
            >>> body["instructions"], body["input"], body["store"], body["include"]
            ('Be brief.', [{'role': 'user', 'content': 'hi'}], False, ['reasoning.encrypted_content'])
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
        stateless = profile.reasoning_in_history

        instructions, items = self._input(request.messages, by_name, dialect.wire_name, stateless)
        body: dict[str, Any] = {"model": self.model}
        if instructions is not None:
            body["instructions"] = instructions
        body["input"] = items
        if compiled:
            body["tools"] = [self._tool_definition(tool) for tool in compiled]
        choice = self._tool_choice(request, by_name)
        if choice is not None:
            body["tool_choice"] = choice
        if request.output is not None:
            if not profile.json_schema_output:
                raise UsageError(
                    f"{self.system} ({self.model}) has no JSON-Schema output mode: ask for the answer through a "
                    "tool instead, or drop ModelRequest.output"
                )
            fmt: dict[str, Any] = {
                "type": "json_schema",
                "name": request.output.name,
                "schema": dict(request.output.schema),
                "strict": request.output.strict,
            }
            if request.output.description:
                fmt["description"] = request.output.description
            body["text"] = {"format": fmt}

        settings = request.settings
        if settings.stop:
            raise UsageError(
                "the OpenAI Responses API has no stop sequences: drop ModelSettings.stop, or use the Chat "
                "Completions adapter ('openai:MODEL')"
            )
        body.update(profile.sampling_settings(settings, where=f"{self.system} ({self.model})"))
        if settings.max_tokens is not None:
            body["max_output_tokens"] = settings.max_tokens
        if settings.parallel_tool_calls is not None and compiled and profile.parallel_tool_calls:
            body["parallel_tool_calls"] = settings.parallel_tool_calls
        if stateless:
            body["store"] = False
            body["include"] = [_ENCRYPTED]
        body["stream"] = stream
        body.update(settings.extra_body)
        return body, by_wire

    @staticmethod
    def _tool_definition(tool: CompiledTool) -> dict[str, Any]:
        """The flat Responses function tool, built from the dialect's (Chat-shaped) definition."""
        nested = as_dict(tool.definition.get("function"))
        description = nested.get("description", tool.definition.get("description"))
        definition: dict[str, Any] = {"type": "function", "name": tool.wire_name}
        if isinstance(description, str) and description:
            definition["description"] = description
        definition["parameters"] = tool.schema
        definition["strict"] = bool(tool.strict)
        return definition

    def _tool_choice(
        self, request: ModelRequest, by_name: Mapping[str, CompiledTool]
    ) -> str | dict[str, Any] | None:
        choice = resolve_tool_choice(self, request, by_name)
        if choice is None or isinstance(choice, str):
            return choice
        return {"type": "function", "name": choice.wire_name}

    def _input(
        self,
        messages: Sequence[Message],
        by_name: Mapping[str, CompiledTool],
        wire_name: Any,
        stateless: bool,
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """``instructions`` (leading system messages, when the profile says top-level) and the input items."""
        system_role = self.profile.system_role
        top_level = system_role == "top-level"
        instructions: list[str] = []
        items: list[dict[str, Any]] = []
        check_media(self, messages)
        for message in messages:
            if message.role == "system":
                text = "".join(p.text for p in message.parts if isinstance(p, TextPart))
                if top_level and not items:
                    instructions.append(text)
                else:
                    items.append(
                        {"role": "developer" if top_level else system_role, "content": text}
                    )
                continue
            for result in message.tool_results:
                output: str | list[dict[str, Any]] = result.content
                if result.media:
                    output = (
                        [{"type": "input_text", "text": result.content}] if result.content else []
                    )
                    output.extend(self._media_out(m, "tool-result") for m in result.media)
                items.append(
                    {
                        "type": "function_call_output",
                        "call_id": result.tool_call_id,
                        "output": output,
                    }
                )
            if message.role == "tool":
                continue
            if message.role == "user":
                if any(isinstance(p, MediaPart) for p in message.parts):
                    content = [
                        {"type": "input_text", "text": p.text}
                        if isinstance(p, TextPart)
                        else self._media_out(p, "user")
                        for p in message.parts
                        if isinstance(p, MediaPart) or (isinstance(p, TextPart) and p.text)
                    ]
                    items.append({"role": "user", "content": content})
                    continue
                text = "".join(p.text for p in message.parts if isinstance(p, TextPart))
                if text or not message.tool_results:
                    items.append({"role": "user", "content": text})
                continue
            items.extend(self._assistant_items(message.parts, by_name, wire_name, stateless))
        return ("\n\n".join(instructions) if instructions else None), items

    def _media_out(self, part: MediaPart, where: Literal["user", "tool-result"]) -> dict[str, Any]:
        """One ``input_image`` or ``input_file`` content item."""
        if part.kind == "image":
            return {"type": "input_image", "image_url": part.url or part.data_url, "detail": "auto"}
        if part.kind != "document":
            raise unsupported(self, part, where, "the Responses API takes images and files only")
        if part.url is not None:
            return {"type": "input_file", "file_url": part.url}
        return {
            "type": "input_file",
            "filename": part.filename or "document",
            "file_data": part.data_url,
        }

    def _assistant_items(
        self,
        parts: Sequence[Part],
        by_name: Mapping[str, CompiledTool],
        wire_name: Any,
        stateless: bool,
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        text: list[str] = []

        def flush() -> None:
            if text:
                items.append({"role": "assistant", "content": "".join(text)})
                text.clear()

        for i, part in enumerate(parts):
            if isinstance(part, (TextPart, RefusalPart)):
                text.append(part.text)
            elif isinstance(part, ToolCallPart):
                flush()
                items.append(self._call_out(part, by_name, wire_name))
            elif isinstance(part, ReasoningPart) and self._replayable(parts, i, stateless):
                flush()
                assert part.id is not None  # checked by _replayable
                item: dict[str, Any] = {
                    "type": "reasoning",
                    "id": part.id,
                    "summary": [{"type": "summary_text", "text": part.text}] if part.text else [],
                }
                if part.encrypted is not None:
                    item["encrypted_content"] = part.encrypted
                items.append(item)
        flush()
        return items

    def _replayable(self, parts: Sequence[Part], index: int, stateless: bool) -> bool:
        """Whether the reasoning part at ``index`` is ours and still followed by the item it preceded."""
        part = parts[index]
        if not isinstance(part, ReasoningPart) or part.provider != self.system:
            return False
        if not (part.id or "").startswith("rs_") or (stateless and part.encrypted is None):
            return False
        following = parts[index + 1] if index + 1 < len(parts) else None
        if isinstance(following, ReasoningPart):
            return self._replayable(parts, index + 1, stateless)
        return isinstance(following, ToolCallPart) and _item_id(following) is not None

    @staticmethod
    def _call_out(
        call: ToolCallPart, by_name: Mapping[str, CompiledTool], wire_name: Any
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
        item: dict[str, Any] = {
            "type": "function_call",
            "call_id": call.id,
            "name": name,
            "arguments": arguments,
        }
        item_id = _item_id(call)
        if item_id is not None:
            item["id"] = item_id
        return item

    # ---------------------------------------------------------------------------------- complete

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send ``request`` and return the whole answer.

        Raises:
            ProviderError: A typed error (``RateLimited``, ``InvalidRequest``, ``MalformedResponse``...).

        Examples:
            >>> import anyio, httpx
            >>> from agentkit.messages import Message
            >>> from agentkit.testing._replay import ReplayTransport
            >>> replay = ReplayTransport.from_bodies([(429, {"error": {"type": "insufficient_quota",
            ...     "code": "insufficient_quota", "message": "You exceeded your current quota."}})])
            >>> provider = OpenAIResponsesProvider("gpt-4.1", api_key="sk-test",
            ...                                    http_client=httpx.AsyncClient(transport=replay.mock()))
            >>> try:
            ...     anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")]))
            ... except Exception as exc:
            ...     print(type(exc).__name__, exc.retryable)
            RateLimited False
        """
        body, by_wire = self.build_body(request, stream=False)
        data = await self.post_json(self.path, body, request=request)
        return self.parse_response(data, by_wire)

    def parse_response(
        self, data: Any, tools: Mapping[str, CompiledTool] | None = None
    ) -> ModelResponse:
        """Parse a ``response`` object (``tools``: compiled tools by wire name, to map calls back).

        Raises:
            ProviderError: The response failed (``status: failed``), typed from its ``error``.
            MalformedResponse: ``data`` is not a response object.

        Examples:
            >>> p = OpenAIResponsesProvider("gpt-5", api_key="sk-test")
            >>> r = p.parse_response({"id": "resp_1", "status": "completed", "output": [
            ...     {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAA", "summary": []},
            ...     {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "now", "arguments": ""}]})
            >>> r.finish_reason, r.parts[0].id, r.tool_calls[0].id, r.tool_calls[0].provider_details
            ('tool_calls', 'rs_1', 'call_1', {'item_id': 'fc_1'})
        """
        if not isinstance(data, dict):
            raise self.malformed(f"expected a JSON object, got {type(data).__name__}")
        status = as_str(data.get("status"))
        error = data.get("error")
        if status == "failed" or (error and not isinstance(data.get("output"), list)):
            raise self._payload_error(error)
        output = data.get("output")
        if not isinstance(output, list):
            raise self.malformed("the response has no output list")
        builder = ResponseBuilder(provider=self.system)
        builder.model = as_str(data.get("model"))
        builder.response_id = as_str(data.get("id"))
        has_calls = refused = has_text = False
        for index, item in enumerate(output):
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "reasoning":
                encrypted = item.get("encrypted_content")
                builder.add_reasoning(
                    _reasoning_text(item),
                    encrypted=encrypted if isinstance(encrypted, str) else None,
                    id=as_str(item.get("id")),
                    new_block=True,
                )
            elif kind == "message":
                for content in as_list(item.get("content")):
                    if not isinstance(content, dict):
                        continue
                    if content.get("type") == "output_text" and isinstance(
                        content.get("text"), str
                    ):
                        builder.add_text(content["text"])
                        has_text = has_text or bool(content["text"])
                    elif content.get("type") == "refusal" and isinstance(
                        content.get("refusal"), str
                    ):
                        builder.add_refusal(content["refusal"])
                        refused = True
            elif kind == "function_call":
                item_id = as_str(item.get("id"))
                arguments = item.get("arguments")
                builder.tool_call(
                    ("call", index),
                    id=as_str(item.get("call_id")) or item_id,
                    name=as_str(item.get("name")),
                    arguments=arguments if isinstance(arguments, str) else "",
                    provider_details={_ITEM_ID: item_id} if item_id else None,
                )
                has_calls = True
            # Other item types (built-in tool calls, compaction...) are not part of the neutral model.
        builder.usage = _usage(data.get("usage"))
        builder.usage_reported = isinstance(data.get("usage"), dict)
        finish: FinishReason
        raw_finish: str | None
        if status == "incomplete":
            reason = as_str(as_dict(data.get("incomplete_details")).get("reason"))
            finish = _INCOMPLETE.get(reason or "", "other")
            raw_finish = reason or status
        elif status in (None, "completed"):
            finish = (
                "tool_calls" if has_calls else ("refusal" if refused and not has_text else "stop")
            )
            raw_finish = status
        else:  # cancelled, queued, in_progress: not a finished answer
            finish, raw_finish = "other", status
        return builder.build(
            finish_reason=finish, raw_finish_reason=raw_finish, raw=data, name_map=tools or None
        )

    # ---------------------------------------------------------------------------------- errors

    def _payload_error(self, error: Any) -> ProviderError:
        """The typed error for an error object sent with HTTP 200 (``response.failed``, an ``error`` event)."""
        err = error if isinstance(error, dict) else {"message": str(error or "the response failed")}
        code = str(err.get("code") or err.get("type") or "").lower()
        if "quota" in code or "rate_limit" in code:
            status = 429
        elif code == "server_error" or not code:
            status = 500
        elif "not_found" in code:
            status = 404
        else:
            status = 400
        message = err.get("message") if isinstance(err.get("message"), str) else None
        payload = {
            "error": {
                "message": message or f"the response failed ({code or 'no error code'})",
                "type": err.get("type") or err.get("code"),
                "code": err.get("code"),
            }
        }
        return self.inline_error_of(status, payload)

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error; ``model_not_found``, ``context_length_exceeded``... are classified by their code."""
        # OpenAI files them under type invalid_request_error.
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code") in _PROMOTED_CODES:
            assert isinstance(body, dict)  # narrowed with error
            body = {**body, "error": {**error, "type": error["code"]}}
        return super().classify_error(status, headers, body, text)

    # ---------------------------------------------------------------------------------- stream

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        r"""Send ``request`` and yield deltas as they arrive, then one ``StreamDone``.

        The final response is parsed from ``response.completed`` (or ``response.incomplete``), exactly as
        `complete` parses a response object, and checked against the deltas already yielded. An ``error`` event or
        ``response.failed`` is raised as a typed error after the deltas received so far; a stream that is cut
        mid-event or ends without a final response raises ``MalformedResponse``.

        Examples:
            >>> import anyio, httpx
            >>> from agentkit.messages import Message
            >>> from agentkit.testing._replay import ReplayTransport, sse_from_chunks
            >>> done = {"id": "resp_1", "status": "completed", "output": [{"type": "message", "role": "assistant",
            ...     "content": [{"type": "output_text", "text": "Hi"}]}], "usage": {"input_tokens": 3, "output_tokens": 1}}
            >>> sse = sse_from_chunks([json.dumps(c) for c in (
            ...     {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "delta": "Hi"},
            ...     {"type": "response.completed", "response": done})], with_event_names=True)
            >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
            >>> provider = OpenAIResponsesProvider("gpt-4.1", api_key="sk-test",
            ...                                    http_client=httpx.AsyncClient(transport=replay.mock()))
            >>> async def main():
            ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
            >>> events = anyio.run(main)
            >>> events[0], events[-1].response.text, events[-1].response.usage.total_tokens
            (TextDelta(text='Hi'), 'Hi', 4)
        """

        def start() -> tuple[str, dict[str, Any], _StreamState]:
            body, by_wire = self.build_body(request, stream=True)
            return self.path, body, _StreamState(self, by_wire)

        return self.stream_lazily(start, request=request)
