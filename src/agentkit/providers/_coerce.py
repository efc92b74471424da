"""Lenient readers for fields of provider JSON, shared by every adapter: a wrong type reads as "nothing"."""

from __future__ import annotations

from typing import Any

__all__ = ("as_count", "as_dict", "as_list", "as_str")


def as_count(value: Any) -> int:
    """A token count: a positive ``int`` as is, anything else (``None``, ``True``, ``-1``, ``"3"``) as 0.

    Examples:
        >>> as_count(7), as_count(None), as_count(True), as_count(-2)
        (7, 0, 0, 0)
    """
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None
