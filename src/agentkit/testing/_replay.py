"""Replaying recorded HTTP traffic (VCR-style cassettes and bare bodies) through ``httpx.MockTransport``."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError

if TYPE_CHECKING:
    import httpx

__all__ = ("Cassette", "Interaction", "ReplayTransport", "load_cassette", "sse_from_chunks")


@dataclass(frozen=True)
class Interaction:
    """One recorded HTTP exchange.

    Attributes:
        method: HTTP method.
        uri: The recorded URL.
        request_body: The request body, parsed from JSON when it was JSON (else text, or ``None``).
        status: The response status code.
        headers: Response headers (lower-case names, first value of each).
        body: The raw response body bytes (decompressed).
    """

    method: str
    uri: str
    request_body: Any
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The response body parsed as JSON."""
        return json.loads(self.body)

    @property
    def is_sse(self) -> bool:
        """Whether the response is an event stream."""
        return "text/event-stream" in self.headers.get("content-type", "")


@dataclass(frozen=True)
class Cassette:
    """A recorded conversation: interactions in the order they happened.

    Examples:
        >>> Cassette(path="x", interactions=()).interactions
        ()
    """

    path: str
    interactions: tuple[Interaction, ...] = field(default_factory=tuple)


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value)


def _body_bytes(response: Mapping[str, Any]) -> bytes:
    if "parsed_body" in response:
        return json.dumps(response["parsed_body"]).encode()
    body = response.get("body")
    raw = body.get("string") if isinstance(body, Mapping) else body
    if raw is None:
        return b""
    data = raw if isinstance(raw, bytes) else str(raw).encode()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def load_cassette(path: str | Path) -> Cassette:
    """Load a VCR cassette (pydantic-ai or vcrpy dialect), normalising bodies and headers.

    Needs PyYAML (``pip install "agentkit-contracts[testing]"``).
    """
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - the testing extra is installed in our suite
        raise MissingExtraError(extra="testing", package="pyyaml") from exc
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    interactions = []
    for item in data.get("interactions", []):
        req, resp = item["request"], item["response"]
        if "parsed_body" in req:
            request_body: Any = req["parsed_body"]
        else:
            text = req.get("body")
            if isinstance(text, Mapping):
                text = text.get("string")
            try:
                request_body = json.loads(text) if text else None
            except (TypeError, ValueError):
                request_body = text
        headers = {str(k).lower(): _first(v) for k, v in (resp.get("headers") or {}).items()}
        headers.pop("content-encoding", None)
        headers.pop("content-length", None)
        interactions.append(
            Interaction(
                method=str(req.get("method", "POST")).upper(),
                uri=str(req.get("uri", "")),
                request_body=request_body,
                status=int(resp["status"]["code"])
                if isinstance(resp.get("status"), Mapping)
                else int(resp.get("status", 200)),
                headers=headers,
                body=_body_bytes(resp),
            )
        )
    return Cassette(path=str(path), interactions=tuple(interactions))


def sse_from_chunks(lines: Iterable[str], *, with_event_names: bool = False) -> bytes:
    r"""Frame bare JSON chunks (``*.stream-chunks.jsonl``) as an SSE body.

    With ``with_event_names``, add ``event:`` lines named after each chunk's ``type`` (Anthropic, OpenAI Responses).

    Examples:
        >>> sse_from_chunks(['{"type":"ping"}'], with_event_names=True)
        b'event: ping\ndata: {"type":"ping"}\n\n'
    """
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if with_event_names:
            out.append(f"event: {json.loads(line).get('type', 'message')}\n")
        out.append(f"data: {line}\n\n")
    return "".join(out).encode()


class ReplayTransport:
    """An ``httpx.MockTransport`` that answers requests with recorded interactions, in order.

    Every request is kept in :attr:`requests` (method, URL, parsed JSON body) so tests can compare what the
    adapter sent with what the recording sent. Running out of interactions raises ``AssertionError``.

    Examples:
        >>> import httpx
        >>> transport = ReplayTransport.from_bodies([(200, {"ok": True})])
        >>> client = httpx.Client(transport=transport.mock())
        >>> client.post("https://example.invalid/x", json={"a": 1}).json(), transport.requests[0]["json"]
        ({'ok': True}, {'a': 1})
    """

    def __init__(self, interactions: Iterable[Interaction]) -> None:
        self.interactions = list(interactions)
        self.requests: list[dict[str, Any]] = []

    @classmethod
    def from_cassette(cls, path: str | Path) -> ReplayTransport:
        """Replay every interaction of a cassette file."""
        return cls(load_cassette(path).interactions)

    @classmethod
    def from_bodies(
        cls,
        bodies: Iterable[tuple[int, Any]],
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> ReplayTransport:
        """Replay bare bodies (``(status, dict | str | bytes)``): dicts are sent as JSON."""
        items = []
        for status, body in bodies:
            if isinstance(body, bytes):
                data = body
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = json.dumps(body).encode()
            items.append(
                Interaction(
                    method="POST",
                    uri="",
                    request_body=None,
                    status=status,
                    headers={"content-type": content_type, **(headers or {})},
                    body=data,
                )
            )
        return cls(items)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request with the next interaction."""
        import httpx

        try:
            parsed: Any = json.loads(request.content) if request.content else None
        except ValueError:
            parsed = request.content.decode(errors="replace")
        self.requests.append(
            {
                "method": request.method,
                "url": str(request.url),
                "headers": dict(request.headers),
                "json": parsed,
            }
        )
        if not self.interactions:
            raise AssertionError(f"no recorded interaction left for {request.method} {request.url}")
        item = self.interactions.pop(0)
        return httpx.Response(item.status, headers=dict(item.headers), content=item.body)

    def mock(self) -> httpx.MockTransport:
        """The ``httpx.MockTransport`` to hand to an ``AsyncClient`` / ``Client``."""
        import httpx

        return httpx.MockTransport(self.handler)
