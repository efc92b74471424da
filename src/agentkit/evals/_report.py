"""What an eval run produced: `EvalReport` (JSON round trip), its summary, a terminal table and an HTML page."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = (
    "CaseResult",
    "EvalReport",
    "ReportSummary",
    "RunRecord",
    "ScoreRecord",
    "ScorerStats",
    "ToolCallRecord",
    "percentile",
)

REPORT_SCHEMA_VERSION = 1


def _utc_epoch() -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc)


class ScoreRecord(BaseModel):
    """One scorer's verdict on one run of a case, as stored in a report.

    Examples:
        >>> from agentkit.evals import ScoreRecord
        >>> ScoreRecord(scorer="exact", value=1.0, passed=True).reason is None
        True
    """

    model_config = ConfigDict(frozen=True)

    scorer: str
    value: float
    passed: bool
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    skipped: bool = False
    """The scorer had nothing to judge (the case sets no expectation for it): it passes, and is left out of
    means and charts."""


class ToolCallRecord(BaseModel):
    """A tool call a run made: the tool's name, the arguments it was called with and the mode it ran in.

    Examples:
        >>> from agentkit.evals import ToolCallRecord
        >>> ToolCallRecord(name="book", arguments={"flight": "TP1944"}, mode="dry_run").mode
        'dry_run'
    """

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: Any = None
    mode: str | None = None
    """The execution mode the call ran in (``"live"``, ``"dry_run"``...), as its events record it."""


class RunRecord(BaseModel):
    """One run of one case (one repeat): what the target answered, what it cost, and how it scored.

    Attributes:
        repeat: The repeat's number, from 0.
        run_id: The agent run's id (its events are in the store under it), when the target was an agent.
        output: The output, as JSON.
        text: The output as text.
        tool_calls: The tool calls made, in order.
        latency_s: Seconds from the call to the answer, on the runner's clock.
        cost_usd: Estimated cost, when the model's prices are known.
        input_tokens: Input tokens used.
        output_tokens: Output tokens used.
        error: ``"ExceptionType: message"`` when the run failed or timed out (then it does not pass).
        mode: The execution mode its tools ran under (`agentkit.evals.mode_label` of the case's effective
            policy, e.g. ``"live, destructive: dry_run"``); ``None`` for an offline replay.
        scores: One score per scorer.

    Examples:
        >>> from agentkit.evals import RunRecord, ScoreRecord
        >>> RunRecord(scores=[ScoreRecord(scorer="exact", value=1.0, passed=True)]).passed
        True
        >>> RunRecord(error="TimeoutError: case took longer than 1s").passed
        False
    """

    model_config = ConfigDict(frozen=True)

    repeat: int = 0
    run_id: str | None = None
    output: Any = None
    text: str | None = None
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    latency_s: float | None = None
    cost_usd: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None
    mode: str | None = None
    scores: list[ScoreRecord] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No error, and every scorer passed."""
        return self.error is None and all(s.passed for s in self.scores)

    def score(self, scorer: str) -> ScoreRecord | None:
        """This run's score from ``scorer``, if it was scored by it."""
        return next((s for s in self.scores if s.scorer == scorer), None)


