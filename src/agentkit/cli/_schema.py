"""``agentkit tools schema``: tool definitions compiled for one provider's schema dialect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import CommandError, ExitCode
from agentkit.cli._output import warning

if TYPE_CHECKING:
    import argparse

    from agentkit.cli._output import Output
    from agentkit.registry import Registry

__all__ = ("print_schema",)


def print_schema(registry: Registry, args: argparse.Namespace, out: Output) -> ExitCode:
    """Print one tool's definition, or every tool's as a JSON array, compiled for ``args.dialect``.

    A definition is exactly what the provider's request body carries (OpenAI's ``{"type": "function", ...}``,
    Anthropic's ``input_schema``, Gemini's upper-case types...). What the dialect had to change is printed on
    stderr as warnings; a contract the dialect cannot express is a failed check (exit 1).

    Examples:
        >>> from agentkit.cli import main
        >>> main(["tools", "schema", "demo.echo", "--dialect", "openai-strict", "-m", "agentkit.cli._demo_tools"])
        {
          "type": "function",
          "function": {
            "name": "echo",
            "description": "Echo text back.",
            "parameters": {
              "type": "object",
              "properties": {
                "text": {
                  "type": "string"
                }
              },
              "required": [
                "text"
              ],
              "additionalProperties": false
            },
            "strict": true
          }
        }
        0
    """
    from agentkit.exceptions import (
        DialectNotFoundError,
        SchemaCompileError,
        ToolNotFoundError,
        UsageError,
    )
    from agentkit.tools._semver import VersionRange
    from agentkit.tools.dialects import get_dialect

    try:
        dialect = get_dialect(args.dialect)
    except DialectNotFoundError as exc:
        raise CommandError(f"--dialect: {exc}", ExitCode.USAGE) from exc
    if args.name is None:
        if args.requirement is not None:
            raise CommandError("--version needs a tool name", ExitCode.USAGE)
        tools = list(registry.tools())
    else:
        if args.requirement is not None:
            try:
                VersionRange(args.requirement)
            except (UsageError, ValueError) as exc:
                raise CommandError(
                    f"--version {args.requirement!r}: {exc}", ExitCode.USAGE
                ) from exc
        try:
            tools = [registry.get(args.name, args.requirement)]
        except ToolNotFoundError as exc:
            raise CommandError(str(exc), ExitCode.MISSING) from exc
    definitions: list[Any] = []
    for tool in tools:
        name = tool.contract.qualified_name
        try:
            compiled = dialect.compile(tool.contract)
        except SchemaCompileError as exc:
            raise CommandError(
                f"{name} cannot be compiled for {dialect.name}: {exc}", ExitCode.CHECK_FAILED
            ) from exc
        for problem in compiled.warnings:
            warning(f"{name} ({dialect.name}): {problem}")
        definitions.append(compiled.definition)
    out.json(definitions[0] if args.name is not None else definitions)
    return ExitCode.OK
