"""Redaction: sensitive fields and secret-shaped strings are masked in every event field."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

import pytest
from pydantic import SecretStr

from agentkit import Sensitive, tool
from agentkit.events import (
    BaseEvent,
    EventEmitter,
    ModelFailed,
    RunFinished,
    ToolArgumentsRejected,
    ToolCallFailed,
    ToolCallStarted,
)
from agentkit.exceptions import UsageError
from agentkit.observability import BUILTIN_PATTERNS, RedactingSink, Redactor, SecretRedactor

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)

SECRETS = {
    "openai": "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234",
    "anthropic": "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-1234",
    "google": "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_" + "a1B2c3D4e5" * 4,
    "github_pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
    "slack": "xoxb-123456789012-abcdefghijkl",
    "stripe": "sk_live_" + "a1b2c3d4" * 3,
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "bearer": "Zm9vYmFyYmF6cXV4MTIzNDU2",
    "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}


def failed(message: str) -> ModelFailed:
    return ModelFailed(run_id="r", seq=0, at=AT, step=1, error_type="X", error_message=message)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_builtin_shapes_are_masked(name: str) -> None:
    """Every built-in secret shape is masked inside surrounding prose."""
    secret = SECRETS[name]
    text = {
        "bearer": f"sent Bearer {secret} to the API",
        "aws_secret": f"aws_secret_access_key={secret} in env",
    }.get(name, f"the value {secret} leaked")
    redacted = SecretRedactor().redact_text(text)
    assert secret not in redacted
    assert "***" in redacted


def test_headers_keep_their_name() -> None:
    """Header-like strings keep the header name and lose the credential."""
    redactor = SecretRedactor()
    assert redactor.redact_text("Authorization: Basic dXNlcjpwYXNz") == "Authorization: ***"
    assert redactor.redact_text('{"x-api-key": "abcd1234efgh"}') == '{"x-api-key": "***"}'
    assert (
        redactor.redact_text("postgres://app:hunter2pw@db:5432/x") == "postgres://app:***@db:5432/x"
    )


def test_prose_is_left_alone() -> None:
    """Ordinary text, including words like 'token' and 'basic', is returned unchanged (the same object)."""
    text = "basic token usage: input_tokens=10, the key idea is simple"
    assert SecretRedactor().redact_text(text) is text


def test_unchanged_event_is_returned_as_is() -> None:
    """An event without secrets is returned as the same object, not copied."""
    event = failed("connection reset by peer")
    assert SecretRedactor()(event) is event


def test_every_string_field_is_scanned() -> None:
    """Secrets are masked in nested dicts, lists and every string field, and the input is not mutated."""
    key = SECRETS["openai"]
    event = ToolArgumentsRejected(
        run_id="r",
        seq=1,
        at=AT,
        tool_name="t",
        issues=[{"path": "/q", "input": f"use {key}", "nested": [{"password": "pw-value-1"}]}],
        attempt=1,
        max_retries=2,
    )
    redacted = SecretRedactor()(event)
    assert key not in redacted.model_dump_json()
    assert "pw-value-1" not in redacted.model_dump_json()
    assert key in event.model_dump_json()  # the original is untouched
    assert redacted.seq == event.seq
    assert redacted.at == event.at


def test_exact_secrets_and_custom_patterns() -> None:
    """Registered exact values and user patterns are masked; a SecretStr registers its value."""
    redactor = SecretRedactor(patterns=[r"CUST-\d{6}"], secrets=[SecretStr("plain-looking-key")])
    redactor.add_secret(None)
    event = failed("customer CUST-123456 used plain-looking-key")
    assert redactor(event).error_message == "customer *** used ***"


def test_custom_pattern_keep_group() -> None:
    """A user pattern's ``keep`` group stays readable."""
    redactor = SecretRedactor(patterns=[r"(?P<keep>session=)\w+"], builtin_patterns=False)
    assert redactor.redact_text("session=abc123 ok") == "session=*** ok"


