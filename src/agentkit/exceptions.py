"""Every error agentkit raises, and the control-flow signals tools raise on purpose.

All errors share one root, so ``except AgentkitError`` catches everything the library raises. The tree splits
mistakes made while *defining* things (``UsageError``: fix your code) from things that go wrong while *running*
(``RunError``: handle, retry or report them). Control-flow signals are not errors at all: a tool raises them to
steer the run, and they derive from ``AgentkitSignal``, not from ``AgentkitError``:

```text
AgentkitError
├── UsageError                     definition time: a bug in the calling code
│   ├── ToolDefinitionError        a tool's signature, schema, name or version is unusable
│   │   ├── ToolOptionError        an option has the wrong shape, e.g. tags="read" (also a TypeError)
│   │   └── ToolSignatureError     not callable as a tool: @tool on a class, a wrong run() (also a TypeError)
│   ├── RegistryError
│   │   ├── ToolCollisionError     two tools claim the same name and major version
│   │   ├── ToolNotFoundError      no registered tool matches a name / version range
│   │   └── PluginLoadError        an ``agentkit.tools`` entry point failed to load
│   ├── SchemaCompileError         a tool's schema cannot be expressed in a provider's dialect
│   ├── DialectNotFoundError       no schema dialect has that name (also a ValueError)
│   ├── PromptError                a prompt was misused
│   │   ├── PromptDefinitionError  a template, its variables, name or version is unusable
│   │   ├── PromptRenderError      the variables given to render() do not validate (never echoes values)
│   │   ├── PromptNotFoundError    no registered prompt matches a name / version requirement
│   │   ├── PromptLifecycleError   an illegal lifecycle transition
│   │   └── PromptCollisionError   a name and version registered twice with different content
│   ├── MissingExtraError          an optional extra is not installed (with the pip line)
│   └── AmbiguousApproval          an approval names a call id several paused calls share (give the index)
├── StorageError                   an event store could not do what was asked (more in agentkit.storage)
│   └── EventsNotStored            a run ended with events its store never took: the run failed
└── RunError                       run time: the model, a tool or the world misbehaved
    ├── BudgetExceeded             a run limit was reached (steps, tokens, tool calls, deadline)
    ├── RunRetriesExhausted        the model kept making bad tool calls past the run's budget
    ├── OutputRetriesExhausted     the final output kept failing validation
    ├── TamperedRun                a stored run's events fail their hash chain (edited, removed, reordered)
    ├── ProviderError              a model API call failed (``retryable`` says if trying again may help)
    │   ├── RateLimited            429: slow down (``retry_after`` seconds when the provider said)
    │   ├── Overloaded             529 / overloaded: the provider is busy
    │   ├── ProviderUnavailable    5xx: the provider failed
    │   ├── ProviderTimeout        no answer in time
    │   ├── ProviderConnectionError  the network failed (connect, reset, DNS)
    │   ├── AuthenticationFailed   401 / 403: bad or missing API key
    │   ├── InvalidRequest         400 / 404 / 422: the request was rejected (with the provider's message)
    │   │   ├── ContextWindowExceeded  the conversation is longer than the model accepts
    │   │   ├── ModelNotFound      the model name is unknown to the provider
    │   │   └── UnsupportedContent an image, audio or document the model cannot take (raised before sending)
    │   └── MalformedResponse      the provider answered something that is not its documented format
    └── ToolError                  one tool call went wrong
        ├── InvalidToolArguments   the model sent arguments that do not validate (carries a repair hint)
        ├── UnknownToolError       the model called a tool that does not exist
        ├── ToolExecutionError     the tool crashed (the model only sees a generic failure)
        ├── ToolTimeout            the tool ran past its timeout
        ├── ToolOutputError        the tool's result could not be serialized for the model
        └── ToolRetriesExhausted   the model kept sending bad calls past the tool's retry budget

AgentkitSignal                     not an error: raised by a tool on purpose
├── ToolFailed                     "tell the model this safe message"
├── RetryWithFeedback              "ask the model to try again, with this feedback"
└── ApprovalRequired               "a human must approve this call first"
```

Every error carries typed fields (``err.tool_name``, ``err.issues``...) beside its message, and pickles with them,
so errors cross process boundaries (worker pools, durable execution) intact. Messages never contain the values of
fields marked sensitive.

Examples:
    >>> from agentkit.exceptions import AgentkitError, ToolTimeout
    >>> err = ToolTimeout(tool_name="search", timeout=2.5)
    >>> isinstance(err, AgentkitError), err.timeout
    (True, 2.5)
    >>> print(err)
    tool 'search' did not finish within 2.5s
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal, NamedTuple

__all__ = (
    "AgentkitError",
    "AgentkitSignal",
    "AmbiguousApproval",
    "ApprovalRequired",
    "ArgumentIssue",
    "AuthenticationFailed",
    "BudgetExceeded",
    "ContextWindowExceeded",
    "DialectNotFoundError",
    "EventsNotStored",
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
    "StorageError",
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
    "UnsupportedContent",
    "UsageError",
)


_TO_JSON: Any = None


def _to_json() -> Any:
    """pydantic-core's JSON encoder, imported on first use so ``import agentkit`` does not load it."""
    global _TO_JSON
    if _TO_JSON is None:
        from pydantic_core import to_json

        _TO_JSON = to_json
    return _TO_JSON


def _rebuild(cls: type[BaseException], kwargs: dict[str, Any]) -> BaseException:
    return cls(**kwargs)


class _Picklable(Exception):
    """Mixin: keyword-only constructors survive ``pickle`` with every typed field."""

    _fields: ClassVar[tuple[str, ...]] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), {name: getattr(self, name) for name in self._fields}))


class AgentkitError(_Picklable):
    """Root of every error agentkit raises.

    Examples:
        >>> from agentkit.exceptions import AgentkitError, UsageError
        >>> issubclass(UsageError, AgentkitError)
        True
    """

    _fields: ClassVar[tuple[str, ...]] = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------- usage errors


