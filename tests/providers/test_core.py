"""The provider core: error translation, Retry-After, the HTTP base class, ResponseBuilder, infer_provider, prices.

Error bodies come from ``tests/fixtures/`` (recorded cassettes, recorded bodies, and the bodies transcribed
from public issues in ``errors/transcribed-error-bodies.json``). Shapes no recording holds (5xx, 529, HTML pages,
empty bodies) are built from the providers' documented envelopes and are marked *synthetic* below.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import runpy
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from agentkit.exceptions import (
    AuthenticationFailed,
    ContextWindowExceeded,
    InvalidRequest,
    MalformedResponse,
    ModelNotFound,
    Overloaded,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UsageError,
)
from agentkit.messages import Message, ReasoningPart, RefusalPart, TextPart, ToolCallPart, Usage
from agentkit.providers import (
    DEFAULT_PRICES,
    PROVIDER_PREFIXES,
    ModelPrice,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    PriceTable,
    ResponseBuilder,
    StreamDone,
    StreamEvent,
    TextDelta,
    infer_provider,
)
from agentkit.providers._http import (
    DEFAULT_TIMEOUT,
    HttpProvider,
    error_from_response,
    parse_retry_after,
    translate_transport_error,
)
from agentkit.testing import MockClock, load_cassette

pytestmark = pytest.mark.anyio

# ----------------------------------------------------------------------------------------------- fixtures


# tests/_fixtures.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fixtures = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fixtures.py"))


def fixture_path(relative: str) -> Path:
    path: Path = _fixtures["fixture"](relative)
    return path


def transcribed() -> dict[str, dict[str, Any]]:
    data = json.loads(
        fixture_path("errors/transcribed-error-bodies.json").read_text(encoding="utf-8")
    )
    return {entry["id"]: entry for entry in data["entries"]}


def classify(
    status: int, body: Any, headers: dict[str, str] | None = None, **kwargs: Any
) -> ProviderError:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return error_from_response(
        provider=kwargs.pop("provider", "test"),
        model=kwargs.pop("model", "m"),
        status=status,
        headers=headers or {},
        content=content,
        **kwargs,
    )


# ------------------------------------------------------------------------------ transcribed error bodies

# id -> (expected class, retryable, a fragment of the message)
TRANSCRIBED: dict[str, tuple[type[ProviderError], bool, str]] = {
    "openai-responses-400-invalid-function-parameters": (
        InvalidRequest,
        False,
        "Invalid schema for function 'mysql_execute'",
    ),
    "openai-chat-400-invalid-function-parameters": (
        InvalidRequest,
        False,
        "Invalid schema for function 'mongodb-list-databases'",
    ),
    "anthropic-529-overloaded": (Overloaded, True, "Overloaded"),
    "anthropic-429-rate-limit": (RateLimited, True, "per-minute rate limit"),
    "openai-429-tpm-message": (RateLimited, True, "Rate limit reached for gpt-4o"),
    "mistral-422-extra-forbidden": (InvalidRequest, False, "Extra inputs are not permitted"),
}


def test_every_transcribed_body_has_an_expectation() -> None:
    """Each transcribed error body in the fixtures is classified by a test below, none forgotten."""
    assert set(transcribed()) == set(TRANSCRIBED)


@pytest.mark.parametrize("entry_id", sorted(TRANSCRIBED))
def test_transcribed_error_bodies_are_classified(entry_id: str) -> None:
    """A body people pasted from a real failure becomes the right typed error with the provider's message."""
    entry = transcribed()[entry_id]
    expected, retryable, fragment = TRANSCRIBED[entry_id]
    # Only the message was pasted for some entries: wrap it in the provider's documented envelope.
    body = entry.get("body") or {"error": {"message": entry["body_message_only"]}}
    err = classify(entry["status"], body, provider=entry["provider"])
    assert type(err) is expected
    assert err.retryable is retryable
    assert fragment in err.message
    assert err.status_code == entry["status"]
    assert err.provider == entry["provider"]


def test_anthropic_request_id_is_read_from_the_body() -> None:
    """Anthropic's ``request_id`` in the error body lands on the error, for support tickets."""
    entry = transcribed()["anthropic-529-overloaded"]
    err = classify(529, entry["body"])
    assert err.request_id == "req_011CZAau32QzxDkriovTaFCB"
    assert "[request req_011CZAau32QzxDkriovTaFCB]" in str(err)


def test_mistral_object_message_becomes_readable_text() -> None:
    """Mistral's 422 whose ``message`` is an object yields a string message holding the detail, not a crash."""
    err = classify(422, transcribed()["mistral-422-extra-forbidden"]["body"])
    assert isinstance(err.message, str)
    assert json.loads(err.message)["detail"][0]["loc"] == [
        "body",
        "tools",
        0,
        "function",
        "required",
    ]


def test_rate_limit_without_headers_has_no_retry_after() -> None:
    """A 429 with no header and no body hint leaves ``retry_after`` unset rather than inventing one."""
    err = classify(429, transcribed()["anthropic-429-rate-limit"]["body"])
    assert isinstance(err, RateLimited)
    assert err.retry_after is None


# --------------------------------------------------------------------------------- recorded error bodies

RECORDED: list[tuple[str, int, type[ProviderError], str]] = [
    # (cassette or body file, interaction, expected class, message fragment)
    ("anthropic/error-400-invalid-request.pydantic-ai.yaml", 0, InvalidRequest, "effort level"),
    ("anthropic/error-404-model-not-found.pydantic-ai.yaml", 0, ModelNotFound, "claude-sonet-4-5"),
    ("gemini/error-404-model-not-found.pydantic-ai.yaml", 0, ModelNotFound, "is not found"),
    ("openai-chat/error-400-unsupported-option.pydantic-ai.yaml", 0, InvalidRequest, "Web search"),
    (
        "openai-chat/error-400-unsupported-system-role.pydantic-ai.yaml",
        0,
        InvalidRequest,
        "does not support 'system'",
    ),
    ("openai-chat/error-404-model-not-found.pydantic-ai.yaml", 0, ModelNotFound, "gpt-5.2-proo"),
    (
        "openai-compatible/groq-error-400-tool-use-failed.pydantic-ai.yaml",
        0,
        InvalidRequest,
        "Tool call validation failed",
    ),
    (
        "openai-compatible/groq-error-404-model-not-found.pydantic-ai.yaml",
        0,
        ModelNotFound,
        "does not exist",
    ),
    (
        "openai-compatible/openrouter-error-429-upstream-rate-limited.pydantic-ai.yaml",
        0,
        RateLimited,
        "Provider returned error",
    ),
    (
        "openai-responses/error-400-invalid-temperature.pydantic-ai.yaml",
        0,
        InvalidRequest,
        "Invalid 'temperature'",
    ),
    # HTTP 400, but the code says what it is: the model does not exist.
    (
        "openai-responses/error-400-model-not-supported.pydantic-ai.yaml",
        0,
        ModelNotFound,
        "does not exist",
    ),
    (
        "openai-responses/error-400-reasoning-item-without-follower.pydantic-ai.yaml",
        1,
        InvalidRequest,
        "without its required following item",
    ),
]


