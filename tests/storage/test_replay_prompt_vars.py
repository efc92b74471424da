"""A run's prompt variables are recorded (redacted, sensitive ones masked) and replay renders with them."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel

from agentkit import Sensitive
from agentkit.events import PromptRendered
from agentkit.exceptions import PromptRenderError
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, Recording, ReplayDivergence, StoreSink, replay
from agentkit.testing import FakeProvider

TOKEN = "vault-token-5551234"


class Vars(BaseModel):
    customer: str
    token: Annotated[str, Sensitive()]


def _agent() -> Agent[Any, str]:
    from agentkit.prompts import Prompt

    prompt = Prompt("support", vars=Vars, system="Help {customer}. Token: {token}.")
    return Agent(FakeProvider(["Hello Ada."]), instructions=prompt)


def _stored() -> tuple[MemoryStore, Agent[Any, str]]:
    store = MemoryStore()
    agent = _agent()
    agent.run_sync(
        "hi", run_id="r1", sinks=[StoreSink(store)], prompt_vars=Vars(customer="Ada", token=TOKEN)
    )
    return store, agent


def test_the_values_are_stored_with_the_sensitive_one_masked_everywhere() -> None:
    """prompt.rendered holds the values, the token masked; no stored event holds the token."""
    store, _ = _stored()
    events = store.read("r1")
    (rendered,) = [e for e in events if isinstance(e, PromptRendered)]
    assert rendered.values == {"customer": "Ada", "token": "***"}
    assert all(TOKEN not in e.model_dump_json() for e in events)


def test_replay_renders_the_prompt_with_the_recorded_values() -> None:
    """No prompt_vars needed: the stored run replays exactly."""
    store, agent = _stored()
    result = anyio.run(lambda: replay(agent, Recording.load(store, "r1")))
    assert result.output == "Hello Ada."


def test_explicit_prompt_vars_still_win() -> None:
    """Given other variables, the replay renders with them, and diverges."""
    store, agent = _stored()
    recording = Recording.load(store, "r1")
    with pytest.raises(ReplayDivergence, match="Bob"):
        anyio.run(lambda: replay(agent, recording, prompt_vars=Vars(customer="Bob", token="***")))


def test_a_run_recorded_without_values_needs_them_as_before() -> None:
    """An older log (no values in prompt.rendered): replay without prompt_vars raises the render error."""
    store, agent = _stored()
    events = [
        e.model_copy(update={"values": None}) if isinstance(e, PromptRendered) else e
        for e in store.read("r1")
    ]
    recording = Recording.build("r1", events)
    with pytest.raises(PromptRenderError):
        anyio.run(lambda: replay(agent, recording))
    replayed = anyio.run(
        lambda: replay(agent, recording, prompt_vars=Vars(customer="Ada", token="***"))
    )
    assert replayed.output == "Hello Ada."
