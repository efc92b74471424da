"""agentkit's invocation overhead beside the bare-pydantic floor and its peers.

Usage::

    python benchmarks/run.py [--quick] [--json out.json] [--only async,sync,invalid,define,import]
    python benchmarks/run.py --only loop [--quick]   # opt-in: agent-loop overhead per step (bench_loop.py)
    python benchmarks/run.py --only server [--quick] # opt-in: the HTTP service under load (bench_server.py)

Scenarios, each for agentkit, the floor and every available peer, on one representative tool (see ``_tool.py``):

* ``async``   — async tool, valid raw JSON arguments → the model-facing result text;
* ``sync``    — the same tool as a plain ``def``;
* ``invalid`` — wrong type + unknown field + missing field → the error text the model would get;
* ``define``  — define the tool from the function with the decorator and produce its JSON schema;
* ``import``  — ``import agentkit`` against ``import pydantic; from pydantic import BaseModel``, in fresh
  interpreters.

Numbers are medians of per-round ratios to the floor (see ``_harness.py``). Benchmarks report, they never gate:
the run exits 0 whatever the figures, and prints the targets beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _contenders
import _harness
import _tool

FLOOR = "floor (bare pydantic)"

# (scenario, contender, bound on the median ratio, what it means)
TARGETS = (
    ("async", "agentkit", 1.3, "async tool, valid args: <= 1.3x the floor"),
    ("invalid", "agentkit", 3.0, "invalid args -> repair hint: <= 3x the floor"),
    ("import", "import agentkit", 1.3, "import agentkit: <= 1.3x import pydantic + BaseModel"),
    # Not in the issue, but what a user pays on first real use: `import agentkit` is lazy.
    (
        "import",
        "from agentkit import tool",
        1.3,
        "(same bound, first real use) from agentkit import tool",
    ),
)

SCENARIOS = ("async", "sync", "invalid", "define", "import")
# Opt-in scenarios with their own modules and tables, run only when named in --only (about a minute each).
EXTRA_SCENARIOS = {
    "dialects": "bench_dialects",
    "providers": "bench_providers",
    "loop": "bench_loop",  # agent-loop overhead per step against pydantic-ai and openai-agents (~35 s)
    "definition": "bench_definition",  # register / export / list 1,000 tools, memory per tool (~3 min)
    "server": "bench_server",  # the HTTP service under load: invoke and runs, ops/s and p99 (~2 min; [server])
}
# What a bare run (`nox -s bench`) measures: every row of issue 13's table.
DEFAULT_SCENARIOS = (*SCENARIOS, "definition", "loop")

TITLES = {
    "async": "async tool, valid arguments (raw JSON -> result text)",
    "sync": "sync tool, valid arguments (in the event loop)",
    "invalid": "invalid arguments: wrong type + unknown field + missing field -> error text",
    "define": "define the tool with the decorator + produce its JSON schema",
    "import": "import time in a fresh interpreter",
}

IMPORTS = (
    # (name, code, sample every k-th round)
    ("import pydantic + BaseModel", "import pydantic\nfrom pydantic import BaseModel", 1),
    (
        "pydantic + BaseModel + one model",
        "import pydantic\nfrom pydantic import BaseModel\nclass A(BaseModel):\n    x: int",
        1,
    ),
    ("import agentkit", "import agentkit", 1),
    ("from agentkit import tool", "from agentkit import tool", 1),
    ("from pydantic_ai import Tool", "from pydantic_ai import Tool", 4),
    ("from agents import function_tool", "from agents import function_tool", 4),
    ("from langchain_core.tools import tool", "from langchain_core.tools import tool", 4),
    ("from mcp.server.mcpserver import MCPServer", "from mcp.server.mcpserver import MCPServer", 4),
)


def _run_async_scenario(
    scenario: str, contenders: list[_contenders.Contender], duration: float
) -> list[dict[str, Any]]:
    hook = {"async": "valid_async", "sync": "valid_sync", "invalid": "invalid"}[scenario]
    raw = _tool.INVALID_ARGS if scenario == "invalid" else _tool.VALID_ARGS
    rows: list[dict[str, Any]] = []
    live: list[tuple[_contenders.Contender, Any]] = []
    for c in contenders:
        factory = getattr(c, hook)
        if c.unavailable is not None:
            rows.append({"name": c.name, "status": f"unavailable ({c.unavailable})"})
            continue
        if factory is None:
            continue
        try:
            live.append((c, factory()))
        except Exception as exc:
            rows.append({"name": c.name, "status": f"unavailable ({_contenders._reason(exc)})"})

    async def main() -> list[_harness.Result]:
        checked: list[tuple[str, Any]] = []
        for c, call in live:
            try:
                text = await call(raw)
            except Exception as exc:
                rows.append({"name": c.name, "status": f"failed ({_contenders._reason(exc)})"})
                continue
            if scenario != "invalid" and not _tool.check_result(text):
                rows.append({"name": c.name, "status": f"failed (wrong result {text[:60]!r})"})
                continue
            checked.append((c.name, call))
        if not checked or checked[0][0] != FLOOR:
            return []
        return await _harness.measure_async(checked, raw, duration=duration)

    results = asyncio.run(main())
    return [_harness.summarize(r) for r in results] + rows


def _run_define(contenders: list[_contenders.Contender], duration: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    live: list[tuple[str, Any]] = []
    for c in contenders:
        if c.unavailable is not None:
            rows.append({"name": c.name, "status": f"unavailable ({c.unavailable})"})
            continue
        if c.define is None:
            continue
        try:
            call = c.define()
            call()
        except Exception as exc:
            rows.append({"name": c.name, "status": f"failed ({_contenders._reason(exc)})"})
            continue
        live.append((c.name, call))
    results = _harness.measure_sync(live, duration=duration) if live and live[0][0] == FLOOR else []
    return [_harness.summarize(r) for r in results] + rows


def _run_imports(rounds: int, *, peers: bool) -> list[dict[str, Any]]:
    chosen = [entry for entry in IMPORTS if peers or entry[2] == 1]
    results = _harness.measure_imports(chosen, rounds=rounds)
    rows = [_harness.summarize(r) for r in results]
    # Issue 13's bound is against pydantic with one model defined: the per-round ratio to that row.
    by_name = {r.name: r for r in results}
    one, tool = (
        by_name.get("pydantic + BaseModel + one model"),
        by_name.get("from agentkit import tool"),
    )
    if one and tool and one.per_call and len(one.per_call) == len(tool.per_call):
        ratios = [t / o for t, o in zip(tool.per_call, one.per_call, strict=True)]
        for row in rows:
            if row["name"] == "from agentkit import tool" and row.get("status") == "ok":
                row["ratio_to_one_model_median"] = statistics.median(ratios)
                row["ratio_to_one_model_p25"] = _harness._quantile(ratios, 0.25)
                row["ratio_to_one_model_p75"] = _harness._quantile(ratios, 0.75)
    return rows


def _packages() -> dict[str, str]:
    names = [
        "agentkit-contracts",
        "pydantic",
        "pydantic-core",
        "anyio",
        "pydantic-ai-slim",
        "openai-agents",
        "langchain-core",
        "mcp",
    ]
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # noqa: PERF203 - a handful of look-ups
            found[name] = "not installed"
    return found


def _fmt_row(row: dict[str, Any], unit: str) -> str:
    name = row["name"]
    if row.get("status") != "ok":
        return f"  {name:<44} {row.get('status')}"
    scale, suffix = (1e-3, "ms") if unit == "ms" else (1.0, "us")
    return (
        f"  {name:<44} {row['ratio_median']:>6.2f}x   [{row['ratio_p25']:.2f} - {row['ratio_p75']:.2f}]"
        f"   {row['us_per_call_median'] * scale:>9.1f} {suffix}   {row['rounds']:>5} rounds"
    )


def _print_table(scenario: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{scenario}: {TITLES[scenario]}")
    print(f"  {'contender':<44} {'median':>7}   {'[p25 - p75]':<14} {'per call':>12}")
    unit = "ms" if scenario in ("define", "import") else "us"
    for row in rows:
        print(_fmt_row(row, unit))


def _evaluate_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    verdicts = []
    for scenario, name, bound, text in TARGETS:
        rows = report["scenarios"].get(scenario, {}).get("rows", [])
        row = next((r for r in rows if r["name"] == name and r.get("status") == "ok"), None)
        measured = row["ratio_median"] if row else None
        verdict = "not measured" if measured is None else ("met" if measured <= bound else "MISSED")
        verdicts.append(
            {
                "scenario": scenario,
                "target": text,
                "bound": bound,
                "measured": measured,
                "verdict": verdict,
            }
        )
    return verdicts


def _ok(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in rows if r.get("status") == "ok"}


def _best(rows: dict[str, dict[str, Any]], names: list[str], key: str) -> tuple[str, float] | None:
    found = [(rows[n][key], n) for n in names if n in rows]
    return (min(found)[1], min(found)[0]) if found else None


PEERS = ("pydantic-ai-slim", "openai-agents", "langchain-core", "mcp")


def _issue13(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 13's table: one row per measure, floor / best peer / agentkit, with the goal and whether it holds."""
    sc = report["scenarios"]
    out: list[dict[str, Any]] = []

    def row(
        measure: str, floor: str, peer: str, agentkit: str, goal: str, held: bool | None
    ) -> None:
        verdict = "not measured" if held is None else ("holds" if held else "MISSED")
        out.append(
            {
                "measure": measure,
                "floor": floor,
                "best_peer": peer,
                "agentkit": agentkit,
                "goal": goal,
                "verdict": verdict,
            }
        )

    def peer_text(best: tuple[str, float] | None, fmt: str) -> str:
        return "-" if best is None else f"{best[0]} {format(best[1], fmt)}"

    define = _ok(sc.get("define", {}).get("rows", []))
    ak = define.get("agentkit")
    row(
        "define + schema, x floor",
        "1.00" if ak else "-",
        peer_text(_best(define, list(PEERS), "ratio_median"), ".2f"),
        f"{ak['ratio_median']:.2f}" if ak else "-",
        "<= 1.1x",
        None if ak is None else ak["ratio_median"] <= 1.1,
    )
    definition = sc.get("definition", {})
    reg = _ok(definition.get("registry", []))
    floor = next((r for n, r in reg.items() if n.startswith("floor")), None)
    ak = reg.get("agentkit (Registry.register)")
    row(
        "registry of 1,000 distinct tools, ms",
        f"{floor['ms_per_1000']:,.0f}" if floor else "-",
        peer_text(_best(reg, list(PEERS), "ms_per_1000"), ",.0f"),
        f"{ak['ms_per_1000']:,.0f} ({ak['ratio_median']:.2f}x)" if ak else "-",
        "<= 1.0x the floor",
        None if ak is None else ak["ratio_median"] <= 1.0,
    )
    exp = _ok(definition.get("export", []))
    floor = next((r for n, r in exp.items() if n.startswith("floor")), None)
    strict = exp.get("agentkit cold openai-strict")
    peers = [n for n in exp if n.endswith(" openai-strict") and not n.startswith("agentkit")]
    row(
        "export 1,000 tools to openai-strict, cold ms (x the floor's dump)",
        f"{floor['ms_per_1000']:,.1f}" if floor else "-",
        peer_text(_best(exp, peers, "ms_per_1000"), ",.1f"),
        f"{strict['ms_per_1000']:,.0f} ({strict['ratio_median']:.1f}x)" if strict else "-",
        "<= 10x",
        None if strict is None else strict["ratio_median"] <= 10,
    )
    loose = [
        exp[f"agentkit cold {d}"]
        for d in ("openai", "anthropic", "gemini", "mcp")
        if f"agentkit cold {d}" in exp
    ]
    worst = max(loose, key=lambda r: r["ratio_median"]) if loose else None
    peers = [n for n in exp if n.endswith(" openai") and not n.startswith("agentkit")]
    row(
        "export to the non-strict dialects, cold ms (worst dialect, x the floor's dump)",
        f"{floor['ms_per_1000']:,.1f}" if floor else "-",
        peer_text(_best(exp, peers, "ms_per_1000"), ",.1f"),
        "-"
        if worst is None
        else f"{worst['name'].rsplit(' ', 1)[1]} {worst['ms_per_1000']:,.0f} ({worst['ratio_median']:.1f}x)",
        "<= 2x",
        None if worst is None else worst["ratio_median"] <= 2,
    )
    warm = exp.get("agentkit warm openai-strict")
    row(
        "the same export again (warm), ms per 1,000 tools",
        "-",
        "-",
        f"{warm['ms_per_1000']:.2f}" if warm else "-",
        "<= 1 ms",
        None if warm is None else warm["ms_per_1000"] <= 1.0,
    )
    mem = {r["name"]: r for r in definition.get("memory", []) if r.get("status") == "ok"}
    floor = next((r for n, r in mem.items() if n.startswith("floor")), None)
    ak = mem.get("agentkit (Registry.register)")
    best = _best(mem, list(PEERS), "traced_kib")

    def kib(r: dict[str, Any] | None) -> str:
        return "-" if r is None else f"{r['traced_kib']:.1f} ({r['rss_kib']:.0f})"

    row(
        "memory per registered tool, tracemalloc KiB (RSS KiB)",
        kib(floor),
        "-" if best is None else f"{best[0]} {kib(mem[best[0]])}",
        kib(ak),
        "<= 12 KiB",
        None if ak is None else ak["traced_kib"] <= 12,
    )
    imports = _ok(sc.get("import", {}).get("rows", []))
    ak = imports.get("from agentkit import tool")
    ratio = None if ak is None else ak.get("ratio_to_one_model_median")
    row(
        "from agentkit import tool, x (import pydantic + one model)",
        "1.00",
        "-",
        "-" if ratio is None else f"{ratio:.2f}",
        "<= 1.2x",
        None if ratio is None else ratio <= 1.2,
    )
    step = _ok(definition.get("step", []))
    ak = next((r for n, r in step.items() if n.startswith("agentkit")), None)
    peers = [n for n in step if not n.startswith("agentkit")]
    row(
        "tool list an agent step pays, ms per 1,000 tools",
        "-",
        peer_text(_best(step, peers, "ms_per_1000"), ".2f"),
        f"{ak['ms_per_1000']:.2f}" if ak else "-",
        "<= 1 ms",
        None if ak is None else ak["ms_per_1000"] <= 1.0,
    )
    loop = _ok(sc.get("loop", {}).get("rows", []))
    full = loop.get("agentkit, full default stack")
    bare = loop.get("agentkit, all off (run scope only)")
    peers = [n for n in loop if not n.startswith("agentkit")]
    best = _best(loop, peers, "ratio_median")
    row(
        "agent loop, one tool call then an answer, us per step (fake model)",
        "-",
        "-"
        if best is None
        else f"{best[0]} {loop[best[0]]['us_per_step_median']:.0f} ({best[1]:.2f}x)",
        "-"
        if full is None
        else f"{full['us_per_step_median']:.0f} full stack"
        + ("" if bare is None else f" ({bare['us_per_step_median']:.0f} all off)"),
        "best peer slower than the full stack",
        None if best is None or full is None else best[1] > 1.0,
    )
    for t in report.get("targets", []):
        if t["scenario"] in ("async", "invalid"):
            row(
                f"call path: {t['target']}",
                "1.00",
                "-",
                "-" if t["measured"] is None else f"{t['measured']:.2f}",
                f"<= {t['bound']}x",
                None if t["measured"] is None else t["measured"] <= t["bound"],
            )
    return out


