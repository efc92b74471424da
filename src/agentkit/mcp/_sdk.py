"""Everything of agentkit.mcp that touches the official MCP SDK; importing this module imports ``mcp``.

`MCPServer` and `MCPToolset` import it when they are created, so ``agentkit.mcp`` itself (and ``help()`` on
it) works without the ``mcp`` extra, and using either class without it raises `MissingExtraError` with the
install hint.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError, ToolFailed

try:
    import mcp_types as types
    from mcp import Client, MCPError, StdioServerParameters
    from mcp.client.stdio import get_default_environment
    from mcp.client.streamable_http import streamable_http_client
    from mcp.server.lowlevel.server import NotificationOptions, Server
    from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
    from mcp.shared._httpx_utils import create_mcp_http_client
    from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS
except ImportError as exc:  # the SDK, or one of its own dependencies, is not installed
    raise MissingExtraError(extra="mcp", package="mcp") from exc

if TYPE_CHECKING:
    from mcp.server.models import InitializationOptions

    from agentkit.tools import Tool, ToolOutcome

__all__ = (
    "CONNECTION_CLOSED",
    "MODERN_PROTOCOL_VERSIONS",
    "REQUEST_TIMEOUT",
    "Client",
    "InMemorySubscriptionBus",
    "ListenHandler",
    "LowLevelServer",
    "MCPError",
    "StdioServerParameters",
    "ToolsListChanged",
    "call_result",
    "create_mcp_http_client",
    "error_result",
    "get_default_environment",
    "streamable_http_client",
    "tool_value",
    "types",
)


class LowLevelServer(Server[Any]):
    """The SDK's low-level server, advertising ``tools.listChanged`` on every transport (stdio, HTTP, memory)."""

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True),
            experimental_capabilities,
            extensions,
        )


# ---------------------------------------------------------------------------------------- server side


def error_result(text: str) -> types.CallToolResult:
    """An ``isError`` result holding ``text``."""
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def call_result(item: Tool[Any, Any], outcome: ToolOutcome[Any]) -> types.CallToolResult:
    """The ``tools/call`` result for an agentkit tool's outcome: text, structured content and media parts."""
    if not outcome.ok:
        return error_result(outcome.content)
    content: list[Any] = []
    if outcome.content or not outcome.media:
        content.append(types.TextContent(text=outcome.content))
    content.extend(_media_block(part) for part in outcome.media)
    structured = None
    output = item.contract.output_schema
    if output is not None and output.get("type") == "object" and not outcome.media:
        structured = json.loads(outcome.content)
    return types.CallToolResult(content=content, structured_content=structured)


def _media_block(part: Any) -> Any:
    if part.data is None:
        return types.ResourceLink(
            uri=part.url or f"sha256:{part.sha256}",
            name=getattr(part, "filename", None) or part.kind,
            mime_type=part.media_type,
        )
    if part.kind == "image":
        return types.ImageContent(data=part.base64, mime_type=part.media_type)
    if part.kind == "audio":
        return types.AudioContent(data=part.base64, mime_type=part.media_type)
    uri = f"file:///{part.filename}" if part.filename else f"urn:sha256:{part.sha256}"
    return types.EmbeddedResource(
        resource=types.BlobResourceContents(uri=uri, mime_type=part.media_type, blob=part.base64)
    )


# ---------------------------------------------------------------------------------------- client side


def tool_value(result: types.CallToolResult) -> Any:
    """What the agentkit tool returns for a ``tools/call`` result (``isError`` raises ``ToolFailed``)."""
    texts = [block.text for block in result.content if isinstance(block, types.TextContent)]
    if result.is_error:
        raise ToolFailed("\n".join(texts) or "the MCP tool reported an error")
    if result.structured_content is not None:
        return result.structured_content
    from agentkit.messages import AudioPart, DocumentPart, ImagePart

    parts: list[Any] = []
    for block in result.content:
        if isinstance(block, types.TextContent):
            parts.append(block.text)
        elif isinstance(block, types.ImageContent):
            parts.append(ImagePart(data=base64.b64decode(block.data), media_type=block.mime_type))
        elif isinstance(block, types.AudioContent):
            parts.append(AudioPart(data=base64.b64decode(block.data), media_type=block.mime_type))
        elif isinstance(block, types.EmbeddedResource):
            resource = block.resource
            if isinstance(resource, types.BlobResourceContents):
                parts.append(
                    DocumentPart(
                        data=base64.b64decode(resource.blob),
                        media_type=resource.mime_type or "application/octet-stream",
                        filename=str(resource.uri).rsplit("/", 1)[-1] or None,
                    )
                )
            else:
                parts.append(resource.text)
        elif isinstance(block, types.ResourceLink):
            parts.append(f"{block.name}: {block.uri}")
    if all(isinstance(part, str) for part in parts):
        return "\n".join(parts)
    return parts
