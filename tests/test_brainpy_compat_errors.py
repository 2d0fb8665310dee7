"""BrainPy code's ``except`` clauses catch brainobj's errors.

For each misuse where BrainPy 2.8 (or JAX / brainstate under it) raises a
given type, brainobj's error is an instance of that type, *and* still of the
type brainobj raised before (``bm.MathError``, ``TypeError``,
``AttributeError``), so code written against either keeps working. Its
message still names the culprit, and nothing changed: each act writes a
Variable of ``Holder`` (or would) before it fails, and ``assert_refused``
checks every Variable, the global random key, and that no trace is left open.

Case ids are those of the exception-type audit (``H7``: ``bm.grad`` of a
non-scalar function, ...).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_refused


class Holder(bp.BrainPyObject):
    def __init__(self):
        self.w = bm.Variable(jnp.arange(3.0))
        self.n = bm.Variable(jnp.zeros(()))
        self.b = bm.Variable(jnp.ones((2, 3)), batch_axis=0)


class Child(bp.BrainPyObject):
    pass


def f_scalar(x):
    return (x ** 2).sum()


def _grad_writing(h, output, **options):
    """``bm.grad`` of a function that writes ``h.n`` and returns ``output(x)``."""
    def f(x):
        h.n.value = h.n + 1.0
        return output(x)
    return bm.grad(f, **options)


def _bump(h, out):
    """A branch that writes ``h.n`` and returns ``out``."""
    def branch():
        h.n.value = h.n + 1.0
        return out
    return branch


def _while_body(h, new):
    def body(x):
        h.n.value = h.n + 1.0
        return new(x)
    return body


def _method_jit(**options):
    class M(bp.BrainPyObject):
        @bm.cls_jit(**options)
        def f(self, x):
            return x
    return M


def _set(name, value):
    return lambda h: setattr(h.b, name, value)


MATH = bm.MathError
# (case id, act(holder), BrainPy's type, the types brainobj raised before (still raised), pattern)
CASES = [
    # bm.grad / bm.vector_grad called on a bad function or with bad inputs (JAX: TypeError).
    ("H7 grad of a non-scalar", lambda h: _grad_writing(h, lambda x: x * 2)(jnp.ones(3)),
     TypeError, (MATH,), r"bm\.grad: `fun` must return a real scalar, got an array of shape \(3,\)"),
    ("H7 grad of a non-scalar under jit",
     lambda h: bm.jit(lambda x: _grad_writing(h, lambda y: y * 2)(x))(jnp.ones(3)),
     TypeError, (MATH,), r"bm\.grad: `fun` must return a real scalar"),
    ("H8 argnums past the arguments", lambda h: bm.grad(f_scalar, argnums=3)(jnp.ones(3)),
     TypeError, (MATH,), r"argnums=3 asks for argument 3, but the function was called with 1"),
    ("H9 integer input", lambda h: bm.grad(lambda x: x * 2.0)(1),
     TypeError, (MATH,), r"argument 0 \(`x`\) has dtype int32"),
    ("H10 has_aux without a pair",
     lambda h: _grad_writing(h, f_scalar, has_aux=True)(jnp.ones(3)),
     TypeError, (MATH,), r"has_aux=True needs `fun` to return a pair \(value, aux\)"),
    ("H15 tuple output without has_aux",
     lambda h: _grad_writing(h, lambda x: (x.sum(), 1.0))(jnp.ones(3)),
     TypeError, (MATH,), r"got a tuple of length 2; if it returns \(value, aux\), pass has_aux=True"),
    # argnums of the wrong kind (BrainPy/brainstate: ValueError).
    ("H1 grad argnums='a'", lambda h: bm.grad(f_scalar, argnums="a"),
     ValueError, (TypeError, MATH), r"bm\.grad: argnums must be an int .* got 'a'"),
    ("H3 grad argnums=1.5", lambda h: bm.grad(f_scalar, argnums=1.5),
     ValueError, (TypeError, MATH), r"bm\.grad: argnums must be an int .* got 1\.5"),
    ("H12 vector_grad argnums='a'", lambda h: bm.vector_grad(lambda x: x * 2, argnums="a"),
     ValueError, (TypeError, MATH), r"bm\.vector_grad: argnums must be an int .* got 'a'"),
    # bm.cond / bm.ifelse / bm.while_loop type checks (brainstate / lax: TypeError).
    ("I13 while_loop cond_fun non-scalar",
     lambda h: bm.while_loop(_while_body(h, lambda x: x + 1), lambda x: x < 3, jnp.zeros(2)),
     TypeError, (MATH,), r"bm\.while_loop: `cond_fun` must return a boolean scalar, got bool\[2\]"),
    ("I14 while_loop body changes the carry",
     lambda h: bm.while_loop(_while_body(h, lambda x: jnp.zeros(3)), lambda x: x.sum() < 3,
                             jnp.zeros(2)),
     TypeError, (MATH,), r"`body_fun` returns float32\[3\], but the operands are float32\[2\]"),
    ("I15 cond pred non-scalar",
     lambda h: bm.cond(jnp.array([True, False]), _bump(h, 1.0), _bump(h, 2.0)),
     TypeError, (MATH,), r"bm\.cond: `pred` must be a scalar, got an array of shape \(2,\)"),
    ("I16 cond pred=None", lambda h: bm.cond(None, _bump(h, 1.0), _bump(h, 2.0)),
     TypeError, (MATH,), r"bm\.cond: `pred` must be a boolean .* got NoneType None"),
    ("I18 cond pred='abc'", lambda h: bm.cond("abc", _bump(h, 1.0), _bump(h, 2.0)),
     TypeError, (MATH,), r"bm\.cond: `pred` must be a boolean .* got str 'abc'"),
    ("I17 cond branches differ",
     lambda h: bm.cond(jnp.asarray(True), _bump(h, jnp.zeros(2)), _bump(h, jnp.zeros(3))),
     TypeError, (MATH,), r"bm\.cond: true_fun returns float32\[2\], but false_fun returns float32\[3\]"),
    ("I22 ifelse branches differ",
     lambda h: bm.ifelse([jnp.asarray(1.0) > 0], [_bump(h, jnp.zeros(2)), _bump(h, jnp.zeros(3))]),
     TypeError, (MATH,), r"bm\.ifelse: branches\[1\] returns float32\[3\], but branches\[0\]"),
    # bm.cls_jit / bm.jit with a bad static_argnums / donate_argnums: refused when called
    # (BrainPy: ValueError at once; brainobj before: TypeError, for a str only at the first call).
    ("G9 cls_jit static_argnums='a'", lambda h: bm.cls_jit(static_argnums="a"),
     ValueError, (TypeError, MATH), r"bm\.cls_jit: static_argnums must hold ints, got 'a' \(str\)"),
    ("G10 cls_jit static_argnums=1.5", lambda h: bm.cls_jit(static_argnums=1.5),
     ValueError, (TypeError, MATH), r"bm\.cls_jit: static_argnums must be an int .* got float 1\.5"),
    ("G11 cls_jit donate_argnums='a'", lambda h: bm.cls_jit(donate_argnums="a"),
     ValueError, (TypeError, MATH), r"bm\.cls_jit: donate_argnums must hold ints, got 'a' \(str\)"),
    ("G9b cls_jit static_argnums='a' on a method", lambda h: _method_jit(static_argnums="a"),
     ValueError, (TypeError, MATH), r"static_argnums must hold ints, got 'a'"),
    ("G10c cls_jit(static_argnums=1.5)(f)",
     lambda h: bm.cls_jit(static_argnums=1.5)(lambda self: None),
     ValueError, (TypeError, MATH), r"static_argnums .* got float 1\.5"),
    ("G11c cls_jit(donate_argnums=1.5)(f)",
     lambda h: bm.cls_jit(donate_argnums=1.5)(lambda self: None),
     ValueError, (TypeError, MATH), r"donate_argnums .* got float 1\.5"),
    ("jit static_argnums=[1.5]", lambda h: bm.jit(static_argnums=[1.5]),
     ValueError, (TypeError, MATH), r"bm\.jit: static_argnums must hold ints, got 1\.5 \(float\) in \[1\.5\]"),
    ("jit(f, donate_argnums='x')", lambda h: bm.jit(lambda x: x, donate_argnums="x"),
     ValueError, (TypeError, MATH), r"bm\.jit: donate_argnums must hold ints, got 'x'"),
    ("jit static_argnames=3", lambda h: bm.jit(static_argnames=3),
     ValueError, (TypeError, MATH), r"bm\.jit: static_argnames must hold strings, got 3 \(int\)"),
    # Variable metadata fixed at creation (BrainPy: ValueError; brainobj before: AttributeError).
    ("D6 set batch_axis", _set("batch_axis", 1),
     ValueError, (AttributeError, MATH), r"cannot set batch_axis \(to 1\): it is fixed when"),
    ("D7 set batch_size", _set("batch_size", 4),
     ValueError, (AttributeError, MATH), r"cannot set batch_size \(to 4\)"),
    # Not an array / not a Variable.
    ("D9 Variable('abc')", lambda h: bm.Variable("abc"),
     TypeError, (MATH,), r"cannot create a Variable from str 'abc': it is not an array"),
    ("D14 VariableView of an array", lambda h: bm.VariableView(jnp.ones(3), slice(0, 2)),
     ValueError, (TypeError, MATH), r"VariableView: expected a Variable to look into, got ArrayImpl"),
    # Function objects with bad child_objs / dyn_vars (BrainPy: ValueError, from
    # register_implicit_nodes / register_implicit_vars).
    ("L2 to_object child_objs=5", lambda h: bm.to_object(f_scalar, child_objs=5),
     ValueError, (TypeError, MATH), r"FunAsObject: child_objs must hold BrainPyObjects, got int 5"),
    ("L4 to_object dyn_vars=5", lambda h: bm.to_object(f_scalar, child_objs=Child(), dyn_vars=5),
     ValueError, (TypeError, MATH), r"FunAsObject: dyn_vars must hold Variables, got int 5"),
    ("L5 to_object dyn_vars=[5]",
     lambda h: bm.to_object(f_scalar, child_objs=Child(), dyn_vars=[h.w, 5]),
     ValueError, (TypeError, MATH), r"FunAsObject: dyn_vars must hold Variables, got int 5 at 'dyn_vars1'"),
    ("L7 Partial child_objs=5", lambda h: bm.Partial(f_scalar, child_objs=5),
     ValueError, (TypeError, MATH), r"Partial: child_objs must hold BrainPyObjects, got int 5"),
    ("L8 Partial dyn_vars=5", lambda h: bm.Partial(f_scalar, dyn_vars=5),
     ValueError, (TypeError, MATH), r"Partial: dyn_vars must hold Variables, got int 5"),
    ("L FunAsObject dyn_vars={'a': array}",
     lambda h: bm.FunAsObject(f_scalar, dyn_vars={"a": jnp.ones(2)}),
     ValueError, (TypeError, MATH), r"FunAsObject: dyn_vars must hold Variables, got ArrayImpl .* at 'a'"),
    # Kept by BrainPy 2.8 only to raise NotImplementedError (brainobj before: AttributeError).
    ("D18 tracing_variable", lambda h: h.tracing_variable("v", jnp.zeros, (2,)),
     NotImplementedError, (), r"Holder\d*\.tracing_variable\('v', \.\.\.\) is not supported.*__init__"),
]


@pytest.mark.parametrize("case, act, brainpy_type, still, pattern", CASES, ids=[c[0] for c in CASES])
def test_brainpy_except_clause_catches_it(case, act, brainpy_type, still, pattern):
    h = Holder()
    # BrainPy's `except <type>` catches it, the message names the culprit, nothing changed.
    assert_refused(lambda: act(h), brainpy_type, pattern, [h])
    assert h.b.batch_axis == 0 and h.b.batch_size == 2
    # ... and so does `except` of what brainobj raised before.
    with pytest.raises(brainpy_type, match=pattern) as info:
        act(h)
    for kind in still:
        assert isinstance(info.value, kind), f"{case}: {type(info.value).__name__} is not a {kind.__name__}"


def test_new_classes_are_exported_and_build():
    assert bm.MathTypeError is bp.errors.MathTypeError
    assert bm.MathAttributeError is bp.errors.MathAttributeError
    for cls, other in ((bm.MathTypeError, TypeError), (bm.MathAttributeError, AttributeError)):
        assert issubclass(cls, bm.MathError) and issubclass(cls, bp.errors.BrainPyError)
        assert issubclass(cls, ValueError) and issubclass(cls, other)
        assert isinstance(cls("message"), (bm.MathError, other))


def test_jit_without_argument_numbers_still_works():
    assert int(bm.jit(static_argnums=None)(lambda x: x + 1)(1)) == 2
    assert int(bm.jit(lambda x, n: x * n, static_argnums=[1])(2, 3)) == 6
    assert int(bm.jit(lambda x, n: x * n, static_argnums=(1,))(2, 3)) == 6


def test_assigning_a_non_array_is_a_math_type_error_and_changes_nothing():
    """BrainPy raises JAX's TypeError for `v.value = 'abc'`; brainobj's error is both
    that TypeError and the MathError it raised before, naming the Variable."""
    v = bm.Variable(jnp.arange(3.0))
    for bad in ("abc", None, {"a": 1}, [[1.0], [1.0, 2.0]]):
        for catch in (TypeError, bm.MathError):
            with pytest.raises(catch, match=r"cannot assign .*: it is not an array"):
                v.value = bad
        np.testing.assert_array_equal(np.asarray(v.value), np.arange(3.0))


def test_seed_of_2_to_the_64_is_both_brainpys_overflow_and_a_value_error():
    before = np.asarray(bm.random.DEFAULT.value).copy()
    for catch in (OverflowError, ValueError):
        with pytest.raises(catch, match=r"a seed must be in \[0, 2\*\*64\), got 18446744073709551616"):
            bm.random.seed(2 ** 64)
    with pytest.raises(ValueError) as info:
        bm.random.seed(-1)
    assert not isinstance(info.value, OverflowError)
    np.testing.assert_array_equal(np.asarray(bm.random.DEFAULT.value), before)
