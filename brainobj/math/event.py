"""``bm.event``: event-driven sparse operators for spiking networks.

:func:`csrmv` multiplies a vector of spikes with a connection matrix held in
CSR form (BrainPy's ``bm.event.csrmv``, same arguments). With
``transpose=True`` (the synaptic case: presynaptic spikes in, postsynaptic
input out) only the rows whose event is nonzero are visited, so a step in
which few neurons fire costs little.

Two backends compute it:

``'jax'``
    pure JAX (every platform, every transform; see ``_event_jax.py``).
``'brainevent'``
    BrainPy's kernel library (``pip install brainevent``; on CPU also
    ``numba``). Needs a concrete ``indptr`` (a NumPy array or an array built
    outside the compiled function).

``'auto'`` (the default) uses brainevent for bool events on an accelerator
(GPU/TPU) when it is installed and usable there, else JAX: on CPU, inside
compiled loops, brainevent's numba kernel is reached through a Python
callback per call, and the whole COBA network ran 1.6x slower with it than
with the JAX kernel (benchmarks/coba.py). JAX also serves number events
(brainevent's kernel for them visits every row) and calls whose ``indptr``
is traced.
Choose with :func:`set_backend`; :func:`available_backends` lists what works.

Example:
    >>> import numpy as np, brainobj.math as bm
    >>> indptr = np.array([0, 2, 3, 3])        # 3 presynaptic neurons
    >>> indices = np.array([0, 2, 1])          # their targets among 3
    >>> spikes = bm.array([True, False, True])
    >>> bm.event.csrmv(0.5, indices, indptr, spikes, shape=(3, 3), transpose=True)
    Array([0.5, 0. , 0.5], dtype=float32)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _event_brainevent as _be
from . import _event_jax as _ej
from ._errors import MathError, MathTypeError
from ._variable import Variable

__all__ = ["csrmv", "set_backend", "get_backend", "available_backends"]

BACKENDS = ("auto", "brainevent", "jax")

_lock = threading.Lock()
_backend = {"name": "auto"}


# -- backend choice --------------------------------------------------------------------

def set_backend(name: str) -> str:
    """Choose the backend of :func:`csrmv` for the whole process; returns the previous one.

    ``'auto'``: brainevent for bool events on a GPU/TPU when it is installed
    and usable there (and ``indptr`` is concrete), else JAX (also on CPU,
    where the JAX kernel is faster inside compiled loops).
    ``'brainevent'``: brainevent for every call; a call
    with a traced ``indptr`` then raises, and on CPU without numba the call
    falls back to JAX with a one-time warning. ``'jax'``: always pure JAX.
    The choice is read when a function is traced: a function compiled
    before the change keeps the backend it was compiled with.

    Raises:
        MathError: ``name`` is not one of ``'auto'``, ``'brainevent'``,
            ``'jax'``; or ``'brainevent'`` while brainevent cannot be
            imported (the backend is left unchanged).

    Example:
        >>> import brainobj.math as bm
        >>> previous = bm.event.set_backend('jax')
        >>> bm.event.get_backend()
        'jax'
        >>> _ = bm.event.set_backend(previous)
    """
    if not isinstance(name, str) or name not in BACKENDS:
        raise MathError(f"bm.event.set_backend: name must be one of {BACKENDS}, got {name!r}")
    if name == "brainevent" and (not _be.installed() or _be.load() is None):
        raise MathError("bm.event.set_backend('brainevent'): "
                        f"{_be.unusable_reason(jax.default_backend())}; "
                        "install it or use 'auto' / 'jax'")
    with _lock:
        previous, _backend["name"] = _backend["name"], name
    return previous


def get_backend() -> str:
    """The backend chosen with :func:`set_backend`: ``'auto'``, ``'brainevent'`` or ``'jax'``.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> bm.event.get_backend() in ('auto', 'brainevent', 'jax')
        True
    """
    return _backend["name"]


def available_backends() -> tuple[str, ...]:
    """The backends that can run on the current platform: ``'jax'``, and
    ``'brainevent'`` when it is installed, imports, and (on CPU) numba is
    installed. Imports brainevent the first time, if installed.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> 'jax' in bm.event.available_backends()
        True
    """
    if _be.unusable_reason(jax.default_backend()) is None:
        return ("brainevent", "jax")
    return ("jax",)


def _resolve(indptr_concrete: bool, bool_events: bool) -> str:
    """The backend for one call: ``'brainevent'`` or ``'jax'``."""
    name = _backend["name"]
    if name == "jax":
        return "jax"
    if name == "auto":
        # brainevent's event-driven kernel takes bool events only; for numbers
        # it has an exact kernel that visits every row, ~4x slower on CPU at
        # COBA sizes than the event-driven JAX one (benchmarks/event_ops.py)
        # On CPU brainevent's numba kernel runs through a Python callback per
        # call: inside a compiled loop the JAX kernel is faster (benchmarks/coba.py)
        platform = jax.default_backend()
        usable = bool_events and indptr_concrete and platform != "cpu"
        return "brainevent" if usable and _be.unusable_reason(platform) is None else "jax"
    reason = _be.unusable_reason(jax.default_backend())
    # explicitly 'brainevent'
    if not indptr_concrete:
        raise MathError(
            "bm.event.csrmv: the 'brainevent' backend needs a concrete indptr (its kernel sizes a "
            "workspace from indptr's values), but indptr is traced here. Pass indptr as a NumPy "
            "array or an array built outside the compiled function (not as an argument or a "
            "Variable of it), or use bm.event.set_backend('auto') / ('jax').")
    if reason is not None:
        _be.warn_once(f"fallback:{reason}",
                      f"bm.event: backend 'brainevent' is not usable ({reason}); "
                      "using the pure-JAX kernels instead.")
        return "jax"
    return "brainevent"


# -- checking the arguments ------------------------------------------------------------

def _unwrap(x: Any) -> Any:
    return x.value if isinstance(x, Variable) else x


def _concrete(x: Any) -> np.ndarray | None:
    """``x`` as a NumPy array if its values are known now (not traced), else ``None``."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, jax.core.Tracer):
        return None
    if isinstance(x, jax.Array):
        try:
            return np.asarray(x)
        except Exception:  # a deleted or non-addressable array: treat as unknown
            return None
    return np.asarray(x)


