"""Differentiation over Variables: ``grad``, ``value_and_grad``, ``vector_grad``,
``jacobian``/``jacrev``/``jacfwd`` and ``hessian``.

All of them share one mechanism (:func:`_differentiate`): the Variables in
``grad_vars`` have their boxes swapped for JAX's tracers while ``fun`` runs
inside the JAX transform, and every Variable ``fun`` writes (a random key, a
running statistic) has its new value smuggled out as auxiliary output and
assigned after the transform returns. No discovery pass is needed: JAX traces
``fun`` exactly once per call.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import jax.tree_util as jtu

from ._errors import MathError, MathTypeError
from ._graph import short_repr
from ._jax_debug import api_boundary, describe_argument, positional_names
from ._partition import values_only
from ._tracing import lookup, tracing
from ._variable import Variable

__all__ = ["grad", "value_and_grad", "vector_grad", "jacobian", "jacrev", "jacfwd", "hessian"]


def is_differentiable(var: Variable) -> bool:
    """Float and complex Variables get gradients; int, bool and PRNG keys do not.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> bm.is_differentiable(bm.Variable(bm.zeros(2))), bm.is_differentiable(bm.Variable(bm.zeros(2, int)))
        (True, False)
    """
    return jnp.issubdtype(var.dtype, jnp.inexact)


class _GradVars:
    """``grad_vars`` as given (one Variable, a sequence or a dict), flattened.

    ``variables`` lists the distinct differentiable Variables, each once: a
    Variable listed twice (weight tying, or two keys of a relative
    ``vars()``) is one box and gets one tracer, so both entries receive the
    same, complete gradient. :meth:`rebuild` puts the gradients back in the
    user's structure, with ``None`` where a Variable cannot be differentiated.
    """

    def __init__(self, grad_vars: Any, owner: str) -> None:
        self.given = grad_vars
        if grad_vars is None:
            keys, items = [], []
        elif isinstance(grad_vars, Variable):
            keys, items = [None], [grad_vars]
        elif isinstance(grad_vars, dict):
            keys, items = list(grad_vars.keys()), list(grad_vars.values())
        elif isinstance(grad_vars, (list, tuple)):
            keys, items = list(range(len(grad_vars))), list(grad_vars)
        else:
            raise TypeError(
                f"{owner}: grad_vars must be a Variable, a list/tuple of Variables or a "
                f"dict of them (such as `model.train_vars()`), got {type(grad_vars).__name__}."
            )
        for key, item in zip(keys, items):
            if not isinstance(item, Variable):
                where = "grad_vars" if key is None else f"grad_vars[{key!r}]"
                raise TypeError(
                    f"{owner}: {where} is a {type(item).__name__}, not a Variable; pass "
                    "the Variables to differentiate (e.g. `model.train_vars()`)."
                )
        self.keys = keys
        self.dict_type = _dict_like(grad_vars) if isinstance(grad_vars, dict) else dict
        self.variables: list[Variable] = []
        # index into ``variables`` per entry of grad_vars; None: no gradient.
        self.index: list[int | None] = []
        position: dict[int, int] = {}
        for var in items:
            if not is_differentiable(var):
                self.index.append(None)
                continue
            if id(var) not in position:
                position[id(var)] = len(self.variables)
                self.variables.append(var)
            self.index.append(position[id(var)])

    def rebuild(self, grads: Sequence[Any]) -> Any:
        grads = list(grads)
        values = [None if i is None else grads[i] for i in self.index]
        given = self.given
        if isinstance(given, Variable):
            return values[0]
        if isinstance(given, dict):
            return self.dict_type(zip(self.keys, values))
        if isinstance(given, tuple):
            return tuple(values)
        return values


def _dict_like(given: dict) -> type:
    """``given``'s type if JAX can carry it through a transform, else ``dict``.

    An ``ArrayCollector`` (what ``vars()`` / ``train_vars()`` return) is a
    pytree: its gradients come back as an ``ArrayCollector`` with the same
    keys, as in BrainPy. A plain ``Collector`` is not (nor in BrainPy):
    returned from inside ``bm.jit`` it would be one opaque leaf, so its
    gradients come back as a plain ``dict`` with the same keys, in the same
    order.
    """
    try:
        cls = type(given)
        is_node = jtu.tree_structure(cls()).num_leaves == 0
    except Exception:  # a dict subclass that cannot be built empty
        return dict
    return cls if is_node else dict


def _check_argnums(argnums: Any, owner: str) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    try:
        nums = tuple(argnums)
    except TypeError:
        nums = None
    if nums is None or not nums or not all(isinstance(i, int) for i in nums):
        raise MathTypeError(
            f"{owner}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}.")
    return nums, False


def _differentiate(
    jax_transform: Callable,
    fun: Callable,
    grad_vars: Any,
    argnums: Any,
    has_aux: bool,
    return_value: bool,
    owner: str,
    reduce_output: Callable[[Any], Any] | None = None,
    second_order: bool = False,
    scalar_output: bool = False,
) -> Callable:
    """Build ``fun``'s derivative with ``jax_transform`` (``jax.grad``, ...).

    The returned function gives BrainPy's layout: ``grads`` is ``var_grads``,
    ``arg_grads`` or ``(var_grads, arg_grads)``, followed by the value and/or
    aux when asked for.
    """
    spec = _GradVars(grad_vars, owner)
    if argnums is None and grad_vars is None:
        argnums = 0
    nums, single = _check_argnums(argnums, owner) if argnums is not None else ((), False)
    with_vars = grad_vars is not None
    name = f"{owner}({getattr(fun, '__qualname__', getattr(fun, '__name__', 'fun'))})"
    param_names = positional_names(fun)

    def layout(groups: list) -> Any:
        """Per-``jax_argnums`` results (Variables' part already rebuilt) ->
        ``var_grads``, ``arg_grads`` or ``(var_grads, arg_grads)``."""
        var_part, arg_groups = (groups[0], groups[1:]) if with_vars else (None, groups)
        arg_part = (arg_groups[0] if single else tuple(arg_groups)) if nums else None
        if not with_vars:
            return arg_part
        return var_part if not nums else (var_part, arg_part)

    def first_order(result: Sequence[Any], lifted: dict) -> Any:
        groups = list(result)
        if with_vars:
            groups[0] = spec.rebuild(groups[0])
        offset = 1 if with_vars else 0
        for k, arg in lifted.items():
            groups[offset + k] = arg.rebuild(groups[offset + k])
        return layout(groups)

    def second_order_layout(result: Sequence[Any], args: tuple, positions: tuple) -> Any:
        # jax.hessian nests H[i][path in input i][j][path in input j]: each
        # leaf of input i's structure holds a first-order-like row over j.
        rows = []
        for group, block in enumerate(result):
            if with_vars and group == 0:
                rows.append(spec.rebuild([first_order(row, {}) for row in block]))
            else:
                arg = args[positions[group - 1 if with_vars else group]]
                treedef = jtu.tree_structure(arg, is_leaf=_is_variable)
                leaves = treedef.flatten_up_to(block)
                rows.append(treedef.unflatten([first_order(row, {}) for row in leaves]))
        return layout(rows)

    @api_boundary
    @functools.wraps(fun)
    def derivative(*args: Any, **kwargs: Any) -> Any:
        positions = _positions(nums, len(args), argnums, name)
        # Arguments holding Variables (a model) are differentiated through
        # their Variables, bound in place like grad_vars: the function runs
        # on the live object, so its writes (running statistics) land.
        # (Second derivatives nest blocks per input leaf; there JAX keeps
        # copying such arguments, as it does for any pytree.)
        holds = [_holds_variables(args[i]) for i in positions]
        lifted = {} if second_order else {
            k: _LiftedArgument(args[i], i) for k, i in enumerate(positions) if holds[k]}
        for k, i in enumerate(positions):
            if not holds[k]:
                _check_differentiable(args[i], describe_argument(i, param_names), name)
        variables = spec.variables
        written: list[Variable] = []
        out_trees: list[Any] = []
        jax_argnums = ((0,) if with_vars else ()) + tuple(i + 1 for i in positions)
        jax_args = list(args)
        for arg in lifted.values():
            jax_args[arg.position] = [var.value for var in arg.variables]

        def pure(var_values, *traced_args):
            call_args = list(traced_args)
            bound = list(zip(variables, var_values))
            for arg in lifted.values():
                call_args[arg.position] = arg.live
                bound += zip(arg.variables, traced_args[arg.position])
            with tracing(owner, bound) as frame:
                out = fun(*call_args, **kwargs)
                if has_aux:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise MathTypeError(
                            f"{owner}: has_aux=True needs `fun` to return a pair (value, aux), "
                            f"got {_describe_output(out)}."
                        )
                    out, aux = out
                else:
                    aux = None
                out, aux = values_only(out, owner), values_only(aux, owner, arrays_only=False)
                written[:] = frame.writes.values()
                new_values = [lookup(var) for var in written]
            target = out if reduce_output is None else reduce_output(out)
            if scalar_output:
                _check_scalar(target, owner, has_aux)
            out_trees[:] = [jtu.tree_structure(target)]
            return target, (out, aux, new_values)

        var_values = [var.value for var in variables]
        grads, (value, aux, new_values) = jax_transform(pure, jax_argnums, True)(var_values, *jax_args[:])
        for var, new in zip(written, new_values):
            var.value = new

        # JAX rebuilds a Variable argument's gradient as a Variable (a
        # functional copy); hand out the array, as for any other argument.
        # (Done before the layout: tree_map would re-sort grad_vars' keys.)
        grads = jtu.tree_map(_as_gradient, grads, is_leaf=_is_variable)
        # Jacobians nest the output's structure outside the inputs'; each
        # output leaf holds one result per jax_argnum.
        out_tree = out_trees[0]
        per_leaf = out_tree.flatten_up_to(grads)
        if second_order:
            result = out_tree.unflatten([second_order_layout(g, args, positions) for g in per_leaf])
        else:
            result = out_tree.unflatten([first_order(g, lifted) for g in per_leaf])
        if return_value and has_aux:
            return result, value, aux
        if return_value:
            return result, value
        if has_aux:
            return result, aux
        return result

    return derivative


def _positions(nums: tuple, nargs: int, given: Any, name: str) -> tuple:
    """``argnums`` as non-negative positions of this call's arguments."""
    out = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise MathTypeError(
                f"{name}: argnums={given!r} asks for argument {i}, but the function was called "
                f"with {nargs} positional argument{'s' if nargs != 1 else ''}; pass the "
                "argument to differentiate by position."
            )
        out.append(i % nargs)
    return tuple(out)


def _holds_variables(arg: Any) -> bool:
    return any(isinstance(leaf, Variable) for leaf in jtu.tree_leaves(arg, is_leaf=_is_variable))


def _check_differentiable(arg: Any, what: str, name: str) -> None:
    """Every leaf of a differentiated argument is a float or complex array."""
    for path, leaf in jtu.tree_flatten_with_path(arg)[0]:
        dtype = getattr(leaf, "dtype", None)
        if dtype is None and isinstance(leaf, (bool, int, float, complex)):
            dtype = jnp.asarray(leaf).dtype
        if dtype is None or not jnp.issubdtype(dtype, jnp.inexact):
            where = what + (f" at {jtu.keystr(path)}" if path else "")
            got = (f"has dtype {dtype}" if dtype is not None
                   else f"is a {type(leaf).__name__} ({short_repr(leaf, 40)}), not an array")
            raise MathTypeError(
                f"{name}: {where} {got}; gradients are taken with respect to floating-point "
                "(or complex) inputs. Pass it as a float (e.g. `x.astype(float)`), or leave it "
                "out of argnums."
            )


class _LiftedArgument:
    """A differentiated argument that holds Variables (a model).

    JAX sees only its differentiable Variables' values, each distinct
    Variable once; the function sees the live argument with those Variables
    bound to the traced values. :meth:`rebuild` lays the gradients out in the
    argument's structure (a Variable listed twice gets the full gradient at
    both places); plain arrays and integer Variables inside get ``None``:
    they are constants of the function.
    """

    def __init__(self, live: Any, position: int) -> None:
        self.live = live
        self.position = position
        leaves, self.treedef = jtu.tree_flatten(live, is_leaf=_is_variable)
        self.variables: list[Variable] = []
        self.index: list[int | None] = []
        seen: dict[int, int] = {}
        for leaf in leaves:
            if not (isinstance(leaf, Variable) and is_differentiable(leaf)):
                self.index.append(None)
                continue
            if id(leaf) not in seen:
                seen[id(leaf)] = len(self.variables)
                self.variables.append(leaf)
            self.index.append(seen[id(leaf)])

    def rebuild(self, grads: Sequence[Any]) -> Any:
        grads = list(grads)
        return self.treedef.unflatten([None if i is None else grads[i] for i in self.index])


def _describe_output(out: Any) -> str:
    if isinstance(out, tuple):
        return f"a tuple of length {len(out)}"
    if hasattr(out, "shape") and hasattr(out, "dtype"):
        return f"an array of shape {tuple(out.shape)} and dtype {out.dtype}"
    return f"a value of type {type(out).__name__}"


def _is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def _as_gradient(x: Any) -> Any:
    if not isinstance(x, Variable):
        return x
    # A Hessian block of a Variable argument nests copies inside a copy.
    return jtu.tree_map(_as_gradient, x._value, is_leaf=_is_variable)


def _check_scalar(out: Any, owner: str, has_aux: bool) -> None:
    """JAX's own error names neither the transform nor the way out."""
    if isinstance(out, float):  # a constant: JAX accepts it (zero gradient)
        return
    is_array = hasattr(out, "shape") and hasattr(out, "dtype")
    if is_array and out.shape == () and jnp.issubdtype(out.dtype, jnp.floating):
        return
    if is_array and out.shape != ():
        hint = ("use bm.vector_grad for the gradient of its sum, or bm.jacrev for the "
                "full Jacobian")
    elif is_array:
        hint = "gradients are defined for real floating-point outputs; cast it (e.g. `.astype(float)`)"
    elif not has_aux and isinstance(out, tuple):
        hint = "if it returns (value, aux), pass has_aux=True"
    else:
        hint = "return a scalar array"
    raise MathTypeError(f"{owner}: `fun` must return a real scalar, got {_describe_output(out)}; {hint}.")


def _maybe_decorator(make: Callable) -> Callable:
    """Allow ``@bm.grad(grad_vars=...)`` as well as ``bm.grad(fun, ...)``."""

    @functools.wraps(make)
    def wrapper(fun: Callable | None = None, *args: Any, **kwargs: Any) -> Callable:
        if fun is None:
            return lambda f: make(f, *args, **kwargs)
        if not callable(fun):
            raise TypeError(f"{make.__name__}: expected a function, got {type(fun).__name__}.")
        return make(fun, *args, **kwargs)

    return wrapper


def _jax_grad(fun, argnums, has_aux):
    return jax.grad(fun, argnums=argnums, has_aux=has_aux)


@_maybe_decorator
def grad(
    fun: Callable,
    grad_vars: Any = None,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    return_value: bool = False,
) -> Callable:
    """Gradient of a scalar function with respect to Variables and/or arguments.

    Args:
        fun: returns a scalar (or ``(scalar, aux)`` with ``has_aux=True``). It
            may read and write any Variables, through its arguments, closure
            or globals.
        grad_vars: the Variables to differentiate: one Variable, a list/tuple
            of them, or a dict such as ``model.train_vars()``. Gradients come
            back in the same structure: an ``ArrayCollector`` (``vars()``,
            ``train_vars()``) as an ``ArrayCollector`` of gradients with the
            same keys, as in BrainPy; a plain ``Collector`` (not a pytree) as
            a plain ``dict`` with the same keys, so that ``bm.jit`` can
            return it. A Variable
            listed twice gets the same, full gradient at both places. Integer,
            boolean and PRNG-key Variables get ``None`` instead of a gradient
            (never an error).
        argnums: positional arguments to differentiate, as in ``jax.grad``
            (negative numbers count from the end). With neither ``grad_vars``
            nor ``argnums``, argument 0. A Variable passed there gets an
            array gradient. An argument holding Variables (a model) is
            differentiated through its float Variables: ``fun`` runs on the
            live object, so its writes (a BatchNorm's running statistics)
            land as under ``grad_vars``, and the gradient comes back in the
            argument's structure (a copy of the object holding gradient
            arrays, ``None`` for integer Variables and plain arrays).
        has_aux: ``fun`` returns ``(value, aux)``.
        return_value: also return ``fun``'s value.

    Returns:
        A function returning ``grads`` -- the Variables' gradients, the
        arguments' gradients, or ``(var_grads, arg_grads)`` when both are
        asked for -- then ``(grads, value)``, ``(grads, aux)`` or
        ``(grads, value, aux)`` following BrainPy's conventions. Variables
        ``fun`` writes hold their new values afterwards.

    Raises:
        TypeError: ``grad_vars`` is not a Variable, a sequence or a dict of
            them.
        MathTypeError: (a :class:`MathError` that is also a ``TypeError``,
            as JAX's and BrainPy's errors for these) ``argnums`` is not an
            int or a non-empty tuple of ints, or names an argument the call
            does not have; a differentiated argument (or a leaf of it) is
            not a float or complex array (naming it, e.g.
            ``argument 1 (`x`) at ['n']``); ``fun`` does not return a real
            scalar (or a pair with ``has_aux=True``).
        MathError: ``fun`` returns an object or a non-array value.
            Errors raised by ``fun`` propagate unchanged, without brainobj's
            frames in the traceback; after any error every Variable holds
            its value from before the call.

    Example:
        >>> import brainobj.math as bm
        >>> w = bm.TrainVar(bm.ones(3))
        >>> f = bm.grad(lambda x: bm.sum(w * x) ** 2, grad_vars=[w], return_value=True)
        >>> grads, value = f(bm.arange(3.))
        >>> grads[0], value
        (Array([ 0.,  6., 12.], dtype=float32), Array(9., dtype=float32))
    """
    return _differentiate(_jax_grad, fun, grad_vars, argnums, has_aux, return_value, "bm.grad",
                          scalar_output=True)


@_maybe_decorator
def value_and_grad(
    fun: Callable,
    grad_vars: Any = None,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
) -> Callable:
    """Like :func:`grad` but returns ``(value, grads)`` in JAX's order.

    With ``has_aux=True`` it returns ``((value, aux), grads)``, like
    ``jax.value_and_grad``.

    Raises:
        TypeError, MathError: as :func:`grad`.

    Example:
        >>> import brainobj.math as bm
        >>> w = bm.TrainVar(bm.asarray(2.))
        >>> bm.value_and_grad(lambda: w.value ** 3, grad_vars=w)()
        (Array(8., dtype=float32), Array(12., dtype=float32))
    """
    inner = _differentiate(_jax_grad, fun, grad_vars, argnums, has_aux, True, "bm.value_and_grad",
                           scalar_output=True)

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_aux:
            grads, value, aux = inner(*args, **kwargs)
            return (value, aux), grads
        grads, value = inner(*args, **kwargs)
        return value, grads

    return wrapper


def _sum_of_leaves(out: Any) -> jax.Array:
    return sum(jnp.sum(leaf) for leaf in jtu.tree_leaves(out))


@_maybe_decorator
def vector_grad(
    fun: Callable,
    grad_vars: Any = None,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    return_value: bool = False,
) -> Callable:
    """Gradient of the *sum* of a vector (or pytree) valued function.

    BrainPy's ``vector_grad``: for an elementwise ``fun`` this is the
    elementwise derivative. ``return_value=True`` returns the vector value.

    Raises:
        TypeError, MathError: as :func:`grad` (any output shape is allowed).

    Example:
        >>> import brainobj.math as bm
        >>> bm.vector_grad(lambda x: x ** 2)(bm.arange(3.))
        Array([0., 2., 4.], dtype=float32)
    """
    return _differentiate(_jax_grad, fun, grad_vars, argnums, has_aux, return_value,
                          "bm.vector_grad", reduce_output=_sum_of_leaves)


def _jax_jacrev(fun, argnums, has_aux):
    return jax.jacrev(fun, argnums=argnums, has_aux=has_aux)


def _jax_jacfwd(fun, argnums, has_aux):
    return jax.jacfwd(fun, argnums=argnums, has_aux=has_aux)


def _jax_hessian(fun, argnums, has_aux):
    return jax.hessian(fun, argnums=argnums, has_aux=has_aux)


@_maybe_decorator
def jacrev(
    fun: Callable,
    grad_vars: Any = None,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    return_value: bool = False,
) -> Callable:
    """Jacobian by reverse mode (``jax.jacrev``), over Variables and/or arguments.

    Same arguments and return layout as :func:`grad`; ``fun`` may return an
    array or a pytree.

    Raises:
        TypeError, MathError: as :func:`grad` (any output shape is allowed).

    Example:
        >>> import brainobj.math as bm
        >>> bm.jacrev(lambda x: x * bm.arange(1., 3.))(bm.ones(2))
        Array([[1., 0.],
               [0., 2.]], dtype=float32)
    """
    return _differentiate(_jax_jacrev, fun, grad_vars, argnums, has_aux, return_value, "bm.jacrev")


jacobian = jacrev


@_maybe_decorator
def jacfwd(
    fun: Callable,
    grad_vars: Any = None,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    return_value: bool = False,
) -> Callable:
    """Jacobian by forward mode (``jax.jacfwd``); see :func:`jacrev`.

    Raises:
        TypeError, MathError: as :func:`grad` (any output shape is allowed).

    Example:
        >>> import brainobj.math as bm
        >>> w = bm.Variable(bm.ones(2))
        >>> bm.jacfwd(lambda: w * 3., grad_vars=w)()
        Array([[3., 0.],
               [0., 3.]], dtype=float32)
    """
    return _differentiate(_jax_jacfwd, fun, grad_vars, argnums, has_aux, return_value, "bm.jacfwd")


@_maybe_decorator
def hessian(
    fun: Callable,
    grad_vars: Any = None,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    return_value: bool = False,
) -> Callable:
    """Hessian of a scalar function (``jax.hessian``); see :func:`grad`.

    The blocks nest as in ``jax.hessian``, with ``grad_vars`` playing the
    part of one more input: ``H[a][b]`` for Variables ``a`` and ``b`` of a
    dict ``grad_vars``; with ``argnums`` too, ``(H_vars, H_args)`` where each
    entry of ``H_vars`` (and each leaf of ``H_args``) is a row
    ``(d/d grad_vars, d/d args)``.

    Raises:
        TypeError, MathError: as :func:`grad`.

    Example:
        >>> import brainobj.math as bm
        >>> bm.hessian(lambda x: bm.sum(x ** 3))(bm.asarray([1., 2.]))
        Array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
    """
    return _differentiate(_jax_hessian, fun, grad_vars, argnums, has_aux, return_value, "bm.hessian",
                          second_order=True)
