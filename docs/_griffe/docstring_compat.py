"""Griffe extension for the docs build: read two docstring habits of ``src/`` the way their authors meant.

Temporary, docs-only, and a no-op once ``src/`` uses the forms griffe's Google parser knows:

- ``Example:`` (singular) is not a Google *section* for griffe but an admonition, so its ``>>>`` lines would render
  as Markdown block quotes (and ``[0, 1]`` as a broken cross-reference). It is read as ``Examples:``.
- An ``Args:`` entry naming several parameters at once (``namespace, annotations, tags: as on ToolContract.``) is
  split into one entry per parameter, so griffe matches each name against the signature.
- Sphinx roles (``:class:`ToolContract` ``, ``:meth:`invoke_json` ``, ``:func:`~agentkit.tool` ``) mean nothing
  to Markdown and would show verbatim; they become inline code.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_SPHINX_ROLE = re.compile(r":(?:class|func|meth|attr|exc|mod|data|obj|const):`~?([^`]+)`")
_GROUPED_PARAM = re.compile(
    r"^(?P<indent>\s+)(?P<names>\w+(?:,\s*\w+)+):\s*(?P<text>.*)$", re.MULTILINE
)


def _split(match: re.Match[str]) -> str:
    indent, text = match["indent"], match["text"]
    return "\n".join(f"{indent}{name.strip()}: {text}" for name in match["names"].split(","))


class DocstringCompat(Extension):
    """Normalise the three habits above in every docstring, before griffe parses it."""

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        """Normalise one object's docstring (parsing is lazy, so this runs before it)."""
        docstring = obj.docstring
        if docstring is None:
            return
        value = _EXAMPLE.sub(r"\1Examples:", docstring.value)
        value = _GROUPED_PARAM.sub(_split, value)
        value = _SPHINX_ROLE.sub(r"`\1`", value)
        if value != docstring.value:
            docstring.value = value
