"""The definition path (issue 13): register, export and list many tools, and what each registered tool weighs.

Usage::

    python benchmarks/bench_definition.py [--quick]
    python benchmarks/run.py --only definition [--quick]

On the 1,000 distinct generated tools of ``_manytools.py`` (``--quick``: the first 200; figures still per 1,000):

* **registry**: define every tool from its function and produce its input schema. The floor is bare pydantic:
  ``create_model`` from the signature + ``model_json_schema()``. agentkit: ``Registry().register(fn)`` +
  ``contract.input_schema``; pydantic-ai ``Tool(fn).tool_def``; openai-agents ``function_tool(fn,
  strict_mode=False)`` (its strict mode refuses maps); langchain-core ``convert_to_openai_tool(tool(fn))``; mcp
  ``Tool.from_function(fn).parameters``.
* **export**: turn all the already-defined tools into what a provider gets, in one call. The floor is the plain dump
  of the ``model_json_schema()`` each floor model produced when defined (``json.dumps`` of the function
  definition); the collector is off while a call is timed, as ``timeit`` does; agentkit compiles each contract
  with the compile cache cleared before the call (cold), and again from the cache (warm: ``compile_all`` of the same list, and ``compile`` per contract);
  the peers do what they do per request.
* **step**: the tool list an agent step pays: ``registry.toolset().tools()``, their contracts and
  ``compile_all`` for the provider's dialect (what a provider adapter calls; also shown: a cached ``compile`` per
  tool), against what openai-agents does per model call (``Converter.tool_to_openai``).
* **memory**: tracemalloc KiB per defined tool (and RSS KiB, from a separate untraced pass), each contender in a
  fresh interpreter, after defining 20 tools to warm shared caches.

Interleaved rounds as everywhere (``bench_dialects.measure_slices``): per-round ratios to the first entry.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import subprocess
import sys
import time
import tracemalloc
import typing
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness
import _manytools
import bench_dialects
from bench_dialects import Entry, measure_slices

N_TOOLS = 1000
QUICK_TOOLS = 200
FLOOR = "floor (create_model + model_json_schema)"
DUMP_FLOOR = "floor (model_json_schema dump)"

perf_counter = time.perf_counter


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:160]


def floor_model(func: Callable[..., Any]) -> Any:
    """Bare pydantic: a model with one field per parameter (``extra="forbid"``), as a tool layer would build it."""
    from pydantic import ConfigDict, create_model

    hints = typing.get_type_hints(func, include_extras=True)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(func).parameters.items():
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints.get(name, Any), default)
    return create_model(func.__name__, __config__=ConfigDict(extra="forbid"), **fields)


# ------------------------------------------------------------------------------------- define (one tool)


def _definers() -> list[tuple[str, Callable[[Callable[..., Any]], Any]]]:
    """``(name, define)``: define one tool from a function and return what is kept (with its schema)."""
    out: list[tuple[str, Callable[[Callable[..., Any]], Any]]] = []

    def floor(func: Callable[..., Any]) -> Any:
        model = floor_model(func)
        return model, model.model_json_schema()

    out.append((FLOOR, floor))

    from agentkit.registry import Registry

    registry = Registry()

    def agentkit(func: Callable[..., Any]) -> Any:
        item = registry.register(func)
        _ = item.contract.input_schema
        return item

    out.append(("agentkit (Registry.register)", agentkit))

    def add(name: str, build: Callable[[], Callable[[Callable[..., Any]], Any]]) -> None:
        try:
            out.append((name, build()))
        except Exception as exc:  # a missing peer is reported, the run goes on
            print(f"  {name}: unavailable ({_reason(exc)})")

    def pydantic_ai() -> Callable[[Callable[..., Any]], Any]:
        from pydantic_ai import Tool

        def define(func: Callable[..., Any]) -> Any:
            # Kept whole, as a toolset keeps it (its validator and function schema), not only its definition.
            made = Tool(func, takes_ctx=False)
            return made, made.tool_def

        return define

    def openai_agents() -> Callable[[Callable[..., Any]], Any]:
        from agents import function_tool

        return lambda func: function_tool(func, strict_mode=False)

    def langchain() -> Callable[[Callable[..., Any]], Any]:
        from langchain_core.tools import tool
        from langchain_core.utils.function_calling import convert_to_openai_tool

        def define(func: Callable[..., Any]) -> Any:
            made = tool(func)
            return made, convert_to_openai_tool(made)

        return define

    def mcp() -> Callable[[Callable[..., Any]], Any]:
        try:
            from mcp.server.mcpserver.tools import Tool
        except ImportError:  # mcp < 2
            from mcp.server.fastmcp.tools import Tool  # type: ignore[no-redef]
        return Tool.from_function

    add("pydantic-ai-slim", pydantic_ai)
    add("openai-agents", openai_agents)
    add("langchain-core", langchain)
    add("mcp", mcp)
    return out


def _registry_entries(specs: Sequence[_manytools.ToolSpec]) -> list[Entry]:
    entries = []
    for name, define in _definers():
        if name.startswith("agentkit"):
            from agentkit.registry import Registry

            def run(indices: Sequence[int], _specs: Any = specs) -> Any:
                registry = Registry()  # a fresh registry per slice: no name collides
                return [registry.register(_specs[i].func).contract.input_schema for i in indices]

        else:

            def run(indices: Sequence[int], _define: Any = define, _specs: Any = specs) -> Any:
                return [_define(_specs[i].func) for i in indices]

        entries.append(Entry(name, run))
    return entries


# --------------------------------------------------------------------------------------------- memory


def _rss_kib() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        pages = int(fh.read().split()[1])
    import resource

    return pages * resource.getpagesize() / 1024


def memory_child(name: str, count: int) -> dict[str, float]:
    """In a fresh interpreter: KiB per defined tool, traced (tracemalloc) and resident (RSS, untraced pass)."""
    warnings.simplefilter("ignore")
    specs = _manytools.load(20 + 2 * count)
    define = dict(_definers())[name]
    # Warm shared caches (nested models, imports) first.
    kept: list[Any] = [define(s.func) for s in specs[:20]]
    gc.collect()
    rss0 = _rss_kib()
    kept.extend(define(s.func) for s in specs[20 : 20 + count])
    gc.collect()
    rss = (_rss_kib() - rss0) / count
    tracemalloc.start()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    kept.extend(define(s.func) for s in specs[20 + count :])
    gc.collect()
    traced = (tracemalloc.get_traced_memory()[0] - before) / 1024 / count
    tracemalloc.stop()
    return {"traced_kib": traced, "rss_kib": rss}


def _memory_rows(count: int) -> list[dict[str, Any]]:
    rows = []
    for name, _ in _definers():
        proc = subprocess.run(
            [sys.executable, __file__, "--memory-child", name, str(count)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if proc.returncode != 0:
            lines = (proc.stderr or "").strip().splitlines() or [f"exit {proc.returncode}"]
            rows.append({"name": name, "status": f"failed ({lines[-1][:120]})"})
            continue
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append({"name": name, "status": "ok", **data})
    return rows


# --------------------------------------------------------------------------------------------- export


def _export_entries(
    specs: Sequence[_manytools.ToolSpec], ak: bench_dialects._Agentkit
) -> list[Entry]:
    # The floor holds the schema pydantic produced when the tool was defined and dumps it as the function
    # definition a provider gets: what a bare-pydantic app pays per request.
    schemas = [floor_model(s.func).model_json_schema() for s in specs]
    docs = [inspect.getdoc(s.func) or "" for s in specs]
    names = [s.func.__name__ for s in specs]
    dumps = json.dumps

    def dump(indices: Sequence[int]) -> Any:
        return [
            dumps(
                {
                    "type": "function",
                    "function": {
                        "name": names[i],
                        "description": docs[i],
                        "parameters": schemas[i],
                    },
                }
            )
            for i in indices
        ]

    entries = [Entry(DUMP_FLOOR, dump)]
    for dialect in ("openai-strict", "openai", "anthropic", "gemini", "mcp"):
        cold = ak.cold(dialect)
        entries.append(dataclass_replace(cold, name=f"agentkit cold {dialect}"))
    # The same export again: the list compiled as a whole (what a provider adapter does per request), and each
    # contract compiled on its own from the cache.
    entries.append(
        dataclass_replace(ak.warm_all("openai-strict"), name="agentkit warm openai-strict")
    )
    warm = ak.warm("openai-strict")
    entries.append(dataclass_replace(warm, name="agentkit warm openai-strict, compile per tool"))
    return entries


def dataclass_replace(entry: Entry, **changes: Any) -> Entry:
    import dataclasses

    return dataclasses.replace(entry, **changes)


def _peer_export_entries(specs: Sequence[_manytools.ToolSpec]) -> list[Entry]:
    out = []
    for cls in (bench_dialects._PydanticAI, bench_dialects._OpenAIAgents):
        try:
            peer = cls(specs)
        except Exception as exc:
            print(f"  {cls.name}: unavailable ({_reason(exc)})")
            continue
        for dialect in ("openai-strict", "openai"):
            entry = peer.export(dialect)
            if entry is not None:
                out.append(dataclass_replace(entry, name=f"{cls.name} {dialect}"))
    return out


def _step_entries(ak: bench_dialects._Agentkit, peers: Sequence[Entry]) -> list[Entry]:
    dialect = ak.dialects.get_dialect("openai")
    toolset = ak.registry.toolset()

    def step(_indices: Sequence[int]) -> Any:
        # What the loop and a provider adapter do: list the tools, take their contracts, compile_all them.
        return dialect.compile_all([t.contract for t in toolset.tools()])

    def step_per_tool(_indices: Sequence[int]) -> Any:
        return [dialect.compile(t.contract) for t in toolset.tools()]

    entries = [
        Entry("agentkit (toolset.tools() + compile_all)", step),
        Entry("agentkit (toolset.tools() + compile per tool)", step_per_tool),
    ]
    entries.extend(
        dataclass_replace(e, name=e.name.replace(" openai", " per request (openai)"))
        for e in peers
        if e.name.endswith(" openai")
    )
    return entries


# ----------------------------------------------------------------------------------------------- run


def _summary(result: _harness.Result, scale: float) -> dict[str, Any]:
    row = _harness.summarize(result)
    if row.get("status") == "ok":
        # per_call is seconds per tool: ms per 1,000 tools = seconds per tool * 1e6
        row["ms_per_1000"] = row.pop("us_per_call_median") * scale
    return row


def _print(title: str, rows: list[dict[str, Any]], ref: str) -> None:
    print(f"\n{title} (ratio to {ref} in the same round)")
    print(f"  {'contender':<48} {'median':>7}   {'[p25 - p75]':<14} {'per 1,000 tools':>16}")
    for row in rows:
        if row.get("status") != "ok":
            print(f"  {row['name']:<48} {row.get('status')}")
            continue
        print(
            f"  {row['name']:<48} {row['ratio_median']:>6.2f}x   "
            f"[{row['ratio_p25']:.2f} - {row['ratio_p75']:.2f}]   {row['ms_per_1000']:>12.2f} ms"
        )


def run(*, quick: bool = False) -> dict[str, Any]:
    """Measure, print and return the registry, export, step and memory figures."""
    warnings.simplefilter("ignore")
    started = perf_counter()
    n = QUICK_TOOLS if quick else N_TOOLS
    specs = _manytools.load(n)
    duration = 4.0 if quick else 24.0
    report: dict[str, Any] = {"title": "the definition path, per 1,000 distinct tools", "tools": n}

    slices = bench_dialects._slices(n, 50)
    results = measure_slices(_registry_entries(specs), slices, duration=duration, min_rounds=5)
    report["registry"] = [_summary(r, 1.0) for r in results]
    _print("registry: define 1,000 distinct tools + input schema", report["registry"], FLOOR)

    ak = bench_dialects._Agentkit(specs)
    peers = _peer_export_entries(specs)
    # Each call exports every tool (the goal is about exporting 1,000 tools cold: a definition shared between
    # tools is compiled once per export), with the collector off while it is timed (as timeit does): a call
    # this long would otherwise pay for collection passes over whatever the other contenders left behind.
    gc.collect()
    gc.freeze()
    results = measure_slices(
        _export_entries(specs, ak) + peers,
        [list(range(n))],
        duration=duration,
        min_rounds=5,
        gc_off=True,
    )
    report["export"] = [_summary(r, 1.0) for r in results]
    _print("export: defined tools -> provider definitions", report["export"], DUMP_FLOOR)

    all_indices = [list(range(n))]
    results = measure_slices(
        _step_entries(ak, peers), all_indices, duration=duration / 2, min_rounds=5
    )
    report["step"] = [_summary(r, 1.0) for r in results]
    _print("step: the tool list an agent step pays", report["step"], "agentkit")

    report["memory"] = _memory_rows(100 if quick else 300)
    print("\nmemory per defined tool (fresh interpreter each; tracemalloc KiB, RSS KiB untraced)")
    for row in report["memory"]:
        if row.get("status") != "ok":
            print(f"  {row['name']:<48} {row['status']}")
        else:
            print(
                f"  {row['name']:<48} {row['traced_kib']:>7.1f} KiB   ({row['rss_kib']:.0f} KiB RSS)"
            )
    report["seconds"] = round(perf_counter() - started, 1)
    print(f"\ndefinition: {report['seconds']:.0f} s")
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the definition benchmark; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--memory-child", nargs=2, metavar=("NAME", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.memory_child:
        name, count = args.memory_child
        print(json.dumps(memory_child(name, int(count))))
        return 0
    run(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
