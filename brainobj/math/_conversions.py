"""BrainPy's array conversions: ``as_jax`` / ``as_device_array``, ``as_numpy`` / ``as_ndarray``.

brainobj's functions already return ``jax.Array`` (BrainPy's return
``bm.Array``); these accept arrays, Variables, NumPy arrays, numbers and
nested lists, and return a JAX or a NumPy array.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from ._variable import Variable

__all__ = ["as_jax", "as_device_array", "as_numpy", "as_ndarray"]


def _unwrapped(x: Any) -> Any:
    # A Variable's current value (a traced one inside a transform).
    return x.value if isinstance(x, Variable) else x


def as_jax(tensor: Any, dtype: Any = None) -> Any:
    """``tensor`` (array, Variable, NumPy array, number, nested list) as a ``jax.Array``.

    Raises:
        TypeError: JAX cannot make an array of ``tensor`` (a string, a dict).

    Example:
        >>> import brainobj.math as bm
        >>> bm.as_jax(bm.Variable(bm.ones(2)))
        Array([1., 1.], dtype=float32)
        >>> bm.as_jax([1, 2], dtype=bm.float32)
        Array([1., 2.], dtype=float32)
    """
    return jnp.asarray(_unwrapped(tensor), dtype=dtype)


def as_numpy(tensor: Any, dtype: Any = None) -> np.ndarray:
    """``tensor`` as a ``numpy.ndarray`` (copied to the host); not inside a transform.

    Raises:
        jax.errors.TracerArrayConversionError: called on a traced value
            (inside ``bm.jit``, a loop body...): convert outside the transform.

    Example:
        >>> import brainobj.math as bm
        >>> bm.as_numpy(bm.arange(3))
        array([0, 1, 2], dtype=int32)
    """
    return np.asarray(_unwrapped(tensor), dtype=dtype)


as_device_array = as_jax
as_ndarray = as_numpy
