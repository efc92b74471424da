"""How an agent's final output is asked for and validated: plain text, native JSON Schema, or an output tool."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError, create_model
from typing_extensions import is_typeddict

from agentkit.exceptions import ArgumentIssue, InvalidToolArguments
from agentkit.tools import ToolContract
from agentkit.tools._hints import HintBuilder
from agentkit.tools._schema import CanonicalJsonSchema, is_model_class

__all__ = ("DEFAULT_OUTPUT_TOOL", "OutputMode", "OutputSpec")

DEFAULT_OUTPUT_TOOL = "final_result"
"""Name of the tool a model calls to give a structured answer when the provider has no native JSON mode."""

OutputMode = Literal["text", "native", "tool"]


class OutputSpec:
    """The output type, compiled once: its schema, validator and the contract of the output tool."""

    __slots__ = (
        "_hints",
        "_validate_bare",
        "_validate_json",
        "contract",
        "output_type",
        "schema",
        "wrapped",
    )

    def __init__(self, output_type: Any, *, name: str = DEFAULT_OUTPUT_TOOL) -> None:
        self.output_type = output_type
        self.wrapped = False
        if output_type is str:
            self.schema: dict[str, Any] = {"type": "string"}
            self.contract: ToolContract | None = None
            return
        target: Any = output_type
        if not _is_object_type(output_type):
            # Native modes and tool arguments must be JSON objects: wrap primitives, lists and unions.
            target = create_model("FinalResult", result=(output_type, ...))
            self.wrapped = True
            self._validate_bare = TypeAdapter(output_type).validate_json
        adapter: TypeAdapter[Any] = TypeAdapter(target)
        schema = adapter.json_schema(schema_generator=CanonicalJsonSchema)
        schema.pop("title", None)
        self.schema = schema
        self._validate_json = adapter.validate_json
        self._hints = HintBuilder(schema, ())
        description = "Give your final answer by calling this tool with it as the arguments."
        self.contract = ToolContract(name=name, description=description, input_schema=schema)

    @property
    def is_text(self) -> bool:
        """Whether the output is plain text (no schema)."""
        return self.contract is None

    @property
    def name(self) -> str:
        """The output tool's name."""
        return self.contract.name if self.contract is not None else DEFAULT_OUTPUT_TOOL

    def validate(self, raw: str) -> tuple[Any, str | None, tuple[ArgumentIssue, ...]]:
        """``(value, None, ())`` for valid JSON text, else ``(None, repair_hint, issues)``."""
        try:
            value = self._validate_json(raw or "{}")
        except ValidationError as exc:
            if self.wrapped:
                # Be lenient: a bare value ("42") is as clear as the wrapped form ({"result": 42}).
                try:
                    return self._validate_bare(raw), None, ()
                except ValidationError:
                    pass
            issues = self._hints.from_pydantic(exc)
            error = InvalidToolArguments(tool_name=self.name, issues=issues)
            return None, error.repair_hint, issues
        if self.wrapped:
            value = value.result
        return value, None, ()


def _is_object_type(tp: Any) -> bool:
    if not isinstance(tp, type):
        return False
    return is_model_class(tp) or is_typeddict(tp) or dataclasses.is_dataclass(tp)


def type_name(tp: Any) -> str:
    """A short, readable name for a type (for events)."""
    return getattr(tp, "__name__", None) or repr(tp)
