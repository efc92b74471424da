"""The error tree, typed fields that survive pickling, and messages that point to the fix."""

from __future__ import annotations

import json
import pickle

import pytest

import agentkit
from agentkit.exceptions import (
    AgentkitError,
    AgentkitSignal,
    AmbiguousApproval,
    ApprovalRequired,
    ArgumentIssue,
    AuthenticationFailed,
    BudgetExceeded,
    ContextWindowExceeded,
    DialectNotFoundError,
    EventsNotStored,
    InvalidRequest,
    InvalidToolArguments,
    MalformedResponse,
    MissingExtraError,
    ModelNotFound,
    OutputRetriesExhausted,
    Overloaded,
    PluginLoadError,
    PromptCollisionError,
    PromptDefinitionError,
    PromptError,
    PromptLifecycleError,
    PromptNotFoundError,
    PromptRenderError,
    PromptVariableIssue,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RegistryError,
    RetryWithFeedback,
    RunError,
    RunRetriesExhausted,
    SchemaCompileError,
    StorageError,
    TamperedRun,
    ToolCollisionError,
    ToolDefinitionError,
    ToolError,
    ToolExecutionError,
    ToolFailed,
    ToolNotFoundError,
    ToolOptionError,
    ToolOutputError,
    ToolRetriesExhausted,
    ToolSignatureError,
    ToolTimeout,
    UnknownToolError,
    UnsupportedContent,
    UsageError,
)

ISSUES = (
    ArgumentIssue(path="limit", problem="missing", message="Field required", expected="integer"),
    ArgumentIssue(
        path="destinaton",
        problem="unknown_field",
        message="Extra inputs are not permitted",
        did_you_mean="destination",
    ),
    ArgumentIssue(
        path="cabin", problem="not_allowed", message="bad", expected="one of 'a'", got="b"
    ),
)

# One instance of every error and signal, each with every typed field set to a non-default value.
EVERY_EXCEPTION: list[BaseException] = [
    AgentkitError("root"),
    UsageError("misused"),
    ToolDefinitionError("version '1.x' is not semver", tool_name="search"),
    ToolDefinitionError("no name"),
    ToolOptionError("tags must be a collection of strings", option="tags", tool_name="search"),
    ToolSignatureError("run(self, args) cannot be called as run(self, args, ctx)", tool_name="w"),
    RegistryError("registry"),
    ToolCollisionError(name="search", existing_version="1.0.0", new_version="1.1.0"),
    ToolNotFoundError(name="serch", version="^1", suggestions=("search", "research")),
    PluginLoadError(entry_point="weather", distribution="acme-tools", reason="ImportError: x"),
    PluginLoadError(entry_point="weather", distribution=None, reason="empty"),
    SchemaCompileError(tool_name="t", dialect="gemini", reason="recursive schema"),
    MissingExtraError(extra="otel", package="opentelemetry"),
    RunError("run"),
    DialectNotFoundError(name="opnai", available=("openai", "gemini"), suggestion="openai"),
    BudgetExceeded(limit="max_steps", maximum=10, used=10),
    RunRetriesExhausted(max_retries=3, tool_name="search", last_error="limit: Field required"),
    OutputRetriesExhausted(max_retries=1, last_error="answer: Field required"),
    TamperedRun(run_id="r1", seq=2, reason="its stored hash does not match its content"),
    StorageError("the store is closed"),
    EventsNotStored(run_id="r1", unwritten=2, first_seq=5, reason="OSError: disk full"),
    AmbiguousApproval(tool_call_id="0", indices=(0, 2)),
    PromptError("bad prompt", prompt="support"),
    PromptDefinitionError(
        "unknown variable",
        prompt="support",
        template="user",
        line=1,
        column=3,
        suggestions=("name",),
    ),
    PromptRenderError(
        prompt="support", version="1.0.0", issues=(PromptVariableIssue("name", "Field required"),)
    ),
    PromptNotFoundError(name="suport", version="^1", suggestions=("support",)),
    PromptLifecycleError(name="support", version="1.0.0", state="retired", target="active"),
    PromptCollisionError(
        name="support", version="1.0.0", existing_hash="sha256:a", new_hash="sha256:b"
    ),
    ProviderError(
        "bad gateway", provider="openai", model="gpt-4.1", status_code=502, request_id="req_1"
    ),
    RateLimited("slow down", provider="anthropic", status_code=429, retry_after=1.5),
    Overloaded("overloaded", provider="anthropic", status_code=529),
    ProviderUnavailable("internal error", provider="openai", status_code=500),
    ProviderTimeout("read timed out", provider="gemini", model="gemini-2.5-flash"),
    ProviderConnectionError("connection reset", provider="openai", retryable=False),
    AuthenticationFailed("invalid x-api-key", provider="anthropic", status_code=401),
    InvalidRequest("temperature: must be <= 2", provider="openai", status_code=400),
    ContextWindowExceeded("prompt is too long", provider="anthropic", status_code=400),
    ModelNotFound("no such model", provider="gemini", status_code=404),
    UnsupportedContent("audio in a user message", provider="anthropic", kind="audio", where="user"),
    MalformedResponse("stream ended mid-event", provider="anthropic"),
    ToolError("boom", tool_name="search"),
    InvalidToolArguments(tool_name="search", issues=ISSUES),
    UnknownToolError(tool_name="serch", available=("search", "book"), suggestions=("search",)),
    ToolExecutionError(tool_name="search", exception_type="KeyError"),
    ToolTimeout(tool_name="search", timeout=2.5),
    ToolOutputError(tool_name="search", reason="Unable to serialize unknown type"),
    ToolRetriesExhausted(tool_name="search", max_retries=2, last_error="limit: Field required"),
    AgentkitSignal("signal"),
    ToolFailed("flight AF1 is sold out"),
    RetryWithFeedback("query is too vague"),
    ApprovalRequired("refund above 100 EUR", details={"amount": 250, "items": [1, 2]}),
]

