"""What a run knows to be secret: the run's redactor, the values a session remembers, and held event delivery."""

from __future__ import annotations

import contextlib
import json
import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from agentkit._log import library_logger
from agentkit.events import SinkFanout
from agentkit.tools._sensitive import MASK

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from agentkit._redact import SecretRedactor
    from agentkit.events import BaseEvent, EventEmitter, EventSink, Unwritten

__all__ = ("HeldSinks", "RunRedactor", "SecretMemory", "remembering", "without_content")

_log = library_logger("agentkit.events")

# The fields that hold message or tool content (kept in step with agentkit.observability._content.CONTENT_FIELDS,
# which the layer above owns; a test checks they agree).
_CONTENT_FIELDS = ("new_messages", "message", "arguments", "content", "output", "issues")


def without_content(event: BaseEvent) -> BaseEvent | None:
    """``event`` with its content fields reset to their defaults; ``None`` when one of them has no default."""
    fields = type(event).model_fields
    update: dict[str, Any] = {}
    for name in _CONTENT_FIELDS:
        info = fields.get(name)
        if info is None or getattr(event, name) is None:
            continue
        if info.is_required():
            return None
        update[name] = info.get_default(call_default_factory=True)
    return event.model_copy(update=update) if update else event


OFFLOAD_CHARS = 64 * 1024
"""Events carrying more text than this are redacted in a worker thread (as tool outputs are, in tools._base)."""

RUN_CACHE_CHARS = 1_000_000
"""How many characters of scanned text a run's redactor remembers (`SecretRedactor`'s ``cache_chars``)."""


def carries_long_text(value: Any, limit: int = OFFLOAD_CHARS) -> bool:
    """Whether the strings in ``value`` (an event, messages, fields...) add up to more than ``limit`` characters.

    Only lengths are summed (media bytes are skipped: redaction never scans them), so this is cheap next to a
    redaction of the same value.
    """
    budget = limit
    stack: list[Any] = [value]
    kinds = _KINDS
    while stack:
        item = stack.pop()
        how = kinds.get(type(item))
        if how is None:
            how = _classify(type(item))
        if how is _TEXT:
            budget -= len(item)
            if budget < 0:
                return True
        elif how is _MAPPING:
            stack.extend(item.values())
        elif how is _ITEMS:
            stack.extend(item)
        elif how is _MODEL:
            stack.extend(item.__dict__.values())
    return False


# How `carries_long_text` reads a value, by its type (worked out once per type).
_SKIP, _TEXT, _MAPPING, _ITEMS, _MODEL = "skip", "text", "mapping", "items", "model"
_KINDS: dict[type, str] = {
    str: _TEXT,
    dict: _MAPPING,
    list: _ITEMS,
    tuple: _ITEMS,
    int: _SKIP,
    float: _SKIP,
    bool: _SKIP,
    type(None): _SKIP,
}


def _classify(kind: type) -> str:
    from pydantic import BaseModel

    from agentkit.messages import MediaPart

    if issubclass(kind, str):
        how = _TEXT
    elif issubclass(kind, MediaPart):
        how = _SKIP  # bytes, never scanned
    elif issubclass(kind, BaseModel):
        how = _MODEL
    elif issubclass(kind, dict):
        how = _MAPPING
    elif issubclass(kind, list | tuple):
        how = _ITEMS
    else:
        how = _SKIP
    if len(_KINDS) < 1024:  # types made on the fly are classified again rather than kept forever
        _KINDS[kind] = how
    return how


# Shorter values would mask unrelated text everywhere (and SecretRedactor refuses them).
MIN_SECRET_LENGTH = 4


