"""``bm.jit`` and ``bm.cls_jit``: compile functions and methods that use objects.

Only the per-call path lives here (:meth:`JitFunction.__call__`): check that
the cached plan still applies, gather the Variables' values, run the compiled
function, write the new values back. Everything else -- sorting arguments,
discovering Variables, keying by structure, compiling, warning -- is in
:mod:`._jit_plan` and runs only when the plan does not apply.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Callable, Sequence

from ._jit_plan import Plan, Planner
from ._object import BrainPyObject
from ._state import STRUCTURE, TRACE_FRAMES
from ._stateful import Replan

__all__ = ["jit", "cls_jit", "JitFunction"]


def _as_tuple(x: int | str | Sequence | None) -> tuple:
    if x is None:
        return ()
    if isinstance(x, (int, str)):
        return (x,)
    return tuple(x)


class JitFunction:
    """A function compiled with :func:`jit`; call it like the original.

    Attributes:
        fun: the original function.
    """

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(),
                 donate_argnums=(), donate_vars: bool = False, inline: bool = False,
                 method: bool = False) -> None:
        bound_self = None
        if isinstance(fun, BrainPyObject):  # jit(model) compiles model.__call__
            fun = fun.__call__
        if isinstance(fun, types.MethodType):
            bound_self, fun = fun.__self__, fun.__func__
        if not callable(fun):
            raise TypeError(f"bm.jit expects a callable, got {type(fun).__name__}")
        # Indices count the arguments the caller passes; `self` comes first
        # internally, for methods and bound methods alike.
        shift = 1 if (method or bound_self is not None) else 0
        self.fun = fun
        self._self = bound_self
        name = getattr(fun, "__qualname__", getattr(fun, "__name__", repr(fun)))
        self._planner = Planner(
            fun, name,
            static_argnums=[i + shift for i in _as_tuple(static_argnums)],
            static_argnames=_as_tuple(static_argnames),
            donate_argnums=[i + shift for i in _as_tuple(donate_argnums)],
            donate_vars=donate_vars, inline=inline, plain_self=bool(shift),
        )
        self._plan: Plan | None = None
        self._planner.forget_plan = self._forget_plan
        functools.update_wrapper(self, fun)

    # -- the hot path -----------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._self is not None:
            args = (self._self, *args)
        plan = self._plan
        if plan is None or not plan.check(args, kwargs):
            return self._call_slow(args, kwargs)
        try:
            return plan.run(args, kwargs)
        except Replan:
            return self._call_slow(args, kwargs, widen=plan.entry)

    # -- the slow path ------------------------------------------------------------
    def _call_slow(self, args: tuple, kwargs: dict, widen=None) -> Any:
        for _ in range(3):
            plan, inputs = self._planner.prepare(args, kwargs, widen=widen)
            self._plan = plan if plan.simple else None
            try:
                return _run_with_inputs(plan, *inputs)
            except Replan:
                widen = plan.entry
        raise RuntimeError(
            f"{self._planner.owner}: the Variables touched by the function kept changing "
            "between traces; please report this with the function's code."
        )

    def _forget_plan(self, plan: Plan) -> None:
        if self._plan is plan:
            self._plan = None
        if plan.entry.binding is plan:
            plan.entry.binding = None

    def clear_cache(self) -> None:
        """Drop every compiled version of this function."""
        self._plan = None
        self._planner.entries.clear()

    @property
    def cache_size(self) -> int:
        """How many compiled versions (structures) this function holds."""
        return self._planner.cache_size()

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # `bm.jit` used on a method inside a class body behaves like cls_jit.
        if obj is None:
            return self
        return types.MethodType(self, obj)

    def __repr__(self) -> str:
        return f"<bm.jit of {self._planner.name}>"


def make_check(plan: Plan) -> Callable[[tuple, dict], bool]:
    """The fast path's test: does ``plan`` apply to these arguments?

    Built once per plan with everything it needs in local variables; the
    common case (object arguments, array arguments, nothing else) gets the
    shortest test.
    """
    version, nargs, kw_keys = plan.version, plan.nargs, plan.kw_keys
    objects, statics = plan.objects, plan.statics
    rare_checks = plan.still_valid_slow_checks if (plan.watch or plan.plain) else None
    if len(objects) == 1 and not statics and not kw_keys and rare_checks is None:
        ((pos, ref),) = objects

        def check_one_object(args: tuple, kwargs: dict) -> bool:
            return (STRUCTURE.version == version and len(args) == nargs and not kwargs
                    and args[pos] is ref())

        return check_one_object

    def check(args: tuple, kwargs: dict) -> bool:
        if STRUCTURE.version != version or len(args) != nargs or kwargs.keys() != kw_keys:
            return False
        for pos, ref in objects:
            if args[pos] is not ref():
                return False
        for pos, value in statics:
            arg = args[pos] if type(pos) is int else kwargs[pos]
            if arg is not value and not (type(arg) is type(value) and arg == value):
                return False
        return rare_checks is None or rare_checks()

    return check


def make_run(plan: Plan) -> Callable[[tuple, dict], Any]:
    """The fast path's work for ``plan``: gather, call, scatter."""
    entry, compiled = plan.entry, plan.entry.compiled
    read_vars, write_vars = plan.read_vars, plan.write_vars
    rw_vars, ro_vars = plan.rw_vars, plan.ro_vars
    kept_pos, donated_pos = plan.kept_pos, plan.donated_pos
    kw_dynamic, kw_statics = plan.kw_dynamic, plan.kw_statics

    def scatter(out: Any, new: list) -> Any:
        if TRACE_FRAMES:
            TRACE_FRAMES[-1].note(read_vars, write_vars)
        for var, value in zip(write_vars, new):
            var._value = value
        return out

    if entry.compact:
        def run_compact(args: tuple, kwargs: dict) -> Any:
            entry.binding = plan
            return scatter(*compiled([v._value for v in read_vars], [args[i] for i in kept_pos]))

        return run_compact

    def run(args: tuple, kwargs: dict) -> Any:
        if kw_statics:
            kwargs = {name: kwargs[name] for name in kw_dynamic}
        entry.binding = plan
        return scatter(*compiled(
            [v._value for v in rw_vars], [v._value for v in ro_vars],
            [args[i] for i in donated_pos], [args[i] for i in kept_pos], kwargs))

    return run


