"""``BrainPyObject``: the base class of every model, layer and trainer.

Each subclass is registered as a JAX pytree (with keys) when the class is
created. Its attributes split in two:

* dynamic: Variables, arrays, other objects, and lists/tuples/dicts holding
  any of them -- the pytree children;
* static: everything else -- the pytree's auxiliary data, compared by value.

Every object has a unique ``name`` (class name + per-class counter unless a
``name`` is given to the constructor, by keyword or by position), claimed
by the metaclass before ``__init__`` runs, so subclasses need not call
``super().__init__()``.

Setting an attribute bumps the object's stamp (so plans built for it are
re-checked, and only those) and, inside a transform, is refused unless the
object was created inside that same trace: state must live in Variables.

A subclass may declare ``__slots__``: slot attributes are attributes like
the others (after the ``__dict__`` ones) for ``vars()``, the transforms, the
pytree rules, copies and checkpoints.
"""

from __future__ import annotations

import inspect
import itertools
import threading
import weakref
from collections import defaultdict
from typing import Any, Iterable

import equinox as eqx
import jax
import jax.tree_util as jtu

from ._collector import Collector
from ._containers import (
    _ON_STORE, ObservedDict, ObservedList, Stamp, born_token, is_temporary, observe,
    register_dict_type, register_list_type, touch,
)
from ._errors import MathError
from ._graph import (
    _SLOTS_CACHE, INTERNAL_ATTRS, GraphNode, absolute_key, check_acyclic, collect, find_slots,
    is_container, is_node, iter_state, own_attributes, slot_attributes,
)
from ._keys import canonical
from ._state_dict import load_state_dict, state_dict
from ._tracing import THREAD
from ._variable import COPY, TrainVar, Variable

_Tracer = jax.core.Tracer

__all__ = ["BrainPyObject", "NodeList", "NodeDict"]


# -- unique names ----------------------------------------------------------------

_NAMES: "weakref.WeakValueDictionary[str, BrainPyObject]" = weakref.WeakValueDictionary()
_COUNTERS: defaultdict[str, itertools.count] = defaultdict(itertools.count)
_NAMES_LOCK = threading.Lock()  # claiming is check-then-set: one thread at a time


def _claim_name(obj: "BrainPyObject", name: Any) -> str:
    with _NAMES_LOCK:
        return _claim_name_locked(obj, name)


def _claim_name_locked(obj: "BrainPyObject", name: Any) -> str:
    if name is None:
        prefix = type(obj).__name__
        while True:
            candidate = f"{prefix}{next(_COUNTERS[prefix])}"
            if candidate not in _NAMES:
                break
        name = candidate
    elif not isinstance(name, str) or not name:
        raise MathError(f"an object's name must be a non-empty str, got {name!r}")
    else:
        holder = _NAMES.get(name)
        if holder is not None and holder is not obj:
            raise MathError(
                f"name {name!r} is already used by a {type(holder).__name__}; "
                "object names must be unique. Pick another name or omit `name=`."
            )
    _NAMES[name] = obj
    return name


# -- pytree registration ---------------------------------------------------------

def _is_dynamic(value: Any) -> bool:
    if isinstance(value, (Variable, BrainPyObject)) or eqx.is_array(value):
        return True
    if is_container(value):
        items = value.values() if isinstance(value, dict) else value
        return any(_is_dynamic(v) for v in items)
    return False


class _StaticPart:
    """A pytree node's auxiliary data: static attributes, compared by value.

    The object's name travels along but takes no part in comparisons, so two
    objects of the same structure (``Linear0``, ``Linear1``) have equal
    treedefs and ``jax.tree_util.tree_map`` works across them.
    """

    __slots__ = ("order", "dynamic", "static", "name", "_key")

    def __init__(self, order, dynamic, static, name) -> None:
        self.order = order
        self.dynamic = dynamic
        self.static = static
        self.name = name
        self._key = (order, dynamic, canonical(static))

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _StaticPart) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"{self.name}(static={dict(self.static)})"


def _flatten_with_keys(obj: "BrainPyObject"):
    check_acyclic(obj)
    children, dynamic, static, order = [], [], [], []
    # A copy rebuilt by unflatten keeps its original's split: tree_map and
    # eqx.partition put None/True/placeholders where arrays were, and those
    # must stay children or the treedef would change under them.
    rebuilt_dynamic = obj.__dict__.get("_dynamic")
    for key, value in _attribute_items(obj):
        order.append(key)
        if (key in rebuilt_dynamic) if rebuilt_dynamic is not None else _is_dynamic(value):
            dynamic.append(key)
            children.append((jtu.GetAttrKey(key), value))
        else:
            static.append((key, value))
    return children, _StaticPart(tuple(order), tuple(dynamic), tuple(static), obj.name)


