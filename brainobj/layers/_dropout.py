"""``Dropout``: zero a random fraction of the inputs while training."""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..math import random as _random
from .. import math as bm
from ._base import Layer, layer_input

__all__ = ["Dropout"]


class Dropout(Layer):
    """Randomly zero each input with probability ``rate`` during training.

    Kept inputs are scaled by ``1 / (1 - rate)`` so the expected output equals
    the input ("inverted dropout"). In evaluation mode (``model.eval()``,
    ``training=False``) the layer is the identity.

    Note:
        ``rate`` is the probability to **drop** an input, as in PyTorch, Flax
        and Keras. BrainPy's older ``bp.layers.Dropout(prob)`` took the
        probability to **keep** one: ``Dropout(prob=0.8)`` there is
        ``Dropout(rate=0.2)`` here.

    The mask is drawn from ``rng`` (a :class:`bm.random.RandomState`) or, when
    ``rng`` is ``None``, from the global ``bm.random`` state at call time.
    Inside ``bm.jit`` the draw advances the live key, so successive compiled
    calls drop different inputs and ``bm.random.seed(...)`` reproduces them.

    Args:
        rate: probability to drop each input, in ``[0, 1)``.
        rng: the random state to draw masks from; ``None``: the global one.
            A given state is an attribute of the layer, so its key is part
            of ``vars()`` and ``state_dict()``.

    Raises:
        TypeError: ``rate`` is not a number (a string, ``None``, a bool, an
            array), or ``rng`` is not a ``RandomState`` or ``None``.
        ValueError: ``rate`` is outside ``[0, 1)`` (or NaN).
        MathError: (when called) see :meth:`update`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> drop = bp.Dropout(0.5, rng=bm.random.RandomState(0))
        >>> y = drop(bm.ones(8))
        >>> sorted(set(y.tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
        >>> drop.eval()(bm.ones(3))  # evaluation mode: the identity
        Array([1., 1., 1.], dtype=float32)
    """

    def __init__(self, rate: float, rng: _random.RandomState | None = None,
                 name: str | None = None) -> None:
        # A real number only: float('0.5') would accept the string, and
        # True would silently mean rate=1.0. (NaN and inf fail the range check.)
        if isinstance(rate, (jax.Array, np.ndarray)) and rate.ndim == 0 \
                and not isinstance(rate, jax.core.Tracer):
            rate = rate.item()
        if not isinstance(rate, numbers.Real) or isinstance(rate, (bool, np.bool_)):
            raise TypeError(f"Dropout: rate must be a number, got {rate!r}")
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(
                f"Dropout: rate is the probability to DROP an input and must lie in [0, 1), "
                f"got {rate}. (BrainPy's older API took the keep probability: use 1 - prob.)")
        if rng is not None and not isinstance(rng, _random.RandomState):
            raise TypeError(f"Dropout: rng must be a bm.random.RandomState or None, "
                            f"got {type(rng).__name__}")
        self.rate = rate
        self.rng = rng

    def update(self, x: Any) -> jax.Array:
        """Zero each element with probability ``rate`` (training), else the identity.

        Raises:
            MathError: ``x`` is not an array, or is not floating-point (in
                either mode, so a bug does not hide until training). The
                random key is not advanced.
        """
        x = layer_input(self, x)
        if not jnp.issubdtype(x.dtype, jnp.inexact):
            raise bm.MathError(f"{self.name}: expected floating-point inputs, got dtype {x.dtype} "
                            f"(shape {tuple(x.shape)}); cast with x.astype(float) first.")
        if not self.training or self.rate == 0.0:
            return x
        # Looked up at call time, not stored: the global state is shared by
        # every model and must not show up in this layer's state_dict.
        rng = _random.DEFAULT if self.rng is None else self.rng
        keep = rng.bernoulli(1.0 - self.rate, x.shape)
        return jnp.where(keep, x / jnp.asarray(1.0 - self.rate, x.dtype), jnp.zeros((), x.dtype))

    def _repr_args(self) -> list[str]:
        return [f"rate={self.rate}"]
