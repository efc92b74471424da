"""`Dataset`: a named list of cases, read from and written to YAML or JSON, or built from stored runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentkit.evals._case import Case
from agentkit.exceptions import MissingExtraError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from agentkit.storage import EventStore

__all__ = ("Dataset",)


def _yaml() -> Any:
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - pyyaml ships with the testing extra
        raise MissingExtraError(extra="testing", package="yaml") from exc
    return yaml


def _pruned(data: dict[str, Any], *, keep: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in keep or v not in (None, "", [], {})}


class Dataset(BaseModel):
    """A named list of eval cases, with the scorers to run on them by default.

    Attributes:
        name: The dataset's name.
        cases: Its cases; their names are unique.
        scorers: Names of the scorers to run when none are given (see `agentkit.evals.scorer_by_name`).
        description: What the dataset checks.
        metadata: Anything else.

    Examples:
        >>> from agentkit.evals import Case, Dataset
        >>> data = Dataset(name="smoke", cases=[Case(name="hi", inputs="hi", expected_output="Hello!")])
        >>> Dataset.model_validate_json(data.model_dump_json()) == data
        True
        >>> [case.name for case in data]
        ['hi']
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    cases: list[Case] = Field(default_factory=list)
    scorers: list[str] = Field(default_factory=list)
    description: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_names(self) -> Dataset:
        seen: set[str] = set()
        for case in self.cases:
            if case.name in seen:
                raise ValueError(
                    f"two cases are named {case.name!r}; case names must be unique in a dataset"
                )
            seen.add(case.name)
        return self

    def __iter__(self) -> Iterator[Case]:  # type: ignore[override]  # iterate cases, not pydantic fields
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def case(self, name: str) -> Case:
        """The case named ``name``.

        Raises:
            KeyError: No such case (the message lists the names there are).
        """
        for case in self.cases:
            if case.name == name:
                return case
        raise KeyError(
            f"no case named {name!r} in dataset {self.name!r}; cases: {[c.name for c in self.cases]}"
        )

    def _data(self) -> dict[str, Any]:
        """The dataset as JSON data, without the empty fields a person would not write."""
        data = _pruned(self.model_dump(mode="json"), keep=("name", "cases"))
        for case in data["cases"]:
            kept = _pruned(case, keep=("name", "inputs"))
            case.clear()
            case.update(kept)
            for call in case.get("expected_tools") or ():
                kept = _pruned(call, keep=("name",))
                call.clear()
                call.update(kept)
        return data

    @classmethod
    def from_json(cls, path: str | Path) -> Dataset:
        """Read a dataset from a JSON file (the shape `to_json` writes).

        Raises:
            pydantic.ValidationError: The file does not describe a dataset (the error names the field).
        """
        return cls.model_validate_json(Path(path).read_bytes())

    def to_json(self, path: str | Path) -> Path:
        """Write the dataset to a JSON file; returns its path."""
        target = Path(path)
        target.write_text(
            json.dumps(self._data(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return target

    @classmethod
    def from_yaml(cls, path: str | Path) -> Dataset:
        """Read a dataset from a YAML file (needs PyYAML, which the ``testing`` extra brings).

        Examples:
            >>> import tempfile, pathlib
            >>> from agentkit.evals import Dataset
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "weather.yaml"
            >>> _ = path.write_text('''
            ... name: weather
            ... scorers: [trajectory]
            ... cases:
            ...   - name: paris
            ...     inputs: What is the weather in Paris?
            ...     expected_tools:
            ...       - name: weather
            ...         arguments: {city: Paris, unit: {$one_of: [C, celsius]}}
            ...         optional: [unit]
            ... ''')
            >>> Dataset.from_yaml(path).cases[0].expected_tools[0].arguments["unit"]
            {'$one_of': ['C', 'celsius']}
        """
        data = _yaml().safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise UsageError(
                f"{path}: a dataset file holds a mapping with 'name' and 'cases', got {type(data).__name__}"
            )
        return cls.model_validate(data)

    def to_yaml(self, path: str | Path) -> Path:
        """Write the dataset to a YAML file (needs PyYAML, which the ``testing`` extra brings); returns its path."""
        target = Path(path)
        text = _yaml().safe_dump(self._data(), sort_keys=False, allow_unicode=True)
        target.write_text(text, encoding="utf-8")
        return target

    @classmethod
    def from_runs(
        cls,
        store: EventStore,
        run_ids: Iterable[str],
        *,
        name: str = "regressions",
        verify: bool = True,
    ) -> Dataset:
        """Turn stored runs into a regression dataset, one case per run (see `Case.from_run`).

        Examples:
            >>> from agentkit.evals import Dataset
            >>> from agentkit.runtime import Agent
            >>> from agentkit.storage import MemoryStore, StoreSink
            >>> from agentkit.testing import FakeProvider
            >>> store = MemoryStore()
            >>> agent = Agent(FakeProvider(["Hello!", "Bye!"]))
            >>> for run_id, text in [("r1", "hi"), ("r2", "bye")]:
            ...     _ = agent.run_sync(text, run_id=run_id, sinks=[StoreSink(store)])
            >>> [(c.name, c.expected_output) for c in Dataset.from_runs(store, ["r1", "r2"])]
            [('run-r1', 'Hello!'), ('run-r2', 'Bye!')]
        """
        return cls(
            name=name, cases=[Case.from_run(store, run_id, verify=verify) for run_id in run_ids]
        )
