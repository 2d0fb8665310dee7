"""``bp.init``: weight initializers, callable with a shape (``init((n_in, n_out))``)."""

from ._initializers import (
    Constant as Constant,
    Initializer as Initializer,
    KaimingNormal as KaimingNormal,
    KaimingUniform as KaimingUniform,
    LecunNormal as LecunNormal,
    LecunUniform as LecunUniform,
    Normal as Normal,
    OneInit as OneInit,
    Orthogonal as Orthogonal,
    Partitioned as Partitioned,
    TruncatedNormal as TruncatedNormal,
    Uniform as Uniform,
    XavierNormal as XavierNormal,
    XavierUniform as XavierUniform,
    ZeroInit as ZeroInit,
    with_partitioning as with_partitioning,
)
