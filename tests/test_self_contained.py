"""The suite is self-contained: nothing it runs reads outside the repository, and its recorded data ships inside it.

A fresh clone (or the sdist) must pass on its own. The scan below covers the suite (``tests/``, minus the recorded
data in ``tests/fixtures``), ``noxfile.py``, ``benchmarks/`` and ``.ci/``. The patterns are spelled so that this
file does not match them itself.
"""

from __future__ import annotations

import hashlib
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(ROOT / "tests" / "_fixtures.py"))
FIXTURES: Path = _fixtures["FIXTURES"]

# Literal references to places outside the repository.
OUTSIDE = {
    "the shared folder beside the checkout": re.compile(r"\.\.[/\\]+shared\b"),
    "the shared fixtures collection": re.compile(r"\bshared[/\\]+fixtures\b"),
    "the old fixtures override variable": re.compile(r"\bAGENTKIT_FIXTURE[S]\b"),
    "an absolute /work path": re.compile(r"(?<![\w.~-])/work[/\\]"),
}
# ``Path(__file__)`` followed by ``.parents[N]``, ``.parent`` and ``/ ".."`` steps, counted against the file's depth.
CLIMB = re.compile(
    r"""__file__\)(?:\.resolve\(\)|\.absolute\(\))?"""
    r"""(?P<steps>(?:\.parents\[\d+\]|\.parent\b|\s*/\s*(?:"\.\."|'\.\.'))+)"""
)
STEP = re.compile(r"""\.parents\[(\d+)\]|\.parent\b|(?:"\.\."|'\.\.')""")
SCANNED = ("tests", "noxfile.py", "benchmarks", ".ci")


def climb(steps: str) -> int:
    """How many directories up from the file itself a chain of ``.parents[N]`` / ``.parent`` / ``..`` goes."""
    levels = 0
    for step in STEP.finditer(steps):
        levels += int(step[1]) + 1 if step[1] is not None else 1
    return levels


def problems(text: str, depth: int) -> list[str]:
    """What in ``text`` points outside the repository, for a file ``depth`` path parts below the root."""
    found = [
        f"{what}: {m[0]!r}" for what, pattern in OUTSIDE.items() for m in pattern.finditer(text)
    ]
    for match in CLIMB.finditer(text):
        if climb(match["steps"]) > depth:
            found.append(f"climbs above the repository root: {match[0]!r}")
    return found


def scanned_files() -> list[Path]:
    """Every text file the scan covers (recorded data and caches excluded)."""
    out: list[Path] = []
    for name in SCANNED:
        top = ROOT / name
        candidates = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in candidates:
            parts = path.relative_to(ROOT).parts
            if parts[:2] == ("tests", "fixtures") or "__pycache__" in parts:
                continue
            if any(part.endswith(".egg-info") for part in parts):
                continue
            out.append(path)
    return out


def test_nothing_points_outside_the_repository() -> None:
    """No test, nox session, benchmark or CI script refers to a path outside the repository."""
    files = scanned_files()
    assert ROOT / "noxfile.py" in files
    assert Path(__file__).resolve() in files
    offenders = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary files (none today) cannot name a path we would follow
            continue
        relative = path.relative_to(ROOT)
        found = problems(text, depth=len(relative.parts))
        if found:
            offenders[relative.as_posix()] = found
    assert offenders == {}


# The examples are templates, filled in at run time, so that this file's own scan does not match them.
PIECES = {
    "up": "..",
    "sep": "/",
    "file": "__file__",
    "work": "/" + "work",
    "var": "AGENTKIT_" + "FIXTURES",
}


@pytest.mark.parametrize(
    ("template", "depth"),
    [
        ("root = Path('{up}') / '{up}/shared' / 'x'", 1),
        ("see shared{sep}fixtures/anthropic for the recordings", 1),
        ("os.environ.get('{var}')", 1),
        ("venv = '{work}/venv/bin/pytest'", 1),
        ("Path({file}).resolve().parents[2].parent / 'x'", 3),
        ("Path({file}).resolve().parents[3] / '{up}' / 'x'", 4),
        ("Path({file}).parent.parent.parent", 2),
    ],
)
def test_the_scan_catches_each_way_out(template: str, depth: int) -> None:
    """Each kind of outside reference the scan looks for is reported (so a passing scan means something)."""
    assert len(problems(template.format(**PIECES), depth)) == 1


@pytest.mark.parametrize(
    ("template", "depth"),
    [
        ("ROOT = Path({file}).resolve().parents[1]", 2),
        ("Path({file}).resolve().parents[2] / 'fixtures'", 3),
        ("Path({file}).resolve().parent.parent / 'examples'", 2),
        ("nested models shared across tools; ./shared_state; {work}space", 1),
    ],
)
def test_the_scan_allows_paths_inside_the_repository(template: str, depth: int) -> None:
    """Climbing up to the repository root, or words that merely look alike, are not reported."""
    assert problems(template.format(**PIECES), depth) == []


# --------------------------------------------------------------------------- the recorded data itself


def provenance() -> tuple[str, dict[str, str]]:
    """PROVENANCE.md's text, and its per-file ``sha256[:12]`` entries (path -> digest prefix)."""
    text = (FIXTURES / "PROVENANCE.md").read_text(encoding="utf-8")
    entry = re.compile(r"^(?:\| |\* )`(?P<path>[^`]+)`.*`(?P<sha>[0-9a-f]{12})`\)?(?: \|)?$")
    digests = {m["path"]: m["sha"] for m in map(entry.match, text.splitlines()) if m}
    return text, digests


def test_every_fixture_file_has_provenance_and_matches_it() -> None:
    """Each data file under tests/fixtures is named in PROVENANCE.md, and its recorded sha256 still matches."""
    text, digests = provenance()
    data = {
        p.relative_to(FIXTURES).as_posix()
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.parent != FIXTURES
    }
    assert {p.name for p in FIXTURES.iterdir() if p.is_file()} == {"PROVENANCE.md", "README.md"}
    assert len(data) == 132
    assert {name for name in data if f"`{name}`" not in text} == set()
    assert set(digests) <= data
    assert data - set(digests) == {
        "errors/transcribed-error-bodies.json"
    }  # transcribed, no upstream file
    changed = {
        name
        for name, sha in digests.items()
        if hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()[:12] != sha
    }
    assert changed == set()


def test_missing_fixtures_fail_loudly(tmp_path: Path) -> None:
    """A missing fixtures folder or file fails the test (never skips) and says where the data should be."""
    with pytest.raises(pytest.fail.Exception, match=r"not found at .*nowhere.*tests/fixtures"):
        _fixtures["fixtures_root"]("anthropic", root=tmp_path / "nowhere")
    (tmp_path / "anthropic").mkdir()
    with pytest.raises(pytest.fail.Exception, match=r"missing: gemini\)"):
        _fixtures["fixtures_root"]("anthropic", "gemini", root=tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"fixture anthropic/gone\.yaml is missing"):
        _fixtures["fixture"]("anthropic/gone.yaml", root=tmp_path)
    assert _fixtures["fixtures_root"]("anthropic", root=tmp_path) == tmp_path


def test_fixtures_live_inside_the_repository() -> None:
    """The helper every test uses points at tests/fixtures in this checkout."""
    assert FIXTURES == ROOT / "tests" / "fixtures"
    assert FIXTURES.is_dir()
