"""Scores and scorers: how a case's outcome is judged.

A scorer is anything with a ``name`` and ``async score(case, outcome) -> Score`` (the `Scorer` protocol). Plain
functions ``(case, outcome) -> bool | float | Score``, sync or async, become scorers through `as_scorer`.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import json
import math
import re
import string
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from agentkit.evals._case import Case
    from agentkit.evals._outcome import CaseOutcome

__all__ = (
    "CostBudget",
    "ExactMatch",
    "FieldsMatch",
    "FunctionScorer",
    "FuzzyMatch",
    "JsonSchemaValid",
    "LatencyBudget",
    "Score",
    "Scorer",
    "TokenBudget",
    "as_scorer",
    "scorer_by_name",
)


class Score(BaseModel):
    """One scorer's judgement of one case outcome.

    Attributes:
        scorer: The scorer's name.
        value: How good the outcome is, from 0 (worst) to 1 (best).
        passed: Whether it meets the scorer's bar.
        reason: Why, in a sentence a person reads in a report.
        details: Structured evidence (mismatches, measured values).
        skipped: The scorer had nothing to judge (the case sets no expectation for it); such a score reads as
            passed with value 1, and reports may show it as "n/a".

    Examples:
        >>> from agentkit.evals import Score
        >>> Score(scorer="exact_match", value=1.0, passed=True, reason="equal").passed
        True
    """

    model_config = ConfigDict(frozen=True)

    scorer: str
    value: float = Field(ge=0.0, le=1.0)
    passed: bool
    reason: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    skipped: bool = False

    @classmethod
    def skip(cls, scorer: str, reason: str) -> Score:
        """A score for an outcome the scorer has nothing to judge in."""
        return cls(scorer=scorer, value=1.0, passed=True, reason=reason, skipped=True)


@runtime_checkable
class Scorer(Protocol):
    """What the runner needs from a scorer: a name and an async ``score``.

    Examples:
        >>> from agentkit.evals import ExactMatch, Scorer
        >>> isinstance(ExactMatch(), Scorer)
        True
    """

    name: str

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Judge one outcome of ``case``."""
        ...


ScoreFunction = Callable[
    ["Case", "CaseOutcome"], "bool | float | Score | Awaitable[bool | float | Score]"
]


class FunctionScorer:
    """A scorer made from a function ``(case, outcome) -> bool | float | Score`` (see `as_scorer`).

    A ``bool`` is a pass or a fail; a ``float`` in [0, 1] is the value, passing at ``threshold``; a `Score` is
    taken as is (its ``scorer`` renamed to this scorer's name).
    """

    def __init__(
        self, function: ScoreFunction, *, name: str | None = None, threshold: float = 0.5
    ) -> None:
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", "custom"))
        self.threshold = threshold

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Call the function and read its answer as a score."""
        result: Any = self.function(case, outcome)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, Score):
            return (
                result
                if result.scorer == self.name
                else result.model_copy(update={"scorer": self.name})
            )
        if isinstance(result, bool):
            return Score(
                scorer=self.name,
                value=float(result),
                passed=result,
                reason="passed" if result else "failed",
            )
        if isinstance(result, int | float) and 0.0 <= result <= 1.0:
            value = float(result)
            return Score(
                scorer=self.name,
                value=value,
                passed=value >= self.threshold,
                reason=f"{value:.3g} {'>=' if value >= self.threshold else '<'} threshold {self.threshold:.3g}",
            )
        raise UsageError(
            f"scorer {self.name!r} returned {result!r}; a scoring function returns a bool, a float in [0, 1] or a Score"
        )

    def __repr__(self) -> str:
        return f"FunctionScorer({self.name!r})"


def as_scorer(
    function: ScoreFunction | Scorer, *, name: str | None = None, threshold: float = 0.5
) -> Scorer:
    """Make a scorer of a function ``(case, outcome) -> bool | float | Score`` (sync or async).

    A scorer is returned unchanged.

    Args:
        function: The function.
        name: The scorer's name; the function's name when omitted.
        threshold: The value from which a float result passes.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, as_scorer
        >>> def short(case, outcome):
        ...     return len(outcome.text or "") < 20
        >>> score = anyio.run(as_scorer(short).score, Case(name="c", inputs="hi"), CaseOutcome(output="Hello!"))
        >>> score.scorer, score.passed
        ('short', True)
    """
    if isinstance(function, Scorer):
        return function
    return FunctionScorer(function, name=name, threshold=threshold)


# ----------------------------------------------------------------------------------------------- text


_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")
_SPACES = re.compile(r"\s+")


def _plain(value: Any) -> Any:
    """A value as JSON data: pydantic models dumped, tuples as lists."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _text_of(outcome: CaseOutcome) -> str | None:
    if isinstance(outcome.output, str):
        return outcome.output
    if outcome.output is not None:
        return json.dumps(_plain(outcome.output), ensure_ascii=False, sort_keys=True)
    return outcome.text


