"""``Tool``: a contract plus an executor, and the invocation fast path every kind of tool shares."""

from __future__ import annotations

import copy
import functools
import inspect
import re
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, SchemaSerializer, SchemaValidator
from typing_extensions import TypeVar

from agentkit.exceptions import (
    ApprovalRequired,
    ArgumentIssue,
    InvalidToolArguments,
    RetryWithFeedback,
    ToolDefinitionError,
    ToolError,
    ToolExecutionError,
    ToolFailed,
    ToolOptionError,
    ToolOutputError,
    ToolRetriesExhausted,
    ToolSignatureError,
    ToolTimeout,
)
from agentkit.tools._context import RunContext
from agentkit.tools._contract import JSONSchema, ToolAnnotations, ToolContract
from agentkit.tools._hints import HintBuilder
from agentkit.tools._mode import CALL_MODE
from agentkit.tools._schema import (
    ArgumentsJsonSchema,
    ResultJsonSchema,
    find_sensitive_pointers,
    forbid_unset_extras,
    is_model_class,
    share_defs,
)
from agentkit.tools._semver import parse_version
from agentkit.tools._sensitive import MASK, mask_arguments, pointer_matches

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentkit.messages import AudioPart, DocumentPart, ImagePart

__all__ = (
    "DEFAULT_MAX_ARGUMENT_BYTES",
    "DEFAULT_MAX_RETRIES",
    "GENERIC_FAILURE",
    "OutcomeStatus",
    "Tool",
    "ToolOutcome",
)

ArgsT = TypeVar("ArgsT", default=Any)
ResultT = TypeVar("ResultT", default=Any)

DEFAULT_MAX_RETRIES = 2
"""How many consecutive bad calls of one tool a model gets repair hints for before the run gives up on it."""

DEFAULT_MAX_ARGUMENT_BYTES = 1_000_000
"""Largest raw argument payload accepted (characters for ``str``, bytes for ``bytes``)."""

GENERIC_FAILURE = "The tool failed with an internal error. Do not retry with the same arguments."
"""What the model is told when a tool crashes: never the exception itself."""

_UNREADABLE_HINT = (
    '{{"error":"invalid_arguments","tool":"{name}","hint":"The arguments could not be read. '
    'Send a JSON object that matches the schema of {name}."}}'
)

OutcomeStatus = Literal[
    "success", "invalid_arguments", "retry", "failed", "error", "timeout", "retries_exhausted"
]
"""How a tool call ended; see `ToolOutcome`."""

# Call conventions of ``_ToolSpec.call``.
_OFFLOAD_CHARS = 64 * 1024  # a tool output longer than this is redacted in a worker thread
_CALL_MODEL = 0  # Tool subclass: run(self, args_model, ctx)
_CALL_KWARGS = 1  # function tool without context: fn(**fields)
_CALL_KWARGS_CTX = 2  # function tool with a RunContext parameter: fn(ctx_param=ctx, **fields)
_CALL_DICT = 3  # raw-schema tool: handler(arguments_dict, ctx)


class ToolOutcome(Generic[ResultT]):
    """The result of one invocation: what the model receives, and what the developer needs to know.

    ``content`` is always the text to send back to the model: the serialized result on success, a repair hint
    after invalid arguments, the tool's own ``ToolFailed`` message, or a generic failure that reveals nothing
    about a crash. ``error`` holds the typed error for the developer. Treat outcomes as read-only.

    Attributes:
        tool_name: The tool that was called.
        tool_call_id: The id of the call, from the run context.
        status: ``"success"``; ``"invalid_arguments"`` (repair hint sent); ``"retry"`` (the tool raised
            ``RetryWithFeedback``); ``"failed"`` (the tool raised ``ToolFailed``); ``"error"`` (the tool crashed or
            returned unserializable output); ``"timeout"``; ``"retries_exhausted"`` (the model kept sending bad
            calls past the retry budget: the run should stop).
        content: What the model receives.
        value: The tool's Python return value on success, else ``None``.
        media: The images, audio and documents the tool returned (an `agentkit.messages.ImagePart`, or a list
            mixing text and media parts); they follow ``content`` in the tool result.
        error: The typed error when the call did not succeed.

    Examples:
        >>> import anyio
        >>> from agentkit import tool
        >>> @tool
        ... async def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> outcome = anyio.run(add.invoke_json, '{"a": 1, "b": 2}')
        >>> outcome.ok, outcome.content, outcome.value
        (True, '3', 3)
    """

    __slots__ = ("content", "error", "media", "status", "tool_call_id", "tool_name", "value")

    def __init__(
        self,
        tool_name: str,
        status: OutcomeStatus,
        content: str,
        value: ResultT | None = None,
        error: ToolError | None = None,
        tool_call_id: str | None = None,
        media: tuple[ImagePart | AudioPart | DocumentPart, ...] = (),
    ) -> None:
        self.media = media
        self.tool_name = tool_name
        self.status: OutcomeStatus = status
        self.content = content
        self.value = value
        self.error = error
        self.tool_call_id = tool_call_id

    @property
    def ok(self) -> bool:
        """Whether the tool ran and its result was serialized."""
        return self.status == "success"

    @property
    def is_error(self) -> bool:
        """Whether the model should see this result as an error (every status but ``"success"``)."""
        return self.status != "success"

    def raise_for_error(self) -> ToolOutcome[ResultT]:
        """Raise `error` unless the call succeeded (like ``httpx.Response.raise_for_status``).

        ``failed`` and ``retry`` outcomes carry no error: the tool chose them on purpose.
        """
        if self.error is not None:
            raise self.error
        return self

    def __repr__(self) -> str:
        return f"ToolOutcome(tool_name={self.tool_name!r}, status={self.status!r}, content={self.content!r})"


