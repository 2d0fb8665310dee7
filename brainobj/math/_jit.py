"""``bm.jit`` and ``bm.cls_jit``: compile functions and methods that use objects.

Only the per-call path lives here (:meth:`JitFunction.__call__`): find a
cached plan that applies to these arguments, run it (gather the Variables'
values, call the compiled function, write the new values back). Planning,
discovery, compilation and warnings are in :mod:`._jit_plan` and run only
when no cached plan applies.
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref
from collections.abc import Iterable
from typing import Any, Callable, Sequence

from ._carry import MAX_RETRACES
from ._errors import MathTypeError
from ._jax_debug import api_boundary
from ._jit_inputs import check_in_shardings, place_arguments
from ._jit_plan import Plan, Planner, Replan
from ._legacy import legacy_arguments
from ._object import BrainPyObject
from ._tracing import THREAD, lookup

__all__ = ["jit", "cls_jit", "JitFunction"]

# Plans kept per jitted function: alternating between a few models (or
# argument kinds) stays on the fast path.
_PLANS_KEPT = 8


def _as_tuple(x: int | str | Sequence | None, what: str | None = None,
              owner: str = "bm.jit") -> tuple:
    """``x`` (``None``, one int or str, or a sequence of them) as a tuple.

    Any other single value (a float, bytes, an object) is a
    :class:`MathTypeError` naming ``what`` (``"static_argnums"``, ...);
    the items are checked by :func:`_check_argument_kinds`.
    """
    if x is None:
        return ()
    if isinstance(x, (int, str)):
        return (x,)
    items = None
    if not isinstance(x, (bytes, bytearray)) and isinstance(x, Iterable):
        try:
            items = tuple(x)
        except TypeError:  # iterable in name only (a 0-d NumPy array)
            items = None
    if items is None:
        if what is None:
            expected = "an int or str, or a sequence of them"
        elif what.endswith("argnums"):
            expected = "an int or a sequence of ints"
        else:
            expected = "a str or a sequence of strs"
        raise MathTypeError(f"{owner}: {what or 'an argument number or name'} must be {expected}, "
                            f"got {type(x).__name__} {x!r:.40}.")
    return items


def _check_argument_kinds(owner: str, **arguments: Any) -> dict:
    """``static_argnums`` / ``static_argnames`` / ``donate_argnums`` /
    ``donate_argnames`` as tuples, checked when ``bm.jit`` / ``bm.cls_jit``
    is called (BrainPy refuses bad ones then, not at the first call): a
    number that is not an int or a name that is not a str is a
    :class:`MathTypeError` naming the argument and the value."""
    checked = {}
    for what, value in arguments.items():
        numbers = what.endswith("argnums")
        items = _as_tuple(value, what, owner)
        for item in items:
            fits = (isinstance(item, int) and not isinstance(item, bool)) if numbers else isinstance(item, str)
            if not fits:  # worded as _check_static_arguments, plus the way out
                kind, expected = (("ints", "an int or a sequence of ints") if numbers
                                  else ("strings", "a str or a sequence of strs"))
                where = "" if item is value else f" in {value!r:.60}"
                raise MathTypeError(f"{owner}: {what} must hold {kind}, got {item!r:.40} "
                                    f"({type(item).__name__}){where}; pass {expected}.")
        checked[what] = items
    return checked


class JitFunction:
    """A function compiled with :func:`jit`; call it like the original.

    Attributes:
        fun: the original function.

    Raises:
        MathError: when called, as described in :func:`jit`; nothing changes.
    """

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(),
                 donate_argnums=(), donate_vars: bool = False, inline: bool = False,
                 method: bool = False, shown_as: tuple[str, Any] | None = None,
                 donate_argnames=(), in_shardings: Any = None, out_shardings: Any = None) -> None:
        bound_self = None
        if isinstance(fun, BrainPyObject):  # jit(model) compiles model.__call__
            fun = fun.__call__
        if isinstance(fun, types.MethodType):
            bound_self, fun = fun.__self__, fun.__func__
        if isinstance(fun, JitFunction):  # jit of a jitted function: compile the original
            bound_self = bound_self if bound_self is not None else fun._self
            fun = fun.fun
        if not callable(fun):
            raise TypeError(f"bm.jit expects a callable, got {type(fun).__name__}")
        # Indices count the arguments the caller passes; `self` comes first
        # internally, for methods and bound methods alike.
        shift = 1 if (method or bound_self is not None) else 0
        _check_static_arguments(fun, shift, _as_tuple(static_argnums), _as_tuple(static_argnames),
                                _as_tuple(donate_argnums), _as_tuple(donate_argnames))
        self.fun = fun
        self._self = bound_self
        name = getattr(fun, "__qualname__", getattr(fun, "__name__", repr(fun)))
        self._planner = Planner(
            fun, name,
            static_argnums=[i + shift for i in _as_tuple(static_argnums)],
            static_argnames=_as_tuple(static_argnames),
            donate_argnums=[i + shift for i in _as_tuple(donate_argnums)]
            + _donated_positions(fun, _as_tuple(donate_argnames)),
            donate_vars=donate_vars, inline=inline, plain_self=bool(shift),
            out_shardings=out_shardings,
        )
        # Placement of the positional arguments, as jax.jit's in_shardings.
        self._in_shardings = check_in_shardings(self._planner.owner, in_shardings)
        self._shift = shift
        if shown_as is not None:  # a loop's runner: JAX's messages name the loop and its body
            self._planner.traced_for, self._planner.source = shown_as
        # Most recent first; replaced whole (never mutated), so the fast path
        # reads a consistent list while another thread plans.
        self._plans: tuple[Plan, ...] = ()
        # Name and docstring of the original; not its __dict__ (a jitted
        # function's own state must not be copied over this one's).
        functools.update_wrapper(self, fun, updated=())

    # -- the hot path -----------------------------------------------------------
    @api_boundary  # tracebacks go from the caller's line to the failing line
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._in_shardings is not None:
            args = place_arguments(self._planner.owner, self._in_shardings, args)
        if self._self is not None:
            args = (self._self, *args)
        for plan in self._plans:
            inputs = plan.gather(args, kwargs)
            if inputs is not None:
                try:
                    return plan.run(*inputs)
                except Replan:
                    return self._call_slow(args, kwargs, widen=plan.entry)
        return self._call_slow(args, kwargs)

    # -- the slow path ------------------------------------------------------------
    def _call_slow(self, args: tuple, kwargs: dict, widen=None) -> Any:
        for _ in range(MAX_RETRACES):
            plan = self._planner.prepare(args, kwargs, widen=widen)
            self._remember(plan)
            inputs = plan.gather(args, kwargs)
            if inputs is None:  # changed while planning (another thread): plan again
                continue
            try:
                return plan.run(*inputs)
            except Replan:
                widen = plan.entry
        raise RuntimeError(
            f"{self._planner.owner}: the Variables or objects the function uses kept changing "
            "while it was planned; please report this with the function's code."
        )

    def _remember(self, plan: Plan) -> None:
        # A plan for the same objects supersedes the old one (whose stamps
        # no longer match); the plan is forgotten when any of its objects dies.
        forget = functools.partial(_forget, weakref.ref(self), weakref.ref(plan))
        plan.root_refs = [_rewatch(ref, forget) for ref in plan.root_refs]
        roots = plan.root_ids()
        with self._planner.lock:
            kept = [p for p in self._plans if p.root_ids() != roots]
            self._plans = (plan, *kept[: _PLANS_KEPT - 1])

    def _forget(self, plan: Plan) -> None:
        with self._planner.lock:
            self._plans = tuple(p for p in self._plans if p is not plan)

    def trace(self, *args: Any, **kwargs: Any) -> Any:
        """JAX's ``Traced`` stage of this call, without running it or changing state.

        Its ``jaxpr`` shows the program (the Variables' values come first, as
        inputs), and ``.lower()`` leads on to XLA's text, as with ``jax.jit``.

        Raises:
            MathError: as a call would (see :func:`jit`).

        Example:
            >>> import brainobj.math as bm
            >>> v = bm.Variable(bm.zeros(2))
            >>> def step(x):
            ...     v.value = v + x
            >>> "add" in str(bm.jit(step).trace(bm.ones(2)).jaxpr)
            True
        """
        if self._self is not None:
            args = (self._self, *args)
        plan = self._planner.prepare(args, kwargs)
        self._remember(plan)
        kept, donated = plan.gather(args, kwargs)
        previous, THREAD.binding = THREAD.binding, plan
        try:
            return plan.entry.compiled.trace([lookup(v) for v in plan.rw_vars],
                                             [lookup(v) for v in plan.ro_vars], donated, kept)
        finally:
            THREAD.binding = previous

    def clear_cache(self) -> None:
        """Drop every compiled version of this function (and the retrace count).

        Raises nothing.
        """
        with self._planner.lock:
            self._plans = ()
            self._planner.clear()

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


def _check_static_arguments(fun: Callable, shift: int, static_argnums: tuple, static_argnames: tuple,
                            donate_argnums: tuple, donate_argnames: tuple = ()) -> None:
    """Refuse argument numbers and names ``fun`` cannot have (as ``jax.jit``
    does), when its signature says so. Their types were checked by
    :func:`_check_argument_kinds` when ``bm.jit`` / ``bm.cls_jit`` was called."""
    name = getattr(fun, "__qualname__", getattr(fun, "__name__", repr(fun)))
    both = set(static_argnames) & set(donate_argnames)
    if both:
        raise ValueError(f"bm.jit({name}): argument {min(both)!r} is both static and donated; "
                         "a static argument has no buffer to donate.")
    both = set(static_argnums) & set(donate_argnums)
    if both:
        raise ValueError(f"bm.jit({name}): argument {min(both)} is both static and donated; "
                         "a static argument has no buffer to donate.")
    try:
        parameters = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return
    kinds = {p.kind for p in parameters}
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    callable_with = len(positional) - shift
    if inspect.Parameter.VAR_POSITIONAL not in kinds:
        for what, values in (("static_argnums", static_argnums), ("donate_argnums", donate_argnums)):
            for i in values:
                if not -callable_with <= i < callable_with:
                    raise ValueError(
                        f"bm.jit({name}): {what} has {i}, but the function takes "
                        f"{callable_with} positional argument{'s' if callable_with != 1 else ''} "
                        f"({', '.join(positional[shift:]) or 'none'})."
                    )
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        names = {p.name for p in parameters if p.kind != p.POSITIONAL_ONLY}
        for what, values in (("static_argnames", static_argnames), ("donate_argnames", donate_argnames)):
            for n in values:
                if n not in names:
                    raise ValueError(f"bm.jit({name}): {what} has {n!r}, but the function has "
                                     f"no such parameter ({', '.join(sorted(names)) or 'none'}).")


def _donated_positions(fun: Callable, donate_argnames: tuple) -> list:
    """``donate_argnames`` as they may arrive: by keyword (the names) and by
    position (the parameters' indices, ``self`` included)."""
    if not donate_argnames:
        return []
    try:
        parameters = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return list(donate_argnames)
    positions = [i for i, p in enumerate(parameters)
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name in donate_argnames]
    return [*donate_argnames, *positions]


def _rewatch(ref: Callable[[], Any], callback: Callable) -> Callable[[], Any]:
    obj = ref()
    try:
        return weakref.ref(obj, callback)
    except TypeError:
        return ref


def _forget(function_ref, plan_ref, _dead=None) -> None:
    function, plan = function_ref(), plan_ref()
    if function is not None and plan is not None:
        function._forget(plan)


# BrainPy's `jax.jit` keyword arguments that brainobj does not forward (its
# compiled function takes the Variables' values as extra inputs, so
# shardings and backends given for the user's arguments would not line up).
# Their do-nothing values are accepted, so code passing them explicitly runs.
_NO_OP_VALUES = {"abstracted_axes": None, "device": None, "backend": None}


def _legacy_options(owner: str, dyn_vars: Any, child_objs: Any, keep_unused: Any,
                    name: Any, extra: dict) -> None:
    """Check BrainPy-only keyword arguments once, when ``bm.jit`` is applied;
    warn about ``dyn_vars`` / ``child_objs`` (ignored, as in BrainPy >= 2.4)."""
    for key, value in extra.items():
        if key not in _NO_OP_VALUES:
            known = ("static_argnums, static_argnames, donate_argnums, donate_argnames, "
                     "donate_vars, inline, keep_unused, in_shardings, out_shardings, "
                     + ", ".join(_NO_OP_VALUES) + ", name, dyn_vars, child_objs")
            raise TypeError(f"{owner}: unexpected keyword argument {key!r}; it accepts {known}.")
        if value is not _NO_OP_VALUES[key]:
            raise TypeError(
                f"{owner}: {key}={value!r:.60} is not supported; brainobj compiles the "
                "Variables' values as extra inputs, so place arrays with jax.device_put (on the "
                f"arguments and Variables' values) instead, and leave {key} out.")
    if not isinstance(keep_unused, bool):
        raise TypeError(f"{owner}: keep_unused must be True or False, got {keep_unused!r:.40}.")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{owner}: name must be a string, got {type(name).__name__} {name!r:.40}.")
    legacy_arguments(owner, dyn_vars, child_objs)


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), donate_argnums: int | Sequence[int] = (),
        donate_argnames: str | Sequence[str] = (), donate_vars: bool = False,
        inline: bool = False, keep_unused: bool = False, in_shardings: Any = None,
        out_shardings: Any = None, name: str | None = None, dyn_vars: Any = None,
        child_objs: Any = None, **jax_options: Any) -> Any:
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
        donate_argnames: names of such arguments (as ``jax.jit``).
        donate_vars: let XLA reuse the buffers of Variables the function
            both reads and writes (in-place state update). The old arrays
            become invalid, and a run-time failure can no longer leave them
            intact.
        inline: inline the function into an enclosing jit's program.
        keep_unused: accepted for BrainPy / ``jax.jit``; unused inputs may
            be pruned either way, which changes no result.
        in_shardings: as ``jax.jit``'s, for the positional arguments: one
            ``Sharding`` (or ``None``) for all, or a tuple with one entry
            (a sharding, a pytree prefix of shardings, or ``None``) per
            argument. Arguments are placed with ``jax.device_put`` before
            the call; objects take ``None`` (their Variables have their own
            layouts: see ``bm.shard``).
        out_shardings: as ``jax.jit``'s: a ``Sharding`` or pytree prefix
            of them (``None``: XLA decides) that the outputs are pinned to.
            Written Variables always keep their own layout.
        name: BrainPy's name of the transform object; ignored.
        dyn_vars: BrainPy's legacy argument: checked, then
            ignored with a :class:`LegacyArgumentWarning` (a
            ``DeprecationWarning``) pointing at the caller's line, as in
            BrainPy >= 2.4 (which warns and finds what the function uses).
        child_objs: as ``dyn_vars``.
        **jax_options: ``abstracted_axes``, ``device``, ``backend``: only
            ``None`` (place inputs with ``in_shardings`` or ``jax.device_put``).

    Returns:
        A :class:`JitFunction`; used as ``@bm.jit`` or ``@bm.jit(...)``.

    Raises:
        MathTypeError: (when ``bm.jit`` is called, before ``fun`` is given)
            ``static_argnums`` / ``donate_argnums`` is not an int or a
            sequence of ints (``1.5``, ``'a'``, ``[1.5]``), or
            ``static_argnames`` / ``donate_argnames`` not a str or a
            sequence of strs, naming the argument and the value. A
            :class:`MathError` that is also a ``TypeError`` (BrainPy raises
            ``ValueError`` here, JAX ``TypeError``).
        TypeError: ``fun`` is not callable; an unknown keyword argument; a
            ``jax_options`` value other than ``None``; ``dyn_vars`` holding
            something other than Variables, or ``child_objs`` other than
            objects.
        ValueError: ``static_argnums``, ``donate_argnums`` or
            ``static_argnames`` name an argument ``fun`` does not have, or an
            argument is both static and donated.
        MathError: when called -- the function returned an object or a
            non-array value (naming its place in the output); wrote a
            Variable inside a JAX transform that is not brainobj's
            (``jax.jit``, ``jax.lax.scan`` inside); assigned an attribute of
            a plain ``self``; or a Variable refused the value written (see
            :class:`Variable`). Errors raised by ``fun`` itself propagate
            unchanged, with brainobj's frames left out of the traceback, and
            JAX's errors about traced values name ``fun``'s arguments and
            Variables. After any error, every Variable holds its value from
            before the call.

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
    _legacy_options("bm.jit", dyn_vars, child_objs, keep_unused, name, jax_options)
    options = _check_argument_kinds("bm.jit", static_argnums=static_argnums,
                                    static_argnames=static_argnames, donate_argnums=donate_argnums,
                                    donate_argnames=donate_argnames)
    options.update(donate_vars=donate_vars, inline=inline, in_shardings=in_shardings,
                   out_shardings=out_shardings)
    if fun is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fun, **options)


