"""Comparable, hashable summaries of static (non-state) attribute values.

Static attributes are part of a compiled function's cache key, but users
store all kinds of things there (lists of sizes, config dicts, functions,
numpy scalars). :func:`canonical` turns a value into something hashable that
compares equal exactly when the value is equal, keeping types apart (``1``,
``1.0`` and ``True`` differ) and NaNs equal to themselves.
"""

from __future__ import annotations

from typing import Any


class _ByIdentity:
    """Stands for an unhashable value that is compared by identity."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _ByIdentity) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __repr__(self) -> str:
        return f"<{type(self.obj).__name__} at {id(self.obj):#x}>"


def canonical(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return (float, repr(value))
    if kind in (list, tuple) or isinstance(value, (list, tuple)):
        return (kind, tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return (kind, tuple((canonical(k), canonical(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return (kind, frozenset(canonical(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return _ByIdentity(value)
    return (kind, value)
