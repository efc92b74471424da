"""The one representative tool every contender runs, its payloads, and the bare-pydantic floor.

The tool books a trip: a nested pydantic model argument (``Traveller``, also inside a list), a ``Literal``, optional
fields and a ``date``, returning a pydantic model. Every contender wraps the *same* function objects, so the only
difference between them is the framework around the call.

This module deliberately does not use ``from __future__ import annotations``: some peers resolve annotations in
their own ways, and real annotation objects keep the comparison about invocation, not about string resolution.
"""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = (
    "INVALID_ARGS",
    "VALID_ARGS",
    "BookTripArgs",
    "Booking",
    "Traveller",
    "book_trip",
    "book_trip_sync",
    "check_result",
    "define_floor",
)

Cabin = Literal["economy", "premium", "business", "first"]


class Traveller(BaseModel):
    """One person on the trip."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Full name as on the passport")
    age: int = Field(ge=0, le=130)
    email: str | None = None
    loyalty_number: str | None = None


class Booking(BaseModel):
    """What the tool returns."""

    reference: str
    destination: str
    depart: dt.date
    nights: int
    cabin: Cabin
    travellers: list[str]
    total_eur: float


def _book(
    destination: str,
    depart: dt.date,
    lead: Traveller,
    cabin: Cabin,
    nights: int,
    companions: list[Traveller] | None,
    notes: str | None,
) -> Booking:
    people = [lead, *(companions or ())]
    base = {"economy": 80.0, "premium": 140.0, "business": 310.0, "first": 620.0}[cabin]
    return Booking(
        reference=f"{destination[:3].upper()}-{depart:%m%d}-{len(people)}",
        destination=destination,
        depart=depart,
        nights=nights,
        cabin=cabin,
        travellers=[p.name for p in people],
        total_eur=round(base * len(people) + 95.5 * nights, 2),
    )


async def book_trip(
    destination: str,
    depart: dt.date,
    lead: Traveller,
    cabin: Cabin = "economy",
    nights: int = 1,
    companions: list[Traveller] | None = None,
    notes: str | None = None,
) -> Booking:
    """Book a trip for one or more travellers.

    Args:
        destination: City to travel to.
        depart: Departure date.
        lead: The lead traveller, who pays.
        cabin: Cabin class.
        nights: Number of nights to stay.
        companions: Other travellers.
        notes: Free-text requests for the agent.
    """
    return _book(destination, depart, lead, cabin, nights, companions, notes)


def book_trip_sync(
    destination: str,
    depart: dt.date,
    lead: Traveller,
    cabin: Cabin = "economy",
    nights: int = 1,
    companions: list[Traveller] | None = None,
    notes: str | None = None,
) -> Booking:
    """Book a trip for one or more travellers.

    Args:
        destination: City to travel to.
        depart: Departure date.
        lead: The lead traveller, who pays.
        cabin: Cabin class.
        nights: Number of nights to stay.
        companions: Other travellers.
        notes: Free-text requests for the agent.
    """
    return _book(destination, depart, lead, cabin, nights, companions, notes)


class BookTripArgs(BaseModel):
    """The floor's arguments model: exactly the tool's signature, unknown fields forbidden."""

    model_config = ConfigDict(extra="forbid")

    destination: str
    depart: dt.date
    lead: Traveller
    cabin: Cabin = "economy"
    nights: int = 1
    companions: list[Traveller] | None = None
    notes: str | None = None


def define_floor() -> dict[str, object]:
    """Bare pydantic's define-plus-schema: declare the arguments model, then produce its JSON schema."""

    class Args(BaseModel):
        model_config = ConfigDict(extra="forbid")

        destination: str = Field(description="City to travel to.")
        depart: dt.date = Field(description="Departure date.")
        lead: Traveller = Field(description="The lead traveller, who pays.")
        cabin: Cabin = Field("economy", description="Cabin class.")
        nights: int = Field(1, description="Number of nights to stay.")
        companions: list[Traveller] | None = Field(None, description="Other travellers.")
        notes: str | None = Field(None, description="Free-text requests for the agent.")

    return Args.model_json_schema()


# What a model sends: JSON text, as it arrives in a tool call.
VALID_ARGS = (
    '{"destination": "Lisbon", "depart": "2025-07-14", "cabin": "premium", "nights": 4,'
    ' "lead": {"name": "Ada Lovelace", "age": 36, "email": "ada@example.org"},'
    ' "companions": [{"name": "Charles Babbage", "age": 44}], "notes": "window seats please"}'
)

# Wrong type (lead.age), unknown field (night instead of nights), missing field (destination).
INVALID_ARGS = (
    '{"depart": "2025-07-14", "cabin": "premium", "night": 4,'
    ' "lead": {"name": "Ada Lovelace", "age": "thirty-six"}}'
)


def check_result(text: str) -> bool:
    """Whether a contender's model-facing text carries the booking (the reference and the total)."""
    return "LIS-0714-2" in text and "662" in text
