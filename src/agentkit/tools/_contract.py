"""``ToolContract``: the frozen, serializable description of a tool that everything else speaks."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from agentkit.exceptions import ToolDefinitionError
from agentkit.tools._semver import Version, parse_version

__all__ = ("JSONSchema", "ToolAnnotations", "ToolContract")

JSONSchema = dict[str, Any]
"""A JSON Schema document (draft 2020-12), as a plain dict."""

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
_NAMESPACE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class ToolAnnotations(BaseModel):
    """Behaviour hints about a tool, as defined by MCP. ``None`` means "not stated".

    Attributes:
        read_only: The tool does not modify its environment.
        destructive: The tool may perform destructive updates (meaningful when not read-only).
        idempotent: Calling it again with the same arguments has no additional effect.
        open_world: The tool interacts with an open world of external entities (the web, other people).

    Examples:
        >>> from agentkit import ToolAnnotations
        >>> ToolAnnotations(read_only=True).model_dump(exclude_none=True)
        {'read_only': True}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = None


class ToolContract(BaseModel):
    """Everything a model, a registry or a remote peer needs to know about a tool, and nothing it must not.

    A contract is frozen and JSON-serializable. ``fingerprint`` is a stable hash of its canonical JSON (sorted keys,
    compact separators), so two processes that define the same tool agree on it, and any change to the schema,
    description or hints changes it.

    Attributes:
        name: The tool's name (letters, digits, ``_``, ``-`` and ``.``; at most 128 characters).
        namespace: Optional dotted namespace; the registry key is ``namespace.name``.
        version: Semantic version of the contract.
        description: What the tool does, for the model.
        input_schema: Canonical JSON Schema (2020-12) of the arguments; always an object schema.
        output_schema: JSON Schema of the result, when the tool declares a return type.
        annotations: Behaviour hints (read-only, destructive, idempotent, open-world).
        tags: Free-form labels for filtering, sorted and unique.
        timeout: Seconds the tool may run, or ``None`` for no limit of its own.
        requires_approval: Whether a human must approve each call.
        sensitive: JSON pointers into the arguments whose values are never logged or echoed; ``*`` matches any
            array index or map key (``/cards/*/number``).

    Examples:
        >>> from agentkit import tool
        >>> @tool(version="1.2.0", tags=["travel"])
        ... def search(origin: str, limit: int = 10) -> list[str]:
        ...     '''Search flights.'''
        ...     return []
        >>> contract = search.contract
        >>> contract.name, contract.version, contract.input_schema["required"]
        ('search', '1.2.0', ['origin'])
        >>> contract.fingerprint.startswith("sha256:")
        True
        >>> ToolContract.model_validate_json(contract.to_json()) == contract
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    namespace: str | None = None
    version: str = "1.0.0"
    description: str = ""
    input_schema: JSONSchema
    output_schema: JSONSchema | None = None
    annotations: ToolAnnotations = Field(default_factory=ToolAnnotations)
    tags: tuple[str, ...] = ()
    timeout: float | None = Field(default=None, gt=0)
    requires_approval: bool = False
    sensitive: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"tool name {value!r} is not valid: use 1-128 letters, digits, '_', '-' or '.', "
                "starting with a letter, digit or '_'"
            )
        return value

    @field_validator("namespace")
    @classmethod
    def _check_namespace(cls, value: str | None) -> str | None:
        if value is not None and not _NAMESPACE.match(value):
            raise ValueError(
                f"namespace {value!r} is not valid: use dotted identifiers such as 'travel' or 'acme.billing'"
            )
        return value

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        try:
            parse_version(value)
        except ToolDefinitionError as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("input_schema")
    @classmethod
    def _check_input_schema(cls, value: JSONSchema) -> JSONSchema:
        kind = value.get("type")
        if kind != "object" and not (kind is None and "properties" in value):
            raise ValueError(
                f"input_schema must describe a JSON object (type 'object'), got type {kind!r}; "
                "wrap scalar arguments in an object with named properties"
            )
        return value

    @field_validator("tags", "sensitive", mode="before")
    @classmethod
    def _refuse_bare_strings(cls, value: Any, info: ValidationInfo) -> Any:
        # A str is a sequence of strings: refuse it rather than let it read as one entry per character.
        if isinstance(value, str | bytes):
            raise ValueError(
                f"{info.field_name} must be a collection of strings, got the string {value!r}; "
                f"write {info.field_name}=[{value!r}]"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _sort_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @field_validator("sensitive")
    @classmethod
    def _check_pointers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pointer in value:
            if not pointer.startswith("/"):
                fixed = "/" + pointer.replace(".", "/")
                raise ValueError(
                    f"sensitive entry {pointer!r} is not a JSON pointer; write it like {fixed!r}"
                )
        return tuple(sorted(set(value)))

    @property
    def qualified_name(self) -> str:
        """``namespace.name``, or just ``name`` without a namespace."""
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    @cached_property
    def semver(self) -> Version:
        """The version, parsed (once: the contract is frozen)."""
        return parse_version(self.version)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, compact separators, UTF-8 text. Stable across processes and runs."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    @cached_property
    def fingerprint(self) -> str:
        """``sha256:`` plus the hex digest of `to_json`."""
        return "sha256:" + hashlib.sha256(self.to_json().encode()).hexdigest()
