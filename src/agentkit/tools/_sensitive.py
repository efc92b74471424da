"""Marking fields sensitive, and masking them wherever arguments are shown."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ("MASK", "Sensitive", "mask_arguments", "mask_unparsable", "pointer_matches")

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


_LITERAL_END = frozenset(",}] \t\r\n")


def mask_unparsable(raw: str, pointers: tuple[str, ...]) -> tuple[str, list[str]]:
    """Mask the sensitive values of arguments that are not valid JSON (a cut stream, a number too long to read).

    Each value following a key named by a pointer's last segment is masked, wherever it is (a string to its
    closing quote or the end of the text, an object or array to its end, a number or literal to the next
    delimiter). When the text could hide a key (a unicode escape) or a pointer names no key, the whole text is
    masked. Returns the masked text and the values found, so a caller can mask them elsewhere too.

    Examples:
        >>> mask_unparsable('{"user": "ann", "pin": "98765', ("/pin",))
        ('{"user": "ann", "pin": "***', ['98765'])
        >>> mask_unparsable('{"card": {"number": "4111", "cvc": 1', ("/card",))
        ('{"card": ***', [])
        >>> mask_unparsable('[1, 2', ("/*",))
        ('***', [])
    """
    keys: set[str] = set()
    for pointer in pointers:
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        names = [t for t in tokens if t != "*" and not t.isdigit()]
        if not names:
            return MASK, []
        keys.add(names[-1])
    if "\\u" in raw:
        return MASK, []
    key_pattern = re.compile(r'"(?:' + "|".join(re.escape(k) for k in sorted(keys)) + r')"\s*:\s*')
    out: list[str] = []
    values: list[str] = []
    position = 0
    while (match := key_pattern.search(raw, position)) is not None:
        start = match.end()
        out.append(raw[position:start])
        if start >= len(raw):
            position = start
            break
        first = raw[start]
        if first == '"':
            end, closed = _string_end(raw, start)
            body = raw[start + 1 : end - 1] if closed else raw[start + 1 : end]
            try:
                values.append(json.loads(f'"{body}"'))
            except ValueError:  # cut inside an escape
                values.append(body)
            out.append(f'"{MASK}"' if closed else f'"{MASK}')
            position = end
        elif first in "{[":
            end = _container_end(raw, start)
            out.append(MASK)
            position = end
        else:
            end = start
            while end < len(raw) and raw[end] not in _LITERAL_END:
                end += 1
            literal = raw[start:end]
            if literal not in ("null", "true", "false"):
                values.append(literal)
            out.append(MASK)
            position = end
    out.append(raw[position:])
    return "".join(out), [v for v in values if v]


def _string_end(raw: str, start: int) -> tuple[int, bool]:
    """The index just past the string opening at ``start``, and whether it is closed (else it runs to the end)."""
    index = start + 1
    while index < len(raw):
        char = raw[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            return index + 1, True
        index += 1
    return len(raw), False


def _container_end(raw: str, start: int) -> int:
    """The index just past the object or array opening at ``start`` (the text's length when it is cut)."""
    depth = 0
    index = start
    while index < len(raw):
        char = raw[index]
        if char == '"':
            index = _string_end(raw, index)[0]
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(raw)
