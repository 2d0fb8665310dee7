"""Lists and dicts stored on objects: they record their changes.

A compiled function's plan depends on the structure of the objects it was
built for. Each object and each container stored on one carries a *stamp*
(:class:`Stamp`), touched by every structural change (an attribute set or
deleted, an item added, replaced or removed). A plan registers with the
stamps of everything it walked; touching a stamp marks exactly those plans
stale, so a change to one object re-checks only the plans that depend on
it, and a plan's own test is a single flag.

Plain ``list``/``dict`` mutate silently, so every list or dict stored on a
``BrainPyObject`` becomes one of the observed subclasses here (and
``NodeList``/``VarList``/... derive from them). They behave like
``list``/``dict``, except that inside a transform a container that existed
before the trace refuses to change: the change could not be undone, and a
traced value stored in it would leak.
"""

from __future__ import annotations

from typing import Any, Iterable

import jax.tree_util as jtu

from ._errors import MathError
from ._tracing import THREAD

__all__ = ["Stamp", "ObservedList", "ObservedDict", "observe", "EPOCH"]


class Stamp:
    """A structure counter, and the plans that depend on the structure.

    ``plans`` holds weak references to objects with a ``valid`` flag; a
    touch clears the flag of each and forgets them.
    """

    __slots__ = ("count", "plans")

    def __init__(self) -> None:
        self.count = 0
        self.plans: list = []

    def watch(self, count: int, plan_ref: Any) -> bool:
        """Register a plan built when the count was ``count``; False if stale already."""
        plans = self.plans
        if len(plans) >= 32:  # plans die without telling: drop the dead ones now and then
            plans[:] = [ref for ref in plans if ref() is not None]
        plans.append(plan_ref)
        return self.count == count


class _Epoch:
    """Bumped with every stamp: "did anything change anywhere?" for caches
    that cannot know which objects they depend on (the cycle check)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


EPOCH = _Epoch()


def touch(stamp: Stamp) -> None:
    stamp.count += 1
    EPOCH.count += 1
    plans = stamp.plans
    if plans:
        stamp.plans = []
        for ref in plans:
            plan = ref()
            if plan is not None:
                plan.valid = False


def born_token() -> int | None:
    """The token of this thread's innermost frame: objects and containers
    made inside a trace may change freely inside it."""
    stack = THREAD.frames
    return stack[-1].token if stack else None


def is_temporary(born: int | None) -> bool:
    return born is not None and any(frame.token == born for frame in THREAD.frames)


class _Observed:
    """What observed lists and dicts share: a stamp, a birth frame, a label."""

    _label: str | None = None

    def _setup(self) -> None:
        self._stamp = Stamp()
        self._born = born_token()

    def _check_item(self, key: Any, item: Any) -> Any:
        """Validate one item; subclasses raise on items they cannot hold."""
        return item

    def _accept(self, key: Any, item: Any) -> Any:
        # Lists and dicts put in later must be observed too, or mutating
        # them would go unnoticed by the plans.
        return observe(self._check_item(key, item))

    def _guard(self, what: str) -> None:
        """Refuse a change inside a transform (before anything changed)."""
        if THREAD.frames and not is_temporary(self.__dict__.get("_born")):
            where = self._label or f"a {type(self).__name__}"
            raise MathError(
                f"{where}: cannot {what} inside a brainobj transform "
                f"({THREAD.frames[-1].owner}); the change would not be undone on failure and "
                "a traced value stored in it would leak. Keep per-step state in Variables "
                "(e.g. a preallocated `bm.Variable` history indexed by step), or change the "
                "container outside the transform."
            )

    def _changed(self) -> None:
        stamp = self.__dict__.get("_stamp")
        if stamp is None:  # rebuilt by unflatten: give it bookkeeping now
            self._setup()
            stamp = self._stamp
        touch(stamp)


class ObservedList(_Observed, list):
    """A ``list`` that records its changes (see the module notes)."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._setup()
        super().__init__(self._accept(i, x) for i, x in enumerate(items))

    def __setitem__(self, index, value):
        self._guard("replace an item of a list")
        if isinstance(index, slice):
            value = [self._accept(index, v) for v in value]
        else:
            value = self._accept(index, value)
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index):
        self._guard("delete an item of a list")
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, other):
        self.extend(other)
        return self

    def __imul__(self, n):
        self._guard("repeat a list")
        result = super().__imul__(n)
        self._changed()
        return result

    def append(self, item: Any) -> None:
        self._guard("append to a list")
        super().append(self._accept(len(self), item))
        self._changed()

    def extend(self, items: Iterable[Any]) -> None:
        self._guard("extend a list")
        start = len(self)
        # Check every item before inserting any: a bad item changes nothing.
        accepted = [self._accept(start + i, x) for i, x in enumerate(items)]
        super().extend(accepted)
        self._changed()

    def insert(self, index, item) -> None:
        self._guard("insert into a list")
        super().insert(index, self._accept(index, item))
        self._changed()

    def pop(self, index=-1):
        self._guard("pop from a list")
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
        self._guard("clear a list")
        super().clear()
        self._changed()

    def sort(self, *args, **kwargs) -> None:
        self._guard("sort a list")
        super().sort(*args, **kwargs)
        self._changed()

    def reverse(self) -> None:
        self._guard("reverse a list")
        super().reverse()
        self._changed()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)})"


class ObservedDict(_Observed, dict):
    """A ``dict`` that records its changes (see the module notes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._setup()
        super().__init__()
        for key, value in dict(*args, **kwargs).items():
            dict.__setitem__(self, key, self._accept(key, value))

    def __setitem__(self, key, value):
        self._guard("set an item of a dict")
        super().__setitem__(key, self._accept(key, value))
        self._changed()

    def __delitem__(self, key):
        self._guard("delete an item of a dict")
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other):
        self.update(other)
        return self

    def update(self, *args, **kwargs) -> None:
        self._guard("update a dict")
        # Check every item before inserting any: a bad item changes nothing.
        accepted = {k: self._accept(k, v) for k, v in dict(*args, **kwargs).items()}
        dict.update(self, accepted)
        self._changed()

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key, *default):
        self._guard("pop from a dict")
        result = super().pop(key, *default)
        self._changed()
        return result

    def popitem(self):
        self._guard("pop from a dict")
        result = super().popitem()
        self._changed()
        return result

    def clear(self) -> None:
        self._guard("clear a dict")
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
        new._setup()
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
        new._setup()
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


def stamp_of(container: Any) -> Stamp | None:
    """The stamp of an observed container (``None`` for plain ones)."""
    if isinstance(container, _Observed):
        stamp = container.__dict__.get("_stamp")
        if stamp is None:
            container._setup()
            stamp = container._stamp
        return stamp
    return None