class _ToolSpec:
    """Everything the fast path needs, resolved once per tool so no call pays for reflection."""

    __slots__ = (
        "_hints",
        "_load_validator",
        "blocking",
        "call",
        "call_mode",
        "contract",
        "ctx_param",
        "dump",
        "fast",
        "inline",
        "is_async",
        "max_argument_bytes",
        "max_retries",
        "name",
        "nullable_args",
        "plain_args",
        "timeout",
        "validate_json",
        "validate_python",
    )

    def __init__(
        self,
        *,
        contract: ToolContract,
        validate_json: Callable[[str | bytes], Any] | None = None,
        validate_python: Callable[[Any], Any] | None = None,
        load_validator: Callable[[], Any] | None = None,
        call: Callable[..., Any],
        call_mode: int,
        dump: Callable[[Any], str],
        is_async: bool,
        blocking: bool,
        max_retries: int,
        max_argument_bytes: int,
        ctx_param: str | None = None,
        plain_args: Callable[[Any], Any] | None = None,
    ) -> None:
        if max_retries < 0:
            raise ToolDefinitionError("max_retries must be >= 0", tool_name=contract.name)
        if max_argument_bytes <= 0:
            raise ToolDefinitionError("max_argument_bytes must be > 0", tool_name=contract.name)
        self.contract = contract
        self.name = contract.name
        # A validator that is not given is built on the first call (``load_validator``): defining and registering
        # tools, which many never call, does not pay for it.
        self._load_validator = load_validator
        self.validate_json = validate_json if validate_json is not None else self._first_json
        self.validate_python = (
            validate_python if validate_python is not None else self._first_python
        )
        self.call = call
        self.call_mode = call_mode
        self.dump = dump
        self.is_async = is_async
        self.blocking = blocking
        self.max_retries = max_retries
        self.max_argument_bytes = max_argument_bytes
        self.timeout = contract.timeout
        self.ctx_param = ctx_param
        # Validated arguments as JSON values (for events, dry runs and mocks), when they are not a model.
        self.plain_args = plain_args
        self._hints: HintBuilder | None = None
        self.nullable_args = not contract.input_schema.get("required")
        # Inline: no timeout to enforce and nothing that may block the event loop.
        self.inline = self.timeout is None and (is_async or not blocking)
        self.fast = self.inline and call_mode in (_CALL_KWARGS, _CALL_MODEL)

    @property
    def hints(self) -> HintBuilder:
        """The repair-hint builder, made on the first bad call."""
        hints = self._hints
        if hints is None:
            hints = self._hints = HintBuilder(self.contract.input_schema, self.contract.sensitive)
        return hints

    def _load(self) -> None:
        if self._load_validator is not None:
            validator = self._load_validator()
            self.validate_json = validator.validate_json
            self.validate_python = validator.validate_python
            self._load_validator = None

    def _first_json(self, raw: str | bytes) -> Any:
        self._load()
        return self.validate_json(raw)

    def _first_python(self, value: Any) -> Any:
        self._load()
        return self.validate_python(value)

    def renamed(self, contract: ToolContract) -> _ToolSpec:
        self._load()  # the copy must not build (and keep) a validator of its own
        spec = copy.copy(self)
        spec.contract = contract
        spec.name = contract.name
        return spec


def _make_dumper(result_type: Any) -> tuple[Callable[[Any], str], JSONSchema | None]:
    """A serializer for results of ``result_type`` and the output schema it implies.

    The serializer also checks the value against ``result_type``: a tool that returns something else than it
    declares (a ``str`` from a ``-> int`` tool) raises, which the caller turns into a `ToolOutputError`.
    """
    if result_type is Any or result_type is object or result_type is inspect.Parameter.empty:
        return _dump_any, None
    if result_type is None or result_type is type(None):

        def dump_none(value: Any) -> str:
            if value is None:
                return "null"
            raise _ReturnTypeMismatch(value, result_type, "the tool declares it returns None")

        return dump_none, None
    dump, schema = _output_adapter(result_type)[3:]
    return dump, share_defs(_json_copy(schema))


def _typed_dumper(
    result_type: Any, serializer: SchemaSerializer, validate: Callable[..., Any], exact: Any
) -> Callable[[Any], str]:
    """The serializer function of `_make_dumper` for one return type (made once per type, shared by tools)."""

    def dump(value: Any) -> str:
        cls = type(value)
        if cls is exact:
            if cls is str:
                return value  # type: ignore[no-any-return]  # checked just above
            return serializer.to_json(value, warnings=False).decode()
        try:
            checked = validate(value, strict=True)
        except ValidationError as exc:
            raise _ReturnTypeMismatch(value, result_type, _first_problem(exc)) from None
        if result_type is str:
            return str.__str__(checked)  # a str subclass (an enum member): its text, as for a str
        # Validation trusts instances (a dataclass's fields are never checked when it is made): the serializer
        # refuses what still does not match.
        try:
            return serializer.to_json(checked, warnings="error").decode()
        except PydanticSerializationError as exc:
            text = str(exc)
            if "serializer warnings" not in text:
                raise  # not a mismatch: a value no serializer can write
            raise _ReturnTypeMismatch(value, result_type, text.split("\n", 1)[-1].strip()) from None

    return dump


_OUTPUT_ADAPTERS: dict[
    Any, tuple[SchemaSerializer, Callable[..., Any], Any, Callable[[Any], str], JSONSchema]
] = {}
_MAX_OUTPUT_ADAPTERS = 512


def _output_adapter(
    result_type: Any,
) -> tuple[SchemaSerializer, Callable[..., Any], Any, Callable[[Any], str], JSONSchema]:
    """The serializer, strict validator, exact class, dump function and output schema of a return type, once per type.

    Tools share their return types (``str``, ``dict``, a project's result model): one adapter serves them all.
    """
    try:
        return _OUTPUT_ADAPTERS[result_type]
    except (KeyError, TypeError):  # TypeError: an unhashable annotation, built each time
        pass
    adapter = TypeAdapter(result_type)
    schema = adapter.json_schema(mode="serialization", schema_generator=ResultJsonSchema)
    schema.pop("title", None)
    # Values of these declared classes need no check beyond ``type(value) is exact``: a scalar has no parts,
    # and a pydantic model validated itself when it was made. Everything else is validated (strictly).
    exact = (
        result_type
        if result_type in (str, int, float, bool, bytes) or is_model_class(result_type)
        else None
    )
    serializer, validate = adapter.serializer, adapter.validator.validate_python
    built = (
        serializer,
        validate,
        exact,
        _typed_dumper(result_type, serializer, validate, exact),
        schema,
    )
    try:
        if len(_OUTPUT_ADAPTERS) >= _MAX_OUTPUT_ADAPTERS:
            _OUTPUT_ADAPTERS.pop(next(iter(_OUTPUT_ADAPTERS)))
        _OUTPUT_ADAPTERS[result_type] = built
    except (
        TypeError,
        StopIteration,
        RuntimeError,
    ):  # unhashable, or another thread emptied the cache
        pass
    return built


