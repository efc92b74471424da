"""Tools: contracts, the ``@tool`` decorator, the ``Tool`` base class and the invocation fast path.

Examples:
    >>> import anyio
    >>> from agentkit.tools import tool
    >>> @tool
    ... def greet(name: str) -> str:
    ...     '''Greet someone.'''
    ...     return f"Hello {name}"
    >>> anyio.run(greet.invoke_json, '{"name": "Ada"}').content
    'Hello Ada'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.tools._base import (
    DEFAULT_MAX_ARGUMENT_BYTES,
    DEFAULT_MAX_RETRIES,
    GENERIC_FAILURE,
    OutcomeStatus,
    Tool,
    ToolOutcome,
)
from agentkit.tools._context import RunContext
from agentkit.tools._contract import JSONSchema, ToolAnnotations, ToolContract
from agentkit.tools._docstrings import ParsedDocstring, parse_docstring
from agentkit.tools._function import FunctionTool, tool
from agentkit.tools._jsonschema import JsonSchemaTool
from agentkit.tools._semver import Version, VersionRange, parse_version
from agentkit.tools._sensitive import MASK, Sensitive, mask_arguments
from agentkit.tools._warnings import ToolDefinitionWarning

if TYPE_CHECKING:
    from agentkit.tools.dialects import (
        AnthropicDialect,
        CanonicalDialect,
        CompiledTool,
        DialectWarning,
        GeminiDialect,
        MCPDialect,
        OpenAIDialect,
        SchemaDialect,
        get_dialect,
    )

# The dialects load when first named: defining and calling tools does not need them.
_DIALECT_NAMES = frozenset(
    {
        "AnthropicDialect",
        "CanonicalDialect",
        "CompiledTool",
        "DialectWarning",
        "GeminiDialect",
        "MCPDialect",
        "OpenAIDialect",
        "SchemaDialect",
        "get_dialect",
    }
)

__all__ = (
    "DEFAULT_MAX_ARGUMENT_BYTES",
    "DEFAULT_MAX_RETRIES",
    "GENERIC_FAILURE",
    "MASK",
    "AnthropicDialect",
    "CanonicalDialect",
    "CompiledTool",
    "DialectWarning",
    "FunctionTool",
    "GeminiDialect",
    "JSONSchema",
    "JsonSchemaTool",
    "MCPDialect",
    "OpenAIDialect",
    "OutcomeStatus",
    "ParsedDocstring",
    "RunContext",
    "SchemaDialect",
    "Sensitive",
    "Tool",
    "ToolAnnotations",
    "ToolContract",
    "ToolDefinitionWarning",
    "ToolOutcome",
    "Version",
    "VersionRange",
    "get_dialect",
    "mask_arguments",
    "parse_docstring",
    "parse_version",
    "tool",
)


def __getattr__(name: str) -> Any:
    if name in _DIALECT_NAMES:
        from agentkit.tools import dialects

        value = getattr(dialects, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'agentkit.tools' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
