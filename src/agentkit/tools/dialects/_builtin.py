"""The built-in dialects: canonical, OpenAI (strict, non-strict, auto), Anthropic (plain, strict), Gemini, MCP."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Literal

from agentkit.exceptions import SchemaCompileError
from agentkit.tools.dialects._base import (
    _ATOMS,
    CompiledTool,
    DialectWarning,
    FrozenDict,
    FrozenList,
    SchemaDialect,
    freeze,
    register_dialect,
    wire_name,
)
from agentkit.tools.dialects._codec import IDENTITY
from agentkit.tools.dialects._engine import (
    _NAMED_SCHEMAS,
    _SCHEMA_LISTS,
    _SCHEMA_VALUES,
    NOISE,
    Profile,
    compile_schema,
)
from agentkit.tools.dialects._subset import (
    _STRUCTURAL,
    ANTHROPIC_STRICT_FORMATS,
    GEMINI_FIELDS,
    GEMINI_FORMATS,
    NAME_PATTERNS,
    OPENAI_STRICT_FORMATS,
    SubsetRules,
    check_schema,
    freeze_checked,
)

if TYPE_CHECKING:
    from agentkit.tools._contract import ToolContract

__all__ = (
    "AnthropicDialect",
    "CanonicalDialect",
    "GeminiDialect",
    "MCPDialect",
    "OpenAIDialect",
)

_OPENAI_STRICT_KEYWORDS = frozenset(
    {
        "enum",
        "const",
        "pattern",
        "format",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "minItems",
        "maxItems",
    }
)
OPENAI_STRICT = Profile(
    name="openai-strict",
    allowed=_OPENAI_STRICT_KEYWORDS,
    formats=OPENAI_STRICT_FORMATS,
    all_required=True,
    closed_objects=True,
    maps_as_pairs=True,
    default_to_description=True,
    reason="OpenAI Structured Outputs",
)
OPENAI_STRICT_RULES = SubsetRules(
    name="openai-strict",
    keywords=_STRUCTURAL | _OPENAI_STRICT_KEYWORDS,
    formats=OPENAI_STRICT_FORMATS,
    all_required=True,
    closed_objects=True,
    max_depth=10,
    max_properties=5000,
    max_enum_values=1000,
)
_ANTHROPIC_STRICT_KEYWORDS = frozenset(
    {"enum", "const", "pattern", "format", "default", "minItems"}
)
ANTHROPIC_STRICT = Profile(
    name="anthropic-strict",
    allowed=_ANTHROPIC_STRICT_KEYWORDS,
    formats=ANTHROPIC_STRICT_FORMATS,
    closed_objects=True,
    maps_as_pairs=True,
    allow_recursion=False,
    max_min_items=1,
    simple_patterns=True,
    reason="Anthropic strict tool use",
)
ANTHROPIC_STRICT_RULES = SubsetRules(
    name="anthropic-strict",
    keywords=_STRUCTURAL | _ANTHROPIC_STRICT_KEYWORDS,
    formats=ANTHROPIC_STRICT_FORMATS,
    closed_objects=True,
    recursion=False,
    max_min_items=1,
)
_GEMINI_KEYWORDS = GEMINI_FIELDS - {
    "type",
    "description",
    "properties",
    "required",
    "items",
    "anyOf",
    "nullable",
    "title",
    "propertyOrdering",
    "example",
}
GEMINI = Profile(
    name="gemini",
    allowed=_GEMINI_KEYWORDS,
    formats=GEMINI_FORMATS,
    maps_as_pairs=True,
    keep_refs=False,
    openapi=True,
    reason="Gemini function declarations",
)
GEMINI_RULES = SubsetRules(
    name="gemini", keywords=GEMINI_FIELDS, formats=GEMINI_FORMATS, openapi=True, refs=False
)


def _name_problems(compiled: CompiledTool, family: str) -> tuple[str, ...]:
    if NAME_PATTERNS[family].match(compiled.wire_name):
        return ()
    return (f"tool name {compiled.wire_name!r} does not match {NAME_PATTERNS[family].pattern}",)


_DICTS: frozenset[type[Any]] = frozenset((dict, FrozenDict))
_NAMED = frozenset(_NAMED_SCHEMAS)
_LISTS = frozenset(_SCHEMA_LISTS)
_VALUES = frozenset(_SCHEMA_VALUES)
_PERMISSIVE_NOISE = NOISE - {"discriminator"}


def _clean(schema: Any, shapes: bool) -> Any:
    """A read-only copy of ``schema`` without noise keywords, in one walk (`strip_noise` + `freeze`).

    With ``shapes``, also the shapes OpenAI insists on even without strict mode: it rejects the whole request
    (``invalid_function_parameters``: "object schema missing properties", "array schema missing items") for an
    object schema without ``properties`` (how many MCP servers declare a tool without arguments) or an array
    schema without ``items``; ``properties: {}`` and ``items: {}`` say the same thing in the form it accepts.
    """
    if type(schema) not in _DICTS:
        return freeze(schema)
    out: dict[str, Any] = {}
    noise = _PERMISSIVE_NOISE
    for key, value in schema.items():
        if key in noise:
            continue
        kind = type(value)
        if kind in _ATOMS and kind not in _DICTS:
            out[key] = value
        elif key in _NAMED and kind in _DICTS:
            out[key] = FrozenDict({name: _clean(sub, shapes) for name, sub in value.items()})
        elif key in _LISTS and (kind is list or kind is FrozenList):
            out[key] = FrozenList([_clean(sub, shapes) for sub in value])
        elif key in _VALUES:
            out[key] = _clean(value, shapes)
        else:
            out[key] = freeze(value)
    if shapes:
        kinds = out.get("type")
        if type(kinds) is not FrozenList:
            kinds = (kinds,)
        if "object" in kinds and "properties" not in out:
            out["properties"] = FrozenDict()
        if "array" in kinds and "items" not in out and "prefixItems" not in out:
            out["items"] = FrozenDict()
    return FrozenDict(out)


class CanonicalDialect(SchemaDialect):
    """The contract's own JSON Schema 2020-12, unchanged: for storage, diffs and JSON-Schema-native peers.

    Examples:
        >>> from agentkit import ToolContract
        >>> c = ToolContract(name="math.add", input_schema={"type": "object", "properties": {"a": {"type": "number"}}})
        >>> CanonicalDialect().compile(c).definition["name"]
        'math.add'
    """

    name = "canonical"

    def build(self, contract: ToolContract) -> CompiledTool:
        """Copy the contract's schemas into a definition."""
        schema = freeze(contract.input_schema)
        definition: dict[str, Any] = {
            "name": contract.name,
            "description": contract.description,
            "input_schema": schema,
        }
        if contract.output_schema is not None:
            definition["output_schema"] = freeze(contract.output_schema)
        return CompiledTool(self.name, contract.name, contract.name, FrozenDict(definition), schema)


