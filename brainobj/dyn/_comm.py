"""Sparse connections for projections: ``EventCSRLinear`` and ``CSRLinear`` (``bp.dnn``).

Both take a connector (``bp.conn.FixedProb(...)``: anything with
``require('csr')``, ``pre_num`` and ``post_num``) and a weight (a number for
a homogeneous weight, or one value per connection), and map a vector over
the pre-synaptic neurons to one over the post-synaptic neurons: ``y[j] =
sum over connections (i -> j) of w * x[i]`` (``transpose=True``, BrainPy's
default). ``EventCSRLinear`` treats ``x`` as spikes (event-driven:
``bm.event.csrmv``); ``CSRLinear`` multiplies by the values of ``x``.
Inputs with leading batch axes are mapped over them.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import brainobj.math as bm

from ._system import DynamicalSystem, init_param

__all__ = ["CSRLinear", "EventCSRLinear"]


class _CSR:
    """The connection structure, held as a static value (compared by identity)
    so that compiled code sees concrete NumPy arrays: event kernels need a
    concrete ``indptr``, and constants cost nothing per call."""

    __slots__ = ("indices", "indptr", "__weakref__")

    def __init__(self, indices: np.ndarray, indptr: np.ndarray) -> None:
        self.indices = indices
        self.indptr = indptr


class _CSRLayer(DynamicalSystem):
    def __init__(self, conn: Any, weight: Any, sharding: Any = None, mode: Any = None,
                 name: str | None = None, transpose: bool = True) -> None:
        super().__init__(name=name, mode=mode)
        who = type(self).__name__
        if not hasattr(conn, "require"):
            raise TypeError(f"{who}: conn must be a connector such as bp.conn.FixedProb(...), "
                            f"got {type(conn).__name__}")
        if sharding is not None:
            raise NotImplementedError(f"{who}: sharding is not supported")
        self.conn = conn
        self.sharding = sharding
        self.transpose = transpose
        indices, indptr = conn.require("csr")
        self._csr = _CSR(np.asarray(indices), np.asarray(indptr))
        w = init_param(weight, (int(np.size(indices)),), owner=f"{who} weight")
        if isinstance(self.mode, bm.TrainingMode):
            w = bm.TrainVar(w)
        self.weight = w

    @property
    def indices(self) -> np.ndarray:
        """The CSR column indices (post-synaptic targets), a NumPy array."""
        return self._csr.indices

    @property
    def indptr(self) -> np.ndarray:
        """The CSR row pointers (one row per pre-synaptic neuron), a NumPy array."""
        return self._csr.indptr

    @property
    def shape(self) -> tuple:
        """``(pre_num, post_num)``."""
        return (int(self.conn.pre_num), int(self.conn.post_num))

    def _mv(self, x: Any) -> Any:
        raise NotImplementedError

    def update(self, x: Any) -> Any:
        """The post-synaptic vector for ``x`` (batched over leading axes).

        Raises:
            ValueError: a scalar ``x``.
        """
        x = x.value if isinstance(x, bm.Variable) else jnp.asarray(x)
        if x.ndim == 0:
            raise ValueError(f"{self.name}: the input must be a vector (or a batch of them), "
                             f"got a scalar")
        if x.ndim == 1:
            return self._mv(x)
        lead = x.shape[:-1]
        y = jax.vmap(self._mv)(x.reshape((-1, x.shape[-1])))
        return y.reshape(lead + y.shape[-1:])


class EventCSRLinear(_CSRLayer):
    """Event-driven sparse connection: spikes in, summed weights out (``bm.event.csrmv``).

    Args:
        conn: a connector (``bp.conn.FixedProb(0.02, pre=3200, post=3200)``).
        weight: a number, or an array with one weight per connection.
        sharding: not supported (must be None).
        mode: the computing mode (training mode makes the weight a ``TrainVar``).
        name: the object's name.
        transpose: BrainPy's ``transpose`` (True: ``x`` is over the pre neurons).

    Raises:
        TypeError: ``conn`` is not a connector; a bad weight.
        ValueError: a weight array of the wrong size.
        NotImplementedError: ``sharding``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> comm = bp.dnn.EventCSRLinear(bp.conn.FixedProb(1., pre=2, post=3), 0.5)
        >>> comm(bm.asarray([True, False]))
        Array([0.5, 0.5, 0.5], dtype=float32)
    """

    def _mv(self, x: Any) -> Any:
        return bm.event.csrmv(self.weight, self.indices, self.indptr, x, shape=self.shape,
                              transpose=self.transpose)


class CSRLinear(_CSRLayer):
    """Sparse connection multiplying by the input's values (``y = x @ W``).

    Args: see :class:`EventCSRLinear`.

    Raises:
        TypeError: ``conn`` is not a connector; a bad weight.
        ValueError: a weight array of the wrong size.
        NotImplementedError: ``sharding``.

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> comm = bp.dnn.CSRLinear(bp.conn.FixedProb(1., pre=2, post=3), 0.5)
        >>> comm(bm.asarray([2., 0.]))
        Array([1., 1., 1.], dtype=float32)
    """

    def _mv(self, x: Any) -> Any:
        n_pre, n_post = self.shape
        rows = np.repeat(np.arange(n_pre), np.diff(self.indptr))
        w = self.weight.value if isinstance(self.weight, bm.Variable) else self.weight
        w = jnp.broadcast_to(jnp.asarray(w, dtype=jnp.result_type(x.dtype, jnp.float32)),
                             self.indices.shape)
        if self.transpose:   # x over pre: y[post] = sum w * x[pre]
            return jax.ops.segment_sum(w * x[rows].astype(w.dtype), self.indices,
                                       num_segments=n_post)
        # x over post: y[pre] = sum w * x[post]
        return jax.ops.segment_sum(w * x[self.indices].astype(w.dtype), rows,
                                   num_segments=n_pre)
