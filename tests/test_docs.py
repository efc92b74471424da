"""The docs quote tested code: every snippet include points at an existing file and section."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INCLUDE = re.compile(r'^--8<-- "([^"]+)"\s*$', re.M)


def test_every_snippet_include_resolves() -> None:
    pages = sorted((ROOT / "docs").rglob("*.md"))
    assert pages
    seen = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "--8 <" not in text, f"{page}: a formatter broke a snippet marker"
        for target in INCLUDE.findall(text):
            path, _, section = target.partition(":")
            source = ROOT / path
            assert source.is_file(), f"{page.name}: {path} does not exist"
            if section:
                body = source.read_text(encoding="utf-8")
                assert f"--8<-- [start:{section}]" in body, (
                    f"{page.name}: no section {section!r} in {path}"
                )
                assert f"--8<-- [end:{section}]" in body, (
                    f"{page.name}: section {section!r} in {path} never ends"
                )
            seen += 1
    assert seen > 0
