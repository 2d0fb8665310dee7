"""Loops and branches over functions that touch Variables.

``for_loop``, ``scan`` and ``while_loop`` compile to ``jax.lax.scan`` /
``jax.lax.while_loop``; ``cond``, ``ifelse`` and ``switch`` to
``jax.lax.cond`` / ``jax.lax.switch``. The Variables the user's functions
write become part of the loop carry or the branch outputs (see
:class:`~brainobj.math._carry.Carried`); Variables only read are closed
over, so a jitted loop does no per-step Python work.

Objects among the operands are set aside (:func:`~._partition.partition`):
only arrays cross the primitive, and the user's functions get the live
objects back.

Called outside any transform, the loops are compiled once per body function
(through ``bm.jit``) and reused on later calls.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np
from jax import lax
from tqdm.auto import tqdm

from ._carry import Carried, run_carried
from ._eager_cache import Ready, compiled_once
from ._errors import MathError, MathTypeError
from ._jax_debug import api_boundary, name_traced_function, operand_names
from ._jit import JitFunction
from ._partition import is_state, partition, strip_variables, values_only
from ._legacy import legacy_arguments
from ._progress import ProgressBar, check_progress_bar, progress_for
from ._tracing import in_transform
from ._variable import Variable

__all__ = ["for_loop", "scan", "while_loop", "cond", "ifelse", "switch"]


# -- helpers ------------------------------------------------------------------------

_unwrap = strip_variables


def _everything(_: Any) -> bool:
    return True


class _Split:
    """A pytree of operands with its objects set aside (see the module notes).

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> obj = bp.BrainPyObject()
        >>> split = _Split((obj, bm.ones(2)))
        >>> split.arrays
        (None, Array([1., 1.], dtype=float32))
        >>> split.rebuild(split.arrays)[0] is obj
        True
    """

    def __init__(self, tree: Any) -> None:
        tree = _unwrap(tree)
        leaves, self.treedef = jtu.tree_flatten(tree, is_leaf=is_state)
        self.objects = {i: leaf for i, leaf in enumerate(leaves) if is_state(leaf)}
        self.arrays, self._rebuild = partition(tree, _everything)

    def rebuild(self, arrays: Any) -> Any:
        return self._rebuild(arrays) if self.objects else arrays

    def strip(self, tree: Any, owner: str, what: str) -> Any:
        """``tree``, returned by user code in place of the operands, as arrays.

        It must hold the same objects at the same places: an object cannot be
        carried through a loop as a value.
        """
        if not self.objects:
            return tree
        leaves, treedef = jtu.tree_flatten(_unwrap(tree), is_leaf=is_state)
        if treedef != self.treedef:
            raise MathError(
                f"{owner}: {what} must keep the structure of the operands, {self.treedef}, "
                f"but got {treedef}. Return the objects you were given, at the same places."
            )
        for i, obj in self.objects.items():
            if leaves[i] is not obj:
                raise MathError(
                    f"{owner}: {what} put {_name(leaves[i])} where the operands had "
                    f"{_name(obj)}; objects pass through loops unchanged (their Variables "
                    "are updated in place), so return the same object."
                )
        return treedef.unflatten([None if i in self.objects else leaf for i, leaf in enumerate(leaves)])


def _name(obj: Any) -> str:
    return getattr(obj, "name", None) or f"a {type(obj).__name__}"


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


def _type_of(tree: Any) -> tuple[Any, list]:
    """``tree``'s structure and its leaves' ``(shape, dtype)``, as JAX compares
    them (weak types aside)."""
    paths, treedef = jtu.tree_flatten_with_path(tree)
    return treedef, [(jtu.keystr(p), jnp.shape(x), jnp.result_type(x)) for p, x in paths]


class _Shown:
    """Shows as its text: a pytree of these prints as its structure of types."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _describe_type(treedef: Any, leaves: list) -> str:
    return repr(treedef.unflatten([_Shown(_aval(leaf)) for leaf in leaves]))


