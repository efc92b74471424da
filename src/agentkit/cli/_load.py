"""Import the user's modules the way ``python -m`` does: the current directory comes first on ``sys.path``."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import CommandError, ExitCode
from agentkit.cli._output import escape
from agentkit.exceptions import AgentkitError

if TYPE_CHECKING:
    import types
    from collections.abc import Iterator

__all__ = ("cwd_on_path", "import_attribute", "import_module")


@contextlib.contextmanager
def cwd_on_path() -> Iterator[None]:
    """Put the current directory first on ``sys.path`` for the block, unless it is there already.

    The ``agentkit`` console script starts with its own ``bin/`` directory on the path, not the current one,
    so ``-m myapp.tools`` would not find ``./myapp`` without this; ``python -m`` would.

    Examples:
        >>> import os, sys
        >>> from agentkit.cli._load import cwd_on_path
        >>> before = list(sys.path)
        >>> with cwd_on_path():
        ...     any(p in ("", os.getcwd()) for p in sys.path)
        True
        >>> sys.path == before
        True
    """
    cwd = os.getcwd()
    if any(entry in ("", ".") or os.path.abspath(entry) == cwd for entry in sys.path):
        yield
        return
    sys.path.insert(0, cwd)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(cwd)


def import_module(name: str) -> types.ModuleType:
    """Import ``name`` from the current directory or ``sys.path``; failures become exit code 3.

    Raises:
        CommandError: With `ExitCode.LOAD_ERROR`, saying what failed; for an exception raised by the module's
            own code, the traceback is printed on stderr first.

    Examples:
        >>> from agentkit.cli._load import import_module
        >>> import_module("agentkit.cli._demo_tools").__name__
        'agentkit.cli._demo_tools'
        >>> import_module("no_such_module_here")
        Traceback (most recent call last):
        ...
        agentkit.cli._exit.CommandError: cannot import module 'no_such_module_here': No module named ...
    """
    with cwd_on_path():
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            hint = ""
            if isinstance(exc, ModuleNotFoundError) and exc.name == name.partition(".")[0]:
                hint = f" (looked in the current directory {os.getcwd()!r} and on sys.path)"
            raise CommandError(
                f"cannot import module {name!r}: {exc}{hint}", ExitCode.LOAD_ERROR
            ) from exc
        except AgentkitError as exc:
            raise CommandError(
                f"cannot import module {name!r}: {type(exc).__name__}: {exc}", ExitCode.LOAD_ERROR
            ) from exc
        except Exception as exc:  # the user's module raised: show where, as python would
            trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
            sys.stderr.write(escape("".join(trace), multiline=True))
            raise CommandError(
                f"cannot import module {name!r}: {type(exc).__name__}: {exc}", ExitCode.LOAD_ERROR
            ) from exc


def import_attribute(spec: str, *, option: str) -> Any:
    """``package.module:attribute`` imported like `import_module`.

    Raises:
        CommandError: `ExitCode.USAGE` when ``spec`` has no ``:``, `ExitCode.LOAD_ERROR` when the module cannot
            be imported or has no such attribute.

    Examples:
        >>> from agentkit.cli._load import import_attribute
        >>> import_attribute("agentkit.cli._demo_tools:echo", option="--agent").contract.name
        'echo'
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CommandError(
            f"{option} must look like 'package.module:name', got {spec!r}", ExitCode.USAGE
        )
    module = import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise CommandError(
            f"module {module_name!r} has no attribute {attribute!r} (from {option} {spec!r})",
            ExitCode.LOAD_ERROR,
        ) from None
