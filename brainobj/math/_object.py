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
    ObservedDict, ObservedList, Stamp, born_token, is_temporary, observe, register_dict_type,
    register_list_type, touch,
)
from ._errors import MathError
from ._graph import INTERNAL_ATTRS, GraphNode, check_acyclic, collect, is_container, iter_state
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
    for key, value in obj.__dict__.items():
        if key in INTERNAL_ATTRS:
            continue
        order.append(key)
        if (key in rebuilt_dynamic) if rebuilt_dynamic is not None else _is_dynamic(value):
            dynamic.append(key)
            children.append((jtu.GetAttrKey(key), value))
        else:
            static.append((key, value))
    return children, _StaticPart(tuple(order), tuple(dynamic), tuple(static), obj.name)


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
    for key in aux.order:
        d[key] = values[key]
    if not THREAD.frames:
        owner_ref = weakref.ref(obj)
        for key in aux.dynamic:
            for path, item in iter_state(d[key]):
                if isinstance(item, Variable) and item._owner is None:
                    item._label = f"{aux.name}.{'-'.join([key] + [str(k) for k in path])}"
                    item._owner = owner_ref
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
    as attributes; ``vars()`` and ``nodes()`` find them, and every transform
    (``bm.jit``, ...) reads and updates them in place.

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
        if name is not None and name != self.name:
            self.name = name

    # -- attribute rules -----------------------------------------------------
    def __setattr__(self, attr: str, value: Any) -> None:
        d = self.__dict__
        if THREAD.frames and not is_temporary(d.get("_born")):
            if d.get(attr, _MISSING) is value:
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
        value = observe(value)
        if isinstance(value, (ObservedList, ObservedDict)) and value._label is None:
            value._label = f"{self.name}.{attr}"
        _adopt(self, attr, value)
        object.__setattr__(self, attr, value)
        d.pop("_dynamic", None)  # a rebuilt copy edited by hand: split by value again
        touch(d["_stamp"])

    def __delattr__(self, attr: str) -> None:
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
        if THREAD.frames and not is_temporary(self.__dict__.get("_born")):
            raise MathError(
                f"{self.name}: cannot copy or pickle an object inside a brainobj transform "
                f"({THREAD.frames[-1].owner}); its Variables hold tracers there. Make copies "
                "(a target network, say) outside transforms and update them in place."
            )
        return {k: v for k, v in self.__dict__.items() if k not in INTERNAL_ATTRS}

    def __setstate__(self, state: dict) -> None:
        d = self.__dict__
        if d.get("name") is None:
            d["name"] = _claim_name(self, None)
        for attr, value in state.items():
            _adopt(self, attr, value)
            d[attr] = value
        touch(d["_stamp"])

    # -- checkpoints ---------------------------------------------------------
    def state_dict(self) -> dict:
        """Every Variable's value keyed by attribute path (``'l1.W'``), as numpy arrays."""
        return state_dict(self)

    def load_state_dict(self, values: dict, strict: bool = True) -> Any:
        """Load values made by :meth:`state_dict`; all checked before any is assigned.

        Raises :class:`MathError` naming every missing, unexpected or
        mis-shaped key, changing nothing, unless ``strict=False`` (then the
        matching keys are loaded and the rest reported).
        """
        return load_state_dict(self, values, strict)

    # -- modes ---------------------------------------------------------------
    def train(self, mode: bool = True) -> "BrainPyObject":
        """Switch this object and every object under it to training mode.

        Sets ``training`` on each reachable object that has that attribute
        (layers such as ``Dropout`` and ``BatchNorm1d``). ``training`` is a
        static attribute: a jitted function compiles once per mode and
        switches between both. Returns ``self``.
        """
        for node in self.nodes().values():
            if hasattr(node, "training"):
                node.training = bool(mode)
        return self

    def eval(self) -> "BrainPyObject":
        """Switch to evaluation mode (``train(False)``). Returns ``self``."""
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
        """
        return collect(self, method, level, include_self)[1]

    def train_vars(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> Collector:
        """The :class:`~brainobj.math.TrainVar` subset of :meth:`vars`."""
        return self.vars(method, level, include_self).subset(TrainVar)

    def nodes(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> Collector:
        """Every object reachable from this one (itself included), BFS order.

        Keys are names, or attribute paths with ``method='relative'`` (this
        object is ``''``). Containers are transparent.
        """
        return collect(self, method, level, include_self)[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


_MISSING = object()


def _refuse_assignment(obj: BrainPyObject, attr: str, value: Any) -> None:
    frame = THREAD.frames[-1]
    if isinstance(value, Variable):
        what = "replace a Variable attribute"
    elif attr in obj.__dict__:
        what = f"assign a non-Variable value ({type(value).__name__})"
    else:
        what = f"add a new attribute ({type(value).__name__})"
    current = obj.__dict__.get(attr, _MISSING)
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
    """Label new Variables (``'Linear0.W'``) and remember each child's parent."""
    parent_ref = None
    for path, item in iter_state(value):
        if isinstance(item, Variable):
            # A copy JAX made, stored on a live object, becomes live state; so
            # does a Variable whose first owner (a temporary of a trace) died.
            if item._owner is None or item._owner is COPY or item._owner() is None:
                suffix = "-".join([attr] + [str(k) for k in path])
                item._label = f"{owner.name}.{suffix}"
                parent_ref = parent_ref or weakref.ref(owner)
                item._owner = parent_ref
        elif item.__dict__.get("_parent") is None and item is not owner:
            parent_ref = parent_ref or weakref.ref(owner)
            item.__dict__["_parent"] = parent_ref


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
    """A dict of objects, found by ``nodes()``/``vars()`` and every transform."""

    def _check_item(self, key: Any, item: Any) -> Any:
        return _require_node("NodeDict", key, item)
