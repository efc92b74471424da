"""Semantic versions: parsing, precedence, and the version ranges the registry accepts."""

from __future__ import annotations

import itertools

import pytest

from agentkit.exceptions import ToolDefinitionError
from agentkit.tools import Version, VersionRange, parse_version


def test_parse_full_version() -> None:
    v = parse_version("1.2.3-rc.1+build.5")
    assert v == Version(1, 2, 3, ("rc", 1), "build.5")
    assert (v.major, v.minor, v.patch, v.prerelease, v.build) == (1, 2, 3, ("rc", 1), "build.5")
    assert str(v) == "1.2.3-rc.1+build.5"
    assert str(parse_version("0.0.0")) == "0.0.0"


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "1.2",
        "1.x",
        "1.2.3.4",
        "01.2.3",
        "1.02.3",
        "v1.2.3",
        "1.2.3-",
        "1.2.3-01",
        "",
        " 1.2.3",
    ],
)
def test_parse_version_rejects_non_semver(text: str) -> None:
    with pytest.raises(
        ToolDefinitionError, match=r"is not a semantic version; expected MAJOR\.MINOR\.PATCH"
    ):
        parse_version(text)


def test_parse_version_error_names_the_tool() -> None:
    with pytest.raises(ToolDefinitionError) as info:
        parse_version("1.x", tool_name="search")
    assert info.value.tool_name == "search"
    assert str(info.value).startswith("tool 'search': version '1.x'")


def test_parse_version_rejects_non_strings() -> None:
    with pytest.raises(ToolDefinitionError):
        parse_version(1.2)  # type: ignore[arg-type]


def test_precedence_follows_semver_spec() -> None:
    # The example list from semver.org, section 11.
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "1.10.0",
        "2.0.0",
    ]
    versions = [parse_version(t) for t in ordered]
    shuffled = versions[1::2] + versions[::2]
    assert sorted(shuffled) == versions
    assert all(a < b and b > a and a <= b and b >= a for a, b in itertools.pairwise(versions))


def test_build_metadata_does_not_affect_precedence() -> None:
    a, b = parse_version("1.0.0+a"), parse_version("1.0.0+b")
    assert a == b
    assert (a != b) is False  # tuple.__ne__ must not leak through and compare the build
    assert hash(a) == hash(b)
    assert not a < b


def test_versions_do_not_compare_with_other_types() -> None:
    assert parse_version("1.0.0") != (1, 0, 0)
    with pytest.raises(TypeError):
        _ = parse_version("1.0.0") < "2.0.0"  # type: ignore[operator]


CASES = [
    ("1.2.3", ["1.2.3", "1.2.3+b"], ["1.2.4", "1.2.3-rc.1", "1.2.2"]),
    ("=1.2.3", ["1.2.3"], ["1.2.4"]),
    ("1.2.3-rc.1", ["1.2.3-rc.1"], ["1.2.3"]),
    ("^1", ["1.0.0", "1.9.9", "1.2.0-beta"], ["2.0.0", "2.0.0-rc.1", "0.9.0", "1.0.0-rc.1"]),
    ("^1.2", ["1.2.0", "1.99.0"], ["1.1.9", "2.0.0", "2.0.0-rc.1"]),
    ("^0.2", ["0.2.0", "0.2.9"], ["0.3.0", "0.1.9", "1.0.0", "0.3.0-rc.1"]),
    ("^0.0.3", ["0.0.3"], ["0.0.4", "0.1.0"]),
    ("^0", ["0.0.1", "0.9.0"], ["1.0.0"]),
    ("~1.2", ["1.2.0", "1.2.9"], ["1.3.0", "1.1.9", "1.3.0-rc.1"]),
    ("~1.2.3", ["1.2.3", "1.2.8"], ["1.2.2", "1.3.0"]),
    ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
    ("1.x", ["1.0.0", "1.5.2"], ["2.0.0", "0.9.9", "2.0.0-rc.1"]),
    ("1", ["1.0.0", "1.5.2"], ["2.0.0"]),
    ("1.2.x", ["1.2.0", "1.2.7"], ["1.3.0"]),
    (">=1.2,<2", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0", "2.0.0-rc.1"]),
    (">1.2.0, <=1.4.0", ["1.2.1", "1.4.0"], ["1.2.0", "1.4.1"]),
    ("*", ["0.0.1", "1.0.0", "99.0.0-rc.1"], []),
    ("", ["1.0.0"], []),
]


@pytest.mark.parametrize(
    ("requirement", "inside", "outside"), CASES, ids=[c[0] or "empty" for c in CASES]
)
def test_version_ranges(requirement: str, inside: list[str], outside: list[str]) -> None:
    requirement_range = VersionRange(requirement)
    for text in inside:
        assert parse_version(text) in requirement_range, f"{text} should match {requirement!r}"
    for text in outside:
        assert parse_version(text) not in requirement_range, (
            f"{text} should not match {requirement!r}"
        )


def test_caret_one_excludes_the_next_major_prerelease() -> None:
    assert parse_version("2.0.0-rc.1") not in VersionRange("^1")


@pytest.mark.parametrize("text", ["latest", "^", "1.2.3.4", ">>1", "^1 || ^2", "1,,2"])
def test_invalid_ranges_say_what_is_understood(text: str) -> None:
    with pytest.raises(ToolDefinitionError, match=r"is not understood; use '1.2.0', '\^1'"):
        VersionRange(text)


def test_range_repr() -> None:
    assert repr(VersionRange("^1.2")) == "VersionRange('^1.2')"
