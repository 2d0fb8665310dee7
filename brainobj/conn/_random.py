"""Random connectors: ``FixedProb`` (BrainPy's), ``PairwiseBernoulli``,
``FixedPostNum``, ``FixedPreNum``, ``FixedTotalNum``.

All draw with ``numpy.random.default_rng(seed)``, vectorised (see
``_sampling.py``), and create the generator anew for each build: the same
seed and sizes give the same connections, whichever structure is asked first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brainobj.errors import ConnectorError

from . import _sampling
from ._base import TwoEndConnector

__all__ = ["FixedProb", "PairwiseBernoulli", "FixedPostNum", "FixedPreNum", "FixedTotalNum"]


def _seed_arg(owner: str, seed: Any) -> int:
    """The seed to keep: ``seed``, or one drawn now from NumPy's global state."""
    if seed is None:
        # as BrainPy: drawn once from np.random, so np.random.seed(...) makes a
        # script reproducible and the connector repeats itself when rebuilt
        return int(np.random.randint(0, 2 ** 31 - 1))
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, (bool, np.bool_)) or seed < 0:
        raise ConnectorError(f"{owner}: seed must be a non-negative int or None, got {seed!r}")
    return int(seed)


def _fraction(owner: str, what: str, value: Any) -> float:
    ok = (isinstance(value, (int, float, np.integer, np.floating))
          and not isinstance(value, (bool, np.bool_)) and 0.0 <= value <= 1.0)
    if not ok:
        raise ConnectorError(f"{owner}: {what} must be in [0, 1], got {value!r}")
    return float(value)


def _num_arg(owner: str, num: Any) -> int | float:
    """A count (int >= 0) or a fraction (float in [0, 1]), as BrainPy's ``num``."""
    if isinstance(num, (bool, np.bool_)):
        pass
    elif isinstance(num, (int, np.integer)) and num >= 0:
        return int(num)
    elif isinstance(num, (float, np.floating)) and 0.0 <= num <= 1.0:
        return float(num)
    raise ConnectorError(f"{owner}: num must be an int >= 0 (a count) or a float in [0, 1] "
                         f"(a fraction), got {num!r}")


def _rows_to_csr(rows: np.ndarray, cols: np.ndarray, pre_num: int, include_self: bool
                 ) -> tuple[np.ndarray, np.ndarray]:
    """CSR of entries already in row-major order (``rows`` non-decreasing)."""
    if not include_self:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
    indptr = np.zeros(pre_num + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=pre_num), out=indptr[1:])
    return cols, indptr


