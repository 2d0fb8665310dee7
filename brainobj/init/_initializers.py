"""Weight initializers: callables ``init(shape, dtype=None, key=None) -> array``.

Each wraps a ``jax.nn.initializers`` function. Without ``key`` they draw from
``bm.random``'s default state, so ``bm.random.seed(...)`` makes models
reproducible.

Hyperparameters are checked when an initializer is made (a string, ``None``
or an infinite scale is refused there, not at the first call), and a call
checks the shape, the dtype and ``key`` before it draws: a refused call never
advances the global random key.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.nn import initializers as jinit
from jax.sharding import PartitionSpec

from ..math import random as _random
from .. import math as bm

__all__ = [
    "Initializer", "XavierNormal", "XavierUniform", "KaimingNormal", "KaimingUniform",
    "LecunNormal", "LecunUniform", "Normal", "Uniform", "TruncatedNormal", "Orthogonal",
    "ZeroInit", "OneInit", "Constant", "Partitioned", "with_partitioning",
]

Shape = int | Sequence[int]

_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def _is_index(value: Any) -> bool:
    # operator.index accepts Python and NumPy integers (and 0-d integer
    # arrays) but refuses 3.5 or "3"; True is an int to Python, not a size.
    if isinstance(value, (bool, np.bool_)):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def _as_shape(shape: Shape) -> tuple[int, ...]:
    # an int first: a 0-d NumPy integer array is iterable in name only
    if _is_index(shape):
        shape = (operator.index(shape),)
    else:
        try:
            dims = tuple(shape)
        except TypeError:
            dims = None
        if dims is None or isinstance(shape, (str, bytes)) or not all(_is_index(d) for d in dims):
            raise TypeError(f"an initializer needs a shape (int or tuple of ints), got {shape!r}")
        shape = tuple(operator.index(d) for d in dims)
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    return shape


def _as_dtype(owner: Any, dtype: Any) -> np.dtype:
    """``dtype`` (default float32) as a NumPy dtype, else a TypeError naming ``owner``."""
    if dtype is None:
        return np.dtype(jnp.float32)
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result is None or result.kind not in "biufcV" or (
            result.kind == "V" and not jnp.issubdtype(result, jnp.floating)):
        raise TypeError(f"{owner!r}: dtype must be a numeric NumPy/JAX dtype such as 'float32', "
                        f"got dtype={dtype!r}")
    return result


def _real(owner: str, what: str, value: Any, finite: bool = True) -> float:
    """A hyperparameter as a float, else a TypeError/ValueError naming it."""
    if isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0 \
            and not isinstance(value, jax.core.Tracer) and (
                jnp.issubdtype(value.dtype, jnp.integer) or jnp.issubdtype(value.dtype, jnp.floating)):
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {what} must be a real number, got {value!r} "
                        f"({type(value).__name__})")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{owner}: {what} must be {'finite' if finite else 'a number'}, "
                         f"got {what}={value}")
    return value


def _axes(owner: str, what: str, axis: Any) -> int | tuple[int, ...]:
    """An axis argument: an int or a sequence of ints (as jax.nn.initializers takes)."""
    if _is_index(axis):
        return operator.index(axis)
    try:
        items = tuple(axis)
    except TypeError:
        items = None
    if items is None or isinstance(axis, (str, bytes)) or not all(_is_index(a) for a in items):
        raise TypeError(f"{owner}: {what} must be an int or a sequence of ints, got {axis!r}")
    return tuple(operator.index(a) for a in items)


def _check_axes(owner: Any, shape: tuple[int, ...], **axes: int | tuple[int, ...]) -> None:
    """Raise a ValueError naming ``owner`` unless every axis indexes ``shape``
    and no axis is claimed twice (fan-in and fan-out from the same axis)."""
    claimed: dict[int, str] = {}
    for name, axis in axes.items():
        for a in (axis if isinstance(axis, tuple) else (axis,)):
            if not -len(shape) <= a < len(shape):
                raise ValueError(f"{owner!r} cannot initialize shape {shape}: {name}={axis} is "
                                 f"not an axis of it; pass a shape with at least 2 dimensions, "
                                 f"e.g. (n_in, n_out), or choose another {name}")
            a %= len(shape)
            if a in claimed and claimed[a] != name:
                raise ValueError(f"{owner!r} cannot initialize shape {shape}: {claimed[a]} and "
                                 f"{name} both name axis {a}; they must differ")
            claimed[a] = name


class Initializer:
    """Base class: subclasses set ``self._fn``, a ``jax.nn.initializers`` function.

    Raises:
        NotImplementedError: calling the base class itself (no ``_fn``).

    Example:
        >>> import brainobj as bp
        >>> bp.init.Normal(0.0, 0.1)((2, 3)).shape
        (2, 3)
    """

    _fn: Any = None

    def __call__(self, shape: Shape, dtype: Any = None, key: jax.Array | None = None) -> jax.Array:
        """An array of ``shape`` and ``dtype`` (default float32).

        ``key`` (a PRNG key, or a Variable holding one) makes the draw
        explicit; without it a fresh key is split from ``bm.random``, after
        every check, so a refused call leaves the global key alone.

        Raises:
            TypeError: ``shape`` is not an int or a sequence of ints (a float,
                a string, ``True``); ``dtype`` is not a dtype; ``key`` is not
                one PRNG key.
            ValueError: a negative dimension; a non-floating ``dtype``; a
                shape this initializer cannot fill (e.g. a vector for a
                fan-based or orthogonal initializer, or ``in_axis`` not an
                axis of it).
            NotImplementedError: the base class itself.
        """
        if self._fn is None:
            raise NotImplementedError(f"{type(self).__name__} is a base class: use one of "
                                      "bp.init's initializers, or set self._fn in a subclass")
        shape = _as_shape(shape)
        dtype = _as_dtype(self, dtype)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise ValueError(f"{self!r} draws random numbers and needs a floating dtype, got "
                             f"dtype={dtype}; cast the result instead")
        self._check_shape(shape)
        if key is not None:
            key = _random._check_key(repr(self), key)
        if 0 in shape:
            # fans of an empty array are 0 and the formulas divide by them
            return jnp.zeros(shape, dtype)
        if key is None:
            key = _random.split_key()
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

    def __init__(self, scale: float | None = None, mode: str | None = None,
                 distribution: str | None = None, in_axis: int | Sequence[int] = -2,
                 out_axis: int | Sequence[int] = -1) -> None:
        # The argument order is BrainPy's (scale, mode, distribution, in_axis, out_axis).
        kind = type(self).__name__
        scale = self._default_scale if scale is None else scale
        if not isinstance(scale, numbers.Real) or isinstance(scale, (bool, np.bool_)):
            scale = _real(kind, "scale", scale)  # a 0-d array is read; anything else refused
        if not (scale > 0 and math.isfinite(scale)):
            raise ValueError(f"{kind} needs scale > 0 (the variance is scale / fan) and finite, "
                             f"got scale={scale}")
        self.scale = scale
        mode = self._fan if mode is None else mode
        distribution = self._distribution if distribution is None else distribution
        for what, value, allowed in (("mode", mode, _MODES),
                                     ("distribution", distribution, _DISTRIBUTIONS)):
            if not isinstance(value, str):
                raise TypeError(f"{kind}: {what} must be a string, one of {allowed}, got {value!r}")
            if value not in allowed:
                raise ValueError(f"{kind}: {what} must be one of {allowed}, got {value!r}")
        self.mode, self.distribution = mode, distribution
        self.in_axis = _axes(kind, "in_axis", in_axis)
        self.out_axis = _axes(kind, "out_axis", out_axis)
        self._fn = jinit.variance_scaling(self.scale, mode, distribution,
                                          in_axis=self.in_axis, out_axis=self.out_axis)

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        _check_axes(self, shape, in_axis=self.in_axis, out_axis=self.out_axis)


class XavierNormal(_VarianceScaling):
    """Glorot normal: variance ``scale * 2 / (fan_in + fan_out)``.

    Samples are truncated at two standard deviations (and rescaled to keep
    the variance), as in BrainPy and ``jax.nn.initializers.glorot_normal``.
    ``mode`` and ``distribution`` (BrainPy's arguments) change the fan and
    the distribution of every variance-scaling initializer.

    Raises:
        TypeError: ``scale`` is not a real number; ``mode`` or
            ``distribution`` is not a string; ``in_axis``/``out_axis`` is
            not an int or ints. (When called) see :meth:`Initializer.__call__`.
        ValueError: ``scale`` is not positive and finite; an unknown
            ``mode`` (``'fan_in'``, ``'fan_out'``, ``'fan_avg'``,
            ``'fan_geo_avg'``) or ``distribution`` (``'truncated_normal'``,
            ``'normal'``, ``'uniform'``). (When called) a shape without
            ``in_axis`` or ``out_axis``, or one where both are the same axis.

    Example:
        >>> import brainobj as bp
        >>> bp.init.XavierNormal()((3, 4)).shape
        (3, 4)
    """


class XavierUniform(_VarianceScaling):
    """Glorot uniform: variance ``scale * 2 / (fan_in + fan_out)``.

    Raises:
        TypeError, ValueError: as :class:`XavierNormal`: a bad ``scale``,
            ``mode``, ``distribution`` or axis, or a shape it cannot fill.

    Example:
        >>> import brainobj as bp
        >>> bp.init.XavierUniform()((3, 4)).shape
        (3, 4)
    """

    _distribution = "uniform"


class KaimingNormal(_VarianceScaling):
    """He normal: variance ``2 / fan_in`` (``scale`` defaults to 2), for ReLU layers.

    Truncated at two standard deviations, as in BrainPy and
    ``jax.nn.initializers.he_normal``.

    Raises:
        TypeError, ValueError: as :class:`XavierNormal`: a bad ``scale``,
            ``mode``, ``distribution`` or axis, or a shape it cannot fill.

    Example:
        >>> import brainobj as bp
        >>> bp.init.KaimingNormal(mode="fan_out")((3, 4)).shape
        (3, 4)
    """

    _fan = "fan_in"
    _default_scale = 2.0


class KaimingUniform(_VarianceScaling):
    """He uniform: variance ``2 / fan_in`` (``scale`` defaults to 2).

    Raises:
        TypeError, ValueError: as :class:`XavierNormal`: a bad ``scale``,
            ``mode``, ``distribution`` or axis, or a shape it cannot fill.

    Example:
        >>> import brainobj as bp
        >>> bp.init.KaimingUniform()((3, 4)).shape
        (3, 4)
    """

    _fan = "fan_in"
    _distribution = "uniform"
    _default_scale = 2.0


class LecunNormal(_VarianceScaling):
    """LeCun normal (truncated): variance ``1 / fan_in``.

    Raises:
        TypeError, ValueError: as :class:`XavierNormal`: a bad ``scale``,
            ``mode``, ``distribution`` or axis, or a shape it cannot fill.

    Example:
        >>> import brainobj as bp
        >>> bp.init.LecunNormal()((3, 4)).shape
        (3, 4)
    """

    _fan = "fan_in"
    _distribution = "truncated_normal"


class LecunUniform(_VarianceScaling):
    """LeCun uniform: variance ``1 / fan_in``.

    Raises:
        TypeError, ValueError: as :class:`XavierNormal`: a bad ``scale``,
            ``mode``, ``distribution`` or axis, or a shape it cannot fill.

    Example:
        >>> import brainobj as bp
        >>> bp.init.LecunUniform()((3, 4)).shape
        (3, 4)
    """

    _fan = "fan_in"
    _distribution = "uniform"


class Normal(Initializer):
    """Normal samples with mean ``mean`` and standard deviation ``scale``.

    Raises:
        TypeError: ``mean`` or ``scale`` is not a real number. (When called)
            see :meth:`Initializer.__call__`.
        ValueError: ``scale`` is negative, or either is not finite.

    Example:
        >>> import brainobj as bp
        >>> bp.init.Normal(0.0, 0.01)((2, 2)).shape
        (2, 2)
    """

    def __init__(self, mean: float = 0.0, scale: float = 1.0) -> None:
        mean, scale = _real("Normal", "mean", mean), _real("Normal", "scale", scale)
        if not scale >= 0:
            raise ValueError(f"Normal needs a standard deviation scale >= 0, got scale={scale}")
        self.mean, self.scale = mean, scale
        normal = jinit.normal(scale)
        self._fn = lambda key, shape, dtype: normal(key, shape, dtype) + jnp.asarray(mean, dtype)


class Uniform(Initializer):
    """Uniform samples in ``[min_val, max_val)``.

    Raises:
        TypeError: a bound that is not a real number. (When called) see
            :meth:`Initializer.__call__`.
        ValueError: a bound that is not finite, or ``min_val >= max_val``.

    Example:
        >>> import brainobj as bp
        >>> w = bp.init.Uniform(-1.0, 1.0)((100,))
        >>> bool(((w >= -1) & (w < 1)).all())
        True
    """

    def __init__(self, min_val: float = 0.0, max_val: float = 1.0) -> None:
        min_val = _real("Uniform", "min_val", min_val)
        max_val = _real("Uniform", "max_val", max_val)
        if not min_val < max_val:
            raise ValueError(f"Uniform needs min_val < max_val, got {min_val} and {max_val}")
        self.min_val, self.max_val = min_val, max_val
        self._fn = lambda key, shape, dtype: jax.random.uniform(
            key, shape, dtype, minval=min_val, maxval=max_val)


class TruncatedNormal(Initializer):
    """Normal(``loc``, ``scale``) truncated to ``[loc + lower*scale, loc + upper*scale]``.

    Raises:
        TypeError: a parameter that is not a real number. (When called) see
            :meth:`Initializer.__call__`.
        ValueError: ``scale`` is not positive, ``lower >= upper``, or
            ``loc``/``scale`` is not finite (the bounds may be infinite).

    Example:
        >>> import brainobj as bp
        >>> w = bp.init.TruncatedNormal(lower=-1.0, upper=1.0)((100,))
        >>> bool(((w >= -1) & (w <= 1)).all())
        True
    """

    def __init__(self, loc: float = 0.0, scale: float = 1.0, lower: float = -2.0,
                 upper: float = 2.0) -> None:
        kind = "TruncatedNormal"
        loc, scale = _real(kind, "loc", loc), _real(kind, "scale", scale)
        lower = _real(kind, "lower", lower, finite=False)
        upper = _real(kind, "upper", upper, finite=False)
        if scale <= 0 or not lower < upper:
            raise ValueError(f"TruncatedNormal needs scale > 0 and lower < upper, got "
                             f"scale={scale}, lower={lower}, upper={upper}")
        self.loc, self.scale, self.lower, self.upper = loc, scale, lower, upper
        self._fn = lambda key, shape, dtype: loc + scale * jax.random.truncated_normal(
            key, lower, upper, shape, dtype)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``scale``, over the last two axes by default.

    Raises:
        TypeError: ``scale`` is not a real number, or ``axis`` is not an int.
            (When called) see :meth:`Initializer.__call__`.
        ValueError: ``scale`` is not finite. (When called) a shape with
            fewer than 2 dimensions, or without ``axis``.

    Example:
        >>> import brainobj as bp, jax.numpy as jnp
        >>> w = bp.init.Orthogonal()((3, 3))
        >>> bool(jnp.allclose(w.T @ w, jnp.eye(3), atol=1e-5))
        True
    """

    def __init__(self, scale: float = 1.0, axis: int = -1) -> None:
        scale = _real("Orthogonal", "scale", scale)
        if not _is_index(axis):
            raise TypeError(f"Orthogonal: axis must be an int, got {axis!r}")
        self.scale, self.axis = scale, operator.index(axis)
        orthogonal = jinit.orthogonal(scale, column_axis=self.axis)

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
    """Every entry equal to ``value`` (a number, or an array broadcast to the shape).

    Any numeric ``dtype`` works (``ZeroInit()`` fills integer arrays too), as
    long as ``value`` survives the conversion: ``Constant(1.5)`` into int32
    or ``Constant(300)`` into uint8 would change it, and is refused.

    Raises:
        TypeError: ``value`` is not a number or a numeric array (a string,
            ``None``). (When called) a bad ``shape`` or ``dtype``.
        ValueError: (when called) a negative dimension, a ``value`` that does
            not broadcast to ``shape``, or one ``dtype`` cannot hold (a
            fraction or out-of-range number into an integer dtype, a finite
            number that overflows a float dtype, a non-zero imaginary part
            into a real one).

    Example:
        >>> import brainobj as bp, jax.numpy as jnp
        >>> bp.init.Constant(0.5)((2,))
        Array([0.5, 0.5], dtype=float32)
        >>> bp.init.ZeroInit()((2,), dtype=jnp.int32)
        Array([0, 0], dtype=int32)
    """

    def __init__(self, value: float = 0.0) -> None:
        kind = type(self).__name__
        if not isinstance(value, jax.core.Tracer):
            try:
                host = np.asarray(value)
            except Exception:
                host = None
            if host is None or not (host.dtype.kind in "biufc"
                                    or jnp.issubdtype(host.dtype, jnp.floating)):
                raise TypeError(f"{kind}: value must be a number or a numeric array, got "
                                f"{value!r} ({type(value).__name__})")
        self.value = value
        self._fn = lambda key, shape, dtype: jnp.full(shape, value, dtype)

    def __call__(self, shape: Shape, dtype: Any = None, key: jax.Array | None = None) -> jax.Array:
        """An array of ``shape`` and ``dtype`` (default float32) filled with ``value``.

        Deterministic: ``key`` is ignored and no key is drawn, so the random
        stream is not advanced.

        Raises:
            TypeError: a bad ``shape`` or ``dtype``.
            ValueError: a negative dimension; a ``value`` that does not
                broadcast to ``shape`` or that ``dtype`` cannot hold.
        """
        shape = _as_shape(shape)
        dtype = _as_dtype(self, dtype)
        value_shape = tuple(np.shape(self.value))
        try:
            fits = tuple(np.broadcast_shapes(value_shape, shape)) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{self!r}: a value of shape {value_shape} does not broadcast to "
                             f"the shape {shape}")
        self._check_fits(dtype)
        return self._fn(None, shape, dtype)

    def _check_fits(self, dtype: np.dtype) -> None:
        """Refuse a ``dtype`` that would change the value (a host check of a
        value fixed when the initializer was made; no tracing is involved)."""
        if isinstance(self.value, jax.core.Tracer):
            return
        host = np.asarray(self.value)
        dtype = np.dtype(jax.dtypes.canonicalize_dtype(dtype))  # int64 is int32 without x64
        complex_target = jnp.issubdtype(dtype, jnp.complexfloating)
        if host.dtype.kind == "c" and not complex_target:
            if np.any(host.imag != 0):
                raise ValueError(f"{self!r}: cannot fill dtype {dtype} with value="
                                 f"{self.value!r}: its imaginary part would be dropped; pass "
                                 "a complex dtype or a real value")
            host = host.real
        if dtype.kind in "biu":
            with np.errstate(invalid="ignore", over="ignore"):
                same = np.array_equal(host.astype(dtype).astype(host.dtype), host)
            problem = None if same else "it is not a whole number in the dtype's range"
        else:
            # Floats: rounding is expected; overflowing to inf is not.
            with np.errstate(over="ignore"):
                cast = np.asarray(jnp.asarray(host, dtype))
            problem = ("it overflows the dtype"
                       if np.any(np.isfinite(host) & ~np.isfinite(cast)) else None)
        if problem:
            raise ValueError(f"{self!r}: cannot fill dtype {dtype} with value={self.value!r}: "
                             f"{problem}; pass another dtype or value")