def _shape_arg(shape: Any) -> tuple[int, int]:
    ok = (isinstance(shape, (tuple, list)) and len(shape) == 2
          and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                  for s in shape))
    if not ok:
        raise MathError(f"bm.event.csrmv: shape must be a pair of non-negative ints "
                        f"(n_rows, n_cols), got {shape!r}")
    return int(shape[0]), int(shape[1])


def _int_vector(name: str, x: Any) -> Any:
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        x = np.asarray(x)
        dtype = x.dtype
    if getattr(x, "ndim", None) != 1 or not jnp.issubdtype(dtype, jnp.integer):
        raise MathTypeError(f"bm.event.csrmv: {name} must be a 1-D integer array, got "
                            f"{getattr(x, 'dtype', type(x).__name__)}{list(getattr(x, 'shape', ()))}")
    return x


# Largest nnz whose entry rows are kept on the device for M @ events (64 MB);
# above it they are recomputed in the graph at each call.
_ROW_IDS_MAX = 1 << 24


class _IndptrInfo:
    """What csrmv needs to know about one concrete indptr: its longest row, and
    (made when first asked) the row of every entry, as a device array reused
    by every ``M @ events`` call."""

    __slots__ = ("max_row", "lengths", "_row_ids")

    def __init__(self, indptr: np.ndarray, nnz: int) -> None:
        lengths = np.diff(indptr.astype(np.int64))
        if indptr[0] != 0 or indptr[-1] != nnz or (lengths < 0).any():
            bad = ("indptr[0] must be 0" if indptr[0] != 0 else
                   f"indptr[-1] must equal nnz = len(indices) = {nnz}" if indptr[-1] != nnz else
                   f"indptr must be non-decreasing (row {int(np.argmax(lengths < 0))} has "
                   f"a negative length)")
            raise MathError(f"bm.event.csrmv: {bad}; got indptr[0] = {int(indptr[0])}, "
                            f"indptr[-1] = {int(indptr[-1])}")
        self.max_row = int(lengths.max()) if lengths.size else 0
        self.lengths = lengths
        self._row_ids = None

    def row_ids(self) -> jax.Array | None:
        if self._row_ids is None and self.lengths.sum() <= _ROW_IDS_MAX:
            rows = np.repeat(np.arange(self.lengths.size, dtype=np.int32), self.lengths)
            with jax.ensure_compile_time_eval():  # a concrete array even while tracing
                self._row_ids = jnp.asarray(rows)
        return self._row_ids