def _print_issue13(rows: list[dict[str, Any]]) -> None:
    print("\nissue 13 (the definition path is as fast as the call path):")
    print(f"  {'measure':<78} {'floor':>14} {'best peer':>34} {'agentkit':>34}  goal / verdict")
    for r in rows:
        print(
            f"  {r['measure']:<78} {r['floor']:>14} {r['best_peer']:>34} {r['agentkit']:>34}"
            f"  {r['goal']}: {r['verdict']}"
        )


def _commit() -> str:
    """The commit measured, with ``+changes`` when the working tree differs from it (or ``unknown``)."""
    import subprocess

    def git(*args: str) -> str:
        here = Path(__file__).resolve().parent
        done = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        # LATEST.md itself does not count: a second full run would otherwise report the first run's file.
        dirty = git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ":/",
            ":(exclude,top)benchmarks/LATEST.md",
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" +changes" if dirty else "")


def _md_ratio_rows(
    rows: list[dict[str, Any]], value: str, unit: str, scale: float = 1.0
) -> list[str]:
    out = []
    for row in rows:
        if row.get("status") != "ok":
            out.append(f"| {row['name']} | {row.get('status')} | |")
            continue
        out.append(
            f"| {row['name']} | {row['ratio_median']:.2f} [{row['ratio_p25']:.2f}-{row['ratio_p75']:.2f}] "
            f"| {row[value] * scale:,.2f} {unit} |"
        )
    return out


