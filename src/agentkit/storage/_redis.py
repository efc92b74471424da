"""``RedisStore``: events in Redis, for many processes and machines (``agentkit-contracts[redis]``)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError
from agentkit.storage._base import (
    GENESIS,
    EventStore,
    RunSummary,
    chained,
    check_batch,
    check_order,
    load_event,
    verify_chain,
)
from agentkit.storage._errors import RunNotFound, StorageError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

    import redis

    from agentkit.events import BaseEvent, Event
    from agentkit.messages import Message

__all__ = ("RedisStore",)

# Append a batch if, and only if, the run still holds exactly ARGV[1] events; all or nothing, server-side.
# KEYS: summary hash, events list, runs zset, order counter, session's runs zset, sessions zset.
# ARGV: expected count, session id ("" for none), run id, new count, summary JSON, head hash, encoded events...
# Returns -1 on success, else the count the run holds now (the caller re-checks its batch against it).
_APPEND = """
local held = redis.call('HGET', KEYS[1], 'events')
local expected = tonumber(ARGV[1])
if held == false then
  if expected ~= 0 then return 0 end
  local order = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[3], order, ARGV[3])
  if ARGV[2] ~= '' then
    redis.call('ZADD', KEYS[5], order, ARGV[3])
    redis.call('ZADD', KEYS[6], order, ARGV[2])
  end
elseif tonumber(held) ~= expected then
  return tonumber(held)
end
if #ARGV > 6 then
  redis.call('RPUSH', KEYS[2], unpack(ARGV, 7))
end
redis.call('HSET', KEYS[1], 'events', ARGV[4], 'summary', ARGV[5], 'head', ARGV[6])
return -1
"""

# Save a run's conversation only if the run exists. KEYS: summary hash, messages key. ARGV: messages JSON.
_SAVE_MESSAGES = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
return 1
"""

_MAX_ATTEMPTS = 1000


def _driver() -> ModuleType:
    try:
        import redis
    except ImportError as exc:
        raise MissingExtraError(extra="redis", package="redis") from exc
    return redis


