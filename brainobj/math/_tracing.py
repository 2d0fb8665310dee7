"""The record of the transforms tracing right now, one stack per thread.

While a brainobj transform traces a function, it pushes a :class:`TraceFrame`
on the calling thread's stack (:func:`tracing`). The frame is where the
Variables' *traced* values live: a transform binds its tracers to the
Variables it feeds (:meth:`TraceFrame.bind`), reads of ``var.value`` look the
Variable up in the frames of this thread (innermost first) before falling
back to the box, and writes go to the innermost frame. Live boxes
(``var._value``) are therefore only ever assigned concrete arrays, after a
transform returned: no tracer can reach a live object, and another thread
reading the same Variable meanwhile sees its concrete value.

Each frame also records which Variables were read before being written
(``reads``: the inputs the transform must feed) and which were written
(``writes``: its outputs). When a frame ends, what it touched is passed on
to the enclosing frame, so an outer transform treats the Variables of an
inner one as its own.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

__all__ = ["TraceFrame", "tracing", "frames", "in_transform", "current_frame"]

_TOKENS = itertools.count(1)


class _ThreadState(threading.local):
    """Per-thread: the stack of frames, and the plan a compiled call runs."""

    def __init__(self) -> None:
        self.frames: list[TraceFrame] = []
        self.binding: Any = None


THREAD = _ThreadState()


def frames() -> list["TraceFrame"]:
    """This thread's frames, outermost first (empty outside transforms)."""
    return THREAD.frames


def in_transform() -> bool:
    """Whether a brainobj transform is tracing in this thread right now.

    Raises nothing.

    Example:
        >>> import brainobj.math as bm
        >>> bm.in_transform()
        False
        >>> seen = []
        >>> bm.jit(lambda: seen.append(bm.in_transform()))()
        >>> seen[-1]
        True
    """
    return bool(THREAD.frames)


def current_frame() -> "TraceFrame | None":
    stack = THREAD.frames
    return stack[-1] if stack else None


class TraceFrame:
    """What one tracing transform has seen of the Variables.

    ``values`` maps ``id(var)`` to ``(var, value)`` for the Variables whose
    value in this frame differs from the enclosing one (bound inputs and
    writes); ``reads`` holds the Variables read before this frame wrote them;
    ``writes`` the Variables written. ``token`` identifies the frame to
    objects created while it is active (they may be modified inside it).
    """

    __slots__ = ("owner", "values", "reads", "writes", "token")

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.values: dict[int, tuple[Any, Any]] = {}
        self.reads: dict[int, Any] = {}
        self.writes: dict[int, Any] = {}
        self.token = next(_TOKENS)

    def bind(self, var: Any, value: Any) -> None:
        """Make ``value`` (a tracer, usually) what ``var`` holds inside this frame."""
        self.values[id(var)] = (var, value)

    def read(self, var: Any) -> Any:
        """``var``'s current value for code running in this frame; recorded."""
        key = id(var)
        if key not in self.writes and key not in self.reads:
            self.reads[key] = var
        return lookup(var)

    def write(self, var: Any, value: Any) -> None:
        key = id(var)
        self.values[key] = (var, value)
        if key not in self.writes:
            self.writes[key] = var

    def note(self, reads: Iterable[Any], writes: Iterable[Any]) -> None:
        """Record the effect of an already-compiled inner transform."""
        for var in reads:
            key = id(var)
            if key not in self.writes and key not in self.reads:
                self.reads[key] = var
        for var in writes:
            self.writes.setdefault(id(var), var)

    def merge_into(self, parent: "TraceFrame") -> None:
        """Pass what a nested transform touched on to the enclosing one.

        Values are not passed on: the nested transform writes its results
        into the enclosing frame itself, once its JAX primitive returned.
        """
        parent.note(self.reads.values(), self.writes.values())


def lookup(var: Any) -> Any:
    """``var``'s value as code in this thread sees it: the innermost frame
    binding it, else the box. Records nothing."""
    key = id(var)
    for frame in reversed(THREAD.frames):
        bound = frame.values.get(key)
        if bound is not None:
            return bound[1]
    return var._value


@contextmanager
def tracing(owner: str, bind: Iterable[tuple[Any, Any]] = (), *,
            isolated: bool = False) -> Iterator[TraceFrame]:
    """The one way a transform runs user code: inside a frame of this thread.

    ``bind`` gives ``(variable, value)`` pairs the code sees in place of the
    boxes' values. When the block ends -- normally or by an exception -- the
    frame is removed; its bindings vanish with it, and what it read and
    wrote is passed on to the enclosing frame unless ``isolated``.
    """
    frame = TraceFrame(owner)
    for var, value in bind:
        frame.values[id(var)] = (var, value)
    stack = THREAD.frames
    stack.append(frame)
    try:
        yield frame
    finally:
        popped = stack.pop()
        assert popped is frame, "brainobj: unbalanced trace frames"
        if stack and not isolated:
            frame.merge_into(stack[-1])