def test_pattern_with_global_flags_still_works() -> None:
    """A pattern that cannot join the combined alternation is scanned on its own."""
    redactor = SecretRedactor(patterns=[r"(?i)internal-\d+"], builtin_patterns=False)
    assert redactor.redact_text("INTERNAL-42 and internal-7") == "*** and ***"
    assert redactor.redact_text("nothing") == "nothing"


def test_bad_configuration_is_a_usage_error() -> None:
    """A pattern that does not compile or a too-short secret is refused with a clear message."""
    with pytest.raises(UsageError, match="does not compile"):
        SecretRedactor(patterns=["(unclosed"])
    with pytest.raises(UsageError, match="at least 4 characters"):
        SecretRedactor(secrets=["abc"])
    with pytest.raises(UsageError, match="needs a tool or a ToolContract"):
        SecretRedactor().add_tool(object())


def test_contract_sensitive_pointers_mask_arguments() -> None:
    """Arguments under a registered tool's sensitive pointers are masked even if an event carries them raw."""

    @tool
    def pay(card: Annotated[str, Sensitive()], amount: float) -> str:
        """Pay."""
        return "ok"

    event = ToolCallStarted(
        run_id="r",
        seq=0,
        at=AT,
        tool_name="pay",
        tool_version="1.0.0",
        arguments={"card": "4111", "amount": 3},
    )
    redacted = SecretRedactor(tools=[pay])(event)
    assert redacted.arguments == {"card": "***", "amount": 3}


def test_secret_objects_and_bytes_are_masked() -> None:
    """SecretStr values are always masked; bytes holding a secret are masked."""
    redactor = SecretRedactor()
    assert redactor.redact_value({"x": SecretStr("v")}) == {"x": "***"}
    assert redactor.redact_value(SECRETS["aws_access_key_id"].encode()) == "***"
    assert redactor.redact_value(b"plain") == b"plain"
    assert redactor.redact_value(("a", 1)) == ("a", 1)
    assert redactor.redact_value(("a", SECRETS["google"])) == ("a", "***")


def test_run_and_tool_failures_are_masked() -> None:
    """Error messages and tracebacks of run and tool failures are masked."""
    key = SECRETS["aws_access_key_id"]
    redactor = SecretRedactor()
    run = RunFinished(
        run_id="r",
        seq=5,
        at=AT,
        status="failed",
        steps=1,
        tool_calls=0,
        error_type="E",
        error_message=f"k={key}",
    )
    crash = ToolCallFailed(
        run_id="r",
        seq=4,
        at=AT,
        tool_name="t",
        reason="exception",
        duration_s=0.1,
        error_type="RuntimeError",
        error_message=key,
        traceback=f"Traceback...\nRuntimeError: {key}\n",
    )
    assert key not in redactor(run).model_dump_json()
    assert key not in redactor(crash).model_dump_json()


def test_redacting_sink_redacts_once_and_isolates_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The redacting sink hands the same redacted copy to every sink, and a failing sink does not stop the next."""
    calls: list[BaseEvent] = []

    def counting(event: BaseEvent) -> BaseEvent:
        calls.append(event)
        return SecretRedactor()(event)

    first: list[BaseEvent] = []
    second: list[BaseEvent] = []

    def broken(event: BaseEvent) -> None:
        raise RuntimeError("sink down")

    sink = RedactingSink(first.append, broken, second.append, redactor=counting)  # type: ignore[arg-type]
    EventEmitter(run_id="r", sinks=[sink]).emit(
        ModelFailed, step=1, error_type="X", error_message=f"key {SECRETS['openai']}"
    )
    assert len(calls) == 1
    assert first[0] is second[0]
    assert first[0].error_message == "key ***"  # type: ignore[attr-defined]
    assert "sink down" in caplog.text
    assert "RedactingSink" in repr(sink)


def test_redactor_protocol() -> None:
    """The default redactor satisfies the Redactor protocol, and the builtin shapes are named."""
    assert isinstance(SecretRedactor(), Redactor)
    assert {
        "openai",
        "anthropic",
        "google",
        "aws_access_key_id",
        "jwt",
        "bearer",
        "private_key",
    } <= set(BUILTIN_PATTERNS)
    assert "secrets=0" in repr(SecretRedactor())
