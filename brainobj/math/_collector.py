"""``Collector`` and ``ArrayCollector``: the ordered dicts ``nodes()`` and ``vars()`` return.

They follow BrainPy's ``brainpy.math.Collector`` / ``ArrayCollector``:

* ``subset(type)`` / ``not_subset(type)`` test ``isinstance`` (subclasses
  match), while ``include(*types)`` / ``exclude(*types)`` test the *exact*
  class (``include(bm.Variable)`` leaves out ``TrainVar`` and
  ``RandomState``);
* ``ArrayCollector`` (what ``vars()`` returns; ``TensorCollector`` is the
  same class) holds only Variables, and its ``dict()`` / ``data()`` give the
  Variables' *values*; the plain ``Collector`` (what ``nodes()`` returns)
  gives a plain copy from ``dict()``;
* ``ArrayCollector`` is a JAX pytree, as BrainPy's: its children are its
  values, keyed by ``jax.tree_util.DictKey``, in insertion order (not
  sorted, unlike a ``dict``). A child that is a Variable is itself a pytree
  whose one leaf is its value (read through the transforms' read hook), so
  ``jax.tree.leaves(net.vars())`` are the values and
  ``jax.tree.map(f, net.vars())`` gives a new collector of new (free)
  Variables holding ``f`` of each value, as in BrainPy; map with
  ``is_leaf=lambda x: isinstance(x, bm.Variable)`` (or use ``c.dict()``)
  for arrays. Unflattening accepts any children (arrays, tracers, ``None``):
  ``bm.grad(..., grad_vars=net.train_vars())`` returns its gradients as an
  ``ArrayCollector`` with the same keys, which ``bm.jit`` can return and
  the optimizers take. A collector passed to ``bm.jit`` is state: its
  Variables are managed in place, like a model's;
* the plain ``Collector`` (what ``nodes()`` returns: objects, not arrays)
  is, as in BrainPy, *not* a pytree: JAX sees it as one leaf;
* ``c - other`` removes keys (a dict: keys bound to the same objects; a
  list/tuple: keys, or every key holding a given object);
* ``update([v1, v2])`` adds values under ``'_var<i>'`` keys, as BrainPy
  does; a list of ``(key, value)`` pairs is added as pairs, as ``dict.update``
  does.

A key cannot be bound to two different objects: that raises
:class:`CollectorKeyError`, which is both a ``KeyError`` and (as in BrainPy)
a ``ValueError``.
"""

from __future__ import annotations

from typing import Any, Iterable

import jax.tree_util as jtu

__all__ = ["Collector", "ArrayCollector", "TensorCollector", "CollectorKeyError"]


class CollectorKeyError(KeyError, ValueError):
    """A key bound to another object, or a key to remove that is absent.

    A ``KeyError`` (what brainobj raised before) and a ``ValueError`` (what
    BrainPy raises), so code written for either catches it.
    """

    def __str__(self) -> str:
        # KeyError's str() would quote the message; it is a sentence here.
        return str(self.args[0]) if self.args else ""


class CollectorTypeError(TypeError, ValueError):
    """An argument of the wrong kind (BrainPy raises ``ValueError`` there)."""


def _is_pairs(items: list) -> bool:
    """``[('a', x), ('b', y)]``: ``(key, value)`` pairs as ``dict.update`` takes."""
    return bool(items) and all(
        isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) for item in items
    )


def _flat_types(kinds: tuple) -> tuple:
    """``include(A, (B, C))`` -> ``(A, B, C)``; refuses what is not a class."""
    out: list = []
    for kind in kinds:
        if isinstance(kind, tuple):
            out.extend(_flat_types(kind))
        elif isinstance(kind, type):
            out.append(kind)
        else:
            raise TypeError(f"expected classes (such as bm.TrainVar), got {kind!r}.")
    return tuple(out)


