"""``MathError``: the one exception brainobj raises for misuse of its state."""

from __future__ import annotations

__all__ = ["MathError"]


class MathError(ValueError):
    """A misuse of brainobj's Variables, objects or transforms.

    The message names the Variable or object at fault (``'Linear0.W'``) and
    says what to do instead. Raised before anything changed: after it, every
    Variable holds the value it had before the failing call.
    """
