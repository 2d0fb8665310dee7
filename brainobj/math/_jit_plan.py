"""The slow path of ``bm.jit``: planning, discovery, compilation, warnings.

A call's *plan* (:class:`Plan`) says which live Variables to gather, which
compiled function to run and which Variables to write back, and how to tell
that it still applies to a later call. Building one (:meth:`Planner.prepare`):

1. sort the arguments (:func:`~._jit_inputs.read_arguments`);
2. look for a compiled :class:`Entry` with this argument layout whose
   structure matches: its captured paths (``global model``,
   ``closure cur['net']``) are resolved *now*, and the object graphs below
   the argument objects and the captured objects are walked once
   (:func:`~._graph.structure`) and compared with the entry's key. Keys hold
   no identities, so another instance of the same structure reuses it;
3. on a miss, run the function abstractly to *discover* the Variables it
   reads and writes; find how it reaches those outside its arguments (a
   capture path, else the object is pinned by a weak reference), and compile
   a pure function of the Variables' values;
4. bind the entry to this call's objects: Variables are picked by their
   position in the walk.

Caches refer to objects only weakly: dropping a model frees its plans and
the entries keyed by its identity-compared parts.
"""

from __future__ import annotations

import functools
import operator
import threading
import warnings
import weakref
from typing import Any, Callable

import jax
import jax.tree_util as jtu
import numpy as np
from jax.sharding import NamedSharding

from ._errors import MathError
from ._jax_debug import name_traced_function, positional_names, user_stacklevel
from ._graph import Structure, own_attributes, slot_attributes, structure
from ._jit_inputs import OBJECT, STATIC, TREE, CallLayout, Capture, find_captures, read_arguments
from ._keys import ByIdentity, canonical
from ._layout import active_mesh, constrain, is_spread, layout_of, pin_outputs, send_home
from ._partition import is_state, values_only
from ._tracing import THREAD, TraceFrame, lookup, tracing

# Compiling this many times for changed static structure triggers one warning.
RETRACE_WARN_AFTER = 4
_Tracer = jax.core.Tracer


class RetraceWarning(UserWarning):
    """A transformed function keeps recompiling because its static parts change."""


class Replan(Exception):
    """The traced function touched Variables the plan did not expect.

    Raised while JAX re-traces a compiled function (for new argument shapes,
    say) and the function takes a path that reads or writes other Variables
    than the first trace did; the call then plans again, widened.
    """


class Entry:
    """One compiled function, shared by every call whose structure matches."""

    __slots__ = ("layout", "layout_objects", "captures", "extras", "identity_refs", "full_key",
                 "read_idx", "write_idx", "n_rw", "compiled", "described", "input_names",
                 "keep", "home", "__weakref__")


def _ref(obj: Any, callback: Callable | None = None) -> Callable[[], Any]:
    """A weak reference when Python allows one, else a strong one."""
    try:
        return weakref.ref(obj, callback) if callback else weakref.ref(obj)
    except TypeError:
        return lambda: obj


