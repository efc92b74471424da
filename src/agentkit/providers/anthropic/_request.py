"""Messages API request bodies: system text, alternating turns, tool blocks, tool choice and media."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from agentkit.exceptions import UsageError
from agentkit.messages import (
    MediaPart,
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from agentkit.providers._base import NamedToolChoice
from agentkit.providers._media import check_media, unsupported
from agentkit.providers.anthropic._profiles import DEFAULT_MAX_TOKENS
from agentkit.providers.anthropic._wire import _OPAQUE, _Ids, _thinking_enabled, _Tools
from agentkit.tools._contract import ToolContract
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from agentkit.providers._base import ModelRequest
    from agentkit.providers.anthropic._provider import AnthropicProvider
    from agentkit.tools.dialects import CompiledTool


def build(
    provider: AnthropicProvider, request: ModelRequest, *, stream: bool
) -> tuple[dict[str, Any], _Tools]:
    """The JSON body for ``request`` and its compiled tools (see `AnthropicProvider.build_body`)."""
    settings = request.settings
    tools = _compile(provider, request)
    body: dict[str, Any] = {
        "model": provider.model,
        "max_tokens": settings.max_tokens
        if settings.max_tokens is not None
        else DEFAULT_MAX_TOKENS,
    }
    system, messages = _messages(provider, request.messages, tools)
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
    choice = _tool_choice(provider, request, tools)
    if choice is not None:
        body["tool_choice"] = choice
    body.update(
        provider.profile.sampling_settings(settings, where=f"{provider.system} ({provider.model})")
    )
    if settings.stop:
        body["stop_sequences"] = list(settings.stop)
    body["stream"] = stream
    body.update(settings.extra_body)
    if _thinking_enabled(settings.extra_body) and not provider.profile.reasoning:
        raise UsageError(
            f"{provider.system} ({provider.model}) has no extended thinking: drop 'thinking' from extra_body, or "
            "pass a profile with reasoning=True if the model does think"
        )
    return body, tools


def _compile(provider: AnthropicProvider, request: ModelRequest) -> _Tools:
    by_wire = provider.compile_tools(request)
    output = None
    if request.output is not None:
        fmt = request.output
        output = get_dialect(provider.profile.dialect).compile(
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


def _tool_choice(
    provider: AnthropicProvider, request: ModelRequest, tools: _Tools
) -> dict[str, Any] | None:
    choice = request.tool_choice
    key = "named" if isinstance(choice, NamedToolChoice) else choice
    if key not in provider.profile.tool_choice:
        raise UsageError(
            f"{provider.system} ({provider.model}) does not accept tool_choice={key!r}; accepted: "
            + ", ".join(sorted(provider.profile.tool_choice))
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
    provider: AnthropicProvider, messages: Sequence[Message], tools: _Tools
) -> tuple[str | None, list[dict[str, Any]]]:
    by_name = {tool.name: tool for tool in tools.by_wire.values()}
    dialect = get_dialect(provider.profile.dialect)
    ids = _Ids()
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    check_media(provider, messages)
    for message in messages:
        if message.role == "system":
            text = message.text
            if text:
                system.append(text)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks: list[dict[str, Any]] = []
        for part in message.parts:
            block = _block(provider, part, role, by_name, dialect.wire_name, ids)
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
    provider: AnthropicProvider,
    part: Any,
    role: str,
    by_name: Mapping[str, CompiledTool],
    wire_name: Callable[[str], str],
    ids: _Ids,
) -> dict[str, Any] | None:
    if isinstance(part, (TextPart, RefusalPart)):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, ToolResultPart):
        content: str | list[dict[str, Any]] = part.content
        if part.media:
            content = [{"type": "text", "text": part.content}] if part.content else []
            content.extend(_media_block(provider, m, "tool-result") for m in part.media)
        return {
            "type": "tool_result",
            "tool_use_id": ids.result(part.tool_call_id),
            "content": content,
            "is_error": part.is_error,
        }
    if isinstance(part, MediaPart):
        return _media_block(provider, part, "user")
    if role != "assistant":
        return None
    if isinstance(part, ToolCallPart):
        tool = by_name.get(part.name)
        return {
            "type": "tool_use",
            "id": ids.call(part.id),
            "name": tool.wire_name if tool is not None else str(wire_name(part.name)),
            "input": _input(part.arguments, tool),
        }
    if isinstance(part, ReasoningPart) and part.provider == provider.system:
        return _reasoning_block(part)
    return None


def _media_block(
    provider: AnthropicProvider, part: MediaPart, where: Literal["user", "tool-result"]
) -> dict[str, Any]:
    """An ``image`` or ``document`` block with a ``base64``, ``text`` or ``url`` source."""
    if part.kind == "audio":
        raise unsupported(provider, part, where, "the Messages API takes images and documents only")
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
