"""BrainPy's device and memory helpers: CPU device count, freeing buffers,
GPU memory preallocation.

The settings here are XLA environment variables that JAX reads once, when
its backends start (at the first computation): set them first thing in a
script. Asking for a change after that raises (device count) or warns
(preallocation) instead of silently doing nothing, as BrainPy does.
"""

from __future__ import annotations

import gc
import os
import re
import warnings

import jax

from ._eager_cache import EAGER_CACHE
from ._environment import _backends_initialized

__all__ = ["set_host_device_count", "clear_buffer_memory", "disable_gpu_memory_preallocation",
           "enable_gpu_memory_preallocation", "gpu_memory_preallocation"]

_COUNT_FLAG = re.compile(r"--xla_force_host_platform_device_count=\S+")


def set_host_device_count(n: int) -> None:
    """Give XLA ``n`` CPU devices (for ``pmap``/``shard_map``/meshes on CPU).

    Sets ``--xla_force_host_platform_device_count`` in ``XLA_FLAGS``, which
    JAX reads when it starts: call it before any JAX computation. Asking
    for the count already in use is accepted and does nothing.

    Raises:
        TypeError: ``n`` is not a positive int.
        RuntimeError: JAX has already started with another CPU device
            count; call this first thing in the script, or start Python with
            ``XLA_FLAGS=--xla_force_host_platform_device_count=N``.

    Example:
        >>> import jax, brainobj.math as bm
        >>> bm.set_host_device_count(len(jax.devices('cpu')))  # already so: nothing to do
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise TypeError(f"bm.set_host_device_count: n must be a positive int, got {n!r:.40}.")
    if _backends_initialized():
        current = len(jax.devices("cpu"))
        if current != n:
            raise RuntimeError(
                f"bm.set_host_device_count({n}): JAX already started with {current} CPU "
                "device(s); the count can only be chosen before the first computation. Call it "
                "first thing in the script, or start Python with "
                f"XLA_FLAGS=--xla_force_host_platform_device_count={n}.")
        return
    flags = _COUNT_FLAG.sub("", os.environ.get("XLA_FLAGS", "")).split()
    os.environ["XLA_FLAGS"] = " ".join([f"--xla_force_host_platform_device_count={n}", *flags])


def _held_by_state() -> set[int]:
    """ids of the arrays that live Variables and objects hold."""
    from ._object import BrainPyObject
    from ._variable import Variable

    held: set[int] = set()
    for item in gc.get_objects():
        if isinstance(item, Variable):
            held.add(id(item._value))
        elif isinstance(item, BrainPyObject):
            for value in vars(item).values():
                if isinstance(value, jax.Array):
                    held.add(id(value))
    return held


def _held_by_python(candidates: dict[int, jax.Array]) -> set[int]:
    """ids of ``candidates`` that some Python object (a module, a list, an
    instance) refers to. The rest are referred to only from inside JAX (its
    caches keep device copies of constants), and must not be deleted."""
    found: set[int] = set()
    skip = {id(candidates)}
    for item in gc.get_objects():
        if id(item) in skip:
            continue
        for ref in gc.get_referents(item):
            if id(ref) in candidates:
                found.add(id(ref))
    return found


def clear_buffer_memory(platform: str | None = None, array: bool = True, transform: bool = True,
                        compilation: bool = False, object_name: bool = False) -> int:
    """Free device memory between runs (BrainPy's helper, made safe for models).

    Runs Python's garbage collector, then, with ``array``, deletes the
    device arrays on ``platform`` (default: JAX's default backend) that
    Python code still holds (in a module, a list, an object), *except*
    those held by a live Variable or as an array attribute of a live
    object: models, optimizers and ``bm.random``'s key keep working, and so
    do JAX's compiled functions (arrays only JAX's caches hold are left
    alone). Any other array you still hold is deleted and raises when
    used: re-create data after calling this (BrainPy deletes everything,
    models included). ``transform`` drops the compiled loops kept for
    loops called outside transforms, ``compilation`` clears JAX's
    compilation caches, ``object_name`` forgets the names of objects
    (:func:`clear_name_cache`).

    Returns the number of arrays deleted.

    Raises:
        RuntimeError: ``platform`` names a backend JAX does not have.

    Example:
        Between trials of a script (here without deleting arrays, which
        would reach this process's other arrays too)::

        >>> import brainobj as bp, brainobj.math as bm
        >>> model = bp.Linear(2, 2)
        >>> bm.clear_buffer_memory(array=False)
        0
        >>> model.W.value.is_deleted()
        False
    """
    gc.collect()
    deleted = 0
    if array:
        held = _held_by_state()
        candidates = {id(b): b for b in jax.live_arrays(platform)
                      if id(b) not in held and not b.is_deleted()}
        for key in _held_by_python(candidates):
            candidates[key].delete()
            deleted += 1
        candidates.clear()
    if transform:
        EAGER_CACHE.clear()
    if compilation:
        jax.clear_caches()
    if object_name:
        from ._object import clear_name_cache

        clear_name_cache()
    gc.collect()
    return deleted


def _set_gpu_flag(owner: str, **values: str | None) -> None:
    if _backends_initialized():
        warnings.warn(f"bm.{owner}: JAX has already started, so this takes effect only in a new "
                      "process; call it first thing in the script.", RuntimeWarning, stacklevel=3)
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def disable_gpu_memory_preallocation(release_memory: bool = True) -> None:
    """Let JAX allocate GPU memory as needed instead of 75% up front.

    With ``release_memory``, memory is also returned to the GPU when freed
    (XLA's ``platform`` allocator: slower, but shares the GPU).

    Raises nothing; warns (``RuntimeWarning``) when JAX has already started.

    Example:
        >>> import os, warnings, brainobj.math as bm
        >>> with warnings.catch_warnings():   # JAX has started in this session
        ...     warnings.simplefilter("ignore")
        ...     bm.disable_gpu_memory_preallocation()
        >>> os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"], os.environ["XLA_PYTHON_CLIENT_ALLOCATOR"]
        ('false', 'platform')
        >>> _ = [os.environ.pop(k) for k in ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_ALLOCATOR")]
    """
    _set_gpu_flag("disable_gpu_memory_preallocation", XLA_PYTHON_CLIENT_PREALLOCATE="false",
                  XLA_PYTHON_CLIENT_ALLOCATOR="platform" if release_memory else None)


def enable_gpu_memory_preallocation() -> None:
    """Let JAX preallocate GPU memory at start (its default).

    Raises nothing; warns (``RuntimeWarning``) when JAX has already started.

    Example:
        >>> import os, warnings, brainobj.math as bm
        >>> with warnings.catch_warnings():   # JAX has started in this session
        ...     warnings.simplefilter("ignore")
        ...     bm.enable_gpu_memory_preallocation()
        >>> os.environ.pop("XLA_PYTHON_CLIENT_PREALLOCATE")
        'true'
    """
    _set_gpu_flag("enable_gpu_memory_preallocation", XLA_PYTHON_CLIENT_PREALLOCATE="true",
                  XLA_PYTHON_CLIENT_ALLOCATOR=None)


def gpu_memory_preallocation(percent: float) -> None:
    """Preallocate ``percent`` (in ``[0, 1)``) of GPU memory instead of 75%.

    Raises:
        ValueError: ``percent`` outside ``[0, 1)`` or not a number; warns
            (``RuntimeWarning``) when JAX has already started.

    Example:
        >>> import brainobj.math as bm
        >>> bm.gpu_memory_preallocation(1.5)
        Traceback (most recent call last):
        ...
        ValueError: bm.gpu_memory_preallocation: percent must be in [0, 1), got 1.5.
    """
    ok = isinstance(percent, (int, float)) and not isinstance(percent, bool) and 0 <= percent < 1
    if not ok:
        raise ValueError(f"bm.gpu_memory_preallocation: percent must be in [0, 1), got {percent!r:.40}.")
    _set_gpu_flag("gpu_memory_preallocation", XLA_PYTHON_CLIENT_MEM_FRACTION=str(float(percent)))
