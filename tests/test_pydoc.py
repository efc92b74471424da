"""``help()``, ``inspect`` and documentation tools can introspect every public module and class."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import pydoc
import re
import runpy
import warnings
from pathlib import Path
from typing import Any, get_origin

import pytest
from pydantic import BaseModel
from pydantic.warnings import PydanticDeprecationWarning

import agentkit
from agentkit import RunContext, Tool
from agentkit.exceptions import ToolDefinitionError

# The pinned public surface (tests/test_public_api.py), run by path: tests are imported with
# --import-mode=importlib, so there is no package to import it from.
_PINNED: dict[str, tuple[str, ...]] = runpy.run_path(
    str(Path(__file__).with_name("test_public_api.py"))
)["PUBLIC"]

# The import names of the optional extras; a fresh interpreter renders everything with them made unimportable.
# The top-level packages of every optional extra: none may be needed to import or render a public module.
EXTRA_IMPORTS = (
    "agents",
    "fastapi",
    "langchain_core",
    "mcp",
    "openfeature",
    "opentelemetry",
    "psycopg",
    "redis",
    "starlette",
    "temporalio",
    "uvicorn",
    "yaml",
)


def _public_modules() -> list[str]:
    """The pinned modules plus every module of the package whose dotted path has no ``_`` part."""
    found = {"agentkit", *_PINNED}
    for info in pkgutil.walk_packages(agentkit.__path__, "agentkit."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.add(info.name)
    return sorted(found)


def _is_class(value: object) -> bool:
    # On Python 3.10 inspect.isclass() is also true of aliases such as dict[str, Any]: those are not classes.
    return inspect.isclass(value) and get_origin(value) is None


PUBLIC_MODULES = _public_modules()
PUBLIC_CLASSES = sorted(
    f"{module}.{name}"
    for module in PUBLIC_MODULES
    for name in importlib.import_module(module).__all__
    if _is_class(getattr(importlib.import_module(module), name))
)


def _resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _render(obj: object) -> str:
    with warnings.catch_warnings():
        # pydantic's own deprecated class attributes (``__fields__``...) warn when read; that is not ours to fix.
        warnings.filterwarnings("ignore", category=PydanticDeprecationWarning)
        return pydoc.render_doc(obj, renderer=pydoc.plaintext)


def _members(obj: object) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PydanticDeprecationWarning)
        return dict(inspect.getmembers(obj))


def _rendered_as_member(name: str, text: str) -> bool:
    """Whether pydoc's plain text lists ``name`` as a class, function or datum of the module."""
    heading = rf"^    (?:class |async )?{re.escape(name)}(?:\(| = |$)"
    return re.search(heading, text, re.MULTILINE) is not None


def test_the_walk_finds_the_subpackages_and_every_lazy_class() -> None:
    """The enumeration is not vacuous: it reaches nested public modules and lazily exported classes."""
    assert {"agentkit.tools.dialects", "agentkit.observability.otel", "agentkit.cli"} <= set(
        PUBLIC_MODULES
    )
    assert {"agentkit.Tool", "agentkit.JsonSchemaTool", "agentkit.observability.OTelSink"} <= set(
        PUBLIC_CLASSES
    )


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_pydoc_renders_every_public_module_with_its_whole_all(module_name: str) -> None:
    """help(module) works, and lists every name of ``__all__``, lazy ones included."""
    module = importlib.import_module(module_name)
    text = _render(module)
    assert text.startswith("Python Library Documentation: ")
    missing = [
        name
        for name in module.__all__
        if not (
            str(getattr(module, name)) in text
            if name == "__version__"
            else _rendered_as_member(name, text)
        )
    ]
    assert missing == []
    assert set(_members(module)) >= set(module.__all__)


@pytest.mark.parametrize("path", PUBLIC_CLASSES)
def test_pydoc_and_getmembers_work_on_every_public_class(path: str) -> None:
    """help(cls) renders the class and inspect.getmembers reads every attribute dir() lists."""
    cls = _resolve(path)
    text = _render(cls)
    assert re.search(rf"\b{re.escape(cls.__name__)}\b", text)
    assert set(_members(cls)) == set(dir(cls))


class _Args(BaseModel):
    city: str


def test_introspecting_a_tool_class_builds_nothing_and_instances_keep_their_contract() -> None:
    """Reading a class's attributes builds no spec; the first instance builds it once, for the class."""

    class Weather(Tool[_Args, str]):
        """Weather for a city."""

        def run(self, args: _Args, ctx: RunContext[Any]) -> str:
            return args.city

    _render(Weather)
    members = _members(Weather)
    assert not hasattr(members["_spec"], "contract")
    first, second = Weather(), Weather()
    assert first.contract is second.contract
    assert first.contract.description == "Weather for a city."
    assert Weather._spec is first._spec


def test_a_class_with_a_lazily_detected_mistake_still_renders_but_cannot_be_used() -> None:
    """help() shows a tool class whose version is wrong; using it still raises the definition error."""

    class BadVersion(Tool[_Args, str]):
        """Bad version."""

        version = "1.x"

        def run(self, args: _Args, ctx: RunContext[Any]) -> str:
            return args.city

    assert "Bad version." in _render(BadVersion)
    assert "_spec" in _members(BadVersion)
    with pytest.raises(ToolDefinitionError, match=r"version '1\.x'"):
        _ = BadVersion().contract


# tests/_fresh.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fresh = runpy.run_path(str(Path(__file__).with_name("_fresh.py")))
_RENDER_WITHOUT_EXTRAS = r"""
import importlib, inspect, pydoc, warnings

warnings.simplefilter("ignore")
refused = []
for name in blocked:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        refused.append(name)
texts = {}
for module_name in json.loads(sys.argv[1]):
    module = importlib.import_module(module_name)
    texts[module_name] = pydoc.render_doc(module, renderer=pydoc.plaintext)
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value):
            pydoc.render_doc(value, renderer=pydoc.plaintext)
            inspect.getmembers(value)
report |= {"refused": sorted(refused), "texts": texts}
"""


def test_everything_renders_in_a_fresh_interpreter_without_any_extra() -> None:
    """With every optional extra unimportable, each public module and class still renders, lazy names too."""
    report = _fresh["without"](EXTRA_IMPORTS, _RENDER_WITHOUT_EXTRAS, json.dumps(PUBLIC_MODULES))
    assert report["refused"] == sorted(EXTRA_IMPORTS)
    assert report["loaded"] == []
    texts = report["texts"]
    assert _rendered_as_member("OTelSink", texts["agentkit.observability"])
    assert _rendered_as_member("PostgresStore", texts["agentkit.storage"])
    assert _rendered_as_member("RedisStore", texts["agentkit.storage"])
    assert _rendered_as_member("Tool", texts["agentkit"])