def _run_with_inputs(plan: Plan, kept: list, donated: list, kw_inputs: dict) -> Any:
    """Run ``plan`` on inputs the slow path already sorted (any layout)."""
    entry = plan.entry
    entry.binding = plan
    if entry.compact:
        out, new = entry.compiled([v._value for v in plan.read_vars], kept)
    else:
        out, new = entry.compiled([v._value for v in plan.rw_vars], [v._value for v in plan.ro_vars],
                                  donated, kept, kw_inputs)
    if TRACE_FRAMES:
        TRACE_FRAMES[-1].note(plan.read_vars, plan.write_vars)
    for var, value in zip(plan.write_vars, new):
        var._value = value
    return out


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), donate_argnums: int | Sequence[int] = (),
        donate_vars: bool = False, inline: bool = False) -> Any:
    """Compile ``fun`` with XLA, keeping the objects it uses up to date.

    ``fun`` may take objects (or pytrees holding them) as arguments and may
    read and write Variables of any object it reaches -- through its
    arguments, closure or globals. After each call, every Variable written
    inside holds its new value; reads always see the current value.

    Changing a non-Variable attribute of an object after compilation makes
    the next call recompile with the new value (BrainPy would keep the old
    one). A function whose static parts keep changing warns once
    (:class:`RetraceWarning`).

    Args:
        fun: the function, bound method or object (its ``__call__``).
        static_argnums: positions of arguments that are compile-time
            constants (hashable). Non-array arguments such as strings are
            static automatically.
        static_argnames: names of keyword arguments that are static.
        donate_argnums: positions of array arguments whose buffers XLA may
            reuse for outputs.
        donate_vars: let XLA reuse the buffers of Variables the function
            both reads and writes (in-place state update). The old arrays
            become invalid, and a run-time failure can no longer leave them
            intact.
        inline: inline the function into an enclosing jit's program.

    Returns:
        A :class:`JitFunction`; used as ``@bm.jit`` or ``@bm.jit(...)``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> class Acc(bp.BrainPyObject):
        ...     def __init__(self):
        ...         self.total = bm.Variable(bm.zeros(2))
        >>> acc = Acc()
        >>> @bm.jit
        ... def add(a, x):
        ...     a.total.value = a.total + x
        ...     return a.total.sum()
        >>> float(add(acc, bm.ones(2)))
        2.0
        >>> acc.total.value
        Array([1., 1.], dtype=float32)
    """
    options = dict(static_argnums=static_argnums, static_argnames=static_argnames,
                   donate_argnums=donate_argnums, donate_vars=donate_vars, inline=inline)
    if fun is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fun, **options)


def cls_jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
            static_argnames: str | Sequence[str] = (), donate_argnums: int | Sequence[int] = (),
            donate_vars: bool = False, inline: bool = False) -> Any:
    """Compile a method; ``self`` may be a ``BrainPyObject`` or any object.

    Argument indices exclude ``self``. The compiled function is shared by
    every instance of the same structure: a second instance with
    same-shaped Variables does not recompile.

    Example:
        >>> import brainobj.math as bm
        >>> class Example:
        ...     def __init__(self):
        ...         self.static = 0
        ...         self.dyn = bm.Variable(bm.ones(1))
        ...     @bm.cls_jit
        ...     def update(self, inp):
        ...         self.dyn.value = self.dyn * inp + self.static
        >>> ex = Example()
        >>> ex.update(2.)
        >>> ex.dyn.value
        Array([2.], dtype=float32)
    """
    options = dict(static_argnums=static_argnums, static_argnames=static_argnames,
                   donate_argnums=donate_argnums, donate_vars=donate_vars, inline=inline,
                   method=True)
    if fun is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fun, **options)