class UsageError(AgentkitError):
    """The calling code used agentkit wrongly; raised at definition time, fix the code.

    Examples:
        >>> from agentkit.exceptions import ToolDefinitionError, UsageError
        >>> issubclass(ToolDefinitionError, UsageError)
        True
    """


class AmbiguousApproval(UsageError):
    """A decision given by call id, when several paused calls of the step share that id: say which by index.

    A model may give two calls the same id (``"0"``); each paused call has its position in the step
    (`agentkit.runtime.PendingCall.index`), and ``Agent.resume`` takes decisions keyed by that position.

    Attributes:
        tool_call_id: The shared id.
        indices: The positions of the paused calls that share it.

    Examples:
        >>> from agentkit.exceptions import AmbiguousApproval
        >>> print(AmbiguousApproval(tool_call_id="0", indices=(0, 1)))
        2 paused calls share the id '0' (at positions 0, 1): give one decision per position instead, e.g. decisions={0: approve(), 1: reject()}
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_call_id", "indices")

    def __init__(self, *, tool_call_id: str, indices: tuple[int, ...]) -> None:
        example = ", ".join(
            f"{i}: {'approve()' if n == 0 else 'reject()'}" for n, i in enumerate(indices[:2])
        )
        super().__init__(
            f"{len(indices)} paused calls share the id {tool_call_id!r} (at positions "
            f"{', '.join(map(str, indices))}): give one decision per position instead, e.g. "
            f"decisions={{{example}}}"
        )
        self.tool_call_id = tool_call_id
        self.indices = tuple(indices)


class ToolDefinitionError(UsageError):
    """A tool cannot be built: bad name, version, signature, annotation or schema.

    Attributes:
        tool_name: The tool being defined, when known.

    Examples:
        >>> from agentkit.exceptions import ToolDefinitionError
        >>> str(ToolDefinitionError("version '1.x' is not semver", tool_name="search"))
        "tool 'search': version '1.x' is not semver"
    """

    _fields: ClassVar[tuple[str, ...]] = ("message", "tool_name")

    def __init__(self, message: str, *, tool_name: str | None = None) -> None:
        super().__init__(message)
        self.tool_name = tool_name

    def __str__(self) -> str:
        return f"tool {self.tool_name!r}: {self.message}" if self.tool_name else self.message


class ToolOptionError(ToolDefinitionError, TypeError):
    """An option of ``@tool``, a ``Tool`` class or a contract has the wrong shape, and is refused, not guessed at.

    The classic case is a single string where a list of strings belongs: ``tags="read"`` would otherwise become
    the tags ``r``, ``e``, ``a``, ``d``. The message says what to write instead.

    Attributes:
        tool_name: The tool being defined, when known.
        option: The option at fault (``"tags"``, ``"sensitive"``...).

    Examples:
        >>> from agentkit import tool
        >>> from agentkit.exceptions import ToolOptionError
        >>> try:
        ...     @tool(tags="read")
        ...     def lookup(key: str) -> str:
        ...         '''Look a key up.'''
        ...         return key
        ... except ToolOptionError as err:
        ...     print(err.option, "|", err)
        tags | tool 'lookup': tags must be a collection of strings, got the string 'read'; write tags=['read']
    """

    _fields: ClassVar[tuple[str, ...]] = ("message", "tool_name", "option")

    def __init__(self, message: str, *, option: str, tool_name: str | None = None) -> None:
        super().__init__(message, tool_name=tool_name)
        self.option = option


class ToolSignatureError(ToolDefinitionError, TypeError):
    """What was given cannot be called the way agentkit calls a tool; raised when the tool is defined.

    ``@tool`` was applied to a class (classes become tools by subclassing ``Tool[Args, Result]``), or a ``Tool``
    subclass's ``run`` cannot be called as ``run(self, args, ctx)``. The message says what to write instead.

    Attributes:
        tool_name: The tool being defined, when known.

    Examples:
        >>> from pydantic import BaseModel
        >>> from agentkit import Tool
        >>> from agentkit.exceptions import ToolSignatureError
        >>> class Args(BaseModel):
        ...     city: str
        >>> try:
        ...     class Weather(Tool[Args, str]):
        ...         def run(self, args: Args) -> str:
        ...             return args.city
        ... except ToolSignatureError as err:
        ...     print(err)
        tool 'weather': Weather.run(self, args) cannot be called as run(self, args, ctx): add the ctx parameter (ctx: RunContext), even if run does not use it
    """


class RegistryError(UsageError):
    """Base class for registry misuse (collisions, lookups of missing tools, plugins that fail to load).

    Examples:
        >>> from agentkit.exceptions import RegistryError, ToolCollisionError
        >>> issubclass(ToolCollisionError, RegistryError)
        True
    """


class ToolCollisionError(RegistryError):
    """Two tools claim the same qualified name and major version under the ``"error"`` collision policy.

    Attributes:
        name: The qualified name in conflict.
        existing_version: Version already registered.
        new_version: Version that was being registered.

    Examples:
        >>> from agentkit.exceptions import ToolCollisionError
        >>> print(ToolCollisionError(name="search", existing_version="1.0.0", new_version="1.1.0"))
        tool 'search' 1.1.0 collides with the registered 1.0.0 (same major version); pass on_collision='replace' to swap it, or 'prefix' to keep both under different names
    """

    _fields: ClassVar[tuple[str, ...]] = ("name", "existing_version", "new_version")

    def __init__(self, *, name: str, existing_version: str, new_version: str) -> None:
        super().__init__(
            f"tool {name!r} {new_version} collides with the registered {existing_version} (same major version); "
            "pass on_collision='replace' to swap it, or 'prefix' to keep both under different names"
        )
        self.name = name
        self.existing_version = existing_version
        self.new_version = new_version


class ToolNotFoundError(RegistryError, LookupError):
    """No registered tool matches the requested name (and version range).

    Attributes:
        name: The name that was looked up.
        version: The version requirement, if one was given.
        suggestions: Close registered names ("did you mean").

    Examples:
        >>> from agentkit.exceptions import ToolNotFoundError
        >>> print(ToolNotFoundError(name="serch", suggestions=("search",)))
        no tool named 'serch' is registered; did you mean 'search'?
    """

    _fields: ClassVar[tuple[str, ...]] = ("name", "version", "suggestions")

    def __init__(
        self, *, name: str, version: str | None = None, suggestions: tuple[str, ...] = ()
    ) -> None:
        if version is None:
            msg = f"no tool named {name!r} is registered"
        else:
            msg = f"no version of tool {name!r} matches {version!r}"
        if suggestions:
            msg += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        super().__init__(msg)
        self.name = name
        self.version = version
        self.suggestions = tuple(suggestions)


class PluginLoadError(RegistryError):
    """An entry point in the ``agentkit.tools`` group could not be loaded or held no tools.

    Attributes:
        entry_point: The entry point's name.
        distribution: The distribution that declared it, when known.
        reason: What went wrong.

    Examples:
        >>> from agentkit.exceptions import PluginLoadError
        >>> print(PluginLoadError(entry_point="weather", distribution="acme-tools", reason="ImportError: no module named 'acme'"))
        entry point 'weather' from distribution 'acme-tools' failed to load: ImportError: no module named 'acme'
    """

    _fields: ClassVar[tuple[str, ...]] = ("entry_point", "distribution", "reason")

    def __init__(self, *, entry_point: str, distribution: str | None, reason: str) -> None:
        origin = f" from distribution {distribution!r}" if distribution else ""
        super().__init__(f"entry point {entry_point!r}{origin} failed to load: {reason}")
        self.entry_point = entry_point
        self.distribution = distribution
        self.reason = reason


class SchemaCompileError(UsageError):
    """A tool's schema cannot be expressed in a provider's schema dialect without losing meaning.

    Attributes:
        tool_name: The tool being compiled.
        dialect: The target dialect (``"openai-strict"``, ``"gemini"``...).
        reason: What cannot be expressed, and what to change.

    Examples:
        >>> from agentkit.exceptions import SchemaCompileError
        >>> print(SchemaCompileError(tool_name="t", dialect="gemini", reason="recursive schema at /properties/node"))
        cannot compile tool 't' for gemini: recursive schema at /properties/node
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "dialect", "reason")

    def __init__(self, *, tool_name: str, dialect: str, reason: str) -> None:
        super().__init__(f"cannot compile tool {tool_name!r} for {dialect}: {reason}")
        self.tool_name = tool_name
        self.dialect = dialect
        self.reason = reason


