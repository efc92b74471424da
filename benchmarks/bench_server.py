"""Load test of the HTTP service (``agentkit.server``): requests/s and latency percentiles under concurrency.

Usage::

    python benchmarks/bench_server.py [--quick] [--json out.json]
    python benchmarks/run.py --only server [--quick]

Needs the ``server`` extra (``pip install -e ".[server]"``); without it the scenario reports itself unavailable.

Three processes on 127.0.0.1: the service (``create_app`` under uvicorn, one worker, an ``Agent`` on the OpenAI
Chat adapter, a `MemoryStore`, API-key auth on, rate limits off so the load is not refused), the loopback fake
provider (``agentkit.testing.FakeProviderServer``) it calls, and this process, which generates the load with N
concurrent ``httpx.AsyncClient`` clients, each sending its next request as soon as the previous one is answered
(a closed loop), for a fixed time per N:

* ``invoke`` — ``POST /v1/tools/add/invoke`` with valid arguments; every answer is checked (``success``, the sum).
* ``runs``   — ``POST /v1/runs``, then ``GET /v1/runs/{id}/events`` (SSE) to the ``run.finished`` event: one
  run is two model calls (a tool call, then the answer) and one tool call; latency is start to last event.
  Every run must end ``completed``.

Reported per N: completed operations per second, p50 and p99 latency in milliseconds, errors. The figures are
absolute and depend on the machine (the load generator shares its cores with the service): compare runs made on
one machine. Benchmarks report, they never gate: the run exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

KEY = "bench-Wq4Zr8Tn2Lm6"
HEADERS = {"X-API-Key": KEY}
CONCURRENCY = (1, 16, 64)
QUICK_CONCURRENCY = (1, 16)


# ------------------------------------------------------------------------------------------ child processes


def _fake_child() -> None:
    """The fake provider: call ``add`` first, answer once the tool result is in the conversation."""
    import anyio

    from agentkit.testing import FakeProviderServer, Reply, ServedRequest

    server: FakeProviderServer

    def respond(request: ServedRequest) -> Reply:
        if len(server.requests) > 1000:  # keep memory flat over a long run
            del server.requests[:-100]
        messages = request.body["messages"] if isinstance(request.body, dict) else []
        if any(m.get("role") == "tool" for m in messages):
            return Reply("The sum is 5.")
        return Reply("", tool_calls=(("add", '{"a": 2, "b": 3}'),))

    async def main() -> None:
        nonlocal server
        server = FakeProviderServer(responder=respond)
        async with server:
            print(server.port, flush=True)
            await anyio.sleep_forever()

    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(main)


def _service_child(port: int, fake_url: str) -> None:
    """The service under uvicorn, one worker, access log off."""
    import uvicorn

    from agentkit import tool
    from agentkit.providers.openai import OpenAIChatProvider
    from agentkit.runtime import Agent
    from agentkit.server import APIKeys, ServerLimits, create_app
    from agentkit.storage import MemoryStore

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    provider = OpenAIChatProvider("gpt-4.1-mini", api_key="pk-bench", base_url=fake_url + "/v1")
    app = create_app(
        tools=[add],
        agents=Agent(provider, tools=[add], name="assistant"),
        store=MemoryStore(),
        auth=APIKeys({KEY: "bench"}),
        limits=ServerLimits(requests_per_minute=None, max_concurrent_runs=100_000),
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws="none",
        timeout_graceful_shutdown=5,
    )


# ------------------------------------------------------------------------------------------ load


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


async def _invoke_once(client: Any) -> None:
    response = await client.post("/v1/tools/add/invoke", json={"a": 2, "b": 3}, headers=HEADERS)
    body = response.json()
    if response.status_code != 200 or body.get("status") != "success" or body.get("content") != "5":
        raise RuntimeError(f"invoke answered {response.status_code} {response.text[:80]}")


async def _run_once(client: Any) -> None:
    started = await client.post("/v1/runs", json={"input": "add 2 and 3"}, headers=HEADERS)
    if started.status_code != 202:
        raise RuntimeError(f"start answered {started.status_code} {started.text[:80]}")
    run_id = started.json()["run_id"]
    last = ""
    async with client.stream("GET", f"/v1/runs/{run_id}/events", headers=HEADERS) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                last = line
    event = json.loads(last[6:]) if last else {}
    if event.get("type") != "run.finished" or event.get("status") != "completed":
        raise RuntimeError(f"run {run_id} ended with {last[:80]!r}")


async def _load(base: str, operation: Any, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` closed-loop clients call ``operation`` for ``seconds`` (after a short warm-up)."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        try:
            for _ in range(3):  # warm-up: connections, caches, the first run of each path
                await operation(client)
        except Exception as exc:
            return {"clients": clients, "status": f"failed ({type(exc).__name__}: {exc})"[:160]}
        stop = time.perf_counter() + seconds

        async def one_client() -> None:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                try:
                    await operation(client)
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}"[:120])
                    continue
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    if not latencies:
        return {"clients": clients, "status": f"failed ({errors[0] if errors else 'no samples'})"}
    return {
        "clients": clients,
        "status": "ok",
        "ops": len(latencies),
        "ops_per_s": len(latencies) / elapsed,
        "p50_ms": _quantile(latencies, 0.50) * 1e3,
        "p99_ms": _quantile(latencies, 0.99) * 1e3,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


@contextlib.contextmanager
def _processes() -> Any:
    """Start the fake provider and the service; yield the service's URL; stop both."""
    import httpx

    here = str(Path(__file__).resolve())
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    fake = subprocess.Popen(
        [sys.executable, here, "--child-fake"], stdout=subprocess.PIPE, text=True, env=env
    )
    service = None
    try:
        assert fake.stdout is not None
        fake_url = f"http://127.0.0.1:{int(fake.stdout.readline())}"
        port = _free_port()
        service = subprocess.Popen(
            [sys.executable, here, "--child-service", str(port), fake_url], env=env
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if service.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + "/health", timeout=5).status_code == 200:
                    break
            time.sleep(0.05)
        yield base
    finally:
        for proc in (service, fake):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in ("agentkit-contracts", "fastapi", "starlette", "uvicorn", "httpx", "pydantic"):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # noqa: PERF203 - a handful of look-ups
            found[dist] = "not installed"
    return found


