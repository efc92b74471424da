"""The template language: compiled once into a flat list of ops, rendered by a loop with no recursion.

Syntax (the whole of it):

- ``{name}``: a declared variable; ``{item}`` / ``{item.field}``: an ``{#each}`` loop variable, or one field of it;
- ``{#if name}`` / ``{#if not name}`` ... ``{#else}`` ... ``{/if}``: a conditional on a value's truthiness;
- ``{#each items as item}`` ... ``{/each}``: repeat for every element of a list;
- ``{{`` and ``}}``: literal braces.

Anything else between braces (attribute or index access, format specs, conversions, calls, expressions) is a
`PromptDefinitionError` when the prompt is defined. Values are looked up by name in a dict built from the validated
variables, and a field of a loop item is read only from a pydantic model's declared fields or a dict's keys: a
template can never reach an arbitrary attribute, call anything, or evaluate code. Rendered values are appended to
the output as text and never parsed again, so a value containing ``{other}`` comes out literally.
"""

from __future__ import annotations

import collections.abc
import difflib
import enum
import keyword
import re
import types
import typing
from datetime import date, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Union
from uuid import UUID

import typing_extensions
from pydantic import BaseModel
from pydantic_core import to_json

from agentkit.prompts._errors import PromptDefinitionError, PromptVariableIssue

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ("Op", "RenderProblem", "compile_template", "render_ops")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_SECTIONS_HELP = (
    "sections are {#if name}, {#if not name}, {#else}, {/if}, {#each items as item} and {/each}"
)
_ESCAPE_HELP = "write {{ and }} for literal braces"

# Opcodes. Each op is a tuple whose first element is the opcode.
TEXT = 0  # (TEXT, text)
OUT = 1  # (OUT, name, field | None, declared_field)
IF = 2  # (IF, name, field | None, declared_field, negate, jump_when_false)
JUMP = 3  # (JUMP, target)
EACH = 4  # (EACH, name, field | None, declared_field, loop_var, jump_when_empty)
NEXT = 5  # (NEXT, body_start, loop_var)

Op = tuple[Any, ...]
"""One compiled instruction."""


