"""``Linear`` (alias ``Dense``): ``x @ W + b``."""

from __future__ import annotations

from typing import Any

import jax

from ..init import Initializer, XavierNormal, ZeroInit
from .. import math as bm
from ._base import Layer, layer_input, make_params, positive_int

__all__ = ["Linear", "Dense"]


class Linear(Layer):
    """A fully connected layer: ``x @ W + b``.

    Args:
        num_in: input features (the last axis of ``x``).
        num_out: output features.
        W_initializer: initializer of ``W`` (shape ``(num_in, num_out)``).
        b_initializer: initializer of ``b`` (shape ``(num_out,)``); ``None``
            for no bias.

    Inputs may be any numeric dtype (ints and bools promote with ``W``) and
    any rank >= 1: ``(..., num_in) -> (..., num_out)``.

    Raises:
        TypeError: a size that is not an int (``3.7``, ``'3'``, ``True``); an
            initializer that is not callable (``None`` is allowed for
            ``b_initializer`` only) or returns a non-float array.
        ValueError: a size that is not positive; an initializer that
            returns another shape, or fails for the shape (its error, with
            the layer and argument named). The global random key is then
            left as it was.
        MathError: (when called) an input that is not an array (``None``,
            a string), a scalar input, or one whose last axis is not
            ``num_in``.

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
        W, b = make_params(kind, [("W_initializer", W_initializer, (self.num_in, self.num_out), False),
                                  ("b_initializer", b_initializer, (self.num_out,), True)])
        self.W = W
        self.b = b

    def update(self, x: Any) -> jax.Array:
        """``x @ W + b`` over the last axis of ``x``.

        Raises:
            MathError: ``x`` is not an array, is a scalar, or its last axis
                is not ``num_in``.
        """
        x = layer_input(self, x)
        if x.ndim == 0 or x.shape[-1] != self.num_in:
            raise bm.MathError(f"{self.name}: expected inputs with {self.num_in} features "
                            f"(last axis), got shape {tuple(x.shape)}.")
        y = x @ self.W.value
        return y if self.b is None else y + self.b.value


Dense = Linear