class _TextScorer:
    name: str

    def __init__(
        self,
        *,
        ignore_case: bool = False,
        collapse_whitespace: bool = True,
        ignore_punctuation: bool = False,
    ) -> None:
        self.ignore_case = ignore_case
        self.collapse_whitespace = collapse_whitespace
        self.ignore_punctuation = ignore_punctuation

    def normalize(self, text: str) -> str:
        """``text`` as this scorer compares it."""
        if self.ignore_punctuation:
            text = _PUNCTUATION.sub("", text)
        if self.collapse_whitespace:
            text = _SPACES.sub(" ", text).strip()
        if self.ignore_case:
            text = text.casefold()
        return text

    def _pair(self, case: Case, outcome: CaseOutcome) -> tuple[str, str] | Score:
        if case.expected_output is None:
            return Score.skip(self.name, "the case expects no output")
        if outcome.error is not None:
            return Score(
                scorer=self.name, value=0.0, passed=False, reason=f"the run failed: {outcome.error}"
            )
        expected = case.expected_output
        got = _text_of(outcome)
        if got is None:
            return Score(
                scorer=self.name, value=0.0, passed=False, reason="the run produced no output"
            )
        if not isinstance(expected, str):
            expected = json.dumps(_plain(expected), ensure_ascii=False, sort_keys=True)
        return self.normalize(expected), self.normalize(got)


class ExactMatch(_TextScorer):
    """The output equals the expected output, after normalisation.

    Structured outputs (pydantic models, dicts, lists) are compared as data; text after the normalisation the
    options ask for (whitespace runs collapsed and ends stripped by default).

    Args:
        ignore_case: Compare case-insensitively.
        collapse_whitespace: Treat runs of whitespace as one space and ignore leading and trailing whitespace.
        ignore_punctuation: Drop ASCII punctuation before comparing.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, ExactMatch
        >>> case = Case(name="c", inputs="Capital of France?", expected_output="Paris.")
        >>> anyio.run(ExactMatch(ignore_case=True, ignore_punctuation=True).score, case,
        ...           CaseOutcome(output=" paris ")).passed
        True
    """

    name = "exact_match"

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Compare the output with ``case.expected_output``."""
        if (
            case.expected_output is not None
            and outcome.error is None
            and outcome.output is not None
        ):
            expected, got = _plain(case.expected_output), _plain(outcome.output)
            if not isinstance(expected, str) and isinstance(got, str):
                # Data expected, JSON text produced: compare the data.
                with contextlib.suppress(ValueError):
                    got = json.loads(got)
            if not isinstance(expected, str) and not isinstance(got, str):
                same = expected == got
                return Score(
                    scorer=self.name,
                    value=float(same),
                    passed=same,
                    reason="equal" if same else "the output differs from the expected output",
                    details={} if same else {"expected": expected, "got": got},
                )
        pair = self._pair(case, outcome)
        if isinstance(pair, Score):
            return pair
        expected_text, got_text = pair
        same = expected_text == got_text
        return Score(
            scorer=self.name,
            value=float(same),
            passed=same,
            reason="equal" if same else f"expected {_short(expected_text)}, got {_short(got_text)}",
        )


class FuzzyMatch(_TextScorer):
    """The output is close to the expected output: difflib's similarity ratio, passing at ``threshold``.

    Args:
        threshold: The ratio (0 to 1) from which the output passes.
        ignore_case: Compare case-insensitively (the default here).
        collapse_whitespace: Treat runs of whitespace as one space.
        ignore_punctuation: Drop ASCII punctuation before comparing.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, FuzzyMatch
        >>> case = Case(name="c", inputs="?", expected_output="The weather in Paris is sunny.")
        >>> score = anyio.run(FuzzyMatch(threshold=0.8).score, case,
        ...                   CaseOutcome(output="The weather in Paris is sunny today."))
        >>> score.passed, round(score.value, 2)
        (True, 0.91)
    """

    name = "fuzzy_match"

    def __init__(
        self,
        *,
        threshold: float = 0.8,
        ignore_case: bool = True,
        collapse_whitespace: bool = True,
        ignore_punctuation: bool = False,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise UsageError(f"threshold must be between 0 and 1, got {threshold!r}")
        super().__init__(
            ignore_case=ignore_case,
            collapse_whitespace=collapse_whitespace,
            ignore_punctuation=ignore_punctuation,
        )
        self.threshold = threshold

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Measure how close the output is to ``case.expected_output``."""
        pair = self._pair(case, outcome)
        if isinstance(pair, Score):
            return pair
        expected, got = pair
        ratio = difflib.SequenceMatcher(None, expected, got, autojunk=False).ratio()
        passed = ratio >= self.threshold
        return Score(
            scorer=self.name,
            value=ratio,
            passed=passed,
            reason=f"similarity {ratio:.2f} {'>=' if passed else '<'} threshold {self.threshold:.2f}",
            details={"ratio": ratio, "threshold": self.threshold},
        )


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# ------------------------------------------------------------------------------------ structured output


