"""Walking object graphs: find every Variable and object once, cycles included.

The walks know objects by their base class :class:`GraphNode` (which
``BrainPyObject`` derives from), so this module needs nothing above it.
Three walks live here, all cycle-safe:

* :func:`collect` backs ``obj.vars()`` / ``obj.nodes()``: BrainPy's naming
  (``'Linear0.W'``, ``'SuperSuperLinear0.vv-0'``) or relative paths
  (``'l1.W'``, ``'ss.0.l1.W'``).
* :func:`structure` backs the transforms' cache keys: a hashable description
  of everything a traced function may depend on (classes, static attribute
  values, container layouts, Variable shapes, where sharing occurs), plus the
  Variables in a fixed order, so that two objects of the same structure share
  one compiled function and their Variables line up position by position.
  It also lists the stamps of everything it walked, so a plan can tell
  cheaply whether the structure it was built for still holds.
* :func:`check_acyclic` guards JAX's pytree functions, which recurse without
  end on a cycle of objects (``a.peer = b; b.peer = a``).

Plain lists, tuples and dicts (and the Node/Var containers) are transparent:
their elements are found wherever they are nested. An object's attributes are
its ``__dict__`` entries followed by the ``__slots__`` its classes declare
(:func:`own_attributes`), for the walks and the pytree rules alike.

Names
-----
A key of ``vars()``/``nodes()`` is made of *parts*: attribute names and
container keys (list indices, dict keys). A part is written as its text
(``str(key)``; a str as itself), except that the characters that separate
parts are percent-encoded, so that every path has its own key:

* ``%`` is written ``%25`` and ``.`` is written ``%2E`` (both methods);
* with ``method='absolute'``, ``-`` (which separates an attribute from its
  container keys there) is also written ``%2D``;
* an empty part is written ``%``.

Ordinary names (identifiers, indices, int keys, keys such as ``'conv-1'`` in
relative paths) are unchanged: ``{'a.b': v}`` stored as ``d`` is named
``'d.a%2Eb'``, while ``{'a': {'b': v}}`` is ``'d.a.b'``. Two keys of one dict
with the same text (``0`` and ``'0'``) cannot both hold state: stored
containers refuse that pair (:mod:`._containers`).
"""

from __future__ import annotations

import types
import weakref
from collections import deque
from typing import Any, Iterator

import equinox as eqx

from ._collector import ArrayCollector, Collector
from ._containers import EPOCH, key_text, register_state_types, stamp_of
from ._errors import MathError
from ._keys import ByIdentity, canonical
from ._layout import layout_of
from ._variable import Variable

# Attributes every object carries for brainobj's own bookkeeping.
INTERNAL_ATTRS = frozenset({"name", "_born", "_parent", "_dynamic", "_stamp", "_acyclic"})

# Where ``register_implicit_vars`` / ``register_implicit_nodes`` keep what
# they are given (a dict each). The collector walk keys their entries as if
# each were an attribute of its own (``'Net0.k'``, relative ``'k'``), as
# BrainPy does; everywhere else (pytrees, transforms) they are plain dicts.
IMPLICIT_ATTRS = frozenset({"_implicit_vars", "_implicit_nodes"})


class GraphNode:
    """The base of every object the walks descend into (``BrainPyObject``)."""

    __slots__ = ()


register_state_types(Variable, GraphNode)


def is_node(value: Any) -> bool:
    return isinstance(value, GraphNode)


# -- slots -----------------------------------------------------------------------

_SLOTS_CACHE = "_brainobj_slots_"  # set on each object class by its metaclass


