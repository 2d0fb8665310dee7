"""Loops called outside transforms compile once per body, then reuse it.

The cache must never keep a model alive (BrainPy's did, and grew without
bound when models or loop bodies were rebuilt in a loop). Two caches:

* **By identity** (``EAGER_CACHE``): a bound method, a callable object, a
  ``functools.partial``. It holds the user's functions -- and, through bound
  methods, their instances -- only weakly: the cached runner calls them
  through weak references, and an entry disappears as soon as any function
  it was built for is gone.
* **By code** (``CODE_CACHE``): a plain Python function, typically a fresh
  lambda on every call (``bm.for_loop(lambda i: net.step(i), xs)`` in a
  Python loop). Two functions are the same body when they have the same
  code object and globals dict and the same *contents*: closure cells,
  defaults, and the globals their code (or a helper function of the same
  module it names) reads. Plain constants (numbers, strings, NumPy scalars,
  tuples of them) compare by value; everything else -- objects, Variables,
  arrays, functions, lists and dicts (their contents may change) -- by
  identity, held weakly, as calling the *same* function again would see
  them. When such a value cannot be held weakly (a list or a dict, say), the
  body is cached by identity instead, as before: an entry could otherwise
  keep it and what it holds alive.

  The entry cannot call the user's function, which dies after each call;
  it calls a *twin*: a function built once from the same code and globals,
  with cells of its own, filled with the current function's cell contents
  (and defaults) for the duration of a call only, under the entry's lock,
  and emptied afterwards. So ``bm.jit``'s capture paths go through the
  twin's cells and see the current objects (an attribute of a captured
  holder rebound to another model is followed), and between calls an entry
  holds nothing of the user's. It is dropped when an object of its key dies; the cache keeps
  the 64 most recently used entries.

The per-call work is :func:`compiled_once`: build the key, look it up, and
(for a code entry) fill the twins' cells; everything else is done once,
when an entry is made.
"""

from __future__ import annotations

import collections
import threading
import types
import weakref
from typing import Any, Callable

import numpy as np

from ._keys import ByIdentity, canonical


class _EagerCache(weakref.WeakKeyDictionary):
    """The identity cache; clearing it clears the code cache too (one switch,
    used by ``bm.clear_buffer_memory``)."""

    def clear(self) -> None:
        super().clear()
        with _CODE_LOCK:
            CODE_CACHE.clear()


# body function -> {(identities, settings): (weak refs, value, Ready)}. For a
# bound method the key is the class's function; the instance is in the identities.
EAGER_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = _EagerCache()
# Settings may name fresh objects on every call: keep only the most recent
# few entries per body function.
_CACHE_PER_FUNCTION = 16

# (settings, per-function keys) -> _CodeEntry, least recently used first.
CODE_CACHE: "collections.OrderedDict[tuple, _CodeEntry]" = collections.OrderedDict()
_CODE_CACHE_SIZE = 64
_CODE_LOCK = threading.Lock()
_EMPTY_CELL = ("<empty cell>",)


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