@pytest.mark.parametrize(
    ("name", "index", "expected", "fragment"), RECORDED, ids=[r[0].split("/")[-1] for r in RECORDED]
)
def test_recorded_error_responses_are_classified(
    name: str, index: int, expected: type[ProviderError], fragment: str
) -> None:
    """Every error recorded in a cassette becomes the typed error its status and body call for."""
    interaction = load_cassette(fixture_path(name)).interactions[index]
    err = error_from_response(
        provider="p",
        model="m",
        status=interaction.status,
        headers=interaction.headers,
        content=interaction.body,
    )
    assert type(err) is expected
    assert fragment in err.message
    assert err.status_code == interaction.status


def test_groq_tool_use_failed_keeps_the_provider_message() -> None:
    """Groq's ``tool_use_failed`` is a plain invalid request, carrying Groq's explanation of the schema miss."""
    interaction = load_cassette(
        fixture_path("openai-compatible/groq-error-400-tool-use-failed.pydantic-ai.yaml")
    ).interactions[0]
    err = error_from_response(
        provider="groq", model="m", status=400, headers={}, content=interaction.body
    )
    assert type(err) is InvalidRequest
    assert not err.retryable
    assert "did not match schema" in err.message


@pytest.mark.parametrize(
    ("name", "status", "expected", "retryable"),
    [
        (
            "anthropic/error-400-tool-schema-missing-type.vercel-ai.body.json",
            400,
            InvalidRequest,
            False,
        ),
        (
            "anthropic/error-400-tool-use-without-tool-result.vercel-ai.body.json",
            400,
            InvalidRequest,
            False,
        ),
        (
            "anthropic/error-400-unexpected-tool-use-id.vercel-ai.body.json",
            400,
            InvalidRequest,
            False,
        ),
        (
            "openai-chat/error-400-unsupported-parameter.vercel-ai.body.json",
            400,
            InvalidRequest,
            False,
        ),
        # The recorded body has no status; OpenAI sends insufficient_quota with HTTP 429. Waiting will not help.
        (
            "openai-responses/error-429-insufficient-quota.vercel-ai.body.json",
            429,
            RateLimited,
            False,
        ),
        (
            "gemini/error-429-resource-exhausted-retry-info.vercel-ai.body.json",
            429,
            RateLimited,
            True,
        ),
    ],
)
def test_recorded_error_bodies_are_classified(
    name: str, status: int, expected: type[ProviderError], retryable: bool
) -> None:
    """The recorded bodies (no headers) classify by status and envelope, and say whether to retry."""
    err = classify(status, fixture_path(name).read_bytes())
    assert type(err) is expected
    assert err.retryable is retryable
    assert err.message


def test_gemini_retry_info_sets_retry_after() -> None:
    """Gemini's google.rpc ``RetryInfo.retryDelay`` (``"34.4s"``) becomes ``retry_after`` in seconds."""
    body = fixture_path(
        "gemini/error-429-resource-exhausted-retry-info.vercel-ai.body.json"
    ).read_bytes()
    err = classify(429, body, provider="gemini")
    assert isinstance(err, RateLimited)
    assert err.retry_after == pytest.approx(34.4)
    assert err.message == "You exceeded your current quota, please check your plan."


def test_anthropic_request_id_in_recorded_body() -> None:
    """The request id of a recorded Anthropic error is kept."""
    body = fixture_path(
        "anthropic/error-400-unexpected-tool-use-id.vercel-ai.body.json"
    ).read_bytes()
    assert classify(400, body).request_id == "req_011Cd65WVh8Zrvno3NunpJ73"


# ------------------------------------------------------------------ synthetic shapes, every status family


def _anthropic(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}


