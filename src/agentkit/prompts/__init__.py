"""Prompts: versioned templates with typed variables, a content hash, a lifecycle, and a ``prompt.rendered`` event.

A `Prompt` is defined once with a variables type (a pydantic model or a TypedDict), semver version and templates.
Its templates are compiled on the spot, so a typo in a placeholder fails at import time with a "did you mean",
not in production. `Prompt.render` validates the variables before rendering and returns the messages together with
the prompt's name, version and `content_hash`, which a run records so every answer traces back to the exact prompt.

The template syntax is deliberately tiny and cannot run code or reach Python objects:

```text
{name}                              a declared variable
{{  }}                              literal braces
{#if name} ... {#else} ... {/if}    truthiness test ({#if not name} negates)
{#each items as item} ... {/each}   repeat per element; {item} and {item.field} inside
```

A `PromptRegistry` keeps several versions of each prompt and moves them through draft → active → deprecated →
retired.

Examples:
    >>> from pydantic import BaseModel
    >>> from agentkit.prompts import Prompt, PromptRegistry
    >>> class Vars(BaseModel):
    ...     customer_name: str
    ...     open_tickets: list[str] = []
    >>> support = Prompt(
    ...     "support",
    ...     vars=Vars,
    ...     version="1.0.0",
    ...     system="You are a support agent for {customer_name}.",
    ...     user="{#if open_tickets}Open tickets:{#each open_tickets as t} {t}{/each}{#else}No open tickets.{/if}",
    ... )
    >>> registry = PromptRegistry()
    >>> _ = registry.register(support, activate=True)
    >>> rendered = registry.render("support", Vars(customer_name="Ada", open_tickets=["T-1", "T-2"]))
    >>> [m.text for m in rendered.messages]
    ['You are a support agent for Ada.', 'Open tickets: T-1 T-2']
"""

from __future__ import annotations

from agentkit.prompts._errors import (
    PromptCollisionError,
    PromptDefinitionError,
    PromptDeprecationWarning,
    PromptError,
    PromptLifecycleError,
    PromptNotFoundError,
    PromptRenderError,
    PromptVariableIssue,
)
from agentkit.prompts._events import PromptRendered, emit_prompt_rendered
from agentkit.prompts._prompt import (
    HASH_FORMAT,
    MessageRole,
    MessageTemplate,
    NoVars,
    Prompt,
    RenderedPrompt,
    content_hash,
)
from agentkit.prompts._registry import (
    SNAPSHOT_FORMAT,
    PromptRecord,
    PromptRegistry,
    PromptSnapshot,
    PromptState,
)

__all__ = (
    "HASH_FORMAT",
    "SNAPSHOT_FORMAT",
    "MessageRole",
    "MessageTemplate",
    "NoVars",
    "Prompt",
    "PromptCollisionError",
    "PromptDefinitionError",
    "PromptDeprecationWarning",
    "PromptError",
    "PromptLifecycleError",
    "PromptNotFoundError",
    "PromptRecord",
    "PromptRegistry",
    "PromptRenderError",
    "PromptRendered",
    "PromptSnapshot",
    "PromptState",
    "PromptVariableIssue",
    "RenderedPrompt",
    "content_hash",
    "emit_prompt_rendered",
)
