"""Normalization layers: ``BatchNorm1d``/``BatchNorm2d`` and ``LayerNorm``."""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

from ..init import Initializer, OneInit, ZeroInit
from .. import math as bm
from ._base import Layer, positive_int

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


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
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"{kind}: momentum must lie in [0, 1] (the weight of the old "
                             f"running value), got {momentum}")
        if not float(epsilon) > 0.0:
            raise ValueError(f"{kind}: epsilon must be > 0, got {epsilon}")
        self.momentum, self.epsilon, self.affine = float(momentum), float(epsilon), bool(affine)
        self.axis_name = axis_name
        shape = (self.num_features,)
        # Plain Variables, not TrainVars: optimizers must not touch them.
        self.running_mean = bm.Variable(jnp.zeros(shape, jnp.float32))
        self.running_var = bm.Variable(jnp.ones(shape, jnp.float32))
        self.scale = bm.TrainVar(scale_initializer(shape)) if self.affine else None
        self.bias = bm.TrainVar(bias_initializer(shape)) if self.affine else None

    def update(self, x: Any) -> jax.Array:
        x = bm.asarray(x)
        if x.ndim not in self._ranks or x.shape[-1] != self.num_features:
            raise bm.MathError(
                f"{self.name}: expected inputs of layout {self._layout} with "
                f"features={self.num_features} (channels last), got shape {tuple(x.shape)}.")
        axes = tuple(range(x.ndim - 1))
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
        return jax.lax.pmean(statistic, self.axis_name)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.num_features}, momentum={self.momentum}, "
                f"epsilon={self.epsilon}, affine={self.affine}, name={self.name!r})")


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
        axis_name: the name of a ``bm.vmap`` axis the batch is split over
            (``bm.vmap(f, axis_name='batch')``, per-example code): the batch
            statistics are then averaged across it as well, so the result
            and the running statistics equal those of the whole batch.

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

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> ln = bp.LayerNorm(4)
        >>> ln(bm.asarray([[1., 2., 3., 4.]])).mean(-1).round(5)
        Array([0.], dtype=float32)
    """

    def __init__(self, normalized_shape: int | Sequence[int], epsilon: float = 1e-5,
                 elementwise_affine: bool = True, scale_initializer: Initializer = OneInit(),
                 bias_initializer: Initializer = ZeroInit(), name: str | None = None) -> None:
        dims = (tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list))
                else (normalized_shape,))
        if not dims:
            raise ValueError("LayerNorm: normalized_shape must name at least one axis")
        self.normalized_shape = tuple(positive_int("LayerNorm", "normalized_shape", d)
                                      for d in dims)
        if not float(epsilon) > 0.0:
            raise ValueError(f"LayerNorm: epsilon must be > 0, got {epsilon}")
        self.epsilon, self.elementwise_affine = float(epsilon), bool(elementwise_affine)
        affine = self.elementwise_affine
        self.scale = bm.TrainVar(scale_initializer(self.normalized_shape)) if affine else None
        self.bias = bm.TrainVar(bias_initializer(self.normalized_shape)) if affine else None

    def update(self, x: Any) -> jax.Array:
        x = bm.asarray(x)
        n = len(self.normalized_shape)
        if x.ndim < n or x.shape[x.ndim - n:] != self.normalized_shape:
            raise bm.MathError(f"{self.name}: expected inputs whose trailing shape is "
                            f"{self.normalized_shape}, got shape {tuple(x.shape)}.")
        axes = tuple(range(x.ndim - n, x.ndim))
        mean = jnp.mean(x, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
        y = (x - mean) * jax.lax.rsqrt(var + self.epsilon)
        if self.elementwise_affine:
            y = y * self.scale.value + self.bias.value
        return y

    def __repr__(self) -> str:
        return (f"LayerNorm({self.normalized_shape}, epsilon={self.epsilon}, "
                f"elementwise_affine={self.elementwise_affine}, name={self.name!r})")
