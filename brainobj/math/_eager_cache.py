"""Loops called outside transforms compile once per body function, then reuse it.

The cache must never keep a model alive (BrainPy's did, and grew without
bound when models or loop bodies were rebuilt in a loop). So it holds the
user's functions -- and, through bound methods, their instances -- only
weakly: the cached runner calls them through weak references, and an entry
disappears as soon as any function it was built for is gone.
"""

from __future__ import annotations

import types
import weakref
from typing import Any, Callable

# body function -> {(identities, settings): (weak refs, runner)}. For a bound
# method the key is the class's function; the instance is in the identities.
EAGER_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
# Settings may name fresh objects on every call: keep only the most recent
# few entries per body function.
_CACHE_PER_FUNCTION = 16


def _identity(fun: Callable) -> tuple:
    if isinstance(fun, types.MethodType):
        return id(fun.__func__), id(fun.__self__)
    return (id(fun),)


def _weak(fun: Callable, on_death: Callable) -> weakref.ref:
    """A weak reference to ``fun`` (``WeakMethod`` for a bound method); TypeError if none."""
    if isinstance(fun, types.MethodType):
        return weakref.WeakMethod(fun, on_death)
    return weakref.ref(fun, on_death)


def _caller(ref: weakref.ref) -> Callable:
    def call(*args: Any, **kwargs: Any) -> Any:
        fun = ref()
        if fun is None:  # unreachable: entries die with their functions
            raise ReferenceError("brainobj: a cached loop outlived its body function.")
        return fun(*args, **kwargs)

    call.__wrapped_weakly__ = ref  # lets error messages name the user's function
    return call


def compiled_once(fun: Callable, settings: tuple, build: Callable[..., Any],
                  helpers: tuple = ()) -> Any:
    """``build(*callers)`` (a ``bm.jit``-compiled runner, ...), cached per function and settings.

    ``callers`` stand for ``fun`` and ``helpers`` (say, a while_loop's
    ``cond_fun``) and call them through weak references; ``build`` must use
    them instead of the functions themselves. Loops called outside
    transforms reuse the result, so they compile once rather than on every
    call. ``settings`` must be hashable and hold no objects to keep alive.
    """
    functions = (fun, *helpers)
    key = fun.__func__ if isinstance(fun, types.MethodType) else fun
    slot = (tuple(_identity(f) for f in functions), settings)
    try:
        per_function = EAGER_CACHE.setdefault(key, {})
    except TypeError:  # not weak-referenceable: build afresh each time
        return build(*functions)
    found = per_function.get(slot)
    if found is not None:  # ids in `slot` are live: a dying function's entry is dropped first
        return found[1]

    def forget(_ref: Any, per_function: dict = per_function, slot: tuple = slot) -> None:
        per_function.pop(slot, None)

    try:
        refs = tuple(_weak(f, forget) for f in functions)
    except TypeError:
        return build(*functions)
    value = build(*(_caller(r) for r in refs))
    if len(per_function) >= _CACHE_PER_FUNCTION:
        del per_function[next(iter(per_function))]  # oldest first: a bounded cache
    per_function[slot] = (refs, value)
    return value
