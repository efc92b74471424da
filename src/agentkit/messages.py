"""Provider-neutral messages, message parts and token usage.

Every provider adapter translates its wire format to and from these types, so a conversation can move between
providers and be stored, replayed and compared without caring where it came from. All types are frozen pydantic
models and round-trip through JSON.

Examples:
    >>> from agentkit.messages import Message, ToolCallPart, Usage
    >>> history = [
    ...     Message.system("You book flights."),
    ...     Message.user("Fly me to Lisbon"),
    ...     Message(role="assistant", parts=(ToolCallPart(id="call_1", name="search", arguments='{"to":"LIS"}'),)),
    ... ]
    >>> history[2].tool_calls[0].name
    'search'
    >>> Usage(input_tokens=10, output_tokens=2) + Usage(input_tokens=5, cache_read_tokens=3)
    Usage(input_tokens=15, output_tokens=2, cache_read_tokens=3, cache_write_tokens=0, reasoning_tokens=0)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    field_serializer,
    field_validator,
    model_validator,
)

__all__ = (
    "AnyMedia",
    "AudioPart",
    "DocumentPart",
    "ImagePart",
    "MediaKind",
    "MediaPart",
    "Message",
    "Part",
    "ReasoningPart",
    "RefusalPart",
    "Role",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
    "Usage",
)

Role = Literal["system", "user", "assistant", "tool"]
"""Who a message is from. ``tool`` messages carry tool results back to the model."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextPart(_Frozen):
    """Plain text, from any role.

    Examples:
        >>> from agentkit.messages import TextPart
        >>> TextPart(text="hello").kind
        'text'
    """

    kind: Literal["text"] = "text"
    text: str


MediaKind = Literal["image", "audio", "document"]
"""The kinds of media a message or a tool result can carry."""


