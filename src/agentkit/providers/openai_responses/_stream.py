r"""Responses API streams: typed events fed by the driver, deltas out, one response at the end.

An ``error`` event or ``response.failed`` is raised as a typed error after the deltas received so far; a stream
that is cut mid-event or ends without a final response raises ``MalformedResponse``.

Examples:
    >>> import anyio, httpx, json
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.providers.openai_responses import OpenAIResponsesProvider
    >>> from agentkit.testing._replay import ReplayTransport, sse_from_chunks
    >>> done = {"id": "resp_1", "status": "completed", "output": [{"type": "message", "role": "assistant",
    ...     "content": [{"type": "output_text", "text": "Hi"}]}], "usage": {"input_tokens": 3, "output_tokens": 1}}
    >>> sse = sse_from_chunks([json.dumps(c) for c in (
    ...     {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "delta": "Hi"},
    ...     {"type": "response.completed", "response": done})], with_event_names=True)
    >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
    >>> provider = OpenAIResponsesProvider("gpt-4.1", api_key="sk-test",
    ...                                    http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> async def main():
    ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
    >>> events = anyio.run(main)
    >>> events[0], events[-1].response.text, events[-1].response.usage.total_tokens
    (TextDelta(text='Hi'), 'Hi', 4)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.providers._base import (
    ModelResponse,
    ReasoningDelta,
    StreamDone,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from agentkit.providers._coerce import as_dict, as_list, as_str
from agentkit.providers._http import StreamState, replay_response
from agentkit.providers.openai_responses._errors import payload_error
from agentkit.providers.openai_responses._wire import _CUT, _message_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from agentkit.providers.openai_responses._provider import OpenAIResponsesProvider
    from agentkit.tools.dialects import CompiledTool


class _StreamState(StreamState):
    """Follows a Responses event stream: deltas out, the final response object kept."""

    cut = _CUT

    def __init__(
        self, provider: OpenAIResponsesProvider, tools: Mapping[str, CompiledTool] | None = None
    ) -> None:
        super().__init__()
        self.provider = provider
        self.tools = tools or {}
        self.final: dict[str, Any] | None = None
        self.model: str | None = None
        self.response_id: str | None = None
        self.text: list[str] = []
        self.text_by_part: dict[Any, str] = {}
        self.calls: dict[Any, int] = {}  # item id / output index -> call number
        self.call_ids: list[str | None] = []
        self.args: list[list[str]] = []
        self.summary_index: dict[Any, int] = {}
        self.done_items: dict[int, dict[str, Any]] = {}
        self.streamed = False  # some delta was yielded before the final response
        self.replayed: ModelResponse | None = None

    def feed(self, event: str, payload: Any) -> Iterable[StreamEvent]:
        """The deltas of one event; the stream is done at ``response.completed`` (or ``.incomplete``)."""
        if payload is None:
            raise payload_error(self.provider, None)
        kind = payload["type"] if isinstance(payload.get("type"), str) else event
        events = self._feed(kind, payload)
        if events:
            self.streamed = True
        elif self.final is not None and not self.streamed:
            # Only the final response came (some proxies send nothing else): its deltas come from it.
            self.replayed = self.provider.parse_response(self.final_response(), self.tools)
            events = [e for e in replay_response(self.replayed) if not isinstance(e, StreamDone)]
        self.done = self.final is not None
        return events

    def whole(self, data: Any) -> ModelResponse:
        """A response object sent instead of a stream (the server ignored ``stream``)."""
        return self.provider.parse_response(data, self.tools)

    def finish(self) -> ModelResponse:
        """The final response, parsed as `complete` would and checked against the deltas already yielded."""
        if self.final is None:
            raise self.provider.malformed(_CUT)
        if self.replayed is not None:
            return self.replayed
        result = self.provider.parse_response(self.final_response(), self.tools)
        self.check()
        return result

    def _feed(self, kind: str, payload: Mapping[str, Any]) -> list[StreamEvent]:
        """The deltas in one event (also records the final response); raises the typed error of a failure."""
        events: list[StreamEvent] = []
        if kind == "error":
            raise payload_error(self.provider, payload.get("error", payload))
        if kind == "response.failed":
            raise payload_error(self.provider, as_dict(payload.get("response")).get("error"))
        if kind in ("response.created", "response.in_progress"):
            response = as_dict(payload.get("response"))
            self.model = as_str(response.get("model")) or self.model
            self.response_id = as_str(response.get("id")) or self.response_id
        elif kind in ("response.completed", "response.incomplete"):
            final = payload.get("response")
            if not isinstance(final, dict):
                raise self.provider.malformed(f"{kind} carries no response object")
            self.final = final
        elif kind == "response.output_item.added":
            item = as_dict(payload.get("item"))
            if item.get("type") == "function_call":
                events.append(self._start_call(payload, item))
        elif kind == "response.output_item.done":
            item = as_dict(payload.get("item"))
            index = payload.get("output_index")
            if isinstance(index, int):
                self.done_items[index] = item
            if item.get("type") == "function_call":
                events.extend(self._finish_call(payload, item.get("arguments"), item))
            elif item.get("type") == "message":
                for n, content in enumerate(as_list(item.get("content"))):
                    if isinstance(content, dict) and content.get("type") == "output_text":
                        events.extend(
                            self._finish_text((self._key(payload), n), content.get("text"))
                        )
        elif kind == "response.output_text.delta":
            delta = payload.get("delta")
            if isinstance(delta, str) and delta:
                key = (self._key(payload), payload.get("content_index", 0))
                self.text_by_part[key] = self.text_by_part.get(key, "") + delta
                self.text.append(delta)
                events.append(TextDelta(delta))
        elif kind == "response.output_text.done":
            key = (self._key(payload), payload.get("content_index", 0))
            events.extend(self._finish_text(key, payload.get("text")))
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            delta = payload.get("delta")
            if isinstance(delta, str) and delta:
                key = self._key(payload)
                summary = payload.get("summary_index", 0)
                last = self.summary_index.get(key)
                if last is not None and summary != last:
                    events.append(ReasoningDelta("\n\n"))  # summaries are joined by blank lines
                self.summary_index[key] = summary if isinstance(summary, int) else 0
                events.append(ReasoningDelta(delta))
        elif kind == "response.function_call_arguments.delta":
            delta = payload.get("delta")
            if isinstance(delta, str) and delta:
                n = self._call_number(payload)
                self.args[n].append(delta)
                events.append(ToolCallDelta(index=n, arguments=delta))
        elif kind == "response.function_call_arguments.done":
            events.extend(self._finish_call(payload, payload.get("arguments"), None))
        # Anything else (content_part.*, refusal deltas, in-progress markers, new event types) carries nothing the
        # final response will not hold: ignored.
        return events

    @staticmethod
    def _key(payload: Mapping[str, Any]) -> Any:
        index = payload.get("output_index")
        return index if isinstance(index, int) else payload.get("item_id")

    def _call_number(
        self, payload: Mapping[str, Any], item: Mapping[str, Any] | None = None
    ) -> int:
        keys = [k for k in (payload.get("output_index"), payload.get("item_id")) if k is not None]
        if item is not None and item.get("id") is not None:
            keys.append(item["id"])
        for key in keys:
            if key in self.calls:
                n = self.calls[key]
                break
        else:
            n = len(self.args)
            self.args.append([])
            self.call_ids.append(None)
        for key in keys:
            self.calls[key] = n
        return n

    def _start_call(self, payload: Mapping[str, Any], item: Mapping[str, Any]) -> ToolCallDelta:
        n = self._call_number(payload, item)
        call_id = as_str(item.get("call_id")) or as_str(item.get("id"))
        self.call_ids[n] = call_id
        arguments = item.get("arguments")
        fragment = arguments if isinstance(arguments, str) else ""
        if fragment:
            self.args[n].append(fragment)
        name = as_str(item.get("name"))
        compiled = self.tools.get(name) if name else None
        if compiled is not None:
            name = compiled.name  # deltas name tools canonically, as the final response does
        self.streamed = True
        return ToolCallDelta(index=n, id=call_id, name=name, arguments=fragment)

    def _finish_call(
        self, payload: Mapping[str, Any], arguments: Any, item: Mapping[str, Any] | None
    ) -> list[StreamEvent]:
        known = any(
            k in self.calls
            for k in (payload.get("output_index"), payload.get("item_id"))
            if k is not None
        ) or (item is not None and item.get("id") in self.calls)
        if not known and item is not None:  # no output_item.added came for this call
            start = self._start_call(payload, item)
            return [start] if start.id or start.name or start.arguments else []
        n = self._call_number(payload, item)
        if not self.args[n] and isinstance(arguments, str) and arguments:
            self.args[n].append(arguments)  # no argument deltas came: send the whole arguments once
            return [ToolCallDelta(index=n, arguments=arguments)]
        return []

    def _finish_text(self, key: Any, text: Any) -> list[StreamEvent]:
        if key in self.text_by_part or not isinstance(text, str) or not text:
            return []
        self.text_by_part[key] = text  # no text deltas came for this part: send it whole
        self.text.append(text)
        return [TextDelta(text)]

    def final_response(self) -> dict[str, Any]:
        """The final response object; its output is rebuilt from ``output_item.done`` events if it came empty."""
        assert self.final is not None
        final = self.final
        if not as_list(final.get("output")) and self.done_items:
            final = {**final, "output": [self.done_items[i] for i in sorted(self.done_items)]}
        return final

    def check(self) -> None:
        """Raise ``MalformedResponse`` when the deltas already yielded disagree with the final response."""
        final_text = "".join(
            _message_text(item)
            for item in as_list(self.final_response().get("output"))
            if isinstance(item, dict) and item.get("type") == "message"
        )
        streamed = "".join(self.text)
        if streamed != final_text:
            raise self.provider.malformed(
                f"the streamed text ({len(streamed)} chars) disagrees with response.completed "
                f"({len(final_text)} chars)"
            )
        raw_calls = [
            item
            for item in as_list(self.final_response().get("output"))
            if isinstance(item, dict) and item.get("type") == "function_call"
        ]
        for n, arguments in enumerate(self.args):
            streamed_args = "".join(arguments)
            match = next(
                (c for c in raw_calls if self.call_ids[n] and c.get("call_id") == self.call_ids[n]),
                None,
            )
            if match is not None and streamed_args and streamed_args != match.get("arguments"):
                raise self.provider.malformed(
                    f"the streamed arguments of call {self.call_ids[n]!r} disagree with response.completed"
                )
