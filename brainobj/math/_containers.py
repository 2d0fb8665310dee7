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

What a stored container may hold is checked here too, before anything
changes, because ``vars()`` and checkpoints name state by its path:

* a ``set``/``frozenset`` cannot hold Variables or objects: its elements
  have no key, so they would have no stable name (``vars()`` and
  checkpoints would silently leave them out);
* two keys of one dict that read the same as text (``0`` and ``'0'``,
  ``True`` and ``'True'``) cannot both hold state: ``vars()`` names an
  entry by its key's text, so the two would get the same name.

The kinds of state (``Variable``, ``BrainPyObject``) are defined in modules
above this one; they register themselves with :func:`register_state_types`.
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

    def __reduce__(self) -> tuple:
        # Plans belong to this process (and weak references cannot be
        # pickled): a pickled container or object starts with a fresh stamp.
        return (Stamp, ())

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


# -- what containers may hold ---------------------------------------------------------

_STATE_TYPES: tuple = ()   # (Variable, GraphNode), registered by _graph
_ON_STORE: list = []       # callbacks run on items stored into a container (naming copies)


def register_state_types(*kinds: type) -> None:
    """Tell this module which types are state (``Variable``, the object base).

    Raises nothing. Called once, by ``_graph``.

    Example:
        >>> from brainobj.math import _containers
        >>> [kind.__name__ for kind in _containers._STATE_TYPES]
        ['Variable', 'GraphNode']
    """
    global _STATE_TYPES
    _STATE_TYPES = tuple(kinds)