class DialectNotFoundError(UsageError, ValueError):
    """No registered schema dialect has the requested name.

    Attributes:
        name: The name asked for.
        available: The registered dialect names.
        suggestion: The closest registered name, if any.

    Examples:
        >>> from agentkit.exceptions import DialectNotFoundError
        >>> print(DialectNotFoundError(name="opnai", available=("openai", "gemini"), suggestion="openai"))
        unknown schema dialect 'opnai'; did you mean 'openai'? Known: gemini, openai
    """

    _fields: ClassVar[tuple[str, ...]] = ("name", "available", "suggestion")

    def __init__(
        self, *, name: str, available: tuple[str, ...], suggestion: str | None = None
    ) -> None:
        hint = f"; did you mean {suggestion!r}?" if suggestion else "."
        super().__init__(
            f"unknown schema dialect {name!r}{hint} Known: {', '.join(sorted(available))}"
        )
        self.name = name
        self.available = tuple(available)
        self.suggestion = suggestion


class MissingExtraError(UsageError, ImportError):
    """An optional feature needs an extra that is not installed.

    Attributes:
        extra: The extra's name, such as ``otel`` in ``agentkit-contracts[otel]``.
        package: The import that failed.

    Examples:
        >>> from agentkit.exceptions import MissingExtraError
        >>> print(MissingExtraError(extra="otel", package="opentelemetry"))
        this feature needs the optional dependency 'opentelemetry': pip install "agentkit-contracts[otel]"
    """

    _fields: ClassVar[tuple[str, ...]] = ("extra", "package")

    def __init__(self, *, extra: str, package: str) -> None:
        super().__init__(
            f'this feature needs the optional dependency {package!r}: pip install "agentkit-contracts[{extra}]"'
        )
        self.extra = extra
        self.package = package


# --------------------------------------------------------------------------------------------- storage


class StorageError(AgentkitError):
    """An event store could not do what was asked.

    `agentkit.storage` raises its subclasses (``SequenceError``, ``RunNotFound``, ``MigrationError``); it is
    defined here so the runtime can fail a run whose events were not stored.

    Examples:
        >>> from agentkit.exceptions import AgentkitError, StorageError
        >>> issubclass(StorageError, AgentkitError)
        True
    """


class EventsNotStored(StorageError):
    """A run ended while a required sink (a store) still had events it had not taken: the run failed.

    Each event a store refused is retried before every later event of the run; this is raised when some are
    still unwritten at the end. The run never reports ``completed`` then.

    Attributes:
        run_id: The run.
        unwritten: How many of its events the sink had not taken.
        first_seq: The ``seq`` of the first of them.
        reason: The sink's last error, as text.

    Examples:
        >>> from agentkit.exceptions import EventsNotStored
        >>> print(EventsNotStored(run_id="r1", unwritten=2, first_seq=5, reason="disk I/O error"))
        run 'r1' failed: 2 event(s) from #5 on were not stored (disk I/O error)
    """

    _fields: ClassVar[tuple[str, ...]] = ("run_id", "unwritten", "first_seq", "reason")

    def __init__(self, *, run_id: str, unwritten: int, first_seq: int, reason: str) -> None:
        super().__init__(
            f"run {run_id!r} failed: {unwritten} event(s) from #{first_seq} on were not stored ({reason})"
        )
        self.run_id = run_id
        self.unwritten = unwritten
        self.first_seq = first_seq
        self.reason = reason


# --------------------------------------------------------------------------------------------- run errors


