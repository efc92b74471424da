"""Provider adapter overhead (issue 4): SSE throughput and per-response parse time against raw httpx + json.loads.

Usage::

    python benchmarks/bench_providers.py [--quick] [--json out.json]
    python benchmarks/run.py --only providers [--quick]

Three measurements, every one through a real ``httpx.AsyncClient`` over an ``httpx.MockTransport`` (no network),
the body served in chunks of a fixed size, as a socket would deliver it:

* **SSE, synthetic**: an OpenAI Chat Completions stream of 5,000 chunks (text deltas, then two parallel tool
  calls streamed in argument fragments, a finish chunk, a usage chunk, ``[DONE]``). The floor is the httpx way:
  ``response.aiter_lines()`` and ``json.loads`` on every ``data:`` line. Against it: ``agentkit.providers._sse.
  iter_sse(response.aiter_bytes())`` + the same ``json.loads``, and (when ``agentkit.providers.openai`` exists)
  the whole adapter, ``OpenAIChatProvider.stream(request)`` (SSE, JSON, assembling deltas, the final response).
  Each is measured with 1 KiB chunks (a live stream), 64 KiB chunks (httpx's read size, what a client that
  fell behind receives) and the whole body as one chunk (a replay: ``httpx.MockTransport``, a cassette).
* **SSE, recorded**: every ``fixtures/*/sse/*.sse`` file, all of them parsed once per call, replayed many times.
* **complete()**: per recorded non-streaming 200 response of each adapter that exists (``openai``, ``anthropic``,
  ``gemini``), ``await provider.complete(request)`` against ``client.post(...)`` + ``json.loads`` of the same body
  through the same transport; and ``parse_completion(data)`` alone. An adapter that is not there yet is reported
  as "not available yet".

Method: interleaved rounds, ratio to the floor in the same round, median of the ratios (see ``_harness.py``).
Throughput is the body size divided by the median time per pass.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import runpy
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness
import httpx

__all__ = ("main", "run")

# The recorded traffic the test suite replays, located by the suite's own helper (tests/fixtures).
FIXTURES: Path = runpy.run_path(
    str(Path(__file__).resolve().parents[1] / "tests" / "_fixtures.py")
)["FIXTURES"]
ADAPTERS = (
    # (module, fixture directory, model)
    ("openai", "openai-chat", "gpt-4.1"),
    ("anthropic", "anthropic", "claude-sonnet-4-5"),
    ("gemini", "gemini", "gemini-2.5-flash"),
    ("openai_responses", "openai-responses", "gpt-4.1"),
)
# The adapters' body parsers.
PARSE_METHODS = ("parse_completion", "parse_message", "parse_response")
perf_counter = time.perf_counter
AsyncCall = Callable[[], Awaitable[Any]]


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:160]


async def measure_rounds(
    contenders: Sequence[tuple[str, AsyncCall]],
    *,
    duration: float,
    min_rounds: int,
    batch_seconds: float = 0.01,
) -> list[_harness.Result]:
    """``_harness.measure_async`` with fewer warm-up calls, for passes that take milliseconds each."""
    results = [_harness.Result(name) for name, _ in contenders]
    calls = [call for _, call in contenders]
    for result, call in zip(results, calls, strict=True):
        for _ in range(2):
            await call()
        start = perf_counter()
        for _ in range(3):
            await call()
        per = (perf_counter() - start) / 3
        result.batch = max(1, min(10_000, round(batch_seconds / max(per, 1e-9))))
    order = list(range(len(calls)))
    deadline = perf_counter() + duration
    rnd = 0
    while rnd < min_rounds or perf_counter() < deadline:
        k = rnd % len(order)
        times = [0.0] * len(calls)
        for i in order[k:] + order[:k]:
            call, n = calls[i], results[i].batch
            start = perf_counter()
            for _ in range(n):
                await call()
            times[i] = (perf_counter() - start) / n
        for i, result in enumerate(results):
            result.per_call.append(times[i])
            result.ratios.append(times[i] / times[0])
        rnd += 1
    return results


# ----------------------------------------------------------------------------------------------- transport


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes, size: int) -> None:
        self.body = body
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        body, size = self.body, self.size
        for i in range(0, len(body), size):
            yield body[i : i + size]


def _client(
    bodies: Sequence[bytes], *, content_type: str, chunk: int
) -> tuple[httpx.AsyncClient, list[int]]:
    """A client whose every request gets the next body (cycling), cut into ``chunk``-byte pieces."""
    cursor = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        body = bodies[cursor[0] % len(bodies)]
        cursor[0] += 1
        return httpx.Response(
            200, headers={"content-type": content_type}, stream=_Chunks(body, chunk)
        )

    return httpx.AsyncClient(
        transport=httpx.MockTransport(handler), base_url="http://bench.invalid"
    ), cursor


# ----------------------------------------------------------------------------------------------- SSE bodies


def synthetic_openai_stream(n_chunks: int = 5000) -> bytes:
    """An OpenAI chat-completion stream of ``n_chunks`` data events, shaped like the recordings."""
    head = (
        '{"id":"chatcmpl-Bench0000000000000000000000000","object":"chat.completion.chunk","created":1754693439,'
        '"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_07871e2ad8",'
    )
    words = (
        "The",
        " weather",
        " in",
        " Paris",
        " is",
        " mild",
        ",",
        " with",
        " light",
        " rain",
        ".",
    )
    events = [
        head + '"usage":null,"choices":[{"index":0,"delta":{"role":"assistant","content":""},'
        '"logprobs":null,"finish_reason":null}],"obfuscation":"3Y6yaTIPlXV"}'
    ]
    n_text = n_chunks * 3 // 5
    n_args = (n_chunks - n_text - 4) // 2
    for i in range(n_text):
        content = json.dumps(words[i % len(words)])
        events.append(
            head
            + f'"usage":null,"choices":[{{"index":0,"delta":{{"content":{content}}},"logprobs":null,'
            f'"finish_reason":null}}],"obfuscation":"q{i % 97:02d}Zk"}}'
        )
    fragments = ('{"', "city", '":"', "Par", "is", '","', "unit", '":"', "c", '"}')
    for call in range(2):
        events.append(
            head + f'"usage":null,"choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":{call},'
            f'"id":"call_bench{call}","type":"function","function":{{"name":"get_weather","arguments":""}}}}]}},'
            '"logprobs":null,"finish_reason":null}],"obfuscation":"ab"}'
        )
        for i in range(n_args):
            # Keep the arguments valid JSON overall: a long string value, then the closing fragment.
            piece = fragments[i] if i < 5 else ("x" if i < n_args - 1 else '"}')
            if i == 5:
                piece = '","notes":"'
            events.append(
                head
                + f'"usage":null,"choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":{call},'
                f'"function":{{"arguments":{json.dumps(piece)}}}}}]}},"logprobs":null,"finish_reason":null}}],'
                '"obfuscation":"cd"}'
            )
    events.append(
        head
        + '"usage":null,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],'
        '"obfuscation":"ef"}'
    )
    events.append(
        head
        + '"choices":[],"usage":{"prompt_tokens":84,"completion_tokens":2954,"total_tokens":3038,'
        '"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":'
        '{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},'
        '"obfuscation":"gh"}'
    )
    return "".join(f"data: {e}\n\n" for e in events).encode() + b"data: [DONE]\n\n"


def recorded_sse() -> list[tuple[str, bytes]]:
    """Every recorded ``*.sse`` body under ``tests/fixtures``."""
    return [
        (str(p.relative_to(FIXTURES)), p.read_bytes()) for p in sorted(FIXTURES.glob("*/sse/*.sse"))
    ]


def _is_json(data: str) -> bool:
    return data.startswith("{")


def sse_contenders(client: httpx.AsyncClient, n_bodies: int) -> list[tuple[str, AsyncCall]]:
    """Floor (aiter_lines + json.loads) and iter_sse + json.loads, each parsing ``n_bodies`` responses per call."""
    from agentkit.providers._sse import iter_sse

    loads = json.loads

    async def floor() -> int:
        n = 0
        for _ in range(n_bodies):
            async with client.stream("POST", "/v1/chat/completions") as response:
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        data = line[5:].strip()
                        if _is_json(data):
                            loads(data)
                            n += 1
        return n

    async def agentkit() -> int:
        n = 0
        for _ in range(n_bodies):
            async with client.stream("POST", "/v1/chat/completions") as response:
                async for event in iter_sse(response.aiter_bytes()):
                    data = event.data.strip()
                    if _is_json(data):
                        loads(data)
                        n += 1
        return n

    return [
        ("floor: httpx aiter_lines + json.loads", floor),
        ("agentkit iter_sse + json.loads", agentkit),
    ]


# ----------------------------------------------------------------------------------------------- adapters


def adapter_status() -> dict[str, str]:
    """``"available"`` or ``"not available yet"`` per adapter module (``importlib.util.find_spec``)."""
    out = {}
    for module, _, _ in ADAPTERS:
        try:
            found = importlib.util.find_spec(f"agentkit.providers.{module}") is not None
        except (ImportError, ValueError):
            found = False
        out[module] = "available" if found else "not available yet"
    return out


def _provider_class(module_name: str) -> type[Any]:
    from agentkit.providers import Provider

    module = importlib.import_module(f"agentkit.providers.{module_name}")
    preferred = {"openai": "OpenAIChatProvider"}.get(module_name)
    if preferred and hasattr(module, preferred):
        return getattr(module, preferred)  # type: ignore[no-any-return]
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name, None)
        if inspect.isclass(obj) and issubclass(obj, Provider) and not inspect.isabstract(obj):
            return obj
    raise LookupError(f"no Provider subclass in agentkit.providers.{module_name}")


def _weather_tools() -> list[Any]:
    from agentkit import tool

    @tool
    def get_weather(city: str, unit: str = "c", notes: str = "") -> str:
        """Weather for a city.

        Args:
            city: The city.
            unit: ``c`` or ``f``.
            notes: Free text.
        """
        return "sunny"

    return [get_weather.contract]


def recorded_json_responses(fixture_dir: str) -> list[tuple[str, bytes]]:
    """The 200 JSON response bodies recorded in a provider's cassettes."""
    from agentkit.testing._replay import load_cassette

    out = []
    for path in sorted((FIXTURES / fixture_dir).glob("*.yaml")):
        try:
            cassette = load_cassette(path)
        except Exception:  # an unreadable cassette is skipped, not fatal
            continue
        for i, interaction in enumerate(cassette.interactions):
            if interaction.status == 200 and "json" in interaction.headers.get(
                "content-type", "json"
            ):
                try:
                    if not isinstance(json.loads(interaction.body), dict):
                        continue  # e.g. Gemini's streamGenerateContent answered as one JSON array
                except ValueError:
                    continue
                out.append((f"{path.name}#{i}", interaction.body))
    return out