class Plan:
    """An entry bound to live objects: what the fast path checks and runs.

    Holds objects only weakly; Variables (which do not keep their owners
    alive) strongly. :meth:`gather` is the fast path's test and collection
    in one pass; :meth:`run` gathers the Variables, calls, and writes back.
    """

    __slots__ = (
        "entry", "owner", "valid", "nargs", "kw_order", "kw_set", "identities", "types",
        "take_kept", "take_donated", "trees", "rare", "values", "captures", "plain", "root_refs",
        "static_refs", "rw_vars", "ro_vars", "read_vars", "write_vars", "read_ids", "write_ids",
        "__weakref__",
    )

    # -- the hot path ---------------------------------------------------------------
    def gather(self, args: tuple, kwargs: dict) -> tuple[tuple, tuple] | None:
        """This call's dynamic inputs ``(kept, donated)`` if the plan applies, else None.

        ``valid`` is cleared when any object or container the plan walked
        changes structure (see :mod:`._containers`).
        """
        if not self.valid or len(args) != self.nargs:
            return None
        if kwargs or self.kw_order:
            if kwargs.keys() != self.kw_set:
                return None
            args = (*args, *[kwargs[k] for k in self.kw_order])
        for i, ref in self.identities:
            if args[i] is not ref():
                return None
        for i, kind in self.types:
            if type(args[i]) is not kind:
                return None
        if self.rare and not self._rare_checks(args):
            return None
        kept = self.take_kept(args)
        if self.trees:
            kept = self._tree_leaves(args, kept)
            if kept is None:
                return None
        return kept, self.take_donated(args)

    def run(self, kept: tuple, donated: tuple) -> Any:
        """Gather the Variables' values, call the compiled function, write back."""
        thread = THREAD
        if thread.frames:
            return self._run_nested(kept, donated)
        thread.binding = self  # what the compiled function traces with, if it must
        try:
            out, new = self.entry.compiled([v._value for v in self.rw_vars],
                                           [v._value for v in self.ro_vars], donated, kept)
        except jax.errors.UnexpectedTracerError as error:
            raise _escaped_write_error(self) from error
        finally:
            thread.binding = None
        if new and isinstance(new[0], _Tracer):
            raise _foreign_trace_error(self)
        home = self.entry.home
        if home:
            before = [(self.write_vars[k], self.write_vars[k]._value) for k in home]
        for var, value in zip(self.write_vars, new):
            var._value = value
        if home:
            send_home(before)
        return out

    def _rare_checks(self, args: tuple) -> bool:
        """Static values, captured paths, a plain ``self``: not every plan has them."""
        for i, value, key in self.values:
            arg = args[i]
            if arg is not value and canonical(arg) != key:
                return False
        for capture, ref in self.captures:
            if capture.resolve() is not ref():
                return False
        for ref, snapshot in self.plain:
            obj = ref()
            if obj is None or not _same_attributes(obj, snapshot):
                return False
        return True

    def _tree_leaves(self, args: tuple, kept: tuple) -> tuple | None:
        """Check pytree arguments (a tuple holding a model) and add their dynamic leaves."""
        extra = []
        for i, treedef, flat, identities, types, values, dynamic in self.trees:
            arg = args[i]
            if flat is not None and type(arg) is flat[0] and len(arg) == flat[1]:
                leaves = arg  # a flat list/tuple of leaves: no need to flatten it
            else:
                leaves, found = jtu.tree_flatten(arg, is_leaf=is_state)
                if found != treedef:
                    return None
            for j, ref in identities:
                if leaves[j] is not ref():
                    return None
            for j, kind in types:
                if type(leaves[j]) is not kind:
                    return None
            for j, value, key in values:
                leaf = leaves[j]
                if leaf is not value and canonical(leaf) != key:
                    return None
            extra += [leaves[j] for j in dynamic]
        return (*kept, *extra)

    def _run_nested(self, kept: list, donated: list) -> Any:
        # Inside an enclosing transform: its frames hold the current values,
        # and the writes go to its innermost frame.
        thread = THREAD
        frame = thread.frames[-1]
        frame.note(self.read_vars, ())
        previous, thread.binding = thread.binding, self
        try:
            out, new = self.entry.compiled([lookup(v) for v in self.rw_vars],
                                           [lookup(v) for v in self.ro_vars], donated, kept)
        finally:
            thread.binding = previous  # the enclosing plan, still tracing
        for var, value in zip(self.write_vars, new):
            frame.write(var, value)
        return out

    # -- used while JAX traces ---------------------------------------------------------
    def arguments(self, kept: list, donated: list) -> tuple[tuple, dict]:
        objects = [ref() for ref in self.root_refs[: self.entry.layout_objects]]
        statics = [ref() for ref in self.static_refs]
        return self.entry.layout.rebuild(objects, statics, kept, donated)

    def plain_objects(self) -> list:
        return [ref() for ref, _ in self.plain]

    def as_planned(self, frame: TraceFrame) -> bool:
        """Reads within the inputs; writes within the outputs; outputs without an
        input (write-only Variables) actually written, else their stale value
        would be returned."""
        if any(key not in self.read_ids for key in frame.reads):
            return False
        if any(key not in self.write_ids for key in frame.writes):
            return False
        return all(id(v) in frame.writes or id(v) in self.read_ids for v in self.write_vars)

    def root_ids(self) -> tuple:
        return tuple(id(ref()) for ref in self.root_refs)


