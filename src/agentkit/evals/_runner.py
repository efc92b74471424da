"""Run a dataset against a target: `run_eval` (async) and `run_eval_sync`.

Each case runs ``repeats`` times, at most ``concurrency`` runs at once, each under its timeout; every run is scored
by every scorer, its events go to a store when one is given, and an `EvalReport` comes back. Offline, the runs are
not made again: each case's recorded runs are read from the store and replayed (no network, no side effects).
"""

from __future__ import annotations

import functools
import inspect
import re
import uuid
from typing import TYPE_CHECKING, Any, TextIO

import anyio

from agentkit.evals._report import CaseResult, EvalReport, RunRecord, ScoreRecord, ToolCallRecord
from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from agentkit._clock import Clock
    from agentkit.evals._case import Case, Mode
    from agentkit.evals._dataset import Dataset
    from agentkit.evals._outcome import CaseOutcome
    from agentkit.events import BaseEvent
    from agentkit.runtime import Agent
    from agentkit.sandbox import ModePolicy
    from agentkit.storage import EventStore

__all__ = (
    "Progress",
    "default_scorers",
    "effective_mode",
    "eval_session_id",
    "mode_label",
    "run_eval",
    "run_eval_sync",
)


def eval_session_id(dataset: str, case: str) -> str:
    """The store session an eval's runs of one case are recorded under (``--offline`` reads them back).

    Examples:
        >>> from agentkit.evals import eval_session_id
        >>> eval_session_id("travel", "cheapest-flight")
        'eval:travel:cheapest-flight'
    """
    return f"eval:{dataset}:{case}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "x"


