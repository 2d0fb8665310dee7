"""A tqdm progress bar advanced from inside a compiled loop by host callbacks."""

from __future__ import annotations

from typing import Any

import jax
from jax import lax

class Progress:
    """A tqdm bar advanced from inside a compiled loop, ~``updates`` times in all.

    The bar is opened by the first host callback of a run and closed by the
    last, not at trace time: a loop compiled once (inside ``bm.jit``, say)
    shows a fresh, complete bar on every run.
    """

    def __init__(self, total: int, desc: str = "for_loop", updates: int = 100) -> None:
        self.total = total
        self.desc = desc
        self.every = max(1, total // updates)
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
