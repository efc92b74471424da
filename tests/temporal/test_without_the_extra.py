"""agentkit.temporal without the ``temporal`` extra: it imports and renders, and says how to install it when used."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest

from agentkit.exceptions import MissingExtraError

# tests/_fresh.py, run by path: tests are imported with --import-mode=importlib, so there is no package.
_fresh = runpy.run_path(str(Path(__file__).resolve().parents[1] / "_fresh.py"))

# Run in a fresh interpreter where the Temporal SDK cannot be imported.
_WITHOUT_TEMPORAL = r"""
import asyncio, inspect, pydoc

import agentkit.temporal as durable
from agentkit import RunContext
from agentkit.exceptions import MissingExtraError
from agentkit.runtime import Agent
from agentkit.testing import FakeProvider

agent = Agent(FakeProvider(["hi"]), name="support")
report |= {
    "help": pydoc.render_doc(durable, renderer=pydoc.plaintext),
    "classes": [
        pydoc.render_doc(cls, renderer=pydoc.plaintext)[:200]
        for cls in (durable.DurableRun, durable.DurableState)
    ],
    "members": sorted(name for name, _ in inspect.getmembers(durable)),
    "constants": [durable.WORKFLOW_NAME, durable.DEFAULT_TASK_QUEUE, "agentkit" in durable.PASSTHROUGH_MODULES],
    "state": repr(durable.DurableState(run_id="r1", status="running", steps=0, tool_calls=0)),
    "key": durable.idempotency_key(RunContext(deps=None, run_id="r1", tool_call_id="c1")),
    "agents": sorted(durable.agents_of([agent])),
    "errors": {},
}
calls = {
    "start": lambda: asyncio.run(durable.start(object(), agent, "hi")),
    "attach": lambda: durable.attach(object(), "r1"),
    "worker": lambda: durable.worker(object(), [agent]),
    "replayer": lambda: durable.replayer([agent]),
    "sandbox_runner": lambda: durable.sandbox_runner(),
    "retry_policy": lambda: durable.retry_policy(FakeProvider(["hi"])),
    "application_error": lambda: durable.application_error(ValueError("x"), None),
}
for name, call in calls.items():
    try:
        call()
    except MissingExtraError as exc:
        report["errors"][name] = [str(exc), exc.extra, exc.package, isinstance(exc, ImportError)]
"""

HINT = "this feature needs the optional dependency 'temporalio': pip install \"agentkit-contracts[temporal]\""
NEEDS_THE_SDK = (
    "start",
    "attach",
    "worker",
    "replayer",
    "sandbox_runner",
    "retry_policy",
    "application_error",
)


def test_the_module_renders_and_every_function_that_needs_the_sdk_names_the_extra() -> None:
    """help() lists every public name, the SDK-free names work, and each SDK function raises the install hint."""
    import agentkit.temporal

    report = _fresh["without"]({"temporalio"}, _WITHOUT_TEMPORAL)
    text = report["help"]
    for name in agentkit.temporal.__all__:
        assert re.search(rf"^    (?:class |async )?{name}(?:\(| = )", text, re.MULTILINE), name
    assert set(agentkit.temporal.__all__) <= set(report["members"])
    assert [doc.split("\n")[2] for doc in report["classes"]] == [
        "class DurableRun(builtins.object)",
        "class DurableState(builtins.object)",
    ]
    assert report["constants"] == ["agentkit.run", "agentkit", True]
    assert report["state"] == (
        "DurableState(run_id='r1', status='running', steps=0, tool_calls=0, pending=None)"
    )
    assert report["key"] is None
    assert report["agents"] == ["support"]
    assert report["errors"] == {
        name: [HINT, "temporal", "temporalio", True] for name in NEEDS_THE_SDK
    }
    assert report["loaded"] == []


def test_importing_the_module_leaves_the_sdk_unloaded() -> None:
    """``import agentkit.temporal`` (and reading every public name) imports no ``temporalio``, even installed."""
    loaded = _fresh["modules_after"](
        "import agentkit.temporal as t\n[getattr(t, name) for name in t.__all__]"
    )
    assert sorted(m for m in loaded if m.partition(".")[0] == "temporalio") == []


def test_a_function_that_needs_the_sdk_checks_for_it_before_anything_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``temporalio`` unimportable in this process, ``worker`` raises the hint and builds nothing."""
    from agentkit.temporal import worker

    monkeypatch.setitem(sys.modules, "temporalio", None)
    with pytest.raises(MissingExtraError) as caught:
        worker(None, {})  # type: ignore[arg-type]  # never reaches the client
    assert str(caught.value) == HINT
    assert isinstance(caught.value.__cause__, ImportError)
