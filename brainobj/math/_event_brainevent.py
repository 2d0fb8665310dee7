"""The brainevent backend of ``bm.event.csrmv`` (an optional dependency).

brainevent (BrainPy's kernel library) is imported lazily, once, the first
time the backend is considered. Its pitfalls, handled here for the user:

* its CPU kernels are numba functions: without numba the backend is not
  usable on CPU (the caller falls back to the pure-JAX kernels, warning once);
* its event-driven CSR product sizes a task workspace from the *values* of
  ``indptr`` at trace time, so ``indptr`` must be concrete (the caller checks);
* a ``brainevent.CSR`` caches that workspace on the object: built outside a
  trace and used inside two, it leaks a tracer of the first. So the CSR object
  is built anew inside every call, never stored;
* ``brainevent.BinaryArray`` treats a float event as "fired" when it is > 0 and
  then adds the plain weight (a 0.5 event counts as 1). brainobj defines the
  product as ``events @ M`` exactly, so float events go through brainevent's
  float ``csrmv`` (exact; it visits every row) and only bool events through
  the event-driven binary kernel.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import warnings
from types import ModuleType

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["installed", "load", "unusable_reason", "matvec"]

_lock = threading.Lock()
_loaded: dict = {}  # "module": the module or None, "error": why the import failed


def installed() -> bool:
    """Whether a ``brainevent`` package is on the path (not imported)."""
    return importlib.util.find_spec("brainevent") is not None


def load() -> ModuleType | None:
    """The ``brainevent`` module, imported once; ``None`` if it cannot be imported."""
    with _lock:
        if "module" not in _loaded:
            try:
                _loaded["module"] = importlib.import_module("brainevent")
            except Exception as err:  # a broken install must not break brainobj
                _loaded["module"] = None
                _loaded["error"] = f"{type(err).__name__}: {err}"
        return _loaded["module"]


def unusable_reason(platform: str) -> str | None:
    """Why brainevent cannot run on ``platform`` now, or ``None`` if it can."""
    if not installed():
        return "brainevent is not installed (pip install brainevent)"
    if load() is None:
        return f"import brainevent failed ({_loaded.get('error')})"
    if platform == "cpu" and importlib.util.find_spec("numba") is None:
        return "brainevent's CPU kernels need numba, which is not installed (pip install numba)"
    return None


_warned: set = set()


def warn_once(key: str, message: str) -> None:
    """``warnings.warn(message)`` the first time ``key`` is seen in this process."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, RuntimeWarning, stacklevel=4)


def matvec(data: jax.Array, indices: jax.Array, indptr: np.ndarray, events: jax.Array,
           shape: tuple[int, int], transpose: bool, out_dtype) -> jax.Array:
    """``events @ M`` (``transpose``) or ``M @ events`` with brainevent's kernels.

    ``indptr`` is a concrete NumPy array of the same dtype as ``indices``;
    ``data`` is 0-d (homogeneous) or ``(nnz,)``.
    """
    be = load()
    weights = jnp.reshape(data, (1,)) if data.ndim == 0 else data
    if events.dtype == jnp.bool_:
        csr = be.CSR((weights, indices, indptr), shape=shape)  # built per call: see above
        spikes = be.BinaryArray(events)
        out = spikes @ csr if transpose else csr @ spikes
    else:
        out = be.csrmv(weights, indices, indptr, events.astype(out_dtype), shape=shape,
                       transpose=transpose)
    return jnp.asarray(out).astype(out_dtype)
