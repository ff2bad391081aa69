"""scripts/lint.sh, the checks CI runs, fails on a finding of any of its three tools.

It runs on a small copy of the repository's layout in a temporary folder, with the
real configurations (pyproject.toml, tools/lint/eslint.config.js) and the installed
tools, and one bad file for each tool.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)
NODE_MODULES = ROOT / "tools" / "lint" / "node_modules"
TIMEOUT_SECONDS = 180


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A clean repository in miniature: the lint script, its configurations, one file per tool."""
    for tool in (VENV / "bin" / "ruff", VENV / "bin" / "mypy", NODE_MODULES / ".bin" / "eslint"):
        if not tool.exists():
            pytest.skip(f"{tool} is not installed: run bash scripts/setup.sh --test")
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "lint.sh", tmp_path / "scripts" / "lint.sh")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tools" / "lint").mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "lint" / "eslint.config.js", tmp_path / "tools" / "lint")
    shutil.copy(ROOT / "tools" / "lint" / "package.json", tmp_path / "tools" / "lint")
    (tmp_path / "tools" / "lint" / "node_modules").symlink_to(NODE_MODULES)
    (tmp_path / ".venv").symlink_to(VENV)
    write(tmp_path / "src" / "coupdemain" / "__init__.py",
          '"""A package."""\n\nfrom __future__ import annotations\n\n\n'
          "def double(x: int) -> int:\n    return 2 * x\n")
    write(tmp_path / "tests" / "test_double.py",
          "from __future__ import annotations\n\nfrom coupdemain import double\n\n\n"
          "def test_double() -> None:\n    assert double(2) == 4\n")
    write(tmp_path / "bench" / "probe.js", "(() => {\n    window.__bench = {};\n})();\n")
    write(tmp_path / "web" / "viewer" / "log.js",
          "export function info(text) {\n    console.info(text);\n}\n")
    write(tmp_path / "tests" / "web" / "log.test.mjs",
          'import { info } from "../../web/viewer/log.js";\n\ninfo(process.argv[0]);\n')
    return tmp_path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(tree / "scripts" / "lint.sh")],
        capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
    )


def test_a_clean_tree_passes(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "All checks passed."


def test_a_finding_of_each_tool_fails_the_checks(tree: Path) -> None:
    # ruff: an unused import; mypy --strict: a function without annotations;
    # ESLint: var, console outside the logging module, an unused variable.
    write(tree / "tests" / "test_unused.py", "from __future__ import annotations\n\nimport os\n")
    write(tree / "src" / "coupdemain" / "loose.py",
          "from __future__ import annotations\n\n\ndef triple(x):\n    return 3 * x\n")
    write(tree / "web" / "viewer" / "loud.js",
          "var shown = 1;\nconsole.log(shown);\nconst unused = 2;\n")

    result = lint(tree)

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "Failed: ruff mypy eslint."
    out = result.stdout
    assert "F401 [*] `os` imported but unused" in out
    assert "loose.py:4: error: Function is missing a type annotation  [no-untyped-def]" in out
    # ESLint's table: line:column, level, message, rule, columns padded with spaces.
    assert re.search(r"1:1 +error +Unexpected var, use let or const instead +no-var\n", out)
    assert re.search(r"2:1 +error +Unexpected console statement +no-console\n", out)
    assert re.search(
        r"3:7 +error +'unused' is assigned a value but never used +no-unused-vars\n", out)
    assert "log.js" not in out  # the logging module may call console