class JsonSchemaValid:
    """The output is valid against a JSON Schema (jsonschema, draft 2020-12 unless the schema says otherwise).

    A text output is decoded as JSON first; a pydantic model output is dumped.

    Args:
        schema: The schema: a mapping, or a pydantic model class (its JSON Schema). When ``None``, the case's
            ``metadata["output_schema"]``; cases without one are skipped.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, JsonSchemaValid
        >>> scorer = JsonSchemaValid({"type": "object", "required": ["city"]})
        >>> anyio.run(scorer.score, Case(name="c", inputs="?"), CaseOutcome(output='{"town": "Paris"}')).reason
        "1 schema violation: $: 'city' is a required property"
    """

    name = "json_schema"

    def __init__(self, schema: Mapping[str, Any] | type[BaseModel] | None = None) -> None:
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            schema = schema.model_json_schema()
        self.schema: Mapping[str, Any] | None = schema

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Validate the output against the schema."""
        import jsonschema

        schema = self.schema if self.schema is not None else case.metadata.get("output_schema")
        if schema is None:
            return Score.skip(
                self.name, "no schema: give one to JsonSchemaValid or in metadata['output_schema']"
            )
        if outcome.error is not None:
            return Score(
                scorer=self.name, value=0.0, passed=False, reason=f"the run failed: {outcome.error}"
            )
        data = _plain(outcome.output)
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                return Score(
                    scorer=self.name,
                    value=0.0,
                    passed=False,
                    reason=f"the output is not JSON: {exc}",
                )
        validator_type = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator
        )
        errors = sorted(
            validator_type(schema).iter_errors(data), key=lambda e: list(e.absolute_path)
        )
        if not errors:
            return Score(scorer=self.name, value=1.0, passed=True, reason="valid")
        problems = [f"{e.json_path}: {e.message}" for e in errors]
        noun = "violation" if len(problems) == 1 else "violations"
        return Score(
            scorer=self.name,
            value=0.0,
            passed=False,
            reason=f"{len(problems)} schema {noun}: " + "; ".join(problems[:3]),
            details={"errors": problems},
        )


_MISSING = object()


def _lookup(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``"items.0.name"``), or ``_MISSING``."""
    current = data
    for key in path.split(".") if path else ():
        if isinstance(current, Mapping) and key in current:
            current = current[key]
        elif (
            isinstance(current, list)
            and key.lstrip("-").isdigit()
            and -len(current) <= int(key) < len(current)
        ):
            current = current[int(key)]
        else:
            return _MISSING
    return current


