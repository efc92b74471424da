"""agentkit tools in LangChain, and LangChain tools in agentkit (``pip install "agentkit-contracts[langchain]"``).

`to_langchain` wraps an agentkit tool as a LangChain ``BaseTool``: its ``args_schema`` is the contract's input
schema, so ``bind_tools`` sends the model exactly what an agentkit run would; agentkit validates each call, and a
bad call becomes a ``ToolMessage`` with ``status="error"`` carrying the repair hint (LangChain's
``ToolException`` path); the contract's timeout applies; sensitive arguments are masked in what LangChain's
callbacks and tracers receive, as in agentkit's own events. Both ``invoke`` and ``ainvoke`` work.

`from_langchain` goes the other way: any LangChain ``BaseTool`` becomes an agentkit `JsonSchemaTool` that an
`agentkit.Agent` or a `agentkit.Registry` can use, with the tool's JSON schema as its contract.

LangChain (``langchain-core``) is imported when a function of this module is first called, not before.

Examples:
    >>> from agentkit import tool
    >>> from agentkit.integrations.langchain import to_langchain
    >>> @tool
    ... def add(a: int, b: int) -> int:
    ...     '''Add two integers.'''
    ...     return a + b
    >>> lc_add = to_langchain(add)
    >>> lc_add.name, lc_add.invoke({"a": 2, "b": 3})
    ('add', '5')
    >>> message = lc_add.invoke({"type": "tool_call", "name": "add", "id": "c1", "args": {"a": "x"}})
    >>> message.status, message.content
    ('error', '{"error":"invalid_arguments","tool":"add",...}')
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import MissingExtraError
from agentkit.integrations._bridge import call_context, invoke, run_sync

if TYPE_CHECKING:
    from collections.abc import Iterable

    from langchain_core.tools import BaseTool

    from agentkit.tools import JsonSchemaTool, RunContext, Tool

__all__ = ("from_langchain", "to_langchain")


def _require() -> Any:
    try:
        import langchain_core.tools
    except ImportError as exc:
        raise MissingExtraError(extra="langchain", package="langchain-core") from exc
    return langchain_core.tools


@functools.cache
def _tool_class() -> type[BaseTool]:
    from langchain_core.tools import BaseTool, ToolException
    from pydantic import PrivateAttr

    from agentkit.tools import mask_arguments

    class AgentkitTool(BaseTool):
        """A LangChain tool that runs an agentkit tool through agentkit's validation and timeouts."""

        response_format: Any = "content_and_artifact"
        handle_tool_error: Any = True
        _agentkit_tool: Any = PrivateAttr()
        _context: Any = PrivateAttr(default=None)

        def _filter_injected_args(self, tool_input: dict[str, Any]) -> dict[str, Any]:
            # LangChain hands this dict (and its str()) to every callback and tracer: mask sensitive values
            # there, as agentkit's events do. The tool itself still receives the real arguments.
            shown = super()._filter_injected_args(tool_input)
            pointers = self._agentkit_tool.contract.sensitive
            return mask_arguments(shown, pointers) if pointers else shown

        def _run(self, *args: Any, **kwargs: Any) -> tuple[str, Any]:
            return run_sync(lambda: self._arun(*args, **kwargs))  # type: ignore[no-any-return]  # _arun's result

        async def _arun(self, *args: Any, **kwargs: Any) -> tuple[str, Any]:
            kwargs.pop("run_manager", None)
            ctx = call_context(self._context, None)
            outcome = await invoke(self._agentkit_tool, kwargs, ctx)
            if not outcome.ok:
                # LangChain's way to tell the model a call went wrong: a ToolMessage with status="error".
                raise ToolException(outcome.content)
            return outcome.content, outcome.value

    return AgentkitTool