def cls_jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
            static_argnames: str | Sequence[str] = (), donate_argnums: int | Sequence[int] = (),
            donate_argnames: str | Sequence[str] = (), donate_vars: bool = False,
            inline: bool = False, keep_unused: bool = False, in_shardings: Any = None,
            out_shardings: Any = None, name: str | None = None, dyn_vars: Any = None,
            child_objs: Any = None, **jax_options: Any) -> Any:
    """Compile a method; ``self`` may be a ``BrainPyObject`` or any object.

    Argument indices exclude ``self``. The compiled function is shared by
    every instance of the same structure: a second instance with
    same-shaped Variables does not recompile.

    The other arguments, BrainPy's legacy ones included, are as in :func:`jit`.

    Raises:
        MathTypeError, TypeError, ValueError, MathError: as :func:`jit`
            (a bad ``static_argnums`` / ``donate_argnums`` is refused when
            ``bm.cls_jit`` is called, as in BrainPy).

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
    _legacy_options("bm.cls_jit", dyn_vars, child_objs, keep_unused, name, jax_options)
    options = _check_argument_kinds("bm.cls_jit", static_argnums=static_argnums,
                                    static_argnames=static_argnames, donate_argnums=donate_argnums,
                                    donate_argnames=donate_argnames)
    options.update(donate_vars=donate_vars, inline=inline, in_shardings=in_shardings,
                   out_shardings=out_shardings, method=True)
    if fun is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fun, **options)
