"""Walking object graphs: find every Variable and object once, cycles included.

Two walks live here, both breadth-first over objects and both cycle-safe:

* :func:`collect` backs ``obj.vars()`` / ``obj.nodes()``: BrainPy's naming
  (``'Linear0.W'``, ``'SuperSuperLinear0.vv-0'``) or relative paths
  (``'l1.W'``, ``'ss.0.l1.W'``).
* :func:`structure` backs the transforms' cache keys: a hashable description
  of everything a traced function may depend on (classes, static attribute
  values, container layouts, Variable shapes, where sharing occurs), plus the
  Variables in a fixed order, so that two objects of the same structure share
  one compiled function and their Variables line up position by position.

Plain lists, tuples and dicts (and the Node/Var containers) are transparent:
their elements are found wherever they are nested.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterator

import jax
import numpy as np

from ._collector import Collector
from ._static import canonical
from ._variable import Variable

# Attributes every object carries for brainobj's own bookkeeping.
INTERNAL_ATTRS = frozenset({"name", "_born", "_parent", "_dynamic"})


def is_node(value: Any) -> bool:
    from ._object import BrainPyObject

    return isinstance(value, BrainPyObject)


def own_attributes(obj: Any) -> Iterator[tuple[str, Any]]:
    """The user attributes of an object (or a plain object's ``__dict__``)."""
    for key, value in getattr(obj, "__dict__", {}).items():
        if key not in INTERNAL_ATTRS:
            yield key, value


def is_container(value: Any) -> bool:
    return isinstance(value, (list, tuple, dict))


def container_items(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        return iter(value.items())
    return enumerate(value)


def iter_state(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Yield ``(path, item)`` for each Variable or object in ``value``.

    ``path`` is the chain of container keys below the attribute.
    """
    if isinstance(value, Variable) or is_node(value):
        yield path, value
    elif is_container(value):
        for key, item in container_items(value):
            yield from iter_state(item, path + (key,))


def referenced_attributes(obj: Any) -> frozenset:
    """Attributes of ``obj`` that point to state owned elsewhere.

    A class lists them in ``_references`` (an optimizer's ``vars_to_train``
    holds the model's Variables). Collectors key such Variables by their
    owner's path when one exists; checkpoints leave them out.
    """
    return getattr(type(obj), "_references", frozenset())


def collect(
    root: Any, method: str = "absolute", level: int = -1, include_self: bool = True,
    skip_references: bool = False,
) -> tuple[Collector, Collector]:
    """Nodes and Variables reachable from ``root``, breadth-first.

    Returns ``(nodes, variables)``. Each node's own Variables come in
    attribute order, before those of its children; each Variable and node
    appears once however many paths reach it. Attributes a class declares
    as references (:func:`referenced_attributes`) are walked after
    everything else, so a Variable is keyed by the path of the object that
    owns it; with ``skip_references`` they are not walked at all.
    """
    if method not in ("absolute", "relative"):
        raise ValueError(f"method must be 'absolute' or 'relative', got {method!r}")
    relative = method == "relative"
    nodes, variables = Collector(), Collector()
    seen_nodes: set[int] = {id(root)}
    seen_vars: set[int] = set()
    queue: deque = deque([(root, 0, "")])
    deferred: deque = deque()   # (node, depth, prefix, attr, value) behind a reference

    def visit(node: Any, depth: int, prefix: str, attr: str, value: Any) -> None:
        for path, item in iter_state(value):
            if isinstance(item, Variable):
                if id(item) in seen_vars:
                    continue
                seen_vars.add(id(item))
                if depth > 0 or include_self:
                    if relative:
                        key = ".".join([p for p in (prefix, attr) if p] + [str(k) for k in path])
                    else:
                        key = f"{node.name}.{'-'.join([attr] + [str(k) for k in path])}"
                    variables[key] = item
            elif id(item) not in seen_nodes and (level < 0 or depth < level):
                seen_nodes.add(id(item))
                child = ".".join([p for p in (prefix, attr) if p] + [str(k) for k in path])
                queue.append((item, depth + 1, child))

    while queue or deferred:
        if not queue:
            visit(*deferred.popleft())
            continue
        node, depth, prefix = queue.popleft()
        if depth > 0 or include_self:
            nodes[prefix if relative else node.name] = node
        references = referenced_attributes(node)
        for attr, value in own_attributes(node):
            if attr in references:
                if not skip_references:
                    deferred.append((node, depth, prefix, attr, value))
                continue
            visit(node, depth, prefix, attr, value)
    return nodes, variables


# -- structure keys for the transforms ------------------------------------------

def _is_array(value: Any) -> bool:
    return isinstance(value, (jax.Array, np.ndarray))


class Structure:
    """What :func:`structure` found: a cache key and the Variables in order.

    ``key`` is hashable and contains no object identities except for array
    attributes (baked into compiled code as constants) and identity-compared
    unhashable statics. ``paths`` and ``shown`` give each key part a readable
    path and value, for warnings. ``arrays`` are the array attributes the key
    refers to by id.
    """

    __slots__ = ("key", "paths", "shown", "variables", "arrays", "nodes")

    def __init__(self) -> None:
        self.key: list = []
        self.paths: list[str] = []
        self.shown: list = []
        self.variables: list[Variable] = []
        self.arrays: list[Any] = []
        self.nodes: list[Any] = []


def structure(roots: list[tuple[str, Any]]) -> Structure:
    """Describe the object graphs below ``roots`` (``(label, object)`` pairs).

    A root may be a ``BrainPyObject``, a plain object (its ``__dict__`` is
    walked like an object's attributes) or a ``Variable``.
    """
    out = Structure()
    var_index: dict[int, int] = {}
    node_index: dict[int, str] = {}
    queue: deque = deque()

    def add(path: str, part: Any, shown: Any = None) -> None:
        out.paths.append(path)
        out.key.append(part)
        out.shown.append(part if shown is None else shown)

    def visit(path: str, value: Any) -> None:
        if isinstance(value, Variable):
            index = var_index.get(id(value))
            if index is not None:
                add(path, ("same-var", index))
                return
            var_index[id(value)] = len(out.variables)
            out.variables.append(value)
            add(path, ("var", type(value), value._value.shape, value._value.dtype))
        elif is_node(value):
            first = node_index.get(id(value))
            if first is not None:
                add(path, ("same-node", first))
                return
            node_index[id(value)] = path
            out.nodes.append(value)
            add(path, ("node", type(value)))
            queue.append((path, value))
        elif is_container(value):
            keys = tuple(canonical(k) for k, _ in container_items(value)) if isinstance(value, dict) else len(value)
            add(path, ("container", type(value), keys))
            for key, item in container_items(value):
                visit(f"{path}[{key!r}]", item)
        elif _is_array(value):
            out.arrays.append(value)
            add(path, ("array", id(value), value.shape, value.dtype))
        else:
            add(path, ("static", canonical(value)), value)

    for label, root in roots:
        if isinstance(root, Variable) or is_node(root):
            visit(label, root)
        else:
            add(label, ("object", type(root)))
            queue.append((label, root))
        while queue:
            prefix, node = queue.popleft()
            for attr, value in own_attributes(node):
                visit(f"{prefix}.{attr}", value)
    out.key = tuple(out.key)
    return out
