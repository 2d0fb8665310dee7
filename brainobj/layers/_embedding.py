"""``Embedding``: a trainable lookup table indexed by integers."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..init import Initializer, Normal
from .. import math as bm
from ._base import Layer, layer_input, make_params, positive_int

__all__ = ["Embedding"]


class Embedding(Layer):
    """Map integer indices to rows of a trainable table ``weight``.

    An input of shape ``S`` (integers in ``[0, num_embeddings)``) gives an
    output of shape ``S + (embedding_dim,)``: ``weight[x]``.

    Indices are checked when their values are known (outside a transform,
    or a NumPy constant inside one): an index out of range raises
    :class:`bm.MathError`. Under ``bm.jit`` the values are unknown at trace time;
    there an out-of-range (or negative) index gives a row of NaNs rather than
    a silently clipped or wrapped row, so the mistake shows up in the loss.

    Args:
        num_embeddings: number of rows (the vocabulary size).
        embedding_dim: size of each row.
        initializer: initializer of ``weight`` (shape
            ``(num_embeddings, embedding_dim)``); standard normal by default.

    Raises:
        TypeError: a size that is not an int; an ``initializer`` that is not
            callable or returns a non-float array.
        ValueError: a size that is not positive; an ``initializer`` that
            returns another shape. The global random key is then left as it
            was.
        MathError: (when called) see :meth:`update`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> emb = bp.Embedding(10, 3)
        >>> emb(bm.asarray([[1, 2], [3, 9]])).shape
        (2, 2, 3)
        >>> bool((emb(bm.asarray([4])) == emb.weight.value[4]).all())
        True
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 initializer: Initializer = Normal(), name: str | None = None) -> None:
        kind = type(self).__name__
        self.num_embeddings = positive_int(kind, "num_embeddings", num_embeddings)
        self.embedding_dim = positive_int(kind, "embedding_dim", embedding_dim)
        (weight,) = make_params(kind, [("initializer", initializer,
                                        (self.num_embeddings, self.embedding_dim), False)])
        self.weight = weight

    def update(self, x: Any) -> jax.Array:
        """The rows ``weight[x]``: shape ``x.shape + (embedding_dim,)``.

        Raises:
            MathError: ``x`` is not an array or not integers (floats, even
                whole ones, and bools are refused), or (values known) an
                index is outside ``[0, num_embeddings)``.
        """
        x = layer_input(self, x)
        if not jnp.issubdtype(x.dtype, jnp.integer):
            raise bm.MathError(
                f"{self.name}: expected integer indices, got dtype {x.dtype} with shape "
                f"{tuple(x.shape)}. Cast with x.astype(int) if the values are whole numbers.")
        n = self.num_embeddings
        if not isinstance(x, jax.core.Tracer) and x.size:
            values = np.asarray(x)
            bad = (values < 0) | (values >= n)
            if bad.any():
                where = tuple(int(i) for i in np.argwhere(bad)[0])
                raise bm.MathError(
                    f"{self.name}: index {int(values[where])} at position {where} of the input "
                    f"(shape {tuple(x.shape)}) is out of range [0, {n}).")
        # Negative indices would wrap to the end of the table; send them past
        # it instead, where 'fill' gives NaN rows like any other bad index.
        # (Small integer types are widened first so that `n` fits.)
        index = x if x.dtype.itemsize >= 4 else x.astype(jnp.int32)
        index = jnp.where(index < 0, n, index)
        return jnp.take(self.weight.value, index, axis=0, mode="fill", fill_value=jnp.nan)

    def _repr_args(self) -> list[str]:
        return [str(self.num_embeddings), str(self.embedding_dim)]