def holds_state(value: Any) -> bool:
    """Whether ``value`` is a Variable or an object, or a list, tuple, dict,
    set or frozenset holding one at any depth.

    Raises nothing (``RecursionError`` on a list that contains itself).

    Example:
        >>> import brainobj.math as bm
        >>> holds_state([1, {'a': (bm.Variable(bm.zeros(1)),)}]), holds_state({1, 'a'})
        (True, False)
    """
    if isinstance(value, _STATE_TYPES):
        return True
    if isinstance(value, dict):
        return any(holds_state(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(holds_state(v) for v in value)
    return False


def may_hold_state(value: Any) -> bool:
    """Whether ``value`` is state or a list, tuple or dict (which may come to hold state).

    Raises nothing.

    Example:
        >>> may_hold_state([]), may_hold_state('text')
        (True, False)
    """
    return isinstance(value, _STATE_TYPES) or isinstance(value, (list, tuple, dict))


def _where(label: str | None, container: Any) -> str:
    if label is not None:
        return label
    kind = type(container).__name__
    return f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind}"


def _item_label(label: str | None, key: Any) -> str | None:
    return None if label is None else f"{label}[{key!r}]"


def _refuse_state_in_set(value: Any, label: str | None) -> None:
    for item in value:
        if holds_state(item):
            if not isinstance(item, _STATE_TYPES):
                kind, found = "Variables", f"a {type(item).__name__} holding state"
            elif hasattr(item, "label"):
                kind, found = "Variables", item.label
            else:
                kind, found = "objects", f"the object {item.name}"
            raise MathError(
                f"{_where(label, value)}: a set cannot hold {kind} (they have no stable "
                f"name); use a list or dict (found {found}). A set's elements have no key, "
                "so vars(), nodes() and checkpoints would leave them out. Nothing was changed."
            )


def key_text(key: Any) -> str:
    """The text that names a dict entry (``str(key)``; a str is itself).

    Raises whatever ``str(key)`` raises (for builtin keys, nothing).

    Example:
        >>> key_text(0), key_text('0'), key_text((1, 2))
        ('0', '0', '(1, 2)')
    """
    return key if isinstance(key, str) else str(key)


def _twin_error(label: str | None, container: Any, first: Any, second: Any) -> MathError:
    return MathError(
        f"{_where(label, container)}: keys {first!r} and {second!r} would both be named "
        f"{key_text(second)!r} in vars() and checkpoints (an entry is named by its key's "
        "text), so one would hide the other. Use keys that differ as text, e.g. all ints "
        "or all strs. Nothing was changed."
    )


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
        # them would go unnoticed by the plans; sets are checked for state.
        item = self._check_item(key, item)
        kind = type(item)
        if kind is list or kind is dict or kind is tuple:
            return observe(item, _item_label(self._label, key))
        if isinstance(item, (set, frozenset)):
            _refuse_state_in_set(item, f"{_where(self._label, self)}[{key!r}]")
        return item

    def _stored(self, items: Iterable[Any]) -> None:
        """Run the store callbacks on items that were just stored."""
        if _ON_STORE:
            for item in items:
                if isinstance(item, _STATE_TYPES) or isinstance(item, (list, tuple, dict)):
                    for callback in _ON_STORE:
                        callback(item)

    def _guard(self, what: str) -> None:
        """Refuse a change inside a transform (before anything changed)."""
        if THREAD.frames and not is_temporary(self.__dict__.get("_born")):
            where = _where(self._label, self)
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
    """A ``list`` that records its changes (see the module notes).

    Raises:
        MathError: a change inside a transform the list existed before; an
            item that is (or holds) a set or frozenset holding Variables or
            objects. Nothing is changed: items are checked before any is added.

    Example:
        >>> import brainobj.math as bm
        >>> from brainobj.math._containers import ObservedList
        >>> items = ObservedList([1, [2]])
        >>> type(items[1]).__name__
        'ObservedList'
        >>> items.append({bm.Variable(bm.zeros(1))})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        brainobj.math._errors.MathError: an ObservedList[2]: a set cannot hold Variables ...
        >>> len(items)
        2
    """

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
        self._stored(value if isinstance(index, slice) else (value,))

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
        item = self._accept(len(self), item)
        super().append(item)
        self._changed()
        self._stored((item,))

    def extend(self, items: Iterable[Any]) -> None:
        self._guard("extend a list")
        start = len(self)
        # Check every item before inserting any: a bad item changes nothing.
        accepted = [self._accept(start + i, x) for i, x in enumerate(items)]
        super().extend(accepted)
        self._changed()
        self._stored(accepted)

    def insert(self, index, item) -> None:
        self._guard("insert into a list")
        item = self._accept(index, item)
        super().insert(index, item)
        self._changed()
        self._stored((item,))

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
    """A ``dict`` that records its changes (see the module notes).

    Raises:
        MathError: a change inside a transform the dict existed before; a
            value that is (or holds) a set or frozenset holding Variables or
            objects; two keys that read the same (``0`` and ``'0'``) both
            holding state (or containers, which may come to). Nothing is
            changed: entries are checked before any is added.

    Example:
        >>> import brainobj.math as bm
        >>> from brainobj.math._containers import ObservedDict
        >>> table = ObservedDict({0: bm.Variable(bm.zeros(1)), '0': 'a note'})
        >>> table['0'] = bm.Variable(bm.ones(1))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        brainobj.math._errors.MathError: an ObservedDict: keys 0 and '0' would both be named '0' ...
        >>> table['0']
        'a note'
    """

    _mixed: bool | None = None  # holds a key that is not a str (None: not known yet)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._setup()
        super().__init__()
        entries = {key: self._accept(key, value) for key, value in dict(*args, **kwargs).items()}
        self._check_names(entries)
        dict.update(self, entries)

    # -- names: two keys that read the same cannot both hold state -------------------
    def _has_mixed(self) -> bool:
        mixed = self.__dict__.get("_mixed")
        if mixed is None:
            mixed = any(not isinstance(k, str) for k in self)
            self._mixed = mixed
        return mixed

    def _check_names(self, entries: dict) -> None:
        """Refuse ``entries`` (to be merged into this dict) if two keys of the
        result read the same and both hold (or may come to hold) state."""
        if all(isinstance(k, str) for k in entries) and (not self or not self._has_mixed()):
            return  # only str keys: distinct keys are distinct texts
        seen: dict[str, Any] = {}
        for key, value in self.items():
            if key not in entries and may_hold_state(value):
                seen[key_text(key)] = key
        for key, value in entries.items():
            if not may_hold_state(value):
                continue
            text = key_text(key)
            if text in seen:
                raise _twin_error(self._label, self, seen[text], key)
            seen[text] = key
        self._mixed = self._has_mixed() or not all(isinstance(k, str) for k in entries)

    def _check_name(self, key: Any, value: Any) -> None:
        """:meth:`_check_names` for one entry, without a scan when it can."""
        if not may_hold_state(value):
            return
        if isinstance(key, str):
            if not self._has_mixed():
                return
            for other in self:
                if (not isinstance(other, str) and str(other) == key
                        and may_hold_state(dict.__getitem__(self, other))):
                    raise _twin_error(self._label, self, other, key)
            return
        text = str(key)
        if dict.__contains__(self, text) and may_hold_state(dict.__getitem__(self, text)):
            raise _twin_error(self._label, self, text, key)
        if type(key) is not int:  # an int reads like no other builtin key but its str
            for other in self:
                if (not isinstance(other, str) and other != key and str(other) == text
                        and may_hold_state(dict.__getitem__(self, other))):
                    raise _twin_error(self._label, self, other, key)
        self._mixed = True

    def __setitem__(self, key, value):
        self._guard("set an item of a dict")
        value = self._accept(key, value)
        self._check_name(key, value)
        super().__setitem__(key, value)
        self._changed()
        self._stored((value,))

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
        self._check_names(accepted)
        dict.update(self, accepted)
        self._changed()
        self._stored(accepted.values())

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


def brainpy_entries(owner: str, args: tuple, kwargs: dict) -> dict:
    """The entries of BrainPy's ``VarDict``/``NodeDict`` ``update`` arguments.

    Each positional argument is a mapping, one ``(key, value)`` pair, or an
    iterable of pairs (as ``dict`` takes); keyword arguments come last.

    Raises:
        TypeError: an argument is none of these (nothing is changed).
    """
    entries: dict = {}
    for arg in args:
        if isinstance(arg, dict) or hasattr(arg, "keys"):
            entries.update((k, arg[k]) for k in arg.keys())
        elif isinstance(arg, tuple) and len(arg) == 2 and not isinstance(arg[0], tuple):
            entries[arg[0]] = arg[1]
        else:
            try:
                entries.update(arg)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{owner}: expected a dict, a (key, value) pair or an iterable of pairs, "
                    f"got {type(arg).__name__}. Nothing was changed.") from None
    entries.update(kwargs)
    return entries


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


