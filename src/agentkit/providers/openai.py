"""OpenAI Chat Completions (``POST /chat/completions``) and the servers that speak it.

`OpenAIChatProvider` talks to api.openai.com; `OpenAICompatibleProvider` talks to vLLM, Ollama, Groq, Mistral,
OpenRouter, DeepSeek, Cerebras, Gemini's OpenAI endpoint, the Hugging Face router or any other server with the
same wire format, each described by a capability profile (`SERVER_PROFILES`) instead of guesses from model
names. Both build the request body from a neutral `ModelRequest`, parse answers and SSE streams into a neutral
`ModelResponse`, and translate every error once, here, into the ``ProviderError`` tree.

Examples:
    >>> from agentkit.providers.openai import OpenAIChatProvider, OpenAICompatibleProvider
    >>> OpenAIChatProvider("gpt-4.1", api_key="sk-test").profile.system_role
    'system'
    >>> OpenAIChatProvider("o3-mini", api_key="sk-test").profile.system_role
    'developer'
    >>> OpenAICompatibleProvider("llama3.2", server="ollama").base_url
    'http://localhost:11434/v1'
"""

from __future__ import annotations

import json
import os
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from agentkit.exceptions import ProviderError, UsageError
from agentkit.messages import (
    MediaPart,
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
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
from agentkit.providers._media import check_media, unsupported
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Mapping, Sequence

    import httpx
    from pydantic import SecretStr

    from agentkit._clock import Clock
    from agentkit.tools.dialects import CompiledTool

__all__ = (
    "SERVER_PROFILES",
    "OpenAIChatProvider",
    "OpenAICompatibleProvider",
    "ServerInfo",
)

_ALL_CHOICES = frozenset({"auto", "none", "required", "named"})
_CUT = "stream ended before the response was complete"


# ------------------------------------------------------------------------------------- OpenAI's own models

# Chat Completions' input_audio "format" for each media type (OpenAI's audio guide: wav and mp3).
_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}

_OPENAI_DEFAULT = ModelProfile(dialect="openai-auto", max_tokens_field="max_completion_tokens")
_OPENAI_REASONING = ModelProfile(
    dialect="openai-auto",
    system_role="developer",
    reasoning=True,
    sampling=False,
    max_tokens_field="max_completion_tokens",
)

# First matching prefix wins. Facts: OpenAI's reasoning guide ("developer messages" replace system messages from
# o1-2024-12-17 on; reasoning models reject temperature/top_p) and the recording
# openai-chat/error-400-unsupported-system-role (o1-mini: "'messages[0].role' does not support 'system'").
# gpt-5 "chat" variants are not reasoning models.
_OPENAI_MODELS: tuple[tuple[str, ModelProfile], ...] = (
    ("gpt-5-chat", _OPENAI_DEFAULT),
    ("gpt-5", _OPENAI_REASONING),
    ("o1", _OPENAI_REASONING),
    ("o3", _OPENAI_REASONING),
    ("o4", _OPENAI_REASONING),
)


def _openai_profile(model: str) -> ModelProfile:
    name = model.rsplit("/", 1)[-1].lower()
    for prefix, profile in _OPENAI_MODELS:
        if name.startswith(prefix) and "-chat" not in name[len(prefix) :]:
            return profile
    return _OPENAI_DEFAULT


# ------------------------------------------------------------------------------------- compatible servers


@dataclass(frozen=True)
class ServerInfo:
    """How to reach one OpenAI-compatible server, and what it supports.

    Attributes:
        profile: The capability profile.
        base_url: Default API root (``None``: the caller must pass ``base_url``).
        api_key_env: Environment variable holding the key.
        requires_api_key: Whether a key is needed (local servers need none).

    Examples:
        >>> SERVER_PROFILES["groq"].api_key_env
        'GROQ_API_KEY'
    """

    profile: ModelProfile
    base_url: str | None = None
    api_key_env: str | None = None
    requires_api_key: bool = True


