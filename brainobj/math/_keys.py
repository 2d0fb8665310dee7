"""Hashable summaries of static (non-state) values, for compiled-function keys.

Static attributes and static arguments are part of a compiled function's
cache key, but users store all kinds of things there (lists of sizes, config
dicts, functions, numpy scalars). :func:`canonical` turns a value into
something hashable that compares equal exactly when the value is equal,
keeping types apart (``1``, ``1.0`` and ``True`` differ) and NaNs equal to
themselves.

Values that only compare by identity (functions, plain objects, anything
unhashable) are keyed by identity through a *weak* reference wherever Python
allows one: a cache key must never keep a model alive -- a static attribute
``self.act = lambda y: y * self.gain`` closes over its model. The caller
learns of such values (``identities``) so it can drop the entry once they die.
"""

from __future__ import annotations

import types
import weakref
from typing import Any

__all__ = ["canonical", "ByIdentity"]


class ByIdentity:
    """Stands for a value compared by identity; holds it weakly when it can."""

    __slots__ = ("_ref", "_id")

    def __init__(self, obj: Any) -> None:
        try:
            self._ref = weakref.ref(obj)
        except TypeError:
            self._ref = lambda obj=obj: obj  # strong: Python cannot refer to it weakly
        self._id = id(obj)

    def get(self) -> Any:
        """The value, or ``None`` once it died."""
        return self._ref()

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, ByIdentity) or other._id != self._id:
            return False
        obj = self._ref()
        return obj is not None and obj is other._ref()

    def __hash__(self) -> int:
        return self._id

    def __repr__(self) -> str:
        obj = self._ref()
        return f"<{type(obj).__name__} at {self._id:#x}>" if obj is not None else "<dead>"


def _compared_by_identity(kind: type) -> bool:
    return kind.__hash__ is object.__hash__ and kind.__eq__ is object.__eq__


def canonical(value: Any, identities: list | None = None) -> Any:
    """A hashable key equal for equal values; see the module notes.

    Values keyed by identity are appended to ``identities`` when given.
    """
    kind = type(value)
    if kind is float:
        return (float, repr(value))
    if kind in (int, str, bool, bytes, type(None)):
        return (kind, value)
    if isinstance(value, (list, tuple)):
        return (kind, tuple(canonical(v, identities) for v in value))
    if isinstance(value, dict):
        return (kind, tuple((canonical(k, identities), canonical(v, identities))
                            for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return (kind, frozenset(canonical(v, identities) for v in value))
    if kind is types.MethodType:  # `self.act = self._relu`: keyed by function and instance
        return (kind, canonical(value.__func__, identities),
                canonical(value.__self__, identities))
    if not isinstance(value, type) and _compared_by_identity(kind):
        return _identity(value, identities)
    try:
        hash(value)
    except TypeError:
        return _identity(value, identities)
    return (kind, value)


def _identity(value: Any, identities: list | None) -> ByIdentity:
    if identities is not None:
        identities.append(value)
    return ByIdentity(value)