# ----------------------------------------------------------------------------------------------- running


def _row(result: _harness.Result, size: int | None = None) -> dict[str, Any]:
    row = _harness.summarize(result)
    if row.get("status") == "ok" and size:
        row["mb_per_s"] = size / statistics.median(result.per_call) / 1e6
        row["bytes_per_call"] = size
    return row


def _print(title: str, rows: Sequence[dict[str, Any]], *, throughput: bool) -> None:
    print(f"\n{title}")
    head = "MB/s" if throughput else "per call"
    print(f"  {'contender':<46} {head:>12}   {'median':>7}   [p25 - p75]")
    for row in rows:
        if row.get("status") != "ok":
            print(f"  {row['name']:<46} {row.get('status')}")
            continue
        first = (
            f"{row['mb_per_s']:>8.1f} MB/s"
            if throughput and "mb_per_s" in row
            else f"{row['us_per_call_median']:>9.1f} us"
        )
        print(
            f"  {row['name']:<46} {first:>12}   {row['ratio_median']:>6.2f}x"
            f"   [{row['ratio_p25']:.2f} - {row['ratio_p75']:.2f}]   {row['rounds']:>4} rounds"
        )


async def _synthetic(quick: bool, status: dict[str, str]) -> dict[str, Any]:
    body = synthetic_openai_stream(1000 if quick else 5000)
    out: dict[str, Any] = {"bytes": len(body), "events": body.count(b"\n\ndata:") + 1}
    # A live stream (1 KiB), httpx's read size (64 KiB), and the whole body at once (a replay, a MockTransport).
    for chunk in (1024, 65536, len(body)):
        client, _ = _client([body], content_type="text/event-stream", chunk=chunk)
        contenders = sse_contenders(client, 1)
        if status["openai"] == "available":
            try:
                from agentkit.messages import Message
                from agentkit.providers import ModelRequest, StreamDone

                cls = _provider_class("openai")
                provider = cls("gpt-4.1", api_key="sk-bench", http_client=client)
                request = ModelRequest(
                    messages=[Message.user("Weather in Paris?")], tools=_weather_tools()
                )

                async def adapter(provider: Any = provider, request: Any = request) -> Any:
                    last = None
                    async for event in provider.stream(request):
                        last = event
                    assert isinstance(last, StreamDone), last
                    return last

                done = await adapter()
                calls = done.response.tool_calls
                assert len(calls) == 2, calls
                json.loads(calls[0].arguments)
                contenders.append((f"agentkit {cls.__name__}.stream", adapter))
            except Exception as exc:  # the adapter is being written: report, never crash
                out[f"adapter_error_{chunk}"] = _reason(exc)
        results = await measure_rounds(
            contenders, duration=0.6 if quick else 5.0, min_rounds=3 if quick else 10
        )
        rows = [_row(r, len(body)) for r in results]
        if f"adapter_error_{chunk}" in out:
            rows.append(
                {
                    "name": "agentkit OpenAIChatProvider.stream",
                    "status": f"failed ({out[f'adapter_error_{chunk}']})",
                }
            )
        elif status["openai"] != "available":
            rows.append(
                {"name": "agentkit OpenAIChatProvider.stream", "status": "not available yet"}
            )
        out["chunk_whole" if chunk == len(body) else f"chunk_{chunk}"] = rows
        _print(
            f"SSE, synthetic OpenAI stream: {out['events']} events, {len(body) / 1e6:.2f} MB, "
            + (
                "the whole body in one chunk"
                if chunk == len(body)
                else f"{chunk // 1024} KiB network chunks"
            )
            + " (ratio to the floor)",
            rows,
            throughput=True,
        )
        await client.aclose()
    return out