class RunError(AgentkitError):
    """Something went wrong while running: a model, a tool or the outside world misbehaved.

    Examples:
        >>> from agentkit.exceptions import RunError, ToolError
        >>> issubclass(ToolError, RunError)
        True
    """


class ProviderError(RunError):
    """A call to a model provider failed.

    Raised once, at the adapter boundary, from an HTTP status, a network failure or an unreadable answer. Never
    contains API keys or request headers.

    Attributes:
        provider: The provider's name (``"openai"``, ``"anthropic"``...).
        model: The model requested, when known.
        status_code: The HTTP status, when there was a response.
        request_id: The provider's request id, for support tickets.
        retryable: Whether sending the same request again may succeed (the resilience layer reads this).

    Examples:
        >>> from agentkit.exceptions import ProviderError
        >>> err = ProviderError("bad gateway", provider="openai", model="gpt-4.1", status_code=502, retryable=True)
        >>> print(err)
        openai (gpt-4.1): bad gateway [HTTP 502]
    """

    _fields: ClassVar[tuple[str, ...]] = (
        "message",
        "provider",
        "model",
        "status_code",
        "request_id",
        "retryable",
    )
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        model: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable

    def __str__(self) -> str:
        where = f"{self.provider} ({self.model})" if self.model else self.provider
        text = f"{where}: {self.message}"
        if self.status_code is not None:
            text += f" [HTTP {self.status_code}]"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text


class RateLimited(ProviderError):
    """The provider rate-limited the request (HTTP 429).

    Attributes:
        retry_after: Seconds the provider asked to wait (from ``retry-after-ms``, ``Retry-After`` seconds or
            HTTP-date, or a body hint such as Gemini's ``RetryInfo``), or ``None``.

    Examples:
        >>> from agentkit.exceptions import RateLimited
        >>> RateLimited("slow down", provider="anthropic", status_code=429, retry_after=1.5).retry_after
        1.5
    """

    _fields: ClassVar[tuple[str, ...]] = (*ProviderError._fields, "retry_after")
    default_retryable: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        model: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            model=model,
            status_code=status_code,
            request_id=request_id,
            retryable=retryable,
        )
        self.retry_after = retry_after


class Overloaded(ProviderError):
    """The provider is overloaded (Anthropic's 529, ``overloaded_error``, Gemini's ``UNAVAILABLE``).

    Examples:
        >>> from agentkit.exceptions import Overloaded
        >>> Overloaded("busy", provider="anthropic", status_code=529).retryable
        True
    """

    default_retryable: ClassVar[bool] = True


class ProviderUnavailable(ProviderError):
    """The provider failed with a server error (HTTP 5xx).

    Examples:
        >>> from agentkit.exceptions import ProviderUnavailable
        >>> ProviderUnavailable("internal error", provider="openai", status_code=500).retryable
        True
    """

    default_retryable: ClassVar[bool] = True


class ProviderTimeout(ProviderError, TimeoutError):
    """The provider did not answer (or stopped streaming) in time.

    Examples:
        >>> from agentkit.exceptions import ProviderTimeout
        >>> ProviderTimeout("read timed out", provider="gemini").retryable
        True
    """

    default_retryable: ClassVar[bool] = True


class ProviderConnectionError(ProviderError, ConnectionError):
    """The network failed: connection refused or reset, DNS failure, TLS error.

    Examples:
        >>> from agentkit.exceptions import ProviderConnectionError
        >>> ProviderConnectionError("connection reset", provider="openai").retryable
        True
    """

    default_retryable: ClassVar[bool] = True


class AuthenticationFailed(ProviderError):
    """The API key is missing, wrong or not allowed to use this model (HTTP 401 / 403).

    Examples:
        >>> from agentkit.exceptions import AuthenticationFailed
        >>> AuthenticationFailed("invalid x-api-key", provider="anthropic", status_code=401).retryable
        False
    """


class InvalidRequest(ProviderError):
    """The provider rejected the request (HTTP 400 / 404 / 422); the message is the provider's own.

    Examples:
        >>> from agentkit.exceptions import InvalidRequest
        >>> print(InvalidRequest("temperature: must be <= 2", provider="openai", status_code=400))
        openai: temperature: must be <= 2 [HTTP 400]
    """


class ContextWindowExceeded(InvalidRequest):
    """The conversation is longer than the model's context window.

    Examples:
        >>> from agentkit.exceptions import ContextWindowExceeded, InvalidRequest
        >>> issubclass(ContextWindowExceeded, InvalidRequest)
        True
    """


class UnsupportedContent(InvalidRequest):
    """A message holds an image, audio or document the provider or model cannot take; raised before sending.

    Never a silent drop: the part would change what the model sees. Send it to a model whose profile takes it
    (``ModelProfile.media_input`` / ``media_in_tool_results``), or leave it out yourself.

    Attributes:
        kind: ``"image"``, ``"audio"`` or ``"document"``.
        where: ``"user"`` (a user message) or ``"tool-result"``.

    Examples:
        >>> from agentkit.exceptions import InvalidRequest, UnsupportedContent
        >>> err = UnsupportedContent("audio in a user message is not supported", provider="anthropic",
        ...                          kind="audio", where="user")
        >>> isinstance(err, InvalidRequest), err.retryable, err.kind
        (True, False, 'audio')
    """

    _fields: ClassVar[tuple[str, ...]] = (*ProviderError._fields, "kind", "where")

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        model: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        kind: str = "",
        where: str = "user",
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            model=model,
            status_code=status_code,
            request_id=request_id,
            retryable=retryable,
        )
        self.kind = kind
        self.where = where


class ModelNotFound(InvalidRequest):
    """The provider does not know the model (or the key may not use it).

    Examples:
        >>> from agentkit.exceptions import ModelNotFound
        >>> ModelNotFound("model 'gpt-5x' does not exist", provider="openai", status_code=404).status_code
        404
    """


class MalformedResponse(ProviderError):
    """The provider answered something that is not its documented format (bad JSON, an HTML page, a cut stream).

    Examples:
        >>> from agentkit.exceptions import MalformedResponse
        >>> MalformedResponse("stream ended mid-event", provider="anthropic").retryable
        False
    """