def _openai(message: str, kind: str | None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _gemini(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


SYNTHETIC: list[tuple[str, int, Any, type[ProviderError], bool]] = [
    # Anthropic's documented error types (https://docs.claude.com/en/api/errors): synthetic bodies.
    ("anthropic 400", 400, _anthropic("invalid_request_error", "bad"), InvalidRequest, False),
    (
        "anthropic 401",
        401,
        _anthropic("authentication_error", "invalid x-api-key"),
        AuthenticationFailed,
        False,
    ),
    (
        "anthropic 403",
        403,
        _anthropic("permission_error", "no access"),
        AuthenticationFailed,
        False,
    ),
    ("anthropic 404", 404, _anthropic("not_found_error", "model: x"), ModelNotFound, False),
    (
        "anthropic 413",
        413,
        _anthropic("request_too_large", "Request exceeds the maximum size"),
        InvalidRequest,
        False,
    ),
    ("anthropic 429", 429, _anthropic("rate_limit_error", "slow down"), RateLimited, True),
    (
        "anthropic 500",
        500,
        _anthropic("api_error", "Internal server error"),
        ProviderUnavailable,
        True,
    ),
    ("anthropic 529", 529, _anthropic("overloaded_error", "Overloaded"), Overloaded, True),
    (
        "anthropic prompt too long",
        400,
        _anthropic("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
        ContextWindowExceeded,
        False,
    ),
    # OpenAI's ErrorResponse shape (spec/openai-openapi.yaml): synthetic bodies.
    (
        "openai 401",
        401,
        _openai("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
        AuthenticationFailed,
        False,
    ),
    (
        "openai context",
        400,
        _openai(
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
            "invalid_request_error",
            "context_length_exceeded",
        ),
        ContextWindowExceeded,
        False,
    ),
    (
        "openai context by code",
        400,
        _openai("too big", "invalid_request_error", "context_length_exceeded"),
        ContextWindowExceeded,
        False,
    ),
    (
        "openai 429 tpm",
        429,
        _openai("Rate limit reached", "tokens", "rate_limit_exceeded"),
        RateLimited,
        True,
    ),
    (
        "openai 429 quota",
        429,
        _openai("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
        RateLimited,
        False,
    ),
    (
        "openai 500",
        500,
        _openai("The server had an error", "server_error"),
        ProviderUnavailable,
        True,
    ),
    (
        "openai 503 overloaded",
        503,
        _openai("The engine is currently overloaded, please try again later", "server_error"),
        Overloaded,
        True,
    ),
    ("openai 408", 408, _openai("Request timed out", None), ProviderTimeout, True),
    (
        "openai 400 model code",
        400,
        _openai("The model x does not exist", "invalid_request_error", "model_not_found"),
        ModelNotFound,
        False,
    ),
    # Gemini's google.rpc statuses (https://ai.google.dev/gemini-api/docs/troubleshooting): synthetic bodies.
    (
        "gemini 400",
        400,
        _gemini(400, "INVALID_ARGUMENT", "Invalid JSON payload"),
        InvalidRequest,
        False,
    ),
    (
        "gemini 403",
        403,
        _gemini(403, "PERMISSION_DENIED", "API key not valid"),
        AuthenticationFailed,
        False,
    ),
    ("gemini 404", 404, _gemini(404, "NOT_FOUND", "models/x is not found"), ModelNotFound, False),
    ("gemini 429", 429, _gemini(429, "RESOURCE_EXHAUSTED", "quota"), RateLimited, True),
    (
        "gemini 500",
        500,
        _gemini(500, "INTERNAL", "An internal error has occurred"),
        ProviderUnavailable,
        True,
    ),
    (
        "gemini 503",
        503,
        _gemini(503, "UNAVAILABLE", "The service is currently unavailable."),
        Overloaded,
        True,
    ),
    (
        "gemini 504",
        504,
        _gemini(504, "DEADLINE_EXCEEDED", "Deadline expired"),
        ProviderTimeout,
        True,
    ),
    (
        "gemini context",
        400,
        _gemini(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        ),
        ContextWindowExceeded,
        False,
    ),
    # Other servers' shapes: Ollama's string error, FastAPI/vLLM detail, vLLM's flat OpenAI-like error.
    (
        "ollama string error",
        404,
        {"error": "model 'llama9' not found, try pulling it first"},
        ModelNotFound,
        False,
    ),
    (
        "fastapi detail",
        422,
        {"detail": [{"loc": ["body", "model"], "msg": "field required"}]},
        InvalidRequest,
        False,
    ),
    ("fastapi detail text", 400, {"detail": "Bad request"}, InvalidRequest, False),
    (
        "vllm flat",
        400,
        {"object": "error", "message": "bad top_p", "type": "BadRequestError", "code": 400},
        InvalidRequest,
        False,
    ),
    ("gateway 502", 502, _openai("Bad gateway", None), ProviderUnavailable, True),
    ("http 418", 418, {"error": {"message": "teapot"}}, InvalidRequest, False),
]


@pytest.mark.parametrize(
    ("status", "body", "expected", "retryable"),
    [case[1:] for case in SYNTHETIC],
    ids=[case[0] for case in SYNTHETIC],
)
def test_synthetic_error_shapes_are_classified(
    status: int, body: Any, expected: type[ProviderError], retryable: bool
) -> None:
    """Each documented error shape of each status family becomes the right typed error (synthetic bodies)."""
    err = classify(status, body)
    assert type(err) is expected
    assert err.retryable is retryable
    assert err.status_code == status


@pytest.mark.parametrize("status", [100, 200, 204, 301, 302, 304])
def test_non_error_statuses_are_malformed(status: int) -> None:
    """A status outside 4xx/5xx handed to the error path is reported as a malformed answer, naming it."""
    err = classify(status, b"")
    assert type(err) is MalformedResponse
    assert f"unexpected HTTP status {status}" in err.message


def test_gemini_error_wrapped_in_a_json_array() -> None:
    """Gemini's streaming endpoint without ``alt=sse`` wraps its error in an array; it still classifies."""
    body = [
        {
            "error": {
                "code": 429,
                "message": "Resource has been exhausted (e.g. check quota).",
                "status": "RESOURCE_EXHAUSTED",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"}
                ],
            }
        }
    ]
    err = classify(429, body)
    assert isinstance(err, RateLimited)
    assert err.message == "Resource has been exhausted (e.g. check quota)."
    assert err.retry_after == 12.0


HTML_502 = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>
</html>"""

HTML_CLOUDFLARE = b"""<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html lang="en-US"><head><title>Attention Required! | Cloudflare</title></head><body>blocked</body></html>"""


@pytest.mark.parametrize(
    ("status", "content", "expected", "fragment"),
    [
        (502, HTML_502, ProviderUnavailable, "HTML page instead of JSON (502 Bad Gateway)"),
        (403, HTML_CLOUDFLARE, AuthenticationFailed, "(Attention Required! | Cloudflare)"),
        (503, b"<html><body>down</body></html>", ProviderUnavailable, "(no title)"),
        (500, b"", ProviderUnavailable, "empty response body"),
        (500, b"   \n", ProviderUnavailable, "empty response body"),
        (
            503,
            b"upstream connect error or disconnect/reset before headers",
            ProviderUnavailable,
            "upstream connect error",
        ),
        (400, b"Bad Request", InvalidRequest, "Bad Request"),
        (500, b'{"error": {"message": "cut', ProviderUnavailable, '{"error": {"message": "cut'),
        (500, b"\xff\xfe not utf-8 \xc3", ProviderUnavailable, "not utf-8"),
        (400, b"[]", InvalidRequest, "[]"),
        (400, b'"just a string"', InvalidRequest, "just a string"),
        (400, b"null", InvalidRequest, "null"),
        (
            400,
            b'{"error": {"message": null, "type": "invalid_request_error"}}',
            InvalidRequest,
            "invalid_request_error",
        ),
    ],
    ids=[
        "nginx-html",
        "cloudflare-html",
        "html-no-title",
        "empty",
        "blank",
        "envoy-text",
        "plain-text",
        "truncated-json",
        "bad-utf8",
        "json-list",
        "json-string",
        "json-null",
        "null-message",
    ],
)
def test_unusual_error_bodies(
    status: int, content: bytes, expected: type[ProviderError], fragment: str
) -> None:
    """HTML pages, empty bodies, plain text and odd JSON yield a typed error with a readable message."""
    err = classify(status, content)
    assert type(err) is expected
    assert fragment in err.message


def test_long_text_bodies_are_cut() -> None:
    """A huge non-JSON body does not end up whole in the error message."""
    err = classify(500, b"x" * 10_000)
    assert len(err.message) <= 300


@pytest.mark.parametrize(
    ("headers", "body", "request_id"),
    [
        ({"request-id": "req_h"}, {}, "req_h"),
        ({"X-Request-Id": "req_x"}, {}, "req_x"),
        ({}, {"request_id": "req_b", "error": {"message": "m"}}, "req_b"),
        ({}, {"request_id": 12, "error": {"message": "m"}}, None),
    ],
)
def test_request_id_from_headers_or_body(
    headers: dict[str, str], body: Any, request_id: str | None
) -> None:
    """The request id comes from ``request-id`` / ``x-request-id`` headers, else the body; never a non-string."""
    assert classify(400, body, headers).request_id == request_id


def test_translated_errors_pickle_with_their_fields() -> None:
    """A classified error survives pickling with every typed field (worker pools, durable execution)."""
    err = classify(
        429, _anthropic("rate_limit_error", "slow"), {"retry-after": "3"}, provider="anthropic"
    )
    copy = pickle.loads(pickle.dumps(err))
    assert isinstance(copy, RateLimited)
    assert (copy.message, copy.provider, copy.retry_after, copy.status_code, copy.request_id) == (
        "slow",
        "anthropic",
        3.0,
        429,
        "req_1",
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["error", "message", "type", "code", "status", "detail", "details"])
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(status=st.integers(min_value=100, max_value=599), body=json_values)
def test_any_json_error_body_yields_a_typed_error(status: int, body: Any) -> None:
    """Whatever JSON a server answers with, the result is a ``ProviderError`` with a string message."""
    err = classify(status, body, {"retry-after": "x"})
    assert isinstance(err, ProviderError)
    assert isinstance(err.message, str)
    assert err.status_code == status


@settings(max_examples=300, deadline=None)
@given(status=st.integers(min_value=100, max_value=599), content=st.binary(max_size=200))
def test_any_bytes_yield_a_typed_error(status: int, content: bytes) -> None:
    """Whatever bytes a server answers with, the result is a ``ProviderError``, never a crash."""
    err = classify(status, content)
    assert isinstance(err, ProviderError)
    assert isinstance(err.message, str)


# ------------------------------------------------------------------------------------ parse_retry_after


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "0"}, 0.0),
        ({"Retry-After-Ms": "250.5"}, 0.2505),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after-ms": "-5", "retry-after": "9"}, 9.0),
        ({"retry-after-ms": "inf", "retry-after": "9"}, 9.0),
        ({"retry-after-ms": "nan"}, None),
        ({"retry-after": "7"}, 7.0),
        ({"Retry-After": " 7 "}, 7.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "-inf"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "1e999"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "Wed, 99 Foo 2026 99:99:99 GMT"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], expected: float | None) -> None:
    """``retry-after-ms`` wins, then ``Retry-After`` seconds; garbage, negative and infinite values are ignored."""
    result = parse_retry_after(headers, clock=MockClock())
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_retry_after_http_date_is_measured_on_the_clock() -> None:
    """An HTTP-date is turned into seconds from the injected clock's now, not the wall clock's."""
    clock = MockClock(datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc))
    header = format_datetime(datetime(2026, 5, 14, 9, 30, 45, tzinfo=timezone.utc), usegmt=True)
    assert header == "Thu, 14 May 2026 09:30:45 GMT"
    assert parse_retry_after({"Retry-After": header}, clock=clock) == 45.0
    clock.advance(40)
    assert parse_retry_after({"Retry-After": header}, clock=clock) == 5.0


def test_retry_after_http_date_in_the_past_means_now() -> None:
    """A date already past gives zero seconds, not a negative wait."""
    clock = MockClock(datetime(2026, 5, 14, 10, 0, tzinfo=timezone.utc))
    assert parse_retry_after({"retry-after": "Thu, 14 May 2026 09:30:45 GMT"}, clock=clock) == 0.0


def test_retry_after_http_date_with_offset_or_without_zone() -> None:
    """Numeric offsets are honoured and a date without a zone is read as UTC."""
    clock = MockClock(datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc))
    assert (
        parse_retry_after({"retry-after": "Thu, 14 May 2026 11:31:00 +0200"}, clock=clock) == 60.0
    )
    assert (
        parse_retry_after({"retry-after": "Thu, 14 May 2026 09:31:00 -0000"}, clock=clock) == 60.0
    )


def test_retry_after_reads_httpx_headers() -> None:
    """``httpx.Headers`` (case-insensitive, what adapters hold) work as the header mapping."""
    assert parse_retry_after(httpx.Headers({"Retry-After": "3"})) == 3.0


def _retry_info(delay: Any) -> dict[str, Any]:
    return {
        "error": {
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure"},
                "not a dict",
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
            ]
        }
    }


@pytest.mark.parametrize(
    ("delay", "expected"),
    [
        ("34.4s", 34.4),
        ("0s", 0.0),
        ("1s", 1.0),
        ("-3s", 0.0),
        ("soon", None),
        ("infs", None),
        ("nans", None),
        (None, None),
    ],
)
def test_retry_after_from_gemini_retry_info(delay: Any, expected: float | None) -> None:
    """Gemini's ``RetryInfo.retryDelay`` duration string is read; unusable values give ``None``."""
    result = parse_retry_after({}, _retry_info(delay))
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_retry_after_header_wins_over_body() -> None:
    """A header, when present, is preferred to the body hint."""
    assert parse_retry_after({"retry-after": "2"}, _retry_info("34.4s")) == 2.0


@pytest.mark.parametrize("body", [None, [], "text", {"error": "x"}, {"error": {"details": "x"}}])
def test_retry_after_ignores_bodies_without_hints(body: Any) -> None:
    """Bodies of any other shape give no hint and no error."""
    assert parse_retry_after({}, body) is None


# ---------------------------------------------------------------------------- translate_transport_error

_REQUEST = httpx.Request("POST", "https://api.example.invalid/v1/x")


@pytest.mark.parametrize(
    ("exc", "expected", "fragment"),
    [
        (httpx.ReadTimeout("timed out", request=_REQUEST), ProviderTimeout, "ReadTimeout"),
        (httpx.ConnectTimeout("timed out", request=_REQUEST), ProviderTimeout, "ConnectTimeout"),
        (httpx.PoolTimeout("timed out", request=_REQUEST), ProviderTimeout, "PoolTimeout"),
        (
            httpx.ConnectError("[Errno 111] Connection refused", request=_REQUEST),
            ProviderConnectionError,
            "Connection refused",
        ),
        (
            httpx.RemoteProtocolError("peer closed connection", request=_REQUEST),
            ProviderConnectionError,
            "broke mid-response",
        ),
        (
            httpx.ReadError("connection reset", request=_REQUEST),
            ProviderConnectionError,
            "ReadError",
        ),
        (httpx.DecodingError("bad gzip", request=_REQUEST), MalformedResponse, "bad gzip"),
        (ValueError("odd"), MalformedResponse, "ValueError: odd"),
    ],
)
def test_transport_errors_are_translated(
    exc: Exception, expected: type[ProviderError], fragment: str
) -> None:
    """Timeouts, refused or broken connections and unreadable bodies map to the typed tree, with retry flags."""
    err = translate_transport_error(exc, provider="openai", model="gpt-4.1")
    assert type(err) is expected
    assert fragment in err.message
    assert (err.provider, err.model, err.status_code) == ("openai", "gpt-4.1", None)
    assert err.retryable is (expected is not MalformedResponse)


def test_translated_timeouts_are_also_builtin_timeouts() -> None:
    """``ProviderTimeout`` is a ``TimeoutError`` and connection failures a ``ConnectionError``."""
    assert isinstance(
        translate_transport_error(httpx.ReadTimeout("t"), provider="p", model=None), TimeoutError
    )
    assert isinstance(
        translate_transport_error(httpx.ConnectError("c"), provider="p", model=None),
        ConnectionError,
    )


# ------------------------------------------------------------------------------------------ HttpProvider

KEY = "sk-test-7f3a9c2e11d04b5a8e6f"
ENV = "AGENTKIT_TEST_ECHO_KEY"


class EchoProvider(HttpProvider):
    """A tiny adapter over a made-up JSON + SSE API: just enough to drive the base class."""

    system = "echo"
    default_base_url: ClassVar[str] = "https://api.echo.invalid/v1/"
    api_key_env: ClassVar[str | None] = ENV

    async def complete(self, request: ModelRequest) -> ModelResponse:
        data = await self.post_json(
            "/answer", {"messages": [m.text for m in request.messages]}, request=request
        )
        return ModelResponse(
            parts=(TextPart(text=data["text"]),), provider=self.system, model=self.model
        )

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        builder = ResponseBuilder(provider=self.system)
        async with self.open_stream("/answer", {"stream": True}, request=request) as response:
            async for event in self.sse_events(response):
                if event.data == "[DONE]":
                    break
                text = json.loads(event.data)["text"]
                builder.add_text(text)
                yield TextDelta(text)
        yield StreamDone(builder.build(finish_reason="stop"))


REQUEST = ModelRequest(messages=[Message.user("hi")])


def echo(handler: Any, **kwargs: Any) -> EchoProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return EchoProvider("echo-1", api_key=kwargs.pop("api_key", KEY), http_client=client, **kwargs)


def respond(status: int, content: bytes | str, **headers: str) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers)

    return handler


def test_api_key_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither ``repr`` nor ``str`` nor the attribute dump shows the key."""
    monkeypatch.setenv(ENV, KEY)
    provider = EchoProvider("echo-1")
    for text in (repr(provider), str(provider), repr(vars(provider))):
        assert KEY not in text
    assert "api_key='***'" in repr(provider)
    assert provider.api_key == KEY


def test_missing_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key argument or environment variable, a ``UsageError`` says which variable to set."""
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(
        UsageError, match=f"EchoProvider needs an API key: pass api_key=... or set {ENV}"
    ):
        EchoProvider("echo-1")
    monkeypatch.setenv(ENV, "")
    with pytest.raises(UsageError, match=ENV):
        EchoProvider("echo-1")


def test_key_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit key (plain or ``SecretStr``) is used instead of the environment's."""
    monkeypatch.setenv(ENV, "sk-from-env-000000")
    assert EchoProvider("e", api_key=KEY).api_key == KEY
    assert EchoProvider("e", api_key=SecretStr(KEY)).api_key == KEY


async def test_key_is_sent_as_bearer_token_and_defaults_apply() -> None:
    """The request goes to base URL + path with the bearer key, JSON headers and the default timeouts."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"text": "hello"})

    provider = echo(handler)
    response = await provider.complete(REQUEST)
    assert response.text == "hello"
    (request,) = seen
    assert str(request.url) == "https://api.echo.invalid/v1/answer"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"messages": ["hi"]}
    assert request.extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()


async def test_settings_timeout_and_extra_headers_apply_per_request() -> None:
    """``ModelSettings.timeout`` and ``extra_headers`` override the defaults for one request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"text": "ok"})

    request = ModelRequest(
        messages=[Message.user("hi")],
        settings=ModelSettings(timeout=5.0, extra_headers={"x-trace": "t1"}),
    )
    await echo(handler).complete(request)
    assert seen[0].extensions["timeout"] == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    assert seen[0].headers["x-trace"] == "t1"


@pytest.mark.parametrize(
    ("status", "content", "headers", "expected", "fragment"),
    [
        (
            400,
            b'{"error": {"message": "bad temperature", "type": "invalid_request_error"}}',
            {},
            InvalidRequest,
            "bad temperature",
        ),
        (
            401,
            b'{"error": {"message": "nope", "type": "authentication_error"}}',
            {},
            AuthenticationFailed,
            "nope",
        ),
        (404, b'{"error": {"message": "no such model"}}', {}, ModelNotFound, "no such model"),
        (
            429,
            b'{"error": {"message": "slow down"}}',
            {"retry-after": "3"},
            RateLimited,
            "slow down",
        ),
        (500, b'{"error": {"message": "boom"}}', {}, ProviderUnavailable, "boom"),
        (503, HTML_502, {"content-type": "text/html"}, ProviderUnavailable, "HTML page"),
        (
            529,
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            {},
            Overloaded,
            "Overloaded",
        ),
    ],
)
async def test_post_json_raises_the_typed_error(
    status: int,
    content: bytes,
    headers: dict[str, str],
    expected: type[ProviderError],
    fragment: str,
) -> None:
    """An error status becomes the typed error naming the provider, model and status."""
    provider = echo(respond(status, content, **headers))
    with pytest.raises(expected) as info:
        await provider.complete(REQUEST)
    err = info.value
    assert type(err) is expected
    assert fragment in err.message
    assert (err.provider, err.model, err.status_code) == ("echo", "echo-1", status)
    if isinstance(err, RateLimited):
        assert err.retry_after == 3.0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (HTML_502, "HTML page instead of JSON"),
        (b'{"text": "hel', '{"text": "hel'),
        (b"", "empty response body"),
    ],
    ids=["html", "truncated-json", "empty"],
)
async def test_post_json_rejects_a_200_that_is_not_json(content: bytes, fragment: str) -> None:
    """A 200 whose body is HTML, cut JSON or nothing is a ``MalformedResponse``, not a ``ValueError``."""
    with pytest.raises(MalformedResponse, match="the answer is not JSON") as info:
        await echo(respond(200, content)).complete(REQUEST)
    assert fragment in info.value.message
    assert info.value.status_code == 200
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), ProviderConnectionError),
        (httpx.ReadTimeout("timed out"), ProviderTimeout),
        (httpx.RemoteProtocolError("Server disconnected"), ProviderConnectionError),
    ],
)
async def test_post_json_translates_transport_failures(
    exc: Exception, expected: type[ProviderError]
) -> None:
    """A network failure is raised as the typed error, chained to the httpx exception."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(expected) as info:
        await echo(handler).complete(REQUEST)
    assert info.value.__cause__ is exc
    assert info.value.provider == "echo"


async def test_api_key_echoed_by_the_server_never_reaches_the_error() -> None:
    """A server that repeats the key in its error body does not leak it into message, repr or pickle."""
    body = json.dumps(
        {"error": {"message": f"Incorrect API key provided: {KEY}.", "type": "invalid_api_key"}}
    )
    with pytest.raises(AuthenticationFailed) as info:
        await echo(respond(401, body)).complete(REQUEST)
    err = info.value
    assert "Incorrect API key provided: ***." in err.message
    for text in (str(err), repr(err), err.message, repr(err.args), repr(pickle.dumps(err))):
        assert KEY not in text


async def test_retry_after_date_uses_the_provider_clock() -> None:
    """A ``Retry-After`` HTTP-date is measured on the clock the provider was given."""
    clock = MockClock(datetime(2026, 5, 14, 9, 30, tzinfo=timezone.utc))
    provider = echo(
        respond(429, b"{}", **{"Retry-After": "Thu, 14 May 2026 09:30:20 GMT"}), clock=clock
    )
    with pytest.raises(RateLimited) as info:
        await provider.complete(REQUEST)
    assert info.value.retry_after == 20.0


def sse_handler(status: int, body: bytes, seen: list[httpx.Request] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=body, headers={"content-type": "text/event-stream"})

    return handler


async def collect(provider: HttpProvider, events: list[StreamEvent]) -> None:
    async for event in provider.stream(REQUEST):
        events.append(event)


async def test_open_stream_yields_events() -> None:
    """A 200 stream is parsed as SSE; the request asks for an event stream."""
    seen: list[httpx.Request] = []
    body = b'data: {"text": "Hel"}\n\ndata: {"text": "lo"}\n\ndata: [DONE]\n\n'
    events: list[StreamEvent] = []
    await collect(echo(sse_handler(200, body, seen)), events)
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    assert isinstance(events[-1], StreamDone)
    assert events[-1].response.text == "Hello"
    assert seen[0].headers["accept"] == "text/event-stream"


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (429, b'{"error": {"message": "slow down"}}', RateLimited),
        (400, b'{"error": {"message": "bad stream option"}}', InvalidRequest),
        (500, b"", ProviderUnavailable),
        (502, HTML_502, ProviderUnavailable),
    ],
)
async def test_open_stream_raises_on_error_status_before_any_chunk(
    status: int, content: bytes, expected: type[ProviderError]
) -> None:
    """An error status on a stream is raised as the typed error, read from the body, before any event."""
    events: list[StreamEvent] = []
    with pytest.raises(expected) as info:
        await collect(echo(sse_handler(status, content)), events)
    assert events == []
    assert info.value.status_code == status


class _BrokenStream(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'data: {"text": "Hel"}\n\n'
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )


async def test_stream_cut_by_the_network_raises_connection_error() -> None:
    """A connection that breaks mid-stream raises ``ProviderConnectionError`` after the events already read."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, stream=_BrokenStream(), headers={"content-type": "text/event-stream"}
        )

    events: list[StreamEvent] = []
    with pytest.raises(ProviderConnectionError, match="broke mid-response") as info:
        await collect(echo(handler), events)
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel"]
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)


