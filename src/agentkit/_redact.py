"""Redaction: mask secrets in events once, before any sink sees them (public in `agentkit.observability`)."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

from pydantic import BaseModel, SecretBytes, SecretStr

from agentkit._log import library_logger
from agentkit.events import BaseEvent, SinkFanout
from agentkit.exceptions import UsageError
from agentkit.messages import (
    AudioPart,
    DocumentPart,
    ImagePart,
    MediaPart,
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from agentkit.tools._sensitive import MASK, mask_arguments

if TYPE_CHECKING:
    from agentkit.events import EventSink, Unwritten

__all__ = ("BUILTIN_PATTERNS", "RedactingSink", "Redactor", "SecretRedactor")

_log = library_logger("agentkit.events")

E = TypeVar("E", bound=BaseEvent)
S = TypeVar("S", str, SecretStr, "str | SecretStr")
M = TypeVar("M", bound=BaseModel)

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
    "groq": r"\bgsk_[A-Za-z0-9]{20,}",
    "huggingface": r"\b(?:hf_|api_org_)[A-Za-z0-9]{30,}",
    "cerebras": r"\bcsk-[A-Za-z0-9]{20,}",
    "xai": r"\bxai-[A-Za-z0-9]{20,}",
    "perplexity": r"\bpplx-[A-Za-z0-9]{32,}",
    "replicate": r"\br8_[A-Za-z0-9]{30,}",
    "gitlab": r"\bglpat-[A-Za-z0-9_-]{20,}",
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
    # 13 to 19 digits, in groups split by single spaces or dashes, starting like a card network's numbers (2-6);
    # masked only when the Luhn checksum holds, so an order id or a timestamp stays readable.
    "payment_card": r"(?<![\w.])(?P<card>[2-6](?:[ -]?[0-9]){12,18})(?!\w|\.[0-9])",
}
"""The secret shapes `SecretRedactor` masks by default, by name."""

_SENSITIVE_KEY = re.compile(
    r"(?i)^(?:.*[_-])?(?:api[_-]?key|apikey|password|passwd|secret|client[_-]?secret|token|access[_-]?token"
    r"|refresh[_-]?token|authorization|cookie|credentials?|private[_-]?key)$"
)
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_SKIPPED_FIELDS = frozenset({"type", "schema_version", "seq", "at"})
_MIN_SECRET_LENGTH = 4
# Characters a redacted text is scanned beyond the cut, so a secret straddling the cut is masked, not half-kept.
_CUT_OVERLAP = 4096

MAX_TEXT_CHARS = 1_000_000
"""The longest text `SecretRedactor` keeps by default; the rest is cut, with a notice, before redaction."""

# Values that hold no text: returned as they are, before any other check.
_INERT: frozenset[type] = frozenset({int, float, bool, type(None)})
# Message types whose fields are walked one by one (never dumped to JSON and validated back). Their fields are
# strings, numbers, tuples and frozen parts, except `ToolCallPart.provider_details` (a dict).
_WALKED: frozenset[type] = frozenset(
    {Message, TextPart, ToolCallPart, ToolResultPart, ReasoningPart, RefusalPart}
)
_MEDIA: frozenset[type] = frozenset({MediaPart, ImagePart, AudioPart, DocumentPart})
# A message is remembered by identity only when nothing in it can change: every part a frozen type without a dict.
_FROZEN_PARTS: frozenset[type] = frozenset(
    {TextPart, ToolResultPart, ReasoningPart, RefusalPart, ImagePart, AudioPart, DocumentPart}
)
# Texts longer than this are never remembered (their scan is bounded by ``max_text_chars`` anyway).
_MEMO_MAX_TEXT = 64 * 1024
# At most this many messages are remembered by identity (each entry keeps its message alive).
_MEMO_MAX_MESSAGES = 4096
_KEY_CACHE_SIZE = 4096
_KEY_VERDICTS: dict[str, bool] = {}


def secret_values(values: Iterable[S] | None, *, owner: str) -> list[S]:
    """``values`` as a list, refusing a bare string (which would iterate as single characters).

    Args:
        values: The secrets, as an iterable of strings or ``SecretStr``.
        owner: Who takes them, for the error message (``"SecretRedactor(secrets=...)"``).

    Raises:
        UsageError: ``values`` is a ``str``, ``bytes`` or ``SecretStr`` rather than a collection of them.

    Examples:
        >>> secret_values(["sk-key-1"], owner="f(secrets=...)")
        ['sk-key-1']
        >>> secret_values("sk-key-1", owner="f(secrets=...)")
        Traceback (most recent call last):
        ...
        agentkit.exceptions.UsageError: f(secrets=...) takes a collection of secrets, not one string: wrap it in a list (secrets=[key]); a bare string would register each of its characters
    """
    if values is None:
        return []
    if isinstance(values, str | bytes | SecretStr):
        raise UsageError(
            f"{owner} takes a collection of secrets, not one string: wrap it in a list (secrets=[key]); "
            "a bare string would register each of its characters"
        )
    return list(values)


def _single_branch(source: str) -> bool:
    """Whether a regular expression has no top-level ``|`` (so a prefix before it applies to all of it)."""
    depth, index, in_class = 0, 0, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if source[index + 1 : index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return False
        index += 1
    return True


# The combined form of each pattern source: ``(True, rest)`` when it starts at a word boundary and has a single
# branch (``rest`` without the leading ``\b``), else ``(False, source)``; kept per source, since every run builds
# a redactor from the same built-in patterns.
_ANALYSED: dict[str, tuple[bool, str]] = {}


# The flags a pattern may carry and still join the combined alternation (as a plain int: enum operators are slow).
_NOT_UNICODE = ~int(re.UNICODE)


def _builtin_compiled() -> tuple[re.Pattern[str], ...]:
    """`BUILTIN_PATTERNS` compiled, once per process while they stay the same (every run builds a redactor)."""
    return _compiled_sources(tuple(BUILTIN_PATTERNS.values()))


@functools.lru_cache(maxsize=4)
def _compiled_sources(sources: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in sources)


def _analysed(pattern: str) -> tuple[bool, str]:
    found = _ANALYSED.get(pattern)
    if found is None:
        source = _NAMED_GROUP.sub("(?:", pattern)
        found = (
            (True, source[2:])
            if source.startswith("\\b") and _single_branch(source)
            else (False, source)
        )
        if len(_ANALYSED) >= _KEY_CACHE_SIZE:
            _ANALYSED.clear()
        _ANALYSED[pattern] = found
    return found


def _sensitive_key(key: str) -> bool:
    """Whether a dict key names a secret (``api_key``, ``password``...), remembered per key."""
    verdict = _KEY_VERDICTS.get(key)
    if verdict is None:
        verdict = _SENSITIVE_KEY.match(key) is not None
        if len(_KEY_VERDICTS) >= _KEY_CACHE_SIZE:
            _KEY_VERDICTS.clear()
        _KEY_VERDICTS[key] = verdict
    return verdict


def _frozen_message(message: Message) -> bool:
    """Whether nothing in ``message`` can change (no part holds a dict), so its redaction can be remembered."""
    for part in message.parts:
        kind = type(part)
        if kind is ToolCallPart:
            if cast("ToolCallPart", part).provider_details is not None:
                return False
        elif kind not in _FROZEN_PARTS:
            return False
    return True


def luhn_valid(digits: str) -> bool:
    """Whether a card number (digits, optionally split by spaces or dashes) passes the Luhn checksum.

    Examples:
        >>> luhn_valid("4111 1111 1111 1111"), luhn_valid("4111 1111 1111 1112")
        (True, False)
    """
    total = 0
    for index, char in enumerate(reversed([c for c in digits if c.isdigit()])):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


_SAME: Any = object()
"""Remembered for a text that redaction leaves as it is (the text itself is the answer)."""


class _Memo:
    """What a `SecretRedactor` remembers under one configuration (its patterns and secrets at the time).

    ``key`` is that configuration, exactly (see `SecretRedactor._memo_key`): only a redactor whose settings are
    equal to it may use the memo, so an answer remembered under other secrets or patterns is never served.
    """

    __slots__ = ("chars", "combined", "key", "messages", "secrets", "texts")

    def __init__(
        self, key: tuple[Any, ...], combined: re.Pattern[str] | None, secrets: list[str]
    ) -> None:
        self.key = key
        self.combined = combined
        self.secrets = secrets
        self.texts: dict[str, Any] = {}
        self.messages: dict[int, tuple[Message, Message]] = {}
        self.chars = 0


class _MemoHolder(Protocol):
    """Where redactors that follow one another hand their memory on (a `agentkit.storage.Session`'s runs).

    ``redaction_memo`` holds what the last redactor that used the holder remembered; the next one takes it only
    when its settings are exactly the same, and puts its own there otherwise.
    """

    redaction_memo: object | None


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
    - secret-shaped strings: OpenAI, Anthropic, Groq, Hugging Face, Cerebras, xAI, Perplexity, Replicate,
      Google, AWS, GitHub, GitLab, Slack and Stripe keys, bearer tokens, ``Authorization``-like headers, JWTs,
      private key blocks, ``password=...`` assignments, URL credentials and payment card numbers (13 to 19
      digits that pass the Luhn check; see `BUILTIN_PATTERNS`);
    - your own ``patterns`` and the exact ``secrets`` you register (a provider's API key, a database password).

    Patterns compile once, into one alternation, so an event without secrets costs one regex scan per string and
    is returned as is; a changed event is a copy made with ``model_copy(update=...)``. The work is bounded: a
    text longer than ``max_text_chars`` is cut to that length, with a notice saying how much was dropped, before
    it is scanned (the agent also redacts events carrying long texts in a worker thread, off the event loop).
    Learning secrets (`add_secret`) while another thread redacts is safe.

    With ``cache_chars``, the redactor remembers what it already scanned: each string (by value) and each message
    that nothing can change (by identity), with its redacted form, so content that events carry again (the run
    id, tool names, a message seen twice) costs a lookup, not a scan. What it remembers is forgotten whenever a
    new secret is learned or a tool with sensitive fields added, so a later secret is masked in everything
    redacted after it. The agent's run-local redactor remembers for the length of one run; inside a
    `agentkit.storage.Session`, the next run's redactor takes over the strings remembered when its settings
    (secrets, patterns, mask, limits) are exactly the same, so a later run scans only what is new.

    Args:
        patterns: Extra regular expressions to mask (a named group ``keep`` stays readable).
        secrets: Exact values to mask wherever they appear (at least 4 characters each).
        tools: Tools or contracts whose ``sensitive`` pointers mask ``tool.call.started`` arguments.
        builtin_patterns: Whether to mask the `BUILTIN_PATTERNS` too.
        mask: The replacement text.
        max_text_chars: The longest text kept (``None``: no limit, and no bound on the work).
        cache_chars: Remember scanned strings and their redacted forms, up to this many characters in all (``0``,
            the default: remember nothing); strings over 65,536 characters are never remembered.

    Raises:
        UsageError: A pattern does not compile, a secret is shorter than 4 characters, or ``secrets`` is a
            single string rather than a collection of them.

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

        Remembering what was scanned, until a secret is learned:

        >>> redactor = SecretRedactor(cache_chars=100_000)
        >>> redactor.redact_text("call gw7-Qm4tZr81xKc2L")
        'call gw7-Qm4tZr81xKc2L'
        >>> redactor.add_secret("gw7-Qm4tZr81xKc2L")
        >>> redactor.redact_text("call gw7-Qm4tZr81xKc2L")
        'call ***'
    """

    __slots__ = (
        "_cache_chars",
        "_combined",
        "_compiled",
        "_holder",
        "_mask",
        "_max_chars",
        "_memo",
        "_pointers",
        "_secrets",
    )

    def __init__(
        self,
        *,
        patterns: Iterable[str | re.Pattern[str]] = (),
        secrets: Iterable[str | SecretStr] = (),
        tools: Iterable[Any] = (),
        builtin_patterns: bool = True,
        mask: str = MASK,
        max_text_chars: int | None = MAX_TEXT_CHARS,
        cache_chars: int = 0,
    ) -> None:
        if max_text_chars is not None and max_text_chars < 1:
            raise UsageError(f"max_text_chars must be >= 1 or None, got {max_text_chars!r}")
        if cache_chars < 0:
            raise UsageError(f"cache_chars must be >= 0, got {cache_chars!r}")
        self._mask = mask
        self._cache_chars = cache_chars
        self._memo: _Memo | None = None
        self._holder: _MemoHolder | None = None
        self._max_chars = max_text_chars
        secrets = secret_values(secrets, owner="SecretRedactor(secrets=...)")
        compiled: list[re.Pattern[str]] = [*_builtin_compiled()] if builtin_patterns else []
        for pattern in patterns:
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
        if self._add_secret(value):
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
            self._forget()

    def sensitive_pointers(self, tool_name: str) -> tuple[str, ...]:
        """The sensitive JSON pointers registered for a tool (empty when none)."""
        return self._pointers.get(tool_name, ())

    def _add_secret(self, value: str | SecretStr | None) -> bool:
        """Register ``value``; whether the secrets changed (a value already known changes nothing)."""
        if value is None:
            return False
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if len(text) < _MIN_SECRET_LENGTH:
            raise UsageError(
                f"a registered secret must have at least {_MIN_SECRET_LENGTH} characters "
                f"(got {len(text)}); mask short values with a pattern instead"
            )
        if text not in self._secrets:
            # A new list, never an in-place change: a worker thread may be iterating the old one.
            self._secrets = sorted([*self._secrets, text], key=len, reverse=True)
            return True
        return False

    @property
    def secrets(self) -> tuple[str, ...]:
        """The exact values registered so far (given, or learned with `add_secret`), longest first."""
        return tuple(self._secrets)

    def _memo_key(self) -> tuple[Any, ...]:
        """Everything a remembered answer depends on: secrets (in order), patterns, mask and limits.

        The sensitive pointers are in it too, although texts and messages are redacted without them: a memo is
        never shared between redactors that differ in any setting.
        """
        return (
            tuple(self._secrets),
            tuple((p.pattern, p.flags) for p in self._compiled),
            self._mask,
            self._max_chars,
            self._cache_chars,
            tuple(sorted(self._pointers.items())),
        )

    def _forget(self) -> None:
        """Forget every remembered redaction when the configuration changed, from the next lookup on.

        A configuration equal to the one remembered under (a tool registered again) keeps the memory; with a
        holder (`_share_memo`), a memo the holder keeps under exactly this configuration is taken over, and a new
        one is put there otherwise.
        """
        if not self._cache_chars:
            self._memo = None
            return
        key = self._memo_key()
        memo = self._memo
        if memo is not None and memo.key == key:
            return
        holder = self._holder
        shared = holder.redaction_memo if holder is not None else None
        if type(shared) is _Memo and shared.key == key:
            # Messages are remembered by identity, for the redactor that saw them: only strings come back.
            if shared.messages:
                shared.messages = {}
            self._memo = shared
            return
        memo = _Memo(key, self._combined, self._secrets)
        self._memo = memo
        if holder is not None:
            holder.redaction_memo = memo

    def _share_memo(self, holder: _MemoHolder) -> None:
        """Remember across redactors: take over the memo ``holder`` keeps when it was built under these settings.

        From now on the memo this redactor fills (after each secret it learns, too) is the one ``holder`` keeps,
        so the next redactor with the same secrets, patterns, mask and limits starts from what this one scanned.
        A redactor whose settings differ in anything starts from an empty memo (and replaces the held one). The
        messages remembered by identity are dropped on takeover: they belong to the redactor that saw them, and
        only strings (remembered by value) can come back. Needs ``cache_chars``; without it this does nothing.
        """
        if not self._cache_chars:
            return
        self._holder = holder
        self._memo = None
        self._forget()

    def _build(self) -> None:
        try:
            self._combine()
        finally:
            self._forget()

    def _combine(self) -> None:
        if any(p.flags & _NOT_UNICODE for p in self._compiled):
            # Global flags cannot move into a combined alternation (an error on 3.11+, a warning before):
            # scan pattern by pattern.
            self._combined = None
            return
        parts = [re.escape(s) for s in self._secrets]
        # Patterns that start at a word boundary share one ``\b`` check: the regex engine tries every
        # alternative at every position, so fewer top-level alternatives scan much faster.
        bounded: list[str] = []
        for pattern in self._compiled:
            single, source = _analysed(pattern.pattern)
            (bounded if single else parts).append(source)
        if bounded:
            parts.append("\\b(?:" + "|".join(f"(?:{b})" for b in bounded) + ")")
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
        memo = self._memo
        if memo is None:
            return self._redact_text(text, self._combined, self._secrets)
        found = memo.texts.get(text)
        if found is not None:
            return text if found is _SAME else found
        # The configuration the memo belongs to: another thread may add a secret (and replace the memo) meanwhile.
        redacted = self._redact_text(text, memo.combined, memo.secrets)
        size = len(text)
        if size <= _MEMO_MAX_TEXT and size <= self._cache_chars:
            if memo.chars + size > self._cache_chars:
                memo.texts.clear()
                memo.chars = 0
            memo.texts[text] = _SAME if redacted is text else redacted
            memo.chars += size
        return redacted

    def _redact_text(self, text: str, combined: re.Pattern[str] | None, secrets: list[str]) -> str:
        limit = self._max_chars
        if limit is not None and len(text) > limit:
            # Bounded work: scan a little past the cut, so a secret straddling it is masked whole, then cut.
            head = self._scan(text[: limit + _CUT_OVERLAP], combined, secrets)
            return f"{head[:limit]}\n[agentkit: cut to {limit} of {len(text)} characters before redaction]"
        return self._scan(text, combined, secrets)

    def _scan(self, text: str, combined: re.Pattern[str] | None, secrets: list[str]) -> str:
        if combined is not None:
            if combined.search(text) is None:
                return text
        elif not any(p.search(text) for p in self._compiled) and not any(
            s in text for s in secrets
        ):
            return text
        original = text
        for secret in secrets:
            text = text.replace(secret, self._mask)
        for pattern in self._compiled:
            text = pattern.sub(self._replace, text)
        return original if text == original else text

    def _replace(self, match: re.Match[str]) -> str:
        groups = match.groupdict()
        card = groups.get("card")
        if card is not None and not luhn_valid(card):
            return match.group(0)  # a long number that is not a card number (an order id...)
        keep = groups.get("keep")
        return f"{keep}{self._mask}" if keep else self._mask

    def redact_value(self, value: Any) -> Any:
        """Return ``value`` (a string, a secret, a dict, a list...) with every secret masked.

        An unchanged value is returned as the same object, so callers can tell cheaply that nothing matched.

        Examples:
            >>> from agentkit.observability import SecretRedactor
            >>> SecretRedactor().redact_value({"user": "ann", "api_key": "abc123", "n": [1, "Bearer abcdefghij"]})
            {'user': 'ann', 'api_key': '***', 'n': [1, 'Bearer ***']}
        """
        kind = type(value)
        if kind is str:
            return self.redact_text(value)
        if kind in _INERT:
            return value
        if kind is dict:
            return self._redact_mapping(value)
        if kind is list or kind is tuple:
            return self._redact_items(value)
        if kind is Message:
            return self._redact_message(value)
        if kind in _WALKED:
            return self._redact_fields(value)
        if kind in _MEDIA:
            return self._redact_media(value)
        return self._redact_other(value)

    def _redact_mapping(self, value: Mapping[Any, Any]) -> Any:
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if type(key) is str and _sensitive_key(key) and item is not None:
                new: Any = self._mask
            else:
                new = self.redact_value(item)
            changed = changed or new is not item
            out[key] = new
        return out if changed else value

    def _redact_items(self, value: list[Any] | tuple[Any, ...]) -> Any:
        items = [self.redact_value(v) for v in value]
        if all(map(operator.is_, items, value)):
            return value
        return items if isinstance(value, list) else tuple(items)

    def _redact_message(self, value: Message) -> Message:
        memo = self._memo
        if memo is None:
            return self._redact_fields(value)
        found = memo.messages.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        redacted = self._redact_fields(value)
        if _frozen_message(value):
            if len(memo.messages) >= _MEMO_MAX_MESSAGES:
                memo.messages.clear()
            # The message itself is kept with its id, so the id cannot be reused by another object meanwhile.
            memo.messages[id(value)] = (value, redacted)
        return redacted

    def _redact_fields(self, value: M) -> M:
        """A message or part, field by field (media keep their bytes: only a URL's text is scanned)."""
        update: dict[str, Any] = {}
        for name, item in value.__dict__.items():
            new = self.redact_value(item)
            if new is not item:
                update[name] = tuple(new) if type(item) is tuple else new
        return value.model_copy(update=update) if update else value

    def _redact_media(self, value: MediaPart) -> MediaPart:
        # Binary parts stay intact: no pattern runs over base64. Only a URL's text can hold a secret.
        url = value.url
        if url is None or (masked := self.redact_text(url)) is url:
            return value
        return value.model_copy(update={"url": masked})

    def _redact_other(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, SecretStr | SecretBytes):
            return self._mask
        if isinstance(value, Mapping):
            return self._redact_mapping(value)
        if isinstance(value, list | tuple):
            return self._redact_items(value)
        if isinstance(value, MediaPart):
            return self._redact_media(value)
        if isinstance(value, Message | ToolResultPart):
            # A subclass of a message type: field by field too, so the media inside are never dumped to text.
            return self._redact_fields(value)
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
    redaction work is done once per event, whatever the number of sinks. It fans out the way the agent does:
    a failing best-effort sink is logged on the ``agentkit.events`` logger and the next one still runs, while a
    required sink (``required = True``, such as `agentkit.storage.StoreSink`) keeps the events it refused in a
    backlog, offered again before each later event; the agent sees that backlog (`unwritten`) and fails a run
    that ends with events still unwritten (`agentkit.exceptions.EventsNotStored`).

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

        A required sink that refuses an event gets it again, in order, once it recovers:

        >>> class Store:
        ...     required = True
        ...     def __init__(self): self.seqs, self.down = [], True
        ...     def __call__(self, event):
        ...         if self.down:
        ...             raise OSError("disk full")
        ...         self.seqs.append(event.seq)
        >>> store = Store()
        >>> emitter = EventEmitter(run_id="r", sinks=[RedactingSink(store)])
        >>> _ = emitter.emit(ModelFailed, step=1, error_type="X", error_message="a")
        >>> [len(u.events) for u in emitter.unwritten]
        [1]
        >>> store.down = False
        >>> _ = emitter.emit(ModelFailed, step=2, error_type="X", error_message="b")
        >>> store.seqs, emitter.unwritten
        ([0, 1], ())
    """

    __slots__ = ("_fanout", "redactor", "sinks")

    def __init__(self, *sinks: EventSink, redactor: Redactor | None = None) -> None:
        self.redactor: Redactor = redactor if redactor is not None else SecretRedactor()
        self.sinks: list[EventSink] = list(sinks)
        self._fanout = SinkFanout()

    def __call__(self, event: BaseEvent, /) -> None:
        """Redact ``event`` and feed it to every sink (after a required sink's backlog)."""
        self._fanout.deliver(self.sinks, self.redactor(event))

    def preview(self, event: BaseEvent, /) -> None:
        """Pass a held event's early, content-free copy (see `agentkit.events.EventSink`) to sinks that take one."""
        redacted = self.redactor(event)
        for sink in self.sinks:
            early = getattr(sink, "preview", None)
            if callable(early):
                try:
                    early(redacted)
                except Exception:
                    _log.exception(
                        "event sink %r failed to preview %s #%d",
                        sink,
                        type(event).__name__,
                        event.seq,
                    )

    def unwritten(self) -> tuple[Unwritten, ...]:
        """Events the wrapped required sinks have not taken yet, per sink: empty when all is written."""
        return self._fanout.unwritten(self.sinks)

    def retry_unwritten(self) -> bool:
        """Offer the wrapped required sinks what they refused again; ``True`` when nothing is left unwritten."""
        return self._fanout.retry(self.sinks)

    def __repr__(self) -> str:
        return f"RedactingSink({', '.join(map(repr, self.sinks))}, redactor={self.redactor!r})"