def _same_attributes(obj: Any, snapshot: tuple) -> bool:
    values = tuple(obj.__dict__.values()) if not _has_slots(obj) else _attribute_values(obj)
    return len(values) == len(snapshot) and all(a is b for a, b in zip(values, snapshot))


def _has_slots(obj: Any) -> bool:
    return not hasattr(obj, "__dict__") or bool(slot_attributes(type(obj)))


def _attribute_values(obj: Any) -> tuple:
    return tuple(value for _, value in own_attributes(obj))


def _foreign_trace_error(plan: Plan) -> MathError:
    names = ", ".join(v.label for v in plan.write_vars[:5])
    return MathError(
        f"{plan.owner}: called inside a JAX transform that is not brainobj's (jax.jit, "
        f"jax.lax.scan, jax.vmap, ...), where it would write traced values into {names}. "
        "Nothing was changed. Use brainobj's transforms for the enclosing function too "
        "(bm.jit, bm.for_loop, bm.vmap, bm.grad), which carry the Variables' state."
    )


def _escaped_write_error(plan: Plan) -> MathError:
    names = ", ".join(v.label for v in plan.write_vars[:5]) or "a Variable"
    return MathError(
        f"{plan.owner}: a Variable ({names}) was written inside a JAX transform nested in "
        "it that is not brainobj's (jax.jit, jax.lax.scan, jax.lax.fori_loop, jax.vmap, "
        "...), so its new value is a tracer of that inner transform. Nothing was changed. "
        "Use bm.jit / bm.for_loop / bm.while_loop / bm.vmap inside instead, or return the "
        "value from the inner function and assign it outside."
    )


class _GuardPlain:
    """Refuse attribute writes to a plain ``self`` during a trace, undoing them."""

    def __init__(self, objects: list, owner: str) -> None:
        self.saved = [(obj, dict(own_attributes(obj))) for obj in objects if obj is not None]
        self.owner = owner

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, tb) -> None:
        for obj, before in self.saved:
            now = dict(own_attributes(obj))
            changed = [k for k in set(now) | set(before)
                       if k not in before or k not in now or now[k] is not before[k]]
            if changed:
                for k in changed:  # (object's own setattr: __dict__ entries and slots alike)
                    if k in before:
                        object.__setattr__(obj, k, before[k])
                    else:
                        object.__delattr__(obj, k)
                if kind is None:
                    attr = sorted(changed)[0]
                    raise MathError(
                        f"{type(obj).__name__}.{attr}: cannot assign an attribute of `self` "
                        f"inside {self.owner}; the change would happen once, at compile time, "
                        "and could leak a tracer. Keep state that changes in a bm.Variable "
                        f"(`self.{attr} = bm.Variable(...)` in __init__, then "
                        f"`self.{attr}.value = ...`). The attribute was left unchanged."
                    )


