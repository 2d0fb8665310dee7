"""Classification losses on logits: softmax and sigmoid cross-entropy."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import math as bm
from ._reduction import Reduction, as_float, check_reduction, check_same_shape, reduce


def _check_class_indices(targets: jax.Array, num_classes: int) -> None:
    """Eagerly reject indices that are out of range or (for floats) not whole numbers.

    Only concrete arrays are checked: under a transform the values are unknown,
    and optax would otherwise return a silent wrong loss for a bad index.
    """
    if isinstance(targets, jax.core.Tracer):
        return
    values = np.asarray(targets)
    if values.size == 0:
        return
    if np.issubdtype(values.dtype, np.floating) and not np.all(values == np.round(values)):
        raise ValueError("cross_entropy_loss: float targets with one fewer dimension than the "
                         "logits are read as class indices, but some are not whole numbers; "
                         "pass probabilities with the logits' shape instead")
    low, high = values.min(), values.max()
    if low < 0 or high >= num_classes:
        raise ValueError(f"cross_entropy_loss: class indices must lie in [0, {num_classes}) for "
                         f"logits with {num_classes} classes, got values in [{low}, {high}]")


def cross_entropy_loss(predicts: Any, targets: Any, reduction: Reduction = "mean") -> jax.Array:
    r"""Softmax cross-entropy between logits and class targets.

    The per-example loss is :math:`\log\sum_j e^{x_j} - \sum_j t_j x_j`, over
    the last axis of ``predicts``. ``targets`` is read by its shape:

    * one fewer dimension than ``predicts`` (shape ``predicts.shape[:-1]``):
      class indices, integer or float (``0.``/``1.`` labels are accepted, as
      BrainPy does); they are checked eagerly to be whole numbers in
      ``[0, C)`` when not traced. Traced, an index outside ``[0, C)`` --
      negative ones included -- gives a NaN loss;
    * the same shape as ``predicts``: a probability distribution per example
      (e.g. one-hot or smoothed labels).

    Args:
        predicts: logits of shape ``(..., C)`` (an array or a Variable).
        targets: class indices of shape ``(...)`` or probabilities of shape
            ``(..., C)``.
        reduction: ``'mean'`` (over examples), ``'sum'``, or ``'none'`` for
            the per-example losses of shape ``(...)``.

    Returns:
        A scalar, or an array of shape ``predicts.shape[:-1]`` for ``'none'``.

    Raises:
        ValueError: for an unknown ``reduction``, scalar logits, targets of
            another shape, or (eagerly) out-of-range class indices.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> logits = jnp.array([[0.0, 0.0], [0.0, 0.0]])
        >>> float(losses.cross_entropy_loss(logits, jnp.array([0, 1])))  # log 2
        0.6931471824645996
        >>> losses.cross_entropy_loss(logits, jnp.eye(2), reduction="none").shape
        (2,)
    """
    check_reduction("cross_entropy_loss", reduction)
    logits, targets = as_float(bm.asarray(predicts)), bm.asarray(targets)
    if logits.ndim == 0:
        raise ValueError("cross_entropy_loss: predicts must have a class axis (shape (..., C)), "
                         "got a scalar")
    if targets.shape == logits.shape[:-1]:
        _check_class_indices(targets, logits.shape[-1])
        labels = targets.astype(jnp.int32)
        # Under a transform the indices cannot be checked; a negative one
        # would wrap around to a valid class, so make it out of range like
        # any other bad index (the loss is then NaN, not silently wrong).
        labels = jnp.where(labels < 0, logits.shape[-1], labels)
        loss = optax.losses.softmax_cross_entropy_with_integer_labels(logits, labels)
    elif targets.shape == logits.shape:
        loss = optax.losses.softmax_cross_entropy(logits, targets.astype(logits.dtype))
    else:
        raise ValueError(
            f"cross_entropy_loss: predicts has shape {logits.shape}, so targets must have shape "
            f"{logits.shape[:-1]} (class indices) or {logits.shape} (probabilities), "
            f"got {targets.shape}")
    return reduce(loss, reduction)


def binary_cross_entropy(logits: Any, targets: Any, reduction: Reduction = "mean") -> jax.Array:
    r"""Sigmoid cross-entropy between logits and binary (or probability) targets.

    Each element is an independent two-class problem: the loss is
    :math:`-t \log\sigma(x) - (1 - t)\log(1 - \sigma(x))`, computed stably
    from the logit :math:`x` (no sigmoid is applied beforehand).

    Args:
        logits: unnormalised log-odds, any shape (an array or a Variable).
        targets: probabilities in ``[0, 1]`` (``0``/``1`` labels, integer or
            float) with the same shape as ``logits``.
        reduction: ``'mean'`` or ``'sum'`` over all elements, or ``'none'``.

    Returns:
        A scalar, or an array of ``logits``' shape for ``'none'``.

    Raises:
        ValueError: for an unknown ``reduction`` or shapes that differ.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> float(losses.binary_cross_entropy(jnp.zeros(3), jnp.array([0, 1, 1])))  # log 2
        0.6931471824645996
    """
    check_reduction("binary_cross_entropy", reduction)
    logits, targets = as_float(bm.asarray(logits)), bm.asarray(targets)
    check_same_shape("binary_cross_entropy", logits, targets, ("logits", "targets"))
    loss = optax.losses.sigmoid_binary_cross_entropy(logits, targets.astype(logits.dtype))
    return reduce(loss, reduction)