USAGE_ERRORS = [
    ToolDefinitionError,
    ToolOptionError,
    ToolSignatureError,
    RegistryError,
    ToolCollisionError,
    ToolNotFoundError,
    PluginLoadError,
    SchemaCompileError,
    MissingExtraError,
]
RUN_ERRORS = [
    ToolError,
    InvalidToolArguments,
    UnknownToolError,
    ToolExecutionError,
    ToolTimeout,
    ToolOutputError,
    ToolRetriesExhausted,
]
SIGNALS = [ToolFailed, RetryWithFeedback, ApprovalRequired]


def _ident(exc: BaseException) -> str:
    return type(exc).__name__ + ":" + str(exc)[:40]


def _fields(exc: BaseException) -> dict[str, object]:
    return {name: getattr(exc, name) for name in type(exc)._fields}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------- the tree


@pytest.mark.parametrize("cls", USAGE_ERRORS)
def test_definition_time_errors_are_usage_errors(cls: type[Exception]) -> None:
    assert issubclass(cls, UsageError)
    assert issubclass(cls, AgentkitError)
    assert not issubclass(cls, RunError)


@pytest.mark.parametrize("cls", RUN_ERRORS)
def test_tool_call_errors_are_run_errors(cls: type[Exception]) -> None:
    assert issubclass(cls, ToolError)
    assert issubclass(cls, RunError)
    assert issubclass(cls, AgentkitError)
    assert not issubclass(cls, UsageError)


@pytest.mark.parametrize("cls", SIGNALS)
def test_control_flow_signals_are_not_errors(cls: type[Exception]) -> None:
    assert issubclass(cls, AgentkitSignal)
    assert not issubclass(cls, AgentkitError)


def test_registry_errors_share_a_base() -> None:
    for cls in (ToolCollisionError, ToolNotFoundError, PluginLoadError):
        assert issubclass(cls, RegistryError)


def test_errors_also_match_the_matching_builtin_exception() -> None:
    assert issubclass(ToolNotFoundError, LookupError)
    assert issubclass(MissingExtraError, ImportError)
    assert issubclass(ToolTimeout, TimeoutError)
    assert issubclass(ToolOptionError, TypeError)
    assert issubclass(ToolSignatureError, TypeError)


def test_except_agentkit_error_catches_everything_the_library_raises() -> None:
    for exc in EVERY_EXCEPTION:
        if isinstance(exc, AgentkitSignal):
            continue
        with pytest.raises(AgentkitError):
            raise exc


def test_top_level_package_reexports_the_roots() -> None:
    assert agentkit.AgentkitError is AgentkitError
    assert agentkit.AgentkitSignal is AgentkitSignal
    assert agentkit.ToolFailed is ToolFailed
    assert agentkit.InvalidToolArguments is InvalidToolArguments


# --------------------------------------------------------------------------------------------- pickling


@pytest.mark.parametrize("exc", EVERY_EXCEPTION, ids=_ident)
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_every_error_pickles_with_its_typed_fields(exc: BaseException, protocol: int) -> None:
    clone = pickle.loads(pickle.dumps(exc, protocol=protocol))
    assert type(clone) is type(exc)
    assert _fields(clone) == _fields(exc)
    assert str(clone) == str(exc)
    assert clone.args == exc.args


def test_pickled_invalid_arguments_keep_issue_objects_and_repair_hint() -> None:
    err = InvalidToolArguments(tool_name="search", issues=ISSUES)
    clone = pickle.loads(pickle.dumps(err))
    assert clone.issues == ISSUES
    assert all(isinstance(issue, ArgumentIssue) for issue in clone.issues)
    assert clone.repair_hint == err.repair_hint