class FixedProb(TwoEndConnector):
    """BrainPy's ``FixedProb``: every presynaptic neuron gets the *same number*
    of targets, ``k = int(round(prob * post_num))`` (a fixed out-degree, not
    an independent coin per pair).

    Exactly what BrainPy 2.8 builds for ``'csr'`` / ``'pre2post'`` / ``'coo'``,
    and here for every structure:

    * each selected presynaptic neuron draws ``k`` postsynaptic neurons
      uniformly *without* replacement (*with* replacement when
      ``allow_multi_conn``, so a pair may repeat);
    * ``include_self=False`` then removes the pairs ``i -> i`` (after the
      draw, as BrainPy: a neuron that drew itself keeps ``k - 1`` targets; for
      unequal sizes, the pairs with equal ids);
    * ``pre_ratio < 1`` selects ``int(pre_num * pre_ratio)`` presynaptic
      neurons at random (without replacement); the others get no targets.

    ``round`` is Python's (half to even). Differences from BrainPy 2.8: its
    ``require('conn_mat')`` alone drew an independent Bernoulli matrix (other
    connections than its CSR); here the matrix is that of the CSR. The draws
    use NumPy's ``Generator``, so the connections differ from BrainPy's for the
    same seed. For independent pairs (a binomial out-degree) use
    :class:`PairwiseBernoulli`.

    Args:
        prob: connection probability, in ``[0, 1]``.
        pre_ratio: fraction of presynaptic neurons that connect, in ``[0, 1]``.
        include_self: keep the pairs ``i -> i``.
        allow_multi_conn: draw the targets with replacement.
        seed: int >= 0; ``None`` draws one now from NumPy's global random
            state (``np.random``, as BrainPy), kept in ``self.seed``.
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: ``prob`` or ``pre_ratio`` outside ``[0, 1]``, a bad
            seed or size.

    Example:
        >>> import brainobj.conn as conn
        >>> c = conn.FixedProb(0.02, pre=3200, post=4000, seed=0)
        >>> indices, indptr = c.require('csr')
        >>> set(map(int, indptr[1:] - indptr[:-1]))      # every row: round(0.02 * 4000)
        {80}
    """

    def __init__(self, prob: float, pre_ratio: float = 1.0, include_self: bool = True,
                 allow_multi_conn: bool = False, seed: int | None = None, *,
                 pre: Any = None, post: Any = None) -> None:
        name = type(self).__name__
        self.prob = _fraction(name, "prob", prob)
        self.pre_ratio = _fraction(name, "pre_ratio", pre_ratio)
        self.include_self = bool(include_self)
        self.allow_multi_conn = bool(allow_multi_conn)
        self.seed = _seed_arg(name, seed)
        super().__init__(pre=pre, post=post)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(prob={self.prob}, pre_ratio={self.pre_ratio}, "
                f"include_self={self.include_self}, allow_multi_conn={self.allow_multi_conn}, "
                f"seed={self.seed})")

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The connections as ``(indices, indptr)`` (see the class docstring).

        Raises nothing.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.FixedProb(0.5, pre=2, post=4, seed=1).build_csr()[1]
            array([0, 2, 4])
        """
        rng = np.random.default_rng(self.seed)
        pre_num, post_num = self.pre_num, self.post_num
        k = int(round(post_num * self.prob))
        if self.pre_ratio < 1.0:
            pres = np.sort(rng.choice(pre_num, int(pre_num * self.pre_ratio), replace=False))
        else:
            pres = np.arange(pre_num)
        draw = _sampling.with_replacement_per_row if self.allow_multi_conn else _sampling.distinct_per_row
        posts = draw(rng, pres.size, post_num, k)
        return _rows_to_csr(np.repeat(pres, k), posts.reshape(-1), pre_num, self.include_self)


class PairwiseBernoulli(TwoEndConnector):
    """Independent connections: each pair ``(i, j)`` is connected with
    probability ``prob``, independently of all others (NEST's
    ``pairwise_bernoulli``; the out-degree is binomial(post_num, prob)).

    This is what "connection probability" means in most simulators; BrainPy's
    :class:`FixedProb` instead gives every neuron the same out-degree.
    Drawn by geometric skipping over the ``pre_num * post_num`` pairs (only
    the connected pairs cost anything) when ``prob <= 0.25``, else one
    uniform number per pair. Never repeats a pair.

    Args:
        prob: connection probability of each pair, in ``[0, 1]``.
        include_self: keep the pairs ``i -> i`` (for unequal sizes: pairs with
            equal ids); without them, the other pairs keep probability ``prob``.
        seed: int >= 0; ``None`` draws one now from NumPy's global random state.
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: ``prob`` outside ``[0, 1]``, a bad seed or size.

    Example:
        >>> import brainobj.conn as conn
        >>> c = conn.PairwiseBernoulli(0.02, pre=3200, post=4000, seed=0)
        >>> pre_ids, post_ids = c.require('ij')
        >>> abs(pre_ids.size / (3200 * 4000) - 0.02) < 0.001
        True
    """

    def __init__(self, prob: float, include_self: bool = True, seed: int | None = None, *,
                 pre: Any = None, post: Any = None) -> None:
        name = type(self).__name__
        self.prob = _fraction(name, "prob", prob)
        self.include_self = bool(include_self)
        self.seed = _seed_arg(name, seed)
        super().__init__(pre=pre, post=post)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(prob={self.prob}, include_self={self.include_self}, "
                f"seed={self.seed})")

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The connections as ``(indices, indptr)``, post ids ascending in each row.

        Raises nothing.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.PairwiseBernoulli(1.0, include_self=False, pre=2, post=2).build_csr()
            (array([1, 0]), array([0, 1, 2]))
        """
        rng = np.random.default_rng(self.seed)
        positions = _sampling.bernoulli_positions(rng, self.pre_num * self.post_num, self.prob)
        rows, cols = np.divmod(positions, max(self.post_num, 1))
        return _rows_to_csr(rows, cols, self.pre_num, self.include_self)


