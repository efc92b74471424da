"""The registry: namespaced, versioned tools, toolsets, feature flags, and plugin discovery through entry points.

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

from agentkit.registry._flags import (
    EnvFlags,
    FlaggedPrompt,
    FlagResolution,
    FlagResolver,
    FlagValue,
    Rollout,
    current_subject,
    evaluate_flag,
    flag_subject,
    replaying_flags,
    rollout_bucket,
)
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
    "EnvFlags",
    "FlagProvider",
    "FlagResolution",
    "FlagResolver",
    "FlagValue",
    "FlaggedPrompt",
    "Registry",
    "Rollout",
    "StaticFlags",
    "Toolset",
    "current_subject",
    "diff",
    "evaluate_flag",
    "flag_subject",
    "replaying_flags",
    "rollout_bucket",
)
