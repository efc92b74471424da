"""Contract snapshots and the diff rules: each change is classified, bad version bumps are flagged."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from agentkit import Registry, ToolContract, tool
from agentkit.cli import main
from agentkit.registry import ContractSnapshot, diff


def contract(version: str = "1.0.0", name: str = "search", **schema: Any) -> ToolContract:
    base: dict[str, Any] = {
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "required": ["q"],
    }
    base.update(schema)
    return ToolContract(name=name, version=version, description="Search.", input_schema=base)


def change_of(old: ToolContract, new: ToolContract) -> Any:
    result = diff(ContractSnapshot.of([old]), ContractSnapshot.of([new]))
    assert len(result.changes) == 1
    return result.changes[0]


def test_snapshot_is_stable_sorted_and_round_trips(tmp_path: Path) -> None:
    registry = Registry()

    @registry.tool(version="2.0.0", namespace="b")
    def zeta(x: int) -> int:
        """Z."""
        return x

    @registry.tool(version="1.0.0", namespace="a")
    def alpha(x: int) -> int:
        """A."""
        return x

    snap = registry.snapshot()
    assert list(snap.contracts) == ["a.alpha@1.0.0", "b.zeta@2.0.0"]
    assert snap.to_json() == registry.snapshot().to_json()
    assert '"fingerprint": "sha256:' in snap.to_json()
    path = tmp_path / "lock.json"
    snap.write(path)
    assert ContractSnapshot.read(path) == snap
    assert diff(snap, ContractSnapshot.read(path)).report() == "no contract changes"


def test_rejects_files_that_are_not_snapshots() -> None:
    with pytest.raises(ValueError, match="format"):
        ContractSnapshot.from_json('{"contracts": {}}')


@pytest.mark.parametrize(
    ("new_schema", "level", "reason"),
    [
        ({"required": []}, "minor", "field `q` became optional: minor"),
        (
            {"properties": {"q": {"type": "string"}, "day": {"type": "string"}}},
            "minor",
            "new optional field `day`: minor",
        ),
        (
            {
                "properties": {"q": {"type": "string"}, "day": {"type": "string"}},
                "required": ["q", "day"],
            },
            "major",
            "new required field `day`: major",
        ),
        ({"properties": {}, "required": []}, "major", "field `q` removed: major"),
        (
            {"properties": {"q": {"type": "integer"}}},
            "major",
            "type of field `q` narrowed or changed: major",
        ),
        (
            {"properties": {"q": {"type": ["string", "null"]}}},
            "minor",
            "type of field `q` widened: minor",
        ),
        (
            {"properties": {"q": {"type": "string", "maxLength": 5}}},
            "major",
            "field `q` gained maxLength 5: major",
        ),
        (
            {"properties": {"q": {"type": "string", "description": "Query."}}},
            "patch",
            "description of field `q` changed: patch",
        ),
    ],
)
def test_input_schema_rules(new_schema: dict[str, Any], level: str, reason: str) -> None:
    change = change_of(contract("1.0.0"), contract("1.0.0", **new_schema))
    assert change.level == level
    assert reason in change.reasons
    assert change.problem == f"{level} change without a version bump"


def test_enum_narrowed_is_major_and_widened_is_minor() -> None:
    old = contract(properties={"cabin": {"enum": ["economy", "business"]}}, required=[])
    narrowed = change_of(
        old, contract("2.0.0", properties={"cabin": {"enum": ["economy"]}}, required=[])
    )
    assert narrowed.level == "major"
    assert narrowed.ok
    widened = change_of(
        old,
        contract(
            "1.1.0", properties={"cabin": {"enum": ["economy", "business", "first"]}}, required=[]
        ),
    )
    assert widened.level == "minor"
    assert widened.ok


def test_breaking_change_needs_a_major_bump() -> None:
    change = change_of(contract("1.2.0"), contract("1.3.0", properties={}, required=[]))
    assert change.problem == "major change without a major version bump"
    assert change_of(contract("1.2.0"), contract("2.0.0", properties={}, required=[])).ok


def test_zero_x_versions_break_on_minor() -> None:
    assert change_of(contract("0.3.0"), contract("0.4.0", properties={}, required=[])).ok
    assert not change_of(contract("0.3.0"), contract("0.3.1", properties={}, required=[])).ok


def test_description_only_is_patch_and_version_going_down_is_flagged() -> None:
    old = contract("1.0.1")
    new = ToolContract(
        name="search", version="1.0.2", description="Search the web.", input_schema=old.input_schema
    )
    change = change_of(old, new)
    assert (change.level, change.ok) == ("patch", True)
    down = ToolContract(
        name="search", version="1.0.0", description="Other.", input_schema=old.input_schema
    )
    assert change_of(old, down).problem == "version went down (1.0.1 -> 1.0.0)"


def test_output_type_change_is_major() -> None:
    old = ToolContract(name="t", input_schema={"type": "object"}, output_schema={"type": "string"})
    new = ToolContract(
        name="t",
        version="1.1.0",
        input_schema={"type": "object"},
        output_schema={"type": "integer"},
    )
    change = change_of(old, new)
    assert change.level == "major"
    assert "output type changed: major" in change.reasons


def test_removed_and_new_tools() -> None:
    result = diff(
        ContractSnapshot.of([contract(name="old")]), ContractSnapshot.of([contract(name="new")])
    )
    by_name = {c.name: c for c in result.changes}
    assert by_name["old"].problem is not None
    assert by_name["new"].ok
    assert by_name["new"].level == "minor"
    assert not result.ok


def test_major_upgrade_pairs_with_the_old_major() -> None:
    result = diff(
        ContractSnapshot.of([contract("1.4.0")]),
        ContractSnapshot.of([contract("2.0.0", properties={}, required=[])]),
    )
    assert [(c.old_version, c.new_version, c.ok) for c in result.changes] == [
        ("1.4.0", "2.0.0", True)
    ]


def test_pydantic_model_change_is_classified_through_refs() -> None:
    class Passenger(BaseModel):
        name: str

    class Passenger2(BaseModel):
        name: str
        birth: date

    @tool(name="book", version="1.0.0")
    def v1(passengers: list[Passenger]) -> str:
        """Book."""
        return ""

    @tool(name="book", version="1.1.0")
    def v2(passengers: list[Passenger2]) -> str:
        """Book."""
        return ""

    change = change_of(v1.contract, v2.contract)
    assert change.level == "major"
    assert "new required field `passengers[].birth`: major" in change.reasons


def test_literal_and_constraint_changes_from_python_types() -> None:
    @tool(name="fly", version="1.0.0")
    def v1(cabin: Literal["economy", "business"], seats: int = Field(1, le=9)) -> str:
        """Fly."""
        return ""

    @tool(name="fly", version="1.1.0")
    def v2(cabin: Literal["economy", "business", "first"], seats: int = Field(1, le=4)) -> str:
        """Fly."""
        return ""

    change = change_of(v1.contract, v2.contract)
    assert "maximum of field `seats` tightened from 9 to 4: major" in change.reasons
    assert "enum of field `cabin` gained ['first']: minor" in change.reasons
    assert change.problem == "major change without a major version bump"


def test_cli_snapshot_then_check_catches_an_unbumped_breaking_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "shop_tools.py"
    module.write_text(
        "from agentkit import tool\n\n"
        "@tool(version='1.0.0')\n"
        "def find(q: str) -> list[str]:\n"
        "    '''Find.'''\n"
        "    return []\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    lock = str(tmp_path / "lock.json")
    out = io.StringIO()
    assert main(["contracts", "snapshot", "-m", "shop_tools", "--lock", lock], stdout=out) == 0
    assert "wrote 1 contracts" in out.getvalue()
    assert (
        main(["contracts", "check", "-m", "shop_tools", "--lock", lock], stdout=io.StringIO()) == 0
    )

    import sys

    module.write_text(
        "from agentkit import tool\n\n"
        "@tool(version='1.0.1')\n"
        "def find(q: str, limit: int) -> list[str]:\n"
        "    '''Find.'''\n"
        "    return []\n"
    )
    sys.modules.pop("shop_tools", None)
    out = io.StringIO()
    assert main(["contracts", "check", "-m", "shop_tools", "--lock", lock], stdout=out) == 1
    report = out.getvalue()
    assert "find 1.0.0 -> 1.0.1: major change without a major version bump" in report
    assert "new required field `limit`: major" in report
    sys.modules.pop("shop_tools", None)


def test_cli_check_without_lock_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "contracts",
            "check",
            "-m",
            "agentkit.cli._demo_tools",
            "--lock",
            str(tmp_path / "none.json"),
        ]
    )
    assert code == 4
    assert "agentkit contracts snapshot" in capsys.readouterr().err


def test_toolset_exposes_majors_side_by_side_only_when_asked() -> None:
    registry = Registry()
    registry.register(contract_tool("1.0.0"))
    registry.register(contract_tool("2.0.0"))
    assert registry.toolset().names() == ["search"]
    assert registry.toolset(majors="all").names() == ["search_v1", "search_v2"]


def contract_tool(version: str) -> Any:
    def search(q: str) -> str:
        return q

    search.__doc__ = f"Search v{version}."
    return tool(version=version)(search)