def _aval(leaf: tuple) -> str:
    _, shape, dtype = leaf
    return f"{dtype}[{','.join(map(str, shape))}]"


def _require_same_type(owner: str, expected_what: str, expected: Any, got_what: str, got: Any,
                       advice: str) -> None:
    """Raise a MathTypeError naming the first difference between two values' types;
    ``expected_what`` / ``got_what`` say whose they are, verb included
    (``"false_fun returns"``, ``"the operands are"``)."""
    (tree_a, leaves_a), (tree_b, leaves_b) = _type_of(expected), _type_of(got)
    if tree_a != tree_b:
        raise MathTypeError(
            f"{owner}: {got_what} {_describe_type(tree_b, leaves_b)}, but "
            f"{expected_what} {_describe_type(tree_a, leaves_a)}; {advice}"
        )
    for a, b in zip(leaves_a, leaves_b):
        if a[1:] != b[1:]:
            where = f" at {a[0]}" if a[0] else ""
            raise MathTypeError(
                f"{owner}: {got_what} {_aval(b)}{where}, but {expected_what} "
                f"{_aval(a)}; {advice}"
            )


# -- loops -------------------------------------------------------------------------------

@api_boundary
def for_loop(
    body_fun: Callable,
    operands: Any,
    reverse: bool = False,
    unroll: int | bool = 1,
    remat: bool = False,
    jit: bool | None = None,
    progress_bar: bool | ProgressBar = False,
    unroll_kwargs: dict | None = None,
    dyn_vars: Any = None,
    child_objs: Any = None,
) -> Any:
    """Run ``body_fun`` over the leading axis of ``operands``; stack its outputs.

    ``body_fun(*x)`` is called with one slice of each operand (``body_fun(x)``
    if ``operands`` is not a tuple/list). Variables it writes are carried from
    step to step and hold their final values afterwards; its return values
    are stacked along a new leading axis. Objects among the operands are not
    sliced: every step gets the live object.

    Args:
        body_fun: the step. May read and write any Variables.
        operands: arrays (a pytree) sharing a leading axis of length ``n``.
        reverse: iterate from the last slice to the first.
        unroll: how many steps ``lax.scan`` unrolls per iteration.
        remat: recompute the step in the backward pass instead of storing it
            (``jax.checkpoint``), to save memory when differentiating.
        jit: ``False`` runs a plain Python loop, for debugging with prints;
            ``None`` (the default) compiles unless ``jax.disable_jit()`` is on.
        progress_bar: ``True`` or a :class:`ProgressBar` shows a tqdm bar,
            advanced from inside the compiled loop (host callbacks, about 100
            in all by default, not one per step).
        unroll_kwargs: keyword arguments passed unchanged to every call of
            ``body_fun`` (static values: hashable, compiled in).
        dyn_vars: BrainPy's legacy argument: checked, then
            ignored with a ``LegacyArgumentWarning`` (see :func:`jit`).
        child_objs: as ``dyn_vars``.

    Raises:
        TypeError: ``progress_bar`` is not a bool or a :class:`ProgressBar`;
            ``unroll_kwargs`` is not a dict of hashable values; ``dyn_vars`` /
            ``child_objs`` hold other things than Variables / objects.
        MathError: a body that returns an object or a non-array value, operands with no
            arrays or disagreeing lengths, or a Variable refusing a written value. Errors raised
            by the user's functions propagate unchanged, without brainobj's frames in the
            traceback; after any error every Variable holds its value from before the call.

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
    legacy_arguments(owner, dyn_vars, child_objs)
    bar = check_progress_bar(owner, progress_bar)
    static = _static_kwargs(owner, unroll_kwargs)
    if jit is None:
        jit = not jax.config.jax_disable_jit
    operands = _unwrap(operands)
    n = _leading_length(_Split(operands).arrays, owner)
    if not jit and n > 0:  # an empty loop still needs the output shapes: trace it
        return _python_loop(body_fun, operands, n, reverse, bar, dict(static))
    if in_transform():
        progress = progress_for(bar, n, "for_loop")
        return _scan_loop(body_fun, operands, n, reverse, unroll, remat, progress, dict(static))

    def build(body: Callable):
        progress = progress_for(bar, n, "for_loop")
        return JitFunction(lambda ops: _scan_loop(body, ops, n, reverse, unroll, remat, progress,
                                                  dict(static)),
                           shown_as=("bm.for_loop", body)), progress

    with compiled_once(body_fun, ("for_loop", reverse, unroll, remat, bar, n, static),
                       build) as (runner, progress):
        try:
            return runner(operands)
        finally:
            if progress is not None:
                jax.effects_barrier()  # the bar is complete when the call returns
                progress.close()  # (left open only by a failed run)


def _static_kwargs(owner: str, unroll_kwargs: dict | None) -> tuple:
    """``unroll_kwargs`` as a hashable, sorted tuple of items (part of the cache key)."""
    if unroll_kwargs is None:
        return ()
    if not isinstance(unroll_kwargs, dict):
        raise TypeError(f"{owner}: unroll_kwargs must be a dict of keyword arguments, got "
                        f"{type(unroll_kwargs).__name__}.")
    for key, value in unroll_kwargs.items():
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"{owner}: unroll_kwargs[{key!r}] is a {type(value).__name__}, which cannot be "
                "a compile-time constant (not hashable); pass arrays through `operands`, or "
                "close over them.") from None
    return tuple(sorted(unroll_kwargs.items()))


def _scan_loop(body_fun, operands, n, reverse, unroll, remat, progress, static=None) -> Any:
    split = _Split(operands)
    static = static or {}

    def call(carried: Carried):
        step = carried.wrap(lambda x: _call_spread(functools.partial(body_fun, **static), split.rebuild(x))
                            if static else _call_spread(body_fun, split.rebuild(x)))
        if remat:  # the step only: the backward pass must not replay the progress bar
            step = jax.checkpoint(step)

        def scan_body(state, xs):
            index, x = xs
            if progress is not None:
                progress.report(index, reverse)
            return step(state, x)

        name_traced_function(scan_body, "bm.for_loop", body_fun, [
            *carried.labels(), "<step index>",
            *operand_names(split.arrays, body_fun, isinstance(operands, (tuple, list)))])
        return lax.scan(scan_body, carried.initial(), (jnp.arange(n), split.arrays),
                        reverse=reverse, unroll=unroll)

    return run_carried("bm.for_loop", call)


def _python_loop(body_fun, operands, n, reverse, bar, static) -> Any:
    split = _Split(operands)
    steps = range(n - 1, -1, -1) if reverse else range(n)
    if bar is not None:
        steps = tqdm(steps, desc=bar.desc or "for_loop", miniters=bar.freq or 1)
    body = functools.partial(body_fun, **static) if static else body_fun
    outs = []
    for i in steps:
        x = jtu.tree_map(lambda a: a[i], split.arrays)
        outs.append(_call_spread(body, split.rebuild(x)))
    if reverse:
        outs.reverse()
    outs = [values_only(o, "bm.for_loop") for o in outs]
    return jtu.tree_map(lambda *xs: jnp.stack(xs), *outs)


@api_boundary
def scan(
    body_fun: Callable,
    init: Any,
    operands: Any,
    reverse: bool = False,
    unroll: int | bool = 1,
    remat: bool = False,
    progress_bar: bool | ProgressBar = False,
) -> tuple[Any, Any]:
    """``jax.lax.scan`` with Variables carried implicitly.

    ``body_fun(carry, x) -> (carry, y)`` as in JAX; Variables it writes
    carry across steps too and hold their final values afterwards.
    Returns ``(final_carry, stacked_ys)``. Objects in ``init`` pass through
    unchanged (return them in the carry); objects in ``operands`` reach every
    step unsliced. ``progress_bar`` (``True`` or a :class:`ProgressBar`)
    shows a tqdm bar as :func:`for_loop` does.

    Raises:
        TypeError: ``progress_bar`` is not a bool or a :class:`ProgressBar`.
        MathError: `body_fun` does not return a pair (carry, y), the carry changes
            structure, shape or dtype, or it returns an object or a non-array value. Errors
            raised by the user's functions propagate unchanged, without brainobj's frames in the
            traceback; after any error every Variable holds its value from before the call.

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
    owner = "bm.scan"
    bar = check_progress_bar(owner, progress_bar)
    init, operands = _unwrap(init), _unwrap(operands)
    n = _leading_length(_Split(operands).arrays, owner) if bar is not None else 0

    def make_run(body_fun: Callable, progress: Any = None) -> Callable:
        def run(init, operands):
            init_split, xs_split = _Split(init), _Split(operands)

            def user_step(carry, x):
                out = body_fun(init_split.rebuild(carry), xs_split.rebuild(x))
                if not (isinstance(out, (tuple, list)) and len(out) == 2):
                    got = (f"an array of shape {tuple(out.shape)}" if hasattr(out, "shape")
                           else f"a {type(out).__name__}")
                    raise MathError(f"{owner}: `body_fun` must return a pair (carry, y), got {got}.")
                return init_split.strip(out[0], owner, "the carry returned by `body_fun`"), out[1]

            def call(carried: Carried):
                step = carried.wrap(user_step)

                def inner(full, x):
                    state, carry = full
                    new_state, (carry, y) = step(state, carry, x)
                    return (new_state, carry), y

                if remat:
                    inner = jax.checkpoint(inner)

                def scan_body(full, x):
                    # Outside the checkpoint: the backward pass must not replay the bar.
                    if progress is not None:
                        index, x = x
                        progress.report(index, reverse)
                    return inner(full, x)

                if not remat:
                    name_traced_function(scan_body, owner, body_fun, [
                        *carried.labels(), *operand_names(init_split.arrays, body_fun, False, 0),
                        *(["<step index>"] if progress is not None else []),
                        *operand_names(xs_split.arrays, body_fun, False, 1)])
                xs = xs_split.arrays if progress is None else (jnp.arange(n), xs_split.arrays)
                (final_state, carry), ys = lax.scan(
                    scan_body, (carried.initial(), init_split.arrays), xs,
                    reverse=reverse, unroll=unroll)
                return final_state, (carry, ys)

            return run_carried(owner, call)

        return run

    # The objects go back into the carry only here: a `bm.jit` must return arrays.
    if in_transform():
        cached = Ready((make_run(body_fun, progress_for(bar, n, "scan")), None))
    else:
        def build(body: Callable):
            progress = progress_for(bar, n, "scan")
            return JitFunction(make_run(body, progress), shown_as=(owner, body)), progress

        cached = compiled_once(body_fun, ("scan", reverse, unroll, remat, bar, n), build)
    with cached as (runner, progress):
        try:
            carry, ys = runner(init, operands)
        finally:
            if progress is not None:
                jax.effects_barrier()  # the bar is complete when the call returns
                progress.close()
    return _Split(init).rebuild(carry), ys