class RenderProblem(Exception):
    """Internal: a value does not fit the section that uses it; becomes a `PromptRenderError` issue."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(variable, problem)
        self.issue = PromptVariableIssue(variable, problem)


# ---------------------------------------------------------------------------------------- static types

_SCALARS = (str, bytes, int, float, bool, enum.Enum, date, time, timedelta, Decimal, UUID)
_LISTS = (
    list,
    tuple,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.MutableSet,
    collections.abc.Collection,
)
_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_WRAPPERS = (
    typing_extensions.Required,
    typing_extensions.NotRequired,
    typing_extensions.ReadOnly,
)


def _unwrap(ann: Any) -> Any:
    """Strip ``Annotated``, ``Required``/``NotRequired``/``ReadOnly`` and ``Optional`` from an annotation."""
    # Annotations nest shallowly; the bound only guards against pathological input.
    for _ in range(16):
        origin = typing.get_origin(ann)
        if origin is typing.Annotated or origin in _WRAPPERS:
            ann = typing.get_args(ann)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann
            ann = args[0]
        else:
            return ann
    return ann  # pragma: no cover - see the bound above


def _kind(ann: Any) -> str:
    """``"scalar"``, ``"list"``, ``"mapping"``, ``"record"`` (model / TypedDict) or ``"unknown"``."""
    ann = _unwrap(ann)
    if ann is None or ann is Any:
        return "unknown"
    origin = typing.get_origin(ann) or ann
    if isinstance(origin, type):
        if typing_extensions.is_typeddict(origin) or issubclass(origin, BaseModel):
            return "record"
        if issubclass(origin, _SCALARS):
            return "scalar"
        if origin in _LISTS:
            return "list"
        if origin in _MAPPINGS:
            return "mapping"
    return "unknown"


def _element(ann: Any) -> Any:
    """The element type of a list annotation, or ``None`` when unknown."""
    ann = _unwrap(ann)
    args = typing.get_args(ann)
    if not args:
        return None
    if typing.get_origin(ann) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[0] if all(a == args[0] for a in args) else None
    return args[0]


def record_fields(ann: Any) -> dict[str, Any]:
    """Field name → annotation of a pydantic model or TypedDict (public fields only)."""
    ann = _unwrap(ann)
    ann = typing.get_origin(ann) or ann
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return {name: info.annotation for name, info in ann.model_fields.items()}
    try:
        hints = typing_extensions.get_type_hints(ann)
    except Exception:  # unresolvable forward references: names still count, types become unknown
        hints = {}
    keys = [*getattr(ann, "__required_keys__", ()), *getattr(ann, "__optional_keys__", ())]
    return {name: hints.get(name) for name in sorted(keys)}


def _type_name(ann: Any) -> str:
    ann = _unwrap(ann)
    return getattr(ann, "__name__", None) or repr(ann)


# ---------------------------------------------------------------------------------------- compiler


class _Frame:
    __slots__ = ("column", "else_seen", "kind", "line", "loop_var", "op_index", "tag")

    def __init__(
        self, kind: str, op_index: int, tag: str, line: int, column: int, loop_var: str | None
    ) -> None:
        self.kind = kind
        self.op_index = op_index
        self.tag = tag
        self.line = line
        self.column = column
        self.loop_var = loop_var
        self.else_seen = False


class _Compiler:
    def __init__(self, text: str, variables: Mapping[str, Any], label: str, prompt: str) -> None:
        self.text = text
        self.variables = variables
        self.label = label
        self.prompt = prompt
        self.ops: list[Op] = []
        self.buffer: list[str] = []
        self.stack: list[_Frame] = []
        self.loop_types: dict[str, Any] = {}  # loop variable -> element annotation (None = unknown)
        self.pos = 0

    # -------------------------------------------------------------------------------- errors

    def _where(self, index: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return line, column

    def fail(
        self, message: str, index: int, suggestions: tuple[str, ...] = ()
    ) -> PromptDefinitionError:
        line, column = self._where(index)
        return PromptDefinitionError(
            message,
            prompt=self.prompt,
            template=self.label,
            line=line,
            column=column,
            suggestions=suggestions,
        )

    # -------------------------------------------------------------------------------- driver

    def compile(self) -> tuple[Op, ...]:
        text = self.text
        n = len(text)
        i = 0
        while i < n:
            brace = _next_brace(text, i)
            if brace < 0:
                self.buffer.append(text[i:])
                break
            if brace > i:
                self.buffer.append(text[i:brace])
            char = text[brace]
            nxt = text[brace + 1] if brace + 1 < n else ""
            if char == "}":
                if nxt != "}":
                    raise self.fail(f"single '}}' outside a placeholder; {_ESCAPE_HELP}", brace)
                self.buffer.append("}")
                i = brace + 2
                continue
            if nxt == "{":
                self.buffer.append("{")
                i = brace + 2
                continue
            end = text.find("}", brace + 1)
            inner_open = text.find("{", brace + 1)
            if end < 0 or (0 <= inner_open < end):
                raise self.fail(f"'{{' is never closed by '}}'; {_ESCAPE_HELP}", brace)
            self._tag(text[brace + 1 : end], brace)
            i = end + 1
        if self.stack:
            frame = self.stack[-1]
            closer = "{/if}" if frame.kind == "if" else "{/each}"
            raise PromptDefinitionError(
                f"section {frame.tag} is never closed; add {closer}",
                prompt=self.prompt,
                template=self.label,
                line=frame.line,
                column=frame.column,
            )
        self._flush()
        return tuple(self.ops)

    def _flush(self) -> None:
        if self.buffer:
            self.ops.append((TEXT, "".join(self.buffer)))
            self.buffer.clear()

    def _emit(self, op: Op) -> int:
        self._flush()
        self.ops.append(op)
        return len(self.ops) - 1

    # -------------------------------------------------------------------------------- tags

    def _tag(self, content: str, index: int) -> None:
        shown = "{" + content + "}"
        if content.startswith("#"):
            self._open(content[1:], shown, index)
        elif content.startswith("/"):
            self._close(content[1:], shown, index)
        else:
            name, field, declared = self._reference(content, shown, index)
            self._emit((OUT, name, field, declared))

    def _open(self, body: str, shown: str, index: int) -> None:
        words = body.split()
        head = words[0] if words else ""
        if head == "if":
            negate = len(words) >= 2 and words[1] == "not"
            rest = words[2:] if negate else words[1:]
            if len(rest) != 1:
                raise self.fail(
                    f"{shown}: a condition is one name, optionally after 'not': {{#if vip}} or "
                    "{#if not vip}; no expressions",
                    index,
                )
            name, field, declared = self._reference(rest[0], shown, index)
            at = self._emit((IF, name, field, declared, negate, -1))
            self.stack.append(_Frame("if", at, shown, *self._where(index), None))
        elif head == "else":
            if body.strip() != "else":
                raise self.fail(f"{shown}: write {{#else}} on its own", index)
            frame = self.stack[-1] if self.stack else None
            if frame is None or frame.kind != "if":
                raise self.fail("{#else} outside an {#if} section", index)
            if frame.else_seen:
                raise self.fail(f"second {{#else}} in {frame.tag}", index)
            frame.else_seen = True
            jump = self._emit((JUMP, -1))
            self._patch(frame.op_index, len(self.ops))
            frame.op_index = jump
        elif head == "each":
            if len(words) != 4 or words[2] != "as":
                raise self.fail(f"{shown}: write {{#each items as item}}", index)
            name, field, declared = self._reference(words[1], shown, index)
            loop_var = words[3]
            self._check_loop_var(loop_var, index)
            source = self._static_type(name, field)
            kind = _kind(source)
            if kind in ("scalar", "mapping", "record"):
                what = words[1]
                raise self.fail(
                    f"{{#each {what} ...}} needs a list, but {what!r} is declared as {_type_name(source)}",
                    index,
                )
            at = self._emit((EACH, name, field, declared, loop_var, -1))
            self.stack.append(_Frame("each", at, shown, *self._where(index), loop_var))
            self.loop_types[loop_var] = _element(source) if kind == "list" else None
        else:
            raise self.fail(f"unknown section {shown}; {_SECTIONS_HELP}", index)

    def _close(self, body: str, shown: str, index: int) -> None:
        if body not in ("if", "each"):
            raise self.fail(f"unknown closing tag {shown}; {_SECTIONS_HELP}", index)
        if not self.stack:
            raise self.fail(f"{shown} closes a section that was never opened", index)
        frame = self.stack[-1]
        if frame.kind != body:
            raise self.fail(
                f"{shown} cannot close {frame.tag} (opened at line {frame.line}, column {frame.column}); "
                f"close it with {{/{frame.kind}}} first",
                index,
            )
        self.stack.pop()
        if body == "if":
            self._flush()
            self._patch(frame.op_index, len(self.ops))
            return
        loop_var = frame.loop_var
        assert loop_var is not None
        self._emit((NEXT, frame.op_index + 1, loop_var))
        self._patch(frame.op_index, len(self.ops))
        del self.loop_types[loop_var]

    def _patch(self, at: int, target: int) -> None:
        op = self.ops[at]
        self.ops[at] = (*op[:-1], target)

    def _check_loop_var(self, loop_var: str, index: int) -> None:
        self._check_name(loop_var, "{#each ... as " + loop_var + "}", index)
        if loop_var in self.variables:
            raise self.fail(
                f"loop variable {loop_var!r} hides the declared variable of the same name; pick another name",
                index,
            )
        if loop_var in self.loop_types:
            raise self.fail(
                f"loop variable {loop_var!r} is already used by an enclosing {{#each}}; pick another name",
                index,
            )

    def _check_name(self, name: str, shown: str, index: int) -> None:
        if name.startswith("_"):
            raise self.fail(f"{shown}: names starting with '_' are not allowed", index)
        if not _NAME.match(name) or keyword.iskeyword(name):
            raise self.fail(f"{shown}: {name!r} is not a plain name; {_ESCAPE_HELP}", index)

    def _reference(self, content: str, shown: str, index: int) -> tuple[str, str | None, bool]:
        """Resolve ``name`` or ``loop_var.field``; diagnose everything else."""
        if not content:
            raise self.fail(f"empty placeholder {{}}; name a variable, or {_ESCAPE_HELP}", index)
        if not (content[0].isalpha() or content[0] in "_ "):
            raise self.fail(
                f"{shown} is not a placeholder (placeholders are plain names such as {{name}}); {_ESCAPE_HELP}",
                index,
            )
        if content != content.strip():
            raise self.fail(
                f"{shown}: no spaces inside a placeholder; write {{{content.strip()}}}", index
            )
        if "!" in content:
            raise self.fail(
                f"{shown}: conversions such as '!r' are not allowed; placeholders are plain names",
                index,
            )
        if ":" in content:
            raise self.fail(
                f"{shown}: format specs are not allowed; format the value before rendering", index
            )
        if "[" in content or "]" in content:
            raise self.fail(
                f"{shown}: index access is not allowed; placeholders are plain names", index
            )
        if "(" in content or ")" in content:
            raise self.fail(f"{shown}: calls are not allowed; placeholders are plain names", index)
        parts = content.split(".")
        if len(parts) > 2:
            raise self.fail(
                f"{shown}: only one level of field access is allowed, on an {{#each}} loop variable",
                index,
            )
        for part in parts:
            if not part:
                raise self.fail(f"{shown}: not a plain name; {_ESCAPE_HELP}", index)
            if part.startswith("_"):
                raise self.fail(f"{shown}: names starting with '_' are not allowed", index)
            if not _NAME.match(part) or keyword.iskeyword(part):
                raise self.fail(
                    f"{shown}: expressions are not allowed; placeholders are plain names", index
                )
        name = parts[0]
        field = parts[1] if len(parts) == 2 else None
        if name not in self.variables and name not in self.loop_types:
            candidates = [*self.variables, *self.loop_types]
            raise self.fail(
                f"unknown variable {name!r} in {shown}",
                index,
                tuple(difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)),
            )
        if field is None:
            return name, None, False
        if name not in self.loop_types:
            raise self.fail(
                f"{shown}: attribute access is not allowed; only an {{#each}} loop variable allows one level "
                f"of field access (declare {field!r} as its own variable)",
                index,
            )
        item = self.loop_types[name]
        kind = _kind(item)
        if kind == "scalar":
            raise self.fail(
                f"{shown}: items of the loop are {_type_name(item)}; field access needs a pydantic model, "
                "TypedDict or dict",
                index,
            )
        if kind == "record":
            fields = record_fields(item)
            if field not in fields:
                raise self.fail(
                    f"{_type_name(item)} has no field {field!r} (in {shown})",
                    index,
                    tuple(difflib.get_close_matches(field, list(fields), n=3, cutoff=0.6)),
                )
            return name, field, True
        return name, field, False

    def _static_type(self, name: str, field: str | None) -> Any:
        ann = self.loop_types[name] if name in self.loop_types else self.variables[name]
        if field is None:
            return ann
        if _kind(ann) == "record":
            return record_fields(ann).get(field)
        return None


def _next_brace(text: str, start: int) -> int:
    a = text.find("{", start)
    b = text.find("}", start)
    if a < 0:
        return b
    if b < 0:
        return a
    return min(a, b)


def compile_template(
    text: str, variables: Mapping[str, Any], *, label: str, prompt: str
) -> tuple[Op, ...]:
    """Compile one template to ops, checking every name against ``variables`` (name → annotation)."""
    if not isinstance(text, str):
        raise PromptDefinitionError(
            f"the {label} template must be a str, got {type(text).__name__}", prompt=prompt
        )
    return _Compiler(text, variables, label, prompt).compile()


# ---------------------------------------------------------------------------------------- rendering


def to_text(value: Any) -> str:
    """How a value appears in a rendered prompt (see the module docs of `agentkit.prompts`)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return to_text(value.value)
    if isinstance(value, set | frozenset):
        value = _sorted(value)
    if isinstance(value, dict | list | tuple | BaseModel):
        return to_json(value).decode()
    return str(value)


