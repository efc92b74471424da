"""Redaction: mask secrets in events once, before any sink sees them (public in `agentkit.observability`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, SecretBytes, SecretStr

from agentkit.events import BaseEvent
from agentkit.exceptions import UsageError
from agentkit.tools._sensitive import MASK, mask_arguments

if TYPE_CHECKING:
    from agentkit.events import EventSink

__all__ = ("BUILTIN_PATTERNS", "RedactingSink", "Redactor", "SecretRedactor")

_log = logging.getLogger("agentkit.events")

E = TypeVar("E", bound=BaseEvent)

# Each pattern masks its whole match, except a named group ``keep`` (a label such as ``Authorization:``), which
# stays readable. Inline flags are scoped (``(?i:...)``) so the patterns combine into one alternation.
BUILTIN_PATTERNS: Mapping[str, str] = {
    "private_key": (
        r"-----BEGIN[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)"
    ),
    "jwt": r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}",
    "header": (
        r"(?P<keep>(?i:\b(?:proxy-)?authorization|\bx-api-key|\bapi-key|\bx-goog-api-key|\bcookie|\bset-cookie)"
        r"[\"']?\s*[:=]\s*[\"']?)(?:(?i:bearer|basic|token|digest)\s+)?[^\s\"',;]+"
    ),
    "bearer": r"(?P<keep>(?i:\bbearer)\s+)[A-Za-z0-9\-._~+/]{8,}=*",
    "anthropic": r"\bsk-ant-[A-Za-z0-9_-]{16,}",
    "openai": r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}",
    "stripe": r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",
    "google": r"\bAIza[0-9A-Za-z_-]{35}",
    "aws_access_key_id": r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
    "github": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
    "slack": r"\bxox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+",
    "assignment": (
        r"(?P<keep>(?i:\b(?:aws_secret_access_key|aws_session_token|api[_-]?key|apikey|access[_-]?token"
        r"|refresh[_-]?token|client[_-]?secret|secret[_-]?key|secret|password|passwd|pwd|token))"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]{4,}"
    ),
    "url_credentials": r"(?P<keep>://[^/\s:@]{1,100}:)[^/\s@]{1,200}(?=@)",
}
"""The secret shapes `SecretRedactor` masks by default, by name."""

_SENSITIVE_KEY = re.compile(
    r"(?i)^(?:.*[_-])?(?:api[_-]?key|apikey|password|passwd|secret|client[_-]?secret|token|access[_-]?token"
    r"|refresh[_-]?token|authorization|cookie|credentials?|private[_-]?key)$"
)
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_SKIPPED_FIELDS = frozenset({"type", "schema_version", "seq", "at"})
_MIN_SECRET_LENGTH = 4


@runtime_checkable
class Redactor(Protocol):
    """Anything that masks secrets in an event: a callable returning a redacted copy (or the event itself).

    A redactor is a pure function: it never changes the event it receives (events are frozen).

    Examples:
        >>> from agentkit.observability import Redactor, SecretRedactor
        >>> isinstance(SecretRedactor(), Redactor)
        True
    """

    def __call__(self, event: E, /) -> E:
        """Return ``event`` with every secret masked."""
        ...


class SecretRedactor:
    """The default redactor: masks sensitive fields and secret-shaped strings in every field of an event.

    It masks, in every string of every event field (nested dicts and lists included):

    - values of dict keys that name a secret (``api_key``, ``password``, ``authorization``, ``token``...),
      ``SecretStr`` / ``SecretBytes`` values, and tool arguments under the contract's ``sensitive`` pointers of
      the tools given in ``tools``;
    - secret-shaped strings: OpenAI, Anthropic, Google, AWS, GitHub, Slack and Stripe keys, bearer tokens,
      ``Authorization``-like headers, JWTs, private key blocks, ``password=...`` assignments and URL credentials
      (see `BUILTIN_PATTERNS`);
    - your own ``patterns`` and the exact ``secrets`` you register (a provider's API key, a database password).

    Patterns compile once, into one alternation, so an event without secrets costs one regex scan per string and
    is returned as is; a changed event is a copy made with ``model_copy(update=...)``.

    Args:
        patterns: Extra regular expressions to mask (a named group ``keep`` stays readable).
        secrets: Exact values to mask wherever they appear (at least 4 characters each).
        tools: Tools or contracts whose ``sensitive`` pointers mask ``tool.call.started`` arguments.
        builtin_patterns: Whether to mask the `BUILTIN_PATTERNS` too.
        mask: The replacement text.

    Raises:
        UsageError: A pattern does not compile, or a secret is shorter than 4 characters.

    Examples:
        >>> from agentkit.events import EventEmitter, ModelFailed
        >>> from agentkit.observability import SecretRedactor
        >>> redactor = SecretRedactor(secrets=["hunter22"])
        >>> event = EventEmitter(run_id="r").emit(
        ...     ModelFailed, step=1, error_type="AuthenticationFailed",
        ...     error_message="bad key sk-abcdefghijklmnopqrstuvwx, password hunter22")
        >>> redactor(event).error_message
        'bad key ***, password ***'
        >>> redactor.redact_text("Authorization: Bearer abc.def.ghi")
        'Authorization: ***'
        >>> redactor.redact_text("nothing to hide") == "nothing to hide"
        True
    """

    __slots__ = ("_combined", "_compiled", "_mask", "_pointers", "_secrets")

    def __init__(
        self,
        *,
        patterns: Iterable[str | re.Pattern[str]] = (),
        secrets: Iterable[str | SecretStr] = (),
        tools: Iterable[Any] = (),
        builtin_patterns: bool = True,
        mask: str = MASK,
    ) -> None:
        self._mask = mask
        compiled: list[re.Pattern[str]] = []
        sources = [*BUILTIN_PATTERNS.values()] if builtin_patterns else []
        for pattern in [*sources, *patterns]:
            try:
                compiled.append(pattern if isinstance(pattern, re.Pattern) else re.compile(pattern))
            except re.error as exc:  # noqa: PERF203 - only at construction
                raise UsageError(f"redaction pattern {pattern!r} does not compile: {exc}") from exc
        self._compiled: tuple[re.Pattern[str], ...] = tuple(compiled)
        self._secrets: list[str] = []
        self._pointers: dict[str, tuple[str, ...]] = {}
        self._combined: re.Pattern[str] | None = None
        for secret in secrets:
            self._add_secret(secret)
        for item in tools:
            self.add_tool(item)
        self._build()

    # ------------------------------------------------------------------------------------------ configuration

    def add_secret(self, value: str | SecretStr | None) -> None:
        """Mask this exact value wherever it appears from now on (``None`` is ignored).

        Register a provider's key with ``redactor.add_secret(provider.api_key)``.

        Raises:
            UsageError: The value is shorter than 4 characters (masking it would garble every event).

        Examples:
            >>> from agentkit.observability import SecretRedactor
            >>> redactor = SecretRedactor()
            >>> redactor.add_secret("my-db-password")
            >>> redactor.redact_text("connect with my-db-password")
            'connect with ***'
        """
        self._add_secret(value)
        self._build()

    def add_tool(self, tool: Any) -> None:
        """Mask the arguments under the ``sensitive`` pointers of ``tool`` (a tool or a contract).

        Examples:
            >>> from typing import Annotated
            >>> from agentkit import Sensitive, tool
            >>> from agentkit.observability import SecretRedactor
            >>> @tool
            ... def login(user: str, pin: Annotated[str, Sensitive()]) -> str:
            ...     '''Log in.'''
            ...     return "ok"
            >>> redactor = SecretRedactor()
            >>> redactor.add_tool(login)
            >>> redactor.sensitive_pointers("login")
            ('/pin',)
        """
        contract = getattr(tool, "contract", tool)
        name, pointers = getattr(contract, "name", None), getattr(contract, "sensitive", None)
        if not isinstance(name, str) or not isinstance(pointers, tuple):
            raise UsageError(f"add_tool() needs a tool or a ToolContract, got {tool!r}")
        if pointers:
            self._pointers[name] = tuple(sorted({*self._pointers.get(name, ()), *pointers}))

    def sensitive_pointers(self, tool_name: str) -> tuple[str, ...]:
        """The sensitive JSON pointers registered for a tool (empty when none)."""
        return self._pointers.get(tool_name, ())

    def _add_secret(self, value: str | SecretStr | None) -> None:
        if value is None:
            return
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if len(text) < _MIN_SECRET_LENGTH:
            raise UsageError(
                f"a registered secret must have at least {_MIN_SECRET_LENGTH} characters "
                f"(got {len(text)}); mask short values with a pattern instead"
            )
        if text not in self._secrets:
            self._secrets.append(text)
            self._secrets.sort(key=len, reverse=True)

    def _build(self) -> None:
        if any(p.flags & ~re.UNICODE for p in self._compiled):
            # Global flags cannot move into a combined alternation (an error on 3.11+, a warning before):
            # scan pattern by pattern.
            self._combined = None
            return
        parts = [re.escape(s) for s in self._secrets]
        parts.extend(_NAMED_GROUP.sub("(?:", p.pattern) for p in self._compiled)
        try:
            self._combined = re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None
        except (
            re.error
        ):  # a user pattern with global flags or backreferences: scan pattern by pattern
            self._combined = None

    # ------------------------------------------------------------------------------------------ redaction

    def redact_text(self, text: str) -> str:
        """Return ``text`` with every secret masked (the same object when nothing matched).

        Examples:
            >>> from agentkit.observability import SecretRedactor
            >>> SecretRedactor().redact_text("key AKIAABCDEFGHIJKLMNOP leaked")
            'key *** leaked'
        """
        combined = self._combined
        if combined is not None:
            if combined.search(text) is None:
                return text
        elif not any(p.search(text) for p in self._compiled) and not any(
            s in text for s in self._secrets
        ):
            return text
        for secret in self._secrets:
            text = text.replace(secret, self._mask)
        for pattern in self._compiled:
            text = pattern.sub(self._replace, text)
        return text

    def _replace(self, match: re.Match[str]) -> str:
        keep = match.groupdict().get("keep")
        return f"{keep}{self._mask}" if keep else self._mask

    def redact_value(self, value: Any) -> Any:
        """Return ``value`` (a string, a secret, a dict, a list...) with every secret masked.

        An unchanged value is returned as the same object, so callers can tell cheaply that nothing matched.

        Examples:
            >>> from agentkit.observability import SecretRedactor
            >>> SecretRedactor().redact_value({"user": "ann", "api_key": "abc123", "n": [1, "Bearer abcdefghij"]})
            {'user': 'ann', 'api_key': '***', 'n': [1, 'Bearer ***']}
        """
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, SecretStr | SecretBytes):
            return self._mask
        if isinstance(value, Mapping):
            changed = False
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if isinstance(key, str) and _SENSITIVE_KEY.match(key) and item is not None:
                    new: Any = self._mask
                else:
                    new = self.redact_value(item)
                changed = changed or new is not item
                out[key] = new
            return out if changed else value
        if isinstance(value, list | tuple):
            items = [self.redact_value(v) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, BaseModel):
            dumped = value.model_dump(mode="json")
            redacted = self.redact_value(dumped)
            if redacted is dumped:
                return value
            try:
                # Keep the type (a message stays a message), so the event still validates and serializes.
                return type(value).model_validate(redacted)
            except ValueError:
                return redacted
        if isinstance(value, bytes):
            text = value.decode("utf-8", "replace")
            return self._mask if self.redact_text(text) is not text else value
        return value

    def __call__(self, event: E, /) -> E:
        """Return ``event`` with every secret masked: the event itself when nothing matched, else a copy."""
        update: dict[str, Any] = {}
        for name, value in event.__dict__.items():
            if name in _SKIPPED_FIELDS or value is None:
                continue
            if name == "arguments" and isinstance(value, Mapping):
                tool_name = getattr(event, "tool_name", "")
                pointers = self._pointers.get(tool_name, ())
                masked = mask_arguments(value, pointers) if pointers else value
                new = self.redact_value(masked)
                if new is not value and new != value:
                    update[name] = new
                continue
            new = self.redact_value(value)
            if new is not value:
                update[name] = new
        return event.model_copy(update=update) if update else event

    def __repr__(self) -> str:
        return f"SecretRedactor(patterns={len(self._compiled)}, secrets={len(self._secrets)})"


class RedactingSink:
    """Redacts each event once, then hands the redacted copy to every wrapped sink.

    Wrap every sink you give an agent in one `RedactingSink`, so no sink ever sees a secret and the
    redaction work is done once per event, whatever the number of sinks. A failing sink is logged on the
    ``agentkit.events`` logger and the next one still runs.

    Args:
        *sinks: The sinks to feed.
        redactor: The redactor; a default `SecretRedactor` when omitted.

    Examples:
        >>> from agentkit.events import EventEmitter, ModelFailed
        >>> from agentkit.observability import RedactingSink, SecretRedactor
        >>> seen = []
        >>> sink = RedactingSink(seen.append, redactor=SecretRedactor(secrets=["s3cr3t-value"]))
        >>> _ = EventEmitter(run_id="r", sinks=[sink]).emit(
        ...     ModelFailed, step=1, error_type="X", error_message="leaked s3cr3t-value")
        >>> seen[0].error_message
        'leaked ***'
    """

    __slots__ = ("redactor", "sinks")

    def __init__(self, *sinks: EventSink, redactor: Redactor | None = None) -> None:
        self.redactor: Redactor = redactor if redactor is not None else SecretRedactor()
        self.sinks: list[EventSink] = list(sinks)

    def __call__(self, event: BaseEvent, /) -> None:
        """Redact ``event`` and feed it to every sink."""
        redacted = self.redactor(event)
        for sink in self.sinks:
            try:
                sink(redacted)
            except Exception:  # noqa: PERF203 - one sink's failure must not stop the others
                kind = getattr(redacted, "type", type(redacted).__name__)
                _log.exception("event sink %r failed on %s #%d", sink, kind, redacted.seq)

    def __repr__(self) -> str:
        return f"RedactingSink({', '.join(map(repr, self.sinks))}, redactor={self.redactor!r})"
