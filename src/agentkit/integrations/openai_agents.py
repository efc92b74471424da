"""agentkit tools in the OpenAI Agents SDK (``pip install "agentkit-contracts[openai-agents]"``).

The SDK's ``function_tool`` decorator cannot take an agentkit tool (it raises "Unsupported callable wrapper"):
`to_openai_agents` builds the SDK's ``FunctionTool`` directly. Its ``params_json_schema`` is the contract
compiled by agentkit's ``openai-strict`` dialect (optional fields as ``T | null``, everything required,
``additionalProperties: false``), so the SDK's strict mode accepts it and the model's ``null`` for an omitted
field is decoded back to the Python default. Each call goes through agentkit: validation and the repair hint
the model reads after a bad call, the contract's timeout, ``ToolFailed`` messages, a generic failure after a
crash, sensitive arguments masked in agentkit's events.

The SDK is imported when `to_openai_agents` is first called, not before.

Examples:
    >>> from agentkit import tool
    >>> from agentkit.integrations.openai_agents import to_openai_agents
    >>> @tool
    ... def get_weather(city: str, unit: str = "C") -> str:
    ...     '''Current weather for a city.'''
    ...     return f"18 {unit} in {city}"
    >>> weather = to_openai_agents(get_weather)
    >>> weather.name, weather.strict_json_schema, weather.params_json_schema["required"]
    ('get_weather', True, ['city', 'unit'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError, SchemaCompileError
from agentkit.integrations._bridge import call_context, invoke

if TYPE_CHECKING:
    from agents import FunctionTool
    from agents.tool_context import ToolContext

    from agentkit.tools import RunContext, Tool

__all__ = ("to_openai_agents",)


def to_openai_agents(
    tool: Tool[Any, Any],
    *,
    context: RunContext[Any] | None = None,
    strict: bool | None = None,
    name: str | None = None,
) -> FunctionTool:
    """Wrap an agentkit tool as an OpenAI Agents SDK ``FunctionTool``.

    The tool's result is returned to the SDK as the text agentkit sends a model: the serialized result, or on a
    bad call the repair hint, the tool's ``ToolFailed`` message, a timeout notice or a generic failure (never a
    traceback). A contract with ``requires_approval`` sets the SDK's ``needs_approval``, so the SDK's run pauses
    for a decision before the call.

    Args:
        tool: The agentkit tool.
        context: The run context every call shares (its ``deps``, its event emitter, its per-tool retry budget);
            each call gets it with the SDK's tool call id. Without one, calls get an empty context.
        strict: ``True``: the ``openai-strict`` dialect (a schema it cannot express raises
            `agentkit.exceptions.SchemaCompileError`); ``False``: the non-strict ``openai`` dialect; ``None``
            (default): strict when the schema allows it.
        name: The name the model sees (default: the contract's name made provider-safe, as an agentkit run sends
            it).

    Raises:
        MissingExtraError: The ``openai-agents`` package is not installed.
        SchemaCompileError: ``strict=True`` and the schema has no strict form (a free-form map, say).

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.integrations.openai_agents import to_openai_agents
        >>> @tool
        ... def tag(labels: dict[str, str]) -> int:
        ...     '''Attach labels.'''
        ...     return len(labels)
        >>> strict = to_openai_agents(tag)  # a map is sent as key/value pairs, decoded back to a dict
        >>> strict.strict_json_schema, strict.params_json_schema["properties"]["labels"]["type"]
        (True, 'array')
        >>> to_openai_agents(tag, strict=False).params_json_schema["properties"]["labels"]["type"]
        'object'
    """
    try:
        from agents import FunctionTool
    except ImportError as exc:
        raise MissingExtraError(extra="openai-agents", package="openai-agents") from exc
    from agentkit.tools.dialects import get_dialect, wire_name
    from agentkit.tools.dialects._base import json_copy

    contract = tool.contract
    if strict is False:
        compiled = get_dialect("openai").compile(contract)
    else:
        try:
            compiled = get_dialect("openai-strict").compile(contract)
        except SchemaCompileError:
            if strict:
                raise
            compiled = get_dialect("openai").compile(contract)
    decode = compiled.decode if compiled.strict else None

    async def on_invoke_tool(tool_context: ToolContext[Any], arguments: str) -> str:
        ctx = call_context(context, tool_context.tool_call_id)
        outcome = await invoke(tool, arguments, ctx, decode)
        return outcome.content

    extra: dict[str, Any] = {}
    if contract.requires_approval:
        extra["needs_approval"] = True
    return FunctionTool(
        name=name or wire_name(contract.name),
        description=contract.description or contract.name,
        params_json_schema=json_copy(compiled.schema),
        on_invoke_tool=on_invoke_tool,
        strict_json_schema=compiled.strict,
        **extra,
    )
