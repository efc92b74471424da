"""Defining a tool builds only what its contract needs; the rest is built on first use and behaves the same.

Issue 13 ("Fast"): the arguments validator a tool needs of its own, the repair-hint builder and the output
adapters are not paid for at definition. These tests check that nothing observable changes because of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from agentkit import Sensitive, tool
from agentkit.tools._schema import find_sensitive_pointers, forbid_unset_extras


def _run(t: Any, raw: str) -> Any:
    return anyio.run(t.invoke_json, raw)


def _configs(node: Any, out: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config of every model in a core schema, by class name."""
    out = {} if out is None else out
    if isinstance(node, dict):
        if node.get("type") == "model":
            out[node["cls"].__name__] = node.get("config") or {}
        for value in node.values():
            _configs(value, out)
    elif isinstance(node, list):
        for value in node:
            _configs(value, out)
    return out


class Loose(BaseModel):
    """A nested model without an extra-keys policy: the tool forbids unknown keys in it."""

    city: str
    units: str = "C"


class Open(BaseModel):
    """A nested model that allows extra keys on purpose."""

    model_config = ConfigDict(extra="allow")

    city: str


def test_the_first_call_of_a_renamed_copy_rejects_a_nested_unknown_key() -> None:
    """A copy renamed before any call still validates with the tool's own forbid-unknown-keys validator."""

    @tool
    def weather(loc: Loose) -> str:
        """Weather."""
        return loc.units

    renamed = weather.renamed("forecast")
    outcome = _run(renamed, '{"loc": {"city": "Oslo", "unts": "F"}}')
    assert outcome.status == "invalid_arguments"
    assert json.loads(outcome.content)["issues"][0]["did_you_mean"] == "units"
    assert _run(weather, '{"loc": {"city": "Oslo", "units": "F"}}').content == "F"


def test_a_python_call_first_builds_the_same_validator() -> None:
    """``invoke`` with a mapping as the very first call rejects a nested unknown key like ``invoke_json`` does."""

    @tool
    def weather(loc: Loose) -> str:
        """Weather."""
        return loc.units

    outcome = anyio.run(weather.invoke, {"loc": {"city": "Oslo", "unts": "F"}})
    assert outcome.status == "invalid_arguments"
    assert _run(weather, '{"loc": {"city": "Oslo", "unts": "F"}}').status == "invalid_arguments"


def test_a_model_that_allows_extras_keeps_them_on_the_first_call() -> None:
    """A nested model with ``extra="allow"`` is validated with its own policy from the first call on."""

    @tool
    def where(loc: Open) -> str:
        """Where."""
        return json.dumps(loc.model_dump())

    assert json.loads(_run(where, '{"loc": {"city": "Oslo", "x": 1}}').content) == {
        "city": "Oslo",
        "x": 1,
    }


def test_tools_sharing_a_return_type_own_their_output_schemas() -> None:
    """Two tools returning the same model get equal output schemas, and changing one leaves the other alone."""

    @tool
    def first() -> Loose:
        """First."""
        return Loose(city="a")

    @tool
    def second() -> Loose:
        """Second."""
        return Loose(city="b")

    one, two = first.contract.output_schema, second.contract.output_schema
    assert one == two
    assert one is not None
    assert two is not None
    one["properties"]["city"]["type"] = "integer"
    assert two["properties"]["city"]["type"] == "string"
    assert _run(second, "{}").content == '{"city":"b","units":"C"}'


def test_forbid_unset_extras_leaves_the_original_schema_untouched() -> None:
    """The copy with unknown keys forbidden is a new schema; the class's own core schema does not change."""

    class Args(BaseModel):
        model_config = ConfigDict(extra="forbid")
        loc: Loose
        note: str = ""

    original = Args.__pydantic_core_schema__
    before = repr(original)
    copied, changed = forbid_unset_extras(original)
    assert changed
    assert copied is not original
    assert repr(original) == before
    assert _configs(copied)["Loose"]["extra_fields_behavior"] == "forbid"
    assert "extra_fields_behavior" not in _configs(original)["Loose"]

    class Closed(BaseModel):
        model_config = ConfigDict(extra="forbid")
        note: str

    schema = Closed.__pydantic_core_schema__
    assert forbid_unset_extras(schema) == (schema, False)


class Node(BaseModel):
    """A recursive model: the secret is only reached through ``Link``."""

    name: str
    link: Link | None = None


class Link(BaseModel):
    """Points back to a node, and holds a token."""

    target: Node | None = None
    token: SecretStr | None = None


Node.model_rebuild()


@pytest.mark.parametrize("first", ["link", "node"])
def test_sensitive_fields_behind_a_cycle_are_found_whatever_was_defined_first(first: str) -> None:
    """A secret reached through recursive models is found the same way whichever model was looked at first."""
    if first == "link":
        assert find_sensitive_pointers(Link) == ["/token"]
    assert find_sensitive_pointers(Node) == ["/link/token"]
    assert find_sensitive_pointers(Link) == ["/token"]

    @tool
    def walk(start: Node, pin: Annotated[str, Sensitive()] = "") -> str:
        """Walk."""
        return start.name

    assert walk.contract.sensitive == ("/pin", "/start/link/token")


