"""Weight initializers: callables ``init(shape, dtype=None, key=None) -> array``.

Each wraps a ``jax.nn.initializers`` function. Without ``key`` they draw from
``bm.random``'s default state, so ``bm.random.seed(...)`` makes models
reproducible.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

import jax
import jax.numpy as jnp
from jax.nn import initializers as jinit

from ..math import random as _random
from .. import math as bm

__all__ = [
    "Initializer", "XavierNormal", "XavierUniform", "KaimingNormal", "KaimingUniform",
    "LecunNormal", "LecunUniform", "Normal", "Uniform", "TruncatedNormal", "Orthogonal",
    "ZeroInit", "OneInit", "Constant",
]

Shape = int | Sequence[int]


def _is_index(value: Any) -> bool:
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def _as_shape(shape: Shape) -> tuple[int, ...]:
    try:
        # operator.index accepts Python and NumPy integers but refuses 3.5 or "3"
        # an int first: a 0-d NumPy integer array is iterable in name only
        shape = (operator.index(shape),) if _is_index(shape) else tuple(
            operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"an initializer needs a shape (int or tuple of ints), got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    return shape


def _check_axes(owner: Any, shape: tuple[int, ...], **axes: int) -> None:
    """Raise a ValueError naming ``owner`` unless every axis indexes ``shape``."""
    for name, axis in axes.items():
        if isinstance(axis, int) and not -len(shape) <= axis < len(shape):
            raise ValueError(f"{owner!r} cannot initialize shape {shape}: {name}={axis} is not an "
                             f"axis of it; pass a shape with at least 2 dimensions, e.g. "
                             f"(n_in, n_out), or choose another {name}")


class Initializer:
    """Base class: subclasses set ``self._fn``, a ``jax.nn.initializers`` function."""

    _fn: Any = None

    def __call__(self, shape: Shape, dtype: Any = None, key: jax.Array | None = None) -> jax.Array:
        """An array of ``shape`` and ``dtype`` (default float32).

        ``key`` (a PRNG key, or a Variable holding one) makes the draw
        explicit; without it a fresh key is split from ``bm.random``.
        """
        shape = _as_shape(shape)
        dtype = jnp.float32 if dtype is None else jnp.dtype(dtype)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise ValueError(f"{self!r} draws random numbers and needs a floating dtype, got "
                             f"dtype={dtype}; cast the result instead")
        self._check_shape(shape)
        key = _random.split_key() if key is None else (key.value if isinstance(key, bm.Variable) else key)
        if 0 in shape:
            # fans of an empty array are 0 and the formulas divide by them
            return jnp.zeros(shape, dtype)
        return self._fn(key, shape, dtype)

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        """Raise a ValueError for shapes this initializer cannot fill."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class _VarianceScaling(Initializer):
    _fan = "fan_avg"
    _distribution = "truncated_normal"
    _default_scale = 1.0

    def __init__(self, scale: float | None = None, in_axis: int = -2, out_axis: int = -1) -> None:
        self.scale = self._default_scale if scale is None else scale
        if not self.scale > 0:
            raise ValueError(f"{type(self).__name__} needs scale > 0 (the variance is "
                             f"scale / fan), got scale={self.scale}")
        self.in_axis, self.out_axis = in_axis, out_axis
        self._fn = jinit.variance_scaling(self.scale, self._fan, self._distribution,
                                          in_axis=in_axis, out_axis=out_axis)

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        _check_axes(self, shape, in_axis=self.in_axis, out_axis=self.out_axis)


class XavierNormal(_VarianceScaling):
    """Glorot normal: variance ``scale * 2 / (fan_in + fan_out)``.

    Samples are truncated at two standard deviations (and rescaled to keep
    the variance), as in BrainPy and ``jax.nn.initializers.glorot_normal``.

    Example:
        >>> import brainobj as bp
        >>> bp.init.XavierNormal()((3, 4)).shape
        (3, 4)
    """


class XavierUniform(_VarianceScaling):
    """Glorot uniform: variance ``scale * 2 / (fan_in + fan_out)``."""

    _distribution = "uniform"