def _attribute_items(obj: "BrainPyObject") -> Any:
    """The user attributes, ``__dict__`` first, then slots (fast when none)."""
    slots = type(obj).__dict__.get(_SLOTS_CACHE)
    if not slots:
        return [(k, v) for k, v in obj.__dict__.items() if k not in INTERNAL_ATTRS]
    return list(own_attributes(obj))


def _flatten(obj: "BrainPyObject"):
    children, aux = _flatten_with_keys(obj)
    return [value for _, value in children], aux


def _unflatten(cls: type, aux: _StaticPart, children: Iterable[Any]) -> "BrainPyObject":
    # A rebuilt copy keeps its original's name and is not registered. Built
    # outside transforms from concrete Variables, it owns them (a target
    # network made with tree_map); inside a trace it is a throw-away view.
    obj = object.__new__(cls)
    values = dict(aux.static)
    values.update(zip(aux.dynamic, children))
    d = obj.__dict__
    d["name"] = aux.name
    d["_born"] = born_token()
    d["_parent"] = None
    d["_stamp"] = Stamp()
    d["_dynamic"] = aux.dynamic
    slots = cls.__dict__.get(_SLOTS_CACHE)
    slot_names = {name for name, _ in slots} if slots else ()
    for key in aux.order:
        if key in slot_names:
            object.__setattr__(obj, key, values[key])
        else:
            d[key] = values[key]
    owner_ref = None if THREAD.frames else weakref.ref(obj)
    for key in aux.dynamic:
        for path, item in iter_state(values[key]):
            if not isinstance(item, Variable):
                continue
            if owner_ref is not None and item._owner is None:
                item._label = absolute_key(aux.name, (key,) + path)
                item._owner = owner_ref
            elif item._owner is COPY and item._label is None:  # named in errors only
                item._label = absolute_key(aux.name, (key,) + path)
    return obj


def _init_parameters(cls: type) -> tuple[int | None, bool]:
    """Where ``cls.__init__`` takes ``name``: (position after self, by keyword)."""
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None, True
    position = None
    for i, p in enumerate(parameters):
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name == "name":
            position = i
    return position, True


class _ObjectMeta(type):
    """Registers each ``BrainPyObject`` subclass as a pytree on creation, and
    claims each new object's name before its ``__init__`` runs."""

    def __init__(cls, name, bases, namespace, **kwargs):
        super().__init__(name, bases, namespace, **kwargs)
        slots = find_slots(cls)
        clashing = sorted({slot for slot, _ in slots} & INTERNAL_ATTRS)
        if clashing:
            raise MathError(
                f"{name}: __slots__ cannot declare {clashing}: brainobj keeps its own "
                f"bookkeeping in these attributes ({sorted(INTERNAL_ATTRS)}). Rename the slot."
            )
        type.__setattr__(cls, _SLOTS_CACHE, slots)
        cls._name_position = _init_parameters(cls)[0]
        jtu.register_pytree_with_keys(
            cls,
            _flatten_with_keys,
            lambda aux, children, cls=cls: _unflatten(cls, aux, children),
            _flatten,
        )

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name")
        position = cls._name_position
        if name is None and position is not None and len(args) > position:
            name = args[position]
        obj = cls.__new__(cls, *args, **kwargs)
        if isinstance(obj, cls):
            obj.__dict__["name"] = _claim_name(obj, name if isinstance(name, str) else None)
            obj.__init__(*args, **kwargs)
        return obj


# -- the base class --------------------------------------------------------------

