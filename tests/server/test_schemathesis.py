"""schemathesis against the generated OpenAPI document of a live loopback service: no check fails.

Bounded and deterministic: derandomized Hypothesis, a fixed number of examples per operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from agentkit import Registry
from agentkit.runtime import Agent
from agentkit.server import APIKeys, ServerLimits, create_app
from agentkit.testing import FunctionProvider

from .conftest import KEY, serving

if TYPE_CHECKING:
    from collections.abc import Iterator

    from agentkit.providers import ModelRequest

registry = Registry()


@registry.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@registry.tool(version="2.0.0", name="add")
def add_v2(a: int, b: int, unit: Literal["m", "km"] = "m") -> str:
    """Add two integers and name the unit."""
    return f"{a + b} {unit}"


@registry.tool(namespace="text")
def shout(text: str, times: int = 1) -> str:
    """Upper-case text, repeated."""
    return text.upper() * max(0, min(times, 3))


def _answer(request: ModelRequest) -> str:
    return "ok"


@pytest.fixture(scope="module")
def live_schema() -> Iterator[Any]:
    """The service on loopback, and its OpenAPI document loaded by schemathesis."""
    app = create_app(
        tools=registry,
        agents=Agent(FunctionProvider(_answer), name="echo"),
        auth=APIKeys({KEY: "fuzzer"}),
        limits=ServerLimits(requests_per_minute=None),
    )
    with serving(app) as base:
        yield schemathesis.openapi.from_url(base + "/openapi.json")


def test_the_service_conforms_to_its_openapi_document(live_schema: Any) -> None:
    """Every generated request, for every operation, gets a documented, well-formed answer, never a 5xx."""
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) >= 10
    tried: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers={"X-API-Key": KEY})

        check()
        tried.append(operation.label)
    assert "POST /v1/tools/add/versions/2.0.0/invoke" in tried
