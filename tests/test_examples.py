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


def test_coba_at_reduced_size_gives_brainpys_spikes(tmp_path):
    """examples/coba.py on BrainPy's own 800 + 200 network (connectivity and initial V
    from tests/data/brainpy28): every spike of 300 ms equals BrainPy 2.8's."""
    script = next(p for p in EXAMPLES if p.name == "coba.py")
    data = script.parent.parent / "tests" / "data" / "brainpy28" / "coba_small.npz"
    out = subprocess.run([sys.executable, str(script), "--brainpy-data", str(data), "--duration",
                          "300", "--plot", str(tmp_path / "raster.png")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "identical to BrainPy 2.8: every spike of 3000 steps" in out.stdout
    pytest.importorskip("matplotlib")
    assert (tmp_path / "raster.png").stat().st_size > 1000
