"""Cost estimates from a price table the user can supply or update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from agentkit.messages import Usage

__all__ = ("DEFAULT_PRICES", "ModelPrice", "PriceTable")


@dataclass(frozen=True)
class ModelPrice:
    """Prices in US dollars per million tokens.

    Attributes:
        input: Uncached prompt tokens.
        output: Generated tokens (reasoning included).
        cache_read: Prompt tokens read from the prompt cache (defaults to ``input``).
        cache_write: Prompt tokens written to the prompt cache (defaults to ``input``).

    Examples:
        >>> ModelPrice(input=2.0, output=8.0).cache_read_price
        2.0
    """

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None

    @property
    def cache_read_price(self) -> float:
        """The cache-read price, falling back to the input price."""
        return self.input if self.cache_read is None else self.cache_read

    @property
    def cache_write_price(self) -> float:
        """The cache-write price, falling back to the input price."""
        return self.input if self.cache_write is None else self.cache_write


# Published list prices (standard tier, short prompts) as of November 2025. They change: check your provider's
# pricing page and pass your own table, or update this one with PriceTable.update().
DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    "gpt-4.1": ModelPrice(input=2.00, cache_read=0.50, output=8.00),
    "gpt-4.1-mini": ModelPrice(input=0.40, cache_read=0.10, output=1.60),
    "gpt-4.1-nano": ModelPrice(input=0.10, cache_read=0.025, output=0.40),
    "gpt-4o": ModelPrice(input=2.50, cache_read=1.25, output=10.00),
    "gpt-4o-mini": ModelPrice(input=0.15, cache_read=0.075, output=0.60),
    "o4-mini": ModelPrice(input=1.10, cache_read=0.275, output=4.40),
    "claude-opus-4-1": ModelPrice(input=15.00, cache_read=1.50, cache_write=18.75, output=75.00),
    "claude-sonnet-4-5": ModelPrice(input=3.00, cache_read=0.30, cache_write=3.75, output=15.00),
    "claude-haiku-4-5": ModelPrice(input=1.00, cache_read=0.10, cache_write=1.25, output=5.00),
    "gemini-2.5-pro": ModelPrice(input=1.25, cache_read=0.31, output=10.00),
    "gemini-2.5-flash": ModelPrice(input=0.30, cache_read=0.075, output=2.50),
    "gemini-2.5-flash-lite": ModelPrice(input=0.10, cache_read=0.025, output=0.40),
}


class PriceTable:
    """Model prices, looked up by exact name or by the longest known prefix (``gpt-4.1-2025-04-14`` → ``gpt-4.1``).

    Examples:
        >>> from agentkit.messages import Usage
        >>> table = PriceTable()
        >>> round(table.estimate(Usage(input_tokens=1_000_000, output_tokens=100_000), "gpt-4.1-2025-04-14"), 4)
        2.8
        >>> table.update({"my-model": ModelPrice(input=1.0, output=1.0)})
        >>> table.estimate(Usage(input_tokens=500_000), "my-model")
        0.5
        >>> table.estimate(Usage(input_tokens=10), "unknown-model") is None
        True
    """

    def __init__(self, prices: Mapping[str, ModelPrice] | None = None) -> None:
        self._prices: dict[str, ModelPrice] = dict(DEFAULT_PRICES if prices is None else prices)

    def update(self, prices: Mapping[str, ModelPrice] | Iterable[tuple[str, ModelPrice]]) -> None:
        """Add or replace prices."""
        self._prices.update(dict(prices))

    def price_for(self, model: str) -> ModelPrice | None:
        """The price for ``model``, by exact name, then by the longest matching prefix."""
        name = model.split("/")[-1]
        if name in self._prices:
            return self._prices[name]
        matches = [key for key in self._prices if name.startswith((key + "-", key + "@"))]
        return self._prices[max(matches, key=len)] if matches else None

    def estimate(self, usage: Usage, model: str) -> float | None:
        """Estimated cost in US dollars, or ``None`` when the model's price is unknown."""
        price = self.price_for(model)
        if price is None:
            return None
        uncached = max(0, usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens)
        dollars = (
            uncached * price.input
            + usage.cache_read_tokens * price.cache_read_price
            + usage.cache_write_tokens * price.cache_write_price
            + usage.output_tokens * price.output
        )
        return dollars / 1_000_000
