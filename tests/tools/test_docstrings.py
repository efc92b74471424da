"""Docstring parsing: Google, NumPy and Sphinx styles; nothing the author wrote is dropped."""

from __future__ import annotations

from agentkit.tools import ParsedDocstring, parse_docstring

GOOGLE = """Search flights between two airports.

    Uses the cached fare index.

    Args:
        origin: IATA code of the departure
            airport.
        limit (int): How many results.
        *extra: Ignored.

    Returns:
        Matching flights.

    Raises:
        ToolFailed: When the index is down.
    """

NUMPY = """Search flights.

    Parameters
    ----------
    origin : str
        IATA code of the departure
        airport.
    limit, offset : int
        Paging.
    verbose
        Talk more.

    Returns
    -------
    list of str
        Flight numbers.
    """

SPHINX = """Search flights.

    :param origin: IATA code of the departure
        airport.
    :param int limit: How many.
    :type origin: str
    :returns: Flight numbers.
    :raises ValueError: Never.
    """


def test_google_style() -> None:
    parsed = parse_docstring(GOOGLE)
    assert parsed.style == "google"
    assert parsed.params == {
        "origin": "IATA code of the departure airport.",
        "limit": "How many results.",
        "extra": "Ignored.",
    }
    assert parsed.description == (
        "Search flights between two airports.\n\n"
        "Uses the cached fare index.\n\n"
        "Returns:\n    Matching flights.\n\n"
        "Raises:\n    ToolFailed: When the index is down."
    )


def test_google_section_aliases() -> None:
    for header in ("Arguments", "Parameters", "Params", "Keyword Args"):
        parsed = parse_docstring(f"Do it.\n\n{header}:\n    x: The x.\n")
        assert parsed.params == {"x": "The x."}, header
        assert parsed.description == "Do it."


def test_numpy_style() -> None:
    parsed = parse_docstring(NUMPY)
    assert parsed.style == "numpy"
    assert parsed.params == {
        "origin": "IATA code of the departure airport.",
        "limit": "Paging.",
        "offset": "Paging.",
        "verbose": "Talk more.",
    }
    assert (
        parsed.description
        == "Search flights.\n\nReturns\n-------\nlist of str\n    Flight numbers."
    )


def test_sphinx_style() -> None:
    parsed = parse_docstring(SPHINX)
    assert parsed.style == "sphinx"
    assert parsed.params == {"origin": "IATA code of the departure airport.", "limit": "How many."}
    assert (
        parsed.description
        == "Search flights.\n\n:returns: Flight numbers.\n:raises ValueError: Never."
    )


def test_plain_docstring_is_kept_whole() -> None:
    parsed = parse_docstring("  Just text.\n\n  More text.  ")
    assert parsed == ParsedDocstring(
        description="Just text.\n\nMore text.", params={}, style="plain"
    )


def test_empty_docstrings() -> None:
    assert parse_docstring(None) == ParsedDocstring(description="")
    assert parse_docstring("") == ParsedDocstring(description="")


def test_a_colon_line_that_is_not_a_param_section_stays_in_the_description() -> None:
    doc = "Summary.\n\nExample:\n    call it like this: x\n"
    parsed = parse_docstring(doc)
    assert parsed.params == {}
    assert "call it like this: x" in parsed.description


def test_blank_lines_inside_a_param_section_do_not_end_it() -> None:
    parsed = parse_docstring("Summary.\n\nArgs:\n    a: First.\n\n    b: Second.\n\nTail.")
    assert parsed.params == {"a": "First.", "b": "Second."}
    assert parsed.description == "Summary.\n\nTail."
