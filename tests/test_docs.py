"""Every ```python block in README.md and docs/*.md runs, so docs cannot drift.

Each file's blocks run top to bottom in one fresh interpreter (object names
such as ``Linear0`` depend on what was created before, as in a notebook).
"""

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(path: pathlib.Path) -> list[str]:
    return BLOCK.findall(path.read_text())


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p.exists()], ids=lambda p: p.name)
def test_code_blocks_run(path):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    script = "\n\n".join(blocks)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    assert result.returncode == 0, f"{path.name}:\n{result.stderr[-3000:]}"


def test_block_pattern_finds_blocks():
    sample = "text\n```python\nx = 1\n```\nmore\n```python\ny = 2\n```\n"
    assert [b.strip() for b in BLOCK.findall(sample)] == ["x = 1", "y = 2"]


def test_site_builds_offline_without_warnings(tmp_path):
    # `make docs`: broken links, bad docstring sections or API entries that
    # name nothing fail the strict build.
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                             "-d", str(tmp_path / "site")], capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "modeling" / "index.html").exists()