class CaseResult(BaseModel):
    """Every run of one case, with what the case expected.

    Examples:
        >>> from agentkit.evals import CaseResult, RunRecord, ScoreRecord
        >>> ok = RunRecord(scores=[ScoreRecord(scorer="exact", value=1.0, passed=True)])
        >>> bad = RunRecord(repeat=1, scores=[ScoreRecord(scorer="exact", value=0.0, passed=False)])
        >>> case = CaseResult(name="greet", runs=[ok, bad])
        >>> case.pass_rate, case.passed, case.mean_score("exact")
        (0.5, False, 0.5)
    """

    model_config = ConfigDict(frozen=True)

    name: str
    inputs: Any = None
    expected_output: Any = None
    expected_tools: Any = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    runs: list[RunRecord] = Field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        """The share of runs that passed (0 for a case with no runs)."""
        return sum(r.passed for r in self.runs) / len(self.runs) if self.runs else 0.0

    @property
    def passed(self) -> bool:
        """Every run passed (a flaky case, passing some repeats only, does not)."""
        return bool(self.runs) and all(r.passed for r in self.runs)

    @property
    def mode(self) -> str | None:
        """The execution mode its runs ran under (``None`` when none recorded one)."""
        modes = list(dict.fromkeys(r.mode for r in self.runs if r.mode))
        return " | ".join(modes) if modes else None

    @property
    def errors(self) -> int:
        """Runs that failed or timed out."""
        return sum(r.error is not None for r in self.runs)

    @property
    def scorers(self) -> list[str]:
        """The scorers that scored this case, in the order they first appear."""
        return list(dict.fromkeys(s.scorer for r in self.runs for s in r.scores))

    def mean_score(self, scorer: str | None = None) -> float | None:
        """The mean value of one scorer over the runs (``None``: of every score), skipped scores left out."""
        values = [
            s.value
            for r in self.runs
            for s in r.scores
            if scorer in (None, s.scorer) and not s.skipped
        ]
        return sum(values) / len(values) if values else None

    def scorer_pass_rate(self, scorer: str) -> float | None:
        """The share of this case's runs that ``scorer`` passed, or ``None`` if it scored none."""
        verdicts = [
            s.passed for r in self.runs for s in r.scores if s.scorer == scorer and not s.skipped
        ]
        return sum(verdicts) / len(verdicts) if verdicts else None

    @property
    def mean_latency_s(self) -> float | None:
        """The mean latency of the runs that measured one."""
        values = [r.latency_s for r in self.runs if r.latency_s is not None]
        return sum(values) / len(values) if values else None

    @property
    def cost_usd(self) -> float | None:
        """The summed cost of the runs, ``None`` when no run knew its cost."""
        values = [r.cost_usd for r in self.runs if r.cost_usd is not None]
        return sum(values) if values else None


class ScorerStats(BaseModel):
    """One scorer over a whole report: its mean value and how often it passed (skipped scores left out).

    Examples:
        >>> from agentkit.evals import ScorerStats
        >>> ScorerStats(scorer="exact", mean=0.75, pass_rate=0.5, runs=4).pass_rate
        0.5
    """

    model_config = ConfigDict(frozen=True)

    scorer: str
    mean: float
    pass_rate: float
    runs: int


