"""Vectorised NumPy sampling for the random connectors (no Python loop per neuron).

Every function takes a ``numpy.random.Generator`` and returns int64 arrays;
the connectors convert to int32 at the end.
"""

from __future__ import annotations

import numpy as np

__all__ = ["distinct_per_row", "with_replacement_per_row", "bernoulli_positions", "distinct_total"]

# Below this fraction of the pool, draw-and-redraw-duplicates beats a random
# key per pool element (expected duplicates per row ~ k**2 / (2 * pool)).
_SPARSE = 0.25


def distinct_per_row(rng: np.random.Generator, n_rows: int, pool: int, k: int) -> np.ndarray:
    """``(n_rows, k)``: for every row, ``k`` distinct values of ``range(pool)``,
    uniformly over the k-subsets, sorted ascending within the row.

    Sparse case: draw ``k`` values per row with replacement, then redraw the
    duplicates until none is left. The kept set is the first ``k`` distinct
    values of an i.i.d. uniform sequence, which is uniform over k-subsets by
    symmetry (relabelling the pool maps the process onto itself). Dense case:
    the ``k`` smallest of one uniform key per pool element.
    """
    if k == 0 or n_rows == 0:
        return np.zeros((n_rows, k), np.int64)
    if k > pool:
        raise ValueError(f"cannot draw {k} distinct values from {pool}")
    if k > _SPARSE * pool:
        # shuffle every row of range(pool) in place (Fisher-Yates), keep the first k
        shuffled = rng.permuted(np.broadcast_to(np.arange(pool, dtype=np.int32), (n_rows, pool)),
                                axis=1)[:, :k]
        return np.sort(shuffled, axis=1).astype(np.int64)
    out = np.sort(rng.integers(0, pool, (n_rows, k)), axis=1)
    while True:
        dup = np.zeros(out.shape, bool)
        dup[:, 1:] = out[:, 1:] == out[:, :-1]
        rows = np.flatnonzero(dup.any(axis=1))
        if rows.size == 0:
            return out
        sub, sub_dup = out[rows], dup[rows]
        sub[sub_dup] = rng.integers(0, pool, int(sub_dup.sum()))
        out[rows] = np.sort(sub, axis=1)


def with_replacement_per_row(rng: np.random.Generator, n_rows: int, pool: int, k: int) -> np.ndarray:
    """``(n_rows, k)`` i.i.d. uniform values of ``range(pool)``, sorted within each row."""
    if k == 0 or n_rows == 0:
        return np.zeros((n_rows, k), np.int64)
    return np.sort(rng.integers(0, pool, (n_rows, k)), axis=1)


def bernoulli_positions(rng: np.random.Generator, total: int, prob: float) -> np.ndarray:
    """Sorted positions in ``range(total)``, each included independently with ``prob``.

    Sparse case: the gaps between successive included positions are
    geometric(prob), so only the included positions are drawn (in chunks
    sized from the expected count). Dense case: one uniform per position.
    """
    if total == 0 or prob <= 0.0:
        return np.zeros(0, np.int64)
    if prob >= 1.0:
        return np.arange(total, dtype=np.int64)
    if prob > _SPARSE:
        return np.flatnonzero(rng.random(total) < prob).astype(np.int64)
    mean = total * prob
    chunks, last = [], -1
    while True:
        size = int(mean + 6.0 * np.sqrt(mean) + 64) if not chunks else int(0.1 * mean + 64)
        pos = last + np.cumsum(rng.geometric(prob, size), dtype=np.int64)
        if pos[-1] >= total:
            chunks.append(pos[pos < total])
            return np.concatenate(chunks)
        chunks.append(pos)
        last = int(pos[-1])


def distinct_total(rng: np.random.Generator, total: int, num: int) -> np.ndarray:
    """``num`` distinct positions of ``range(total)``, uniformly, sorted."""
    if num > total:
        raise ValueError(f"cannot draw {num} distinct values from {total}")
    if num == 0:
        return np.zeros(0, np.int64)
    if num > _SPARSE * total:
        return np.sort(rng.permutation(total)[:num]).astype(np.int64)
    got = _sorted_unique(rng.integers(0, total, num))
    while got.size < num:  # same first-distinct-values argument as distinct_per_row
        got = _sorted_unique(np.concatenate([got, rng.integers(0, total, num - got.size)]))
    return got.astype(np.int64)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting (NumPy 2's hash-based unique is slower here)."""
    values = np.sort(values)
    keep = np.ones(values.size, bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]
