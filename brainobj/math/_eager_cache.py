"""Loops called outside transforms compile once per body function, then reuse it."""

from __future__ import annotations

import types
import weakref
from typing import Any, Callable

# body function -> {settings: bm.jit-compiled runner}. Weak in the function
# (and, for bound methods, in the instance) so dropped models are freed.
EAGER_CACHE: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
# Settings include things like a while_loop's cond function, which may be a
# fresh lambda on every call: keep only the most recent few per body.
_CACHE_PER_FUNCTION = 16


def compiled_once(fun: Callable, settings: tuple, build: Callable[[], Any]) -> Any:
    """``build()`` (a ``bm.jit``-compiled runner, ...) cached per body and settings.

    Loops called outside transforms reuse it, so they compile once rather
    than on every call. Bound methods are cached per instance.
    """
    if isinstance(fun, types.MethodType):
        key, instance = fun.__func__, fun.__self__
    else:
        key, instance = fun, None
    try:
        per_function = EAGER_CACHE.setdefault(key, {})
        instance_ref = weakref.ref(instance) if instance is not None else (lambda: None)
    except TypeError:  # not weak-referenceable: build afresh each time
        return build()
    slot = (id(instance), settings)
    found = per_function.get(slot)
    if found is not None and found[0]() is instance:
        return found[1]
    value = build()
    if len(per_function) >= _CACHE_PER_FUNCTION:
        del per_function[next(iter(per_function))]  # oldest first: a bounded cache
    per_function[slot] = (instance_ref, value)
    return value


def late_jit(fun: Callable) -> Callable:
    """``bm.jit(fun)``, for the runners :func:`compiled_once` caches."""
    from ._jit import jit  # imported late: bm.jit's module imports this package's pieces

    return jit(fun)