@api_boundary
def while_loop(body_fun: Callable, cond_fun: Callable, operands: Any, dyn_vars: Any = None,
               child_objs: Any = None) -> Any:
    """``jax.lax.while_loop`` with Variables carried implicitly.

    ``cond_fun(*operands)`` returns a boolean scalar; ``body_fun(*operands)``
    returns the new operands (same structure), or ``None`` to keep them
    unchanged (BrainPy's idiom: a body that only updates Variables, with a
    ``cond_fun`` that reads them). A non-tuple ``operands`` is
    passed as one argument. ``cond_fun`` may read Variables -- it sees the
    values the body wrote -- but must not write them. Returns the final
    operands; objects among them pass through unchanged. ``dyn_vars`` and
    ``child_objs`` are BrainPy's legacy arguments: ignored with a warning.

    Raises:
        TypeError: ``dyn_vars`` / ``child_objs`` hold other things than
            Variables / objects.
        MathTypeError: (a :class:`MathError` that is also a ``TypeError``, as JAX's error)
            `cond_fun` returns a non-scalar; `body_fun` returns operands of another structure,
            shape or dtype.
        MathError: `cond_fun` writes a Variable; `body_fun` puts other objects in place of the
            operands' objects. Errors raised by the user's functions propagate unchanged,
            without brainobj's frames in the traceback; after any error every Variable holds
            its value from before the call.

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
        >>> def tick():  # returns None: the operands stay as they are
        ...     steps.value += 1
        >>> bm.while_loop(tick, lambda: steps.value < 10, ())
        ()
        >>> int(steps.value)
        10
    """
    owner = "bm.while_loop"
    legacy_arguments(owner, dyn_vars, child_objs)
    operands = _unwrap(operands)
    spread = isinstance(operands, (tuple, list))

    def make_run(body_fun: Callable, cond_fun: Callable) -> Callable:
        def run(operands):
            split = _Split(operands)

            def user_body(ops):
                new_ops = _call_spread(body_fun, split.rebuild(ops))
                if new_ops is None:  # BrainPy: a body without a return keeps the operands
                    return ops
                if spread and isinstance(new_ops, (tuple, list)):
                    new_ops = type(operands)(new_ops)
                new_ops = split.strip(new_ops, owner, "the value returned by `body_fun`")
                _require_same_type(owner, "the operands are", ops, "`body_fun` returns", new_ops,
                                   "the body must return new operands of the same structure, "
                                   "shapes and dtypes (check the argument order: body_fun "
                                   "comes first, then cond_fun).")
                return new_ops

            def call(carried: Carried):
                body = carried.wrap(user_body)
                check = carried.wrap(lambda ops: _call_spread(cond_fun, split.rebuild(ops)),
                                     writes_allowed=False)

                def lax_cond(full):
                    _, predicate = check(*full)
                    if jnp.shape(predicate) != ():
                        raise MathTypeError(
                            f"{owner}: `cond_fun` must return a boolean scalar, got "
                            f"{_aval(('', jnp.shape(predicate), jnp.result_type(predicate)))}; "
                            "reduce it (e.g. `.all()`), and check the argument order: "
                            "body_fun comes first, then cond_fun."
                        )
                    return jnp.asarray(predicate, dtype=bool)

                def lax_body(full):
                    return body(*full)

                names = [*carried.labels(), *operand_names(split.arrays, body_fun, spread)]
                name_traced_function(lax_cond, owner, cond_fun, names)
                name_traced_function(lax_body, owner, body_fun, names)
                final_state, ops = lax.while_loop(lax_cond, lax_body, (carried.initial(), split.arrays))
                return final_state, ops

            return run_carried(owner, call)

        return run

    # The objects go back into the operands only here: a `bm.jit` must return arrays.
    if in_transform():
        return _Split(operands).rebuild(make_run(body_fun, cond_fun)(operands))
    with compiled_once(body_fun, ("while_loop", type(operands) if spread else None),
                       lambda body, cond: JitFunction(make_run(body, cond), shown_as=(owner, body)),
                       helpers=(cond_fun,)) as runner:
        return _Split(operands).rebuild(runner(operands))


