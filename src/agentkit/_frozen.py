"""Read-only JSON values (`FrozenDict`, `FrozenList`), `freeze` and a fast `json_copy`.

Shared by what is cached and handed to several owners: compiled tools (the dialects' compile cache) and the
``$defs`` entries that tools defined from the same nested models share. Kept apart from the dialects so that
defining a tool does not load them.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ("FrozenDict", "FrozenList", "freeze", "json_copy")


_READ_ONLY = (
    "this schema is shared (by the compile cache, or by every tool built from the same nested model), so it is "
    "read-only; edit a copy (copy.deepcopy(...) returns plain dicts and lists)"
)


def _refuse(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(_READ_ONLY)


class FrozenDict(dict[str, Any]):
    """A ``dict`` that refuses every change: what a compiled (and cached, shared) tool holds.

    It is still a ``dict`` (``isinstance``, ``==``, ``json.dumps`` and ``repr`` behave as for one); ``copy.copy``,
    ``copy.deepcopy`` and pickling give plain, editable dicts and lists.

    Examples:
        >>> import copy
        >>> frozen = freeze({"type": "object", "required": ["a"]})
        >>> frozen == {"type": "object", "required": ["a"]}
        True
        >>> frozen["type"] = "array"
        Traceback (most recent call last):
        ...
        TypeError: this schema is shared (by the compile cache, or by every tool built from the same nested model), so it is read-only; edit a copy (copy.deepcopy(...) returns plain dicts and lists)
        >>> editable = copy.deepcopy(frozen)
        >>> editable["required"].append("b")
        >>> type(editable).__name__, frozen["required"]
        ('dict', ['a'])
    """

    __slots__ = ("__weakref__",)  # shared parts are interned in weak tables
    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        copied: dict[str, Any] = json_copy(self)
        return copied

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (json_copy(self),))


class FrozenList(list[Any]):
    """A ``list`` that refuses every change (see `FrozenDict`)."""

    __slots__ = ()
    __setitem__ = __delitem__ = append = extend = insert = pop = remove = clear = _refuse
    sort = reverse = __iadd__ = __imul__ = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        copied: list[Any] = json_copy(self)
        return copied

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (json_copy(self),))


_ATOMS = frozenset({str, int, float, bool, type(None), FrozenDict, FrozenList})


def freeze(value: Any) -> Any:
    """A read-only deep copy of a JSON value: dicts become `FrozenDict`, lists `FrozenList` (tuples stay tuples).

    Already frozen values are returned as they are.

    Examples:
        >>> type(freeze({"a": [1]})["a"]).__name__
        'FrozenList'
    """
    kind = type(value)
    if kind is dict:
        return FrozenDict({k: v if type(v) in _ATOMS else freeze(v) for k, v in value.items()})
    if kind is list:
        return FrozenList([v if type(v) in _ATOMS else freeze(v) for v in value])
    if kind in _ATOMS:
        return value
    if kind is tuple:
        return tuple(v if type(v) in _ATOMS else freeze(v) for v in value)
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return FrozenList([freeze(v) for v in value])
    return value


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists and scalars), several times faster than ``copy.deepcopy``.

    The copy is plain and editable: read-only `FrozenDict` / `FrozenList` values become ``dict`` / ``list``.

    Examples:
        >>> original = {"a": [1, {"b": 2}]}
        >>> copied = json_copy(original)
        >>> copied == original, copied["a"] is original["a"]
        (True, False)
    """
    kind = type(value)
    if kind is dict or kind is FrozenDict:
        return {k: v if type(v) in _SCALARS else json_copy(v) for k, v in value.items()}
    if kind is list or kind is tuple or kind is FrozenList:
        return [v if type(v) in _SCALARS else json_copy(v) for v in value]
    if kind in _SCALARS:
        return value
    import copy

    return copy.deepcopy(value)


_SCALARS = frozenset({str, int, float, bool, type(None)})
