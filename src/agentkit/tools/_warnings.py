"""Warnings about tool definitions that are accepted, but where something the author wrote is not used."""

from __future__ import annotations

__all__ = ("ToolDefinitionWarning",)


class ToolDefinitionWarning(UserWarning):
    """Part of a tool definition is not used: a docstring entry names a parameter the function does not have.

    A renamed parameter whose docstring entry was not renamed with it would otherwise lose its description
    without a word. Turn it into an error with ``warnings.simplefilter("error", ToolDefinitionWarning)``.

    Examples:
        >>> import warnings
        >>> from agentkit.tools import ToolDefinitionWarning, tool
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     @tool
        ...     def search(query: str) -> str:
        ...         '''Search.
        ...
        ...         Args:
        ...             q: What to look for.
        ...         '''
        ...         return query
        >>> caught[0].category is ToolDefinitionWarning
        True
        >>> print(caught[0].message)
        tool 'search': the docstring of search describes 'q', which is not a parameter; the description is not used
    """