class SecretMemory:
    """Values a conversation learned are secret (sensitive arguments, provider keys), kept in memory only.

    A `agentkit.storage.Session` holds one, so what one run learned is masked in its later runs. The values
    are never written anywhere: a session reopened in another process starts with an empty memory.

    It also keeps what the latest run's redactor remembered scanning (``redaction_memo``: strings and their
    redacted forms, at most `RUN_CACHE_CHARS` characters), so the next run, whose first request carries the
    whole history again, scans only what is new. A run whose redactor has other settings (a secret learned
    since, other provider keys, a redactor of the user's own) starts over: see `SecretRedactor`.
    """

    __slots__ = ("_lock", "_values", "redaction_memo")

    def __init__(self) -> None:
        self._values: list[str] = []
        self._lock = threading.Lock()
        self.redaction_memo: object | None = None

    def add(self, value: str) -> None:
        """Remember ``value`` (ignored when shorter than 4 characters)."""
        if len(value) >= MIN_SECRET_LENGTH:
            with self._lock:
                if value not in self._values:
                    self._values = [*self._values, value]

    @property
    def values(self) -> tuple[str, ...]:
        """Everything remembered so far."""
        return tuple(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        # Never the values themselves.
        return f"SecretMemory({len(self._values)} values)"


_MEMORY: ContextVar[SecretMemory | None] = ContextVar("agentkit_secret_memory", default=None)


@contextlib.contextmanager
def remembering(memory: SecretMemory) -> Iterator[None]:
    """Runs started inside the block mask what ``memory`` holds, and add what they learn to it."""
    token = _MEMORY.set(memory)
    try:
        yield
    finally:
        _MEMORY.reset(token)


def json_forms(value: str) -> list[str]:
    """``value``, and its JSON-escaped form when it differs (how it appears inside raw tool arguments)."""
    escaped = json.dumps(value)[1:-1]
    ascii_free = json.dumps(value, ensure_ascii=False)[1:-1]
    return list(
        dict.fromkeys(v for v in (value, ascii_free, escaped) if len(v) >= MIN_SECRET_LENGTH)
    )


class RunRedactor:
    """The redactor of one run: a run-local `SecretRedactor`, then the user's redactor if one was given.

    The run-local part starts with the ``secrets()`` of the provider stack and of the agent's tools and
    toolsets, and what the session remembers, and learns sensitive argument values as the run meets them
    (`add_secret`); so a redactor the user passed, possibly shared by several agents, is never changed.
    ``credentials`` are the provider's and tools' secrets alone: `mask_credentials` keeps them out of what the
    model is sent back (a tool result echoing a token).
    """

    __slots__ = ("credentials", "memory", "own", "user")

    def __init__(
        self,
        own: SecretRedactor,
        user: Callable[[BaseEvent], BaseEvent] | None = None,
        memory: SecretMemory | None = None,
        credentials: Iterable[str] = (),
    ) -> None:
        self.own = own
        self.user = user
        self.memory = memory
        # Longest first, so a secret containing another is masked whole; with their JSON-escaped forms.
        forms = {form for value in credentials for form in json_forms(value)}
        self.credentials: tuple[str, ...] = tuple(sorted(forms, key=lambda v: (-len(v), v)))

    @classmethod
    def for_run(
        cls, secrets: Iterable[str], user: Callable[[BaseEvent], BaseEvent] | None
    ) -> RunRedactor:
        """The redactor for a run starting now (reading the session's memory, when there is one)."""
        from agentkit._redact import SecretRedactor

        memory = _MEMORY.get()
        known = [s for s in secrets if len(s) >= MIN_SECRET_LENGTH]
        credentials = tuple(known)
        if memory is not None:
            for value in known:
                memory.add(value)
            known.extend(memory.values)
        # It lives as long as the run: it remembers what it scanned, so content events carry again costs a lookup.
        own = SecretRedactor(
            secrets=sorted(set(known)), builtin_patterns=user is None, cache_chars=RUN_CACHE_CHARS
        )
        if memory is not None:
            # A session's runs hand on what they scanned (the history the next run's first request carries).
            own._share_memo(memory)
        return cls(own, user, memory, credentials)

    def mask_credentials(self, text: str) -> str:
        """``text`` with the provider's and tools' secrets masked (what a tool result sends back to the model)."""
        for value in self.credentials:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def add_secret(self, value: str) -> None:
        """Mask ``value`` (and its JSON-escaped forms) for the rest of the run, and in the session's later runs."""
        for form in json_forms(value):
            self.own.add_secret(form)
            if self.memory is not None:
                self.memory.add(form)

    def __call__(self, event: BaseEvent, /) -> BaseEvent:
        redacted = self.own(event)
        if self.user is not None:
            redacted = self.user(redacted)
        return _counted_as_held(event, redacted)

    def __repr__(self) -> str:
        return f"RunRedactor({self.own!r}, user={self.user!r})"


def _counted_as_held(event: BaseEvent, redacted: BaseEvent) -> BaseEvent:
    """``redacted``, with ``output_chars`` counting its ``content`` as held when redaction changed that content.

    A tool's output with a secret in it is stored masked; its count is of the masked text, so the count reveals
    nothing of the secret (not even its length) and a replay, whose stand-in returns the stored text, counts the
    same. (``model.responded.text_chars`` counts the answer the same way.)
    """
    if redacted is event:
        return redacted
    content = getattr(redacted, "content", None)
    count = getattr(redacted, "output_chars", None)
    if (
        isinstance(content, str)
        and isinstance(count, int)
        and content != getattr(event, "content", None)
        and count != len(content)
    ):
        return redacted.model_copy(update={"output_chars": len(content)})
    return redacted


class HeldSinks:
    """The run's sinks, with delivery held back while the run may still learn a secret the held events carry.

    While a model call is in flight, a value the user typed can turn out to be sensitive (the answer calls a
    tool with it as a ``Sensitive()`` argument). Events emitted meanwhile (``model.requested`` holds the user's
    message) wait; once the answer's sensitive values are learned, they are redacted again and delivered in
    order, and the emitter's own record of them is updated. No sink or store ever sees the value.
    """

    __slots__ = ("_fanout", "_held", "_holding", "emitter", "sinks")

    def __init__(self, sinks: Sequence[EventSink]) -> None:
        self.sinks = list(sinks)
        self.emitter: EventEmitter | None = None
        self._held: list[BaseEvent] = []
        self._holding = False
        # Required sinks (stores) keep what they refused in a backlog, retried before each later event.
        self._fanout = SinkFanout()

    def hold(self) -> None:
        """Hold events back until `release`."""
        self._holding = True

    def release(self) -> None:
        """Redact the held events again (with what the run knows now) and deliver them, in order."""
        self._holding = False
        held, self._held = self._held, []
        redactor = self.emitter.redactor if self.emitter is not None else None
        self._deliver_held(held, [redactor(e) for e in held] if redactor is not None else held)

    async def release_offloaded(self) -> None:
        """`release`, with the redaction in a worker thread when the held events carry a long text.

        The redaction finishes (and the events are delivered) even when the caller is cancelled meanwhile.
        """
        redactor = self.emitter.redactor if self.emitter is not None else None
        if redactor is None or not carries_long_text(self._held):
            self.release()
            return
        import anyio
        import anyio.to_thread

        # Still holding while the worker redacts: an event emitted meanwhile waits behind these, in order.
        held, self._held = self._held, []
        with anyio.CancelScope(shield=True):
            finals = await anyio.to_thread.run_sync(lambda: [redactor(e) for e in held])
        self._deliver_held(held, finals)
        self.release()

    def _deliver_held(self, held: list[BaseEvent], finals: list[BaseEvent]) -> None:
        emitter = self.emitter
        for event, final in zip(held, finals, strict=True):
            if final is not event and emitter is not None:
                recorded: list[Any] = emitter._events
                for index in range(len(recorded) - 1, -1, -1):
                    if recorded[index] is event:
                        recorded[index] = final
                        break
            self._deliver(final)

    def __call__(self, event: BaseEvent, /) -> None:
        if self._holding:
            self._held.append(event)
            self._preview(event)
        else:
            self._deliver(event)

    def _preview(self, event: BaseEvent) -> None:
        """Hand sinks with a ``preview`` method a content-free copy of a held event, now, in the emitting task.

        The OpenTelemetry sink opens the ``chat`` span from ``model.requested``'s preview, so the spans of the
        provider's HTTP request nest under it although the event itself is delivered after the call.
        """
        takers = [p for p in (getattr(s, "preview", None) for s in self.sinks) if callable(p)]
        if not takers:
            return
        bare = without_content(event)
        if bare is None:
            return
        for preview in takers:
            try:
                preview(bare)
            except Exception:  # noqa: PERF203 - one sink failing must not stop the others
                _log.exception(
                    "event sink %r failed to preview %s #%d",
                    preview,
                    type(event).__name__,
                    event.seq,
                )

    def _deliver(self, event: BaseEvent) -> None:
        self._fanout.deliver(self.sinks, event)

    def unwritten(self) -> tuple[Unwritten, ...]:
        """What required sinks have not taken yet (events still held are not counted)."""
        return self._fanout.unwritten(self.sinks)

    def retry_unwritten(self) -> bool:
        """Offer required sinks what they refused again; ``True`` when nothing is left unwritten."""
        return self._fanout.retry(self.sinks)
