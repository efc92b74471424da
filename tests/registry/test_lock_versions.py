"""A contract lock records the pydantic version that wrote it; a check across versions explains itself."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Literal

import pydantic
import pytest

from agentkit import Registry, ToolContract
from agentkit.cli import main
from agentkit.registry import ContractSnapshot, diff

DEMO = "agentkit.cli._demo_tools"
OTHER = "2.6.0"  # below the declared pydantic floor, so never the running version


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def pick_registry() -> Registry:
    registry = Registry()

    @registry.tool(version="1.0.0")
    def pick(kind: Literal["cat"]) -> str:
        """Pick a pet."""
        return kind

    return registry


def contract(schema: dict[str, Any]) -> ToolContract:
    return ToolContract(name="t", version="1.0.0", input_schema=schema)


def test_the_lock_records_the_pydantic_version_that_wrote_it() -> None:
    """A snapshot's JSON names the running pydantic version, and reading it back keeps that version."""
    snap = pick_registry().snapshot()
    assert json.loads(snap.to_json())["pydantic"] == pydantic.VERSION
    assert ContractSnapshot.from_json(snap.to_json()).pydantic_version == pydantic.VERSION


def test_a_lock_without_a_version_still_reads() -> None:
    """A lock written before the version was recorded reads with an unknown version and diffs without a note."""
    payload = json.loads(pick_registry().snapshot().to_json())
    del payload["pydantic"]
    old = ContractSnapshot.from_json(json.dumps(payload))
    assert old.pydantic_version is None
    new = ContractSnapshot.of([contract({"type": "object", "properties": {}})])
    assert diff(old, new).notes == ()


def test_a_version_that_is_not_a_string_is_refused() -> None:
    """A lock whose ``pydantic`` entry is not a version string is not a readable lock."""
    with pytest.raises(ValueError, match="'pydantic' must be a version string"):
        ContractSnapshot.from_json('{"format": 1, "contracts": {}, "pydantic": 2}')


def test_the_version_is_not_part_of_equality() -> None:
    """Two snapshots of the same contracts are equal whichever pydantic generated them."""
    schema = {"type": "object", "properties": {}}
    assert ContractSnapshot.of([contract(schema)], pydantic_version=OTHER) == ContractSnapshot.of(
        [contract(schema)]
    )


def test_a_one_value_literal_has_the_same_schema_on_every_pydantic() -> None:
    """A one-value Literal is ``const`` alone on every pydantic (< 2.10 also wrote an ``enum``)."""
    schema = pick_registry().snapshot().contracts["pick@1.0.0"].input_schema
    assert schema["properties"]["kind"] == {"const": "cat", "type": "string"}


def test_a_diff_across_pydantic_versions_explains_itself() -> None:
    """Changes between snapshots from different pydantic versions come with a note naming both versions."""
    current = pick_registry().snapshot()
    # The lock as pydantic < 2.10 wrote it before agentkit normalised one-value Literals.
    payload = json.loads(current.to_json())
    payload["pydantic"] = OTHER
    payload["contracts"]["pick@1.0.0"]["input_schema"]["properties"]["kind"]["enum"] = ["cat"]
    old = ContractSnapshot.from_json(json.dumps(payload))
    result = diff(old, current)
    assert not result.ok
    assert result.changes[0].reasons == ("field `kind` no longer restricted to an enum: minor",)
    (note,) = result.notes
    assert f"pydantic {OTHER} and the new ones with pydantic {pydantic.VERSION}" in note
    assert "may come from pydantic rather than from the tools" in note


def test_no_note_without_changes_or_across_equal_versions() -> None:
    """The note appears only when something changed and the two versions differ."""
    current = pick_registry().snapshot()
    claimed = ContractSnapshot.of(current.contracts.values(), pydantic_version=OTHER)
    assert diff(claimed, current).notes == ()
    changed = ContractSnapshot.of([contract({"type": "object", "properties": {}})])
    assert diff(changed, current).notes == ()
    assert diff(
        ContractSnapshot.of(changed.contracts.values(), pydantic_version=OTHER), current
    ).notes


def test_contracts_check_shows_the_note_in_text_and_json(tmp_path: Path) -> None:
    """``contracts check`` on a lock that claims another pydantic version prints the note, and ``--json`` has it."""
    lock = tmp_path / "lock.json"
    assert run("contracts", "snapshot", "-m", DEMO, "--lock", str(lock))[0] == 0
    payload = json.loads(lock.read_text(encoding="utf-8"))
    payload["pydantic"] = OTHER
    payload["contracts"]["demo.echo@1.0.0"]["input_schema"]["properties"]["text"]["title"] = "Text"
    lock.write_text(json.dumps(payload), encoding="utf-8")

    code, out = run("contracts", "check", "-m", DEMO, "--lock", str(lock))
    assert code == 1
    assert f"note: the old contracts were generated with pydantic {OTHER}" in out

    code, out = run("contracts", "check", "-m", DEMO, "--lock", str(lock), "--json")
    assert code == 1
    (note,) = json.loads(out)["notes"]
    assert f"with pydantic {pydantic.VERSION}" in note
