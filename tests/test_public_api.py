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
        "Agent",
        "AgentkitSignal",
        "ApprovalRequired",
        "BudgetExceeded",
        "Clock",
        "Event",
        "EventEmitter",
        "FunctionTool",
        "InvalidToolArguments",
        "JsonSchemaTool",
        "Limits",
        "Message",
        "Prompt",
        "PromptRegistry",
        "Registry",
        "RetryWithFeedback",
        "RunContext",
        "RunError",
        "RunResult",
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
        "FLAG_TAG_PREFIX",
        "SNAPSHOT_FORMAT",
        "ChangeLevel",
        "CollisionPolicy",
        "ContractChange",
        "ContractDiff",
        "ContractSnapshot",
        "FlagProvider",
        "Registry",
        "StaticFlags",
        "Toolset",
        "diff",
    ),
    "agentkit.exceptions": (
        "AgentkitError",
        "AgentkitSignal",
        "ApprovalRequired",
        "ArgumentIssue",
        "AuthenticationFailed",
        "BudgetExceeded",
        "ContextWindowExceeded",
        "DialectNotFoundError",
        "InvalidRequest",
        "InvalidToolArguments",
        "LimitName",
        "MalformedResponse",
        "MissingExtraError",
        "ModelNotFound",
        "OutputRetriesExhausted",
        "Overloaded",
        "PluginLoadError",
        "PromptCollisionError",
        "PromptDefinitionError",
        "PromptError",
        "PromptLifecycleError",
        "PromptNotFoundError",
        "PromptRenderError",
        "PromptVariableIssue",
        "ProviderConnectionError",
        "ProviderError",
        "ProviderTimeout",
        "ProviderUnavailable",
        "RateLimited",
        "RegistryError",
        "RetryWithFeedback",
        "RunError",
        "RunRetriesExhausted",
        "SchemaCompileError",
        "TamperedRun",
        "ToolCollisionError",
        "ToolDefinitionError",
        "ToolError",
        "ToolExecutionError",
        "ToolFailed",
        "ToolNotFoundError",
        "ToolOptionError",
        "ToolOutputError",
        "ToolRetriesExhausted",
        "ToolSignatureError",
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
        "ApprovalRequested",
        "ApprovalResolved",
        "BaseEvent",
        "BudgetExceededEvent",
        "CircuitRejected",
        "CircuitStateChanged",
        "DeadlineExceededEvent",
        "Event",
        "EventEmitter",
        "EventSink",
        "FallbackTriggered",
        "ModelFailed",
        "ModelRequested",
        "ModelResponded",
        "OutputRejected",
        "PromptRendered",
        "RateLimitWaited",
        "RetryGaveUp",
        "RetryScheduled",
        "RouteChosen",
        "RouteEscalated",
        "RunFinished",
        "RunStarted",
        "ToolArgumentsRejected",
        "ToolCallCancelled",
        "ToolCallFailed",
        "ToolCallStarted",
        "ToolCallSucceeded",
        "UnknownToolCalled",
        "parse_event",
    ),
    "agentkit.cli": ("main",),
    "agentkit.resilience": (
        "DEFAULT_RETRY_STATUSES",
        "POLICY_EVENT_TYPES",
        "CircuitBreaker",
        "CircuitOpen",
        "CircuitRegistry",
        "CircuitState",
        "Deadline",
        "DeadlineExceeded",
        "DeadlineScope",
        "DeadlineStage",
        "Fallback",
        "InstantSleep",
        "PolicyProvider",
        "RateLimiter",
        "ResponsePredicate",
        "RetryPolicy",
        "Sleep",
        "bind_events",
        "current_deadline",
        "deadline",
        "empty_answer",
        "estimate_tokens",
        "refusal",
        "testing_mode",
    ),
    "agentkit.storage": (
        "DEFAULT_DB",
        "CachingProvider",
        "EventStore",
        "MemoryResponseCache",
        "MemoryStore",
        "MigrationError",
        "PostgresStore",
        "RecordedStep",
        "Recording",
        "RedisStore",
        "ReplayDivergence",
        "ReplayProvider",
        "ResponseCache",
        "RunNotFound",
        "RunStatus",
        "RunSummary",
        "SQLiteStore",
        "SequenceError",
        "Session",
        "StorageError",
        "StoreSink",
        "TamperedRun",
        "migrate",
        "register_migration",
        "replay",
        "request_key",
    ),
    "agentkit.observability": (
        "BUILTIN_PATTERNS",
        "CONTENT_FIELDS",
        "DEFAULT_LATENCY_BUCKETS",
        "DEFAULT_LEVELS",
        "HistogramValue",
        "LoggingSink",
        "Metrics",
        "OTelSink",
        "RedactingSink",
        "Redactor",
        "SecretRedactor",
    ),
    "agentkit.observability.otel": (
        "OPERATION_DURATION_BUCKETS",
        "TOKEN_USAGE_BUCKETS",
        "OTelSink",
    ),
    "agentkit.testing": (
        "CapturedEvents",
        "Cassette",
        "FakeProvider",
        "FakeProviderServer",
        "Fault",
        "FunctionProvider",
        "Interaction",
        "MockClock",
        "Reply",
        "ReplayTransport",
        "ScriptedResponse",
        "ServedRequest",
        "ServerAction",
        "capture_events",
        "load_cassette",
        "sse_from_chunks",
    ),
    "agentkit.providers": (
        "DEFAULT_PRICES",
        "PROVIDER_PREFIXES",
        "FinishReason",
        "ModelPrice",
        "ModelProfile",
        "ModelRequest",
        "ModelResponse",
        "ModelSettings",
        "NamedToolChoice",
        "OutputFormat",
        "PriceTable",
        "Provider",
        "ReasoningDelta",
        "ResponseBuilder",
        "StreamDone",
        "StreamEvent",
        "TextDelta",
        "ToolCallDelta",
        "ToolChoice",
        "infer_provider",
        "resolve_tool_choice",
    ),
    "agentkit.runtime": (
        "DEFAULT_ESCALATE_ON",
        "DEFAULT_OUTPUT_TOOL",
        "SEQUENTIAL_TAG",
        "TOOL_OUTPUT_NOTICE",
        "Agent",
        "AgentStream",
        "ApprovalDecision",
        "BudgetExceeded",
        "CapturedEvents",
        "EscalateIf",
        "LimitName",
        "Limits",
        "OutputRetriesExhausted",
        "PendingApproval",
        "PendingCall",
        "PromptInfo",
        "PromptLike",
        "RenderedPromptLike",
        "Route",
        "Router",
        "RunResult",
        "RunRetriesExhausted",
        "Tier",
        "TierAttempt",
        "Tiered",
        "TieredResult",
        "approve",
        "capture_events",
        "is_approved",
        "reject",
    ),
    "agentkit.prompts": (
        "HASH_FORMAT",
        "SNAPSHOT_FORMAT",
        "MessageRole",
        "MessageTemplate",
        "NoVars",
        "Prompt",
        "PromptCollisionError",
        "PromptDefinitionError",
        "PromptDeprecationWarning",
        "PromptError",
        "PromptLifecycleError",
        "PromptNotFoundError",
        "PromptRecord",
        "PromptRegistry",
        "PromptRenderError",
        "PromptRendered",
        "PromptSnapshot",
        "PromptState",
        "PromptVariableIssue",
        "RenderedPrompt",
        "content_hash",
        "emit_prompt_rendered",
    ),
    "agentkit.providers.openai_responses": ("OpenAIResponsesProfile", "OpenAIResponsesProvider"),
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
        "psycopg",
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


def test_provider_package_is_light_and_adapters_load_alone() -> None:
    """``agentkit.providers`` loads no httpx; an adapter module loads httpx but no other adapter."""
    code = (
        "import json, sys; import agentkit.providers; a = 'httpx' in sys.modules;"
        "import agentkit.providers.anthropic;"
        "others = [m for m in ('agentkit.providers.openai', 'agentkit.providers.gemini',"
        " 'agentkit.providers.openai_responses') if m in sys.modules];"
        "print(json.dumps([a, 'httpx' in sys.modules, others]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [False, True, []]
