"""Tools built from the same nested models share one read-only ``$defs`` entry, and nothing else changes."""

from __future__ import annotations

import copy
import gc
import json

import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.tools import _schema
from agentkit.tools._schema import share_defs


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str


class Customer(BaseModel):
    name: str
    address: Address


def test_tools_built_from_the_same_model_share_its_definition() -> None:
    """Two tools taking the same nested models hold the very same definition objects."""

    @tool
    def ship(customer: Customer, express: bool = False) -> str:
        """Ship to a customer."""
        return customer.name

    @tool
    def bill(customer: Customer, amount: float) -> str:
        """Bill a customer."""
        return customer.name

    a = ship.contract.input_schema["$defs"]
    b = bill.contract.input_schema["$defs"]
    assert a.keys() == b.keys() == {"Address", "Customer"}
    assert a["Customer"] is b["Customer"]
    assert a["Address"] is b["Address"]


def test_a_shared_definition_is_read_only_and_copies_are_editable() -> None:
    """Changing a shared entry in place is refused (it would change every tool); a deep copy is plain."""

    @tool
    def ship(customer: Customer) -> str:
        """Ship."""
        return customer.name

    shared = ship.contract.input_schema["$defs"]["Address"]
    with pytest.raises(TypeError, match="read-only"):
        shared["title"] = "Changed"
    editable = copy.deepcopy(ship.contract.input_schema)
    editable["$defs"]["Address"]["title"] = "Changed"
    assert ship.contract.input_schema["$defs"]["Address"]["title"] == "Address"
    assert type(editable["$defs"]["Address"]) is dict


def test_sharing_changes_neither_the_schema_nor_the_fingerprint() -> None:
    """The shared schema serialises exactly as the unshared one did, so contract fingerprints are unchanged."""
    schema = Customer.model_json_schema()
    before = json.dumps(schema)
    shared = share_defs(copy.deepcopy(schema))
    assert json.dumps(shared) == before
    assert list(shared) == list(schema)  # key order too


def test_equal_text_with_a_different_referenced_definition_is_not_shared() -> None:
    """An entry is shared only when every definition it reaches is the same too, under the same names."""
    first = share_defs(
        {
            "type": "object",
            "$defs": {
                "Outer": {"type": "object", "properties": {"x": {"$ref": "#/$defs/Inner"}}},
                "Inner": {"type": "integer"},
            },
        }
    )
    second = share_defs(
        {
            "type": "object",
            "$defs": {
                "Outer": {"type": "object", "properties": {"x": {"$ref": "#/$defs/Inner"}}},
                "Inner": {"type": "string"},
            },
        }
    )
    third = share_defs(
        {
            "type": "object",
            "$defs": {
                "Outer": {"type": "object", "properties": {"x": {"$ref": "#/$defs/Inner"}}},
                "Inner": {"type": "integer"},
            },
        }
    )
    assert first["$defs"]["Outer"] is not second["$defs"]["Outer"]
    assert first["$defs"]["Inner"] is not second["$defs"]["Inner"]
    assert first["$defs"]["Outer"] is third["$defs"]["Outer"]


def test_values_that_json_tells_apart_are_not_shared() -> None:
    """``1``, ``1.0`` and ``true`` are different schemas' defaults: their entries stay apart."""
    made = [
        share_defs({"type": "object", "$defs": {"D": {"type": "number", "default": value}}})
        for value in (1, 1.0, True)
    ]
    ids = {id(m["$defs"]["D"]) for m in made}
    assert len(ids) == 3
    assert [m["$defs"]["D"]["default"] for m in made] == [1, 1.0, True]
    assert [type(m["$defs"]["D"]["default"]) for m in made] == [int, float, bool]


def test_entries_that_depend_on_their_schema_are_left_alone() -> None:
    """An entry referring outside ``$defs`` (the root, a property) is not shared; neither is non-JSON content."""
    root_ref = {"type": "object", "properties": {"next": {"$ref": "#"}}}
    a = share_defs({"type": "object", "$defs": {"Node": dict(root_ref)}})
    b = share_defs({"type": "object", "$defs": {"Node": dict(root_ref)}})
    assert a["$defs"]["Node"] is not b["$defs"]["Node"]
    assert type(a["$defs"]["Node"]) is dict
    dangling = share_defs({"type": "object", "$defs": {"A": {"$ref": "#/$defs/Missing"}}})
    assert type(dangling["$defs"]["A"]) is dict
    odd = {"type": "object", "$defs": {"A": {"default": {1, 2}}}}
    assert share_defs(odd) is odd


def test_recursive_definitions_are_shared_with_their_cycle() -> None:
    """A recursive model's entries reach themselves: still shared, and still equal."""

    class TreeNode(BaseModel):
        value: int
        children: list[TreeNode] = []

    @tool
    def walk(root: TreeNode) -> int:
        """Walk a tree."""
        return root.value

    @tool
    def count(root: TreeNode) -> int:
        """Count a tree."""
        return root.value

    assert (
        walk.contract.input_schema["$defs"]["TreeNode"]
        is count.contract.input_schema["$defs"]["TreeNode"]
    )
    assert walk(TreeNode(value=1)) == 1


def test_the_shared_table_forgets_what_no_schema_holds() -> None:
    """The table is weak: entries go away with the last schema holding them."""
    made = share_defs(
        {"type": "object", "$defs": {"Gone": {"type": "object", "title": "only-here-1f3a"}}}
    )
    assert any("only-here-1f3a" in key for key in _schema._SHARED_DEFS)
    del made
    gc.collect()
    assert not any("only-here-1f3a" in key for key in _schema._SHARED_DEFS)
