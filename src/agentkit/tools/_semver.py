"""Semantic versions (semver.org 2.0.0): parsing, ordering and range matching for the registry."""

from __future__ import annotations

import re
from functools import total_ordering
from typing import NamedTuple

from agentkit.exceptions import ToolDefinitionError

__all__ = ("Version", "VersionRange", "parse_version")

# The official semver.org regular expression.
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@total_ordering
class Version(NamedTuple):
    """A parsed semantic version; ordering follows semver precedence (build metadata ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()
    build: str = ""

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric ones.
        pre = tuple((0, p) if isinstance(p, int) else (1, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() >= other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        # Needed explicitly: tuple.__ne__ would otherwise compare build metadata too.
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() != other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        if self.build:
            text += "+" + self.build
        return text


def parse_version(text: str, *, tool_name: str | None = None) -> Version:
    """Parse a semver string, raising ``ToolDefinitionError`` with the expected form when it is not one."""
    match = _SEMVER.match(text) if isinstance(text, str) else None  # type: ignore[redundant-expr]  # callers may pass anything at runtime
    if match is None:
        raise ToolDefinitionError(
            f"version {text!r} is not a semantic version; expected MAJOR.MINOR.PATCH such as '1.2.0'",
            tool_name=tool_name,
        )
    pre = match["pre"]
    return Version(
        int(match["major"]),
        int(match["minor"]),
        int(match["patch"]),
        tuple(int(p) if p.isdigit() else p for p in pre.split(".")) if pre else (),
        match["build"] or "",
    )


_COMPARATOR = re.compile(
    r"^(\^|~|>=|<=|>|<|==|=)?\s*v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(-[0-9A-Za-z.-]+)?$"
)


class VersionRange:
    """A version requirement, as used by ``Registry.get``.

    Forms: ``"1.2.3"`` (exact), ``"^1"`` / ``"^1.2"`` (same major), ``"~1.2"`` (same minor), ``"1"`` / ``"1.x"``
    (any 1.*), comparators (``">=1.2,<2"``) joined by commas, or ``"*"`` (anything).

    Examples:
        >>> from agentkit.tools import VersionRange, parse_version
        >>> parse_version("1.4.0") in VersionRange("^1"), parse_version("2.0.0-rc.1") in VersionRange("^1")
        (True, False)
    """

    __slots__ = ("_checks", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._checks: list[tuple[str, Version]] = []
        stripped = text.strip()
        if stripped in ("", "*", "x", "X"):
            return
        for raw in stripped.split(","):
            part = raw.strip()
            match = _COMPARATOR.match(part)
            if match is None:
                raise ToolDefinitionError(
                    f"version requirement {text!r} is not understood; use '1.2.0', '^1', '~1.2', '1.x' "
                    "or comparators like '>=1.2,<2'"
                )
            op, major_s, minor_s, patch_s, pre = match.groups()
            major = int(major_s)
            minor = None if minor_s is None or not minor_s.isdigit() else int(minor_s)
            patch = None if patch_s is None or not patch_s.isdigit() else int(patch_s)
            prerelease = parse_version(f"0.0.0{pre}").prerelease if pre else ()
            low = Version(major, minor or 0, patch or 0, prerelease)
            if op in (None, "=", "==") and minor is not None and patch is not None:
                self._checks.append(("==", low))
                continue
            if op in (None, "=", "=="):
                high = (major, minor + 1, 0) if minor is not None else (major + 1, 0, 0)
            elif op == "^":
                if major > 0 or minor is None:
                    high = (major + 1, 0, 0)
                elif minor > 0 or patch is None:
                    high = (0, minor + 1, 0)
                else:
                    high = (0, 0, (patch or 0) + 1)
            elif op == "~":
                high = (major, minor + 1, 0) if minor is not None else (major + 1, 0, 0)
            elif op == "<" and not prerelease:
                # "<3" means "below the 3 line": 3.0.0-rc.1 is excluded too, as in npm and cargo.
                self._checks.append(("<release", low))
                continue
            else:
                self._checks.append((op, low))
                continue
            self._checks.append((">=", low))
            self._checks.append(("<release", Version(*high)))

    def __contains__(self, version: Version | str) -> bool:
        if isinstance(version, str):
            version = parse_version(version)
        for op, bound in self._checks:
            if op == "==" and version != bound:
                return False
            if op == ">=" and not version >= bound:
                return False
            if op == ">" and not version > bound:
                return False
            if op == "<=" and not version <= bound:
                return False
            if op == "<" and not version < bound:
                return False
            if op == "<release" and not version[:3] < bound[:3]:
                # Upper bounds of ranges exclude the bound's pre-releases too (^1 never matches 2.0.0-rc.1).
                return False
        return True

    def __repr__(self) -> str:
        return f"VersionRange({self.text!r})"