def observe(value: Any, label: str | None = None) -> Any:
    """Turn plain lists/dicts (also nested in tuples) into observed ones.

    ``label`` (``'Net0.layers'``) names the value in error messages and
    becomes the label of the new containers (``"Net0.layers[0]"`` below).
    The value itself is never changed: new containers are built.

    Raises:
        MathError: a set or frozenset in ``value`` holds a Variable or an
            object; two keys of a dict in ``value`` read the same and both
            hold state (see the module notes).

    Example:
        >>> import brainobj.math as bm
        >>> from brainobj.math._containers import observe
        >>> stored = observe({"a": [1, 2]}, "Net.cfg")
        >>> type(stored).__name__, type(stored["a"]).__name__, stored["a"]._label
        ('ObservedDict', 'ObservedList', "Net.cfg['a']")
        >>> observe([{bm.Variable(bm.zeros(1))}], "Net.group")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        brainobj.math._errors.MathError: Net.group[0]: a set cannot hold Variables ...
    """
    kind = type(value)
    if kind is list:
        new = ObservedList.__new__(ObservedList)
        new._label = label
        ObservedList.__init__(new, value)
        return new
    if kind is dict:
        new = ObservedDict.__new__(ObservedDict)
        new._label = label
        ObservedDict.__init__(new, value)
        return new
    if kind is tuple:
        return tuple(
            observe(v, _item_label(label, i))
            if type(v) in (list, dict, tuple) or isinstance(v, (set, frozenset)) else v
            for i, v in enumerate(value))
    if isinstance(value, (set, frozenset)):
        _refuse_state_in_set(value, label)
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
