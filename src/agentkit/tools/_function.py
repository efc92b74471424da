"""``@tool``: turn a plain (sync or async) function into a tool that stays callable as before."""

from __future__ import annotations

import functools
import inspect
import re
import sys
import types
import typing
import warnings
from typing import Any, Generic, TypeVar, get_args, get_origin, overload

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo
from typing_extensions import ParamSpec, is_typeddict

from agentkit.exceptions import ToolDefinitionError, ToolOptionError, ToolSignatureError
from agentkit.tools._base import (
    _CALL_KWARGS,
    _CALL_KWARGS_CTX,
    DEFAULT_MAX_ARGUMENT_BYTES,
    DEFAULT_MAX_RETRIES,
    Tool,
    _build_contract,
    _Keywords,
    _make_dumper,
    _ToolSpec,
    string_tuple,
)
from agentkit.tools._context import RunContext
from agentkit.tools._docstrings import parse_docstring
from agentkit.tools._schema import find_sensitive_pointers
from agentkit.tools._warnings import ToolDefinitionWarning

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from agentkit.tools._contract import ToolAnnotations

__all__ = ("FunctionTool", "tool")

P = ParamSpec("P")
R = TypeVar("R")

_RUN_CONTEXT_STRING = re.compile(r"^(?:[\w.]+\.)?RunContext(?:\[.*\])?$")


_OPTIONAL_STRING = re.compile(
    r"^(?:typing\.)?Optional\[(.*)\]$|^(.*?)\s*\|\s*None$|^None\s*\|\s*(.*)$"
)


def _is_run_context(annotation: Any) -> bool:
    """Whether ``annotation`` asks for the run context: ``RunContext[...]``, also ``Annotated`` or ``| None``."""
    if annotation is RunContext or get_origin(annotation) is RunContext:
        return True
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _is_run_context(get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        return len(members) == 1 and _is_run_context(members[0])
    if not isinstance(annotation, str):
        return False
    text = annotation.strip()
    optional = _OPTIONAL_STRING.match(text)
    if optional:
        text = next(g for g in optional.groups() if g is not None).strip()
    return bool(_RUN_CONTEXT_STRING.match(text))


def _annotated_text(annotation: Any) -> str | None:
    """The plain strings of ``Annotated[T, "a description"]`` (LangChain's and the OpenAI Agents SDK's way)."""
    texts: list[str] = []
    while get_origin(annotation) is typing.Annotated:
        base, *metadata = get_args(annotation)
        texts[:0] = [m.strip() for m in metadata if isinstance(m, str) and m.strip()]
        annotation = base
    return " ".join(texts) or None


def _doc(obj: Any) -> str | None:
    """``inspect.getdoc`` without its cleaning: `parse_docstring` cleans the text itself, once."""
    text = getattr(obj, "__doc__", None)
    return text if isinstance(text, str) else inspect.getdoc(obj)


def _has_typeddict(annotation: Any, depth: int = 0) -> bool:
    """Whether a TypedDict that sets no pydantic config of its own appears anywhere in ``annotation``."""
    if depth > 16:
        return False
    if type(annotation) is type:
        return False  # a plain class (int, str, a model): not a TypedDict, nothing inside
    if is_typeddict(annotation):
        return not hasattr(annotation, "__pydantic_config__")
    return any(_has_typeddict(arg, depth + 1) for arg in get_args(annotation))


def _unknown_doc_params(
    documented: Iterable[str], known: set[str], tool_name: str, where: str
) -> None:
    unknown = [name for name in documented if name not in known]
    if not unknown:
        return
    import difflib  # only a docstring describing unknown parameters needs it

    names = ", ".join(repr(n) for n in unknown)
    close = {n: difflib.get_close_matches(n, sorted(known), n=1, cutoff=0.6) for n in unknown}
    hints = "; ".join(f"{n!r} may be {c[0]!r}" for n, c in close.items() if c)
    warnings.warn(
        ToolDefinitionWarning(
            f"tool {tool_name!r}: the docstring of {where} describes {names}, which "
            f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'}; "
            f"{'the description is' if len(unknown) == 1 else 'their descriptions are'} not used"
            + (f" ({hints})" if hints else "")
        ),
        stacklevel=5,
    )


def _resolve_hints(
    func: Callable[..., Any], localns: dict[str, Any] | None, name: str
) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, localns=localns, include_extras=True)
    except Exception:
        pass
    # Resolve one annotation at a time so the error names the culprit (and RunContext may stay unresolved).
    hints: dict[str, Any] = {}
    globalns = getattr(func, "__globals__", {})
    for pname, ann in getattr(func, "__annotations__", {}).items():
        if not isinstance(ann, str):
            hints[pname] = ann
            continue
        if _is_run_context(ann):
            hints[pname] = RunContext
            continue
        try:
            hints[pname] = eval(ann, globalns, localns or {})
        except Exception as exc:
            raise ToolDefinitionError(
                f"cannot resolve the annotation {ann!r} of {pname!r}: {exc}. Define the type at module level "
                "(or before the tool) so it can be found",
                tool_name=name,
            ) from exc
    return hints


