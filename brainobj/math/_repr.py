"""``repr`` of objects: the object tree with each Variable's kind, dtype and shape.

``Linear(W=TrainVar(f32[3,2]), b=TrainVar(f32[2]))`` on one line when it
fits, else one attribute per line, nested objects indented. What is shown
of an object: the arguments it describes itself by (``_repr_args``, e.g. a
layer's sizes), then every public attribute that holds state (Variables,
objects, containers of them). Arrays are compact, never their values. A
Variable or object reached a second time is shown as ``<shared: path>``
(the path where it was printed), one on the way down from itself as
``<cycle: path>``; containers longer than :data:`MAX_ITEMS` and trees
deeper than :data:`MAX_DEPTH` are cut with a count.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ._containers import ObservedDict, ObservedList
from ._graph import holds_state, is_node, own_attributes
from ._variable import Variable

__all__ = ["object_repr", "treescope_object", "MAX_ITEMS", "MAX_DEPTH", "WIDTH"]

MAX_ITEMS = 12     # items of a container shown before "... (n more)"
MAX_DEPTH = 24     # objects nested deeper are shown as "Type(...)"
WIDTH = 100        # a subtree that fits on one line in this width is printed on one

_SHORT = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16",
          "int32": "i32", "int64": "i64", "int16": "i16", "int8": "i8", "uint8": "u8",
          "uint32": "u32", "uint64": "u64", "uint16": "u16", "bool": "bool",
          "complex64": "c64", "complex128": "c128"}


def array_text(value: Any) -> str:
    """``f32[3,2]``: an array's dtype and shape, never its values."""
    try:
        dtype = np.dtype(value.dtype).name
    except TypeError:
        dtype = str(value.dtype)
    return f"{_SHORT.get(dtype, dtype)}[{','.join(map(str, value.shape))}]"


class _Block:
    """``head(item, item, ...)tail``: printed on one line when it fits."""

    __slots__ = ("head", "items", "tail")

    def __init__(self, head: str, items: list, tail: str) -> None:
        self.head, self.items, self.tail = head, items, tail


def _flat(part: Any) -> str:
    if isinstance(part, str):
        return part
    return part.head + ", ".join(_flat(i) for i in part.items) + part.tail


def _lines(part: Any, indent: int, out: list[str], prefix: str = "") -> None:
    pad = "  " * indent
    if isinstance(part, str):
        out.append(pad + prefix + part)
        return
    flat = _flat(part)
    if len(pad) + len(prefix) + len(flat) <= WIDTH or not part.items:
        out.append(pad + prefix + flat)
        return
    out.append(pad + prefix + part.head)
    for item in part.items:
        _lines(item, indent + 1, out)
        if not (isinstance(item, str) and item.startswith("... (")):
            out[-1] += ","
    out.append(pad + part.tail)


class _Renderer:
    def __init__(self) -> None:
        self.printed: dict[int, str] = {}   # id -> where it was printed
        self.open: dict[int, str] = {}      # objects on the current path

    def value(self, value: Any, path: str, depth: int) -> Any:
        if isinstance(value, Variable):
            key = id(value)
            if key in self.printed:
                return f"<shared: {self.printed[key]}>"
            self.printed[key] = path
            return f"{type(value).__name__}({array_text(value._value)})"
        if is_node(value):
            return self.node(value, path, depth)
        if isinstance(value, dict):
            items = list(value.items())
            parts = [self._labelled(f"{k!r}: ", self.value(v, f"{path}[{k!r}]", depth))
                     for k, v in items[:MAX_ITEMS]]
            return _Block("{", parts + self._more(len(items)), "}")
        if isinstance(value, (list, tuple)):
            parts = [self.value(v, f"{path}[{i}]", depth) for i, v in enumerate(value[:MAX_ITEMS])]
            open_, close = ("[", "]") if isinstance(value, list) else ("(", ",)" if len(value) == 1 else ")")
            return _Block(open_, parts + self._more(len(value)), close)
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            return array_text(value)
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."

    def node(self, obj: Any, path: str, depth: int) -> Any:
        key, kind = id(obj), type(obj).__name__
        if key in self.open:
            return f"<cycle: {self.open[key]}>"
        if key in self.printed:
            return f"<shared: {self.printed[key]}>"
        self.printed[key] = path
        if depth >= MAX_DEPTH:
            return f"{kind}(...)"
        self.open[key] = path
        try:
            describe = getattr(obj, "_repr_args", None)
            args = list(describe() if describe is not None else _field_args(obj))
            hidden = _hidden_fields(obj)
            for attr, value in _in_field_order(obj, own_attributes(obj)):
                if attr.startswith("_") or attr in hidden or not holds_state(value):
                    continue
                child = self.value(value, f"{path}.{attr}", depth + 1)
                args.append(self._labelled(f"{attr}=", child))
        finally:
            del self.open[key]
        return _Block(f"{kind}(", args, ")")

    @staticmethod
    def _labelled(label: str, part: Any) -> Any:
        if isinstance(part, str):
            return label + part
        return _Block(label + part.head, part.items, part.tail)

    @staticmethod
    def _more(n: int) -> list:
        return [f"... ({n - MAX_ITEMS} more)"] if n > MAX_ITEMS else []


def _hidden_fields(obj: Any) -> frozenset:
    if not dataclasses.is_dataclass(obj):
        return frozenset()
    return frozenset(f.name for f in dataclasses.fields(obj) if not f.repr)


def _in_field_order(obj: Any, items: Any) -> list:
    """A declared object's fields in declaration order, then its other attributes."""
    items = list(items)
    if not dataclasses.is_dataclass(obj):
        return items
    rank = {f.name: i for i, f in enumerate(dataclasses.fields(obj))}
    return sorted(items, key=lambda item: rank.get(item[0], len(rank)))


def _field_args(obj: Any) -> list[str]:
    """A declared object's plain fields, ``size=3``; fields holding state come later."""
    if not dataclasses.is_dataclass(obj):
        return []
    args = []
    for spec in dataclasses.fields(obj):
        name = spec.name
        if not spec.repr:
            continue
        value = obj.__dict__.get(name, spec)
        if value is spec or holds_state(value):
            continue
        text = repr(value) if not (hasattr(value, "shape") and hasattr(value, "dtype")) else array_text(value)
        args.append(f"{name}={text if len(text) <= 40 else text[:37] + '...'}")
    return args


def object_repr(obj: Any) -> str:
    """The tree text of an object (see the module notes).

    Raises nothing that ``repr`` of an attribute's key would not.
    """
    name = getattr(obj, "name", type(obj).__name__)
    out: list[str] = []
    _lines(_Renderer().node(obj, name, 0), 0, out)
    return "\n".join(out)


def treescope_object(obj: Any, path: str | None, subtree_renderer: Any) -> Any:
    """A treescope rendering of an object: its public attributes, constructor style.

    Observed lists and dicts show as the plain lists and dicts the user
    stored; treescope itself marks shared values and cuts cycles.

    Raises nothing (treescope calls it).
    """
    from treescope import repr_lib  # only treescope calls this, so it is installed

    hidden = _hidden_fields(obj)
    attributes = {attr: _plain(value) for attr, value in own_attributes(obj)
                  if not attr.startswith("_") and attr not in hidden}
    return repr_lib.render_object_constructor(
        object_type=type(obj), attributes=attributes, path=path, subtree_renderer=subtree_renderer)


def _plain(value: Any) -> Any:
    # Only brainobj's own copies; a VarList or NodeDict the user chose keeps its type.
    if type(value) is ObservedDict:
        return dict(value)
    if type(value) is ObservedList:
        return list(value)
    return value
