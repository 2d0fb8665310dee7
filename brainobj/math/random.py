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

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

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
        raise ValueError(f"bm.random: a seed must be in [0, 2**64), got {seed_value}.")
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
        self.value = _new_key(seed_value)

    def split_key(self) -> jax.Array:
        """Advance the state and return a fresh key.

        Raises:
            MathError: (from the Variable) only if the state was replaced by
                something that is not a key.
        """
        keep, fresh = jax.random.split(self.value)
        self.value = keep
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
        self.value = keys[0]
        return keys[1:]

    def _key(self, fn: str, key: jax.Array | None) -> jax.Array:
        # Called last, after every check: a refused call leaves the key alone.
        return self.split_key() if key is None else _check_key(f"bm.random.{fn}", key)

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


DEFAULT = RandomState()


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
