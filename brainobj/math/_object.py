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
import warnings
import weakref
from collections import defaultdict
from typing import Any, Iterable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu

from ._collector import ArrayCollector, Collector
from ._containers import (
    _ON_STORE, ObservedDict, ObservedList, Stamp, born_token, brainpy_entries, is_temporary, observe,
    register_dict_type, register_list_type, touch,
)
from ._errors import MathError, UniqueNameError
from ._fields import STATIC_FIELDS, declare
from ._graph import (
    _SLOTS_CACHE, IMPLICIT_ATTRS, INTERNAL_ATTRS, GraphNode, absolute_key, check_acyclic, collect, find_slots,
    holds_state, is_container, is_node, iter_state, own_attributes, slot_attributes,
)
from ._keys import canonical
from ._repr import object_repr, treescope_object
from ._state_dict import load_state_dict, state_dict
from ._tracing import THREAD, in_transform
from ._variable import COPY, TrainVar, VarDict, VarList, Variable

_Tracer = jax.core.Tracer

__all__ = ["BrainPyObject", "NodeList", "NodeDict", "node_list", "node_dict", "clear_name_cache"]


# -- unique names ----------------------------------------------------------------
# As in BrainPy, a name given to an object must be a Python identifier that no
# other object holds. Unlike BrainPy, a name is freed when its object dies
# (the registry holds objects weakly), and ``clear_name_cache()`` frees every
# name at once for scripts that rebuild a named model while the old one lives.

_NAMES: "weakref.WeakValueDictionary[str, BrainPyObject]" = weakref.WeakValueDictionary()
# Objects whose names ``clear_name_cache`` released, by id: they are still
# live, properly named objects (not copies JAX rebuilt, which ``_adopt``
# renames), but their names may now be taken by new objects.
_RELEASED: "weakref.WeakValueDictionary[int, BrainPyObject]" = weakref.WeakValueDictionary()
_COUNTERS: defaultdict[str, itertools.count] = defaultdict(itertools.count)
_NAMES_LOCK = threading.Lock()  # claiming is check-then-set: one thread at a time


def _claim_name(obj: "BrainPyObject", name: Any) -> str:
    with _NAMES_LOCK:
        return _claim_name_locked(obj, name)


def _next_auto_name(prefix: str) -> str:
    while True:
        candidate = f"{prefix}{next(_COUNTERS[prefix])}"
        if candidate not in _NAMES:
            return candidate