def find_slots(kind: type) -> tuple[tuple[str, Any], ...]:
    """``(name, descriptor)`` of each slot the classes of ``kind`` declare, from
    the base class down (``__dict__`` and ``__weakref__`` excepted; private
    names mangled as Python does).

    Raises nothing (a class without slots gives ``()``).

    Example:
        >>> class A:
        ...     __slots__ = ('x', '__y')
        >>> [name for name, _ in find_slots(A)]
        ['x', '_A__y']
    """
    found: list[tuple[str, Any]] = []
    names: set[str] = set()
    for klass in reversed(kind.__mro__):
        declared = klass.__dict__.get("__slots__")
        if declared is None:
            continue
        for slot in (declared,) if isinstance(declared, str) else declared:
            if slot in ("__dict__", "__weakref__"):
                continue
            if slot.startswith("__") and not slot.endswith("__"):  # name mangling
                slot = f"_{klass.__name__.lstrip('_')}{slot}"
            descriptor = klass.__dict__.get(slot)
            if isinstance(descriptor, types.MemberDescriptorType) and slot not in names:
                names.add(slot)
                found.append((slot, descriptor))
    return tuple(found)


def slot_attributes(kind: type) -> tuple[tuple[str, Any], ...]:
    """:func:`find_slots`, cached on object classes (plain classes: computed).

    Raises nothing.

    Example:
        >>> import brainobj as bp
        >>> class S(bp.BrainPyObject):
        ...     __slots__ = ('w',)
        >>> [name for name, _ in slot_attributes(S)]
        ['w']
    """
    cached = kind.__dict__.get(_SLOTS_CACHE)
    if cached is not None:
        return cached
    try:  # plain classes (a cls_jit `self`, a holder): cached here, per class
        return _PLAIN_SLOTS[kind]
    except KeyError:
        found = _PLAIN_SLOTS[kind] = find_slots(kind)
        return found
    except TypeError:  # a class that cannot be weakly referenced
        return find_slots(kind)


_PLAIN_SLOTS: "weakref.WeakKeyDictionary[type, tuple]" = weakref.WeakKeyDictionary()


def own_attributes(obj: Any) -> Iterator[tuple[str, Any]]:
    """The user attributes of an object (or of a plain object): its
    ``__dict__`` entries in order (bookkeeping left out), then its slots that
    are set.

    Raises nothing.

    Example:
        >>> import brainobj as bp
        >>> class S(bp.BrainPyObject):
        ...     __slots__ = ('w', 'unset')
        ...     def __init__(self):
        ...         self.w, self.size = 1, 2
        >>> list(own_attributes(S()))
        [('size', 2), ('w', 1)]
    """
    items = getattr(obj, "__dict__", {}).items()
    if not is_node(obj):
        yield from items
    else:
        for key, value in items:
            if key not in INTERNAL_ATTRS:
                yield key, value
    for name, descriptor in slot_attributes(type(obj)):
        try:
            value = descriptor.__get__(obj, type(obj))
        except AttributeError:  # declared, never assigned
            continue
        yield name, value


# -- names -----------------------------------------------------------------------

def name_part(key: Any, absolute: bool = False) -> str:
    """How an attribute name or container key is written in a key of
    ``vars()``/``nodes()`` (see the module notes on names).

    Raises whatever ``str(key)`` raises (for builtin keys, nothing).

    Example:
        >>> name_part(0), name_part('conv-1'), name_part('conv-1', absolute=True)
        ('0', 'conv-1', 'conv%2D1')
        >>> name_part('a.b'), name_part('50%'), name_part('')
        ('a%2Eb', '50%25', '%')
    """
    text = key if type(key) is str else key_text(key)
    if not text:
        return "%"
    if "%" in text or "." in text or (absolute and "-" in text):
        text = text.replace("%", "%25").replace(".", "%2E")
        if absolute:
            text = text.replace("-", "%2D")
    return text


def relative_key(parts: Any) -> str:
    """``'ss.0.l1.W'``: the relative key of a path of attributes and keys.

    Raises nothing for builtin keys (see :func:`name_part`).

    Example:
        >>> relative_key(('ss', 0, 'l1', 'W')), relative_key(('d', 'a.b'))
        ('ss.0.l1.W', 'd.a%2Eb')
    """
    return ".".join(name_part(p) for p in parts)


