"""generateContent request bodies: contents, system instruction, tools, tool config, generation config, media."""

from __future__ import annotations

import json
from collections import deque
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
from agentkit.providers._base import resolve_tool_choice
from agentkit.providers._coerce import as_dict
from agentkit.providers._media import check_media, media_type_of, unsupported
from agentkit.providers.gemini._wire import _merge, _response_object
from agentkit.tools.dialects import get_dialect

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from agentkit.providers._base import ModelRequest
    from agentkit.providers.gemini._provider import GeminiProvider
    from agentkit.tools.dialects import CompiledTool


def build_body(
    provider: GeminiProvider, request: ModelRequest
) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
    """The JSON body for ``request`` and the compiled tools by wire name (see `GeminiProvider.build_body`)."""
    by_wire = provider.compile_tools(request)
    compiled = list(by_wire.values())
    by_name = {tool.name: tool for tool in compiled}

    system, contents = _contents(provider, request.messages, by_name)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    if compiled:
        body["tools"] = [{"functionDeclarations": [tool.definition for tool in compiled]}]
    tool_config = _tool_config(provider, request, by_name)
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
    if settings.seed is not None and provider.profile.seed:
        config["seed"] = settings.seed
    if request.output is not None:
        if not provider.profile.json_schema_output:
            raise UsageError(
                f"gemini ({provider.model}) has no JSON-Schema output mode in its profile: ask for the answer "
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
    if thinking and thinking.get("thinkingBudget") != 0 and not provider.profile.reasoning:
        raise UsageError(
            f"gemini ({provider.model}) does not think: drop generationConfig.thinkingConfig from extra_body, "
            "or pass a profile with reasoning=True if the model does"
        )
    return body, by_wire


def _tool_config(
    provider: GeminiProvider, request: ModelRequest, by_name: Mapping[str, CompiledTool]
) -> dict[str, Any] | None:
    choice = resolve_tool_choice(provider, request, by_name)
    if choice is None:
        return None
    if isinstance(choice, str):
        return {"mode": {"auto": "AUTO", "none": "NONE", "required": "ANY"}[choice]}
    return {"mode": "ANY", "allowedFunctionNames": [choice.wire_name]}


def _contents(
    provider: GeminiProvider,
    messages: Sequence[Message],
    by_name: Mapping[str, CompiledTool],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    # call id -> (Gemini function name, position in its message) of each call not yet answered, oldest first:
    # results are named and ordered by it. Ids may repeat (compatible servers reuse "0"): then the calls
    # and their results pair by position.
    calls: dict[str, deque[tuple[str, int]]] = {}
    check_media(provider, messages)
    wire_name = get_dialect(provider.profile.dialect).wire_name
    for message in messages:
        if message.role == "system":
            system.extend({"text": p.text} for p in message.parts if isinstance(p, TextPart))
            continue
        if message.role == "assistant":
            role = "model"
            parts = _model_parts(provider, message, by_name, wire_name, calls)
        else:
            role = "user"
            parts = _user_parts(provider, message, by_name, wire_name, calls)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return system, contents


def _model_parts(
    provider: GeminiProvider,
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
            entry: dict[str, Any] = {"functionCall": {"name": name, "args": _call_args(part, tool)}}
            signature = (part.provider_details or {}).get("thoughtSignature")
            if isinstance(signature, str) and signature:
                entry["thoughtSignature"] = signature
            out.append(entry)
            calls.setdefault(part.id, deque()).append((name, position))
            position += 1
        elif isinstance(part, ReasoningPart):
            if part.provider != provider.system or not part.signature:
                continue  # thought summaries need not go back; other providers' reasoning never does
            if part.text:
                out.append({"text": part.text, "thought": True, "thoughtSignature": part.signature})
            elif out and set(out[-1]) == {"text"}:
                out[-1]["thoughtSignature"] = part.signature  # it came on that text part
            else:
                out.append({"text": "", "thoughtSignature": part.signature})
    return out


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
    provider: GeminiProvider,
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
            if part.media and _nested_media(provider):
                # Gemini 3: media inside the functionResponse, as inlineData only.
                response["parts"] = [_media_out(provider, m, "tool-result") for m in part.media]
            elif part.media:
                # Earlier models take no media in a functionResponse: they follow it in the same turn.
                others.extend(_media_out(provider, m, "tool-result") for m in part.media)
            results.append((order, {"functionResponse": response}))
        elif isinstance(part, (TextPart, RefusalPart)):
            others.append({"text": part.text})
        elif isinstance(part, MediaPart):
            others.append(_media_out(provider, part, "user"))
    results.sort(
        key=lambda item: item[0]
    )  # stable: Gemini pairs results with calls by name and order
    return [entry for _, entry in results] + others


def _nested_media(provider: GeminiProvider) -> bool:
    return provider.model.rsplit("/", 1)[-1].lower().startswith("gemini-3")


def _media_out(
    provider: GeminiProvider, part: MediaPart, where: Literal["user", "tool-result"]
) -> dict[str, Any]:
    """An ``inlineData`` part for bytes, a ``fileData`` part for a URL (a File API or ``gs://`` URI)."""
    media_type = media_type_of(part)
    if part.data is not None:
        return {"inlineData": {"mimeType": media_type, "data": part.base64}}
    if where == "tool-result" and _nested_media(provider):
        raise unsupported(
            provider, part, where, "a Gemini functionResponse takes media as bytes only"
        )
    file_data: dict[str, Any] = {"fileUri": part.url}
    if media_type:
        file_data["mimeType"] = media_type
    return {"fileData": file_data}
