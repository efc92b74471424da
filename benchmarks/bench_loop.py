"""Agent-loop overhead per step: agentkit's ``Agent`` against pydantic-ai's and the OpenAI Agents SDK's runners.

Usage::

    python benchmarks/bench_loop.py [--quick] [--profile] [--steps N] [--long-steps N]
    python benchmarks/run.py --only loop [--quick]

One run is ``TOOL_STEPS`` steps in which the model calls one tool, then a step in which it answers. The model is
scripted and answers instantly (agentkit: ``FunctionProvider``; pydantic-ai: ``FunctionModel``; openai-agents: a
minimal ``Model`` implementation below), and the tool is an ``async def`` returning a short string, so what is
measured is each framework's loop: building the request, decoding the call, validating the arguments, running the
tool, appending the result, and its bookkeeping (events, usage, tracing...). Every run's output is checked: the
final answer must carry the last tool result, so a contender cannot skip work.

Contenders are interleaved in rounds (``_harness.measure_async``); each round's time per run is divided by
agentkit's in the same round, and we report the median of those ratios (agentkit = 1.0) and the median time per
*step* (time per run / model calls per run). ``--profile`` prints a cProfile of agentkit's loop instead.

A second table runs agentkit alone on a long run (``LONG_TOOL_STEPS`` tool steps, ``--long-steps``; 0 leaves it
out), with the full default stack and with redaction off: a per-step cost that grew with the length of the run
(redaction re-scanning what earlier events carried) would show there as a higher per-step figure than the first
table's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.metadata
import io
import pstats
import sys
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness

TOOL_STEPS = 4
"""Tool-calling steps per run; one more step gives the final answer."""
LONG_TOOL_STEPS = 40
"""Tool-calling steps per run in the long-run table (agentkit alone)."""
STEPS = TOOL_STEPS + 1
PROMPT = "look up the key"
EXPECTED = f"done: K{TOOL_STEPS - 1}"


def expected(tool_steps: int) -> str:
    """The final answer of a run of ``tool_steps`` tool steps: the last tool result."""
    return f"done: K{tool_steps - 1}"


AsyncCall = Callable[[str], Awaitable[str]]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:160]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


async def lookup(key: str) -> str:
    """Look a key up."""
    return key.upper()


# ------------------------------------------------------------------------------------------ agentkit


def agentkit_contender(
    *, retry: bool = False, redaction: bool = True, store: bool = False, steps: int = TOOL_STEPS
) -> AsyncCall:
    """``Agent(FunctionProvider(script), tools=[lookup])``; ``await agent.run(prompt)``.

    ``retry`` wraps the provider in the default ``RetryPolicy`` (what ``infer_provider`` does), ``redaction=False``
    passes ``redactor=False`` and ``store`` records every event to a ``SQLiteStore`` in a temporary directory
    through a ``StoreSink``. The run scope is always on: ``Agent.run`` sets it. ``steps`` is the number of tool
    steps per run.
    """
    import tempfile

    from agentkit import tool
    from agentkit.messages import ToolCallPart, ToolResultPart
    from agentkit.providers import ModelRequest
    from agentkit.resilience import RetryPolicy
    from agentkit.runtime import Agent
    from agentkit.storage import SQLiteStore, StoreSink
    from agentkit.testing import FunctionProvider

    def script(request: ModelRequest) -> Any:
        results = [p for m in request.messages for p in m.parts if isinstance(p, ToolResultPart)]
        n = len(results)
        if n < steps:
            return [ToolCallPart(id=f"c{n}", name="lookup", arguments=f'{{"key": "k{n}"}}')]
        return f"done: {_strip_frame(results[-1].content)}"

    provider = FunctionProvider(script)
    model: Any = RetryPolicy(provider) if retry else provider
    sinks: list[Any] = []
    if store:
        folder = tempfile.mkdtemp(prefix="agentkit-bench-loop-")
        sinks.append(StoreSink(SQLiteStore(Path(folder) / "events.db")))
    agent = Agent(model, tools=[tool(lookup)], redactor=redaction, sinks=sinks, max_steps=steps + 1)

    async def call(prompt: str) -> str:
        provider.requests.clear()  # FunctionProvider records every request; keep memory flat
        return (await agent.run(prompt)).output

    return call


def _stack(**parts: bool) -> Callable[..., AsyncCall]:
    return lambda steps=TOOL_STEPS: agentkit_contender(**parts, steps=steps)


def _strip_frame(content: Any) -> str:
    """The tool's text without agentkit's ``<tool-output>`` framing."""
    text = content if isinstance(content, str) else str(content)
    if text.startswith("<tool-output"):
        text = text[text.index(">") + 1 : text.rindex("</tool-output>")]
    return text.strip()


# ------------------------------------------------------------------------------------------ pydantic-ai


def pydantic_ai_contender(steps: int = TOOL_STEPS) -> AsyncCall:
    """``Agent(FunctionModel(script), tools=[lookup])``; ``await agent.run(prompt)``."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import (
        ModelMessage,
        ModelRequest,
        ModelResponse,
        TextPart,
        ToolCallPart,
        ToolReturnPart,
    )
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    # async: FunctionModel runs a plain ``def`` in a worker thread, which would measure the thread hop.
    async def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        results = [
            p
            for m in messages
            if isinstance(m, ModelRequest)
            for p in m.parts
            if isinstance(p, ToolReturnPart)
        ]
        n = len(results)
        if n < steps:
            return ModelResponse(
                parts=[ToolCallPart("lookup", f'{{"key": "k{n}"}}', tool_call_id=f"c{n}")]
            )
        return ModelResponse(parts=[TextPart(f"done: {results[-1].model_response_str()}")])

    agent = Agent(FunctionModel(script), tools=[lookup])

    async def call(prompt: str) -> str:
        return (await agent.run(prompt)).output

    return call