class OpenAIDialect(SchemaDialect):
    """OpenAI Chat Completions function tools, strict (Structured Outputs), non-strict or ``"auto"``.

    Strict follows OpenAI's documented subset: every property required (optional ones become ``T | null`` and
    ``null`` decodes to the default), ``additionalProperties: false`` everywhere, maps as key/value lists,
    unsupported keywords moved into descriptions. ``"auto"`` compiles strict when the schema allows it and
    falls back to non-strict for that one tool, with a ``strict-disabled`` warning giving the reason.

    Args:
        strict: ``True``, ``False`` or ``"auto"``.

    Examples:
        >>> from agentkit import tool
        >>> @tool
        ... def tag(labels: dict[str, int]) -> None:
        ...     '''Tag things.'''
        >>> compiled = OpenAIDialect(strict=True).compile(tag.contract)
        >>> compiled.definition["function"]["parameters"]["properties"]["labels"]["type"]
        'array'
        >>> compiled.decode({"labels": [{"key": "a", "value": 1}]})
        {'labels': {'a': 1}}
    """

    def __init__(self, *, strict: bool | Literal["auto"] = True) -> None:
        if strict not in (True, False, "auto"):
            raise ValueError(f"strict must be True, False or 'auto', got {strict!r}")
        self.mode = strict
        self.name = {True: "openai-strict", False: "openai", "auto": "openai-auto"}[strict]
        self._checked: weakref.WeakSet[CompiledTool] = weakref.WeakSet()

    @property
    def cache_key(self) -> str:
        """The dialect name (it encodes the strict mode)."""
        return self.name

    def wire_name(self, name: str) -> str:
        """Letters, digits, ``_`` and ``-``, at most 64 characters."""
        return wire_name(name)

    def _definition(
        self, contract: ToolContract, schema: dict[str, Any], strict: bool
    ) -> dict[str, Any]:
        return FrozenDict(
            type="function",
            function=FrozenDict(
                name=self.wire_name(contract.name),
                description=contract.description,
                parameters=schema,
                strict=strict,
            ),
        )

    def _strict(self, contract: ToolContract) -> CompiledTool:
        schema, codec, warnings = compile_schema(
            OPENAI_STRICT, contract.input_schema, contract.name
        )
        frozen, checked = freeze_checked(schema, OPENAI_STRICT_RULES)
        if not checked:
            problems = check_schema(schema, OPENAI_STRICT_RULES)
            if problems:
                raise SchemaCompileError(
                    tool_name=contract.name, dialect="openai-strict", reason="; ".join(problems)
                )
        compiled = CompiledTool(
            self.name,
            contract.name,
            self.wire_name(contract.name),
            self._definition(contract, frozen, True),
            frozen,
            warnings,
            True,
            codec.decode,
            codec.encode,
        )
        self._checked.add(compiled)  # check_subset need not walk the schema a second time
        return compiled

    def _loose(
        self, contract: ToolContract, warnings: tuple[DialectWarning, ...] = ()
    ) -> CompiledTool:
        schema = _clean(contract.input_schema, True)
        return CompiledTool(
            self.name,
            contract.name,
            self.wire_name(contract.name),
            self._definition(contract, schema, False),
            schema,
            warnings,
            False,
        )

    def build(self, contract: ToolContract) -> CompiledTool:
        """Compile for OpenAI in the configured strict mode."""
        if self.mode is True:
            return self._strict(contract)
        if self.mode is False:
            return self._loose(contract)
        try:
            return self._strict(contract)
        except SchemaCompileError as exc:
            warning = DialectWarning(
                "strict-disabled",
                "",
                f"strict mode is off for this tool because {exc.reason}",
            )
            return self._loose(contract, (warning,))

    def check_subset(self, compiled: CompiledTool) -> tuple[str, ...]:
        """Name rules always; OpenAI's strict subset when the tool is strict."""
        problems = _name_problems(compiled, "openai")
        if compiled.strict:
            if compiled not in self._checked:
                problems += check_schema(compiled.schema, OPENAI_STRICT_RULES)
        elif compiled.schema.get("type") != "object":
            problems += ("(root): parameters must be of type 'object'",)
        return problems


