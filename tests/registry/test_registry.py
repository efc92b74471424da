"""Registry: namespaces, versions side by side, collision policy, modules."""

from __future__ import annotations

import pickle
import types
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Registry, RunContext, Tool, tool
from agentkit.exceptions import (
    ToolCollisionError,
    ToolDefinitionError,
    ToolNotFoundError,
    UsageError,
)


def make(
    name: str, version: str = "1.0.0", doc: str = "A tool.", namespace: str | None = None
) -> Any:
    def impl(x: int) -> int:
        return x

    impl.__doc__ = doc
    return tool(name=name, version=version, namespace=namespace)(impl)


def test_register_function_tool_and_class_and_plain_function() -> None:
    class Args(BaseModel):
        q: str

    class Search(Tool[Args, str]):
        """Search."""

        async def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return args.q

    def plain(a: int) -> int:
        """Plain function."""
        return a

    registry = Registry()
    registry.register(make("alpha"))
    registry.register(Search)
    registry.register(plain)
    assert [t.contract.name for t in registry] == ["alpha", "plain", "search"]
    assert len(registry) == 3
    assert "search" in registry


def test_namespace_is_joined_and_keys_are_qualified() -> None:
    registry = Registry()
    registry.register(make("search", namespace="flights"), namespace="travel")
    assert "travel.flights.search" in registry
    assert registry.get("travel.flights.search").contract.namespace == "travel.flights"


def test_several_major_versions_side_by_side_and_ranges() -> None:
    registry = Registry()
    for version in ("1.0.0", "2.1.0", "3.0.0-rc.1"):
        registry.register(make("search", version=version, doc=f"v{version}"))
    assert registry.versions("search") == ["1.0.0", "2.1.0", "3.0.0-rc.1"]
    assert registry.get("search", "^1").contract.version == "1.0.0"
    assert registry.get("search", "^2").contract.version == "2.1.0"
    assert registry.get("search", ">=1,<3").contract.version == "2.1.0"
    assert registry.get("search").contract.version == "2.1.0"  # releases win over pre-releases
    assert registry.get("search", "^3.0.0-rc.1").contract.version == "3.0.0-rc.1"
    assert [t.contract.version for t in registry.tools(latest_only=True)] == ["2.1.0"]


def test_same_major_collision_errors_by_default_with_a_helpful_message() -> None:
    registry = Registry()
    registry.register(make("search", "1.0.0", doc="first"))
    with pytest.raises(ToolCollisionError) as info:
        registry.register(make("search", "1.2.0", doc="second"))
    assert info.value.existing_version == "1.0.0"
    assert info.value.new_version == "1.2.0"
    assert "on_collision='replace'" in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).name == "search"


def test_registering_the_same_object_twice_is_a_no_op() -> None:
    registry = Registry()
    alpha = make("alpha")
    registry.register(alpha)
    registry.register(alpha)
    assert len(registry) == 1


def test_replace_policy_swaps_the_tool() -> None:
    registry = Registry(on_collision="replace")
    registry.register(make("search", "1.0.0", doc="first"))
    registry.register(make("search", "1.1.0", doc="second"))
    assert registry.get("search").contract.description == "second"
    assert len(registry) == 1


def test_prefix_policy_keeps_both_under_different_names() -> None:
    registry = Registry()
    registry.register(make("search", doc="first"))
    kept = registry.register(make("search", doc="second"), on_collision="prefix", prefix="acme")
    assert kept.contract.name == "acme_search"
    assert sorted(t.contract.name for t in registry) == ["acme_search", "search"]


def test_prefix_policy_without_prefix_is_a_usage_error() -> None:
    registry = Registry()
    registry.register(make("search", doc="first"))
    with pytest.raises(UsageError, match="prefix"):
        registry.register(make("search", doc="second"), on_collision="prefix")


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(UsageError, match="on_collision"):
        Registry(on_collision="merge")  # type: ignore[arg-type]


def test_lookup_errors_suggest_close_names() -> None:
    registry = Registry()
    registry.register(make("search_flights"))
    with pytest.raises(ToolNotFoundError) as info:
        registry.get("search_flight")
    assert info.value.suggestions == ("search_flights",)
    assert "did you mean 'search_flights'" in str(info.value)
    with pytest.raises(ToolNotFoundError, match="no version"):
        registry.get("search_flights", "^2")
    with pytest.raises(ToolDefinitionError, match="not understood"):
        registry.get("search_flights", "latest")


def test_unregister_a_version_or_all() -> None:
    registry = Registry()
    registry.register(make("search", "1.0.0"))
    registry.register(make("search", "2.0.0"))
    registry.unregister("search", "^1")
    assert registry.versions("search") == ["2.0.0"]
    registry.unregister("search")
    assert "search" not in registry
    with pytest.raises(ToolNotFoundError):
        registry.unregister("search")


def test_register_module_honours_all_and_skips_private_and_foreign_classes() -> None:
    class Args(BaseModel):
        q: str

    class Local(Tool[Args, str]):
        """Defined in this module."""

        async def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return args.q

    module = types.ModuleType("acme_tools")
    module.public = make("public")
    module._private = make("private")
    module.Foreign = Local  # defined in another module: not collected from this one
    module.not_a_tool = 42
    tools = Registry().register_module(module, namespace="acme")
    assert [t.contract.qualified_name for t in tools] == ["acme.public"]

    module.__all__ = ["_private"]
    assert [t.contract.name for t in Registry().register_module(module)] == ["private"]


def test_registry_tool_decorator_keeps_the_function_callable() -> None:
    registry = Registry()

    @registry.tool(namespace="math", version="1.1.0")
    def double(x: int) -> int:
        """Double a number."""
        return 2 * x

    assert double(4) == 8
    assert registry.get("math.double").contract.version == "1.1.0"


def test_rejects_things_that_are_not_tools() -> None:
    with pytest.raises(UsageError, match="cannot register"):
        Registry().register(42)  # type: ignore[arg-type]


def test_tool_class_needing_constructor_arguments_must_be_registered_as_instance() -> None:
    class Args(BaseModel):
        q: str

    class NeedsClient(Tool[Args, str]):
        """Needs a client."""

        def __init__(self, client: object) -> None:
            self.client = client

        async def run(self, args: Args, ctx: RunContext[Any]) -> str:
            return args.q

    with pytest.raises(ToolDefinitionError, match="register an instance"):
        Registry().register(NeedsClient)
    assert Registry().register(NeedsClient(client=object())).contract.name == "needs_client"


def test_tool_listing_follows_every_change_and_a_caller_cannot_alter_it() -> None:
    """The remembered tool list is rebuilt after register and unregister, and mutating a returned list is harmless."""
    registry = Registry()
    registry.register(tool(name="b", version="1.0.0", description="B.")(lambda: "b1"))
    first = registry.tools(latest_only=True)
    first.clear()
    assert [t.contract.name for t in registry.tools(latest_only=True)] == ["b"]
    registry.register(tool(name="a", version="1.0.0", description="A.")(lambda: "a"))
    registry.register(tool(name="b", version="2.0.0", description="B.")(lambda: "b2"))
    assert [(t.contract.name, t.contract.version) for t in registry.tools(latest_only=True)] == [
        ("a", "1.0.0"),
        ("b", "2.0.0"),
    ]
    assert len(registry.tools()) == 3
    registry.unregister("b", "^2")
    assert [t.contract.version for t in registry.tools(latest_only=True)] == ["1.0.0", "1.0.0"]
    assert registry.toolset().names() == ["a", "b"]
    registry.unregister("a")
    assert registry.toolset().names() == ["b"]
