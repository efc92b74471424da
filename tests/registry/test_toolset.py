"""Toolsets: filter, prefix, rename, combine, and lookups by the name a model uses."""

from __future__ import annotations

import pytest

from agentkit import Registry, Toolset, tool
from agentkit.exceptions import ToolCollisionError, UnknownToolError, UsageError


@tool(tags=["read"], namespace="shop")
def get_order(order_id: str) -> dict[str, str]:
    """Fetch an order."""
    return {"id": order_id}


@tool(tags=["write"], namespace="shop.admin")
def cancel_order(order_id: str) -> str:
    """Cancel an order."""
    return "cancelled"


@tool(tags=["read"])
def ping() -> str:
    """Ping."""
    return "pong"


def test_filter_by_tags_names_namespace_and_predicate() -> None:
    toolset = Toolset([get_order, cancel_order, ping])
    assert toolset.filter(tags={"read"}).names() == ["get_order", "ping"]
    assert toolset.filter(names=["ping"]).names() == ["ping"]
    assert toolset.filter(namespace="shop").names() == ["cancel_order", "get_order"]
    assert toolset.filter(namespace="shop.admin").names() == ["cancel_order"]
    assert toolset.filter(lambda t: t.contract.name.startswith("c")).names() == ["cancel_order"]


def test_prefix_and_rename_do_not_touch_the_originals() -> None:
    toolset = Toolset([get_order, ping]).prefixed("acme").renamed({"acme_ping": "health"})
    assert toolset.names() == ["acme_get_order", "health"]
    assert get_order.contract.name == "get_order"
    assert ping() == "pong"


@pytest.mark.anyio
async def test_renamed_tools_still_invoke() -> None:
    renamed = Toolset([get_order]).prefixed("acme").get("acme_get_order")
    outcome = await renamed.invoke_json('{"order_id": "A1"}')
    assert outcome.ok
    assert outcome.tool_name == "acme_get_order"
    assert outcome.content == '{"id":"A1"}'


def test_combining_toolsets_and_name_clashes() -> None:
    combined = Toolset([get_order]) | Toolset([ping])
    assert combined.names() == ["get_order", "ping"]
    clash = Toolset([ping]) | Toolset([ping.renamed("ping")])
    with pytest.raises(ToolCollisionError):
        clash.names()
    assert repr(clash) == "Toolset(<name collision>)"


def test_unknown_tool_lookup_gives_a_repairable_error() -> None:
    with pytest.raises(UnknownToolError) as info:
        Toolset([get_order, ping]).get("get_ordr")
    assert info.value.suggestions == ("get_order",)
    assert '"did_you_mean":"get_order"' in info.value.repair_hint


def test_registry_toolset_is_live_and_can_qualify_names() -> None:
    registry = Registry()
    toolset = registry.toolset()
    assert toolset.names() == []
    registry.register(get_order)
    registry.register(ping)
    assert toolset.names() == ["get_order", "ping"]
    assert registry.toolset(qualify=True).names() == ["ping", "shop_get_order"]
    assert "ping" in toolset
    assert len(toolset) == 2


def test_toolset_rejects_non_tools() -> None:
    with pytest.raises(UsageError, match="wrap functions"):
        Toolset([lambda: None])  # type: ignore[list-item]


def test_qualified_names_keep_the_namespace_for_filtering() -> None:
    registry = Registry()
    registry.register(get_order)
    registry.register(ping)
    assert registry.toolset(qualify=True).filter(namespace="shop").names() == ["shop_get_order"]


def test_flags_gate_tools_each_time_the_list_is_built() -> None:
    from agentkit.registry import StaticFlags

    @tool(tags=["flag:beta"])
    def beta_search(q: str) -> str:
        """Search (beta)."""
        return q

    flags = StaticFlags()
    toolset = Toolset([beta_search, ping]).gated(flags)
    assert toolset.names() == ["ping"]
    flags.flags["beta"] = True
    assert toolset.names() == ["beta_search", "ping"]
    custom = Toolset([beta_search, ping]).gated(
        flags, flag_for=lambda t: "off" if t.contract.name == "ping" else None
    )
    assert custom.names() == ["beta_search"]


@pytest.mark.anyio
async def test_an_agent_sees_a_flag_flip_between_steps() -> None:
    from agentkit import Agent
    from agentkit.messages import ToolCallPart
    from agentkit.registry import StaticFlags
    from agentkit.testing import FakeProvider

    @tool(tags=["flag:beta"])
    def beta_search(q: str) -> str:
        """Search (beta)."""
        flags.flags["beta"] = False  # the flag flips while the run is in progress
        return q

    flags = StaticFlags({"beta": True})
    provider = FakeProvider(
        [[ToolCallPart(id="c1", name="beta_search", arguments='{"q": "x"}')], "done"]
    )
    await Agent(provider, tools=Toolset([beta_search, ping]).gated(flags)).run("go")
    offered = [[t.name for t in request.tools] for request in provider.requests]
    assert offered == [["beta_search", "ping"], ["ping"]]


@pytest.mark.parametrize("option", ["tags", "names"])
def test_filter_refuses_a_bare_string_instead_of_filtering_by_its_letters(option: str) -> None:
    """``filter(tags="read")`` is a UsageError that says to write a list, not a filter on 'r', 'e', 'a', 'd'."""
    toolset = Toolset([get_order, cancel_order, ping])
    with pytest.raises(UsageError, match=rf"write {option}=\['read'\]"):
        toolset.filter(**{option: "read"})  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="strings only"):
        toolset.filter(**{option: ["read", 3]})  # type: ignore[list-item]


def test_load_entry_points_refuses_a_bare_string_of_names() -> None:
    """``load_entry_points(names="weather")`` is refused rather than loading entry points named by its letters."""
    with pytest.raises(UsageError, match=r"write names=\['weather'\]"):
        Registry().load_entry_points(names="weather")
