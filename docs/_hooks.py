"""mkdocs hook: the site's changelog page shows the repository's ``CHANGELOG.md``.

``docs/changelog.md`` itself is a short page that links to the file, so it reads well on a code host too; a
snippet include would show there as a stray ``--8<--`` line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """Replace the changelog page's Markdown with the changelog itself; leave every other page alone."""
    if page.file.src_uri == "changelog.md":
        return CHANGELOG.read_text(encoding="utf-8")
    return markdown
