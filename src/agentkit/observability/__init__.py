"""Observability: redaction, and the sinks that turn the event stream into logs, metrics and traces.

Every sink is a consumer of the typed event stream (`agentkit.events`). Wrap them in one `RedactingSink` so
each event is redacted once, before any sink sees it:

```python
from agentkit.observability import LoggingSink, Metrics, RedactingSink, SecretRedactor

metrics = Metrics()
redactor = SecretRedactor(secrets=provider.secrets())
agent = Agent(provider, sinks=[RedactingSink(LoggingSink(), metrics, redactor=redactor)])
print(metrics.prometheus_text())
```

`OTelSink` (spans and metrics following the OpenTelemetry GenAI semantic conventions) lives in
`agentkit.observability.otel` and needs the ``otel`` extra; it is imported only when first used.

Examples:
    >>> from agentkit.observability import Metrics, RedactingSink
    >>> metrics = Metrics()
    >>> sink = RedactingSink(metrics)
    >>> sink.sinks == [metrics]
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit._redact import (
    BUILTIN_PATTERNS,
    RedactingSink,
    Redactor,
    SecretRedactor,
)
from agentkit.observability._content import CONTENT_FIELDS
from agentkit.observability._logging import DEFAULT_LEVELS, LoggingSink
from agentkit.observability._metrics import (
    DEFAULT_LATENCY_BUCKETS,
    HistogramValue,
    Metrics,
)

if TYPE_CHECKING:
    from agentkit.observability.otel import OTelSink

__all__ = (
    "BUILTIN_PATTERNS",
    "CONTENT_FIELDS",
    "DEFAULT_LATENCY_BUCKETS",
    "DEFAULT_LEVELS",
    "HistogramValue",
    "LoggingSink",
    "Metrics",
    "OTelSink",
    "RedactingSink",
    "Redactor",
    "SecretRedactor",
)


def __getattr__(name: str) -> Any:
    if name == "OTelSink":
        from agentkit.observability.otel import OTelSink

        return OTelSink
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # List the lazy OTelSink too, so help(), inspect.getmembers and IDEs see the whole public surface.
    return sorted(set(globals()) | set(__all__))