def markdown(report: dict[str, Any]) -> str:
    """The run as Markdown tables: what ``--markdown`` writes (issue 13's verdicts first, then every scenario)."""
    meta = report["meta"]
    lines = [
        "# Latest benchmark run",
        "",
        f"Written by `python benchmarks/run.py --markdown` ({meta['mode']} run) on {meta['date']}, commit "
        f"{meta.get('commit', 'unknown')}; Python {meta['python']} ({meta['implementation']}), "
        f"{meta['cpu_count']} cores, {meta['platform']}; {meta.get('wall_seconds', 0):.0f} s. "
        "Ratios are medians of per-round ratios [p25-p75] with the contenders interleaved; times are medians.",
        "",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in meta["packages"].items()) + ".",
        "",
    ]
    unavailable = [c for c in report["contenders"] if c["unavailable"]]
    for c in unavailable:
        lines.append(f"Unavailable: {c['name']} ({c['unavailable']}).")
    if unavailable:
        lines.append("")
    lines += [
        "## Issue 13 goals",
        "",
        "| measure | floor | best peer | agentkit | goal | verdict |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in report.get("issue13", []):
        verdict = f"**{r['verdict']}**" if r["verdict"] == "MISSED" else r["verdict"]
        lines.append(
            f"| {r['measure']} | {r['floor']} | {r['best_peer']} | {r['agentkit']} | {r['goal']} | {verdict} |"
        )
    sc = report["scenarios"]
    for name in ("async", "sync", "invalid", "define"):
        if name in sc:
            unit, scale = ("ms", 1e-3) if name == "define" else ("µs", 1.0)
            lines += [
                "",
                f"## {name}: {sc[name]['title']}",
                "",
                "| contender | ratio to the floor | per call |",
            ]
            lines += ["| --- | ---: | ---: |"]
            lines += _md_ratio_rows(sc[name]["rows"], "us_per_call_median", unit, scale)
    if "import" in sc:
        lines += [
            "",
            "## import: in a fresh interpreter",
            "",
            "| contender | ratio | ms |",
            "| --- | ---: | ---: |",
        ]
        lines += _md_ratio_rows(sc["import"]["rows"], "us_per_call_median", "ms", 1e-3)
    definition = sc.get("definition")
    if definition:
        for key, title in (
            (
                "registry",
                "registry: define 1,000 distinct tools + input schema (ratio to the floor)",
            ),
            ("export", "export: defined tools → provider definitions (ratio to the floor's dump)"),
            ("step", "step: the tool list an agent step pays (ratio to agentkit)"),
        ):
            lines += [
                "",
                f"## {title}",
                "",
                "| contender | ratio | per 1,000 tools |",
                "| --- | ---: | ---: |",
            ]
            lines += _md_ratio_rows(definition.get(key, []), "ms_per_1000", "ms")
        lines += ["", "## memory per defined tool", "", "| contender | tracemalloc KiB | RSS KiB |"]
        lines += ["| --- | ---: | ---: |"]
        for row in definition.get("memory", []):
            if row.get("status") != "ok":
                lines.append(f"| {row['name']} | {row.get('status')} | |")
            else:
                lines.append(f"| {row['name']} | {row['traced_kib']:.1f} | {row['rss_kib']:.0f} |")
    loop = sc.get("loop")
    if loop:
        for key, label in (("rows", "tool_steps"), ("long_rows", "long_tool_steps")):
            if loop.get(key):
                steps = loop.get(label, "")
                lines += [
                    "",
                    f"## agent loop: {steps} tool steps + 1 answer (ratio to the full default stack)",
                    "",
                    "| contender | ratio | per step |",
                    "| --- | ---: | ---: |",
                ]
                lines += _md_ratio_rows(loop[key], "us_per_step_median", "µs")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the tables and targets, optionally write JSON; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a ~20 s smoke run instead of ~3 minutes"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--markdown", metavar="PATH", help="also write the results as Markdown tables to PATH"
    )
    parser.add_argument(
        "--only",
        metavar="LIST",
        help=f"comma-separated scenarios to run (default: {','.join(DEFAULT_SCENARIOS)}; "
        f"opt-in: {','.join(EXTRA_SCENARIOS)})",
    )
    args = parser.parse_args(argv)
    chosen = tuple(s.strip() for s in args.only.split(",")) if args.only else DEFAULT_SCENARIOS
    unknown = set(chosen) - set(SCENARIOS) - set(EXTRA_SCENARIOS)
    if unknown:
        parser.error(
            f"unknown scenario(s) {sorted(unknown)}; "
            f"choose from {','.join((*SCENARIOS, *EXTRA_SCENARIOS))}"
        )

    # Seconds per in-process scenario, and import rounds (peers' imports only in the full run).
    duration = 2.5 if args.quick else 26.0
    import_rounds = 6 if args.quick else 40

    # Peers' deprecation chatter is not ours to fix and would bury the tables.
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    contenders = _contenders.build_contenders()
    packages = _packages()
    print(
        f"agentkit benchmarks ({'quick' if args.quick else 'full'}) — Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.platform(terse=True)}"
    )
    print("  " + ", ".join(f"{k} {v}" for k, v in packages.items()))
    print("  ratio = time per call / floor's time per call in the same round; median [p25 - p75]")

    report: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "mode": "quick" if args.quick else "full",
            "packages": packages,
            "seconds_per_scenario": duration,
            "import_rounds": import_rounds,
            "commit": _commit(),
        },
        "contenders": [
            {"name": c.name, "versions": c.versions, "unavailable": c.unavailable, "notes": c.notes}
            for c in contenders
        ],
        "scenarios": {},
    }
    for scenario in chosen:
        if scenario in EXTRA_SCENARIOS:
            module = importlib.import_module(EXTRA_SCENARIOS[scenario])
            report["scenarios"][scenario] = module.run(quick=args.quick)
            continue
        if scenario in ("async", "sync", "invalid"):
            rows = _run_async_scenario(scenario, contenders, duration)
        elif scenario == "define":
            rows = _run_define(contenders, duration * 0.8)
        else:
            rows = _run_imports(import_rounds, peers=not args.quick)
        report["scenarios"][scenario] = {"title": TITLES[scenario], "rows": rows}
        _print_table(scenario, rows)

    report["targets"] = _evaluate_targets(report)
    report["issue13"] = _issue13(report)
    _print_issue13(report["issue13"])
    print("\ntargets (reported, never enforced):")
    for t in report["targets"]:
        measured = "-" if t["measured"] is None else f"{t['measured']:.2f}x"
        print(f"  {t['verdict']:<13} {measured:>7}   {t['target']}")
    unavailable = [c for c in contenders if c.unavailable]
    for c in unavailable:
        print(f"  note: {c.name} unavailable ({c.unavailable})")
    report["meta"]["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(f"\ndone in {report['meta']['wall_seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.markdown:
        Path(args.markdown).write_text(markdown(report), encoding="utf-8")
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
