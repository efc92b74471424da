"""Eval cases: what to ask (`Case`), and the tool calls to expect (`ExpectedCall`), in the style of BFCL.

An expected argument is a *pattern*: a plain value is the one acceptable value (dicts and lists match element by
element); ``{"$one_of": [a, b]}`` accepts any of several; ``{"$optional": pattern}`` may also be left out, and
``{"$any": true}`` accepts any value. The helpers `one_of`, `optional` and `ANY` build them, and they survive YAML
and JSON unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentkit.messages import Message

if TYPE_CHECKING:
    from agentkit.storage import EventStore

__all__ = ("ANY", "Case", "ExpectedCall", "TrajectoryOptions", "one_of", "optional")

ANY: dict[str, Any] = {"$any": True}
"""The pattern that accepts any value (the argument must still be there unless marked optional)."""

Mode = Literal["live", "dry_run", "mocked", "isolated"]


def one_of(*values: Any) -> dict[str, Any]:
    """A pattern accepting any of ``values`` (each itself a pattern).

    Examples:
        >>> from agentkit.evals import one_of
        >>> one_of("celsius", "C")
        {'$one_of': ['celsius', 'C']}
    """
    return {"$one_of": list(values)}


def optional(pattern: Any = ANY) -> dict[str, Any]:
    """A pattern for an argument that may be left out; when given, it must match ``pattern``.

    Examples:
        >>> from agentkit.evals import optional
        >>> optional("celsius")
        {'$optional': 'celsius'}
    """
    return {"$optional": pattern}


def _bfcl_value(value: Any) -> Any:
    """One BFCL acceptable value as a pattern: its dicts' values are themselves lists of acceptable values."""
    if isinstance(value, dict):
        return {key: _bfcl_values(values) for key, values in value.items()}
    if isinstance(value, list):
        return [_bfcl_value(item) for item in value]
    return value


def _bfcl_values(values: Any) -> Any:
    """A BFCL list of acceptable values as a pattern; ``""`` among them means "may be left out"."""
    if not isinstance(values, list):
        return _bfcl_value(values)
    if not values:
        # BFCL lists no acceptable value: nothing matches (its checker accepts nothing either).
        return one_of()
    present = [v for v in values if v != ""] or [""]
    pattern = _bfcl_value(present[0]) if len(present) == 1 else one_of(*map(_bfcl_value, present))
    return optional(pattern) if "" in values else pattern


class ExpectedCall(BaseModel):
    """One tool call a case expects the model to make.

    Attributes:
        name: The tool's name.
        arguments: The expected argument patterns, by name (see the module docs: plain values, `one_of`,
            `optional`, `ANY`). An argument the model sends that is not listed here is a mismatch.
        optional: Names of arguments that may be left out (the same as wrapping their pattern in `optional`).
        group: A label shared by consecutive expected calls that may come in any order among themselves (parallel
            calls); ``None`` for a call whose place in the sequence is fixed.

    Examples:
        >>> from agentkit.evals import ExpectedCall, one_of
        >>> call = ExpectedCall(name="weather", arguments={"city": "Paris", "unit": one_of("C", "celsius")},
        ...                     optional=["unit"])
        >>> call.is_optional("unit"), call.is_optional("city")
        (True, False)
    """

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    optional: list[str] = Field(default_factory=list)
    group: str | None = None

    def is_optional(self, argument: str) -> bool:
        """Whether ``argument`` may be left out."""
        pattern = self.arguments.get(argument)
        return argument in self.optional or (
            isinstance(pattern, dict) and set(pattern) == {"$optional"}
        )

    @classmethod
    def from_bfcl(
        cls, entry: Mapping[str, Mapping[str, Any]], *, group: str | None = None
    ) -> ExpectedCall:
        """Read one call of a BFCL ``possible_answer`` ground truth: ``{function: {param: [acceptable...]}}``.

        Every parameter maps to its list of acceptable values; ``""`` in the list means it may be left out; a dict
        among the values is matched key by key, its own values being lists of acceptable values again.

        Args:
            entry: The call, as BFCL writes it.
            group: The parallel group to put the call in.

        Examples:
            >>> from agentkit.evals import ExpectedCall
            >>> call = ExpectedCall.from_bfcl({"math.hypot": {"x": [4], "y": [5], "z": ["", 0]}})
            >>> call.name, call.arguments
            ('math.hypot', {'x': 4, 'y': 5, 'z': {'$optional': 0}})
        """
        if len(entry) != 1:
            raise ValueError(f"a BFCL call names exactly one function, got {sorted(entry)!r}")
        ((name, parameters),) = entry.items()
        arguments = {param: _bfcl_values(values) for param, values in parameters.items()}
        return cls(name=name, arguments=arguments, group=group)


class TrajectoryOptions(BaseModel):
    """How a case's expected tool calls are compared with the calls the model made.

    Attributes:
        order: ``"strict"``: in the listed order (calls sharing a ``group`` in any order among themselves);
            ``"any"``: in any order.
        extra_calls: Whether calls the case does not expect are allowed (``False``: each one is a mismatch).
        extra_arguments: Whether arguments the expected call does not list are allowed.

    Examples:
        >>> from agentkit.evals import TrajectoryOptions
        >>> TrajectoryOptions(order="any").extra_calls
        False
    """

    model_config = ConfigDict(frozen=True)

    order: Literal["strict", "any"] = "strict"
    extra_calls: bool = False
    extra_arguments: bool = False