class Ready:
    """What :func:`compiled_once` returns: ``with compiled_once(...) as value:``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, *exc: Any) -> None:
        return None


def compiled_once(fun: Callable, settings: tuple, build: Callable[..., Any],
                  helpers: tuple = ()) -> Any:
    """``build(*callers)`` (a ``bm.jit``-compiled runner, ...), cached per body and settings.

    Use it as ``with compiled_once(...) as value: value(...)``: a body cached
    by its code is bound to the current function only inside the block.
    ``callers`` stand for ``fun`` and ``helpers`` (say, a while_loop's
    ``cond_fun``); ``build`` must use them instead of the functions
    themselves. ``settings`` must be hashable and hold no objects to keep
    alive. See the module notes for when two bodies are the same.
    """
    functions = (fun, *helpers)
    if any(type(f) is types.FunctionType for f in functions):
        found = _by_code(functions, settings, build)
        if found is not None:
            return found
    return _by_identity(functions, settings, build)


def _by_identity(functions: tuple, settings: tuple, build: Callable) -> Ready:
    fun = functions[0]
    key = fun.__func__ if isinstance(fun, types.MethodType) else fun
    slot = (tuple(_identity(f) for f in functions), settings)
    try:
        per_function = EAGER_CACHE.setdefault(key, {})
    except TypeError:  # not weak-referenceable: build afresh each time
        return Ready(build(*functions))
    found = per_function.get(slot)
    if found is not None:  # ids in `slot` are live: a dying function's entry is dropped first
        return found[2]

    def forget(_ref: Any, per_function: dict = per_function, slot: tuple = slot) -> None:
        per_function.pop(slot, None)

    try:
        refs = tuple(_weak(f, forget) for f in functions)
    except TypeError:
        return Ready(build(*functions))
    ready = Ready(build(*(_caller(r) for r in refs)))
    if len(per_function) >= _CACHE_PER_FUNCTION:
        del per_function[next(iter(per_function))]  # oldest first: a bounded cache
    per_function[slot] = (refs, ready.value, ready)
    return ready


# -- bodies cached by code ----------------------------------------------------------------

_NAMES: "weakref.WeakKeyDictionary[types.CodeType, tuple]" = weakref.WeakKeyDictionary()


def _names(code: types.CodeType) -> tuple:
    """The global names ``code`` (nested code included) may read."""
    names = _NAMES.get(code)
    if names is None:
        found, stack = set(), [code]
        while stack:
            c = stack.pop()
            found.update(c.co_names)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        names = _NAMES[code] = tuple(sorted(found))
    return names


def _globals_key(fun: types.FunctionType, identities: list) -> tuple:
    """The values of the globals ``fun`` reads, and those of the helper functions
    of its module it names (as ``bm.jit``'s capture search follows them)."""
    namespace = fun.__globals__
    parts, seen, queue = [], {id(fun)}, [fun]
    while queue and len(seen) < 64:
        f = queue.pop()
        for name in _names(f.__code__):
            if name not in namespace:
                continue
            value = namespace[name]
            parts.append((name, _content_key(value, identities)))
            if (type(value) is types.FunctionType and value.__globals__ is namespace
                    and id(value) not in seen):
                seen.add(id(value))
                queue.append(value)
    return tuple(parts)


_BY_VALUE = (int, float, complex, str, bytes, bool, type(None), type(Ellipsis), np.generic)


def _content_key(value: Any, identities: list) -> Any:
    """Plain constants (numbers, strings, NumPy scalars, tuples of them) by value;
    anything else -- objects, Variables, arrays, functions, and mutable lists
    and dicts, whose contents may change between calls -- by identity, as
    calling the same function again would see them."""
    if isinstance(value, _BY_VALUE):
        return canonical(value)
    if isinstance(value, tuple):
        return (type(value), tuple(_content_key(v, identities) for v in value))
    if type(value) is frozenset:
        return (frozenset, frozenset(_content_key(v, identities) for v in value))
    identities.append(value)
    return ByIdentity(value)


def _function_key(f: Callable, identities: list) -> tuple:
    if type(f) is not types.FunctionType:
        return ("other", _content_key(f, identities))
    cells = []
    for cell in f.__closure__ or ():
        try:
            cells.append(_content_key(cell.cell_contents, identities))
        except ValueError:  # a name not bound yet
            cells.append(_EMPTY_CELL)
    # id(code) and id(globals) cannot be reused while the entry lives: its twin holds both.
    return ("code", id(f.__code__), id(f.__globals__), tuple(cells),
            _content_key(f.__defaults__, identities),
            _content_key(f.__kwdefaults__ and tuple(sorted(f.__kwdefaults__.items())), identities),
            _globals_key(f, identities))


class _CodeEntry:
    """A cached value for bodies of given code and contents, and their twins."""

    def __init__(self, functions: tuple, build: Callable, forget: Callable) -> None:
        self.lock = threading.RLock()
        self.twins: list[tuple[int, types.FunctionType]] = []
        self.refs: list = []
        callers = []
        for k, f in enumerate(functions):
            if type(f) is types.FunctionType:
                twin = types.FunctionType(f.__code__, f.__globals__, f.__name__, None,
                                          tuple(types.CellType() for _ in f.__closure__ or ()))
                twin.__qualname__, twin.__module__ = f.__qualname__, f.__module__
                self.twins.append((k, twin))
                callers.append(twin)
            else:
                ref = _weak(f, forget)
                self.refs.append(ref)
                callers.append(_caller(ref))
        self.value = build(*callers)

    def bind(self, functions: tuple) -> "_Bound":
        return _Bound(self, functions)


class _Bound:
    """The twins of an entry holding the given functions' contents, inside ``with``."""

    __slots__ = ("entry", "functions")

    def __init__(self, entry: _CodeEntry, functions: tuple) -> None:
        self.entry, self.functions = entry, functions

    def __enter__(self) -> Any:
        entry = self.entry
        entry.lock.acquire()
        try:
            for k, twin in entry.twins:
                f = self.functions[k]
                for mine, theirs in zip(twin.__closure__ or (), f.__closure__ or ()):
                    try:
                        mine.cell_contents = theirs.cell_contents
                    except ValueError:
                        pass  # still unbound: the twin's cell stays empty
                twin.__defaults__, twin.__kwdefaults__ = f.__defaults__, f.__kwdefaults__
        except BaseException:
            self.__exit__()
            raise
        return entry.value

    def __exit__(self, *exc: Any) -> None:
        entry = self.entry
        try:
            for _, twin in entry.twins:  # hold nothing of the user's between calls
                for cell in twin.__closure__ or ():
                    try:
                        del cell.cell_contents
                    except ValueError:
                        pass
                twin.__defaults__ = twin.__kwdefaults__ = None
        finally:
            entry.lock.release()


def _by_code(functions: tuple, settings: tuple, build: Callable) -> "_Bound | None":
    """The code entry for ``functions``; ``None`` when one of them, or a value
    in the key compared by identity, cannot be held weakly: such bodies are
    cached by identity (an entry could otherwise keep it alive)."""
    identities: list = []
    key = (settings, tuple(_function_key(f, identities) for f in functions))
    if not all(_weakable(obj) for obj in identities):
        return None
    with _CODE_LOCK:
        entry = CODE_CACHE.get(key)
        if entry is not None:
            CODE_CACHE.move_to_end(key)
    if entry is None:
        def forget(_ref: Any, key: tuple = key) -> None:
            with _CODE_LOCK:
                CODE_CACHE.pop(key, None)

        entry = _CodeEntry(functions, build, forget)
        # An entry lives as long as every object its key names by identity.
        entry.refs += [weakref.ref(obj, forget) for obj in identities]
        with _CODE_LOCK:
            CODE_CACHE[key] = entry
            while len(CODE_CACHE) > _CODE_CACHE_SIZE:
                CODE_CACHE.popitem(last=False)  # the least recently used
    return entry.bind(functions)


def _weakable(obj: Any) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True
