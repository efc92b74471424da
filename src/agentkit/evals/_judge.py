"""`LLMJudge`: a model grades an answer, through any `Provider`, with a versioned prompt and a validated verdict."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agentkit.evals._scorers import Score, _plain
from agentkit.exceptions import UsageError
from agentkit.prompts import Prompt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentkit._clock import Clock
    from agentkit.evals._case import Case
    from agentkit.evals._outcome import CaseOutcome
    from agentkit.events import EventSink
    from agentkit.providers import Provider

__all__ = ("JUDGE_PROMPT", "JudgeVars", "JudgeVerdict", "LLMJudge")


class JudgeVars(BaseModel):
    """The variables a judge prompt is rendered with.

    Attributes:
        criteria: What a good answer does.
        input: The case's input, as text.
        expected_output: The expected output as text, empty when the case has none.
        output: The answer to grade, as text.
        tool_calls: The tool calls the run made, one per line, empty when none.
    """

    criteria: str
    input: str
    expected_output: str = ""
    output: str
    tool_calls: str = ""


class JudgeVerdict(BaseModel):
    """What the judge model answers, validated: a score in [0, 1], pass or fail, and why.

    Examples:
        >>> from agentkit.evals import JudgeVerdict
        >>> JudgeVerdict.model_validate_json('{"score": 0.9, "passed": true, "reason": "correct"}').passed
        True
    """

    model_config = ConfigDict(extra="ignore")

    score: float = Field(
        ge=0.0, le=1.0, description="How well the answer meets the criteria, from 0 to 1."
    )
    passed: bool = Field(description="Whether the answer meets the criteria.")
    reason: str = Field(description="One or two sentences saying why.")


JUDGE_PROMPT: Prompt[JudgeVars] = Prompt(
    "agentkit.evals.judge",
    vars=JudgeVars,
    version="1.0.0",
    description="Grades an answer against criteria; answers a JudgeVerdict as JSON.",
    system=(
        "You are a strict, fair evaluator of an AI assistant's answers. Judge only against the criteria. "
        'Reply with one JSON object and nothing else: {{"score": <number from 0 to 1>, "passed": <true or false>, '
        '"reason": "<one or two sentences>"}}.'
    ),
    user=(
        "Criteria: {criteria}\n\nInput:\n{input}\n\n"
        "{#if expected_output}Expected answer:\n{expected_output}\n\n{/if}"
        "{#if tool_calls}Tool calls made:\n{tool_calls}\n\n{/if}"
        "Answer to grade:\n{output}"
    ),
)
"""The default judge prompt (``agentkit.evals.judge``, version 1.0.0). Register your own version of it, with
`JudgeVars` as its variables, to change the wording; each score records the prompt's name, version and hash."""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)


def _input_text(case: Case) -> str:
    if isinstance(case.inputs, str):
        return case.inputs
    if isinstance(case.inputs, list):
        return "\n".join(f"{m.role}: {m.text}" for m in case.inputs)
    return _as_text(case.inputs)


class LLMJudge:
    """A model judges the answer against criteria, through any `Provider`, with a versioned `Prompt`.

    The judge runs as an agent whose output type is `JudgeVerdict`: the model's answer is parsed and validated (an
    invalid one is sent back for repair, as any structured output is), and its run emits the usual events,
    ``prompt.rendered`` included, to the ``sinks`` given. A judge that cannot answer gives a failing score whose
    details say why, rather than stopping the eval.

    Args:
        provider: The judge model.
        criteria: What a good answer does, in words the judge model reads.
        prompt: The judge prompt, with `JudgeVars` as its variables; `JUDGE_PROMPT` when omitted.
        threshold: Pass from this score on; the verdict's own ``passed`` when ``None``.
        name: The scorer's name.
        sinks: Where the judge's runs send their events (a `StoreSink` keeps them).
        clock: The clock of the judge's runs.

    Examples:
        >>> import anyio
        >>> from agentkit.evals import Case, CaseOutcome, LLMJudge
        >>> from agentkit.testing import FakeProvider
        >>> judge = LLMJudge(FakeProvider(['{"score": 0.9, "passed": true, "reason": "Polite and correct."}']),
        ...                  criteria="The answer is polite and names Paris.")
        >>> score = anyio.run(judge.score, Case(name="c", inputs="Capital of France?"),
        ...                   CaseOutcome(output="It is Paris, thank you for asking."))
        >>> score.value, score.passed, score.reason, score.details["prompt"]["version"]
        (0.9, True, 'Polite and correct.', '1.0.0')
    """

    def __init__(
        self,
        provider: Provider,
        *,
        criteria: str,
        prompt: Prompt[JudgeVars] | None = None,
        threshold: float | None = None,
        name: str = "llm_judge",
        sinks: Sequence[EventSink] = (),
        clock: Clock | None = None,
    ) -> None:
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise UsageError(f"threshold must be between 0 and 1, got {threshold!r}")
        self.provider = provider
        self.criteria = criteria
        self.prompt = prompt if prompt is not None else JUDGE_PROMPT
        self.threshold = threshold
        self.name = name
        self.sinks = tuple(sinks)
        self.clock = clock

    def variables(self, case: Case, outcome: CaseOutcome) -> JudgeVars:
        """The variables the prompt is rendered with for one outcome."""
        output = outcome.output if outcome.output is not None else outcome.text
        if outcome.error is not None and output is None:
            output = f"(the run failed: {outcome.error})"
        calls = "\n".join(
            f"{c.name}({json.dumps(c.arguments, ensure_ascii=False, sort_keys=True)})"
            for c in outcome.tool_calls
        )
        return JudgeVars(
            criteria=self.criteria,
            input=_input_text(case),
            expected_output=_as_text(case.expected_output),
            output=_as_text(output),
            tool_calls=calls,
        )

    async def score(self, case: Case, outcome: CaseOutcome) -> Score:
        """Ask the judge model for a verdict on ``outcome``."""
        from agentkit.runtime import Agent

        prompt_info = {
            "name": self.prompt.name,
            "version": self.prompt.version,
            "content_hash": self.prompt.content_hash,
        }
        agent = Agent(
            self.provider,
            instructions=self.prompt,
            output_type=JudgeVerdict,
            name=self.name,
            clock=self.clock,
            sinks=self.sinks,
        )
        try:
            result = await agent.run(prompt_vars=self.variables(case, outcome))
        except Exception as exc:
            return Score(
                scorer=self.name,
                value=0.0,
                passed=False,
                reason=f"the judge gave no valid verdict: {type(exc).__name__}: {exc}",
                details={"judge_error": type(exc).__name__, "prompt": prompt_info},
            )
        verdict = result.output
        passed = verdict.passed if self.threshold is None else verdict.score >= self.threshold
        return Score(
            scorer=self.name,
            value=verdict.score,
            passed=passed,
            reason=verdict.reason,
            details={
                "verdict": verdict.model_dump(),
                "prompt": prompt_info,
                "judge_run_id": result.run_id,
            },
        )
