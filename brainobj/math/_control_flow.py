"""Loops and branches over functions that touch Variables.

``for_loop``, ``scan`` and ``while_loop`` compile to ``jax.lax.scan`` /
``jax.lax.while_loop``; ``cond``, ``ifelse`` and ``switch`` to
``jax.lax.cond`` / ``jax.lax.switch``. The Variables the user's functions
write become part of the loop carry or the branch outputs (see
:class:`~brainobj.math._stateful.Carried`); Variables only read are closed
over, so a jitted loop does no per-step Python work.

Called outside any transform, the loops are compiled once per body function
(through ``bm.jit``) and reused on later calls.
"""

from __future__ import annotations

import types
import weakref
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
from jax import lax

from ._state import TRACE_FRAMES
from ._stateful import Carried, run_carried
from ._variable import MathError, Variable

__all__ = ["for_loop", "scan", "while_loop", "cond", "ifelse", "switch"]


# -- helpers ------------------------------------------------------------------------

def _unwrap(tree: Any) -> Any:
    """Variables given as operands enter the loop as their values."""
    return jtu.tree_map(lambda x: x.value if isinstance(x, Variable) else x, tree,
                        is_leaf=lambda x: isinstance(x, Variable))


def _leading_length(operands: Any, owner: str) -> int:
    leaves_with_path = jtu.tree_flatten_with_path(operands)[0]
    if not leaves_with_path:
        raise MathError(f"{owner}: `operands` holds no arrays to loop over.")
    lengths = {}
    for path, leaf in leaves_with_path:
        shape = jnp.shape(leaf)
        if not shape:
            raise MathError(
                f"{owner}: operands{jtu.keystr(path)} is a scalar; every operand needs a "
                "leading axis to loop over."
            )
        lengths.setdefault(shape[0], jtu.keystr(path))
    if len(lengths) > 1:
        detail = ", ".join(f"operands{p} has {n}" for n, p in lengths.items())
        raise MathError(f"{owner}: operands disagree on the number of steps ({detail}).")
    return next(iter(lengths))


def _as_callable(branch: Any) -> Callable:
    return branch if callable(branch) else (lambda *_: branch)


def _call_spread(fun: Callable, operands: Any) -> Any:
    """BrainPy's convention: a tuple/list of operands is spread over the arguments."""
    if isinstance(operands, (tuple, list)):
        return fun(*operands)
    return fun(operands)


# -- compile-once cache for loops called eagerly ---------------------------------------

# body function -> {settings: bm.jit-compiled runner}. Weak in the function
# (and, for bound methods, in the instance) so dropped models are freed.
_EAGER_CACHE: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
# Settings include things like a while_loop's cond function, which may be a
# fresh lambda on every call: keep only the most recent few per body.
_CACHE_PER_FUNCTION = 16


def _compiled_once(fun: Callable, settings: tuple, build: Callable[[], Any]) -> Any:
    """``build()`` (a ``bm.jit``-compiled runner, ...) cached per body and settings.

    Loops called outside transforms reuse it, so they compile once rather
    than on every call. Bound methods are cached per instance.
    """
    if isinstance(fun, types.MethodType):
        key, instance = fun.__func__, fun.__self__
    else:
        key, instance = fun, None
    try:
        per_function = _EAGER_CACHE.setdefault(key, {})
        instance_ref = weakref.ref(instance) if instance is not None else (lambda: None)
    except TypeError:  # not weak-referenceable: build afresh each time
        return build()
    slot = (id(instance), settings)
    found = per_function.get(slot)
    if found is not None and found[0]() is instance:
        return found[1]
    value = build()
    if len(per_function) >= _CACHE_PER_FUNCTION:
        del per_function[next(iter(per_function))]  # oldest first: a bounded cache
    per_function[slot] = (instance_ref, value)
    return value


def _jit(fun: Callable) -> Callable:
    from ._jit import jit  # imported late: bm.jit's module imports this package's pieces

    return jit(fun)


# -- progress bar ------------------------------------------------------------------------

class _Progress:
    """A tqdm bar advanced from inside a compiled loop, ~``updates`` times in all."""

    def __init__(self, total: int, updates: int = 100) -> None:
        self.total = total
        self.every = max(1, total // updates)
        self.bar = None

    def open(self, desc: str) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.total, desc=desc)

    def _advance(self, done: Any) -> None:
        if self.bar is not None:
            self.bar.update(int(done) - self.bar.n)

    def report(self, step: jax.Array, reverse: bool) -> None:
        done = self.total - step if reverse else step + 1
        due = (done % self.every == 0) | (done == self.total)
        lax.cond(due, lambda d: jax.debug.callback(self._advance, d, ordered=True),
                 lambda d: None, done)

    def close(self) -> None:
        jax.effects_barrier()
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# -- loops -------------------------------------------------------------------------------

