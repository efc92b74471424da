"""Media parts on the wire: the capability check every adapter runs before sending, and shared helpers.

A part a provider or model cannot take is an `UnsupportedContent` error before anything is sent, never a silent
drop: the model would answer about a picture it never saw.
"""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Literal

from agentkit.exceptions import UnsupportedContent
from agentkit.messages import MediaPart, ToolResultPart

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit.messages import Message
    from agentkit.providers._base import Provider

__all__ = ("check_media", "media_type_of", "unsupported")

Where = Literal["user", "tool-result"]


def unsupported(provider: Provider, part: MediaPart, where: Where, why: str) -> UnsupportedContent:
    """The error for ``part``, which ``provider`` cannot send ``where``, saying ``why``."""
    place = "a user message" if where == "user" else "a tool result"
    return UnsupportedContent(
        f"{part.kind} in {place} cannot be sent: {why}",
        provider=provider.system,
        model=provider.model,
        kind=part.kind,
        where=where,
    )


def check_media(provider: Provider, messages: Sequence[Message]) -> None:
    """Raise `UnsupportedContent` for the first media part ``provider``'s profile does not take.

    Media go in user messages and tool results; a reference part (bytes left out of a stored event and never
    restored) cannot be sent either.
    """
    profile = provider.profile
    for message in messages:
        for part in message.parts:
            if isinstance(part, MediaPart):
                if message.role != "user":
                    raise unsupported(
                        provider,
                        part,
                        "user",
                        f"media go in user messages, not {message.role} messages",
                    )
                _check(provider, part, "user", profile.media_input)
            elif isinstance(part, ToolResultPart):
                for media in part.media:
                    _check(provider, media, "tool-result", profile.media_in_tool_results)


def _check(provider: Provider, part: MediaPart, where: Where, allowed: frozenset[str]) -> None:
    if part.kind not in allowed:
        takes = ", ".join(sorted(allowed)) or "no media"
        raise unsupported(
            provider, part, where, f"the model's profile takes {takes} there (ModelProfile.media_*)"
        )
    if part.is_reference:
        raise unsupported(
            provider,
            part,
            where,
            f"it holds no bytes, only sha256={part.sha256} (restore it from the run's store)",
        )


def media_type_of(part: MediaPart) -> str | None:
    """The part's media type, or one guessed from its URL's file extension."""
    if part.media_type:
        return part.media_type
    if part.url:
        guessed, _ = mimetypes.guess_type(part.url.split("?", 1)[0])
        return guessed
    return None
