"""Tools described by a raw JSON Schema (remote tools, MCP servers), validated with ``jsonschema``."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from pydantic_core import ValidationError as CoreValidationError
from pydantic_core import from_json

from agentkit.exceptions import ArgumentIssue, ToolDefinitionError
from agentkit.tools._base import (
    _CALL_DICT,
    DEFAULT_MAX_ARGUMENT_BYTES,
    DEFAULT_MAX_RETRIES,
    Tool,
    _build_contract,
    _dump_any,
    _ToolSpec,
    string_tuple,
)
from agentkit.tools._hints import safe_text
from agentkit.tools._schema import schema_depth_problem

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from agentkit.tools._context import RunContext
    from agentkit.tools._contract import JSONSchema, ToolAnnotations

__all__ = ("JsonSchemaTool",)


class _SchemaInvalid(Exception):
    """Internal: carries issues out of the validator so ``Tool`` can report them."""

    def __init__(self, issues: tuple[ArgumentIssue, ...]) -> None:
        super().__init__("invalid arguments")
        self.issues = issues


class JsonSchemaTool(Tool[dict[str, Any], Any]):
    r"""A tool whose arguments are described by a raw JSON Schema instead of Python types.

    Use it for tools defined elsewhere (an MCP server, a remote HTTP tool, a JSON file). The schema is checked
    against the JSON Schema 2020-12 meta-schema when the tool is made; arguments are validated with the
    ``jsonschema`` package (imported only when such a tool is created), and the handler receives them as a dict.

    Args:
        name: Tool name.
        input_schema: JSON Schema of the arguments (an object schema).
        handler: ``handler(arguments, ctx)``, sync or async, returning the result.
        description: What the tool does.
        version: Semantic version of the contract.
        output_schema: JSON Schema of the result, if known.
        namespace: Dotted namespace for the registry.
        annotations: Behaviour hints (read-only, destructive, idempotent, open-world).
        tags: Labels for filtering.
        timeout: Seconds the handler may run.
        requires_approval: Whether a human must approve each call.
        sensitive: JSON pointers of arguments never to log or echo.
        max_retries: Consecutive invalid calls the model gets repair hints for.
        max_argument_bytes: Largest raw argument payload accepted.
        blocking: For a sync handler: run it in a worker thread (``True``) or inline.

    Examples:
        >>> import anyio
        >>> from agentkit import JsonSchemaTool
        >>> def lookup(args, ctx):
        ...     return {"city": args["city"], "population": 545_000}
        >>> population = JsonSchemaTool(
        ...     name="population",
        ...     description="Population of a city.",
        ...     input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        ...     handler=lookup,
        ... )
        >>> anyio.run(population.invoke_json, '{"city": "Lisbon"}').content
        '{"city":"Lisbon","population":545000}'
        >>> anyio.run(population.invoke_json, '{"city": 7}').content
        '{"error":"invalid_arguments","tool":"population","issues":[{"path":"city","problem":"wrong_type","message":"7 is not of type \'string\'","expected":"string","got":7}],"hint":"Fix these arguments and call population again."}'
    """

    def __init__(
        self,
        *,
        name: str,
        input_schema: JSONSchema,
        handler: Callable[[dict[str, Any], RunContext[Any]], Any],
        description: str = "",
        version: str = "1.0.0",
        output_schema: JSONSchema | None = None,
        namespace: str | None = None,
        annotations: ToolAnnotations | None = None,
        tags: Iterable[str] = (),
        timeout: float | None = None,
        requires_approval: bool = False,
        sensitive: Iterable[str] = (),
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_argument_bytes: int = DEFAULT_MAX_ARGUMENT_BYTES,
        blocking: bool = True,
    ) -> None:
        import jsonschema
        from jsonschema.exceptions import SchemaError

        for label, schema in (("input_schema", input_schema), ("output_schema", output_schema)):
            if schema is None:
                continue
            if not isinstance(schema, dict):
                raise ToolDefinitionError(
                    f"{label} must be a JSON object (dict), got {type(schema).__name__}",
                    tool_name=name,
                )
            too_deep = schema_depth_problem(schema)
            if too_deep is not None:
                # Checked first: the meta-schema check itself would recurse past Python's limit.
                raise ToolDefinitionError(f"{label}: {too_deep}", tool_name=name)
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
                raise ToolDefinitionError(
                    f"{label} is not a valid JSON Schema at {where}: {exc.message}", tool_name=name
                ) from None
        if not callable(handler):
            raise ToolDefinitionError(
                "handler must be callable as handler(arguments, ctx)", tool_name=name
            )
        contract = _build_contract(
            name=name,
            namespace=namespace,
            version=version,
            description=description,
            input_schema=input_schema,
            output_schema=output_schema,
            annotations=annotations,
            tags=string_tuple(tags, option="tags", tool_name=name),
            timeout=timeout,
            requires_approval=requires_approval,
            sensitive=string_tuple(sensitive, option="sensitive", tool_name=name),
        )
        self.handler = handler
        validator = jsonschema.Draft202012Validator(
            input_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        self._validator = validator
        spec = _ToolSpec(
            contract=contract,
            validate_json=self._validate_json,
            validate_python=self._validate_python,
            call=handler,
            call_mode=_CALL_DICT,
            dump=_dump_any,
            is_async=inspect.iscoroutinefunction(handler)
            or inspect.iscoroutinefunction(type(handler).__call__),
            blocking=blocking,
            max_retries=max_retries,
            max_argument_bytes=max_argument_bytes,
        )
        self._spec = spec

    def _validate_python(self, arguments: Any) -> dict[str, Any]:
        errors = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
        if errors:
            raise _SchemaInvalid(self._spec.hints.from_jsonschema(errors))
        return arguments  # type: ignore[no-any-return]  # validated as an object by the schema

    def _validate_json(self, raw: str | bytes) -> dict[str, Any]:
        try:
            arguments = from_json(raw)
        except (CoreValidationError, ValueError) as exc:
            raise _SchemaInvalid(
                (
                    ArgumentIssue(
                        path="",
                        problem="invalid_json",
                        message=f"arguments are not valid JSON: {safe_text(str(exc), 300)}",
                        expected="a JSON object",
                    ),
                )
            ) from None
        except TypeError:
            # pydantic-core refuses a str it cannot encode to UTF-8: one holding a lone surrogate.
            raise _SchemaInvalid(
                (
                    ArgumentIssue(
                        path="",
                        problem="invalid_json",
                        message="arguments are not valid Unicode text: they contain a lone UTF-16 surrogate",
                        expected="a JSON object in valid UTF-8",
                    ),
                )
            ) from None
        if arguments is None and self._spec.nullable_args:
            arguments = {}  # some providers send null for tools without required parameters
        return self._validate_python(arguments)

    async def invoke_json(
        self, raw_arguments: str | bytes, ctx: RunContext[Any] | None = None
    ) -> Any:
        """Validate raw JSON arguments against the schema, call the handler, serialize its result."""
        try:
            return await super().invoke_json(raw_arguments, ctx)
        except _SchemaInvalid as exc:
            return self._rejected(self._spec, ctx, exc.issues)

    async def invoke(self, arguments: Any, ctx: RunContext[Any] | None = None) -> Any:
        """Like `invoke_json`, also accepting a decoded mapping."""
        try:
            return await super().invoke(arguments, ctx)
        except _SchemaInvalid as exc:
            return self._rejected(self._spec, ctx, exc.issues)

    def run(self, args: dict[str, Any], ctx: RunContext[Any]) -> Any:
        """Call the handler."""
        return self.handler(args, ctx)
