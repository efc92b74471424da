r"""Safe output for a terminal: stored and model text never reaches it with raw control characters.

A model's answer, a tool description or a run id can hold ``ESC [2J`` (clear the screen), ``ESC ]0;title BEL``
(set the window title) or a bidirectional override that makes a line read differently from what it holds.
Everything the CLI prints for people goes through `escape`, which turns those characters into visible escapes
(``ESC [2J`` is printed as the six characters ``\x1b[2J``), and everything it prints as JSON goes through
`dumps`, which keeps the JSON valid and escapes the characters JSON itself would leave raw.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO

__all__ = ("Output", "dumps", "error", "escape", "escape_json", "warning")

# C0 controls, DEL and C1 controls, the Unicode line and paragraph separators, and the bidirectional formatting
# characters (the "Trojan Source" set). \t and \n are kept in multi-line text.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_LINE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f{_BEYOND_C0}]")
# json.dumps escapes C0 controls inside strings itself; the newlines of indented JSON are structure.
_UNSAFE_JSON = re.compile(f"[{_BEYOND_C0}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape(text: str, *, multiline: bool = False) -> str:
    r"""Text with every terminal control character replaced by a visible escape.

    Args:
        text: Text that may come from a model, a store or a user's module.
        multiline: Keep ``\n`` and ``\t`` (for text shown as several lines); otherwise they are escaped
            too, so one value stays on one line of a table.

    Examples:
        >>> from agentkit.cli._output import escape
        >>> print(escape("\x1b]0;pwned\x07 hi \x1b[2J \u202e"))
        \x1b]0;pwned\x07 hi \x1b[2J \u202e
        >>> print(escape("a\nb\r", multiline=True))
        a
        b\x0d
        >>> print(escape("a\nb"))
        a\x0ab
    """
    pattern = _UNSAFE_TEXT if multiline else _UNSAFE_LINE
    return pattern.sub(_visible, text)


def escape_json(text: str) -> str:
    r"""JSON text with the characters JSON leaves raw (DEL, C1, bidi controls) written as ``\uXXXX``.

    Only valid on text produced by a JSON encoder: those characters can then only occur inside strings, where
    the ``\uXXXX`` form means the same character.

    Examples:
        >>> from agentkit.cli._output import escape_json
        >>> print(escape_json('{"a": "\x9b2J"}'))
        {"a": "\u009b2J"}
    """
    return _UNSAFE_JSON.sub(_json_escape, text)


def dumps(value: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    r"""``json.dumps`` that keeps non-ASCII text readable and never emits a raw control character.

    Examples:
        >>> from agentkit.cli._output import dumps
        >>> print(dumps({"text": "café \x1b[2J"}, indent=None))
        {"text": "café \u001b[2J"}
    """
    return escape_json(json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False))


class Output:
    r"""Where a command writes: `text` for people (escaped), `json` for programs.

    Args:
        stream: Standard output, or any text stream (tests pass a ``StringIO``).

    Examples:
        >>> import sys
        >>> from agentkit.cli._output import Output
        >>> Output(sys.stdout).text("run \x1b[2J done")
        run \x1b[2J done
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def text(self, line: str = "", *, multiline: bool = True) -> None:
        r"""Write one line (or several, ``\n``-separated) for people."""
        self.stream.write(escape(line, multiline=multiline) + "\n")

    def json(self, value: Any, *, indent: int | None = 2) -> None:
        """Write ``value`` as JSON, then a newline."""
        self.stream.write(dumps(value, indent=indent) + "\n")

    def json_text(self, text: str) -> None:
        """Write text that already is JSON (a model's ``model_dump_json()``), then a newline."""
        self.stream.write(escape_json(text) + "\n")

    def raw(self, text: str) -> None:
        """Write text exactly (a lock file's content, which is JSON already escaped by `escape_json`)."""
        self.stream.write(text)


def error(message: str) -> None:
    """Print ``agentkit: error: message`` on stderr, escaped."""
    print(f"agentkit: error: {escape(message, multiline=True)}", file=sys.stderr)


def warning(message: str) -> None:
    """Print ``agentkit: warning: message`` on stderr, escaped."""
    print(f"agentkit: warning: {escape(message, multiline=True)}", file=sys.stderr)