async def test_open_stream_translates_connect_failures() -> None:
    """A stream that cannot connect raises ``ProviderConnectionError``."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    with pytest.raises(ProviderConnectionError):
        await collect(echo(handler), [])


async def test_provider_closes_only_the_client_it_created() -> None:
    """``aclose`` closes a client the provider made, never one the caller passed in."""
    given = httpx.AsyncClient(transport=httpx.MockTransport(respond(200, b"{}")))
    provider = EchoProvider("e", api_key=KEY, http_client=given)
    async with provider:
        assert provider.client is given
    assert not given.is_closed
    await given.aclose()

    own = EchoProvider("e", api_key=KEY, timeout=7.0)
    client = own.client
    assert client.timeout == httpx.Timeout(7.0)
    await own.aclose()
    assert client.is_closed


def test_malformed_helper_names_provider_and_model() -> None:
    """``malformed()`` builds the adapter's ``MalformedResponse`` with provider and model filled in."""
    err = EchoProvider("e", api_key=KEY).malformed("no choices", status_code=200)
    assert (err.provider, err.model, err.status_code, err.message) == (
        "echo",
        "e",
        200,
        "no choices",
    )


# -------------------------------------------------------------------------------------- ResponseBuilder


def test_builder_merges_consecutive_text_and_reasoning() -> None:
    """Adjacent fragments of one kind merge; a change of kind starts a new part, in order."""
    b = ResponseBuilder(provider="p")
    b.add_reasoning("think ")
    b.add_reasoning("hard", signature="sig-")
    b.add_reasoning(signature="1")
    b.add_text("Hel")
    b.add_text("")
    b.add_text("lo")
    b.add_refusal("no")
    b.add_refusal(", sorry")
    b.add_text("!")
    r = b.build(finish_reason="stop")
    assert r.parts == (
        ReasoningPart(text="think hard", signature="sig-1", provider="p"),
        TextPart(text="Hello"),
        RefusalPart(text="no, sorry"),
        TextPart(text="!"),
    )