def _json_copy(value: Any) -> Any:
    """A copy of JSON-shaped data (each contract owns its schema: a shared one could be changed through it)."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


# Events and messages are imported on first use, not with the tools: ``from agentkit import tool`` stays light.
_EVENTS: Any = None
_MEDIA: tuple[type, ...] = ()  # ImagePart, AudioPart, DocumentPart once agentkit.messages is loaded
_TEXT_PART: Any = None


def _events() -> Any:
    """The `agentkit.events` module (a call that records events needs it; a bare call does not)."""
    global _EVENTS
    if _EVENTS is None:
        from agentkit import events

        _EVENTS = events
    return _EVENTS


def _media_types() -> tuple[type, ...]:
    """The media part classes, or ``()`` while `agentkit.messages` is not loaded (then no result can be one)."""
    global _MEDIA, _TEXT_PART
    messages = sys.modules.get("agentkit.messages")
    if messages is not None:
        _TEXT_PART = messages.TextPart
        _MEDIA = (messages.ImagePart, messages.AudioPart, messages.DocumentPart)
    return _MEDIA


def _dump_result(dump: Callable[[Any], str], result: Any) -> tuple[str, tuple[Any, ...]]:
    """The text and media of a tool's result.

    A media part (a screenshot), or a list or tuple mixing text and media parts, goes to the model as its text
    (the strings and `TextPart` texts, one per line) followed by the media; anything else is serialized by
    ``dump`` and has no media.
    """
    media_types = _MEDIA or _media_types()
    if not media_types:
        return dump(result), ()
    if isinstance(result, media_types):
        return "", (result,)
    if (
        isinstance(result, list | tuple)
        and any(isinstance(item, media_types) for item in result)
        and all(isinstance(item, (str, _TEXT_PART, *media_types)) for item in result)
    ):
        texts = [
            item if isinstance(item, str) else item.text
            for item in result
            if not isinstance(item, media_types)
        ]
        media = tuple(item for item in result if isinstance(item, media_types))
        return "\n".join(texts), media
    return dump(result), ()


class _ReturnTypeMismatch(TypeError):
    """A tool returned a value of another type than its declared return type."""

    def __init__(self, value: Any, declared: Any, problem: str) -> None:
        super().__init__(
            f"it returned {type(value).__name__}, which does not match the declared return type "
            f"{_type_text(declared)}: {problem}"
        )


def _type_text(tp: Any) -> str:
    if tp is None or tp is type(None):
        return "None"
    # On Python 3.10 ``list[int]`` passes isinstance(..., type) but its __qualname__ is just "list".
    plain_class = isinstance(tp, type) and get_origin(tp) is None
    return tp.__qualname__ if plain_class else repr(tp).replace("typing.", "")


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"])
    text = f"{where}: {first['msg']}" if where else first["msg"]
    return text if len(errors) == 1 else f"{text} (and {len(errors) - 1} more problems)"


_ANY_ADAPTER: TypeAdapter[Any] | None = None


def _dump_any(value: Any) -> str:
    global _ANY_ADAPTER
    if type(value) is str:
        return value
    if _ANY_ADAPTER is None:
        _ANY_ADAPTER = TypeAdapter(Any)
    return _ANY_ADAPTER.dump_json(value).decode()


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z][a-z])", r"_\1\2", name).lower()


def _args_validator(args_type: Any, *, tool_name: str) -> tuple[Callable[[], Any], JSONSchema]:
    """A loader of the arguments validator (built on the first call if it costs) and the canonical input schema."""
    try:
        if is_model_class(args_type):
            validator: Any = args_type.__pydantic_validator__
            original = args_type.__pydantic_core_schema__
        else:
            adapter: TypeAdapter[Any] = TypeAdapter(args_type)
            validator = adapter.validator
            original = adapter.core_schema
    except Exception as exc:
        raise ToolDefinitionError(
            f"cannot build a schema for the arguments: {exc}", tool_name=tool_name
        ) from exc
    # Unknown fields should come back to the model as "did you mean" hints, not vanish, at every level: validate
    # with a copy of the core schema where every model that chose no extra-keys policy forbids them. The schema
    # describes that copy; the copy itself is made on the first call, and only if some class needs it.
    schema = _input_schema(original, tool_name)
    return lambda: _forbidding_validator(original, validator), schema


def _input_schema(core: Any, tool_name: str) -> JSONSchema:
    """The canonical input schema of an arguments core schema, as the forbid-extras copy validates.

    ``ArgumentsJsonSchema`` rewrites each class that chose no extra-keys policy as it reaches it; the title and
    description of the arguments model itself are not part of a tool's schema; nested definitions are shared.
    """
    try:
        schema = ArgumentsJsonSchema().generate(core, mode="validation")
    except Exception as exc:
        raise ToolDefinitionError(
            f"cannot build a schema for the arguments: {exc}", tool_name=tool_name
        ) from exc
    schema.pop("title", None)
    schema.pop("description", None)
    return share_defs(schema)


class _Keywords:
    """How a function tool checks its arguments without keeping its arguments model.

    The model (built by ``create_model``) gives the input schema and the core schema; the tool then validates
    with a typed-dict copy of that core schema, which yields the keyword arguments as a dict, and lets the model
    go: the class with its field infos, core schema and ABC bookkeeping was two thirds of what a registered tool
    kept (about 23 of 35 KiB, tracemalloc), and the call path never needs it (``FunctionTool.args_model`` builds it
    again on demand). Validators are built here, at definition, so a first call costs what any call does.
    """

    __slots__ = ("plain", "schema", "validate_json", "validate_python")

    def __init__(self, args_model: Any, *, tool_name: str) -> None:
        original = args_model.__pydantic_core_schema__
        self.schema: JSONSchema = _input_schema(original, tool_name)
        keywords = _as_keywords(original)
        validator: Any = None
        if keywords is not None:
            core, config = keywords
            forbidding, changed = forbid_unset_extras(core)
            try:
                validator = (
                    _validator_for(forbidding, config) if changed else SchemaValidator(core, config)
                )
                serializer = SchemaSerializer(core, config)
            except Exception:  # pragma: no cover - a pydantic-core refusing the copy
                validator = None  # keep the model (below)
            else:
                # pydantic-core keeps the schema it was built from only to pickle the validator again, which a
                # tool never does (deepcopy shares the spec). Emptying the two top nodes, which are ours, lets the
                # rest (the model's field schemas, copies of nested models) go with the model.
                forbidding.clear()
                core.clear()
        if validator is None:
            self._with_model(args_model, original)
            return
        self.validate_json: Callable[[str | bytes], Any] = validator.validate_json
        self.validate_python: Callable[[Any], Any] = validator.validate_python
        self.plain: Callable[[Any], Any] = functools.partial(
            serializer.to_python, mode="json", by_alias=False
        )

    def _with_model(self, args_model: Any, original: Any) -> None:
        """The fallback for a core schema of another shape: validate with the model, hand over its fields."""
        checked = _forbidding_validator(original, args_model.__pydantic_validator__)
        serializer = args_model.__pydantic_serializer__

        def validate_json(raw: str | bytes) -> dict[str, Any]:
            return dict(checked.validate_json(raw).__dict__)

        def validate_python(value: Any) -> dict[str, Any]:
            return dict(checked.validate_python(value).__dict__)

        def plain(args: dict[str, Any]) -> Any:
            return serializer.to_python(
                args_model.model_construct(**args), mode="json", by_alias=False
            )

        self.validate_json = validate_json
        self.validate_python = validate_python
        self.plain = plain


def _as_keywords(core: Any) -> tuple[dict[str, Any], Any] | None:
    """A ``create_model`` core schema as a typed dict of the same fields, and its config; None for other shapes.

    A model's fields (``model-field``) become ``typed-dict-field``s, required unless they carry a default, so
    validation gives ``{name: value}`` in field order with the same checks, defaults, aliases and errors (the one
    difference: a payload that is not an object is a ``dict_type`` error, not ``model_type``).
    """
    definitions = None
    model = core
    if model.get("type") == "definitions":
        definitions, model = model.get("definitions"), model.get("schema")
    if (
        not isinstance(model, dict)
        or model.get("type") != "model"
        or model.get("root_model")
        or model.get("post_init")
        or model.get("custom_init")
    ):
        return None
    inner = model.get("schema")
    if (
        not isinstance(inner, dict)
        or inner.get("type") != "model-fields"
        or inner.get("computed_fields")
    ):
        return None
    fields: dict[str, Any] = {}
    for name, field in inner["fields"].items():
        if field.get("type") != "model-field":  # pragma: no cover - pydantic makes only these
            return None
        copied = {k: v for k, v in field.items() if k not in ("type", "frozen")}
        copied["type"] = "typed-dict-field"
        copied["required"] = field["schema"].get("type") != "default"
        fields[name] = copied
    config = model.get("config") or {}
    keywords: dict[str, Any] = {"type": "typed-dict", "fields": fields, "config": config}
    for key in ("strict", "extras_schema", "extra_behavior", "populate_by_name"):
        if key in inner:
            keywords[key] = inner[key]
    if "extra_behavior" not in keywords and "extra_fields_behavior" in config:
        keywords["extra_behavior"] = config["extra_fields_behavior"]
    if definitions is not None:
        keywords = {"type": "definitions", "schema": keywords, "definitions": definitions}
    return keywords, config


def _forbidding_validator(original: Any, validator: Any) -> Any:
    """``validator``, or one of its own if some class in the core schema chose no extra-keys policy."""
    core, changed = forbid_unset_extras(original)
    return _validator_for(core) if changed else validator


def _validator_for(core: Any, config: Any = None) -> SchemaValidator:
    """A validator for a rewritten core schema that never reuses a nested class's own (prebuilt) validator."""
    try:
        return SchemaValidator(core, config, _use_prebuilt=False)  # type: ignore[call-arg,unused-ignore]  # pydantic-core >= 2.42
    except TypeError:
        pass
    # Older pydantic-core has no switch: from pydantic 2.11 (core 2.30) to 2.12 it reuses the validator of every
    # nested class whose own ``__dict__`` says ``__pydantic_complete__``, which would undo the rewrite (a misspelt
    # nested key would pass again). Those classes read as incomplete while the validator is built, under a lock.
    classes = [
        cls for cls in _classes_in(core) if cls.__dict__.get("__pydantic_complete__") is True
    ]
    with _PREBUILT_LOCK:
        for cls in classes:
            type.__setattr__(cls, "__pydantic_complete__", False)
        try:
            return SchemaValidator(core, config)
        finally:
            for cls in classes:
                type.__setattr__(cls, "__pydantic_complete__", True)


