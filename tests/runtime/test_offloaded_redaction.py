"""Events carrying megabytes of text (user input, model answer, closing messages) are redacted off the event loop."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from agentkit import Sensitive, tool
from agentkit.exceptions import AgentkitError
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent, Limits
from agentkit.runtime._secrets import carries_long_text
from agentkit.storage import MemoryStore, StoreSink
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from agentkit.events import BaseEvent

pytestmark = pytest.mark.anyio

MODEL = "gpt-4.1-mini"
KEY = "sk-test-offload-0123456789abcdef"
FIVE_MB = 5 * 1024 * 1024
# Long texts with a secret in them, so the redaction has real work to do (and its result is checked).
USER_INPUT = "summarise this: " + ("lorem ipsum " * (FIVE_MB // 12)) + f" key {KEY}"
ANSWER = ("dolor sit amet " * (FIVE_MB // 15)) + f" and the key was {KEY}"


class ThreadRecorder:
    """A redactor that records, for each event it sees, its type, whether it is long and the thread."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, int]] = []

    def __call__(self, event: BaseEvent) -> BaseEvent:
        self.calls.append(
            (getattr(event, "type", ""), carries_long_text(event), threading.get_ident())
        )
        return event

    def long_calls(self) -> list[tuple[str, int]]:
        return [(kind, ident) for kind, long, ident in self.calls if long]


@tool
def unlock(door: str, pin: Annotated[str, Sensitive()]) -> str:
    """Unlock a door with its PIN."""
    return f"{door} unlocked"


@tool
def fetch(url: str) -> str:
    """Fetch a page (a long one)."""
    return "page text " * 20_000


async def _run(
    responder: Any, user_input: str, tools: list[Any]
) -> tuple[Any, ThreadRecorder, MemoryStore]:
    recorder = ThreadRecorder()
    store = MemoryStore()
    async with FakeProviderServer(responder=responder) as server:
        adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(adapter, tools=tools, redactor=recorder, sinks=[StoreSink(store)])
        result = await agent.run(user_input, run_id="r1")
    return result, recorder, store


def _answer(request: ServedRequest) -> Reply:
    return Reply(ANSWER, chunks=1)


@pytest.mark.parametrize("held", [False, True], ids=["plain", "sensitive-tool"])
async def test_a_5mb_input_and_a_5mb_answer_are_redacted_in_a_worker_thread(held: bool) -> None:
    """model.requested and model.responded (and the answer's redacted length) are redacted off the loop."""
    loop_thread = threading.get_ident()
    result, recorder, store = await _run(_answer, USER_INPUT, [unlock] if held else [])
    assert result.status == "completed"
    long_calls = recorder.long_calls()
    assert {kind for kind, _ in long_calls} >= {"model.requested", "model.responded"}
    assert all(ident != loop_thread for _, ident in long_calls), long_calls
    # Short events stay on the loop: only the long ones pay for a thread.
    assert any(ident == loop_thread for kind, _, ident in recorder.calls if kind == "run.started")
    stored = store.read("r1")
    assert [e.seq for e in stored] == list(range(len(stored)))
    assert [e.type for e in stored] == [e.type for e in result.events]
    dumped = "".join(e.model_dump_json() for e in stored)
    assert KEY not in dumped
    responded = next(e for e in stored if e.type == "model.responded")
    assert responded.text_chars == len(responded.message.text)  # type: ignore[union-attr]


async def test_run_finished_with_long_closing_messages_is_redacted_in_a_worker_thread() -> None:
    """A run stopped by its step budget after a long tool output closes with run.finished redacted off the loop."""
    loop_thread = threading.get_ident()
    recorder = ThreadRecorder()
    store = MemoryStore()

    def respond(request: ServedRequest) -> Reply:
        return Reply("", tool_calls=(("fetch", json.dumps({"url": "https://example.org"})),))

    async with FakeProviderServer(responder=respond) as server:
        adapter = OpenAIChatProvider(MODEL, api_key=KEY, base_url=server.url + "/v1")
        agent = Agent(
            adapter,
            tools=[fetch],
            redactor=recorder,
            sinks=[StoreSink(store)],
            max_tool_output_chars=None,  # the whole output goes into the conversation
        )
        with pytest.raises(AgentkitError):
            await agent.run("read it", run_id="r1", limits=Limits(max_steps=1))
    finished = [(long, ident) for kind, long, ident in recorder.calls if kind == "run.finished"]
    assert finished == [(True, finished[0][1])]
    assert finished[0][1] != loop_thread
    stored = store.read("r1")
    assert stored[-1].type == "run.finished"
    assert [e.seq for e in stored] == list(range(len(stored)))
