"""``bm.random``: random numbers from a key that lives in a Variable.

:class:`RandomState` is a :class:`~brainobj.math.Variable` holding a JAX PRNG
key. Each draw splits the key and stores one half back, so inside
``bm.jit`` (or any brainobj transform) the key advances in the live state:
two calls of a compiled function draw different numbers, and
:func:`seed` makes a run reproducible.

The module-level functions draw from :data:`DEFAULT`, the global state; give
an object its own stream with ``bm.random.RandomState(seed)``. Every function
also takes ``key=`` to draw from an explicit key instead (the state is then
left alone).

Arguments are checked before the key advances: a bad size, a parameter that
is not a real number, parameters that do not broadcast to ``size``, or (when
its value is known, i.e. not traced) a parameter outside its domain
(``normal(scale=-1)``, ``uniform(low > high)``, ``gamma(shape < 0)``, ...)
raise a ``TypeError`` or ``ValueError`` that names the function and the
argument, and the state is left as it was.

Example:
    >>> import brainobj.math as bm
    >>> bm.random.seed(0)
    >>> a = bm.random.rand(3)
    >>> bm.random.seed(0)
    >>> bool((bm.random.rand(3) == a).all())
    True
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import _distributions as _dist
from ._layout import is_spread, send_home
from ._tracing import THREAD
from ._variable import Variable, value_of

__all__ = [
    "RandomState", "DEFAULT", "seed", "split_key", "split_keys", "rand", "randn",
    "randint", "uniform", "normal", "bernoulli", "choice", "permutation", "shuffle",
    "random", "random_sample", "truncated_normal", "categorical", "gamma", "beta",
    "exponential", "poisson",
]

Shape = int | Sequence[int] | None


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _dims(what: str, dims: Any) -> tuple[int, ...]:
    """Sizes given by the caller, checked before any key is drawn."""
    items = (dims,) if _is_int(dims) else dims
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if items is None or not all(_is_int(d) for d in items):
        raise TypeError(f"bm.random: `{what}` must be an int or a sequence of ints, got {dims!r}.")
    if any(d < 0 for d in items):
        raise ValueError(f"bm.random: `{what}` must not be negative, got {dims!r}.")
    return tuple(int(d) for d in items)


def _concrete(x: Any) -> np.ndarray | None:
    """``x`` as a NumPy array when it is known now (not traced)."""
    if isinstance(x, jax.core.Tracer):
        return None
    try:
        return np.asarray(x)
    except Exception:  # not convertible: JAX reports it
        return None


def _param(fn: str, what: str, x: Any) -> Any:
    """A distribution parameter: a real number or array (a Variable's value;
    a list as an array), else a TypeError naming it. Only its dtype is read,
    so this is free under a transform."""
    x = value_of(x)
    if isinstance(x, (bool, int, float, np.bool_, np.integer, np.floating)):
        return x
    if isinstance(x, (list, tuple)):
        try:  # NumPy takes lists; jax.random does not
            x = jnp.asarray(x)
        except (TypeError, ValueError, OverflowError):
            pass
    kind = None
    if isinstance(x, (jax.Array, np.ndarray, np.generic)):
        # bfloat16 and float8 have NumPy kind 'V': ask JAX whether they are floats
        kind = "f" if jnp.issubdtype(x.dtype, jnp.floating) else np.dtype(x.dtype).kind
    if kind not in ("b", "i", "u", "f"):
        got = f"a {x.dtype} array" if kind is not None else f"{x!r} ({type(x).__name__})"
        raise TypeError(f"bm.random.{fn}: `{what}` must be a real number or an array of real "
                        f"numbers, got {got}.")
    return x


def _out_shape(fn: str, size: Shape, **params: Any) -> tuple[int, ...]:
    """The shape of a draw: ``size``, which the parameters must broadcast to
    (NumPy's rule), or else the parameters' broadcast shape. Static."""
    shapes = {name: tuple(jnp.shape(p)) for name, p in params.items()}
    try:
        joint = tuple(jnp.broadcast_shapes(*shapes.values())) if shapes else ()
    except ValueError:
        listed = ", ".join(f"`{name}` {shape}" for name, shape in shapes.items())
        raise ValueError(f"bm.random.{fn}: the parameter shapes do not broadcast together: "
                         f"{listed}.") from None
    if size is None:
        return joint
    shape = _dims("size", size)
    try:
        fits = tuple(jnp.broadcast_shapes(shape, joint)) == shape
    except ValueError:
        fits = False
    if not fits:
        listed = ", ".join(f"`{name}` {s}" for name, s in shapes.items() if s)
        raise ValueError(f"bm.random.{fn}: the parameters ({listed}) do not broadcast to "
                         f"`size` {shape}; pass a size whose trailing axes match them, "
                         f"e.g. size={shape + joint if shape != joint else joint}, or size=None.")
    return shape


def _prep(fn: str, size: Shape, **params: Any) -> tuple[Any, ...]:
    """The checked parameters (see :func:`_param`) followed by the draw's shape."""
    params = {name: _param(fn, name, value) for name, value in params.items()}
    return (*params.values(), _out_shape(fn, size, **params))


def _refuse_where(fn: str, what: str, x: Any, bad: Any, rule: str) -> None:
    """Raise a ValueError when ``bad(values)`` holds anywhere, for a known ``x``.

    A traced parameter is not checked (its value is unknown at trace time).
    """
    values = _concrete(x)
    if values is not None and values.size and np.any(bad(values)):
        raise ValueError(f"bm.random.{fn}: `{what}` must be {rule}, got {what}={x!r}.")


def _check_key(owner: str, key: Any) -> Any:
    """An explicit ``key=``: one PRNG key (raw ``uint32[2]`` or typed), else a
    TypeError naming ``owner`` (``'bm.random.rand'``, an initializer)."""
    key = value_of(key)
    if isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.shape == ():
            return key
    elif (isinstance(key, (jax.Array, np.ndarray)) and key.shape == (2,)
          and key.dtype == np.uint32):
        return key
    got = (f"{key.dtype}{list(key.shape)}" if isinstance(key, (jax.Array, np.ndarray))
           else f"{key!r} ({type(key).__name__})")
    raise TypeError(f"{owner}: `key` must be one PRNG key: uint32[2] (e.g. "
                    f"jax.random.PRNGKey(0)) or a jax.random.key(0), got {got}.")


def _flag(fn: str, what: str, value: Any) -> bool:
    """A boolean option; ``replace='False'`` (a truthy string) is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"bm.random.{fn}: `{what}` must be True or False, got {value!r}.")
    return bool(value)


class _SeedTooLarge(ValueError, OverflowError):
    """A seed of 2**64 or more: a ValueError like every bad seed here, and the
    OverflowError BrainPy's path raises for it, so code written for either catches it."""


def _new_key(seed_value: int | None) -> jax.Array:
    """A key from a seed in ``[0, 2**64)``: both 32-bit halves count, so
    ``seed(2**32)`` and ``seed(0)`` differ (``PRNGKey`` keeps only the low
    half without 64-bit mode); seeds below ``2**32`` give ``PRNGKey(seed)``."""
    if seed_value is None:
        seed_value = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    if not _is_int(seed_value):
        raise TypeError(f"bm.random: a seed must be an int, got {seed_value!r} "
                        f"({type(seed_value).__name__}).")
    seed_value = int(seed_value)
    if not 0 <= seed_value < 2 ** 64:
        error = _SeedTooLarge if seed_value > 0 else ValueError
        raise error(f"bm.random: a seed must be in [0, 2**64), got {seed_value}.")
    return jnp.asarray([seed_value >> 32, seed_value & 0xFFFFFFFF], dtype=jnp.uint32)


def _int_dtype(fn: str, dtype: Any) -> np.dtype:
    """``dtype`` as the integer dtype JAX will use, else a TypeError naming it."""
    try:
        result = jax.dtypes.canonicalize_dtype(np.dtype(dtype))
    except TypeError:
        result = None
    if result is None or result.kind not in "iu":
        raise TypeError(f"bm.random.{fn}: `dtype` must be an integer dtype, got {dtype!r}.")
    return result


class RandomState(Variable):
    """A Variable holding a PRNG key, with NumPy-like sampling methods.

    Every method checks its arguments before it advances the key (see the
    module docstring); ``key=`` draws from an explicit key instead and leaves
    the state alone.

    Args:
        seed_or_key: an ``int`` seed in ``[0, 2**64)``, an existing key
            (``uint32[2]`` or a ``jax.random.key``), or ``None`` for a seed
            drawn from the operating system.

    Raises:
        TypeError: a seed that is not an int (``0.5``, ``'1'``, ``True``).
        ValueError: a seed outside ``[0, 2**64)``, or a key that is not
            ``uint32[2]``.

    Example:
        >>> import brainobj.math as bm
        >>> rs = bm.random.RandomState(0)
        >>> rs.normal(size=(2, 3)).shape
        (2, 3)
    """

    __slots__ = ()

    def __init__(self, seed_or_key: int | jax.Array | None = None) -> None:
        if seed_or_key is None or _is_int(seed_or_key):
            key = _new_key(seed_or_key)
        elif isinstance(seed_or_key, (float, bool, np.floating, np.bool_, str)):
            raise TypeError(f"RandomState: a seed must be an int (or a key), got {seed_or_key!r}.")
        else:
            key = jnp.asarray(seed_or_key)
            if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):  # jax.random.key(...)
                key = jax.random.key_data(key)
            if key.shape != (2,) or not jnp.issubdtype(key.dtype, jnp.integer):
                raise ValueError(f"RandomState: a PRNG key must be uint32[2] (or a "
                                 f"jax.random.key), got {key.dtype}{list(key.shape)}.")
            key = key.astype(jnp.uint32)
        super().__init__(key)

    def seed(self, seed_value: int | None = None) -> None:
        """Reset the key from ``seed_value`` (``None``: from the OS).

        Raises:
            TypeError: a seed that is not an int.
            ValueError: a seed outside ``[0, 2**64)``. The key is unchanged.
        """
        self._store(_new_key(seed_value))

    def _store(self, new: jax.Array) -> None:
        # Outside transforms, under jax.set_mesh, JAX creates arrays on the
        # mesh: a key without a spec stays on its one device (see _layout).
        old = self._value
        self.value = new
        if not THREAD.frames and self._spec is None and not is_spread(old) and is_spread(self._value):
            send_home([(self, old)])

    def split_key(self) -> jax.Array:
        """Advance the state and return a fresh key.

        Raises:
            MathError: (from the Variable) only if the state was replaced by
                something that is not a key.
        """
        keep, fresh = jax.random.split(self.value)
        self._store(keep)
        return fresh

    def split_keys(self, n: int) -> jax.Array:
        """Advance the state and return ``n`` fresh keys (shape ``(n, 2)``).

        Raises:
            TypeError: ``n`` is not an int.
            ValueError: ``n`` is negative. The key is unchanged.
        """
        if not _is_int(n):
            raise TypeError(f"bm.random.split_keys: `n` must be an int, got {n!r}.")
        if n < 0:
            raise ValueError(f"bm.random.split_keys: `n` must not be negative, got {n}.")
        keys = jax.random.split(self.value, int(n) + 1)
        self._store(keys[0])
        return keys[1:]

    def _key(self, fn: str, key: Any) -> jax.Array:
        # Called last, after every check: a refused call leaves the key alone.
        # An explicit key (or an int seed for one) leaves the state alone.
        if key is None:
            return self.split_key()
        if _is_int(key):
            return _new_key(key)
        return _check_key(f"bm.random.{fn}", key)

    def rand(self, *dims: int, key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[0, 1)`` of shape ``dims``.

        Raises:
            TypeError: a dimension that is not an int, or a bad ``key``.
            ValueError: a negative dimension.
        """
        dims = _dims("dims", dims)
        return jax.random.uniform(self._key("rand", key), dims)

    def random(self, size: Shape = None, key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[0, 1)`` of shape ``size`` (NumPy's ``random``).

        Raises:
            TypeError: a ``size`` that is not an int or ints, or a bad ``key``.
            ValueError: a negative size.
        """
        shape = _out_shape("random", size)
        return jax.random.uniform(self._key("random", key), shape)

    random_sample = random

    def randn(self, *dims: int, key: jax.Array | None = None) -> jax.Array:
        """Standard normal samples of shape ``dims``.

        Raises:
            TypeError: a dimension that is not an int, or a bad ``key``.
            ValueError: a negative dimension.
        """
        dims = _dims("dims", dims)
        return jax.random.normal(self._key("randn", key), dims)

    def randint(self, low: int, high: int | None = None, size: Shape = None,
                dtype: Any = int, key: jax.Array | None = None) -> jax.Array:
        """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is omitted).

        Float bounds are truncated, as in NumPy.

        Raises:
            TypeError: a bound that is not a real number, a non-integer
                ``dtype``, a bad ``size`` or ``key``.
            ValueError: ``low >= high`` or a bound that does not fit
                ``dtype`` (when known), or bounds that do not broadcast to
                ``size``.
        """
        if high is None:
            low, high = 0, low
        low, high = _param("randint", "low", low), _param("randint", "high", high)
        target = _int_dtype("randint", dtype)
        shape = _out_shape("randint", size, low=low, high=high)
        lo, hi = _concrete(low), _concrete(high)
        if lo is not None and hi is not None and np.any(lo >= hi):
            raise ValueError(f"bm.random.randint: needs low < high, got low={low!r}, high={high!r}.")
        info = np.iinfo(target)
        for what, bound, values in (("low", low, lo), ("high", high, hi)):
            if values is not None and values.size and (
                    np.min(values) < info.min or np.max(values) > info.max):
                raise ValueError(f"bm.random.randint: {what}={bound!r} does not fit dtype "
                                 f"{target} (range {info.min}..{info.max}).")
        return jax.random.randint(self._key("randint", key), shape, low, high, dtype)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Shape = None,
                key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[low, high)``.

        Raises:
            TypeError: a bound that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: bounds that do not broadcast to ``size``, or (when
                known) ``low > high`` or a bound that is not finite (JAX
                would return ``low`` or ``inf`` everywhere).
        """
        low, high = _param("uniform", "low", low), _param("uniform", "high", high)
        shape = _out_shape("uniform", size, low=low, high=high)
        lo, hi = _concrete(low), _concrete(high)
        for what, bound, values in (("low", low, lo), ("high", high, hi)):
            if values is not None and not np.all(np.isfinite(values)):
                raise ValueError(f"bm.random.uniform: `{what}` must be finite, got {what}={bound!r}.")
        if lo is not None and hi is not None and not np.all(lo <= hi):
            raise ValueError(f"bm.random.uniform: needs low <= high, got low={low!r}, high={high!r}.")
        return jax.random.uniform(self._key("uniform", key), shape, minval=low, maxval=high)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
               key: jax.Array | None = None) -> jax.Array:
        """Normal samples with mean ``loc`` and standard deviation ``scale``.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or a
                negative ``scale`` (when known), as in NumPy.
        """
        loc, scale = _param("normal", "loc", loc), _param("normal", "scale", scale)
        shape = _out_shape("normal", size, loc=loc, scale=scale)
        _refuse_where("normal", "scale", scale, lambda s: s < 0, ">= 0")
        return loc + scale * jax.random.normal(self._key("normal", key), shape)

    def truncated_normal(self, lower: Any, upper: Any, size: Shape = None, loc: Any = 0.0,
                         scale: Any = 1.0, key: jax.Array | None = None) -> jax.Array:
        """Normal(``loc``, ``scale``) samples truncated to ``[lower, upper]``.

        The bounds are in the units of the samples (as in BrainPy), not in
        standard deviations; infinite bounds are allowed.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or
                (when known) ``lower >= upper`` or ``scale <= 0``.
        """
        fn = "truncated_normal"
        lower, upper = _param(fn, "lower", lower), _param(fn, "upper", upper)
        loc, scale = _param(fn, "loc", loc), _param(fn, "scale", scale)
        shape = _out_shape(fn, size, lower=lower, upper=upper, loc=loc, scale=scale)
        lo, hi = _concrete(lower), _concrete(upper)
        if lo is not None and hi is not None and not np.all(lo < hi):
            raise ValueError(f"bm.random.truncated_normal: needs lower < upper, got "
                             f"lower={lower!r}, upper={upper!r}.")
        _refuse_where(fn, "scale", scale, lambda s: ~(s > 0), "> 0")
        z = jax.random.truncated_normal(self._key(fn, key), (lower - loc) / scale,
                                        (upper - loc) / scale, shape)
        return loc + scale * z

    def bernoulli(self, p: Any = 0.5, size: Shape = None,
                  key: jax.Array | None = None) -> jax.Array:
        """Boolean samples that are ``True`` with probability ``p``.

        Raises:
            TypeError: ``p`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``p`` does not broadcast to ``size``, or (when known)
                lies outside ``[0, 1]`` or is NaN.
        """
        p = _param("bernoulli", "p", p)
        shape = _out_shape("bernoulli", size, p=p)
        known = _concrete(p)
        if known is not None and not np.all((known >= 0) & (known <= 1)):
            raise ValueError(f"bm.random.bernoulli: p must be in [0, 1], got {p!r}.")
        return jax.random.bernoulli(self._key("bernoulli", key), p, shape)

    def categorical(self, logits: Any, axis: int = -1, size: Shape = None,
                    key: jax.Array | None = None) -> jax.Array:
        """Class indices drawn with probabilities ``softmax(logits)`` along ``axis``.

        Without ``size`` the result has ``logits``' shape without ``axis``;
        ``size`` must end with (broadcast from) that shape.

        Raises:
            TypeError: ``logits`` is not a real array, ``axis`` is not an
                int, a bad ``size`` or ``key``.
            ValueError: scalar ``logits``, an ``axis`` out of range, no
                classes along it, or a ``size`` the other axes do not
                broadcast to.
        """
        logits = _param("categorical", "logits", logits)
        ndim = jnp.ndim(logits)
        if ndim == 0:
            raise ValueError("bm.random.categorical: `logits` must have a class axis, got a "
                             "scalar.")
        if not _is_int(axis):
            raise TypeError(f"bm.random.categorical: `axis` must be an int, got {axis!r}.")
        if not -ndim <= axis < ndim:
            raise ValueError(f"bm.random.categorical: axis {axis} is out of range for logits of "
                             f"shape {tuple(jnp.shape(logits))}.")
        if jnp.shape(logits)[axis] == 0:
            raise ValueError(f"bm.random.categorical: `logits` of shape "
                             f"{tuple(jnp.shape(logits))} has no classes along axis {axis}.")
        # The other axes broadcast to `size` like a parameter (a zero-stride stand-in).
        others = tuple(d for i, d in enumerate(jnp.shape(logits)) if i != axis % ndim)
        shape = _out_shape("categorical", size, logits=np.broadcast_to(False, others))
        return jax.random.categorical(self._key("categorical", key), logits, axis=int(axis),
                                      shape=shape)

    def gamma(self, shape: Any, scale: Any = 1.0, size: Shape = None,
              key: jax.Array | None = None) -> jax.Array:
        """Gamma samples with shape ``shape`` (k) and scale ``scale`` (theta), as NumPy.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) a negative ``shape`` or ``scale``, as in NumPy.
        """
        shape, scale = _param("gamma", "shape", shape), _param("gamma", "scale", scale)
        out = _out_shape("gamma", size, shape=shape, scale=scale)
        _refuse_where("gamma", "shape", shape, lambda a: a < 0, ">= 0")
        _refuse_where("gamma", "scale", scale, lambda s: s < 0, ">= 0")
        return jax.random.gamma(self._key("gamma", key), shape, out) * scale

    def beta(self, a: Any, b: Any, size: Shape = None,
             key: jax.Array | None = None) -> jax.Array:
        """Beta(``a``, ``b``) samples in ``[0, 1]``.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) ``a <= 0`` or ``b <= 0``, as in NumPy.
        """
        a, b = _param("beta", "a", a), _param("beta", "b", b)
        out = _out_shape("beta", size, a=a, b=b)
        _refuse_where("beta", "a", a, lambda v: v <= 0, "> 0")
        _refuse_where("beta", "b", b, lambda v: v <= 0, "> 0")
        return jax.random.beta(self._key("beta", key), a, b, out)

    def exponential(self, scale: Any = 1.0, size: Shape = None,
                    key: jax.Array | None = None) -> jax.Array:
        """Exponential samples with mean ``scale`` (``1 / rate``), as NumPy.

        Raises:
            TypeError: ``scale`` is not a real number or array, a bad ``size``
                or ``key``.
            ValueError: ``scale`` does not broadcast to ``size``, or (when
                known) is negative, as in NumPy.
        """
        scale = _param("exponential", "scale", scale)
        out = _out_shape("exponential", size, scale=scale)
        _refuse_where("exponential", "scale", scale, lambda s: s < 0, ">= 0")
        return jax.random.exponential(self._key("exponential", key), out) * scale

    def poisson(self, lam: Any = 1.0, size: Shape = None,
                key: jax.Array | None = None) -> jax.Array:
        """Poisson counts (int32) with rate ``lam``.

        Raises:
            TypeError: ``lam`` is not a real number or array, a bad ``size``
                or ``key``.
            ValueError: ``lam`` does not broadcast to ``size``, or (when
                known) is negative or NaN, as in NumPy.
        """
        lam = _param("poisson", "lam", lam)
        out = _out_shape("poisson", size, lam=lam)
        _refuse_where("poisson", "lam", lam, lambda v: ~(v >= 0), ">= 0 (and not NaN)")
        return jax.random.poisson(self._key("poisson", key), lam, out)

    def choice(self, a: Any, size: Shape = None, replace: bool = True, p: Any = None,
               key: jax.Array | None = None) -> jax.Array:
        """Samples from ``a`` (an array, or ``range(a)`` for an int).

        Raises:
            TypeError: ``replace`` is not a bool, ``p`` is not a real array,
                a bad ``size`` or ``key``.
            ValueError: ``a`` is not a positive int (or a 0-d integer array)
                or a non-empty array; more samples than ``a`` holds without
                replacement; ``p`` is not 1-d with one entry per item, or
                (when known) has negative entries, does not sum to 1, or has
                fewer non-zero entries than samples without replacement.
        """
        a = value_of(a)
        if isinstance(a, (list, tuple)):
            a = _param("choice", "a", a)
        if (isinstance(a, (jax.Array, np.ndarray, np.generic)) and jnp.ndim(a) == 0
                and jnp.issubdtype(a.dtype, jnp.integer) and _concrete(a) is not None):
            a = int(a)  # NumPy reads a 0-d integer array as an int
        shape = _out_shape("choice", size)
        population = int(a) if _is_int(a) else (jnp.shape(a)[0] if jnp.ndim(a) else None)
        if population is None or population <= 0:
            raise ValueError(f"bm.random.choice: `a` must be a positive int or a non-empty "
                             f"array, got {a!r}.")
        replace = _flag("choice", "replace", replace)
        count = int(np.prod(shape))
        if not replace and count > population:
            raise ValueError(f"bm.random.choice: cannot take {count} samples "
                             f"without replacement from a population of {population}.")
        if p is not None:
            p = _param("choice", "p", p)
            if jnp.shape(p) != (population,):
                raise ValueError(f"bm.random.choice: `p` must be 1-d with one probability per "
                                 f"item ({population}), got shape {tuple(jnp.shape(p))}.")
            known = _concrete(p)
            if known is not None:
                if np.any(known < 0) or np.any(np.isnan(known)):
                    raise ValueError(f"bm.random.choice: probabilities `p` must not be "
                                     f"negative or NaN, got {p!r}.")
                if abs(float(np.sum(known, dtype=np.float64)) - 1.0) > np.sqrt(
                        np.finfo(np.float32).eps):
                    raise ValueError(f"bm.random.choice: probabilities `p` must sum to 1, got "
                                     f"sum {float(np.sum(known, dtype=np.float64))}.")
                if not replace and np.count_nonzero(known) < count:
                    raise ValueError(f"bm.random.choice: only {np.count_nonzero(known)} items "
                                     f"have non-zero probability; cannot take {count} samples "
                                     "without replacement.")
        return jax.random.choice(self._key("choice", key), a, shape, replace=replace, p=p)

    def permutation(self, x: Any, axis: int = 0, independent: bool = False,
                    key: jax.Array | None = None) -> jax.Array:
        """A shuffled copy of ``x`` along ``axis`` (``x`` an int: of ``range(x)``).

        ``x`` may be an array, a list, a Variable or an int (also a 0-d
        integer array, as in NumPy).

        Raises:
            TypeError: ``x`` is a scalar that is not an int, or not numbers;
                ``axis`` is not an int; ``independent`` is not a bool; a bad
                ``key``.
            ValueError: ``axis`` is out of range for ``x``.
        """
        x = _permutable("permutation", x)
        independent = _flag("permutation", "independent", independent)
        _check_axis("permutation", axis, x)
        return jax.random.permutation(self._key("permutation", key), x, axis=int(axis),
                                      independent=independent)

    def shuffle(self, x: Any, axis: int = 0, key: jax.Array | None = None) -> jax.Array | None:
        """Shuffle along ``axis``: a Variable in place, else return a shuffled copy.

        Raises:
            TypeError, ValueError: as :meth:`permutation` (a scalar ``x``, a
                bad ``axis`` or ``key``). The key and ``x`` are unchanged.
        """
        value = _permutable("shuffle", x)
        _check_axis("shuffle", axis, value)
        shuffled = jax.random.permutation(self._key("shuffle", key), value, axis=int(axis))
        if isinstance(x, Variable):
            x.value = shuffled
            return None
        return shuffled

    # ---- NumPy Generator / BrainPy distributions -------------------------------
    # Each checks its arguments first (type, broadcast to ``size``, and the
    # domain when the values are known), then advances the key once.

    def standard_normal(self, size: Shape = None, key: Any = None) -> jax.Array:
        """Standard normal samples of shape ``size`` (``jax.random.normal``).

        Raises:
            TypeError: a bad ``size`` or ``key``.
            ValueError: a negative size. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.standard_normal((2, 3)).shape
            (2, 3)
        """
        shape = _out_shape("standard_normal", size)
        return jax.random.normal(self._key("standard_normal", key), shape)

    def standard_exponential(self, size: Shape = None, key: Any = None) -> jax.Array:
        """Exponential samples with mean 1 (``jax.random.exponential``).

        Raises:
            TypeError: a bad ``size`` or ``key``.
            ValueError: a negative size. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.standard_exponential(5) >= 0).all())
            True
        """
        shape = _out_shape("standard_exponential", size)
        return jax.random.exponential(self._key("standard_exponential", key), shape)

    def standard_cauchy(self, size: Shape = None, key: Any = None) -> jax.Array:
        """Standard Cauchy samples (``jax.random.cauchy``).

        Raises:
            TypeError: a bad ``size`` or ``key``.
            ValueError: a negative size. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.standard_cauchy(4).shape
            (4,)
        """
        shape = _out_shape("standard_cauchy", size)
        return jax.random.cauchy(self._key("standard_cauchy", key), shape)

    def standard_gamma(self, shape: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Gamma(``shape``, scale 1) samples (``jax.random.gamma``).

        Raises:
            TypeError: ``shape`` is not a real number or array, a bad ``size``
                or ``key``.
            ValueError: ``shape`` does not broadcast to ``size`` or (when
                known) is negative. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.standard_gamma([1.0, 2.0, 3.0]).shape
            (3,)
        """
        shape, out = _prep("standard_gamma", size, shape=shape)
        _refuse_where("standard_gamma", "shape", shape, lambda v: ~(v >= 0), ">= 0")
        return jax.random.gamma(self._key("standard_gamma", key), shape, out)

    def standard_t(self, df: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Student's t samples with ``df`` degrees of freedom (``jax.random.t``).

        Raises:
            TypeError: ``df`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``df`` does not broadcast to ``size`` or (when known)
                is not positive. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.standard_t(5.0, size=(2, 2)).shape
            (2, 2)
        """
        df, out = _prep("standard_t", size, df=df)
        _refuse_where("standard_t", "df", df, lambda v: ~(v > 0), "> 0")
        return jax.random.t(self._key("standard_t", key), df, out)

    def t(self, df: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Student's t samples (BrainPy's name for :meth:`standard_t`).

        Raises:
            TypeError: ``df`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``df`` does not broadcast to ``size`` or (when known)
                is not positive. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.t(3.0, size=2).shape
            (2,)
        """
        df, out = _prep("t", size, df=df)
        _refuse_where("t", "df", df, lambda v: ~(v > 0), "> 0")
        return jax.random.t(self._key("t", key), df, out)

    def _loc_scale(self, fn: str, sampler: Any, loc: Any, scale: Any, size: Shape,
                   key: Any) -> jax.Array:
        loc, scale, out = _prep(fn, size, loc=loc, scale=scale)
        _refuse_where(fn, "scale", scale, lambda v: ~(v >= 0), ">= 0")
        return loc + scale * sampler(self._key(fn, key), out)

    def gumbel(self, loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
               key: Any = None) -> jax.Array:
        """Gumbel samples: ``loc + scale * jax.random.gumbel``.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or a
                negative ``scale`` (when known). The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.gumbel([0.0, 1.0], 2.0).shape
            (2,)
        """
        return self._loc_scale("gumbel", jax.random.gumbel, loc, scale, size, key)

    def laplace(self, loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
                key: Any = None) -> jax.Array:
        """Laplace samples: ``loc + scale * jax.random.laplace``.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or a
                negative ``scale`` (when known). The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.laplace(0.0, 1.0, size=(3,)).shape
            (3,)
        """
        return self._loc_scale("laplace", jax.random.laplace, loc, scale, size, key)

    def logistic(self, loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
                 key: Any = None) -> jax.Array:
        """Logistic samples: ``loc + scale * jax.random.logistic``.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or a
                negative ``scale`` (when known). The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.logistic(size=4).shape
            (4,)
        """
        return self._loc_scale("logistic", jax.random.logistic, loc, scale, size, key)

    def lognormal(self, mean: Any = 0.0, sigma: Any = 1.0, size: Shape = None,
                  key: Any = None) -> jax.Array:
        """Samples whose log is Normal(``mean``, ``sigma``), as NumPy:
        ``exp(mean) * jax.random.lognormal(key, sigma)``.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or a
                negative ``sigma`` (when known). The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.lognormal(0.0, 0.5, size=5) > 0).all())
            True
        """
        mean, sigma, out = _prep("lognormal", size, mean=mean, sigma=sigma)
        _refuse_where("lognormal", "sigma", sigma, lambda v: ~(v >= 0), ">= 0")
        return jnp.exp(mean) * jax.random.lognormal(self._key("lognormal", key), sigma, out)

    def rayleigh(self, scale: Any = 1.0, size: Shape = None, key: Any = None) -> jax.Array:
        """Rayleigh samples (``jax.random.rayleigh``).

        Raises:
            TypeError: ``scale`` is not a real number or array, a bad ``size``
                or ``key``.
            ValueError: ``scale`` does not broadcast to ``size`` or (when
                known) is negative. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.rayleigh([1.0, 2.0], size=(3, 2)).shape
            (3, 2)
        """
        scale, out = _prep("rayleigh", size, scale=scale)
        _refuse_where("rayleigh", "scale", scale, lambda v: ~(v >= 0), ">= 0")
        return jax.random.rayleigh(self._key("rayleigh", key), scale, out)

    def maxwell(self, size: Shape = None, key: Any = None) -> jax.Array:
        """Maxwell(-Boltzmann) samples with scale 1 (``jax.random.maxwell``).

        Raises:
            TypeError: a bad ``size`` or ``key``.
            ValueError: a negative size. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.maxwell(4) >= 0).all())
            True
        """
        shape = _out_shape("maxwell", size)
        return jax.random.maxwell(self._key("maxwell", key), shape)

    def pareto(self, a: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Pareto II (Lomax) samples in ``[0, inf)``, as NumPy's ``pareto``:
        ``jax.random.pareto(key, a) - 1`` (BrainPy returns the classical
        Pareto in ``[1, inf)``; add 1 for that).

        Raises:
            TypeError: ``a`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``a`` does not broadcast to ``size`` or (when known)
                is not positive. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.pareto(3.0, size=5) >= 0).all())
            True
        """
        a, out = _prep("pareto", size, a=a)
        _refuse_where("pareto", "a", a, lambda v: ~(v > 0), "> 0")
        return jax.random.pareto(self._key("pareto", key), a, out) - 1.0

    def power(self, a: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Samples in ``[0, 1]`` with density ``a * x**(a - 1)``: ``U ** (1/a)``.

        Raises:
            TypeError: ``a`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``a`` does not broadcast to ``size`` or (when known)
                is not positive. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.power(2.0, size=5)
            >>> bool(((x >= 0) & (x <= 1)).all())
            True
        """
        a, out = _prep("power", size, a=a)
        _refuse_where("power", "a", a, lambda v: ~(v > 0), "> 0")
        return _dist.power(self._key("power", key), a, out)

    def weibull(self, a: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Weibull samples with shape ``a`` and scale 1, as NumPy
        (``jax.random.weibull_min(key, 1, a)``).

        Raises:
            TypeError: ``a`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``a`` does not broadcast to ``size`` or (when known)
                is negative. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.weibull(1.5, size=3).shape
            (3,)
        """
        a, out = _prep("weibull", size, a=a)
        _refuse_where("weibull", "a", a, lambda v: ~(v >= 0), ">= 0")
        return jax.random.weibull_min(self._key("weibull", key), 1.0, a, out)

    def weibull_min(self, a: Any, scale: Any = 1.0, size: Shape = None,
                    key: Any = None) -> jax.Array:
        """Weibull samples with shape (concentration) ``a`` and ``scale``
        (``jax.random.weibull_min(key, scale, a)``).

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) a negative ``a`` or ``scale``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.weibull_min(2.0, [1.0, 3.0]).shape
            (2,)
        """
        a, scale, out = _prep("weibull_min", size, a=a, scale=scale)
        _refuse_where("weibull_min", "a", a, lambda v: ~(v >= 0), ">= 0")
        _refuse_where("weibull_min", "scale", scale, lambda v: ~(v >= 0), ">= 0")
        return jax.random.weibull_min(self._key("weibull_min", key), scale, a, out)

    def chisquare(self, df: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Chi-square samples (``jax.random.chisquare``).

        Raises:
            TypeError: ``df`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``df`` does not broadcast to ``size`` or (when known)
                is not positive. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.chisquare([1.0, 4.0], size=(5, 2)).shape
            (5, 2)
        """
        df, out = _prep("chisquare", size, df=df)
        _refuse_where("chisquare", "df", df, lambda v: ~(v > 0), "> 0")
        return jax.random.chisquare(self._key("chisquare", key), df, out)

    def f(self, dfnum: Any, dfden: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """F (Fisher-Snedecor) samples (``jax.random.f``).

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) ``dfnum <= 0`` or ``dfden <= 0``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.f(5.0, 10.0, size=3).shape
            (3,)
        """
        dfnum, dfden, out = _prep("f", size, dfnum=dfnum, dfden=dfden)
        _refuse_where("f", "dfnum", dfnum, lambda v: ~(v > 0), "> 0")
        _refuse_where("f", "dfden", dfden, lambda v: ~(v > 0), "> 0")
        dfnum, dfden = (jnp.broadcast_to(jnp.asarray(v, jnp.result_type(float)), out)
                        for v in (dfnum, dfden))  # jax.random.f does not broadcast them
        return jax.random.f(self._key("f", key), dfnum, dfden, out)

    def noncentral_chisquare(self, df: Any, nonc: Any, size: Shape = None,
                             key: Any = None) -> jax.Array:
        """Noncentral chi-square samples (a Poisson mixture of central ones).

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) ``df <= 0`` or ``nonc < 0``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.noncentral_chisquare(3.0, 2.0, size=4).shape
            (4,)
        """
        fn = "noncentral_chisquare"
        df, nonc, out = _prep(fn, size, df=df, nonc=nonc)
        _refuse_where(fn, "df", df, lambda v: ~(v > 0), "> 0")
        _refuse_where(fn, "nonc", nonc, lambda v: ~(v >= 0), ">= 0")
        return _dist.noncentral_chisquare(self._key(fn, key), df, nonc, out)

    def noncentral_f(self, dfnum: Any, dfden: Any, nonc: Any, size: Shape = None,
                     key: Any = None) -> jax.Array:
        """Noncentral F samples: a noncentral over a central chi-square.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) ``dfnum <= 0``, ``dfden <= 0`` or ``nonc < 0``. The key
                is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.noncentral_f(3.0, 20.0, 3.0, size=4).shape
            (4,)
        """
        fn = "noncentral_f"
        dfnum, dfden, nonc, out = _prep(fn, size, dfnum=dfnum, dfden=dfden, nonc=nonc)
        _refuse_where(fn, "dfnum", dfnum, lambda v: ~(v > 0), "> 0")
        _refuse_where(fn, "dfden", dfden, lambda v: ~(v > 0), "> 0")
        _refuse_where(fn, "nonc", nonc, lambda v: ~(v >= 0), ">= 0")
        return _dist.noncentral_f(self._key(fn, key), dfnum, dfden, nonc, out)

    def triangular(self, left: Any, mode: Any, right: Any, size: Shape = None,
                   key: Any = None) -> jax.Array:
        """Triangular samples on ``[left, right]`` peaking at ``mode``, as
        NumPy (``jax.random.triangular``). BrainPy's ``triangular(size)``
        takes no parameters; pass ``0, 0.5, 1`` for a symmetric one.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) not ``left <= mode <= right`` with ``left < right``.
                The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.triangular(0.0, 0.2, 1.0, size=10)
            >>> bool(((x >= 0) & (x <= 1)).all())
            True
        """
        left, mode, right, out = _prep("triangular", size, left=left, mode=mode, right=right)
        lo, mid, hi = _concrete(left), _concrete(mode), _concrete(right)
        if lo is not None and mid is not None and hi is not None and not np.all(
                (lo <= mid) & (mid <= hi) & (lo < hi)):
            raise ValueError(f"bm.random.triangular: needs left <= mode <= right and left < "
                             f"right, got left={left!r}, mode={mode!r}, right={right!r}.")
        return jax.random.triangular(self._key("triangular", key), left, mode, right, out)

    def vonmises(self, mu: Any, kappa: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Von Mises samples on ``[-pi, pi)`` with mode ``mu`` and
        concentration ``kappa`` (Best & Fisher's rejection method, as NumPy).

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) a negative ``kappa``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.vonmises(0.0, 4.0, size=10)
            >>> bool((abs(x) <= 3.1416).all())
            True
        """
        mu, kappa, out = _prep("vonmises", size, mu=mu, kappa=kappa)
        _refuse_where("vonmises", "kappa", kappa, lambda v: ~(v >= 0), ">= 0")
        return _dist.vonmises(self._key("vonmises", key), mu, kappa, out)

    def wald(self, mean: Any, scale: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Wald (inverse Gaussian) samples with ``mean`` and shape ``scale``
        (lambda), as NumPy: ``scale * jax.random.wald(key, mean / scale)``.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) ``mean <= 0`` or ``scale <= 0``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.wald(1.0, 2.0, size=5) > 0).all())
            True
        """
        mean, scale, out = _prep("wald", size, mean=mean, scale=scale)
        _refuse_where("wald", "mean", mean, lambda v: ~(v > 0), "> 0")
        _refuse_where("wald", "scale", scale, lambda v: ~(v > 0), "> 0")
        return _dist.wald(self._key("wald", key), mean, scale, out)

    def loggamma(self, a: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Logs of Gamma(``a``) samples, accurate for small ``a``
        (``jax.random.loggamma``).

        Raises:
            TypeError: ``a`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``a`` does not broadcast to ``size`` or (when known)
                is not positive. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.loggamma(0.5, size=3).shape
            (3,)
        """
        a, out = _prep("loggamma", size, a=a)
        _refuse_where("loggamma", "a", a, lambda v: ~(v > 0), "> 0")
        return jax.random.loggamma(self._key("loggamma", key), a, out)

    # ---- counts (int32) ---------------------------------------------------------

    def binomial(self, n: Any, p: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Binomial counts (int32) of ``n`` trials with success probability
        ``p``: ``jax.random.binomial`` cast to int; a float ``n`` is
        truncated, as in NumPy.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) a negative ``n`` or ``p`` outside ``[0, 1]``. The key
                is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.binomial(10, [0.1, 0.9], size=(4, 2))
            >>> x.shape, x.dtype
            ((4, 2), dtype('int32'))
        """
        n, p, out = _prep("binomial", size, n=n, p=p)
        _refuse_where("binomial", "n", n, lambda v: ~(v >= 0), ">= 0")
        _refuse_where("binomial", "p", p, lambda v: ~((v >= 0) & (v <= 1)), "in [0, 1]")
        n = jnp.floor(jnp.asarray(n, jnp.result_type(float)))
        return jax.random.binomial(self._key("binomial", key), n, p, out).astype(jnp.int32)

    def negative_binomial(self, n: Any, p: Any, size: Shape = None,
                          key: Any = None) -> jax.Array:
        """Failures (int32) before ``n`` successes of probability ``p``
        (a Gamma-Poisson mixture, as NumPy).

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) ``n <= 0`` or ``p`` outside ``(0, 1]``. The key is
                unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.negative_binomial(5, 0.5, size=3).dtype
            dtype('int32')
        """
        fn = "negative_binomial"
        n, p, out = _prep(fn, size, n=n, p=p)
        _refuse_where(fn, "n", n, lambda v: ~(v > 0), "> 0")
        _refuse_where(fn, "p", p, lambda v: ~((v > 0) & (v <= 1)), "in (0, 1]")
        return _dist.negative_binomial(self._key(fn, key), n, p, out)

    def geometric(self, p: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Trials (int32, >= 1) up to the first success (``jax.random.geometric``).

        Raises:
            TypeError: ``p`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``p`` does not broadcast to ``size`` or (when known)
                lies outside ``(0, 1]``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.geometric(0.3, size=5) >= 1).all())
            True
        """
        p, out = _prep("geometric", size, p=p)
        _refuse_where("geometric", "p", p, lambda v: ~((v > 0) & (v <= 1)), "in (0, 1]")
        return jax.random.geometric(self._key("geometric", key), p, out)

    def logseries(self, p: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Logarithmic series counts (int32, >= 1) (Kemp's method, as NumPy).

        Raises:
            TypeError: ``p`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``p`` does not broadcast to ``size`` or (when known)
                lies outside ``[0, 1)``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.logseries(0.6, size=5) >= 1).all())
            True
        """
        p, out = _prep("logseries", size, p=p)
        _refuse_where("logseries", "p", p, lambda v: ~((v >= 0) & (v < 1)), "in [0, 1)")
        return _dist.logseries(self._key("logseries", key), p, out)

    def zipf(self, a: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Zipf counts (int32, >= 1) with exponent ``a`` (Devroye's rejection
        method, as NumPy).

        Raises:
            TypeError: ``a`` is not a real number or array, a bad ``size`` or
                ``key``.
            ValueError: ``a`` does not broadcast to ``size`` or (when known)
                is not above 1. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bool((bm.random.zipf(2.0, size=5) >= 1).all())
            True
        """
        a, out = _prep("zipf", size, a=a)
        _refuse_where("zipf", "a", a, lambda v: ~(v > 1), "> 1")
        return _dist.zipf(self._key("zipf", key), a, out)

    def hypergeometric(self, ngood: Any, nbad: Any, nsample: Any, size: Shape = None,
                       key: Any = None) -> jax.Array:
        """Good items (int32) among ``nsample`` drawn without replacement
        from ``ngood`` good and ``nbad`` bad ones. Exact, in ``max(nsample)``
        vectorised rounds.

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: parameters that do not broadcast to ``size``, or (when
                known) a negative count or ``nsample > ngood + nbad``. The key
                is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.hypergeometric(5, 10, 6, size=20)
            >>> bool(((x >= 0) & (x <= 5)).all())
            True
        """
        fn = "hypergeometric"
        ngood, nbad, nsample, out = _prep(fn, size, ngood=ngood, nbad=nbad, nsample=nsample)
        for what, value in (("ngood", ngood), ("nbad", nbad), ("nsample", nsample)):
            _refuse_where(fn, what, value, lambda v: ~(v >= 0), ">= 0")
        good, bad, n = _concrete(ngood), _concrete(nbad), _concrete(nsample)
        if good is not None and bad is not None and n is not None and np.any(n > good + bad):
            raise ValueError(f"bm.random.hypergeometric: needs nsample <= ngood + nbad, got "
                             f"ngood={ngood!r}, nbad={nbad!r}, nsample={nsample!r}.")
        return _dist.hypergeometric(self._key(fn, key), ngood, nbad, nsample, out)

    # ---- vectors ----------------------------------------------------------------

    def _vector_shape(self, fn: str, what: str, x: Any, size: Shape) -> tuple[int, ...]:
        """Batch shape for a parameter whose last axis is the event axis."""
        if jnp.ndim(x) < 1 or jnp.shape(x)[-1] == 0:
            raise ValueError(f"bm.random.{fn}: `{what}` must have at least one axis with at "
                             f"least one entry, got shape {tuple(jnp.shape(x))}.")
        return _out_shape(fn, size, **{what: np.broadcast_to(False, jnp.shape(x)[:-1])})

    def dirichlet(self, alpha: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Dirichlet samples of shape ``size + alpha.shape[-1:]`` (``jax.random.dirichlet``).

        Raises:
            TypeError: ``alpha`` is not a real array, a bad ``size`` or ``key``.
            ValueError: a scalar or empty ``alpha``, leading axes that do not
                broadcast to ``size``, or (when known) ``alpha <= 0``. The key
                is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.dirichlet([1.0, 2.0, 3.0], size=4)
            >>> x.shape, bool(abs(x.sum(-1) - 1).max() < 1e-5)
            ((4, 3), True)
        """
        alpha = _param("dirichlet", "alpha", alpha)
        batch = self._vector_shape("dirichlet", "alpha", alpha, size)
        _refuse_where("dirichlet", "alpha", alpha, lambda v: ~(v > 0), "> 0")
        return jax.random.dirichlet(self._key("dirichlet", key), alpha, batch)

    def multinomial(self, n: Any, pvals: Any, size: Shape = None, key: Any = None) -> jax.Array:
        """Counts (int32) of ``n`` draws over ``len(pvals)`` outcomes, shape
        ``size + pvals.shape[-1:]``; the last probability is ``1 - sum`` of the
        others, as in NumPy (``jax.random.multinomial``).

        Raises:
            TypeError: a parameter that is not a real number or array, a bad
                ``size`` or ``key``.
            ValueError: a scalar or empty ``pvals``, shapes that do not
                broadcast to ``size``, or (when known) a negative ``n``,
                ``pvals`` outside ``[0, 1]`` or ``sum(pvals[..., :-1]) > 1``.
                The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.multinomial(10, [0.2, 0.3, 0.5], size=2)
            >>> x.shape, x.sum(-1).tolist()
            ((2, 3), [10, 10])
        """
        fn = "multinomial"
        n, pvals = _param(fn, "n", n), _param(fn, "pvals", pvals)
        batch = self._vector_shape(fn, "pvals", pvals, None)
        out = _out_shape(fn, size, n=n, pvals=np.broadcast_to(False, batch))
        _refuse_where(fn, "n", n, lambda v: ~(v >= 0), ">= 0")
        _refuse_where(fn, "pvals", pvals, lambda v: ~((v >= 0) & (v <= 1)), "in [0, 1]")
        known = _concrete(pvals)
        if known is not None and np.any(np.sum(known[..., :-1], -1) > 1.0 + 1e-6):
            raise ValueError(f"bm.random.multinomial: sum(pvals[:-1]) must be <= 1, got "
                             f"pvals={pvals!r}.")
        dtype = jnp.result_type(float)
        pvals = jnp.asarray(pvals, dtype)
        last = jnp.clip(1.0 - jnp.sum(pvals[..., :-1], -1, keepdims=True), 0.0, 1.0)
        pvals = jnp.concatenate([pvals[..., :-1], last], -1)
        n = jnp.floor(jnp.asarray(n, dtype))
        k = jnp.shape(pvals)[-1]
        draw = jax.random.multinomial(self._key(fn, key), jnp.broadcast_to(n, out),
                                      jnp.broadcast_to(pvals, out + (k,)), shape=out + (k,))
        return draw.astype(jnp.int32)

    def multivariate_normal(self, mean: Any, cov: Any, size: Shape = None,
                            method: str = "cholesky", key: Any = None) -> jax.Array:
        """Multivariate normal samples of shape ``size + mean.shape[-1:]``
        (``jax.random.multivariate_normal``; ``method`` one of
        ``'cholesky'``, ``'eigh'``, ``'svd'``).

        Raises:
            TypeError: a parameter that is not a real array, a bad ``size``
                or ``key``.
            ValueError: a scalar ``mean``, a ``cov`` that is not ``(d, d)``
                for ``d = mean.shape[-1]``, batch axes that do not broadcast
                to ``size``, or an unknown ``method``. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.multivariate_normal([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]],
            ...                               size=3).shape
            (3, 2)
        """
        fn = "multivariate_normal"
        mean, cov = _param(fn, "mean", mean), _param(fn, "cov", cov)
        if method not in ("cholesky", "eigh", "svd"):
            raise ValueError(f"bm.random.{fn}: `method` must be 'cholesky', 'eigh' or 'svd', "
                             f"got {method!r}.")
        batch = self._vector_shape(fn, "mean", mean, None)
        d = jnp.shape(mean)[-1]
        if jnp.ndim(cov) < 2 or jnp.shape(cov)[-2:] != (d, d):
            raise ValueError(f"bm.random.{fn}: `cov` must end with shape ({d}, {d}) to match "
                             f"`mean` of shape {tuple(jnp.shape(mean))}, got "
                             f"{tuple(jnp.shape(cov))}.")
        out = _out_shape(fn, size, mean=np.broadcast_to(False, batch),
                         cov=np.broadcast_to(False, jnp.shape(cov)[:-2]))
        return jax.random.multivariate_normal(self._key(fn, key), mean, cov, out,
                                              method=method)

    def orthogonal(self, n: int, size: Shape = None, key: Any = None) -> jax.Array:
        """Haar-random orthogonal ``(n, n)`` matrices, shape ``size + (n, n)``
        (``jax.random.orthogonal``).

        Raises:
            TypeError: ``n`` is not an int, a bad ``size`` or ``key``.
            ValueError: a negative ``n`` or size. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> q = bm.random.orthogonal(3)
            >>> bool(abs(q @ q.T - bm.eye(3)).max() < 1e-5)
            True
        """
        if not _is_int(n):
            raise TypeError(f"bm.random.orthogonal: `n` must be an int, got {n!r}.")
        if n < 0:
            raise ValueError(f"bm.random.orthogonal: `n` must not be negative, got {n}.")
        shape = _out_shape("orthogonal", size)
        return jax.random.orthogonal(self._key("orthogonal", key), n, shape)

    # ---- NumPy / PyTorch conveniences -------------------------------------------

    def random_integers(self, low: int, high: int | None = None, size: Shape = None,
                        key: Any = None) -> jax.Array:
        """Integers in ``[low, high]`` (both ends included; ``[1, low]`` when
        ``high`` is omitted), NumPy's legacy ``random_integers``.

        Raises:
            TypeError, ValueError: as :meth:`randint` (``low > high``). The key
                is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> x = bm.random.random_integers(1, 3, size=50)
            >>> bool(((x >= 1) & (x <= 3)).all())
            True
        """
        if high is None:
            low, high = 1, low
        high = _param("random_integers", "high", high)
        return self.randint(low, high + 1, size, key=key)

    def rand_like(self, input: Any, *, dtype: Any = None, key: Any = None) -> jax.Array:
        """Uniform ``[0, 1)`` samples with ``input``'s shape (and dtype, if float).

        Raises:
            TypeError: ``input`` is not an array of numbers, a bad ``key``.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.rand_like(bm.zeros((2, 3))).shape
            (2, 3)
        """
        x = _param("rand_like", "input", input)
        dtype = dtype or (x.dtype if jnp.issubdtype(jnp.result_type(x), jnp.floating) else float)
        return jax.random.uniform(self._key("rand_like", key), jnp.shape(x), dtype)

    def randn_like(self, input: Any, *, dtype: Any = None, key: Any = None) -> jax.Array:
        """Standard normal samples with ``input``'s shape (and dtype, if float).

        Raises:
            TypeError: ``input`` is not an array of numbers, a bad ``key``.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.randn_like(bm.zeros(4)).shape
            (4,)
        """
        x = _param("randn_like", "input", input)
        dtype = dtype or (x.dtype if jnp.issubdtype(jnp.result_type(x), jnp.floating) else float)
        return jax.random.normal(self._key("randn_like", key), jnp.shape(x), dtype)

    def randint_like(self, input: Any, low: int = 0, high: int | None = None, *,
                     dtype: Any = None, key: Any = None) -> jax.Array:
        """Integers in ``[low, high)`` with ``input``'s shape (``[0, low)``
        when ``high`` is omitted).

        Raises:
            TypeError, ValueError: as :meth:`randint`; also ``input`` not an
                array of numbers. The key is unchanged.

        Example:
            >>> import brainobj.math as bm
            >>> bm.random.randint_like(bm.zeros(5), 3).shape
            (5,)
        """
        x = _param("randint_like", "input", input)
        if high is None:
            low, high = 0, low
        if dtype is None:
            dtype = x.dtype if jnp.issubdtype(jnp.result_type(x), jnp.integer) else int
        return self.randint(low, high, tuple(jnp.shape(x)), dtype, key=key)

    ranf = random
    sample = random


def _permutable(fn: str, x: Any) -> Any:
    """``x`` as something ``jax.random.permutation`` takes: an int or an array
    with at least one axis; else a TypeError naming ``x`` (before any key)."""
    x = value_of(x)
    if _is_int(x):
        return int(x)
    x = _param(fn, "x", x) if not isinstance(x, (str, bytes)) else x
    if not isinstance(x, (jax.Array, np.ndarray, np.generic)):
        raise TypeError(f"bm.random.{fn}: `x` must be an int or an array with at least one "
                        f"axis, got {x!r} ({type(x).__name__}).")
    if jnp.ndim(x) == 0:
        if jnp.issubdtype(x.dtype, jnp.integer) and _concrete(x) is not None:
            return int(x)  # NumPy reads a 0-d integer array as an int
        raise TypeError(f"bm.random.{fn}: `x` must be an int or an array with at least one "
                        f"axis, got a 0-d {x.dtype} array; there is nothing to shuffle.")
    return x


def _check_axis(fn: str, axis: Any, x: Any) -> None:
    if not _is_int(axis):
        raise TypeError(f"bm.random.{fn}: `axis` must be an int, got {axis!r}.")
    ndim = 1 if _is_int(x) else jnp.ndim(x)
    if not -ndim <= axis < ndim:
        raise ValueError(f"bm.random.{fn}: axis {axis} is out of range for `x` of shape "
                         f"{(x,) if _is_int(x) else tuple(jnp.shape(x))}.")


def _default_state() -> RandomState:
    """The global state, holding its first key as a NumPy array.

    Creating a JAX array would start JAX's backends at ``import
    brainobj.math``, after which ``bm.set_platform`` and
    ``bm.set_host_device_count`` could no longer choose them. The first
    draw replaces the key with a JAX array, as any write does.
    """
    state = RandomState.__new__(RandomState)
    seed_value = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    state._value = np.asarray([seed_value >> 32, seed_value & 0xFFFFFFFF], dtype=np.uint32)
    state._label = state._owner = state._batch_axis = state._axis_names = state._spec = None
    return state


DEFAULT = _default_state()


def seed(seed_value: int | None = None) -> None:
    """Reset the global random state (``None``: from the operating system).

    Raises:
        TypeError: a seed that is not an int (``1.5``, ``True``).
        ValueError: a seed outside ``[0, 2**64)``. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.seed(42)
    """
    DEFAULT.seed(seed_value)


def split_key() -> jax.Array:
    """A fresh key from the global state.

    Raises:
        MathError: only if the global state was replaced by a non-key.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.split_key().shape
        (2,)
    """
    return DEFAULT.split_key()


def split_keys(n: int) -> jax.Array:
    """``n`` fresh keys from the global state.

    Raises:
        TypeError: ``n`` is not an int.
        ValueError: ``n`` is negative. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.split_keys(3).shape
        (3, 2)
    """
    return DEFAULT.split_keys(n)


def rand(*dims: int, key: jax.Array | None = None) -> jax.Array:
    """Uniform samples in ``[0, 1)``; see :meth:`RandomState.rand`.

    Raises:
        TypeError: a dimension that is not an int, or a bad ``key``.
        ValueError: a negative dimension. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.rand(2, 3).shape
        (2, 3)
    """
    return DEFAULT.rand(*dims, key=key)


def random(size: Shape = None, key: jax.Array | None = None) -> jax.Array:
    """Uniform samples in ``[0, 1)`` of shape ``size``; see :meth:`RandomState.random`.

    Raises:
        TypeError: a ``size`` that is not an int or ints, or a bad ``key``.
        ValueError: a negative size. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.random((2,)).shape
        (2,)
    """
    return DEFAULT.random(size, key=key)


random_sample = random


def randn(*dims: int, key: jax.Array | None = None) -> jax.Array:
    """Standard normal samples; see :meth:`RandomState.randn`.

    Raises:
        TypeError: a dimension that is not an int, or a bad ``key``.
        ValueError: a negative dimension. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.randn(4).shape
        (4,)
    """
    return DEFAULT.randn(*dims, key=key)


def randint(low: int, high: int | None = None, size: Shape = None, dtype: Any = int,
            key: jax.Array | None = None) -> jax.Array:
    """Random integers in ``[low, high)``; see :meth:`RandomState.randint`.

    Raises:
        TypeError: a bound that is not a real number, a non-integer ``dtype``,
            a bad ``size`` or ``key``.
        ValueError: ``low >= high``, a bound that does not fit ``dtype``, or
            bounds that do not broadcast to ``size``. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> x = bm.random.randint(2, 5, size=100)
        >>> bool(((x >= 2) & (x < 5)).all())
        True
    """
    return DEFAULT.randint(low, high, size, dtype, key=key)


def uniform(low: Any = 0.0, high: Any = 1.0, size: Shape = None,
            key: jax.Array | None = None) -> jax.Array:
    """Uniform samples in ``[low, high)``; see :meth:`RandomState.uniform`.

    Raises:
        TypeError: a bound that is not a real number or array, a bad ``size``
            or ``key``.
        ValueError: bounds that do not broadcast to ``size``, ``low > high``
            or a bound that is not finite. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> x = bm.random.uniform(-1.0, 1.0, size=(3, 2))
        >>> x.shape, bool(((x >= -1) & (x < 1)).all())
        ((3, 2), True)
    """
    return DEFAULT.uniform(low, high, size, key=key)


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
           key: jax.Array | None = None) -> jax.Array:
    """Normal samples; see :meth:`RandomState.normal`.

    Raises:
        TypeError: a parameter that is not a real number or array, a bad
            ``size`` or ``key``.
        ValueError: parameters that do not broadcast to ``size``, or a
            negative ``scale``. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.normal(bm.zeros(3), 2.0, size=(4, 3)).shape
        (4, 3)
    """
    return DEFAULT.normal(loc, scale, size, key=key)


def truncated_normal(lower: Any, upper: Any, size: Shape = None, loc: Any = 0.0,
                     scale: Any = 1.0, key: jax.Array | None = None) -> jax.Array:
    """Truncated normal samples in ``[lower, upper]``; see :meth:`RandomState.truncated_normal`.

    Raises:
        TypeError: a parameter that is not a real number or array, a bad
            ``size`` or ``key``.
        ValueError: parameters that do not broadcast to ``size``, ``lower >=
            upper`` or ``scale <= 0``. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> x = bm.random.truncated_normal(-1.0, 2.0, size=1000)
        >>> bool(((x >= -1) & (x <= 2)).all())
        True
    """
    return DEFAULT.truncated_normal(lower, upper, size, loc, scale, key=key)


def bernoulli(p: Any = 0.5, size: Shape = None, key: jax.Array | None = None) -> jax.Array:
    """Boolean samples; see :meth:`RandomState.bernoulli`.

    Raises:
        TypeError: ``p`` is not a real number or array, a bad ``size`` or
            ``key``.
        ValueError: ``p`` does not broadcast to ``size``, or lies outside
            ``[0, 1]``. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.bernoulli(0.3, size=5).dtype
        dtype('bool')
    """
    return DEFAULT.bernoulli(p, size, key=key)


def categorical(logits: Any, axis: int = -1, size: Shape = None,
                key: jax.Array | None = None) -> jax.Array:
    """Class indices from logits; see :meth:`RandomState.categorical`.

    Raises:
        TypeError: ``logits`` is not a real array, ``axis`` is not an int, a
            bad ``size`` or ``key``.
        ValueError: scalar ``logits``, ``axis`` out of range, no classes, or
            a ``size`` the other axes do not broadcast to. The state is
            unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.categorical(bm.zeros((2, 5))).shape
        (2,)
        >>> bm.random.categorical(bm.zeros((2, 5)), size=(3, 2)).shape
        (3, 2)
    """
    return DEFAULT.categorical(logits, axis, size, key=key)


def gamma(shape: Any, scale: Any = 1.0, size: Shape = None,
          key: jax.Array | None = None) -> jax.Array:
    """Gamma samples; see :meth:`RandomState.gamma`.

    Raises:
        TypeError: a parameter that is not a real number or array, a bad
            ``size`` or ``key``.
        ValueError: parameters that do not broadcast to ``size``, or a
            negative ``shape`` or ``scale``. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bool((bm.random.gamma(2.0, 3.0, size=10) > 0).all())
        True
    """
    return DEFAULT.gamma(shape, scale, size, key=key)


def beta(a: Any, b: Any, size: Shape = None, key: jax.Array | None = None) -> jax.Array:
    """Beta samples; see :meth:`RandomState.beta`.

    Raises:
        TypeError: a parameter that is not a real number or array, a bad
            ``size`` or ``key``.
        ValueError: parameters that do not broadcast to ``size``, or ``a <=
            0`` or ``b <= 0``. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> x = bm.random.beta(2.0, 5.0, size=10)
        >>> bool(((x >= 0) & (x <= 1)).all())
        True
    """
    return DEFAULT.beta(a, b, size, key=key)


def exponential(scale: Any = 1.0, size: Shape = None,
                key: jax.Array | None = None) -> jax.Array:
    """Exponential samples; see :meth:`RandomState.exponential`.

    Raises:
        TypeError: ``scale`` is not a real number or array, a bad ``size``
            or ``key``.
        ValueError: ``scale`` does not broadcast to ``size``, or is
            negative. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.exponential(2.0, size=(2, 2)).shape
        (2, 2)
    """
    return DEFAULT.exponential(scale, size, key=key)


def poisson(lam: Any = 1.0, size: Shape = None, key: jax.Array | None = None) -> jax.Array:
    """Poisson counts; see :meth:`RandomState.poisson`.

    Raises:
        TypeError: ``lam`` is not a real number or array, a bad ``size`` or
            ``key``.
        ValueError: ``lam`` does not broadcast to ``size``, or is negative or
            NaN. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> bm.random.poisson(3.0, size=4).dtype
        dtype('int32')
    """
    return DEFAULT.poisson(lam, size, key=key)


def choice(a: Any, size: Shape = None, replace: bool = True, p: Any = None,
           key: jax.Array | None = None) -> jax.Array:
    """Samples from ``a``; see :meth:`RandomState.choice`.

    Raises:
        TypeError: ``replace`` is not a bool, ``p`` is not a real array, a bad
            ``size`` or ``key``.
        ValueError: ``a`` is not a positive int or a non-empty array; too
            many samples without replacement; a ``p`` of the wrong shape,
            with negative entries, not summing to 1, or with too few non-zero
            entries without replacement. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> x = bm.random.choice(5, size=3, replace=False)
        >>> len(set(x.tolist()))
        3
    """
    return DEFAULT.choice(a, size, replace, p, key=key)


def permutation(x: Any, axis: int = 0, independent: bool = False,
                key: jax.Array | None = None) -> jax.Array:
    """A shuffled copy; see :meth:`RandomState.permutation`.

    Raises:
        TypeError: a scalar ``x`` that is not an int, an ``axis`` that is
            not an int, an ``independent`` that is not a bool, a bad ``key``.
        ValueError: ``axis`` out of range. The state is unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> sorted(bm.random.permutation(4).tolist())
        [0, 1, 2, 3]
    """
    return DEFAULT.permutation(x, axis, independent, key=key)


def shuffle(x: Any, axis: int = 0, key: jax.Array | None = None) -> jax.Array | None:
    """Shuffle; see :meth:`RandomState.shuffle`.

    Raises:
        TypeError, ValueError: as :func:`permutation`. The state and ``x``
            are unchanged.

    Example:
        >>> import brainobj.math as bm
        >>> v = bm.Variable(bm.arange(4))
        >>> bm.random.shuffle(v)
        >>> sorted(v.value.tolist())
        [0, 1, 2, 3]
    """
    return DEFAULT.shuffle(x, axis, key=key)


def default_rng(seed_or_key: int | jax.Array | None = None) -> RandomState:
    """A new, independent :class:`RandomState` (NumPy's and BrainPy's
    ``default_rng``).

    Raises:
        TypeError, ValueError: as :class:`RandomState` (a bad seed or key).

    Example:
        >>> import brainobj.math as bm
        >>> rng = bm.random.default_rng(0)
        >>> rng.poisson(2.0, size=3).shape
        (3,)
    """
    return RandomState(seed_or_key)


def _on_default(name: str) -> Any:
    """``name`` as a module function: ``RandomState.name`` on :data:`DEFAULT`
    (looked up at call time), with the method's signature and docstring."""
    method = getattr(RandomState, name)

    def draw(*args: Any, **kwargs: Any) -> Any:
        return getattr(DEFAULT, name)(*args, **kwargs)

    draw.__name__ = draw.__qualname__ = name
    draw.__doc__ = method.__doc__
    draw.__module__ = __name__
    params = list(inspect.signature(method).parameters.values())[1:]
    draw.__signature__ = inspect.signature(method).replace(parameters=params)
    return draw


_FROM_DEFAULT = (
    "standard_normal", "standard_exponential", "standard_cauchy", "standard_gamma",
    "standard_t", "t", "gumbel", "laplace", "logistic", "lognormal", "rayleigh", "maxwell",
    "pareto", "power", "weibull", "weibull_min", "chisquare", "f", "noncentral_chisquare",
    "noncentral_f", "triangular", "vonmises", "wald", "loggamma", "binomial",
    "negative_binomial", "geometric", "logseries", "zipf", "hypergeometric", "dirichlet",
    "multinomial", "multivariate_normal", "orthogonal", "random_integers", "rand_like",
    "randn_like", "randint_like",
)
for _name in _FROM_DEFAULT:
    globals()[_name] = _on_default(_name)
del _name

ranf = sample = random
__all__ += [*_FROM_DEFAULT, "ranf", "sample", "default_rng"]