_PREBUILT_LOCK = threading.Lock()


def _classes_in(core: Any) -> list[type]:
    """Every class a core schema names (``cls`` of its models, TypedDicts and dataclasses), each once."""
    found: dict[int, type] = {}
    stack = [core]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            cls = node.get("cls")
            if isinstance(cls, type) and node.get("type") in ("model", "typed-dict", "dataclass"):
                found[id(cls)] = cls
            stack.extend(
                v for k, v in node.items() if k != "metadata" and isinstance(v, dict | list)
            )
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return list(found.values())


class _LazySpec:
    """Builds a ``Tool`` subclass's spec on first use by an instance, and caches it on that class.

    Read on the class itself (``SomeTool._spec``, as ``help()``, ``inspect.getmembers`` and documentation tools do),
    it builds nothing and returns itself, like a ``property`` does: introspecting a class must work for abstract
    bases, for classes whose instances bring their own spec (``FunctionTool``, ``JsonSchemaTool``) and for a
    class whose definition is still wrong, and must not cost a schema build.
    """

    def __get__(
        self, instance: Tool[Any, Any] | None, owner: type[Tool[Any, Any]]
    ) -> _ToolSpec | _LazySpec:
        if instance is None:
            return self
        spec = owner._build_class_spec()
        owner._spec = spec
        return spec


