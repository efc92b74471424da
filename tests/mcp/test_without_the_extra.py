"""agentkit.mcp without the ``mcp`` extra: it imports and renders, and says how to install it when used."""

from __future__ import annotations

import runpy
from pathlib import Path

# tests/_fresh.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fresh = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fresh.py"))

# The SDK and its own dependency opentelemetry cannot be imported.
BLOCKED = {"mcp", "mcp_types", "opentelemetry"}
_WITHOUT_MCP = r"""
import inspect, pydoc

import agentkit.mcp
from agentkit.exceptions import MissingExtraError
from agentkit.mcp import MCPServer, MCPToolset, normalise_schema

report["help"] = pydoc.render_doc(agentkit.mcp, renderer=pydoc.plaintext)
report["classes"] = [pydoc.render_doc(cls, renderer=pydoc.plaintext)[:200] for cls in (MCPServer, MCPToolset)]
report["members"] = sorted(name for name, _ in inspect.getmembers(agentkit.mcp))
report["schema"] = normalise_schema({"type": "object", "properties": {"ids": {"type": "array"}}})
report["errors"] = []
for make in (lambda: MCPServer([]), lambda: MCPToolset("http://127.0.0.1:9/mcp"), lambda: MCPToolset(["x"])):
    try:
        make()
    except MissingExtraError as exc:
        report["errors"].append([str(exc), exc.extra, isinstance(exc, ImportError)])
"""


def test_the_module_renders_and_creating_a_class_names_the_extra() -> None:
    """help() lists every public name, normalise_schema works, and each class raises the install hint."""
    report = _fresh["without"](BLOCKED, _WITHOUT_MCP)
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
    loaded = _fresh["modules_after"](
        "import agentkit.mcp\nagentkit.mcp.MCPServer, agentkit.mcp.MCPToolset"
    )
    assert {name.partition(".")[0] for name in loaded} & {"mcp", "mcp_types", "starlette"} == set()
