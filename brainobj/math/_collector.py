"""``Collector``: the ordered dict that ``vars()`` and ``nodes()`` return."""

from __future__ import annotations

from typing import Any


class Collector(dict):
    """An ordered ``dict`` of named Variables or objects, with filters.

    Keys are names (``'Linear0.W'``) or relative paths (``'l1.W'``); a key
    cannot be bound to two different objects.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Net(bp.BrainPyObject):
        ...     def __init__(self, name=None):
        ...         super().__init__(name=name)
        ...         self.w = bm.TrainVar(bm.ones(2))
        ...         self.n = bm.Variable(bm.zeros(1))
        >>> list(Net(name='net').vars().subset(bm.TrainVar))
        ['net.w']
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_unbound(key, value)
        super().__setitem__(key, value)

    def _check_unbound(self, key: Any, value: Any) -> None:
        if key in self and self[key] is not value:
            raise KeyError(
                f"Collector key {key!r} is already bound to another object "
                f"({type(self[key]).__name__}); names must be unique."
            )

    def update(self, other: Any = (), **kwargs: Any) -> "Collector":
        """Add entries; rebinding a key to another object raises, changing nothing."""
        items = list(other.items() if hasattr(other, "items") else other)
        items += list(kwargs.items())
        for key, value in items:
            self._check_unbound(key, value)
        dict.update(self, items)
        return self

    def __ior__(self, other: Any) -> "Collector":
        return self.update(other)

    def __or__(self, other: dict) -> "Collector":
        return type(self)(self).update(other)

    __add__ = __or__

    def subset(self, kind: type) -> "Collector":
        """The entries whose values are instances of ``kind``."""
        return type(self)((k, v) for k, v in self.items() if isinstance(v, kind))

    def include(self, *kinds: type) -> "Collector":
        """The entries whose values are instances of any of ``kinds``."""
        return type(self)((k, v) for k, v in self.items() if isinstance(v, kinds))

    def exclude(self, *kinds: type) -> "Collector":
        """The entries whose values are instances of none of ``kinds``."""
        return type(self)((k, v) for k, v in self.items() if not isinstance(v, kinds))

    def unique(self) -> "Collector":
        """Keep the first key of each distinct object (by identity)."""
        seen: set[int] = set()
        result = type(self)()
        for key, value in self.items():
            if id(value) not in seen:
                seen.add(id(value))
                dict.__setitem__(result, key, value)
        return result

    def dict(self) -> dict:
        """A plain ``dict`` copy."""
        return dict(self)

    def __repr__(self) -> str:
        return f"Collector({dict.__repr__(self)})"