class ToolError(RunError):
    """One tool call went wrong.

    Attributes:
        tool_name: The tool that was called.

    Examples:
        >>> from agentkit.exceptions import ToolError
        >>> ToolError("boom", tool_name="search").tool_name
        'search'
    """

    _fields: ClassVar[tuple[str, ...]] = ("message", "tool_name")

    def __init__(self, message: str, *, tool_name: str) -> None:
        super().__init__(message)
        self.tool_name = tool_name


class ArgumentIssue(NamedTuple):
    """One problem with the arguments a model sent, in a form the model can act on.

    An immutable named tuple: cheap to build on the error path, which models hit often.

    Attributes:
        path: Dotted path to the offending value (``"passengers.0.age"``); empty for the whole payload.
        problem: A short machine-readable code (``"missing"``, ``"unknown_field"``, ``"too_large"``, pydantic's
            or jsonschema's error type otherwise).
        message: What is wrong, in words.
        expected: What would be accepted (a type, an enum, a range), when known.
        got: The value the model sent; ``None`` when absent or when the field is sensitive.
        did_you_mean: The closest valid field name, for unknown fields.

    Examples:
        >>> from agentkit.exceptions import ArgumentIssue
        >>> ArgumentIssue(path="destinaton", problem="unknown_field", message="Extra inputs are not permitted",
        ...               did_you_mean="destination").to_dict()
        {'path': 'destinaton', 'problem': 'unknown_field', 'message': 'Extra inputs are not permitted', 'did_you_mean': 'destination'}
    """

    path: str
    problem: str
    message: str
    expected: str | None = None
    got: Any = None
    did_you_mean: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the issue as a compact dict, leaving out empty fields."""
        out: dict[str, Any] = {"path": self.path, "problem": self.problem, "message": self.message}
        if self.expected is not None:
            out["expected"] = self.expected
        if self.got is not None:
            out["got"] = self.got
        if self.did_you_mean is not None:
            out["did_you_mean"] = self.did_you_mean
        return out


def _issue_dict(issue: ArgumentIssue) -> dict[str, Any]:
    """``ArgumentIssue.to_dict`` without the method lookup: a hint is built on every bad call."""
    path, problem, message, expected, got, did_you_mean = issue
    out: dict[str, Any] = {"path": path, "problem": problem, "message": message}
    if expected is not None:
        out["expected"] = expected
    if got is not None:
        out["got"] = got
    if did_you_mean is not None:
        out["did_you_mean"] = did_you_mean
    return out


class InvalidToolArguments(ToolError):
    """The model sent arguments that do not validate against the tool's input schema.

    The error is meant to go back to the model: `repair_hint` is compact JSON listing each problem (path,
    problem, expected, "did you mean") so the model can fix its call. Values of sensitive fields are never echoed.

    Attributes:
        tool_name: The tool that was called.
        issues: Each problem found.

    Examples:
        >>> from agentkit.exceptions import ArgumentIssue, InvalidToolArguments
        >>> err = InvalidToolArguments(tool_name="search", issues=(
        ...     ArgumentIssue(path="limit", problem="missing", message="Field required", expected="integer"),))
        >>> print(err)
        invalid arguments for tool 'search': limit: Field required (expected integer)
        >>> err.repair_hint
        '{"error":"invalid_arguments","tool":"search","issues":[{"path":"limit","problem":"missing","message":"Field required","expected":"integer"}],"hint":"Fix these arguments and call search again."}'
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "issues")

    def __init__(self, *, tool_name: str, issues: tuple[ArgumentIssue, ...]) -> None:
        # The message and the hint are built on first use: this error is made on every bad call.
        Exception.__init__(self, tool_name)
        self.tool_name = tool_name
        self.issues = tuple(issues)
        self._message: str | None = None
        self._hint: str | None = None

    @property
    def message(self) -> str:
        """The human-readable message (every issue, with expected values and suggestions)."""
        if self._message is None:
            parts = []
            for issue in self.issues:
                text = f"{issue.path}: {issue.message}" if issue.path else issue.message
                if issue.expected:
                    text += f" (expected {issue.expected})"
                if issue.did_you_mean:
                    text += f" (did you mean {issue.did_you_mean!r}?)"
                parts.append(text)
            self._message = f"invalid arguments for tool {self.tool_name!r}: " + "; ".join(parts)
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        self._message = value

    @property
    def repair_hint(self) -> str:
        """Compact JSON the model receives so it can repair its call."""
        if self._hint is None:
            payload = {
                "error": "invalid_arguments",
                "tool": self.tool_name,
                "issues": [
                    _issue_dict(issue) if type(issue) is ArgumentIssue else issue.to_dict()
                    for issue in self.issues
                ],
                "hint": f"Fix these arguments and call {self.tool_name} again.",
            }
            self._hint = _to_json()(payload, fallback=str).decode()
        return self._hint


class UnknownToolError(ToolError):
    """The model called a tool that is not available in this run.

    Attributes:
        tool_name: The name the model used.
        available: The tools the model could have called.
        suggestions: Close names ("did you mean").

    Examples:
        >>> from agentkit.exceptions import UnknownToolError
        >>> print(UnknownToolError(tool_name="serch", available=("search", "book"), suggestions=("search",)))
        unknown tool 'serch'; did you mean 'search'? available: book, search
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "available", "suggestions")

    def __init__(
        self, *, tool_name: str, available: tuple[str, ...], suggestions: tuple[str, ...] = ()
    ) -> None:
        msg = f"unknown tool {tool_name!r}"
        if suggestions:
            msg += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        msg += " available: " + (", ".join(sorted(available)) or "(none)")
        super().__init__(msg, tool_name=tool_name)
        self.available = tuple(available)
        self.suggestions = tuple(suggestions)

    @property
    def repair_hint(self) -> str:
        """Compact JSON the model receives so it can pick an existing tool."""
        payload: dict[str, Any] = {"error": "unknown_tool", "tool": self.tool_name}
        if self.suggestions:
            payload["did_you_mean"] = self.suggestions[0]
        payload["available"] = sorted(self.available)
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class ToolExecutionError(ToolError):
    """The tool raised an unexpected exception.

    The model only ever sees a generic failure message; the developer gets this error (chained to the original
    exception via ``__cause__``) and a ``tool.call.failed`` event with the details.

    Attributes:
        tool_name: The tool that crashed.
        exception_type: Qualified name of the original exception's type.

    Examples:
        >>> from agentkit.exceptions import ToolExecutionError
        >>> print(ToolExecutionError(tool_name="search", exception_type="KeyError"))
        tool 'search' raised KeyError
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "exception_type")

    def __init__(self, *, tool_name: str, exception_type: str) -> None:
        super().__init__(f"tool {tool_name!r} raised {exception_type}", tool_name=tool_name)
        self.exception_type = exception_type


