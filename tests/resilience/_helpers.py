"""Shared helpers for the resilience tests: a scripted streaming provider and a request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import anyio

from agentkit.messages import Message, TextPart, Usage
from agentkit.providers import (
    ModelProfile,
    ModelRequest,
    ModelResponse,
    Provider,
    StreamDone,
    StreamEvent,
    TextDelta,
)

HANG = object()


def request(text: str = "hi") -> ModelRequest:
    return ModelRequest(messages=[Message.user(text)])


class StreamScript(Provider):
    """Streams scripted pieces: strings become text deltas, exceptions are raised, HANG sleeps long."""

    system = "script"
    model: str = "s"
    profile = ModelProfile()

    def __init__(self, scripts: Sequence[Sequence[object]], *, model: str = "s") -> None:
        self.model = model
        self.scripts = [list(s) for s in scripts]
        self.calls = 0
        self.closed = 0

    def secrets(self) -> frozenset[str]:
        return frozenset()

    async def complete(self, request: ModelRequest) -> ModelResponse:
        texts = []
        async for event in self.stream(request):
            if isinstance(event, StreamDone):
                return event.response
            texts.append(event)
        raise AssertionError("no StreamDone")

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        self.calls += 1
        script = self.scripts.pop(0)
        texts: list[str] = []
        try:
            for item in script:
                if isinstance(item, BaseException):
                    raise item
                if item is HANG:
                    await anyio.sleep(30)
                    continue
                assert isinstance(item, str)
                texts.append(item)
                yield TextDelta(item)
            yield StreamDone(
                ModelResponse(
                    parts=(TextPart(text="".join(texts)),) if texts else (),
                    provider=self.system,
                    usage=Usage(input_tokens=3, output_tokens=len(texts)),
                )
            )
        finally:
            self.closed += 1


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


def types(events: Sequence[object]) -> list[str]:
    return [str(e.type) for e in events]  # type: ignore[attr-defined]