def test_builder_new_reasoning_block_and_provider_state() -> None:
    """``new_block`` splits reasoning; encrypted content and ids are kept for the next request."""
    b = ResponseBuilder(provider="openai")
    b.add_reasoning("a", id="rs_1")
    b.add_reasoning("b", new_block=True, encrypted="gAAA", id="rs_2")
    parts = b.build(finish_reason="stop").parts
    assert parts == (
        ReasoningPart(text="a", id="rs_1", provider="openai"),
        ReasoningPart(text="b", id="rs_2", encrypted="gAAA", provider="openai"),
    )


def test_builder_interleaved_tool_calls_by_key() -> None:
    """Fragments of parallel calls, interleaved and keyed, assemble into whole calls in order of appearance."""
    b = ResponseBuilder(provider="p")
    b.add_text("Checking both.")
    b.tool_call(0, id="call_a", name="weather")
    b.tool_call(1, id="call_b", name="time")
    b.tool_arguments(1, '{"tz":')
    b.tool_arguments(0, '{"city":')
    b.tool_arguments(0, '"Lisbon"}')
    b.tool_arguments(1, '"UTC"}')
    b.tool_arguments(1, "")
    assert b.has_call(0)
    assert b.has_call(1)
    assert not b.has_call(2)
    r = b.build(finish_reason="tool_calls")
    assert r.text == "Checking both."
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == [
        ("call_a", "weather", '{"city":"Lisbon"}'),
        ("call_b", "time", '{"tz":"UTC"}'),
    ]