def to_langchain(
    tool: Tool[Any, Any], *, context: RunContext[Any] | None = None, name: str | None = None
) -> BaseTool:
    """Wrap an agentkit tool as a LangChain ``BaseTool``.

    The LangChain tool answers with the tool's serialized result as content and the Python value as its
    artifact (``response_format="content_and_artifact"``). Invalid arguments, a ``ToolFailed``, a crash or a
    timeout raise ``ToolException`` inside LangChain, which turns it into a ``ToolMessage`` with
    ``status="error"`` holding what agentkit would tell the model (the repair hint, the tool's message, a generic
    failure). Sensitive arguments are masked in the inputs LangChain's callbacks and tracers receive.

    Args:
        tool: The agentkit tool.
        context: The run context every call shares (its ``deps``, its event emitter, its per-tool retry budget);
            without one, each call gets an empty context and no events.
        name: The name the model sees (default: the contract's name made provider-safe, as an agentkit run
            sends it).

    Returns:
        A LangChain tool; ``invoke`` and ``ainvoke`` both run it.

    Raises:
        MissingExtraError: ``langchain-core`` is not installed.

    Examples:
        >>> from typing import Annotated
        >>> from agentkit import Sensitive, tool
        >>> from agentkit.integrations.langchain import to_langchain
        >>> @tool(namespace="bank")
        ... def pay(iban: Annotated[str, Sensitive()], cents: int) -> str:
        ...     '''Pay someone.'''
        ...     return "paid"
        >>> lc_pay = to_langchain(pay)
        >>> lc_pay.name, sorted(lc_pay.args)
        ('pay', ['cents', 'iban'])
        >>> lc_pay.invoke({"iban": "DE89370400440532013000", "cents": 500})
        'paid'
    """
    from agentkit.tools.dialects import wire_name
    from agentkit.tools.dialects._base import json_copy

    _require()
    contract = tool.contract
    wrapped = _tool_class()(
        name=name or wire_name(contract.name),
        description=contract.description or contract.name,
        args_schema=json_copy(contract.input_schema),
    )
    wrapped._agentkit_tool = tool
    wrapped._context = context
    return wrapped


def from_langchain(
    tool: BaseTool,
    *,
    name: str | None = None,
    namespace: str | None = None,
    version: str = "1.0.0",
    timeout: float | None = None,
    sensitive: Iterable[str] = (),
    requires_approval: bool = False,
) -> JsonSchemaTool:
    """Use a LangChain tool as an agentkit tool (a `agentkit.JsonSchemaTool`).

    The contract's input schema is the JSON schema LangChain itself sends a model for this tool;
    agentkit validates each call against it and writes repair hints as for any other tool. The LangChain tool
    runs through ``ainvoke`` as a tool call; when it reports an error (a handled ``ToolException``, a
    ``ToolMessage`` with ``status="error"``) the model receives that message as a `agentkit.ToolFailed` would
    carry it; any other exception is a crash the model sees only as a generic failure.

    Args:
        tool: The LangChain tool.
        name: The contract's name (default: the LangChain tool's).
        namespace: Registry namespace.
        version: The contract's version: LangChain tools have none, so bump it when the tool changes.
        timeout: Seconds a call may take.
        sensitive: JSON pointers of arguments never to log or echo (``"/api_key"``).
        requires_approval: Whether an agentkit run asks a human before each call.

    Raises:
        MissingExtraError: ``langchain-core`` is not installed.

    Examples:
        >>> import anyio
        >>> from langchain_core.tools import tool as lc_tool
        >>> from agentkit.integrations.langchain import from_langchain
        >>> @lc_tool
        ... def multiply(a: int, b: int) -> int:
        ...     '''Multiply two integers.'''
        ...     return a * b
        >>> multiply_tool = from_langchain(multiply, namespace="math")
        >>> multiply_tool.contract.qualified_name, multiply_tool.contract.input_schema["required"]
        ('math.multiply', ['a', 'b'])
        >>> anyio.run(multiply_tool.invoke_json, '{"a": 6, "b": 7}').content
        '42'
    """
    from agentkit import JsonSchemaTool, ToolFailed

    _require()
    from langchain_core.messages import ToolMessage
    from langchain_core.utils.function_calling import convert_to_openai_tool

    # Exactly what LangChain itself would send a model (pydantic v2, v1 or JSON-schema args, injected ones left out).
    schema: dict[str, Any] = dict(convert_to_openai_tool(tool)["function"]["parameters"])
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})

    async def handler(arguments: dict[str, Any], ctx: RunContext[Any]) -> Any:
        call = {
            "type": "tool_call",
            "name": tool.name,
            "args": arguments,
            "id": ctx.tool_call_id or "agentkit",
        }
        result = await tool.ainvoke(call)
        if isinstance(result, ToolMessage) and result.status == "error":
            raise ToolFailed(str(result.content))
        return result.content if isinstance(result, ToolMessage) else result

    return JsonSchemaTool(
        name=name or tool.name,
        namespace=namespace,
        version=version,
        description=tool.description,
        input_schema=schema,
        handler=handler,
        timeout=timeout,
        sensitive=sensitive,
        requires_approval=requires_approval,
    )
