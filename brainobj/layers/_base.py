"""``Layer``: the base class of brainobj's layers."""

from __future__ import annotations

from typing import Any

from .. import math as bm

__all__ = ["Layer"]


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