class Tool(ABC, Generic[ArgsT, ResultT]):
    """Base class for tools with a pydantic arguments model and a typed result.

    Subclass it as ``Tool[ArgsModel, ResultType]`` and implement ``run`` (async, or sync: sync tools run in a
    worker thread unless ``blocking = False``). Settings are class attributes; the class docstring is the
    description. The contract and validators are built once per class, on first use.

    Attributes:
        name: Tool name; defaults to the class name in snake_case.
        version: Semantic version of the contract (default ``"1.0.0"``).
        description: Defaults to the class docstring.
        namespace: Dotted namespace for the registry.
        annotations: Behaviour hints (`ToolAnnotations`).
        tags: Labels for filtering.
        timeout: Seconds the tool may run.
        requires_approval: Whether a human must approve each call.
        sensitive: Extra JSON pointers of arguments never to log or echo.
        max_retries: Consecutive invalid calls the model gets repair hints for.
        max_argument_bytes: Largest raw argument payload accepted.
        blocking: For a sync ``run``, whether it may block (runs in a worker thread) or not (runs inline).

    Examples:
        >>> import anyio
        >>> from pydantic import BaseModel, Field
        >>> from agentkit import RunContext, Tool
        >>> class WeatherArgs(BaseModel):
        ...     city: str = Field(description="City name")
        >>> class GetWeather(Tool[WeatherArgs, dict]):
        ...     '''Current weather for a city.'''
        ...     version = "2.0.0"
        ...     async def run(self, args: WeatherArgs, ctx: RunContext) -> dict:
        ...         return {"city": args.city, "temp_c": 21}
        >>> weather = GetWeather()
        >>> weather.contract.name, weather.contract.description
        ('get_weather', 'Current weather for a city.')
        >>> anyio.run(weather.invoke_json, '{"city": "Lisbon"}').content
        '{"city":"Lisbon","temp_c":21}'
    """

    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str | None] = None
    namespace: ClassVar[str | None] = None
    annotations: ClassVar[ToolAnnotations | None] = None
    tags: ClassVar[tuple[str, ...]] = ()
    timeout: ClassVar[float | None] = None
    requires_approval: ClassVar[bool] = False
    sensitive: ClassVar[tuple[str, ...]] = ()
    max_retries: ClassVar[int] = DEFAULT_MAX_RETRIES
    max_argument_bytes: ClassVar[int] = DEFAULT_MAX_ARGUMENT_BYTES
    blocking: ClassVar[bool] = True

    _spec: _ToolSpec = _LazySpec()  # type: ignore[assignment]  # a descriptor until first use

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every class gets its own lazy spec: a subclass must not inherit the spec its parent already cached.
        cls._spec = _LazySpec()  # type: ignore[assignment]  # a descriptor until first use
        _check_tool_class(cls)

    @abstractmethod
    def run(self, args: ArgsT, ctx: RunContext[Any]) -> ResultT | Any:
        """Execute the tool with validated arguments. May be ``async def`` or a plain ``def``."""

    # ------------------------------------------------------------------------------------------ contract

    @property
    def contract(self) -> ToolContract:
        """The tool's contract."""
        return self._spec.contract

    @property
    def name(self) -> str:
        """The tool's name (``contract.name``); a ``Tool`` subclass may set it as a class attribute."""
        return self._spec.name

    def renamed(
        self, name: str, *, namespace: str | Literal[False] | None = False
    ) -> Tool[ArgsT, ResultT]:
        """A copy of this tool under another name (and optionally namespace); the original is untouched.

        Examples:
            >>> from agentkit import tool
            >>> @tool
            ... def search(q: str) -> str:
            ...     '''Search.'''
            ...     return q
            >>> search.renamed("web_search").contract.name, search.contract.name
            ('web_search', 'search')
        """
        update: dict[str, Any] = {"name": name}
        if namespace is not False:
            update["namespace"] = namespace
        try:
            contract = ToolContract.model_validate({**self.contract.model_dump(), **update})
        except ValidationError as exc:
            raise ToolDefinitionError(_first_error(exc), tool_name=name) from None
        clone = copy.copy(self)
        clone._spec = self._spec.renamed(contract)
        return clone

    @classmethod
    def _resolve_generic_args(cls) -> tuple[Any, Any]:
        for klass in cls.__mro__:
            for base in getattr(klass, "__orig_bases__", ()):
                if get_origin(base) is Tool:
                    args = get_args(base)
                    if len(args) == 2 and not any(isinstance(a, TypeVar) for a in args):
                        return args[0], args[1]
        raise ToolDefinitionError(
            f"{cls.__name__} must subclass Tool[ArgsModel, ResultType] with concrete types, "
            "e.g. class SearchFlights(Tool[SearchArgs, list[Flight]])",
            tool_name=_class_setting(cls, "name"),
        )

    @classmethod
    def _build_class_spec(cls) -> _ToolSpec:
        if inspect.isabstract(cls):
            raise ToolDefinitionError(f"{cls.__name__} is abstract: implement run(self, args, ctx)")
        name = _class_setting(cls, "name") or _snake_case(cls.__name__)
        args_type, result_type = cls._resolve_generic_args()
        load_validator, input_schema = _args_validator(args_type, tool_name=name)
        dump, output_schema = _make_dumper(result_type)
        doc = cls.description
        if doc is None:
            own = cls.__dict__.get("__doc__")
            # No docstring of its own: the arguments model's docstring (its own, not BaseModel's) describes it.
            if not own and is_model_class(args_type):
                own = args_type.__dict__.get("__doc__")
            doc = inspect.cleandoc(own or "")
        tags = string_tuple(cls.tags, option="tags", tool_name=name, class_attribute=True)
        sensitive = string_tuple(
            cls.sensitive, option="sensitive", tool_name=name, class_attribute=True
        )
        sensitive = tuple(sorted({*sensitive, *find_sensitive_pointers(args_type)}))
        contract = _build_contract(
            name=name,
            namespace=cls.namespace,
            version=cls.version,
            description=doc,
            input_schema=input_schema,
            output_schema=output_schema,
            annotations=cls.annotations,
            tags=tags,
            timeout=cls.timeout,
            requires_approval=cls.requires_approval,
            sensitive=sensitive,
        )
        run = cls.run
        return _ToolSpec(
            contract=contract,
            load_validator=load_validator,
            call=run,
            call_mode=_CALL_MODEL,
            dump=dump,
            is_async=inspect.iscoroutinefunction(run),
            blocking=cls.blocking,
            max_retries=cls.max_retries,
            max_argument_bytes=cls.max_argument_bytes,
        )

    # ------------------------------------------------------------------------------------------ invocation

    async def invoke_json(
        self, raw_arguments: str | bytes, ctx: RunContext[Any] | None = None
    ) -> ToolOutcome[ResultT]:
        """Validate raw JSON arguments from a model, run the tool, and serialize its result for the model.

        The raw text is validated straight by pydantic-core (no ``json.loads`` first). This never raises for bad
        input or a failing tool: every ending is a `ToolOutcome`, with a repair hint for the model and a
        typed error (plus an event, when ``ctx.events`` is set) for the developer. Only ``ApprovalRequired`` and
        cancellation propagate, since they are the run's business.

        Args:
            raw_arguments: The arguments exactly as the model sent them (JSON text or bytes).
            ctx: The run context; needed for ``RunContext`` parameters, events and the per-tool retry budget.

        Examples:
            >>> import anyio
            >>> from agentkit import tool
            >>> @tool
            ... def shout(text: str) -> str:
            ...     '''Upper-case text.'''
            ...     return text.upper()
            >>> anyio.run(shout.invoke_json, '{"text": "hi"}').content
            'HI'
            >>> print(anyio.run(shout.invoke_json, '{"txt": "hi"}').content)
            {"error":"invalid_arguments","tool":"shout","issues":[{"path":"text","problem":"missing","message":"Field required","expected":"string"},{"path":"txt","problem":"unknown_field","message":"Extra inputs are not permitted","did_you_mean":"text"}],"hint":"Fix these arguments and call shout again."}
        """
        spec = self._spec
        if not raw_arguments:
            raw_arguments = "{}"  # some providers send "" for tools without parameters
        if len(raw_arguments) > spec.max_argument_bytes:
            return self._rejected(
                spec, ctx, _too_large(len(raw_arguments), spec.max_argument_bytes)
            )
        try:
            args = spec.validate_json(raw_arguments)
        except ValidationError as exc:
            if spec.nullable_args and raw_arguments.strip() in ("null", b"null"):
                args = spec.validate_json("{}")
            else:
                return self._rejected(spec, ctx, spec.hints.from_pydantic(exc))
        if spec.fast and (ctx is None or (ctx.events is None and not ctx.retries)):
            # The fast path: nothing to record and nothing that needs a thread, a timeout or a context.
            try:
                if spec.call_mode == _CALL_KWARGS:
                    result = spec.call(**args)
                else:
                    result = spec.call(self, args, RunContext(deps=None) if ctx is None else ctx)
                if spec.is_async:
                    result = await result
            except Exception as exc:
                return self._on_exception(spec, args, ctx, 0.0, exc)
            try:
                content, media = _dump_result(spec.dump, result)
            except Exception as exc:
                return self._on_exception(spec, args, ctx, 0.0, exc, result_failed=True)
            return ToolOutcome(
                spec.name,
                "success",
                content,
                result,
                None,
                None if ctx is None else ctx.tool_call_id,
                media,
            )
        return await self._execute(spec, args, ctx)

    async def invoke(
        self, arguments: Mapping[str, Any] | str | bytes, ctx: RunContext[Any] | None = None
    ) -> ToolOutcome[ResultT]:
        """Like `invoke_json`, but also accepts already-decoded arguments (a mapping).

        Examples:
            >>> import anyio
            >>> from agentkit import tool
            >>> @tool
            ... def add(a: int, b: int) -> int:
            ...     '''Add.'''
            ...     return a + b
            >>> anyio.run(add.invoke, {"a": 2, "b": 3}).value
            5
        """
        if isinstance(arguments, str | bytes):
            return await self.invoke_json(arguments, ctx)
        spec = self._spec
        try:
            args = spec.validate_python(dict(arguments))
        except ValidationError as exc:
            return self._rejected(spec, ctx, spec.hints.from_pydantic(exc))
        return await self._execute(spec, args, ctx)

    async def _execute(
        self, spec: _ToolSpec, args: Any, ctx: RunContext[Any] | None
    ) -> ToolOutcome[ResultT]:
        events = ctx.events if ctx is not None else None
        call_id = ctx.tool_call_id if ctx is not None else None
        if events is not None:
            started = events.clock.monotonic()
            events.emit(
                _events().ToolCallStarted,
                tool_name=spec.name,
                tool_version=spec.contract.version,
                tool_call_id=call_id,
                arguments=mask_arguments(_as_plain(args, spec), spec.contract.sensitive),
                mode=CALL_MODE.get(),
            )
        else:
            started = 0.0
        mode = spec.call_mode
        if ctx is None and mode != _CALL_KWARGS:
            ctx = RunContext(deps=None)
        try:
            if spec.inline:
                if mode == _CALL_KWARGS:
                    result = spec.call(**args)
                elif mode == _CALL_MODEL:
                    result = spec.call(self, args, ctx)
                elif mode == _CALL_KWARGS_CTX:
                    result = spec.call(**args, **{spec.ctx_param: ctx})  # type: ignore[arg-type]  # ctx_param is set in this mode
                else:
                    result = spec.call(args, ctx)
                if spec.is_async:
                    result = await result
            elif mode == _CALL_KWARGS:
                result = await self._run_guarded(spec, spec.call, (), args)
            elif mode == _CALL_MODEL:
                result = await self._run_guarded(spec, spec.call, (self, args, ctx), {})
            elif mode == _CALL_KWARGS_CTX:
                kwargs = {**args, spec.ctx_param: ctx}
                result = await self._run_guarded(spec, spec.call, (), kwargs)
            else:
                result = await self._run_guarded(spec, spec.call, (args, ctx), {})
        except Exception as exc:
            return self._on_exception(spec, args, ctx, started, exc)
        try:
            content, media = _dump_result(spec.dump, result)
        except Exception as exc:
            return self._on_exception(spec, args, ctx, started, exc, result_failed=True)
        if ctx is not None and ctx.retries:
            ctx.retries.pop(spec.name, None)
        if events is not None:
            fields: dict[str, Any] = {
                "tool_name": spec.name,
                "tool_call_id": call_id,
                "duration_s": max(0.0, events.clock.monotonic() - started),
                "output_chars": len(content),
                "content": content,
                "mode": CALL_MODE.get(),
            }
            if len(content) > _OFFLOAD_CHARS:
                # Redacting a long output takes a while: off the event loop (the redactor bounds it too).
                await events.emit_offloaded(_events().ToolCallSucceeded, **fields)
            else:
                events.emit(_events().ToolCallSucceeded, **fields)
        return ToolOutcome(spec.name, "success", content, result, None, call_id, media)

    @staticmethod
    async def _run_guarded(
        spec: _ToolSpec, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Run with the tool's timeout, in a worker thread when the tool is sync and may block."""
        import anyio
        import anyio.to_thread

        async def call() -> Any:
            if spec.is_async:
                return await fn(*args, **kwargs)
            if spec.blocking:
                return await anyio.to_thread.run_sync(
                    lambda: fn(*args, **kwargs), abandon_on_cancel=True
                )
            return fn(*args, **kwargs)

        if spec.timeout is None:
            return await call()
        with anyio.move_on_after(spec.timeout) as scope:
            return await call()
        if scope.cancelled_caught:
            raise ToolTimeout(tool_name=spec.name, timeout=spec.timeout)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------------------------------ failures

    def _on_exception(
        self,
        spec: _ToolSpec,
        args: Any,
        ctx: RunContext[Any] | None,
        started: float,
        exc: Exception,
        *,
        result_failed: bool = False,
    ) -> ToolOutcome[ResultT]:
        """Map whatever a tool raised (or its result's serializer raised) to an outcome."""
        if result_failed:
            error_out = ToolOutputError(tool_name=spec.name, reason=str(exc))
            error_out.__cause__ = exc
            return self._failed(
                spec, args, ctx, started, "error", "invalid_output", GENERIC_FAILURE, exc, error_out
            )
        if isinstance(exc, ToolFailed):
            return self._failed(
                spec, args, ctx, started, "failed", "tool_failed", exc.message, exc, None
            )
        if isinstance(exc, RetryWithFeedback):
            hint = _feedback(spec.name, exc.message)
            outcome = self._failed(
                spec, args, ctx, started, "retry", "retry_requested", hint, exc, None
            )
            exhausted = self._count_retry(spec, ctx, exc.message)
            return outcome if exhausted is None else exhausted
        if isinstance(exc, ApprovalRequired):
            raise exc
        if isinstance(exc, ToolTimeout):
            msg = f"The tool {spec.name} timed out after {exc.timeout:g}s."
            return self._failed(spec, args, ctx, started, "timeout", "timeout", msg, exc, exc)
        error = ToolExecutionError(tool_name=spec.name, exception_type=_qualname(type(exc)))
        error.__cause__ = exc
        return self._failed(
            spec, args, ctx, started, "error", "exception", GENERIC_FAILURE, exc, error
        )

    def _count_retry(
        self, spec: _ToolSpec, ctx: RunContext[Any] | None, problem: str | Exception
    ) -> ToolOutcome[ResultT] | None:
        """Count one bad call against the budget; an outcome when the budget is exhausted."""
        if ctx is None:
            return None
        count = ctx.retries.get(spec.name, 0) + 1
        ctx.retries[spec.name] = count
        if count <= spec.max_retries:
            return None
        error = ToolRetriesExhausted(
            tool_name=spec.name, max_retries=spec.max_retries, last_error=str(problem)
        )
        content = f"The tool {spec.name} was called incorrectly too many times; stop calling it."
        return ToolOutcome(spec.name, "retries_exhausted", content, None, error, ctx.tool_call_id)

    def _rejected(
        self, spec: _ToolSpec, ctx: RunContext[Any] | None, issues: tuple[ArgumentIssue, ...]
    ) -> ToolOutcome[ResultT]:
        error = InvalidToolArguments(tool_name=spec.name, issues=issues)
        call_id = ctx.tool_call_id if ctx is not None else None
        if ctx is not None and ctx.events is not None:
            ctx.events.emit(
                _events().ToolArgumentsRejected,
                tool_name=spec.name,
                tool_call_id=call_id,
                issues=[i.to_dict() for i in issues],
                attempt=ctx.retries.get(spec.name, 0) + 1,
                max_retries=spec.max_retries,
                mode=CALL_MODE.get(),
            )
        exhausted = self._count_retry(spec, ctx, error)  # its message is only built if needed
        if exhausted is not None:
            return exhausted
        try:
            hint = error.repair_hint
        except Exception:  # pragma: no cover - defensive: the issues are made encodable when built
            hint = _UNREADABLE_HINT.format(name=spec.name)
        return ToolOutcome(spec.name, "invalid_arguments", hint, None, error, call_id)

    def _failed(
        self,
        spec: _ToolSpec,
        args: Any,
        ctx: RunContext[Any] | None,
        started: float,
        status: OutcomeStatus,
        reason: Literal["tool_failed", "retry_requested", "exception", "timeout", "invalid_output"],
        content: str,
        exc: BaseException,
        error: ToolError | None,
    ) -> ToolOutcome[ResultT]:
        call_id = ctx.tool_call_id if ctx is not None else None
        if ctx is not None and ctx.events is not None:
            events = ctx.events
            tb = None
            if reason in ("exception", "invalid_output"):
                import traceback

                tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            message = str(exc)
            # A crash message or traceback may quote a sensitive argument: mask every such value.
            for secret in _sensitive_values(args, spec.contract.sensitive):
                message = message.replace(secret, MASK)
                tb = tb.replace(secret, MASK) if tb else tb
            duration = max(0.0, events.clock.monotonic() - started)
            events.emit(
                _events().ToolCallFailed,
                tool_name=spec.name,
                tool_call_id=call_id,
                reason=reason,
                duration_s=duration,
                error_type=_qualname(type(exc)),
                error_message=message,
                traceback=tb,
                content=content,
                mode=CALL_MODE.get(),
            )
        return ToolOutcome(spec.name, status, content, None, error, call_id)

    def __repr__(self) -> str:
        try:
            contract = self._spec.contract
        except ToolDefinitionError:
            return f"<{type(self).__name__} (invalid)>"
        return f"<{type(self).__name__} {contract.qualified_name!r} v{contract.version}>"


def _sensitive_values(args: Any, pointers: tuple[str, ...]) -> list[str]:
    """The string forms of every argument value under a sensitive pointer, longest first."""
    if not pointers:
        return []
    found: list[str] = []

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        if path and any(pointer_matches(p, path) for p in pointers):
            for leaf in _leaves(value):
                text = leaf.get_secret_value() if hasattr(leaf, "get_secret_value") else leaf
                if isinstance(text, bytes):
                    text = text.decode(errors="replace")
                else:
                    try:
                        text = str(text)
                    except ValueError:  # an integer past 4,300 digits: no message quotes it either
                        continue
                if text:
                    found.append(text)
            return
        if isinstance(value, BaseModel):
            value = value.__dict__
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, (*path, key))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    walk(args, ())
    return sorted(set(found), key=len, reverse=True)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, BaseModel):
        value = value.__dict__
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _class_setting(cls: type, attr: str) -> Any:
    """A setting a subclass gave as a plain class attribute (not the base class's property)."""
    for klass in cls.__mro__:
        if klass is Tool:
            return None
        value = klass.__dict__.get(attr)
        if isinstance(value, str):
            return value
    return None