def absolute_key(name: str, parts: Any) -> str:
    """``'SuperSuperLinear0.vv-0'``: the absolute key of a path within the
    object named ``name`` (an attribute, then container keys).

    Raises nothing for builtin keys (see :func:`name_part`).

    Example:
        >>> absolute_key('SuperSuperLinear0', ('vv', 0)), absolute_key('N0', ('d', 'x-y'))
        ('SuperSuperLinear0.vv-0', 'N0.d-x%2Dy')
    """
    return f"{name}.{'-'.join(name_part(p, True) for p in parts)}"


def readable_path(root: str, segments: Any) -> str:
    """``"Net0.layers[0].W"``: a path for messages, keys shown by ``repr``.

    Raises nothing for builtin keys.

    Example:
        >>> readable_path('Net0', [('layers', (0,)), ('W', ())])
        'Net0.layers[0].W'
    """
    out = [root]
    for attr, keys in segments:
        out.append(f".{attr}")
        out.extend(f"[{k!r}]" for k in keys)
    return "".join(out)


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


def holds_state(value: Any) -> bool:
    """Whether ``value`` is, or holds in containers, a Variable or an object."""
    for _ in iter_state(value):
        return True
    return False


def referenced_attributes(obj: Any) -> frozenset:
    """Attributes of ``obj`` that point to state owned elsewhere.

    A class lists them in ``_references`` (an optimizer's ``vars_to_train``
    holds the model's Variables). Collectors key such Variables by their
    owner's path when one exists; checkpoints leave them out.
    """
    return getattr(type(obj), "_references", frozenset())


def collect(
    root: Any, method: str = "absolute", level: int = -1, include_self: bool = True,
    skip_references: bool = False, exclude_types: tuple = (),
) -> tuple[Collector, ArrayCollector]:
    """Nodes and Variables reachable from ``root``, breadth-first.

    Returns ``(nodes, variables)``. Each node's own Variables come in
    attribute order, before those of its children; each Variable and node
    appears once however many paths reach it. Attributes a class declares
    as references (:func:`referenced_attributes`) are walked after
    everything else, so a Variable is keyed by the path of the object that
    owns it; with ``skip_references`` they are not walked at all. Keys are
    written as the module notes on names say. Entries registered with
    ``register_implicit_vars``/``register_implicit_nodes`` are keyed as
    attributes of their own (:data:`IMPLICIT_ATTRS`). Variables that are
    instances of ``exclude_types``, or held by an attribute a class names in
    ``_excluded_vars`` (BrainPy's switch), are left out of the Variables;
    objects under such an attribute are still walked.

    Raises:
        ValueError: ``method`` is neither ``'absolute'`` nor ``'relative'``.
        MathError: two different Variables or objects would get the same
            key, naming both paths. With ``'absolute'`` keys this happens when
            two objects reached share a name: copies rebuilt by JAX's pytree
            functions (``jax.tree.map``) keep their original's name until they
            are stored on an object. Stored containers refuse the other causes
            (keys that read the same), so it is rare.

    Example:
        >>> import brainobj as bp
        >>> class Pair(bp.BrainPyObject):
        ...     def __init__(self):
        ...         self.layers = {'a.b': bp.Linear(1, 1)}
        >>> nodes, variables = collect(Pair(), 'relative')
        >>> list(nodes), list(variables)
        (['', 'layers.a%2Eb'], ['layers.a%2Eb.W', 'layers.a%2Eb.b'])
    """
    if method not in ("absolute", "relative"):
        raise ValueError(f"method must be 'absolute' or 'relative', got {method!r}")
    relative = method == "relative"
    absolute = not relative
    sep = "." if relative else "-"
    nodes, variables = Collector(), ArrayCollector()
    seen_nodes: set[int] = {id(root)}
    seen_vars: set[int] = set()
    # queue entries: (node, depth, relative prefix (None for the root))
    queue: deque = deque([(root, 0, None)])
    deferred: deque = deque()   # (node, depth, prefix, attr, value) behind a reference

    def clash(kind: str, key: str, first: Any, second: Any) -> MathError:
        root_name = getattr(root, "name", type(root).__name__)
        a, b = _locate(root, first), _locate(root, second)
        hint = (" Two objects reached share a name: a copy made by a JAX pytree function "
                "(jax.tree.map, eqx.combine) keeps its original's name until it is stored "
                "as an attribute of an object. Store the copy on an object, give it a name "
                "(`copy.name = 'target'`), or use method='relative'."
                if absolute else "")
        return MathError(f"{root_name}: {a} and {b} are different {kind}s that would both "
                         f"be keyed {key!r} by vars()/nodes() (method={method!r}).{hint}")

    def visit(node: Any, depth: int, prefix: str | None, attr: str, value: Any) -> None:
        if attr in IMPLICIT_ATTRS and isinstance(value, dict):
            for key, item in value.items():  # BrainPy keys these as attributes
                visit(node, depth, prefix, key, item)
            return
        base = None
        hidden = attr in getattr(node, "_excluded_vars", ())
        for path, item in iter_state(value):
            if isinstance(item, Variable):
                if hidden or id(item) in seen_vars:
                    continue
                seen_vars.add(id(item))
                if exclude_types and isinstance(item, exclude_types):
                    continue
                if depth > 0 or include_self:
                    if base is None:
                        text = name_part(attr, absolute)
                        base = (f"{node.name}.{text}" if absolute
                                else text if prefix is None else f"{prefix}.{text}")
                    key = (base if not path else
                           base + sep + sep.join([name_part(k, absolute) for k in path]))
                    other = variables.get(key)
                    if other is not None:
                        raise clash("Variable", key, other, item)
                    dict.__setitem__(variables, key, item)
            elif id(item) not in seen_nodes and (level < 0 or depth < level):
                seen_nodes.add(id(item))
                rest = relative_key((attr,) + path)
                queue.append((item, depth + 1, rest if prefix is None else f"{prefix}.{rest}"))

    while queue or deferred:
        if not queue:
            visit(*deferred.popleft())
            continue
        node, depth, prefix = queue.popleft()
        if depth > 0 or include_self:
            key = (prefix or "") if relative else node.name
            other = nodes.get(key)
            if other is not None:
                raise clash("object", key, other, node)
            dict.__setitem__(nodes, key, node)
        references = referenced_attributes(node)
        for attr, value in own_attributes(node):
            if attr in references:
                if not skip_references:
                    deferred.append((node, depth, prefix, attr, value))
                continue
            visit(node, depth, prefix, attr, value)
    return nodes, variables