class _FixedNum(TwoEndConnector):
    """The shared arguments of :class:`FixedPostNum` and :class:`FixedPreNum`."""

    def __init__(self, num: int | float, include_self: bool = True, allow_multi_conn: bool = False,
                 seed: int | None = None, *, pre: Any = None, post: Any = None) -> None:
        name = type(self).__name__
        self.num = _num_arg(name, num)
        self.include_self = bool(include_self)
        self.allow_multi_conn = bool(allow_multi_conn)
        self.seed = _seed_arg(name, seed)
        super().__init__(pre=pre, post=post)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num={self.num}, include_self={self.include_self}, "
                f"allow_multi_conn={self.allow_multi_conn}, seed={self.seed})")

    def _draw(self, n_rows: int, pool: int, what: str) -> tuple[int, np.ndarray]:
        """``(k, (n_rows, k) draws from range(pool))`` for a count or a fraction of ``pool``."""
        k = self.num if isinstance(self.num, int) else int(pool * self.num)
        if k > pool and not self.allow_multi_conn:
            raise ConnectorError(f"{type(self).__name__}: num = {k} exceeds {what} = {pool} "
                                 "(distinct targets); lower num or set allow_multi_conn=True")
        rng = np.random.default_rng(self.seed)
        draw = _sampling.with_replacement_per_row if self.allow_multi_conn else _sampling.distinct_per_row
        return k, draw(rng, n_rows, pool, k)


