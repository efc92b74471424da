"""Lenient readers for fields of provider JSON, shared by every adapter: a wrong type reads as "nothing".

Also the small pieces of request building that several wire formats share (a recorded call's wire name and
arguments).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from agentkit.messages import ToolCallPart
    from agentkit.providers._base import ModelRequest, Provider
    from agentkit.tools.dialects import CompiledTool

__all__ = ("as_count", "as_dict", "as_list", "as_str", "call_out", "json_schema_format")


def as_count(value: Any) -> int:
    """A token count: a positive ``int`` as is, anything else (``None``, ``True``, ``-1``, ``"3"``) as 0.

    Examples:
        >>> as_count(7), as_count(None), as_count(True), as_count(-2)
        (7, 0, 0, 0)
    """
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def call_out(
    call: ToolCallPart, by_name: Mapping[str, CompiledTool], wire_name: Callable[[str], str]
) -> tuple[str, str]:
    """A recorded call's wire name and its arguments as JSON text in the dialect's form.

    Arguments a tool's dialect cannot encode (or that are not JSON) are sent as the model sent them; empty
    arguments as ``{}``.

    Examples:
        >>> from agentkit.messages import ToolCallPart
        >>> call_out(ToolCallPart(id="c1", name="travel.find", arguments=""), {}, lambda n: n.replace(".", "_"))
        ('travel_find', '{}')
    """
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
    return name, arguments


def json_schema_format(provider: Provider, request: ModelRequest) -> dict[str, Any]:
    """OpenAI's ``json_schema`` response format for ``request.output`` (name, schema, strict, description).

    Raises:
        UsageError: The provider's profile has no JSON-Schema output mode.
    """
    output = request.output
    assert output is not None  # the caller checks: most requests have no output format
    if not provider.profile.json_schema_output:
        from agentkit.exceptions import UsageError

        raise UsageError(
            f"{provider.system} ({provider.model}) has no JSON-Schema output mode: ask for the answer "
            "through a tool instead, or drop ModelRequest.output"
        )
    fmt: dict[str, Any] = {
        "name": output.name,
        "schema": dict(output.schema),
        "strict": output.strict,
    }
    if output.description:
        fmt["description"] = output.description
    return fmt