# -- branches ----------------------------------------------------------------------------

def _predicate(pred: Any, owner: str = "bm.cond", what: str = "pred") -> Any:
    """``pred`` (a Variable's value, if a Variable), checked to be a scalar."""
    if isinstance(pred, Variable):
        pred = pred.value
    if not (isinstance(pred, (bool, int, float, np.generic, np.ndarray, jax.Array))):
        raise MathTypeError(
            f"{owner}: `{what}` must be a boolean (or a number / array), got "
            f"{type(pred).__name__} {pred!r:.40}. A string such as 'False' is not a condition; "
            "compare first (e.g. `x > 0`)."
        )
    shape = jnp.shape(pred)
    if shape != ():
        raise MathTypeError(
            f"{owner}: `{what}` must be a scalar, got an array of shape {shape}. Reduce it "
            "first (e.g. `x.all()` or `x.any()`), or use `bm.where` for an elementwise choice."
        )
    return pred


@api_boundary
def switch(index: Any, branches: Sequence[Callable], operands: Any = ()) -> Any:
    """Run ``branches[index](*operands)`` (``jax.lax.switch``; index clamped).

    Branches may write different Variables: a Variable written in one branch
    keeps its value when another branch runs. Every branch must return the
    same structure of arrays.

    Raises:
        MathTypeError: (a :class:`MathError` that is also a ``TypeError``, as JAX's error)
            `index` is not a boolean or number (a string such as 'False'), or not a scalar;
            branches return different structures, shapes or dtypes (naming the two that
            differ).
        MathError: `branches` is empty. Errors raised by the user's functions propagate
            unchanged, without brainobj's frames in the traceback; after any error every
            Variable holds its value from before the call.

    Example:
        >>> import brainobj.math as bm
        >>> hits = bm.Variable(bm.zeros(3))
        >>> def bump(i):
        ...     return lambda: hits.value.at[i].add(1.)
        >>> out = bm.switch(1, [bump(0), bump(1), bump(2)])
        >>> out
        Array([0., 1., 0.], dtype=float32)
    """
    return _dispatch(index, branches, operands, "bm.switch", None)


