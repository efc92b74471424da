"""``Prompt[VarsT]``: a versioned template with typed variables, compiled once, rendered to messages."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, NamedTuple, TypeVar, overload

import typing_extensions
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    PydanticUserError,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import to_jsonable_python

from agentkit.exceptions import ToolDefinitionError
from agentkit.messages import Message, TextPart
from agentkit.prompts._errors import PromptDefinitionError, PromptRenderError, PromptVariableIssue
from agentkit.prompts._template import (
    Op,
    RenderProblem,
    compile_template,
    record_fields,
    render_ops,
)
from agentkit.tools._base import _sensitive_values
from agentkit.tools._schema import find_sensitive_pointers, is_model_class
from agentkit.tools._semver import Version, parse_version
from agentkit.tools._sensitive import mask_arguments

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from agentkit.events import EventEmitter

__all__ = (
    "HASH_FORMAT",
    "MessageRole",
    "MessageTemplate",
    "NoVars",
    "Prompt",
    "RenderedPrompt",
    "content_hash",
)

VarsT = TypeVar("VarsT")

MessageRole = Literal["system", "user", "assistant"]
"""Roles a prompt's message templates may have."""

HASH_FORMAT = 1
"""Version of the canonical form hashed into `Prompt.content_hash`; bumped only if that form ever changes."""

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}\Z")
_ROLES = ("system", "user", "assistant")


class NoVars(typing_extensions.TypedDict):
    """The variables type of a prompt without variables: ``Prompt("name", system="...")`` is a ``Prompt[NoVars]``.

    Examples:
        >>> from agentkit.prompts import Prompt
        >>> Prompt("plain", system="You are terse.").render().messages[0].text
        'You are terse.'
    """


class MessageTemplate(NamedTuple):
    """One message template of a prompt: its role and its template text.

    Examples:
        >>> from agentkit.prompts import Prompt
        >>> Prompt("plain", system="Be brief.").templates
        (MessageTemplate(role='system', template='Be brief.'),)
    """

    role: MessageRole
    template: str


