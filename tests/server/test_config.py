"""The service's configuration objects refuse values that would silently weaken it."""

from __future__ import annotations

import pytest

from agentkit.exceptions import UsageError
from agentkit.server import APIKeys, ServerLimits


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("one-key-as-a-string", "not one string"),
        ({}, "at least one key"),
        ([], "at least one key"),
        (["ok-key", ""], "cannot be empty"),
    ],
)
def test_api_keys_refuse_what_would_let_anyone_in(keys: object, message: str) -> None:
    """A bare string, no keys or an empty key is a usage error, never a checker that accepts everything."""
    with pytest.raises(UsageError, match=message):
        APIKeys(keys)  # type: ignore[arg-type]


def test_api_keys_name_clients_by_position_never_by_key() -> None:
    """Keys given as a list name their clients ``client-1``, ``client-2``: the key itself is never a name."""
    keys = APIKeys(["k-first-1", "k-second-2"])
    assert [keys.authenticate("k-second-2"), keys.authenticate("k-first-1")] == [
        "client-2",
        "client-1",
    ]
    assert repr(keys) == "APIKeys(2 keys)"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_body_bytes", 0),
        ("requests_per_minute", float("nan")),
        ("requests_per_minute", -1.0),
        ("burst", 0),
        ("max_concurrent_runs", 0),
        ("shutdown_grace", -1.0),
        ("shutdown_grace", float("inf")),
    ],
)
def test_server_limits_refuse_impossible_values(field: str, value: float) -> None:
    """Each limit names itself in the error when it is zero, negative or not finite."""
    with pytest.raises(UsageError, match=f"ServerLimits.{field}"):
        ServerLimits(**{field: value})  # type: ignore[arg-type]
