"""A jitted call's inputs: its arguments, and the objects its function reaches.

:func:`read_arguments` sorts one call's arguments into *slots* -- objects,
dynamic leaves (arrays and Python numbers, traced by JAX) and static values
(compile-time constants) -- including the leaves of pytree arguments (a
tuple holding a model). It returns a :class:`CallLayout` (the shape of the
call, shared by every call that compiles alike) and the call's values.

:func:`find_captures` lists the objects and Variables a function can reach
without arguments: through its closure cells and the globals it names, and
below those through dict entries, list and tuple items, and attributes of
plain holder objects and modules. Each is found with its *path*
(``global cur['net']``), which :class:`Capture` re-resolves on every call:
a function reaching ``cur["net"]`` uses whatever ``cur["net"]`` is now.
"""

from __future__ import annotations

import itertools
import types
import weakref
from typing import Any, Callable, Iterator, Sequence

import jax
import jax.tree_util as jtu
import numpy as np

from ._errors import MathError
from ._graph import own_attributes, short_repr, slot_attributes
from ._keys import canonical
from ._partition import is_dynamic, is_state

__all__ = ["CallLayout", "CallValues", "read_arguments", "Capture", "find_captures"]

OBJECT, DYNAMIC, STATIC, TREE = "object", "dynamic", "static", "tree"


class CallLayout:
    """How one kind of call is laid out; hashable through :attr:`key`.

    ``slots`` holds one spec per top-level argument (positional, then
    keywords in sorted order): ``(OBJECT,)``, ``(DYNAMIC, group)``,
    ``(STATIC,)`` or ``(TREE, treedef, leaf_kinds)``, where ``group`` is
    ``'kept'`` or ``'donated'``. ``described`` lists ``(what, text, key)``
    for the static values, for warnings.
    """

    __slots__ = ("nargs", "kw_order", "slots", "key", "described", "kept_names", "donated_names")

    def rebuild(self, objects: list, statics: list, kept: list, donated: list) -> tuple[tuple, dict]:
        """The call's arguments from its objects, statics and dynamic inputs."""
        objects, statics, kept, donated = iter(objects), iter(statics), iter(kept), iter(donated)
        values = []
        for spec in self.slots:
            kind = spec[0]
            if kind is OBJECT:
                values.append(next(objects))
            elif kind is STATIC:
                values.append(next(statics))
            elif kind is DYNAMIC:
                values.append(next(donated) if spec[1] == "donated" else next(kept))
        # Tree leaves come after every top-level slot, in slot order (as gathered).
        out = []
        top = iter(values)
        for spec in self.slots:
            if spec[0] is not TREE:
                out.append(next(top))
                continue
            _, treedef, kinds = spec
            leaves = [next(objects) if k is OBJECT else next(statics) if k is STATIC else next(kept)
                      for k in kinds]
            out.append(treedef.unflatten(leaves))
        nargs = self.nargs
        return tuple(out[:nargs]), dict(zip(self.kw_order, out[nargs:]))


class CallValues:
    """One call's values, sorted as its :class:`CallLayout` says."""

    __slots__ = ("objects", "statics", "kept", "donated", "identities")

    def __init__(self) -> None:
        self.objects: list = []
        self.statics: list = []
        self.kept: list = []
        self.donated: list = []
        self.identities: list = []  # static values keyed by identity (held weakly by the key)


def _kind(value: Any) -> str:
    if is_state(value):
        return OBJECT
    if value is None or is_dynamic(value):
        return DYNAMIC
    return STATIC


