"""Regression losses: squared, absolute, L2 and Huber errors."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from ._reduction import (Reduction, as_float, as_input, check_mean_of_something,
                         check_reduction, check_same_shape, reduce)


def _pair(fn: str, predicts: Any, targets: Any, reduction: Any) -> tuple[jax.Array, jax.Array]:
    """Validate the arguments every regression loss shares; return float arrays."""
    check_reduction(fn, reduction)
    predicts = as_float(as_input(fn, "predicts", predicts))
    targets = as_float(as_input(fn, "targets", targets))
    check_same_shape(fn, predicts, targets)
    check_mean_of_something(fn, predicts.shape, reduction)
    return predicts, targets


def mean_squared_error(predicts: Any, targets: Any, reduction: Reduction = "mean") -> jax.Array:
    r"""Squared error :math:`(p - t)^2`, averaged over all elements by default.

    Args:
        predicts: predictions, any shape (an array or a Variable).
        targets: targets with the same shape.
        reduction: ``'mean'`` or ``'sum'`` over all elements, or ``'none'``.

    Raises:
        ValueError: an unknown ``reduction``; shapes that differ; or
            ``reduction='mean'`` of empty arrays (the mean would be NaN).
        TypeError: an argument that is not an array or a number (``None``,
            a string), or a complex one.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> float(losses.mean_squared_error(jnp.array([1.0, 2.0]), jnp.array([0.0, 0.0])))
        2.5
    """
    predicts, targets = _pair("mean_squared_error", predicts, targets, reduction)
    return reduce(optax.losses.squared_error(predicts, targets), reduction)


def mean_absolute_error(predicts: Any, targets: Any, reduction: Reduction = "mean") -> jax.Array:
    r"""Absolute error :math:`|p - t|`, averaged over all elements by default.

    Args:
        predicts: predictions, any shape (an array or a Variable).
        targets: targets with the same shape.
        reduction: ``'mean'`` or ``'sum'`` over all elements, or ``'none'``.

    Raises:
        ValueError: an unknown ``reduction``; shapes that differ; or
            ``reduction='mean'`` of empty arrays (the mean would be NaN).
        TypeError: an argument that is not an array or a number (``None``,
            a string), or a complex one.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> float(losses.mean_absolute_error(jnp.array([1.0, -3.0]), jnp.array([0.0, 0.0])))
        2.0
    """
    predicts, targets = _pair("mean_absolute_error", predicts, targets, reduction)
    # optax has no absolute-error loss; this one line is the whole formula.
    return reduce(jnp.abs(predicts - targets), reduction)


def l2_loss(predicts: Any, targets: Any, reduction: Reduction = "sum") -> jax.Array:
    r"""Half the squared error, :math:`\tfrac12 (p - t)^2`, summed by default.

    The elementwise term is BrainPy's (and optax's) ``l2_loss``. BrainPy
    returns it unreduced; here the default ``reduction='sum'`` gives the
    classic :math:`\tfrac12\lVert p - t\rVert^2` (as TensorFlow's
    ``l2_loss``), and ``reduction='none'`` gives BrainPy's array.

    Args:
        predicts: predictions, any shape (an array or a Variable).
        targets: targets with the same shape.
        reduction: ``'sum'`` (default) or ``'mean'`` over all elements, or
            ``'none'``.

    Raises:
        ValueError: an unknown ``reduction``; shapes that differ; or
            ``reduction='mean'`` of empty arrays (the mean would be NaN).
        TypeError: an argument that is not an array or a number (``None``,
            a string), or a complex one.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> float(losses.l2_loss(jnp.array([1.0, 2.0]), jnp.array([0.0, 0.0])))
        2.5
        >>> losses.l2_loss(jnp.array([1.0, 2.0]), jnp.zeros(2), reduction="none").tolist()
        [0.5, 2.0]
    """
    predicts, targets = _pair("l2_loss", predicts, targets, reduction)
    return reduce(optax.losses.l2_loss(predicts, targets), reduction)


def huber_loss(predicts: Any, targets: Any, delta: float = 1.0,
               reduction: Reduction = "mean") -> jax.Array:
    r"""Huber loss: quadratic for small errors, linear beyond ``delta``.

    Elementwise, with :math:`e = |p - t|`: :math:`\tfrac12 e^2` when
    :math:`e \le \delta`, else :math:`\delta (e - \tfrac12\delta)`. Its
    gradient is the L2 loss's clipped to ``[-delta, delta]``.

    Args:
        predicts: predictions, any shape (an array or a Variable).
        targets: targets with the same shape.
        delta: where the loss turns linear; must be positive.
        reduction: ``'mean'`` or ``'sum'`` over all elements, or ``'none'``.

    Raises:
        ValueError: an unknown ``reduction``; shapes that differ;
            ``reduction='mean'`` of empty arrays; a ``delta`` that does not
            broadcast to the predictions' shape, or (when known) is not
            positive and finite (``delta=inf`` is :func:`l2_loss`).
        TypeError: an argument that is not an array or a number (``None``,
            a string), or a complex one.

    Example:
        >>> import jax.numpy as jnp
        >>> from brainobj import losses
        >>> losses.huber_loss(jnp.array([0.5, 3.0]), jnp.zeros(2), reduction="none").tolist()
        [0.125, 2.5]
    """
    predicts, targets = _pair("huber_loss", predicts, targets, reduction)
    delta = as_input("huber_loss", "delta", delta)
    try:
        fits = jnp.broadcast_shapes(delta.shape, predicts.shape) == predicts.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"huber_loss: delta of shape {delta.shape} does not broadcast to the "
                         f"predictions' shape {predicts.shape}; pass a number or an array of "
                         "a broadcastable shape")
    if not isinstance(delta, jax.core.Tracer) and not bool(jnp.all(delta > 0)):
        raise ValueError(f"huber_loss: delta must be positive, got delta={delta}")
    if not isinstance(delta, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(delta))):
        # optax computes inf * 0 = NaN; the limit delta -> inf is l2_loss.
        raise ValueError(f"huber_loss: delta must be finite, got delta={delta}; "
                         "use l2_loss for a loss that is quadratic everywhere")
    return reduce(optax.losses.huber_loss(predicts, targets, delta=delta), reduction)
