"""The tool endpoints over a real uvicorn server: listing, contracts in dialects, invocation, and the defaults."""

from __future__ import annotations

import json
from typing import Annotated

import httpx
import pytest

from agentkit import Registry, Sensitive, ToolFailed
from agentkit.exceptions import UsageError
from agentkit.server import APIKeys, NoAuth, ServerLimits, create_app
from agentkit.testing import MockClock

from .conftest import KEY, serving

registry = Registry()


@registry.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@registry.tool(version="2.0.0", name="add")
def add_v2(a: int, b: int, c: int = 0) -> int:
    """Add two or three integers."""
    return a + b + c


@registry.tool
def leak(text: str) -> str:
    """Echo text, with the service's key appended (a tool that leaks)."""
    return f"{text} {KEY}"


@registry.tool
def crash(x: int) -> int:
    """Always crashes."""
    raise RuntimeError(f"database password is {KEY}")


@registry.tool
def refuse(x: int) -> int:
    """Refuses politely."""
    raise ToolFailed("not today")


@registry.tool
def login(user: str, password: Annotated[str, Sensitive()]) -> str:
    """Log in."""
    return f"welcome {user}"


HEADERS = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def url() -> object:
    """One live service for the module."""
    with serving(create_app(tools=registry, auth=APIKeys({KEY: "tests"}))) as base:
        yield base


def test_auth_is_required_and_none_is_refused() -> None:
    """``auth=None`` is a usage error: serving without authentication must be said with ``NoAuth()``."""
    with pytest.raises(UsageError, match="NoAuth"):
        create_app(tools=registry, auth=None)


