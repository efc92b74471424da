"""Where the suite's recorded data lives: ``tests/fixtures``, inside the repository and the sdist.

Provider traffic, error bodies and the BFCL definitions were copied there byte for byte from the team's shared
collection (see ``tests/fixtures/PROVENANCE.md``); nothing outside the repository is read. Test modules are
imported with ``--import-mode=importlib`` (no package to import from), so they load this file by path, as does
``benchmarks/bench_providers.py`` (whose environment has no pytest, hence the late imports below)::

    _fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixtures_root(*folders: str, root: Path = FIXTURES) -> Path:
    """``root`` once each of ``folders`` is a directory in it; anything missing fails the test loudly."""
    import pytest

    missing = [folder for folder in folders if not (root / folder).is_dir()]
    if not root.is_dir() or missing:
        pytest.fail(
            f"recorded fixtures not found at {root} (missing: {', '.join(missing) or 'the folder'}): "
            "they ship in the repository under tests/fixtures; restore them from version control",
            pytrace=False,
        )
    return root


def fixture(relative: str, *, root: Path = FIXTURES) -> Path:
    """The fixture file at ``relative`` (for example ``"openai-chat/plain-text.pydantic-ai.yaml"``), or a failure."""
    import pytest

    path = fixtures_root(root=root) / relative
    if not path.is_file():
        pytest.fail(f"fixture {relative} is missing from {root}", pytrace=False)
    return path