class AnthropicDialect(SchemaDialect):
    """Anthropic Messages ``tools`` entries: ``{"name", "description", "input_schema"}``.

    Non-strict by default: the input schema is the canonical one without titles and other noise. With
    ``strict=True`` the definition carries ``"strict": true`` (Anthropic's documented strict tool use) and the
    schema follows that subset: ``additionalProperties: false`` on every object, no recursion, no numeric or
    length constraints, ``minItems`` only 0 or 1 (the rest moved into descriptions).

    Examples:
        >>> from agentkit import tool
        >>> @tool
        ... def ping(host: str) -> str:
        ...     '''Ping a host.'''
        ...     return "ok"
        >>> sorted(AnthropicDialect().compile(ping.contract).definition)
        ['description', 'input_schema', 'name']
    """

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self.name = "anthropic-strict" if strict else "anthropic"
        self._checked: weakref.WeakSet[CompiledTool] = weakref.WeakSet()

    @property
    def cache_key(self) -> str:
        """The dialect name (it encodes the strict mode)."""
        return self.name

    def wire_name(self, name: str) -> str:
        """Letters, digits, ``_`` and ``-``, at most 64 characters."""
        return wire_name(name)

    def build(self, contract: ToolContract) -> CompiledTool:
        """Compile for Anthropic."""
        if self.strict:
            schema, codec, warnings = compile_schema(
                ANTHROPIC_STRICT, contract.input_schema, contract.name
            )
        else:
            schema, codec, warnings = _clean(contract.input_schema, False), IDENTITY, ()
        definition: dict[str, Any] = {
            "name": self.wire_name(contract.name),
            "description": contract.description,
            "input_schema": schema,
        }
        checked = False
        if self.strict:
            definition["strict"] = True
            schema, checked = freeze_checked(schema, ANTHROPIC_STRICT_RULES)
            definition["input_schema"] = schema
        compiled = CompiledTool(
            self.name,
            contract.name,
            definition["name"],
            FrozenDict(definition),
            schema,
            warnings,
            self.strict,
            codec.decode,
            codec.encode,
        )
        if checked:
            self._checked.add(compiled)  # check_subset need not walk the schema a second time
        return compiled

    def check_subset(self, compiled: CompiledTool) -> tuple[str, ...]:
        """Name rules; a root object schema; the strict subset when strict."""
        problems = _name_problems(compiled, "anthropic")
        if self.strict:
            if compiled not in self._checked:
                problems += check_schema(compiled.schema, ANTHROPIC_STRICT_RULES)
        elif compiled.schema.get("type") != "object":
            problems += ("(root): input_schema must be of type 'object'",)
        return problems


