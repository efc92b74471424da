"""Evals: datasets of cases, scorers, and (in the runner) reports that say whether an agent still does its job.

A `Case` gives an input and what a good run does with it: an expected output, an expected tool trajectory
(`ExpectedCall`, with several acceptable values per argument and optional arguments, in the style of the Berkeley
Function Calling Leaderboard), or both. A `Dataset` holds cases, reads and writes YAML or JSON, and turns stored
production runs into regression cases. A `CaseOutcome` is what a run of a case produced; a scorer turns a case and
an outcome into a `Score`.

Examples:
    >>> import anyio
    >>> from agentkit.evals import Case, CaseOutcome, ExpectedCall, ObservedCall, TrajectoryMatch
    >>> case = Case(name="paris", inputs="Weather in Paris?",
    ...             expected_tools=[ExpectedCall(name="weather", arguments={"city": "Paris"})])
    >>> outcome = CaseOutcome(tool_calls=[ObservedCall(name="weather", arguments={"city": "paris"})])
    >>> anyio.run(TrajectoryMatch().score, case, outcome).passed
    True
"""

from __future__ import annotations

from agentkit.evals._case import ANY, Case, ExpectedCall, TrajectoryOptions, one_of, optional
from agentkit.evals._compare import CaseChange, Comparison, compare
from agentkit.evals._dataset import Dataset
from agentkit.evals._judge import JUDGE_PROMPT, JudgeVars, JudgeVerdict, LLMJudge
from agentkit.evals._outcome import CallStatus, CaseOutcome, ObservedCall
from agentkit.evals._report import (
    CaseResult,
    EvalReport,
    ReportSummary,
    RunRecord,
    ScoreRecord,
    ScorerStats,
    ToolCallRecord,
    percentile,
)
from agentkit.evals._runner import (
    Progress,
    default_scorers,
    effective_mode,
    eval_session_id,
    mode_label,
    run_eval,
    run_eval_sync,
)
from agentkit.evals._scorers import (
    CostBudget,
    ExactMatch,
    FieldsMatch,
    FunctionScorer,
    FuzzyMatch,
    JsonSchemaValid,
    LatencyBudget,
    Score,
    Scorer,
    TokenBudget,
    as_scorer,
    scorer_by_name,
)
from agentkit.evals._trajectory import Mismatch, MismatchKind, TrajectoryMatch, bfcl_normalize

__all__ = (
    "ANY",
    "JUDGE_PROMPT",
    "CallStatus",
    "Case",
    "CaseChange",
    "CaseOutcome",
    "CaseResult",
    "Comparison",
    "CostBudget",
    "Dataset",
    "EvalReport",
    "ExactMatch",
    "ExpectedCall",
    "FieldsMatch",
    "FunctionScorer",
    "FuzzyMatch",
    "JsonSchemaValid",
    "JudgeVars",
    "JudgeVerdict",
    "LLMJudge",
    "LatencyBudget",
    "Mismatch",
    "MismatchKind",
    "ObservedCall",
    "Progress",
    "ReportSummary",
    "RunRecord",
    "Score",
    "ScoreRecord",
    "Scorer",
    "ScorerStats",
    "TokenBudget",
    "ToolCallRecord",
    "TrajectoryMatch",
    "TrajectoryOptions",
    "as_scorer",
    "bfcl_normalize",
    "compare",
    "default_scorers",
    "effective_mode",
    "eval_session_id",
    "mode_label",
    "one_of",
    "optional",
    "percentile",
    "run_eval",
    "run_eval_sync",
    "scorer_by_name",
)
