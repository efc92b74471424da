"""``agentkit serve``: a module's tools and agents served by uvicorn in a real process, stopped by a signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from agentkit import Registry, tool
from agentkit.cli import main
from agentkit.cli._exit import CommandError, ExitCode
from agentkit.cli._serve import ServeTarget, load_target
from agentkit.runtime import Agent
from agentkit.storage import SQLiteStore
from agentkit.testing import FakeProvider, FakeProviderServer, Reply, ServedRequest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEYS = ("svc-Kq3Wm8Zt2Lx7", "svc-Pn5Rd1Hv9Jc4")

SERVICE = '''
import os

from agentkit import tool
from agentkit.providers.openai import OpenAIChatProvider
from agentkit.runtime import Agent


@tool
def shout(text: str) -> str:
    """Shout text back."""
    return text.upper()


assistant = Agent(
    OpenAIChatProvider("gpt-4.1-mini", api_key="pk-Vb6Tn2Qs", base_url=os.environ["FAKE_URL"] + "/v1"),
    tools=[shout],
    name="assistant",
)
'''

READY_APP = """
from agentkit.server import NoAuth, create_app
from {module} import shout

app = create_app(tools=[shout], auth=NoAuth())
"""


def _respond(request: ServedRequest) -> Reply:
    """Call ``shout`` first; once it answered, finish with what it said."""
    tool_messages = [m for m in request.body["messages"] if m["role"] == "tool"]
    if not tool_messages:
        return Reply("", tool_calls=(("shout", '{"text": "hello"}'),))
    said = "HELLO" if "HELLO" in tool_messages[-1]["content"] else "something else"
    return Reply(f"the tool said {said}")


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    """The loopback fake provider."""
    with FakeProviderServer(responder=_respond).running_in_thread() as server:
        yield server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(base: str, alive: Any) -> None:
    """Poll ``/health`` until the server answers (a hang guard, not a speed assertion)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server exited before answering")
        try:
            if httpx.get(base + "/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not answer /health")


