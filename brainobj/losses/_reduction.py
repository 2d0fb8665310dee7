"""Helpers shared by the losses: input conversion, shape checks, reduction."""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

from .. import math as bm

Reduction = Literal["mean", "sum", "none"]
_REDUCTIONS = ("mean", "sum", "none")


def as_input(fn: str, what: str, x: Any) -> jax.Array:
    """``x`` (an array, a Variable, a number or a list) as a real JAX array.

    A string, ``None`` or a ragged list gets a TypeError naming ``fn`` and the
    argument, instead of JAX's message naming neither; a complex array is
    refused too: the losses would silently drop its imaginary part.

    Raises:
        TypeError: ``x`` is not convertible to an array, or is complex.
    """
    if not isinstance(x, jax.Array):
        try:
            x = bm.asarray(x)
        except (TypeError, ValueError, OverflowError) as error:
            text = repr(x)
            text = text if len(text) <= 40 else text[:37] + "..."
            raise TypeError(f"{fn}: {what} must be an array (or a number), got "
                            f"{type(x).__name__} {text} ({error})") from None
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(f"{fn}: {what} must be real, got dtype {x.dtype}; the loss would drop "
                        "the imaginary part (pass jnp.real(x) or jnp.abs(x) if that is meant)")
    return x


def as_float(x: jax.Array) -> jax.Array:
    """``x`` unchanged when floating, else cast to the default float dtype.

    Never raises for real arrays (complex ones are refused by :func:`as_input`).
    """
    if jnp.issubdtype(x.dtype, jnp.floating):
        return x
    return x.astype(jnp.result_type(float))


def check_reduction(fn: str, reduction: Any) -> None:
    """Raise a ValueError naming ``fn`` unless ``reduction`` is a known mode.

    Raises:
        ValueError: ``reduction`` is not ``'mean'``, ``'sum'`` or ``'none'``.
    """
    if not (isinstance(reduction, str) and reduction in _REDUCTIONS):
        raise ValueError(f"{fn}: reduction must be one of 'mean', 'sum' or 'none', "
                         f"got reduction={reduction!r}")


def check_same_shape(fn: str, predicts: jax.Array, targets: jax.Array,
                     names: tuple[str, str] = ("predicts", "targets")) -> None:
    """Raise a ValueError naming both shapes unless they are equal.

    Broadcasting is refused on purpose: ``(N, 1)`` predictions against ``(N,)``
    targets would silently average an ``(N, N)`` matrix.

    Raises:
        ValueError: the shapes differ.
    """
    if predicts.shape != targets.shape:
        raise ValueError(f"{fn}: {names[0]} has shape {predicts.shape} but {names[1]} has "
                         f"shape {targets.shape}; they must be equal (reshape one of them)")


def check_probabilities(fn: str, what: str, targets: jax.Array) -> None:
    """Raise a ValueError if known ``targets`` leave ``[0, 1]``.

    Only concrete values are checked (free under a transform, where they are
    tracers); outside ``[0, 1]`` the losses return a silently wrong value.

    Raises:
        ValueError: a known value outside ``[0, 1]``, or NaN.
    """
    if isinstance(targets, jax.core.Tracer) or targets.size == 0:
        return
    values = np.asarray(targets)
    if values.dtype.kind == "b":
        return
    low, high = values.min(), values.max()
    if not (low >= 0 and high <= 1):  # NaN fails too
        raise ValueError(f"{fn}: {what} must be probabilities in [0, 1], got values in "
                         f"[{low}, {high}]")


def check_mean_of_something(fn: str, shape: tuple[int, ...], reduction: str) -> None:
    """Refuse ``reduction='mean'`` over a loss of ``shape`` with no elements
    (the mean would be NaN). Static: free under a transform.

    Raises:
        ValueError: ``reduction='mean'`` and ``shape`` has no elements.
    """
    if reduction == "mean" and 0 in shape:
        raise ValueError(f"{fn}: cannot average a loss over no elements (an empty batch: "
                         f"loss shape {tuple(shape)}); use reduction='sum' (0 for an empty "
                         "batch) or skip the step")


def reduce(loss: jax.Array, reduction: Reduction) -> jax.Array:
    """Mean or sum over every element of ``loss``, or ``loss`` itself for ``'none'``.

    Never raises: ``reduction`` was checked by :func:`check_reduction` first.
    """
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss
