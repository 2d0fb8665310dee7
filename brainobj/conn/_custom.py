"""Connectors from given connections: ``MatConn``, ``IJConn``, ``CSRConn``, ``SparseMatConn``."""

from __future__ import annotations

from typing import Any

import numpy as np

import brainobj.math as bm
from brainobj.errors import ConnectorError

from ._base import TwoEndConnector, check_csr, coo_to_csr

__all__ = ["MatConn", "IJConn", "CSRConn", "SparseMatConn"]


class _FixedShape(TwoEndConnector):
    """A connector whose sizes come from its data: other sizes are refused."""

    _shape: tuple[int, int]

    def _check_sizes(self, pre_num: int, post_num: int) -> None:
        if (pre_num, post_num) != self._shape:
            raise ConnectorError(f"{type(self).__name__}: its connections are "
                                 f"{self._shape[0]} x {self._shape[1]}, but the groups have "
                                 f"{pre_num} and {post_num} neurons")


class MatConn(_FixedShape):
    """Connections from a dense ``(pre_num, post_num)`` matrix: ``i -> j``
    wherever ``conn_mat[i, j]`` is nonzero (``True``, 1, a weight).

    The sizes are the matrix's; calling the connector with other sizes
    raises. ``require('conn_mat')`` gives back ``conn_mat != 0``.

    Args:
        conn_mat: a 2-D NumPy / JAX array (or Variable) of bools or numbers.

    Raises:
        ConnectorError: ``conn_mat`` not 2-D.

    Example:
        >>> import numpy as np, brainobj.conn as conn
        >>> m = np.array([[0, 1, 1], [1, 0, 0]])
        >>> conn.MatConn(m).require('csr')
        (array([1, 2, 0], dtype=int32), array([0, 2, 3], dtype=int32))
    """

    def __init__(self, conn_mat: Any) -> None:
        mat = bm.as_numpy(conn_mat)
        if mat.ndim != 2:
            raise ConnectorError(f"MatConn: conn_mat must be 2-D (pre_num, post_num), got shape "
                                 f"{mat.shape}")
        self.conn_mat = mat != 0
        self._shape = mat.shape
        super().__init__(pre=mat.shape[0], post=mat.shape[1])

    def build_mat(self) -> np.ndarray:
        """The bool matrix given (``conn_mat != 0``).

        Raises nothing.

        Example:
            >>> import numpy as np, brainobj.conn as conn
            >>> conn.MatConn(np.eye(2)).build_mat()
            array([[ True, False],
                   [False,  True]])
        """
        return self.conn_mat


