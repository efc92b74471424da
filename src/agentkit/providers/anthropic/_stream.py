r"""Messages API streams: content-block events fed by the driver, deltas out, one response at the end.

An ``error`` event is raised as its typed error (``overloaded_error`` → ``Overloaded``...) after the deltas already
yielded; a stream that ends before ``message_stop`` raises ``MalformedResponse``. ``ping`` and unknown event types
are ignored. ``StreamDone`` holds what ``complete`` would have returned: the stream is assembled into the same
message body and parsed by the same parser.

Examples:
    >>> import anyio, httpx
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.providers.anthropic import AnthropicProvider
    >>> from agentkit.testing._replay import ReplayTransport, sse_from_chunks
    >>> sse = sse_from_chunks([
    ...     '{"type":"message_start","message":{"id":"msg_1","model":"claude-haiku-4-5","content":[],'
    ...     '"usage":{"input_tokens":5,"output_tokens":1}}}',
    ...     '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    ...     '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}',
    ...     '{"type":"content_block_stop","index":0}',
    ...     '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}',
    ...     '{"type":"message_stop"}'], with_event_names=True)
    >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
    >>> provider = AnthropicProvider("claude-haiku-4-5", api_key="k",
    ...                              http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> async def main():
    ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
    >>> events = anyio.run(main)
    >>> events[0], events[-1].response.text, events[-1].response.usage.output_tokens
    (TextDelta(text='Hi'), 'Hi', 3)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentkit.providers._base import (
    ModelResponse,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from agentkit.providers._http import StreamState
from agentkit.providers.anthropic._errors import inline_error
from agentkit.providers.anthropic._response import parse_message
from agentkit.providers.anthropic._wire import _CUT, _RawJSON, _Tools

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from agentkit.providers.anthropic._provider import AnthropicProvider


class _StreamState(StreamState):
    """Assembles a streamed message block by block (keyed by ``index``) into the body ``complete`` would get."""

    cut = _CUT

    def __init__(self, provider: AnthropicProvider, tools: _Tools) -> None:
        super().__init__()
        self.provider = provider
        self.tools = tools
        self.head: dict[str, Any] = {}
        self.usage: dict[str, Any] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.json: dict[int, list[str]] = {}
        self.call_index: dict[int, int] = {}
        self.stopped = False

    def feed(self, event: str, payload: Any) -> Iterable[StreamEvent]:
        """The deltas of one event; an ``error`` event raises its typed error (``overloaded_error``...)."""
        if payload is None:  # an error event without data
            raise inline_error(self.provider, {"error": {"type": "api_error"}})
        kind = payload.get("type") or event
        if kind == "error" or event == "error":
            raise inline_error(self.provider, payload)
        events = self._feed(str(kind), payload)
        self.done = self.stopped
        return events

    def whole(self, data: Any) -> ModelResponse:
        """A Messages body sent instead of a stream (a gateway, or the API itself)."""
        return parse_message(self.provider, data, self.tools)

    def finish(self) -> ModelResponse:
        """The message ``complete`` would have got; a stream without ``message_stop`` was cut."""
        if not self.stopped:
            raise self.provider.malformed(_CUT)
        return parse_message(self.provider, self.message(), self.tools)

    def _feed(self, kind: str, payload: dict[str, Any]) -> list[StreamEvent]:
        if kind == "message_start":
            message = payload.get("message")
            if isinstance(message, dict):
                self.head = {k: v for k, v in message.items() if k != "content"}
                if isinstance(message.get("usage"), dict):
                    self.usage = dict(message["usage"])
            return []
        if kind == "content_block_start":
            return self._start(payload)
        if kind == "content_block_delta":
            return self._delta(payload)
        if kind == "content_block_stop":
            index = payload.get("index")
            if isinstance(index, int):
                self._close(index)
            return []
        if kind == "message_delta":
            delta = payload.get("delta")
            if isinstance(delta, dict):
                self.head.update(delta)
            if isinstance(payload.get("usage"), dict):
                # cumulative counts: the latest value of each field wins, nothing is added up; a field sent as
                # null means "not restated", never zero
                self.usage.update({k: v for k, v in payload["usage"].items() if v is not None})
            return []
        if kind == "message_stop":
            self.stopped = True
        return []  # ping and event types newer than this adapter

    def _index(self, payload: Mapping[str, Any]) -> int:
        index = payload.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise self.provider.malformed(f"stream event without a block index: {payload!r:.200}")
        return index

    def _start(self, payload: dict[str, Any]) -> list[StreamEvent]:
        index = self._index(payload)
        block = payload.get("content_block")
        if not isinstance(block, dict):
            raise self.provider.malformed(f"content_block_start without a block: {payload!r:.200}")
        block = dict(block)
        self.blocks[index] = block
        kind = block.get("type")
        events: list[StreamEvent] = []
        if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            self.json[index] = []
            name = str(block.get("name") or "")
            output = self.tools.output
            if kind == "tool_use" and not (output is not None and name == output.wire_name):
                compiled = self.tools.by_wire.get(name)
                position = len(self.call_index)
                self.call_index[index] = position
                events.append(
                    ToolCallDelta(
                        index=position,
                        id=str(block.get("id") or "") or None,
                        name=compiled.name if compiled is not None else name,
                    )
                )
        elif kind == "text" and block.get("text"):
            events.append(TextDelta(str(block["text"])))
        elif kind == "thinking" and block.get("thinking"):
            events.append(ReasoningDelta(str(block["thinking"])))
        return events

    def _delta(self, payload: dict[str, Any]) -> list[StreamEvent]:
        index = self._index(payload)
        delta = payload.get("delta")
        if not isinstance(delta, dict):
            return []
        kind = delta.get("type")
        block = self.blocks.get(index)
        if block is None:
            if kind == "text_delta":
                block = self.blocks[index] = {"type": "text", "text": ""}
            elif kind in ("thinking_delta", "signature_delta"):
                block = self.blocks[index] = {"type": "thinking", "thinking": "", "signature": ""}
            else:
                raise self.provider.malformed(
                    f"a {kind} delta for content block {index}, which never started"
                )
        if kind == "text_delta":
            text = str(delta.get("text") or "")
            block["text"] = str(block.get("text") or "") + text
            return [TextDelta(text)] if text else []
        if kind == "thinking_delta":
            text = str(delta.get("thinking") or "")
            block["thinking"] = str(block.get("thinking") or "") + text
            return [ReasoningDelta(text)] if text else []
        if kind == "signature_delta":
            block["signature"] = str(block.get("signature") or "") + str(
                delta.get("signature") or ""
            )
            return []
        if kind == "input_json_delta":
            fragment = str(delta.get("partial_json") or "")
            self.json.setdefault(index, []).append(fragment)
            if not fragment:
                return []
            if index in self.call_index:
                return [ToolCallDelta(index=self.call_index[index], arguments=fragment)]
            output = self.tools.output
            if output is not None and block.get("name") == output.wire_name:
                return [TextDelta(fragment)]
            return []
        if kind == "citations_delta":
            citation = delta.get("citation")
            if citation is not None:
                citations = block.get("citations")
                # absent, or "citations": null in content_block_start
                if not isinstance(citations, list):
                    citations = block["citations"] = []
                citations.append(citation)
        return []

    def _close(self, index: int) -> None:
        fragments = self.json.pop(index, None)
        block = self.blocks.get(index)
        if fragments is None or block is None:
            return
        text = "".join(fragments).strip()
        if not text:
            block["input"] = {}  # a tool without arguments streams one empty fragment
            return
        try:
            value = json.loads(text)
        except ValueError:
            block["input"] = _RawJSON(text)
            return
        block["input"] = value if isinstance(value, dict) else _RawJSON(text)

    def message(self) -> dict[str, Any]:
        """The message as one Messages response body."""
        for index in list(self.json):
            self._close(index)
        message = dict(self.head)
        message["content"] = [self.blocks[i] for i in sorted(self.blocks)]
        message["usage"] = self.usage
        return message