def _sorted(values: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed types: fall back to a stable order by their text
        return sorted(values, key=repr)


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool | int | float | str | bytes | Decimal):
        return bool(value)
    if isinstance(value, list | tuple | dict | set | frozenset):
        return len(value) > 0
    return True  # models, dates and other objects: present means true


def _items(value: Any, shown: str) -> list[Any] | tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return value
    if isinstance(value, set | frozenset):
        return _sorted(value)
    raise RenderProblem(shown, f"must be a list for {{#each}}, got {type(value).__name__}")


def _resolve(env: dict[str, Any], name: str, field: str | None, declared: bool) -> Any:
    value = env[name]
    if field is None or value is None:
        return value
    if isinstance(value, BaseModel):
        # A model's __dict__ holds exactly its declared fields (extras and private attributes live elsewhere),
        # so this reads data only: never a property, method or class attribute.
        fields = value.__dict__
        if field in fields:
            return fields[field]
        raise RenderProblem(f"{name}.{field}", f"is not a field of {type(value).__name__}")
    if isinstance(value, dict):
        if field in value:
            return value[field]
        if declared:  # a TypedDict's NotRequired key that was left out
            return None
        raise RenderProblem(f"{name}.{field}", "is not a key of the item")
    raise RenderProblem(
        f"{name}.{field}",
        f"cannot be read: the item is {type(value).__name__}, not a pydantic model, TypedDict or dict",
    )


