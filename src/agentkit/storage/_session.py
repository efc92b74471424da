"""``Session``: a conversation that spans runs, its history loaded from an event store."""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING, Any

import anyio

from agentkit.runtime._secrets import SecretMemory, remembering
from agentkit.runtime._telemetry import in_session
from agentkit.storage._replay import conversation_from_events
from agentkit.storage._sink import StoreSink

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit.messages import Message
    from agentkit.runtime import Agent, RunResult
    from agentkit.storage._base import EventStore

__all__ = ("Session",)


class Session:
    """A conversation across runs: each run continues from the last completed one and is stored with its events.

    The history is the conversation the session's latest completed run ended with, rebuilt from that run's
    events; `run` passes it as ``message_history`` and writes every event through a `StoreSink` as it happens.
    Nothing else is stored: the events hold the conversation (event schema version 2), redacted like every
    event, so no secret reaches the store by another way. For runs stored by older releases the history is the
    conversation saved with them (`EventStore.save_messages`). Runs of one `Session` object take turns (an
    ``anyio.Lock``); different sessions run concurrently, from any number of tasks, threads or processes sharing
    the store.

    What a run learns is secret (the values of ``Sensitive()`` arguments, the provider's keys) is masked in the
    session's later runs too, even with another agent or provider. Those values are kept in this object's
    memory only, never in the store: a `Session` reopened on the same store (another process, a restart)
    cannot know them, and masks only what its own runs meet plus the built-in patterns.

    Args:
        store: Where the runs go.
        session_id: The conversation's id; a random one when omitted.

    Examples:
        >>> from agentkit.runtime import Agent
        >>> from agentkit.storage import MemoryStore, Session
        >>> from agentkit.testing import FakeProvider
        >>> session = Session(MemoryStore(), "s1")
        >>> agent = Agent(FakeProvider(["Paris.", "About 2.1 million."]))
        >>> _ = session.run_sync(agent, "Capital of France?")
        >>> session.run_sync(agent, "Population?").output
        'About 2.1 million.'
        >>> len(session.runs())
        2
    """

    def __init__(self, store: EventStore, session_id: str | None = None) -> None:
        self.store = store
        self.session_id = session_id if session_id is not None else uuid.uuid4().hex
        self._lock: anyio.Lock | None = None
        # What the session's runs learned is secret (sensitive arguments, provider keys): in memory only.
        self._secrets = SecretMemory()

    def runs(self) -> list[str]:
        """The ids of the session's runs, oldest first."""
        return [s.run_id for s in reversed(self.store.runs(None, session_id=self.session_id))]

    def history(self) -> list[Message]:
        """The conversation so far: the one the latest completed run ended with (empty when none).

        Secrets in it are masked, as in the events it is rebuilt from.
        """
        for summary in self.store.runs(None, session_id=self.session_id):
            if summary.status == "completed":
                messages = conversation_from_events(self.store.read(summary.run_id))
                if messages is None:  # stored by a release whose events hold no content
                    messages = self.store.load_messages(summary.run_id)
                if messages is not None:
                    return messages
        return []

    async def run(
        self,
        agent: Agent[Any, Any],
        user_input: str | Sequence[Message] | None = None,
        **kwargs: Any,
    ) -> RunResult[Any]:
        """Run ``agent`` on ``user_input`` with the session's history, storing the run in the session.

        Args:
            agent: The agent to run.
            user_input: The new user message(s).
            **kwargs: Other ``Agent.run`` arguments (``deps``, ``run_id``, ``sinks``, ``limits``...), except
                ``message_history``, which the session supplies.

        Raises:
            EventsNotStored: The store kept refusing some of the run's events (each is retried before the next
                one): the run failed and its log is incomplete. A store that recovers during the run gets every
                event, in order, and the run goes on as usual.
        """
        if "message_history" in kwargs:
            raise TypeError("Session.run supplies 'message_history' itself; do not pass it")
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            history = await anyio.to_thread.run_sync(self.history)
            run_id: str = kwargs.pop("run_id", None) or uuid.uuid4().hex
            sink = StoreSink(self.store, session_id=self.session_id)
            with in_session(self.session_id), remembering(self._secrets):
                result: RunResult[Any] = await agent.run(
                    user_input,
                    message_history=history,
                    run_id=run_id,
                    sinks=[*kwargs.pop("sinks", ()), sink],
                    **kwargs,
                )
            return result

    def run_sync(
        self,
        agent: Agent[Any, Any],
        user_input: str | Sequence[Message] | None = None,
        **kwargs: Any,
    ) -> RunResult[Any]:
        """`run`, from synchronous code."""
        return anyio.run(functools.partial(self.run, agent, user_input, **kwargs))

    def __repr__(self) -> str:
        return f"Session({self.store!r}, {self.session_id!r})"
