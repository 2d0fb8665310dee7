"""``Sequential``: layers (objects or plain functions) called in order."""

from __future__ import annotations

import threading
from typing import Any, Callable

from .. import math as bm
from ..math import random as _random
from ._base import Layer, is_int

__all__ = ["Sequential", "Lambda"]


class _Rollback(threading.local):
    """Per thread: whether an outer eager ``Sequential`` call holds a snapshot."""

    active = False


_ROLLBACK = _Rollback()


class Lambda(Layer):
    """A plain function (``bm.relu``) as a layer; it holds no state.

    Raises:
        TypeError: ``fun`` is not callable. (When called, whatever ``fun``
            raises.)

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> bp.Lambda(bm.relu)(bm.asarray([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
    """

    def __init__(self, fun: Callable, name: str | None = None) -> None:
        if not callable(fun):
            raise TypeError(f"Lambda needs a callable, got {type(fun).__name__}")
        self.fun = fun

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """``fun(*args, **kwargs)``.

        Raises:
            Exception: whatever ``fun`` raises.
        """
        return self.fun(*args, **kwargs)

    def describe(self) -> str:
        """The function's name, for ``repr``.

        Raises nothing.
        """
        return getattr(self.fun, "__name__", repr(self.fun))

    def _repr_args(self) -> list[str]:
        return [self.describe()]


class Sequential(Layer):
    """Call ``layers`` one after the other, each on the previous one's output.

    A layer is any object (a ``BrainPyObject`` with ``__call__``) or a plain
    function such as ``bm.relu``. BrainPy's older call form
    ``net(shared, x)`` is accepted when ``shared`` is an empty dict.
    Indexing gives a layer; slicing gives a ``Sequential`` sharing them.

    A call that fails part-way outside a transform puts back every Variable
    of the model and the global random key (a ``BatchNorm`` before the
    failing layer would otherwise have updated its running statistics, a
    ``Dropout`` advanced the key). Inside a transform nothing is written
    until the transform succeeds, so nothing needs putting back.

    Raises:
        TypeError: (creation) a layer that is neither an object nor a
            function; (call) a call that is neither ``net(x)`` nor
            ``net({}, x)``; (indexing) an index that is not an int or slice.
        IndexError: (indexing) an index past the last layer.
        MathError: (call) a non-empty ``shared`` dict.
        Exception: (call) whatever a layer raises, e.g. the ``MathError`` of
            a ``Linear`` given the wrong number of features; every Variable
            and the global random key are then as before the call.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> net = bp.Sequential(bp.Linear(3, 4), bm.relu, bp.Linear(4, 1))
        >>> net(bm.ones((2, 3))).shape
        (2, 1)
        >>> net
        Sequential(
          layers=[
            Linear(W=TrainVar(f32[3,4]), b=TrainVar(f32[4])),
            Lambda(relu),
            Linear(W=TrainVar(f32[4,1]), b=TrainVar(f32[1])),
          ],
        )
    """

    def __init__(self, *layers: Any, name: str | None = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        wrapped = []
        for i, layer in enumerate(layers):
            if isinstance(layer, Layer) or (callable(layer) and hasattr(layer, "vars")):
                wrapped.append(layer)
            elif callable(layer):
                wrapped.append(Lambda(layer))
            else:
                raise TypeError(f"Sequential layer {i}: expected an object or a function, "
                                f"got {type(layer).__name__}")
        self.layers = wrapped

    def update(self, *args: Any) -> Any:
        """Call each layer on the previous one's output; return the last output.

        Raises:
            TypeError: not called as ``net(x)`` or ``net({}, x)``.
            MathError: a non-empty ``shared`` dict.
            Exception: whatever a layer raises; outside a transform every
                Variable of the model and the global random key are first put
                back to their values before the call.
        """
        if len(args) == 2 and isinstance(args[0], dict):
            shared, x = args
            if shared:
                raise bm.MathError(
                    f"{self.name}: a non-empty shared dict ({sorted(shared)}) is not supported; "
                    "switch modes with model.train() / model.eval() instead."
                )
        elif len(args) == 1:
            (x,) = args
        else:
            raise TypeError(f"{self.name}: call it with one input (or BrainPy's (shared, x)).")
        if bm.in_transform() or _ROLLBACK.active:
            # A transform writes nothing until it succeeds; an enclosing
            # Sequential already holds the snapshot.
            for layer in self.layers:
                x = layer(x)
            return x
        # Eager: layers write as they go. Keep the boxes' arrays (references,
        # no copies) so that a failing layer leaves no half-updated model.
        saved = [(var, var.value) for var in self.vars().unique().values()]
        saved.append((_random.DEFAULT, _random.DEFAULT.value))
        _ROLLBACK.active = True
        try:
            for layer in self.layers:
                x = layer(x)
        except BaseException:
            for var, value in saved:
                var.value = value
            raise
        finally:
            _ROLLBACK.active = False
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self[i] for i in range(len(self.layers)))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        if not is_int(index):
            raise TypeError(f"{self.name}: index layers with an int or a slice, got {index!r}.")
        if not -len(self.layers) <= index < len(self.layers):
            raise IndexError(f"{self.name}: layer index {index} is out of range for "
                             f"{len(self.layers)} layers.")
        layer = self.layers[index]
        return layer.fun if isinstance(layer, Lambda) else layer


