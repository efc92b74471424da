"""The provider interface: requests, responses, stream events, capability profiles and the ``Provider`` ABC."""

from __future__ import annotations

import difflib
import json
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentkit.exceptions import UsageError
from agentkit.messages import (
    Message,
    Part,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    Usage,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence
    from types import TracebackType

    from agentkit.tools._contract import ToolContract

__all__ = (
    "FinishReason",
    "ModelProfile",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "NamedToolChoice",
    "OutputFormat",
    "Provider",
    "ReasoningDelta",
    "ResponseBuilder",
    "StreamDone",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
    "ToolChoice",
    "resolve_tool_choice",
)

FinishReason = Literal[
    "stop", "length", "tool_calls", "content_filter", "refusal", "error", "other"
]
"""Why the model stopped, the same on every provider. ``raw_finish_reason`` keeps the provider's own word."""


@dataclass(frozen=True)
class NamedToolChoice:
    """Force the model to call this one tool.

    Examples:
        >>> NamedToolChoice("get_weather").name
        'get_weather'
    """

    name: str


ToolChoice = Literal["auto", "none", "required"] | NamedToolChoice
"""``"auto"`` (the model decides), ``"none"``, ``"required"`` (some tool), or one named tool."""


@dataclass(frozen=True)
class OutputFormat:
    """Ask for a final answer that matches a JSON Schema (the provider's native structured output).

    Examples:
        >>> OutputFormat(name="answer", schema={"type": "object", "properties": {"x": {"type": "integer"}}}).strict
        True
    """

    name: str
    schema: Mapping[str, Any]
    description: str | None = None
    strict: bool = True


@dataclass(frozen=True)
class ModelSettings:
    """Sampling and request settings; ``None`` leaves the provider's default.

    ``extra_body`` is merged into the request body verbatim (provider-specific options, passed explicitly),
    ``extra_headers`` into the HTTP headers.

    Examples:
        >>> ModelSettings(temperature=0.2, max_tokens=256).max_tokens
        256
    """

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    parallel_tool_calls: bool | None = None
    timeout: float | None = None
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    extra_headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelRequest:
    """One request to a model, in provider-neutral terms.

    Tools are given as contracts: each adapter compiles them to its provider's schema dialect (cached) and maps
    the names and arguments of the calls that come back to canonical ones.

    Examples:
        >>> from agentkit.messages import Message
        >>> request = ModelRequest(messages=[Message.user("hi")], tool_choice="none")
        >>> request.tool_choice
        'none'
    """

    messages: Sequence[Message]
    tools: Sequence[ToolContract] = ()
    tool_choice: ToolChoice = "auto"
    output: OutputFormat | None = None
    settings: ModelSettings = field(default_factory=ModelSettings)


@dataclass(frozen=True)
class ModelProfile:
    """What a model (behind a given API) supports, so adapters never guess from model-name prefixes.

    Every field is read by the adapters (or the runtime); nothing here is decorative.

    Attributes:
        dialect: Schema dialect tools are compiled to (``"openai-strict"``, ``"openai-auto"``, ``"openai"``,
            ``"anthropic"``, ``"anthropic-strict"``, ``"gemini"``...). Whether tools are strict follows from it.
        strict_tools: Deprecated and ignored (the dialect says whether tools are strict); setting it warns.
        parallel_tool_calls: Whether the ``parallel_tool_calls`` setting is accepted.
        tool_choice: The ``tool_choice`` values accepted (``"named"`` for one named tool).
        stream_usage: Whether usage can be requested in streams (``stream_options.include_usage``).
        system_role: How system prompts are sent: ``"system"`` or ``"developer"`` messages, or ``"top-level"``
            (Anthropic ``system``, Gemini ``systemInstruction``, Responses ``instructions``).
        reasoning: Whether the model can reason (thinking). Asking a model without it for thinking
            (Anthropic ``thinking``, Gemini ``thinkingConfig`` in ``extra_body``) is a `UsageError` before sending.
        reasoning_field: The response field that carries reasoning on OpenAI-compatible servers
            (``"reasoning_content"``, ``"reasoning"``).
        reasoning_in_history: Whether reasoning the model produced travels back in later requests: in the
            ``reasoning_field`` of assistant messages (DeepSeek thinking mode with tools), or, on the Responses
            API, as encrypted reasoning items (``store: false``, nothing kept on OpenAI's servers).
        json_schema_output: Whether the API has a native JSON-Schema output mode.
        seed: Whether ``seed`` is accepted.
        max_tokens_field: The request field ``ModelSettings.max_tokens`` goes to on Chat-Completions servers
            (``"max_completion_tokens"`` or ``"max_tokens"``); ``None``: the adapter's default.
        sampling: Which of ``temperature`` and ``top_p`` are accepted: ``True`` both, ``False`` neither (they
            are left out of the request: OpenAI reasoning models reject them), ``"one"`` either but not both
            together (current Claude models): setting both is a `UsageError` before sending.
        media_input: The media kinds (``"image"``, ``"audio"``, ``"document"``) the model takes in user messages.
        media_in_tool_results: The media kinds a tool result may carry to this model (natively, or by the
            adapter's documented workaround). Any other media part is `UnsupportedContent` before sending.

    Examples:
        >>> ModelProfile().tool_choice >= {"auto", "none"}
        True
        >>> ModelProfile(sampling="one").sampling
        'one'
    """

    dialect: str = "openai"
    strict_tools: bool | None = None
    parallel_tool_calls: bool = True
    tool_choice: frozenset[str] = frozenset({"auto", "none", "required", "named"})
    stream_usage: bool = True
    system_role: Literal["system", "developer", "top-level"] = "system"
    reasoning: bool = False
    reasoning_field: str | None = None
    reasoning_in_history: bool = False
    json_schema_output: bool = True
    seed: bool = True
    max_tokens_field: str | None = None
    sampling: bool | Literal["one"] = True
    media_input: frozenset[str] = frozenset({"image", "audio", "document"})
    media_in_tool_results: frozenset[str] = frozenset({"image", "audio", "document"})

    def __post_init__(self) -> None:
        if self.strict_tools is not None:
            warnings.warn(
                "ModelProfile(strict_tools=...) is deprecated and ignored: the dialect says whether tools are "
                "strict (dialect='openai-strict', 'openai-auto', 'anthropic-strict'); it goes away in the "
                "next minor release",
                DeprecationWarning,
                stacklevel=3,
            )
        if self.sampling not in (True, False, "one"):
            raise UsageError(
                f"ModelProfile.sampling must be True, False or 'one', got {self.sampling!r}"
            )

    def sampling_settings(self, settings: ModelSettings, *, where: str) -> dict[str, float]:
        """The ``temperature`` / ``top_p`` values to send, by this profile's sampling rule.

        Raises:
            UsageError: Both are set and the model accepts only one of them (``sampling="one"``).

        Examples:
            >>> ModelProfile(sampling=False).sampling_settings(ModelSettings(temperature=0.2), where="m")
            {}
            >>> ModelProfile(sampling="one").sampling_settings(ModelSettings(temperature=0.2, top_p=0.9), where="m")
            Traceback (most recent call last):
            agentkit.exceptions.UsageError: m accepts temperature or top_p, not both: set only one of them
        """
        if self.sampling is False:
            return {}
        values = {
            name: value
            for name, value in (("temperature", settings.temperature), ("top_p", settings.top_p))
            if value is not None
        }
        if self.sampling == "one" and len(values) > 1:
            raise UsageError(
                f"{where} accepts temperature or top_p, not both: set only one of them"
            )
        return values


class ModelResponse(BaseModel):
    """A model's answer, normalised: parts, finish reason, usage, and the raw payload for debugging.

    ``raw`` is kept for debugging only: it is excluded from serialization, ``repr`` and events.
    ``usage_reported`` is ``False`` when the server sent no usage at all (a stream without a usage chunk, a
    body without ``usage``): ``usage`` is then all zeros but means *unknown*, not *free*.

    Examples:
        >>> from agentkit.messages import TextPart, Usage
        >>> response = ModelResponse(parts=(TextPart(text="Hi!"),), finish_reason="stop", provider="openai",
        ...                          usage=Usage(input_tokens=3, output_tokens=2))
        >>> response.text, response.message.role
        ('Hi!', 'assistant')
    """

    model_config = ConfigDict(frozen=True)

    parts: tuple[Part, ...] = ()
    finish_reason: FinishReason = "stop"
    raw_finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    usage_reported: bool = True
    model: str | None = None
    response_id: str | None = None
    provider: str
    raw: Any = Field(default=None, exclude=True, repr=False)

    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        """The tool calls, in order."""
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))

    @property
    def message(self) -> Message:
        """The answer as an assistant message, ready to append to the conversation."""
        return Message(role="assistant", parts=self.parts)