class FixedPostNum(_FixedNum):
    """Fixed out-degree: every presynaptic neuron connects to ``num``
    postsynaptic neurons drawn uniformly without replacement (BrainPy's).

    ``num`` is a count (int) or a fraction of ``post_num`` (float in
    ``[0, 1]``: ``int(post_num * num)``, truncated as BrainPy). With
    ``allow_multi_conn`` the targets are drawn with replacement (a pair may
    repeat). ``include_self=False`` removes the drawn pairs ``i -> i``
    afterwards (as BrainPy: that neuron keeps ``num - 1``).

    Args:
        num: targets per presynaptic neuron (int) or their fraction (float).
        include_self: keep the pairs ``i -> i``.
        allow_multi_conn: draw with replacement.
        seed: int >= 0; ``None`` draws one now from NumPy's global random state.
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: a bad ``num``, seed or size; when built, an int
            ``num > post_num`` without ``allow_multi_conn``.

    Example:
        >>> import brainobj.conn as conn
        >>> c = conn.FixedPostNum(5, pre=10, post=100, seed=0)
        >>> indices, indptr = c.require('csr')
        >>> indptr
        array([ 0,  5, 10, 15, 20, 25, 30, 35, 40, 45, 50], dtype=int32)
    """

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The connections as ``(indices, indptr)``, post ids ascending in each row.

        Raises:
            ConnectorError: ``num > post_num`` without ``allow_multi_conn``.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.FixedPostNum(2, pre=3, post=3, seed=0).build_csr()[1]
            array([0, 2, 4, 6])
        """
        k, posts = self._draw(self.pre_num, self.post_num, "post_num")
        rows = np.repeat(np.arange(self.pre_num), k)
        return _rows_to_csr(rows, posts.reshape(-1), self.pre_num, self.include_self)


class FixedPreNum(_FixedNum):
    """Fixed in-degree: every postsynaptic neuron receives from ``num``
    presynaptic neurons drawn uniformly without replacement (BrainPy's).

    ``num`` is a count (int) or a fraction of ``pre_num`` (float in
    ``[0, 1]``: ``int(pre_num * num)``). ``allow_multi_conn`` draws with
    replacement; ``include_self=False`` removes the drawn pairs ``i -> i``.

    Args:
        num: sources per postsynaptic neuron (int) or their fraction (float).
        include_self: keep the pairs ``i -> i``.
        allow_multi_conn: draw with replacement.
        seed: int >= 0; ``None`` draws one now from NumPy's global random state.
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: a bad ``num``, seed or size; when built, an int
            ``num > pre_num`` without ``allow_multi_conn``.

    Example:
        >>> import numpy as np, brainobj.conn as conn
        >>> c = conn.FixedPreNum(5, pre=100, post=10, seed=0)
        >>> pre_ids, indptr = c.require('post2pre')
        >>> np.diff(indptr)
        array([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], dtype=int32)
    """

    def build_coo(self) -> tuple[np.ndarray, np.ndarray]:
        """The connections as ``(pre_ids, post_ids)``, grouped by post neuron.

        Raises:
            ConnectorError: ``num > pre_num`` without ``allow_multi_conn``.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.FixedPreNum(1, pre=3, post=2, seed=0).build_coo()[1]
            array([0, 1])
        """
        k, pres = self._draw(self.post_num, self.pre_num, "pre_num")
        posts = np.repeat(np.arange(self.post_num), k)
        pres = pres.reshape(-1)
        if not self.include_self:
            keep = pres != posts
            pres, posts = pres[keep], posts[keep]
        return pres, posts


class FixedTotalNum(TwoEndConnector):
    """A fixed total number of connections, placed uniformly at random among
    the ``pre_num * post_num`` pairs (BrainPy's).

    ``num`` is a count (int) or a fraction of all pairs (float in ``[0, 1]``:
    ``int(round(num * pre_num * post_num))``). Without ``allow_multi_conn``
    the pairs are distinct; with it, each connection picks its pair
    independently (pairs may repeat).

    Args:
        num: the number of connections (int) or their fraction (float).
        allow_multi_conn: allow a pair more than once.
        seed: int >= 0; ``None`` draws one now from NumPy's global random state.
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: a bad ``num``, seed or size; when built, ``num``
            larger than the number of pairs without ``allow_multi_conn``.

    Example:
        >>> import brainobj.conn as conn
        >>> conn.FixedTotalNum(1000, pre=100, post=200, seed=0).require('post_ids').size
        1000
    """

    def __init__(self, num: int | float, allow_multi_conn: bool = False, seed: int | None = None,
                 *, pre: Any = None, post: Any = None) -> None:
        name = type(self).__name__
        self.num = _num_arg(name, num)
        self.allow_multi_conn = bool(allow_multi_conn)
        self.seed = _seed_arg(name, seed)
        super().__init__(pre=pre, post=post)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num={self.num}, allow_multi_conn={self.allow_multi_conn}, "
                f"seed={self.seed})")

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The connections as ``(indices, indptr)``, in row-major order of the pairs.

        Raises:
            ConnectorError: ``num`` larger than the number of pairs without
                ``allow_multi_conn``.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.FixedTotalNum(4, pre=2, post=2).build_csr()
            (array([0, 1, 0, 1]), array([0, 2, 4]))
        """
        total = self.pre_num * self.post_num
        num = self.num if isinstance(self.num, int) else int(round(self.num * total))
        rng = np.random.default_rng(self.seed)
        if self.allow_multi_conn:
            if num and not total:
                raise ConnectorError(f"{type(self).__name__}: cannot place {num} connections "
                                     f"between empty groups")
            positions = np.sort(rng.integers(0, max(total, 1), num))
        else:
            if num > total:
                raise ConnectorError(f"{type(self).__name__}: num = {num} exceeds the "
                                     f"{self.pre_num} x {self.post_num} = {total} pairs; lower "
                                     "num or set allow_multi_conn=True")
            positions = _sampling.distinct_total(rng, total, num)
        rows, cols = np.divmod(positions, max(self.post_num, 1))
        return _rows_to_csr(rows, cols, self.pre_num, True)
