"""Every script in examples/ runs to completion (each asserts its own result)."""

import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # whole programs in subprocesses (`make test-slow`)

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script):
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=600, cwd=script.parent)
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_train_mlp_prints_a_falling_loss_every_400_steps():
    script = next(p for p in EXAMPLES if p.name == "train_mlp.py")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=600, check=True).stdout
    steps = [int(s) for s in re.findall(r"Train (\d+) steps", out)]
    losses = [float(s) for s in re.findall(r"loss ([0-9.]+)", out)]
    assert steps == list(range(400, 4001, 400))
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0] / 2