class Planner:
    """Builds plans and owns the compiled entries of one jitted function."""

    def __init__(self, fun: Callable, name: str, static_argnums, static_argnames,
                 donate_argnums, donate_vars: bool, inline: bool, plain_self: bool,
                 out_shardings: Any = None) -> None:
        self.fun = fun
        self.out_shardings = out_shardings
        self.name = name
        self.static_argnums = frozenset(static_argnums)
        self.static_argnames = frozenset(static_argnames)
        self.donate_argnums = frozenset(donate_argnums)
        self.donate_vars = donate_vars
        self.inline = inline
        self.plain_self = plain_self
        self.entries: dict[Any, list[Entry]] = {}
        self.lock = threading.RLock()  # guards entries and the counters below
        self.compiles = 0
        self.warned = False
        self.last_described: list | None = None
        self.param_names = positional_names(fun)
        # How JAX's messages show the function being traced.
        self.traced_for: str = "bm.jit"
        self.source: Any = fun

    @property
    def owner(self) -> str:
        return f"bm.jit({self.name})"

    # -- planning -----------------------------------------------------------------------
    def prepare(self, args: tuple, kwargs: dict, widen: Entry | None = None) -> Plan:
        layout, values = read_arguments(args, kwargs, self.static_argnums, self.static_argnames,
                                        self.donate_argnums, self.plain_self, self.param_names,
                                        self.owner)
        walks: dict[tuple, Structure] = {}

        def walk(roots: list) -> Structure:
            key = tuple(id(obj) for _, obj in roots)
            if key not in walks:
                walks[key] = structure(roots)
            return walks[key]

        arg_roots = [(f"<arg {i}>", obj) for i, obj in enumerate(values.objects)]
        with self.lock:
            candidates = list(self.entries.get(layout.key, ()))
        for entry in candidates:
            if entry is widen:
                continue
            roots = _entry_roots(entry, arg_roots)
            if roots is not None:
                found = walk(roots)
                if found.key == entry.full_key:
                    return self._bind(entry, found, layout, values, roots)
        entry, found, roots = self._compile_entry(layout, values, arg_roots, walk, widen)
        return self._bind(entry, found, layout, values, roots)

    def _compile_entry(self, layout: CallLayout, values, arg_roots: list, walk, widen):
        reads, writes = self._discover(layout, values)
        if widen is not None:
            old = _bound_variables(widen, arg_roots)
            if old is not None:
                reads = _union(reads, old[0], old[1], writes)
                writes = _union(writes, old[1])
        touched = _union(reads, writes)
        covered = {id(v) for v in walk(arg_roots).variables}
        captures, extras = self._reach(touched, covered, arg_roots)
        roots = (arg_roots + [(c.label, obj) for c, obj in captures]
                 + [(f"<pinned {i}>", obj) for i, obj in enumerate(extras)])
        found = walk(roots)
        position = _positions(found)
        # A Variable whose recorded owner let go of it (moved to another
        # object, or a copy's stale back-reference) is pinned itself.
        strays = [v for v in touched if id(v) not in position]
        if strays:
            extras += strays
            roots += [(f"<pinned {len(extras) - len(strays) + i}>", v) for i, v in enumerate(strays)]
            found = walk(roots)
            position = _positions(found)
        write_ids = {id(v) for v in writes}
        rw = [position[id(v)] for v in reads if id(v) in write_ids]
        ro = [position[id(v)] for v in reads if id(v) not in write_ids]

        entry = Entry()
        entry.layout = layout
        entry.layout_objects = len(arg_roots)
        entry.captures = [c for c, _ in captures]
        entry.full_key = found.key
        entry.read_idx = rw + ro
        entry.n_rw = len(rw)
        entry.write_idx = [position[id(v)] for v in writes]
        entry.described = layout.described + found.described()
        entry.input_names = [found.variables[i].label for i in entry.read_idx]
        entry.keep, entry.home = _layouts(found.variables, entry, values)
        key = layout.key
        evict = functools.partial(_evict, weakref.ref(self), key, weakref.ref(entry))
        # Pinned objects, and values keyed by identity (array attributes
        # compiled in as constants, functions, objects passed as static
        # arguments): the entry dies with them.
        entry.extras = [_ref(obj, evict) for obj in extras]
        entry.identity_refs = [_ref(obj, evict) for obj in (*found.identities, *values.identities)]
        with self.lock:
            bucket = self.entries.setdefault(key, [])
            if widen is not None and widen in bucket:
                bucket.remove(widen)
            twin = next((e for e in bucket if e.full_key == entry.full_key
                         and e.read_idx == entry.read_idx and e.write_idx == entry.write_idx
                         and [c.label for c in e.captures] == [c.label for c in entry.captures]), None)
            if twin is not None:
                if [c.path for c in twin.captures] == [c.path for c in entry.captures]:
                    return twin, found, roots  # another thread compiled the same meanwhile
                # The same program reached through paths whose container lengths
                # changed (a dict on the way grew): the old entry's paths lead
                # nowhere now, so this one takes its place and its compiled code.
                bucket.remove(twin)
                entry.compiled = twin.compiled
            else:
                entry.compiled = self._make_compiled(entry)
                self._count_compile(entry)
            bucket.append(entry)
        return entry, found, roots

    def _reach(self, touched: list, covered: set, arg_roots: list) -> tuple[list, list]:
        """How the function reaches the Variables it touches: through every
        capture path that leads to them (or to an object holding them) --
        also when an argument holds them too, so the key sees the aliasing --
        else, outside the arguments, pinned (their outermost owner, by identity)."""
        captured: dict[int, list] = {}
        for capture, obj in find_captures(self.fun) if touched else ():
            captured.setdefault(id(obj), []).append((capture, obj))
        chosen: dict[int, tuple[Capture, Any]] = {}
        extras: dict[int, Any] = {}
        arg_ids = {id(obj) for _, obj in arg_roots}
        for var in touched:
            chain = _owners(var)
            hit = next((captured[id(o)] for o in reversed(chain) if id(o) in captured), None)
            if hit is not None:
                for capture, obj in hit:
                    chosen.setdefault(id(capture), (capture, obj))
            elif id(var) not in covered:
                top = chain[-1]
                if id(top) not in arg_ids:
                    extras.setdefault(id(top), top)
        return list(chosen.values()), list(extras.values())

    def _discover(self, layout: CallLayout, values) -> tuple[list, list]:
        """Which Variables the function reads and writes, run abstractly."""
        fun, owner = self.fun, self.owner
        plain = [values.objects[0]] if self.plain_self and values.objects and not is_state(values.objects[0]) else []

        def run(kept, donated):
            args, kwargs = layout.rebuild(values.objects, values.statics, kept, donated)
            with _GuardPlain(plain, owner), tracing(owner) as frame:
                values_only(fun(*args, **kwargs), owner)
                return list(frame.reads.values()), list(frame.writes.values())

        def discover(kept, donated):
            found.append(run(kept, donated))

        name_traced_function(discover, self.traced_for, self.source, [*layout.kept_names, *layout.donated_names])
        found: list = []
        jax.eval_shape(discover, values.kept, values.donated)
        return found[0]

    def _make_compiled(self, entry: Entry):
        fun, owner = self.fun, self.owner

        out_shardings = self.out_shardings

        def pure(rw_values, ro_values, donated, kept):
            plan = THREAD.binding
            args, kwargs = plan.arguments(kept, donated)
            bind = zip(plan.read_vars, [*rw_values, *ro_values])
            with _GuardPlain(plan.plain_objects(), owner), tracing(owner, bind) as frame:
                out = values_only(fun(*args, **kwargs), owner)
                if out_shardings is not None:
                    out = pin_outputs(owner, out_shardings, out)
                if not plan.as_planned(frame):
                    raise Replan()
                new = [lookup(v) if keep is None else constrain(lookup(v), keep)
                       for v, keep in zip(plan.write_vars, entry.keep)]
            return out, new

        pure.__name__ = pure.__qualname__ = getattr(fun, "__name__", "pure")
        name_traced_function(pure, self.traced_for, self.source, [*entry.input_names, *entry.layout.donated_names,
                                                *entry.layout.kept_names])
        donate = ((0,) if self.donate_vars else ()) + ((2,) if self.donate_argnums else ())
        return jax.jit(pure, donate_argnums=donate, inline=self.inline)

    def _bind(self, entry: Entry, found: Structure, layout: CallLayout, values, roots: list) -> Plan:
        plan = Plan()
        plan.entry = entry
        plan.owner = self.owner
        plan.nargs = layout.nargs
        plan.kw_order = layout.kw_order
        plan.kw_set = frozenset(layout.kw_order)
        variables = found.variables
        plan.read_vars = [variables[i] for i in entry.read_idx]
        plan.rw_vars = plan.read_vars[: entry.n_rw]
        plan.ro_vars = plan.read_vars[entry.n_rw:]
        plan.write_vars = [variables[i] for i in entry.write_idx]
        plan.read_ids = frozenset(id(v) for v in plan.read_vars)
        plan.write_ids = frozenset(id(v) for v in plan.write_vars)
        plan.valid = True
        plan_ref = weakref.ref(plan)
        for stamp, count in found.stamps:
            if not stamp.watch(count, plan_ref):
                plan.valid = False  # changed while planning: plan again next call
        plan.root_refs = [_ref(obj) for _, obj in roots]
        plan.static_refs = [_ref_static(v) for v in values.statics]
        n_args = entry.layout_objects
        plan.captures = [(c, _ref(obj)) for c, (_, obj) in zip(entry.captures, roots[n_args:])]
        plain = values.objects[:1] if self.plain_self and values.objects and not is_state(values.objects[0]) else []
        plan.plain = [(_ref(obj), _attribute_values(obj)) for obj in plain]
        _fill_checks(plan, layout, values)
        return plan

    # -- warnings --------------------------------------------------------------------------
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
            stacklevel=user_stacklevel(),  # the caller of the jitted function
        )

    def cache_size(self) -> int:
        with self.lock:
            return sum(len(bucket) for bucket in self.entries.values())

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.compiles = 0
            self.warned = False
            self.last_described = None


