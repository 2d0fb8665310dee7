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


def _shape(size: Shape, *params: Any) -> tuple[int, ...]:
    if size is None:
        return jnp.broadcast_shapes(*(jnp.shape(p) for p in params)) if params else ()
    return (size,) if isinstance(size, int) else tuple(size)


def _new_key(seed_value: int | None) -> jax.Array:
    if seed_value is None:
        seed_value = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    return jax.random.PRNGKey(seed_value)


class RandomState(Variable):
    """A Variable holding a PRNG key, with NumPy-like sampling methods.

    Args:
        seed_or_key: an ``int`` seed, an existing key (``uint32[2]``), or
            ``None`` for a seed drawn from the operating system.
    """

    __slots__ = ()

    def __init__(self, seed_or_key: int | jax.Array | None = None) -> None:
        if seed_or_key is None or isinstance(seed_or_key, (int, np.integer)):
            key = _new_key(None if seed_or_key is None else int(seed_or_key))
        else:
            key = jnp.asarray(seed_or_key, dtype=jnp.uint32)
            if key.shape != (2,):
                raise ValueError(f"a PRNG key must have shape (2,), got {key.shape}")
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
        return jax.random.uniform(self._key(key), dims)

    def random(self, size: Shape = None, key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[0, 1)`` of shape ``size`` (NumPy's ``random``)."""
        return jax.random.uniform(self._key(key), _shape(size))

    random_sample = random

    def randn(self, *dims: int, key: jax.Array | None = None) -> jax.Array:
        """Standard normal samples of shape ``dims``."""
        return jax.random.normal(self._key(key), dims)

    def randint(self, low: int, high: int | None = None, size: Shape = None,
                dtype: Any = int, key: jax.Array | None = None) -> jax.Array:
        """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is omitted)."""
        if high is None:
            low, high = 0, low
        low, high = value_of(low), value_of(high)
        return jax.random.randint(self._key(key), _shape(size, low, high), low, high, dtype)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Shape = None,
                key: jax.Array | None = None) -> jax.Array:
        """Uniform samples in ``[low, high)``."""
        low, high = value_of(low), value_of(high)
        return jax.random.uniform(self._key(key), _shape(size, low, high), minval=low, maxval=high)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Shape = None,
               key: jax.Array | None = None) -> jax.Array:
        """Normal samples with mean ``loc`` and standard deviation ``scale``."""
        loc, scale = value_of(loc), value_of(scale)
        return loc + scale * jax.random.normal(self._key(key), _shape(size, loc, scale))

    def bernoulli(self, p: Any = 0.5, size: Shape = None,
                  key: jax.Array | None = None) -> jax.Array:
        """Boolean samples that are ``True`` with probability ``p``."""
        p = value_of(p)
        return jax.random.bernoulli(self._key(key), p, _shape(size, p))

    def choice(self, a: Any, size: Shape = None, replace: bool = True, p: Any = None,
               key: jax.Array | None = None) -> jax.Array:
        """Samples from ``a`` (an array, or ``range(a)`` for an int)."""
        a = value_of(a)
        return jax.random.choice(self._key(key), a, _shape(size), replace=replace, p=value_of(p))

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