def _run_to_the_end(base: str, headers: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    started = httpx.post(base + "/v1/runs", json={"input": "shout hello"}, headers=headers)
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    with httpx.stream(
        "GET", f"{base}/v1/runs/{run_id}/events", headers=headers, timeout=60
    ) as response:
        raw = "".join(response.iter_text())
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    return run_id, events


def test_serve_runs_a_module_in_a_real_process(fake: FakeProviderServer, tmp_path: Path) -> None:
    """The command serves a module's tool and agent with keys from the environment, stores runs, stops on SIGTERM."""
    (tmp_path / "svc_app.py").write_text(SERVICE, encoding="utf-8")
    db = tmp_path / "runs.sqlite3"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE"))}
    env.update({"SVC_KEYS": ",".join(KEYS), "FAKE_URL": fake.url})
    command = [sys.executable, "-m", "agentkit", "serve", "svc_app", "--port", str(port)]
    command += ["--store", str(db), "--api-key-env", "SVC_KEYS", "--shutdown-grace", "5"]
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_healthy(base, lambda: proc.poll() is None)
        keyless = httpx.get(base + "/v1/tools")
        listed = httpx.get(base + "/v1/tools", headers={"X-API-Key": KEYS[1]})
        invoked = httpx.post(
            base + "/v1/tools/shout/invoke",
            json={"text": "hi"},
            headers={"Authorization": f"Bearer {KEYS[0]}"},
        )
        run_id, events = _run_to_the_end(base, {"X-API-Key": KEYS[0]})
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert keyless.status_code == 401
    assert [t["name"] for t in listed.json()["tools"]] == ["shout"]
    assert invoked.json()["content"] == "HI"
    assert events[-1]["type"] == "run.finished"
    assert events[-1]["status"] == "completed"
    assert (
        "agentkit: serving 1 tool and agent assistant; auth: API keys from $SVC_KEYS; store: SQLite"
        in err
    )
    for key in KEYS:
        assert key not in out + err
    with SQLiteStore(db, create=False) as store:
        summary = store.get_run(run_id)
    assert summary.status == "completed"
    assert summary.output == "the tool said HELLO"


def test_serve_a_ready_app_in_process_until_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``MODULE:ATTR`` naming a FastAPI app serves it as it is; SIGTERM stops it and the command returns 0."""
    (tmp_path / "svc_tools_inproc.py").write_text(SERVICE.split("assistant =")[0], encoding="utf-8")
    (tmp_path / "svc_ready_inproc.py").write_text(
        READY_APP.format(module="svc_tools_inproc"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    answers: list[httpx.Response] = []
    before = signal.getsignal(signal.SIGTERM)

    def client() -> None:
        try:
            _wait_healthy(base, lambda: True)
            answers.append(httpx.post(base + "/v1/tools/shout/invoke", json={"text": "yo"}))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=client)
    helper.start()
    try:
        code = main(["serve", "svc_ready_inproc:app", "--port", str(port)])
    finally:
        helper.join(timeout=60)
        for name in ("svc_tools_inproc", "svc_ready_inproc"):
            sys.modules.pop(name, None)
    assert code == 0
    assert [a.json()["content"] for a in answers] == ["YO"]
    assert signal.getsignal(signal.SIGTERM) is before
    assert "agentkit: serving the app svc_ready_inproc:app" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["serve", "agentkit.cli._demo_tools"],
            ExitCode.USAGE,
            "no API keys: set AGENTKIT_API_KEYS",
        ),
        (
            ["serve", "agentkit.cli._demo_tools", "--api-key-env", "SVC_NONE"],
            ExitCode.USAGE,
            "no API keys: set SVC_NONE",
        ),
        (["serve", "agentkit.cli._demo_tools", "--shutdown-grace", "-1"], ExitCode.USAGE, "-1"),
        (["serve", "agentkit.cli._demo_tools", "--port", "70000"], ExitCode.USAGE, "0-65535"),
        (["serve", "agentkit.cli._demo_tools", "--port", "http"], ExitCode.USAGE, "not a port"),
        (
            ["serve", "agentkit.cli._demo_tools", "--shutdown-grace", "soon"],
            ExitCode.USAGE,
            "not a number",
        ),
        (
            ["serve", "agentkit.cli._demo_tools", "--no-auth", "--api-key-env", "X"],
            ExitCode.USAGE,
            "not allowed with",
        ),
        (["serve", "agentkit.exceptions", "--no-auth"], ExitCode.LOAD_ERROR, "no tools or agents"),
        (["serve", "agentkit.cli._serve:DEFAULT_GRACE"], ExitCode.LOAD_ERROR, "is a float"),
        (["serve", "no_such_module_here"], ExitCode.LOAD_ERROR, "cannot import"),
        (
            ["serve", "agentkit.cli._demo_tools", "--no-auth", "--store", "/nonexistent/dir/x.db"],
            ExitCode.MISSING,
            "cannot open store",
        ),
    ],
)
def test_serve_refuses_what_it_cannot_serve(
    argv: list[str],
    code: ExitCode,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Missing keys, bad options, nothing to serve and an unopenable store each exit with their code."""
    monkeypatch.delenv("AGENTKIT_API_KEYS", raising=False)
    monkeypatch.delenv("SVC_NONE", raising=False)
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_a_ready_app_takes_no_store_or_auth_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ready app keeps its own store and authentication: the options that would change them are refused."""
    (tmp_path / "svc_tools_opts.py").write_text(SERVICE.split("assistant =")[0], encoding="utf-8")
    (tmp_path / "svc_ready_opts.py").write_text(
        READY_APP.format(module="svc_tools_opts"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["serve", "svc_ready_opts:app", "--no-auth"])
    finally:
        for name in ("svc_tools_opts", "svc_ready_opts"):
            sys.modules.pop(name, None)
    assert code == ExitCode.USAGE
    assert "is a ready app" in capsys.readouterr().err


@tool
def ping() -> str:
    """Answer pong."""
    return "pong"


REGISTRY = Registry()
REGISTRY.register(ping)
ONE = Agent(FakeProvider(["hi"]), name="one")
TWO = Agent(FakeProvider(["hi"]), name="two")
TWIN = Agent(FakeProvider(["hi"]), name="one")
MIXED = [ping, ONE, TWO]
BY_NAME = {"first": ONE, "second": TWIN}
NESTED = [[ping]]
NOT_AGENTS = {"first": ping}
TWINS = [ONE, TWIN]


@pytest.mark.parametrize(
    ("attribute", "tools", "agents"),
    [
        ("REGISTRY", ["ping"], []),
        ("ONE", [], ["one"]),
        ("MIXED", ["ping"], ["one", "two"]),
        ("BY_NAME", [], ["first", "second"]),
    ],
)
def test_load_target_accepts_registries_agents_lists_and_mappings(
    attribute: str, tools: list[str], agents: list[str]
) -> None:
    """``MODULE:ATTR`` may name a registry, an agent, a list of tools and agents, or a mapping of agents."""
    found = load_target(f"{__name__}:{attribute}")
    assert isinstance(found, ServeTarget)
    assert [t.contract.name for t in found.tools] == tools
    assert sorted(found.agents) == agents
    assert repr(found) == f"ServeTarget(tools={len(tools)}, agents={agents})"


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("NESTED", "nested list"),
        ("NOT_AGENTS", "not an Agent"),
        ("TWINS", "two agents are named 'one'"),
    ],
)
def test_load_target_refuses_what_is_ambiguous(attribute: str, message: str) -> None:
    """Nested lists, non-agents in a mapping and two agents of one name are load errors."""
    with pytest.raises(CommandError, match=message) as raised:
        load_target(f"{__name__}:{attribute}")
    assert raised.value.code == ExitCode.LOAD_ERROR


def test_a_module_with_colliding_tools_is_a_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tools of one name and version in a module are refused as ``agentkit tools list`` refuses them."""
    (tmp_path / "svc_clash.py").write_text(
        "from agentkit import tool\n\n"
        "@tool(name='x')\ndef a() -> str:\n    '''A.'''\n    return 'a'\n\n"
        "@tool(name='x')\ndef b() -> str:\n    '''B.'''\n    return 'b'\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    try:
        with pytest.raises(CommandError, match="cannot register the tools") as raised:
            load_target("svc_clash")
    finally:
        sys.modules.pop("svc_clash", None)
    assert raised.value.code == ExitCode.LOAD_ERROR
