"""Classification losses on logits: softmax and sigmoid cross-entropy."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import math as bm
from ._reduction import (Reduction, as_float, as_input, check_mean_of_something,
                         check_probabilities, check_reduction, check_same_shape, reduce)


def _check_class_indices(original: Any, targets: jax.Array, num_classes: int) -> None:
    """Eagerly reject indices that are out of range or (for floats) not whole numbers.

    Only concrete arrays are checked: under a transform the values are unknown,
    and optax would otherwise return a silent wrong loss for a bad index.
    ``original`` is what the caller passed: a NumPy int64 index is read
    before JAX narrows it to int32 (``2**40`` would wrap to a valid class).
    """
    if isinstance(targets, jax.core.Tracer):
        return
    original = original.value if isinstance(original, bm.Variable) else original
    values = np.asarray(original if isinstance(original, (np.ndarray, np.generic)) else targets)
    if values.size == 0:
        return
    if values.dtype.kind == "b":  # False/True: classes 0 and 1
        values = values.astype(np.int32)
    if jnp.issubdtype(values.dtype, jnp.floating) and not np.all(values == np.round(values)):
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
        ValueError: an unknown ``reduction``; scalar logits or logits with
            no classes; targets of another shape; ``reduction='mean'`` of an
            empty batch (the mean would be NaN); or (when known, i.e. not
            traced) class indices out of range or not whole numbers, or
            probability targets outside ``[0, 1]``.
        TypeError: an argument that is not an array or a number (``None``,
            a string), or a complex one.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> logits = jnp.array([[0.0, 0.0], [0.0, 0.0]])
        >>> float(losses.cross_entropy_loss(logits, jnp.array([0, 1])))  # log 2
        0.6931471824645996
        >>> losses.cross_entropy_loss(logits, jnp.eye(2), reduction="none").shape
        (2,)
    """
    fn = "cross_entropy_loss"
    check_reduction(fn, reduction)
    original = targets
    logits = as_float(as_input(fn, "predicts", predicts))
    targets = as_input(fn, "targets", targets)
    if logits.ndim == 0:
        raise ValueError("cross_entropy_loss: predicts must have a class axis (shape (..., C)), "
                         "got a scalar")
    if logits.shape[-1] == 0:
        raise ValueError(f"cross_entropy_loss: predicts of shape {logits.shape} has no classes "
                         "(its last axis is empty)")
    if targets.shape in (logits.shape[:-1], logits.shape):
        check_mean_of_something(fn, logits.shape[:-1], reduction)
    if targets.shape == logits.shape[:-1]:
        _check_class_indices(original, targets, logits.shape[-1])
        labels = targets.astype(jnp.int32)
        # Under a transform the indices cannot be checked; a negative one
        # would wrap around to a valid class, so make it out of range like
        # any other bad index (the loss is then NaN, not silently wrong).
        labels = jnp.where(labels < 0, logits.shape[-1], labels)
        loss = optax.losses.softmax_cross_entropy_with_integer_labels(logits, labels)
    elif targets.shape == logits.shape:
        check_probabilities(fn, "targets", targets)
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
        ValueError: an unknown ``reduction``; shapes that differ;
            ``reduction='mean'`` of empty arrays; or (when known) targets
            outside ``[0, 1]``.
        TypeError: an argument that is not an array or a number (``None``,
            a string), or a complex one.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> float(losses.binary_cross_entropy(jnp.zeros(3), jnp.array([0, 1, 1])))  # log 2
        0.6931471824645996
    """
    fn = "binary_cross_entropy"
    check_reduction(fn, reduction)
    logits = as_float(as_input(fn, "logits", logits))
    targets = as_input(fn, "targets", targets)
    check_same_shape(fn, logits, targets, ("logits", "targets"))
    check_mean_of_something(fn, logits.shape, reduction)
    check_probabilities(fn, "targets", targets)
    loss = optax.losses.sigmoid_binary_cross_entropy(logits, targets.astype(logits.dtype))
    return reduce(loss, reduction)