class RenderedPrompt(BaseModel):
    """The result of rendering a prompt: the messages, and what is needed to trace them back to the prompt.

    Attributes:
        name: The prompt's name.
        version: The prompt's version.
        content_hash: The prompt's `Prompt.content_hash`.
        messages: The rendered messages, in order (system, extra messages, user).
        variables: Names of the prompt's declared variables.
        values: The variables' values as JSON, those marked ``Sensitive()`` (or ``SecretStr``) masked as
            ``"***"``: what ``prompt.rendered`` records (redacted once more by the run) so a replay renders the
            prompt again without being given them.

    Examples:
        >>> from typing_extensions import TypedDict
        >>> from agentkit.prompts import Prompt
        >>> class Vars(TypedDict):
        ...     city: str
        >>> rendered = Prompt("weather", vars=Vars, user="Weather in {city}?").render({"city": "Oslo"})
        >>> [(m.role, m.text) for m in rendered.messages]
        [('user', 'Weather in Oslo?')]
        >>> rendered.variables
        ('city',)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    content_hash: str
    messages: list[Message]
    variables: tuple[str, ...] = ()
    values: dict[str, Any] | None = None
    # The clear values of sensitive variables, for the run's redactor to mask wherever they appear; never dumped.
    _sensitive_values: tuple[str, ...] = PrivateAttr(default=())


def _sensitive_pointers(vars_type: Any) -> tuple[str, ...]:
    """JSON pointers of the variables marked ``Sensitive()`` (or typed ``SecretStr``), and of fields inside them."""
    if is_model_class(vars_type):
        return tuple(find_sensitive_pointers(vars_type))
    try:
        hints = typing_extensions.get_type_hints(vars_type, include_extras=True)
    except Exception:  # unresolvable forward references: nothing can be known to be sensitive
        return ()
    found: list[str] = []
    for key, annotation in hints.items():
        found.extend(find_sensitive_pointers(annotation, f"/{key}"))
    return tuple(sorted(set(found)))


def content_hash(name: str, version: str, templates: Iterable[tuple[str, str]]) -> str:
    """The content hash of a prompt: ``"sha256:"`` plus the hex SHA-256 of its canonical JSON.

    The canonical JSON is ``{"format": 1, "messages": [{"role": ..., "template": ...}, ...], "name": ...,
    "version": ...}`` with sorted keys, ``(",", ":")`` separators and ``ensure_ascii=False``, encoded as UTF-8. The
    templates are the exact strings given (no normalisation), in rendering order. The description, tags and
    variables type are not part of it: they do not change what the model reads.

    Examples:
        >>> import hashlib
        >>> from agentkit.prompts import content_hash
        >>> canonical = '{"format":1,"messages":[{"role":"user","template":"Hello {name}"}],"name":"greet","version":"1.0.0"}'
        >>> content_hash("greet", "1.0.0", [("user", "Hello {name}")]) == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
        True
    """
    payload = {
        "format": HASH_FORMAT,
        "messages": [{"role": role, "template": text} for role, text in templates],
        "name": name,
        "version": version,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _declared_variables(vars_type: Any, prompt: str) -> tuple[dict[str, Any], bool]:
    """Declared variable name → annotation, and whether ``vars_type`` is a TypedDict."""
    if is_model_class(vars_type):
        return record_fields(vars_type), False
    if typing_extensions.is_typeddict(vars_type):
        return record_fields(vars_type), True
    raise PromptDefinitionError(
        f"vars must be a pydantic model class or a TypedDict class, got {vars_type!r}",
        prompt=prompt,
    )


class Prompt(Generic[VarsT]):
    """A versioned prompt template with typed variables, rendered to system / user messages.

    The templates are compiled once, here: a placeholder naming an undeclared variable, forbidden syntax (attribute
    or index access, format specs, conversions, expressions) or an unclosed section raises
    `PromptDefinitionError` now, never at render time. `render` validates the variables with pydantic before
    rendering anything.

    Template syntax: ``{name}`` inserts a variable; ``{#if name}...{#else}...{/if}`` and ``{#if not name}...{/if}``
    test a value's truthiness; ``{#each items as item}...{item}...{/each}`` repeats for every element of a list,
    and inside it ``{item.field}`` reads one field of a pydantic-model, TypedDict or dict element; ``{{`` and ``}}``
    are literal braces. Values are inserted as: ``str`` as is; ``None`` as nothing; enums as their value; dicts,
    lists, tuples, sets (sorted) and pydantic models as compact JSON; everything else (numbers, bools, dates...)
    with ``str()``.

    Args:
        name: The prompt's name (letters, digits, ``_``, ``-``, ``.``; at most 128 characters).
        vars: The variables type: a pydantic model class or a TypedDict class (on Python < 3.12 pydantic needs
            ``typing_extensions.TypedDict``). Omit it for a prompt without variables (`NoVars`).
        system: Template of the system message.
        user: Template of the user message.
        messages: Extra message templates as ``(role, template)`` pairs (few-shot examples, for instance),
            rendered between the system and the user message.
        version: Semantic version of the prompt.
        description: What the prompt is for (not sent to the model, not hashed).
        tags: Free-form labels (sorted, unique; not hashed).

    Raises:
        PromptDefinitionError: A template, the name, the version or the variables type is unusable.

    Examples:
        >>> from pydantic import BaseModel
        >>> from agentkit.prompts import Prompt
        >>> class SupportVars(BaseModel):
        ...     customer_name: str
        ...     vip: bool = False
        ...     orders: list[str] = []
        >>> support = Prompt(
        ...     "support",
        ...     vars=SupportVars,
        ...     version="1.2.0",
        ...     system="You help {customer_name}.{#if vip} Be extra kind.{/if}",
        ...     user="Orders:{#each orders as order} {order}{/each}",
        ... )
        >>> rendered = support.render(SupportVars(customer_name="Ada", vip=True, orders=["A1", "B2"]))
        >>> [m.text for m in rendered.messages]
        ['You help Ada. Be extra kind.', 'Orders: A1 B2']
        >>> rendered.version, rendered.content_hash == support.content_hash
        ('1.2.0', True)
    """

    __slots__ = (
        "_adapter",
        "_compiled",
        "_content_hash",
        "_description",
        "_name",
        "_semver",
        "_sensitive",
        "_tags",
        "_templates",
        "_typeddict",
        "_variables",
        "_vars_type",
        "_version",
    )

    @overload
    def __init__(
        self: Prompt[NoVars],
        name: str,
        *,
        vars: None = None,
        system: str | None = None,
        user: str | None = None,
        messages: Sequence[tuple[MessageRole, str]] = (),
        version: str = "1.0.0",
        description: str = "",
        tags: Iterable[str] = (),
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        *,
        vars: type[VarsT],
        system: str | None = None,
        user: str | None = None,
        messages: Sequence[tuple[MessageRole, str]] = (),
        version: str = "1.0.0",
        description: str = "",
        tags: Iterable[str] = (),
    ) -> None: ...

    def __init__(
        self,
        name: str,
        *,
        vars: type[VarsT] | None = None,
        system: str | None = None,
        user: str | None = None,
        messages: Sequence[tuple[MessageRole, str]] = (),
        version: str = "1.0.0",
        description: str = "",
        tags: Iterable[str] = (),
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name):  # type: ignore[redundant-expr]  # callers may pass anything at runtime
            raise PromptDefinitionError(
                f"prompt name {name!r} is invalid; use letters, digits, '_', '-' and '.' (at most 128)"
            )
        try:
            self._semver: Version = parse_version(version)
        except ToolDefinitionError:
            raise PromptDefinitionError(
                f"version {version!r} is not a semantic version; expected MAJOR.MINOR.PATCH such as '1.2.0'",
                prompt=name,
            ) from None
        if isinstance(tags, str):
            raise PromptDefinitionError(
                f"tags must be a collection of strings, got the string {tags!r}; write tags=[{tags!r}]",
                prompt=name,
            )
        vars_type: Any = NoVars if vars is None else vars
        declared, self._typeddict = _declared_variables(vars_type, name)
        try:
            self._adapter: TypeAdapter[Any] = TypeAdapter(vars_type)
        except PydanticUserError as exc:
            raise PromptDefinitionError(
                f"pydantic cannot validate {vars_type.__name__}: {exc.message}", prompt=name
            ) from exc

        templates: list[MessageTemplate] = []
        labels: list[str] = []
        if system is not None:
            templates.append(MessageTemplate("system", system))
            labels.append("system")
        for index, pair in enumerate(messages):
            if not (isinstance(pair, tuple) and len(pair) == 2 and pair[0] in _ROLES):  # type: ignore[redundant-expr]  # checked at runtime too
                raise PromptDefinitionError(
                    f"messages[{index}] must be a (role, template) pair with role 'system', 'user' or "
                    f"'assistant', got {pair!r}",
                    prompt=name,
                )
            templates.append(MessageTemplate(*pair))
            labels.append(f"messages[{index}]")
        if user is not None:
            templates.append(MessageTemplate("user", user))
            labels.append("user")
        if not templates:
            raise PromptDefinitionError(
                "a prompt needs at least one template: system=..., user=... or messages=[...]",
                prompt=name,
            )
        self._compiled: tuple[tuple[MessageRole, tuple[Op, ...]], ...] = tuple(
            (t.role, compile_template(t.template, declared, label=label, prompt=name))
            for t, label in zip(templates, labels, strict=True)
        )
        self._name = name
        self._version = str(self._semver)
        self._description = description
        self._tags = tuple(sorted(set(tags)))
        self._vars_type: type[VarsT] = vars_type
        self._variables = tuple(declared)
        self._sensitive = _sensitive_pointers(vars_type)
        self._templates = tuple(templates)
        self._content_hash = content_hash(name, self._version, templates)

    # ------------------------------------------------------------------------------------------ metadata

    @property
    def name(self) -> str:
        """The prompt's name."""
        return self._name

    @property
    def version(self) -> str:
        """The prompt's semantic version."""
        return self._version

    @property
    def semver(self) -> Version:
        """The version, parsed."""
        return self._semver

    @property
    def description(self) -> str:
        """What the prompt is for."""
        return self._description

    @property
    def tags(self) -> tuple[str, ...]:
        """Free-form labels, sorted and unique."""
        return self._tags

    @property
    def vars_type(self) -> type[VarsT]:
        """The variables type (a pydantic model or TypedDict class)."""
        return self._vars_type

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the declared variables, in declaration order (model) or sorted (TypedDict)."""
        return self._variables

    @property
    def templates(self) -> tuple[MessageTemplate, ...]:
        """The message templates, in rendering order."""
        return self._templates

    @property
    def content_hash(self) -> str:
        """``sha256:`` hash of the name, version and templates; see `agentkit.prompts.content_hash` for exactly what goes in.

        Examples:
            >>> from agentkit.prompts import Prompt
            >>> Prompt("plain", system="Be brief.").content_hash == Prompt("plain", system="Be brief.").content_hash
            True
        """
        return self._content_hash

    # ------------------------------------------------------------------------------------------ rendering

    @overload
    def render(
        self: Prompt[NoVars], vars: NoVars | None = None, *, emitter: EventEmitter | None = None
    ) -> RenderedPrompt: ...

    @overload
    def render(self, vars: VarsT, *, emitter: EventEmitter | None = None) -> RenderedPrompt: ...

    def render(self, vars: Any = None, *, emitter: EventEmitter | None = None) -> RenderedPrompt:
        """Validate ``vars`` and render the messages.

        Args:
            vars: The variables: an instance of the variables type (a dict validating against it works too).
            emitter: When given, a ``prompt.rendered`` event (names and values, sensitive ones masked) is emitted through it.

        Returns:
            The rendered messages with the prompt's name, version and content hash.

        Raises:
            PromptRenderError: A variable is missing, has the wrong type, is not declared (TypedDict variables),
                or does not fit the section using it. Nothing is rendered.

        Examples:
            >>> from typing_extensions import TypedDict
            >>> from agentkit.prompts import Prompt, PromptRenderError
            >>> class Vars(TypedDict):
            ...     count: int
            >>> prompt = Prompt("count", vars=Vars, user="{count} items")
            >>> prompt.render({"count": 3}).messages[0].text
            '3 items'
            >>> try:
            ...     prompt.render({"count": "many"})  # type: ignore[typeddict-item]
            ... except PromptRenderError as err:
            ...     print(err)
            cannot render prompt 'count' 1.0.0: variable 'count' is invalid: Input should be a valid integer, unable to parse string as an integer
        """
        data: Any = {} if vars is None else vars
        env = self._validate(data)
        try:
            messages = [
                Message(role=role, parts=(TextPart(text=render_ops(ops, env)),))
                for role, ops in self._compiled
            ]
        except RenderProblem as problem:
            raise PromptRenderError(
                prompt=self._name, version=self._version, issues=(problem.issue,)
            ) from None
        pointers = self._sensitive
        rendered = RenderedPrompt(
            name=self._name,
            version=self._version,
            content_hash=self._content_hash,
            messages=messages,
            variables=self._variables,
            values=mask_arguments(to_jsonable_python(env, fallback=repr), pointers),
        )
        if pointers:
            rendered._sensitive_values = tuple(_sensitive_values(env, pointers))
        if emitter is not None:
            from agentkit.prompts._events import emit_prompt_rendered

            emit_prompt_rendered(emitter, rendered)
        return rendered

    def _validate(self, data: Any) -> dict[str, Any]:
        issues: list[PromptVariableIssue] = []
        if self._typeddict and isinstance(data, Mapping):
            for key in data:
                if key not in self._variables:
                    close = difflib.get_close_matches(str(key), self._variables, n=1, cutoff=0.6)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    issues.append(
                        PromptVariableIssue(
                            str(key), f"is not declared by {self._vars_type.__name__}{hint}"
                        )
                    )
        try:
            validated = self._adapter.validate_python(data)
        except ValidationError as exc:
            issues.extend(self._issues(exc, data))
        if issues:
            raise PromptRenderError(prompt=self._name, version=self._version, issues=tuple(issues))
        if self._typeddict:
            return {name: validated.get(name) for name in self._variables}
        return {name: getattr(validated, name) for name in self._variables}

    def _issues(self, exc: ValidationError, data: Any) -> list[PromptVariableIssue]:
        out: list[PromptVariableIssue] = []
        for error in exc.errors(include_url=False, include_input=False, include_context=False):
            loc = error["loc"]
            path = "".join(
                f"[{part}]" if isinstance(part, int) else (f".{part}" if i else str(part))
                for i, part in enumerate(loc)
            )
            kind = error["type"]
            if not loc:
                # Only the input's type is reported: the value itself may be sensitive.
                problem = (
                    f"variables must be a {self._vars_type.__name__} or a dict, "
                    f"got {type(data).__name__}"
                )
            elif kind == "missing":
                problem = "is missing"
            elif kind == "extra_forbidden":
                close = difflib.get_close_matches(str(loc[0]), self._variables, n=1, cutoff=0.6)
                problem = f"is not declared by {self._vars_type.__name__}" + (
                    f"; did you mean {close[0]!r}?" if close and len(loc) == 1 else ""
                )
            else:
                problem = f"is invalid: {error['msg']}"
            out.append(PromptVariableIssue(path, problem))
        return out

    def __repr__(self) -> str:
        return (
            f"Prompt({self._name!r}, version={self._version!r}, "
            f"content_hash={self._content_hash[:19] + '…'!r})"
        )
