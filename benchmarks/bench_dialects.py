"""Dialect export benchmark (issue 3): 1,000 tools compiled to every schema dialect, cold and warm, beside peers.

Usage::

    python benchmarks/bench_dialects.py [--quick] [--json out.json]
    python benchmarks/run.py --only dialects [--quick]

The 1,000 tools come from ``_manytools.py`` (fixed seed, 2-12 parameters, nested models, enums, optional fields,
maps, lists) and are registered in an ``agentkit.registry.Registry``. Two groups of measurements:

* **export** (one table per dialect): the tools are already defined, their contracts and schemas already built
  (``contract.fingerprint`` computed once). ``agentkit cold`` is ``clear_compile_cache()`` (untimed) then
  ``dialect.compile(contract)`` for each tool; ``agentkit warm`` compiles tools already in the cache (every warm
  call is checked: ``compile_cache_info().misses`` must not move). The peers do what they do for every request
  with tools they already hold: pydantic-ai runs its profile's ``JsonSchemaTransformer`` through
  ``_customize_tool_def`` and maps the ``ToolDefinition``; openai-agents maps its ``FunctionTool`` with
  ``Converter.tool_to_openai``; langchain-core runs ``convert_to_openai_tool`` on the ``BaseTool``; the MCP SDK
  wraps its ``Tool.parameters`` into an ``mcp_types.Tool`` as ``list_tools`` does.
* **define + export**: from the plain functions, define each tool with the contender's decorator and export it,
  to ``openai-strict`` (and to ``mcp`` for agentkit beside the MCP SDK).

Method (see ``_harness.py``): rounds; in every round each contender processes the same slice of the 1,000 tools
(the tools are generated in random order, so every slice is a similar mix), in an order rotated from round to
round. The ratio is taken to the first contender of the table *in the same round*, and we report the median of
those ratios with p25-p75. "ms / 1,000 tools" is the median time per tool times 1,000.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.metadata
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness
import _manytools

__all__ = ("main", "run")

DIALECTS = ("canonical", "openai-strict", "openai", "anthropic", "gemini", "mcp")
N_TOOLS = 1000
QUICK_TOOLS = 200  # --quick: a smoke run on the first 200 tools (figures still per 1,000)
perf_counter = time.perf_counter


@dataclass
class Entry:
    """One contender: ``run(indices)`` is timed; ``prepare(indices)`` runs untimed just before it."""

    name: str
    run: Callable[[Sequence[int]], Any]
    prepare: Callable[[Sequence[int]], Any] | None = None
    after: Callable[[], Any] | None = None  # runs untimed right after ``run``


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:160]


def measure_slices(
    entries: Sequence[Entry],
    slices: Sequence[Sequence[int]],
    *,
    duration: float,
    min_rounds: int,
    gc_off: bool = False,
) -> list[_harness.Result]:
    """Interleave ``entries`` (the first is the reference) over ``slices``: round r uses slice r mod len(slices).

    ``Result.per_call`` holds seconds *per tool*, one sample per round; ``ratios`` the per-round ratio to the
    first entry. With ``gc_off``, the garbage collector is off while a call is timed (as ``timeit`` does) and
    collects between calls: what a collection pass costs then depends on everything else in the process (other
    contenders' garbage included), not on the call.
    """
    results = [_harness.Result(e.name) for e in entries]
    for entry in entries:  # warm up: imports, lazy builds, pydantic's schema caches
        if entry.prepare:
            entry.prepare(slices[0])
        entry.run(slices[0])
    order = list(range(len(entries)))
    deadline = perf_counter() + duration
    rnd = 0
    while rnd < min_rounds or perf_counter() < deadline:
        chunk = slices[rnd % len(slices)]
        k = rnd % len(order)
        times = [0.0] * len(entries)
        for i in order[k:] + order[:k]:
            entry = entries[i]
            if entry.prepare:
                entry.prepare(chunk)
            if gc_off:
                gc.collect()
                gc.disable()
            start = perf_counter()
            try:
                entry.run(chunk)
            finally:
                times[i] = (perf_counter() - start) / len(chunk)
                if gc_off:
                    gc.enable()
            if entry.after:
                entry.after()
        for i, result in enumerate(results):
            result.per_call.append(times[i])
            result.ratios.append(times[i] / times[0])
        rnd += 1
    return results


# ----------------------------------------------------------------------------------------------- agentkit


class _Agentkit:
    def __init__(self, specs: Sequence[_manytools.ToolSpec]) -> None:
        from agentkit.registry import Registry
        from agentkit.tools import dialects

        self.dialects = dialects
        self.Registry = Registry
        self.specs = specs
        start = perf_counter()
        self.registry = Registry()
        for spec in specs:
            self.registry.register(spec.func)
        self.define_seconds = perf_counter() - start
        by_name = {t.contract.name: t for t in self.registry.tools()}
        self.contracts = [by_name[s.func.__name__].contract for s in specs]  # generation order
        for contract in self.contracts:
            _ = contract.fingerprint  # computed once, like any long-lived registry
        self.warm_checks = 0
        self.warm_violations = 0

    def cold(self, dialect: str) -> Entry:
        compile_ = self.dialects.get_dialect(dialect).compile
        contracts = self.contracts
        clear = self.dialects.clear_compile_cache

        def run(indices: Sequence[int]) -> Any:
            return [compile_(contracts[i]) for i in indices]

        return Entry("agentkit cold (compile)", run, lambda _: clear())

    def warm(self, dialect: str) -> Entry:
        compile_ = self.dialects.get_dialect(dialect).compile
        info = self.dialects.compile_cache_info
        contracts = self.contracts
        misses = [0]

        def prepare(indices: Sequence[int]) -> None:
            # Make sure the slice is cached (a cold entry may have cleared the cache).
            for i in indices:
                compile_(contracts[i])
            misses[0] = info().misses

        def run(indices: Sequence[int]) -> Any:
            return [compile_(contracts[i]) for i in indices]

        def after() -> None:
            self.warm_checks += 1
            if info().misses != misses[0]:
                self.warm_violations += 1

        return Entry("agentkit warm (cache hit)", run, prepare, after)

    def warm_all(self, dialect: str) -> Entry:
        """The same export again as one list: ``compile_all`` of the slice's contracts, already compiled once."""
        compile_all = self.dialects.get_dialect(dialect).compile_all
        info = self.dialects.compile_cache_info
        contracts = self.contracts
        batch: list[Any] = []
        misses = [0]

        def prepare(indices: Sequence[int]) -> None:
            batch[:] = [contracts[i] for i in indices]
            compile_all(
                batch
            )  # the first export of this list (a cold entry may have cleared the cache)
            misses[0] = info().misses

        def run(_indices: Sequence[int]) -> Any:
            return compile_all(batch)

        def after() -> None:
            self.warm_checks += 1
            if info().misses != misses[0]:
                self.warm_violations += 1

        return Entry("agentkit warm (compile_all)", run, prepare, after)

    def verify_full(self, dialect: str) -> dict[str, Any]:
        """Export all the tools twice from a cleared cache; the second export must not compile anything."""
        d = self.dialects.get_dialect(dialect)
        self.dialects.clear_compile_cache()
        start = perf_counter()
        cold = [_try_compile(d, contract) for contract in self.contracts]
        cold_ms = (perf_counter() - start) * 1e3
        errors = sum(c is None for c in cold)
        warnings = sum(len(c.warnings) for c in cold if c is not None)
        after_cold = self.dialects.compile_cache_info()
        start = perf_counter()
        for contract in self.contracts:
            _try_compile(d, contract)
        warm_ms = (perf_counter() - start) * 1e3
        after_warm = self.dialects.compile_cache_info()
        ok = after_warm.misses == after_cold.misses
        assert ok, f"{dialect}: the warm export compiled again ({after_cold} -> {after_warm})"
        return {
            "dialect": dialect,
            "errors": errors,
            "warnings": warnings,
            "cold_ms_single": cold_ms,
            "warm_ms_single": warm_ms,
            "misses_after_cold": after_cold.misses,
            "misses_after_warm": after_warm.misses,
            "hits_added_by_warm": after_warm.hits - after_cold.hits,
            "warm_compiled_again": not ok,
        }

    def define_export(self, dialect: str, label: str) -> Entry:
        get_dialect = self.dialects.get_dialect
        clear = self.dialects.clear_compile_cache
        Registry = self.Registry
        specs = self.specs

        def run(indices: Sequence[int]) -> Any:
            registry = Registry()
            for i in indices:
                registry.register(specs[i].func)
            d = get_dialect(dialect)
            return [d.compile(t.contract) for t in registry.tools()]

        return Entry(label, run, lambda _: clear())


def _try_compile(dialect: Any, contract: Any) -> Any:
    try:
        return dialect.compile(contract)
    except Exception:  # a schema the dialect refuses counts as an error, the run goes on
        return None


# ----------------------------------------------------------------------------------------------- peers


class _PydanticAI:
    name = "pydantic-ai-slim"

    def __init__(self, specs: Sequence[_manytools.ToolSpec]) -> None:
        from pydantic_ai import Tool
        from pydantic_ai.models import _customize_tool_def
        from pydantic_ai.profiles.google import google_model_profile

        self.Tool = Tool
        self.customize = _customize_tool_def
        self.specs = specs
        self.tool_defs = [Tool(s.func, takes_ctx=False).tool_def for s in specs]
        self.google = _profile_get(
            google_model_profile("gemini-2.5-flash"), "json_schema_transformer"
        )
        self.openai_transformer: Any = None
        self.openai_map: Callable[[Any], Any] | None = None
        try:
            from pydantic_ai.models.openai import OpenAIChatModel
            from pydantic_ai.providers.openai import OpenAIProvider

            model = OpenAIChatModel("gpt-4.1", provider=OpenAIProvider(api_key="sk-bench"))
            self.openai_transformer = _profile_get(model.profile, "json_schema_transformer")
            self.openai_map = lambda td: model._map_tool_definition(td, {})
        # Without the openai SDK: the profile's transformer and the same envelope.
        except Exception:
            from pydantic_ai.profiles.openai import openai_model_profile

            self.openai_transformer = _profile_get(
                openai_model_profile("gpt-4.1"), "json_schema_transformer"
            )

    def _openai(self, td: Any) -> Any:
        if self.openai_map is not None:
            return self.openai_map(td)
        function = {
            "name": td.name,
            "description": td.description or "",
            "parameters": td.parameters_json_schema,
        }
        if td.strict:
            function["strict"] = True
        return {"type": "function", "function": function}

    def export(self, dialect: str) -> Entry | None:
        """What pydantic-ai does per request with tool definitions it holds: the profile's transform, then map."""
        tds = self.tool_defs
        customize = self.customize
        replace = dataclasses.replace
        if dialect in ("openai-strict", "openai"):
            transformer = self.openai_transformer
            strict = dialect == "openai-strict"
            tds = [replace(td, strict=strict) for td in tds]
            openai = self._openai

            def run(indices: Sequence[int]) -> Any:
                return [openai(customize(transformer, tds[i])) for i in indices]

        elif dialect == "gemini":
            transformer = self.google

            def run(indices: Sequence[int]) -> Any:
                out = []
                for i in indices:
                    td = customize(transformer, tds[i])
                    out.append(
                        {
                            "name": td.name,
                            "description": td.description or "",
                            "parameters_json_schema": td.parameters_json_schema,
                        }
                    )
                return out

        # pydantic-ai's Anthropic profile has no transformer: the mapping only.
        elif dialect == "anthropic":

            def run(indices: Sequence[int]) -> Any:
                return [
                    {
                        "name": tds[i].name,
                        "description": tds[i].description or "",
                        "input_schema": tds[i].parameters_json_schema,
                    }
                    for i in indices
                ]

        else:
            return None
        return Entry(self.name, run)

    def define_export(self) -> Entry:
        Tool = self.Tool
        customize = self.customize
        transformer = self.openai_transformer
        openai = self._openai
        specs = self.specs
        replace = dataclasses.replace

        def run(indices: Sequence[int]) -> Any:
            return [
                openai(
                    customize(
                        transformer,
                        replace(Tool(specs[i].func, takes_ctx=False).tool_def, strict=True),
                    )
                )
                for i in indices
            ]

        return Entry(self.name + " -> openai-strict", run)


def _profile_get(profile: Any, key: str) -> Any:
    if profile is None:
        return None
    return profile.get(key) if hasattr(profile, "get") else getattr(profile, key, None)


class _OpenAIAgents:
    name = "openai-agents"

    def __init__(self, specs: Sequence[_manytools.ToolSpec]) -> None:
        from agents import function_tool, set_tracing_disabled
        from agents.models.chatcmpl_converter import Converter

        set_tracing_disabled(True)
        logging.getLogger("openai.agents").setLevel(logging.CRITICAL)
        self.function_tool = function_tool
        self.to_openai = Converter.tool_to_openai
        self.specs = specs
        self.loose_tools = [function_tool(s.func, strict_mode=False) for s in specs]
        self.strict_tools = []
        self.fallbacks = 0
        for spec, loose in zip(specs, self.loose_tools, strict=True):
            strict = self._strict(spec.func)
            self.fallbacks += strict is None
            self.strict_tools.append(loose if strict is None else strict)

    def _strict(self, func: Callable[..., Any]) -> Any:
        try:
            return self.function_tool(func)  # strict by default
        except Exception:  # its strict mode refuses maps (additionalProperties: an object)
            return None

    def _define(self, func: Callable[..., Any]) -> Any:
        # Strict first, as the default; when refused, what a user does next.
        return self._strict(func) or self.function_tool(func, strict_mode=False)

    def export(self, dialect: str) -> Entry | None:
        if dialect not in ("openai-strict", "openai"):
            return None
        tools = self.strict_tools if dialect == "openai-strict" else self.loose_tools
        to_openai = self.to_openai

        def run(indices: Sequence[int]) -> Any:
            return [to_openai(tools[i]) for i in indices]

        return Entry(self.name, run)

    def define_export(self) -> Entry:
        define = self._define
        to_openai = self.to_openai
        specs = self.specs

        def run(indices: Sequence[int]) -> Any:
            return [to_openai(define(specs[i].func)) for i in indices]

        return Entry(self.name + " -> openai-strict", run)


class _LangChain:
    name = "langchain-core"

    def __init__(self, specs: Sequence[_manytools.ToolSpec]) -> None:
        from langchain_core.tools import tool
        from langchain_core.utils.function_calling import convert_to_openai_tool

        self.tool = tool
        self.convert = convert_to_openai_tool
        self.specs = specs
        self.tools = [tool(s.func) for s in specs]

    def export(self, dialect: str) -> Entry | None:
        if dialect not in ("openai-strict", "openai"):
            return None
        strict = dialect == "openai-strict"
        convert = self.convert
        tools = self.tools

        def run(indices: Sequence[int]) -> Any:
            return [convert(tools[i], strict=strict) for i in indices]

        return Entry(self.name, run)

    def define_export(self) -> Entry:
        convert = self.convert
        tool = self.tool
        specs = self.specs

        def run(indices: Sequence[int]) -> Any:
            return [convert(tool(specs[i].func), strict=True) for i in indices]

        return Entry(self.name + " -> openai-strict", run)


class _MCP:
    name = "mcp"

    def __init__(self, specs: Sequence[_manytools.ToolSpec]) -> None:
        try:
            from mcp.server.mcpserver.tools import Tool
        except ImportError:  # mcp < 2
            from mcp.server.fastmcp.tools import Tool  # type: ignore[no-redef]
        try:
            from mcp_types import Tool as MCPTool

            self.kw = "input_schema"
        except ImportError:  # mcp < 2
            from mcp.types import Tool as MCPTool  # type: ignore[no-redef]

            self.kw = "inputSchema"
        self.Tool = Tool
        self.MCPTool = MCPTool
        self.specs = specs
        self.tools = [Tool.from_function(s.func) for s in specs]

    def _wire(self, info: Any) -> Any:
        # What MCPServer.list_tools sends for each registered tool.
        return self.MCPTool(
            name=info.name,
            title=info.title,
            description=info.description,
            **{self.kw: info.parameters},
            output_schema=info.output_schema,
            annotations=info.annotations,
        )

    def export(self, dialect: str) -> Entry | None:
        if dialect != "mcp":
            return None
        wire = self._wire
        tools = self.tools

        def run(indices: Sequence[int]) -> Any:
            return [wire(tools[i]) for i in indices]

        return Entry(self.name, run)

    def define_export(self) -> Entry:
        wire = self._wire
        Tool = self.Tool
        specs = self.specs

        def run(indices: Sequence[int]) -> Any:
            return [wire(Tool.from_function(specs[i].func)) for i in indices]

        return Entry(self.name + " -> mcp", run)


PEERS: tuple[tuple[str, str, Callable[[Sequence[_manytools.ToolSpec]], Any]], ...] = (
    ("pydantic-ai-slim", "pydantic-ai-slim", _PydanticAI),
    ("openai-agents", "openai-agents", _OpenAIAgents),
    ("langchain-core", "langchain-core", _LangChain),
    ("mcp", "mcp", _MCP),
)


# ----------------------------------------------------------------------------------------------- running


def _slices(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def _summary(result: _harness.Result) -> dict[str, Any]:
    row = _harness.summarize(result)
    if row.get("status") == "ok":
        row["ms_per_1000_tools"] = statistics.median(result.per_call) * 1e3 * N_TOOLS
    return row


def _fmt(row: dict[str, Any]) -> str:
    name = row["name"]
    if row.get("status") != "ok":
        return f"  {name:<40} {row.get('status')}"
    return (
        f"  {name:<40} {row['ms_per_1000_tools']:>9.1f} ms   {row['ratio_median']:>7.3f}x"
        f"   [{row['ratio_p25']:.3f} - {row['ratio_p75']:.3f}]   {row['rounds']:>3} rounds"
    )


def run(*, quick: bool = False) -> dict[str, Any]:
    """Build the 1,000 tools and the peers, measure, print, and return the results as a dict."""
    t0 = perf_counter()
    n_tools = QUICK_TOOLS if quick else N_TOOLS
    specs = _manytools.load(n_tools)
    agentkit = _Agentkit(specs)
    print(
        f"\n{n_tools} generated tools (seed {_manytools.SEED}), "
        f"{sum(s.n_params for s in specs) / len(specs):.1f} parameters on average; "
        f"registering them took {agentkit.define_seconds:.2f} s"
    )
    peers: list[Any] = []
    unavailable: dict[str, str] = {}
    for name, dist, factory in PEERS:
        start = perf_counter()
        try:
            peers.append(factory(specs))
        # A peer that cannot be imported or built is reported, and the run goes on.
        except Exception as exc:
            unavailable[name] = f"unavailable ({_reason(exc)})"
            continue
        print(
            f"  {name} {_version(dist)}: defined the {n_tools} tools in {perf_counter() - start:.2f} s"
        )
    for peer in peers:
        if isinstance(peer, _OpenAIAgents) and peer.fallbacks:
            print(
                f"  openai-agents: {peer.fallbacks} of {n_tools} tools refused by its strict mode "
                "(maps); defined with strict_mode=False instead"
            )

    # Tens of thousands of long-lived objects (5 libraries x the tools) now exist: freeze them, so the
    # collector's full passes over them do not land at random on whichever contender happens to run.
    gc.collect()
    gc.freeze()

    # 1. Every warm export of the full 1,000 must hit the cache only.
    print(
        f"\nfull export of the {n_tools} tools, once cold then once warm (single timings, for the cache check):"
    )
    checks = []
    for dialect in DIALECTS:
        check = agentkit.verify_full(dialect)
        checks.append(check)
        print(
            f"  {dialect:<14} cold {check['cold_ms_single']:7.1f} ms  warm {check['warm_ms_single']:6.2f} ms"
            f"  misses {check['misses_after_cold']} -> {check['misses_after_warm']}"
            f" (+{check['hits_added_by_warm']} hits)  refused {check['errors']}, warnings {check['warnings']}"
            f"  -> {'compiled again!' if check['warm_compiled_again'] else 'no recompile'}"
        )

    # 2. Export of defined tools, per dialect, cold / warm / peers.
    export_size = 50 if quick else 100
    duration = 0.3 if quick else 2.0
    min_rounds = 4 if quick else n_tools // export_size  # at least one pass over the 1,000
    report: dict[str, Any] = {
        "checks": checks,
        "export": {},
        "define_export": {},
        "unavailable": unavailable,
    }
    for dialect in DIALECTS:
        entries = [agentkit.cold(dialect), agentkit.warm(dialect)]
        for peer in peers:
            entry = peer.export(dialect)
            if entry is not None:
                entries.append(entry)
        results = measure_slices(
            entries, _slices(n_tools, export_size), duration=duration, min_rounds=min_rounds
        )
        rows = [_summary(r) for r in results]
        report["export"][dialect] = rows
        print(f"\nexport to {dialect!r}, tools already defined (ratio to agentkit cold)")
        print(f"  {'contender':<40} {'/1000 tools':>12}   {'median':>8}   [p25 - p75]")
        for row in rows:
            print(_fmt(row))
    print(
        f"\nwarm-export cache checks: {agentkit.warm_checks} timed warm calls, "
        f"{agentkit.warm_violations} with a compile (must be 0)"
    )
    assert agentkit.warm_violations == 0, "a warm export compiled again"
    report["warm_checks"] = {"calls": agentkit.warm_checks, "recompiles": agentkit.warm_violations}

    # 3. Define + export from the plain functions.
    entries = [
        agentkit.define_export("openai-strict", "agentkit -> openai-strict"),
        agentkit.define_export("mcp", "agentkit -> mcp"),
    ]
    entries += [peer.define_export() for peer in peers]
    results = measure_slices(
        entries,
        _slices(n_tools, 10 if quick else 25),
        duration=0.5 if quick else 6.0,
        min_rounds=3 if quick else 6,
    )
    rows = [_summary(r) for r in results]
    report["define_export"] = rows
    print("\ndefine from the function + export, cold (ratio to agentkit -> openai-strict)")
    print(f"  {'contender':<40} {'/1000 tools':>12}   {'median':>8}   [p25 - p75]")
    for row in rows:
        print(_fmt(row))
    for name, status in unavailable.items():
        print(f"  {name:<40} {status}")
    report["seconds"] = perf_counter() - t0
    print(f"\ndialects: {report['seconds']:.0f} s")
    return report


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    """Run the dialect benchmark; always exit 0 (benchmarks report, they never gate)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    report = run(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
