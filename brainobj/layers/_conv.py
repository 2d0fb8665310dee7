"""Convolutions, channels last: ``Conv1d`` (NWC), ``Conv2d`` (NHWC), ``Conv3d`` (NDHWC)."""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

from ..init import Initializer, XavierNormal, ZeroInit
from .. import math as bm
from ._base import Layer, is_int, layer_input, make_params

__all__ = ["Conv1d", "Conv2d", "Conv3d"]

Padding = str | int | Sequence[int] | Sequence[tuple[int, int]]


def _tuple(kind: str, what: str, value: Any, n: int, minimum: int) -> tuple[int, ...]:
    """An int or a length-``n`` sequence of ints, each ``>= minimum``, as an ``n``-tuple."""
    try:
        values = (value,) * n if is_int(value) else tuple(value)
    except TypeError:
        values = ()
    if len(values) != n or not all(is_int(v) and v >= minimum for v in values):
        raise ValueError(f"{kind}: {what} must be an int >= {minimum} or {n} of them, "
                         f"got {value!r}")
    return tuple(int(v) for v in values)


def _padding(kind: str, padding: Padding, n: int) -> str | tuple[tuple[int, int], ...]:
    """'SAME'/'VALID', or explicit ``(low, high)`` padding per spatial axis."""
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise ValueError(f"{kind}: padding must be 'SAME', 'VALID', an int, ints or "
                             f"(low, high) pairs, got {padding!r}")
        return padding.upper()
    if is_int(padding):
        padding = (padding,) * n
    try:
        items = tuple(padding)
    except TypeError:
        items = ()

    def non_negative(v: Any) -> bool:
        return is_int(v) and v >= 0

    def is_pair(v: Any) -> bool:
        return isinstance(v, (tuple, list)) and len(v) == 2 and all(non_negative(p) for p in v)

    if len(items) == n and all(non_negative(p) for p in items):
        return tuple((int(p), int(p)) for p in items)
    if len(items) == n and all(is_pair(p) for p in items):
        return tuple((int(lo), int(hi)) for lo, hi in items)
    # One (low, high) pair for the single axis of a 1-d convolution.
    if n == 1 and len(items) == 2 and all(non_negative(p) for p in items):
        return ((int(items[0]), int(items[1])),)
    raise ValueError(f"{kind}: padding must be 'SAME', 'VALID', an int, {n} ints or {n} "
                     f"(low, high) pairs of non-negative ints, got {padding!r}")


