"""How an agent's final output is asked for and validated: plain text, native JSON Schema, or an output tool."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError, create_model
from typing_extensions import is_typeddict

from agentkit.exceptions import ArgumentIssue, InvalidToolArguments
from agentkit.tools import ToolContract
from agentkit.tools._hints import HintBuilder
from agentkit.tools._schema import CanonicalJsonSchema, is_model_class

__all__ = ("DEFAULT_OUTPUT_TOOL", "OutputMode", "OutputSpec", "native_feedback")

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


_NATIVE_NOT_JSON = (
    "Your answer is not valid JSON ({problem}). Answer with only a JSON value that matches the required "
    "output schema, with no other text."
)
_NATIVE_WRONG_SHAPE = (
    "Your answer is valid JSON, but it does not match the required output schema. Problems: {issues} "
    "Answer again with only a JSON value that matches the schema."
)


def native_feedback(issues: tuple[ArgumentIssue, ...]) -> str:
    """What the model is told when its answer in native JSON Schema mode does not validate.

    It names the real problem (text that is not JSON, or JSON of the wrong shape) and asks for a corrected
    answer: in native mode there is no output tool to call.

    Examples:
        >>> from agentkit.runtime._output import OutputSpec, native_feedback
        >>> spec = OutputSpec(int)
        >>> print(native_feedback(spec.validate('{"result": "many"}')[2]))  # doctest: +NORMALIZE_WHITESPACE
        Your answer is valid JSON, but it does not match the required output schema.
        Problems: [{"path":"result","problem":"wrong_type","message":"Input should be a valid integer, unable to
        parse string as an integer","expected":"integer","got":"many"}] Answer again with only a JSON value that
        matches the schema.
        >>> print(native_feedback(spec.validate("about 3")[2]))
        Your answer is not valid JSON (expected value at line 1 column 1). Answer with only a JSON value that matches the required output schema, with no other text.
    """
    for issue in issues:
        if issue.problem == "invalid_json":
            problem = issue.message.removeprefix("arguments are not valid JSON: ")
            problem = problem.replace("arguments are not", "it is not")
            return _NATIVE_NOT_JSON.format(problem=problem)
    listed = [issue.to_dict() for issue in issues]
    return _NATIVE_WRONG_SHAPE.format(
        issues=json.dumps(listed, ensure_ascii=False, separators=(",", ":"))
    )


def _is_object_type(tp: Any) -> bool:
    if not isinstance(tp, type):
        return False
    return is_model_class(tp) or is_typeddict(tp) or dataclasses.is_dataclass(tp)


def type_name(tp: Any) -> str:
    """A short, readable name for a type (for events)."""
    return getattr(tp, "__name__", None) or repr(tp)