def _dispatch(index: Any, branches: Sequence, operands: Any, owner: str,
              names: tuple | None) -> Any:
    if not branches:
        raise MathError(f"{owner}: `branches` is empty.")
    index = jnp.asarray(_predicate(index, owner, "index"), dtype=jnp.int32)
    if in_transform() or not all(callable(b) for b in branches):
        return _switch(index, branches, operands, owner, names)
    # Called eagerly (a debugging loop, say): compile once per set of branches.
    with compiled_once(branches[0], ("switch", len(branches), owner, names),
                       lambda *funs: JitFunction(_switch_runner(funs, owner, names),
                                                 shown_as=(owner, "/".join(reversed(names or ("branches",))))),
                       helpers=tuple(branches[1:])) as runner:
        return runner(index, operands)


def _switch_runner(funs: tuple, owner: str, names: tuple | None) -> Callable:
    """``run(index, operands)`` switching over ``funs``, each held in a closure
    cell of its own (a chain of functions), not in a tuple: ``bm.jit``'s
    capture search follows functions in cells only, so a branch reaching a
    model through a dict is re-read at each call."""

    def chain(rest: tuple) -> Callable:
        if not rest:
            return lambda: ()
        head, tail = rest[0], chain(rest[1:])
        return lambda: (head, *tail())

    listed = chain(tuple(funs))

    def run(index: Any, operands: Any) -> Any:
        return _switch(index, listed(), operands, owner, names)

    return run


