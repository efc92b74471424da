"""Providers: one request shape for every model API, typed errors, usage and cost, and test doubles.

Run it from the repository root with ``python examples/providers.py``. It needs no network and no API key:
the model answers come from ``agentkit.testing`` doubles and from recorded-style HTTP bodies replayed through
``httpx.MockTransport``.

What it shows:

1. A provider-neutral ``ModelRequest`` (messages, tools, tool choice, settings), and ``infer_provider`` strings.
2. ``FakeProvider``: scripted answers for ``complete()`` and ``stream()``, and the requests it received.
3. ``FunctionProvider``: a callback plays the model in a tool loop.
4. A real adapter built by ``infer_provider`` over a replayed HTTP answer: normalised text and usage, then a
   429 translated into ``RateLimited`` with ``retry_after``.
5. Cost estimates with ``PriceTable``, and a ``MockClock`` for time that moves only when told to.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import anyio
import httpx

from agentkit import tool
from agentkit.exceptions import ProviderError, RateLimited, UsageError
from agentkit.messages import Message, ToolCallPart, ToolResultPart, Usage
from agentkit.providers import (
    ModelPrice,
    ModelRequest,
    ModelSettings,
    NamedToolChoice,
    PriceTable,
    StreamDone,
    TextDelta,
    infer_provider,
)
from agentkit.testing import FakeProvider, FunctionProvider, MockClock, ReplayTransport


@tool
def get_weather(city: str) -> str:
    """Current weather in a city.

    Args:
        city: The city name.
    """
    return f"21C and sunny in {city}"


def heading(text: str) -> None:
    print(f"\n== {text} ==")


async def main() -> None:
    heading("request")
    # --8<-- [start:request]
    request = ModelRequest(
        messages=[Message.system("You are terse."), Message.user("Weather in Lisbon?")],
        tools=[get_weather.contract],
        tool_choice="auto",  # or "none", "required", NamedToolChoice("get_weather")
        settings=ModelSettings(temperature=0.2, max_tokens=256, timeout=30.0),
    )
    # --8<-- [end:request]
    print("tools         ", [t.name for t in request.tools])
    print("named choice  ", NamedToolChoice("get_weather"))

    heading("infer_provider")
    # --8<-- [start:infer]
    claude = infer_provider("anthropic:claude-sonnet-4-5", api_key="sk-ant-example")
    local = infer_provider("ollama:llama3.2@http://127.0.0.1:11434/v1")  # local servers need no key
    house = infer_provider("openai-compatible:my-model@2025@https://llm.internal/v1", retry=None)
    for provider in (claude, local, house):
        adapter = getattr(provider, "inner", provider)  # the default RetryPolicy wraps the adapter
        print(f"{type(adapter).__name__:25} {adapter.model:18} {adapter.base_url}")
    print("repr          ", claude)  # the key never shows
    try:
        infer_provider("opneai:gpt-4.1")
    except UsageError as err:
        print("typo          ", str(err).split(";")[0])
    # --8<-- [end:infer]
    for provider in (claude, local, house):
        await provider.aclose()

    heading("fake provider")
    # --8<-- [start:fake]
    call = ToolCallPart(id="call_1", name="get_weather", arguments='{"city": "Lisbon"}')
    fake = FakeProvider([[call], "It is 21C and sunny in Lisbon."])

    first = await fake.complete(request)  # the scripted tool call
    print("finish        ", first.finish_reason, first.tool_calls[0].name)

    async for event in fake.stream(request):  # the scripted text, streamed word by word
        if isinstance(event, TextDelta):
            print("delta         ", repr(event.text))
        elif isinstance(event, StreamDone):
            print("done          ", event.response.text)

    print("requests seen ", len(fake.requests), "| left in script", fake.remaining)
    # --8<-- [end:fake]

    heading("function provider")

    # --8<-- [start:function]
    def model(request: ModelRequest) -> str | list[ToolCallPart]:
        results = request.messages[-1].tool_results
        if not results:  # first turn: call the tool
            return [ToolCallPart(id="call_1", name="get_weather", arguments='{"city": "Porto"}')]
        return f"Here you go: {results[0].content}"

    provider = FunctionProvider(model)
    history = [Message.user("Weather in Porto?")]
    answer = await provider.complete(ModelRequest(messages=history, tools=[get_weather.contract]))
    while answer.tool_calls:
        history.append(answer.message)
        for call in answer.tool_calls:
            output = get_weather(**json.loads(call.arguments))
            history.append(
                Message(
                    role="tool",
                    parts=(ToolResultPart(tool_call_id=call.id, name=call.name, content=output),),
                )
            )
        answer = await provider.complete(ModelRequest(messages=history))
    print("final answer  ", answer.text)
    # --8<-- [end:function]

    heading("adapter over replayed HTTP")
    # --8<-- [start:replay]
    chat_completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4.1-2025-04-14",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Sunny, 21C.", "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 1200,
            "completion_tokens": 40,
            "total_tokens": 1240,
            "prompt_tokens_details": {"cached_tokens": 1024},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }
    rate_limited = {
        "error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}
    }
    replay = ReplayTransport.from_bodies(
        [(200, chat_completion), (429, rate_limited)], headers={"retry-after": "2"}
    )
    async with httpx.AsyncClient(transport=replay.mock()) as client:
        # retry=None: the bare adapter, so the 429 surfaces (by default it would be retried after 2 s)
        openai = infer_provider(
            "openai:gpt-4.1", api_key="sk-example", http_client=client, retry=None
        )
        response = await openai.complete(request)
        print("text          ", response.text)
        print("usage         ", response.usage)
        try:
            await openai.complete(request)
        except RateLimited as err:
            print(
                "error         ",
                type(err).__name__,
                "| retryable",
                err.retryable,
                "| retry_after",
                err.retry_after,
            )
        except ProviderError as err:  # every other provider failure, already typed
            print("error         ", type(err).__name__, err.retryable)
    print("sent model    ", replay.requests[0]["json"]["model"])
    # --8<-- [end:replay]

    heading("cost")
    # --8<-- [start:cost]
    prices = PriceTable()  # published list prices; check your provider's pricing page
    usage = Usage(input_tokens=1200, cache_read_tokens=1024, output_tokens=40)
    cost = prices.estimate(usage, "gpt-4.1-2025-04-14")  # dated names match their family's price
    print(f"gpt-4.1 cost   ${cost:.6f}")
    prices.update({"house-model": ModelPrice(input=0.5, output=1.5)})
    print(f"house cost     ${prices.estimate(usage, 'house-model'):.6f}")
    print("unknown cost  ", prices.estimate(usage, "some-new-model"))
    # --8<-- [end:cost]

    heading("clock")
    # --8<-- [start:clock]
    clock = MockClock(datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc))
    started = clock.monotonic()
    clock.advance(2.5)  # instead of sleeping
    print("now           ", clock.now().isoformat())
    print("elapsed       ", clock.monotonic() - started)
    # --8<-- [end:clock]


if __name__ == "__main__":
    anyio.run(main)