def _message(item: Any) -> Any:
    """Accept the ``{"role": ..., "content": "text"}`` shorthand for a message in a dataset file."""
    if isinstance(item, Mapping) and "parts" not in item and isinstance(item.get("content"), str):
        return {
            "role": item.get("role", "user"),
            "parts": [{"kind": "text", "text": item["content"]}],
        }
    return item


class Case(BaseModel):
    """One eval case: an input, and what a good run does with it.

    Attributes:
        name: A name unique in its dataset.
        inputs: The user's message; or messages (``{"role": "user", "content": "..."}`` is accepted for a text
            message); or the variables of the agent's prompt.
        expected_output: The output a good run produces, for the output scorers.
        expected_tools: The tool calls a good run makes (a trajectory), for `TrajectoryMatch`.
        trajectory: How to compare the trajectory; the scorer's own options when ``None``.
        metadata: Anything else (the scorers and reports can read it).
        mode: How the case's tools run: ``"live"``, ``"dry_run"``, ``"mocked"`` or ``"isolated"``; the runner's
            default when ``None``.
        timeout: Seconds the case's run may take; the runner's default when ``None``.
        tags: Labels for selecting and grouping cases.

    Examples:
        >>> from agentkit.evals import Case, ExpectedCall
        >>> case = Case(name="paris", inputs="Weather in Paris?",
        ...             expected_tools=[ExpectedCall(name="weather", arguments={"city": "Paris"})])
        >>> case.expected_tools[0].arguments
        {'city': 'Paris'}
        >>> Case(name="m", inputs=[{"role": "user", "content": "hi"}]).inputs[0].text
        'hi'
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    inputs: str | list[Message] | dict[str, Any]
    expected_output: Any = None
    expected_tools: list[ExpectedCall] | None = None
    trajectory: TrajectoryOptions | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    mode: Mode | None = None
    timeout: float | None = Field(default=None, gt=0)
    tags: list[str] = Field(default_factory=list)

    @field_validator("inputs", mode="before")
    @classmethod
    def _messages(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_message(item) for item in value]
        return value

    @property
    def user_input(self) -> str | list[Message] | None:
        """The input to give `Agent.run` (``None`` when the inputs are prompt variables).

        Examples:
            >>> from agentkit.evals import Case
            >>> Case(name="v", inputs={"city": "Paris"}).user_input is None
            True
        """
        return None if isinstance(self.inputs, dict) else self.inputs

    @property
    def prompt_vars(self) -> dict[str, Any] | None:
        """The variables for the agent's prompt (``None`` when the inputs are a message)."""
        return self.inputs if isinstance(self.inputs, dict) else None

    @classmethod
    def from_run(
        cls, store: EventStore, run_id: str, *, name: str | None = None, verify: bool = True
    ) -> Case:
        """Turn a stored run into a regression case: its input, its tool calls, its final output.

        The calls whose arguments the tools accepted become the expected trajectory (calls made in one model
        answer form a parallel group); the final output becomes ``expected_output``. Rejected calls, calls to
        unknown tools and the structured-output tool are left out. What the store holds went through the run's
        redactor: masked secrets stay masked in the case.

        Args:
            store: The store holding the run.
            run_id: The run.
            name: The case's name; ``run-<run_id>`` when omitted.
            verify: Refuse a run whose hash chain cannot be checked (see `agentkit.storage.Recording.load`).

        Raises:
            RunNotFound: No such run.
            TamperedRun: The stored events were changed.

        Examples:
            >>> from agentkit.evals import Case
            >>> from agentkit.runtime import Agent
            >>> from agentkit.storage import MemoryStore, StoreSink
            >>> from agentkit.testing import FakeProvider
            >>> store = MemoryStore()
            >>> _ = Agent(FakeProvider(["Hello!"])).run_sync("hi", run_id="r1", sinks=[StoreSink(store)])
            >>> case = Case.from_run(store, "r1")
            >>> case.name, case.inputs, case.expected_output, case.expected_tools
            ('run-r1', 'hi', 'Hello!', [])
        """
        from agentkit.evals._outcome import CaseOutcome
        from agentkit.storage import Recording

        recording = Recording.load(store, run_id, verify=verify)
        outcome = CaseOutcome.from_events(recording.events)
        per_step: dict[int | None, int] = {}
        kept = [c for c in outcome.tool_calls if c.status in ("succeeded", "failed", "not_run")]
        for call in kept:
            per_step[call.step] = per_step.get(call.step, 0) + 1
        expected = [
            ExpectedCall(
                name=call.name,
                arguments=dict(call.arguments),
                group=f"step-{call.step}"
                if call.step is not None and per_step[call.step] > 1
                else None,
            )
            for call in kept
        ]
        messages = list(recording.input)
        inputs: str | list[Message] = messages
        if (
            len(messages) == 1
            and messages[0].role == "user"
            and len(messages[0].parts) == 1
            and messages[0].text
        ):
            inputs = messages[0].text
        started = next((e for e in recording.events if e.type == "run.started"), None)
        metadata: dict[str, Any] = {"source_run": run_id}
        for key in ("agent", "provider", "model"):
            value = getattr(started, key, None)
            if value is not None:
                metadata[key] = value
        return cls(
            name=name or f"run-{run_id}",
            inputs=inputs,
            expected_output=outcome.output,
            expected_tools=expected,
            metadata=metadata,
        )
