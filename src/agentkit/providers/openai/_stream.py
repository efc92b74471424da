r"""Chat Completions streams: chunks fed by the driver, deltas out, one response at the end.

Errors sent inside the stream (an ``event: error`` frame, an ``error`` object in a chunk) are raised as typed
errors after the deltas already received; a stream that ends before ``[DONE]`` or a finish reason raises
``MalformedResponse``.

Examples:
    >>> import anyio, httpx
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.providers.openai import OpenAIChatProvider
    >>> from agentkit.testing._replay import ReplayTransport
    >>> sse = (b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
    ...        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
    >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
    >>> provider = OpenAIChatProvider("gpt-4.1", api_key="sk-test",
    ...                               http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> async def main():
    ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
    >>> events = anyio.run(main)
    >>> events[0], events[-1].response.text
    (TextDelta(text='Hi'), 'Hi')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.providers._base import (
    ModelResponse,
    ReasoningDelta,
    ResponseBuilder,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from agentkit.providers._coerce import as_dict
from agentkit.providers._http import (
    StreamState,
)
from agentkit.providers.openai._errors import inline_error
from agentkit.providers.openai._response import call_details, reasoning_fields, reasoning_of
from agentkit.providers.openai._response import finish as finished_response
from agentkit.providers.openai._wire import _CUT, _arguments_text, _text_of, _usage

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from agentkit.providers.openai._provider import OpenAIChatProvider
    from agentkit.tools.dialects import CompiledTool


class _StreamState(StreamState):
    """Assembles Chat-Completions chunks: deltas out, one `ModelResponse` at the end."""

    def __init__(self, provider: OpenAIChatProvider, tools: Mapping[str, CompiledTool]) -> None:
        super().__init__()
        self.provider = provider
        self.tools = tools
        self.builder = ResponseBuilder(provider=provider.system)
        self.finish_reason: str | None = None
        self.refused = False
        self.by_id: dict[str, int] = {}
        self.by_index: dict[int, int] = {}
        self.ids: list[str | None] = []
        self.indexes: list[int | None] = []  # the wire index of each call
        self.named: set[int] = set()
        self.saw_usage = False
        self.id_sent: set[int] = set()
        self.last: int | None = None
        self.details: dict[str, Any] | None = None
        self.reasoning_fields = reasoning_fields(provider.profile.reasoning_field)

    def feed(self, event: str, payload: Any) -> Iterable[StreamEvent]:
        """The deltas of one chunk; an ``error`` event or an ``error`` object in a chunk raises its typed error."""
        if event == "error" or payload.get("error"):
            return self._failing(event, payload)
        return self._chunk(payload)  # a list: no generator per chunk on the hot path

    def _failing(self, event: str, payload: Any) -> Iterator[StreamEvent]:
        """An ``error`` event's typed error; or a chunk's deltas, then the error object it also carries."""
        if event == "error":
            error = payload.get("error", payload) if isinstance(payload, dict) else {}
            raise inline_error(self.provider, error)
        yield from self._chunk(payload)
        raise inline_error(self.provider, payload["error"])

    def whole(self, data: Any) -> ModelResponse:
        """A ``chat.completion`` body sent instead of a stream."""
        return self.provider.parse_completion(data, self.tools)

    def finish(self) -> ModelResponse:
        """The final response; a stream without ``[DONE]`` or a finish reason was cut."""
        if not self.done and self.finish_reason is None:
            raise self.provider.malformed(_CUT)
        return self.build()

    def _chunk(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The deltas in one chunk (also records usage, ids, finish reason)."""
        b = self.builder
        if b.model is None and isinstance(chunk.get("model"), str):
            b.model = chunk["model"]
        if b.response_id is None and isinstance(chunk.get("id"), str) and chunk["id"]:
            b.response_id = chunk["id"]
        usage = chunk.get("usage")
        if not usage:
            usage = as_dict(chunk["x_groq"]).get("usage") if "x_groq" in chunk else None
        if isinstance(usage, dict):
            b.usage = _usage(usage)
            self.saw_usage = True
        events: list[StreamEvent] = []
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return events
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
                continue
            delta = choice.get("delta")
            if type(delta) is dict and len(delta) == 1:
                # The hot path: most chunks carry one text fragment and nothing else.
                text = delta.get("content")
                if type(text) is str:
                    if text:
                        b.add_text(text)
                        events.append(TextDelta(text))
                    finish = choice.get("finish_reason")
                    if isinstance(finish, str) and finish:
                        self.finish_reason = finish
                    continue
            delta = as_dict(delta)
            reasoning = reasoning_of(delta, self.reasoning_fields)
            if reasoning:
                b.add_reasoning(reasoning)
                events.append(ReasoningDelta(reasoning))
            text = _text_of(delta.get("content"))
            if text:
                b.add_text(text)
                events.append(TextDelta(text))
            refusal = delta.get("refusal")
            if isinstance(refusal, str) and refusal:
                b.add_refusal(refusal)
                self.refused = True
            details = call_details(delta)
            if details:
                self.details = details
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                for call in calls:
                    if isinstance(call, dict):
                        events.append(self._call(call))
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self.finish_reason = finish
        return events

    def _slot(self, call: Mapping[str, Any]) -> tuple[int, bool]:
        """Which call a fragment belongs to: a known id first, then the index; a new id at a used index is new."""
        raw_id, raw_index = call.get("id"), call.get("index")
        call_id = raw_id if isinstance(raw_id, str) and raw_id else None
        index = (
            raw_index if isinstance(raw_index, int) and not isinstance(raw_index, bool) else None
        )
        slot: int | None = None
        if call_id is not None and call_id in self.by_id:
            known = self.by_id[call_id]
            # A known id at another index is another call: some servers reuse ids such as "0".
            if index is None or self.indexes[known] in (None, index):
                slot = known
        if slot is None and index is not None and index in self.by_index:
            known = self.by_index[index]
            if call_id is None or self.ids[known] in (None, call_id):
                slot = known
        elif slot is None and index is None and call_id is None and self.last is not None:
            slot = self.last
        new = slot is None
        if slot is None:
            slot = len(self.ids)
            self.ids.append(None)
            self.indexes.append(None)
        if call_id is not None and self.ids[slot] is None:
            self.ids[slot] = call_id
        if call_id is not None:
            self.by_id[call_id] = slot  # the latest call with this id
        if index is not None:
            self.by_index[index] = slot
            if self.indexes[slot] is None:
                self.indexes[slot] = index
        self.last = slot
        return slot, new

    def _call(self, call: Mapping[str, Any]) -> ToolCallDelta:
        slot, _ = self._slot(call)
        function = as_dict(call.get("function"))
        raw_name = function.get("name")
        name = raw_name if isinstance(raw_name, str) and raw_name else None
        self.builder.tool_call(slot, id=self.ids[slot], name=name)
        raw_args = function.get("arguments")
        fragment = ""
        if isinstance(raw_args, str):
            fragment = raw_args
            self.builder.tool_arguments(slot, fragment)
        elif raw_args is not None:  # an object: the whole arguments at once
            fragment = _arguments_text(raw_args) or ""
            self.builder.tool_call(slot, arguments=fragment)
        # id and name go out once, on the first fragment that carries them (some servers repeat them).
        new_id = self.ids[slot] if slot not in self.id_sent else None
        if new_id is not None:
            self.id_sent.add(slot)
        new_name = name if slot not in self.named else None
        if new_name is not None:
            self.named.add(slot)
            compiled = self.tools.get(new_name)
            if compiled is not None:
                new_name = (
                    compiled.name
                )  # deltas name tools canonically, as the final response does
        return ToolCallDelta(index=slot, id=new_id, name=new_name, arguments=fragment)

    def build(self) -> ModelResponse:
        """The final response, as ``complete()`` would have parsed the same content."""
        if self.details:
            for slot in range(len(self.ids)):
                self.builder.tool_call(slot, provider_details=self.details)
        self.builder.usage_reported = self.saw_usage
        return finished_response(
            self.builder,
            self.finish_reason,
            has_calls=bool(self.ids),
            refused=self.refused,
            raw=None,
            tools=self.tools,
        )
