"""The service's OpenAPI document: one operation per tool version, built from the tools' contracts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agentkit.server._problems import PROBLEM_JSON, PROBLEM_SCHEMA
from agentkit.tools.dialects._base import json_copy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from agentkit.tools import Tool

__all__ = ("OUTCOME_SCHEMA", "add_tool_operations", "finish_document", "hoist_defs")

OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ToolOutcome",
    "description": "The outcome of one tool call, as `Tool.invoke_json` returns it.",
    "properties": {
        "tool": {"type": "string"},
        "version": {"type": "string"},
        "status": {
            "type": "string",
            "enum": [
                "success",
                "invalid_arguments",
                "retry",
                "failed",
                "error",
                "timeout",
                "retries_exhausted",
            ],
        },
        "content": {"type": "string", "description": "What a model receives."},
        "is_error": {"type": "boolean"},
    },
    "required": ["tool", "version", "status", "content", "is_error"],
}

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)


def hoist_defs(schema: dict[str, Any], prefix: str, components: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` moved into ``components`` under ``prefix``, every ``$ref`` rewritten.

    A contract's schema refers to ``#/$defs/Name`` inside itself; inside an OpenAPI document that pointer would
    resolve against the document's root, so the definitions become ``#/components/schemas/<prefix>Name``.

    Examples:
        >>> components = {}
        >>> hoist_defs({"$defs": {"P": {"type": "string"}}, "properties": {"p": {"$ref": "#/$defs/P"}}},
        ...            "t_", components)
        {'properties': {'p': {'$ref': '#/components/schemas/t_P'}}}
        >>> components
        {'t_P': {'type': 'string'}}
    """

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                    out[key] = "#/components/schemas/" + prefix + value[len("#/$defs/") :]
                else:
                    out[key] = rewrite(value)
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    copied = json_copy(schema)
    for key in ("$schema", "$id"):
        copied.pop(key, None)
    for name, definition in copied.pop("$defs", {}).items():
        components[prefix + name] = rewrite(definition)
    return rewrite(copied)  # type: ignore[no-any-return]  # a dict in, a dict out


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}


def add_tool_operations(document: dict[str, Any], tools: Iterable[Tool[Any, Any]]) -> None:
    """Add ``POST /v1/tools/{name}/versions/{version}/invoke`` for each tool version, typed by its contract."""
    paths = document.setdefault("paths", {})
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for item in tools:
        contract = item.contract
        name = contract.qualified_name
        prefix = f"{_safe(name)}_{_safe(contract.version)}_"
        body = hoist_defs(dict(contract.input_schema), prefix, schemas)
        summary = (contract.description or name).strip().splitlines()[0][:120] or name
        operation: dict[str, Any] = {
            "operationId": f"invoke_{_safe(name)}_{_safe(contract.version)}",
            "summary": f"{name} {contract.version}: {summary}",
            "description": contract.description or "",
            "tags": ["tools"],
            "x-agentkit-contract": {
                "name": name,
                "version": contract.version,
                "fingerprint": contract.fingerprint,
                "requires_approval": contract.requires_approval,
            },
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {
                "200": {
                    "description": "The tool ran: its outcome (success, or a failure it reported).",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ToolOutcome"}}
                    },
                },
                "422": _problem(
                    "The arguments do not match the contract; `outcome` holds the repair hint."
                ),
            },
        }
        paths[f"/v1/tools/{name}/versions/{contract.version}/invoke"] = {"post": operation}


def finish_document(document: dict[str, Any], *, secured: bool) -> dict[str, Any]:
    """Errors as problem details on every operation, the outcome and problem schemas, and the security schemes."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ToolOutcome"] = OUTCOME_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    if secured:
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _problem(
                    responses["422"].get("description", "The request is not valid.")
                )
            responses["default"] = _problem("An error, as RFC 9457 problem details.")
            if secured and path != "/health":
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
    return document
