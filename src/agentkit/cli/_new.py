"""``agentkit new project|tool|provider NAME``: starter files from the templates shipped in the package."""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit.cli._exit import EXIT_CODES_HELP, CommandError, ExitCode
from agentkit.cli._output import Output, error

if TYPE_CHECKING:
    import argparse

__all__ = ("add_new_commands", "generate", "run_new_command")

TEMPLATES = Path(__file__).parent / "templates"
_KINDS = {
    "project": "a package with a tool, an agent, tests on the fake provider, a contract lock and a noxfile",
    "tool": "a tool module and its test, in an existing project",
    "provider": "a provider adapter on agentkit's HTTP driver and its test on a loopback server, in a project",
}


def add_new_commands(commands: Any) -> None:
    """Add ``new project|tool|provider`` to the command tree."""
    import argparse

    help_args: dict[str, Any] = {
        "epilog": EXIT_CODES_HELP,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
    new = commands.add_parser(
        "new", help="create a project, tool or provider from a template", **help_args
    )
    new.set_defaults(group_parser=new)
    kinds = new.add_subparsers(dest="new_command", metavar="SUBCOMMAND")
    for kind, text in _KINDS.items():
        sub = kinds.add_parser(
            kind, help=f"create {text}", description=f"Create {text}.", **help_args
        )
        sub.add_argument(
            "name", help=f"the {kind}'s name (a Python identifier; a project may use dashes)"
        )
        where = (
            "the directory the project is created in" if kind == "project" else "the project's root"
        )
        sub.add_argument("--dir", default=".", metavar="DIR", help=f"{where} (default: .)")


def run_new_command(args: argparse.Namespace, out: Output) -> int:
    """Generate the files and say what was written."""
    try:
        written = generate(args.new_command, args.name, Path(args.dir))
    except CommandError as exc:
        error(exc.message)
        return int(exc.code)
    for path in written:
        out.text(f"created {path}")
    return int(ExitCode.OK)


def generate(kind: str, name: str, directory: Path) -> list[Path]:
    """Write the ``kind`` template for ``name`` under ``directory``; return the files written.

    Raises:
        CommandError: The name is not usable, a file would be overwritten, or (for a tool or provider) the
            directory is not a project with one package under ``src/``.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from agentkit.cli._new import generate
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     files = generate("project", "order-bot", Path(tmp))
        ...     sorted(str(p.relative_to(tmp)) for p in files)[:3]
        ['order-bot/README.md', 'order-bot/agentkit-contracts.lock.json', 'order-bot/noxfile.py']
    """
    package = name.replace("-", "_") if kind == "project" else name
    if not re.fullmatch(r"[a-z][a-z0-9_]*", package) or keyword.iskeyword(package):
        allowed = (
            "lower-case letters, digits, '_' and '-'"
            if kind == "project"
            else "lower-case letters, digits and '_'"
        )
        raise CommandError(
            f"{kind} name {name!r} is not usable: use {allowed}, starting with a letter",
            ExitCode.USAGE,
        )
    if kind == "project":
        root = directory / name
        if root.exists() and any(root.iterdir()):
            raise CommandError(f"{root} already exists and is not empty", ExitCode.USAGE)
    else:
        root = directory
        package = _project_package(directory)
    values = {
        "name": name,
        "package": package,
        "Class": "".join(part.capitalize() for part in name.split("_")),
        "NAME": name.upper(),
        "agentkit_version": _release(),
    }
    plan = [
        (_target(kind, root, template.relative_to(TEMPLATES / kind), values), template)
        for template in _templates(kind)
    ]
    for target, _ in plan:
        if target.exists():
            raise CommandError(f"{target} already exists; nothing was written", ExitCode.USAGE)
    written = []
    for target, template in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_render(template.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(target)
    if kind == "project":
        written.append(_write_lock(root, package))
    return sorted(written)


def _templates(kind: str) -> list[Path]:
    return sorted(p for p in (TEMPLATES / kind).rglob("*.tmpl") if p.is_file())


def _target(kind: str, root: Path, relative: Path, values: dict[str, str]) -> Path:
    parts = [
        part.replace("__package__", values["package"]).replace("__name__", values["name"])
        for part in relative.parts
    ]
    parts[-1] = parts[-1].removesuffix(".tmpl")
    if kind == "project":
        return root.joinpath(*parts)
    # A tool or provider goes into the project's package, its test into tests/.
    folder = "tests" if parts[-1].startswith("test_") else f"src/{values['package']}"
    return root / folder / parts[-1]


def _render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _project_package(directory: Path) -> str:
    packages = sorted(p.parent.name for p in (directory / "src").glob("*/__init__.py"))
    if len(packages) != 1:
        found = f"found {', '.join(packages)}" if packages else "found none"
        raise CommandError(
            f"{directory} is not a project with one package under src/ ({found}); "
            "run this in a project made by 'agentkit new project', or pass --dir",
            ExitCode.MISSING,
        )
    return packages[0]


def _release() -> str:
    from agentkit import __version__

    return __version__.split("+")[0]  # a local version label (+g1234) cannot be a lower bound


def _write_lock(root: Path, package: str) -> Path:
    """Snapshot the new project's contracts into its lock, as ``agentkit contracts snapshot`` would."""
    import importlib.util

    from agentkit.cli._main import DEFAULT_LOCK
    from agentkit.registry import Registry

    source = root / "src" / package / "tools.py"
    spec = importlib.util.spec_from_file_location(f"_agentkit_new_{package}_tools", source)
    assert spec is not None  # a .py file path always has a spec
    assert spec.loader is not None  # ... and a loader
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs, so its string annotations resolve (pydantic looks the module up by name).
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        registry = Registry()
        registry.register_module(module)
    finally:
        del sys.modules[spec.name]
    lock = root / DEFAULT_LOCK
    lock.write_text(registry.snapshot().to_json(), encoding="utf-8")
    return lock