def read_arguments(args: tuple, kwargs: dict, static_argnums: frozenset, static_argnames: frozenset,
                   donate_argnums: frozenset, plain_self: bool,
                   param_names: Sequence[str] = (), owner: str = "bm.jit") -> tuple[CallLayout, CallValues]:
    """Sort one call's arguments; see :class:`CallLayout`.

    Objects (and Variables) are managed in place; arrays and Python numbers
    are traced; everything else -- and arguments named static -- is a
    compile-time constant. A plain (non-``BrainPyObject``) ``self`` of a
    jitted method is an object too: its attributes are walked like a model's.
    ``param_names`` (the function's positional parameters) name the traced
    values in JAX's messages: ``x``, ``batch['image']``, ``args[2]``.
    """
    layout, values = CallLayout(), CallValues()
    kw_order = tuple(sorted(kwargs))
    slots, key, described = [], [], []
    trees = []
    names = {"kept": [], "donated": []}

    def user_name(name: int | str) -> str:
        if isinstance(name, str):
            return name
        return param_names[name] if name < len(param_names) else f"args[{name}]"

    def static(what: str, value: Any) -> tuple:
        part = canonical(value, values.identities)
        values.statics.append(value)
        described.append((what, short_repr(value), part))
        return (STATIC, part)

    arguments = [(i, v) for i, v in enumerate(args)] + [(name, kwargs[name]) for name in kw_order]
    for name, value in arguments:
        what = f"argument {name!r}" if isinstance(name, str) else f"argument {name}"
        if name in static_argnums or name in static_argnames:
            key.append(static(what, value))
            slots.append((STATIC,))
            continue
        kind = _kind(value)
        if kind is STATIC and name == 0 and plain_self:
            kind = OBJECT
        if kind is OBJECT:
            values.objects.append(value)
            slots.append((OBJECT,))
            key.append((OBJECT,))
        elif kind is DYNAMIC:
            _check_traceable(value, user_name(name), owner)
            group = "donated" if name in donate_argnums else "kept"
            (values.donated if group == "donated" else values.kept).append(value)
            if value is not None:  # None has no leaf to name
                names[group].append(user_name(name))
            slots.append((DYNAMIC, group))
            key.append((DYNAMIC, group))
        else:
            paths, treedef = jtu.tree_flatten_with_path(value, is_leaf=is_state)
            leaves = [leaf for _, leaf in paths]
            kinds = tuple(_kind(leaf) for leaf in leaves)
            if all(k is STATIC for k in kinds):  # a plain constant (a string, a config tuple)
                key.append(static(what, value))
                slots.append((STATIC,))
            else:
                slots.append((TREE, treedef, kinds))
                key.append((TREE, treedef, kinds))
                trees.append((what, user_name(name), paths, kinds))
    # Leaves of pytree arguments come after the top-level values, in slot order.
    for what, base, paths, kinds in trees:
        for j, ((path, leaf), kind) in enumerate(zip(paths, kinds)):
            if kind is OBJECT:
                values.objects.append(leaf)
            elif kind is STATIC:
                key.append(static(f"{what} leaf {j}", leaf))
            else:
                _check_traceable(leaf, base + jtu.keystr(path), owner)
                values.kept.append(leaf)
                if leaf is not None:
                    names["kept"].append(base + jtu.keystr(path))
    layout.nargs = len(args)
    layout.kw_order = kw_order
    layout.slots = tuple(slots)
    layout.key = (len(args), kw_order, tuple(key))
    layout.described = described
    layout.kept_names = names["kept"]
    layout.donated_names = names["donated"]
    return layout, values


