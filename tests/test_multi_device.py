"""Many devices and many processes (issue #11).

``tests/multidevice/`` holds the single-process tests on 8 devices; they
run here in one subprocess with 8 forced CPU devices, so the rest of the
suite keeps one device. The multi-process tests start 2 processes of 4
devices each on localhost with ``jax.distributed`` (see ``_multihost.py``).
"""

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_single_process_on_8_devices():
    env = {**os.environ, "BRAINOBJ_MULTIDEVICE": "1", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    env.pop("JAX_NUM_CPU_DEVICES", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-rfEs", str(TESTS / "multidevice")],
                         capture_output=True, text=True, env=env, cwd=TESTS.parent, timeout=900)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-4000:]
