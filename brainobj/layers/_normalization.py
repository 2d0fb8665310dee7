"""Normalization layers: ``BatchNorm1d``/``BatchNorm2d`` and ``LayerNorm``."""

from __future__ import annotations

import math
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..init import Initializer, OneInit, ZeroInit
from .. import math as bm
from ._base import Layer, flag, is_int, layer_input, make_params, positive_int, real_number

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def _momentum(kind: str, momentum: Any) -> float:
    momentum = real_number(kind, "momentum", momentum)
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"{kind}: momentum must lie in [0, 1] (the weight of the old "
                         f"running value), got {momentum}")
    return momentum


def _epsilon(kind: str, epsilon: Any) -> float:
    # A finite positive number: with inf every output would be 0 (or the bias).
    try:
        epsilon = real_number(kind, "epsilon", epsilon)
    except ValueError:
        raise ValueError(f"{kind}: epsilon must be > 0 and finite, got {epsilon}") from None
    if not epsilon > 0.0:
        raise ValueError(f"{kind}: epsilon must be > 0, got {epsilon}")
    return epsilon


def _real_input(layer: Layer, x: jax.Array) -> None:
    """Refuse complex inputs: the mean of squares below would not be a variance."""
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise bm.MathError(f"{layer.name}: expected real inputs, got dtype {x.dtype} (shape "
                           f"{tuple(x.shape)}); normalize the real and imaginary parts "
                           "separately, or their magnitudes.")


class _BatchNorm(Layer):
    """Shared body of the batch norms; subclasses fix the accepted ranks."""

    # Input ranks accepted, and a description of them for error messages.
    _ranks: tuple[int, ...] = ()
    _layout: str = ""

    def __init__(self, num_features: int, momentum: float = 0.99, epsilon: float = 1e-5,
                 affine: bool = True, scale_initializer: Initializer = OneInit(),
                 bias_initializer: Initializer = ZeroInit(), axis_name: Any = None,
                 name: str | None = None) -> None:
        kind = type(self).__name__
        self.num_features = positive_int(kind, "num_features", num_features)
        self.momentum = _momentum(kind, momentum)
        self.epsilon = _epsilon(kind, epsilon)
        self.affine = flag(kind, "affine", affine)
        self.axis_name = axis_name
        shape = (self.num_features,)
        scale, bias = make_params(kind, [("scale_initializer", scale_initializer, shape, False),
                                         ("bias_initializer", bias_initializer, shape, False)]
                                  ) if self.affine else (None, None)
        # Plain Variables, not TrainVars: optimizers must not touch them.
        self.running_mean = bm.Variable(jnp.zeros(shape, jnp.float32))
        self.running_var = bm.Variable(jnp.ones(shape, jnp.float32))
        self.scale = scale
        self.bias = bias

    def update(self, x: Any) -> jax.Array:
        """Normalize ``x`` per feature; in training mode, also update the running statistics.

        Raises:
            MathError: ``x`` is not an array; is complex (its variance would
                be that of the real part); its rank or last axis does not fit
                the layer; in training mode, it holds no example (the batch
                statistics would be NaN); or ``axis_name`` is not the name of
                an enclosing ``bm.vmap`` or ``bm.shard_map`` axis. The running statistics are
                unchanged.
        """
        x = layer_input(self, x)
        if x.ndim not in self._ranks or x.shape[-1] != self.num_features:
            raise bm.MathError(
                f"{self.name}: expected inputs of layout {self._layout} with "
                f"features={self.num_features} (channels last), got shape {tuple(x.shape)}.")
        _real_input(self, x)
        axes = tuple(range(x.ndim - 1))
        if self.training and math.prod(x.shape[:-1]) == 0:
            # Checked statically, before the statistics: the mean of nothing is
            # NaN, and it would be written into the running estimates.
            raise bm.MathError(
                f"{self.name}: cannot compute batch statistics of an empty batch (shape "
                f"{tuple(x.shape)}) in training mode; skip the step or call model.eval().")
        if self.training:
            mean = self._across_batch(jnp.mean(x, axis=axes))
            # The biased variance (divide by the count), as Flax and BrainPy;
            # PyTorch stores the unbiased one in its running estimate.
            var = self._across_batch(jnp.mean(jnp.square(x - mean), axis=axes))
            m = self.momentum
            # Statistics are state, not part of the loss: no gradient flows
            # into them (under bm.grad they come back as auxiliary output).
            batch_mean = jax.lax.stop_gradient(mean).astype(self.running_mean.dtype)
            batch_var = jax.lax.stop_gradient(var).astype(self.running_var.dtype)
            self.running_mean.value = m * self.running_mean.value + (1.0 - m) * batch_mean
            self.running_var.value = m * self.running_var.value + (1.0 - m) * batch_var
        else:
            mean, var = self.running_mean.value, self.running_var.value
        y = (x - mean) * jax.lax.rsqrt(var + self.epsilon)
        if self.affine:
            y = y * self.scale.value + self.bias.value
        return y

    def _across_batch(self, statistic: jax.Array) -> jax.Array:
        # Under bm.vmap(..., axis_name=...) the batch is split across the
        # mapped axis: average there too (equal shares), so every element
        # normalizes with, and writes, the statistics of the whole batch.
        if self.axis_name is None:
            return statistic
        try:
            return jax.lax.pmean(statistic, self.axis_name)
        except NameError:  # JAX's "unbound axis name: b", which names no layer
            raise bm.MathError(
                f"{self.name}: axis_name={self.axis_name!r} is not the axis_name of an "
                "enclosing bm.vmap or a mesh axis of an enclosing bm.shard_map; call the layer "
                f"inside bm.vmap(..., axis_name={self.axis_name!r}) or bm.shard_map over a mesh "
                "with that axis, or create it with axis_name=None.") from None

    def _repr_args(self) -> list[str]:
        return [str(self.num_features), f"momentum={self.momentum}", f"epsilon={self.epsilon}"]