# ------------------------------------------------------------------------------------------ openai-agents


def openai_agents_contender(steps: int = TOOL_STEPS) -> AsyncCall:
    """``Runner.run(Agent(model=ScriptedModel(), tools=[function_tool(lookup)]), prompt)``, tracing disabled."""
    from agents import Agent, RunConfig, Runner, function_tool
    from agents.items import ModelResponse
    from agents.models.interface import Model
    from agents.usage import Usage
    from openai.types.responses import (
        ResponseFunctionToolCall,
        ResponseOutputMessage,
        ResponseOutputText,
    )

    class ScriptedModel(Model):
        """The minimal ``Model``: answers from the input items, no network."""

        async def get_response(
            self,
            system_instructions: Any,
            input: Any,
            model_settings: Any,
            tools: Any,
            output_schema: Any,
            handoffs: Any,
            tracing: Any,
            **kwargs: Any,
        ) -> ModelResponse:
            items = [input] if isinstance(input, str) else input
            results = [
                i for i in items if isinstance(i, dict) and i.get("type") == "function_call_output"
            ]
            n = len(results)
            if n < steps:
                output: list[Any] = [
                    ResponseFunctionToolCall(
                        type="function_call",
                        call_id=f"c{n}",
                        name="lookup",
                        arguments=f'{{"key": "k{n}"}}',
                        id=f"fc{n}",
                    )
                ]
            else:
                text = ResponseOutputText(
                    type="output_text", text=f"done: {results[-1]['output']}", annotations=[]
                )
                output = [
                    ResponseOutputMessage(
                        id="m",
                        type="message",
                        role="assistant",
                        status="completed",
                        content=[text],
                    )
                ]
            return ModelResponse(output=output, usage=Usage(requests=1), response_id=None)

        def stream_response(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError("not used by this benchmark")

    agent = Agent(name="bench", model=ScriptedModel(), tools=[function_tool(lookup)])
    config = RunConfig(tracing_disabled=True)

    async def call(prompt: str) -> str:
        result = await Runner.run(agent, prompt, run_config=config, max_turns=steps + 1)
        return str(result.final_output)

    return call


CONTENDERS: tuple[tuple[str, str, Callable[..., AsyncCall]], ...] = (
    # (name, distribution, factory(steps)); the first is the reference (ratio 1.0)
    ("agentkit, full default stack", "agentkit", _stack(retry=True, redaction=True, store=True)),
    ("agentkit, retry policy off", "agentkit", _stack(retry=False, redaction=True, store=True)),
    ("agentkit, redaction off", "agentkit", _stack(retry=True, redaction=False, store=True)),
    ("agentkit, SQLite store off", "agentkit", _stack(retry=True, redaction=True, store=False)),
    ("agentkit, all off (run scope only)", "agentkit", _stack(retry=False, redaction=False)),
    ("pydantic-ai (FunctionModel)", "pydantic-ai-slim", pydantic_ai_contender),
    ("openai-agents (Runner, scripted Model)", "openai-agents", openai_agents_contender),
)
LONG_CONTENDERS = ("agentkit, full default stack", "agentkit, redaction off")
"""The contenders of the long-run table."""


async def _measure(
    duration: float, steps: int, names: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    live: list[tuple[str, AsyncCall]] = []
    want = expected(steps)
    for name, _, factory in CONTENDERS:
        if names is not None and name not in names:
            continue
        try:
            call = factory(steps=steps)
            text = await call(PROMPT)
        except Exception as exc:
            rows.append({"name": name, "status": f"unavailable ({_reason(exc)})"})
            continue
        if text != want:
            rows.append({"name": name, "status": f"failed (answered {text[:60]!r}, not {want!r})"})
            continue
        live.append((name, call))
    if not live or live[0][0] != CONTENDERS[0][0]:
        return rows
    results = await _harness.measure_async(live, PROMPT, duration=duration, batch_seconds=0.02)
    measured = []
    for result in results:
        row = _harness.summarize(result)
        if row.get("status") == "ok":
            row["us_per_run_median"] = row.pop("us_per_call_median")
            row["us_per_step_median"] = row["us_per_run_median"] / (steps + 1)
        measured.append(row)
    return measured + rows


def _print(rows: list[dict[str, Any]], steps: int) -> None:
    print(
        f"\nloop: agent-loop overhead per step ({steps} tool steps + 1 answer, scripted model); "
        "ratio to agentkit in the same round"
    )
    print(f"  {'contender':<42} {'median':>7}   {'[p25 - p75]':<14} {'per step':>10} {'rounds':>7}")
    for row in rows:
        if row.get("status") != "ok":
            print(f"  {row['name']:<42} {row.get('status')}")
            continue
        print(
            f"  {row['name']:<42} {row['ratio_median']:>6.2f}x   "
            f"[{row['ratio_p25']:.2f} - {row['ratio_p75']:.2f}]  "
            f"{row['us_per_step_median']:>8.1f} us {row['rounds']:>7}"
        )


def run(
    *, quick: bool = False, steps: int = TOOL_STEPS, long_steps: int = LONG_TOOL_STEPS
) -> dict[str, Any]:
    """Measure, print and return the results as a dict (``long_rows``: the long-run table, when measured)."""
    warnings.simplefilter("ignore")  # peers' deprecation chatter is not ours to fix
    start = perf_counter()
    duration = 3.0 if quick else 30.0
    rows = asyncio.run(_measure(duration, steps))
    _print(rows, steps)
    report: dict[str, Any] = {
        "title": "agent-loop overhead per step (scripted model, one tool call per step)",
        "tool_steps": steps,
        "model_calls_per_run": steps + 1,
        "rows": rows,
        "versions": {dist: _version(dist) for _, dist, _ in CONTENDERS},
    }
    if long_steps:
        long_rows = asyncio.run(_measure(duration / 3, long_steps, LONG_CONTENDERS))
        _print(long_rows, long_steps)
        report["long_tool_steps"] = long_steps
        report["long_rows"] = long_rows
    report["seconds"] = round(perf_counter() - start, 1)
    print(f"\nloop: {report['seconds']:.0f} s")
    return report


def profile(runs: int = 2000, top: int = 30, steps: int = TOOL_STEPS) -> None:
    """Print a cProfile of agentkit's loop over ``runs`` runs, by own time and by cumulative time."""
    call = agentkit_contender(steps=steps)

    async def loop(n: int) -> None:
        for _ in range(n):
            await call(PROMPT)

    asyncio.run(loop(100))
    profiler = cProfile.Profile()

    async def profiled() -> None:
        profiler.enable()
        await loop(runs)
        profiler.disable()

    asyncio.run(profiled())
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key)
        stats.print_stats(top)
        print(f"\n--- by {key} ({runs} runs, {runs * (steps + 1)} steps) ---")
        print("\n".join(out.getvalue().splitlines()[4:]))


def main(argv: list[str] | None = None) -> int:
    """Run the loop benchmark (or ``--profile``); always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds instead of ~30")
    parser.add_argument("--profile", action="store_true", help="cProfile agentkit's loop instead")
    parser.add_argument(
        "--steps", type=int, default=TOOL_STEPS, help=f"tool steps per run (default {TOOL_STEPS})"
    )
    parser.add_argument(
        "--long-steps",
        type=int,
        default=LONG_TOOL_STEPS,
        help=f"tool steps per run of the long-run table (default {LONG_TOOL_STEPS}; 0: none)",
    )
    args = parser.parse_args(argv)
    if args.profile:
        profile(steps=args.steps)
    else:
        run(quick=args.quick, steps=args.steps, long_steps=args.long_steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
