r"""Instruction counts of a cold export of the generated tools, for `valgrind --tool=callgrind` (deterministic under load).

Registers the first ``T`` tools of ``_manytools.py`` (their input schemas share each nested model's ``$defs`` entry),
computes each contract's fingerprint (as a long-lived registry has), exports them once to warm up and then ``K``
times: with a dialect name, ``clear_compile_cache()`` then ``dialect.compile(contract)`` per tool (cold, what
``bench_definition.py``'s export entries time); with ``floor``, ``json.dumps`` of each function definition holding
the ``model_json_schema()`` of a bare pydantic model (the export floor). The instructions of one export are
``(count(K) - count(0)) / K``; run it against two source trees to compare them::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python benchmarks/callgrind_export.py SRC_DIR K T floor|gemini|openai-strict|...

``SRC_DIR`` is the ``src`` directory of the tree to measure (this one: ``src``). The garbage collector is frozen
and off while exporting.
"""

from __future__ import annotations

import gc
import inspect
import json
import sys
import warnings
from pathlib import Path

src, k, count, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, src)
sys.path.insert(0, str(Path(__file__).parent))

import _manytools  # noqa: E402 - after the tree to measure is on the path
import bench_definition  # noqa: E402

from agentkit.registry import Registry  # noqa: E402
from agentkit.tools.dialects import clear_compile_cache, get_dialect  # noqa: E402

warnings.simplefilter("ignore")
specs = _manytools.load(count)

if mode == "floor":
    schemas = [bench_definition.floor_model(s.func).model_json_schema() for s in specs]
    docs = [inspect.getdoc(s.func) or "" for s in specs]
    names = [s.func.__name__ for s in specs]

    def export() -> object:
        return [
            json.dumps(
                {
                    "type": "function",
                    "function": {"name": n, "description": d, "parameters": p},
                }
            )
            for n, d, p in zip(names, docs, schemas, strict=True)
        ]

else:
    registry = Registry()
    for spec in specs:
        registry.register(spec.func)
    by_name = {t.contract.name: t.contract for t in registry.tools()}
    contracts = [by_name[s.func.__name__] for s in specs]
    for contract in contracts:
        _ = contract.fingerprint
    compile_ = get_dialect(mode).compile

    def export() -> object:
        clear_compile_cache()
        return [compile_(contract) for contract in contracts]


export()
gc.collect()
gc.freeze()
gc.disable()
for _ in range(k):
    export()