class BatchNorm1d(_BatchNorm):
    """Batch normalization over inputs ``(batch, features)`` or ``(batch, length, features)``.

    Channels last (NWC), as every brainobj layer. In training mode each
    feature is normalized with the mean and (biased) variance of the batch
    (over every axis but the last), and the running estimates are updated::

        running = momentum * running + (1 - momentum) * batch_statistic

    In evaluation mode (``model.eval()``) the running estimates are used.
    The running statistics live in non-trainable ``bm.Variable``s
    (``running_mean``, ``running_var``): ``bm.jit``/``bm.grad`` write them
    back after a training step and ``state_dict()`` saves them.

    Args:
        num_features: size of the last axis.
        momentum: weight of the *old* running value, default ``0.99`` (as
            Flax and BrainPy). PyTorch's ``momentum=0.1`` weights the *new*
            batch instead: it corresponds to ``momentum=0.9`` here.
        epsilon: added to the variance before the square root.
        affine: learn a per-feature ``scale`` and ``bias`` (TrainVars).
        scale_initializer: initializer of ``scale`` (ones by default).
        bias_initializer: initializer of ``bias`` (zeros by default).
        axis_name: the name of a ``bm.vmap`` axis (``bm.vmap(f,
            axis_name='batch')``, per-example code) or of a mesh axis of
            ``bm.shard_map`` (data parallelism) the batch is split over: the
            batch statistics are then averaged across it as well, so the
            result and the running statistics equal those of the whole batch.

    Raises:
        TypeError: ``num_features`` is not an int; ``momentum`` or
            ``epsilon`` is not a real number; ``affine`` is not a bool; an
            initializer is not callable or returns a non-float array.
        ValueError: ``num_features`` is not positive, ``momentum`` is
            outside ``[0, 1]``, ``epsilon`` is not positive and finite, or an
            initializer returns another shape (the global random key is then
            left as it was).
        MathError: (when called) see :meth:`update`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> bn = bp.BatchNorm1d(2)
        >>> y = bn(bm.asarray([[0., 10.], [2., 30.]]))
        >>> y.round(3)
        Array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> bn.running_mean.value.round(3)  # 0.99 * 0 + 0.01 * [1, 20]
        Array([0.01, 0.2 ], dtype=float32)
    """

    _ranks = (2, 3)
    _layout = "(batch, features) or (batch, length, features)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over images ``(batch, height, width, channels)`` (NHWC).

    Statistics are taken over the batch and both spatial axes; otherwise the
    same as :class:`BatchNorm1d` (same arguments, same ``momentum`` meaning).

    Raises:
        TypeError, ValueError: bad arguments, as :class:`BatchNorm1d`.
        MathError: (when called) see :meth:`update`: e.g. an input that is
            not 4-d ``(batch, height, width, num_features)``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> bn = bp.BatchNorm2d(3)
        >>> bn(bm.ones((2, 4, 4, 3))).shape
        (2, 4, 4, 3)
    """

    _ranks = (4,)
    _layout = "(batch, height, width, channels)"


class LayerNorm(Layer):
    """Normalize each sample over its last axis (or last axes).

    ``y = (x - mean) / sqrt(var + epsilon) * scale + bias``, with the mean and
    (biased) variance taken over the trailing ``normalized_shape`` axes of
    each sample. Training and evaluation modes behave the same.

    Args:
        normalized_shape: the trailing shape to normalize over: an int (the
            number of features of the last axis) or a tuple of ints.
        epsilon: added to the variance before the square root.
        elementwise_affine: learn ``scale`` and ``bias`` of shape
            ``normalized_shape`` (TrainVars).
        scale_initializer: initializer of ``scale`` (ones by default).
        bias_initializer: initializer of ``bias`` (zeros by default).

    Raises:
        TypeError: ``normalized_shape`` is not an int or a sequence of ints
            (a set, a string, ``2.0``); ``epsilon`` is not a real number;
            ``elementwise_affine`` is not a bool; an initializer is not
            callable or returns a non-float array.
        ValueError: an empty or non-positive ``normalized_shape``, an
            ``epsilon`` that is not positive and finite, or an initializer
            that returns another shape (the global random key is then left
            as it was).
        MathError: (when called) see :meth:`update`.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> ln = bp.LayerNorm(4)
        >>> ln(bm.asarray([[1., 2., 3., 4.]])).mean(-1).round(5)
        Array([0.], dtype=float32)
    """

    def __init__(self, normalized_shape: int | Sequence[int], epsilon: float = 1e-5,
                 elementwise_affine: bool = True, scale_initializer: Initializer = OneInit(),
                 bias_initializer: Initializer = ZeroInit(), name: str | None = None) -> None:
        if is_int(normalized_shape):
            dims = (normalized_shape,)
        elif isinstance(normalized_shape, (tuple, list)) or (
                isinstance(normalized_shape, np.ndarray) and normalized_shape.ndim == 1):
            dims = tuple(normalized_shape)  # a NumPy shape array too, as PyTorch takes a Size
        else:
            raise TypeError(f"LayerNorm: normalized_shape must be a positive int or a tuple of "
                            f"them, got {normalized_shape!r} ({type(normalized_shape).__name__}).")
        if not dims:
            raise ValueError("LayerNorm: normalized_shape must name at least one axis")
        self.normalized_shape = tuple(positive_int("LayerNorm", "normalized_shape", d)
                                      for d in dims)
        self.epsilon = _epsilon("LayerNorm", epsilon)
        self.elementwise_affine = flag("LayerNorm", "elementwise_affine", elementwise_affine)
        shape = self.normalized_shape
        scale, bias = make_params("LayerNorm", [
            ("scale_initializer", scale_initializer, shape, False),
            ("bias_initializer", bias_initializer, shape, False)],
        ) if self.elementwise_affine else (None, None)
        self.scale = scale
        self.bias = bias

    def update(self, x: Any) -> jax.Array:
        """Normalize each sample over its trailing ``normalized_shape`` axes.

        Raises:
            MathError: ``x`` is not an array, is complex, or its trailing
                shape is not ``normalized_shape``.
        """
        x = layer_input(self, x)
        n = len(self.normalized_shape)
        if x.ndim < n or x.shape[x.ndim - n:] != self.normalized_shape:
            raise bm.MathError(f"{self.name}: expected inputs whose trailing shape is "
                            f"{self.normalized_shape}, got shape {tuple(x.shape)}.")
        _real_input(self, x)
        axes = tuple(range(x.ndim - n, x.ndim))
        mean = jnp.mean(x, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
        y = (x - mean) * jax.lax.rsqrt(var + self.epsilon)
        if self.elementwise_affine:
            y = y * self.scale.value + self.bias.value
        return y

    def _repr_args(self) -> list[str]:
        return [str(self.normalized_shape), f"epsilon={self.epsilon}"]
