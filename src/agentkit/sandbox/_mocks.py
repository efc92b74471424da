"""Answers for ``mocked`` tool calls: from a recorded run, from fixed values, or from functions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import ToolFailed, UsageError
from agentkit.tools._sensitive import mask_arguments

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from agentkit.events import BaseEvent
    from agentkit.storage import Recording

__all__ = ("Mocks",)

_ANY = object()


class _Rule:
    __slots__ = ("arguments", "exact", "function", "raises", "returns")

    def __init__(
        self,
        *,
        arguments: Mapping[str, Any] | None,
        exact: bool,
        returns: Any = _ANY,
        raises: BaseException | None = None,
        function: Callable[..., Any] | None = None,
    ) -> None:
        self.arguments = None if arguments is None else dict(arguments)
        self.exact = exact
        self.returns = returns
        self.raises = raises
        self.function = function

    def matches(self, arguments: Mapping[str, Any]) -> bool:
        wanted = self.arguments
        if wanted is None:
            return True
        if self.exact:
            return _canonical(wanted) == _canonical(arguments)
        return all(
            key in arguments and _canonical(arguments[key]) == _canonical(value)
            for key, value in wanted.items()
        )


class Mocks:
    """Answers for tool calls in ``mocked`` mode, matched on the tool's name and the call's arguments.

    Rules are tried in the order they were added; the first that matches answers. Arguments are matched after
    validation (defaults filled in, types coerced), compared as JSON. A call nothing matches fails with
    `MockNotFound`, which lists the argument sets that do have answers.

    Examples:
        >>> from agentkit.sandbox import Mocks
        >>> mocks = (
        ...     Mocks()
        ...     .add("weather", {"city": "Paris"}, returns={"temp_c": 21})
        ...     .function("weather", lambda city: {"temp_c": len(city)})
        ... )
        >>> mocks.answer("weather", {"city": "Paris"}), mocks.answer("weather", {"city": "Oslo"})
        ({'temp_c': 21}, {'temp_c': 4})
    """

    def __init__(self) -> None:
        self._rules: dict[str, list[_Rule]] = {}

    def add(
        self,
        tool_name: str,
        when: Mapping[str, Any] | None = None,
        *,
        returns: Any = None,
        raises: BaseException | None = None,
    ) -> Mocks:
        """Answer calls of ``tool_name`` whose arguments include ``when`` (every call when ``None``).

        Args:
            tool_name: The tool, by the name the model sees.
            when: Argument values the call must have (other arguments may be anything).
            returns: The result, serialized as the tool's own result would be (its type is checked).
            raises: An exception to raise instead (``ToolFailed("...")`` for an answer the model sees as a
                failure).

        Returns:
            These mocks, to chain calls.
        """
        self._rules.setdefault(tool_name, []).append(
            _Rule(arguments=when, exact=False, returns=returns, raises=raises)
        )
        return self

    def function(self, tool_name: str, fn: Callable[..., Any]) -> Mocks:
        """Answer calls of ``tool_name`` with ``fn(**arguments)`` (sync or async), typed like the tool's result.

        Returns:
            These mocks, to chain calls.
        """
        if not callable(fn):
            raise UsageError(f"Mocks.function needs a callable for {tool_name!r}, got {fn!r}")
        self._rules.setdefault(tool_name, []).append(
            _Rule(arguments=None, exact=False, function=fn)
        )
        return self

    @classmethod
    def from_recording(cls, recording: Recording | Iterable[BaseEvent]) -> Mocks:
        """Mocks answering each call a recorded run made, with the same tool and arguments, as it was answered.

        Matching is exact on the recorded (validated, masked) arguments; a recorded failure answers as a
        failure with the same text.

        Args:
            recording: A `agentkit.storage.Recording` (``Recording.load(store, run_id)``) or a run's events.

        Examples:
            >>> from agentkit import tool
            >>> from agentkit.messages import ToolCallPart
            >>> from agentkit.runtime import Agent
            >>> from agentkit.sandbox import Mocks
            >>> from agentkit.testing import FakeProvider
            >>> @tool
            ... def rate(pair: str) -> float:
            ...     '''An exchange rate.'''
            ...     return 1.08
            >>> calls = [ToolCallPart(id="c1", name="rate", arguments='{"pair": "EURUSD"}')]
            >>> result = Agent(FakeProvider([calls, "1.08"]), tools=[rate]).run_sync("EUR in USD?")
            >>> Mocks.from_recording(result.events).answer("rate", {"pair": "EURUSD"})
            '1.08'
        """
        events: Iterable[Any] = getattr(recording, "events", None) or recording  # type: ignore[assignment]  # a Recording has .events
        mocks = cls()
        started: dict[str, Any] = {}
        for event in events:
            kind = getattr(event, "type", None)
            call_id = getattr(event, "tool_call_id", None)
            if kind == "tool.call.started" and call_id is not None:
                started[call_id] = event
            elif kind in ("tool.call.succeeded", "tool.call.failed") and call_id in started:
                begun = started.pop(call_id)
                content = getattr(event, "content", None)
                if content is None:  # events older than schema version 2 hold no content
                    continue
                if kind == "tool.call.succeeded":
                    rule = _Rule(
                        arguments=begun.arguments or {}, exact=True, returns=_Recorded(content)
                    )
                else:
                    rule = _Rule(
                        arguments=begun.arguments or {}, exact=True, raises=ToolFailed(content)
                    )
                mocks._rules.setdefault(begun.tool_name, []).append(rule)
        return mocks

    def answer(self, tool_name: str, arguments: Mapping[str, Any]) -> Any:
        """The answer for one call (recorded answers come back as their JSON text), as a mocked call gets it.

        Raises:
            MockNotFound: Nothing matches.
        """
        found, value = self._answer(tool_name, arguments, ())
        if not found:
            from agentkit.sandbox._errors import MockNotFound

            raise MockNotFound(
                tool_name=tool_name, arguments=dict(arguments), known=self._known(tool_name)
            )
        return value.text if isinstance(value, _Recorded) else value

    # ------------------------------------------------------------------------------------ internals

    def _answer(
        self, tool_name: str, arguments: Mapping[str, Any], sensitive: tuple[str, ...]
    ) -> tuple[bool, Any]:
        masked: Mapping[str, Any] | None = None
        for rule in self._rules.get(tool_name, ()):
            if rule.exact:
                # A recording holds the arguments masked: compare masked with masked.
                if masked is None:
                    masked = mask_arguments(dict(arguments), sensitive) if sensitive else arguments
                if not rule.matches(masked):
                    continue
            elif not rule.matches(arguments):
                continue
            if rule.raises is not None:
                raise rule.raises
            if rule.function is not None:
                return True, rule.function(**arguments)
            return True, rule.returns
        return False, None

    def _known(self, tool_name: str) -> list[Any]:
        return [
            "any arguments" if rule.arguments is None else rule.arguments
            for rule in self._rules.get(tool_name, ())
        ][:10]

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}: {len(rules)}" for name, rules in sorted(self._rules.items()))
        return f"Mocks({counts})"


class _Recorded:
    """A recorded answer: the tool's output as the recording holds it, sent as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
