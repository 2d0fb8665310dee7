"""Where a transformed function can find state: its arguments and its closure.

:func:`classify_argument` sorts each argument into static (part of the cache
key), dynamic (passed to JAX as an array argument), an object (its Variables
are managed, its structure keyed) or a pytree mixing those.

:func:`referenced_objects` lists the objects and Variables a function names
directly -- in closure cells or as globals -- so that a later rebinding of such
a name (``net = Net()``) is noticed on the next call.
"""

from __future__ import annotations

import types
import weakref
from typing import Any, Callable, Iterator

import jax
import jax.tree_util as jtu
import numpy as np

from ._static import canonical
from ._variable import Variable

STATIC, DYNAMIC, OBJECT, TREE = "static", "dynamic", "object", "tree"

_SCALARS = (bool, int, float, complex, np.generic)


def is_state(x: Any) -> bool:
    from ._object import BrainPyObject

    return isinstance(x, (BrainPyObject, Variable))


def is_arraylike(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray, *_SCALARS))


def classify_leaf(x: Any) -> str:
    if is_state(x):
        return OBJECT
    if x is None or is_arraylike(x):
        return DYNAMIC
    return STATIC


def classify_argument(value: Any) -> tuple[str, Any]:
    """Return ``(kind, detail)`` for one argument.

    ``detail`` is ``None`` except for :data:`TREE`, where it is
    ``(treedef, leaf_kinds)``.
    """
    if is_state(value):
        return OBJECT, None
    if value is None or is_arraylike(value):
        return DYNAMIC, None
    leaves, treedef = jtu.tree_flatten(value, is_leaf=is_state)
    kinds = tuple(classify_leaf(leaf) for leaf in leaves)
    if all(kind == DYNAMIC for kind in kinds):
        return DYNAMIC, None
    if all(kind == STATIC for kind in kinds):
        return STATIC, None
    return TREE, (treedef, kinds)


def static_key(value: Any) -> Any:
    return canonical(value)


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def referenced_objects(fun: Callable) -> list[tuple[str, Any, Callable[[], Any]]]:
    """Objects/Variables that ``fun`` names directly, with a way to re-read each.

    Functions ``fun`` holds in its closure, and functions of its own module it
    names as globals, are looked into as well: a helper (or a loop body handed
    to ``bm.for_loop``) that reaches a global model counts as naming it.
    Returns ``(label, object, reread)`` triples; ``reread()`` returns what the
    name refers to now.
    """
    found: list[tuple[str, Any, Callable[[], Any]]] = []
    seen: set[int] = set()
    visited: set[int] = set()

    def consider(label: str, value: Any, reread: Callable[[], Any]) -> None:
        target = value.__self__ if isinstance(value, types.MethodType) else value
        if is_state(target) and id(target) not in seen:
            seen.add(id(target))
            found.append((label, target, reread))

    def visit(f: Any, home: dict | None) -> None:
        code = getattr(f, "__code__", None)
        if code is None or id(f) in visited:
            return
        visited.add(id(f))
        inner_functions = []
        for name, cell in zip(code.co_freevars, f.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # empty cell: the name is not bound yet
                continue
            consider(f"<closure {name}>", value, lambda cell=cell: _cell_value(cell))
            if isinstance(value, types.FunctionType):
                inner_functions.append(value)
        namespace = getattr(f, "__globals__", {})
        for inner in _code_objects(code):
            for name in inner.co_names:
                if name in namespace:
                    value = namespace[name]
                    consider(f"<global {name}>", value, lambda ns=namespace, n=name: ns.get(n))
                    if isinstance(value, types.FunctionType) and value.__globals__ is home:
                        inner_functions.append(value)
        for g in inner_functions:
            visit(g, home if home is not None else namespace)

    visit(fun, getattr(fun, "__globals__", None))
    return found


def _cell_value(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return None


def top_owner(var: Variable) -> Any:
    """The outermost object that (transitively) holds ``var``, or ``var`` itself."""
    owner_ref = var._owner
    node = owner_ref() if owner_ref is not None else None
    if node is None:
        return var
    seen = {id(node)}
    while True:
        parent_ref = node.__dict__.get("_parent")
        parent = parent_ref() if parent_ref is not None else None
        if parent is None or id(parent) in seen:
            return node
        seen.add(id(parent))
        node = parent


def make_ref(obj: Any, callback: Callable | None = None) -> Callable[[], Any]:
    """A weak reference when possible, else a strong one with the same call API."""
    try:
        return weakref.ref(obj, callback) if callback else weakref.ref(obj)
    except TypeError:
        return lambda: obj