class BrainPyObject(GraphNode, metaclass=_ObjectMeta):
    """Base class for objects whose Variables brainobj's transforms manage.

    Subclasses store Variables, arrays, other objects and containers of them
    as attributes (``__slots__`` included); ``vars()`` and ``nodes()`` find
    them, and every transform (``bm.jit``, ...) reads and updates them in
    place. Lists and dicts are stored as observed copies (see
    ``_containers``), so that changing them later is noticed.

    Raises:
        MathError: on assignment (``obj.attr = value``), nothing changed:
            inside a transform, for an object created before it; a traced
            value; a set or frozenset holding Variables or objects (they would
            have no stable name: use a list or dict); a dict whose keys read
            the same (``0`` and ``'0'``) both holding state; a name already
            taken. At class creation: ``__slots__`` naming an attribute
            brainobj keeps for itself (``name``, ``_stamp``, ...).

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Counter(bp.BrainPyObject):
        ...     def __init__(self):
        ...         self.count = bm.Variable(bm.zeros((), dtype=int))
        ...     @bm.cls_jit
        ...     def tick(self):
        ...         self.count += 1
        >>> c = Counter()
        >>> c.tick(); c.tick()
        >>> int(c.count)
        2
        >>> c.group = {c.count}  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        brainobj.math._errors.MathError: Counter....group: a set cannot hold Variables (they have no stable name); use a list or dict ...
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "BrainPyObject":
        obj = object.__new__(cls)
        d = obj.__dict__
        d["name"] = None  # claimed by the metaclass, or by __setstate__ for copies
        # The trace (if any) this object was created in: such a temporary
        # object may be modified freely inside that trace.
        d["_born"] = born_token()
        d["_parent"] = None
        d["_stamp"] = Stamp()
        return obj

    def __init__(self, name: str | None = None) -> None:
        """Optionally rename the object (it already has a unique name).

        Raises:
            MathError: ``name`` is not a non-empty str, or another live
                object has it.

        Example:
            >>> import brainobj as bp
            >>> bp.BrainPyObject(name="doc_init_example").name
            'doc_init_example'
        """
        if name is not None and name != self.name:
            self.name = name

    # -- attribute rules -----------------------------------------------------
    def __setattr__(self, attr: str, value: Any) -> None:
        """``obj.attr = value`` (a slot or a ``__dict__`` entry), checked first.

        Lists and dicts (also nested in tuples) are stored as observed copies;
        new Variables are labelled ``'<name>.<attr>'``; a copy rebuilt by a
        JAX pytree function gets a name of its own. On any error nothing
        changes (the old value stays).

        Raises:
            MathError: inside a transform, for an object created before it;
                a traced value (inside a JAX transform that is not brainobj's);
                a set or frozenset (at any depth) holding Variables or objects;
                two keys of a dict that read the same both holding state;
                ``name`` not a str, or taken.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> net = bp.BrainPyObject(name='doc_setattr_example')
            >>> net.layers = [bm.Variable(bm.zeros(1))]
            >>> type(net.layers).__name__, net.layers[0].label
            ('ObservedList', 'doc_setattr_example.layers-0')
            >>> net.d = {0: bm.Variable(bm.zeros(1)), '0': bm.Variable(bm.ones(1))}  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            brainobj.math._errors.MathError: doc_setattr_example.d: keys 0 and '0' would both be named '0' ...
            >>> hasattr(net, 'd')
            False
        """
        d = self.__dict__
        if THREAD.frames and not is_temporary(d.get("_born")):
            if _current(self, attr) is value:
                return  # `self.v += x` re-assigns the same Variable: nothing changed
            _refuse_assignment(self, attr, value)
        if attr == "name":
            if value != d.get("name"):
                old = d.get("name")
                d["name"] = _claim_name(self, value)
                if old is not None and _NAMES.get(old) is self:
                    del _NAMES[old]
            return
        if isinstance(value, _Tracer) or (isinstance(value, Variable) and isinstance(value._value, _Tracer)):
            raise MathError(
                f"{self.name}.{attr}: cannot store a traced value on an object (inside a JAX "
                "transform that is not brainobj's, such as jax.jit): it would outlive the "
                "trace. Use bm.jit / bm.grad / bm.for_loop, or return the value and store it "
                "outside."
            )
        if isinstance(value, _STORED_KINDS):
            # New observed containers; refuses sets of state and dicts whose
            # keys read the same, before anything changed.
            value = observe(value, f"{self.name}.{attr}")
            if isinstance(value, (ObservedList, ObservedDict)) and value._label is None:
                value._label = f"{self.name}.{attr}"
        _adopt(self, attr, value)
        object.__setattr__(self, attr, value)
        d.pop("_dynamic", None)  # a rebuilt copy edited by hand: split by value again
        touch(d["_stamp"])

    def __delattr__(self, attr: str) -> None:
        """``del obj.attr``.

        Raises:
            MathError: inside a transform, for an object created before it.
            AttributeError: the object has no such attribute.

        Example:
            >>> import brainobj as bp
            >>> net = bp.BrainPyObject()
            >>> net.size = 3
            >>> del net.size
            >>> hasattr(net, 'size')
            False
        """
        if THREAD.frames and not is_temporary(self.__dict__.get("_born")):
            raise MathError(
                f"{self.name}.{attr}: cannot delete an attribute inside a brainobj transform."
            )
        object.__delattr__(self, attr)
        self.__dict__.pop("_dynamic", None)
        touch(self.__dict__["_stamp"])

    # -- copy and pickle -----------------------------------------------------
    # copy/deepcopy/pickle rebuild through ``__new__`` and ``__setstate__``,
    # which claims a fresh unique name; the copied state must not overwrite it.
    def __getstate__(self) -> dict:
        """The user attributes (slots included), for copy and pickle.

        Raises:
            MathError: inside a transform, for an object created before it
                (its Variables hold tracers there).

        Example:
            >>> import copy, brainobj as bp, brainobj.math as bm
            >>> net = bp.Linear(2, 3)
            >>> twin = copy.deepcopy(net)
            >>> twin.name != net.name and bool((twin.W.value == net.W.value).all())
            True
        """
        if THREAD.frames and not is_temporary(self.__dict__.get("_born")):
            raise MathError(
                f"{self.name}: cannot copy or pickle an object inside a brainobj transform "
                f"({THREAD.frames[-1].owner}); its Variables hold tracers there. Make copies "
                "(a target network, say) outside transforms and update them in place."
            )
        return dict(own_attributes(self))

    def __setstate__(self, state: dict) -> None:
        """Restore attributes saved by :meth:`__getstate__` under a fresh name.

        Example:
            >>> import pickle, brainobj as bp
            >>> net = bp.Linear(2, 3)
            >>> back = pickle.loads(pickle.dumps(net))
            >>> back.name != net.name and back.W.shape == net.W.shape
            True
        """
        d = self.__dict__
        if d.get("name") is None:
            d["name"] = _claim_name(self, None)
        slots = {name for name, _ in slot_attributes(type(self))}
        for attr, value in state.items():
            _adopt(self, attr, value)
            if attr in slots:
                object.__setattr__(self, attr, value)
            else:
                d[attr] = value
        touch(d["_stamp"])

    # -- checkpoints ---------------------------------------------------------
    def state_dict(self) -> dict:
        """Every Variable's value keyed by attribute path (``'l1.W'``), as numpy arrays.

        The keys are those of ``vars(method='relative')`` (see :meth:`vars`
        for how unusual attribute names and keys are written), leaving out
        Variables reached only through references (an optimizer's
        ``vars_to_train``).

        Raises:
            MathError: two different Variables would get the same key (see
                :meth:`vars`).

        Example:
            >>> import brainobj as bp
            >>> sorted(bp.Linear(2, 3).state_dict())
            ['W', 'b']
        """
        return state_dict(self)

    def load_state_dict(self, values: dict, strict: bool = True) -> Any:
        """Load values made by :meth:`state_dict`; all checked before any is assigned.

        Returns a ``LoadReport`` of what was skipped (empty when ``strict``).

        Raises:
            MathError: inside a transform; or, with ``strict=True``, any
                missing, unexpected or mis-shaped key (all are named, and
                nothing changes). With ``strict=False`` the matching keys are
                loaded and the rest reported.

        Example:
            >>> import brainobj as bp
            >>> a, b = bp.Linear(2, 3), bp.Linear(2, 3)
            >>> b.load_state_dict(a.state_dict())
            LoadReport(missing=[], unexpected=[], mismatched=[])
            >>> bool((a.W.value == b.W.value).all())
            True
        """
        return load_state_dict(self, values, strict)

    # -- modes ---------------------------------------------------------------
    def train(self, mode: bool = True) -> "BrainPyObject":
        """Switch this object and every object under it to training mode.

        Sets ``training`` on each reachable object that has that attribute
        (layers such as ``Dropout`` and ``BatchNorm1d``). ``training`` is a
        static attribute: a jitted function compiles once per mode and
        switches between both. Returns ``self``.

        Raises:
            MathError: inside a transform (the objects existed before it), or
                two objects reached share a name (see :meth:`nodes`).

        Example:
            >>> import brainobj as bp
            >>> drop = bp.Dropout(0.5)
            >>> drop.eval().training, drop.train().training
            (False, True)
        """
        for node in self.nodes().values():
            if hasattr(node, "training"):
                node.training = bool(mode)
        return self

    def eval(self) -> "BrainPyObject":
        """Switch to evaluation mode (``train(False)``). Returns ``self``.

        Raises:
            MathError: as :meth:`train`.

        Example:
            >>> import brainobj as bp
            >>> bp.Dropout(0.5).eval().training
            False
        """
        return self.train(False)

    # -- collectors ----------------------------------------------------------
    def vars(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> Collector:
        """Every Variable reachable from this object, each once, in BFS order.

        Args:
            method: ``'absolute'`` keys are ``'<owner name>.<attr>'``
                (``'Linear0.W'``; container elements ``'<attr>-<index>'``);
                ``'relative'`` keys are attribute paths from this object
                (``'l1.W'``, ``'ss.0.l1.W'``) that do not depend on creation
                order, for checkpoints.
            level: how many levels of sub-objects to descend (``-1``: all,
                ``0``: only this object's own Variables).
            include_self: whether this object's own Variables are included.

        Every key names one Variable. A key part (attribute name, index or
        dict key) is written as its text, except that ``%`` and ``.`` (and,
        in absolute keys, ``-``) are percent-encoded (``%25``, ``%2E``,
        ``%2D``) and an empty part is written ``%``: a dict ``{'a.b': v}``
        stored as ``d`` is ``'d.a%2Eb'``, distinct from ``{'a': {'b': v}}``
        (``'d.a.b'``). Ordinary names never contain these characters and are
        written unchanged. Two keys of one dict that read the same (``0`` and
        ``'0'``) cannot both hold state: storing such a dict raises. Attributes
        in ``__slots__`` come after the others.

        Raises:
            ValueError: ``method`` is neither ``'absolute'`` nor ``'relative'``.
            MathError: two different Variables would get the same key, naming
                both paths. With absolute keys this happens when two objects
                reached share a name: a copy made by ``jax.tree.map`` keeps its
                original's name until it is stored as an attribute of an
                object (then it gets its own).

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> class Holder(bp.BrainPyObject):
            ...     def __init__(self):
            ...         self.d = {'a.b': bm.Variable(bm.zeros(1)), 'a': {'b': bm.Variable(bm.ones(1))}}
            >>> list(Holder().vars(method='relative'))
            ['d.a%2Eb', 'd.a.b']
        """
        return collect(self, method, level, include_self)[1]

    def train_vars(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> Collector:
        """The :class:`~brainobj.math.TrainVar` subset of :meth:`vars`.

        Raises:
            ValueError: ``method`` is neither ``'absolute'`` nor ``'relative'``.
            MathError: as :meth:`vars`.

        Example:
            >>> import brainobj as bp
            >>> list(bp.Linear(2, 3).train_vars(method='relative'))
            ['W', 'b']
        """
        return self.vars(method, level, include_self).subset(TrainVar)

    def nodes(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> Collector:
        """Every object reachable from this one (itself included), BFS order.

        Keys are names, or attribute paths with ``method='relative'`` (this
        object is ``''``; parts written as in :meth:`vars`). Containers are
        transparent.

        Raises:
            ValueError: ``method`` is neither ``'absolute'`` nor ``'relative'``.
            MathError: two different objects would get the same key (with
                absolute keys: two objects reached share a name, see :meth:`vars`).

        Example:
            >>> import brainobj as bp
            >>> class Pair(bp.BrainPyObject):
            ...     def __init__(self):
            ...         self.layers = [bp.Linear(2, 2), bp.Linear(2, 1)]
            >>> list(Pair().nodes(method='relative'))
            ['', 'layers.0', 'layers.1']
        """
        return collect(self, method, level, include_self)[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


_MISSING = object()
_STORED_KINDS = (list, tuple, dict, set, frozenset)


def _current(obj: BrainPyObject, attr: str) -> Any:
    """The attribute's value (``__dict__`` or slot), or ``_MISSING``."""
    value = obj.__dict__.get(attr, _MISSING)
    if value is _MISSING:
        for name, descriptor in slot_attributes(type(obj)):
            if name == attr:
                try:
                    return descriptor.__get__(obj, type(obj))
                except AttributeError:
                    return _MISSING
    return value


def _refuse_assignment(obj: BrainPyObject, attr: str, value: Any) -> None:
    frame = THREAD.frames[-1]
    current = _current(obj, attr)
    if isinstance(value, Variable):
        what = "replace a Variable attribute"
    elif current is not _MISSING:
        what = f"assign a non-Variable value ({type(value).__name__})"
    else:
        what = f"add a new attribute ({type(value).__name__})"
    hint = (
        f"write `{obj.name}.{attr}.value = ...` instead"
        if isinstance(current, Variable)
        else f"store it in a Variable created in __init__ (`self.{attr} = bm.Variable(...)`) "
        f"and assign its `.value` inside the transform"
    )
    raise MathError(
        f"{obj.name}.{attr}: cannot {what} inside a brainobj transform ({frame.owner}); "
        f"the change would be lost or leak a tracer. To keep state across calls, {hint}."
    )


def _adopt(owner: BrainPyObject, attr: str, value: Any) -> None:
    """Label new Variables (``'Linear0.W'``), remember each child's parent,
    and name copies that JAX rebuilt (they become objects of their own)."""
    parent_ref = None
    copies = []
    for path, item in iter_state(value):
        if isinstance(item, Variable):
            # A copy JAX made, stored on a live object, becomes live state; so
            # does a Variable whose first owner (a temporary of a trace) died.
            if item._owner is None or item._owner is COPY or item._owner() is None:
                item._label = absolute_key(owner.name, (attr,) + path)
                parent_ref = parent_ref or weakref.ref(owner)
                item._owner = parent_ref
        else:
            if item.__dict__.get("_parent") is None and item is not owner:
                parent_ref = parent_ref or weakref.ref(owner)
                item.__dict__["_parent"] = parent_ref
            if not _registered(item):
                copies.append(item)
    if copies:
        _name_copies(copies)


def _registered(node: Any) -> bool:
    name = node.__dict__.get("name")
    return name is not None and _NAMES.get(name) is node


def _name_copies(found: list) -> None:
    """Give rebuilt copies (``jax.tree.map(f, model)``) stored on a live object
    names of their own, with the copies below them, and relabel the
    Variables they own: two objects reached from one root must not share a
    name, or ``vars()`` could not key them. Inside a trace copies are views
    and stay as they are."""
    if THREAD.frames:
        return
    todo = list(found)
    while todo:
        node = todo.pop()
        if not is_node(node) or _registered(node):
            continue
        name = _claim_name(node, None)
        node.__dict__["name"] = name
        for attr, value in own_attributes(node):
            for path, item in iter_state(value):
                if isinstance(item, Variable):
                    owner = item._owner
                    if owner is not None and owner is not COPY and owner() is node:
                        item._label = absolute_key(name, (attr,) + path)
                elif not _registered(item):
                    todo.append(item)


def _name_stored_copies(value: Any) -> None:
    """Store callback of containers: name copies put into a stored list or dict."""
    copies = [item for _, item in iter_state(value) if is_node(item) and not _registered(item)]
    if copies:
        _name_copies(copies)


_ON_STORE.append(_name_stored_copies)


# -- node containers ---------------------------------------------------------------

def _require_node(container: str, key: Any, item: Any) -> Any:
    if not isinstance(item, BrainPyObject):
        raise TypeError(
            f"{container}[{key!r}]: expected a BrainPyObject, got {type(item).__name__}."
        )
    return item


@register_list_type
class NodeList(ObservedList):
    """A list of objects, found by ``nodes()``/``vars()`` and every transform.

    Raises:
        TypeError: an item is not a ``BrainPyObject`` (nothing is added).
        MathError: changed inside a transform it existed before.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Leaf(bp.BrainPyObject):
        ...     def __init__(self):
        ...         self.v = bm.Variable(bm.zeros(1))
        >>> layers = bm.NodeList([Leaf(), Leaf()])
        >>> len(layers)
        2
    """

    def _check_item(self, index: Any, item: Any) -> Any:
        return _require_node("NodeList", index, item)


@register_dict_type
class NodeDict(ObservedDict):
    """A dict of objects, found by ``nodes()``/``vars()`` and every transform.

    Raises:
        TypeError: a value is not a ``BrainPyObject`` (nothing is added).
        MathError: two keys read the same (``1`` and ``'1'``: they would
            share a name in ``vars()``); changed inside a transform it
            existed before.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> layers = bm.NodeDict(enc=bp.Linear(2, 3), dec=bp.Linear(3, 2))
        >>> list(layers)
        ['enc', 'dec']
        >>> layers['size'] = 3
        Traceback (most recent call last):
        ...
        TypeError: NodeDict['size']: expected a BrainPyObject, got int.
    """

    def _check_item(self, key: Any, item: Any) -> Any:
        return _require_node("NodeDict", key, item)
