"""Tests that need 8 devices. The main suite runs them in a subprocess
(``tests/test_multi_device.py``) with ``XLA_FLAGS=
--xla_force_host_platform_device_count=8``, so every other test keeps one
device. Run them alone with::

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m pytest tests/multidevice
"""

import sys
from pathlib import Path

import jax
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/_helpers.py

pytest.register_assert_rewrite("_helpers")


def pytest_collection_modifyitems(config, items):
    if len(jax.devices()) < 8:
        skip = pytest.mark.skip(reason="needs 8 devices: run through tests/test_multi_device.py")
        for item in items:
            item.add_marker(skip)