class RedisStore(EventStore):
    """Events in Redis, safe for many threads, processes and machines.

    Each run's events are a Redis list (the list index is the ``seq``), its summary a hash, and a sorted set
    indexes runs (and one per session, and one of sessions) in the order they were created. `append` checks
    the batch against the run's stored summary, then a Lua script applies it only if no other writer got there
    first, so the sequence check and the write are one atomic step on the server; a writer that lost the race
    re-checks its batch against the new state (and gets `SequenceError` if it no longer continues the log).

    Durability is the server's: with Redis's default snapshotting, a crash of the Redis server can lose recent
    writes; configure ``appendonly yes`` (and ``appendfsync always`` for every batch) where that matters. Keys
    start with ``prefix``, so several stores can share a database. No connection is made until first use.
    Uses redis-py (``pip install "agentkit-contracts[redis]"``).

    Args:
        url: A Redis URL, such as ``"redis://localhost:6379/0"`` (``rediss://`` for TLS).
        prefix: Prefix of every key the store writes.
        client: A ``redis.Redis`` client to use instead of connecting to ``url`` (it must not decode
            responses); the store does not close it.

    Raises:
        MissingExtraError: redis-py is not installed.

    Examples:
        >>> from agentkit.storage import RedisStore
        >>> store = RedisStore("redis://127.0.0.1:6379/0", prefix="myapp:runs:")
        >>> store
        RedisStore('redis://127.0.0.1:6379/0', prefix='myapp:runs:')

        With a server running, it is used like any other store:

        >>> from agentkit.events import EventEmitter, RunStarted
        >>> emitter = EventEmitter(run_id="r1")
        >>> store.append("r1", [emitter.emit(RunStarted, agent="a", provider="P", output_type="str")])  # doctest: +SKIP
        >>> store.read("r1")[0].type  # doctest: +SKIP
        'run.started'
        >>> store.close()
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        prefix: str = "agentkit:",
        client: redis.Redis | None = None,
    ) -> None:
        driver = _driver()
        self.url = url
        self.prefix = prefix
        self._owns_client = client is None
        self._redis: redis.Redis = (
            driver.Redis.from_url(url, decode_responses=False) if client is None else client
        )
        self._errors: tuple[type[Exception], ...] = (driver.RedisError,)
        self._append_script = self._redis.register_script(_APPEND)
        self._save_script = self._redis.register_script(_SAVE_MESSAGES)
        self._runs_key = f"{prefix}runs"
        self._sessions_key = f"{prefix}sessions"
        self._order_key = f"{prefix}order"

    def _summary_key(self, run_id: str) -> str:
        return f"{self.prefix}summary:{run_id}"

    def _events_key(self, run_id: str) -> str:
        return f"{self.prefix}events:{run_id}"

    def _messages_key(self, run_id: str) -> str:
        return f"{self.prefix}messages:{run_id}"

    def _session_key(self, session_id: str) -> str:
        return f"{self.prefix}session:{session_id}"

    def append(
        self, run_id: str, events: Sequence[BaseEvent], *, session_id: str | None = None
    ) -> None:
        """See `EventStore.append`: all of the batch or none, checked and written atomically."""
        batch = list(events)
        keys = [
            self._summary_key(run_id),
            self._events_key(run_id),
            self._runs_key,
            self._order_key,
            self._session_key(session_id or ""),
            self._sessions_key,
        ]
        try:
            for _ in range(_MAX_ATTEMPTS):
                # One read: the summary and the head hash it goes with (the script re-checks the count).
                raw, stored_head = self._redis.hmget(keys[0], ["summary", "head"])
                summary = (
                    RunSummary(run_id=run_id, session_id=session_id)
                    if raw is None
                    else _load_summary(raw)
                )
                check_batch(run_id, summary.events, batch)
                after = summary.with_events(batch)
                links = chained(GENESIS if stored_head is None else _text(stored_head), batch)
                head = links[-1][2] if links else (_text(stored_head) if stored_head else GENESIS)
                # Each item: "<schema version>|<chain hash>|<JSON>" (older releases: "<version>|<JSON>").
                encoded = [f"{e.schema_version}|{digest}|{data}" for e, data, digest in links]
                held = self._append_script(
                    keys=keys,
                    args=[
                        summary.events,
                        session_id or "",
                        run_id,
                        after.events,
                        _dump_summary(after),
                        head,
                        *encoded,
                    ],
                )
                if int(held) < 0:
                    return
                # Another writer appended between our read and the script: re-check against its state.
        except self._errors as exc:
            raise StorageError(f"cannot append to run {run_id!r} in {self!r}: {exc}") from exc
        raise StorageError(  # pragma: no cover - needs a thousand lost races in a row
            f"cannot append to run {run_id!r} in {self!r}: too much contention"
        )

    def read(self, run_id: str) -> list[Event]:
        """See `EventStore.read`; events written by older releases are migrated."""
        return self._read(run_id)[0]

    def verify(self, run_id: str) -> bool:
        """See `EventStore.verify`."""
        return self._read(run_id)[1]

    def _read(self, run_id: str) -> tuple[list[Event], bool]:
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.lrange(self._events_key(run_id), 0, -1)
                pipe.exists(self._summary_key(run_id))
                pipe.hget(self._summary_key(run_id), "head")
                items, exists, head = pipe.execute()
        except self._errors as exc:
            raise StorageError(f"cannot read run {run_id!r} in {self!r}: {exc}") from exc
        if not exists:
            raise RunNotFound(run_id=run_id)
        rows: list[tuple[int, str, str | None]] = []
        for item in items:
            version, _, rest = bytes(item).decode("utf-8").partition("|")
            digest: str | None = None
            if not rest.startswith("{"):  # "<hash>|<JSON>"; older releases stored the JSON alone
                digest, _, rest = rest.partition("|")
            rows.append((int(version), rest, digest))
        chained_ok = verify_chain(
            run_id,
            [(data, digest) for _, data, digest in rows],
            None if head is None else _text(head),
        )
        events = [load_event(version, data) for version, data, _ in rows]
        check_order(run_id, events)
        return events, chained_ok

    def runs(self, limit: int | None = 50, *, session_id: str | None = None) -> list[RunSummary]:
        """See `EventStore.runs`."""
        if limit is not None and limit <= 0:
            return []
        index = self._runs_key if session_id is None else self._session_key(session_id)
        try:
            run_ids = self._redis.zrevrange(index, 0, -1 if limit is None else limit - 1)
            with self._redis.pipeline(transaction=False) as pipe:
                for run_id in run_ids:
                    pipe.hget(self._summary_key(_text(run_id)), "summary")
                raws = pipe.execute()
        except self._errors as exc:
            raise StorageError(f"cannot list runs in {self!r}: {exc}") from exc
        return [_load_summary(raw) for raw in raws if raw is not None]

    def get_run(self, run_id: str) -> RunSummary:
        """See `EventStore.get_run`."""
        try:
            raw = self._redis.hget(self._summary_key(run_id), "summary")
        except self._errors as exc:
            raise StorageError(f"cannot read run {run_id!r} in {self!r}: {exc}") from exc
        if raw is None:
            raise RunNotFound(run_id=run_id)
        return _load_summary(raw)

    def sessions(self, limit: int | None = 50) -> list[str]:
        """See `EventStore.sessions`."""
        if limit is not None and limit <= 0:
            return []
        try:
            found = self._redis.zrevrange(self._sessions_key, 0, -1 if limit is None else limit - 1)
        except self._errors as exc:
            raise StorageError(f"cannot list sessions in {self!r}: {exc}") from exc
        return [_text(s) for s in found]

    def save_messages(self, run_id: str, messages: Sequence[Message]) -> None:
        """See `EventStore.save_messages`."""
        data = json.dumps([m.model_dump(mode="json") for m in messages], separators=(",", ":"))
        try:
            saved = self._save_script(
                keys=[self._summary_key(run_id), self._messages_key(run_id)], args=[data]
            )
        except self._errors as exc:
            raise StorageError(
                f"cannot save messages of run {run_id!r} in {self!r}: {exc}"
            ) from exc
        if not int(saved):
            raise RunNotFound(run_id=run_id)

    def load_messages(self, run_id: str) -> list[Message] | None:
        """See `EventStore.load_messages`."""
        from agentkit.messages import Message

        try:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.exists(self._summary_key(run_id))
                pipe.get(self._messages_key(run_id))
                exists, raw = pipe.execute()
        except self._errors as exc:
            raise StorageError(
                f"cannot load messages of run {run_id!r} in {self!r}: {exc}"
            ) from exc
        if not exists:
            raise RunNotFound(run_id=run_id)
        if raw is None:
            return None
        return [Message.model_validate(m) for m in json.loads(raw)]

    def close(self) -> None:
        """Close the store's connections (unless the client was passed in)."""
        if self._owns_client:
            self._redis.close()

    def __repr__(self) -> str:
        shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.url)
        return f"RedisStore({shown!r}, prefix={self.prefix!r})"


def _dump_summary(summary: RunSummary) -> str:
    return json.dumps(
        {
            "run_id": summary.run_id,
            "session_id": summary.session_id,
            "status": summary.status,
            "events": summary.events,
            "agent": summary.agent,
            "model": summary.model,
            "started_at": _iso(summary.started_at),
            "updated_at": _iso(summary.updated_at),
            "steps": summary.steps,
            "usage": summary.usage,
            "output": summary.output,
        },
        separators=(",", ":"),
    )


def _load_summary(raw: Any) -> RunSummary:
    data: dict[str, Any] = json.loads(raw)
    for name in ("started_at", "updated_at"):
        if data[name] is not None:
            data[name] = datetime.fromisoformat(data[name])
    return RunSummary(**data)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