def test_unauthenticated_requests_get_a_401_problem(url: str) -> None:
    """No key, a wrong key and a non-bearer Authorization are each a 401 problem; the health check is open."""
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": f"Basic {KEY}"}):
        response = httpx.get(url + "/v1/tools", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/unauthorized")
    assert httpx.get(url + "/health").json() == {"status": "ok"}
    ok = httpx.get(url + "/v1/tools", headers={"Authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200


def test_tools_are_listed_with_every_version(url: str) -> None:
    """The listing names each tool version with its fingerprint."""
    tools = httpx.get(url + "/v1/tools", headers=HEADERS).json()["tools"]
    assert [(t["name"], t["version"]) for t in tools if t["name"] == "add"] == [
        ("add", "1.0.0"),
        ("add", "2.0.0"),
    ]
    assert all(t["fingerprint"].startswith("sha256:") for t in tools)


def test_contracts_come_in_any_dialect(url: str) -> None:
    """The canonical contract by default, a compiled definition with ``dialect``; unknown ones are problems."""
    contract = httpx.get(url + "/v1/tools/add/contract?version=^1", headers=HEADERS).json()
    assert contract["version"] == "1.0.0"
    assert contract["input_schema"]["required"] == ["a", "b"]
    compiled = httpx.get(
        url + "/v1/tools/add/contract", params={"dialect": "openai-strict"}, headers=HEADERS
    ).json()
    assert compiled["version"] == "2.0.0"
    assert compiled["definition"]["function"]["strict"] is True
    gemini = httpx.get(url + "/v1/tools/add/contract?dialect=gemini", headers=HEADERS).json()
    assert gemini["definition"]["parameters"]["properties"]["a"]["type"] == "INTEGER"
    bad = httpx.get(url + "/v1/tools/add/contract?dialect=opnai", headers=HEADERS)
    assert bad.status_code == 404
    assert "did you mean 'openai'" in bad.json()["detail"]
    missing = httpx.get(url + "/v1/tools/ad/contract", headers=HEADERS)
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/tool-not-found")


def test_invoke_returns_the_invoke_json_outcome(url: str) -> None:
    """Success, a tool's own failure and a crash are outcomes; bad arguments are a 422 carrying the repair hint."""
    ok = httpx.post(url + "/v1/tools/add/invoke?version=^1", json={"a": 2, "b": 3}, headers=HEADERS)
    assert ok.json() == {
        "tool": "add",
        "version": "1.0.0",
        "status": "success",
        "content": "5",
        "is_error": False,
    }
    exact = httpx.post(
        url + "/v1/tools/add/versions/2.0.0/invoke", json={"a": 2, "b": 3, "c": 4}, headers=HEADERS
    )
    assert exact.json()["content"] == "9"
    failed = httpx.post(url + "/v1/tools/refuse/invoke", json={"x": 1}, headers=HEADERS).json()
    assert (failed["status"], failed["content"]) == ("failed", "not today")
    bad = httpx.post(url + "/v1/tools/add/invoke", json={"a": "two"}, headers=HEADERS)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    hint = json.loads(bad.json()["outcome"]["content"])
    assert hint["error"] == "invalid_arguments"
    assert hint["tool"] == "add"
    wrong_version = httpx.post(
        url + "/v1/tools/add/versions/1.5.0/invoke", json={"a": 1, "b": 1}, headers=HEADERS
    )
    assert wrong_version.status_code == 404


def test_no_stack_trace_or_secret_in_any_response(url: str) -> None:
    """A crashing tool and a leaking tool reveal neither a traceback nor the API key; sensitive args are not echoed."""
    crashed = httpx.post(url + "/v1/tools/crash/invoke", json={"x": 1}, headers=HEADERS)
    leaked = httpx.post(url + "/v1/tools/leak/invoke", json={"text": "hi"}, headers=HEADERS)
    rejected = httpx.post(
        url + "/v1/tools/login/invoke", json={"user": 5, "password": "pw-77310"}, headers=HEADERS
    )
    assert crashed.json()["status"] == "error"
    assert leaked.json()["content"].startswith("hi ")
    for response in (crashed, leaked, rejected):
        assert KEY not in response.text
        assert "Traceback" not in response.text
        assert "RuntimeError" not in response.text
    assert "pw-77310" not in rejected.text


def test_errors_are_problem_details(url: str) -> None:
    """Unknown routes, wrong methods and malformed bodies all answer application/problem+json."""
    unknown = httpx.get(url + "/v1/nothing", headers=HEADERS)
    method = httpx.delete(url + "/v1/tools", headers=HEADERS)
    malformed = httpx.post(url + "/v1/runs", content=b"{not json", headers=HEADERS)
    for response, status in ((unknown, 404), (method, 405), (malformed, 422)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert {"type", "title", "detail"} <= set(body)
    assert "GET" in method.headers["allow"]


def test_cors_is_off_by_default_and_on_when_asked(url: str) -> None:
    """Without ``cors_origins`` no CORS header is sent; with it, the named origin is allowed."""
    origin = {"Origin": "https://app.example", **HEADERS}
    assert "access-control-allow-origin" not in httpx.get(url + "/v1/tools", headers=origin).headers
    app = create_app(tools=registry, auth=APIKeys({KEY: "t"}), cors_origins=["https://app.example"])
    with serving(app) as other:
        allowed = httpx.get(other + "/v1/tools", headers=origin)
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"


def test_request_bodies_are_limited() -> None:
    """A body over the limit is a 413 problem, whether declared by Content-Length or streamed in chunks."""
    app = create_app(tools=registry, auth=NoAuth(), limits=ServerLimits(max_body_bytes=64))
    with serving(app) as base:
        declared = httpx.post(base + "/v1/tools/leak/invoke", json={"text": "x" * 100})

        def chunks() -> object:
            yield b'{"text": "'
            yield b"y" * 100
            yield b'"}'

        streamed = httpx.post(base + "/v1/tools/leak/invoke", content=chunks())
        small = httpx.post(base + "/v1/tools/leak/invoke", json={"text": "x"})
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["type"].endswith("/body-too-large")
    assert small.status_code == 200


def test_each_client_is_rate_limited() -> None:
    """A client past its burst gets 429 with Retry-After; another client is unaffected; time refills the bucket."""
    clock = MockClock()
    limits = ServerLimits(requests_per_minute=60, burst=2, clock=clock)
    app = create_app(tools=registry, auth=APIKeys({KEY: "a", "other-key-2": "b"}), limits=limits)
    with serving(app) as base:
        first = [httpx.get(base + "/v1/tools", headers=HEADERS).status_code for _ in range(3)]
        other = httpx.get(base + "/v1/tools", headers={"X-API-Key": "other-key-2"}).status_code
        limited = httpx.get(base + "/v1/tools", headers=HEADERS)
        clock.advance(1.0)
        again = httpx.get(base + "/v1/tools", headers=HEADERS).status_code
    assert first == [200, 200, 429]
    assert other == 200
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert again == 200


def test_openapi_has_one_operation_per_tool_version(url: str) -> None:
    """Each tool version is an operation whose body is its input schema; versions are in the path and the id."""
    document = httpx.get(url + "/openapi.json").json()
    paths = document["paths"]
    v1 = paths["/v1/tools/add/versions/1.0.0/invoke"]["post"]
    v2 = paths["/v1/tools/add/versions/2.0.0/invoke"]["post"]
    assert v1["operationId"] == "invoke_add_1_0_0"
    assert v2["operationId"] == "invoke_add_2_0_0"
    body = v2["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"a", "b", "c"}
    assert (
        v2["x-agentkit-contract"]["fingerprint"] == registry.get("add", "^2").contract.fingerprint
    )
    assert v1["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "application/problem+json" in v1["responses"]["default"]["content"]