_INFO_CACHE: OrderedDict = OrderedDict()
_INFO_CACHE_SIZE = 32


def _indptr_info(indptr: np.ndarray, nnz: int) -> _IndptrInfo:
    """The checked :class:`_IndptrInfo` of ``indptr`` (cached by its bytes)."""
    key = (indptr.dtype.str, nnz, indptr.tobytes())
    with _lock:
        info = _INFO_CACHE.get(key)
        if info is not None:
            _INFO_CACHE.move_to_end(key)
            return info
    info = _IndptrInfo(indptr, nnz)
    with _lock:
        _INFO_CACHE[key] = info
        while len(_INFO_CACHE) > _INFO_CACHE_SIZE:
            _INFO_CACHE.popitem(last=False)
    return info


# -- the operator ----------------------------------------------------------------------

def csrmv(data: Any, indices: Any, indptr: Any, events: Any, *, shape: tuple[int, int],
          transpose: bool = False) -> jax.Array:
    """Product of a CSR matrix and an event (spike) vector, event-driven.

    The matrix ``M`` has ``shape = (n_rows, n_cols)``: row ``i`` holds the
    entries ``indptr[i]:indptr[i + 1]`` of ``indices`` (their columns) and
    ``data`` (their values; a scalar or a one-element array is one weight
    shared by every entry). With ``transpose=True`` the result is
    ``events @ M`` (``events`` has ``n_rows`` entries; only the rows whose
    event is nonzero are visited), else ``M @ events`` (``events`` has
    ``n_cols`` entries; every entry is visited). Events are bool (a spike
    adds the weight) or numbers (the weight is multiplied by the event:
    ``events @ M`` exactly; BrainPy 2.8 instead counts any float event
    ``> 0`` as 1). Integer events count as numbers.

    Works under ``bm.jit`` / ``jax.jit``, ``bm.for_loop`` / ``lax.scan``,
    ``bm.vmap`` / ``jax.vmap`` (e.g. over a batch of spike vectors), and
    ``bm.grad`` / ``jax.grad`` with respect to ``data`` and to float
    ``events`` (the derivative of ``events @ M``, silent rows included).
    The result has ``data``'s dtype, promoted with float ``events``'.

    Args:
        data: the weights: a number, a 0-d or ``(1,)`` array (one weight for
            all entries) or a floating array of length ``nnz = len(indices)``.
        indices: column of each entry, 1-D integer, length ``nnz``.
        indptr: 1-D integer, length ``n_rows + 1``; ``indptr[0] == 0``,
            non-decreasing, ``indptr[-1] == nnz``. Keep it concrete (a NumPy
            array, or one built outside the compiled function): a traced
            ``indptr`` cannot use the event-driven kernels and visits every
            entry (and the 'brainevent' backend refuses it).
        events: 1-D, length ``n_rows`` if ``transpose`` else ``n_cols``.
        shape: ``(n_rows, n_cols)``.
        transpose: compute ``events @ M`` instead of ``M @ events``.

    Returns:
        A ``jax.Array`` of length ``n_cols`` if ``transpose`` else ``n_rows``.

    Raises:
        MathError: a size that does not fit: ``shape`` not a pair of
            non-negative ints, ``len(indptr) != n_rows + 1``, ``data``'s
            length not 1 or ``nnz``, ``events``' length wrong, or (when their
            values are known) ``indptr`` not a valid row pointer for ``nnz``
            entries or ``indices`` outside ``[0, n_cols)``; and, with
            ``set_backend('brainevent')``, a traced ``indptr``.
        MathTypeError: ``indices``/``indptr`` not 1-D integer arrays,
            ``data`` not floating (nor a Python number), ``events`` not
            bool or numeric, or an argument that is not 1-D.

    Example:
        >>> import numpy as np, jax, brainobj.math as bm
        >>> indptr = np.array([0, 2, 3])              # 2 rows
        >>> indices = np.array([0, 2, 1])             # 3 columns
        >>> w = bm.array([1., 2., 3.])
        >>> bm.event.csrmv(w, indices, indptr, bm.array([1., 0.]), shape=(2, 3), transpose=True)
        Array([1., 0., 2.], dtype=float32)
        >>> bm.event.csrmv(w, indices, indptr, bm.array([1., 1., 1.]), shape=(2, 3))
        Array([3., 3.], dtype=float32)
        >>> grad = jax.grad(lambda w: bm.event.csrmv(w, indices, indptr, bm.array([0., 1.]),
        ...                                          shape=(2, 3), transpose=True).sum())
        >>> grad(w)
        Array([0., 0., 1.], dtype=float32)
    """
    n_rows, n_cols = _shape_arg(shape)
    transpose = bool(transpose)
    data, indices, indptr, events = map(_unwrap, (data, indices, indptr, events))

    indices = _int_vector("indices", indices)
    indptr = _int_vector("indptr", indptr)
    nnz = int(indices.shape[0])
    if indptr.shape[0] != n_rows + 1:
        raise MathError(f"bm.event.csrmv: indptr must have n_rows + 1 = {n_rows + 1} entries "
                        f"for shape={(n_rows, n_cols)}, got {indptr.shape[0]}")

    data = _data_arg(data, nnz)
    events = _events_arg(events, n_rows if transpose else n_cols, transpose)
    out_dtype = _ej._out_dtype(data, events)

    indptr_np = _concrete(indptr)
    info = _indptr_info(indptr_np, nnz) if indptr_np is not None else None
    indices_np = _concrete(indices)
    if indices_np is not None and nnz and (indices_np.min() < 0 or indices_np.max() >= n_cols):
        bad = int(indices_np.min()) if indices_np.min() < 0 else int(indices_np.max())
        raise MathError(f"bm.event.csrmv: indices must lie in [0, n_cols) = [0, {n_cols}), "
                        f"got {bad}")

    if _resolve(info is not None, events.dtype == jnp.bool_) == "brainevent":
        index_dtype = np.int32
        return _be.matvec(data, jnp.asarray(indices, index_dtype), indptr_np.astype(index_dtype),
                          events, (n_rows, n_cols), transpose, out_dtype)

    # M @ events visits every entry anyway: only events @ M uses the longest row
    max_row = None if info is None or not transpose else _ej.bucket(info.max_row)
    st = _ej.Static(n_rows, n_cols, transpose, max_row,
                    1 if max_row is None else _ej.chunk_rows(max_row, n_rows))
    # events @ M needs the rows of the entries only for gradients: computed there
    row_ids = info.row_ids() if info is not None and not transpose else None
    return _ej.matvec(st, data, jnp.asarray(indices), jnp.asarray(indptr), row_ids, events)


