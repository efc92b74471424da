"""Responses API request bodies: instructions, input items, tools, settings and media from a `ModelRequest`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from agentkit.exceptions import UsageError
from agentkit.messages import (
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
)
from agentkit.providers._base import resolve_tool_choice
from agentkit.providers._coerce import as_dict, call_out, json_schema_format
from agentkit.providers._media import check_media, unsupported
from agentkit.providers.openai_responses._wire import _ENCRYPTED, _item_id
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from agentkit.providers._base import ModelRequest
    from agentkit.providers.openai_responses._provider import OpenAIResponsesProvider
    from agentkit.tools.dialects import CompiledTool


def build_body(
    provider: OpenAIResponsesProvider, request: ModelRequest, *, stream: bool
) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
    """The JSON body for ``request`` and the compiled tools by wire name (see `OpenAIResponsesProvider.build_body`)."""
    profile = provider.profile
    by_wire = provider.compile_tools(request)
    compiled = list(by_wire.values())
    by_name = {tool.name: tool for tool in compiled}
    stateless = profile.reasoning_in_history

    instructions, items = _input(provider, request.messages, by_name, stateless)
    body: dict[str, Any] = {"model": provider.model}
    if instructions is not None:
        body["instructions"] = instructions
    body["input"] = items
    if compiled:
        body["tools"] = [_tool_definition(tool) for tool in compiled]
    choice = resolve_tool_choice(provider, request, by_name)
    if choice is not None:
        body["tool_choice"] = (
            choice if isinstance(choice, str) else {"type": "function", "name": choice.wire_name}
        )
    if request.output is not None:
        fmt = json_schema_format(provider, request)
        body["text"] = {"format": {"type": "json_schema", **fmt}}

    settings = request.settings
    if settings.stop:
        raise UsageError(
            "the OpenAI Responses API has no stop sequences: drop ModelSettings.stop, or use the Chat "
            "Completions adapter ('openai:MODEL')"
        )
    body.update(profile.sampling_settings(settings, where=f"{provider.system} ({provider.model})"))
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


def _input(
    provider: OpenAIResponsesProvider,
    messages: Sequence[Message],
    by_name: Mapping[str, CompiledTool],
    stateless: bool,
) -> tuple[str | None, list[dict[str, Any]]]:
    """``instructions`` (leading system messages, when the profile says top-level) and the input items."""
    system_role = provider.profile.system_role
    top_level = system_role == "top-level"
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    check_media(provider, messages)
    wire_name = get_dialect(provider.profile.dialect).wire_name
    for message in messages:
        if message.role == "system":
            text = "".join(p.text for p in message.parts if isinstance(p, TextPart))
            if top_level and not items:
                instructions.append(text)
            else:
                items.append({"role": "developer" if top_level else system_role, "content": text})
            continue
        for result in message.tool_results:
            output: str | list[dict[str, Any]] = result.content
            if result.media:
                output = [{"type": "input_text", "text": result.content}] if result.content else []
                output.extend(_media_out(provider, m, "tool-result") for m in result.media)
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
                    else _media_out(provider, p, "user")
                    for p in message.parts
                    if isinstance(p, MediaPart) or (isinstance(p, TextPart) and p.text)
                ]
                items.append({"role": "user", "content": content})
                continue
            text = "".join(p.text for p in message.parts if isinstance(p, TextPart))
            if text or not message.tool_results:
                items.append({"role": "user", "content": text})
            continue
        items.extend(_assistant_items(provider, message.parts, by_name, wire_name, stateless))
    return ("\n\n".join(instructions) if instructions else None), items


def _media_out(
    provider: OpenAIResponsesProvider, part: MediaPart, where: Literal["user", "tool-result"]
) -> dict[str, Any]:
    """One ``input_image`` or ``input_file`` content item."""
    if part.kind == "image":
        return {"type": "input_image", "image_url": part.url or part.data_url, "detail": "auto"}
    if part.kind != "document":
        raise unsupported(provider, part, where, "the Responses API takes images and files only")
    if part.url is not None:
        return {"type": "input_file", "file_url": part.url}
    return {
        "type": "input_file",
        "filename": part.filename or "document",
        "file_data": part.data_url,
    }


def _assistant_items(
    provider: OpenAIResponsesProvider,
    parts: Sequence[Part],
    by_name: Mapping[str, CompiledTool],
    wire_name: Callable[[str], str],
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
            items.append(_call_out(part, by_name, wire_name))
        elif isinstance(part, ReasoningPart) and _replayable(provider, parts, i, stateless):
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


def _replayable(
    provider: OpenAIResponsesProvider, parts: Sequence[Part], index: int, stateless: bool
) -> bool:
    """Whether the reasoning part at ``index`` is ours and still followed by the item it preceded."""
    part = parts[index]
    if not isinstance(part, ReasoningPart) or part.provider != provider.system:
        return False
    if not (part.id or "").startswith("rs_") or (stateless and part.encrypted is None):
        return False
    following = parts[index + 1] if index + 1 < len(parts) else None
    if isinstance(following, ReasoningPart):
        return _replayable(provider, parts, index + 1, stateless)
    return isinstance(following, ToolCallPart) and _item_id(following) is not None


def _call_out(
    call: ToolCallPart, by_name: Mapping[str, CompiledTool], wire_name: Callable[[str], str]
) -> dict[str, Any]:
    name, arguments = call_out(call, by_name, wire_name)
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
