"""Docstring parsing for tools: Google, NumPy and Sphinx styles.

Parameter descriptions go into the input schema; everything else stays in the tool's description, so nothing the
author wrote is silently dropped. The parser is deliberately small and forgiving: a docstring it cannot split is
kept whole as the description.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ("ParsedDocstring", "parse_docstring")


@dataclass(frozen=True)
class ParsedDocstring:
    """A docstring split into the tool description and per-parameter descriptions."""

    description: str
    params: dict[str, str] = field(default_factory=dict)
    style: str = "plain"


_GOOGLE_PARAM_HEADERS = {
    "args",
    "arguments",
    "parameters",
    "params",
    "keyword args",
    "keyword arguments",
    "kwargs",
}
_GOOGLE_SECTION = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_NUMPY_ENTRY = re.compile(r"^\*{0,2}(\w+)(?:\s*,\s*\*{0,2}\w+)*\s*(?::.*)?$")
_SPHINX_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]+?))?\s*:\s*(.*)$")


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Split ``doc`` into a description and parameter descriptions, detecting the style.

    Examples:
        >>> parse_docstring('''Search flights.
        ...
        ... Args:
        ...     origin: IATA code of the departure airport.
        ...     when (date): Day of travel.
        ... ''').params
        {'origin': 'IATA code of the departure airport.', 'when': 'Day of travel.'}
    """
    if not doc:
        return ParsedDocstring(description="")
    text = inspect.cleandoc(doc)
    lines = text.splitlines()
    if any(
        _SPHINX_FIELD.match(line.strip()) for line in lines if line.strip().startswith(":param")
    ):
        return _parse_sphinx(lines)
    for i in range(len(lines) - 1):
        if lines[i].strip().lower() in (
            "parameters",
            "other parameters",
        ) and _NUMPY_UNDERLINE.match(lines[i + 1]):
            return _parse_numpy(lines)
    for line in lines:
        match = _GOOGLE_SECTION.match(line)
        if (
            match
            and match.group(1).strip().lower() in _GOOGLE_PARAM_HEADERS
            and not line.startswith(" ")
        ):
            return _parse_google(lines)
    return ParsedDocstring(description=text.strip())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p.strip())


def _tidy(lines: list[str]) -> str:
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _parse_google(lines: list[str]) -> ParsedDocstring:
    params: dict[str, str] = {}
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        header = _GOOGLE_SECTION.match(line)
        if (
            header
            and _indent(line) == 0
            and header.group(1).strip().lower() in _GOOGLE_PARAM_HEADERS
        ):
            # A docstring that starts with "Args:" on its first line: cleaning it measured the indentation on the
            # entries, so they now start at column 0. Read entries at column 0 until a blank line or a section.
            first_line = i == 0
            i += 1
            entry_indent: int | None = None
            current: str | None = None
            while i < len(lines):
                body = lines[i]
                if not body.strip():
                    if first_line and entry_indent == 0:
                        break
                    i += 1
                    continue
                if _indent(body) == 0 and not (
                    first_line
                    and entry_indent in (None, 0)
                    and not _GOOGLE_SECTION.match(body)
                    and _GOOGLE_ENTRY.match(body.strip())
                ):
                    break
                if entry_indent is None:
                    entry_indent = _indent(body)
                match = _GOOGLE_ENTRY.match(body.strip()) if _indent(body) == entry_indent else None
                if match:
                    current = match.group(1)
                    params[current] = match.group(3).strip()
                elif current is not None:
                    params[current] = _join([params[current], body])
                i += 1
            continue
        kept.append(line)
        i += 1
    return ParsedDocstring(description=_tidy(kept), params=params, style="google")


def _parse_numpy(lines: list[str]) -> ParsedDocstring:
    params: dict[str, str] = {}
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        is_params = (
            line.strip().lower() in ("parameters", "other parameters")
            and i + 1 < len(lines)
            and _NUMPY_UNDERLINE.match(lines[i + 1])
        )
        if not is_params:
            kept.append(line)
            i += 1
            continue
        base = _indent(line)
        i += 2
        names: list[str] = []
        while i < len(lines):
            body = lines[i]
            if body.strip() and _indent(body) <= base:
                # Next section header (followed by an underline) or a new parameter entry.
                if i + 1 < len(lines) and _NUMPY_UNDERLINE.match(lines[i + 1]):
                    break
                if _NUMPY_ENTRY.match(body.strip()):
                    head = body.strip().split(":", 1)[0]
                    names = [n.strip().lstrip("*") for n in head.split(",")]
                    for name in names:
                        params.setdefault(name, "")
                    i += 1
                    continue
                break
            if body.strip():
                for name in names:
                    params[name] = _join([params[name], body])
            i += 1
    return ParsedDocstring(description=_tidy(kept), params=params, style="numpy")


def _parse_sphinx(lines: list[str]) -> ParsedDocstring:
    params: dict[str, str] = {}
    kept: list[str] = []
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        match = _SPHINX_FIELD.match(stripped)
        if match:
            kind, arg, rest = match.groups()
            current = None
            if kind in ("param", "parameter", "arg", "argument", "key", "keyword") and arg:
                name = arg.split()[-1]
                params[name] = rest.strip()
                current = name
                continue
            if kind == "type":
                continue
            kept.append(line)
            continue
        if current is not None and stripped and _indent(line) > 0:
            params[current] = _join([params[current], stripped])
            continue
        current = None
        kept.append(line)
    return ParsedDocstring(description=_tidy(kept), params=params, style="sphinx")