class Progress:
    """Progress of an eval on a stream: a bar redrawn in place on a terminal, one line per run otherwise.

    Args:
        total: How many runs there will be.
        stream: Where to write (``sys.stderr`` in the CLI).
        tty: Whether ``stream`` is a terminal; asked of the stream when omitted.
        width: Characters of the bar.

    Examples:
        >>> import io
        >>> from agentkit.evals import Progress
        >>> out = io.StringIO()
        >>> progress = Progress(2, out)
        >>> progress.update("greet", 0, passed=True, latency_s=0.25, error=None)
        >>> progress.update("slow", 0, passed=False, latency_s=None, error="TimeoutError: after 1s")
        >>> progress.close()
        >>> print(out.getvalue(), end="")
        [1/2] pass  greet  250ms
        [2/2] FAIL  slow  -  TimeoutError: after 1s
    """

    def __init__(
        self, total: int, stream: TextIO, *, tty: bool | None = None, width: int = 30
    ) -> None:
        self.total = total
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.width = width
        self.done = 0
        self.passed = 0

    def update(
        self,
        case: str,
        repeat: int,
        *,
        passed: bool,
        latency_s: float | None,
        error: str | None,
    ) -> None:
        """Record one finished run and show it."""
        from agentkit.evals._html import format_seconds

        self.done += 1
        self.passed += passed
        if self.tty:
            filled = round(self.width * self.done / self.total) if self.total else self.width
            bar = "█" * filled + "░" * (self.width - filled)
            failed = self.done - self.passed
            self.stream.write(
                f"\r{bar} {self.done}/{self.total} runs  {self.passed} passed  {failed} failed\x1b[K"
            )
        else:
            name = case if repeat == 0 else f"{case} #{repeat + 1}"
            line = f"[{self.done}/{self.total}] {'pass' if passed else 'FAIL'}  {name}  {format_seconds(latency_s)}"
            if error:
                line += f"  {error.splitlines()[0] if error.strip() else error}"
            self.stream.write(_visible(line) + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (on a terminal)."""
        if self.tty and self.done:
            self.stream.write("\n")
            self.stream.flush()


# Terminal control characters (C0, DEL, C1) and bidirectional overrides, shown as visible escapes: a case name or
# an error message must not move the cursor or rewrite the screen (as `agentkit.cli` does for its own output).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(text: str) -> str:
    return _UNSAFE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


def _describe(target: Any) -> str:
    from agentkit.runtime import Agent

    if isinstance(target, Agent):
        return f"{target.name} ({target.provider.model})"
    if target is None:
        return "recorded runs"
    return str(getattr(target, "__qualname__", None) or type(target).__qualname__)


def _as_scorers(scorers: Iterable[Any]) -> list[Any]:
    from agentkit.evals._scorers import as_scorer

    return [
        s if callable(getattr(s, "score", None)) and hasattr(s, "name") else as_scorer(s)
        for s in scorers
    ]


def default_scorers(dataset: Dataset) -> list[Any]:
    """The scorers a dataset is run with when none are given.

    Those it names (``Dataset.scorers``), else what its cases expect: `ExactMatch` when a case has an
    ``expected_output``, `TrajectoryMatch` when one has ``expected_tools`` (each skips the cases that set no
    such expectation).

    Examples:
        >>> from agentkit.evals import Case, Dataset, ExpectedCall, default_scorers
        >>> data = Dataset(name="d", cases=[Case(name="a", inputs="hi", expected_output="Hello!"),
        ...     Case(name="b", inputs="x", expected_tools=[ExpectedCall(name="search")])])
        >>> [s.name for s in default_scorers(data)]
        ['exact_match', 'trajectory']
    """
    from agentkit.evals._scorers import scorer_by_name

    names = list(dataset.scorers)
    if not names:
        if any(c.expected_output is not None for c in dataset.cases):
            names.append("exact_match")
        if any(c.expected_tools is not None for c in dataset.cases):
            names.append("trajectory")
    return [scorer_by_name(name) for name in names]


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def effective_mode(case_mode: Mode | None, run_mode: Mode | ModePolicy | None) -> ModePolicy:
    """The execution-mode policy a case runs under in an eval.

    The first of these that is set decides: the case's ``mode``, then the run's ``mode=`` (``--mode``), then the
    eval default, `ModePolicy.for_evals()`: tools run live, destructive ones ``dry_run``. A bare mode is the mode
    of the case's tools, and destructive tools still run ``dry_run`` when it has side effects (``live``,
    ``isolated``): ``ModePolicy.for_evals(mode)``. A `ModePolicy` given as the run's ``mode=`` is used as it is
    (the one way to let a destructive tool really run in an eval), and its mocks and limits serve the cases that
    set their own mode.

    Examples:
        >>> from agentkit.evals import effective_mode
        >>> from agentkit.sandbox import ModePolicy
        >>> effective_mode(None, None) == ModePolicy.for_evals()
        True
        >>> effective_mode("mocked", "dry_run").default, effective_mode(None, "live").destructive
        ('mocked', 'dry_run')
        >>> effective_mode(None, ModePolicy()).destructive is None
        True
    """
    from agentkit.sandbox import ModePolicy

    base = run_mode if isinstance(run_mode, ModePolicy) else None
    if case_mode is None and base is not None:
        return base
    chosen = case_mode or (run_mode if isinstance(run_mode, str) else None) or "live"
    if base is None:
        return ModePolicy.for_evals(chosen)
    return ModePolicy.for_evals(chosen, mocks=base.mocks, limits=base.limits)


def mode_label(policy: ModePolicy) -> str:
    """A short description of ``policy`` for reports: its default mode, then the rules that differ from it.

    Examples:
        >>> from agentkit.evals import mode_label
        >>> from agentkit.sandbox import ModePolicy
        >>> mode_label(ModePolicy.for_evals()), mode_label(ModePolicy(force="dry_run"))
        ('live, destructive: dry_run', 'dry_run')
        >>> mode_label(ModePolicy(tools={"book": "mocked"}))
        'live, book: mocked'
    """
    if policy.force is not None:
        return policy.force
    parts: list[str] = [policy.default]
    if policy.destructive is not None and policy.destructive != policy.default:
        parts.append(f"destructive: {policy.destructive}")
    parts += [f"{name}: {mode}" for name, mode in sorted(policy.tools.items())]
    return ", ".join(parts)


class _Runner:
    def __init__(
        self,
        dataset: Dataset,
        target: Any,
        *,
        scorers: list[Any],
        repeats: int,
        timeout: float | None,
        mode: Mode | ModePolicy | None,
        store: EventStore | None,
        offline: bool,
        clock: Clock,
        progress: Progress | None,
        deps: Any,
    ) -> None:
        self.dataset = dataset
        self.target = target
        self.scorers = scorers
        self.repeats = repeats
        self.timeout = timeout
        self.mode = mode
        self.store = store
        self.offline = offline
        self.clock = clock
        self.progress = progress
        self.deps = deps
        self.batch = uuid.uuid4().hex[:8]

    # -------------------------------------------------------------------------------------- one run

    async def run_one(self, case: Case, repeat: int) -> RunRecord:
        from agentkit.evals._outcome import CaseOutcome

        policy = effective_mode(case.mode, self.mode)
        timeout = case.timeout or self.timeout
        start = self.clock.monotonic()
        run_id: str | None = None
        try:
            with anyio.fail_after(timeout):
                if self.offline:
                    outcome = await self._replayed(case, repeat)
                else:
                    run_id = (
                        f"eval-{_slug(self.dataset.name)}-{_slug(case.name)}-{repeat}-{self.batch}"
                    )
                    outcome = await self._live(case, run_id, policy)
        except TimeoutError:
            outcome = CaseOutcome(
                run_id=run_id, error=f"TimeoutError: the case took longer than {timeout:g}s"
            )
        except Exception as exc:
            outcome = CaseOutcome(run_id=run_id, error=_error_text(exc))
        outcome.latency_s = max(self.clock.monotonic() - start, 0.0)
        scores = [await self._score(scorer, case, outcome) for scorer in self.scorers]
        # An offline replay runs no tool: it records no mode.
        record = _record(outcome, repeat, scores, None if self.offline else mode_label(policy))
        if self.progress is not None:
            self.progress.update(
                case.name,
                repeat,
                passed=record.passed,
                latency_s=record.latency_s,
                error=record.error,
            )
        return record

    async def _live(self, case: Case, run_id: str, mode: ModePolicy) -> CaseOutcome:
        from agentkit.evals._outcome import CaseOutcome
        from agentkit.runtime import Agent, RunResult, capture_events
        from agentkit.sandbox import use_mode
        from agentkit.storage import StoreSink

        session = eval_session_id(self.dataset.name, case.name)
        if isinstance(self.target, Agent):
            sinks = [StoreSink(self.store, session_id=session)] if self.store is not None else []
            result = await self.target.run(
                case.user_input,
                prompt_vars=case.prompt_vars,
                deps=self.deps,
                run_id=run_id,
                sinks=sinks,
                mode=mode,
            )
            return CaseOutcome.from_result(result)
        # A function: the agent runs it starts without a mode of their own run in the case's (use_mode).
        with capture_events() as captured, use_mode(mode):
            if inspect.iscoroutinefunction(self.target) or inspect.iscoroutinefunction(
                getattr(self.target, "__call__", None)  # noqa: B004 - an object with an async __call__
            ):
                value = await self.target(case.inputs)
            else:
                # A plain function may block (or call agent.run_sync): it runs in a worker thread, which sees
                # the capture, and is abandoned (not waited for) when the case times out.
                value = await anyio.to_thread.run_sync(
                    self.target, case.inputs, abandon_on_cancel=True
                )
                if inspect.isawaitable(value):
                    value = await value
        if self.store is not None:
            await self._store_captured(captured, session)
        if isinstance(value, CaseOutcome):
            return value
        if isinstance(value, RunResult):
            return CaseOutcome.from_result(value)
        return CaseOutcome(output=value, run_id=captured[-1].run_id if captured else None)

    async def _store_captured(self, events: Sequence[BaseEvent], session: str) -> None:
        assert self.store is not None
        by_run: dict[str, list[BaseEvent]] = {}
        for event in events:
            by_run.setdefault(event.run_id, []).append(event)
        for run_id, run_events in by_run.items():
            await self.store.append_async(run_id, run_events, session_id=session)

    async def _replayed(self, case: Case, repeat: int) -> CaseOutcome:
        from agentkit.evals._outcome import CaseOutcome
        from agentkit.runtime import Agent
        from agentkit.storage import Recording, replay

        assert self.store is not None
        session = eval_session_id(self.dataset.name, case.name)
        runs = await self.store.runs_async(None, session_id=session)
        if len(runs) <= repeat:
            raise LookupError(
                f"no recorded run for case {case.name!r} (repeat {repeat + 1}) in the store "
                f"(session {session!r} holds {len(runs)}); run the eval once without --offline to record it"
            )
        # The newest `repeats` runs, oldest first: repeat 0 replays the first of the latest batch.
        chosen = runs[: self.repeats][::-1] if len(runs) >= self.repeats else runs[::-1]
        summary = chosen[repeat]
        recording = await anyio.to_thread.run_sync(Recording.load, self.store, summary.run_id)
        if isinstance(self.target, Agent):
            result = await replay(self.target, recording, deps=self.deps)
            outcome = CaseOutcome.from_result(result)
            outcome.metadata["recorded_run"] = summary.run_id
            return outcome
        return CaseOutcome.from_events(recording.events)

    async def _score(self, scorer: Any, case: Case, outcome: CaseOutcome) -> ScoreRecord:
        name = str(getattr(scorer, "name", type(scorer).__name__))
        try:
            score = await scorer.score(case, outcome)
        except Exception as exc:
            return ScoreRecord(
                scorer=name, value=0.0, passed=False, reason=f"the scorer raised {_error_text(exc)}"
            )
        return ScoreRecord(
            scorer=score.scorer or name,
            value=float(score.value),
            passed=bool(score.passed),
            reason=score.reason,
            details=dict(score.details or {}),
            skipped=bool(getattr(score, "skipped", False)),
        )


def _record(
    outcome: CaseOutcome, repeat: int, scores: list[ScoreRecord], mode: str | None
) -> RunRecord:
    from pydantic_core import to_jsonable_python

    usage = outcome.usage
    return RunRecord(
        repeat=repeat,
        run_id=outcome.run_id,
        output=to_jsonable_python(outcome.output, fallback=repr),
        text=outcome.text,
        tool_calls=[
            ToolCallRecord(name=c.name, arguments=c.arguments, mode=c.mode)
            for c in outcome.tool_calls
        ],
        latency_s=outcome.latency_s,
        cost_usd=outcome.cost_usd,
        input_tokens=usage.input_tokens if usage is not None else 0,
        output_tokens=usage.output_tokens if usage is not None else 0,
        error=outcome.error,
        mode=mode,
        scores=scores,
    )


async def run_eval(
    dataset: Dataset,
    target: Agent[Any, Any] | Callable[..., Any] | None,
    *,
    scorers: Sequence[Any] | None = None,
    repeats: int = 1,
    concurrency: int = 4,
    timeout: float | None = None,  # noqa: ASYNC109 - each case's limit, applied with anyio.fail_after
    mode: Mode | ModePolicy | None = None,
    store: EventStore | None = None,
    offline: bool = False,
    clock: Clock | None = None,
    progress: Progress | TextIO | None = None,
    deps: Any = None,
    metadata: dict[str, Any] | None = None,
) -> EvalReport:
    """Evaluate ``target`` on every case of ``dataset`` and return the report.

    Args:
        dataset: The cases.
        target: An `agentkit.runtime.Agent` (run with each case's input, prompt variables and mode), or a
            function of ``case.inputs``, sync or async, returning the output, a `RunResult` or a `CaseOutcome`
            (agent runs it makes are captured, and stored when ``store`` is given). ``None`` with ``offline``:
            score the recorded runs as they are.
        scorers: What to score each run with (`Scorer` objects or plain functions, see `as_scorer`); by
            default `default_scorers`: the output and trajectory checks each case's expectations call for.
        repeats: Runs per case, for models that do not always answer the same (the report keeps each run, and
            gives each case its pass rate and mean scores).
        concurrency: Runs in flight at once.
        timeout: Seconds each run may take (a case's own ``timeout`` wins); a run that takes longer fails with
            a ``TimeoutError``.
        mode: The tool execution mode of the cases that set none: a mode (``"dry_run"``...) or a
            `agentkit.sandbox.ModePolicy`. By default tools run live and destructive ones ``dry_run``
            (`ModePolicy.for_evals`); see `effective_mode` for the precedence. An agent gets it as
            ``run(mode=...)`` (its own ``Agent(mode=...)`` and any `use_mode` around the eval do not apply); a
            function target runs inside `agentkit.sandbox.use_mode`, so the agent runs it starts without a mode
            of their own use it. Each run's effective mode is in the report (`RunRecord.mode`, and
            `ToolCallRecord.mode` per call); offline replays run no tool and record none.
        store: Where each run's events are recorded, in session ``eval:DATASET:CASE`` (see `eval_session_id`);
            with ``offline``, where the recorded runs are read from.
        offline: Replay each case's latest recorded runs from ``store`` instead of calling the model: the
            agent's tools answer from the recording (no network, no side effects), and the outcome is scored
            again. The replay is strict: a run that differs from its recording (other messages in a request, a
            changed tool contract, more steps, an output retry...) fails with a ``ReplayDivergence`` saying where.
        clock: The clock latencies and the report's times are read from (the agent's clock by default).
        progress: A `Progress`, or a stream to show one on (a bar on a terminal, one line per run otherwise).
        deps: The dependencies an agent's tools receive.
        metadata: Stored in the report as it is (a commit, a prompt version...).

    Returns:
        The report, its cases in the dataset's order and each case's runs in repeat order.

    Raises:
        UsageError: ``repeats`` or ``concurrency`` is below 1, ``offline`` without a ``store``, or no target
            without ``offline``.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, Dataset, run_eval
        >>> from agentkit.runtime import Agent
        >>> from agentkit.testing import FakeProvider
        >>> dataset = Dataset(name="greetings", cases=[Case(name="fr", inputs="Say hi in French",
        ...                                                  expected_output="Bonjour !")])
        >>> report = anyio.run(run_eval, dataset, Agent(FakeProvider(["Bonjour !"])))
        >>> report.pass_rate, report.cases[0].runs[0].text
        (1.0, 'Bonjour !')
    """
    from agentkit import __version__
    from agentkit._clock import system_clock
    from agentkit.runtime import Agent

    if repeats < 1:
        raise UsageError(f"repeats must be >= 1, got {repeats}")
    if concurrency < 1:
        raise UsageError(f"concurrency must be >= 1, got {concurrency}")
    if offline and store is None:
        raise UsageError("offline evals replay recorded runs: pass the store= that holds them")
    if target is None and not offline:
        raise UsageError(
            "nothing to evaluate: pass an agent or a function (or offline=True with a store)"
        )
    if mode is not None:
        effective_mode(None, mode)  # a bad mode is refused here, not once per case
    chosen = _as_scorers(default_scorers(dataset) if scorers is None else scorers)
    clock = clock or (target.clock if isinstance(target, Agent) else system_clock)
    cases = list(dataset.cases)
    total = len(cases) * repeats
    shown = (
        progress
        if isinstance(progress, Progress) or progress is None
        else Progress(total, progress)
    )
    runner = _Runner(
        dataset,
        target,
        scorers=chosen,
        repeats=repeats,
        timeout=timeout,
        mode=mode,
        store=store,
        offline=offline,
        clock=clock,
        progress=shown,
        deps=deps,
    )
    started_at = clock.now()
    start = clock.monotonic()
    records: list[list[RunRecord | None]] = [[None] * repeats for _ in cases]
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(i: int, repeat: int) -> None:
        async with limiter:
            records[i][repeat] = await runner.run_one(cases[i], repeat)

    try:
        async with anyio.create_task_group() as group:
            for repeat in range(repeats):
                for i in range(len(cases)):
                    group.start_soon(one, i, repeat)
    finally:
        if shown is not None:
            shown.close()
    results = [
        CaseResult(
            name=case.name,
            inputs=_jsonable(case.inputs),
            expected_output=_jsonable(case.expected_output),
            expected_tools=_jsonable(case.expected_tools),
            tags=list(case.tags),
            metadata=_jsonable(case.metadata),
            runs=[r for r in records[i] if r is not None],
        )
        for i, case in enumerate(cases)
    ]
    return EvalReport(
        name=dataset.name,
        target=_describe(target),
        started_at=started_at,
        duration_s=max(clock.monotonic() - start, 0.0),
        repeats=repeats,
        offline=offline,
        agentkit_version=__version__,
        cases=results,
        metadata=dict(metadata or {}),
    )


def _jsonable(value: Any) -> Any:
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=repr)


def run_eval_sync(
    dataset: Dataset,
    target: Agent[Any, Any] | Callable[..., Any] | None,
    **options: Any,
) -> EvalReport:
    """`run_eval` from synchronous code (``anyio.run`` around it); the same arguments.

    Raises:
        UsageError: Called from inside a running event loop; ``await run_eval(...)`` there instead.

    Examples:
        >>> from agentkit.evals import Case, Dataset, run_eval_sync
        >>> dataset = Dataset(name="math", cases=[Case(name="two", inputs="1+1", expected_output=2)])
        >>> run_eval_sync(dataset, lambda inputs: 2).pass_rate
        1.0
    """
    try:
        anyio.get_current_task()
    except RuntimeError:
        pass
    else:
        raise UsageError(
            "run_eval_sync() cannot be called from a running event loop; use `await run_eval(...)`"
        )
    return anyio.run(functools.partial(run_eval, dataset, target, **options))
