"""``bp.conn``: connectivity between two neuron groups (BrainPy's ``brainpy.connect``).

A connector draws or takes the connections, once per pair of group sizes,
and returns them in the structures synapse models use: ``'csr'`` /
``'pre2post'`` ``(indices, indptr)`` for :func:`brainobj.math.event.csrmv`,
``'post2pre'``, ``'ij'``, ``'conn_mat'`` ... (see
:meth:`TwoEndConnector.require`). Everything is NumPy, vectorised and seeded.

Random connectors: :class:`FixedProb` (BrainPy's: a fixed out-degree
``round(prob * post_num)``), :class:`PairwiseBernoulli` (independent pairs),
:class:`FixedPostNum`, :class:`FixedPreNum`, :class:`FixedTotalNum`.
Regular: :class:`One2One`, :class:`All2All`. Given: :class:`MatConn`,
:class:`IJConn`, :class:`CSRConn`, :class:`SparseMatConn`.

Example:
    >>> import brainobj.conn as conn
    >>> c = conn.FixedProb(0.02, pre=3200, post=4000, seed=42)
    >>> indices, indptr = c.require('pre2post')
    >>> indices.dtype, indptr.shape, indices.size
    (dtype('int32'), (3201,), 256000)
"""

from ._base import Connector as Connector, TwoEndConnector as TwoEndConnector
from ._custom import (
    CSRConn as CSRConn,
    IJConn as IJConn,
    MatConn as MatConn,
    SparseMatConn as SparseMatConn,
)
from ._random import (
    FixedPostNum as FixedPostNum,
    FixedPreNum as FixedPreNum,
    FixedProb as FixedProb,
    FixedTotalNum as FixedTotalNum,
    PairwiseBernoulli as PairwiseBernoulli,
)
from ._regular import All2All as All2All, One2One as One2One

__all__ = ["Connector", "TwoEndConnector", "FixedProb", "PairwiseBernoulli", "FixedPostNum",
           "FixedPreNum", "FixedTotalNum", "One2One", "All2All", "MatConn", "IJConn", "CSRConn",
           "SparseMatConn"]
