"""The ``prompt.rendered`` event: which prompt, version and content hash produced a run's messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentkit.events import PromptRendered

if TYPE_CHECKING:
    from agentkit.events import EventEmitter
    from agentkit.prompts._prompt import RenderedPrompt

__all__ = ("PromptRendered", "emit_prompt_rendered")


def emit_prompt_rendered(
    emitter: EventEmitter | None, rendered: RenderedPrompt
) -> PromptRendered | None:
    """Emit a `PromptRendered` event for ``rendered`` through ``emitter``; do nothing when it is ``None``.

    `agentkit.prompts.Prompt.render` calls this when given an ``emitter``; call it yourself when rendering and
    emitting happen in different places.

    Args:
        emitter: The run's event emitter, or ``None``.
        rendered: What `agentkit.prompts.Prompt.render` returned.

    Returns:
        The event, or ``None`` when there was no emitter.

    Examples:
        >>> from agentkit.events import EventEmitter
        >>> from agentkit.prompts import Prompt, emit_prompt_rendered
        >>> emitter = EventEmitter(run_id="r")
        >>> event = emit_prompt_rendered(emitter, Prompt("plain", system="Be brief.").render())
        >>> event.type, event.prompt_name, event.prompt_version, event.seq
        ('prompt.rendered', 'plain', '1.0.0', 0)
        >>> emit_prompt_rendered(None, Prompt("plain", system="Be brief.").render()) is None
        True
    """
    if emitter is None:
        return None
    return emitter.emit(
        PromptRendered,
        prompt_name=rendered.name,
        prompt_version=rendered.version,
        content_hash=rendered.content_hash,
        variables=list(rendered.variables),
        message_count=len(rendered.messages),
        values=rendered.values,
    )