def test_models_without_secrets_have_no_sensitive_pointers() -> None:
    """A tool whose arguments reach no secret has no sensitive pointers, also through a recursive model."""

    class Tree(BaseModel):
        children: list[Tree] = []
        label: str = ""

    @tool
    def plant(tree: Tree, mode: str = "x") -> str:
        """Plant."""
        return tree.label

    assert plant.contract.sensitive == ()


def test_defining_and_calling_a_tool_loads_no_events_messages_or_dialects() -> None:
    """``from agentkit import tool``, a definition and a call load neither the event, message nor dialect modules."""
    code = (
        "import anyio, json, sys\n"
        "from agentkit import tool\n"
        "@tool\n"
        "def add(a: int, b: int) -> int:\n"
        "    '''Add.'''\n"
        "    return a + b\n"
        "assert anyio.run(add.invoke_json, '{\"a\": 1, \"b\": 2}').content == '3'\n"
        "assert anyio.run(add.invoke_json, '{\"a\": 1}').status == 'invalid_arguments'\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('agentkit'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert loaded & {"agentkit.events", "agentkit.messages", "agentkit.tools.dialects"} == set()
    assert "agentkit.tools._function" in loaded


def test_a_media_result_is_recognised_when_messages_load_after_the_tools() -> None:
    """A tool returning an image part still sends it as media when messages were imported after the tools."""
    code = (
        "import anyio, sys\n"
        "from agentkit import tool\n"
        "assert 'agentkit.messages' not in sys.modules\n"
        "@tool\n"
        "def plain() -> str:\n"
        "    '''Plain.'''\n"
        "    return 'x'\n"
        "assert anyio.run(plain.invoke_json, '{}').media == ()\n"
        "from agentkit.messages import ImagePart\n"
        "@tool\n"
        "def shot():\n"
        "    '''Screenshot.'''\n"
        "    return ['seen', ImagePart(data=b'png', media_type='image/png')]\n"
        "outcome = anyio.run(shot.invoke_json, '{}')\n"
        "assert outcome.content == 'seen', outcome.content\n"
        "assert len(outcome.media) == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_the_first_module_that_logs_keeps_agentkit_quiet() -> None:
    """``from agentkit import tool`` imports no logging itself; the first module that logs attaches a NullHandler."""
    # Some pydantic versions (2.12) load logging themselves (pydantic-core imports asyncio): what is checked is that
    # no agentkit module is the one importing it.
    code = (
        "import sys, traceback\n"
        "importers = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'logging':\n"
        "            frames = [f.filename for f in traceback.extract_stack()[:-1]]\n"
        "            importers.append([f for f in frames if not f.startswith('<frozen')][-1])\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from agentkit import tool\n"
        "assert not any('/agentkit/' in f for f in importers), importers\n"
        "import logging\n"
        "import agentkit.events\n"
        "handlers = logging.getLogger('agentkit').handlers\n"
        "assert any(isinstance(h, logging.NullHandler) for h in handlers), handlers\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_forbid_unset_extras_skips_models_whose_classes_all_chose_a_policy() -> None:
    """A model whose own classes all chose a policy is left as it is (not walked, not copied); the rest still is."""
    from pydantic import create_model

    from agentkit.tools import _schema

    class Inner(BaseModel):
        model_config = ConfigDict(extra="forbid")
        x: int

    class Outer(BaseModel):
        model_config = ConfigDict(extra="ignore")
        inner: Inner

    class Bare(BaseModel):
        y: int

    class Mixed(BaseModel):
        model_config = ConfigDict(extra="forbid")
        bare: Bare

    class Node(BaseModel):
        model_config = ConfigDict(extra="forbid")
        children: list[Node] = []

    Node.model_rebuild()
    core = create_model(
        "Args", outer=(Outer, ...), mixed=(Mixed, ...), node=(Node, ...)
    ).__pydantic_core_schema__
    copied, changed = forbid_unset_extras(core)
    assert changed
    assert _schema._all_set(Outer)
    assert _schema._all_set(Node)  # recursive: answered once, correctly
    assert not _schema._all_set(Mixed)
    assert not _schema._all_set(Bare)
    assert _configs(copied)["Bare"]["extra_fields_behavior"] == "forbid"
    assert _configs(copied)["Outer"]["extra_fields_behavior"] == "ignore"

    def nodes(schema: Any, name: str) -> list[int]:
        found: list[int] = []

        def visit(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "model" and node["cls"].__name__ == name:
                    found.append(id(node))
                for key, value in node.items():
                    if key != "metadata":
                        visit(value)
            elif isinstance(node, list):
                for value in node:
                    visit(value)

        visit(schema)
        return found

    assert nodes(copied, "Outer") == nodes(core, "Outer")  # the very same objects
    assert nodes(copied, "Mixed") != nodes(core, "Mixed")
