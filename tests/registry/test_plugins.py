"""Entry-point discovery, against the real installed test distribution in tests/plugin_dist."""

from __future__ import annotations

import importlib.metadata

import pytest

from agentkit import Registry
from agentkit.exceptions import PluginLoadError, ToolCollisionError

GOOD = ["bundle", "module", "units", "weather"]


@pytest.fixture(scope="module", autouse=True)
def _plugin_installed() -> None:
    try:
        importlib.metadata.distribution("agentkit-test-plugin")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            "the test distribution is not installed: run `nox -s tests`, or "
            "`pip install ./tests/plugin_dist` before pytest",
            pytrace=False,
        )


def test_loads_tools_classes_factories_and_modules() -> None:
    registry = Registry()
    loaded = registry.load_entry_points(names=GOOD)
    assert sorted(t.contract.qualified_name for t in loaded) == [
        "astro.sunrise",
        "convert_units",
        "get_weather",
        "moon_phase",
        "tide",
    ]
    assert registry.get("get_weather").contract.tags == ("weather",)


@pytest.mark.anyio
async def test_plugin_tools_are_invocable() -> None:
    registry = Registry()
    registry.load_entry_points(names=["units"])
    outcome = await registry.get("convert_units").invoke_json('{"value": 100, "unit": "c"}')
    assert outcome.content == "212.0"


def test_broken_entry_point_raises_with_distribution_and_reason() -> None:
    with pytest.raises(PluginLoadError) as info:
        Registry().load_entry_points(names=["broken"])
    assert info.value.entry_point == "broken"
    assert info.value.distribution == "agentkit-test-plugin"
    assert "ModuleNotFoundError" in info.value.reason


def test_skip_mode_records_the_broken_one_and_loads_the_rest() -> None:
    registry = Registry()
    loaded = registry.load_entry_points(on_error="skip")
    assert len(loaded) == 5
    assert [e.entry_point for e in registry.plugin_errors] == ["broken"]


def test_namespace_and_collisions_apply_to_plugins() -> None:
    registry = Registry()
    registry.load_entry_points(names=["weather"], namespace="acme")
    assert "acme.get_weather" in registry
    again = Registry()
    again.load_entry_points(names=["weather"])
    from agentkit import tool

    @tool
    def get_weather(city: str) -> str:
        """A local tool with the same name."""
        return city

    again.register(get_weather, on_collision="replace")
    with pytest.raises(ToolCollisionError):
        again.load_entry_points(names=["weather"])
    again.load_entry_points(names=["weather"], on_collision="prefix")
    assert "weather_get_weather" in again
