"""Array functions: ``jax.numpy`` and ``jax.nn``, re-exported for Variables.

Every public function of ``jax.numpy`` (and the activations of ``jax.nn``)
is available as ``bm.<name>``. They are JAX's own functions, not rewrites;
the only addition is that a Variable passed to one (directly, or inside a
list or tuple argument such as ``bm.concatenate([v1, v2])``) is replaced by
its value first. ``jnp.sin(v)`` works too (through ``__jax_array__``), but
``jax.lax`` and ``jax.random`` functions refuse a Variable and need
``v.value``; ``bm.*`` functions never do, inside lists/tuples included.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax.nn as _nn
import jax.numpy as _jnp

from ._variable import Variable


def _unwrap_argument(x: Any) -> Any:
    if isinstance(x, Variable):
        return x.value
    if type(x) in (list, tuple) and any(isinstance(i, Variable) for i in x):
        return type(x)(i.value if isinstance(i, Variable) else i for i in x)
    return x


def accepts_variables(fun: Callable) -> Callable:
    """Wrap ``fun`` so that Variable arguments are passed as their values."""

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_unwrap_argument(a) for a in args)
        kwargs = {k: _unwrap_argument(v) for k, v in kwargs.items()}
        return fun(*args, **kwargs)

    return wrapper


def _exports(module: Any, names: list[str] | None = None) -> dict[str, Any]:
    result = {}
    for name in names if names is not None else dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        # Types (dtypes such as float32, ndarray) and submodules stay as they are.
        if callable(value) and not isinstance(value, type):
            value = accepts_variables(value)
        result[name] = value
    return result


_NN_NAMES = [
    "relu", "relu6", "sigmoid", "softplus", "soft_sign", "silu", "swish", "log_sigmoid",
    "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "elu", "celu",
    "selu", "gelu", "glu", "softmax", "log_softmax", "logsumexp", "one_hot", "standardize",
    "sparse_plus", "squareplus", "mish",
]

# Collected into a dict (not this module's globals, where names such as
# `any` and `sum` would shadow the builtins); `brainobj.math` exports it.
EXPORTS = _exports(_nn, [n for n in _NN_NAMES if hasattr(_nn, n)])
EXPORTS.update(_exports(_jnp))  # jax.numpy wins where both define a name