def test_builder_tool_call_updates_and_replacement() -> None:
    """A later ``tool_call`` fills in the id and name and ``arguments=`` replaces what came before."""
    b = ResponseBuilder(provider="p")
    b.tool_arguments("k", '{"partial"')
    b.tool_call("k", id="call_1", name="f", provider_details={"a": 1})
    b.tool_call("k", arguments='{"whole": true}', provider_details={"b": 2})
    (call,) = b.build(finish_reason="tool_calls").tool_calls
    assert call == ToolCallPart(
        id="call_1", name="f", arguments='{"whole": true}', provider_details={"a": 1, "b": 2}
    )


def test_builder_generates_missing_ids_and_empty_arguments() -> None:
    """Calls without an id (Gemini, an empty ``""`` id) get ``call_<position>``; no arguments means ``{}``."""
    b = ResponseBuilder(provider="gemini")
    b.add_text("x")
    b.tool_call("a", name="first")
    b.tool_call("b", id="", name="second", arguments="   ")
    calls = b.build(finish_reason="tool_calls").tool_calls
    assert [(c.id, c.arguments) for c in calls] == [("call_1", "{}"), ("call_2", "{}")]
    assert len({c.id for c in calls}) == 2


def test_builder_keeps_invalid_json_arguments_raw() -> None:
    """Broken argument JSON is kept verbatim so the runtime can ask the model to repair it."""
    b = ResponseBuilder(provider="p")
    b.tool_call(0, id="c", name="f")
    b.tool_arguments(0, '{"city": "Lis')
    (call,) = b.build(finish_reason="tool_calls").tool_calls
    assert call.arguments == '{"city": "Lis'
    assert not call.arguments_are_json


