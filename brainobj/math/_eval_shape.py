"""``bm.eval_shape``: output shapes of a function, live state untouched."""

from __future__ import annotations

from typing import Any, Callable

import jax

from ._state import TRACE_FRAMES, TraceFrame
from ._stateful import _values_only, split_dynamic

__all__ = ["eval_shape"]


def eval_shape(fun: Callable, *args: Any, **kwargs: Any) -> Any:
    """The shapes and dtypes ``fun(*args, **kwargs)`` would return.

    Nothing is computed and no Variable changes: writes made while tracing
    are undone, and an enclosing transform does not see them either.
    Array arguments may be ``jax.ShapeDtypeStruct``; objects and other
    non-array arguments (strings, Python numbers) are passed as they are.

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
    arrays, rebuild = split_dynamic((args, kwargs))

    def run(arrays: list) -> Any:
        call_args, call_kwargs = rebuild(arrays)
        return _values_only(fun(*call_args, **call_kwargs), "bm.eval_shape")

    # A private frame, popped without informing any enclosing one: reads and
    # writes made here must not become part of an outer transform's plan.
    frame = TraceFrame("bm.eval_shape")
    TRACE_FRAMES.append(frame)
    try:
        return jax.eval_shape(run, arrays)
    finally:
        TRACE_FRAMES.remove(frame)
        frame.restore()
