"""Bring stored events written by older releases up to the current event schema.

Each migration turns the raw dict of an event at one ``schema_version`` into the next version's dict. `migrate`
applies them in order, then validates the result as an `Event`. Version 0 is the pre-release format (``event``
instead of ``type``, ``timestamp`` instead of ``at``, ``tool`` instead of ``tool_name``, no ``schema_version``).
Version 2 added replay content (messages, tool results, tool fingerprints); version 1 events get them empty.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentkit.events import SCHEMA_VERSION, parse_event
from agentkit.storage._errors import MigrationError

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentkit.events import Event

__all__ = ("migrate", "register_migration")


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def register_migration(
    from_version: int,
) -> Callable[
    [Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]
]:
    """Register a function turning an event dict at ``from_version`` into one at ``from_version + 1``.

    The function receives a copy it may change and returns the new dict; it need not set ``schema_version``.

    Args:
        from_version: The schema version the function reads.

    Raises:
        ValueError: A migration from this version is already registered.

    Examples:
        >>> from agentkit.storage import register_migration
        >>> register_migration(0)(lambda raw: raw)
        Traceback (most recent call last):
        ...
        ValueError: a migration from schema_version 0 is already registered
    """

    def register(
        function: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        if from_version in _MIGRATIONS:
            raise ValueError(
                f"a migration from schema_version {from_version} is already registered"
            )
        _MIGRATIONS[from_version] = function
        return function

    return register


def migrate(raw: dict[str, Any] | str | bytes) -> Event:
    """Parse a stored event of any known schema version into a current `Event`.

    Args:
        raw: The event as a dict or JSON text; a missing ``schema_version`` means version 0.

    Raises:
        MigrationError: The event is newer than this release, or no migration path leads from its version.

    Examples:
        >>> from agentkit.storage import migrate
        >>> old = {"event": "tool.call.succeeded", "run_id": "r", "seq": 0, "timestamp": "2025-01-01T00:00:00Z",
        ...        "tool": "search", "duration_s": 0.1, "output_chars": 12}
        >>> event = migrate(old)
        >>> event.type, event.tool_name, event.schema_version
        ('tool.call.succeeded', 'search', 2)
    """
    data: dict[str, Any] = dict(raw) if isinstance(raw, dict) else json.loads(raw)
    version = data.get("schema_version", 0)
    if not isinstance(version, int):
        raise MigrationError(f"event schema_version must be an integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise MigrationError(
            f"event schema_version {version} is newer than this agentkit ({SCHEMA_VERSION}); upgrade agentkit"
        )
    while version < SCHEMA_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise MigrationError(
                f"no migration registered from event schema_version {version} to {version + 1}"
            )
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return parse_event(data)


@register_migration(0)
def _v0_to_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Pre-release logs: ``event`` → ``type``, ``timestamp`` → ``at``, ``tool`` → ``tool_name``."""
    for old, new in (("event", "type"), ("timestamp", "at"), ("tool", "tool_name")):
        if old in raw and new not in raw:
            raw[new] = raw.pop(old)
    return raw


@register_migration(1)
def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 1 logs lack the replay content of version 2; its fields default to empty (``None``, ``{}``)."""
    return raw
