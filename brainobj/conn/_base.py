"""``TwoEndConnector``: sizes, the cached CSR, and the structures derived from it.

A connector builds its connections once per pair of sizes, in one canonical
form, CSR ``(indices, indptr)`` (row ``i`` = presynaptic neuron ``i``,
``indices[indptr[i]:indptr[i+1]]`` its postsynaptic targets), and derives
every structure :meth:`TwoEndConnector.require` returns from it, so they all
describe the same connections. The arrays are int32 (bool for
``'conn_mat'``) NumPy arrays, cached and read-only: copy one to change it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brainobj.errors import ConnectorError

__all__ = ["Connector", "TwoEndConnector", "STRUCTURES", "csr_to_structure", "check_csr"]

IDX_DTYPE = np.int32
_INT32_MAX = np.iinfo(np.int32).max

# BrainPy's structure names ('ij' is brainobj's alias of 'coo').
STRUCTURES = ("conn_mat", "pre_ids", "post_ids", "pre2post", "post2pre", "pre2syn", "post2syn",
              "coo", "ij", "csr", "csc")


def size_tuple(owner: str, what: str, size: Any) -> tuple[int, ...]:
    """``size`` (an int or a sequence of ints, each >= 0) as a tuple."""
    items = (size,) if isinstance(size, (int, np.integer)) else size
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or len(items) == 0
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_))
                       and s >= 0 for s in items)):
        raise ConnectorError(f"{owner}: {what} must be a non-negative int or a tuple of them, "
                             f"got {size!r}")
    return tuple(int(s) for s in items)


def check_csr(owner: str, indices: Any, indptr: Any, pre_num: int, post_num: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, indptr)`` as int32 NumPy arrays, checked to be a CSR of
    ``pre_num`` rows whose columns lie in ``range(post_num)``."""
    indices, indptr = np.asarray(indices), np.asarray(indptr)
    for name, arr in (("indices", indices), ("indptr", indptr)):
        if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
            raise ConnectorError(f"{owner}: {name} must be a 1-D integer array, got "
                                 f"{arr.dtype}{list(arr.shape)}")
    if indptr.size != pre_num + 1:
        raise ConnectorError(f"{owner}: indptr must have pre_num + 1 = {pre_num + 1} entries, "
                             f"got {indptr.size}")
    if indptr[0] != 0 or indptr[-1] != indices.size or (np.diff(indptr) < 0).any():
        raise ConnectorError(f"{owner}: indptr must start at 0, never decrease and end at "
                             f"len(indices) = {indices.size}; got indptr[0] = {indptr[0]}, "
                             f"indptr[-1] = {indptr[-1]}")
    if indices.size and (indices.min() < 0 or indices.max() >= post_num):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise ConnectorError(f"{owner}: post ids must lie in [0, post_num) = [0, {post_num}), "
                             f"got {bad}")
    if indices.size > _INT32_MAX:
        raise ConnectorError(f"{owner}: {indices.size} connections do not fit int32 indices")
    return indices.astype(IDX_DTYPE), indptr.astype(IDX_DTYPE)


