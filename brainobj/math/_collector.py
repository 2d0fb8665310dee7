"""``Collector``: the ordered dict that ``vars()`` and ``nodes()`` return."""

from __future__ import annotations

from typing import Any


class Collector(dict):
    """An ordered ``dict`` of named Variables or objects, with filters.

    Keys are names (``'Linear0.W'``) or relative paths (``'l1.W'``); a key
    cannot be bound to two different objects.

    Raises:
        KeyError: setting or adding a key that is already bound to another
            object (``c[k] = x``, :meth:`update`, ``|=``, ``+``, ``|``);
            nothing is changed.

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
        """Bind ``key`` to ``value``; binding it again to the same object is a no-op.

        Raises:
            KeyError: ``key`` is already bound to another object (nothing changes).

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector()
            >>> v = bm.Variable(bm.zeros(1))
            >>> c['v'] = v; c['v'] = v
            >>> c['v'] = bm.Variable(bm.zeros(1))
            Traceback (most recent call last):
            ...
            KeyError: "Collector key 'v' is already bound to another object (Variable); names must be unique."
        """
        self._check_unbound(key, value)
        super().__setitem__(key, value)

    def _check_unbound(self, key: Any, value: Any) -> None:
        if key in self and self[key] is not value:
            raise KeyError(
                f"Collector key {key!r} is already bound to another object "
                f"({type(self[key]).__name__}); names must be unique."
            )

    def update(self, other: Any = (), **kwargs: Any) -> "Collector":
        """Add entries from a mapping or ``(key, value)`` pairs; returns ``self``.

        Raises:
            KeyError: an entry would rebind a key to another object; every
                entry is checked first, so nothing is added.

        Example:
            >>> import brainobj.math as bm
            >>> a, b = bm.Variable(bm.zeros(1)), bm.Variable(bm.ones(1))
            >>> list(bm.Collector(a=a).update({'b': b}))
            ['a', 'b']
        """
        items = list(other.items() if hasattr(other, "items") else other)
        items += list(kwargs.items())
        for key, value in items:
            self._check_unbound(key, value)
        dict.update(self, items)
        return self

    def __ior__(self, other: Any) -> "Collector":
        """``c |= other``: :meth:`update`.

        Raises:
            KeyError: as :meth:`update` (nothing is added).

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(a=1)
            >>> c |= {'b': 2}
            >>> c
            Collector({'a': 1, 'b': 2})
        """
        return self.update(other)

    def __or__(self, other: dict) -> "Collector":
        """``c | other`` (also ``c + other``): a new Collector with both.

        Raises:
            KeyError: ``other`` binds a key of ``c`` to another object.

        Example:
            >>> import brainobj.math as bm
            >>> bm.Collector(a=1) + {'b': 2}
            Collector({'a': 1, 'b': 2})
        """
        return type(self)(self).update(other)

    __add__ = __or__

    def subset(self, kind: type) -> "Collector":
        """The entries whose values are instances of ``kind``.

        Raises:
            TypeError: ``kind`` is not a class (or tuple of classes).

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(v=bm.Variable(bm.zeros(1)), t=bm.TrainVar(bm.ones(1)))
            >>> list(c.subset(bm.TrainVar))
            ['t']
        """
        return type(self)((k, v) for k, v in self.items() if isinstance(v, kind))

    def include(self, *kinds: type) -> "Collector":
        """The entries whose values are instances of any of ``kinds``.

        Raises:
            TypeError: one of ``kinds`` is not a class.

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(v=bm.Variable(bm.zeros(1)), t=bm.TrainVar(bm.ones(1)))
            >>> list(c.include(bm.TrainVar, bm.Variable))
            ['v', 't']
        """
        return type(self)((k, v) for k, v in self.items() if isinstance(v, kinds))

    def exclude(self, *kinds: type) -> "Collector":
        """The entries whose values are instances of none of ``kinds``.

        Raises:
            TypeError: one of ``kinds`` is not a class.

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(v=bm.Variable(bm.zeros(1)), t=bm.TrainVar(bm.ones(1)))
            >>> list(c.exclude(bm.TrainVar))
            ['v']
        """
        return type(self)((k, v) for k, v in self.items() if not isinstance(v, kinds))

    def unique(self) -> "Collector":
        """Keep the first key of each distinct object (by identity).

        Raises nothing.

        Example:
            >>> import brainobj.math as bm
            >>> v = bm.Variable(bm.zeros(1))
            >>> list(bm.Collector(a=v, b=v).unique())
            ['a']
        """
        seen: set[int] = set()
        result = type(self)()
        for key, value in self.items():
            if id(value) not in seen:
                seen.add(id(value))
                dict.__setitem__(result, key, value)
        return result

    def dict(self) -> dict:
        """A plain ``dict`` copy.

        Raises nothing.

        Example:
            >>> import brainobj.math as bm
            >>> type(bm.Collector(a=1).dict()).__name__
            'dict'
        """
        return dict(self)

    def __repr__(self) -> str:
        return f"Collector({dict.__repr__(self)})"
