"""Many devices and many processes (issue #11).

``tests/multidevice/`` holds the single-process tests on 8 devices; they
run here in one subprocess with 8 forced CPU devices, so the rest of the
suite keeps one device. The multi-process tests start 2 processes of 4
devices each on localhost with ``jax.distributed`` (see ``_multihost.py``).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent

pytestmark = pytest.mark.slow  # subprocesses with 8 devices / 2 processes (`make test-slow`)


def test_single_process_on_8_devices():
    env = {**os.environ, "BRAINOBJ_MULTIDEVICE": "1", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    env.pop("JAX_NUM_CPU_DEVICES", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-rfEs", str(TESTS / "multidevice")],
                         capture_output=True, text=True, env=env, cwd=TESTS.parent, timeout=900)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-4000:]


# -- two processes, four devices each ------------------------------------------------------

from _multihost import INIT_SNIPPET, run_processes  # noqa: E402

MARKER = "# multi-host:"


def multi_host_block() -> str:
    """The per-process script of docs/multi_device.md (its block marked ``# multi-host:``)."""
    text = (TESTS.parent / "docs" / "multi_device.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    (block,) = [b for b in blocks if b.startswith(MARKER)]
    return block


def _losses(out: str) -> list:
    line = next(line for line in out.splitlines() if line.startswith("LOSSES"))
    return json.loads(line[len("LOSSES "):])


def test_two_processes_train_like_one_and_share_a_checkpoint(tmp_path):
    script = multi_host_block()
    outputs = run_processes(INIT_SNIPPET + script, n=2, devices_per_process=4, timeout=240,
                            extra_env={"CHECKPOINT": str(tmp_path / "two")}, cwd=str(TESTS.parent))
    # The oracle: the same script in one process with one device.
    env = {**os.environ, "CHECKPOINT": str(tmp_path / "one"), "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    one = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         cwd=TESTS.parent, timeout=300)
    assert one.returncode == 0, one.stderr[-3000:]
    expected = _losses(one.stdout)
    for i, out in enumerate(outputs):
        np.testing.assert_allclose(_losses(out), expected, rtol=1e-6, atol=1e-6,
                                   err_msg=f"process {i}")
        assert "RESTORED 4" in out, out[-2000:]
    # both processes wrote their own shards
    assert {"ocdbt.process_0", "ocdbt.process_1"} <= set(os.listdir(tmp_path / "two"))