def _layouts(variables: list, entry: Entry, values: Any) -> tuple[list, list]:
    """Where each written Variable must stay, decided once per compiled entry.

    ``keep[k]``: the sharding the ``k``-th written Variable's new value is
    pinned to inside the program -- its current sharding when it spans
    devices, else its spec on the program's mesh (``jax.set_mesh``'s, or
    that of the Variables already spread), else None.
    ``home``: written Variables on one device in a program that runs on
    several (a spread Variable or argument): put back after each call.
    """
    keep, home = [], []
    touched = [variables[i]._value for i in (*entry.read_idx, *entry.write_idx)]
    inputs = jtu.tree_leaves((values.kept, values.donated))
    spread = any(is_spread(x) for x in touched) or any(is_spread(x) for x in inputs)
    # Variables with a spec join the program's mesh: the active one, else
    # that of a Variable already laid out on one.
    mesh = active_mesh() or next((x.sharding.mesh for x in touched
                                  if is_spread(x) and isinstance(x.sharding, NamedSharding)), None)
    for k, i in enumerate(entry.write_idx):
        var = variables[i]
        sharding = layout_of(var._value)
        if sharding is None and var.spec is not None and mesh is not None:
            sharding = NamedSharding(mesh, var.spec)
        keep.append(sharding)
        if sharding is None and spread and isinstance(var._value, (jax.Array, np.ndarray)):
            home.append(k)
    return keep, home