def _print(rows: dict[str, list[dict[str, Any]]]) -> None:
    print("\nHTTP service under load (closed loop; ops/s, latency ms)")
    print(
        f"  {'scenario':<8} {'clients':>7} {'ops/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}"
    )
    for scenario, results in rows.items():
        for r in results:
            if r.get("status") != "ok":
                print(f"  {scenario:<8} {r['clients']:>7} {r['status']}")
                continue
            print(
                f"  {scenario:<8} {r['clients']:>7} {r['ops_per_s']:>9,.0f} {r['p50_ms']:>9.1f} "
                f"{r['p99_ms']:>9.1f} {r['errors']:>7}"
            )


def run(*, quick: bool = False) -> dict[str, Any]:
    """Measure, print and return the results as a dict (a run.py scenario)."""
    started = time.perf_counter()
    report: dict[str, Any] = {
        "title": "HTTP service under load: tool invoke and agent runs on the fake provider",
        "versions": _versions(),
    }
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        report["status"] = f'unavailable ({exc}; pip install -e ".[server]")'
        print(f"\nserver: {report['status']}")
        return report
    seconds = 2.0 if quick else 15.0
    levels = QUICK_CONCURRENCY if quick else CONCURRENCY
    rows: dict[str, list[dict[str, Any]]] = {"invoke": [], "runs": []}
    with _processes() as base:
        for clients in levels:
            rows["invoke"].append(asyncio.run(_load(base, _invoke_once, clients, seconds)))
            rows["runs"].append(asyncio.run(_load(base, _run_once, clients, seconds)))
    _print(rows)
    report.update(
        {
            "status": "ok",
            "seconds_per_level": seconds,
            "rows": rows,
            "cpu_count": os.cpu_count(),
            "seconds": round(time.perf_counter() - started, 1),
        }
    )
    print(f"\nserver: {report['seconds']:.0f} s")
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the load test (or one of its child processes); always exit 0."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child-fake"]:
        _fake_child()
        return 0
    if args[:1] == ["--child-service"]:
        _service_child(int(args[1]), args[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per level, 1 and 16 clients")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parsed = parser.parse_args(args)
    report = run(quick=parsed.quick)
    if parsed.json:
        Path(parsed.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {parsed.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
