"""Errors and warnings of the prompt layer.

They are defined in `agentkit.exceptions` and re-exported here; every one is a `agentkit.exceptions.UsageError`, carries
typed fields and pickles with them, like the rest of the tree:

```text
UsageError
└── PromptError                  base class of every prompt error
    ├── PromptDefinitionError    a template, its variables, name or version is unusable (definition time)
    ├── PromptRenderError        the variables given to ``render`` do not validate (never echoes their values)
    ├── PromptNotFoundError      no registered prompt matches a name / version requirement
    ├── PromptLifecycleError     an illegal lifecycle transition (e.g. retiring the active version)
    └── PromptCollisionError     a name and version registered twice with different content
```
"""

from __future__ import annotations

from agentkit.exceptions import (
    PromptCollisionError,
    PromptDefinitionError,
    PromptError,
    PromptLifecycleError,
    PromptNotFoundError,
    PromptRenderError,
    PromptVariableIssue,
)

__all__ = (
    "PromptCollisionError",
    "PromptDefinitionError",
    "PromptDeprecationWarning",
    "PromptError",
    "PromptLifecycleError",
    "PromptNotFoundError",
    "PromptRenderError",
    "PromptVariableIssue",
)


class PromptDeprecationWarning(DeprecationWarning):
    """Warned when a deprecated prompt version is fetched from a `agentkit.prompts.PromptRegistry`.

    A subclass of ``DeprecationWarning``, so it can be filtered on its own
    (``warnings.filterwarnings("error", category=PromptDeprecationWarning)`` in CI).

    Examples:
        >>> from agentkit.prompts import PromptDeprecationWarning
        >>> issubclass(PromptDeprecationWarning, DeprecationWarning)
        True
    """
