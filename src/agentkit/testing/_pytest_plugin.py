"""The agentkit pytest plugin: fixtures for a scripted provider, captured events, recorded HTTP, and a dry-run marker.

Installed with agentkit, pytest loads it through the ``pytest11`` entry point (``-p no:agentkit`` turns it off).
It imports nothing from agentkit until a test asks for one of its fixtures or markers, so loading it changes
nothing for tests that do not.

Fixtures:

- ``agentkit_provider``: a fresh `agentkit.testing.FakeProvider`, scripted by the test's
  ``@pytest.mark.agentkit_script(*responses)`` marker (or with ``provider.add(...)``).
- ``agentkit_events``: the events of every agent run the test starts (`agentkit.testing.capture_events`).
- ``agentkit_replay``: makes `agentkit.testing.ReplayTransport` s from cassettes (paths relative to the test
  file) or bare bodies; the test fails if a recorded interaction was not used.
- ``agentkit_clock``: a `agentkit.testing.MockClock`.

Markers:

- ``@pytest.mark.agentkit_dry_run``: agent runs inside the test run their tool calls in ``dry_run`` mode
  (`agentkit.sandbox.use_mode`): validated and recorded, no side effects.
- ``@pytest.mark.agentkit_script(*responses, model="fake-model")``: what ``agentkit_provider`` answers.

The markers and the events capture apply inside the test function itself (sync or async, whatever runs it), as
context variables set in the test's own task.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator

    from agentkit.runtime import CapturedEvents
    from agentkit.testing import FakeProvider, MockClock, ReplayTransport

__all__ = (
    "agentkit_clock",
    "agentkit_events",
    "agentkit_provider",
    "agentkit_replay",
    "pytest_configure",
    "pytest_pyfunc_call",
)

_MARKERS = (
    "agentkit_dry_run: run the test's agent runs with tool calls in dry_run mode (agentkit.sandbox.use_mode)",
    "agentkit_script(*responses, model='fake-model'): the answers of the agentkit_provider fixture",
)
_ENTER_KEY = pytest.StashKey[list["Callable[[], contextlib.AbstractContextManager[Any]]"]]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers (the suite may run with ``--strict-markers``)."""
    for line in _MARKERS:
        config.addinivalue_line("markers", line)


def _contexts(item: pytest.Item) -> list[Callable[[], contextlib.AbstractContextManager[Any]]]:
    """The context managers to enter inside ``item``'s test function (fixtures add theirs)."""
    found = item.stash.get(_ENTER_KEY, None)
    if found is None:
        found = item.stash[_ENTER_KEY] = []
    return found


def _dry_run() -> contextlib.AbstractContextManager[Any]:
    from agentkit.sandbox import use_mode

    return use_mode("dry_run")


def _wrapped(
    function: Callable[..., Any], enter: Iterable[Callable[[], Any]]
) -> Callable[..., Any]:
    """``function``, entering each context manager around its body, in the task that runs it."""
    makers = list(enter)

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with contextlib.ExitStack() as stack:
                for make in makers:
                    stack.enter_context(make())
                return await function(*args, **kwargs)

        return run_async

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with contextlib.ExitStack() as stack:
            for make in makers:
                stack.enter_context(make())
            return function(*args, **kwargs)

    return run


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, None, None]:
    """Run the test function inside what the markers and fixtures ask for (nothing for other tests)."""
    makers = list(pyfuncitem.stash.get(_ENTER_KEY, ()))
    if pyfuncitem.get_closest_marker("agentkit_dry_run") is not None:
        makers.insert(0, _dry_run)
    if not makers:
        yield
        return
    original = pyfuncitem.obj
    pyfuncitem.obj = _wrapped(original, makers)
    try:
        yield
    finally:
        pyfuncitem.obj = original


@pytest.fixture
def agentkit_provider(request: pytest.FixtureRequest) -> FakeProvider:
    """A fresh `FakeProvider`, answering what ``@pytest.mark.agentkit_script(...)`` lists, in order."""
    from agentkit.testing import FakeProvider

    marker = request.node.get_closest_marker("agentkit_script")
    if marker is None:
        return FakeProvider()
    return FakeProvider(marker.args, **marker.kwargs)


@pytest.fixture
def agentkit_events(request: pytest.FixtureRequest) -> CapturedEvents:
    """The events of every agent run started by the test function, in order (`capture_events`)."""
    from agentkit.runtime._capture import CapturedEvents, capture_into

    captured = CapturedEvents()
    _contexts(request.node).append(functools.partial(capture_into, captured))
    return captured


@pytest.fixture
def agentkit_clock() -> MockClock:
    """A `MockClock` at time 0: pass it as ``clock=``; it moves only when the test advances it."""
    from agentkit.testing import MockClock

    return MockClock()


@pytest.fixture
def agentkit_replay(request: pytest.FixtureRequest) -> Iterator[Callable[..., ReplayTransport]]:
    """Make a `ReplayTransport` from a cassette (a path relative to the test file) or from ``(status, body)`` pairs.

    Hand ``transport.mock()`` to the adapter's ``httpx.AsyncClient``. Unless made with ``strict=False``, the
    test fails at teardown when an interaction was not used: the code under test sent fewer requests than were
    recorded.
    """
    from agentkit.testing import ReplayTransport

    made: list[ReplayTransport] = []

    def make(
        source: str | Path | Iterable[tuple[int, Any]], *, strict: bool = True
    ) -> ReplayTransport:
        if isinstance(source, str | Path):
            path = Path(source)
            if not path.is_absolute():
                path = request.path.parent / path
            transport = ReplayTransport.from_cassette(path)
        else:
            transport = ReplayTransport.from_bodies(source)
        if strict:
            made.append(transport)
        return transport

    yield make
    unused = sum(len(t.interactions) for t in made)
    if unused:
        pytest.fail(f"{unused} recorded HTTP interaction(s) were never requested", pytrace=False)