def string_tuple(
    value: Any, *, option: str, tool_name: str | None, class_attribute: bool = False
) -> tuple[str, ...]:
    """``value`` (a collection of strings) as a tuple; a bare string, a mapping or a non-string entry is refused.

    A ``str`` is itself a sequence of strings, so ``tags="read"`` would quietly become the tags ``r``, ``e``,
    ``a``, ``d``: it raises `ToolOptionError` instead, saying what to write.
    """
    what = "JSON pointers" if option == "sensitive" else "strings"
    if isinstance(value, str | bytes):
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        fix = (
            f"{option} = ({text!r},) (mind the comma) or [{text!r}]"
            if class_attribute
            else f"{option}=[{text!r}]"
        )
        raise ToolOptionError(
            f"{option} must be a collection of {what}, got the string {value!r}; write {fix}",
            option=option,
            tool_name=tool_name,
        )
    example = f"{option} = ('...',)" if class_attribute else f"{option}=['...']"
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ToolOptionError(
            f"{option} must be a collection of {what}, got {type(value).__name__} {value!r}; write {example}",
            option=option,
            tool_name=tool_name,
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise ToolOptionError(
                f"{option} must contain only {what}, got {item!r} ({type(item).__name__}); write {example}",
                option=option,
                tool_name=tool_name,
            )
    return items


# What a Tool subclass's run was probably meant to be called, when it defines one of these but no run.
_RUN_LOOKALIKES = ("__call__", "_run", "arun", "run_", "runn", "execute", "call", "handle")
_CTX_NAMES = ("ctx", "context", "run_context")


def _check_tool_class(cls: type[Tool[Any, Any]]) -> None:
    """Refuse, when the class is created, settings and ``run`` methods that could only fail (or mislead) later."""
    tool_name = _class_setting(cls, "name") or _snake_case(cls.__name__)
    own = cls.__dict__
    name = own.get("name")
    if name is not None and not isinstance(name, str) and not hasattr(type(name), "__get__"):
        guess = (
            name[0]
            if isinstance(name, list | tuple) and name and isinstance(name[0], str)
            else "my_tool"
        )
        raise ToolOptionError(
            f"name must be a string, got {type(name).__name__} {name!r}; write name = {guess!r}",
            option="name",
            tool_name=tool_name,
        )
    for option in ("tags", "sensitive"):
        if option in own:
            string_tuple(own[option], option=option, tool_name=tool_name, class_attribute=True)
    _check_run(cls, tool_name)


def _check_run(cls: type[Tool[Any, Any]], tool_name: str) -> None:
    """A ``run`` this class defines must be callable the way the fast path calls it: ``run(self, args, ctx)``."""
    run = cls.__dict__.get("run")
    if run is None and "run" not in cls.__dict__:
        # Inherited (checked with its own class), or still abstract: an intermediate base class may leave run to
        # its subclasses, but a class that spelled it differently would only fail when instantiated.
        if not getattr(cls.run, "__isabstractmethod__", False) or any(
            getattr(value, "__isabstractmethod__", False) for value in cls.__dict__.values()
        ):
            return
        for attr in _RUN_LOOKALIKES:
            candidate = cls.__dict__.get(attr)
            if inspect.isfunction(candidate) and _run_call_problem(candidate) is None:
                raise ToolSignatureError(
                    f"{cls.__name__} defines {attr}() but no run(): a Tool subclass implements "
                    f"run(self, args, ctx) (async def or def); rename {attr} to run",
                    tool_name=tool_name,
                )
        return
    if isinstance(run, staticmethod | classmethod):
        raise ToolSignatureError(
            f"{cls.__name__}.run is a {type(run).__name__}; write it as a plain method: "
            "def run(self, args, ctx) (or async def)",
            tool_name=tool_name,
        )
    if getattr(run, "__isabstractmethod__", False):
        return
    if not callable(run):
        raise ToolSignatureError(
            f"{cls.__name__}.run is {run!r}, not a method; write def run(self, args, ctx) "
            "(or async def)",
            tool_name=tool_name,
        )
    if inspect.isasyncgenfunction(run) or inspect.isgeneratorfunction(run):
        raise ToolSignatureError(
            f"{cls.__name__}.run yields, but a tool returns its result once: collect the items and return "
            "them (for example as a list)",
            tool_name=tool_name,
        )
    problem = _run_call_problem(run)
    if problem is not None:
        raise ToolSignatureError(
            f"{cls.__name__}.run{_bare_signature(run)} cannot be called as run(self, args, ctx): {problem}",
            tool_name=tool_name,
        )


def _run_call_problem(run: Callable[..., Any]) -> str | None:
    """What stops ``run(self, args, ctx)`` (three positional arguments) from binding, or ``None`` if it binds."""
    try:
        signature = inspect.signature(run)
    except (TypeError, ValueError):  # pragma: no cover - no readable signature: nothing to check
        return None
    try:
        signature.bind(None, None, None)
    except TypeError:
        pass
    else:
        return None
    params = list(signature.parameters.values())
    kinds = inspect.Parameter
    keyword_only = [p.name for p in params if p.kind is kinds.KEYWORD_ONLY and p.default is p.empty]
    if keyword_only:
        names = ", ".join(repr(n) for n in keyword_only)
        return (
            f"{names} must be passed by keyword, but agentkit passes args and ctx by position; "
            "write def run(self, args, ctx)"
        )
    positional = [
        p.name for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) < 3:
        if len(positional) == 2 and positional[1] in _CTX_NAMES:
            return "run is a method: its first parameter is self; write def run(self, args, ctx)"
        if len(positional) == 2:
            return "add the ctx parameter (ctx: RunContext), even if run does not use it"
        return "it takes self, the validated arguments and the run context; write def run(self, args, ctx)"
    extra = ", ".join(repr(n) for n in positional[3:])
    return f"agentkit passes only args and ctx, so {extra} would never be given; give it a default or remove it"


def _bare_signature(func: Callable[..., Any]) -> str:
    """``(self, args, ctx=None)``: the parameters without annotations, which may be unresolved strings."""
    signature = inspect.signature(func)
    params = [p.replace(annotation=p.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=params, return_annotation=signature.empty))


_NO_ANNOTATIONS: ToolAnnotations | None = None


def _build_contract(**fields: Any) -> ToolContract:
    global _NO_ANNOTATIONS
    name = fields.get("name")
    if fields.get("annotations") is None:
        # Frozen, so one instance serves every tool that states no hints.
        if _NO_ANNOTATIONS is None:
            _NO_ANNOTATIONS = ToolAnnotations()
        fields["annotations"] = _NO_ANNOTATIONS
    parse_version(fields["version"], tool_name=name)
    try:
        return ToolContract(**fields)
    except ValidationError as exc:
        raise ToolDefinitionError(_first_error(exc), tool_name=name) from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def _too_large(size: int, limit: int) -> tuple[ArgumentIssue, ...]:
    return (
        ArgumentIssue(
            path="",
            problem="too_large",
            message=f"arguments are {size} bytes, more than the limit of {limit}",
            expected=f"at most {limit} bytes of JSON",
        ),
    )


def _feedback(name: str, message: str) -> str:
    import json

    return json.dumps(
        {
            "error": "retry",
            "tool": name,
            "feedback": message,
            "hint": f"Change the arguments and call {name} again.",
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _qualname(cls: type) -> str:
    module = cls.__module__
    return (
        cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"
    )


def _as_plain(args: Any, spec: _ToolSpec | None = None) -> Any:
    """Validated arguments as JSON values: what events record and what dry runs and mocks see."""
    if spec is not None and spec.plain_args is not None:
        try:
            return spec.plain_args(args)
        except Exception:  # pragma: no cover - defensive: events must never break a call
            return None
    if isinstance(args, BaseModel):
        return args.model_dump(mode="json")
    if isinstance(args, dict):
        return args
    try:
        return TypeAdapter(type(args)).dump_python(args, mode="json")
    except Exception:  # pragma: no cover - defensive: events must never break a call
        return None
