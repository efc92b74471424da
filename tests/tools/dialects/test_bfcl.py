"""Every BFCL definition compiles to every dialect or is refused with a reason; ground truth survives the trip.

The Berkeley Function Calling Leaderboard fixtures live in ``tests/fixtures/bfcl`` (a missing folder fails, never skips).
"""

from __future__ import annotations

import gzip
import json
import runpy
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from inline_snapshot import snapshot

from agentkit import JsonSchemaTool
from agentkit.exceptions import SchemaCompileError
from agentkit.tools.dialects import (
    CompiledTool,
    available_dialects,
    bfcl_to_json_schema,
    get_dialect,
)

# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[2] / "_fixtures.py"))


def _bfcl() -> Path:
    """``tests/fixtures/bfcl``; a missing folder (or ground-truth folder) fails the test loudly."""
    root: Path = _fixtures["fixtures_root"]("bfcl", "bfcl/possible_answer")
    return root / "bfcl"


def _records(path: Path) -> Iterator[dict[str, Any]]:
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _handler(arguments: dict[str, Any], ctx: Any) -> None:
    return None


def _tools() -> dict[str, dict[str, JsonSchemaTool]]:
    """Record id -> function name -> tool."""
    out: dict[str, dict[str, JsonSchemaTool]] = {}
    for path in sorted(_bfcl().glob("BFCL_*.json*")):
        for record in _records(path):
            out[record["id"]] = {
                fn["name"]: JsonSchemaTool(
                    name=fn["name"],
                    description=fn.get("description", ""),
                    input_schema=bfcl_to_json_schema(fn["parameters"]),
                    handler=_handler,
                )
                for fn in record["function"]
            }
    return out


@pytest.fixture(scope="module")
def tools() -> dict[str, dict[str, JsonSchemaTool]]:
    return _tools()


def _compile(tool: JsonSchemaTool, dialect: str) -> CompiledTool | None:
    try:
        return get_dialect(dialect).compile(tool.contract)
    except SchemaCompileError as exc:
        reason = exc.reason
    assert reason  # refused, with a reason
    return None


def test_every_definition_compiles_or_is_refused_with_a_reason(
    tools: dict[str, dict[str, JsonSchemaTool]],
) -> None:
    """Counts of compiled / warned / refused definitions per dialect (the table in docs/guide/dialects.md)."""
    counts = {d: Counter[str]() for d in available_dialects()}
    for functions in tools.values():
        for tool in functions.values():
            for dialect in available_dialects():
                compiled = _compile(tool, dialect)
                if compiled is None:
                    counts[dialect]["refused"] += 1
                    continue
                assert get_dialect(dialect).check_subset(compiled) == ()
                counts[dialect]["compiled"] += 1
                if compiled.warnings:
                    counts[dialect]["warned"] += 1
    table = {d: dict(sorted(c.items())) for d, c in counts.items()}
    assert table == snapshot(
        {
            "anthropic": {"compiled": 6510},
            "anthropic-strict": {"compiled": 6472, "refused": 38, "warned": 3},
            "canonical": {"compiled": 6510},
            "gemini": {"compiled": 6510, "warned": 306},
            "mcp": {"compiled": 6510},
            "openai": {"compiled": 6510},
            "openai-auto": {"compiled": 6510, "warned": 306},
            "openai-strict": {"compiled": 6472, "refused": 38, "warned": 268},
        }
    )


def _ground_truth() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in sorted((_bfcl() / "possible_answer").glob("BFCL_*.json*")):
        for record in _records(path):
            for call in record["ground_truth"]:
                for name, params in call.items():
                    arguments = {k: v[0] for k, v in params.items() if v and v[0] != ""}
                    yield record["id"], name, arguments


def test_ground_truth_calls_decode_and_validate(
    tools: dict[str, dict[str, JsonSchemaTool]],
) -> None:
    """Every ground-truth call (its first acceptable values) encodes, validates and decodes in every dialect.

    Calls that BFCL's own schema rejects are counted, not checked.
    """
    outcome = Counter[str]()
    validators: dict[str, jsonschema.Draft202012Validator] = {}
    for record_id, name, arguments in _ground_truth():
        tool = tools[record_id].get(name)
        assert tool is not None, f"{record_id}: ground truth calls unknown function {name!r}"
        canonical = tool.contract.input_schema
        if not jsonschema.Draft202012Validator(canonical).is_valid(arguments):
            outcome["invalid in BFCL's own schema"] += 1
            continue
        if set(arguments) - set(canonical.get("properties", {})):
            # Valid only because BFCL leaves objects open; closed dialects cannot express it, by design.
            outcome["uses undeclared keys"] += 1
            continue
        for dialect in available_dialects():
            compiled = _compile(tool, dialect)
            if compiled is None:
                continue
            encoded = compiled.encode(arguments)
            if dialect != "gemini":  # Gemini's OpenAPI subset is checked in the gallery tests
                key = json.dumps(compiled.schema, sort_keys=True)
                validator = validators.get(key) or validators.setdefault(
                    key, jsonschema.Draft202012Validator(compiled.schema)
                )
                assert validator.is_valid(encoded), (record_id, dialect, encoded)
            decoded = compiled.decode(json.loads(json.dumps(encoded)))
            assert jsonschema.Draft202012Validator(canonical).is_valid(decoded), (
                record_id,
                dialect,
                decoded,
            )
            outcome["checked"] += 1
    assert dict(outcome) == snapshot(
        {"invalid in BFCL's own schema": 63, "checked": 24666, "uses undeclared keys": 2}
    )