class IJConn(TwoEndConnector):
    """Connections from two lists: ``i[k] -> j[k]`` for every ``k`` (kept in
    that order within each presynaptic neuron; repeats are kept).

    The sizes are given as usual and must exceed the largest ids.

    Args:
        i: presynaptic ids, 1-D integers >= 0.
        j: postsynaptic ids, same length.
        pre: the presynaptic group size (or give it later).
        post: the postsynaptic group size (or give it later).

    Raises:
        ConnectorError: ``i`` / ``j`` not 1-D integer arrays of the same
            length, negative ids; later, sizes not above the largest ids.

    Example:
        >>> import brainobj.conn as conn
        >>> conn.IJConn([1, 0, 1], [2, 2, 0])(2, 3).require('csr')
        (array([2, 2, 0], dtype=int32), array([0, 1, 3], dtype=int32))
    """

    def __init__(self, i: Any, j: Any, *, pre: Any = None, post: Any = None) -> None:
        i, j = bm.as_numpy(i), bm.as_numpy(j)
        if (i.ndim != 1 or j.shape != i.shape
                or not all(np.issubdtype(a.dtype, np.integer) or a.size == 0 for a in (i, j))):
            raise ConnectorError(f"IJConn: i and j must be 1-D integer arrays of the same length, "
                                 f"got {i.dtype}{list(i.shape)} and {j.dtype}{list(j.shape)}")
        if i.size and (i.min() < 0 or j.min() < 0):
            raise ConnectorError(f"IJConn: ids must be >= 0, got min(i) = {i.min()}, "
                                 f"min(j) = {j.min()}")
        self.pre_ids, self.post_ids = i.astype(np.int64), j.astype(np.int64)
        self._max = (int(i.max()) if i.size else -1, int(j.max()) if j.size else -1)
        super().__init__(pre=pre, post=post)

    def _check_sizes(self, pre_num: int, post_num: int) -> None:
        if pre_num <= self._max[0] or post_num <= self._max[1]:
            raise ConnectorError(f"IJConn: the groups ({pre_num}, {post_num} neurons) must be "
                                 f"larger than the largest ids (i: {self._max[0]}, "
                                 f"j: {self._max[1]})")

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, indptr)``: the pairs grouped by ``i`` (stable).

        Raises nothing.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.IJConn([1, 0], [0, 1], pre=2, post=2).build_csr()
            (array([1, 0]), array([0, 1, 2]))
        """
        return coo_to_csr(self.pre_ids, self.post_ids, self.pre_num)


class CSRConn(TwoEndConnector):
    """Connections from a CSR pair ``(indices, inptr)``: the post ids of pre
    neuron ``i`` are ``indices[inptr[i]:inptr[i + 1]]`` (order kept).

    ``pre_num`` is ``len(inptr) - 1``; ``post_num`` is given as usual and
    must exceed the largest index.

    Args:
        indices: post ids, 1-D integers.
        inptr: row pointer (BrainPy's spelling), 1-D integers, starting at 0,
            non-decreasing, ending at ``len(indices)``.
        post: the postsynaptic size (or give it later).

    Raises:
        ConnectorError: not a valid CSR pair; later, sizes that do not fit.

    Example:
        >>> import brainobj.conn as conn
        >>> conn.CSRConn([1, 0, 1], [0, 1, 3])(2, 2).require('conn_mat').astype(int)
        array([[0, 1],
               [1, 1]])
    """

    def __init__(self, indices: Any, inptr: Any, *, post: Any = None) -> None:
        indices, inptr = bm.as_numpy(indices), bm.as_numpy(inptr)
        if inptr.ndim != 1 or inptr.size == 0:
            raise ConnectorError(f"CSRConn: inptr must be 1-D with at least one entry, got shape "
                                 f"{inptr.shape}")
        top = int(indices.max()) + 1 if indices.size else 0
        self.indices, self.inptr = check_csr("CSRConn", indices, inptr, inptr.size - 1, top)
        self._max_post = top - 1
        super().__init__(pre=inptr.size - 1, post=post)

    def _check_sizes(self, pre_num: int, post_num: int) -> None:
        if pre_num != self.inptr.size - 1 or post_num <= self._max_post:
            raise ConnectorError(f"CSRConn: the groups ({pre_num}, {post_num} neurons) do not "
                                 f"fit the CSR: pre_num must be len(inptr) - 1 = "
                                 f"{self.inptr.size - 1} and post_num above the largest index "
                                 f"{self._max_post}")

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(indices, inptr)`` given.

        Raises nothing.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.CSRConn([0], [0, 1, 1], post=1).build_csr()
            (array([0], dtype=int32), array([0, 1, 1], dtype=int32))
        """
        return self.indices, self.inptr


class SparseMatConn(_FixedShape):
    """Connections from a SciPy sparse matrix (any format): ``i -> j`` for
    every stored nonzero. The matrix is put in canonical CSR form first
    (duplicates summed, explicit zeros dropped, indices sorted), so the
    connections are in the order of ``csr_mat.tocsr()`` canonicalised, the
    order of its ``.data`` then. The sizes are the matrix's.

    Args:
        csr_mat: a ``scipy.sparse`` matrix or array, 2-D.

    Raises:
        ConnectorError: ``csr_mat`` is not a SciPy sparse matrix (or SciPy
            is not installed).

    Example:
        >>> import scipy.sparse as sp, brainobj.conn as conn
        >>> m = sp.csr_matrix([[0., 2.], [3., 0.]])
        >>> conn.SparseMatConn(m).require('ij')
        (array([0, 1], dtype=int32), array([1, 0], dtype=int32))
    """

    def __init__(self, csr_mat: Any) -> None:
        try:
            import scipy.sparse as sp
        except ImportError:  # optional dependency
            raise ConnectorError("SparseMatConn needs SciPy: pip install scipy") from None
        if not sp.issparse(csr_mat) or len(csr_mat.shape) != 2:
            raise ConnectorError(f"SparseMatConn: csr_mat must be a 2-D scipy.sparse matrix, got "
                                 f"{type(csr_mat).__name__}")
        m = sp.csr_matrix(csr_mat, copy=True)
        m.sum_duplicates()
        m.eliminate_zeros()
        self.csr_mat = m
        self._shape = tuple(int(s) for s in m.shape)
        super().__init__(pre=self._shape[0], post=self._shape[1])

    def build_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The canonical CSR ``(indices, indptr)`` of the matrix.

        Raises nothing.

        Example:
            >>> import scipy.sparse as sp, brainobj.conn as conn
            >>> conn.SparseMatConn(sp.eye(2, format='coo')).build_csr()[0]
            array([0, 1], dtype=int32)
        """
        return self.csr_mat.indices, self.csr_mat.indptr
