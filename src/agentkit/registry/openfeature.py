"""`OpenFeatureFlags`: any OpenFeature provider (LaunchDarkly, Flagd, Unleash, GO Feature Flag...) as flags.

Install the extra: ``pip install "agentkit-contracts[openfeature]"`` (the ``openfeature-sdk`` package). This
module imports without it; `OpenFeatureFlags` raises `agentkit.exceptions.MissingExtraError` when it is created
without it.

Examples:
    >>> from openfeature import api
    >>> from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider
    >>> api.set_provider(InMemoryProvider({"beta": InMemoryFlag("on", {"on": True, "off": False})}),
    ...                  domain="docs-example")
    >>> flags = OpenFeatureFlags(domain="docs-example")
    >>> flags.is_enabled("beta"), flags.resolve_flag("beta", False, "user-42")
    (True, FlagResolution(value=True, reason='STATIC', variant='on'))
"""

from __future__ import annotations

from typing import Any

from agentkit.exceptions import MissingExtraError
from agentkit.registry._flags import FlagResolution, FlagValue, current_subject

__all__ = ("OpenFeatureFlags",)


class OpenFeatureFlags:
    """A flag provider that asks an OpenFeature client, with the subject as the evaluation's targeting key.

    On/off flags use the client's boolean evaluation, string flags its string evaluation, numbers its integer
    or float evaluation, chosen by the type of the caller's default. The OpenFeature reason (``STATIC``,
    ``TARGETING_MATCH``, ``SPLIT``...) and variant are recorded in the ``flag.evaluated`` event; an evaluation
    that failed (``error_code`` set, the flag missing or of another type) gives the default with reason
    ``"error"``, as OpenFeature itself does.

    Args:
        client: An ``openfeature.client.OpenFeatureClient``; by default ``api.get_client(domain)``.
        domain: The OpenFeature domain whose provider answers (the default provider when ``None``).
        attributes: Extra evaluation-context attributes sent with every evaluation (the service name...).

    Raises:
        MissingExtraError: ``openfeature-sdk`` is not installed.

    Examples:
        >>> from openfeature import api
        >>> from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider
        >>> api.set_provider(InMemoryProvider({"route": InMemoryFlag("a", {"a": "cheap", "b": "strong"})}),
        ...                  domain="docs-route")
        >>> OpenFeatureFlags(domain="docs-route").resolve_flag("route", "", None).value
        'cheap'
    """

    name = "openfeature"

    def __init__(
        self,
        client: Any = None,
        *,
        domain: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        try:
            from openfeature import api
        except ImportError as exc:
            raise MissingExtraError(extra="openfeature", package="openfeature-sdk") from exc
        self.client = client if client is not None else api.get_client(domain)
        self.attributes = dict(attributes or {})

    def is_enabled(self, flag: str) -> bool:
        """Whether ``flag`` is on for the current subject."""
        return bool(self.resolve_flag(flag, False, current_subject()).value)

    def resolve_flag(self, flag: str, default: FlagValue, subject: str | None) -> FlagResolution:
        """The client's answer for ``flag`` and ``subject`` (the evaluation context's targeting key)."""
        from openfeature.evaluation_context import EvaluationContext

        context = EvaluationContext(targeting_key=subject, attributes=dict(self.attributes))
        client = self.client
        if isinstance(default, bool):
            details = client.get_boolean_details(flag, default, context)
        elif isinstance(default, str):
            details = client.get_string_details(flag, default, context)
        elif isinstance(default, int):
            details = client.get_integer_details(flag, default, context)
        else:
            details = client.get_float_details(flag, float(default), context)
        if details.error_code is not None:
            return FlagResolution(default, "error", details.variant)
        reason = details.reason
        text = getattr(reason, "value", reason)
        return FlagResolution(details.value, str(text or "UNKNOWN"), details.variant)

    def __repr__(self) -> str:
        return f"OpenFeatureFlags({self.client!r})"