SERVER_PROFILES: dict[str, ServerInfo] = {
    # vLLM docs, "Tool Calling": named function calling plus auto, required (vllm>=0.8.3) and none. No documented
    # strict mode or parallel_tool_calls switch, so neither is sent. Reasoning parsers emit reasoning_content.
    "vllm": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            reasoning_field="reasoning_content",
            max_tokens_field="max_tokens",
        ),
        base_url="http://localhost:8000/v1",
        api_key_env="VLLM_API_KEY",
        requires_api_key=False,
    ),
    # Ollama docs, "OpenAI compatibility": tools, response_format, seed, stream_options.include_usage are listed;
    # tool_choice is not (it is ignored, and the recording ollama-tool-call sends "auto"). Reasoning comes in
    # `reasoning` (fixtures ollama-tool-call, ollama-local-json-schema-output, which also shows json_schema works).
    "ollama": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=frozenset({"auto"}),
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="http://localhost:11434/v1",
        api_key_env="OLLAMA_API_KEY",
        requires_api_key=False,
    ),
    # Groq: tool_choice "required" works (fixture groq-parallel-tool-calls), reasoning in `reasoning` with
    # completion_tokens_details.reasoning_tokens (groq-reasoning-tokens); streams carry usage in the final chunk
    # without stream_options (groq-stream-error-event-tool-use-failed), so none is sent.
    "groq": ServerInfo(
        ModelProfile(
            dialect="openai",
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
    ),
    # Mistral: usage arrives in the last stream chunk unasked (mistral-stream-*.jsonl) and unknown fields are
    # rejected with 422 extra_forbidden (errors/transcribed-error-bodies.json), so no stream_options; the seed is
    # called random_seed there, so `seed` is not sent.
    "mistral": ServerInfo(
        ModelProfile(
            dialect="openai",
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            seed=False,
            max_tokens_field="max_tokens",
        ),
        base_url="https://api.mistral.ai/v1",
        api_key_env="MISTRAL_API_KEY",
    ),
    # OpenRouter: stream_options.include_usage honoured (openrouter-stream-*), reasoning in `reasoning` and
    # `reasoning_details` (openrouter-stream-comments-and-inline-error); errors may come inside a 200.
    "openrouter": ServerInfo(
        ModelProfile(
            dialect="openai",
            tool_choice=_ALL_CHOICES,
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
    ),
    # DeepSeek docs, "Thinking Mode": reasoning_content of turns that called tools must be passed back in all
    # later requests (else HTTP 400); the recording deepseek-parallel-tool-calls-thinking does so. Only
    # json_object output (no json_schema); no parallel_tool_calls or seed parameter documented.
    "deepseek": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            reasoning=True,
            reasoning_field="reasoning_content",
            reasoning_in_history=True,
            json_schema_output=False,
            seed=False,
            max_tokens_field="max_tokens",
        ),
        base_url="https://api.deepseek.com/v1",
        api_key_env="DEEPSEEK_API_KEY",
    ),
    # Cerebras API reference: max_completion_tokens, tool_choice none/auto/required/named. Stream usage and
    # parallel_tool_calls are not relied on. Plain text: fixture cerebras-plain-text.
    "cerebras": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            max_tokens_field="max_completion_tokens",
        ),
        base_url="https://api.cerebras.ai/v1",
        api_key_env="CEREBRAS_API_KEY",
    ),
    # Gemini's OpenAI endpoint: empty tool-call ids, thought signatures in extra_content.google and hidden
    # thinking tokens counted only in total_tokens (gemini-openai-compat-tool-calls-without-id).
    "gemini-openai": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=frozenset({"auto", "none", "required"}),
            seed=False,
            max_tokens_field="max_tokens",
        ),
        base_url="https://generativelanguage.googleapis.com/v1beta/openai",
        api_key_env="GEMINI_API_KEY",
    ),
    # Hugging Face router: tool_choice "required" answered with a call (huggingface-router-tool-choice-required).
    "huggingface": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            tool_choice=_ALL_CHOICES,
            stream_usage=False,
            reasoning_field="reasoning",
            max_tokens_field="max_tokens",
        ),
        base_url="https://router.huggingface.co/v1",
        api_key_env="HF_TOKEN",
    ),
    # Anything else: only what every Chat-Completions server accepts.
    "generic": ServerInfo(
        ModelProfile(
            dialect="openai",
            parallel_tool_calls=False,
            stream_usage=False,
            max_tokens_field="max_tokens",
        ),
        api_key_env="OPENAI_COMPATIBLE_API_KEY",
        requires_api_key=False,
    ),
}
"""Server name -> `ServerInfo` (profile, default base URL, key variable), for `OpenAICompatibleProvider`."""

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "refusal": "refusal",
    "error": "error",
}

