"""Chat Completions request bodies: messages, tools, tool choice, settings and media from a `ModelRequest`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from agentkit.messages import MediaPart, Message, ReasoningPart, RefusalPart, TextPart, ToolCallPart
from agentkit.providers._base import resolve_tool_choice
from agentkit.providers._coerce import call_out, json_schema_format
from agentkit.providers._media import check_media, unsupported
from agentkit.providers.openai._wire import _AUDIO_FORMATS
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from agentkit.providers._base import ModelRequest
    from agentkit.providers.openai._provider import OpenAIChatProvider
    from agentkit.tools.dialects import CompiledTool


def build_body(
    provider: OpenAIChatProvider, request: ModelRequest, *, stream: bool
) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
    """The JSON body for ``request`` and the compiled tools by wire name (see `OpenAIChatProvider.build_body`)."""
    profile = provider.profile
    by_wire = provider.compile_tools(request)
    compiled = list(by_wire.values())
    by_name = {tool.name: tool for tool in compiled}

    body: dict[str, Any] = {
        "model": provider.model,
        "messages": _messages(provider, request.messages, by_name),
    }
    if compiled:
        body["tools"] = [tool.definition for tool in compiled]
    choice = resolve_tool_choice(provider, request, by_name)
    if choice is not None:
        body["tool_choice"] = (
            choice
            if isinstance(choice, str)
            else {"type": "function", "function": {"name": choice.wire_name}}
        )
    if request.output is not None:
        schema = json_schema_format(provider, request)
        body["response_format"] = {"type": "json_schema", "json_schema": schema}

    settings = request.settings
    body.update(profile.sampling_settings(settings, where=f"{provider.system} ({provider.model})"))
    if settings.max_tokens is not None:
        body[profile.max_tokens_field or provider.default_max_tokens_field] = settings.max_tokens
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


def _messages(
    provider: OpenAIChatProvider,
    messages: Sequence[Message],
    by_name: Mapping[str, CompiledTool],
) -> list[dict[str, Any]]:
    profile = provider.profile
    wire_name = get_dialect(profile.dialect).wire_name
    out: list[dict[str, Any]] = []
    system_role = profile.system_role
    if system_role == "top-level":
        system_role = "system"
    reasoning_field = profile.reasoning_field
    send_reasoning = profile.reasoning_in_history and reasoning_field
    check_media(provider, messages)
    for message in messages:
        moved: list[dict[str, Any]] = []
        for result in message.tool_results:
            content = result.content
            if result.media:
                # Tool messages take text only: the media follow in a user message (as pydantic-ai does).
                moved.append(
                    {"type": "text", "text": f"The result of tool call {result.tool_call_id}:"}
                )
                moved.extend(_media_out(provider, m, "tool-result") for m in result.media)
                content = content or "[the result's media follow in the next user message]"
            out.append({"role": "tool", "tool_call_id": result.tool_call_id, "content": content})
        if moved:
            out.append({"role": "user", "content": moved})
        if message.role == "tool":
            continue
        text = "".join(p.text for p in message.parts if isinstance(p, (TextPart, RefusalPart)))
        if message.role == "system":
            out.append({"role": system_role, "content": text})
        elif message.role == "user":
            if any(isinstance(p, MediaPart) for p in message.parts):
                out.append({"role": "user", "content": _user_content(provider, message)})
            elif text or not message.tool_results:
                out.append({"role": "user", "content": text})
        else:
            calls = message.tool_calls
            entry: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                entry["tool_calls"] = [_call_out(provider, c, by_name, wire_name) for c in calls]
            elif not text:
                entry["content"] = ""
            if send_reasoning:
                assert reasoning_field is not None  # narrowed by send_reasoning
                entry[reasoning_field] = "".join(
                    p.text
                    for p in message.parts
                    if isinstance(p, ReasoningPart) and p.provider == provider.system
                )
            out.append(entry)
    return out


def _user_content(provider: OpenAIChatProvider, message: Message) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:
                content.append({"type": "text", "text": part.text})
        elif isinstance(part, MediaPart):
            content.append(_media_out(provider, part, "user"))
    return content


def _media_out(
    provider: OpenAIChatProvider, part: MediaPart, where: Literal["user", "tool-result"]
) -> dict[str, Any]:
    """One content part, as OpenAI's Chat Completions "image_url", "input_audio" and "file" parts."""
    if part.kind == "image":
        return {"type": "image_url", "image_url": {"url": part.url or part.data_url}}
    if part.data is None:
        raise unsupported(
            provider, part, where, f"Chat Completions takes {part.kind} as bytes only, not a URL"
        )
    if part.kind == "audio":
        fmt = _AUDIO_FORMATS.get((part.media_type or "").lower())
        if fmt is None:
            raise unsupported(
                provider, part, where, f"input_audio takes wav or mp3, not {part.media_type!r}"
            )
        return {"type": "input_audio", "input_audio": {"data": part.base64, "format": fmt}}
    return {
        "type": "file",
        "file": {"filename": part.filename or "document", "file_data": part.data_url},
    }


def _call_out(
    provider: OpenAIChatProvider,
    call: ToolCallPart,
    by_name: Mapping[str, CompiledTool],
    wire_name: Callable[[str], str],
) -> dict[str, Any]:
    name, arguments = call_out(call, by_name, wire_name)
    entry: dict[str, Any] = {
        "id": call.id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    details = call.provider_details or {}
    extra = details.get("extra_content")
    if provider.system == "gemini-openai" and isinstance(extra, dict):
        entry["extra_content"] = extra  # Gemini wants its thought signature back with the call
    return entry
