"""The registry: namespaced, versioned tools, toolsets, and plugin discovery through entry points.

Examples:
    >>> from agentkit.registry import Registry
    >>> registry = Registry()
    >>> @registry.tool(namespace="ops")
    ... def ping() -> str:
    ...     '''Check the service is up.'''
    ...     return "pong"
    >>> [t.contract.qualified_name for t in registry]
    ['ops.ping']
"""

from __future__ import annotations

from agentkit.registry._registry import ENTRY_POINT_GROUP, CollisionPolicy, Registry
from agentkit.registry._snapshot import (
    SNAPSHOT_FORMAT,
    ChangeLevel,
    ContractChange,
    ContractDiff,
    ContractSnapshot,
    diff,
)
from agentkit.registry._toolset import FLAG_TAG_PREFIX, FlagProvider, StaticFlags, Toolset

__all__ = (
    "ENTRY_POINT_GROUP",
    "FLAG_TAG_PREFIX",
    "SNAPSHOT_FORMAT",
    "ChangeLevel",
    "CollisionPolicy",
    "ContractChange",
    "ContractDiff",
    "ContractSnapshot",
    "FlagProvider",
    "Registry",
    "StaticFlags",
    "Toolset",
    "diff",
)
