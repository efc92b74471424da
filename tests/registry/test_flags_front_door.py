"""Flags through the front door: a router and agents on a real adapter over the loopback server, stored, replayed.

The flags choose the model route (a rollout by the session id), the tool list (a gated toolset) and the prompt
version. The run is stored by a `Session` in SQLite; the flags are then changed so that they would answer
otherwise, and the stored run is replayed: the replay takes every answer from the recorded ``flag.evaluated``
events (the provider is not asked once) and reproduces the run, while a new live run takes the new answers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from agentkit import tool
from agentkit.events import FlagEvaluated, RouteChosen
from agentkit.prompts import Prompt
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.registry import (
    FlaggedPrompt,
    FlagResolution,
    FlagValue,
    Rollout,
    StaticFlags,
    Toolset,
    rollout_bucket,
)
from agentkit.runtime import Agent, Route, Router
from agentkit.storage import Recording, ReplayDivergence, Session, SQLiteStore, replay
from agentkit.testing import FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

KEY = "fk9-Lm2vQx84Rt0Zp3Wn"


@tool
def lookup(q: str) -> str:
    """Look something up in the old index."""
    return f"old index: {q}"


@tool(tags=["flag:new-search"])
def deep_search(q: str) -> str:
    """Search the new index."""
    return f"new index: {q}"


PROMPTS = {
    "1.0.0": Prompt("support", system="Answer briefly."),
    "2.0.0": Prompt("support", system="Answer warmly and briefly.", version="2.0.0"),
}


class CountingFlags(StaticFlags):
    """StaticFlags that count how often they are asked."""

    def __init__(self, flags: dict[str, Any]) -> None:
        super().__init__(flags)
        self.asked = 0

    def resolve_flag(self, flag: str, default: FlagValue, subject: str | None) -> FlagResolution:
        """Count, then answer."""
        self.asked += 1
        return super().resolve_flag(flag, default, subject)


def _respond(request: ServedRequest) -> Reply:
    """Step 1 calls the best search offered; step 2 answers, naming the model that answered."""
    body = request.body
    if '"role": "tool"' in json.dumps(body):
        return Reply(f"Found it ({body['model']}).")
    offered = {t["function"]["name"] for t in body.get("tools", [])}
    name = "deep_search" if "deep_search" in offered else "lookup"
    return Reply("", tool_calls=((name, '{"q": "refund policy"}'),))


def _router(flags: StaticFlags, base_url: str) -> tuple[Router, list[OpenAIChatProvider]]:
    tools = Toolset([lookup, deep_search]).gated(flags)
    prompt = FlaggedPrompt(flags, "support-prompt", PROMPTS, default="1.0.0")
    providers = [
        OpenAIChatProvider(model, api_key=KEY, base_url=base_url)
        for model in ("gpt-4.1-mini", "gpt-4.1")
    ]
    routes = [
        Route(name, Agent(provider, tools=tools, instructions=prompt, name=name))
        for name, provider in zip(("cheap", "strong"), providers, strict=True)
    ]
    return Router(routes, default="cheap", flags=flags, flag="model-route"), providers


async def test_flags_choose_route_tools_and_prompt_and_the_stored_run_replays(
    tmp_path: Path,
) -> None:
    """The recorded choices replay without asking the flags; a live run with the changed flags chooses anew."""
    # The session id is the subject: s1 is inside an 80% rollout.
    assert rollout_bucket("model-route", "s1") < 80
    flags = CountingFlags(
        {
            "model-route": Rollout(80, on="strong", off="cheap"),
            "new-search": True,
            "support-prompt": "2.0.0",
        }
    )
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    async with FakeProviderServer(responder=_respond) as server:
        router, providers = _router(flags, server.url + "/v1")
        try:
            result = await Session(store, "s1").run(
                router,  # type: ignore[arg-type]  # a Router runs like an agent
                "What is the refund policy?",
                run_id="r1",
            )
            first_requests = list(server.requests)

            # Recorded: the route, the tool list and the prompt the flags chose, for the session's subject.
            assert result.output == "Found it (gpt-4.1)."
            assert [r.body["model"] for r in first_requests] == ["gpt-4.1", "gpt-4.1"]
            assert first_requests[0].body["messages"][0]["content"].startswith("Answer warmly")
            stored = store.read("r1")
            evaluated = [e for e in stored if isinstance(e, FlagEvaluated)]
            by_site = {(e.site, e.flag, e.value, e.subject) for e in evaluated}
            assert by_site == {
                ("route", "model-route", "strong", "s1"),
                ("prompt", "support-prompt", "2.0.0", "s1"),
                ("tools", "new-search", True, "s1"),
            }
            types = [e.type for e in stored]
            assert types[:3] == ["run.started", "flag.evaluated", "route.chosen"]
            chosen = next(e for e in stored if isinstance(e, RouteChosen))
            assert (chosen.route, chosen.method) == ("strong", "flag")
            asked = flags.asked
            assert asked == len(evaluated)

            # The flags change: every one of them would now answer otherwise.
            flags.flags.update(
                {"model-route": Rollout(0, on="strong", off="cheap"), "new-search": False}
            )
            flags.flags["support-prompt"] = "1.0.0"

            # The replay (router and all) reproduces the run from the store, and never asks the flags.
            recording = Recording.load(store, "r1")
            replayed = await replay(router, recording)
            assert replayed.output == result.output
            assert replayed.events[0].tool_names == ["deep_search", "lookup"]  # type: ignore[attr-defined]
            assert flags.asked == asked
            assert len(server.requests) == len(first_requests)  # no network: answers from the store
            # Replaying the routed agent itself works too: the routing events are taken as recorded.
            await replay(router.routes["strong"].agent, recording)

            # A live run now takes the new answers: the cheap model, the old tool list, the first prompt.
            await router.run("What is the refund policy?", run_id="r2")
            second = server.requests[len(first_requests) :]
            assert [r.body["model"] for r in second] == ["gpt-4.1-mini", "gpt-4.1-mini"]
            assert {t["function"]["name"] for t in second[0].body["tools"]} == {"lookup"}
            assert second[0].body["messages"][0]["content"].startswith("Answer briefly")
        finally:
            for provider in providers:
                await provider.aclose()
            store.close()


async def test_a_replay_without_the_recorded_answers_would_diverge(tmp_path: Path) -> None:
    """The control: the same stored run, its flag events removed, diverges under the changed flags."""
    flags = StaticFlags({"model-route": "strong", "new-search": True, "support-prompt": "2.0.0"})
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    async with FakeProviderServer(responder=_respond) as server:
        router, providers = _router(flags, server.url + "/v1")
        try:
            await router.run("What is the refund policy?", sinks=[_store_sink(store)], run_id="r1")
        finally:
            for provider in providers:
                await provider.aclose()
    flags.flags.update({"new-search": False, "support-prompt": "1.0.0"})
    recording = Recording.load(store, "r1")
    assert (await replay(router, recording)).output == "Found it (gpt-4.1)."
    stripped = Recording.build(
        "r1", [e for e in recording.events if not isinstance(e, FlagEvaluated)]
    )
    with pytest.raises(ReplayDivergence):
        await replay(router.routes["strong"].agent, stripped)
    flags.flags["model-route"] = "cheap"
    with pytest.raises(ReplayDivergence, match=r"route\.chosen"):
        await replay(router, stripped)
    store.close()


def _store_sink(store: SQLiteStore) -> Any:
    from agentkit.storage import StoreSink

    return StoreSink(store)