def _refuse_non_functions(func: object) -> None:
    """Refuse, with what to write instead, the things ``tool()`` is sometimes given by mistake."""
    if isinstance(func, str):
        raise ToolOptionError(
            f"tool() takes its options by keyword: write @tool(name={func!r})", option="name"
        )
    if inspect.isclass(func):
        if issubclass(func, Tool):
            raise ToolSignatureError(
                f"{func.__name__} subclasses Tool, so it is a tool already: use an instance, "
                f"{func.__name__}(), instead of tool({func.__name__})"
            )
        raise ToolSignatureError(
            f"tool() takes a function or a callable object, not the class {func.__name__}: a class becomes a "
            "tool by subclassing Tool[Args, Result] and implementing run(self, args, ctx); or pass an instance, "
            f"{func.__name__}(), whose __call__ is the tool"
        )
    if isinstance(func, Tool):
        raise ToolSignatureError(
            f"{func!r} is a tool already: use it as it is (its .renamed(...) gives it another name)"
        )
    if not callable(func):
        raise ToolDefinitionError(f"@tool needs a function, got {type(func).__name__}")


class FunctionTool(Tool[Any, Any], Generic[P, R]):
    """A tool made from a function by `tool`. Calling it calls the function, unchanged.

    Attributes:
        func: The original function.
        dry_run_func: Its answer in a dry run (``@tool(dry_run=...)``), if any.

    Examples:
        >>> from agentkit import tool
        >>> @tool
        ... def add(a: int, b: int = 1) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> add(2, b=3)
        5
        >>> add.contract.input_schema["properties"]
        {'a': {'type': 'integer'}, 'b': {'default': 1, 'type': 'integer'}}
    """

    def __init__(
        self,
        func: Callable[P, R],
        *,
        name: str | None = None,
        version: str = "1.0.0",
        description: str | None = None,
        namespace: str | None = None,
        annotations: ToolAnnotations | None = None,
        tags: Iterable[str] = (),
        timeout: float | None = None,
        requires_approval: bool = False,
        sensitive: Iterable[str] = (),
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_argument_bytes: int = DEFAULT_MAX_ARGUMENT_BYTES,
        blocking: bool = True,
        strict: bool = False,
        localns: dict[str, Any] | None = None,
        dry_run: Callable[..., Any] | None = None,
    ) -> None:
        _refuse_non_functions(func)
        self.func = func
        self.dry_run_func = dry_run
        functools.update_wrapper(self, func)
        named = func.func if isinstance(func, functools.partial) else func
        tool_name = (
            name if name is not None else getattr(named, "__name__", None) or type(named).__name__
        )
        if tool_name == "<lambda>":
            raise ToolDefinitionError(
                "a lambda needs an explicit name: tool(name='...')(lambda ...)"
            )
        tags = string_tuple(tags, option="tags", tool_name=tool_name)
        sensitive = string_tuple(sensitive, option="sensitive", tool_name=tool_name)
        args_model, ctx_param, is_async, doc, hints, used_locals = _analyse(
            func, tool_name, localns=localns, strict=strict, warn=True
        )
        # The model is not kept: validation uses a typed-dict copy of its core schema (see ``_Keywords``), and
        # ``args_model`` builds it again when someone asks, with the caller's locals that the annotations name
        # (only those: keeping the caller's locals would keep everything the caller held).
        self._locals = used_locals
        self._strict = strict
        self._model_of = tool_name
        keywords = _Keywords(args_model, tool_name=tool_name)
        input_schema = keywords.schema

        return_hint = hints.get("return", inspect.Parameter.empty)
        if is_async and get_origin(return_hint) in (typing.Coroutine, typing.Awaitable):
            return_hint = get_args(return_hint)[-1]
        try:
            dump, output_schema = _make_dumper(return_hint)
        except Exception as exc:
            raise ToolDefinitionError(
                f"cannot serialize the return type {return_hint!r}: {exc}", tool_name=tool_name
            ) from exc

        contract = _build_contract(
            name=tool_name,
            namespace=namespace,
            version=version,
            description=description if description is not None else doc.description,
            input_schema=input_schema,
            output_schema=output_schema,
            annotations=annotations,
            tags=tags,
            timeout=timeout,
            requires_approval=requires_approval,
            sensitive=tuple(sorted({*sensitive, *find_sensitive_pointers(args_model)})),
        )
        self._spec = _ToolSpec(
            contract=contract,
            validate_json=keywords.validate_json,
            validate_python=keywords.validate_python,
            plain_args=keywords.plain,
            call=func,
            call_mode=_CALL_KWARGS_CTX if ctx_param else _CALL_KWARGS,
            dump=dump,
            is_async=is_async,
            blocking=blocking,
            max_retries=max_retries,
            max_argument_bytes=max_argument_bytes,
            ctx_param=ctx_param,
        )

    @property
    def args_model(self) -> type[BaseModel]:
        """The pydantic model of the arguments (``extra="forbid"``), built on first access and kept.

        The tool does not need it: it validates with a typed-dict copy of this model's core schema, made when the
        tool was defined, so tools that nobody inspects do not keep a model class each. The model is built again
        from the function's signature, with the same names, types, defaults and descriptions.

        Examples:
            >>> from agentkit import tool
            >>> @tool
            ... def add(a: int, b: int = 1) -> int:
            ...     '''Add two integers.'''
            ...     return a + b
            >>> add.args_model(a=2).b
            1
        """
        model: type[BaseModel] | None = self.__dict__.get("_args_model")
        if model is None:
            model = _analyse(
                self.func,
                self._model_of,
                localns=self._locals,
                strict=self._strict,
                warn=False,
            )[0]
            self.__dict__["_args_model"] = model
        return model

    def run(self, args: Any, ctx: RunContext[Any]) -> Any:
        """Call the function with validated arguments: a dict of them, or an ``args_model`` instance."""
        kwargs = dict(args) if isinstance(args, dict) else dict(args.__dict__)
        if self._spec.ctx_param:
            kwargs[self._spec.ctx_param] = ctx
        func: Callable[..., Any] = self.func
        return func(**kwargs)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)