def coo_to_csr(pre_ids: np.ndarray, post_ids: np.ndarray, pre_num: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """CSR of a COO list: stable sort by pre id (the order within a row is kept)."""
    order = np.argsort(pre_ids, kind="stable")
    counts = np.bincount(pre_ids, minlength=pre_num)
    indptr = np.zeros(pre_num + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    return post_ids[order], indptr


def _readonly(*arrays: np.ndarray) -> Any:
    for a in arrays:
        a.flags.writeable = False
    return arrays if len(arrays) > 1 else arrays[0]


def csr_to_structure(name: str, indices: np.ndarray, indptr: np.ndarray, post_num: int,
                     cache: dict) -> Any:
    """The structure ``name`` of the CSR ``(indices, indptr)`` (computed once into ``cache``)."""
    if name == "ij":
        name = "coo"
    if name in cache:
        return cache[name]
    pre_num = indptr.size - 1
    if name in ("csr", "pre2post"):
        value = (indices, indptr)
    elif name == "post_ids":
        value = indices
    elif name == "pre_ids":
        value = _readonly(np.repeat(np.arange(pre_num, dtype=IDX_DTYPE), np.diff(indptr)))
    elif name == "coo":
        value = (csr_to_structure("pre_ids", indices, indptr, post_num, cache), indices)
    elif name == "pre2syn":
        value = (_readonly(np.arange(indices.size, dtype=IDX_DTYPE)), indptr)
    elif name in ("csc", "post2pre", "post2syn"):
        if "_csc" not in cache:
            order = np.argsort(indices, kind="stable").astype(IDX_DTYPE)  # pre ids ascending per post
            indptr_c = np.zeros(post_num + 1, IDX_DTYPE)
            np.cumsum(np.bincount(indices, minlength=post_num), out=indptr_c[1:])
            pre_ids = csr_to_structure("pre_ids", indices, indptr, post_num, cache)
            cache["_csc"] = (_readonly(order), _readonly(pre_ids[order]), _readonly(indptr_c))
        order, pre_sorted, indptr_c = cache["_csc"]
        value = (order, indptr_c) if name == "post2syn" else (pre_sorted, indptr_c)
    elif name == "conn_mat":
        mat = np.zeros((pre_num, post_num), bool)
        mat[csr_to_structure("pre_ids", indices, indptr, post_num, cache), indices] = True
        value = _readonly(mat)
    else:  # checked by the caller
        raise AssertionError(name)
    cache[name] = value
    return value


class Connector:
    """Base class of every connector (BrainPy's ``bp.conn.Connector``).

    Raises nothing.

    Example:
        >>> import brainobj.conn as conn
        >>> isinstance(conn.One2One(), conn.Connector)
        True
    """


class TwoEndConnector(Connector):
    """Connections from a presynaptic group of ``pre_num`` neurons to a
    postsynaptic group of ``post_num`` neurons (BrainPy's ``TwoEndConnector``).

    Give the sizes at construction (``pre=``, ``post=``) or by calling the
    connector (``conn(pre_size, post_size)``, which returns it), or as the
    first arguments of :meth:`require`. A size is an int or a tuple of ints
    (a grid; ``pre_num`` is their product).

    To write a connector, subclass and implement one of BrainPy's hooks,
    reading ``self.pre_num`` / ``self.post_num``: ``build_csr()`` returning
    ``(indices, indptr)``, ``build_coo()`` returning ``(pre_ids, post_ids)``,
    or ``build_mat()`` returning a ``(pre_num, post_num)`` matrix (nonzero =
    connected). Their result is checked, converted once to CSR and cached
    until the sizes change.

    Raises:
        ConnectorError: a size that is not a non-negative int or a tuple of them.

    Example:
        >>> import numpy as np
        >>> import brainobj.conn as conn
        >>> class Ring(conn.TwoEndConnector):
        ...     def build_coo(self):
        ...         i = np.arange(self.pre_num)
        ...         return i, (i + 1) % self.post_num
        >>> Ring(pre=4, post=4).require('post_ids')
        array([1, 2, 3, 0], dtype=int32)
    """

    def __init__(self, pre: Any = None, post: Any = None) -> None:
        self.pre_size: tuple[int, ...] | None = None
        self.post_size: tuple[int, ...] | None = None
        self.pre_num: int | None = None
        self.post_num: int | None = None
        self._built: tuple | None = None   # ((pre_num, post_num), indices, indptr)
        self._structures: dict = {}
        if pre is not None:
            self.pre_size = size_tuple(type(self).__name__, "pre", pre)
            self.pre_num = math.prod(self.pre_size)
        if post is not None:
            self.post_size = size_tuple(type(self).__name__, "post", post)
            self.post_num = math.prod(self.post_size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __call__(self, pre_size: Any, post_size: Any) -> TwoEndConnector:
        """Set the sizes of the two groups; returns the connector.

        Raises:
            ConnectorError: a size that is not a non-negative int or a tuple
                of them, or one this connector cannot take (e.g. unequal
                sizes for :class:`One2One`).

        Example:
            >>> import brainobj.conn as conn
            >>> c = conn.All2All()(2, 3)
            >>> c.pre_num, c.post_num
            (2, 3)
        """
        name = type(self).__name__
        pre, post = size_tuple(name, "pre_size", pre_size), size_tuple(name, "post_size", post_size)
        self._check_sizes(math.prod(pre), math.prod(post))
        self.pre_size, self.post_size = pre, post
        self.pre_num, self.post_num = math.prod(pre), math.prod(post)
        return self

    def _check_sizes(self, pre_num: int, post_num: int) -> None:
        """Subclasses refuse sizes they cannot connect (raise ConnectorError)."""

    # -- BrainPy's customization hooks ------------------------------------------------
    def build_csr(self) -> tuple[Any, Any]:
        """Customization hook: return ``(indices, indptr)`` for the current sizes.

        Raises:
            NotImplementedError: not overridden by this connector.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.One2One(pre=2, post=2).build_csr()[1]
            array([0, 1, 2], dtype=int32)
        """
        raise NotImplementedError

    def build_coo(self) -> tuple[Any, Any]:
        """Customization hook: return ``(pre_ids, post_ids)`` for the current sizes.

        Raises:
            NotImplementedError: not overridden by this connector.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.TwoEndConnector(pre=2, post=2).build_coo()
            Traceback (most recent call last):
            NotImplementedError
        """
        raise NotImplementedError

    def build_mat(self) -> Any:
        """Customization hook: return the ``(pre_num, post_num)`` connection matrix.

        Raises:
            NotImplementedError: not overridden by this connector.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.TwoEndConnector(pre=2, post=2).build_mat()
            Traceback (most recent call last):
            NotImplementedError
        """
        raise NotImplementedError

    def _build(self) -> tuple[Any, Any]:
        """The CSR ``(indices, indptr)`` from whichever hook the class implements."""
        cls, base = type(self), TwoEndConnector
        name = cls.__name__
        if cls.build_csr is not base.build_csr:
            return self.build_csr()
        if cls.build_coo is not base.build_coo:
            pre_ids, post_ids = (np.asarray(a) for a in self.build_coo())
            if pre_ids.ndim != 1 or post_ids.shape != pre_ids.shape:
                raise ConnectorError(f"{name}.build_coo: pre_ids and post_ids must be 1-D of the "
                                     f"same length, got shapes {pre_ids.shape} and {post_ids.shape}")
            if pre_ids.size and (pre_ids.min() < 0 or pre_ids.max() >= self.pre_num):
                raise ConnectorError(f"{name}.build_coo: pre ids must lie in [0, pre_num) = "
                                     f"[0, {self.pre_num}), got {pre_ids.min()}..{pre_ids.max()}")
            return coo_to_csr(pre_ids.astype(np.int64), post_ids, self.pre_num)
        if cls.build_mat is not base.build_mat:
            mat = np.asarray(self.build_mat())
            if mat.shape != (self.pre_num, self.post_num):
                raise ConnectorError(f"{name}.build_mat: expected shape (pre_num, post_num) = "
                                     f"{(self.pre_num, self.post_num)}, got {mat.shape}")
            pre_ids, post_ids = np.nonzero(mat)
            return post_ids, np.concatenate([[0], np.cumsum(np.count_nonzero(mat, axis=1))])
        raise ConnectorError(f"{name}: implement build_csr(), build_coo() or build_mat()")

    def _csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The cached, checked CSR for the current sizes."""
        key = (self.pre_num, self.post_num)
        if self._built is None or self._built[0] != key:
            indices, indptr = self._build()
            indices, indptr = check_csr(type(self).__name__, indices, indptr, *key)
            self._structures = {}
            self._built = (key, _readonly(indices), _readonly(indptr))
        return self._built[1], self._built[2]

    def require(self, *structures: Any) -> Any:
        """The connection structures named, as int32 NumPy arrays (bool for ``'conn_mat'``).

        ``require('csr')`` returns one structure, ``require('csr', 'conn_mat')``
        a tuple. Sizes may come first: ``require(pre_size, post_size, 'csr')``.
        The names (BrainPy's):

        ``'csr'``, ``'pre2post'``
            ``(indices, indptr)``: the post ids of pre neuron ``i`` are
            ``indices[indptr[i]:indptr[i + 1]]``.
        ``'csc'``, ``'post2pre'``
            ``(pre_ids, indptr)`` by post neuron: the pre ids of post ``j``
            (ascending) are ``pre_ids[indptr[j]:indptr[j + 1]]``.
        ``'coo'``, ``'ij'``
            ``(pre_ids, post_ids)``, one entry per connection, in CSR order.
        ``'pre_ids'``, ``'post_ids'``
            the two halves of ``'coo'``.
        ``'pre2syn'``, ``'post2syn'``
            ``(syn_ids, indptr)``: connection numbers (positions in CSR
            order) by pre neuron, and by post neuron.
        ``'conn_mat'``
            the dense ``(pre_num, post_num)`` bool matrix (a repeated
            connection is one ``True``).

        The arrays are cached by the connector and read-only.

        Raises:
            ConnectorError: no structure named, an unknown name, sizes that
                were never given, or sizes this connector cannot take.

        Example:
            >>> import brainobj.conn as conn
            >>> c = conn.One2One()
            >>> indices, indptr = c.require(3, 3, 'csr')
            >>> indices, indptr
            (array([0, 1, 2], dtype=int32), array([0, 1, 2, 3], dtype=int32))
            >>> c.require('conn_mat').sum()
            np.int64(3)
        """
        name = type(self).__name__
        sizes = None
        if structures and not isinstance(structures[0], str):
            if len(structures) < 2 or isinstance(structures[1], str):
                raise ConnectorError(f"{name}.require: give both sizes before the structure "
                                     f"names, e.g. require(pre_size, post_size, 'csr'); got "
                                     f"{structures!r}")
            sizes, structures = structures[:2], structures[2:]
        if not structures:
            raise ConnectorError(f"{name}.require: name at least one structure of {STRUCTURES}")
        for s in structures:
            if s not in STRUCTURES:
                raise ConnectorError(f"{name}.require: unknown structure {s!r}; "
                                     f"choose from {STRUCTURES}")
        if sizes is not None:
            self(*sizes)  # checked before anything changes
        if self.pre_num is None or self.post_num is None:
            raise ConnectorError(f"{name}.require: the group sizes are unknown; pass pre=/post= "
                                 f"when creating it, call it as conn(pre_size, post_size), or "
                                 f"use require(pre_size, post_size, ...)")
        self._check_sizes(self.pre_num, self.post_num)
        indices, indptr = self._csr()
        values = [csr_to_structure(s, indices, indptr, self.post_num, self._structures)
                  for s in structures]
        return values[0] if len(values) == 1 else tuple(values)

    def requires(self, *structures: Any) -> Any:
        """Alias of :meth:`require` (BrainPy's second name).

        Raises:
            ConnectorError: as :meth:`require`.

        Example:
            >>> import brainobj.conn as conn
            >>> conn.All2All(pre=2, post=2).requires('post_ids')
            array([0, 1, 0, 1], dtype=int32)
        """
        return self.require(*structures)