class ReportSummary(BaseModel):
    """The headline numbers of a report.

    Examples:
        >>> from agentkit.evals import EvalReport
        >>> EvalReport(name="empty").summary().pass_rate
        0.0
    """

    model_config = ConfigDict(frozen=True)

    cases: int
    cases_passed: int
    runs: int
    runs_passed: int
    errors: int
    pass_rate: float
    scorers: list[ScorerStats]
    latency_p50_s: float | None
    latency_p95_s: float | None
    latency_max_s: float | None
    cost_usd: float | None
    input_tokens: int
    output_tokens: int


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values``, interpolated linearly; ``None`` for no values.

    Examples:
        >>> from agentkit.evals import percentile
        >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([5.0], 95), percentile([], 50)
        (2.5, 5.0, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * min(max(q, 0.0), 100.0) / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class EvalReport(BaseModel):
    """The result of evaluating a target on a dataset: every case, every run, every score.

    It is plain data: ``to_json``/``from_json`` round-trip it exactly, so a report written by CI can be compared
    later with `agentkit.evals.compare` or rendered again as HTML.

    Attributes:
        name: The dataset's name.
        target: What was evaluated (an agent's name and model, or a callable's qualified name).
        started_at: When the eval started, on the runner's clock.
        duration_s: How long it took, on the runner's clock.
        repeats: Runs per case.
        offline: Whether the runs were replayed from a store instead of calling the model.
        cases: One result per case, in the dataset's order.
        metadata: Anything the caller attached (a git commit, a prompt version...).

    Examples:
        >>> from agentkit.evals import CaseResult, EvalReport, RunRecord, ScoreRecord
        >>> run = RunRecord(latency_s=0.5, scores=[ScoreRecord(scorer="exact", value=1.0, passed=True)])
        >>> report = EvalReport(name="smoke", cases=[CaseResult(name="hello", runs=[run])])
        >>> report.summary().pass_rate, EvalReport.from_json(report.to_json()) == report
        (1.0, True)
        >>> print(report.table())
        CASE   PASS  exact  LATENCY  COST
        hello  1/1   1.00   500ms    -
        <BLANKLINE>
        smoke: 1/1 cases passed, pass rate 100.0% (1/1 runs), 0 errors
    """

    model_config = ConfigDict(frozen=True)

    schema_version: int = REPORT_SCHEMA_VERSION
    name: str
    target: str = ""
    started_at: datetime = Field(default_factory=_utc_epoch)
    duration_s: float | None = None
    repeats: int = 1
    offline: bool = False
    agentkit_version: str = ""
    cases: list[CaseResult] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    # ------------------------------------------------------------------------------------------ numbers

    @property
    def runs(self) -> list[RunRecord]:
        """Every run of every case."""
        return [r for c in self.cases for r in c.runs]

    @property
    def scorers(self) -> list[str]:
        """Every scorer used, in the order they first appear."""
        return list(dict.fromkeys(s for c in self.cases for s in c.scorers))

    @property
    def pass_rate(self) -> float:
        """The share of all runs that passed (what ``--fail-under`` compares)."""
        runs = self.runs
        return sum(r.passed for r in runs) / len(runs) if runs else 0.0

    def case(self, name: str) -> CaseResult:
        """The result of the case called ``name``.

        Raises:
            KeyError: No such case.
        """
        for case in self.cases:
            if case.name == name:
                return case
        raise KeyError(name)

    def summary(self) -> ReportSummary:
        """The headline numbers: pass rates, per-scorer means, latency percentiles, cost and tokens."""
        runs = self.runs
        latencies = [r.latency_s for r in runs if r.latency_s is not None]
        costs = [r.cost_usd for r in runs if r.cost_usd is not None]
        stats = []
        for scorer in self.scorers:
            scores = [s for r in runs for s in r.scores if s.scorer == scorer and not s.skipped]
            if not scores:
                continue
            stats.append(
                ScorerStats(
                    scorer=scorer,
                    mean=sum(s.value for s in scores) / len(scores),
                    pass_rate=sum(s.passed for s in scores) / len(scores),
                    runs=len(scores),
                )
            )
        return ReportSummary(
            cases=len(self.cases),
            cases_passed=sum(c.passed for c in self.cases),
            runs=len(runs),
            runs_passed=sum(r.passed for r in runs),
            errors=sum(r.error is not None for r in runs),
            pass_rate=self.pass_rate,
            scorers=stats,
            latency_p50_s=percentile(latencies, 50),
            latency_p95_s=percentile(latencies, 95),
            latency_max_s=max(latencies) if latencies else None,
            cost_usd=sum(costs) if costs else None,
            input_tokens=sum(r.input_tokens for r in runs),
            output_tokens=sum(r.output_tokens for r in runs),
        )

    # ------------------------------------------------------------------------------------------ formats

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON (`from_json` reads it back)."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> EvalReport:
        """Read a report written by `to_json`.

        Raises:
            pydantic.ValidationError: The text is not a report.
        """
        return cls.model_validate_json(text)

    def table(self) -> str:
        """A plain-text table, one row per case, and a summary line (what ``agentkit eval run`` prints).

        A ``MODE`` column shows the execution mode of each case's tools when the runs recorded one.
        """
        from agentkit.evals._html import format_cost, format_seconds

        scorers = self.scorers
        modes = any(case.mode for case in self.cases)
        rows = [["CASE", "PASS", *scorers, "LATENCY", "COST", *(["MODE"] if modes else [])]]
        for case in self.cases:
            passed = sum(r.passed for r in case.runs)
            cells = [case.name, f"{passed}/{len(case.runs)}"]
            for scorer in scorers:
                mean = case.mean_score(scorer)
                cells.append("-" if mean is None else f"{mean:.2f}")
            cells += [format_seconds(case.mean_latency_s), format_cost(case.cost_usd)]
            if modes:
                cells.append(case.mode or "-")
            if case.errors:
                cells[0] += " (error)" if case.errors == len(case.runs) else " (errors)"
            rows.append(cells)
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        s = self.summary()
        lines += [
            "",
            f"{self.name}: {s.cases_passed}/{s.cases} cases passed, pass rate {s.pass_rate:.1%} "
            f"({s.runs_passed}/{s.runs} runs), {s.errors} error{'s' if s.errors != 1 else ''}",
        ]
        return "\n".join(lines)

    def to_html(self) -> str:
        """A self-contained HTML page (inline CSS and SVG charts, no script, nothing fetched)."""
        from agentkit.evals._html import render_report

        return render_report(self)

    def save(self, path: str | Path) -> None:
        """Write the report to ``path``: HTML when it ends with ``.html``/``.htm``, JSON otherwise."""
        text = self.to_html() if str(path).lower().endswith((".html", ".htm")) else self.to_json()
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)

    @classmethod
    def load(cls, path: str | Path) -> EvalReport:
        """Read a report saved as JSON."""
        with open(path, encoding="utf-8") as file:
            return cls.from_json(file.read())