def _data_arg(data: Any, nnz: int) -> jax.Array:
    if isinstance(data, (int, float, np.integer)) and not isinstance(data, (bool, np.bool_)):
        return jnp.asarray(data, dtype=jnp.result_type(float))
    dtype = getattr(data, "dtype", None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        raise MathTypeError(f"bm.event.csrmv: data must be a floating array or a Python number, "
                            f"got {dtype if dtype is not None else type(data).__name__}; "
                            "convert integer weights with .astype(float)")
    shape = tuple(data.shape)
    if shape == () or shape == (1,):
        return jnp.reshape(jnp.asarray(data), ())
    if shape != (nnz,):
        raise MathError(f"bm.event.csrmv: data must be a scalar, shape (1,), or have "
                        f"nnz = len(indices) = {nnz} entries, got shape {shape}")
    return jnp.asarray(data)


def _events_arg(events: Any, length: int, transpose: bool) -> jax.Array:
    events = jnp.asarray(events) if not isinstance(events, jax.Array) else events
    if not (events.dtype == jnp.bool_ or jnp.issubdtype(events.dtype, jnp.integer)
            or jnp.issubdtype(events.dtype, jnp.floating)):
        raise MathTypeError(f"bm.event.csrmv: events must be bool or real numbers, got "
                            f"{events.dtype}")
    if events.ndim != 1 or events.shape[0] != length:
        which = "n_rows (transpose=True)" if transpose else "n_cols (transpose=False)"
        raise MathError(f"bm.event.csrmv: events must be 1-D with {which} = {length} entries, "
                        f"got shape {tuple(events.shape)} (use bm.vmap for a batch of event "
                        "vectors)")
    if jnp.issubdtype(events.dtype, jnp.integer):
        events = events.astype(jnp.result_type(float))
    return events