async def _recorded_sse(quick: bool) -> dict[str, Any]:
    files = recorded_sse()
    if not files:
        print("\nSSE, recorded: no fixtures found under", FIXTURES)
        return {"status": "no fixtures"}
    bodies = [b for _, b in files]
    size = sum(len(b) for b in bodies)
    client, _ = _client(bodies, content_type="text/event-stream", chunk=1024)
    # One call parses every recorded body once (the client cycles through them).
    contenders = sse_contenders(client, len(bodies))
    results = await measure_rounds(
        contenders, duration=0.6 if quick else 5.0, min_rounds=3 if quick else 10
    )
    rows = [_row(r, size) for r in results]
    _print(
        f"SSE, the {len(files)} recorded fixtures/*/sse/*.sse bodies ({size / 1e3:.0f} kB), each replayed "
        "once per call, 1 KiB chunks",
        rows,
        throughput=True,
    )
    await client.aclose()
    return {"files": [n for n, _ in files], "bytes": size, "rows": rows}


async def _complete(module: str, fixture_dir: str, model: str, quick: bool) -> dict[str, Any]:
    from agentkit.messages import Message
    from agentkit.providers import ModelRequest

    cls = _provider_class(module)
    bodies = recorded_json_responses(fixture_dir)
    if not bodies:
        return {"status": "no recorded JSON responses"}
    request = ModelRequest(
        messages=[Message.user("What is the weather in Paris?")], tools=_weather_tools()
    )
    # Keep only the responses this adapter parses without error (a response to another conversation's tools
    # may name tools it does not know; that is fine, it is parsed all the same).
    usable: list[tuple[str, bytes]] = []
    errors: dict[str, str] = {}
    for name, body in bodies:
        client, _ = _client([body], content_type="application/json", chunk=1 << 20)
        provider = cls(model, api_key="sk-bench", http_client=client)
        try:
            await provider.complete(request)
            usable.append((name, body))
        except Exception as exc:
            errors[name] = _reason(exc)
        await client.aclose()
    if not usable:
        return {"status": "every recorded response failed", "errors": errors}
    raw_bodies = [b for _, b in usable]
    size = sum(len(b) for b in raw_bodies)
    client, _ = _client(raw_bodies, content_type="application/json", chunk=1 << 20)
    provider = cls(model, api_key="sk-bench", http_client=client)
    loads = json.loads
    n = len(raw_bodies)
    parsed = [loads(b) for b in raw_bodies]

    async def floor() -> None:
        for _ in range(n):
            response = await client.post("/v1/bench", json={"model": model, "messages": []})
            loads(response.content)

    async def complete() -> None:
        for _ in range(n):
            await provider.complete(request)

    contenders: list[tuple[str, AsyncCall]] = [
        ("floor: client.post + json.loads", floor),
        (f"agentkit {cls.__name__}.complete", complete),
    ]
    method = next((m for m in PARSE_METHODS if callable(getattr(provider, m, None))), None)
    if method is not None:
        parse = getattr(provider, method)

        async def parse_only() -> None:
            for data in parsed:
                parse(data)

        try:
            await parse_only()
            contenders.append((f"  of which {cls.__name__}.{method}(dict)", parse_only))
        # The parser alone wants something complete() supplies: skip the row.
        except Exception as exc:
            errors[f"{method}(dict)"] = _reason(exc)
    results = await measure_rounds(
        contenders, duration=0.6 if quick else 4.0, min_rounds=3 if quick else 10
    )
    rows = [_row(r) for r in results]
    for row in rows:  # per response, not per pass over all of them
        if row.get("status") == "ok":
            row["us_per_response"] = row["us_per_call_median"] / n
    print(
        f"\ncomplete(): {module} adapter, {n} recorded 200 responses from fixtures/{fixture_dir} "
        f"({size / 1e3:.1f} kB), all of them per call"
    )
    print(f"  {'contender':<46} {'per response':>12}   {'median':>7}   [p25 - p75]")
    for row in rows:
        if row.get("status") != "ok":
            print(f"  {row['name']:<46} {row.get('status')}")
            continue
        print(
            f"  {row['name']:<46} {row['us_per_response']:>9.1f} us   {row['ratio_median']:>6.2f}x"
            f"   [{row['ratio_p25']:.2f} - {row['ratio_p75']:.2f}]   {row['rounds']:>4} rounds"
        )
    if errors:
        example = next(iter(errors.values()))
        print(f"  ({len(errors)} left out: the adapter raised on them, e.g. {example})")
    await client.aclose()
    return {
        "responses": [name for name, _ in usable],
        "bytes": size,
        "rows": rows,
        "left_out": errors,
    }