def render_ops(ops: tuple[Op, ...], env: dict[str, Any]) -> str:
    """Run compiled ops against the variables in ``env``; loop variables are bound in ``env`` while they run."""
    out: list[str] = []
    loops: list[list[Any]] = []  # [items, index]
    pc = 0
    n = len(ops)
    while pc < n:
        op = ops[pc]
        code = op[0]
        if code == TEXT:
            out.append(op[1])
        elif code == OUT:
            value = env[op[1]] if op[2] is None else _resolve(env, op[1], op[2], op[3])
            out.append(value if type(value) is str else to_text(value))
        elif code == IF:
            if _truthy(_resolve(env, op[1], op[2], op[3])) == op[4]:
                pc = op[5]
                continue
        elif code == JUMP:
            pc = op[1]
            continue
        elif code == EACH:
            shown = op[1] if op[2] is None else f"{op[1]}.{op[2]}"
            items = _items(_resolve(env, op[1], op[2], op[3]), shown)
            if not items:
                pc = op[5]
                continue
            loops.append([items, 0])
            env[op[4]] = items[0]
        else:  # NEXT
            frame = loops[-1]
            frame[1] += 1
            if frame[1] < len(frame[0]):
                env[op[2]] = frame[0][frame[1]]
                pc = op[1]
                continue
            loops.pop()
            del env[op[2]]
        pc += 1
    return "".join(out)
