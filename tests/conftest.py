"""pytest configuration for ``tests/``.

The shared assertion helpers (``assert_same``, ``assert_close``,
``state_of``, ``assert_same_state``, ``assert_no_tracers``) are defined in
``tests/_helpers.py`` and re-exported here. Test modules import them with
``from _helpers import ...``, not ``from conftest import ...``: see
``_helpers``'s docstring for why.
"""

import os

import pytest

# tests/multidevice needs 8 devices: tests/test_multi_device.py runs it in a
# subprocess that has them (and sets this variable), so the rest keeps one.
collect_ignore = [] if os.environ.get("BRAINOBJ_MULTIDEVICE") else ["multidevice"]

# pytest's detailed assertion messages for the helpers' own asserts too
# (registered before the first import of the module).
pytest.register_assert_rewrite("_helpers")

from _helpers import (  # noqa: E402, F401  (re-exported)
    assert_close,
    assert_no_tracers,
    assert_refused,
    assert_same,
    assert_same_state,
    state_of,
)
