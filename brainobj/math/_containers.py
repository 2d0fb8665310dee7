"""Lists and dicts that tell the transforms when their contents change.

A transform caches a plan per object structure and only re-checks the
structure when ``STRUCTURE.version`` moves. Plain ``list``/``dict`` mutate
silently, so every list or dict stored on a ``BrainPyObject`` is turned into
one of these observed subclasses (and ``NodeList``/``VarList``/... derive from
them). They behave exactly like ``list``/``dict`` otherwise.
"""

from __future__ import annotations

from typing import Any, Iterable

import jax.tree_util as jtu

from ._state import bump_structure_version


class ObservedList(list):
    """A ``list`` that bumps the structure version when mutated."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(self._accept(i, x) for i, x in enumerate(items))

    def _check_item(self, index: Any, item: Any) -> Any:
        """Validate one item; subclasses raise on items they cannot hold."""
        return item

    def _accept(self, index: Any, item: Any) -> Any:
        # Lists and dicts put in later must be observed too, or mutating
        # them would go unnoticed by the transforms' cached plans.
        return observe(self._check_item(index, item))

    def _changed(self) -> None:
        bump_structure_version()

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            value = [self._accept(index, v) for v in value]
        else:
            value = self._accept(index, value)
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index):
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, other):
        self.extend(other)
        return self

    def __imul__(self, n):
        result = super().__imul__(n)
        self._changed()
        return result

    def append(self, item: Any) -> None:
        super().append(self._accept(len(self), item))
        self._changed()

    def extend(self, items: Iterable[Any]) -> None:
        start = len(self)
        # Check every item before inserting any: a bad item changes nothing.
        accepted = [self._accept(start + i, x) for i, x in enumerate(items)]
        super().extend(accepted)
        self._changed()

    def insert(self, index, item) -> None:
        super().insert(index, self._accept(index, item))
        self._changed()

    def pop(self, index=-1):
        item = super().pop(index)
        self._changed()
        return item

    def remove(self, item) -> None:
        # list.remove compares with ==, which on arrays and Variables is
        # elementwise; identity is what a container of state means.
        for i, x in enumerate(self):
            if x is item:
                del self[i]
                return
        raise ValueError(f"{type(self).__name__}.remove(x): x not in list")

    def clear(self) -> None:
        super().clear()
        self._changed()

    def sort(self, *args, **kwargs) -> None:
        super().sort(*args, **kwargs)
        self._changed()

    def reverse(self) -> None:
        super().reverse()
        self._changed()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)})"


class ObservedDict(dict):
    """A ``dict`` that bumps the structure version when mutated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        for key, value in dict(*args, **kwargs).items():
            dict.__setitem__(self, key, self._accept(key, value))

    def _check_item(self, key: Any, item: Any) -> Any:
        """Validate one item; subclasses raise on items they cannot hold."""
        return item

    def _accept(self, key: Any, item: Any) -> Any:
        return observe(self._check_item(key, item))

    def _changed(self) -> None:
        bump_structure_version()

    def __setitem__(self, key, value):
        super().__setitem__(key, self._accept(key, value))
        self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other):
        self.update(other)
        return self

    def update(self, *args, **kwargs) -> None:
        # Check every item before inserting any: a bad item changes nothing.
        accepted = {k: self._accept(k, v) for k, v in dict(*args, **kwargs).items()}
        dict.update(self, accepted)
        self._changed()

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key, *default):
        result = super().pop(key, *default)
        self._changed()
        return result

    def popitem(self):
        result = super().popitem()
        self._changed()
        return result

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


def register_list_type(cls: type) -> type:
    """Register an ``ObservedList`` subclass as a pytree (a list of children)."""

    def flatten_with_keys(x):
        return [(jtu.SequenceKey(i), v) for i, v in enumerate(x)], None

    def unflatten(_, children):
        new = cls.__new__(cls)
        list.extend(new, children)
        return new

    jtu.register_pytree_with_keys(
        cls, flatten_with_keys, unflatten, lambda x: (list(x), None)
    )
    return cls


def register_dict_type(cls: type) -> type:
    """Register an ``ObservedDict`` subclass as a pytree (keys in insertion order)."""

    def flatten_with_keys(x):
        return [(jtu.DictKey(k), v) for k, v in x.items()], tuple(x.keys())

    def unflatten(keys, children):
        new = cls.__new__(cls)
        for k, v in zip(keys, children):
            dict.__setitem__(new, k, v)
        return new

    jtu.register_pytree_with_keys(
        cls, flatten_with_keys, unflatten, lambda x: (list(x.values()), tuple(x.keys()))
    )
    return cls


register_list_type(ObservedList)
register_dict_type(ObservedDict)


def observe(value: Any) -> Any:
    """Turn plain lists/dicts (also nested in tuples) into observed ones."""
    kind = type(value)
    if kind is list:
        return ObservedList(observe(v) for v in value)
    if kind is dict:
        return ObservedDict({k: observe(v) for k, v in value.items()})
    if kind is tuple:
        return tuple(observe(v) for v in value)
    return value
