"""Registry and toolsets: namespaces, major versions side by side, collisions, and views for a model.

Run it from the repository root with ``python examples/registry_toolsets.py``. It needs no network and no API key.

What it shows:

1. Namespaces: two tools called ``search`` live side by side as ``web.search`` and ``docs.search``.
2. Versions: ``search_flights`` 1.x and 2.x are both registered; ``get(name, "^1")`` picks a major version,
   ``get(name)`` the newest.
3. The collision policy: a second 1.x ``search_flights`` is an error by default; ``on_collision="replace"``
   swaps it in, ``on_collision="prefix"`` keeps both under different names.
4. Toolsets, the view a model is offered: ``filter`` by tag or namespace, ``prefixed``, ``renamed``, ``|`` to
   combine, and the "did you mean" a model gets when it calls a tool that is not there.

The output is deterministic: no clock, no randomness.
"""

from __future__ import annotations

import anyio

from agentkit import Registry, Toolset, tool
from agentkit.exceptions import ToolCollisionError, UnknownToolError


# --8<-- [start:namespaces]
@tool(tags=["read"])
def search(query: str) -> list[str]:
    """Search the web."""
    return [f"https://example.org/?q={query}"]


@tool(name="search", tags=["read"])
def search_docs(query: str) -> list[str]:
    """Search the internal documentation."""
    return [f"docs://{query}"]


registry = Registry()
registry.register(search, namespace="web")
registry.register(search_docs, namespace="docs")
# --8<-- [end:namespaces]


# --8<-- [start:versions]
@registry.tool(namespace="travel", version="1.4.0", tags=["read"])
def search_flights(origin: str, destination: str) -> list[str]:
    """Search flights (v1: economy only)."""
    return ["AF1081"]


@registry.tool(namespace="travel", name="search_flights", version="2.0.0", tags=["read"])
def search_flights_v2(origin: str, destination: str, cabin: str = "economy") -> list[str]:
    """Search flights in a given cabin (v2 added the cabin and returns the cabin too)."""
    return [f"AF1081/{cabin}"]


# --8<-- [end:versions]


@registry.tool(namespace="travel", tags=["write"], requires_approval=True)
def book_flight(flight_number: str, passenger: str) -> str:
    """Book a seat on a flight."""
    return "K7Q2XZ"


def heading(text: str) -> None:
    print(f"\n== {text} ==")


def show_registry() -> None:
    for item in registry:
        contract = item.contract
        print(f"  {contract.qualified_name:<22} {contract.version:<6} {contract.description}")


def collisions() -> None:
    # --8<-- [start:collisions]
    @tool(name="search_flights", version="1.5.0")
    def faster_search(origin: str, destination: str) -> list[str]:
        """Search flights, faster (a second 1.x implementation)."""
        return ["AF1081"]

    try:
        registry.register(faster_search, namespace="travel")  # default policy: "error"
    except ToolCollisionError as exc:
        print(f"error    {exc.name}: {exc.existing_version} is taken, {exc.new_version} collides")

    kept = registry.register(
        faster_search, namespace="travel", on_collision="prefix", prefix="fast"
    )
    print(f"prefix   registered as {kept.contract.qualified_name} {kept.contract.version}")

    registry.register(faster_search, namespace="travel", on_collision="replace")
    replaced = registry.get("travel.search_flights", "^1")
    print(f"replace  travel.search_flights ^1 is now {replaced.contract.version}")
    # --8<-- [end:collisions]


async def toolsets() -> None:
    # --8<-- [start:toolsets]
    # qualify=True: the model sees namespaced tools as namespace_name (web_search, docs_search...).
    everything = registry.toolset(qualify=True)
    print(f"all, qualified      {everything.names()}")

    read_only = registry.toolset(qualify=True).filter(tags={"read"})
    print(f"filter(tags=read)   {read_only.names()}")

    travel = registry.toolset().filter(namespace="travel")
    print(f"filter(namespace)   {travel.names()}")
    print(f"prefixed('acme')    {travel.prefixed('acme').names()}")
    print(f"renamed(...)        {travel.renamed({'book_flight': 'book'}).names()}")

    helpers = Toolset([search_docs.renamed("search_docs")])
    offered = travel.filter(tags={"read"}) | helpers
    print(f"combined with |     {offered.names()}")

    try:
        offered.get("serch_docs")  # a model misspelt a tool name
    except UnknownToolError as exc:
        print(f"unknown tool        {exc}")

    raw = '{"origin": "CDG", "destination": "LIS"}'
    outcome = await offered.get("search_flights").invoke_json(raw)
    print(f"call search_flights {outcome.content}  (the newest version: 2.x)")
    # --8<-- [end:toolsets]


async def main() -> None:
    heading("Namespaces and versions")
    show_registry()
    print(f"versions of travel.search_flights: {registry.versions('travel.search_flights')}")
    v1 = registry.get("travel.search_flights", "^1")
    newest = registry.get("travel.search_flights")
    print(f'get("travel.search_flights", "^1") -> {v1.contract.version}')
    print(f'get("travel.search_flights")       -> {newest.contract.version}')

    heading("Collision policy")
    collisions()

    heading("Toolsets: what a model is offered")
    await toolsets()


if __name__ == "__main__":
    anyio.run(main)