@overload
def tool(func: Callable[P, R], /) -> FunctionTool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    version: str = "1.0.0",
    description: str | None = None,
    namespace: str | None = None,
    annotations: ToolAnnotations | None = None,
    tags: Iterable[str] = (),
    timeout: float | None = None,
    requires_approval: bool = False,
    sensitive: Iterable[str] = (),
    max_retries: int = DEFAULT_MAX_RETRIES,
    max_argument_bytes: int = DEFAULT_MAX_ARGUMENT_BYTES,
    blocking: bool = True,
    strict: bool = False,
    dry_run: Callable[..., Any] | None = None,
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


def tool(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    version: str = "1.0.0",
    description: str | None = None,
    namespace: str | None = None,
    annotations: ToolAnnotations | None = None,
    tags: Iterable[str] = (),
    timeout: float | None = None,
    requires_approval: bool = False,
    sensitive: Iterable[str] = (),
    max_retries: int = DEFAULT_MAX_RETRIES,
    max_argument_bytes: int = DEFAULT_MAX_ARGUMENT_BYTES,
    blocking: bool = True,
    strict: bool = False,
    dry_run: Callable[..., Any] | None = None,
) -> FunctionTool[P, R] | Callable[[Callable[P, R]], FunctionTool[P, R]]:
    """Make a tool from a sync or async function; use bare (``@tool``) or with options (``@tool(...)``).

    The input schema comes from the signature: annotations, defaults, ``Annotated[..., Field(...)]`` constraints,
    and parameter descriptions from the docstring (Google, NumPy or Sphinx style); the rest of the docstring is the
    description. A parameter annotated ``RunContext[...]`` receives the run context and is left out of the schema.
    The decorated object is still callable exactly like the function.

    Args:
        func: The function (bare form).
        name: Tool name; defaults to the function's name.
        version: Semantic version of the contract.
        description: Overrides the docstring.
        namespace: Dotted namespace for the registry (``travel`` makes ``travel.search_flights``).
        annotations: Behaviour hints (read-only, destructive, idempotent, open-world).
        tags: Labels for filtering.
        timeout: Seconds the tool may run.
        requires_approval: Whether a human must approve each call.
        sensitive: Extra JSON pointers of arguments never to log or echo (``Sensitive()`` / ``SecretStr``
            annotations are found automatically).
        max_retries: Consecutive invalid calls the model gets repair hints for.
        max_argument_bytes: Largest raw argument payload accepted.
        blocking: For sync functions: ``True`` runs them in a worker thread, ``False`` inline on the event loop
            (only for quick, non-blocking code).
        strict: Validate in pydantic strict mode (no ``"5"`` → ``5`` coercion).
        dry_run: What the tool answers in a dry run (`agentkit.sandbox`), instead of running: a function taking
            the same arguments (and the ``RunContext`` parameter, if it declares it), returning the tool's result
            type. Without it, a dry run answers with a `agentkit.sandbox.DryRunResult`.

    Examples:
        >>> from typing import Annotated, Literal
        >>> from pydantic import Field
        >>> from agentkit import tool
        >>> @tool(version="1.1.0", tags=["travel"])
        ... async def search_flights(
        ...     origin: Annotated[str, Field(pattern="^[A-Z]{3}$")],
        ...     cabin: Literal["economy", "business"] = "economy",
        ... ) -> list[str]:
        ...     '''Search flights.
        ...
        ...     Args:
        ...         origin: IATA code of the departure airport.
        ...         cabin: Cabin class.
        ...     '''
        ...     return ["AF123"]
        >>> search_flights.contract.input_schema["properties"]["origin"]
        {'description': 'IATA code of the departure airport.', 'pattern': '^[A-Z]{3}$', 'type': 'string'}
    """
    options: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": description,
        "namespace": namespace,
        "annotations": annotations,
        "tags": tags,
        "timeout": timeout,
        "requires_approval": requires_approval,
        "sensitive": sensitive,
        "max_retries": max_retries,
        "max_argument_bytes": max_argument_bytes,
        "blocking": blocking,
        "strict": strict,
        "dry_run": dry_run,
    }
    if func is not None:
        return FunctionTool(func, localns=_caller_locals(), **options)

    localns = _caller_locals()

    def decorate(f: Callable[P, R]) -> FunctionTool[P, R]:
        return FunctionTool(f, localns=localns, **options)

    return decorate