_REASONING_FIELDS = ("reasoning_content", "reasoning")


def _usage(raw: Any) -> Usage:
    """Normalise Chat-Completions usage (and its dialects) to `Usage`, never counting a token twice."""
    u = as_dict(raw)
    prompt = as_count(u.get("prompt_tokens"))
    completion = as_count(u.get("completion_tokens"))
    ptd = as_dict(u.get("prompt_tokens_details"))
    ctd = as_dict(u.get("completion_tokens_details"))
    cached = (
        as_count(ptd.get("cached_tokens"))
        or as_count(u.get("prompt_cache_hit_tokens"))  # DeepSeek
        or as_count(u.get("num_cached_tokens"))  # Mistral
    )
    cache_write = as_count(ptd.get("cache_write_tokens"))
    reasoning = as_count(ctd.get("reasoning_tokens"))
    total = as_count(u.get("total_tokens"))
    if "reasoning_tokens" not in ctd and total > prompt + completion and completion:
        # Gemini's endpoint leaves hidden thinking out of completion_tokens but counts it in total_tokens.
        reasoning = total - prompt - completion
        completion += reasoning
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        cache_read_tokens=min(cached, prompt),
        cache_write_tokens=min(cache_write, prompt),
        reasoning_tokens=min(reasoning, completion),
    )


def _text_of(content: Any) -> str:
    """Text from a ``content`` that is a string or a list of typed parts (Mistral, some proxies)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"]
            for p in content
            if isinstance(p, dict)
            and p.get("type", "text") == "text"
            and isinstance(p.get("text"), str)
        )
    return ""


def _arguments_text(arguments: Any) -> str | None:
    """A tool call's argument text: JSON strings kept verbatim, objects serialised, ``null`` as nothing."""
    if arguments is None:
        return None
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))


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

    def _reasoning_of(self, holder: Mapping[str, Any]) -> str:
        """Reasoning text from a message or delta: the profile's field first, then the other known ones."""
        field = self.profile.reasoning_field
        fields = (
            (field, *(f for f in _REASONING_FIELDS if f != field)) if field else _REASONING_FIELDS
        )
        for name in fields:
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

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
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
        body, by_wire = self.build_body(request, stream=True)
        state = _StreamState(self, by_wire)
        async with aclosing(self.stream_events(self.path, body, state, request=request)) as events:
            async for event in events:
                yield event


