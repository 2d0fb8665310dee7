"""Every ```python block in README.md and docs/*.md runs, so docs cannot drift.

Each file's blocks run top to bottom in one fresh interpreter (object names
such as ``Linear0`` depend on what was created before, as in a notebook).
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


# Blocks that start with this comment need several processes: the test that
# says so runs them (tests/test_multi_device.py), not test_code_blocks_run.
ELSEWHERE = "# multi-host:"


def python_blocks(path: pathlib.Path) -> list[str]:
    return [b for b in BLOCK.findall(path.read_text()) if not b.startswith(ELSEWHERE)]


@pytest.mark.slow  # each document in a subprocess (`make test-slow`)
@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p.exists()], ids=lambda p: p.name)
def test_code_blocks_run(path):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    script = "\n\n".join(blocks)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # docs set their devices
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, timeout=600, env=env)
    assert result.returncode == 0, f"{path.name}:\n{result.stderr[-3000:]}"


def test_block_pattern_finds_blocks():
    sample = "text\n```python\nx = 1\n```\nmore\n```python\ny = 2\n```\n"
    assert [b.strip() for b in BLOCK.findall(sample)] == ["x = 1", "y = 2"]


@pytest.mark.slow  # mkdocs builds the whole site (`make test-slow`)
def test_site_builds_offline_without_warnings(tmp_path):
    # `make docs`: broken links, bad docstring sections or API entries that
    # name nothing fail the strict build. griffe's docstring warnings do not
    # count towards --strict (the build still exits 0), so every WARNING line
    # is checked too; hence no -q, which would hide them.
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                             "-d", str(tmp_path / "site")], capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert not warnings, f"{len(warnings)} warning(s):\n" + "\n".join(warnings)[-3000:]
    assert (tmp_path / "site" / "api" / "modeling" / "index.html").exists()


# -- every public entry point says what it raises ------------------------------------------------

def _public_entry_points():
    """``(dotted name, object)`` for every public function and class of the
    package (not the array functions re-exported from jax.numpy), and every
    public method of those classes defined by brainobj."""
    import inspect
    import types

    import brainobj as bp
    import brainobj.math as bm

    namespaces = {"bp": bp, "bm": bm, "bp.init": bp.init, "bp.losses": bp.losses,
                  "bp.optim": bp.optim, "bm.random": bm.random, "bm.event": bm.event,
                  "bp.conn": bp.conn, "bp.integrators": bp.integrators, "bp.dyn": bp.dyn,
                  "bp.dnn": bp.dnn, "bp.visualize": bp.visualize}
    seen = set()
    for prefix, namespace in namespaces.items():
        for name in sorted(getattr(namespace, "__all__", None) or dir(namespace)):
            obj = getattr(namespace, name)
            if (name.startswith("_") or isinstance(obj, types.ModuleType) or not callable(obj)
                    or not (getattr(obj, "__module__", None) or "").startswith("brainobj")
                    or id(obj) in seen):
                continue
            seen.add(id(obj))
            if inspect.isclass(obj) and issubclass(obj, (BaseException, tuple)):
                continue  # exception and warning types, named tuples: data, not entry points
            yield f"{prefix}.{name}", obj
            if not inspect.isclass(obj):
                continue
            for attr, member in vars(obj).items():
                function = getattr(member, "__func__", member)
                if (attr.startswith("_") or isinstance(member, property) or not callable(function)
                        or not (getattr(function, "__module__", None) or "").startswith("brainobj")
                        or id(function) in seen):
                    continue
                seen.add(id(function))
                yield f"{prefix}.{name}.{attr}", function


def test_every_public_entry_point_lists_what_it_raises():
    import inspect

    entries = dict(_public_entry_points())
    assert len(entries) > 100  # the walk found the package
    missing = [name for name, obj in entries.items()
               if not re.search(r"^\s*Raises(:| nothing)", inspect.getdoc(obj) or "", re.MULTILINE)]
    assert not missing, f"docstrings without a Raises section: {missing}"
