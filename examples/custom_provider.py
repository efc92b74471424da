"""A provider for a new wire format in a few dozen lines: subclass HttpProvider, supply the hooks.

"Tiny" is an invented JSON API: ``POST /generate`` takes the conversation and the tools, and answers with one JSON
object (``{"text": ..., "calls": [{"id": ..., "tool": ..., "args": "<JSON text>"}], "stop": "done",
"usage": {"in": 9, "out": 4}}``), or, when asked to
stream, with SSE events that each carry some of those keys. Errors are ``{"problem": "..."}``.

The provider below is all it takes: the driver (`agentkit.providers.http.HttpProvider`) sends, enforces the
timeouts and size caps, decodes JSON and SSE, and turns every failure into a typed error; the provider only
builds the body, reads an answer, and says what its errors mean. The rest of this file is a loopback Tiny server
and a run of an `Agent` over it, wrapped in a `RetryPolicy`, streamed.

Run it: ``python examples/custom_provider.py`` (offline: the server listens on 127.0.0.1).
"""

# --8<-- [start:provider]
from __future__ import annotations

from typing import Any

from agentkit.messages import Message, Usage
from agentkit.providers import (
    ModelRequest,
    ModelResponse,
    ResponseBuilder,
    TextDelta,
    ToolCallDelta,
)
from agentkit.providers.http import HttpProvider, StreamState


def tiny_turn(m: Message) -> dict[str, Any]:
    """One message in Tiny's shape: its text, tool calls and tool results."""
    calls = [{"id": c.id, "tool": c.name, "args": c.arguments} for c in m.tool_calls]
    results = [{"id": r.tool_call_id, "text": r.content} for r in m.tool_results]
    return {"role": m.role, "text": m.text, "calls": calls, "results": results}


class TinyStream(StreamState):
    """Fed one Tiny event at a time (a whole answer is one event): deltas out, the response at the end."""

    def __init__(self, provider: TinyProvider, tools: dict[str, Any]) -> None:
        super().__init__()
        self.provider, self.tools, self.calls, self.stop = provider, tools, 0, None
        self.builder = ResponseBuilder(provider=provider.system)

    def feed(self, event: str, payload: Any) -> list[Any]:
        deltas: list[Any] = [TextDelta(payload["text"])] if payload.get("text") else []
        self.builder.add_text(payload.get("text") or "")
        for call in payload.get("calls") or ():
            n, args, tool = self.calls, call["args"], self.tools.get(call["tool"])
            self.builder.tool_call(n, id=call["id"], name=call["tool"], arguments=args)
            name = tool.name if tool else call["tool"]  # deltas carry canonical names
            deltas.append(ToolCallDelta(index=n, id=call["id"], name=name, arguments=args))
            self.calls += 1
        if "stop" in payload:
            self.stop, self.done, used = payload["stop"], True, payload.get("usage") or {}
            self.builder.usage = Usage(input_tokens=used["in"], output_tokens=used["out"])
        return deltas

    def finish(self) -> ModelResponse:
        if self.stop is None:
            raise self.provider.malformed(self.cut)
        reason = "tool_calls" if self.calls else "stop"
        return self.builder.build(
            finish_reason=reason, raw_finish_reason=self.stop, name_map=self.tools
        )


class TinyProvider(HttpProvider):
    """Tiny's API over the shared HTTP driver: four hooks."""

    system = "tiny"
    path = "/generate"

    def encode(self, request: ModelRequest, *, stream: bool) -> tuple[dict[str, Any], Any]:
        tools = self.compile_tools(request)
        turns = [tiny_turn(m) for m in request.messages]
        specs = [{"name": wire, "schema": tool.schema} for wire, tool in tools.items()]
        return {"model": self.model, "stream": stream, "turns": turns, "tools": specs}, tools

    def parse_response(self, data: Any, context: Any) -> ModelResponse:
        if not isinstance(data, dict):
            raise self.malformed("a Tiny answer is a JSON object")
        state = self.stream_state(context)
        state.feed("answer", data)
        return state.finish()

    def stream_state(self, context: Any) -> TinyStream:
        return TinyStream(self, context)

    def classify_error(self, status: int, headers: Any, body: Any, text: str) -> Any:
        if isinstance(body, dict) and isinstance(body.get("problem"), str):
            body = {"error": {"message": body["problem"]}}  # the shape the shared classifier reads
        return super().classify_error(status, headers, body, text)


# --8<-- [end:provider]

import contextlib  # noqa: E402 - the loopback server and the demo follow the provider the docs quote
import json  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

Responder = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]
"""Decides one Tiny answer from the request body: (HTTP status, answer object or ``{"problem": ...}``)."""


@contextlib.contextmanager
def serve_tiny(respond: Responder) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A Tiny server on 127.0.0.1: yields its base URL and the list of request bodies it received.

    A streamed answer goes out as SSE, one event per word of its text, then one with the calls and ``stop``.
    """
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            body["_authorization"] = self.headers.get("authorization")
            seen.append(body)
            status, answer = respond(body)
            if status != 200 or not body.get("stream"):
                payload, kind = json.dumps(answer).encode(), "application/json"
            else:
                words = [{"text": w} for w in answer.get("text", "").split(" ") if w]
                rest = {k: v for k, v in answer.items() if k != "text"}
                events = [*words[:1], *({"text": " " + w["text"]} for w in words[1:]), rest]
                payload = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
                kind = "text/event-stream"
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main() -> None:
    """An agent over Tiny: a tool call, its result, a streamed answer, one retried 503 on the way."""
    import anyio
    import httpx

    from agentkit import tool
    from agentkit.resilience import RetryPolicy
    from agentkit.runtime import Agent

    @tool
    def weather(city: str) -> str:
        """Today's weather in a city."""
        return f"18 C and sunny in {city}"

    busy = [True]

    def respond(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if busy.pop() if busy else False:
            return 503, {"problem": "warming up"}
        results = [r for turn in body["turns"] for r in turn["results"]]
        if results:
            return 200, {"text": "Sunny, 18 C.", "stop": "done", "usage": {"in": 30, "out": 4}}
        call = {"id": "t1", "tool": "weather", "args": '{"city": "Lisbon"}'}
        return 200, {"calls": [call], "stop": "tools", "usage": {"in": 20, "out": 5}}

    async def run(url: str) -> None:
        # trust_env=False: a server on 127.0.0.1 is reached directly, whatever proxy the environment names
        async with httpx.AsyncClient(trust_env=False) as client:
            tiny = TinyProvider("tiny-1", api_key="tiny-demo-key", base_url=url, http_client=client)
            agent = Agent(RetryPolicy(tiny, initial_delay=0.01), tools=[weather])
            async with agent.run_stream("Weather in Lisbon?") as stream:
                deltas = [item.text async for item in stream if isinstance(item, TextDelta)]
        print("streamed", deltas)
        print("output  ", stream.result.output)

    with serve_tiny(respond) as (url, seen):
        anyio.run(run, url)
    print("requests", len(seen), "(one 503 retried)")


if __name__ == "__main__":
    main()
