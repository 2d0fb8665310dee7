"""Assertion helpers shared by the test files.

Import them with ``from _helpers import assert_same, ...``; ``conftest.py``
re-exports them. They live in their own module rather than in
``conftest.py`` itself because ``from conftest import ...`` resolves to
whichever ``conftest`` module pytest loaded last: a second ``conftest.py``
anywhere in the collected paths (``testpaths`` also holds ``brainobj/``)
would break every test module's import. ``_helpers`` has a unique name and
is found the same way the test modules are: pytest's default ``prepend``
import mode puts ``tests/`` (it has no ``__init__.py``) on ``sys.path``.

Conventions of all helpers:

* A leaf may be a JAX array, a NumPy array or scalar, a Python scalar or a
  :class:`~brainobj.math.Variable` (compared through its ``.value``); a
  :class:`~brainobj.math.Collector` (what ``obj.vars()`` returns, a dict
  that is not a registered pytree) is compared as a plain ``dict``. Lists,
  tuples and dicts are pytrees, not arrays: wrap a literal expected array in
  ``jnp.array(...)``.
* Dtypes are compared as JAX sees them: a NumPy or Python value counts with
  its canonical JAX dtype (with 64-bit mode off, ``float64`` is ``float32``
  and ``int64`` is ``int32``).

Example:
    >>> import jax.numpy as jnp, numpy as np
    >>> import brainobj.math as bm
    >>> assert_same({"w": bm.Variable(jnp.ones(2))}, {"w": np.ones(2, np.float32)})
    >>> assert_close([jnp.float32(1.0), jnp.zeros(3)], [1.0 + 1e-7, np.zeros(3)])
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np

import brainobj.math as bm

__all__ = ["assert_same", "assert_close", "state_of", "assert_same_state", "assert_no_tracers",
           "structure_stamp", "assert_refused", "count_compilations"]


# -- leaves and trees -----------------------------------------------------------------------------

def _unwrap(tree: Any) -> Any:
    """``tree`` with each Variable replaced by its ``.value`` and each
    Collector (not a registered pytree: it would be one opaque leaf) by a dict."""

    def leaf(x: Any) -> Any:
        if isinstance(x, bm.Variable):
            return x.value
        if isinstance(x, bm.Collector):
            return {k: _unwrap(v) for k, v in x.items()}
        return x

    return jtu.tree_map(leaf, tree, is_leaf=lambda x: isinstance(x, (bm.Variable, bm.Collector)))


def _flatten(got: Any, expected: Any) -> list:
    """``[(path string, got leaf, expected leaf)]``; asserts the treedefs are equal."""
    got_leaves, got_def = jtu.tree_flatten_with_path(_unwrap(got))
    exp_leaves, exp_def = jtu.tree_flatten_with_path(_unwrap(expected))
    assert got_def == exp_def, (
        f"pytree structures differ:\n  got:      {got_def}\n  expected: {exp_def}"
    )
    return [(jtu.keystr(path) or "<root>", g, e)
            for (path, g), (_, e) in zip(got_leaves, exp_leaves)]


def _is_numeric(dtype: Any) -> bool:
    return dtype.kind in "biufc" or jnp.issubdtype(dtype, jnp.inexact)


def _leaf(x: Any) -> tuple[np.ndarray, Any, tuple]:
    """(host array, dtype as JAX sees it, shape) of one leaf. A PRNG key array
    keeps its key dtype and shape; its host array is its ``key_data``."""
    if isinstance(x, jax.Array):
        if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
            return np.asarray(jax.random.key_data(x)), x.dtype, tuple(x.shape)
        return np.asarray(x), x.dtype, tuple(x.shape)
    host = np.asarray(x)
    dtype = jax.dtypes.canonicalize_dtype(host.dtype) if _is_numeric(host.dtype) else host.dtype
    return host, dtype, host.shape


def _held(host: np.ndarray, dtype: Any) -> np.ndarray:
    """``host`` as JAX would hold it: e.g. a NumPy float64 array as float32."""
    if jnp.issubdtype(dtype, jax.dtypes.prng_key) or host.dtype == dtype:
        return host
    return host.astype(dtype)


def _wide(a: np.ndarray, complex_: bool) -> np.ndarray:
    """Floating (bfloat16 included) and complex arrays as float64 / complex128 (exact)."""
    if complex_:
        return a.astype(np.complex128)
    if jnp.issubdtype(a.dtype, jnp.inexact):
        return a.astype(np.float64)
    return a


def _either_complex(*arrays: np.ndarray) -> bool:
    return any(jnp.issubdtype(a.dtype, jnp.complexfloating) for a in arrays)


# -- the helpers ----------------------------------------------------------------------------------

def assert_same(got: Any, expected: Any) -> None:
    """Assert ``got`` and ``expected`` are exactly the same.

    Same pytree structure (treedefs equal, ``None`` leaves included), and for
    every leaf: same shape, same dtype (as JAX sees it) and equal values,
    NaN equal to NaN. Leaves may be JAX/NumPy arrays, Python scalars or
    Variables (their ``.value``). A NumPy or Python leaf is first converted
    to its JAX dtype, as storing it in JAX would (so a float64 NumPy oracle
    is rounded to float32 before the exact comparison, when 64-bit mode is off).

    For a tolerance, use :func:`assert_close`.
    """
    for where, g, e in _flatten(got, expected):
        g_host, g_dtype, g_shape = _leaf(g)
        e_host, e_dtype, e_shape = _leaf(e)
        assert g_shape == e_shape, f"{where}: shape {g_shape} != expected {e_shape}"
        assert g_dtype == e_dtype, f"{where}: dtype {g_dtype} != expected {e_dtype}"
        if not _is_numeric(g_host.dtype):
            assert g_host.dtype == e_host.dtype and np.array_equal(g_host, e_host), (
                f"{where}: {g!r} != expected {e!r}")
            continue
        g_host, e_host = _held(g_host, g_dtype), _held(e_host, e_dtype)
        complex_ = _either_complex(g_host, e_host)
        np.testing.assert_array_equal(_wide(g_host, complex_), _wide(e_host, complex_),
                                      err_msg=f"at {where} (dtype {g_dtype})", strict=True)


def assert_close(got: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6,
                 check_dtype: bool = True) -> None:
    """Assert ``got`` and ``expected`` are equal up to a tolerance, leaf by leaf.

    Same pytree structure (treedefs equal), and for every leaf: same shape
    (no broadcasting), the same dtype as JAX sees it when ``check_dtype``,
    and values within ``|got - expected| <= atol + rtol * |expected|``
    (``np.testing.assert_allclose``, NaN equal to NaN). Floating leaves are
    compared in float64 (complex128), so a float64 NumPy oracle is not
    rounded first. Leaves that are both integer or bool are compared exactly:
    a tolerance means nothing for them (and unsigned differences would wrap).
    Leaves may be JAX/NumPy arrays, Python scalars or Variables (their ``.value``).
    """
    for where, g, e in _flatten(got, expected):
        g_host, g_dtype, g_shape = _leaf(g)
        e_host, e_dtype, e_shape = _leaf(e)
        assert g_shape == e_shape, f"{where}: shape {g_shape} != expected {e_shape}"
        if check_dtype:
            assert g_dtype == e_dtype, f"{where}: dtype {g_dtype} != expected {e_dtype}"
        if not (_is_numeric(g_host.dtype) and _is_numeric(e_host.dtype)):
            assert np.array_equal(g_host, e_host), f"{where}: {g!r} != expected {e!r}"
            continue
        inexact = any(jnp.issubdtype(a.dtype, jnp.inexact) for a in (g_host, e_host))
        if not inexact:
            np.testing.assert_array_equal(g_host, e_host, err_msg=f"at {where}")
            continue
        complex_ = _either_complex(g_host, e_host)
        g_wide = g_host.astype(np.complex128 if complex_ else np.float64)
        e_wide = e_host.astype(np.complex128 if complex_ else np.float64)
        np.testing.assert_allclose(g_wide, e_wide, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"at {where}")


def state_of(obj: Any) -> dict[str, np.ndarray]:
    """``{path: NumPy copy of the value}`` for every Variable reachable from ``obj``.

    ``obj`` is a BrainPyObject; the keys are its ``vars(method="relative")``
    attribute paths (``'layers.0.W'``), which do not depend on creation order,
    so the states of two objects of the same structure compare key by key.
    The values are copies: later writes to the Variables do not change them.
    A mapping of Variables or arrays (e.g. ``obj.vars()``) is copied the same way.
    """
    if isinstance(obj, Mapping):
        items = obj.items()
    elif callable(getattr(obj, "vars", None)):
        items = obj.vars(method="relative").items()
    else:
        raise TypeError(f"state_of: expected a BrainPyObject or a mapping, got {type(obj).__name__}")
    return {k: np.array(_leaf(v.value if isinstance(v, bm.Variable) else v)[0], copy=True)
            for k, v in items}


def assert_same_state(a: Any, b: Any) -> None:
    """Assert two states are exactly equal: the same keys, and for each key the
    same shape, dtype and values (NaN equal to NaN).

    ``a`` and ``b`` are each a :func:`state_of` dict or anything
    :func:`state_of` accepts (a BrainPyObject is snapshotted now, a mapping
    of Variables such as ``obj.vars()`` read now). For a
    tolerance, compare ``assert_close(state_of(a), state_of(b), ...)``.
    """
    sa, sb = state_of(a), state_of(b)
    missing, extra = sorted(set(sb) - set(sa), key=str), sorted(set(sa) - set(sb), key=str)
    assert not missing and not extra, (
        f"state keys differ: only in the second {missing}, only in the first {extra}")
    for key in sa:
        try:
            assert_same(sa[key], sb[key])
        except AssertionError as err:
            raise AssertionError(f"state key {key!r}: {err}") from None


def assert_no_tracers(*objs: Any) -> None:
    """Assert that nothing reachable from ``objs`` holds a JAX tracer.

    Each argument may be a BrainPyObject, a Variable, a list / tuple / dict
    (a Collector included) or another pytree of those and arrays. Checked:
    every Variable's stored array (``var._value``, read without recording a
    transform access), every array leaf, and, for a BrainPyObject, every
    Variable of ``obj.vars()`` and every plain attribute (arrays, containers)
    of every object in ``obj.nodes()``. The error names the path of the
    offending Variable or leaf (``'argument 0: MLP0.layers.0.W'``).
    """
    seen: set[int] = set()
    for i, obj in enumerate(objs):
        _check_no_tracers(obj, f"argument {i}", seen)


_ATOMS = (jax.Array, np.ndarray, np.generic, str, bytes, int, float, complex, type(None))


def _check_no_tracers(x: Any, where: str, seen: set) -> None:
    if isinstance(x, bm.Variable):
        assert not isinstance(x._value, jax.core.Tracer), (
            f"{where}: Variable holds a tracer: {x._value!r}")
        return
    assert not isinstance(x, jax.core.Tracer), f"{where}: array leaf is a tracer: {x!r}"
    if isinstance(x, _ATOMS) or id(x) in seen:
        return
    seen.add(id(x))
    if isinstance(x, bm.BrainPyObject):
        here = f"{where}: {x.name}"
        for path, var in x.vars(method="relative").items():
            _check_no_tracers(var, f"{here}.{path}", seen)
        nodes = x.nodes(method="relative")
        seen.update(id(node) for node in nodes.values())  # each walked once, below
        for node_path, node in nodes.items():
            prefix = f"{here}.{node_path}." if node_path else f"{here}."
            for attr, value in vars(node).items():
                _check_no_tracers(value, prefix + attr, seen)
        return
    if isinstance(x, Mapping):
        for k, v in x.items():
            _check_no_tracers(v, f"{where}[{k!r}]", seen)
        return
    if isinstance(x, (list, tuple, set, frozenset)):
        for i, v in enumerate(x):
            _check_no_tracers(v, f"{where}[{i}]", seen)
        return
    # another registered pytree node: descend one level (anything else is a leaf)
    children = jtu.tree_flatten_with_path(x, is_leaf=lambda y: y is not x)[0]
    if len(children) == 1 and children[0][1] is x:
        return
    for path, child in children:
        _check_no_tracers(child, where + jtu.keystr(path), seen)


def structure_stamp(x: Any) -> int:
    """How many structural changes an object or stored container has seen.

    An engine probe (private): plans compare these counts to know whether
    the structure they were built for still holds. Variable values never
    count; setting or deleting attributes and mutating containers do.
    """
    return x.__dict__["_stamp"].count


# -- bad input ------------------------------------------------------------------------------------

def assert_refused(act: Any, error: type, pattern: str, objects: list, directory: Any = None) -> None:
    """``act()`` raises ``error`` whose message matches ``pattern`` (a regex
    naming the culprit), and afterwards nothing changed: every Variable of
    ``objects``, the global random key, and the files under ``directory``
    (names and bytes); no object holds a tracer and no trace is left open.

    Example:
        >>> import pytest, brainobj.math as bm
        >>> v = bm.Variable(bm.zeros(2))
        >>> def act():
        ...     v.value = None
        >>> assert_refused(act, bm.MathError, r"cannot assign None", [{"v": v}])
    """
    import os

    import pytest

    def files() -> dict:
        if directory is None:
            return {}
        found = {}
        for root, _, names in os.walk(directory):
            for name in names:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, directory)] = f.read()
        return found

    before_state = [state_of(obj) for obj in objects]
    before_key = np.asarray(bm.random.DEFAULT.value)
    before_files = files()
    with pytest.raises(error, match=pattern):
        act()
    for obj, before in zip(objects, before_state):
        assert_same_state(obj, before)
    np.testing.assert_array_equal(np.asarray(bm.random.DEFAULT.value), before_key)
    assert files() == before_files, "files changed although the call failed"
    assert_no_tracers(*objects)
    assert not bm.in_transform()


# -- compilations ---------------------------------------------------------------------------------

_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def count_compilations() -> Iterator[list]:
    """Count XLA compilations (JAX's backend-compile events) inside the block: ``count[0]``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> times3 = jax.jit(lambda x: x * 3)
        >>> x = jnp.ones(7)
        >>> with count_compilations() as count:
        ...     _ = times3(x)
        ...     _ = times3(x)    # cached: no second compilation
        >>> count[0]
        1
    """
    count = [0]

    def listen(event: str, duration: float, **kwargs: Any) -> None:
        if event == _COMPILE_EVENT:
            count[0] += 1

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield count
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
