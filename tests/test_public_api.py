"""The public surface is pinned, and ``import agentkit`` stays light."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import agentkit

PUBLIC = {
    "agentkit": (
        "AgentkitError",
        "AgentkitSignal",
        "ApprovalRequired",
        "Clock",
        "Event",
        "EventEmitter",
        "FunctionTool",
        "InvalidToolArguments",
        "JsonSchemaTool",
        "Message",
        "Registry",
        "RetryWithFeedback",
        "RunContext",
        "RunError",
        "Sensitive",
        "SystemClock",
        "Tool",
        "ToolAnnotations",
        "ToolContract",
        "ToolError",
        "ToolFailed",
        "ToolOutcome",
        "Toolset",
        "Usage",
        "UsageError",
        "__version__",
        "tool",
    ),
    "agentkit.tools": (
        "DEFAULT_MAX_ARGUMENT_BYTES",
        "AnthropicDialect",
        "CanonicalDialect",
        "CompiledTool",
        "DialectWarning",
        "GeminiDialect",
        "MCPDialect",
        "OpenAIDialect",
        "SchemaDialect",
        "get_dialect",
        "DEFAULT_MAX_RETRIES",
        "GENERIC_FAILURE",
        "MASK",
        "FunctionTool",
        "JSONSchema",
        "JsonSchemaTool",
        "OutcomeStatus",
        "ParsedDocstring",
        "RunContext",
        "Sensitive",
        "Tool",
        "ToolAnnotations",
        "ToolContract",
        "ToolOutcome",
        "Version",
        "VersionRange",
        "mask_arguments",
        "parse_docstring",
        "parse_version",
        "tool",
    ),
    "agentkit.registry": (
        "ENTRY_POINT_GROUP",
        "SNAPSHOT_FORMAT",
        "ChangeLevel",
        "CollisionPolicy",
        "ContractChange",
        "ContractDiff",
        "ContractSnapshot",
        "Registry",
        "Toolset",
        "diff",
    ),
    "agentkit.exceptions": (
        "AgentkitError",
        "AgentkitSignal",
        "ApprovalRequired",
        "ArgumentIssue",
        "AuthenticationFailed",
        "ContextWindowExceeded",
        "InvalidRequest",
        "InvalidToolArguments",
        "MalformedResponse",
        "MissingExtraError",
        "ModelNotFound",
        "Overloaded",
        "PluginLoadError",
        "ProviderConnectionError",
        "ProviderError",
        "ProviderTimeout",
        "ProviderUnavailable",
        "RateLimited",
        "RegistryError",
        "RetryWithFeedback",
        "RunError",
        "SchemaCompileError",
        "ToolCollisionError",
        "ToolDefinitionError",
        "ToolError",
        "ToolExecutionError",
        "ToolFailed",
        "ToolNotFoundError",
        "ToolOutputError",
        "ToolRetriesExhausted",
        "ToolTimeout",
        "UnknownToolError",
        "UsageError",
    ),
    "agentkit.messages": (
        "Message",
        "Part",
        "ReasoningPart",
        "RefusalPart",
        "Role",
        "TextPart",
        "ToolCallPart",
        "ToolResultPart",
        "Usage",
    ),
    "agentkit.events": (
        "SCHEMA_VERSION",
        "BaseEvent",
        "Event",
        "EventEmitter",
        "EventSink",
        "ToolArgumentsRejected",
        "ToolCallFailed",
        "ToolCallStarted",
        "ToolCallSucceeded",
        "parse_event",
    ),
    "agentkit.cli": ("main",),
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_pinned_sorted_and_resolvable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert isinstance(module.__all__, tuple)
    assert sorted(module.__all__) == sorted(PUBLIC[module_name])
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        agentkit.nope  # noqa: B018


def test_dir_lists_lazy_names() -> None:
    assert {"tool", "Registry", "__version__"} <= set(dir(agentkit))


def test_import_agentkit_is_light() -> None:
    """A fresh interpreter importing agentkit loads neither httpx, jsonschema, anyio nor any extra."""
    code = (
        "import json, sys; import agentkit; from agentkit import tool, Tool, Registry, RunContext;"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    forbidden = {
        "httpx",
        "httpcore",
        "jsonschema",
        "anyio",
        "opentelemetry",
        "mcp",
        "fastapi",
        "uvicorn",
        "asyncpg",
        "redis",
        "temporalio",
        "rich",
    }
    assert loaded & forbidden == set()
    assert "pydantic" in loaded


def test_bare_import_does_not_even_load_pydantic() -> None:
    code = "import json, sys; import agentkit; print(json.dumps('pydantic' in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) is False
