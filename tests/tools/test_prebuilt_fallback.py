"""A pydantic-core without ``_use_prebuilt`` (2.30-2.41) must still not reuse a nested class's own validator."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pydantic_core
import pytest
from pydantic import BaseModel

from agentkit import tool
from agentkit.tools import _base


class Units(BaseModel):
    """Where and how."""

    city: str
    units: str = "C"


def test_a_core_without_the_switch_still_refuses_a_misspelt_nested_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Built without ``_use_prebuilt``, the validator refuses ``unts`` and the user's class ends up as it was."""
    real = pydantic_core.SchemaValidator
    calls: list[dict[str, Any]] = []

    def without_switch(schema: Any, config: Any = None, **kwargs: Any) -> Any:
        calls.append(kwargs)
        if kwargs:
            raise TypeError("unexpected keyword argument '_use_prebuilt'")
        # What pydantic-core 2.30-2.41 does by default: reuse the class's validator when it is complete.
        assert Units.__dict__["__pydantic_complete__"] is False
        return real(schema, config)

    monkeypatch.setattr(_base, "SchemaValidator", without_switch)

    @tool
    def weather(loc: Units) -> str:
        """Weather."""
        return loc.units

    outcome = anyio.run(weather.invoke_json, '{"loc": {"city": "Oslo", "unts": "F"}}')
    assert outcome.status == "invalid_arguments"
    assert json.loads(outcome.content)["issues"][0]["did_you_mean"] == "units"
    assert calls == [{"_use_prebuilt": False}, {}]
    assert Units.__dict__["__pydantic_complete__"] is True
    assert (
        Units.model_validate({"city": "x", "unts": "F"}).units == "C"
    )  # the user's class is untouched