async def _run(quick: bool) -> dict[str, Any]:
    status = adapter_status()
    print("\nadapters: " + ", ".join(f"{m}: {s}" for m, s in status.items()))
    report: dict[str, Any] = {"adapters_at_start": status}
    report["sse_synthetic"] = await _synthetic(quick, status)
    report["sse_recorded"] = await _recorded_sse(quick)
    report["complete"] = {}
    for module, fixture_dir, model in ADAPTERS:
        if status[module] != "available":
            print(f"\ncomplete(): {module} adapter not available yet")
            report["complete"][module] = {"status": "not available yet"}
            continue
        try:
            report["complete"][module] = await _complete(module, fixture_dir, model, quick)
        except Exception as exc:  # an adapter in the middle of being written: report, never crash
            print(f"\ncomplete(): {module} adapter failed: {_reason(exc)}")
            report["complete"][module] = {"status": f"failed ({_reason(exc)})"}
    status_end = adapter_status()
    report["adapters_at_end"] = status_end
    if status_end != status:
        print(
            "\nadapters changed during the run: "
            + ", ".join(f"{m}: {s}" for m, s in status_end.items())
        )
    return report


def run(*, quick: bool = False) -> dict[str, Any]:
    """Measure, print and return the results as a dict."""
    start = perf_counter()
    report = asyncio.run(_run(quick))
    report["seconds"] = perf_counter() - start
    report["versions"] = {"agentkit": _version("agentkit-contracts"), "httpx": _version("httpx")}
    print(f"\nproviders: {report['seconds']:.0f} s")
    return report


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    """Run the provider benchmark; always exit 0 (benchmarks report, they never gate)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    report = run(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
