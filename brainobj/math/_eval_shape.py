"""``bm.eval_shape``: output shapes of a function, live state untouched."""

from __future__ import annotations

from typing import Any, Callable

import equinox as eqx
import jax

from ._partition import partition, values_only
from ._jax_debug import api_boundary
from ._tracing import tracing

__all__ = ["eval_shape"]


@api_boundary
def eval_shape(fun: Callable, *args: Any, **kwargs: Any) -> Any:
    """The shapes and dtypes ``fun(*args, **kwargs)`` would return.

    Nothing is computed and no Variable changes: writes made while tracing
    are undone, and an enclosing transform does not see them either.
    Array arguments may be ``jax.ShapeDtypeStruct``; objects and other
    non-array arguments (strings, Python numbers) are passed as they are.

    Raises:
        MathError: the function returns an object or a non-array value. Nothing runs and no
            Variable changes, whatever the function writes.

    Example:
        >>> import brainobj.math as bm
        >>> v = bm.Variable(bm.zeros(3))
        >>> def f(x):
        ...     v.value += 1.
        ...     return x @ bm.ones((4, 2))
        >>> import jax
        >>> bm.eval_shape(f, jax.ShapeDtypeStruct((5, 4), bm.float32))
        ShapeDtypeStruct(shape=(5, 2), dtype=float32)
        >>> v.value
        Array([0., 0., 0.], dtype=float32)
    """
    arrays, rebuild = partition((args, kwargs), _is_shaped)

    def run(arrays: Any) -> Any:
        call_args, call_kwargs = rebuild(arrays)
        # An isolated frame: reads and writes made here must not become part
        # of an enclosing transform's plan, and its writes vanish with it.
        with tracing("bm.eval_shape", isolated=True):
            return values_only(fun(*call_args, **call_kwargs), "bm.eval_shape")

    return jax.eval_shape(run, arrays)


def _is_shaped(x: Any) -> bool:
    return eqx.is_array(x) or isinstance(x, jax.ShapeDtypeStruct)
