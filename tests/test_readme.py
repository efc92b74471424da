"""The README tells the truth: its Python example runs, and its Quickstart has exactly the two commands CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_example_runs_and_shows_a_repair_hint(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks, "the README should show a Python example"
    script = tmp_path / "readme_example.py"
    script.write_text(blocks[0], encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert '["AF1234"]' in result.stdout
    assert '"did_you_mean":"destination"' in result.stdout
    assert '"error":"invalid_arguments"' in result.stdout


def test_quickstart_has_the_two_commands_ci_runs() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.split("#", 1)[0].strip()
        for line in re.findall(r"```console\n(.*?)```", quickstart, re.S)[0].splitlines()
        if line.strip()
    ]
    assert commands == ["pip install nox && nox -s demo", "pip install nox && nox -s tests"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\npip install nox && nox -s tests\n" in ci
