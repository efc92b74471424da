"""Variables types shared by the prompt tests."""

from __future__ import annotations

from datetime import date
from enum import Enum

from pydantic import BaseModel, ConfigDict
from typing_extensions import NotRequired, TypedDict


class Tier(str, Enum):
    GOLD = "gold"
    SILVER = "silver"


class Order(BaseModel):
    id: str
    total: float
    lines: list[str] = []


class SupportVars(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_name: str
    vip: bool = False
    orders: list[Order] = []
    tags: list[str] = []
    meta: dict[str, int] = {}
    since: date | None = None
    tier: Tier = Tier.SILVER
    count: int = 0


class Line(TypedDict):
    sku: str
    qty: int
    note: NotRequired[str]


class CartVars(TypedDict):
    shopper: str
    lines: list[Line]
    coupon: NotRequired[str]