class Compiled:
    """Stands in for a compiled tool: a canonical name and a decoder of dialect arguments."""

    def __init__(self, name: str, *, fail: bool = False) -> None:
        self.name = name
        self.fail = fail

    def decode(self, value: dict[str, Any]) -> dict[str, Any]:
        if self.fail:
            raise ValueError("cannot decode")
        return {k: v for k, v in value.items() if v is not None}


@pytest.mark.parametrize(
    ("wire_args", "expected"),
    [
        ('{"to": "LIS", "cabin": null}', '{"to":"LIS"}'),
        ("null", "{}"),
        ("", "{}"),
        ('{"to": "LIS"', '{"to": "LIS"'),
        ("[1, 2]", "[1, 2]"),
        ('{"ville": "Zürich"}', '{"ville":"Zürich"}'),
    ],
    ids=["decoded", "null", "empty", "invalid-json", "not-an-object", "non-ascii"],
)
def test_builder_name_map_decodes_names_and_arguments(wire_args: str, expected: str) -> None:
    """``name_map`` restores canonical names and decodes arguments; what cannot be decoded stays raw."""
    b = ResponseBuilder(provider="p")
    b.tool_call(0, id="c", name="travel_search", arguments=wire_args)
    b.tool_call(1, id="d", name="unmapped", arguments='{"a": null}')
    calls = b.build(
        finish_reason="tool_calls", name_map={"travel_search": Compiled("travel.search")}
    ).tool_calls
    assert (calls[0].name, calls[0].arguments) == ("travel.search", expected)
    assert (calls[1].name, calls[1].arguments) == ("unmapped", '{"a": null}')


def test_builder_decoder_failure_keeps_arguments() -> None:
    """A decoder that raises leaves the raw arguments for validation to explain to the model."""
    b = ResponseBuilder(provider="p")
    b.tool_call(0, id="c", name="f", arguments='{"x": 1}')
    (call,) = b.build(
        finish_reason="tool_calls", name_map={"f": Compiled("g", fail=True)}
    ).tool_calls
    assert (call.name, call.arguments) == ("g", '{"x": 1}')


def test_builder_carries_usage_model_id_and_raw() -> None:
    """Usage, model, response id, finish reasons and the raw payload reach the response; raw stays out of dumps."""
    b = ResponseBuilder(provider="p")
    b.usage = Usage(input_tokens=10, output_tokens=3, cache_read_tokens=4)
    b.model, b.response_id = "m-1", "resp_1"
    r = b.build(finish_reason="length", raw_finish_reason="max_tokens", raw={"secret": "payload"})
    assert (r.usage.input_tokens, r.model, r.response_id, r.raw_finish_reason) == (
        10,
        "m-1",
        "resp_1",
        "max_tokens",
    )
    assert r.raw == {"secret": "payload"}
    assert "payload" not in r.model_dump_json()
    assert "payload" not in repr(r)


# ---------------------------------------------------------------------------------------- infer_provider


@pytest.mark.parametrize("spec", ["gpt-4.1", "openai", "openai:", ""])
def test_infer_provider_needs_prefix_and_model(spec: str) -> None:
    """A spec without ``prefix:model`` is a ``UsageError`` showing the expected form and the prefixes."""
    with pytest.raises(UsageError, match="needs the form 'prefix:model'") as info:
        infer_provider(spec)
    assert "anthropic" in info.value.message


