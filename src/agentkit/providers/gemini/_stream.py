r"""streamGenerateContent: chunks (SSE or a streamed JSON array) fed by the driver, deltas out.

Each event is a complete partial response; text and thoughts arrive in pieces, a function call whole. An error
object inside the stream raises its typed error; a stream that ends before a finish reason (or cut inside an
event) raises ``MalformedResponse``.

Examples:
    >>> import anyio, httpx
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.providers.gemini import GeminiProvider
    >>> from agentkit.testing._replay import ReplayTransport
    >>> sse = (b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\n'
    ...        b'data: {"candidates": [{"content": {"parts": [{"text": "!"}]}, "finishReason": "STOP"}]}\r\n\r\n')
    >>> replay = ReplayTransport.from_bodies([(200, sse)], content_type="text/event-stream")
    >>> provider = GeminiProvider("gemini-2.5-flash", api_key="test-key",
    ...                           http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> async def main():
    ...     return [e async for e in provider.stream(ModelRequest(messages=[Message.user("hi")]))]
    >>> events = anyio.run(main)
    >>> events[:2], events[-1].response.text
    ([TextDelta(text='Hi'), TextDelta(text='!')], 'Hi!')
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from agentkit.providers._base import (
    FinishReason,
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
from agentkit.providers.gemini._errors import inline_error
from agentkit.providers.gemini._wire import _CUT, _FINISH, _json_path, _usage

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from agentkit.providers.gemini._provider import GeminiProvider
    from agentkit.tools.dialects import CompiledTool


class _Assembler(StreamState):
    """Turns Gemini response chunks (one for ``complete``, many for a stream) into deltas and one response.

    ``complete`` and ``stream`` share it, so a stream ends with exactly the response ``complete`` returns for the
    same content. A JSON answer to a stream request is a streamed array of the same chunks.
    """

    cut = _CUT
    json_array = True

    def __init__(self, provider: GeminiProvider, tools: Mapping[str, CompiledTool]) -> None:
        super().__init__()
        self.provider = provider
        self.tools = tools
        self.builder = ResponseBuilder(provider=provider.system)
        self.finish_reason: str | None = None
        self.block_reason: str | None = None
        self.candidates = False
        self.saw_usage = False
        self.calls = 0
        self.last: str | None = (
            None  # kind of the builder's last item: text, reasoning, signed, call
        )
        self.partial: dict[str, Any] | None = (
            None  # a Vertex call whose arguments are still streaming
        )

    # -------------------------------------------------------------------------------- chunks

    def feed(self, event: str, payload: Any) -> Iterable[StreamEvent]:
        """The deltas of one streamed chunk."""
        if payload is None:  # an error event without data
            raise inline_error(self.provider, {})
        return self.chunk(payload)

    def end_marker(self) -> None:
        """``[DONE]`` is no part of Gemini's stream: a finish reason ends it."""

    def finish(self) -> ModelResponse:
        """The streamed response; a stream without a finish reason was cut."""
        return self.build(raw=None, streamed=True)

    def chunk(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The deltas in one chunk (also records usage, model, ids and the finish reason)."""
        if chunk.get("error") is not None and not chunk.get("candidates"):
            raise inline_error(self.provider, chunk["error"])
        b = self.builder
        model, response_id = chunk.get("modelVersion"), chunk.get("responseId")
        if b.model is None and isinstance(model, str) and model:
            b.model = model
        if b.response_id is None and isinstance(response_id, str) and response_id:
            b.response_id = response_id
        if isinstance(chunk.get("usageMetadata"), dict):
            b.usage = _usage(chunk["usageMetadata"])  # cumulative in every chunk: the last one wins
            self.saw_usage = True
        block = as_dict(chunk.get("promptFeedback")).get("blockReason")
        if isinstance(block, str) and block:
            self.block_reason = block
        candidates = chunk.get("candidates")
        events: list[StreamEvent] = []
        if not isinstance(candidates, list) or not candidates:
            return events
        # Only the first candidate is the answer; a chunk that carries only another one (candidateCount > 1)
        # adds nothing to it.
        candidate = next(
            (c for c in candidates if isinstance(c, dict) and c.get("index", 0) in (0, None)),
            None,
        )
        if candidate is None:
            return events
        self.candidates = True
        parts = as_dict(candidate.get("content")).get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict):
                    events.extend(self._part(part))
        finish = candidate.get("finishReason")
        if isinstance(finish, str) and finish:
            self.finish_reason = finish
        return events

    def _part(self, part: Mapping[str, Any]) -> list[StreamEvent]:
        raw_signature = part.get("thoughtSignature")
        signature = raw_signature if isinstance(raw_signature, str) and raw_signature else None
        call = part.get("functionCall")
        if isinstance(call, dict):
            return self._function_call(call, signature)
        events: list[StreamEvent] = []
        text = part.get("text")
        text = text if isinstance(text, str) else ""
        if part.get("thought") is True:
            if not text and not signature:
                return events
            # A signature closes a thought block; the next thought starts a new one.
            self.builder.add_reasoning(text, signature=signature, new_block=self.last == "signed")
            self.last = "signed" if signature else "reasoning"
            if text:
                events.append(ReasoningDelta(text))
            return events
        if text:
            self.builder.add_text(text)
            self.last = "text"
            events.append(TextDelta(text))
        if (
            signature
        ):  # on a text (or otherwise empty) part: kept as signature-only reasoning after it
            self.builder.add_reasoning(signature=signature, new_block=True)
            self.last = "signed"
        return events

    def _call_id(self, n: int) -> str:
        rid = re.sub(r"[^A-Za-z0-9_-]", "", self.builder.response_id or "")[:48]
        return f"call_{rid}_{n}" if rid else f"call_{n}"

    def _function_call(self, call: Mapping[str, Any], signature: str | None) -> list[StreamEvent]:
        name = call.get("name")
        name = name if isinstance(name, str) and name else None
        if "partialArgs" in call or call.get("willContinue") is True or self.partial is not None:
            return self._partial_call(call, name, signature)
        if name is None and not call:
            return []  # an empty functionCall outside a partial call carries nothing
        n = self.calls
        self.calls += 1
        args = call.get("args")
        arguments = json.dumps(
            {} if args is None else args, ensure_ascii=False, separators=(",", ":")
        )
        call_id = self._call_id(n)
        self.builder.tool_call(
            n,
            id=call_id,
            name=name,
            arguments=arguments,
            provider_details={"thoughtSignature": signature} if signature else None,
        )
        self.last = "call"
        return [ToolCallDelta(index=n, id=call_id, name=self._canonical(name), arguments=arguments)]

    def _canonical(self, name: str | None) -> str | None:
        """The canonical tool name deltas carry (the final response maps names the same way)."""
        compiled = self.tools.get(name) if name else None
        return compiled.name if compiled is not None else name

    # -------------------------------------------------------------------------------- Vertex partial args

    def _partial_call(
        self, call: Mapping[str, Any], name: str | None, signature: str | None
    ) -> list[StreamEvent]:
        """Vertex ``streamFunctionCallArguments``: a named call opens, ``partialArgs`` fill it, the end closes it.

        The end is an empty ``functionCall`` (or any one without ``willContinue``).
        """
        events: list[StreamEvent] = []
        partial = self.partial
        if partial is None or (name is not None and partial["name"] is not None):
            if partial is not None:
                events.extend(self._close_partial())
            n = self.calls
            self.calls += 1
            partial = {"n": n, "name": name, "args": {}, "open": set()}
            self.partial = partial
            call_id = self._call_id(n)
            self.builder.tool_call(n, id=call_id, name=name)
            self.last = "call"
            events.append(ToolCallDelta(index=n, id=call_id, name=self._canonical(name)))
        elif name is not None:
            partial["name"] = name
            self.builder.tool_call(partial["n"], name=name)
        if signature:
            self.builder.tool_call(partial["n"], provider_details={"thoughtSignature": signature})
        if isinstance(call.get("args"), dict):
            partial["args"].update(call["args"])
        pieces = call.get("partialArgs")
        if isinstance(pieces, list):
            for piece in pieces:
                if isinstance(piece, dict):
                    self._apply_piece(partial, piece)
        if call.get("willContinue") is not True:
            events.extend(self._close_partial())
        return events

    def _apply_piece(self, partial: dict[str, Any], piece: Mapping[str, Any]) -> None:
        path = piece.get("jsonPath")
        keys = _json_path(path) if isinstance(path, str) else None
        if not keys:
            raise self.provider.malformed(
                f"unsupported jsonPath {path!r} in streamed function-call arguments"
            )
        value: Any
        if "stringValue" in piece:
            value = str(piece["stringValue"])
        elif "numberValue" in piece:
            value = piece["numberValue"]
        elif "boolValue" in piece:
            value = piece["boolValue"]
        elif "nullValue" in piece:
            value = None
        else:
            return
        target: Any = partial["args"]
        for key, following in zip(keys, [*keys[1:], None], strict=True):
            empty: Any = [] if isinstance(following, int) else {}
            if following is None:
                break
            if isinstance(target, dict):
                target = target.setdefault(key, empty)
            elif isinstance(target, list) and isinstance(key, int):
                while len(target) <= key:
                    target.append(None)
                if target[key] is None:
                    target[key] = empty
                target = target[key]
        last = keys[-1]
        joined = str(path)
        if isinstance(value, str) and joined in partial["open"]:
            value = _get(target, last, "") + value  # the string continues
        _set(target, last, value)
        if isinstance(value, str) and piece.get("willContinue") is True:
            partial["open"].add(joined)
        else:
            partial["open"].discard(joined)

    def _close_partial(self) -> list[StreamEvent]:
        partial, self.partial = self.partial, None
        if partial is None:
            return []
        arguments = json.dumps(partial["args"], ensure_ascii=False, separators=(",", ":"))
        self.builder.tool_call(partial["n"], arguments=arguments)
        return [ToolCallDelta(index=partial["n"], arguments=arguments)]

    # -------------------------------------------------------------------------------- the response

    def build(self, *, raw: Any, streamed: bool) -> ModelResponse:
        """The final response; a missing candidate (or, streaming, a missing finish reason) is malformed."""
        self._close_partial()
        raw_finish = self.finish_reason
        if raw_finish is None and self.block_reason is not None:
            finish: FinishReason = "content_filter"
            raw_finish = self.block_reason
        elif not self.candidates:
            raise self.provider.malformed(
                _CUT
                if streamed
                else "the answer has no candidates and no promptFeedback.blockReason"
            )
        elif raw_finish is None:
            if streamed:
                raise self.provider.malformed(_CUT)
            finish = "stop"
        else:
            finish = _FINISH.get(raw_finish, "other")
        if finish == "stop" and self.calls:
            finish = "tool_calls"
        self.builder.usage_reported = self.saw_usage
        return self.builder.build(
            finish_reason=finish,
            raw_finish_reason=raw_finish,
            raw=raw,
            name_map=self.tools or None,
        )


def _get(target: Any, key: str | int, default: str) -> str:
    if isinstance(target, dict):
        value = target.get(key)
    elif isinstance(target, list) and isinstance(key, int) and key < len(target):
        value = target[key]
    else:
        value = None
    return value if isinstance(value, str) else default


def _set(target: Any, key: str | int, value: Any) -> None:
    if isinstance(target, dict):
        target[key] = value
    elif isinstance(target, list) and isinstance(key, int):
        while len(target) <= key:
            target.append(None)
        target[key] = value
