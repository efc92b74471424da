"""The package metadata tells the truth: the name, the licence, the project's addresses and the extras.

Read from the installed distribution's metadata, which hatchling wrote from pyproject.toml.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DIST = distribution("agentkit-contracts")
REPOSITORY = "https://github.com/agentkit-contracts/agentkit-contracts"


def requirements_by_extra() -> dict[str, set[str]]:
    """Each extra's requirements, as ``name[extras]specifier`` strings."""
    extras: dict[str, set[str]] = {
        name: set() for name in DIST.metadata.get_all("Provides-Extra") or []
    }
    for line in DIST.requires or []:
        requirement = Requirement(line)
        for extra in extras:
            if requirement.marker is not None and requirement.marker.evaluate({"extra": extra}):
                requirement.marker = None
                extras[extra].add(str(requirement))
                break
    return extras


def test_distribution_is_agentkit_contracts_and_imports_as_agentkit() -> None:
    """The distribution is ``agentkit-contracts``; it ships the ``agentkit`` package at its version."""
    import agentkit

    assert DIST.metadata["Name"] == "agentkit-contracts"
    assert DIST.version == agentkit.__version__
    assert DIST.entry_points.select(group="console_scripts", name="agentkit")


def test_the_unrelated_agentkit_distribution_is_not_what_we_install() -> None:
    """Nothing installs or reads a distribution named plain ``agentkit`` (that name is someone else's)."""
    with pytest.raises(PackageNotFoundError):
        distribution("agentkit")


def test_licence_file_ships_and_matches_the_metadata() -> None:
    """LICENSE is the MIT text with our copyright, and the metadata declares it."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The agentkit team" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    assert DIST.metadata["License-Expression"] == "MIT"
    assert DIST.metadata.get_all("License-File") == ["LICENSE"]


def test_project_urls_point_at_the_project() -> None:
    """Source, Issues, Documentation and Changelog are all the project's own addresses."""
    urls = dict(url.split(", ", 1) for url in DIST.metadata.get_all("Project-URL") or [])
    assert urls["Source"] == REPOSITORY
    assert urls["Issues"] == f"{REPOSITORY}/issues"
    assert urls["Documentation"] == "https://agentkit-contracts.github.io/agentkit-contracts/"
    assert urls["Changelog"].startswith(REPOSITORY)


def test_all_extra_is_every_other_extra() -> None:
    """``all`` installs exactly what the other extras install together, with the same bounds."""
    extras = requirements_by_extra()
    assert {"otel", "postgres", "redis", "testing", "all"} <= set(extras)
    others = set().union(*(reqs for name, reqs in extras.items() if name != "all"))
    assert extras["all"] == others
