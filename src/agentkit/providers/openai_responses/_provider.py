"""`OpenAIResponsesProvider`: the ``POST /responses`` hooks over the HTTP driver.

The body is built in ``_request``, answers are parsed in ``_response``, streams followed in ``_stream``, errors
mapped in ``_errors``; this class only composes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from agentkit.providers._http import ToolMapProvider
from agentkit.providers.openai_responses._errors import promoted
from agentkit.providers.openai_responses._profiles import _responses_profile
from agentkit.providers.openai_responses._request import build_body
from agentkit.providers.openai_responses._response import parse_response
from agentkit.providers.openai_responses._stream import _StreamState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentkit.exceptions import ProviderError
    from agentkit.providers._base import ModelProfile, ModelRequest, ModelResponse
    from agentkit.tools.dialects import CompiledTool


class OpenAIResponsesProvider(ToolMapProvider):
    """The OpenAI Responses API over plain httpx.

    Tools are compiled with the profile's dialect (``openai-auto``: strict where the schema allows) into the flat
    Responses tool shape; calls come back under their canonical names with canonical arguments. Reasoning models
    run statelessly (``store: false``) and carry their encrypted reasoning in the conversation. See the module
    docstring for every request-shaping decision.

    Args:
        model: The model name (``"gpt-5-mini"``).
        api_key: The key; ``OPENAI_API_KEY`` when omitted. Held as a secret, never shown.
        base_url: API root (default ``https://api.openai.com/v1``).
        http_client: An ``httpx.AsyncClient`` to use (the caller keeps owning it).
        profile: Overrides the capability profile.
        timeout: Default timeout for every call.
        clock: Where ``Retry-After`` dates are compared to.

    Examples:
        >>> import anyio, httpx
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.testing._replay import ReplayTransport
        >>> replay = ReplayTransport.from_bodies([(200, {"id": "resp_1", "model": "gpt-4.1", "status": "completed",
        ...     "output": [{"type": "message", "role": "assistant",
        ...                 "content": [{"type": "output_text", "text": "Paris."}]}],
        ...     "usage": {"input_tokens": 9, "output_tokens": 2}})])
        >>> provider = OpenAIResponsesProvider("gpt-4.1", api_key="sk-test",
        ...                                    http_client=httpx.AsyncClient(transport=replay.mock()))
        >>> response = anyio.run(provider.complete, ModelRequest(messages=[Message.user("Capital of France?")]))
        >>> response.text, response.finish_reason, response.usage.total_tokens
        ('Paris.', 'stop', 11)
        >>> provider
        OpenAIResponsesProvider(model='gpt-4.1', base_url='https://api.openai.com/v1', api_key='***')
    """

    system: str = "openai"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    path: ClassVar[str] = "/responses"

    def default_profile(self, model: str) -> ModelProfile:
        """The profile of an OpenAI model: reasoning models run statelessly and without sampling knobs.

        Examples:
            >>> p = OpenAIResponsesProvider("o3", api_key="sk-test").profile
            >>> p.reasoning, p.reasoning_in_history, p.sampling, p.system_role
            (True, True, False, 'top-level')
        """
        return _responses_profile(model)

    # ---------------------------------------------------------------------------------- hooks

    def build_body(
        self, request: ModelRequest, *, stream: bool = False
    ) -> tuple[dict[str, Any], dict[str, CompiledTool]]:
        """The JSON body for ``request`` and the compiled tools by wire name (to map calls back).

        Raises:
            UsageError: The request asks for something the Responses API or this profile does not support
                (stop sequences, a ``tool_choice`` value, JSON-Schema output) or names a tool it does not carry.

        Examples:
            >>> from agentkit.messages import Message
            >>> from agentkit.providers import ModelRequest
            >>> body, _ = OpenAIResponsesProvider("o3", api_key="sk-test").build_body(
            ...     ModelRequest(messages=[Message.system("Be brief."), Message.user("hi")]))
            >>> body["instructions"], body["input"], body["store"], body["include"]
            ('Be brief.', [{'role': 'user', 'content': 'hi'}], False, ['reasoning.encrypted_content'])
        """
        return build_body(self, request, stream=stream)

    def parse_response(
        self, data: Any, tools: Mapping[str, CompiledTool] | None = None
    ) -> ModelResponse:
        """Parse a ``response`` object (``tools``: compiled tools by wire name, to map calls back).

        Raises:
            ProviderError: The response failed (``status: failed``), typed from its ``error``.
            MalformedResponse: ``data`` is not a response object.

        Examples:
            >>> p = OpenAIResponsesProvider("gpt-5", api_key="sk-test")
            >>> r = p.parse_response({"id": "resp_1", "status": "completed", "output": [
            ...     {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAA", "summary": []},
            ...     {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "now", "arguments": ""}]})
            >>> r.finish_reason, r.parts[0].id, r.tool_calls[0].id, r.tool_calls[0].provider_details
            ('tool_calls', 'rs_1', 'call_1', {'item_id': 'fc_1'})
        """
        return parse_response(self, data, tools)

    def stream_state(self, context: Mapping[str, CompiledTool]) -> _StreamState:
        """The state that follows one Responses event stream (``context``: the tools by wire name).

        The final response is parsed from ``response.completed`` (or ``response.incomplete``), exactly as
        `parse_response` parses a response object, and checked against the deltas already yielded.
        """
        return _StreamState(self, context)

    def classify_error(
        self, status: int, headers: Mapping[str, str], body: Any, text: str
    ) -> ProviderError:
        """The typed error; ``model_not_found``, ``context_length_exceeded``... are classified by their code."""
        return super().classify_error(status, headers, promoted(body), text)
