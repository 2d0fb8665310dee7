"""Helpers shared by the losses: input conversion, shape checks, reduction."""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp


Reduction = Literal["mean", "sum", "none"]
_REDUCTIONS = ("mean", "sum", "none")


def as_float(x: jax.Array) -> jax.Array:
    """``x`` unchanged when floating, else cast to the default float dtype."""
    if jnp.issubdtype(x.dtype, jnp.floating):
        return x
    return x.astype(jnp.result_type(float))


def check_reduction(fn: str, reduction: Any) -> None:
    """Raise a ValueError naming ``fn`` unless ``reduction`` is a known mode."""
    if not (isinstance(reduction, str) and reduction in _REDUCTIONS):
        raise ValueError(f"{fn}: reduction must be one of 'mean', 'sum' or 'none', "
                         f"got reduction={reduction!r}")


def check_same_shape(fn: str, predicts: jax.Array, targets: jax.Array,
                     names: tuple[str, str] = ("predicts", "targets")) -> None:
    """Raise a ValueError naming both shapes unless they are equal.

    Broadcasting is refused on purpose: ``(N, 1)`` predictions against ``(N,)``
    targets would silently average an ``(N, N)`` matrix.
    """
    if predicts.shape != targets.shape:
        raise ValueError(f"{fn}: {names[0]} has shape {predicts.shape} but {names[1]} has "
                         f"shape {targets.shape}; they must be equal (reshape one of them)")


def reduce(loss: jax.Array, reduction: Reduction) -> jax.Array:
    """Mean or sum over every element of ``loss``, or ``loss`` itself for ``'none'``."""
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss
