"""Where agentkit's time goes: cProfile of ``invoke_json`` on the benchmark tool, and an import-time breakdown.

Usage::

    python benchmarks/profile_agentkit.py [async|sync|invalid|define|import] [--calls N] [--top N]

The invocation scenarios run ``N`` calls inside one event loop under cProfile and print the functions sorted by
their own time (``tottime``) and by cumulative time, so the cost of each step above the floor (validate, call,
dump) is visible. ``import`` runs ``python -X importtime -c "from agentkit import tool"`` and lists the modules
with the largest self time, grouped by top-level package.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import pstats
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _tool


def _profile_invoke(scenario: str, calls: int, top: int) -> None:
    from agentkit import tool

    fn = _tool.book_trip_sync if scenario == "sync" else _tool.book_trip
    t = tool(blocking=False)(fn) if scenario == "sync" else tool(fn)
    raw = _tool.INVALID_ARGS if scenario == "invalid" else _tool.VALID_ARGS

    async def loop(n: int) -> None:
        invoke_json = t.invoke_json
        for _ in range(n):
            await invoke_json(raw)

    asyncio.run(loop(200))  # warm caches outside the profile
    profiler = cProfile.Profile()

    async def profiled() -> None:
        profiler.enable()
        await loop(calls)
        profiler.disable()

    asyncio.run(profiled())
    _print_stats(profiler, top, calls)


def _profile_define(calls: int, top: int) -> None:
    from agentkit import tool

    for _ in range(5):
        tool(_tool.book_trip)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        tool(_tool.book_trip).contract.input_schema  # noqa: B018 - the schema is what we time
    profiler.disable()
    _print_stats(profiler, top, calls)


def _print_stats(profiler: cProfile.Profile, top: int, calls: int) -> None:
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(top)
        print(
            f"--- sorted by {key} ({calls} calls; divide times by the call count for per-call cost)"
        )
        print(out.getvalue().split("\n\n", 1)[-1])


def _profile_import(top: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from agentkit import tool"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (
            part.strip() for part in line[len("import time:") :].split("|")
        )
        rows.append((int(self_us), int(cumulative_us), name))
    total = sum(r[0] for r in rows)
    by_package: collections.Counter[str] = collections.Counter()
    for self_us, _, name in rows:
        by_package[name.strip().split(".")[0]] += self_us
    print(f"total self time {total / 1000:.1f} ms over {len(rows)} modules")
    print("by top-level package (self time):")
    for package, us in by_package.most_common(top):
        print(f"  {us / 1000:8.1f} ms  {package}")
    print("largest modules (self time):")
    for self_us, cumulative_us, name in sorted(rows, reverse=True)[:top]:
        print(
            f"  {self_us / 1000:8.1f} ms  (cumulative {cumulative_us / 1000:7.1f} ms)  {name.strip()}"
        )


def main() -> int:
    """Profile one scenario and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("async", "sync", "invalid", "define", "import"))
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.scenario == "import":
        _profile_import(args.top)
    elif args.scenario == "define":
        _profile_define(min(args.calls, 500), args.top)
    else:
        _profile_invoke(args.scenario, args.calls, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