# --------------------------------------------------------------------------------------------- streaming


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of answer text.

    Examples:
        >>> TextDelta("Hel").text
        'Hel'
    """

    text: str
    kind: ClassVar[str] = "text-delta"


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of reasoning ("thinking") text.

    Examples:
        >>> ReasoningDelta("compare").text
        'compare'
    """

    text: str
    kind: ClassVar[str] = "reasoning-delta"


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call.

    ``index`` says which call (in order of appearance), ``arguments`` is the new piece of the raw argument text;
    ``id`` and ``name`` are set on the fragment that first carries them.

    Examples:
        >>> ToolCallDelta(index=0, id="call_1", name="search", arguments='{"q"').index
        0
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    kind: ClassVar[str] = "tool-call-delta"


@dataclass(frozen=True, slots=True)
class StreamDone:
    """The last event of every stream: the complete response, as ``complete()`` would have returned it.

    Examples:
        >>> StreamDone(ModelResponse(provider="openai")).response.provider
        'openai'
    """

    response: ModelResponse
    kind: ClassVar[str] = "done"


StreamEvent = TextDelta | ReasoningDelta | ToolCallDelta | StreamDone
"""Everything a stream yields; it always ends with exactly one ``StreamDone``."""


class ResponseBuilder:
    """Assembles a ``ModelResponse`` from pieces, in order: adapters feed it whole parts or stream fragments.

    Text and reasoning fragments that follow each other merge into one part; tool calls are keyed (by whatever
    the adapter uses: an id, an index, a block number) so fragments of parallel calls interleave safely.

    Examples:
        >>> b = ResponseBuilder(provider="openai")
        >>> b.add_text("Hel"); b.add_text("lo")
        >>> b.tool_call("k0", id="call_1", name="search"); b.tool_arguments("k0", '{"q":'); b.tool_arguments("k0", '"x"}')
        >>> r = b.build(finish_reason="tool_calls")
        >>> r.text, r.tool_calls[0].arguments
        ('Hello', '{"q":"x"}')
    """

    def __init__(self, *, provider: str) -> None:
        self.provider = provider
        self._items: list[Any] = []  # [kind, payload] in order of appearance
        self._calls: dict[Any, dict[str, Any]] = {}
        self.usage = Usage()
        self.usage_reported = True
        self.model: str | None = None
        self.response_id: str | None = None

    def add_text(self, text: str) -> None:
        """Append answer text."""
        if not text:
            return
        if self._items and self._items[-1][0] == "text":
            self._items[-1][1].append(text)
        else:
            self._items.append(["text", [text]])

    def add_refusal(self, text: str) -> None:
        """Append refusal text."""
        if self._items and self._items[-1][0] == "refusal":
            self._items[-1][1].append(text)
        else:
            self._items.append(["refusal", [text]])

    def add_reasoning(
        self,
        text: str = "",
        *,
        signature: str | None = None,
        encrypted: str | None = None,
        id: str | None = None,
        new_block: bool = False,
    ) -> None:
        """Append reasoning text (and provider state); consecutive reasoning merges unless ``new_block``."""
        if not new_block and self._items and self._items[-1][0] == "reasoning":
            block = self._items[-1][1]
        else:
            block = {"text": [], "signature": None, "encrypted": None, "id": None}
            self._items.append(["reasoning", block])
        if text:
            block["text"].append(text)
        if signature is not None:
            block["signature"] = (block["signature"] or "") + signature
        if encrypted is not None:
            block["encrypted"] = encrypted
        if id is not None:
            block["id"] = id

    def has_call(self, key: Any) -> bool:
        """Whether a tool call with this key was started."""
        return key in self._calls

    def tool_call(
        self,
        key: Any,
        *,
        id: str | None = None,
        name: str | None = None,
        arguments: str | None = None,
        provider_details: Mapping[str, Any] | None = None,
    ) -> None:
        """Start a tool call (or update its id / name / details); ``arguments`` replaces any so far."""
        call = self._calls.get(key)
        if call is None:
            call = {"id": None, "name": None, "args": [], "details": None}
            self._calls[key] = call
            self._items.append(["call", call])
        if id:
            call["id"] = id
        if name:
            call["name"] = name
        if arguments is not None:
            call["args"] = [arguments]
        if provider_details:
            call["details"] = {**(call["details"] or {}), **provider_details}

    def tool_arguments(self, key: Any, fragment: str) -> None:
        """Append a fragment of a tool call's raw argument text."""
        if key not in self._calls:
            self.tool_call(key)
        if fragment:
            self._calls[key]["args"].append(fragment)

    def build(
        self,
        *,
        finish_reason: FinishReason,
        raw_finish_reason: str | None = None,
        raw: Any = None,
        name_map: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        """The response.

        ``name_map`` maps wire names to objects with ``name`` and ``decode`` (compiled tools), so tool calls come
        back under their canonical names with canonical arguments.
        """
        parts: list[Part] = []
        for kind, payload in self._items:
            if kind == "text":
                parts.append(TextPart(text="".join(payload)))
            elif kind == "refusal":
                parts.append(RefusalPart(text="".join(payload)))
            elif kind == "reasoning":
                parts.append(
                    ReasoningPart(
                        text="".join(payload["text"]),
                        signature=payload["signature"],
                        encrypted=payload["encrypted"],
                        id=payload["id"],
                        provider=self.provider,
                    )
                )
            else:
                parts.append(self._call_part(payload, len(parts), name_map))
        return ModelResponse(
            parts=tuple(parts),
            finish_reason=finish_reason,
            raw_finish_reason=raw_finish_reason,
            usage=self.usage,
            usage_reported=self.usage_reported,
            model=self.model,
            response_id=self.response_id,
            provider=self.provider,
            raw=raw,
        )

    def _call_part(
        self, call: dict[str, Any], position: int, name_map: Mapping[str, Any] | None
    ) -> ToolCallPart:
        name = call["name"] or ""
        arguments = "".join(call["args"]).strip() or "{}"
        compiled = name_map.get(name) if name_map else None
        if compiled is not None:
            name = compiled.name
            arguments = decode_arguments(compiled, arguments)
        return ToolCallPart(
            id=call["id"] or f"call_{position}",
            name=name,
            arguments=arguments,
            provider_details=call["details"],
        )


def decode_arguments(compiled: Any, arguments: str) -> str:
    """Map raw dialect arguments to canonical JSON text; broken JSON is kept verbatim for the repair loop."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    if value is None:
        value = {}
    if not isinstance(value, dict):
        return arguments
    try:
        decoded = compiled.decode(value)
    except Exception:  # a shape the dialect cannot map: let validation explain it to the model
        return arguments
    return json.dumps(decoded, ensure_ascii=False, separators=(",", ":"))


def resolve_tool_choice(
    provider: Provider, request: ModelRequest, by_name: Mapping[str, Any]
) -> Literal["auto", "none", "required"] | Any | None:
    """Check ``request.tool_choice`` against the provider's profile and the request's tools.

    Adapters call this, then write the answer in their wire format.

    Returns:
        ``None`` when nothing needs sending (no tools and ``auto``/``none``, or ``auto`` on a server that does not
        take the field), the choice itself for ``auto``/``none``/``required``, or the compiled tool (from
        ``by_name``) a `NamedToolChoice` names.

    Raises:
        UsageError: The choice needs tools the request does not have, names a tool it does not carry (with a
            "did you mean"), or is not supported by this provider.

    Examples:
        >>> from agentkit.messages import Message
        >>> from agentkit.testing import FakeProvider
        >>> resolve_tool_choice(FakeProvider(), ModelRequest(messages=[Message.user("hi")]), {}) is None
        True
    """
    choice = request.tool_choice
    allowed = provider.profile.tool_choice
    where = f"{provider.system} ({provider.model})"
    if not request.tools:
        if choice in ("auto", "none"):
            return None
        raise UsageError(
            f"tool_choice={choice!r} needs tools, but the request has none; add the tools or use 'auto'"
        )
    if isinstance(choice, NamedToolChoice):
        if "named" not in allowed:
            raise UsageError(
                f"{where} cannot be forced to call one named tool (supported tool_choice values: "
                f"{', '.join(sorted(allowed))}); use 'required' with only that tool, or 'auto'"
            )
        tool = by_name.get(choice.name)
        if tool is None:
            close = difflib.get_close_matches(choice.name, list(by_name), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"tool_choice names {choice.name!r}, which is not among the request's tools{hint}"
            )
        return tool
    if choice not in allowed:
        if choice == "auto":
            return None  # the server's default; it just does not take the field
        raise UsageError(
            f"{where} does not support tool_choice={choice!r} (supported: {', '.join(sorted(allowed))}); "
            "pick a supported value or another server"
        )
    return choice


# --------------------------------------------------------------------------------------------- the ABC


class Provider(ABC):
    """A model API behind one small interface. Adapters subclass it; users call it.

    ``complete`` returns the whole answer; ``stream`` yields deltas and ends with one ``StreamDone`` holding the
    same response ``complete`` would have returned. Errors are raised from the ``ProviderError`` tree, already
    translated at the boundary; adapters never retry (that is ``agentkit.resilience``'s job).

    Every provider also says who it is and what must never be logged, so that redaction and telemetry see the
    real provider through any stack of wrappers (`RetryPolicy`, `Fallback`, `CachingProvider`...), which forward
    all four:

    - ``system``: the provider's short name (``"openai"``, ``"anthropic"``, ``"gemini"``, an OpenAI-compatible
      server's name such as ``"groq"``). It names the provider in errors, responses and events; telemetry
      reports it as OpenTelemetry's ``gen_ai.provider.name`` (``"gemini"`` becomes ``"gcp.gemini"``).
    - ``model``: the model every request goes to.
    - ``profile``: what that model supports (`ModelProfile`).
    - ``secrets()``: the values redaction must mask wherever they appear (API keys, tokens in auth headers);
      empty when there are none. An `Agent` masks them in every event, whatever redactor it was given.

    A class attribute satisfies each of ``system``, ``model`` and ``profile`` (``system = "myapi"``), as does a
    property; a value set per instance needs a class-level default (``model: str = ""``) or a property.

    Examples:
        >>> from agentkit.providers import Provider
        >>> sorted(Provider.__abstractmethods__)
        ['complete', 'model', 'profile', 'secrets', 'stream', 'system']
        >>> class Echo(Provider):
        ...     system = "echo"
        ...     model = "echo-1"
        ...     profile = ModelProfile()
        ...     def secrets(self):
        ...         return frozenset()
        ...     async def complete(self, request):
        ...         return ModelResponse(parts=(TextPart(text=request.messages[-1].text),), provider=self.system)
        ...     async def stream(self, request):
        ...         yield StreamDone(await self.complete(request))
        >>> Echo()
        Echo(model='echo-1')
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Provider:
        missing: frozenset[str] = getattr(cls, "__abstractmethods__", frozenset())
        if missing:
            raise TypeError(_missing_members_message(cls, missing))
        return super().__new__(cls)

    @property
    @abstractmethod
    def system(self) -> str:
        """The provider's short name (``"openai"``, ``"anthropic"``, ``"gemini"``...), for errors and telemetry."""

    @property
    @abstractmethod
    def model(self) -> str:
        """The model requests go to (``"gpt-4.1"``)."""

    @property
    @abstractmethod
    def profile(self) -> ModelProfile:
        """What the model supports: strict schemas, parallel calls, streamed usage..."""

    @abstractmethod
    def secrets(self) -> frozenset[str]:
        """The values redaction must mask wherever they appear (API keys, auth tokens); never log them.

        Wrappers return their wrapped providers' secrets; a provider without credentials returns ``frozenset()``.
        """

    @abstractmethod
    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send the request and return the whole answer."""

    @abstractmethod
    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Send the request and yield the answer as it arrives, ending with ``StreamDone``."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook: providers without resources keep this no-op
        """Release network resources (the HTTP client, when the provider created it)."""

    async def __aenter__(self) -> Provider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"


_MEMBER_HINTS = {
    "system": 'system = "myapi"  (the provider\'s short name, reported to telemetry)',
    "model": 'model: str = ""  (a class-level default, then self.model = ... in __init__; or a property)',
    "profile": "profile = ModelProfile()  (what the model supports; or a property)",
    "secrets": "def secrets(self) -> frozenset[str]: return frozenset({self._api_key})  "
    "(the values redaction must mask; frozenset() when there are none)",
    "complete": "async def complete(self, request: ModelRequest) -> ModelResponse: ...",
    "stream": "async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]: ...",
}


def _missing_members_message(cls: type, missing: frozenset[str] | set[str]) -> str:
    names = sorted(missing)
    lines = [
        f"cannot instantiate {cls.__name__}: it does not define the Provider member(s) "
        f"{', '.join(repr(n) for n in names)}; add to the class body:"
    ]
    lines.extend(f"    {_MEMBER_HINTS.get(name, name)}" for name in names)
    if missing & {"system", "model", "profile", "secrets"}:
        lines.append(
            "(system, model, profile and secrets() are required since agentkit 0.1: wrappers, redaction and "
            "telemetry read them)"
        )
    return "\n".join(lines)