def for_loop(
    body_fun: Callable,
    operands: Any,
    reverse: bool = False,
    unroll: int | bool = 1,
    remat: bool = False,
    jit: bool = True,
    progress_bar: bool = False,
) -> Any:
    """Run ``body_fun`` over the leading axis of ``operands``; stack its outputs.

    ``body_fun(*x)`` is called with one slice of each operand (``body_fun(x)``
    if ``operands`` is not a tuple/list). Variables it writes are carried from
    step to step and hold their final values afterwards; its return values
    are stacked along a new leading axis.

    Args:
        body_fun: the step. May read and write any Variables.
        operands: arrays (a pytree) sharing a leading axis of length ``n``.
        reverse: iterate from the last slice to the first.
        unroll: how many steps ``lax.scan`` unrolls per iteration.
        remat: recompute the step in the backward pass instead of storing it
            (``jax.checkpoint``), to save memory when differentiating.
        jit: ``False`` runs a plain Python loop, for debugging with prints.
        progress_bar: show a tqdm bar, advanced from inside the compiled loop
            about 100 times in all (a host callback, not one per step).

    Example:
        >>> import brainobj.math as bm
        >>> total = bm.Variable(bm.zeros(()))
        >>> def step(x):
        ...     total.value += x
        ...     return total.value
        >>> bm.for_loop(step, bm.arange(4.))
        Array([0., 1., 3., 6.], dtype=float32)
        >>> total.value
        Array(6., dtype=float32)
    """
    owner = "bm.for_loop"
    operands = _unwrap(operands)
    n = _leading_length(operands, owner)
    if not jit:
        return _python_loop(body_fun, operands, n, reverse, progress_bar)
    if TRACE_FRAMES:
        progress = _Progress(n) if progress_bar else None
        return _with_progress(progress, lambda: _scan_loop(body_fun, operands, n, reverse, unroll,
                                                           remat, progress))

    def build():
        progress = _Progress(n) if progress_bar else None
        return _jit(lambda ops: _scan_loop(body_fun, ops, n, reverse, unroll, remat, progress)), progress

    runner, progress = _compiled_once(body_fun, ("for_loop", reverse, unroll, remat, progress_bar, n),
                                      build)
    return _with_progress(progress, lambda: runner(operands))


def _with_progress(progress: _Progress | None, call: Callable[[], Any]) -> Any:
    if progress is None:
        return call()
    progress.open("for_loop")
    try:
        return call()
    finally:
        progress.close()


def _scan_loop(body_fun, operands, n, reverse, unroll, remat, progress) -> Any:
    def call(carried: Carried):
        step = carried.wrap(lambda x: _call_spread(body_fun, x))

        def scan_body(state, xs):
            index, x = xs
            if progress is not None:
                progress.report(index, reverse)
            return step(state, x)

        if remat:
            scan_body = jax.checkpoint(scan_body)
        return lax.scan(scan_body, carried.initial(), (jnp.arange(n), operands),
                        reverse=reverse, unroll=unroll)

    return run_carried("bm.for_loop", call)


def _python_loop(body_fun, operands, n, reverse, progress_bar) -> Any:
    steps = range(n - 1, -1, -1) if reverse else range(n)
    if progress_bar:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="for_loop")
    outs = []
    for i in steps:
        x = jtu.tree_map(lambda a: a[i], operands)
        outs.append(_call_spread(body_fun, x))
    if reverse:
        outs.reverse()
    from ._stateful import _values_only

    outs = [_values_only(o, "bm.for_loop") for o in outs]
    return jtu.tree_map(lambda *xs: jnp.stack(xs), *outs) if outs else None


def scan(
    body_fun: Callable,
    init: Any,
    operands: Any,
    reverse: bool = False,
    unroll: int | bool = 1,
    remat: bool = False,
) -> tuple[Any, Any]:
    """``jax.lax.scan`` with Variables carried implicitly.

    ``body_fun(carry, x) -> (carry, y)`` as in JAX; Variables it writes
    carry across steps too and hold their final values afterwards.
    Returns ``(final_carry, stacked_ys)``.

    Example:
        >>> import brainobj.math as bm
        >>> calls = bm.Variable(bm.zeros((), dtype=int))
        >>> def body(c, x):
        ...     calls.value += 1
        ...     return c + x, c * x
        >>> bm.scan(body, 0., bm.arange(3.))
        (Array(3., dtype=float32), Array([0., 0., 2.], dtype=float32))
        >>> int(calls.value)
        3
    """
    init, operands = _unwrap(init), _unwrap(operands)

    def run(init, operands):
        def call(carried: Carried):
            step = carried.wrap(body_fun)

            def scan_body(full, x):
                state, carry = full
                new_state, (carry, y) = step(state, carry, x)
                return (new_state, carry), y

            if remat:
                scan_body = jax.checkpoint(scan_body)
            (final_state, carry), ys = lax.scan(
                scan_body, (carried.initial(), init), operands, reverse=reverse, unroll=unroll)
            return final_state, (carry, ys)

        return run_carried("bm.scan", call)

    if not TRACE_FRAMES:
        runner = _compiled_once(body_fun, ("scan", reverse, unroll, remat), lambda: _jit(run))
        return runner(init, operands)
    return run(init, operands)