def _leaves(data: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every leaf of ``data`` (an empty dict or list is a leaf)."""
    if isinstance(data, Mapping) and data:
        return [p for k, v in data.items() for p in _leaves(v, f"{prefix}{k}.")]
    if isinstance(data, list) and data:
        return [p for i, v in enumerate(data) for p in _leaves(v, f"{prefix}{i}.")]
    return [prefix[:-1]] if prefix else [""]


class FieldsMatch:
    """Selected fields of a structured output equal the expected output's (dotted paths, list indexes allowed).

    The value is the share of fields that match; the case passes when they all do.

    Args:
        fields: Dotted paths such as ``"address.city"`` or ``"items.0.sku"``; every leaf of the expected output
            when ``None``.
        rel_tol: Relative tolerance for numbers.
        ignore_case: Compare strings case-insensitively.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, FieldsMatch
        >>> case = Case(name="c", inputs="?", expected_output={"city": "Paris", "geo": {"lat": 48.86}})
        >>> score = anyio.run(FieldsMatch(["city", "geo.lat"]).score, case,
        ...                   CaseOutcome(output={"city": "Paris", "geo": {"lat": 48.85}}))
        >>> score.value, score.reason
        (0.5, '1 of 2 fields differ: geo.lat: expected 48.86, got 48.85')
    """

    name = "fields_match"

    def __init__(
        self,
        fields: Sequence[str] | None = None,
        *,
        rel_tol: float = 0.0,
        ignore_case: bool = False,
    ) -> None:
        self.fields = list(fields) if fields is not None else None
        self.rel_tol = rel_tol
        self.ignore_case = ignore_case

    def _equal(self, expected: Any, got: Any) -> bool:
        if isinstance(expected, bool) or isinstance(got, bool):
            return expected is got
        if isinstance(expected, int | float) and isinstance(got, int | float):
            return math.isclose(expected, got, rel_tol=self.rel_tol, abs_tol=0.0)
        if self.ignore_case and isinstance(expected, str) and isinstance(got, str):
            return expected.casefold() == got.casefold()
        return bool(expected == got)

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Compare the selected fields of the output with those of ``case.expected_output``."""
        if case.expected_output is None:
            return Score.skip(self.name, "the case expects no output")
        if outcome.error is not None:
            return Score(
                scorer=self.name, value=0.0, passed=False, reason=f"the run failed: {outcome.error}"
            )
        expected, got = _plain(case.expected_output), _plain(outcome.output)
        if isinstance(got, str):
            try:
                got = json.loads(got)
            except ValueError:
                return Score(
                    scorer=self.name,
                    value=0.0,
                    passed=False,
                    reason="the output is not structured data",
                )
        fields = self.fields if self.fields is not None else _leaves(expected)
        if not fields:
            return Score.skip(self.name, "no fields to compare")
        problems: dict[str, str] = {}
        for path in fields:
            want, have = _lookup(expected, path), _lookup(got, path)
            if want is _MISSING:
                raise UsageError(f"case {case.name!r}: the expected output has no field {path!r}")
            if have is _MISSING:
                problems[path] = "missing"
            elif not self._equal(want, have):
                problems[path] = f"expected {want!r}, got {have!r}"
        value = 1.0 - len(problems) / len(fields)
        if not problems:
            return Score(
                scorer=self.name, value=1.0, passed=True, reason=f"all {len(fields)} fields match"
            )
        listed = "; ".join(f"{p}: {why}" for p, why in list(problems.items())[:3])
        return Score(
            scorer=self.name,
            value=value,
            passed=False,
            reason=f"{len(problems)} of {len(fields)} fields differ: {listed}",
            details={"fields": problems},
        )


# ------------------------------------------------------------------------------------------- budgets


class _Budget:
    name: str
    unit: str

    def __init__(self, maximum: float, *, if_unknown: Literal["skip", "fail"] = "skip") -> None:
        if maximum < 0:
            raise UsageError(f"a budget is not negative, got {maximum!r}")
        self.maximum = maximum
        self.if_unknown = if_unknown

    def measure(self, outcome: CaseOutcome) -> float | None:
        raise NotImplementedError

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Compare what the run used with the budget."""
        used = self.measure(outcome)
        if used is None:
            if self.if_unknown == "skip":
                return Score.skip(self.name, f"the run's {self.unit} is unknown")
            return Score(
                scorer=self.name,
                value=0.0,
                passed=False,
                reason=f"the run's {self.unit} is unknown",
            )
        passed = used <= self.maximum
        value = 1.0 if passed else (self.maximum / used if used > 0 else 0.0)
        return Score(
            scorer=self.name,
            value=value,
            passed=passed,
            reason=f"{self.unit} {used:.4g} {'<=' if passed else '>'} budget {self.maximum:.4g}",
            details={"used": used, "budget": self.maximum},
        )


class LatencyBudget(_Budget):
    """The run took at most ``max_s`` seconds (as the runner measured it).

    Within budget the value is 1; over it, budget / used.

    Args:
        max_s: The budget in seconds.
        if_unknown: What to do when the latency was not measured: ``"skip"`` or ``"fail"``.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, LatencyBudget
        >>> anyio.run(LatencyBudget(2.0).score, Case(name="c", inputs="?"), CaseOutcome(latency_s=4.0)).value
        0.5
    """

    name = "latency"
    unit = "latency (s)"

    def __init__(self, max_s: float, *, if_unknown: Literal["skip", "fail"] = "skip") -> None:
        super().__init__(max_s, if_unknown=if_unknown)

    def measure(self, outcome: CaseOutcome) -> float | None:
        """The run's latency."""
        return outcome.latency_s


class CostBudget(_Budget):
    """The run cost at most ``max_usd`` US dollars (estimated from its usage and the price table).

    Args:
        max_usd: The budget in US dollars.
        if_unknown: What to do when the cost is unknown (a model without a price): ``"skip"`` or ``"fail"``.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, CostBudget
        >>> anyio.run(CostBudget(0.01).score, Case(name="c", inputs="?"), CaseOutcome(cost_usd=0.002)).passed
        True
    """

    name = "cost"
    unit = "cost (USD)"

    def __init__(self, max_usd: float, *, if_unknown: Literal["skip", "fail"] = "skip") -> None:
        super().__init__(max_usd, if_unknown=if_unknown)

    def measure(self, outcome: CaseOutcome) -> float | None:
        """The run's cost."""
        return outcome.cost_usd


class TokenBudget(_Budget):
    """The run used at most ``max_tokens`` tokens: in total, or only input or output tokens.

    Args:
        max_tokens: The budget.
        kind: Which tokens count: ``"total"``, ``"input"`` or ``"output"``.
        if_unknown: What to do when the usage is unknown: ``"skip"`` or ``"fail"``.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, TokenBudget
        >>> from agentkit.messages import Usage
        >>> outcome = CaseOutcome(usage=Usage(input_tokens=900, output_tokens=300))
        >>> anyio.run(TokenBudget(1000).score, Case(name="c", inputs="?"), outcome).reason
        'total tokens 1200 > budget 1000'
    """

    name = "tokens"

    def __init__(
        self,
        max_tokens: int,
        *,
        kind: Literal["total", "input", "output"] = "total",
        if_unknown: Literal["skip", "fail"] = "skip",
    ) -> None:
        super().__init__(max_tokens, if_unknown=if_unknown)
        self.kind = kind
        self.unit = f"{kind} tokens"

    def measure(self, outcome: CaseOutcome) -> float | None:
        """The tokens the run used, of the kind counted."""
        if outcome.usage is None:
            return None
        usage = outcome.usage
        return float(
            {
                "total": usage.total_tokens,
                "input": usage.input_tokens,
                "output": usage.output_tokens,
            }[self.kind]
        )


def scorer_by_name(name: str) -> Scorer:
    """A built-in scorer with its default options, by name (for ``Dataset.scorers`` and the command line).

    The names: ``exact_match``, ``fuzzy_match``, ``json_schema`` (reads ``metadata["output_schema"]``),
    ``fields_match`` and ``trajectory``.

    Raises:
        UsageError: No built-in scorer has that name (the message lists them).

    Examples:
        >>> from agentkit.evals import scorer_by_name
        >>> scorer_by_name("trajectory").name
        'trajectory'
    """
    from agentkit.evals._trajectory import TrajectoryMatch

    factories: dict[str, Callable[[], Scorer]] = {
        "exact_match": ExactMatch,
        "fuzzy_match": FuzzyMatch,
        "json_schema": JsonSchemaValid,
        "fields_match": FieldsMatch,
        "trajectory": TrajectoryMatch,
    }
    factory = factories.get(name)
    if factory is None:
        close = difflib.get_close_matches(name, factories, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"no built-in scorer named {name!r}{hint} (there are: {', '.join(sorted(factories))})"
        )
    return factory()