def _caller_locals() -> dict[str, Any] | None:
    """The locals of the code that applied the decorator, so types defined in a function body resolve."""
    frame = sys._getframe(2)
    if frame.f_code.co_flags & inspect.CO_NEWLOCALS and frame.f_locals is not frame.f_globals:
        return dict(frame.f_locals)
    return None


def _analyse(
    func: Callable[..., Any],
    tool_name: str,
    *,
    localns: dict[str, Any] | None,
    strict: bool,
    warn: bool,
) -> tuple[type[BaseModel], str | None, bool, Any, dict[str, Any], dict[str, Any] | None]:
    """Analyse ``func``: its arguments model, ``RunContext`` parameter, async-ness, docstring, hints, and locals.

    The last is the part of ``localns`` its annotations name (None if none): enough to resolve them again.
    ``warn=False`` when the model is built again (``FunctionTool.args_model``): the definition warned already.
    """
    target: Any = func
    hints_from: Any = func
    bound: frozenset[str] = frozenset()
    is_async = inspect.iscoroutinefunction(func)
    doc = parse_docstring(_doc(func))
    doc_params = doc.params
    doc_where = f"{getattr(func, '__qualname__', tool_name)}"
    if isinstance(func, functools.partial):
        # The partial's signature already leaves out the positional arguments it binds; the keywords it binds
        # are fixed by the partial too, so they leave the schema (the model cannot override them).
        inner = func.func
        hints_from = inner
        bound = frozenset(func.keywords)
        doc = parse_docstring(_doc(inner))
        doc_params = doc.params
        doc_where = getattr(inner, "__qualname__", tool_name)
        is_async = is_async or inspect.iscoroutinefunction(inner)
    elif not inspect.isfunction(func) and not inspect.ismethod(func) and callable(func):
        # A callable object: its __call__ holds the signature and, often, the documentation.
        target = hints_from = func.__call__  # type: ignore[operator]  # callable() checked above
        is_async = is_async or inspect.iscoroutinefunction(target)
        call_doc = parse_docstring(_doc(target))
        doc_where = f"{type(func).__qualname__}.__call__"
        # The class docstring describes the tool when it has one; its parameter entries usually describe
        # __init__, so only __call__'s docstring is checked against the parameters.
        class_params = {k: v for k, v in doc.params.items() if k in call_doc.params}
        doc = type(doc)(
            description=doc.description or call_doc.description,
            params={**call_doc.params, **class_params},
            style=call_doc.style,
        )
        doc_params = call_doc.params
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        raise ToolDefinitionError(f"cannot read the signature: {exc}", tool_name=tool_name) from exc
    hints = _resolve_hints(hints_from, localns, tool_name)
    if doc_params and warn:
        known = signature if hints_from is target else inspect.signature(hints_from)
        _unknown_doc_params(doc_params, {*known.parameters}, tool_name, doc_where)

    fields: dict[str, Any] = {}
    ctx_param: str | None = None
    uses_typeddict = False
    for pname, param in signature.parameters.items():
        if pname in bound:
            continue
        annotation = hints.get(
            pname, Any if param.annotation is inspect.Parameter.empty else param.annotation
        )
        if _is_run_context(annotation):
            if ctx_param is not None:
                raise ToolDefinitionError(
                    f"only one RunContext parameter is allowed, got {ctx_param!r} and {pname!r}",
                    tool_name=tool_name,
                )
            ctx_param = pname
            continue
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise ToolDefinitionError(
                f"*args/**kwargs ({pname!r}) cannot be described to a model; declare each parameter "
                "or take one pydantic model",
                tool_name=tool_name,
            )
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise ToolDefinitionError(
                f"positional-only parameter {pname!r} is not supported: models pass arguments by name",
                tool_name=tool_name,
            )
        if pname in ("self", "cls") and param.annotation is inspect.Parameter.empty:
            raise ToolDefinitionError(
                "@tool decorates functions, not methods; for a tool with state, subclass Tool",
                tool_name=tool_name,
            )
        if pname == "model_config":
            raise ToolDefinitionError(
                "parameter 'model_config' is reserved by pydantic; rename it",
                tool_name=tool_name,
            )
        if pname.startswith("_"):
            raise ToolDefinitionError(
                f"parameter {pname!r} starts with '_', which pydantic treats as private; rename it",
                tool_name=tool_name,
            )
        default: Any = ... if param.default is inspect.Parameter.empty else param.default
        annotated = getattr(annotation, "__metadata__", None) is not None
        if default is ... and annotated:
            in_annotation = FieldInfo.from_annotation(annotation)
            if not in_annotation.is_required():
                # Annotated[int, Field(default=3)]: the default lives in the annotation. It is passed on
                # explicitly, since pydantic < 2.10 drops it once the annotation is wrapped again (below).
                factory = in_annotation.default_factory
                default = (
                    Field(default_factory=factory) if factory is not None else in_annotation.default
                )
        # Field(description=...) first, then Annotated[T, "text"], then the docstring.
        described = _annotated_text(annotation) if annotated else None
        described = described or doc.params.get(pname)
        if described:
            if not annotated and not isinstance(default, FieldInfo):
                # Nothing else can describe the field: the description goes with the default (wrapping the
                # annotation in Annotated costs more than the rest of the field).
                default = Field(default, description=described)
            elif FieldInfo.from_annotated_attribute(annotation, default).description is None:
                annotation = typing.Annotated[annotation, Field(description=described)]
        uses_typeddict = uses_typeddict or _has_typeddict(annotation)
        fields[pname] = (annotation, default)

    model_name = (
        "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", tool_name) if part)
        + "Args"
    )
    try:
        with warnings.catch_warnings():
            # Parameters such as ``schema`` or ``json`` shadow BaseModel methods; harmless here, since the
            # tool validates to a dict of keyword arguments and never reads them as attributes.
            warnings.filterwarnings("ignore", r"Field name .* shadows an attribute", UserWarning)
            args_model = create_model(
                model_name or "ToolArgs",
                __config__=ConfigDict(
                    extra="forbid",
                    strict=strict,
                    arbitrary_types_allowed=False,
                    # A TypedDict without a config of its own takes this one: its attribute docstrings
                    # become field descriptions (only then, since reading them means reading source).
                    **({"use_attribute_docstrings": True} if uses_typeddict else {}),
                ),
                __module__=getattr(func, "__module__", __name__),
                **fields,
            )
    except Exception as exc:
        raise ToolDefinitionError(
            f"cannot build an arguments model: {exc}", tool_name=tool_name
        ) from exc
    used = _named_locals(hints_from, localns, hints) if localns else None
    return args_model, ctx_param, is_async, doc, hints, used


def _named_locals(
    func: Any, localns: dict[str, Any], hints: dict[str, Any]
) -> dict[str, Any] | None:
    """The entries of ``localns`` that ``func``'s annotations may name (in strings and forward references).

    Only annotations that resolving changed are read (one that resolved to itself looked nothing up), and every
    identifier in their text counts: a few more entries than needed at worst, never one missing.
    """
    names: set[str] = set()
    raw = getattr(func, "__annotations__", {})
    stack = [value for key, value in raw.items() if hints.get(key) is not value]
    while stack:
        annotation = stack.pop()
        if isinstance(annotation, str):
            names.update(_IDENTIFIER.findall(annotation))
        elif isinstance(annotation, typing.ForwardRef):
            names.update(_IDENTIFIER.findall(annotation.__forward_arg__))
        else:
            stack.extend(get_args(annotation))
    kept = {name: localns[name] for name in names.intersection(localns)}
    return kept or None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