class Collector(dict):
    """An ordered ``dict`` of named Variables or objects, with BrainPy's filters.

    Keys are names (``'Linear0.W'``) or relative paths (``'l1.W'``); a key
    cannot be bound to two different objects.

    Raises:
        CollectorKeyError: (a ``KeyError`` and a ``ValueError``) setting or
            adding a key that is already bound to another object
            (``c[k] = x``, :meth:`update`, ``|=``, ``+``, ``|``); nothing is
            changed.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Net(bp.BrainPyObject):
        ...     def __init__(self, name=None):
        ...         super().__init__(name=name)
        ...         self.w = bm.TrainVar(bm.ones(2))
        ...         self.n = bm.Variable(bm.zeros(1))
        >>> net = Net(name='doc_collector_net')
        >>> list(net.vars().subset(bm.Variable))      # isinstance: TrainVar is a Variable
        ['doc_collector_net.w', 'doc_collector_net.n']
        >>> list(net.vars().include(bm.Variable))     # exact class, as in BrainPy
        ['doc_collector_net.n']
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        """Bind ``key`` to ``value``; binding it again to the same object is a no-op.

        Raises:
            CollectorKeyError: ``key`` is already bound to another object
                (nothing changes).

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector()
            >>> v = bm.Variable(bm.zeros(1))
            >>> c['v'] = v; c['v'] = v
            >>> c['v'] = bm.Variable(bm.zeros(1))
            Traceback (most recent call last):
            ...
            brainobj.math._collector.CollectorKeyError: Collector key 'v' is already bound to another object (Variable); names must be unique. Use c.replace(key, value) to rebind it.
        """
        self._check_value(key, value)
        self._check_unbound(key, value)
        super().__setitem__(key, value)

    def _check_value(self, key: Any, value: Any) -> None:
        """Subclasses restrict what may be stored (ArrayCollector: Variables)."""

    def _check_unbound(self, key: Any, value: Any) -> None:
        if key in self and self[key] is not value:
            raise CollectorKeyError(
                f"{type(self).__name__} key {key!r} is already bound to another object "
                f"({type(self[key]).__name__}); names must be unique. Use "
                "c.replace(key, value) to rebind it."
            )

    def replace(self, key: Any, new_value: Any) -> None:
        """Bind ``key`` to ``new_value``, whatever it was bound to (BrainPy's ``replace``).

        Raises:
            KeyError: ``key`` is not in the collector (as BrainPy).
            TypeError: (ArrayCollector) ``new_value`` is not a Variable.
                Nothing changes on either.

        Example:
            >>> import brainobj.math as bm
            >>> a, b = bm.Variable(bm.zeros(1)), bm.Variable(bm.ones(1))
            >>> c = bm.Collector(k=a)
            >>> c.replace('k', b)
            >>> c['k'] is b
            True
        """
        if key not in self:
            raise KeyError(f"{type(self).__name__}.replace: no key {key!r}; the keys are {list(self)}.")
        self._check_value(key, new_value)
        dict.__setitem__(self, key, new_value)

    def update(self, other: Any = (), **kwargs: Any) -> "Collector":
        """Add entries; returns ``self``.

        ``other`` is a mapping, a list/tuple of values (added under keys
        ``'_var<i>'``, ``i`` counting on from ``len(self)``, as BrainPy does),
        or a list of ``(str key, value)`` pairs (added as pairs, as
        ``dict.update`` does).

        Raises:
            CollectorKeyError: an entry would rebind a key to another object.
            CollectorTypeError: (a ``TypeError`` and a ``ValueError``)
                ``other`` is not a dict, list or tuple.
            TypeError: (ArrayCollector) a value is not a Variable. Every
                entry is checked first, so nothing is added on error.

        Example:
            >>> import brainobj.math as bm
            >>> a, b = bm.Variable(bm.zeros(1)), bm.Variable(bm.ones(1))
            >>> list(bm.Collector(a=a).update({'b': b}))
            ['a', 'b']
            >>> list(bm.Collector(a=a).update([b]))     # BrainPy: values get '_var<i>' keys
            ['a', '_var1']
        """
        if hasattr(other, "items"):
            items = list(other.items())
        elif isinstance(other, (list, tuple)):
            items = list(other)
            if not _is_pairs(items):
                start = len(self)
                items = [(f"_var{start + i}", value) for i, value in enumerate(items)]
        else:
            raise CollectorTypeError(
                f"{type(self).__name__}.update: expected a dict, list or tuple, got "
                f"{type(other).__name__}."
            )
        items += list(kwargs.items())
        staged: dict = {}
        for key, value in items:
            self._check_value(key, value)
            if key in staged and staged[key] is not value:
                raise CollectorKeyError(f"{type(self).__name__}.update: key {key!r} is given "
                                        "twice with different objects.")
            staged[key] = value
            self._check_unbound(key, value)
        dict.update(self, staged)
        return self

    def __ior__(self, other: Any) -> "Collector":
        """``c |= other``: :meth:`update`.

        Raises:
            CollectorKeyError: as :meth:`update` (nothing is added).

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(a=1)
            >>> c |= {'b': 2}
            >>> c
            Collector({'a': 1, 'b': 2})
        """
        return self.update(other)

    def __or__(self, other: Any) -> "Collector":
        """``c | other`` (also ``c + other``): a new collector with both.

        Raises:
            CollectorKeyError: ``other`` binds a key of ``c`` to another object.

        Example:
            >>> import brainobj.math as bm
            >>> bm.Collector(a=1) + {'b': 2}
            Collector({'a': 1, 'b': 2})
        """
        return type(self)(self).update(other)

    __add__ = __or__

    def __sub__(self, other: Any) -> "Collector":
        """``c - other``: a new collector without some entries (BrainPy's semantics).

        ``other`` is a dict (each key removed, and it must be bound to the
        same object here) or a list/tuple of keys (str) and objects (every
        key bound to that object is removed).

        Raises:
            CollectorKeyError: a key or object of ``other`` is not in ``c``,
                or a dict binds a key to another object than ``c`` does.
            CollectorTypeError: ``other`` is not a dict, list or tuple.
                ``c`` itself never changes.

        Example:
            >>> import brainobj.math as bm
            >>> a, b = bm.Variable(bm.zeros(1)), bm.Variable(bm.ones(1))
            >>> c = bm.Collector(x=a, y=b, z=a)
            >>> list(c - {'y': b}), list(c - [a]), list(c - ('y',))
            (['x', 'z'], ['y'], ['x', 'z'])
        """
        name = type(self).__name__
        remove: list = []
        if isinstance(other, dict):
            for key, value in other.items():
                if key not in self:
                    raise CollectorKeyError(f"{name} - dict: cannot remove {key!r}, it is not "
                                            f"a key; the keys are {list(self)}.")
                if self[key] is not value:
                    raise CollectorKeyError(f"{name} - dict: cannot remove {key!r}: it is bound "
                                            f"to another object ({type(self[key]).__name__}) "
                                            f"than the one given ({type(value).__name__}).")
                remove.append(key)
        elif isinstance(other, (list, tuple)):
            keys_of: dict[int, list] = {}
            for key, value in self.items():
                keys_of.setdefault(id(value), []).append(key)
            for item in other:
                if isinstance(item, str):
                    if item not in self:
                        raise CollectorKeyError(f"{name} - list: cannot remove {item!r}, it is "
                                                f"not a key; the keys are {list(self)}.")
                    remove.append(item)
                elif id(item) in keys_of:
                    remove.extend(keys_of[id(item)])
                else:
                    raise CollectorKeyError(f"{name} - list: cannot remove a "
                                            f"{type(item).__name__} that no key is bound to.")
        else:
            raise CollectorTypeError(f"{name} - other: expected a dict, list or tuple, got "
                                     f"{type(other).__name__}.")
        gone = set(remove)
        result = type(self)()
        dict.update(result, ((k, v) for k, v in self.items() if k not in gone))
        return result

    def subset(self, var_type: Any) -> "Collector":
        """The entries whose values are instances of ``var_type`` (subclasses included).

        Raises:
            TypeError: ``var_type`` is not a class (or tuple of classes).

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(v=bm.Variable(bm.zeros(1)), t=bm.TrainVar(bm.ones(1)))
            >>> list(c.subset(bm.TrainVar)), list(c.subset(bm.Variable))
            (['t'], ['v', 't'])
        """
        return self._filtered(lambda v: isinstance(v, var_type))

    def not_subset(self, var_type: Any) -> "Collector":
        """The entries whose values are not instances of ``var_type`` (subclasses included).

        Raises:
            TypeError: ``var_type`` is not a class (or tuple of classes).

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(v=bm.Variable(bm.zeros(1)), t=bm.TrainVar(bm.ones(1)))
            >>> list(c.not_subset(bm.TrainVar))
            ['v']
        """
        return self._filtered(lambda v: not isinstance(v, var_type))

    def include(self, *types: type) -> "Collector":
        """The entries whose value's class is exactly one of ``types`` (as BrainPy).

        Subclasses do not match: ``include(bm.Variable)`` leaves out
        ``TrainVar`` and ``RandomState``; use :meth:`subset` for that.

        Raises:
            TypeError: one of ``types`` is not a class.

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(v=bm.Variable(bm.zeros(1)), t=bm.TrainVar(bm.ones(1)))
            >>> list(c.include(bm.Variable)), list(c.include(bm.TrainVar, bm.Variable))
            (['v'], ['v', 't'])
        """
        kinds = _flat_types(types)
        return self._filtered(lambda v: type(v) in kinds)

    def exclude(self, *types: type) -> "Collector":
        """The entries whose value's class is none of ``types`` exactly (as BrainPy).

        Raises:
            TypeError: one of ``types`` is not a class.

        Example:
            >>> import brainobj.math as bm
            >>> c = bm.Collector(v=bm.Variable(bm.zeros(1)), t=bm.TrainVar(bm.ones(1)))
            >>> list(c.exclude(bm.Variable)), list(c.exclude(bm.TrainVar))
            (['t'], ['v'])
        """
        kinds = _flat_types(types)
        return self._filtered(lambda v: type(v) not in kinds)

    def _filtered(self, keep: Any) -> "Collector":
        result = type(self)()
        dict.update(result, ((k, v) for k, v in self.items() if keep(v)))
        return result

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
        """A plain ``dict`` copy (the objects themselves; see ``ArrayCollector.dict``).

        Raises nothing.

        Example:
            >>> import brainobj.math as bm
            >>> type(bm.Collector(a=1).dict()).__name__
            'dict'
        """
        return dict(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


class ArrayCollector(Collector):
    """A :class:`Collector` of Variables: what ``vars()`` and ``train_vars()`` return.

    As BrainPy's: only Variables may be stored with ``c[k] = v`` /
    :meth:`update`, and :meth:`dict` and :meth:`data` give their values.
    It is a JAX pytree (see the module docstring): JAX rebuilds it with any
    children, so a collector of gradients (arrays, or ``None`` for integer
    Variables) is an ``ArrayCollector`` too. ``bm.TensorCollector`` is the
    same class.

    Raises:
        TypeError: storing a value that is not a Variable (nothing changes).
        CollectorKeyError: as :class:`Collector`.

    Example:
        >>> import jax, brainobj as bp, brainobj.math as bm
        >>> c = bm.ArrayCollector(w=bm.Variable(bm.ones(2)))
        >>> c.dict()
        {'w': Array([1., 1.], dtype=float32)}
        >>> c['x'] = 3.0
        Traceback (most recent call last):
        ...
        TypeError: ArrayCollector['x']: expected a Variable, got float.
        >>> jax.tree.leaves(c)
        [Array([1., 1.], dtype=float32)]
        >>> (path, leaf), = jax.tree_util.tree_flatten_with_path(c)[0]
        >>> jax.tree_util.keystr(path)
        "['w'].value"
        >>> doubled = jax.tree.map(lambda v: v.value * 2, c, is_leaf=lambda x: isinstance(x, bm.Variable))
        >>> doubled
        ArrayCollector({'w': Array([2., 2.], dtype=float32)})
    """

    def _check_value(self, key: Any, value: Any) -> None:
        from ._variable import Variable  # _variable imports this module's users, not it

        if not isinstance(value, Variable):
            raise TypeError(f"{type(self).__name__}[{key!r}]: expected a Variable, got "
                            f"{type(value).__name__}.")

    def dict(self) -> dict:
        """``{key: value}``: each Variable's current value (as BrainPy).

        An entry that is not a Variable is given as it is.

        Raises nothing.

        Example:
            >>> import brainobj.math as bm
            >>> bm.ArrayCollector(w=bm.Variable(bm.zeros(1))).dict()
            {'w': Array([0.], dtype=float32)}
        """
        return {key: _value_of(var) for key, var in self.items()}

    def data(self) -> list:
        """The Variables' values, in order (BrainPy's ``data()``, a method).

        Raises nothing.

        Example:
            >>> import brainobj.math as bm
            >>> bm.ArrayCollector(w=bm.Variable(bm.zeros(1))).data()
            [Array([0.], dtype=float32)]
        """
        return [_value_of(var) for var in self.values()]


TensorCollector = ArrayCollector


def _collector_flatten_with_keys(c: ArrayCollector) -> tuple[list, tuple]:
    keys = tuple(c.keys())
    return [(jtu.DictKey(k), v) for k, v in c.items()], keys


def _collector_flatten(c: ArrayCollector) -> tuple[list, tuple]:
    return list(c.values()), tuple(c.keys())


def _collector_unflatten(keys: tuple, children: Iterable[Any]) -> ArrayCollector:
    # No checks: JAX rebuilds with whatever it carries (gradients, tracers,
    # None placeholders, ShapeDtypeStructs), and the keys came from a
    # collector, so they are unique.
    c = ArrayCollector.__new__(ArrayCollector)
    dict.update(c, zip(keys, children))
    return c


jtu.register_pytree_with_keys(
    ArrayCollector, _collector_flatten_with_keys, _collector_unflatten, _collector_flatten,
)


def _value_of(item: Any) -> Any:
    value = getattr(item, "value", item)
    return value
