"""agentkit.mcp without the ``mcp`` extra: it imports and renders, and says how to install it when used."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

# Run in a fresh interpreter where the SDK (and its own dependency opentelemetry) cannot be imported.
_WITHOUT_MCP = r"""
import importlib.abc, inspect, json, pydoc, sys

blocked = {"mcp", "mcp_types", "opentelemetry"}


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())

import agentkit.mcp
from agentkit.exceptions import MissingExtraError
from agentkit.mcp import MCPServer, MCPToolset, normalise_schema

report = {
    "help": pydoc.render_doc(agentkit.mcp, renderer=pydoc.plaintext),
    "classes": [pydoc.render_doc(cls, renderer=pydoc.plaintext)[:200] for cls in (MCPServer, MCPToolset)],
    "members": sorted(name for name, _ in inspect.getmembers(agentkit.mcp)),
    "schema": normalise_schema({"type": "object", "properties": {"ids": {"type": "array"}}}),
    "errors": [],
}
for make in (lambda: MCPServer([]), lambda: MCPToolset("http://127.0.0.1:9/mcp"), lambda: MCPToolset(["x"])):
    try:
        make()
    except MissingExtraError as exc:
        report["errors"].append([str(exc), exc.extra, isinstance(exc, ImportError)])
report["loaded"] = sorted({name.partition(".")[0] for name in sys.modules} & blocked)
print(json.dumps(report))
"""


def _without_mcp() -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MCP],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_the_module_renders_and_creating_a_class_names_the_extra() -> None:
    """help() lists every public name, normalise_schema works, and each class raises the install hint."""
    report = _without_mcp()
    text = report["help"]
    for name in ("MCPServer", "MCPToolset", "normalise_schema"):
        assert f"    class {name}(" in text or f"    {name}(" in text
    assert {"MCPServer", "MCPToolset", "normalise_schema"} <= set(report["members"])
    assert all("class MCP" in doc for doc in report["classes"])
    assert report["schema"] == {
        "type": "object",
        "properties": {"ids": {"type": "array", "items": {}}},
    }
    hint = (
        "this feature needs the optional dependency 'mcp': pip install \"agentkit-contracts[mcp]\""
    )
    assert report["errors"] == [[hint, "mcp", True]] * 3
    assert report["loaded"] == []


def test_importing_the_module_leaves_the_sdk_unloaded() -> None:
    """``import agentkit.mcp`` (and reading its classes) imports neither the SDK nor its dependencies."""
    code = (
        "import sys, agentkit.mcp\n"
        "agentkit.mcp.MCPServer, agentkit.mcp.MCPToolset\n"
        "print(sorted({m.partition('.')[0] for m in sys.modules} & {'mcp', 'mcp_types', 'starlette'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
