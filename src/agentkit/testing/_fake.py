"""Providers for tests: ``FakeProvider`` answers from a script, ``FunctionProvider`` asks a callback.

Both record every request, speak the whole ``Provider`` interface (``complete`` and ``stream``), and derive the
stream from the same response ``complete`` would return, so code under test sees exactly what a real adapter
would give it, without a network or an API key.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from anyio.lowlevel import checkpoint

from agentkit._redact import secret_values
from agentkit.exceptions import UsageError
from agentkit.messages import (
    Part,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from agentkit.providers._base import (
    ModelProfile,
    ModelRequest,
    ModelResponse,
    Provider,
    ReasoningDelta,
    StreamDone,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ("FakeProvider", "FunctionProvider", "ScriptedResponse")

ScriptedResponse = ModelResponse | str | Sequence[Part] | BaseException
"""One scripted answer: a whole ``ModelResponse``, answer text, a list of parts (tool calls...), or an exception
to raise."""

_Answer = ModelResponse | str | Sequence[Part]
_PART_TYPES = (TextPart, ToolCallPart, ToolResultPart, ReasoningPart, RefusalPart)
_WORDS = re.compile(r"\s*\S+\s*|\s+")
_ARGUMENT_FRAGMENT = 8


class _AnsweringProvider(Provider):
    """What both test providers share: request recording, answer normalisation and the derived stream."""

    def __init__(
        self,
        *,
        model: str,
        profile: ModelProfile | None,
        usage: Usage | None,
        secrets: Iterable[str] = (),
    ) -> None:
        self._model = model
        self._secrets = frozenset(
            secret_values(secrets, owner=f"{type(self).__name__}(secrets=...)")
        )
        self._profile = profile if profile is not None else ModelProfile()
        self.usage = usage if usage is not None else Usage()
        self.requests: list[ModelRequest] = []

    @property
    def model(self) -> str:
        """The model name answers report."""
        return self._model

    @property
    def profile(self) -> ModelProfile:
        """The capability profile code under test sees."""
        return self._profile

    def secrets(self) -> frozenset[str]:
        """The ``secrets`` given (stand-ins for an API key, to test redaction); none by default.

        Examples:
            >>> FakeProvider(secrets=["sk-test-key"]).secrets()
            frozenset({'sk-test-key'})
        """
        return self._secrets

    async def _answer(self, request: ModelRequest) -> _Answer:
        raise NotImplementedError

    async def _respond(self, request: ModelRequest) -> ModelResponse:
        await checkpoint()
        self.requests.append(request)
        answer = await self._answer(request)
        return self._to_response(answer, call=len(self.requests))

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Record the request and return the next answer (or raise the scripted exception)."""
        return await self._respond(request)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Record the request and stream the next answer, ending with ``StreamDone``.

        Nothing is recorded or consumed until iteration starts, as with a real adapter, which sends its request
        on the first iteration. A scripted exception is raised before any event.
        """
        response = await self._respond(request)
        for event in _stream_events(response):
            await checkpoint()
            yield event

    def _to_response(self, answer: object, *, call: int) -> ModelResponse:
        if isinstance(answer, ModelResponse):
            return answer
        if isinstance(answer, str):
            parts: tuple[Part, ...] = (TextPart(text=answer),)
        else:
            parts = _parts(answer, owner=type(self).__name__)
        calls = any(isinstance(p, ToolCallPart) for p in parts)
        return ModelResponse(
            parts=parts,
            finish_reason="tool_calls" if calls else "stop",
            usage=self.usage,
            model=self.model,
            response_id=f"{self.system}-{call}",
            provider=self.system,
        )


def _parts(answer: object, *, owner: str) -> tuple[Part, ...]:
    if isinstance(answer, Sequence) and not isinstance(answer, (str, bytes)):
        bad = [p for p in answer if not isinstance(p, _PART_TYPES)]
        if not bad:
            return tuple(answer)
        what = f"a list holding {type(bad[0]).__name__}"
    else:
        what = type(answer).__name__
    raise UsageError(
        f"{owner} cannot answer with {what}: give a ModelResponse, a str, a list of parts "
        "(ToolCallPart, TextPart...)"
        + (" or an exception to raise" if owner == "FakeProvider" else "")
    )


def _stream_events(response: ModelResponse) -> list[StreamEvent]:
    """The deltas a real stream of ``response`` would carry, ending with ``StreamDone(response)``."""
    events: list[StreamEvent] = []
    index = 0
    for part in response.parts:
        if isinstance(part, TextPart):
            events.extend(TextDelta(piece) for piece in _WORDS.findall(part.text))
        elif isinstance(part, ReasoningPart):
            events.extend(ReasoningDelta(piece) for piece in _WORDS.findall(part.text))
        elif isinstance(part, ToolCallPart):
            events.append(ToolCallDelta(index=index, id=part.id, name=part.name))
            arguments = part.arguments
            events.extend(
                ToolCallDelta(index=index, arguments=arguments[i : i + _ARGUMENT_FRAGMENT])
                for i in range(0, len(arguments), _ARGUMENT_FRAGMENT)
            )
            index += 1
    events.append(StreamDone(response))
    return events


class FakeProvider(_AnsweringProvider):
    """A provider that answers from a script, in order, for both ``complete()`` and ``stream()``.

    Each scripted item is one answer:

    - a `ModelResponse`, returned as is;
    - a ``str``: a text answer (``finish_reason="stop"``);
    - a list of parts, typically `ToolCallPart`s: ``finish_reason="tool_calls"`` when it holds a tool call;
    - an exception instance, raised instead of answering (a `RateLimited` to test retries...).

    ``stream()`` derives its events from the same response ``complete()`` would return: text and reasoning in
    word-sized `TextDelta` / `ReasoningDelta` chunks, each tool call as a `ToolCallDelta` carrying its id and
    name followed by fragments of its argument text, and a final `StreamDone` holding the response. Refusal and
    tool-result parts have no delta; they arrive in the `StreamDone` only.

    Every request is kept in ``requests``. A request past the end of the script fails with ``AssertionError``.

    Args:
        responses: The script.
        model: The model name reported by the provider and its responses.
        profile: The capability profile code under test sees; a default `ModelProfile` when omitted.
        usage: The usage given to answers built from text or parts (a `ModelResponse` keeps its own).
        secrets: Values `secrets()` reports as the provider's credentials (redaction masks them), to test
            redaction without a real key.

    Raises:
        UsageError: A scripted item is none of the above.

    Examples:
        >>> import anyio
        >>> from agentkit.messages import Message, ToolCallPart
        >>> from agentkit.providers import ModelRequest, StreamDone, TextDelta
        >>> provider = FakeProvider([
        ...     [ToolCallPart(id="call_1", name="get_weather", arguments='{"city": "Lisbon"}')],
        ...     "It is sunny in Lisbon.",
        ... ])
        >>> request = ModelRequest(messages=[Message.user("Weather in Lisbon?")])
        >>> first = anyio.run(provider.complete, request)
        >>> first.finish_reason, first.tool_calls[0].name
        ('tool_calls', 'get_weather')
        >>> async def collect():
        ...     return [event async for event in provider.stream(request)]
        >>> events = anyio.run(collect)
        >>> [e.text for e in events if isinstance(e, TextDelta)]
        ['It ', 'is ', 'sunny ', 'in ', 'Lisbon.']
        >>> isinstance(events[-1], StreamDone), events[-1].response.text
        (True, 'It is sunny in Lisbon.')
        >>> len(provider.requests), provider.remaining
        (2, 0)
    """

    system = "fake"

    def __init__(
        self,
        responses: Iterable[ScriptedResponse] = (),
        *,
        model: str = "fake-model",
        profile: ModelProfile | None = None,
        usage: Usage | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        super().__init__(model=model, profile=profile, usage=usage, secrets=secrets)
        self._script: list[ScriptedResponse] = []
        self._scripted = 0
        self.add(*responses)

    @property
    def remaining(self) -> int:
        """How many scripted answers are left.

        Examples:
            >>> FakeProvider(["a", "b"]).remaining
            2
        """
        return len(self._script)

    def add(self, *responses: ScriptedResponse) -> None:
        """Append answers to the end of the script.

        Raises:
            UsageError: An item is not a ``ModelResponse``, a ``str``, a list of parts or an exception.

        Examples:
            >>> provider = FakeProvider()
            >>> provider.add("first", "second")
            >>> provider.remaining
            2
        """
        for item in responses:
            if not isinstance(item, (ModelResponse, str, BaseException)):
                _parts(item, owner="FakeProvider")
            self._script.append(item)
        self._scripted += len(responses)

    async def _answer(self, request: ModelRequest) -> _Answer:
        if not self._script:
            raise AssertionError(
                f"FakeProvider ran out of scripted responses: request #{len(self.requests)} arrived but only "
                f"{self._scripted} were scripted (last message: {_last_message(request)}). Script another "
                "answer in FakeProvider([...]) or with provider.add(...)."
            )
        item = self._script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


class FunctionProvider(_AnsweringProvider):
    """A provider whose answers a callback decides, from the request it receives.

    The callback takes the `ModelRequest` and returns (or, when it is ``async``, awaits to) a `ModelResponse`, a
    ``str`` or a list of parts, which are read as `FakeProvider` reads its script. To fail, the callback raises.
    ``stream()`` derives its events from the same answer, as `FakeProvider` does. Every request is kept in
    ``requests``.

    Args:
        function: ``(request) -> answer``, sync or async.
        model: The model name reported by the provider and its responses.
        profile: The capability profile code under test sees; a default `ModelProfile` when omitted.
        usage: The usage given to answers built from text or parts.
        secrets: Values `secrets()` reports as the provider's credentials (redaction masks them).

    Examples:
        >>> import anyio
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> def echo(request: ModelRequest) -> str:
        ...     return "You said: " + request.messages[-1].text
        >>> provider = FunctionProvider(echo)
        >>> anyio.run(provider.complete, ModelRequest(messages=[Message.user("hi")])).text
        'You said: hi'
        >>> provider.requests[0].messages[-1].text
        'hi'
    """

    system = "function"

    def __init__(
        self,
        function: Callable[
            [ModelRequest],
            ModelResponse | str | Sequence[Part] | Awaitable[ModelResponse | str | Sequence[Part]],
        ],
        *,
        model: str = "function-model",
        profile: ModelProfile | None = None,
        usage: Usage | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        super().__init__(model=model, profile=profile, usage=usage, secrets=secrets)
        self.function = function

    async def _answer(self, request: ModelRequest) -> _Answer:
        outcome = self.function(request)
        if isinstance(outcome, Awaitable):
            return await outcome
        return outcome

    def __repr__(self) -> str:
        name = getattr(self.function, "__qualname__", repr(self.function))
        return f"FunctionProvider({name}, model={self.model!r})"


def _last_message(request: ModelRequest) -> str:
    if not request.messages:
        return "none"
    message = request.messages[-1]
    text = message.text or ", ".join(p.kind for p in message.parts)
    return f"{message.role} {text[:80]!r}"
