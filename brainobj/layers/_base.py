"""``Layer``: the base class of brainobj's layers."""

from __future__ import annotations

import numbers
from typing import Any

from .. import math as bm

__all__ = ["Layer", "is_int", "positive_int"]


def is_int(value: Any) -> bool:
    """A Python or NumPy integer; ``True`` is no size, and ``3.0`` or ``'3'`` are not ints."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(owner: str, what: str, value: Any) -> int:
    """``value`` as a positive ``int``, else ``TypeError``/``ValueError`` naming it."""
    if not is_int(value):
        raise TypeError(f"{owner}: {what} must be a positive int, got {value!r} "
                        f"({type(value).__name__}).")
    if value <= 0:
        raise ValueError(f"{owner}: {what} must be a positive int, got {value!r}.")
    return int(value)


class Layer(bm.BrainPyObject):
    """A model component with a ``training`` flag; calling it runs :meth:`update`.

    New layers start in training mode; ``model.eval()`` / ``model.train()``
    switch every layer under ``model`` (see :meth:`BrainPyObject.train`).
    """

    training: bool = True

    def update(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define update(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.update(*args, **kwargs)
