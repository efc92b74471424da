"""A provider for a new wire format is a few dozen lines over the public driver, and gets everything the built-ins get.

The provider is the one in examples/custom_provider.py (the docs quote it): an invented JSON API, "Tiny", served
here on 127.0.0.1. Through `RetryPolicy` and an `Agent`, it streams, retries a 503, maps its errors, keeps its key
out of every stored event, and its stored run replays.
"""

from __future__ import annotations

import ast
import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from agentkit import tool
from agentkit.exceptions import InvalidRequest, MalformedResponse, RateLimited, UsageError
from agentkit.messages import Message
from agentkit.providers import ModelRequest, TextDelta, ToolCallDelta
from agentkit.resilience import RetryPolicy
from agentkit.runtime import Agent
from agentkit.storage import MemoryStore, Recording, StoreSink, replay

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_provider.py"
TINY = runpy.run_path(str(EXAMPLE))
TinyProvider = TINY["TinyProvider"]
serve_tiny = TINY["serve_tiny"]

KEY = "tq9-Wd2xLm74Rv0cKs8b"  # no built-in pattern recognises it: only secrets() can mask it
REQUEST = ModelRequest(messages=[Message.user("hi")])


async def _no_wait(seconds: float) -> None:
    return None


@tool
def read_setting(name: str) -> str:
    """Read a deployment setting."""
    return f"{name} is in the vault"


def _agent_script(faults: list[int]) -> Any:
    """Tiny answers: the queued error statuses first, then a tool call, then an answer that echoes the key."""

    def respond(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if faults:
            return faults.pop(0), {"problem": "warming up"}
        results = [r for turn in body["turns"] for r in turn["results"]]
        if results:
            return 200, {
                "text": f"The key is {KEY} indeed.",
                "stop": "done",
                "usage": {"in": 9, "out": 6},
            }
        call = {"id": "c1", "tool": "read_setting", "args": '{"name": "GATEWAY_KEY"}'}
        return 200, {"calls": [call], "stop": "tools", "usage": {"in": 5, "out": 2}}

    return respond


def test_the_provider_is_at_most_sixty_lines_of_code() -> None:
    """The quoted provider section is ≤ 60 lines of code (blank lines, comments and docstrings not counted)."""
    source = EXAMPLE.read_text(encoding="utf-8")
    start = source.index("# --8<-- [start:provider]")
    section = source[start : source.index("# --8<-- [end:provider]")]
    docstrings = set()
    for node in ast.walk(ast.parse(section)):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node):
            docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))  # type: ignore[operator]
    code = [
        line
        for number, line in enumerate(section.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#") and number not in docstrings
    ]
    assert 30 < len(code) <= 60


async def test_an_agent_streams_through_retry_and_the_key_is_masked_and_replayed() -> None:
    """Agent + RetryPolicy + Tiny over loopback: a 503 retried, a tool call, streamed text, no key stored, replay."""
    store = MemoryStore()
    with serve_tiny(_agent_script([503])) as (url, seen):
        adapter = TinyProvider("tiny-1", api_key=KEY, base_url=url)
        provider = RetryPolicy(adapter, sleep=_no_wait)
        assert (provider.system, provider.model, provider.secrets()) == ("tiny", "tiny-1", {KEY})
        agent = Agent(provider, tools=[read_setting], sinks=[StoreSink(store)], redactor=True)
        async with agent.run_stream("What is the gateway key?", run_id="r1") as stream:
            items = [item async for item in stream]
        await adapter.aclose()
    result = stream.result
    assert result.output == f"The key is {KEY} indeed."  # the caller gets the answer itself
    texts = [i.text for i in items if isinstance(i, TextDelta)]
    assert len(texts) > 1
    assert "".join(texts) == result.output
    (call,) = [i for i in items if isinstance(i, ToolCallDelta)]
    assert (call.name, call.arguments) == ("read_setting", '{"name": "GATEWAY_KEY"}')
    assert len(seen) == 3  # the 503, the tool call, the answer
    assert all(body["stream"] for body in seen)
    assert {body["_authorization"] for body in seen} == {f"Bearer {KEY}"}
    assert seen[-1]["turns"][-1]["results"][0]["id"] == "c1"
    assert seen[-1]["tools"][0]["name"] == "read_setting"
    stored = json.dumps([event.model_dump(mode="json") for event in store.read("r1")])
    assert "***" in stored
    assert KEY not in stored
    assert any(event.type == "retry.scheduled" for event in store.read("r1"))
    replayed = await replay(agent, Recording.load(store, "r1"))
    assert replayed.status == "completed"


async def test_complete_and_its_errors_go_through_the_driver() -> None:
    """``complete`` parses a whole answer; an error body is mapped by the hook to its typed error."""
    with serve_tiny(_agent_script([400, 429])) as (url, _):
        provider = TinyProvider("tiny-1", api_key=KEY, base_url=url)
        with pytest.raises(InvalidRequest, match="warming up"):
            await provider.complete(REQUEST)
        with pytest.raises(RateLimited, match="warming up"):
            await provider.complete(REQUEST)
        response = await provider.complete(REQUEST)
        await provider.aclose()
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls[0].name == "read_setting"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (5, 2)


async def test_a_stream_that_never_stops_is_malformed_and_a_bad_answer_too() -> None:
    """A stream without its ``stop`` event and a whole answer that is not an object are ``MalformedResponse``."""

    def respond(body: dict[str, Any]) -> tuple[int, Any]:
        return (200, {"text": "never done"}) if body["stream"] else (200, ["not", "an", "object"])

    with serve_tiny(respond) as (url, _):
        provider = TinyProvider("tiny-1", api_key=KEY, base_url=url)
        with pytest.raises(MalformedResponse, match="stream ended"):
            [event async for event in provider.stream(REQUEST)]
        with pytest.raises(MalformedResponse, match="JSON object"):
            await provider.complete(REQUEST)
        await provider.aclose()


def test_a_provider_without_a_base_url_or_hooks_says_what_is_missing() -> None:
    """No ``base_url`` (and no default) is a ``UsageError``; a hook left out names itself."""
    from agentkit.providers.http import HttpProvider

    with pytest.raises(UsageError, match=r"TinyProvider needs base_url=\.\.\."):
        TinyProvider("tiny-1", api_key=KEY)

    class Bare(HttpProvider):
        system = "bare"
        default_base_url = "http://127.0.0.1:9"

    bare = Bare("m", api_key=KEY)
    for call, hook in (
        (lambda: bare.encode(REQUEST, stream=False), "encode"),
        (lambda: bare.parse_response({}, None), "parse_response"),
        (lambda: bare.stream_state(None), "stream_state"),
    ):
        with pytest.raises(NotImplementedError, match=f"Bare must define {hook}"):
            call()