def _check_name_locked(obj: "BrainPyObject", name: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        where = obj.__dict__.get("name") or type(obj).__name__
        raise MathError(
            f"{where}: an object's name must be a str that is a valid Python identifier "
            f"(letters, digits and '_', not starting with a digit), as in BrainPy; got "
            f"{name!r}. Pick another name, or omit `name=` for a unique default."
        )
    holder = _NAMES.get(name)
    if holder is not None and holder is not obj:
        raise UniqueNameError(
            f"name {name!r} is already used by a {type(holder).__name__}; object names must "
            "be unique. Pick another name or omit `name=`. A script that rebuilds a named "
            "model (one per trial) while the previous one is still alive can call "
            "`bm.clear_name_cache()` first, or `del` the old model."
        )


def _claim_name_locked(obj: "BrainPyObject", name: Any) -> str:
    if name is None:
        name = _next_auto_name(type(obj).__name__)
    else:
        _check_name_locked(obj, name)
    _NAMES[name] = obj
    return name


def clear_name_cache(ignore_warn: bool = True) -> None:
    """Free every object name, so that new objects may take names in use.

    BrainPy's ``brainpy.math.clear_name_cache``: a script that builds a
    named model once per trial (``for trial in ...: net = Net(name='net')``)
    calls it before each rebuild, because the previous model is still alive
    while the next is built. Existing objects keep their names; two live
    objects may then share one, which only matters if both are reached from
    one root by ``vars()``/``nodes()`` with absolute keys (that raises
    ``MathError``; relative keys are unaffected). Default names keep
    counting (``Linear7`` after ``Linear6``), unlike BrainPy which restarts
    them at 0, so that default names never clash with live objects.

    Args:
        ignore_warn: ``False`` emits a ``UserWarning`` saying the names were
            cleared (BrainPy's behaviour for that argument).

    Raises nothing.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> for trial in range(3):
        ...     bm.clear_name_cache()
        ...     net = bp.BrainPyObject(name='doc_trial_net')
        >>> net.name
        'doc_trial_net'
    """
    with _NAMES_LOCK:
        for obj in list(_NAMES.values()):
            _RELEASED[id(obj)] = obj
        _NAMES.clear()
    if not ignore_warn:
        warnings.warn("All named models and their ids are cleared.", UserWarning, stacklevel=2)


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
    static_fields = getattr(type(obj), STATIC_FIELDS)  # bm.field(static=True)
    for key, value in _attribute_items(obj):
        order.append(key)
        if key in static_fields:
            static.append((key, value))
        elif (key in rebuilt_dynamic) if rebuilt_dynamic is not None else _is_dynamic(value):
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
        base = globals().get("BrainPyObject")
        if base is not None:  # not for BrainPyObject itself
            declare(cls, base.__init__)  # annotated fields -> a generated __init__
        cls._name_position = _init_parameters(cls)[0]
        jtu.register_pytree_with_keys(
            cls,
            _flatten_with_keys,
            lambda aux, children, cls=cls: _unflatten(cls, aux, children),
            _flatten,
        )

    @property
    def __signature__(cls) -> inspect.Signature | None:
        # inspect.signature(cls) would otherwise show this metaclass's
        # __call__(*args, **kwargs); show what __init__ takes instead.
        try:
            signature = inspect.signature(cls.__init__)
        except (TypeError, ValueError):
            return None
        return signature.replace(parameters=list(signature.parameters.values())[1:],
                                 return_annotation=inspect.Signature.empty)

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

    _bo_static_fields: frozenset = frozenset()  # names of bm.field(static=True) fields

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
        if attr in getattr(type(self), STATIC_FIELDS) and holds_state(value):
            raise MathError(
                f"{self.name}.{attr}: a field declared static (bm.field(static=True)) cannot hold "
                "Variables or objects: the transforms would not see them. Drop static=True."
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

    def load_state_dict(
        self, state_dict: dict, warn: bool = True, compatible: str = "v2", *,
        strict: bool = True, **kwargs: Any,
    ) -> Any:
        """Load values made by :meth:`state_dict`; all checked before any is assigned.

        Args:
            state_dict: ``{relative path: array}`` as :meth:`state_dict` makes.
            warn: with ``strict=False``, warn (``UserWarning``) about missing
                and unexpected keys, as BrainPy does.
            compatible: BrainPy's format switch, ``'v1'`` or ``'v2'``;
                accepted for BrainPy code, but brainobj has one format (flat
                relative paths) and reads it either way.
            strict: every key must match (BrainPy never checks; brainobj
                does by default, so that a wrong checkpoint fails loudly).

        Returns a ``LoadReport`` of what was skipped (empty when ``strict``);
        it also has BrainPy's ``missing_keys`` / ``unexpected_keys`` fields.

        Raises:
            MathError: inside a transform; or, with ``strict=True``, any
                missing, unexpected or mis-shaped key (all are named, and
                nothing changes). With ``strict=False`` the matching keys are
                loaded and the rest reported.
            ValueError: ``compatible`` is neither ``'v1'`` nor ``'v2'`` (as
                BrainPy; nothing changes).

        Example:
            >>> import brainobj as bp
            >>> a, b = bp.Linear(2, 3), bp.Linear(2, 3)
            >>> b.load_state_dict(a.state_dict(), warn=False, compatible='v2')
            LoadReport(missing=[], unexpected=[], mismatched=[])
            >>> bool((a.W.value == b.W.value).all())
            True
        """
        if compatible not in ("v1", "v2"):
            raise ValueError(f"{self.name}.load_state_dict: unknown compatible version "
                             f"{compatible!r}; use 'v1' or 'v2' (brainobj reads its one "
                             "format either way).")
        report = load_state_dict(self, state_dict, strict)
        if warn and report.unexpected:
            warnings.warn(f"{self.name}: unexpected keys in state_dict: {report.unexpected}",
                          UserWarning, stacklevel=2)
        if warn and report.missing:
            warnings.warn(f"{self.name}: missing keys in state_dict: {report.missing}",
                          UserWarning, stacklevel=2)
        return report

    def save_state(self, **kwargs: Any) -> dict:
        """This object's own Variables' values, keyed as ``vars(level=0)`` keys them.

        BrainPy's per-object state (``{'Net0.w': array}``): only this
        object's Variables, not its children's; :meth:`state_dict` is the
        whole-model checkpoint.

        Raises:
            MathError: as :meth:`vars`.

        Example:
            >>> import brainobj as bp
            >>> lin = bp.Linear(2, 3, name='doc_save_state')
            >>> sorted(lin.save_state())
            ['doc_save_state.W', 'doc_save_state.b']
        """
        return self.vars(level=0, include_self=True).unique().dict()

    def load_state(self, state_dict: dict, **kwargs: Any) -> tuple[list, list]:
        """Load values made by :meth:`save_state`; returns ``(missing_keys, unexpected_keys)``.

        As BrainPy: keys of this object's own Variables that ``state_dict``
        lacks are reported missing, keys it has that are not such Variables
        unexpected; the matching ones are loaded. Unlike BrainPy, every
        matching value is checked (shape and dtype) before any is assigned.

        Raises:
            MathError: inside a transform; a value whose shape or dtype does
                not match its Variable (naming each; nothing changes).

        Example:
            >>> import brainobj as bp
            >>> a, b = bp.Linear(2, 3), bp.Linear(2, 3)
            >>> state = {k.replace(a.name, b.name): v for k, v in a.save_state().items()}
            >>> b.load_state(state)
            ([], [])
        """
        if in_transform():
            raise MathError(f"{self.name}.load_state: load states outside transforms.")
        variables = self.vars(level=0, include_self=True).unique()
        missing = [k for k in variables if k not in state_dict]
        unexpected = [k for k in state_dict if k not in variables]
        ready, bad = [], []
        for key, var in variables.items():
            if key not in state_dict:
                continue
            value = jnp.asarray(state_dict[key])
            if value.shape != tuple(var.shape) or value.dtype != var.dtype:
                bad.append(f"{key}: expected {var.dtype}{list(var.shape)}, got "
                           f"{value.dtype}{list(value.shape)}")
            ready.append((var, value))
        if bad:
            raise MathError(f"{self.name}.load_state: " + "; ".join(bad) + ". Nothing was "
                            "loaded; load a state saved from an object of the same configuration.")
        for var, value in ready:
            var.value = value
        return missing, unexpected

    # -- devices -------------------------------------------------------------
    def to(self, device: Any) -> "BrainPyObject":
        """Move every Variable under this object to ``device`` (``jax.device_put``).

        Returns ``self``. ``device`` is a ``jax.Device`` (``jax.devices()[0]``)
        or anything ``jax.device_put`` accepts (a sharding).

        Raises:
            MathError: inside a transform (nothing moved).
            Exception: whatever ``jax.device_put`` raises for a bad
                ``device``; the Variables moved before it stay moved, each
                one whole.

        Example:
            >>> import jax, brainobj as bp
            >>> lin = bp.Linear(2, 3).to(jax.devices('cpu')[0])
            >>> lin.W.value.devices() == {jax.devices('cpu')[0]}
            True
        """
        if in_transform():
            raise MathError(f"{self.name}.to: move Variables between devices outside transforms.")
        for var in self.vars().unique().values():
            var.value = jax.device_put(var.value, device)
        return self

    def cpu(self) -> "BrainPyObject":
        """``to(jax.devices('cpu')[0])``.

        Raises:
            MathError: as :meth:`to`.

        Example:
            >>> import brainobj as bp
            >>> bp.Linear(2, 3).cpu().W.value.devices().pop().platform
            'cpu'
        """
        return self.to(_first_device("cpu", self))

    def cuda(self) -> "BrainPyObject":
        """``to(jax.devices('gpu')[0])``.

        Raises:
            RuntimeError: no GPU is visible to JAX (nothing moved).
            MathError: as :meth:`to`.

        Example:
            >>> import brainobj as bp
            >>> lin = bp.Linear(2, 3)
            >>> try:
            ...     lin = lin.cuda()
            ... except RuntimeError:
            ...     pass  # no GPU here
        """
        return self.to(_first_device("gpu", self))

    def tpu(self) -> "BrainPyObject":
        """``to(jax.devices('tpu')[0])``.

        Raises:
            RuntimeError: no TPU is visible to JAX (nothing moved).
            MathError: as :meth:`to`.

        Example:
            >>> import brainobj as bp
            >>> try:
            ...     bp.Linear(2, 3).tpu()
            ... except RuntimeError:
            ...     pass  # no TPU here
        """
        return self.to(_first_device("tpu", self))

    # -- BrainPy's naming and implicit state ---------------------------------
    def unique_name(self, name: str | None = None, type_: str | None = None) -> str:
        """A unique name, as BrainPy's ``unique_name``.

        With ``name=None``: a fresh default name for ``type_`` (default: this
        class's name), e.g. ``'Linear3'`` (not reserved). With a ``name``: it
        is checked (a valid identifier that no other live object holds) and
        reserved for this object, then returned; this object is not renamed
        (assign ``self.name`` for that).

        Raises:
            MathError: ``name`` is not a str that is a valid identifier.
            UniqueNameError: another live object holds ``name``.

        Example:
            >>> import brainobj as bp
            >>> obj = bp.BrainPyObject()
            >>> obj.unique_name(type_='Probe').startswith('Probe')
            True
            >>> obj.unique_name('doc_unique_name')
            'doc_unique_name'
        """
        with _NAMES_LOCK:
            if name is None:
                return _next_auto_name(type(self).__name__ if type_ is None else str(type_))
            _check_name_locked(self, name)
            _NAMES[name] = self
            return name

    def tracing_variable(self, name: str, init: Any, shape: Any, batch_or_mode: Any = None,
                         batch_axis: int = 0, axis_names: Any = None,
                         batch_axis_name: str | None = "batch") -> Variable:
        """BrainPy's ``tracing_variable``: not supported (nor in BrainPy 2.8).

        BrainPy 2.8 keeps this method only to raise ``NotImplementedError``;
        so does brainobj, with the way out. Create the Variable in
        ``__init__`` (``self.w = bm.Variable(...)``), or in ``reset_state``
        for state that depends on the batch size, then assign its
        ``.value`` inside transforms.

        Raises:
            NotImplementedError: always; nothing changes.

        Example:
            >>> import brainobj as bp
            >>> try:
            ...     bp.BrainPyObject().tracing_variable('w', bp.init.ZeroInit(), (2,))
            ... except NotImplementedError as error:
            ...     'bm.Variable' in str(error)
            True
        """
        raise NotImplementedError(
            f"{self.name}.tracing_variable({name!r}, ...) is not supported (BrainPy 2.8 dropped "
            "it too). Create the Variable in __init__ (`self.w = bm.Variable(...)`), or in "
            "reset_state for state that depends on the batch size, and assign its `.value` "
            "inside transforms."
        )

    @property
    def implicit_vars(self) -> dict:
        """The Variables given to :meth:`register_implicit_vars`, by key.

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> dict(bp.BrainPyObject().implicit_vars)
            {}
        """
        return self._implicit("_implicit_vars")

    @property
    def implicit_nodes(self) -> dict:
        """The objects given to :meth:`register_implicit_nodes`, by key.

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> dict(bp.BrainPyObject().implicit_nodes)
            {}
        """
        return self._implicit("_implicit_nodes")

    def _implicit(self, attr: str) -> dict:
        stored = self.__dict__.get(attr)
        if stored is None:
            if THREAD.frames and not is_temporary(self.__dict__.get("_born")):
                return {}  # read-only view inside a transform: nothing registered
            setattr(self, attr, {})
            stored = self.__dict__[attr]
        return stored

    def register_implicit_vars(self, *variables: Any, var_cls: Any = None,
                               **named_variables: Any) -> None:
        """Make Variables that are not attributes part of this object (BrainPy's API).

        Each argument is a Variable (keyed ``'var<id>'`` as in BrainPy), a
        list/tuple of them (each keyed ``'var<id>'``), or a dict (its keys);
        keyword arguments are keyed by their names. In :meth:`vars` they are
        keyed as attributes of this object (``'Net0.k'``; relative ``'k'``),
        and the transforms and checkpoints treat them like attributes.
        brainobj already finds Variables in plain lists and dicts stored as
        attributes, so this is only needed for BrainPy code.

        Args:
            var_cls: the accepted classes (default: ``bm.Variable``,
                ``bm.VarList``, ``bm.VarDict``, as BrainPy; a container's
                elements are keyed ``'<key>-<index>'``).

        Raises:
            MathError: an entry is not an instance of ``var_cls``; a key is
                already registered to another Variable or names an attribute
                of this object; inside a transform (for an object created
                before it). Everything is checked first: nothing changes.

        Example:
            >>> import brainobj as bp, brainobj.math as bm
            >>> class Net(bp.BrainPyObject):
            ...     def __init__(self):
            ...         super().__init__(name='doc_implicit_vars')
            ...         self.register_implicit_vars({'h': bm.Variable(bm.zeros(2))},
            ...                                     c=bm.Variable(bm.ones(1)))
            >>> list(Net().vars())
            ['doc_implicit_vars.h', 'doc_implicit_vars.c']
        """
        kinds = (Variable, VarList, VarDict) if var_cls is None else var_cls
        entries = _implicit_entries(self, "register_implicit_vars", variables, named_variables,
                                    kinds, lambda v: f"var{id(v)}", expand=())
        self._register_implicit("_implicit_vars", entries, "register_implicit_vars")

    def register_implicit_nodes(self, *nodes: Any, node_cls: Any = None,
                                **named_nodes: Any) -> None:
        """Make objects that are not attributes children of this object (BrainPy's API).

        Each argument is an object (keyed by its ``name``), a list/tuple of
        them or a ``NodeList``/``NodeDict`` (each keyed by its name), or a
        dict (its keys); keyword arguments are keyed by their names. They are
        found by :meth:`nodes` (relative key: the key) and :meth:`vars`, and
        the transforms treat them like attributes.

        Args:
            node_cls: the accepted classes (default: ``BrainPyObject``).

        Raises:
            MathError: an entry is not an instance of ``node_cls``; a key is
                already registered to another object or names an attribute of
                this object; inside a transform (for an object created before
                it). Everything is checked first: nothing changes.

        Example:
            >>> import brainobj as bp
            >>> class Net(bp.BrainPyObject):
            ...     def __init__(self):
            ...         self.register_implicit_nodes(enc=bp.Linear(2, 3))
            >>> list(Net().nodes(method='relative'))
            ['', 'enc']
        """
        kinds = (BrainPyObject,) if node_cls is None else node_cls
        entries = _implicit_entries(self, "register_implicit_nodes", nodes, named_nodes,
                                    kinds, lambda n: n.name, expand=(NodeList, NodeDict))
        self._register_implicit("_implicit_nodes", entries, "register_implicit_nodes")

    def _register_implicit(self, attr: str, entries: list, method: str) -> None:
        current = dict(self.__dict__.get(attr) or {})
        for key, value in entries:
            held = current.get(key, _MISSING)
            if held is not _MISSING and held is not value:
                raise MathError(
                    f"{self.name}.{method}: key {key!r} is already registered to another "
                    f"{type(held).__name__}; nothing was registered. Use another key."
                )
            if key not in IMPLICIT_ATTRS and _current(self, key) is not _MISSING:
                raise MathError(
                    f"{self.name}.{method}: key {key!r} is an attribute of {self.name}; "
                    "vars()/nodes() would key both the same. Nothing was registered; use "
                    "another key."
                )
            current[key] = value
        setattr(self, attr, current)

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
        self, method: str = "absolute", level: int = -1, include_self: bool = True,
        exclude_types: Any = None,
    ) -> ArrayCollector:
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
            exclude_types: a class or tuple of classes of Variables to leave
                out (``isinstance``); default: ``bm.VariableView`` where it
                exists, as in BrainPy (a view is not state of its own).

        Returns an :class:`~brainobj.math.ArrayCollector` (``.dict()`` gives
        the values). Variables registered with :meth:`register_implicit_vars`
        are keyed as attributes of their object (``'Net0.k'``).

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
        if exclude_types is None:
            exclude_types = _default_excluded()
        elif isinstance(exclude_types, type):
            exclude_types = (exclude_types,)
        return collect(self, method, level, include_self,
                       exclude_types=tuple(exclude_types))[1]

    def train_vars(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> ArrayCollector:
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

    def __treescope_repr__(self, path: str | None, subtree_renderer: Any) -> Any:
        """Render in notebooks with treescope (when installed), as a foldable tree.

        Shows the public attributes like a constructor call; treescope marks
        a Variable or object met twice as shared, and brainobj cuts cycles.

        Raises nothing (treescope calls it).

        Example:
            >>> import brainobj as bp
            >>> import treescope  # doctest: +SKIP
            >>> treescope.render_to_text(bp.Linear(2, 3))  # doctest: +SKIP
        """
        return treescope_object(self, path, subtree_renderer)

    def __repr__(self) -> str:
        """The object tree: ``Linear(W=TrainVar(f32[3,2]), b=TrainVar(f32[2]))``.

        Each Variable shows its kind, dtype and shape; nested objects and
        containers of them are indented when the line would be long; a
        Variable or object met again is ``<shared: path>``, a cycle
        ``<cycle: path>``; long containers are cut with a count. A class
        adds its own arguments first by defining ``_repr_args()`` (a list of
        strings).

        Raises nothing.

        Example:
            >>> import brainobj as bp
            >>> bp.Linear(3, 2)
            Linear(W=TrainVar(f32[3,2]), b=TrainVar(f32[2]))
        """
        return object_repr(self)


_MISSING = object()
_STORED_KINDS = (list, tuple, dict, set, frozenset)


def _default_excluded() -> tuple:
    """``vars()``'s default ``exclude_types``: ``VariableView`` where it exists
    (BrainPy leaves views out: they are windows on another Variable)."""
    from . import _variable

    view = getattr(_variable, "VariableView", None)
    return (view,) if isinstance(view, type) else ()


def _first_device(platform: str, obj: "BrainPyObject") -> Any:
    try:
        return jax.devices(platform)[0]
    except RuntimeError as err:
        raise RuntimeError(
            f"{obj.name}: no {platform} device is visible to JAX ({err}); nothing was moved. "
            f"Use obj.to(device) with one of {jax.devices()}."
        ) from None


def _implicit_entries(obj: "BrainPyObject", method: str, positional: tuple, named: dict,
                      kinds: Any, key_of: Any, expand: tuple) -> list:
    """``(key, value)`` pairs from BrainPy's call forms of ``register_implicit_*``,
    every value checked against ``kinds`` before anything is registered."""
    entries: list = []

    def add(key: Any, value: Any, where: str) -> None:
        if not isinstance(value, kinds):
            wanted = kinds.__name__ if isinstance(kinds, type) else [k.__name__ for k in kinds]
            raise MathError(
                f"{obj.name}.{method}: {where} is a {type(value).__name__}, expected {wanted}; "
                "nothing was registered."
            )
        if not isinstance(key, str) or not key:
            raise MathError(f"{obj.name}.{method}: {where} has key {key!r}; keys must be "
                            "non-empty str. Nothing was registered.")
        entries.append((key, value))

    for i, arg in enumerate(positional):
        if isinstance(arg, dict) and not isinstance(arg, expand):
            for key, value in arg.items():
                add(key, value, f"argument {i}[{key!r}]")
        elif isinstance(arg, (list, tuple)) or isinstance(arg, expand):
            items = arg.values() if isinstance(arg, dict) else arg
            for j, value in enumerate(items):
                add(key_of(value) if isinstance(value, kinds) else j, value,
                    f"argument {i}[{j}]")
        else:
            add(key_of(arg) if isinstance(arg, kinds) else i, arg, f"argument {i}")
    for key, value in named.items():
        add(key, value, f"{key}=")
    return entries




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
    """Whether ``node`` is a named live object (not a copy JAX rebuilt)."""
    name = node.__dict__.get("name")
    return name is not None and (_NAMES.get(name) is node or _RELEASED.get(id(node)) is node)


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

@register_list_type
class NodeList(ObservedList):
    """A list of objects, found by ``nodes()``/``vars()`` and every transform.

    As in BrainPy, items need not be objects (a plain list is walked the
    same way); ``append``/``extend`` return the list, so calls chain.

    Raises:
        MathError: changed inside a transform it existed before.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Leaf(bp.BrainPyObject):
        ...     def __init__(self):
        ...         self.v = bm.Variable(bm.zeros(1))
        >>> layers = bm.NodeList([Leaf()]).append(Leaf())
        >>> len(layers)
        2
    """

    def append(self, item: Any) -> "NodeList":
        """Add ``item`` at the end; returns the list (BrainPy).

        Raises:
            MathError: called inside a transform the list existed before.
        """
        super().append(item)
        return self

    def extend(self, items: Any) -> "NodeList":
        """Add ``items`` at the end; returns the list (BrainPy).

        Raises:
            MathError: called inside a transform the list existed before.
        """
        super().extend(items)
        return self


@register_dict_type
class NodeDict(ObservedDict):
    """A dict of objects, found by ``nodes()``/``vars()`` and every transform.

    As in BrainPy, values need not be objects, ``update`` takes dicts,
    ``(key, value)`` pairs and keywords and returns the dict, and with
    ``check_unique=True`` a key cannot be rebound to a different value.

    Raises:
        KeyError: with ``check_unique=True``, a key already holding another
            value (nothing is changed).
        MathError: two keys read the same (``1`` and ``'1'``: they would
            share a name in ``vars()``); changed inside a transform it
            existed before.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> layers = bm.NodeDict(enc=bp.Linear(2, 3), dec=bp.Linear(3, 2), check_unique=True)
        >>> list(layers)
        ['enc', 'dec']
        >>> layers['enc'] = bp.Linear(2, 3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        KeyError: "NodeDict['enc'] already holds Linear...; check_unique=True forbids rebinding it..."
    """

    check_unique: bool = False

    def __init__(self, *args: Any, check_unique: bool = False, **kwargs: Any) -> None:
        super().__init__()
        self.check_unique = bool(check_unique)
        self.update(*args, **kwargs)

    def _check_unique(self, entries: dict) -> None:
        if not self.check_unique:
            return
        for key, value in entries.items():
            held = dict.get(self, key, None)
            if held is not None and held is not value:
                raise KeyError(
                    f"NodeDict[{key!r}] already holds {getattr(held, 'name', type(held).__name__)}; "
                    "check_unique=True forbids rebinding it to another value. Use a new key, or "
                    "delete the entry first. Nothing was changed.")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_unique({key: value})
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> "NodeDict":  # type: ignore[override]
        """Add or replace entries, all or nothing; returns the dict (BrainPy).

        Raises:
            TypeError: an argument is not a dict, a pair or pairs.
            KeyError: as ``d[k] = v`` with ``check_unique=True``.
            MathError: as ``d[k] = v``. Nothing is changed.
        """
        entries = brainpy_entries("NodeDict.update", args, kwargs)
        self._check_unique(entries)
        super().update(entries)
        return self


# BrainPy's lowercase names for the containers.
node_list = NodeList
node_dict = NodeDict
