"""The pure-JAX kernels of ``bm.event.csrmv``.

Two ways to multiply a CSR matrix ``M`` (``shape = (n_rows, n_cols)``) with a
vector, both plain JAX (so they run on every platform and under every
transform):

* **event-driven** (``transpose=True`` only, ``events @ M``): the rows whose
  event is nonzero are compacted into a list, and a ``while_loop`` handles
  them ``chunk`` rows at a time: each chunk takes one window of ``max_row``
  consecutive entries of ``indices`` / ``data`` per row (a windowed gather)
  and scatter-adds the row's entries into the output. Silent rows are never
  touched, so the cost follows the number of spikes. Rows are padded to the
  longest row: a matrix with a few very long rows wastes work here.
* **segment** (every nonzero, weighted by the event of its row or column):
  ``O(nnz)`` gathers and one scatter-add. It serves ``transpose=False``
  (``M @ events`` needs column access, which CSR does not give), a traced
  ``indptr`` (the event-driven kernel needs the longest row as a static
  size), and the tangents (a tangent vector is dense, so nothing is skipped).

Why this formulation (measured on CPU, 2 shared cores, noisy, at COBA sizes:
3200 x 4000 at 2 %, 256 000 nonzeros, ~6 of 3200 rows spiking; see
``benchmarks/event_ops.py``): a scatter-add over all nonzeros weighted by
``events[row]`` costs ~300-400 µs however few rows spike (a dense
``events @ W`` ~3-5 ms). Finding the spiking rows with
``jnp.nonzero(events, size=...)`` alone costs ~150 µs on CPU (its ``cumsum``
is an associative scan of many small ops) and ``lax.top_k`` in a loop is
slower still; here the prefix count is a block-triangular matmul (exact:
integer sums far below 2**24) plus one scatter of row ids, ~25 µs. Gathering
each entry of a chunk separately costs ~3x the windowed gather. The whole
call is ~70-120 µs, in line with brainevent's numba kernel on the same
machine.

The public entry point is :func:`matvec`; it is jitted per static
configuration (shape, transpose, longest row, chunk), so eager calls do not
retrace and calls inside an outer trace inline it.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

__all__ = ["Static", "matvec", "chunk_rows"]

# Entries (chunk rows x longest row) one loop iteration gathers: large enough
# that the loop's per-iteration overhead is amortized, small enough that a
# handful of spikes does not pay for a big padded block.
_CHUNK_ENTRIES = 4096
# Rows per block of the matmul prefix sum.
_PREFIX_BLOCK = 64
# Float32 counts are exact below 2**24; above that the prefix sum uses cumsum.
_EXACT_F32 = 1 << 24


class Static(NamedTuple):
    """The static (hashable) part of one csrmv configuration.

    ``max_row`` is the longest row (``None`` when ``indptr`` is traced: the
    event-driven kernel is then unavailable); ``chunk`` the rows per loop
    iteration of the event-driven kernel.
    """

    n_rows: int
    n_cols: int
    transpose: bool
    max_row: int | None
    chunk: int


def bucket(max_row: int) -> int:
    """``max_row`` rounded up to a multiple of 8: matrices whose longest rows
    differ a little share one compiled kernel (at most 7 padded entries per row)."""
    return -(-max_row // 8) * 8


def chunk_rows(max_row: int, n_rows: int) -> int:
    """Rows per loop iteration for rows of at most ``max_row`` entries."""
    return max(1, min(n_rows, _CHUNK_ENTRIES // max(max_row, 1)))


# -- helpers ---------------------------------------------------------------------------

def row_ids_of(indptr: jax.Array, nnz: int) -> jax.Array:
    """The row of each of the ``nnz`` entries, from a (possibly traced) ``indptr``.

    A 1 at each row start (rows after the last entry start at ``nnz``: dropped;
    several empty rows starting at the same place add up), then a prefix sum.
    """
    marks = jnp.zeros(nnz, jnp.int32).at[indptr[1:-1]].add(1, mode="drop")
    return _prefix_sum(marks, total_bound=indptr.shape[0])


def _prefix_sum(x: jax.Array, total_bound: int) -> jax.Array:
    """Inclusive prefix sum of a non-negative int (or bool) vector whose total
    is at most ``total_bound``, as int32; cheap on CPU.

    ``jnp.cumsum`` lowers to an associative scan of many small ops on CPU
    (~60 µs for 3200 elements, milliseconds for 256 000). Here: within blocks
    of ``_PREFIX_BLOCK``, a matmul with an upper-triangular matrix of ones
    (exact in float32: integers below 2**24); across blocks, the same again on
    the block totals.
    """
    n = x.shape[0]
    if total_bound >= _EXACT_F32:
        return jnp.cumsum(x, dtype=jnp.int32)
    if n <= 1:
        return x.astype(jnp.int32)
    b = _PREFIX_BLOCK
    padded = -(-n // b) * b
    blocks = jnp.zeros(padded, jnp.float32).at[:n].set(x.astype(jnp.float32)).reshape(-1, b)
    tri = jnp.triu(jnp.ones((b, b), jnp.float32))
    within = jnp.matmul(blocks, tri, precision=lax.Precision.HIGHEST)
    if within.shape[0] == 1:
        return within.reshape(-1)[:n].astype(jnp.int32)
    totals = within[:, -1]
    offsets = _prefix_sum(totals, total_bound).astype(jnp.float32) - totals
    return (within + offsets[:, None]).reshape(-1)[:n].astype(jnp.int32)


# -- the kernels -----------------------------------------------------------------------

def _rows_window(x: jax.Array, starts: jax.Array, width: int) -> jax.Array:
    """``x[starts[r] : starts[r] + width]`` for every ``r`` (a windowed gather:
    contiguous slices, several times faster on CPU than gathering each entry).
    ``dynamic_slice`` clamps a window that would run past the end of ``x``
    to end at its end; callers account for that shift."""
    return jax.vmap(lambda s: lax.dynamic_slice(x, (s,), (width,)))(starts)


def _event_rows(st: Static, data, indices, indptr, events, out_dtype) -> jax.Array:
    """``events @ M`` touching only the rows whose event is nonzero."""
    n_rows, n_cols, chunk = st.n_rows, st.n_cols, st.chunk
    nnz = indices.shape[0]
    out = jnp.zeros(n_cols, out_dtype)
    if n_rows == 0 or n_cols == 0 or nnz == 0 or st.max_row == 0:
        return out
    width = min(st.max_row, nnz)   # every row fits in a window of the longest row
    fired = events != 0
    position = _prefix_sum(fired, n_rows) - 1           # slot of each firing row in the list
    count = position[-1] + 1
    slots = -(-n_rows // chunk) * chunk
    rows_list = jnp.zeros(slots, jnp.int32).at[jnp.where(fired, position, slots)].set(
        jnp.arange(n_rows, dtype=jnp.int32), mode="drop")
    weight_of_event = events.astype(out_dtype)
    offsets = jnp.arange(width, dtype=indptr.dtype)

    def cond(carry):
        return carry[0] * chunk < count

    def body(carry):
        i, acc = carry
        rows = lax.dynamic_slice(rows_list, (i * chunk,), (chunk,))
        used = i * chunk + jnp.arange(chunk) < count
        start = jnp.take(indptr, rows, mode="clip")
        length = jnp.where(used, jnp.take(indptr, rows + 1, mode="clip") - start, 0)
        # the window of a row near the end is moved back to fit: its entries
        # then begin `shift` places into the window
        window_start = jnp.minimum(start, nnz - width)
        shift = (start - window_start)[:, None]
        inside = (offsets[None, :] >= shift) & (offsets[None, :] < shift + length[:, None])
        cols = jnp.where(inside, _rows_window(indices, window_start, width), n_cols)
        if data.ndim == 0:
            vals = jnp.broadcast_to(data.astype(out_dtype), cols.shape)
        else:
            vals = _rows_window(data, window_start, width).astype(out_dtype)
        vals = jnp.where(inside, vals, 0) * weight_of_event[rows][:, None]
        return i + 1, acc.at[cols.reshape(-1)].add(vals.reshape(-1), mode="drop")

    return lax.while_loop(cond, body, (jnp.int32(0), out))[1]


def _segment(st: Static, data, indices, indptr, row_ids, vector, out_dtype) -> jax.Array:
    """``vector @ M`` (transpose) or ``M @ vector`` over every nonzero.

    Linear in ``data`` and in ``vector``: the tangents use it, and JAX
    transposes it (gathers become scatters and back) for reverse mode.
    """
    nnz = indices.shape[0]
    if nnz == 0:
        return jnp.zeros(st.n_cols if st.transpose else st.n_rows, out_dtype)
    if row_ids.shape[0] != nnz:  # not precomputed (see matvec)
        row_ids = row_ids_of(indptr, nnz)
    w = data.astype(out_dtype)
    v = vector.astype(out_dtype)
    if st.transpose:
        vals = w * jnp.take(v, row_ids, mode="clip")
        return jnp.zeros(st.n_cols, out_dtype).at[indices].add(vals, mode="drop")
    vals = w * jnp.take(v, indices, mode="clip")
    return jax.ops.segment_sum(vals, row_ids, st.n_rows, indices_are_sorted=True)


def _primal(st: Static, data, indices, indptr, row_ids, events):
    out_dtype = _out_dtype(data, events)
    if st.transpose and st.max_row is not None:
        return _event_rows(st, data, indices, indptr, events, out_dtype)
    return _segment(st, data, indices, indptr, row_ids, events, out_dtype)


def _out_dtype(data, events):
    if jnp.issubdtype(events.dtype, jnp.inexact):
        return jnp.result_type(data.dtype, events.dtype)
    return data.dtype


@functools.lru_cache(maxsize=256)
def _compiled(st: Static):
    """The jitted, differentiable kernel of one static configuration."""

    @jax.custom_jvp
    def kernel(data, indices, indptr, row_ids, events):
        return _primal(st, data, indices, indptr, row_ids, events)

    def kernel_jvp(primals, tangents):
        data, indices, indptr, row_ids, events = primals
        d_data, _, _, _, d_events = tangents
        out = kernel(data, indices, indptr, row_ids, events)
        out_dtype = out.dtype
        tangent = jnp.zeros_like(out)
        if not isinstance(d_data, SymbolicZero):
            if data.ndim == 0:
                # homogeneous weight: the product is (events @ pattern) * w
                unit = kernel(jnp.ones_like(data), indices, indptr, row_ids, events)
                tangent = tangent + unit * d_data.astype(out_dtype)
            else:
                tangent = tangent + _segment(st, d_data, indices, indptr, row_ids, events,
                                             out_dtype)
        if not isinstance(d_events, SymbolicZero) and jnp.issubdtype(events.dtype, jnp.inexact):
            # d(events @ M) = d_events @ M: every row counts, silent or not
            tangent = tangent + _segment(st, data, indices, indptr, row_ids, d_events, out_dtype)
        return out, tangent

    kernel.defjvp(kernel_jvp, symbolic_zeros=True)
    return jax.jit(kernel)


def matvec(st: Static, data, indices, indptr, row_ids, events) -> jax.Array:
    """``events @ M`` (``st.transpose``) or ``M @ events``, in pure JAX.

    ``data`` is 0-d (one weight for every entry) or ``(nnz,)``; ``events`` is
    bool or floating (already converted by the caller); ``row_ids`` is the
    row of each entry, or ``None``: the kernels that need it (``M @ events``,
    the tangents) then compute it from ``indptr`` in the graph.
    """
    if row_ids is None:
        row_ids = jnp.zeros(0, jnp.int32)
    return _compiled(st)(data, indices, indptr, row_ids, events)
