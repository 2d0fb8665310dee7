"""Butcher tableaux of the explicit Runge-Kutta methods, as data.

The coefficients are BrainPy's (``brainpy/integrators/ode/explicit_rk.py``),
and so is the way each is applied, because a simulation must reproduce
BrainPy's numbers bit for bit. BrainPy writes the step as Python source in
which a coefficient is pasted after a product: a float ``0.5`` gives
``dt * k * 0.5``, but a fraction written ``'2/3'`` gives ``dt * k * 2/3``,
i.e. ``((dt * k) * 2) / 3`` -- not a multiplication by ``0.666...``. A
:class:`Coef` keeps that distinction: ``Coef(0.5)`` multiplies,
``Coef(2, 3)`` multiplies by 2 then divides by 3; a coefficient equal to 1
is not applied at all, and a zero one drops its term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Coef", "Tableau", "TABLEAUX", "rk2_tableau"]


@dataclass(frozen=True)
class Coef:
    """A coefficient: ``x * num`` (``den`` None) or ``x * num / den``."""

    num: float
    den: float | None = None

    @property
    def value(self) -> float:
        return self.num if self.den is None else self.num / self.den

    @property
    def is_zero(self) -> bool:
        return self.num == 0

    @property
    def is_one(self) -> bool:
        return self.den is None and self.num == 1

    def apply(self, x: Any) -> Any:
        """``x`` times this coefficient, in BrainPy's order of operations."""
        if self.is_one:
            return x
        return x * self.num if self.den is None else x * self.num / self.den

    def text(self) -> str:
        return repr(self.num) if self.den is None else f"{self.num!r}/{self.den!r}"


def _c(value: Any) -> Coef:
    # "p/q" strings are fractions applied as `* p / q`; numbers multiply.
    if isinstance(value, str):
        num, den = value.split("/")
        return Coef(int(num), int(den))
    return Coef(value)


@dataclass(frozen=True)
class Tableau:
    """``a`` (lower-triangular rows), ``b`` (weights), ``c`` (nodes) and the order."""

    name: str
    a: tuple[tuple[Coef, ...], ...]
    b: tuple[Coef, ...]
    c: tuple[Coef, ...]
    order: int

    @classmethod
    def of(cls, name: str, a: list, b: list, c: list, order: int) -> "Tableau":
        return cls(name, tuple(tuple(_c(x) for x in row) for row in a),
                   tuple(_c(x) for x in b), tuple(_c(x) for x in c), order)

    @property
    def stages(self) -> int:
        return len(self.b)


def rk2_tableau(beta: float = 2 / 3) -> Tableau:
    """The generic second-order method with free parameter ``beta`` (BrainPy's ``rk2``)."""
    return Tableau.of("rk2", [[], [beta]], [1 - 1 / (2 * beta), 1 / (2 * beta)], [0, beta], 2)


TABLEAUX: dict[str, Tableau] = {t.name: t for t in [
    Tableau.of("euler", [[]], [1], [0], 1),
    Tableau.of("midpoint", [[], [0.5]], [0, 1], [0, 0.5], 2),
    Tableau.of("heun2", [[], [1]], [0.5, 0.5], [0, 1], 2),
    Tableau.of("ralston2", [[], ["2/3"]], [0.25, 0.75], [0, "2/3"], 2),
    rk2_tableau(),
    Tableau.of("rk3", [[], [0.5], [-1, 2]], ["1/6", "2/3", "1/6"], [0, 0.5, 1], 3),
    Tableau.of("heun3", [[], ["1/3"], [0, "2/3"]], [0.25, 0, 0.75], [0, "1/3", "2/3"], 3),
    Tableau.of("ralston3", [[], [0.5], [0, 0.75]], ["2/9", "1/3", "4/9"], [0, 0.5, 0.75], 3),
    Tableau.of("ssprk3", [[], [1], [0.25, 0.25]], ["1/6", "1/6", "2/3"], [0, 1, 0.5], 3),
    Tableau.of("rk4", [[], [0.5], [0., 0.5], [0., 0., 1]], ["1/6", "1/3", "1/3", "1/6"],
               [0, 0.5, 0.5, 1], 4),
    # Ralston's fourth-order method; BrainPy gives its coefficients to 8 digits.
    Tableau.of("ralston4", [[], [.4], [.29697761, .15875964], [.21810040, -3.05096516, 3.83286476]],
               [.17476028, -.55148066, 1.20553560, .17118478], [0, .4, .45573725, 1], 4),
    Tableau.of("rk4_38rule", [[], ["1/3"], ["-1/3", 1], [1, -1, 1]], [0.125, 0.375, 0.375, 0.125],
               [0, "1/3", "2/3", 1], 4),
]}