def _check_traceable(value: Any, name: str, owner: str) -> None:
    """A NumPy array of objects or strings cannot become a JAX array."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUSV":
        raise MathError(
            f"{owner}: argument {name} is a NumPy array of dtype {value.dtype}, which JAX cannot "
            "trace; convert it to numbers, or make it static (static_argnums/static_argnames)."
        )


# -- objects reached without arguments ---------------------------------------------

_ITEM, _ATTR, _SELF, _DEREF = 0, 1, 2, 3
_MAX_DEPTH = 4        # steps below a closure cell or global
_MAX_VISITS = 5000    # containers and holders looked into, per function
_MAX_PATHS = 8        # paths kept to one object


class Capture:
    """A path from a function's closure or globals to an object it uses.

    Each step is ``(kind, key, length)``: an item of a container (whose
    length must still be ``length``: a list or dict that grew may hold models
    the function now reaches too), an attribute, a bound method's ``self``,
    or the target of a weak reference.
    """

    __slots__ = ("label", "_cell", "_namespace", "_name", "_steps")

    def __init__(self, label: str, cell: Any, namespace: dict | None, name: str | None,
                 steps: tuple) -> None:
        self.label = label
        self._cell = cell
        self._namespace = namespace
        self._name = name
        self._steps = steps

    def resolve(self) -> Any:
        """What the path leads to now (``None`` if it leads nowhere)."""
        try:
            value = self._cell.cell_contents if self._cell is not None else self._namespace[self._name]
            for kind, key, length in self._steps:
                if kind == _ITEM:
                    if len(value) != length:
                        return None
                    value = value[key]
                elif kind == _ATTR:
                    try:
                        value = value.__dict__[key]
                    except (KeyError, AttributeError):  # a slot (never a property)
                        value = dict(own_attributes(value))[key]
                elif kind == _SELF:
                    value = value.__self__
                else:
                    value = value()
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            return None
        return value

    @property
    def path(self) -> tuple:
        """The path's name and every step, container lengths included."""
        return (self.label, self._steps)

    def __repr__(self) -> str:
        return f"<capture {self.label}>"


class _WeakSource:
    """Where a bound method's ``self`` is found: held weakly, so a capture
    path never keeps the object alive (a cached loop body ``model.step``)."""

    __slots__ = ("_ref",)

    def __init__(self, obj: Any) -> None:
        try:
            self._ref = weakref.ref(obj)
        except TypeError:
            self._ref = lambda obj=obj: obj

    @property
    def cell_contents(self) -> Any:
        obj = self._ref()
        if obj is None:
            raise ValueError("the object is gone")
        return obj


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _is_holder(value: Any) -> bool:
    """A plain object whose attributes may hold models (not a class, function,
    module or array)."""
    return ((hasattr(value, "__dict__") or bool(slot_attributes(type(value)))) and not isinstance(
        value, (type, types.FunctionType, types.MethodType, types.ModuleType, types.BuiltinFunctionType))
        and not is_dynamic(value))


