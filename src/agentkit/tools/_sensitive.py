"""Marking fields sensitive, and masking them wherever arguments are shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ("MASK", "Sensitive", "mask_arguments", "pointer_matches")

MASK = "***"
"""What a sensitive value is replaced with."""


@dataclass(frozen=True)
class Sensitive:
    """Marks a tool argument as sensitive: ``Annotated[str, Sensitive()]``.

    Sensitive values are never written to events or logs and never echoed back to the model in repair hints.
    ``pydantic.SecretStr`` / ``SecretBytes`` fields are sensitive too.

    Examples:
        >>> from typing import Annotated
        >>> from agentkit import Sensitive, tool
        >>> @tool
        ... def charge(card_number: Annotated[str, Sensitive()], amount: float) -> str:
        ...     '''Charge a card.'''
        ...     return "ok"
        >>> charge.contract.sensitive
        ('/card_number',)
    """


def pointer_matches(pointer: str, path: Iterable[str | int]) -> bool:
    """Whether the argument at ``path`` lies at or under the JSON ``pointer`` (``*`` matches any segment).

    Examples:
        >>> pointer_matches("/cards/*/number", ["cards", 0, "number"])
        True
        >>> pointer_matches("/token", ["query"])
        False
    """
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    segments = [str(p) for p in path]
    if len(segments) < len(tokens):
        return False
    return all(tok in ("*", seg) for tok, seg in zip(tokens, segments, strict=False))


def mask_arguments(
    arguments: Any, pointers: tuple[str, ...], _path: tuple[str | int, ...] = ()
) -> Any:
    """Return a copy of ``arguments`` with every value under a sensitive pointer replaced by ``***``.

    Examples:
        >>> mask_arguments({"user": "ann", "card": {"number": "4111", "cvc": "1"}}, ("/card/number",))
        {'user': 'ann', 'card': {'number': '***', 'cvc': '1'}}
    """
    if not pointers:
        return arguments
    if _path and any(pointer_matches(p, _path) for p in pointers):
        return MASK
    if isinstance(arguments, Mapping):
        return {k: mask_arguments(v, pointers, (*_path, k)) for k, v in arguments.items()}
    if isinstance(arguments, list | tuple):
        return [mask_arguments(v, pointers, (*_path, i)) for i, v in enumerate(arguments)]
    return arguments
