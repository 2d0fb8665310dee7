"""``bm.remat``: gradient checkpointing for functions that touch Variables."""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax

from ._carry import Carried, run_carried
from ._jax_debug import api_boundary
from ._partition import partition

__all__ = ["remat"]


def remat(fun: Callable, prevent_cse: bool = True, policy: Callable | None = None) -> Callable:
    """``jax.checkpoint`` of ``fun``: recompute it in the backward pass.

    Differentiating through the result stores only ``fun``'s inputs, not its
    intermediates, trading compute for memory. ``fun`` follows the usual
    object rules: it may read and write Variables (written ones are updated
    afterwards), and objects may come as arguments or through closures.
    Arguments that are not arrays (Python numbers, strings, ``None``) are
    passed as they are, so ``fun`` may branch on them.

    Raises:
        MathError: the function returns an object or a non-array value. Errors raised by the
            user's functions propagate unchanged, without brainobj's frames in the traceback;
            after any error every Variable holds its value from before the call.

    Example:
        >>> import brainobj.math as bm
        >>> w = bm.TrainVar(bm.asarray(3.))
        >>> layer = bm.remat(lambda x: bm.sin(w * x))
        >>> g = bm.grad(lambda x: layer(x), grad_vars=w)(1.)
        >>> bool(bm.allclose(g, bm.cos(3.)))
        True
    """

    @api_boundary
    @functools.wraps(fun)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        dynamic, rebuild = partition((args, kwargs))

        def call(carried: Carried):
            pure = carried.wrap(lambda dynamic: _call(fun, rebuild(dynamic)))
            checkpoint = jax.checkpoint(pure, prevent_cse=prevent_cse, policy=policy)
            return checkpoint(carried.initial(), dynamic)

        return run_carried("bm.remat", call)

    return checkpointed


def _call(fun: Callable, args_kwargs: tuple) -> Any:
    args, kwargs = args_kwargs
    return fun(*args, **kwargs)