class ToolTimeout(ToolError, TimeoutError):
    """The tool did not finish within its timeout.

    Attributes:
        tool_name: The tool that timed out.
        timeout: The limit, in seconds.

    Examples:
        >>> from agentkit.exceptions import ToolTimeout
        >>> ToolTimeout(tool_name="search", timeout=1.0).timeout
        1.0
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "timeout")

    def __init__(self, *, tool_name: str, timeout: float) -> None:
        super().__init__(
            f"tool {tool_name!r} did not finish within {timeout:g}s", tool_name=tool_name
        )
        self.timeout = timeout


class ToolOutputError(ToolError):
    """The tool returned a value that could not be serialized for the model.

    Attributes:
        tool_name: The tool whose result failed.
        reason: What the serializer said.

    Examples:
        >>> from agentkit.exceptions import ToolOutputError
        >>> print(ToolOutputError(tool_name="search", reason="Unable to serialize unknown type: <class 'object'>"))
        tool 'search' returned a value that cannot be sent to the model: Unable to serialize unknown type: <class 'object'>
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "reason")

    def __init__(self, *, tool_name: str, reason: str) -> None:
        super().__init__(
            f"tool {tool_name!r} returned a value that cannot be sent to the model: {reason}",
            tool_name=tool_name,
        )
        self.reason = reason


class ToolRetriesExhausted(ToolError):
    """The model kept sending bad calls to a tool past its retry budget.

    Attributes:
        tool_name: The tool.
        max_retries: The budget that ran out.
        last_error: The message of the last rejection, saying what the model kept doing.

    Examples:
        >>> from agentkit.exceptions import ToolRetriesExhausted
        >>> print(ToolRetriesExhausted(tool_name="search", max_retries=2, last_error="limit: Field required"))
        tool 'search' exceeded its retry budget of 2; last problem: limit: Field required
    """

    _fields: ClassVar[tuple[str, ...]] = ("tool_name", "max_retries", "last_error")

    def __init__(self, *, tool_name: str, max_retries: int, last_error: str) -> None:
        super().__init__(
            f"tool {tool_name!r} exceeded its retry budget of {max_retries}; last problem: {last_error}",
            tool_name=tool_name,
        )
        self.max_retries = max_retries
        self.last_error = last_error


# --------------------------------------------------------------------------------------------- signals


class AgentkitSignal(_Picklable):
    """Root of the control-flow signals a tool raises on purpose. These are not errors.

    Examples:
        >>> from agentkit.exceptions import AgentkitError, AgentkitSignal, ToolFailed
        >>> issubclass(ToolFailed, AgentkitSignal), issubclass(ToolFailed, AgentkitError)
        (True, False)
    """

    _fields: ClassVar[tuple[str, ...]] = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ToolFailed(AgentkitSignal):
    """Raised by a tool to tell the model a safe, meaningful failure message.

    Unlike any other exception, the message reaches the model verbatim, so put nothing secret in it.

    Examples:
        >>> from agentkit.exceptions import ToolFailed
        >>> def book(flight_id: str) -> str:
        ...     raise ToolFailed(f"flight {flight_id} is sold out")
    """


class RetryWithFeedback(AgentkitSignal):
    """Raised by a tool to ask the model to call it again, with feedback on what to change.

    It counts against the tool's retry budget like invalid arguments do.

    Examples:
        >>> from agentkit.exceptions import RetryWithFeedback
        >>> def search(query: str) -> list[str]:
        ...     if len(query) < 3:
        ...         raise RetryWithFeedback("query is too vague; use at least 3 characters")
        ...     return []
    """


class ApprovalRequired(AgentkitSignal):
    """Raised by a tool to pause the run until a human approves this call.

    Attributes:
        message: Why approval is needed, shown to the approver.
        details: Extra JSON-serializable context for the approver.

    Examples:
        >>> from agentkit.exceptions import ApprovalRequired
        >>> ApprovalRequired("refund above 100 EUR", details={"amount": 250}).details
        {'amount': 250}
    """

    _fields: ClassVar[tuple[str, ...]] = ("message", "details")

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


# --------------------------------------------------------------------------------------------- run limits

LimitName = Literal[
    "max_steps", "input_tokens", "output_tokens", "total_tokens", "tool_calls", "deadline"
]
"""The run limits `BudgetExceeded` can name."""


class BudgetExceeded(RunError):
    """A run limit was reached; the run stopped before doing more work.

    Attributes:
        limit: Which limit (``"max_steps"``, ``"input_tokens"``, ``"output_tokens"``, ``"total_tokens"``,
            ``"tool_calls"``, ``"deadline"``).
        maximum: The configured limit (seconds for ``"deadline"``).
        used: How much had been used when the run stopped.

    Examples:
        >>> from agentkit.runtime import BudgetExceeded
        >>> err = BudgetExceeded(limit="total_tokens", maximum=1000, used=1250)
        >>> print(err)
        run limit 'total_tokens' exceeded: used 1250, limit 1000
        >>> err.limit
        'total_tokens'
    """

    _fields: ClassVar[tuple[str, ...]] = ("limit", "maximum", "used")

    def __init__(self, *, limit: LimitName, maximum: float, used: float) -> None:
        super().__init__(f"run limit {limit!r} exceeded: used {used:g}, limit {maximum:g}")
        self.limit: LimitName = limit
        self.maximum = maximum
        self.used = used


