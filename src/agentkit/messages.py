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

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

__all__ = (
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

    Examples:
        >>> from agentkit.messages import ToolResultPart
        >>> ToolResultPart(tool_call_id="call_1", name="search", content="[]").is_error
        False
    """

    kind: Literal["tool-result"] = "tool-result"
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False


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
    TextPart | ToolCallPart | ToolResultPart | ReasoningPart | RefusalPart,
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
    def user(cls, text: str) -> Message:
        """Build a user message holding one text part."""
        return cls(role="user", parts=(TextPart(text=text),))

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
