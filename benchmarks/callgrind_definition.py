r"""Instruction counts of defining tools, for `valgrind --tool=callgrind` (deterministic under load).

Defines ``K`` of the distinct generated tools of ``_manytools.py`` (after 20 others, to warm the shared nested
models and imports) and reads each one's input schema: with ``floor``, bare pydantic (``create_model`` +
``model_json_schema``, as ``bench_definition.py``'s registry floor); with ``agentkit``, ``Registry.register``.
With ``one-floor`` and ``one-agentkit``, the ``define`` scenario instead: the one six-parameter tool of
``_tool.py`` defined ``K`` times (``_tool.define_floor()`` against ``tool(_tool.book_trip)``).
The instructions per tool are ``(count(K) - count(0)) / K``; run it against two source trees to compare them::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python benchmarks/callgrind_definition.py SRC_DIR K floor|agentkit|one-floor|one-agentkit

``SRC_DIR`` is the ``src`` directory of the tree to measure (this one: ``src``).
"""

from __future__ import annotations

import gc
import sys
import warnings
from pathlib import Path

src, k, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, src)
sys.path.insert(0, str(Path(__file__).parent))

import _manytools  # noqa: E402 - after the tree to measure is on the path
import _tool  # noqa: E402
import bench_definition  # noqa: E402

from agentkit import tool  # noqa: E402
from agentkit.registry import Registry  # noqa: E402

warnings.simplefilter("ignore")
specs = _manytools.load(20 + k)
registry = Registry()


def define(func: object) -> object:
    if mode == "one-floor":
        return _tool.define_floor()
    if mode == "one-agentkit":
        return tool(_tool.book_trip).contract.input_schema
    if mode == "floor":
        return bench_definition.floor_model(func).model_json_schema()  # type: ignore[arg-type]
    return registry.register(func).contract.input_schema  # type: ignore[arg-type]


kept = [define(spec.func) for spec in specs[:20]]
gc.collect()
gc.freeze()
gc.disable()
kept.extend(define(spec.func) for spec in specs[20:])