class RunRetriesExhausted(RunError):
    """The model made more bad tool calls in one run than the run's retry budget allows.

    Unlike `agentkit.exceptions.ToolRetriesExhausted` (one tool's budget), this counts every invalid call,
    unknown tool and retry request across all tools.

    Attributes:
        max_retries: The run's budget.
        tool_name: The tool of the last bad call.
        last_error: What was wrong with the last bad call, i.e. what the model kept doing.

    Examples:
        >>> from agentkit.runtime import RunRetriesExhausted
        >>> print(RunRetriesExhausted(max_retries=3, tool_name="serch", last_error="unknown tool 'serch'"))
        the model made more than 3 bad tool calls in this run; last: serch: unknown tool 'serch'
    """

    _fields: ClassVar[tuple[str, ...]] = ("max_retries", "tool_name", "last_error")

    def __init__(self, *, max_retries: int, tool_name: str, last_error: str) -> None:
        super().__init__(
            f"the model made more than {max_retries} bad tool calls in this run; "
            f"last: {tool_name}: {last_error}"
        )
        self.max_retries = max_retries
        self.tool_name = tool_name
        self.last_error = last_error


class OutputRetriesExhausted(RunError):
    """The model's final output kept failing validation against the agent's output type.

    Attributes:
        max_retries: How many repairs the model was given.
        last_error: What was wrong with the last output.

    Examples:
        >>> from agentkit.runtime import OutputRetriesExhausted
        >>> print(OutputRetriesExhausted(max_retries=1, last_error="price: Field required"))
        the model's output did not match the output type after 1 repair attempt(s); last problem: price: Field required
    """

    _fields: ClassVar[tuple[str, ...]] = ("max_retries", "last_error")

    def __init__(self, *, max_retries: int, last_error: str) -> None:
        super().__init__(
            f"the model's output did not match the output type after {max_retries} repair "
            f"attempt(s); last problem: {last_error}"
        )
        self.max_retries = max_retries
        self.last_error = last_error


class TamperedRun(RunError):
    """A stored run's events do not match the hash chain they were stored with: the log was changed.

    Every store keeps, beside each event, a hash of that event's stored JSON and of the previous event's
    hash, and the hash of the run's last event beside the run. An edited, inserted, removed or reordered
    event breaks the chain, even when the edit is itself a valid event.

    Attributes:
        run_id: The run.
        seq: The first event that does not match (the event count when events were removed at the end).
        reason: What does not match.

    Examples:
        >>> from agentkit.exceptions import TamperedRun
        >>> print(TamperedRun(run_id="r1", seq=3, reason="its stored hash does not match its content"))
        run 'r1' was changed after it was stored: event #3: its stored hash does not match its content
    """

    _fields: ClassVar[tuple[str, ...]] = ("run_id", "seq", "reason")

    def __init__(self, *, run_id: str, seq: int, reason: str) -> None:
        super().__init__(f"run {run_id!r} was changed after it was stored: event #{seq}: {reason}")
        self.run_id = run_id
        self.seq = seq
        self.reason = reason


# --------------------------------------------------------------------------------------------- prompts


def _prompt_did_you_mean(suggestions: tuple[str, ...]) -> str:
    return (
        ("; did you mean " + " or ".join(repr(s) for s in suggestions) + "?") if suggestions else ""
    )


class PromptError(UsageError):
    """Base class of every error raised by `agentkit.prompts`.

    Attributes:
        prompt: The prompt's name, when known.

    Examples:
        >>> from agentkit.exceptions import UsageError
        >>> from agentkit.prompts import PromptError, PromptRenderError
        >>> issubclass(PromptRenderError, PromptError), issubclass(PromptError, UsageError)
        (True, True)
    """

    _fields: ClassVar[tuple[str, ...]] = ("message", "prompt")

    def __init__(self, message: str, *, prompt: str | None = None) -> None:
        super().__init__(message)
        self.prompt = prompt

    def __str__(self) -> str:
        return f"prompt {self.prompt!r}: {self.message}" if self.prompt else self.message


class PromptDefinitionError(PromptError):
    """A prompt cannot be built: a template or the name, version or variables type is unusable.

    A template may refer to an undeclared variable, use forbidden syntax or leave a section open. Raised when the `agentkit.prompts.Prompt` is created, never later.

    Attributes:
        prompt: The prompt being defined, when known.
        template: Which template failed (``"system"``, ``"user"``, ``"messages[0]"``), when it is a template.
        line: 1-based line of the offending placeholder in that template.
        column: 1-based column of the offending placeholder.
        suggestions: Close declared names ("did you mean"), for unknown variables and fields.

    Examples:
        >>> from agentkit.prompts import PromptDefinitionError
        >>> print(PromptDefinitionError("unknown variable 'nme'", prompt="greet", template="user", line=1,
        ...                             column=7, suggestions=("name",)))
        prompt 'greet', user template, line 1, column 7: unknown variable 'nme'; did you mean 'name'?
    """

    _fields: ClassVar[tuple[str, ...]] = (
        "message",
        "prompt",
        "template",
        "line",
        "column",
        "suggestions",
    )

    def __init__(
        self,
        message: str,
        *,
        prompt: str | None = None,
        template: str | None = None,
        line: int | None = None,
        column: int | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, prompt=prompt)
        self.template = template
        self.line = line
        self.column = column
        self.suggestions = tuple(suggestions)

    def __str__(self) -> str:
        where = []
        if self.prompt:
            where.append(f"prompt {self.prompt!r}")
        if self.template:
            where.append(f"{self.template} template")
        if self.line is not None:
            where.append(f"line {self.line}, column {self.column}")
        text = self.message + _prompt_did_you_mean(self.suggestions)
        return f"{', '.join(where)}: {text}" if where else text


