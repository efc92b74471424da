"""Compare two eval reports case by case: which cases regressed, which improved, which are new or gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from agentkit.evals._report import CaseResult, EvalReport

__all__ = ("CaseChange", "Comparison", "compare")

ChangeStatus = Literal["regressed", "improved", "unchanged", "added", "removed"]


class CaseChange(BaseModel):
    """How one case changed from the baseline to the candidate.

    Attributes:
        name: The case.
        status: ``"regressed"``: its pass rate fell, or a scorer's mean fell by more than the tolerance;
            ``"improved"``: the reverse, with nothing worse; ``"unchanged"``; ``"added"`` (only in the
            candidate) or ``"removed"`` (only in the baseline).
        baseline_pass_rate: The share of its runs that passed in the baseline (``None`` when added).
        candidate_pass_rate: The same in the candidate (``None`` when removed).
        score_deltas: Candidate mean minus baseline mean, per scorer both reports scored the case with.
        reasons: What changed, in words.

    Examples:
        >>> from agentkit.evals import CaseChange
        >>> CaseChange(name="x", status="added", candidate_pass_rate=1.0).baseline_pass_rate is None
        True
    """

    model_config = ConfigDict(frozen=True)

    name: str
    status: ChangeStatus
    baseline_pass_rate: float | None = None
    candidate_pass_rate: float | None = None
    score_deltas: dict[str, float] = Field(default_factory=dict)
    reasons: list[str] = Field(default_factory=list)


class Comparison(BaseModel):
    """A candidate report against a baseline: every case's change, and the overall pass rates.

    Examples:
        >>> from agentkit.evals import CaseResult, EvalReport, RunRecord, ScoreRecord, compare
        >>> def report(value):
        ...     score = ScoreRecord(scorer="exact", value=value, passed=value == 1.0)
        ...     return EvalReport(name="d", cases=[CaseResult(name="c", runs=[RunRecord(scores=[score])])])
        >>> result = compare(report(1.0), report(0.0))
        >>> [(c.name, c.status) for c in result.regressions]
        [('c', 'regressed')]
        >>> print(result.table())
        CASE  CHANGE     PASS BEFORE  PASS AFTER  WHY
        c     regressed  100%         0%          pass rate 100% -> 0%; exact 1.00 -> 0.00
        <BLANKLINE>
        pass rate 100.0% -> 0.0%: 1 regressed, 0 improved, 0 unchanged, 0 added, 0 removed
    """

    model_config = ConfigDict(frozen=True)

    baseline: str
    candidate: str
    baseline_pass_rate: float
    candidate_pass_rate: float
    tolerance: float
    changes: list[CaseChange]

    def _with(self, status: ChangeStatus) -> list[CaseChange]:
        return [c for c in self.changes if c.status == status]

    @property
    def regressions(self) -> list[CaseChange]:
        """The cases that got worse."""
        return self._with("regressed")

    @property
    def improvements(self) -> list[CaseChange]:
        """The cases that got better."""
        return self._with("improved")

    def table(self) -> str:
        """A plain-text table of the changes, regressions first, then a summary line."""
        order = {"regressed": 0, "improved": 1, "added": 2, "removed": 3, "unchanged": 4}
        rows = [["CASE", "CHANGE", "PASS BEFORE", "PASS AFTER", "WHY"]]
        for change in sorted(self.changes, key=lambda c: order[c.status]):
            rows.append(
                [
                    change.name,
                    change.status,
                    _rate(change.baseline_pass_rate),
                    _rate(change.candidate_pass_rate),
                    "; ".join(change.reasons),
                ]
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            (
                "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
            ).rstrip()
            for row in rows
        ]
        statuses: tuple[ChangeStatus, ...] = (
            "regressed",
            "improved",
            "unchanged",
            "added",
            "removed",
        )
        counts = ", ".join(f"{len(self._with(s))} {s}" for s in statuses)
        lines += [
            "",
            f"pass rate {self.baseline_pass_rate:.1%} -> {self.candidate_pass_rate:.1%}: {counts}",
        ]
        return "\n".join(lines)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _change(before: CaseResult, after: CaseResult, tolerance: float) -> CaseChange:
    worse: list[str] = []
    better: list[str] = []
    if after.pass_rate < before.pass_rate:
        worse.append(f"pass rate {before.pass_rate:.0%} -> {after.pass_rate:.0%}")
    elif after.pass_rate > before.pass_rate:
        better.append(f"pass rate {before.pass_rate:.0%} -> {after.pass_rate:.0%}")
    deltas: dict[str, float] = {}
    for scorer in before.scorers:
        old, new = before.mean_score(scorer), after.mean_score(scorer)
        if old is None or new is None:
            continue
        deltas[scorer] = new - old
        text = f"{scorer} {old:.2f} -> {new:.2f}"
        if new < old - tolerance:
            worse.append(text)
        elif new > old + tolerance:
            better.append(text)
    if before.errors < after.errors:
        worse.append(f"errors {before.errors} -> {after.errors}")
    status: ChangeStatus = "regressed" if worse else "improved" if better else "unchanged"
    return CaseChange(
        name=before.name,
        status=status,
        baseline_pass_rate=before.pass_rate,
        candidate_pass_rate=after.pass_rate,
        score_deltas=deltas,
        reasons=worse or better,
    )


def compare(baseline: EvalReport, candidate: EvalReport, *, tolerance: float = 0.01) -> Comparison:
    """Compare ``candidate`` with ``baseline`` case by case (cases are matched by name).

    A case regressed when its pass rate fell, it has more errors, or a scorer's mean value fell by more than
    ``tolerance``; it improved when something got better and nothing got worse.

    Args:
        baseline: The report to compare against (the main branch's, the current model's...).
        candidate: The new report.
        tolerance: How far a scorer's mean may move before it counts (LLM judges and fuzzy scores wobble).

    Returns:
        Every case of either report, in the baseline's order, then the added cases.
    """
    after = {c.name: c for c in candidate.cases}
    before_names = {c.name for c in baseline.cases}
    changes = []
    for case in baseline.cases:
        if case.name in after:
            changes.append(_change(case, after[case.name], tolerance))
        else:
            changes.append(
                CaseChange(
                    name=case.name,
                    status="removed",
                    baseline_pass_rate=case.pass_rate,
                    reasons=["not in the candidate"],
                )
            )
    changes += [
        CaseChange(
            name=case.name,
            status="added",
            candidate_pass_rate=case.pass_rate,
            reasons=["not in the baseline"],
        )
        for case in candidate.cases
        if case.name not in before_names
    ]
    return Comparison(
        baseline=baseline.name,
        candidate=candidate.name,
        baseline_pass_rate=baseline.pass_rate,
        candidate_pass_rate=candidate.pass_rate,
        tolerance=tolerance,
        changes=changes,
    )
