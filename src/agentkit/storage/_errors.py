"""Errors raised by event stores, migrations and replay."""

from __future__ import annotations

from typing import ClassVar

from agentkit.exceptions import RunError, StorageError

__all__ = ("MigrationError", "ReplayDivergence", "RunNotFound", "SequenceError", "StorageError")


class SequenceError(StorageError):
    """An append would leave a gap, a duplicate or a foreign event in a run's log; nothing was written.

    Attributes:
        run_id: The run appended to.
        expected: The ``seq`` the store expected next.
        got: The ``seq`` (or, for a foreign event, the ``run_id``) it was given.

    Examples:
        >>> from agentkit.storage import SequenceError
        >>> str(SequenceError(run_id="r1", expected=3, got=5))
        "run 'r1': expected event seq 3, got 5 (a gap); nothing of the batch was written"
    """

    _fields: ClassVar[tuple[str, ...]] = ("run_id", "expected", "got")

    def __init__(self, *, run_id: str, expected: int, got: int | str) -> None:
        if isinstance(got, str):
            problem = f"got an event of run {got!r}"
        else:
            kind = "a duplicate" if got < expected else "a gap"
            problem = f"got {got} ({kind})"
        super().__init__(
            f"run {run_id!r}: expected event seq {expected}, {problem}; nothing of the batch was written"
        )
        self.run_id = run_id
        self.expected = expected
        self.got = got


class RunNotFound(StorageError):
    """No run with this id is in the store.

    Examples:
        >>> from agentkit.storage import RunNotFound
        >>> str(RunNotFound(run_id="nope"))
        "no run 'nope' in the store"
    """

    _fields: ClassVar[tuple[str, ...]] = ("run_id",)

    def __init__(self, *, run_id: str) -> None:
        super().__init__(f"no run {run_id!r} in the store")
        self.run_id = run_id


class MigrationError(StorageError):
    """A stored event could not be brought to the current schema version.

    Examples:
        >>> from agentkit.storage import MigrationError
        >>> str(MigrationError("event schema_version 9 is newer than this agentkit (1); upgrade agentkit"))
        'event schema_version 9 is newer than this agentkit (1); upgrade agentkit'
    """


class ReplayDivergence(RunError):
    """A replayed run did something other than the recorded run did.

    Attributes:
        run_id: The recorded run.
        step: The model step where the runs part (0 before the first model call).
        where: What differs (``"request messages"``, ``"event #4 (tool.call.started)"``...).
        expected: What the recording holds, as text.
        actual: What the new run did, as text.
        diff: A unified diff of ``expected`` and ``actual``.

    Examples:
        >>> from agentkit.storage import ReplayDivergence
        >>> err = ReplayDivergence(run_id="r1", step=1, where="model", expected="a", actual="b")
        >>> print(err)
        run 'r1' diverges at step 1, model:
        --- recorded
        +++ replayed
        @@ -1 +1 @@
        -a
        +b
    """

    _fields: ClassVar[tuple[str, ...]] = ("run_id", "step", "where", "expected", "actual")

    def __init__(self, *, run_id: str, step: int, where: str, expected: str, actual: str) -> None:
        import difflib

        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(),
                actual.splitlines(),
                "recorded",
                "replayed",
                lineterm="",
            )
        )
        super().__init__(f"run {run_id!r} diverges at step {step}, {where}:\n{diff}")
        self.run_id = run_id
        self.step = step
        self.where = where
        self.expected = expected
        self.actual = actual
        self.diff = diff