class KaimingNormal(_VarianceScaling):
    """He normal: variance ``2 / fan_in`` (``scale`` defaults to 2), for ReLU layers.

    Truncated at two standard deviations, as in BrainPy and
    ``jax.nn.initializers.he_normal``.
    """

    _fan = "fan_in"
    _default_scale = 2.0


class KaimingUniform(_VarianceScaling):
    """He uniform: variance ``2 / fan_in`` (``scale`` defaults to 2)."""

    _fan = "fan_in"
    _distribution = "uniform"
    _default_scale = 2.0


class LecunNormal(_VarianceScaling):
    """LeCun normal (truncated): variance ``1 / fan_in``."""

    _fan = "fan_in"
    _distribution = "truncated_normal"


class LecunUniform(_VarianceScaling):
    """LeCun uniform: variance ``1 / fan_in``."""

    _fan = "fan_in"
    _distribution = "uniform"


class Normal(Initializer):
    """Normal samples with mean ``mean`` and standard deviation ``scale``."""

    def __init__(self, mean: float = 0.0, scale: float = 1.0) -> None:
        if not scale >= 0:
            raise ValueError(f"Normal needs a standard deviation scale >= 0, got scale={scale}")
        self.mean, self.scale = mean, scale
        normal = jinit.normal(scale)
        self._fn = lambda key, shape, dtype: normal(key, shape, dtype) + jnp.asarray(mean, dtype)


class Uniform(Initializer):
    """Uniform samples in ``[min_val, max_val)``."""

    def __init__(self, min_val: float = 0.0, max_val: float = 1.0) -> None:
        if not min_val < max_val:
            raise ValueError(f"Uniform needs min_val < max_val, got {min_val} and {max_val}")
        self.min_val, self.max_val = min_val, max_val
        self._fn = lambda key, shape, dtype: jax.random.uniform(
            key, shape, dtype, minval=min_val, maxval=max_val)


class TruncatedNormal(Initializer):
    """Normal(``loc``, ``scale``) truncated to ``[loc + lower*scale, loc + upper*scale]``."""

    def __init__(self, loc: float = 0.0, scale: float = 1.0, lower: float = -2.0,
                 upper: float = 2.0) -> None:
        if scale <= 0 or not lower < upper:
            raise ValueError(f"TruncatedNormal needs scale > 0 and lower < upper, got "
                             f"scale={scale}, lower={lower}, upper={upper}")
        self.loc, self.scale, self.lower, self.upper = loc, scale, lower, upper
        self._fn = lambda key, shape, dtype: loc + scale * jax.random.truncated_normal(
            key, lower, upper, shape, dtype)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``scale``, over the last two axes by default."""

    def __init__(self, scale: float = 1.0, axis: int = -1) -> None:
        self.scale, self.axis = scale, axis
        orthogonal = jinit.orthogonal(scale, column_axis=axis)

        def fn(key: jax.Array, shape: tuple[int, ...], dtype: Any) -> jax.Array:
            # The QR decomposition has no float16/bfloat16 kernel: factor in float32.
            if jnp.finfo(dtype).bits < 32:
                return orthogonal(key, shape, jnp.float32).astype(dtype)
            return orthogonal(key, shape, dtype)

        self._fn = fn

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) < 2:
            raise ValueError(f"{self!r} needs a shape with at least 2 dimensions, got {shape}")
        _check_axes(self, shape, axis=self.axis)


class Constant(Initializer):
    """Every entry equal to ``value``."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value
        self._fn = lambda key, shape, dtype: jnp.full(shape, value, dtype)

    def __call__(self, shape: Shape, dtype: Any = None, key: jax.Array | None = None) -> jax.Array:
        # Deterministic: no key is drawn, so the random stream is not advanced.
        return self._fn(None, _as_shape(shape), jnp.float32 if dtype is None else dtype)


class ZeroInit(Constant):
    """All zeros."""

    def __init__(self) -> None:
        super().__init__(0.0)


class OneInit(Constant):
    """All ones (or ``value``)."""

    def __init__(self, value: float = 1.0) -> None:
        super().__init__(value)
