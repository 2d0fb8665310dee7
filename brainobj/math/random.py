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
    "random", "random_sample",
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


def _shape(size: Shape, *params: Any) -> tuple[int, ...]:
    if size is None:
        return jnp.broadcast_shapes(*(jnp.shape(p) for p in params)) if params else ()
    return _dims("size", size)


def _concrete(x: Any) -> np.ndarray | None:
    """``x`` as a NumPy array when it is known now (not traced)."""
    if isinstance(x, jax.core.Tracer):
        return None
    try:
        return np.asarray(x)
    except Exception:  # not convertible: JAX reports it
        return None


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


class RandomState(Variable):
    """A Variable holding a PRNG key, with NumPy-like sampling methods.

    Args:
        seed_or_key: an ``int`` seed, an existing key (``uint32[2]``), or
            ``None`` for a seed drawn from the operating system.
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
        """Reset the key from ``seed_value`` (``None``: from the OS)."""
        self.value = _new_key(seed_value)

    def split_key(self) -> jax.Array:
        """Advance the state and return a fresh key."""
        keep, fresh = jax.random.split(self.value)
        self.value = keep
        return fresh

    def split_keys(self, n: int) -> jax.Array:
        """Advance the state and return ``n`` fresh keys (shape ``(n, 2)``)."""
        keys = jax.random.split(self.value, n + 1)
        self.value = keys[0]
        return keys[1:]

    def _key(self, key: jax.Array | None) -> jax.Array:
        return self.split_key() if key is None else value_of(key)

    def rand(self, *dims: int, key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[0, 1)`` of shape ``dims``."""
        dims = _dims("dims", dims)
        return jax.random.uniform(self._key(key), dims)

    def random(self, size: Shape = None, key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[0, 1)`` of shape ``size`` (NumPy's ``random``)."""
        shape = _shape(size)  # checked before the key advances
        return jax.random.uniform(self._key(key), shape)

    random_sample = random

    def randn(self, *dims: int, key: jax.Array | None = None) -> jax.Array:
        """Standard normal samples of shape ``dims``."""
        dims = _dims("dims", dims)
        return jax.random.normal(self._key(key), dims)

    def randint(self, low: int, high: int | None = None, size: Shape = None,
                dtype: Any = int, key: jax.Array | None = None) -> jax.Array:
        """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is omitted)."""
        if high is None:
            low, high = 0, low
        low, high = value_of(low), value_of(high)
        shape = _shape(size, low, high)
        lo, hi = _concrete(low), _concrete(high)
        if lo is not None and hi is not None and np.any(lo >= hi):
            raise ValueError(f"bm.random.randint: needs low < high, got low={low!r}, high={high!r}.")
        return jax.random.randint(self._key(key), shape, low, high, dtype)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Shape = None,
                key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[low, high)``."""
        low, high = value_of(low), value_of(high)
        shape = _shape(size, low, high)  # checked before the key advances
        return jax.random.uniform(self._key(key), shape, minval=low, maxval=high)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
               key: jax.Array | None = None) -> jax.Array:
        """Normal samples with mean ``loc`` and standard deviation ``scale``."""
        loc, scale = value_of(loc), value_of(scale)
        shape = _shape(size, loc, scale)  # checked before the key advances
        return loc + scale * jax.random.normal(self._key(key), shape)

    def bernoulli(self, p: Any = 0.5, size: Shape = None,
                  key: jax.Array | None = None) -> jax.Array:
        """Boolean samples that are ``True`` with probability ``p``."""
        p = value_of(p)
        shape = _shape(size, p)
        known = _concrete(p)
        if known is not None and not np.all((known >= 0) & (known <= 1)):
            raise ValueError(f"bm.random.bernoulli: p must be in [0, 1], got {p!r}.")
        return jax.random.bernoulli(self._key(key), p, shape)

    def choice(self, a: Any, size: Shape = None, replace: bool = True, p: Any = None,
               key: jax.Array | None = None) -> jax.Array:
        """Samples from ``a`` (an array, or ``range(a)`` for an int)."""
        a = value_of(a)
        shape = _shape(size)
        population = int(a) if _is_int(a) else (jnp.shape(a)[0] if jnp.ndim(a) else None)
        if population is None or population <= 0:
            raise ValueError(f"bm.random.choice: `a` must be a positive int or a non-empty "
                             f"array, got {a!r}.")
        if not replace and int(np.prod(shape)) > population:
            raise ValueError(f"bm.random.choice: cannot take {int(np.prod(shape))} samples "
                             f"without replacement from a population of {population}.")
        return jax.random.choice(self._key(key), a, shape, replace=replace, p=value_of(p))

    def permutation(self, x: Any, axis: int = 0, independent: bool = False,
                    key: jax.Array | None = None) -> jax.Array:
        """A shuffled copy of ``x`` along ``axis`` (``x`` an int: of ``range(x)``)."""
        return jax.random.permutation(self._key(key), value_of(x), axis=axis, independent=independent)

    def shuffle(self, x: Any, axis: int = 0, key: jax.Array | None = None) -> jax.Array | None:
        """Shuffle along ``axis``: a Variable in place, else return a shuffled copy."""
        shuffled = self.permutation(x, axis=axis, key=key)
        if isinstance(x, Variable):
            x.value = shuffled
            return None
        return shuffled


DEFAULT = RandomState()


def seed(seed_value: int | None = None) -> None:
    """Reset the global random state (``None``: from the operating system)."""
    DEFAULT.seed(seed_value)


def split_key() -> jax.Array:
    """A fresh key from the global state."""
    return DEFAULT.split_key()


def split_keys(n: int) -> jax.Array:
    """``n`` fresh keys from the global state."""
    return DEFAULT.split_keys(n)


def rand(*dims: int, key: jax.Array | None = None) -> jax.Array:
    """Uniform samples in ``[0, 1)``; see :meth:`RandomState.rand`."""
    return DEFAULT.rand(*dims, key=key)


def random(size: Shape = None, key: jax.Array | None = None) -> jax.Array:
    """Uniform samples in ``[0, 1)`` of shape ``size``; see :meth:`RandomState.random`."""
    return DEFAULT.random(size, key=key)


random_sample = random


def randn(*dims: int, key: jax.Array | None = None) -> jax.Array:
    """Standard normal samples; see :meth:`RandomState.randn`."""
    return DEFAULT.randn(*dims, key=key)


def randint(low: int, high: int | None = None, size: Shape = None, dtype: Any = int,
            key: jax.Array | None = None) -> jax.Array:
    """Random integers; see :meth:`RandomState.randint`."""
    return DEFAULT.randint(low, high, size, dtype, key=key)


def uniform(low: Any = 0.0, high: Any = 1.0, size: Shape = None,
            key: jax.Array | None = None) -> jax.Array:
    """Uniform samples; see :meth:`RandomState.uniform`."""
    return DEFAULT.uniform(low, high, size, key=key)


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
           key: jax.Array | None = None) -> jax.Array:
    """Normal samples; see :meth:`RandomState.normal`."""
    return DEFAULT.normal(loc, scale, size, key=key)


def bernoulli(p: Any = 0.5, size: Shape = None, key: jax.Array | None = None) -> jax.Array:
    """Boolean samples; see :meth:`RandomState.bernoulli`."""
    return DEFAULT.bernoulli(p, size, key=key)


def choice(a: Any, size: Shape = None, replace: bool = True, p: Any = None,
           key: jax.Array | None = None) -> jax.Array:
    """Samples from ``a``; see :meth:`RandomState.choice`."""
    return DEFAULT.choice(a, size, replace, p, key=key)


def permutation(x: Any, axis: int = 0, independent: bool = False,
                key: jax.Array | None = None) -> jax.Array:
    """A shuffled copy; see :meth:`RandomState.permutation`."""
    return DEFAULT.permutation(x, axis, independent, key=key)


def shuffle(x: Any, axis: int = 0, key: jax.Array | None = None) -> jax.Array | None:
    """Shuffle; see :meth:`RandomState.shuffle`."""
    return DEFAULT.shuffle(x, axis, key=key)
