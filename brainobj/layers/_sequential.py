"""``Sequential``: layers (objects or plain functions) called in order."""

from __future__ import annotations

from typing import Any, Callable

from .. import math as bm
from ._base import Layer

__all__ = ["Sequential", "Lambda"]


class Lambda(Layer):
    """A plain function (``bm.relu``) as a layer; it holds no state."""

    def __init__(self, fun: Callable, name: str | None = None) -> None:
        if not callable(fun):
            raise TypeError(f"Lambda needs a callable, got {type(fun).__name__}")
        self.fun = fun

    def update(self, *args: Any, **kwargs: Any) -> Any:
        return self.fun(*args, **kwargs)

    def describe(self) -> str:
        return getattr(self.fun, "__name__", repr(self.fun))


class Sequential(Layer):
    """Call ``layers`` one after the other, each on the previous one's output.

    A layer is any object (a ``BrainPyObject`` with ``__call__``) or a plain
    function such as ``bm.relu``. BrainPy's older call form
    ``net(shared, x)`` is accepted when ``shared`` is an empty dict.
    Indexing gives a layer; slicing gives a ``Sequential`` sharing them.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> net = bp.Sequential(bp.Linear(3, 4), bm.relu, bp.Linear(4, 1))
        >>> net(bm.ones((2, 3))).shape
        (2, 1)
        >>> print(net)  # doctest: +ELLIPSIS
        Sequential(
          [0] Linear...
          [1] relu
          [2] Linear...
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
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self[i] for i in range(len(self.layers)))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        layer = self.layers[index]
        return layer.fun if isinstance(layer, Lambda) else layer

    def __repr__(self) -> str:
        lines = [f"  [{i}] {_describe(layer)}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


def _describe(layer: Any) -> str:
    return layer.describe() if isinstance(layer, Lambda) else layer.name
