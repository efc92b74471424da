r"""Instruction counts of one streamed OpenAI Chat answer, for `valgrind --tool=callgrind` (deterministic under load).

Runs ``OpenAIChatProvider.stream`` (``adapter``) or the httpx floor, ``aiter_lines`` + ``json.loads`` (``floor``),
over the synthetic 1,000-chunk stream of ``bench_providers.py``, twice to warm up and then ``K`` times. The
instructions of one stream are ``(count(K) - count(0)) / K``; run it against two source trees to compare them::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python benchmarks/callgrind_stream.py SRC_DIR K adapter|floor [CHUNK_BYTES]

``SRC_DIR`` is the ``src`` directory of the tree to measure (this one: ``src``); ``CHUNK_BYTES`` (default 65536)
is the size of the network chunks the body is served in.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

src, k, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
chunk = int(sys.argv[4]) if len(sys.argv) > 4 else 65536
sys.path.insert(0, src)
sys.path.insert(0, str(Path(__file__).parent))

import bench_providers as bp  # noqa: E402 - after the tree to measure is on the path

from agentkit.messages import Message  # noqa: E402
from agentkit.providers import ModelRequest, StreamDone  # noqa: E402

body = bp.synthetic_openai_stream(1000)
client, _ = bp._client([body], content_type="text/event-stream", chunk=chunk)
provider = bp._provider_class("openai")("gpt-4.1", api_key="sk-bench", http_client=client)
request = ModelRequest(messages=[Message.user("Weather in Paris?")], tools=bp._weather_tools())


async def adapter() -> None:
    last = None
    async for event in provider.stream(request):
        last = event
    assert isinstance(last, StreamDone)


async def floor() -> None:
    async with client.stream("GET", "/x") as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                json.loads(line[6:])


async def main() -> None:
    run = adapter if mode == "adapter" else floor
    for _ in range(2 + k):
        await run()


asyncio.run(main())