class GeminiDialect(SchemaDialect):
    """Gemini ``functionDeclarations`` entries using the OpenAPI-subset ``parameters`` field.

    ``$ref`` is inlined (a cycle is refused with the reason), ``const`` becomes a one-value ``enum``, non-string
    enum values are sent as strings and decoded back, type lists become ``nullable``, maps become key/value
    lists, and every keyword outside Gemini's ``Schema`` object is moved into the description.

    Examples:
        >>> from typing import Literal
        >>> from agentkit import tool
        >>> @tool
        ... def roll(sides: Literal[6, 20], note: str | None = None) -> int:
        ...     '''Roll a die.'''
        ...     return 1
        >>> compiled = GeminiDialect().compile(roll.contract)
        >>> compiled.schema["properties"]["sides"]
        {'type': 'STRING', 'enum': ['6', '20']}
        >>> compiled.decode({"sides": "20"})
        {'sides': 20}
    """

    name = "gemini"

    def __init__(self) -> None:
        self._checked: weakref.WeakSet[CompiledTool] = weakref.WeakSet()

    def wire_name(self, name: str) -> str:
        """Letters, digits, ``_``, ``.``, ``:`` and ``-``, starting with a letter or ``_``, at most 64."""
        mapped = wire_name(name, allowed="A-Za-z0-9_.:-")
        if not (mapped[0].isalpha() or mapped[0] == "_"):
            mapped = wire_name("_" + name, allowed="A-Za-z0-9_.:-")
        return mapped

    def build(self, contract: ToolContract) -> CompiledTool:
        """Compile for Gemini."""
        schema, codec, warnings = compile_schema(
            GEMINI, contract.input_schema, contract.name, GEMINI_RULES
        )
        name = self.wire_name(contract.name)
        schema, checked = freeze_checked(schema, GEMINI_RULES)
        definition = {"name": name, "description": contract.description, "parameters": schema}
        compiled = CompiledTool(
            self.name,
            contract.name,
            name,
            FrozenDict(definition) if checked else definition,
            schema,
            warnings,
            False,
            codec.decode,
            codec.encode,
        )
        if checked:
            self._checked.add(compiled)  # check_subset need not walk the schema a second time
        return compiled

    def check_subset(self, compiled: CompiledTool) -> tuple[str, ...]:
        """Name rules and Gemini's ``Schema`` object."""
        problems = _name_problems(compiled, "gemini")
        if compiled not in self._checked:
            problems += check_schema(compiled.schema, GEMINI_RULES)
        return problems


_HINTS = {
    "read_only": "readOnlyHint",
    "destructive": "destructiveHint",
    "idempotent": "idempotentHint",
    "open_world": "openWorldHint",
}


class MCPDialect(SchemaDialect):
    """MCP ``Tool`` objects for ``tools/list``: name, description, inputSchema, outputSchema, annotations.

    Schemas stay canonical JSON Schema 2020-12 (MCP's default dialect). ``outputSchema`` is included only when
    the output is an object schema, as MCP requires (otherwise a warning says why it was left out).

    Examples:
        >>> from agentkit import tool, ToolAnnotations
        >>> @tool(annotations=ToolAnnotations(read_only=True))
        ... def now() -> dict[str, str]:
        ...     '''The time.'''
        ...     return {}
        >>> MCPDialect().compile(now.contract).definition["annotations"]
        {'readOnlyHint': True}
    """

    name = "mcp"

    def build(self, contract: ToolContract) -> CompiledTool:
        """Compile an MCP ``Tool``."""
        schema = freeze(contract.input_schema)
        definition: dict[str, Any] = {
            "name": contract.name,
            "description": contract.description,
            "inputSchema": schema,
        }
        warnings: list[DialectWarning] = []
        output = contract.output_schema
        if output is not None:
            if output.get("type") == "object":
                definition["outputSchema"] = freeze(output)
            else:
                warnings.append(
                    DialectWarning(
                        "output-schema-omitted",
                        "",
                        "MCP requires outputSchema to be an object schema; this tool returns "
                        f"{output.get('type', 'a non-object value')!r}, so its results go out as text content",
                    )
                )
        hints = contract.annotations.model_dump(exclude_none=True)
        definition["annotations"] = FrozenDict({_HINTS[k]: v for k, v in hints.items()})
        return CompiledTool(
            self.name, contract.name, contract.name, FrozenDict(definition), schema, tuple(warnings)
        )

    def check_subset(self, compiled: CompiledTool) -> tuple[str, ...]:
        """MCP tool-name rules and an object ``inputSchema``."""
        problems = _name_problems(compiled, "mcp")
        if compiled.schema.get("type") != "object":
            problems += ("(root): inputSchema must be of type 'object'",)
        return problems


for _dialect in (
    CanonicalDialect(),
    OpenAIDialect(strict=True),
    OpenAIDialect(strict=False),
    OpenAIDialect(strict="auto"),
    AnthropicDialect(),
    AnthropicDialect(strict=True),
    GeminiDialect(),
    MCPDialect(),
):
    register_dialect(_dialect)