class _StreamState(StreamState):
    """Assembles Chat-Completions chunks: deltas out, one `ModelResponse` at the end."""

    def __init__(self, provider: OpenAIChatProvider, tools: Mapping[str, CompiledTool]) -> None:
        super().__init__()
        self.provider = provider
        self.tools = tools
        self.builder = ResponseBuilder(provider=provider.system)
        self.finish_reason: str | None = None
        self.refused = False
        self.by_id: dict[str, int] = {}
        self.by_index: dict[int, int] = {}
        self.ids: list[str | None] = []
        self.indexes: list[int | None] = []  # the wire index of each call
        self.named: set[int] = set()
        self.saw_usage = False
        self.id_sent: set[int] = set()
        self.last: int | None = None
        self.details: dict[str, Any] | None = None

    def feed(self, event: str, payload: Any) -> Iterable[StreamEvent]:
        """The deltas of one chunk; an ``error`` event or an ``error`` object in a chunk raises its typed error."""
        if event == "error":
            error = payload.get("error", payload) if isinstance(payload, dict) else {}
            raise self.provider._inline_error(error)
        yield from self._chunk(payload)
        if payload.get("error"):
            raise self.provider._inline_error(payload["error"])

    def whole(self, data: Any) -> ModelResponse:
        """A ``chat.completion`` body sent instead of a stream."""
        return self.provider.parse_completion(data, self.tools)

    def finish(self) -> ModelResponse:
        """The final response; a stream without ``[DONE]`` or a finish reason was cut."""
        if not self.done and self.finish_reason is None:
            raise self.provider.malformed(_CUT)
        return self.build()

    def _chunk(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The deltas in one chunk (also records usage, ids, finish reason)."""
        b = self.builder
        if b.model is None and isinstance(chunk.get("model"), str):
            b.model = chunk["model"]
        if b.response_id is None and isinstance(chunk.get("id"), str) and chunk["id"]:
            b.response_id = chunk["id"]
        usage = chunk.get("usage") or as_dict(chunk.get("x_groq")).get("usage")
        if isinstance(usage, dict):
            b.usage = _usage(usage)
            self.saw_usage = True
        events: list[StreamEvent] = []
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return events
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
                continue
            delta = as_dict(choice.get("delta"))
            reasoning = self.provider._reasoning_of(delta)
            if reasoning:
                b.add_reasoning(reasoning)
                events.append(ReasoningDelta(reasoning))
            text = _text_of(delta.get("content"))
            if text:
                b.add_text(text)
                events.append(TextDelta(text))
            refusal = delta.get("refusal")
            if isinstance(refusal, str) and refusal:
                b.add_refusal(refusal)
                self.refused = True
            details = self.provider._call_details(delta)
            if details:
                self.details = details
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                for call in calls:
                    if isinstance(call, dict):
                        events.append(self._call(call))
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self.finish_reason = finish
        return events

    def _slot(self, call: Mapping[str, Any]) -> tuple[int, bool]:
        """Which call a fragment belongs to: a known id first, then the index; a new id at a used index is new."""
        raw_id, raw_index = call.get("id"), call.get("index")
        call_id = raw_id if isinstance(raw_id, str) and raw_id else None
        index = (
            raw_index if isinstance(raw_index, int) and not isinstance(raw_index, bool) else None
        )
        slot: int | None = None
        if call_id is not None and call_id in self.by_id:
            known = self.by_id[call_id]
            # A known id at another index is another call: some servers reuse ids such as "0".
            if index is None or self.indexes[known] in (None, index):
                slot = known
        if slot is None and index is not None and index in self.by_index:
            known = self.by_index[index]
            if call_id is None or self.ids[known] in (None, call_id):
                slot = known
        elif slot is None and index is None and call_id is None and self.last is not None:
            slot = self.last
        new = slot is None
        if slot is None:
            slot = len(self.ids)
            self.ids.append(None)
            self.indexes.append(None)
        if call_id is not None and self.ids[slot] is None:
            self.ids[slot] = call_id
        if call_id is not None:
            self.by_id[call_id] = slot  # the latest call with this id
        if index is not None:
            self.by_index[index] = slot
            if self.indexes[slot] is None:
                self.indexes[slot] = index
        self.last = slot
        return slot, new

    def _call(self, call: Mapping[str, Any]) -> ToolCallDelta:
        slot, _ = self._slot(call)
        function = as_dict(call.get("function"))
        raw_name = function.get("name")
        name = raw_name if isinstance(raw_name, str) and raw_name else None
        self.builder.tool_call(slot, id=self.ids[slot], name=name)
        raw_args = function.get("arguments")
        fragment = ""
        if isinstance(raw_args, str):
            fragment = raw_args
            self.builder.tool_arguments(slot, fragment)
        elif raw_args is not None:  # an object: the whole arguments at once
            fragment = _arguments_text(raw_args) or ""
            self.builder.tool_call(slot, arguments=fragment)
        # id and name go out once, on the first fragment that carries them (some servers repeat them).
        new_id = self.ids[slot] if slot not in self.id_sent else None
        if new_id is not None:
            self.id_sent.add(slot)
        new_name = name if slot not in self.named else None
        if new_name is not None:
            self.named.add(slot)
            compiled = self.tools.get(new_name)
            if compiled is not None:
                new_name = (
                    compiled.name
                )  # deltas name tools canonically, as the final response does
        return ToolCallDelta(index=slot, id=new_id, name=new_name, arguments=fragment)

    def build(self) -> ModelResponse:
        """The final response, as ``complete()`` would have parsed the same content."""
        if self.details:
            for slot in range(len(self.ids)):
                self.builder.tool_call(slot, provider_details=self.details)
        self.builder.usage_reported = self.saw_usage
        return self.provider._finish(
            self.builder,
            self.finish_reason,
            has_calls=bool(self.ids),
            refused=self.refused,
            raw=None,
            tools=self.tools,
        )


class OpenAICompatibleProvider(OpenAIChatProvider):
    """A server that speaks OpenAI Chat Completions: vLLM, Ollama, Groq, Mistral, OpenRouter, DeepSeek...

    ``server`` picks the capability profile, default base URL and API-key variable from `SERVER_PROFILES`;
    ``"generic"`` (the default) needs ``base_url`` and assumes only what every such server accepts. Keys are
    optional for local servers (``ollama``, ``vllm``, ``generic``). Errors and responses name the server
    (``provider="groq"``), so reasoning kept for one server is never sent to another.

    Args:
        model: The model name as the server spells it.
        server: One of `SERVER_PROFILES`.
        api_key: The key; the server's environment variable when omitted.
        base_url: API root; the server's default when omitted.
        http_client: An ``httpx.AsyncClient`` or ``httpx2.AsyncClient`` to use (the caller keeps owning it).
        profile: Overrides the server's profile.
        timeout: Bounds each whole call, seconds (see `HttpProvider`).
        idle_timeout: The longest silence between two chunks, seconds.
        max_body_bytes: The largest response body read.
        max_line_bytes: The largest single stream line.
        clock: Where ``Retry-After`` dates are compared to.

    Examples:
        >>> p = OpenAICompatibleProvider("deepseek-reasoner", server="deepseek", api_key="sk-test")
        >>> p.system, p.base_url, p.profile.reasoning_field, p.profile.max_tokens_field
        ('deepseek', 'https://api.deepseek.com/v1', 'reasoning_content', 'max_tokens')
        >>> p
        OpenAICompatibleProvider(model='deepseek-reasoner', base_url='https://api.deepseek.com/v1', api_key='***')
    """

    system: str = "openai-compatible"
    default_base_url: ClassVar[str] = ""
    api_key_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False
    default_max_tokens_field: ClassVar[str] = "max_tokens"

    def __init__(
        self,
        model: str,
        *,
        server: Literal[
            "vllm",
            "ollama",
            "groq",
            "mistral",
            "openrouter",
            "deepseek",
            "cerebras",
            "gemini-openai",
            "huggingface",
            "generic",
        ]
        | str = "generic",
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        http_client: Any = None,
        profile: ModelProfile | None = None,
        timeout: float | httpx.Timeout | None = None,
        idle_timeout: float | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        clock: Clock | None = None,
    ) -> None:
        info = SERVER_PROFILES.get(server)
        if info is None:
            import difflib

            close = difflib.get_close_matches(server, list(SERVER_PROFILES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"unknown OpenAI-compatible server {server!r}{hint} known: {', '.join(SERVER_PROFILES)}"
            )
        if api_key is None and info.api_key_env:
            api_key = os.environ.get(info.api_key_env) or None
        if api_key is None and info.requires_api_key:
            raise UsageError(
                f"the {server} server needs an API key: pass api_key=... or set {info.api_key_env}"
            )
        base_url = base_url or info.base_url
        if not base_url:
            raise UsageError(
                f"OpenAICompatibleProvider(server={server!r}) needs base_url=..., e.g. 'http://localhost:8000/v1'"
            )
        self.server = server
        self._server_profile = info.profile
        # One class serves many servers: errors, usage and reasoning parts carry the server's own name.
        self.system = (
            "openai-compatible" if server == "generic" else server
        )  # per-instance gen_ai.system
        options: dict[str, Any] = {}
        if clock is not None:
            options["clock"] = clock
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
            **options,
        )

    def default_profile(self, model: str) -> ModelProfile:
        """The server's profile (models behind one server share it; pass ``profile=`` to refine).

        Examples:
            >>> OpenAICompatibleProvider("llama3.2", server="ollama").profile.tool_choice
            frozenset({'auto'})
        """
        return self._server_profile


def __getattr__(name: str) -> Any:
    """``ChatCompletionsProfile``: a deprecated alias of `ModelProfile`, which now has every field it added."""
    if name == "ChatCompletionsProfile":
        import warnings

        warnings.warn(
            "agentkit.providers.openai.ChatCompletionsProfile is deprecated: use "
            "agentkit.providers.ModelProfile, which has max_tokens_field, sampling and reasoning_in_history",
            DeprecationWarning,
            stacklevel=2,
        )
        return _chat_profile_compat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _chat_profile_compat(**fields: Any) -> ModelProfile:
    """What ``ChatCompletionsProfile(...)`` built: its default ``max_tokens_field`` was ``max_completion_tokens``."""
    return ModelProfile(**{"max_tokens_field": "max_completion_tokens", **fields})
