"""``Linear`` (alias ``Dense``): ``x @ W + b``."""

from __future__ import annotations

from typing import Any

import jax

from ..init import Initializer, XavierNormal, ZeroInit
from .. import math as bm
from ._base import Layer, positive_int

__all__ = ["Linear", "Dense"]


class Linear(Layer):
    """A fully connected layer: ``x @ W + b``.

    Args:
        num_in: input features (the last axis of ``x``).
        num_out: output features.
        W_initializer: initializer of ``W`` (shape ``(num_in, num_out)``).
        b_initializer: initializer of ``b`` (shape ``(num_out,)``); ``None``
            for no bias.

    Raises:
        TypeError: a size that is not an int (``3.7``, ``'3'``, ``True``).
        ValueError: a size that is not positive.
        MathError: (when called) an input whose last axis is not ``num_in``,
            or a scalar input.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> layer = bp.Linear(3, 2, W_initializer=bp.init.OneInit())
        >>> layer(bm.ones((1, 3)))
        Array([[3., 3.]], dtype=float32)
    """

    def __init__(self, num_in: int, num_out: int, W_initializer: Initializer = XavierNormal(),
                 b_initializer: Initializer | None = ZeroInit(), name: str | None = None) -> None:
        kind = type(self).__name__
        self.num_in = positive_int(kind, "num_in", num_in)
        self.num_out = positive_int(kind, "num_out", num_out)
        self.W = bm.TrainVar(W_initializer((self.num_in, self.num_out)))
        self.b = None if b_initializer is None else bm.TrainVar(b_initializer((self.num_out,)))

    def update(self, x: Any) -> jax.Array:
        x = bm.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.num_in:
            raise bm.MathError(f"{self.name}: expected inputs with {self.num_in} features "
                            f"(last axis), got shape {tuple(x.shape)}.")
        y = x @ self.W.value
        return y if self.b is None else y + self.b.value


Dense = Linear