def while_loop(body_fun: Callable, cond_fun: Callable, operands: Any) -> Any:
    """``jax.lax.while_loop`` with Variables carried implicitly.

    ``cond_fun(*operands)`` returns a boolean scalar; ``body_fun(*operands)``
    returns the new operands (same structure). A non-tuple ``operands`` is
    passed as one argument. ``cond_fun`` may read Variables -- it sees the
    values the body wrote -- but must not write them. Returns the final
    operands.

    Example:
        >>> import brainobj.math as bm
        >>> steps = bm.Variable(bm.zeros((), dtype=int))
        >>> def body(x):
        ...     steps.value += 1
        ...     return x * 2.
        >>> bm.while_loop(body, lambda x: x < 100., 1.)
        Array(128., dtype=float32, weak_type=True)
        >>> int(steps.value)
        7
    """
    operands = _unwrap(operands)
    spread = isinstance(operands, (tuple, list))

    def run(operands):
        def call(carried: Carried):
            body = carried.wrap(lambda ops: _call_spread(body_fun, ops))
            check = carried.wrap(lambda ops: _call_spread(cond_fun, ops), writes_allowed=False)

            def lax_cond(full):
                _, predicate = check(*full)
                return jnp.asarray(predicate, dtype=bool).reshape(())

            def lax_body(full):
                new_state, new_ops = body(*full)
                if spread:
                    new_ops = type(operands)(new_ops)
                return new_state, new_ops

            return lax.while_loop(lax_cond, lax_body, (carried.initial(), operands))

        return run_carried("bm.while_loop", call)

    if not TRACE_FRAMES:
        runner = _compiled_once(body_fun, ("while_loop", cond_fun, type(operands) if spread else None),
                                lambda: _jit(run))
        return runner(operands)
    return run(operands)


# -- branches ----------------------------------------------------------------------------

def _predicate(pred: Any) -> jax.Array:
    if isinstance(pred, Variable):
        pred = pred.value
    return pred


def switch(index: Any, branches: Sequence[Callable], operands: Any = ()) -> Any:
    """Run ``branches[index](*operands)`` (``jax.lax.switch``; index clamped).

    Branches may write different Variables: a Variable written in one branch
    keeps its value when another branch runs. Every branch must return the
    same structure of arrays.

    Example:
        >>> import brainobj.math as bm
        >>> hits = bm.Variable(bm.zeros(3))
        >>> def bump(i):
        ...     return lambda: hits.value.at[i].add(1.)
        >>> out = bm.switch(1, [bump(0), bump(1), bump(2)])
        >>> out
        Array([0., 1., 0.], dtype=float32)
    """
    if not branches:
        raise MathError("bm.switch: `branches` is empty.")
    funs = [_as_callable(b) for b in branches]
    operands = _unwrap(operands)

    def call(carried: Carried):
        wrapped = [carried.wrap(lambda ops, f=f: _call_spread(f, ops)) for f in funs]
        return lax.switch(jnp.asarray(_predicate(index), dtype=jnp.int32),
                          wrapped, carried.initial(), operands)

    return run_carried("bm.switch", call)


def cond(pred: Any, true_fun: Callable, false_fun: Callable, operands: Any = ()) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)`` (``jax.lax.cond``).

    Both branches are traced; a Variable written in only one of them keeps its
    value when the other runs. A branch may also be a constant value.

    Example:
        >>> import brainobj.math as bm
        >>> v = bm.Variable(bm.zeros(()))
        >>> def up(x):
        ...     v.value += x
        ...     return x
        >>> bm.cond(True, up, lambda x: -x, 2.)
        Array(2., dtype=float32, weak_type=True)
        >>> v.value
        Array(2., dtype=float32)
    """
    return switch(jnp.asarray(_predicate(pred), dtype=bool).astype(jnp.int32),
                  [false_fun, true_fun], operands)


def ifelse(conditions: Sequence[Any], branches: Sequence[Callable], operands: Any = ()) -> Any:
    """Run the branch of the first true condition (one ``jax.lax.switch``).

    ``conditions`` has one entry per branch, or one fewer (the last branch is
    then the "else"). When no condition holds, the last branch runs.

    Example:
        >>> import brainobj.math as bm
        >>> x = 5.
        >>> bm.ifelse([x > 10, x > 0], [lambda: 2, lambda: 1, lambda: 0])
        Array(1, dtype=int32, weak_type=True)
    """
    conditions = [_predicate(c) for c in conditions]
    if len(conditions) not in (len(branches), len(branches) - 1) or not branches:
        raise MathError(
            f"bm.ifelse: got {len(conditions)} conditions for {len(branches)} branches; "
            "give one condition per branch, or one fewer (the last branch is the else)."
        )
    stacked = jnp.stack([jnp.asarray(c, dtype=bool).reshape(()) for c in conditions]
                        + [jnp.asarray(True)])
    index = jnp.argmax(stacked)  # the first true one; the appended True is the fallback
    index = jnp.minimum(index, len(branches) - 1)
    return switch(index, branches, operands)
