"""Global bookkeeping shared by Variables, objects and transforms.

Two pieces of state live here and nowhere else:

* ``STRUCTURE.version``: a counter bumped whenever the *structure* of any
  object changes (an attribute is set or deleted, an observed container is
  mutated). A transform's fast path compares it with the version its cached
  plan was built at; a mismatch sends the call down the slow path, which
  re-checks the structure. Variable *values* never bump it.
* ``TRACE_FRAMES``: one :class:`TraceFrame` per transform that is currently
  tracing. Reads and writes of Variables are recorded in the innermost frame
  so the transform learns which Variables the function touches; the frame
  also remembers each Variable's value from before the trace so it can be
  restored whatever happens (no tracer ever stays in a live Variable).
"""

from __future__ import annotations

from typing import Any


class _StructureVersion:
    __slots__ = ("version",)

    def __init__(self) -> None:
        self.version = 0


STRUCTURE = _StructureVersion()


def bump_structure_version() -> None:
    STRUCTURE.version += 1


def FUNCTIONAL_COPY() -> None:
    """The ``_owner`` of a Variable rebuilt by ``tree_unflatten``.

    JAX rebuilds a Variable it flattened (``jnp.where(v, ...)`` passes ``v``
    through an inner ``jax.jit``; ``jax.grad`` over an object argument) as a
    new box holding the inner transform's tracer. Such a copy is a value, not
    state: frames ignore its reads and writes. Like a dead weakref, calling
    it gives ``None``.
    """
    return None


class TraceFrame:
    """What one tracing transform has seen of the Variables.

    ``reads`` holds Variables read before this frame wrote them (they must be
    inputs of the traced function); ``writes`` holds Variables written (they
    are outputs); ``saved`` maps each Variable whose box was changed during the
    frame to its value from before, for :meth:`restore`.
    """

    __slots__ = ("reads", "writes", "saved", "owner")

    def __init__(self, owner: str = "transform") -> None:
        self.reads: dict[int, Any] = {}
        self.writes: dict[int, Any] = {}
        self.saved: dict[int, tuple[Any, Any]] = {}
        self.owner = owner

    def record_read(self, var: Any) -> None:
        if var._owner is FUNCTIONAL_COPY:
            return
        key = id(var)
        if key not in self.writes and key not in self.reads:
            self.reads[key] = var

    def record_write(self, var: Any) -> None:
        if var._owner is FUNCTIONAL_COPY:
            return
        key = id(var)
        if key not in self.saved:
            self.saved[key] = (var, var._value)
        if key not in self.writes:
            self.writes[key] = var

    def swap_in(self, var: Any, value: Any) -> None:
        """Put ``value`` (usually a tracer) in ``var``, remembering the old one."""
        key = id(var)
        if key not in self.saved:
            self.saved[key] = (var, var._value)
        var._value = value

    def note(self, reads, writes) -> None:
        """Record the effect of an already-compiled inner transform."""
        for var in reads:
            self.record_read(var)
        for var in writes:
            self.record_write(var)

    def restore(self) -> None:
        for var, value in self.saved.values():
            var._value = value

    def merge_into(self, parent: "TraceFrame") -> None:
        """Pass what a nested transform touched on to the enclosing one."""
        for var in self.reads.values():
            parent.record_read(var)
        for var in self.writes.values():
            key = id(var)
            if key not in parent.saved and key in self.saved:
                parent.saved[key] = self.saved[key]
            if key not in parent.writes:
                parent.writes[key] = var


TRACE_FRAMES: list[TraceFrame] = []


def push_frame(owner: str = "transform") -> TraceFrame:
    frame = TraceFrame(owner)
    TRACE_FRAMES.append(frame)
    return frame


def pop_frame(frame: TraceFrame) -> None:
    """Remove ``frame`` (the innermost), restore its Variables, inform the parent."""
    assert TRACE_FRAMES and TRACE_FRAMES[-1] is frame, "unbalanced trace frames"
    TRACE_FRAMES.pop()
    frame.restore()
    if TRACE_FRAMES:
        frame.merge_into(TRACE_FRAMES[-1])


def in_transform() -> bool:
    """Whether a brainobj transform is tracing right now."""
    return bool(TRACE_FRAMES)