def _switch(index: Any, branches: Sequence, operands: Any, owner: str = "bm.switch",
            names: Sequence[str] | None = None) -> Any:
    """``lax.switch`` over ``branches``; objects among the operands stay live.
    ``names`` name the branches in errors (``true_fun``, ``branches[2]``)."""
    funs = [_as_callable(b) for b in branches]
    names = names or [f"branches[{k}]" for k in range(len(funs))]
    split = _Split(operands)

    def call(carried: Carried):
        outs: dict[int, Any] = {}

        def branch(k: int, f: Callable) -> Callable:
            def run(ops):
                outs[k] = _call_spread(f, split.rebuild(ops))
                return outs[k]
            pure = carried.wrap(run)
            name_traced_function(pure, owner, f, [
                *carried.labels(), *operand_names(split.arrays, f, isinstance(operands, (tuple, list)))])
            return pure

        try:
            return lax.switch(index, [branch(k, f) for k, f in enumerate(funs)],
                              carried.initial(), split.arrays)
        except TypeError:
            if len(outs) == len(funs):  # every branch traced: say which ones differ
                for k in range(1, len(funs)):
                    _require_same_type(owner, f"{names[0]} returns", values_only(outs[0], owner),
                                       f"{names[k]} returns", values_only(outs[k], owner),
                                       "every branch must return the same structure, shapes "
                                       "and dtypes.")
            raise

    return run_carried(owner, call)