def find_captures(fun: Callable) -> list[tuple[Capture, Any]]:
    """``(capture, object)`` for each path by which ``fun`` can reach an object
    or Variable through its closure and globals; see the module notes.

    Functions ``fun`` holds in its closure (also through a weak reference),
    and functions of their own module they name as globals, are looked into
    as well: a helper (or a loop body handed to ``bm.for_loop``) that reaches
    a global model counts as reaching it. An object reached by several paths
    is listed once per path (up to a few), so rebinding any of them is seen.
    """
    found: list[tuple[Capture, Any]] = []
    paths_to: dict[int, int] = {}
    visited_functions: set[int] = set()
    budget = [_MAX_VISITS]

    def search(capture_args: tuple, label: str, value: Any, names: frozenset,
               steps: tuple = ()) -> None:
        cell, namespace, name = capture_args
        queue = [(label, value, steps)]
        seen: set[int] = set()
        while queue:
            label, value, steps = queue.pop(0)
            if is_state(value):
                if paths_to.get(id(value), 0) < _MAX_PATHS:
                    paths_to[id(value)] = paths_to.get(id(value), 0) + 1
                    found.append((Capture(label, cell, namespace, name, steps), value))
                continue
            if len(steps) >= _MAX_DEPTH or id(value) in seen or budget[0] <= 0:
                continue
            seen.add(id(value))
            budget[0] -= 1
            if isinstance(value, dict):
                n = len(value)
                items = [(f"{label}[{k!r}]", v, (_ITEM, k, n)) for k, v in list(value.items())[:1000]]
            elif isinstance(value, (list, tuple)):
                n = len(value)
                items = [(f"{label}[{i}]", v, (_ITEM, i, n)) for i, v in enumerate(value[:1000])]
            elif isinstance(value, types.ModuleType):
                attrs = vars(value)
                items = [(f"{label}.{n}", attrs[n], (_ATTR, n, None)) for n in names if n in attrs]
            elif isinstance(value, types.MethodType):
                items = [(f"{label}.__self__", value.__self__, (_SELF, None, None))]
            elif _is_holder(value):
                items = [(f"{label}.{n}", v, (_ATTR, n, None))
                         for n, v in itertools.islice(own_attributes(value), 1000)]
            else:
                continue
            for child_label, child, step in items:
                queue.append((child_label, child, steps + (step,)))

    def visit(f: Any) -> None:
        target = f.__func__ if isinstance(f, types.MethodType) else f
        code = getattr(target, "__code__", None)
        if code is None or id(target) in visited_functions:
            return
        visited_functions.add(id(target))
        if isinstance(f, types.MethodType):
            search((_WeakSource(f.__self__), None, None), "<bound self>", f.__self__, frozenset())
        codes = list(_code_objects(code))
        names = frozenset(n for c in codes for n in c.co_names)
        namespace = getattr(target, "__globals__", {})
        inner = []
        for name, cell in zip(code.co_freevars, target.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: the name is not bound yet
                continue
            steps = ()
            if isinstance(value, weakref.ref):  # held weakly (the eager loop cache's bodies)
                value, steps = value(), ((_DEREF, None, None),)
            if isinstance(value, (types.FunctionType, types.MethodType)):
                inner.append(value)
            elif value is not None:
                search((cell, None, None), f"<closure {name}>", value, names, steps)
        for name in sorted(names):
            if name not in namespace:
                continue
            value = namespace[name]
            if isinstance(value, types.FunctionType):
                if value.__globals__ is namespace:  # a helper of the same module
                    inner.append(value)
            elif not isinstance(value, type):
                search((None, namespace, name), f"<global {name}>", value, names)
        for g in inner:
            visit(g)

    visit(fun)
    return found


def check_in_shardings(owner: str, in_shardings: Any) -> Any:
    """``in_shardings`` as :func:`place_arguments` takes it (``None``: nothing to place).

    Raises:
        TypeError: neither a ``Sharding``, ``None`` nor a tuple/list of entries.
    """
    if in_shardings is None or isinstance(in_shardings, jax.sharding.Sharding):
        return in_shardings
    if isinstance(in_shardings, (tuple, list)):
        return None if all(s is None for s in in_shardings) else tuple(in_shardings)
    raise TypeError(f"{owner}: in_shardings must be a Sharding, None or a tuple with one entry "
                    f"per positional argument, got {type(in_shardings).__name__}.")


def place_arguments(owner: str, in_shardings: Any, args: tuple) -> tuple:
    """The positional ``args`` put on ``in_shardings`` (``jax.device_put``).

    One ``Sharding`` places every argument that is not an object; a tuple has
    one entry per argument, ``None`` leaving it as it is.

    Raises:
        ValueError: a tuple of another length than the arguments.
        TypeError: a sharding given for an object argument.
    """
    if isinstance(in_shardings, jax.sharding.Sharding):
        return tuple(arg if _kind(arg) is OBJECT else jax.device_put(arg, in_shardings)
                     for arg in args)
    if len(in_shardings) != len(args):
        raise ValueError(f"{owner}: in_shardings has {len(in_shardings)} entries, but the call "
                         f"passes {len(args)} positional argument(s); give one entry (or None) "
                         "per argument.")
    placed = []
    for i, (arg, sharding) in enumerate(zip(args, in_shardings)):
        if sharding is None:
            placed.append(arg)
        elif _kind(arg) is OBJECT or any(is_state(x) for x in jtu.tree_leaves(arg, is_leaf=is_state)):
            raise TypeError(f"{owner}: in_shardings[{i}] is given for an argument holding objects "
                            "or Variables; they keep their own layouts (place them with "
                            "bm.shard). Pass None for it.")
        else:
            placed.append(jax.device_put(arg, sharding))
    return tuple(placed)
