"""OpenAI Responses API (``POST /responses``) over plain httpx.

`OpenAIResponsesProvider` builds the request body from a neutral `ModelRequest`, parses the ``response`` object
(and its SSE event stream) into a neutral `ModelResponse`, and translates every error once, here, into the
``ProviderError`` tree. Nothing here retries.

Decisions, each checked against the recordings in ``shared/fixtures/openai-responses``:

* **System prompts.** Leading system messages become ``instructions`` (the profile's ``system_role`` is
  ``"top-level"``); a system message later in the conversation becomes a ``developer`` input item in place. A
  profile with ``system_role="system"`` or ``"developer"`` sends every system message as an input item of that
  role instead.
* **Stateless reasoning.** Reasoning models (``o1``/``o3``/``o4``/``gpt-5``, not ``gpt-5-chat``) get
  ``store: false`` and ``include: ["reasoning.encrypted_content"]``: the provider keeps nothing, and the
  encrypted reasoning travels in the conversation (`ReasoningPart.encrypted`, with the ``rs_`` id in
  `ReasoningPart.id`). Other models leave both out (the server default).
* **Reasoning replay.** A reasoning item is sent back only when it came from this provider (``provider`` is
  ``"openai"`` and the id starts with ``rs_``; under ``store: false`` it also needs its encrypted content) and
  the part right after it in the same message is a tool call that carries its ``fc_`` item id: that is the item
  it preceded, sent back with the same id. Anything else (a reasoning item before a text answer, or before a
  tool call from elsewhere) is dropped, because the API rejects a reasoning item without its follower (fixture
  ``error-400-reasoning-item-without-follower``) and discards reasoning from earlier turns anyway.
* **Tools** use the Responses API's flat shape ``{"type": "function", "name", "description", "parameters",
  "strict"}``. ``strict`` is always sent: the API defaults it to ``true`` (the llm recordings send none and get
  back ``strict: true``), so a schema the dialect could not make strict must say ``false``.
* **Ids.** A call's ``call_id`` is the `ToolCallPart.id`; the ``fc_`` item id is kept in
  ``ToolCallPart.provider_details["item_id"]`` and sent back as the item's ``id``.
* ``ModelSettings.stop`` has no Responses equivalent and raises `UsageError`; ``seed`` is not sent.

Examples:
    >>> from agentkit.providers.openai_responses import OpenAIResponsesProvider
    >>> p = OpenAIResponsesProvider("gpt-5-mini", api_key="sk-test")
    >>> p.profile.reasoning, p.profile.reasoning_in_history, p.profile.dialect
    (True, True, 'openai-auto')
    >>> OpenAIResponsesProvider("gpt-4.1", api_key="sk-test").profile.reasoning_in_history
    False
"""

from __future__ import annotations

from typing import Any

from agentkit.providers.openai_responses._profiles import _responses_profile_compat
from agentkit.providers.openai_responses._provider import OpenAIResponsesProvider

__all__ = ("OpenAIResponsesProvider",)


def __getattr__(name: str) -> Any:
    """``OpenAIResponsesProfile``: deprecated, `ModelProfile` has every field it added.

    ``stateless`` is now ``reasoning_in_history``.
    """
    if name == "OpenAIResponsesProfile":
        import warnings

        warnings.warn(
            "agentkit.providers.openai_responses.OpenAIResponsesProfile is deprecated: use "
            "agentkit.providers.ModelProfile (stateless=True is reasoning_in_history=True)",
            DeprecationWarning,
            stacklevel=2,
        )
        return _responses_profile_compat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