def _locate(root: Any, target: Any) -> str:
    """A readable path (``"Net0.layers[1].W"``) from ``root`` to ``target``,
    found breadth-first; for error messages only."""
    root_name = getattr(root, "name", type(root).__name__)
    queue: deque = deque([(root, ())])
    seen = {id(root)}
    while queue:
        node, trail = queue.popleft()
        for attr, value in own_attributes(node):
            for path, item in iter_state(value):
                here = trail + ((attr, path),)
                if item is target:
                    return readable_path(root_name, here)
                if is_node(item) and id(item) not in seen:
                    seen.add(id(item))
                    queue.append((item, here))
    return root_name if target is root else f"<{type(target).__name__}>"


# -- structure keys for the transforms ------------------------------------------

class Structure:
    """What :func:`structure` found: a cache key and the Variables in order.

    ``key`` is hashable and holds no strong reference to any object: values
    compared by identity (array attributes, baked into compiled code as
    constants; functions and other unhashable statics) appear as weak
    :class:`~._keys.ByIdentity` parts and are listed in ``identities``, so
    the caller can drop its entry when one dies; ``arrays`` are the array
    attributes among them. ``paths`` and ``shown`` give each key part a
    readable path and value. ``stamps`` are the stamps of the objects and
    containers walked, for a cheap "still the same?" later.
    """

    __slots__ = ("key", "paths", "shown", "variables", "identities", "arrays", "stamps")

    def __init__(self) -> None:
        self.key: list = []
        self.paths: list[str] = []
        self.shown: list = []
        self.variables: list[Variable] = []
        self.identities: list[Any] = []
        self.arrays: list[Any] = []
        self.stamps: list[tuple[Any, int]] = []

    def described(self) -> list[tuple[str, str, Any]]:
        """``(path, text, key part)`` of each static value, for warnings.

        Holds text, not the values: it is kept with compiled entries."""
        return [(path, short_repr(shown), part) for path, part, shown
                in zip(self.paths, self.key, self.shown) if part[0] == "static"]


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

    def note_stamp(value: Any) -> None:
        stamp = stamp_of(value) if not is_node(value) else value.__dict__.get("_stamp")
        if stamp is not None:
            out.stamps.append((stamp, stamp.count))

    def visit(path: str, value: Any) -> None:
        if isinstance(value, Variable):
            index = var_index.get(id(value))
            if index is not None:
                add(path, ("same-var", index))
                return
            var_index[id(value)] = len(out.variables)
            out.variables.append(value)
            box = value._value
            # A layout over devices is part of the key: the compiled code pins
            # written Variables to it (see _layout.py).
            add(path, ("var", type(value), box.shape, box.dtype, layout_of(box)))
        elif is_node(value):
            first = node_index.get(id(value))
            if first is not None:
                add(path, ("same-node", first))
                return
            node_index[id(value)] = path
            note_stamp(value)
            add(path, ("node", type(value)))
            queue.append((path, value))
        elif is_container(value):
            note_stamp(value)
            keys = (tuple(canonical(k, out.identities) for k, _ in container_items(value))
                    if isinstance(value, dict) else len(value))
            add(path, ("container", type(value), keys))
            for key, item in container_items(value):
                visit(f"{path}[{key!r}]", item)
        elif eqx.is_array(value):
            out.identities.append(value)
            out.arrays.append(value)
            add(path, ("array", ByIdentity(value), value.shape, value.dtype))
        else:
            add(path, ("static", canonical(value, out.identities)), value)

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