class ZeroInit(Constant):
    """All zeros.

    Raises:
        TypeError, ValueError: (when called) as :meth:`Constant.__call__`.

    Example:
        >>> import brainobj as bp
        >>> bp.init.ZeroInit()(3)
        Array([0., 0., 0.], dtype=float32)
    """

    def __init__(self) -> None:
        super().__init__(0.0)


class OneInit(Constant):
    """All ones (or ``value``).

    Raises:
        TypeError, ValueError: as :class:`Constant`.

    Example:
        >>> import brainobj as bp
        >>> bp.init.OneInit()(2)
        Array([1., 1.], dtype=float32)
    """

    def __init__(self, value: float = 1.0) -> None:
        super().__init__(value)


class Partitioned(Initializer):
    """An initializer whose parameters carry a partition spec (see :func:`with_partitioning`).

    Raises:
        TypeError, ValueError: as the wrapped initializer; a ``ValueError``
            also when the spec has more entries than the shape has dimensions.
    """

    def __init__(self, init: Any, spec: Any) -> None:
        if not callable(init):
            raise TypeError(f"bp.init.with_partitioning: init must be an initializer (a callable "
                            f"taking a shape), got {init!r:.60}.")
        if isinstance(spec, (tuple, list)) and not isinstance(spec, PartitionSpec):
            spec = PartitionSpec(*spec)  # entries are checked when the Variable is made
        if not isinstance(spec, PartitionSpec):
            raise TypeError(f"bp.init.with_partitioning: spec must be a jax.sharding.PartitionSpec "
                            f"or a tuple of mesh axis names, got {type(spec).__name__}.")
        self.init = init
        self.spec = spec

    def __call__(self, shape: Shape, *args: Any, **kwargs: Any) -> jax.Array:
        dims = _as_shape(shape)
        if len(self.spec) > len(dims):
            raise ValueError(f"{self!r}: spec {self.spec} has {len(self.spec)} entries but the "
                             f"shape {dims} has {len(dims)} dimension(s).")
        return self.init(shape, *args, **kwargs)


def with_partitioning(init: Any, spec: Any) -> Partitioned:
    """``init``, whose parameters a layer creates with ``spec`` (a
    ``jax.sharding.PartitionSpec`` or a tuple of mesh axis names).

    The values are drawn as ``init`` draws them; the spec goes to the
    layer's Variable (``layer.W.spec``), and ``bm.shard(layer, mesh)`` (or
    creating the layer under ``jax.set_mesh(mesh)``) places it by the spec.

    Raises:
        TypeError: ``init`` is not callable, or ``spec`` is not a spec.

    Example:
        >>> import brainobj as bp
        >>> from jax.sharding import PartitionSpec as P
        >>> layer = bp.Linear(16, 32, W_initializer=bp.init.with_partitioning(
        ...     bp.init.XavierNormal(), P(None, 'model')))
        >>> layer.W.spec == P(None, 'model'), layer.b.spec
        (True, None)
    """
    return Partitioned(init, spec)