def test_every_exported_exception_class_is_covered_by_the_pickle_test() -> None:
    import agentkit.exceptions as module

    exported = {
        getattr(module, name)
        for name in module.__all__
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), BaseException)
    }
    assert exported <= {type(exc) for exc in EVERY_EXCEPTION}


# --------------------------------------------------------------------------------------------- messages


def test_tool_definition_error_names_the_tool_when_known() -> None:
    assert str(ToolDefinitionError("bad", tool_name="search")) == "tool 'search': bad"
    assert str(ToolDefinitionError("bad")) == "bad"


def test_collision_message_says_how_to_resolve_it() -> None:
    msg = str(ToolCollisionError(name="search", existing_version="1.0.0", new_version="1.1.0"))
    assert "'search'" in msg
    assert "1.0.0" in msg
    assert "1.1.0" in msg
    assert "on_collision='replace'" in msg


def test_not_found_message_suggests_close_names() -> None:
    assert str(ToolNotFoundError(name="serch")) == "no tool named 'serch' is registered"
    msg = str(ToolNotFoundError(name="serch", version="^2", suggestions=("search", "research")))
    assert msg == "no version of tool 'serch' matches '^2'; did you mean 'search' or 'research'?"


def test_missing_extra_message_has_the_pip_line() -> None:
    assert 'pip install "agentkit-contracts[mcp]"' in str(
        MissingExtraError(extra="mcp", package="mcp")
    )


def test_plugin_load_error_mentions_distribution_only_when_known() -> None:
    assert "from distribution" not in str(
        PluginLoadError(entry_point="w", distribution=None, reason="x")
    )
    assert "from distribution 'acme'" in str(
        PluginLoadError(entry_point="w", distribution="acme", reason="x")
    )


def test_invalid_arguments_message_lists_each_issue() -> None:
    msg = str(InvalidToolArguments(tool_name="search", issues=ISSUES))
    assert msg.startswith("invalid arguments for tool 'search': ")
    assert "limit: Field required (expected integer)" in msg
    assert "(did you mean 'destination'?)" in msg


def test_repair_hint_is_compact_json_without_empty_fields() -> None:
    hint = InvalidToolArguments(tool_name="search", issues=ISSUES).repair_hint
    assert ", " not in hint
    assert ": " not in hint
    payload = json.loads(hint)
    assert payload["error"] == "invalid_arguments"
    assert payload["tool"] == "search"
    assert payload["issues"][0] == {
        "path": "limit",
        "problem": "missing",
        "message": "Field required",
        "expected": "integer",
    }
    assert payload["issues"][1]["did_you_mean"] == "destination"
    assert payload["issues"][2]["got"] == "b"
    assert "search" in payload["hint"]


def test_argument_issue_to_dict_keeps_falsy_but_present_values() -> None:
    issue = ArgumentIssue(path="n", problem="out_of_range", message="m", got=0)
    assert issue.to_dict() == {"path": "n", "problem": "out_of_range", "message": "m", "got": 0}


def test_argument_issue_is_immutable() -> None:
    with pytest.raises(AttributeError):
        ISSUES[0].path = "other"  # type: ignore[misc]


def test_unknown_tool_lists_available_tools_and_repair_hint() -> None:
    err = UnknownToolError(tool_name="serch", available=("search", "book"), suggestions=("search",))
    assert str(err) == "unknown tool 'serch'; did you mean 'search'? available: book, search"
    assert json.loads(err.repair_hint) == {
        "error": "unknown_tool",
        "tool": "serch",
        "did_you_mean": "search",
        "available": ["book", "search"],
    }
    bare = UnknownToolError(tool_name="x", available=())
    assert str(bare).endswith("available: (none)")
    assert "did_you_mean" not in json.loads(bare.repair_hint)


def test_timeout_message_formats_seconds_compactly() -> None:
    assert str(ToolTimeout(tool_name="t", timeout=0.05)) == "tool 't' did not finish within 0.05s"
    assert str(ToolTimeout(tool_name="t", timeout=2.0)) == "tool 't' did not finish within 2s"


def test_execution_error_names_the_exception_type_only() -> None:
    err = ToolExecutionError(tool_name="t", exception_type="KeyError")
    assert str(err) == "tool 't' raised KeyError"
    assert err.tool_name == "t"


def test_output_and_retry_errors_explain_what_happened() -> None:
    assert "cannot be sent to the model: nope" in str(ToolOutputError(tool_name="t", reason="nope"))
    err = ToolRetriesExhausted(tool_name="t", max_retries=3, last_error="x: missing")
    assert str(err) == "tool 't' exceeded its retry budget of 3; last problem: x: missing"


def test_signals_carry_their_message_verbatim() -> None:
    assert str(ToolFailed("sold out")) == "sold out"
    assert RetryWithFeedback("try again").message == "try again"
    approval = ApprovalRequired("why")
    assert approval.details == {}
    source = {"a": 1}
    assert ApprovalRequired("why", details=source).details is not source