def short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not break a warning
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- cycles ------------------------------------------------------------------------

def check_acyclic(obj: Any) -> None:
    """Raise :class:`MathError` if a cycle of objects is reachable from ``obj``.

    JAX's pytree functions recurse into an object's children; on a cycle
    they would recurse until the interpreter's stack gives out. Verdicts are
    cached per object until any structure changes anywhere (``EPOCH``), so
    flattening a model checks its graph once, not once per node.
    """
    epoch = EPOCH.count
    if obj.__dict__.get("_acyclic") == epoch:
        return
    trail: list[tuple[Any, str]] = []  # (object, attribute leading on) along the path
    on_path: set[int] = {id(obj)}
    done: set[int] = set()
    visited: list[Any] = []

    def children(node: Any):
        for attr, value in own_attributes(node):
            for path, item in iter_state(value):
                if is_node(item):
                    yield "-".join([attr] + [str(k) for k in path]), item

    # Iterative depth-first search: a deep chain must not exhaust the stack.
    stack = [(obj, iter(children(obj)))]
    while stack:
        node, it = stack[-1]
        for attr, child in it:
            key = id(child)
            if key in on_path:
                steps = trail + [(node, attr)]
                first = next(i for i, (n, _) in enumerate(steps) if n is child)
                loop = "".join(f"{n.name}.{a} -> " for n, a in steps[first:]) + child.name
                raise MathError(
                    f"{obj.name}: its objects form a cycle ({loop}). JAX's pytree functions "
                    "(jax.tree.map, jax.tree_util.tree_leaves, eqx.filter, jax.jit arguments) "
                    "need a tree and would recurse forever; brainobj's transforms (bm.jit, "
                    "bm.grad, ...) accept cycles. Break the back-reference (hold it through "
                    "a weakref.ref, which is not an object attribute), or use bm transforms."
                )
            if key not in done and child.__dict__.get("_acyclic") != epoch:
                trail.append((node, attr))
                on_path.add(key)
                stack.append((child, iter(children(child))))
                break
        else:
            stack.pop()
            on_path.discard(id(node))
            if trail:
                trail.pop()
            done.add(id(node))
            visited.append(node)
    for node in visited:
        node.__dict__["_acyclic"] = epoch
