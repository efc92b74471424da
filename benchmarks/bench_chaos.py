"""Chaos run (issue 6): many runs against the fake provider server with random faults, through the resilience stack.

Usage::

    python benchmarks/bench_chaos.py [--quick] [--runs N] [--rate 0.3] [--seed 7] [--json out.json]

Each run sends one request (half ``complete``, half ``stream``) through the real adapters over real sockets to a
``FakeProviderServer`` on 127.0.0.1 whose responder injects a fault into each request with probability ``--rate``
(seeded): 429 with a short Retry-After, 500/502/503, 529, an HTML error page, a connection reset, a hang, a slow
first byte, malformed JSON, an SSE stream cut before content and one cut after content. The stack::

    Deadline(Fallback([RetryPolicy(CircuitBreaker(Deadline(openai, 0.25 s))),
                       RetryPolicy(Deadline(anthropic, 0.25 s))], reject=[empty_answer]), 5 s)

Reported: success rate, error types, p50/p99 latency added over a fault-free run, hangs (a run still going after
15 s; must be zero) and lost events (must be zero): every request the server failed, and every call a breaker
rejected, must appear as exactly one ``retry.scheduled`` or ``retry.gave_up`` event of that run (requests are
matched to runs by an ``x-run-id`` header). A stream cut after content reached the caller is *meant* to fail:
nothing may be re-sent after output. This reports; it never fails a build.

pydantic-ai's ``FallbackModel`` runs the same requests against the same fault script when ``pydantic_ai`` (with its
OpenAI and Anthropic extras) is importable; otherwise its row says why not. See `pydantic_ai_chaos` for how its
setup maps to ours and where it cannot.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import anyio

from agentkit.events import EventEmitter
from agentkit.messages import Message
from agentkit.providers import ModelRequest, ModelSettings, Provider, StreamDone
from agentkit.providers.anthropic import AnthropicProvider
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.resilience import (
    CircuitBreaker,
    CircuitRegistry,
    Deadline,
    Fallback,
    RetryPolicy,
    bind_events,
    empty_answer,
)
from agentkit.testing._server import FakeProviderServer, Fault, ServedRequest

HANG_GUARD = 15.0


def fault_menu() -> list[tuple[str, Any]]:
    return [
        ("429", Fault.rate_limited("0.02")),
        ("500", Fault.server_error(500)),
        ("502", Fault.server_error(502)),
        ("503", Fault.server_error(503)),
        ("529", Fault.overloaded()),
        ("html", Fault.html_page(502)),
        ("reset", Fault.reset()),
        ("hang", Fault.hang(2.0)),
        ("slow", Fault.slow_first_byte(0.05)),
        ("malformed", Fault.malformed_json()),
        ("cut-early", Fault.cut_stream(after_events=0)),
        ("cut-late", Fault.cut_stream(after_events=3)),
    ]


def make_responder(rate: float, seed: int) -> Any:
    rng = random.Random(seed)
    menu = fault_menu()

    def responder(request: ServedRequest) -> Any:
        if rng.random() >= rate:
            return None
        name, action = rng.choice(menu)
        if name.startswith("cut") and not request.stream:
            name, action = "cut-body", Fault.cut_stream(after_events=0)
        request.headers["x-fault"] = name
        return action

    return responder


def build_stack(server: FakeProviderServer, registry: CircuitRegistry) -> Provider:
    openai = OpenAIChatProvider("gpt-4.1", base_url=server.url + "/v1", api_key="test")
    anthropic = AnthropicProvider("claude-haiku-4-5", base_url=server.url, api_key="test")
    retry = {"max_attempts": 3, "initial_delay": 0.01, "max_delay": 0.05, "max_wait": 0.05}
    primary = RetryPolicy(
        CircuitBreaker(
            Deadline(openai, timeout=0.25), min_calls=10, cooldown=0.5, registry=registry
        ),
        seed=1,
        **retry,  # type: ignore[arg-type]
    )
    secondary = RetryPolicy(Deadline(anthropic, timeout=0.25), seed=2, **retry)  # type: ignore[arg-type]
    return Deadline(Fallback([primary, secondary], reject=[empty_answer]), timeout=5.0)


async def one_run(stack: Provider, run_id: str, stream: bool) -> tuple[str, float, EventEmitter]:
    emitter = EventEmitter(run_id=run_id)
    request = ModelRequest(
        messages=[Message.user("hello")], settings=ModelSettings(extra_headers={"x-run-id": run_id})
    )
    started = time.perf_counter()
    outcome = "hang"
    with bind_events(emitter), anyio.move_on_after(HANG_GUARD):
        try:
            if stream:
                async for event in stack.stream(request):
                    if isinstance(event, StreamDone):
                        outcome = "ok" if event.response.text else "empty"
            else:
                outcome = "ok" if (await stack.complete(request)).text else "empty"
        except Exception as exc:
            outcome = type(exc).__name__
    return outcome, time.perf_counter() - started, emitter


async def agentkit_chaos(runs: int, rate: float, seed: int, concurrency: int) -> dict[str, Any]:
    results: dict[str, tuple[str, float, EventEmitter, bool]] = {}
    async with FakeProviderServer(responder=make_responder(rate, seed)) as server:
        stack = build_stack(server, CircuitRegistry())
        # warm-up and the fault-free baseline
        baseline: list[float] = []
        server.responder, responder = None, server.responder
        for i in range(20):
            _, took, _ = await one_run(stack, f"warm-{i}", stream=bool(i % 2))
            baseline.append(took)
        server.responder = responder
        limiter = anyio.Semaphore(concurrency)

        async def worker(i: int) -> None:
            async with limiter:
                run_id = f"run-{i}"
                outcome, took, emitter = await one_run(stack, run_id, stream=bool(i % 2))
                results[run_id] = (outcome, took, emitter, bool(i % 2))

        async with anyio.create_task_group() as tg:
            for i in range(runs):
                tg.start_soon(worker, i)
        requests_by_run: dict[str, list[ServedRequest]] = {}
        for served in server.requests:
            requests_by_run.setdefault(served.headers.get("x-run-id", "?"), []).append(served)
        await stack.aclose()
        for provider in (stack.inner,):
            for member in getattr(provider, "providers", ()):
                await member.aclose()

    base = statistics.median(baseline)
    outcomes: dict[str, int] = {}
    added: list[float] = []
    lost = 0
    hangs = 0
    faults_injected = 0
    late_cuts = 0
    for run_id, (outcome, took, emitter, _stream) in results.items():
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        hangs += outcome == "hang"
        of_run = requests_by_run.get(run_id, [])
        failed = [s for s in of_run if isinstance(s.action, Fault)]
        faults_injected += len([s for s in of_run if "x-fault" in s.headers])
        late_cuts += any(s.headers.get("x-fault") == "cut-late" for s in of_run)
        kinds = [e.type for e in emitter.events]  # type: ignore[attr-defined]
        accounted = kinds.count("retry.scheduled") + kinds.count("retry.gave_up")
        expected = len(failed) + kinds.count("circuit.rejected")
        lost += abs(expected - accounted)
        if any("x-fault" in s.headers for s in of_run):
            added.append(max(0.0, took - base))
    ok = outcomes.get("ok", 0)
    added.sort()
    return {
        "runs": len(results),
        "fault_rate": rate,
        "requests": sum(len(v) for k, v in requests_by_run.items() if k.startswith("run-")),
        "faults_injected": faults_injected,
        "success_rate": ok / len(results),
        "success_rate_excluding_cut_after_content": ok / max(1, len(results) - late_cuts),
        "outcomes": dict(sorted(outcomes.items())),
        "baseline_latency_ms": base * 1000,
        "added_latency_p50_ms": (statistics.median(added) * 1000) if added else 0.0,
        "added_latency_p99_ms": (added[min(len(added) - 1, int(len(added) * 0.99))] * 1000)
        if added
        else 0.0,
        "hangs": hangs,
        "lost_events": lost,
    }


async def pydantic_ai_chaos(runs: int, rate: float, seed: int, concurrency: int) -> dict[str, Any]:
    """The same runs through pydantic-ai: FallbackModel over OpenAIChatModel and AnthropicModel.

    The retries are the vendor SDKs' own (``max_retries=2``: three attempts, as RetryPolicy here; their backoff
    starts at 0.5 s and is not configurable, ours at 0.01 s), ``timeout=0.25`` per attempt as our inner
    Deadline, a response handler rejecting empty answers as ``empty_answer``, and 5 s overall with
    ``anyio.fail_after``. pydantic-ai has no circuit breaker and records no retry events (the SDKs retry
    internally), so lost events cannot be counted for it.
    """
    from anthropic import AsyncAnthropic
    from openai import AsyncOpenAI
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse as PaiResponse
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.models.fallback import FallbackModel
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.anthropic import AnthropicProvider as PaiAnthropic
    from pydantic_ai.providers.openai import OpenAIProvider as PaiOpenAI

    def empty(response: Any) -> bool:
        return not any(getattr(part, "content", "") for part in response.parts)

    empty.__annotations__ = {"response": PaiResponse, "return": bool}
    # pydantic-ai warns that response handlers are not applied to streamed requests: a real difference (our
    # Fallback applies predicates to a stream until its first event), reported here rather than printed per run.
    warnings.filterwarnings("ignore", message=".*response handlers.*not applied to streamed")

    outcomes: dict[str, int] = {}
    took_by_run: dict[str, float] = {}
    async with FakeProviderServer(responder=make_responder(rate, seed)) as server:
        openai_client = AsyncOpenAI(
            base_url=server.url + "/v1", api_key="test", max_retries=2, timeout=0.25
        )
        anthropic_client = AsyncAnthropic(
            base_url=server.url, api_key="test", max_retries=2, timeout=0.25
        )
        model = FallbackModel(
            OpenAIChatModel("gpt-4.1", provider=PaiOpenAI(openai_client=openai_client)),
            AnthropicModel(
                "claude-haiku-4-5", provider=PaiAnthropic(anthropic_client=anthropic_client)
            ),
            fallback_on=[Exception, empty],
        )
        agent = Agent(model)

        async def one(run_id: str, stream: bool) -> tuple[str, float]:
            settings: Any = {"extra_headers": {"x-run-id": run_id}}
            started = time.perf_counter()
            outcome = "hang"
            with anyio.move_on_after(HANG_GUARD):
                try:
                    with anyio.fail_after(5.0):
                        if stream:
                            async with agent.run_stream("hello", model_settings=settings) as result:
                                text = "".join([t async for t in result.stream_text(delta=True)])
                        else:
                            text = (await agent.run("hello", model_settings=settings)).output
                    outcome = "ok" if text else "empty"
                except BaseException as exc:  # pydantic-ai raises exception groups from its graph
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    outcome = type(exc).__name__
            return outcome, time.perf_counter() - started

        server.responder, responder = None, server.responder
        baseline = [(await one(f"warm-{i}", bool(i % 2)))[1] for i in range(20)]
        server.responder = responder
        limiter = anyio.Semaphore(concurrency)

        async def worker(i: int) -> None:
            async with limiter:
                outcome, took = await one(f"run-{i}", bool(i % 2))
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                took_by_run[f"run-{i}"] = took

        async with anyio.create_task_group() as tg:
            for i in range(runs):
                tg.start_soon(worker, i)
        faulted = {s.headers.get("x-run-id") for s in server.requests if "x-fault" in s.headers}
        late = {
            s.headers.get("x-run-id")
            for s in server.requests
            if s.headers.get("x-fault") == "cut-late"
        }
        requests = sum(
            1 for s in server.requests if s.headers.get("x-run-id", "").startswith("run-")
        )
        injected = sum(
            1
            for s in server.requests
            if "x-fault" in s.headers and s.headers.get("x-run-id", "").startswith("run-")
        )
    base = statistics.median(baseline)
    added = sorted(max(0.0, t - base) for r, t in took_by_run.items() if r in faulted)
    ok = outcomes.get("ok", 0)
    return {
        "runs": runs,
        "fault_rate": rate,
        "requests": requests,
        "faults_injected": injected,
        "success_rate": ok / runs,
        "success_rate_excluding_cut_after_content": ok / max(1, runs - len(late)),
        "outcomes": dict(sorted(outcomes.items())),
        "baseline_latency_ms": base * 1000,
        "added_latency_p50_ms": (statistics.median(added) * 1000) if added else 0.0,
        "added_latency_p99_ms": (added[min(len(added) - 1, int(len(added) * 0.99))] * 1000)
        if added
        else 0.0,
        "hangs": outcomes.get("hang", 0),
        "lost_events": "n/a (no retry events)",
    }


def pydantic_ai_row(runs: int, rate: float, seed: int, concurrency: int) -> dict[str, Any]:
    try:
        import pydantic_ai  # noqa: F401
        from pydantic_ai.models.fallback import FallbackModel  # noqa: F401
    except ImportError as exc:
        return {
            "status": "unavailable",
            "reason": f"pydantic_ai is not importable ({exc}); install pydantic-ai-slim[openai,anthropic]",
        }
    try:
        return {"status": "ok", **anyio.run(pydantic_ai_chaos, runs, rate, seed, concurrency)}
    except Exception as exc:  # report, never fail the benchmark
        return {"status": "unavailable", "reason": f"{type(exc).__name__}: {exc}"}


def print_row(name: str, a: dict[str, Any]) -> None:
    print(f"{name}: {a['runs']} runs, fault rate {a['fault_rate']:.0%}")
    print(
        f"  requests sent          {a['requests']} ({a['faults_injected']} with an injected fault)"
    )
    print(f"  success rate           {a['success_rate']:.1%}")
    print(
        f"    excluding streams cut after content: {a['success_rate_excluding_cut_after_content']:.1%}"
    )
    print(f"  outcomes               {a['outcomes']}")
    print(f"  fault-free latency     {a['baseline_latency_ms']:.1f} ms (median)")
    print(
        f"  added latency p50/p99  {a['added_latency_p50_ms']:.1f} / {a['added_latency_p99_ms']:.1f} ms"
    )
    print(f"  hangs                  {a['hangs']}  (target 0)")
    print(f"  lost events            {a['lost_events']}  (target 0)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    runs = args.runs or (60 if args.quick else 400)
    report = {
        "agentkit": anyio.run(agentkit_chaos, runs, args.rate, args.seed, args.concurrency),
        "pydantic_ai": pydantic_ai_row(runs, args.rate, args.seed, args.concurrency),
    }
    print(f"seed {args.seed}")
    print_row("agentkit (RetryPolicy + CircuitBreaker + Fallback + Deadline)", report["agentkit"])
    p = report["pydantic_ai"]
    if p["status"] == "ok":
        print_row("pydantic-ai (FallbackModel + SDK max_retries=2)", p)
    else:
        print(f"pydantic-ai FallbackModel: {p['status']} ({p['reason']})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