class _Conv(Layer):
    """Shared body of the convolutions; subclasses fix the number of spatial axes."""

    _spatial: int = 0
    # jax.lax dimension numbers: input, kernel and output layouts.
    _specs: tuple[str, str, str] = ("", "", "")

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: Padding = "SAME",
                 dilation: int | Sequence[int] = 1, groups: int = 1,
                 w_initializer: Initializer = XavierNormal(),
                 b_initializer: Initializer | None = ZeroInit(),
                 name: str | None = None) -> None:
        kind, n = type(self).__name__, self._spatial
        if not (is_int(in_channels) and is_int(out_channels) and is_int(groups)
                and min(in_channels, out_channels, groups) > 0):
            raise ValueError(f"{kind} needs positive ints, got in_channels={in_channels!r}, "
                             f"out_channels={out_channels!r}, groups={groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{kind}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        in_channels, out_channels, groups = int(in_channels), int(out_channels), int(groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kind, "kernel_size", kernel_size, n, 1)
        self.stride = _tuple(kind, "stride", stride, n, 1)
        self.dilation = _tuple(kind, "dilation", dilation, n, 1)
        self.padding = _padding(kind, padding, n)
        # Kernel layout (*spatial, in/groups, out): the initializers' fan
        # computation (in_axis=-2, out_axis=-1, receptive field = the rest)
        # then sees the right fan-in and fan-out.
        shape = self.kernel_size + (in_channels // groups, out_channels)
        W, b = make_params(kind, [("w_initializer", w_initializer, shape, False),
                                  ("b_initializer", b_initializer, (out_channels,), True)])
        self.W = W
        self.b = b

    def update(self, x: Any) -> jax.Array:
        """Convolve ``x`` (channels last, batched or not) with ``W``, plus ``b``.

        Raises:
            MathError: ``x`` is not an array; its rank is not that of a
                (batched or unbatched) input of this layer; its last axis is
                not ``in_channels``; a spatial axis is empty; or (explicit or
                ``'VALID'`` padding) the input is smaller than the dilated
                kernel.
        """
        x = layer_input(self, x)
        n = self._spatial
        batched = x.ndim == n + 2
        if x.ndim not in (n + 1, n + 2) or x.shape[-1] != self.in_channels:
            raise bm.MathError(
                f"{self.name}: expected inputs of layout {self._specs[0]} (channels last) with "
                f"{self.in_channels} channels, or unbatched {self._specs[0][1:]}; "
                f"got shape {tuple(x.shape)}.")
        spatial = x.shape[-n - 1:-1]
        if any(d == 0 for d in spatial):
            raise bm.MathError(f"{self.name}: empty spatial axis in input of shape {tuple(x.shape)}.")
        if self.padding != "SAME":
            pads = ((0, 0),) * n if self.padding == "VALID" else self.padding
            for size, (lo, hi), k, d in zip(spatial, pads, self.kernel_size, self.dilation):
                if size + lo + hi < (k - 1) * d + 1:
                    raise bm.MathError(
                        f"{self.name}: input of shape {tuple(x.shape)} is smaller than the "
                        f"(dilated) kernel {self.kernel_size} with padding {self.padding!r}; "
                        "use a larger input, more padding or padding='SAME'.")
        w = self.W.value
        dtype = jnp.result_type(x, w)
        lhs = (x if batched else x[None]).astype(dtype)
        y = jax.lax.conv_general_dilated(
            lhs, w.astype(dtype), window_strides=self.stride, padding=self.padding,
            rhs_dilation=self.dilation, dimension_numbers=self._specs,
            feature_group_count=self.groups)
        if self.b is not None:
            y = y + self.b.value
        return y if batched else y[0]

    def _repr_args(self) -> list[str]:
        return [str(self.in_channels), str(self.out_channels), f"kernel_size={self.kernel_size}",
                f"stride={self.stride}", f"padding={self.padding!r}"]




class Conv1d(_Conv):
    """1-d convolution over inputs ``(batch, length, channels)`` (NWC, channels last).

    Unlike PyTorch's ``Conv1d`` (NCW) the channels are the *last* axis. An
    unbatched ``(length, channels)`` input gives an unbatched output. The
    kernel ``W`` has shape ``(kernel_size, in_channels // groups,
    out_channels)`` (WIO).

    Args:
        in_channels: input channels (the last axis of the input).
        out_channels: output channels (the last axis of the output).
        kernel_size: the window size, an int or one per spatial axis.
        stride: the step between windows, an int or one per spatial axis.
        padding: ``'SAME'`` (output size ``ceil(size / stride)``),
            ``'VALID'`` (no padding), an int (that many zeros on both sides of
            every spatial axis), one int per spatial axis, or one
            ``(low, high)`` pair per spatial axis.
        dilation: the kernel dilation ("atrous" rate), an int or one per axis.
        groups: split the channels into this many independent groups
            (``groups == in_channels`` is a depthwise convolution); must
            divide both channel counts.
        w_initializer: initializer of the kernel ``W``.
        b_initializer: initializer of the bias ``b`` (shape
            ``(out_channels,)``); ``None`` for no bias.

    Raises:
        ValueError: a channel count or ``groups`` that is not a positive int
            (or channel counts ``groups`` does not divide); a
            ``kernel_size``, ``stride`` or ``dilation`` that is not an int >=
            1 or one per spatial axis; a ``padding`` that is none of the
            accepted forms; an initializer that returns another shape or
            fails for it.
        TypeError: an initializer that is not callable (``None`` is allowed
            for ``b_initializer`` only) or returns a non-float array. The
            global random key is left as it was when construction fails.
        MathError: (when called) see :meth:`update`: an input that is not an
            array, of the wrong rank or channel count, or too small.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> conv = bp.Conv1d(3, 8, kernel_size=5)
        >>> conv(bm.ones((2, 16, 3))).shape
        (2, 16, 8)
        >>> bp.Conv1d(3, 8, 5, padding='VALID')(bm.ones((16, 3))).shape
        (12, 8)
    """

    _spatial = 1
    _specs = ("NWC", "WIO", "NWC")


class Conv2d(_Conv):
    """2-d convolution over images ``(batch, height, width, channels)`` (NHWC, channels last).

    Unlike PyTorch's ``Conv2d`` (NCHW) the channels are the *last* axis. An
    unbatched ``(height, width, channels)`` input gives an unbatched output.
    The kernel ``W`` has shape ``(kh, kw, in_channels // groups,
    out_channels)`` (HWIO).

    Args:
        in_channels: input channels (the last axis of the input).
        out_channels: output channels (the last axis of the output).
        kernel_size: the window size, an int or one per spatial axis.
        stride: the step between windows, an int or one per spatial axis.
        padding: ``'SAME'`` (output size ``ceil(size / stride)``),
            ``'VALID'`` (no padding), an int (that many zeros on both sides of
            every spatial axis), one int per spatial axis, or one
            ``(low, high)`` pair per spatial axis.
        dilation: the kernel dilation ("atrous" rate), an int or one per axis.
        groups: split the channels into this many independent groups
            (``groups == in_channels`` is a depthwise convolution); must
            divide both channel counts.
        w_initializer: initializer of the kernel ``W``.
        b_initializer: initializer of the bias ``b`` (shape
            ``(out_channels,)``); ``None`` for no bias.

    Raises:
        ValueError: a channel count or ``groups`` that is not a positive int
            (or channel counts ``groups`` does not divide); a
            ``kernel_size``, ``stride`` or ``dilation`` that is not an int >=
            1 or one per spatial axis; a ``padding`` that is none of the
            accepted forms; an initializer that returns another shape or
            fails for it.
        TypeError: an initializer that is not callable (``None`` is allowed
            for ``b_initializer`` only) or returns a non-float array. The
            global random key is left as it was when construction fails.
        MathError: (when called) see :meth:`update`: an input that is not an
            array, of the wrong rank or channel count, or too small.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> conv = bp.Conv2d(3, 4, kernel_size=3, stride=2)
        >>> conv(bm.ones((1, 8, 8, 3))).shape
        (1, 4, 4, 4)
    """

    _spatial = 2
    _specs = ("NHWC", "HWIO", "NHWC")


class Conv3d(_Conv):
    """3-d convolution over volumes ``(batch, depth, height, width, channels)`` (NDHWC).

    Channels last; an unbatched ``(depth, height, width, channels)`` input
    gives an unbatched output. The kernel ``W`` has shape ``(kd, kh, kw,
    in_channels // groups, out_channels)`` (DHWIO).

    Args:
        in_channels: input channels (the last axis of the input).
        out_channels: output channels (the last axis of the output).
        kernel_size: the window size, an int or one per spatial axis.
        stride: the step between windows, an int or one per spatial axis.
        padding: ``'SAME'`` (output size ``ceil(size / stride)``),
            ``'VALID'`` (no padding), an int (that many zeros on both sides of
            every spatial axis), one int per spatial axis, or one
            ``(low, high)`` pair per spatial axis.
        dilation: the kernel dilation ("atrous" rate), an int or one per axis.
        groups: split the channels into this many independent groups
            (``groups == in_channels`` is a depthwise convolution); must
            divide both channel counts.
        w_initializer: initializer of the kernel ``W``.
        b_initializer: initializer of the bias ``b`` (shape
            ``(out_channels,)``); ``None`` for no bias.

    Raises:
        ValueError: a channel count or ``groups`` that is not a positive int
            (or channel counts ``groups`` does not divide); a
            ``kernel_size``, ``stride`` or ``dilation`` that is not an int >=
            1 or one per spatial axis; a ``padding`` that is none of the
            accepted forms; an initializer that returns another shape or
            fails for it.
        TypeError: an initializer that is not callable (``None`` is allowed
            for ``b_initializer`` only) or returns a non-float array. The
            global random key is left as it was when construction fails.
        MathError: (when called) see :meth:`update`: an input that is not an
            array, of the wrong rank or channel count, or too small.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> bp.Conv3d(2, 4, kernel_size=3)(bm.ones((4, 4, 4, 2))).shape
        (4, 4, 4, 4)
    """

    _spatial = 3
    _specs = ("NDHWC", "DHWIO", "NDHWC")
