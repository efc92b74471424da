"""Prompts: typed variables, a tiny safe template syntax, versions, a lifecycle, and a traceable event.

Run it from the repository root with ``python examples/prompts.py``. It needs no network and no API key.

What it shows:

1. A `Prompt[SupportVars]` with a system and a user template, ``{#if}`` and ``{#each}`` sections, rendered to
   messages with its name, version and content hash.
2. Mistakes caught early: a typo in a placeholder fails when the prompt is *defined* (with "did you mean"),
   forbidden syntax such as ``{customer.name}`` too; a missing variable fails before anything is rendered.
3. Values are text, never template: a customer name containing ``{#if vip}`` comes out literally.
4. A `PromptRegistry`: drafts, activation (the old version becomes deprecated), ranges, the deprecation warning,
   retirement, and the snapshot a reviewer reads.
5. The ``prompt.rendered`` event: name, version, hash, variable names and values (``Sensitive()`` ones masked).

The output is deterministic: a fixed clock and run id, no randomness.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

from pydantic import BaseModel

from agentkit.events import EventEmitter
from agentkit.prompts import (
    Prompt,
    PromptDefinitionError,
    PromptDeprecationWarning,
    PromptNotFoundError,
    PromptRegistry,
    PromptRenderError,
)


# --8<-- [start:define]
class Order(BaseModel):
    id: str
    status: str


class SupportVars(BaseModel):
    customer_name: str
    vip: bool = False
    orders: list[Order] = []


support_v1 = Prompt(
    "support",
    vars=SupportVars,
    version="1.0.0",
    description="First-line support for the web shop.",
    system=(
        "You are a support agent for {customer_name}."
        "{#if vip} They are a VIP customer: offer free express shipping.{/if}"
    ),
    user=(
        "{#if orders}Recent orders:\n{#each orders as order}- {order.id}: {order.status}\n{/each}"
        "{#else}No recent orders.{/if}"
    ),
)

rendered = support_v1.render(
    SupportVars(
        customer_name="Ada",
        vip=True,
        orders=[Order(id="A-1", status="shipped"), Order(id="A-2", status="processing")],
    )
)
# --8<-- [end:define]


def section(title: str) -> None:
    print(f"\n== {title}")


section("1. render")
for message in rendered.messages:
    print(f"[{message.role}] {message.text}")
print(f"prompt   {rendered.name} {rendered.version}")
print(f"hash     {rendered.content_hash}")

section("2. mistakes caught early")
# --8<-- [start:errors]
try:
    Prompt("support", vars=SupportVars, system="Hello {custmer_name}")
except PromptDefinitionError as err:
    print(f"definition  {err}")
try:
    Prompt("support", vars=SupportVars, system="Hello {customer_name.upper}")
except PromptDefinitionError as err:
    print(f"definition  {err}")
try:
    support_v1.render({"vip": True})  # type: ignore[arg-type]  # the mistake this example shows
except PromptRenderError as err:
    print(f"render      {err}")
# --8<-- [end:errors]

section("3. values are never re-interpreted")
tricky = support_v1.render(SupportVars(customer_name="{#if vip}Mallory{/if} {orders}"))
print(tricky.messages[0].text)

section("4. registry and lifecycle")
# --8<-- [start:registry]
registry = PromptRegistry()
registry.register(support_v1, activate=True)
registry.register(
    Prompt(
        "support",
        vars=SupportVars,
        version="2.0.0",
        system="You help {customer_name}. Answer in two sentences at most.",
    )
)


def states() -> list[tuple[str, str]]:
    return [(v, registry.state("support", v)) for v in registry.versions("support")]


print(f"states          {states()}")
print(f"get(support)    {registry.get('support').version}")
print(f"try the draft   {registry.get('support', '2.0.0').version} (exact versions serve drafts)")

registry.activate("support", "2.0.0")
print(f"after activate  {states()}")

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", PromptDeprecationWarning)
    old = registry.get("support", "^1")
print(f'get("^1")       {old.version}, warned: {caught[0].message}')

registry.retire("support", "1.0.0")
try:
    registry.get("support", "1.0.0")
except PromptNotFoundError as err:
    print(f"retired         {err}")
# --8<-- [end:registry]

section("5. the prompt.rendered event")


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, 9, 30, tzinfo=timezone.utc)

    def monotonic(self) -> float:
        return 0.0


# --8<-- [start:event]
emitter = EventEmitter(run_id="run-42", clock=FixedClock())
registry.render("support", SupportVars(customer_name="Ada Lovelace"), emitter=emitter)
event = emitter.events[0]
print(event.model_dump_json(indent=2))
# --8<-- [end:event]
assert event.values == {"customer_name": "Ada Lovelace", "vip": False, "orders": []}

section("snapshot for review")
for record in registry.snapshot().prompts:
    print(f"{record.name} {record.version:<6} {record.state:<10} {record.content_hash[:23]}…")
