"""A tqdm progress bar advanced from inside a compiled loop by host callbacks."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
from jax import lax

__all__ = ["Progress", "ProgressBar", "check_progress_bar", "progress_for"]


@dataclasses.dataclass(frozen=True)
class ProgressBar:
    """Settings of a loop's progress bar: ``progress_bar=bm.ProgressBar(...)``.

    Give at most one of ``freq`` (advance the bar every ``freq`` steps) and
    ``count`` (advance it about ``count`` times in all); by default it is
    advanced about 100 times. ``desc`` labels the bar. ``progress_bar=True``
    means ``ProgressBar()``.

    Raises:
        ValueError: both ``freq`` and ``count`` given, or one not positive.
        TypeError: ``freq`` / ``count`` not an int, ``desc`` not a string.

    Example:
        >>> import brainobj.math as bm
        >>> out = bm.for_loop(lambda x: x * 2, bm.arange(4.), progress_bar=bm.ProgressBar(freq=2))
        >>> out
        Array([0., 2., 4., 6.], dtype=float32)
    """

    freq: int | None = None
    count: int | None = None
    desc: str | None = None

    def __post_init__(self) -> None:
        for what in ("freq", "count"):
            value = getattr(self, what)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"bm.ProgressBar: {what} must be an int, got {value!r:.40}.")
            if value < 1:
                raise ValueError(f"bm.ProgressBar: {what} must be at least 1, got {value}.")
        if self.freq is not None and self.count is not None:
            raise ValueError("bm.ProgressBar: give freq or count, not both "
                             f"(got freq={self.freq}, count={self.count}).")
        if self.desc is not None and not isinstance(self.desc, str):
            raise TypeError(f"bm.ProgressBar: desc must be a string, got {self.desc!r:.40}.")


def check_progress_bar(owner: str, progress_bar: Any) -> ProgressBar | None:
    """``progress_bar`` (False, True or a :class:`ProgressBar`) as settings or ``None``.

    Raises:
        TypeError: anything else (a string, a number, a tqdm bar).
    """
    if progress_bar is False or progress_bar is None:
        return None
    if progress_bar is True:
        return ProgressBar()
    if isinstance(progress_bar, ProgressBar):
        return progress_bar
    raise TypeError(f"{owner}: progress_bar must be True, False or a bm.ProgressBar, got "
                    f"{type(progress_bar).__name__} {progress_bar!r:.40}.")


def progress_for(settings: ProgressBar | None, total: int, desc: str) -> "Progress | None":
    """The :class:`Progress` for a loop of ``total`` steps, or ``None``."""
    if settings is None:
        return None
    return Progress(total, desc=settings.desc or desc, updates=settings.count or 100,
                    every=settings.freq)


class Progress:
    """A tqdm bar advanced from inside a compiled loop, ~``updates`` times in all.

    The bar is opened by the first host callback of a run and closed by the
    last, not at trace time: a loop compiled once (inside ``bm.jit``, say)
    shows a fresh, complete bar on every run.
    """

    def __init__(self, total: int, desc: str = "for_loop", updates: int = 100,
                 every: int | None = None) -> None:
        self.total = total
        self.desc = desc
        self.every = every if every is not None else max(1, total // updates)
        self.bar = None

    def _advance(self, done: Any) -> None:
        done = int(done)
        if self.bar is not None and done <= self.bar.n:  # a new run after a failed one
            self.close()
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=self.desc)
        self.bar.update(done - self.bar.n)
        if done >= self.total:
            self.close()

    def report(self, step: jax.Array, reverse: bool) -> None:
        done = self.total - step if reverse else step + 1
        due = (done % self.every == 0) | (done == self.total)
        lax.cond(due, lambda d: jax.debug.callback(self._advance, d, ordered=True),
                 lambda d: None, done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