@api_boundary
def cond(pred: Any, true_fun: Callable, false_fun: Callable, operands: Any = (),
         dyn_vars: Any = None, child_objs: Any = None) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)`` (``jax.lax.cond``).

    Both branches are traced; a Variable written in only one of them keeps its
    value when the other runs. A branch may also be a constant value.
    ``dyn_vars`` / ``child_objs``: BrainPy's legacy arguments, ignored with a
    warning.

    Raises:
        TypeError: ``dyn_vars`` / ``child_objs`` hold other things than
            Variables / objects.
        MathTypeError: (a :class:`MathError` that is also a ``TypeError``, as BrainPy's and
            JAX's errors) `pred` is not a boolean or number (a string such as 'False', None),
            or not a scalar; branches return different structures, shapes or dtypes (naming
            the two that differ) (`true_fun` / `false_fun`). Errors raised by the user's
            functions propagate unchanged, without brainobj's frames in the traceback; after
            any error every Variable holds its value from before the call.

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
    legacy_arguments("bm.cond", dyn_vars, child_objs)
    return _dispatch(jnp.asarray(_predicate(pred), dtype=bool).astype(jnp.int32),
                     [false_fun, true_fun], operands, "bm.cond", ("false_fun", "true_fun"))


@api_boundary
def ifelse(conditions: Any, branches: Sequence[Callable], operands: Any = (),
           show_code: bool = False, dyn_vars: Any = None, child_objs: Any = None) -> Any:
    """Run the branch of the first true condition (one ``jax.lax.switch``).

    ``conditions`` has one entry per branch, or one fewer (the last branch is
    then the "else"); a single condition (not in a list) is an if/else of two
    branches. When no condition holds, the last branch runs. ``operands=None``
    means no operands. ``show_code`` (BrainPy printed its generated code) is
    accepted and ignored; ``dyn_vars`` / ``child_objs`` are ignored with a
    warning.

    Raises:
        TypeError: ``dyn_vars`` / ``child_objs`` hold other things than
            Variables / objects.
        MathTypeError: (a :class:`MathError` that is also a ``TypeError``, as JAX's error) a
            condition is not a boolean or number (a string such as 'False'), or not a scalar;
            branches return different structures, shapes or dtypes (naming the two that
            differ).
        MathError: the number of conditions is not the number of branches or one fewer.
            Errors raised by the user's functions propagate unchanged, without brainobj's frames
            in the traceback; after any error every Variable holds its value from before the
            call.

    Example:
        >>> import brainobj.math as bm
        >>> x = 5.
        >>> bm.ifelse([x > 10, x > 0], [lambda: 2, lambda: 1, lambda: 0])
        Array(1, dtype=int32, weak_type=True)
        >>> bm.ifelse(x > 10, [lambda: 2, lambda: 0])
        Array(0, dtype=int32, weak_type=True)
    """
    legacy_arguments("bm.ifelse", dyn_vars, child_objs)
    if not isinstance(conditions, (tuple, list)):  # BrainPy: one condition, two branches
        conditions = [conditions]
    if operands is None:
        operands = ()
    conditions = [_predicate(c, "bm.ifelse", f"conditions[{i}]") for i, c in enumerate(conditions)]
    if len(conditions) not in (len(branches), len(branches) - 1) or not branches:
        raise MathError(
            f"bm.ifelse: got {len(conditions)} conditions for {len(branches)} branches; "
            "give one condition per branch, or one fewer (the last branch is the else)."
        )
    stacked = jnp.stack([jnp.asarray(c, dtype=bool).reshape(()) for c in conditions]
                        + [jnp.asarray(True)])
    index = jnp.argmax(stacked)  # the first true one; the appended True is the fallback
    index = jnp.minimum(index, len(branches) - 1)
    return _dispatch(index, branches, operands, "bm.ifelse", None)