class MediaPart(_Frozen):
    """Bytes with a media type, or a URL: the base class of `ImagePart`, `AudioPart` and `DocumentPart`.

    Exactly one of ``data`` and ``url`` is set, or neither in a *reference*: a part whose bytes were left out of
    an event because an earlier event of the run holds them (``sha256`` names them; replay puts them back).
    ``sha256`` and ``size`` are computed from ``data``. In JSON, ``data`` is base64; a ``str`` given for ``data``
    is read as base64.
    """

    kind: MediaKind
    data: bytes | None = Field(default=None, repr=False)
    url: str | None = None
    media_type: str | None = None
    """The IANA media type (``image/png``, ``application/pdf``...); required with ``data``."""
    filename: str | None = None
    sha256: str | None = None
    size: NonNegativeInt | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _data_from_base64(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("data given as text must be base64") from None
        return value

    @field_serializer("data", when_used="json")
    def _data_to_base64(self, value: bytes | None) -> str | None:
        return None if value is None else base64.b64encode(value).decode("ascii")

    @model_validator(mode="after")
    def _check(self) -> MediaPart:
        if self.data is not None:
            if self.url is not None:
                raise ValueError("give data or url, not both")
            if not self.media_type:
                raise ValueError("media_type is required with data (for example 'image/png')")
            digest = hashlib.sha256(self.data).hexdigest()
            if self.sha256 is not None and self.sha256 != digest:
                raise ValueError("sha256 does not match data")
            object.__setattr__(self, "sha256", digest)
            object.__setattr__(self, "size", len(self.data))
        elif self.url is None and self.sha256 is None:
            raise ValueError("give data (bytes with a media_type) or a url")
        return self

    @property
    def is_reference(self) -> bool:
        """Whether this part only names its bytes by hash (as stored events do after their first mention)."""
        return self.data is None and self.url is None

    @property
    def base64(self) -> str:
        """The bytes, base64-encoded (a `ValueError` for a URL or a reference)."""
        if self.data is None:
            raise ValueError(
                f"this {self.kind} part has no bytes (url={self.url!r}, sha256={self.sha256!r})"
            )
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        """A ``data:`` URL holding the bytes."""
        return f"data:{self.media_type};base64,{self.base64}"

    def as_reference(self) -> MediaPart:
        """This part without its bytes: kind, media type, ``sha256`` and size only (the URL form is kept)."""
        if self.data is None:
            return self
        return self.model_copy(update={"data": None})

    def with_data(self, data: bytes) -> MediaPart:
        """The reference filled with its bytes again (checked against ``sha256``)."""
        return type(self).model_validate({**self.__dict__, "data": data})


class ImagePart(MediaPart):
    """An image: bytes with a media type, or a URL.

    Examples:
        >>> from agentkit.messages import ImagePart
        >>> png = ImagePart(data=b"PNG...", media_type="image/png")
        >>> png.size, png.sha256[:12], png.data_url[:22]
        (6, '590e3b196fcd', 'data:image/png;base64,')
        >>> ImagePart(url="https://example.com/cat.jpg").kind
        'image'
    """

    kind: Literal["image"] = "image"


class AudioPart(MediaPart):
    """A sound clip: bytes with a media type (``audio/wav``, ``audio/mpeg``...), or a URL.

    Examples:
        >>> from agentkit.messages import AudioPart
        >>> AudioPart(data=b"RIFF", media_type="audio/wav").kind
        'audio'
    """

    kind: Literal["audio"] = "audio"


class DocumentPart(MediaPart):
    """A document (a PDF, plain text...): bytes with a media type, or a URL; ``filename`` names it for the model.

    Examples:
        >>> from agentkit.messages import DocumentPart
        >>> DocumentPart(data=b"%PDF-1.7", media_type="application/pdf", filename="a.pdf").filename
        'a.pdf'
    """

    kind: Literal["document"] = "document"


AnyMedia: TypeAlias = Annotated[ImagePart | AudioPart | DocumentPart, Field(discriminator="kind")]
"""An image, audio or document part, told apart by ``kind`` (for fields; `MediaPart` is their base class)."""


class ToolCallPart(_Frozen):
    """A tool call made by the model.

    ``arguments`` is the raw JSON text the model produced, kept verbatim: it is validated straight from these bytes
    by the tool's fast path, and keeping it raw means nothing is lost when it is malformed.

    Examples:
        >>> from agentkit.messages import ToolCallPart
        >>> ToolCallPart(id="call_1", name="search", arguments='{"q": "x"}').arguments
        '{"q": "x"}'
    """

    kind: Literal["tool-call"] = "tool-call"
    id: str
    name: str
    arguments: str = "{}"
    provider_details: dict[str, Any] | None = None
    """Opaque per-provider state that must travel with the call (a Gemini ``thoughtSignature``, an OpenAI
    Responses item id); adapters of other providers ignore it."""

    @property
    def arguments_are_json(self) -> bool:
        """Whether ``arguments`` parses as a JSON object.

        A model or a cut stream may produce broken JSON; the tool's validation then sends the model a repair hint.
        """
        import json

        try:
            return isinstance(json.loads(self.arguments or "{}"), dict)
        except ValueError:
            return False


class ToolResultPart(_Frozen):
    """The result of one tool call, paired with the call by ``tool_call_id``.

    ``content`` is the text the model receives; ``media`` the images, audio and documents the tool returned
    (a screenshot), sent after the text in the provider's tool-result format.

    Examples:
        >>> from agentkit.messages import ImagePart, ToolResultPart
        >>> ToolResultPart(tool_call_id="call_1", name="search", content="[]").is_error
        False
        >>> shot = ImagePart(data=b"png", media_type="image/png")
        >>> ToolResultPart(tool_call_id="c", name="screenshot", content="", media=(shot,)).media[0].kind
        'image'
    """

    kind: Literal["tool-result"] = "tool-result"
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    media: tuple[AnyMedia, ...] = ()


class ReasoningPart(_Frozen):
    """Model reasoning ("thinking"), with the provider-specific state needed to send it back.

    Attributes:
        text: The reasoning text, possibly a summary or empty when the provider hides it.
        signature: Opaque provider state (Anthropic thinking signature, Gemini thought signature).
        provider: Which provider produced the signature; others must not be sent it.

    Examples:
        >>> from agentkit.messages import ReasoningPart
        >>> ReasoningPart(text="compare fares", signature="abc", provider="anthropic").provider
        'anthropic'
    """

    kind: Literal["reasoning"] = "reasoning"
    text: str = ""
    signature: str | None = None
    provider: str | None = None
    encrypted: str | None = None
    """Encrypted or redacted reasoning the provider wants back verbatim (OpenAI Responses
    ``encrypted_content``, Anthropic ``redacted_thinking`` data)."""
    id: str | None = None
    """The provider's id for the reasoning item, when it has one."""


class RefusalPart(_Frozen):
    """The model refused to answer (OpenAI ``refusal``, Anthropic ``stop_reason: refusal``).

    Examples:
        >>> from agentkit.messages import RefusalPart
        >>> RefusalPart(text="I can't help with that.").kind
        'refusal'
    """

    kind: Literal["refusal"] = "refusal"
    text: str = ""


Part = Annotated[
    TextPart
    | ToolCallPart
    | ToolResultPart
    | ReasoningPart
    | RefusalPart
    | ImagePart
    | AudioPart
    | DocumentPart,
    Field(discriminator="kind"),
]
"""Any message part; the ``kind`` field tells them apart."""


class Message(_Frozen):
    """One message in a conversation.

    Examples:
        >>> from agentkit.messages import Message
        >>> Message.user("hi").text
        'hi'
    """

    role: Role
    parts: tuple[Part, ...]

    @classmethod
    def system(cls, text: str) -> Message:
        """Build a system message holding one text part."""
        return cls(role="system", parts=(TextPart(text=text),))

    @classmethod
    def user(cls, text: str, /, *media: ImagePart | AudioPart | DocumentPart) -> Message:
        """Build a user message holding one text part, followed by any images, audio or documents.

        Examples:
            >>> from agentkit.messages import ImagePart, Message
            >>> photo = ImagePart(url="https://example.com/cat.jpg")
            >>> [p.kind for p in Message.user("What is this?", photo).parts]
            ['text', 'image']
        """
        return cls(role="user", parts=(TextPart(text=text), *media))

    @classmethod
    def assistant(cls, text: str) -> Message:
        """Build an assistant message holding one text part."""
        return cls(role="assistant", parts=(TextPart(text=text),))

    @property
    def text(self) -> str:
        """All text parts joined, in order."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        """The tool calls in this message, in order."""
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))

    @property
    def tool_results(self) -> tuple[ToolResultPart, ...]:
        """The tool results in this message, in order."""
        return tuple(p for p in self.parts if isinstance(p, ToolResultPart))

    @property
    def media(self) -> tuple[ImagePart | AudioPart | DocumentPart, ...]:
        """The images, audio and documents of this message (its tool results' included), in order."""
        found: list[ImagePart | AudioPart | DocumentPart] = []
        for part in self.parts:
            if isinstance(part, ImagePart | AudioPart | DocumentPart):
                found.append(part)
            elif isinstance(part, ToolResultPart):
                found.extend(part.media)
        return tuple(found)


class Usage(_Frozen):
    """Token usage, with the same meaning on every provider.

    ``input_tokens`` counts every prompt token, cached ones included; ``cache_read_tokens`` and
    ``cache_write_tokens`` say how many of those were read from or written to the provider's prompt cache.
    ``output_tokens`` counts every generated token, reasoning included; ``reasoning_tokens`` says how many of
    those were reasoning. So nothing is counted twice and ``total_tokens`` is simply input plus output.

    Examples:
        >>> from agentkit.messages import Usage
        >>> Usage(input_tokens=100, output_tokens=20, reasoning_tokens=5).total_tokens
        120
    """

    input_tokens: NonNegativeInt = 0
    output_tokens: NonNegativeInt = 0
    cache_read_tokens: NonNegativeInt = 0
    cache_write_tokens: NonNegativeInt = 0
    reasoning_tokens: NonNegativeInt = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in type(self).model_fields)
        return f"Usage({fields})"


# ------------------------------------------------------------------------------ media in events, by reference


def detach_media(message: Message, seen: set[str]) -> Message:
    """``message`` with the bytes of every media part whose hash is in ``seen`` left out (a reference).

    The hashes of the parts it keeps whole join ``seen``: a run's events hold each binary once, in the first
    event that mentions it, and name it by ``sha256`` after that. See `attach_media` for the way back.
    """
    if not any(p.data is not None for p in message.media):
        return message

    def detach(part: MediaPart) -> MediaPart:
        if part.data is None:
            return part
        assert part.sha256 is not None  # computed from data
        if part.sha256 in seen:
            return part.as_reference()
        seen.add(part.sha256)
        return part

    parts: list[Any] = []
    for part in message.parts:
        if isinstance(part, MediaPart):
            parts.append(detach(part))
        elif isinstance(part, ToolResultPart) and part.media:
            parts.append(part.model_copy(update={"media": tuple(detach(m) for m in part.media)}))
        else:
            parts.append(part)
    return message.model_copy(update={"parts": tuple(parts)})


def attach_media(message: Message, blobs: dict[str, bytes]) -> Message:
    """``message`` with every reference part filled from ``blobs`` (sha256 -> bytes) where it has them.

    The bytes of the parts that have them join ``blobs``, so attaching a run's messages in event order restores
    every reference to a binary an earlier event held.
    """
    media = message.media
    if not media:
        return message
    for item in media:
        if item.data is not None and item.sha256 is not None:
            blobs.setdefault(item.sha256, item.data)
    if not any(p.is_reference and p.sha256 in blobs for p in media):
        return message

    def attach(part: MediaPart) -> MediaPart:
        if part.is_reference and part.sha256 in blobs:
            return part.with_data(blobs[part.sha256])
        return part

    parts: list[Any] = []
    for part in message.parts:
        if isinstance(part, MediaPart):
            parts.append(attach(part))
        elif isinstance(part, ToolResultPart) and part.media:
            parts.append(part.model_copy(update={"media": tuple(attach(m) for m in part.media)}))
        else:
            parts.append(part)
    return message.model_copy(update={"parts": tuple(parts)})