def _ref_static(value: Any) -> Callable[[], Any]:
    """Static values compared by identity are held weakly (a model passed
    through ``static_argnums`` must not be kept alive by the plan)."""
    if isinstance(canonical(value), ByIdentity):
        return _ref(value)
    return lambda: value


def _fill_checks(plan: Plan, layout: CallLayout, values) -> None:
    """The per-slot tests of :meth:`Plan.gather`, from this call's values."""
    objects, statics, kept = iter(values.objects), iter(values.statics), iter(values.kept)
    donated = iter(values.donated)
    identities, types, value_checks, kept_pos, donated_pos, trees = [], [], [], [], [], []

    def static_check(store_id: list, store_value: list, index: int, value: Any) -> None:
        key = canonical(value)
        if isinstance(key, ByIdentity):
            store_id.append((index, _ref(value)))
        else:  # compared by key: (3, 5) and (3., 5.) differ, as in the cache key
            store_value.append((index, value, key))

    pending = []
    for i, spec in enumerate(layout.slots):
        kind = spec[0]
        if kind is OBJECT:
            identities.append((i, _ref(next(objects))))
        elif kind is STATIC:
            static_check(identities, value_checks, i, next(statics))
        elif kind is TREE:
            pending.append((i, spec))
        else:
            value = next(donated) if spec[1] == "donated" else next(kept)
            types.append((i, type(value)))
            (donated_pos if spec[1] == "donated" else kept_pos).append(i)
    for i, (_, treedef, kinds) in pending:
        leaf_ids, leaf_types, leaf_values, dynamic = [], [], [], []
        for j, k in enumerate(kinds):
            if k is OBJECT:
                leaf_ids.append((j, _ref(next(objects))))
            elif k is STATIC:
                static_check(leaf_ids, leaf_values, j, next(statics))
            else:
                leaf_types.append((j, type(next(kept))))
                dynamic.append(j)
        trees.append((i, treedef, _flat(treedef), leaf_ids, leaf_types, leaf_values, dynamic))
    plan.identities, plan.types, plan.values, plan.trees = identities, types, value_checks, trees
    plan.take_kept, plan.take_donated = _taker(kept_pos), _taker(donated_pos)
    plan.rare = bool(value_checks or plan.captures or plan.plain)


