"""Regular connectors: ``One2One`` and ``All2All``."""

from __future__ import annotations

from typing import Any

import numpy as np

from brainobj.errors import ConnectorError

from ._base import TwoEndConnector

__all__ = ["One2One", "All2All"]


class One2One(TwoEndConnector):
    """Neuron ``i`` of the first group to neuron ``i`` of the second; the two
    groups must have the same number of neurons.

    Args:
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: a bad size, or ``pre_num != post_num``.

    Example:
        >>> import brainobj.conn as conn
        >>> conn.One2One()(3, 3).require('ij')
        (array([0, 1, 2], dtype=int32), array([0, 1, 2], dtype=int32))
    """

    def __init__(self, pre: Any = None, post: Any = None) -> None:
        super().__init__(pre=pre, post=post)
        if self.pre_num is not None and self.post_num is not None:
            self._check_sizes(self.pre_num, self.post_num)

    def _check_sizes(self, pre_num: int, post_num: int) -> None:
        if pre_num != post_num:
            raise ConnectorError(f"One2One: both groups must have the same number of neurons, "
                                 f"got pre_num = {pre_num} and post_num = {post_num}")

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """``(arange(n), arange(n + 1))``.

        Raises nothing.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.One2One(pre=2, post=2).build_csr()
            (array([0, 1], dtype=int32), array([0, 1, 2], dtype=int32))
        """
        n = self.pre_num
        return np.arange(n, dtype=np.int32), np.arange(n + 1, dtype=np.int32)


class All2All(TwoEndConnector):
    """Every neuron of the first group to every neuron of the second
    (``pre_num * post_num`` connections).

    Args:
        include_self: keep the pairs ``i -> i`` (for unequal sizes: pairs
            with equal ids).
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: a bad size.

    Example:
        >>> import brainobj.conn as conn
        >>> conn.All2All(include_self=False)(3, 3).require('conn_mat').astype(int)
        array([[0, 1, 1],
               [1, 0, 1],
               [1, 1, 0]])
    """

    def __init__(self, *, include_self: bool = True, pre: Any = None, post: Any = None) -> None:
        self.include_self = bool(include_self)
        super().__init__(pre=pre, post=post)

    def __repr__(self) -> str:
        return f"All2All(include_self={self.include_self})"

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """Every post id in every row, ascending (without ``i`` in row ``i``
        when ``include_self=False``).

        Raises nothing.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.All2All(pre=2, post=2).build_csr()
            (array([0, 1, 0, 1]), array([0, 2, 4]))
        """
        pre_num, post_num = self.pre_num, self.post_num
        cols = np.tile(np.arange(post_num), pre_num)
        counts = np.full(pre_num, post_num)
        if not self.include_self:
            rows = np.repeat(np.arange(pre_num), post_num)
            keep = rows != cols
            cols = cols[keep]
            counts = np.bincount(rows[keep], minlength=pre_num)
        indptr = np.zeros(pre_num + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cols, indptr
