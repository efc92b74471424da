"""What the lowest declared dependency versions (``nox -s lowest``) broke once, kept working on every version."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.prompts import Prompt, PromptDefinitionError

ROOT = Path(__file__).resolve().parents[1]


class Batch(BaseModel):
    ids: list[int]
    tags: dict[str, list[str]] = {}


@tool
def total(ids: list[int], extra: list[int] | None = None, batch: Batch | None = None) -> int:
    """Add the ids up."""
    return sum(ids) + sum(extra or ()) + sum(batch.ids if batch else ())


@pytest.mark.anyio
async def test_parametrised_generic_arguments_define_and_run() -> None:
    """Tool arguments typed ``list[int]`` (bare, in a union, in a model) define and validate on Python 3.10 too."""
    outcome = await total.invoke_json('{"ids": [1, 2], "extra": [3], "batch": {"ids": [4]}}')
    assert outcome.value == 10
    assert not (await total.invoke_json('{"ids": ["x"]}')).ok
    assert total.contract.input_schema["properties"]["ids"] == {
        "items": {"type": "integer"},
        "type": "array",
    }


def test_a_parametrised_generic_as_prompt_variables_is_a_definition_error() -> None:
    """``Prompt(vars=list[int])`` is refused with a typed error, not a ``TypeError`` from ``issubclass``."""
    with pytest.raises(PromptDefinitionError, match="vars must be a pydantic model class"):
        Prompt("p", vars=list[int], user="hi")


def test_the_lowest_session_runs_the_oldest_supported_python() -> None:
    """``nox -s lowest`` runs on the Python that ``requires-python`` names as the oldest."""
    # tomllib is Python >= 3.11 and this runs on 3.10: the one line is read with a pattern.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    oldest = re.search(r'^requires-python = ">=(3\.\d+)"$', pyproject, re.MULTILINE)
    assert oldest is not None
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    tree = ast.parse(noxfile)
    (session,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "lowest"]
    (decorator,) = session.decorator_list
    assert isinstance(decorator, ast.Call)
    pythons = [ast.literal_eval(k.value) for k in decorator.keywords if k.arg == "python"]
    assert pythons == [oldest.group(1)]
    assert "lowest-direct" in (ast.get_source_segment(noxfile, session) or "")
