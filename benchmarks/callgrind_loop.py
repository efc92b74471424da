r"""Instruction counts of agent runs, for `valgrind --tool=callgrind` (deterministic under load).

Runs ``bench_loop``'s agentkit run (a scripted ``FunctionProvider``, one ``async def`` tool, the default
``RetryPolicy`` and a ``SQLiteStore`` through a ``StoreSink``) twice to warm up and then ``K`` times, with the
garbage collector frozen and off. The instructions of one run are ``(count(K) - count(0)) / K``; run it against two
source trees to compare them::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python benchmarks/callgrind_loop.py SRC_DIR K full|off|session|session-off [TOOL_STEPS] [RUNS]

``SRC_DIR`` is the ``src`` directory of the tree to measure (this one: ``src``); ``full`` is the full default
stack, ``off`` the same with ``redactor=False``; ``TOOL_STEPS`` (default 4) is the number of tool steps per run
(one more step answers). ``session`` (``session-off``: without redaction) measures a conversation instead: a new
``Session`` on the same store per repetition, ``RUNS`` runs in it (default 5), each with its own user message and
keys, so each run's first request carries the whole history; the instructions of one session are
``(count(K) - count(0)) / K``. The script is self-contained, so it runs against older trees too.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
from pathlib import Path
from typing import Any

src, k, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 4
runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
sys.path.insert(0, src)

from agentkit import tool  # noqa: E402 - after the tree to measure is on the path
from agentkit.messages import ToolCallPart, ToolResultPart  # noqa: E402
from agentkit.providers import ModelRequest  # noqa: E402
from agentkit.resilience import RetryPolicy  # noqa: E402
from agentkit.runtime import Agent  # noqa: E402
from agentkit.storage import Session, SQLiteStore, StoreSink  # noqa: E402
from agentkit.testing import FunctionProvider  # noqa: E402


async def lookup(key: str) -> str:
    """Look a key up."""
    return key.upper()


def script(request: ModelRequest) -> Any:
    """Call ``lookup`` ``steps`` times, then answer with the last result (in a session: run by run)."""
    messages = request.messages
    turn = max(i for i, m in enumerate(messages) if m.role == "user")
    results = [p for m in messages[turn:] for p in m.parts if isinstance(p, ToolResultPart)]
    n, run = len(results), sum(1 for m in messages if m.role == "user") - 1
    if n < steps:
        key = f"k{n}" if run == 0 else f"r{run}k{n}"
        return [ToolCallPart(id=f"c{n}", name="lookup", arguments=f'{{"key": "{key}"}}')]
    return f"done: {_unframed(results[-1].content)}"


def _unframed(content: str) -> str:
    """The tool's text without agentkit's ``<tool-output>`` framing."""
    if content.startswith("<tool-output"):
        content = content[content.index(">") + 1 : content.rindex("</tool-output>")]
    return content.strip()


async def main() -> None:
    provider = FunctionProvider(script)
    store = SQLiteStore(Path(tempfile.mkdtemp(prefix="agentkit-callgrind-loop-")) / "events.db")
    in_session = mode.startswith("session")
    agent = Agent(
        RetryPolicy(provider),
        tools=[tool(lookup)],
        redactor=mode in ("full", "session"),
        sinks=() if in_session else [StoreSink(store)],
        max_steps=steps + 1,
    )
    for index in range(2 + k):
        if index == 2:
            gc.collect()
            gc.freeze()
            gc.disable()
        provider.requests.clear()
        if in_session:
            session = Session(store, f"s{index}")
            for run in range(runs):
                result = await session.run(agent, f"look up the keys of run {run}")
                last = f"K{steps - 1}" if run == 0 else f"R{run}K{steps - 1}"
                assert result.output == f"done: {last}", result.output
            continue
        result = await agent.run("look up the key")
        assert result.output == f"done: K{steps - 1}", result.output
    store.close()


asyncio.run(main())
