"""A run's cost is estimated from its model calls and a price table the user can supply."""

from __future__ import annotations

import pytest

from agentkit import Agent
from agentkit.messages import TextPart, Usage
from agentkit.providers import ModelPrice, ModelResponse, PriceTable
from agentkit.testing import FakeProvider


@pytest.mark.anyio
async def test_cost_sums_every_model_call_with_the_users_prices() -> None:
    answer = ModelResponse(
        parts=(TextPart(text="hi"),),
        provider="fake",
        model="house-model",
        usage=Usage(input_tokens=2_000_000, cache_read_tokens=1_000_000, output_tokens=500_000),
    )
    result = await Agent(FakeProvider([answer])).run("hello")
    prices = PriceTable({"house-model": ModelPrice(input=1.0, cache_read=0.5, output=4.0)})
    assert result.cost(prices) == pytest.approx(1.0 + 0.5 + 2.0)
    assert result.cost() is None  # the built-in table does not know this model
