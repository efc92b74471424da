"""Schema dialects: compile one tool contract into each provider's tool definition, and decode calls back.

A `SchemaDialect` turns a `agentkit.tools.ToolContract` into a `CompiledTool`: the
provider-ready ``definition``, the compiled ``schema``, the ``warnings`` (what had to change, and why), and
``decode`` / ``encode`` between the model's arguments and canonical ones. Compiles are cached per
(contract fingerprint, dialect).

Built-in dialects: ``canonical``, ``openai-strict``, ``openai``, ``openai-auto``, ``anthropic``,
``anthropic-strict``, ``gemini`` and ``mcp``.

Examples:
    >>> from agentkit import tool
    >>> from agentkit.tools.dialects import get_dialect
    >>> @tool
    ... def search(query: str, limit: int = 10) -> list[str]:
    ...     '''Search the catalogue.'''
    ...     return []
    >>> openai = get_dialect("openai-strict").compile(search.contract)
    >>> openai.definition["function"]["strict"], openai.decode({"query": "tea", "limit": None})
    (True, {'query': 'tea', 'limit': 10})
    >>> get_dialect("gemini").compile(search.contract).definition["parameters"]["properties"]["limit"]
    {'type': 'INTEGER', 'default': 10}
"""

from __future__ import annotations

from agentkit.tools.dialects._base import (
    CacheInfo,
    CompiledTool,
    DialectWarning,
    SchemaDialect,
    WireNames,
    available_dialects,
    clear_compile_cache,
    compile_cache_info,
    get_dialect,
    register_dialect,
    wire_name,
)
from agentkit.tools.dialects._bfcl import bfcl_to_json_schema
from agentkit.tools.dialects._builtin import (
    AnthropicDialect,
    CanonicalDialect,
    GeminiDialect,
    MCPDialect,
    OpenAIDialect,
)

__all__ = (
    "AnthropicDialect",
    "CacheInfo",
    "CanonicalDialect",
    "CompiledTool",
    "DialectWarning",
    "GeminiDialect",
    "MCPDialect",
    "OpenAIDialect",
    "SchemaDialect",
    "WireNames",
    "available_dialects",
    "bfcl_to_json_schema",
    "clear_compile_cache",
    "compile_cache_info",
    "get_dialect",
    "register_dialect",
    "wire_name",
)