def test_infer_provider_unknown_prefix_suggests_the_closest() -> None:
    """A misspelt prefix gets a did-you-mean; a strange one gets the list of known prefixes."""
    with pytest.raises(
        UsageError, match=r"unknown provider prefix 'opneai' \(did you mean 'openai'\?\)"
    ):
        infer_provider("opneai:gpt-4.1")
    with pytest.raises(UsageError, match="known prefixes: ") as info:
        infer_provider("zzzzzz:model")
    assert "did you mean" not in info.value.message


def adapter_or_skip(prefix: str) -> str:
    """The adapter module for ``prefix``; skip only while that module has not been written."""
    module = PROVIDER_PREFIXES[prefix][0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} does not exist yet")
    return module


@pytest.mark.parametrize("prefix", sorted(PROVIDER_PREFIXES))
def test_infer_provider_url_suffix_sets_base_url(prefix: str) -> None:
    """``prefix:model@URL`` builds that prefix's adapter with the model name and the URL as base URL."""
    adapter_or_skip(prefix)
    provider = infer_provider(f"{prefix}:some-model@http://127.0.0.1:9/v1", api_key=KEY, retry=None)
    _, class_name, _ = PROVIDER_PREFIXES[prefix]
    assert type(provider).__name__ == class_name
    assert provider.model == "some-model"
    assert provider.base_url == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    assert KEY not in repr(provider)


def test_infer_provider_keeps_at_signs_that_are_not_urls() -> None:
    """Only an ``@`` that starts a URL splits, so model names holding one survive, and ``base_url=`` wins."""
    adapter_or_skip("openai-compatible")
    provider = infer_provider(
        "openai-compatible:my-model@2025@https://llm.internal/v1", api_key=KEY, retry=None
    )
    assert (provider.model, provider.base_url) == ("my-model@2025", "https://llm.internal/v1")  # type: ignore[attr-defined]
    adapter_or_skip("openai")
    provider = infer_provider("openai:ft-model@v2", api_key=KEY, retry=None)
    assert provider.model == "ft-model@v2"
    provider = infer_provider(
        "openai:gpt-4.1@http://ignored.invalid/v1",
        api_key=KEY,
        base_url="http://chosen.invalid/v1",
        retry=None,
    )
    assert provider.base_url == "http://chosen.invalid/v1"  # type: ignore[attr-defined]


def test_infer_provider_imports_only_the_adapter_it_needs() -> None:
    """Building an OpenAI provider loads ``agentkit.providers.openai`` and no other adapter."""
    adapter_or_skip("openai")
    code = (
        "import sys\n"
        "from agentkit.providers import infer_provider\n"
        "infer_provider('openai:gpt-4.1', api_key='sk-test-0000000000')\n"
        "print(sorted(m for m in sys.modules if m.startswith('agentkit.providers.') and not m.split('.')[-1].startswith('_')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "['agentkit.providers.openai']"


# -------------------------------------------------------------------------------------------- PriceTable


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4.1", "gpt-4.1"),
        ("gpt-4.1-2025-04-14", "gpt-4.1"),
        ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai/gpt-4.1", "gpt-4.1"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
        ("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ],
)
def test_price_lookup_by_exact_name_or_longest_prefix(model: str, key: str) -> None:
    """Dated and routed model names find their family's price, the longest matching prefix first."""
    assert PriceTable().price_for(model) == DEFAULT_PRICES[key]


@pytest.mark.parametrize("model", ["gpt-4.1x", "gpt", "llama3.2", "claude-sonnet-4", ""])
def test_unknown_models_have_no_price(model: str) -> None:
    """A model no entry matches (not even as a ``-`` prefix) has no price and no estimate."""
    table = PriceTable()
    assert table.price_for(model) is None
    assert table.estimate(Usage(input_tokens=1000), model) is None


def test_estimate_prices_cached_and_cache_write_tokens_apart() -> None:
    """Cached reads and cache writes are priced at their own rates; input counts them, so they are not billed twice."""
    usage = Usage(
        input_tokens=1_000_000,
        cache_read_tokens=400_000,
        cache_write_tokens=100_000,
        output_tokens=200_000,
        reasoning_tokens=50_000,
    )
    # claude-sonnet-4-5: 500k uncached x $3 + 400k x $0.30 + 100k x $3.75 + 200k x $15 (reasoning is output)
    assert PriceTable().estimate(usage, "claude-sonnet-4-5") == pytest.approx(
        1.5 + 0.12 + 0.375 + 3.0
    )


def test_cache_prices_default_to_the_input_price() -> None:
    """Without cache prices, cached tokens cost what input tokens cost."""
    table = PriceTable({"m": ModelPrice(input=1.0, output=2.0)})
    usage = Usage(input_tokens=1_000_000, cache_read_tokens=500_000, cache_write_tokens=250_000)
    assert table.estimate(usage, "m") == pytest.approx(1.0)


def test_estimate_never_bills_negative_uncached_tokens() -> None:
    """Inconsistent usage (more cached than input) bills no negative uncached tokens."""
    table = PriceTable({"m": ModelPrice(input=1.0, output=0.0, cache_read=0.5)})
    assert table.estimate(
        Usage(input_tokens=10, cache_read_tokens=1_000_000), "m"
    ) == pytest.approx(0.5)


def test_update_adds_and_replaces_prices() -> None:
    """``update`` takes a mapping or pairs, adds new models and replaces known ones; other tables are untouched."""
    table = PriceTable()
    table.update({"gpt-4.1": ModelPrice(input=1.0, output=1.0)})
    table.update([("house-model", ModelPrice(input=0.5, output=0.5))])
    assert table.price_for("gpt-4.1-2025-04-14") == ModelPrice(input=1.0, output=1.0)
    assert table.estimate(Usage(output_tokens=2_000_000), "house-model") == pytest.approx(1.0)
    assert PriceTable().price_for("gpt-4.1") == DEFAULT_PRICES["gpt-4.1"]


def test_a_custom_table_replaces_the_defaults() -> None:
    """A table built from the user's prices knows only those."""
    table = PriceTable({"only": ModelPrice(input=1.0, output=1.0)})
    assert table.price_for("gpt-4.1") is None
    assert table.price_for("only-2026") is not None


def test_empty_usage_costs_nothing() -> None:
    """Zero tokens cost zero dollars for a known model."""
    assert PriceTable().estimate(Usage(), "gpt-4.1") == 0.0


def test_default_prices_are_non_negative() -> None:
    """Every default price has non-negative rates, cache rates included."""
    for price in DEFAULT_PRICES.values():
        assert min(price.input, price.output, price.cache_read_price, price.cache_write_price) >= 0
