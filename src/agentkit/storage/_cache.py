"""A response cache keyed by the normalised request, as a provider wrapper (off unless you wrap)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from agentkit.providers._base import NamedToolChoice, Provider, StreamDone, TextDelta

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from agentkit.providers._base import ModelProfile, ModelRequest, ModelResponse, StreamEvent

__all__ = ("CachingProvider", "MemoryResponseCache", "ResponseCache", "request_key")


def request_key(request: ModelRequest, *, model: str | None, extra: str | None = None) -> str:
    """A stable hash of everything in a request that can change the answer.

    It covers the model, the messages (so the rendered prompt text), each tool's contract fingerprint, the tool
    choice, the output schema and the sampling settings (not ``timeout`` or ``extra_headers``, which do not
    change the answer). ``extra`` adds anything else, such as a prompt's content hash.

    Examples:
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.storage import request_key
        >>> a = request_key(ModelRequest(messages=[Message.user("hi")]), model="m")
        >>> a == request_key(ModelRequest(messages=[Message.user("hi")]), model="m"), a[:7]
        (True, 'sha256:')
        >>> a == request_key(ModelRequest(messages=[Message.user("hi")]), model="other")
        False
    """
    settings = request.settings
    choice = request.tool_choice
    output = request.output
    document = {
        "model": model,
        "messages": [m.model_dump(mode="json") for m in request.messages],
        "tools": [c.fingerprint for c in request.tools],
        "tool_choice": {"name": choice.name} if isinstance(choice, NamedToolChoice) else choice,
        "output": None
        if output is None
        else {
            "name": output.name,
            "schema": dict(output.schema),
            "description": output.description,
            "strict": output.strict,
        },
        "settings": {
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "max_tokens": settings.max_tokens,
            "stop": list(settings.stop),
            "seed": settings.seed,
            "parallel_tool_calls": settings.parallel_tool_calls,
            "extra_body": dict(settings.extra_body),
        },
        "extra": extra,
    }
    canonical = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache(Protocol):
    """Where `CachingProvider` keeps answers: anything with ``get`` and ``set``.

    Examples:
        >>> from agentkit.storage import MemoryResponseCache, ResponseCache
        >>> cache: ResponseCache = MemoryResponseCache()
    """

    def get(self, key: str) -> ModelResponse | None:
        """The answer stored under ``key``, if any."""
        ...

    def set(self, key: str, response: ModelResponse) -> None:
        """Store an answer."""
        ...


class MemoryResponseCache:
    """An in-memory LRU cache of responses; thread-safe.

    Args:
        max_entries: How many answers to keep; the least recently used goes first.

    Examples:
        >>> from agentkit.providers import ModelResponse
        >>> from agentkit.storage import MemoryResponseCache
        >>> cache = MemoryResponseCache(max_entries=1)
        >>> cache.set("a", ModelResponse(provider="p"))
        >>> cache.set("b", ModelResponse(provider="p"))
        >>> cache.get("a") is None, cache.get("b") is not None
        (True, True)
    """

    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.max_entries = max_entries
        self._items: OrderedDict[str, ModelResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ModelResponse | None:
        """See `ResponseCache.get`."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def set(self, key: str, response: ModelResponse) -> None:
        """See `ResponseCache.set`."""
        with self._lock:
            self._items[key] = response
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class CachingProvider(Provider):
    """Wraps a provider and answers a request seen before from the cache, without calling the model.

    Caching is off unless you wrap a provider in this. Only complete answers are stored (not ``"error"`` or
    ``"length"`` finishes); a streamed call on a hit yields the cached text as one delta.

    Args:
        provider: The provider to call on a miss.
        cache: Where answers are kept (a `MemoryResponseCache` by default).
        extra: Added to every key (e.g. a prompt's content hash, or a cache version to invalidate).

    Examples:
        >>> from agentkit.runtime import Agent
        >>> from agentkit.storage import CachingProvider
        >>> from agentkit.testing import FakeProvider
        >>> cached = CachingProvider(FakeProvider(["first answer", "second answer"]))
        >>> agent = Agent(cached)
        >>> agent.run_sync("hi").output, agent.run_sync("hi").output, (cached.hits, cached.misses)
        ('first answer', 'first answer', (1, 1))
    """

    def __init__(
        self, provider: Provider, cache: ResponseCache | None = None, *, extra: str | None = None
    ) -> None:
        self.provider = provider
        self.cache: ResponseCache = cache if cache is not None else MemoryResponseCache()
        self.extra = extra
        self.hits = 0
        self.misses = 0

    @property
    def system(self) -> str:
        """The wrapped provider's name."""
        return self.provider.system

    @property
    def model(self) -> str:
        """The wrapped provider's model (part of every cache key)."""
        return self.provider.model

    @property
    def profile(self) -> ModelProfile:
        """The wrapped provider's capability profile."""
        return self.provider.profile

    def secrets(self) -> frozenset[str]:
        """The wrapped provider's secrets."""
        return self.provider.secrets()

    def _key(self, request: ModelRequest) -> str:
        return request_key(request, model=self.model, extra=self.extra)

    def _keep(self, key: str, response: ModelResponse) -> None:
        if response.finish_reason not in ("error", "length"):
            self.cache.set(key, response)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The cached answer, or the wrapped provider's (then cached)."""
        key = self._key(request)
        found = self.cache.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        response = await self.provider.complete(request)
        self._keep(key, response)
        return response

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """The cached answer as a short stream, or the wrapped provider's stream (its answer then cached)."""
        key = self._key(request)
        found = self.cache.get(key)
        if found is not None:
            self.hits += 1
            if found.text:
                yield TextDelta(found.text)
            yield StreamDone(found)
            return
        self.misses += 1
        async for event in self.provider.stream(request):
            if isinstance(event, StreamDone):
                self._keep(key, event.response)
            yield event

    async def aclose(self) -> None:
        """Close the wrapped provider."""
        await self.provider.aclose()

    def __repr__(self) -> str:
        return f"CachingProvider({self.provider!r})"
