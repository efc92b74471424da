"""Anthropic Messages (``POST /v1/messages``) over plain httpx.

The adapter speaks the Messages wire format both ways:

* **Request.** System messages become the top-level ``system`` string (wherever they appear); consecutive
  messages of the same role are merged, because Anthropic requires user and assistant turns to alternate; tool
  results travel as ``tool_result`` blocks in a *user* message (before any text, as the API requires); tool calls
  become ``tool_use`` blocks whose ``input`` is an object; Anthropic's own thinking blocks are sent back verbatim,
  signature unchanged, in the place they came in (reasoning from other providers is dropped); tool-call ids from
  other providers are remapped to ids Anthropic accepts, identically for the call and its result.
* **Response.** ``text``, ``tool_use``, ``thinking`` (with its ``signature``) and ``redacted_thinking`` blocks map to
  neutral parts; other blocks (server tools such as ``server_tool_use`` and ``*_tool_result``) are kept as opaque
  state and sent back unchanged; usage is normalised (``input_tokens`` counts cached tokens too).
* **Stream.** ``content_block_*`` events are assembled per ``index``; ``message_delta`` usage is cumulative and
  replaces, never adds to, what came before. ``StreamDone`` holds exactly what `AnthropicProvider.complete` would
  have returned for the same message, because both go through the same parser.

Choices worth knowing:

* ``max_tokens`` is required by Anthropic: `DEFAULT_MAX_TOKENS` (4096) is sent when ``ModelSettings.max_tokens``
  is unset.
* ``seed`` is ignored: the Messages API has none.
* Extended thinking is switched on through ``ModelSettings.extra_body`` (``{"thinking": {"type": "enabled",
  "budget_tokens": 2048}}``); ``extra_body`` is merged into the body last, verbatim.
* ``OutputFormat`` is served by a forced *output tool*: a tool named after the format whose input schema is the
  requested schema, with ``tool_choice`` forcing it. Its call comes back as a text part holding the JSON answer
  (text the model wrote before it is dropped from the parts; ``raw`` keeps it). With thinking enabled Anthropic
  refuses forced tool choice, so the choice falls back to ``auto``.
* A recorded tool call whose arguments are not a JSON object (a model's broken JSON) is sent back as
  ``{"_raw_arguments": "<the text>"}``: ``input`` must be an object, and keeping the text lets the model see what
  it sent next to the repair hint in the tool result. Empty arguments are sent as ``{}``.

Examples:
    >>> import anyio, httpx
    >>> from agentkit.messages import Message
    >>> from agentkit.providers import ModelRequest
    >>> from agentkit.testing._replay import ReplayTransport
    >>> replay = ReplayTransport.from_bodies([(200, {"id": "msg_1", "type": "message", "role": "assistant",
    ...     "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Paris."}],
    ...     "stop_reason": "end_turn", "usage": {"input_tokens": 9, "cache_read_input_tokens": 3,
    ...     "output_tokens": 2}})])
    >>> provider = AnthropicProvider("claude-sonnet-4-5", api_key="sk-test",
    ...                              http_client=httpx.AsyncClient(transport=replay.mock()))
    >>> response = anyio.run(provider.complete, ModelRequest(messages=[
    ...     Message.system("Be brief."), Message.user("Capital of France?")]))
    >>> response.text, response.finish_reason, response.usage.input_tokens, response.usage.cache_read_tokens
    ('Paris.', 'stop', 12, 3)
    >>> body = replay.requests[0]["json"]
    >>> body["system"], body["max_tokens"], replay.requests[0]["headers"]["anthropic-version"]
    ('Be brief.', 4096, '2023-06-01')
"""

from __future__ import annotations

from agentkit.providers.anthropic._profiles import DEFAULT_MAX_TOKENS, anthropic_profile
from agentkit.providers.anthropic._provider import AnthropicProvider
from agentkit.providers.anthropic._wire import ANTHROPIC_VERSION

__all__ = (
    "ANTHROPIC_VERSION",
    "DEFAULT_MAX_TOKENS",
    "AnthropicProvider",
    "anthropic_profile",
)
