"""``bp.share``: values every model reads at the current step (``t``, ``dt``, ``i``).

BrainPy's models read the time of the step being computed from one shared
place (``bp.share.load('t')``) instead of taking it as an argument; the
runner writes it before each step. Values live per thread, so two threads
simulating two models do not see each other's time. Inside a compiled loop
the runner saves traced values with :meth:`Share.context`, which puts the
previous values back when the step's trace ends, so no tracer outlives it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

import brainobj.math as bm

__all__ = ["Share", "share"]

_MISSING = object()


class Share:
    """The shared step values: ``bp.share.save(t=...)``, ``bp.share.load('t')``.

    ``dt`` falls back to ``bm.get_dt()`` when no runner saved one.

    Raises:
        KeyError: :meth:`load` of a key nobody saved, without a default.

    Example:
        >>> import brainobj as bp
        >>> with bp.share.context(t=1.5):
        ...     bp.share.load('t'), bp.share.load('dt')
        (1.5, 0.1)
        >>> bp.share.load('t', None) is None
        True
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def _values(self) -> dict:
        values = getattr(self._local, "values", None)
        if values is None:
            values = self._local.values = {}
        return values

    def load(self, key: str, value: Any = _MISSING, desc: str | None = None) -> Any:
        """The value saved under ``key`` (``dt``: ``bm.get_dt()`` if none), else ``value``.

        Raises:
            KeyError: ``key`` was never saved and no default ``value`` is given.
        """
        values = self._values()
        if key in values:
            return values[key]
        if key == "dt":
            return bm.get_dt()
        if value is not _MISSING:
            return value
        hint = f" ({desc})" if desc else ""
        raise KeyError(
            f"bp.share has no {key!r}{hint}: it is saved by bp.Runner at each step. Run the "
            f"model with bp.Runner, or save it yourself: bp.share.save({key}=...)."
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save values: ``save(t=0.1, i=1)`` or ``save('t', 0.1)``.

        Raises:
            TypeError: positional arguments that are not ``key, value`` pairs.
        """
        if len(args) % 2:
            raise TypeError(f"bp.share.save: positional arguments come in (key, value) pairs; "
                            f"got {len(args)} of them.")
        values = self._values()
        values.update(zip(args[::2], args[1::2]))
        values.update(kwargs)

    @contextlib.contextmanager
    def context(self, **kwargs: Any) -> Iterator[None]:
        """Save ``kwargs`` for the duration of a ``with`` block, then put back what was there.

        Raises nothing.
        """
        values = self._values()
        before = {key: values.get(key, _MISSING) for key in kwargs}
        values.update(kwargs)
        try:
            yield
        finally:
            for key, old in before.items():
                if old is _MISSING:
                    values.pop(key, None)
                else:
                    values[key] = old

    def clear_shargs(self, *keys: str) -> None:
        """Forget the given keys, or every key when none is given.

        Raises nothing.
        """
        values = self._values()
        for key in keys or list(values):
            values.pop(key, None)

    def get_shargs(self) -> dict:
        """A copy of every saved value.

        Raises nothing.
        """
        return dict(self._values())

    @property
    def dt(self) -> float:
        """The step size: the saved ``dt``, else ``bm.get_dt()``."""
        return self.load("dt")

    def __getitem__(self, key: str) -> Any:
        return self.load(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.save(**{key: value})


share = Share()
