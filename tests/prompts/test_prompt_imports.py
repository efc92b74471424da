"""agentkit.prompts is loaded only on demand, and loads nothing heavy itself."""

from __future__ import annotations

import runpy
from pathlib import Path

# tests/_fresh.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_modules_after = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fresh.py"))[
    "modules_after"
]


def test_import_agentkit_does_not_import_prompts() -> None:
    """The prompts package is not part of the light ``import agentkit``."""
    assert "agentkit.prompts" not in _modules_after("import agentkit")


def test_import_prompts_loads_no_http_client_or_async_runtime() -> None:
    """Prompts are pure: importing and using them needs neither httpx, anyio nor jsonschema."""
    code = (
        "from agentkit.prompts import Prompt, PromptRegistry;"
        "PromptRegistry().register(Prompt('p', system='x'), activate=True)"
    )
    roots = {name.split(".")[0] for name in _modules_after(code)}
    assert roots & {"httpx", "httpcore", "anyio", "jsonschema"} == set()
