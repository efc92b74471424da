"""Run code in a fresh interpreter: with some packages made unimportable, or to see what an import loads.

Loaded by path (``runpy.run_path``): tests are imported with --import-mode=importlib, so there is no package.

``without(blocked, script, *args)`` runs ``script`` where every module of the top-level packages in ``blocked``
raises ``ModuleNotFoundError`` as if it were not installed (the way a user without an extra sees agentkit). The
script sees ``blocked`` (a set) and ``sys.argv[1:] == list(args)``, fills a dict named ``report``, and gets back
``report["loaded"]``: the blocked packages that ended up in ``sys.modules`` anyway (none, if the blocking held).

``modules_after(code)`` runs ``code`` and returns every module name in ``sys.modules`` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

TIMEOUT_S = 120  # a hang guard, not a speed assertion

_BLOCK = r"""
import importlib.abc, json, sys

blocked = set(json.loads(sys.argv.pop(1)))


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
report = {}
"""

_REPORT = r"""
report["loaded"] = sorted({name.partition(".")[0] for name in sys.modules} & blocked)
print(json.dumps(report))
"""


def _run(code: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def without(blocked: Iterable[str], script: str, *args: str) -> dict[str, Any]:
    """Run ``script`` with the ``blocked`` packages unimportable; return its ``report`` (plus ``loaded``)."""
    report: dict[str, Any] = json.loads(
        _run(_BLOCK + script + _REPORT, json.dumps(sorted(blocked)), *args)
    )
    return report


def modules_after(code: str) -> set[str]:
    """Every module loaded once ``code`` has run in a fresh interpreter."""
    return set(
        json.loads(_run(f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"))
    )