def _flat(treedef: Any) -> tuple[type, int] | None:
    """``(list or tuple, length)`` when ``treedef`` is a flat sequence of leaves."""
    n = treedef.num_leaves
    for kind in (tuple, list):
        if treedef == jtu.tree_structure(kind([0] * n)):
            return kind, n
    return None


def _taker(positions: list) -> Callable[[tuple], tuple]:
    """``args -> tuple(args[i] for i in positions)``, as cheaply as Python allows."""
    if not positions:
        return lambda args: ()
    if len(positions) == 1:
        (i,) = positions
        return lambda args: (args[i],)
    return operator.itemgetter(*positions)


def _entry_roots(entry: Entry, arg_roots: list) -> list | None:
    """The roots an entry would have for this call: captures resolved now,
    pinned objects alive. ``None`` when a capture leads nowhere."""
    roots = list(arg_roots)
    for capture in entry.captures:
        obj = capture.resolve()
        if not is_state(obj):
            return None
        roots.append((capture.label, obj))
    for i, ref in enumerate(entry.extras):
        obj = ref()
        if obj is None:
            return None
        roots.append((f"<pinned {i}>", obj))
    return roots


def _bound_variables(entry: Entry, arg_roots: list) -> tuple[list, list] | None:
    roots = _entry_roots(entry, arg_roots)
    if roots is None:
        return None
    variables = structure(roots).variables
    return ([variables[i] for i in entry.read_idx], [variables[i] for i in entry.write_idx])


def _positions(found: Structure) -> dict[int, int]:
    position: dict[int, int] = {}
    for i, var in enumerate(found.variables):
        position.setdefault(id(var), i)
    return position


def _owners(var: Any) -> list:
    """``var``, its owner, the owner's parent, ... up to the outermost."""
    chain = [var]
    owner_ref = var._owner
    node = owner_ref() if owner_ref is not None else None
    seen = {id(var)}
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        chain.append(node)
        parent_ref = node.__dict__.get("_parent")
        node = parent_ref() if parent_ref is not None else None
    return chain


def _evict(planner_ref, key, entry_ref, _dead=None) -> None:
    planner, entry = planner_ref(), entry_ref()
    if planner is None or entry is None:
        return
    with planner.lock:
        bucket = planner.entries.get(key)
        if bucket is not None and entry in bucket:
            bucket.remove(entry)
            if not bucket:
                del planner.entries[key]


def describe_changes(before: list, after: list, limit: int = 3) -> str:
    """Readable differences between two ``(path, text, key)`` descriptions."""
    old = {path: (text, part) for path, text, part in before}
    changes = []
    for path, text, part in after:
        if path not in old:
            changes.append(f"{path} added")
        elif old[path][1] != part:
            changes.append(f"{path}: {old[path][0]} -> {text}")
    new_paths = {path for path, _, _ in after}
    changes += [f"{path} removed" for path, _, _ in before if path not in new_paths]
    return "; ".join(changes[:limit])


def _union(*groups) -> list:
    seen, result = set(), []
    for group in groups:
        for var in group:
            if id(var) not in seen:
                seen.add(id(var))
                result.append(var)
    return result
