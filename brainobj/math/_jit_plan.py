"""The slow path of ``bm.jit``: planning, discovery, compilation, warnings.

A call's *plan* says which live Variables to gather, which compiled function
to run and which Variables to write back. Building it:

1. sort the arguments (static / dynamic / object / pytree of those) and
   collect the roots: object arguments, and objects the function names
   directly (closure cells, globals);
2. describe the structure below the roots (:func:`~._graph.structure`): the
   cache key. Two calls with equal keys share one compiled function -- also
   for different instances of the same class;
3. on a miss, run the function abstractly to *discover* which Variables it
   reads and writes. Variables outside the roots (the global random state,
   a model reached through another function's globals) are pinned by
   identity: their outermost owner becomes an extra root of that entry;
4. bind the entry to this call's objects: Variables are looked up by their
   position in the structure walk.

Caches refer to objects only weakly: dropping a model frees its entries.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from typing import Any, Callable

import jax
import jax.tree_util as jtu

from ._graph import structure
from ._roots import (
    DYNAMIC, OBJECT, STATIC, TREE, classify_argument, is_state, make_ref,
    referenced_objects, static_key, top_owner,
)
from ._state import STRUCTURE
from ._stateful import Replan, call_with_state, discover

# Compiling this many times for changed static structure triggers one warning.
RETRACE_WARN_AFTER = 4


class RetraceWarning(UserWarning):
    """A transformed function keeps recompiling because its static parts change."""


class Layout:
    """How to rebuild a call's arguments from objects and dynamic inputs.

    ``positional`` and ``keyword`` hold one spec per argument:
    ``(STATIC, value)``, ``(OBJECT, slot)``, ``(DYNAMIC, group, index)`` or
    ``(TREE, treedef, leaf_specs, group, index)`` where ``group`` is
    ``'kept'``, ``'donated'`` or ``'kw'``.
    """

    __slots__ = ("positional", "keyword", "key", "described")

    def __init__(self) -> None:
        self.positional: list = []
        self.keyword: list = []
        self.key: tuple = ()
        self.described: list = []


def build_layout(args: tuple, kwargs: dict, static_argnums, static_argnames, donate_argnums,
                 plain_self: bool = False):
    """Sort the arguments; return ``(layout, roots, inputs)``.

    ``roots`` lists ``(label, object, position)`` for the objects found;
    ``inputs`` is ``(kept, donated, kw)``: the dynamic inputs of this call.
    """
    layout = Layout()
    roots: list = []
    kept: list = []
    donated: list = []
    kw_inputs: dict = {}
    key_parts: list = []

    def add(name: Any, value: Any, is_static: bool, group: str) -> tuple:
        if is_static:
            layout.described.append((f"argument {name}", value))
            key_parts.append((STATIC, static_key(value)))
            return (STATIC, value)
        kind, detail = classify_argument(value)
        if name == 0 and plain_self and kind == STATIC:
            kind = OBJECT  # the plain-class `self` of a jitted method
        if kind == OBJECT:
            roots.append((f"arg {name}", value, name))
            key_parts.append((OBJECT,))
            return (OBJECT, len(roots) - 1)
        if kind == STATIC:
            layout.described.append((f"argument {name}", value))
            key_parts.append((STATIC, static_key(value)))
            return (STATIC, value)
        target = kw_inputs if group == "kw" else (donated if group == "donated" else kept)
        index = name if group == "kw" else len(target)
        if kind == DYNAMIC:
            _store(target, index, value)
            key_parts.append((DYNAMIC,))
            return (DYNAMIC, group, index)
        treedef, kinds = detail
        leaves = jtu.tree_leaves(value, is_leaf=is_state)
        specs, dyn_leaves, leaf_key = [], [], []
        for j, (leaf, leaf_kind) in enumerate(zip(leaves, kinds)):
            if leaf_kind == OBJECT:
                roots.append((f"arg {name}[{j}]", leaf, None))
                specs.append((OBJECT, len(roots) - 1))
                leaf_key.append((OBJECT,))
            elif leaf_kind == STATIC:
                specs.append((STATIC, leaf))
                leaf_key.append((STATIC, static_key(leaf)))
                layout.described.append((f"argument {name} leaf {j}", leaf))
            else:
                specs.append((DYNAMIC, len(dyn_leaves)))
                dyn_leaves.append(leaf)
                leaf_key.append((DYNAMIC,))
        _store(target, index, dyn_leaves)
        key_parts.append((TREE, treedef, tuple(leaf_key)))
        return (TREE, treedef, specs, group, index)

    for i, value in enumerate(args):
        group = "donated" if i in donate_argnums else "kept"
        layout.positional.append(add(i, value, i in static_argnums, group))
    for name in sorted(kwargs):
        layout.keyword.append((name, add(name, kwargs[name], name in static_argnames, "kw")))
    layout.key = (len(args), tuple(sorted(kwargs)), tuple(key_parts))
    return layout, roots, (kept, donated, kw_inputs)


def _store(target: Any, index: Any, value: Any) -> None:
    if isinstance(target, dict):
        target[index] = value
    else:
        target.append(value)


def rebuild_arguments(layout: Layout, objects: list, kept, donated, kw_inputs):
    """The inverse of :func:`build_layout`: the arguments to call the function with."""

    def make(spec: tuple) -> Any:
        kind = spec[0]
        if kind == STATIC:
            return spec[1]
        if kind == OBJECT:
            return objects[spec[1]]
        group, index = spec[-2], spec[-1]
        source = kw_inputs if group == "kw" else (donated if group == "donated" else kept)
        if kind == DYNAMIC:
            return source[index]
        _, treedef, specs, _, _ = spec
        dyn = source[index]
        leaves = [
            leaf[1] if leaf[0] == STATIC else objects[leaf[1]] if leaf[0] == OBJECT else dyn[leaf[1]]
            for leaf in specs
        ]
        return jtu.tree_unflatten(treedef, leaves)

    args = tuple(make(spec) for spec in layout.positional)
    kwargs = {name: make(spec) for name, spec in layout.keyword}
    return args, kwargs


class Entry:
    """One compiled function, shared by every call whose structure matches."""

    __slots__ = (
        "layout", "full_key", "extra_refs", "array_refs", "read_idx", "write_idx", "n_rw",
        "compiled", "compact", "binding", "described", "__weakref__",
    )


class Plan:
    """An entry bound to live objects: what the fast path reuses."""

    __slots__ = (
        "entry", "version", "nargs", "kw_keys", "objects", "statics", "kept_pos",
        "donated_pos", "kw_dynamic", "kw_statics", "simple", "watch", "plain", "root_refs",
        "rw_vars", "ro_vars", "read_vars", "write_vars", "check", "run", "__weakref__",
    )

    def still_valid_slow_checks(self) -> bool:
        """The rarely needed checks: rebound globals, changed plain objects."""
        for reread, obj in self.watch:
            if reread() is not obj:
                return False
        for ref, snapshot in self.plain:
            obj = ref()
            if obj is None:
                return False
            values = tuple(obj.__dict__.values())
            if len(values) != len(snapshot) or any(a is not b for a, b in zip(values, snapshot)):
                return False
        return True


class Planner:
    """Builds plans and owns the compiled entries of one jitted function."""

    def __init__(self, fun: Callable, name: str, static_argnums, static_argnames,
                 donate_argnums, donate_vars: bool, inline: bool, plain_self: bool) -> None:
        self.fun = fun
        self.name = name
        self.static_argnums = frozenset(static_argnums)
        self.static_argnames = frozenset(static_argnames)
        self.donate_argnums = frozenset(donate_argnums)
        self.donate_vars = donate_vars
        self.inline = inline
        self.plain_self = plain_self
        self.entries: dict[Any, list[Entry]] = {}
        self.compiles = 0
        self.warned = False
        self.last_described: list | None = None

    @property
    def owner(self) -> str:
        return f"bm.jit({self.name})"

    # -- planning -------------------------------------------------------------
    def prepare(self, args: tuple, kwargs: dict, widen: Entry | None = None) -> Plan:
        layout, arg_roots, inputs = build_layout(
            args, kwargs, self.static_argnums, self.static_argnames, self.donate_argnums,
            self.plain_self)
        # A plain (non-BrainPyObject) `self` is walked like an object and its
        # attributes are re-checked by identity on every call.
        plain = [args[0]] if self.plain_self and arg_roots and arg_roots[0][2] == 0 and not is_state(args[0]) else []
        roots = [(label, obj) for label, obj, _ in arg_roots]
        root_ids = {id(obj) for _, obj in roots}
        watch = []
        for label, obj, reread in referenced_objects(self.fun):
            watch.append((reread, obj))
            if id(obj) not in root_ids:
                root_ids.add(id(obj))
                roots.append((label, obj))
        found = structure(roots)
        key = (layout.key, found.key, tuple(id(o) for _, o in roots[len(arg_roots):]))

        entry, full = self._lookup(key, roots)
        if entry is None or widen is not None:
            entry, full = self._compile_entry(key, layout, roots, args, kwargs, inputs, widen)
        plan = self._bind(entry, full, layout, args, kwargs, arg_roots, roots, watch, plain)
        return plan, inputs

    def _lookup(self, key: Any, roots: list):
        for entry in self.entries.get(key, ()):
            extras = [ref() for ref in entry.extra_refs]
            if any(e is None for e in extras) or any(ref() is None for ref in entry.array_refs):
                continue
            full = structure(roots + [(f"<free {i}>", e) for i, e in enumerate(extras)])
            if full.key == entry.full_key:
                return entry, full
        return None, None

    def _compile_entry(self, key, layout, roots, args, kwargs, inputs, widen):
        objects = [obj for _, obj in roots]
        reads, writes = self._discover(layout, objects, inputs)
        if widen is not None:
            old = widen.binding
            reads = _union(reads, old.read_vars, old.write_vars, writes)
            writes = _union(writes, old.write_vars)
        known = {id(v) for v in structure(roots).variables}
        extras, extra_ids = [], set()
        for var in _union(reads, writes):
            if id(var) not in known:
                owner = top_owner(var)
                if id(owner) not in extra_ids and id(owner) not in {id(o) for o in objects}:
                    extra_ids.add(id(owner))
                    extras.append(owner)
        full = structure(roots + [(f"<free {i}>", e) for i, e in enumerate(extras)])
        position = {id(v): i for i, v in reversed(list(enumerate(full.variables)))}
        # A Variable's recorded owner may have let go of it (moved to another
        # object, or a copy's stale back-reference): track the Variable itself.
        strays = [v for v in _union(reads, writes) if id(v) not in position]
        if strays:
            extras.extend(strays)
            full = structure(roots + [(f"<free {i}>", e) for i, e in enumerate(extras)])
            position = {id(v): i for i, v in reversed(list(enumerate(full.variables)))}
        write_ids = {id(v) for v in writes}
        rw = [position[id(v)] for v in reads if id(v) in write_ids]
        ro = [position[id(v)] for v in reads if id(v) not in write_ids]

        entry = Entry()
        entry.layout = layout
        entry.full_key = full.key
        entry.read_idx = rw + ro
        entry.n_rw = len(rw)
        entry.write_idx = [position[id(v)] for v in writes]
        entry.binding = None
        entry.described = layout.described + list(zip(full.paths, full.shown))
        entry.extra_refs = [make_ref(e, lambda _, k=key: self._evict(k)) for e in extras]
        # Array attributes are compiled in as constants and keyed by id: a
        # dead array's id may be reused, so the entry must not outlive it.
        entry.array_refs = [make_ref(a, lambda _, k=key: self._evict(k)) for a in full.arrays]
        entry.compact = not (self.donate_vars or self.donate_argnums or layout.keyword)
        entry.compiled = self._make_compiled(entry)

        bucket = self.entries.setdefault(key, [])
        if widen is not None and widen in bucket:
            bucket.remove(widen)
        bucket.append(entry)
        self._count_compile(entry)
        return entry, full

    def _discover(self, layout, objects, inputs):
        def run(kept, donated, kw_inputs):
            call_args, call_kwargs = rebuild_arguments(layout, objects, kept, donated, kw_inputs)
            return self.fun(*call_args, **call_kwargs)

        reads, writes, _ = discover(run, inputs, {}, self.owner)
        return reads, writes

    def _make_compiled(self, entry: Entry):
        fun, owner = self.fun, self.owner

        def pure(rw_values, ro_values, donated, kept, kw_inputs):
            plan = entry.binding
            if any(is_state(leaf) for leaf in jtu.tree_leaves((donated, kept, kw_inputs), is_leaf=is_state)):
                raise Replan()  # an object arrived in an array slot: plan again
            objects = [ref() for ref in plan.root_refs]
            args, kwargs = rebuild_arguments(entry.layout, objects, kept, donated, kw_inputs)
            return call_with_state(fun, args, kwargs, plan.read_vars,
                                   list(rw_values) + list(ro_values), plan.write_vars, owner)

        if entry.compact:
            # The common case gets two arguments: fewer pytrees for JAX's
            # dispatch to flatten on every call.
            return jax.jit(lambda values, kept: pure(values, (), (), kept, {}), inline=self.inline)
        donate = ((0,) if self.donate_vars else ()) + ((2,) if self.donate_argnums else ())
        return jax.jit(pure, donate_argnums=donate, inline=self.inline)

    def _bind(self, entry, full, layout, args, kwargs, arg_roots, roots, watch, plain) -> Plan:
        plan = Plan()
        plan.entry = entry
        plan.version = STRUCTURE.version
        plan.nargs = len(args)
        plan.kw_keys = set(kwargs)
        variables = full.variables
        plan.read_vars = [variables[i] for i in entry.read_idx]
        plan.rw_vars = plan.read_vars[: entry.n_rw]
        plan.ro_vars = plan.read_vars[entry.n_rw:]
        plan.write_vars = [variables[i] for i in entry.write_idx]
        plan.root_refs = [make_ref(obj) for _, obj in roots]
        # When an argument object dies, forget the plan: it holds its Variables.
        forget = functools.partial(_forget_plan, weakref.ref(plan), self.forget_plan)
        plan.objects = [(pos, make_ref(obj, forget)) for _, obj, pos in arg_roots if pos is not None]
        positional = list(enumerate(layout.positional))
        plan.statics = [(i, spec[1]) for i, spec in positional if spec[0] == STATIC]
        plan.kw_statics = [(name, spec[1]) for name, spec in layout.keyword if spec[0] == STATIC]
        plan.statics += plan.kw_statics
        plan.kw_dynamic = [name for name, spec in layout.keyword if spec[0] == DYNAMIC]
        plan.kept_pos = [i for i, spec in positional if spec[0] == DYNAMIC and spec[1] == "kept"]
        plan.donated_pos = [i for i, spec in positional if spec[0] == DYNAMIC and spec[1] == "donated"]
        # The fast path handles top-level arguments only; pytrees holding
        # objects, and objects passed by keyword, are re-planned every call.
        plan.simple = all(spec[0] != TREE for spec in layout.positional) and all(
            spec[0] in (STATIC, DYNAMIC) for _, spec in layout.keyword)
        plan.watch = watch
        plan.plain = [(make_ref(obj), tuple(obj.__dict__.values())) for obj in plain]
        from ._jit import make_check, make_run

        plan.check = make_check(plan)
        plan.run = make_run(plan)
        return plan

    def forget_plan(self, plan: Plan) -> None:
        """Drop every reference to ``plan`` (set by the owning JitFunction)."""
        if plan.entry.binding is plan:
            plan.entry.binding = None

    def _evict(self, key: Any) -> None:
        bucket = self.entries.get(key)
        if bucket is None:
            return
        bucket[:] = [
            e for e in bucket
            if all(ref() is not None for ref in e.extra_refs + e.array_refs)
        ]
        if not bucket:
            del self.entries[key]

    # -- warnings ---------------------------------------------------------------
    def _count_compile(self, entry: Entry) -> None:
        self.compiles += 1
        previous, self.last_described = self.last_described, entry.described
        if self.warned or previous is None or self.compiles < RETRACE_WARN_AFTER:
            return
        changes = describe_changes(previous, entry.described)
        if not changes:
            return
        self.warned = True
        warnings.warn(
            f"{self.owner} has compiled {self.compiles} times because its static parts keep "
            f"changing between calls; last change: {changes}. Values that change between "
            "calls should live in Variables or be passed as array arguments.",
            RetraceWarning,
            stacklevel=4,
        )

    def cache_size(self) -> int:
        return sum(len(bucket) for bucket in self.entries.values())


def describe_changes(before: list, after: list, limit: int = 3) -> str:
    """Readable differences between two ``(path, value)`` descriptions."""
    old = dict(before)
    changes = []
    for path, value in after:
        if path not in old:
            changes.append(f"{path} added")
        elif static_key(old[path]) != static_key(value):
            changes.append(f"{path}: {old[path]!r} -> {value!r}")
    new_paths = {path for path, _ in after}
    changes += [f"{path} removed" for path, _ in before if path not in new_paths]
    return "; ".join(changes[:limit])


def _forget_plan(plan_ref, forget, _dead_ref) -> None:
    plan = plan_ref()
    if plan is not None:
        forget(plan)


def _union(*groups) -> list:
    seen, result = set(), []
    for group in groups:
        for var in group:
            if id(var) not in seen:
                seen.add(id(var))
                result.append(var)
    return result