class PromptVariableIssue(NamedTuple):
    """One problem with the variables given to a prompt: which variable, and what is wrong.

    ``variable`` is a dotted path for nested fields (``orders[0].total``). It never contains the variable's value.

    Examples:
        >>> from agentkit.prompts import PromptVariableIssue
        >>> PromptVariableIssue("customer_name", "is missing").variable
        'customer_name'
    """

    variable: str
    problem: str


class PromptRenderError(PromptError):
    """The variables given to `agentkit.prompts.Prompt.render` are missing, of the wrong type, or do not fit.

    "Do not fit" means a value that does not suit the section using it (``{#each}`` over something that is not a
    list).

    Raised before anything is rendered, so no model is ever called with a half-filled prompt. The message names the
    prompt and every bad variable, and never contains a value (prompt variables may be sensitive).

    Attributes:
        prompt: The prompt's name.
        version: The prompt's version.
        issues: Every problem found, in the order pydantic reported them.

    Examples:
        >>> from agentkit.prompts import PromptRenderError, PromptVariableIssue
        >>> err = PromptRenderError(prompt="support", version="1.0.0",
        ...                         issues=(PromptVariableIssue("customer_name", "is missing"),))
        >>> print(err)
        cannot render prompt 'support' 1.0.0: variable 'customer_name' is missing
        >>> err.variables
        ('customer_name',)
    """

    _fields: ClassVar[tuple[str, ...]] = ("prompt", "version", "issues")

    def __init__(
        self, *, prompt: str, version: str, issues: tuple[PromptVariableIssue, ...]
    ) -> None:
        issues = tuple(PromptVariableIssue(*issue) for issue in issues)
        details = "; ".join(
            f"variable {i.variable!r} {i.problem}" if i.variable else i.problem for i in issues
        )
        super().__init__(f"cannot render prompt {prompt!r} {version}: {details}", prompt=prompt)
        self.version = version
        self.issues = issues

    @property
    def variables(self) -> tuple[str, ...]:
        """The variables with a problem, in order."""
        return tuple(issue.variable for issue in self.issues)

    def __str__(self) -> str:
        return self.message


class PromptNotFoundError(PromptError, LookupError):
    """No registered prompt matches the requested name and version requirement.

    Attributes:
        name: The name that was looked up.
        version: The requirement (``"active"``, ``"^1"``, ``"1.2.0"``), if one was given.
        suggestions: Close registered names ("did you mean").
        detail: Why nothing matched, when the name exists (e.g. which versions are retired or drafts).

    Examples:
        >>> from agentkit.prompts import PromptNotFoundError
        >>> print(PromptNotFoundError(name="suport", suggestions=("support",)))
        no prompt named 'suport' is registered; did you mean 'support'?
    """

    _fields: ClassVar[tuple[str, ...]] = ("name", "version", "suggestions", "detail")

    def __init__(
        self,
        *,
        name: str,
        version: str | None = None,
        suggestions: tuple[str, ...] = (),
        detail: str = "",
    ) -> None:
        if version is None:
            msg = f"no prompt named {name!r} is registered"
        else:
            msg = f"no version of prompt {name!r} matches {version!r}"
        msg += _prompt_did_you_mean(tuple(suggestions))
        if detail:
            msg += f" ({detail})"
        super().__init__(msg, prompt=name)
        self.name = name
        self.version = version
        self.suggestions = tuple(suggestions)
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class PromptLifecycleError(PromptError):
    """A lifecycle transition that is not allowed, such as retiring the active version or reviving a retired one.

    Legal transitions: draft → active, draft → retired, active → deprecated, deprecated → active (a rollback),
    deprecated → retired. Retired is final.

    Attributes:
        name: The prompt's name.
        version: The version whose state was to change.
        state: Its current state.
        target: The state that was requested.

    Examples:
        >>> from agentkit.prompts import PromptLifecycleError
        >>> print(PromptLifecycleError(name="support", version="1.0.0", state="active", target="retired"))
        prompt 'support' 1.0.0 is active and cannot become retired; allowed from active: deprecated
    """

    _fields: ClassVar[tuple[str, ...]] = ("name", "version", "state", "target")

    _ALLOWED: ClassVar[dict[str, tuple[str, ...]]] = {
        "draft": ("active", "retired"),
        "active": ("deprecated",),
        "deprecated": ("active", "retired"),
        "retired": (),
    }

    def __init__(self, *, name: str, version: str, state: str, target: str) -> None:
        allowed = ", ".join(self._ALLOWED.get(state, ())) or "nothing (retired is final)"
        super().__init__(
            f"prompt {name!r} {version} is {state} and cannot become {target}; allowed from {state}: {allowed}",
            prompt=name,
        )
        self.name = name
        self.version = version
        self.state = state
        self.target = target

    def __str__(self) -> str:
        return self.message


class PromptCollisionError(PromptError):
    """A prompt name and version is already registered with different content.

    A published version is immutable: change the text, bump the version.

    Attributes:
        name: The prompt's name.
        version: The version registered twice.
        existing_hash: Content hash of the registered prompt.
        new_hash: Content hash of the newcomer.

    Examples:
        >>> from agentkit.prompts import PromptCollisionError
        >>> print(PromptCollisionError(name="support", version="1.0.0", existing_hash="sha256:aa", new_hash="sha256:bb"))
        prompt 'support' 1.0.0 is already registered with different content (sha256:aa, now sha256:bb); bump the version
    """

    _fields: ClassVar[tuple[str, ...]] = ("name", "version", "existing_hash", "new_hash")

    def __init__(self, *, name: str, version: str, existing_hash: str, new_hash: str) -> None:
        super().__init__(
            f"prompt {name!r} {version} is already registered with different content "
            f"({existing_hash}, now {new_hash}); bump the version",
            prompt=name,
        )
        self.name = name
        self.version = version
        self.existing_hash = existing_hash
        self.new_hash = new_hash

    def __str__(self) -> str:
        return self.message
