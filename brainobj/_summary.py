"""``bp.summary``: a model's Variables, sizes and layer outputs as a table.

Plain text, so it prints anywhere (a terminal, a log, a notebook); with the
optional ``rich`` package, :meth:`Summary.show` (or ``rich.print``) draws it
as a rich table. The rows are also data (:attr:`Summary.rows`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np

from . import math as bm
from .layers._base import OUTPUTS

__all__ = ["summary", "Summary", "SummaryRow"]


class SummaryRow(NamedTuple):
    """One line of a :class:`Summary`: an object (its subtree's totals) or a Variable."""

    path: str      # relative path from the summarized object ('' is the object itself)
    type: str      # the object's class, or the Variable's kind (TrainVar, Variable, ...)
    shape: str     # a Variable's shape, or a layer's output shape ('' if unknown)
    dtype: str
    params: int    # trainable elements (TrainVar) in this Variable / subtree
    bytes: int     # bytes of every Variable in this Variable / subtree
    is_variable: bool


class Summary:
    """The table :func:`summary` returns; ``str()`` (and ``print``) renders it.

    Attributes:
        rows: the :class:`SummaryRow` s: each object (keyed as ``nodes()``
            keys it), its own Variables, then its sub-objects, depth first.
        totals: ``{kind: (elements, bytes)}`` per Variable kind, plus
            ``'trainable'``, ``'other'`` and ``'total'``.
        output: the shapes of the whole object's output, when example
            inputs were given.

    Raises nothing.
    """

    def __init__(self, name: str, rows: list[SummaryRow], totals: dict, output: Any) -> None:
        self.name = name
        self.rows = rows
        self.totals = totals
        self.output = output

    _HEADER = ("path", "type", "shape / output", "dtype", "params", "bytes")
    _RIGHT = frozenset({4, 5})  # numeric columns

    def _body(self) -> list[tuple[str, ...]]:
        return [(("  " if r.is_variable else "") + (r.path or f"({self.name})"),
                 r.type, r.shape, r.dtype, f"{r.params:,}", _size(r.bytes)) for r in self.rows]

    def _footer(self) -> list[str]:
        t = self.totals
        out = [f"trainable: {t['trainable'][0]:,} params ({_size(t['trainable'][1])})   "
               f"other state: {t['other'][0]:,} elements ({_size(t['other'][1])})   "
               f"total: {_size(t['total'][1])}"]
        if self.output is not None:
            out.append(f"output: {self.output}")
        return out

    def __str__(self) -> str:
        header, body = self._HEADER, self._body()
        widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(header)]

        def line(cells: tuple) -> str:
            return "  ".join(c.rjust(w) if i in self._RIGHT else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        rule = "-" * len(line(header))
        return "\n".join([line(header), rule, *(line(row) for row in body), rule, *self._footer()])

    def __rich__(self) -> Any:
        """The same table as a ``rich.table.Table`` (rich's protocol: ``rich.print(s)``).

        Needs the optional ``rich`` package (``pip install brainobj[display]``).

        Raises:
            ImportError: rich is not installed.
        """
        from rich.table import Table

        table = Table(title=f"{self.name}", caption="\n".join(self._footer()), caption_justify="left")
        for i, h in enumerate(self._HEADER):
            table.add_column(h, justify="right" if i in self._RIGHT else "left")
        for row, cells in zip(self.rows, self._body()):
            table.add_row(*cells, style=None if row.is_variable else "bold")
        return table

    def show(self) -> None:
        """Print the table: with rich's formatting when rich is installed, else as plain text.

        Raises nothing.

        Example:
            >>> import contextlib, io, brainobj as bp
            >>> with contextlib.redirect_stdout(io.StringIO()) as out:
            ...     bp.summary(bp.Linear(2, 3)).show()
            >>> 'trainable: 9 params' in out.getvalue()
            True
        """
        try:
            import rich
        except ImportError:
            print(self)
            return
        rich.print(self)

    __repr__ = __str__


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # unreachable


def _shapes(tree: Any) -> str:
    leaves = jax.tree.leaves(tree)
    text = [f"{np.dtype(x.dtype).name}{list(x.shape)}" for x in leaves if hasattr(x, "shape")]
    return text[0] if len(text) == 1 else "(" + ", ".join(text) + ")"


def summary(obj: Any, *example_inputs: Any, **example_kwargs: Any) -> Summary:
    """A table of ``obj``'s objects and Variables: path, type, shape, dtype,
    trainable parameter count and bytes, with totals per Variable kind.

    Each object's row sums its subtree; a Variable reached by several
    paths counts once (where ``vars()`` lists it). With example inputs,
    ``obj(*example_inputs)`` is traced with :func:`brainobj.math.eval_shape`
    -- nothing runs, no Variable changes -- and every ``bp.Layer`` called
    shows its output shape. Inputs may be arrays or ``jax.ShapeDtypeStruct``.

    Args:
        obj: a :class:`~brainobj.BrainPyObject`.
        *example_inputs: arguments to call ``obj`` with (optional).
        **example_kwargs: keyword arguments to call it with.

    Returns:
        A :class:`Summary`; ``print`` it, or read ``.rows`` / ``.totals``.

    Raises:
        TypeError: ``obj`` is not a ``BrainPyObject``.
        Exception: whatever calling ``obj`` on the example inputs raises
            (nothing changes: the call is only traced).

    Example:
        >>> import brainobj as bp, brainobj.math as bm
        >>> net = bp.Sequential(bp.Linear(3, 4), bm.relu, bp.Linear(4, 2))
        >>> table = bp.summary(net, bm.ones((8, 3)))
        >>> trainable = table.totals['trainable']
        >>> trainable[0] == sum(v.size for v in net.train_vars().values())
        True
        >>> table.output
        'float32[8, 2]'
    """
    if not isinstance(obj, bm.BrainPyObject):
        raise TypeError(f"bp.summary: expected a BrainPyObject, got {type(obj).__name__}.")
    nodes = obj.nodes(method="relative")
    variables = obj.vars(method="relative")
    output, seen = None, {}
    if example_inputs or example_kwargs:
        OUTPUTS.seen = seen
        try:
            output = _shapes(bm.eval_shape(obj, *example_inputs, **example_kwargs))
        finally:
            OUTPUTS.seen = None
    node_paths = sorted(nodes, key=len, reverse=True)

    def owner(key: str) -> str:
        return next(p for p in node_paths if p == "" or key == p or key.startswith(p + "."))

    own: dict[str, list] = {p: [] for p in nodes}
    for key, var in variables.items():
        own[owner(key)].append((key, var))
    sizes = {key: (var.size if isinstance(var, bm.TrainVar) else 0,
                   var.size * np.dtype(var.dtype).itemsize) for key, var in variables.items()}

    # Depth first: each object right after its parent, siblings in nodes() order.
    order = {p: i for i, p in enumerate(nodes)}

    def lineage(path: str) -> tuple:
        parts = path.split(".") if path else []
        prefixes = [".".join(parts[:i]) for i in range(len(parts) + 1)]
        return tuple(order[p] for p in prefixes if p in order)

    rows: list[SummaryRow] = []
    for path in sorted(nodes, key=lineage):
        node = nodes[path]
        inside = [k for k in variables if path == "" or k == path or k.startswith(path + ".")]
        shown = _shapes(seen[id(node)]) if id(node) in seen else ""
        rows.append(SummaryRow(path, type(node).__name__, shown, "",
                               sum(sizes[k][0] for k in inside), sum(sizes[k][1] for k in inside),
                               False))
        for key, var in own[path]:
            rows.append(SummaryRow(key, type(var).__name__, str(list(var.shape)),
                                   np.dtype(var.dtype).name, sizes[key][0], sizes[key][1], True))
    totals: dict[str, tuple[int, int]] = {}
    for key, var in variables.items():
        kind = type(var).__name__
        n, b = totals.get(kind, (0, 0))
        totals[kind] = (n + var.size, b + sizes[key][1])
    trainable = [k for k, v in variables.items() if isinstance(v, bm.TrainVar)]
    others = [k for k in variables if k not in set(trainable)]
    totals["trainable"] = (sum(variables[k].size for k in trainable), sum(sizes[k][1] for k in trainable))
    totals["other"] = (sum(variables[k].size for k in others), sum(sizes[k][1] for k in others))
    totals["total"] = (totals["trainable"][0] + totals["other"][0],
                       totals["trainable"][1] + totals["other"][1])
    return Summary(getattr(obj, "name", type(obj).__name__), rows, totals, output)
