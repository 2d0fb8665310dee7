"""Variable, TrainVar, VarList and VarDict: each behaviour against the plain array."""

import operator

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_no_tracers, assert_same, structure_stamp


# -- reading and assigning ----------------------------------------------------------

def test_value_read_returns_the_stored_array():
    x = jnp.arange(6.0).reshape(2, 3)
    v = bm.Variable(x)
    assert isinstance(v.value, jax.Array)
    assert_same(v.value, x)


def test_dtype_argument_casts_the_initial_value():
    v = bm.Variable(jnp.array([1, 2, 3]), dtype=jnp.float32)  # a list of ints is a shape (BrainPy)
    assert_same(v.value, jnp.array([1.0, 2.0, 3.0], jnp.float32))


def test_variable_of_variable_copies_the_value_into_a_new_box():
    a = bm.Variable(jnp.ones(2))
    b = bm.Variable(a)
    assert b is not a
    assert_same(b.value, a.value)
    b.value = jnp.zeros(2)
    assert_same(a.value, jnp.ones(2))


def test_assigning_another_variable_copies_its_value_not_the_box():
    a = bm.Variable(jnp.zeros(2))
    b = bm.Variable(jnp.arange(2.0))
    a.value = b
    assert_same(a.value, jnp.arange(2.0))
    b.value = jnp.full(2, 9.0)
    assert_same(a.value, jnp.arange(2.0))
    with pytest.raises(bm.MathError):
        a.value = bm.Variable(jnp.zeros(3))


def test_assignment_of_same_shape_and_dtype_replaces_the_value():
    v = bm.Variable(jnp.zeros((2, 2)))
    new = jnp.arange(4.0).reshape(2, 2)
    v.value = new
    assert_same(v.value, new)
    v.update(new * 3)
    assert_same(v.value, new * 3)


@pytest.mark.parametrize("setter", ["value", "update"])
def test_wrong_shape_raises_math_error_naming_both_shapes(setter):
    v = bm.Variable(jnp.zeros((2, 3)))
    with pytest.raises(bm.MathError) as info:
        if setter == "value":
            v.value = jnp.zeros((3, 2))
        else:
            v.update(jnp.zeros((3, 2)))
    msg = str(info.value)
    assert "(2, 3)" in msg and "(3, 2)" in msg
    assert_same(v.value, jnp.zeros((2, 3)))  # unchanged


@pytest.mark.parametrize("setter", ["value", "update"])
def test_wrong_dtype_raises_math_error_naming_both_dtypes(setter):
    v = bm.Variable(jnp.zeros(3, jnp.int32))
    with pytest.raises(bm.MathError) as info:
        if setter == "value":
            v.value = jnp.ones(3, jnp.float32)
        else:
            v.update(jnp.ones(3, jnp.float32))
    msg = str(info.value)
    assert "int32" in msg and "float32" in msg
    assert_same(v.value, jnp.zeros(3, jnp.int32))


def test_math_error_is_a_value_error():
    assert issubclass(bm.MathError, ValueError)
    assert bp.MathError is bm.MathError
    v = bm.Variable(jnp.zeros(2))
    with pytest.raises(ValueError):
        v.value = jnp.zeros(3)


def test_error_message_names_the_owning_attribute():
    class VarMsgLinear(bp.BrainPyObject):
        def __init__(self):
            self.W = bm.Variable(jnp.zeros((2, 3)))
            self.cells = [bm.Variable(jnp.zeros(1)), bm.Variable(jnp.zeros(1, jnp.int32))]

    obj = VarMsgLinear()
    with pytest.raises(bm.MathError, match=rf"{obj.name}\.W\b") as info:
        obj.W.value = jnp.zeros((3, 3))
    assert "(2, 3)" in str(info.value) and "(3, 3)" in str(info.value)
    with pytest.raises(bm.MathError, match=rf"{obj.name}\.W\b.*float32.*int32"):
        obj.W.update(jnp.zeros((2, 3), jnp.int32))
    # container elements are named '<attr>-<index>'
    with pytest.raises(bm.MathError, match=rf"{obj.name}\.cells-1\b"):
        obj.cells[1].value = jnp.zeros(1, jnp.float32)


def test_label_is_the_first_owner_even_when_shared():
    class VarLabelA(bp.BrainPyObject):
        pass

    v = bm.Variable(jnp.zeros(1))
    a, b = VarLabelA(), VarLabelA()
    a.x = v
    b.y = v
    assert v.label == f"{a.name}.x"


def test_python_scalars_and_lists_are_converted():
    f = bm.Variable(jnp.zeros(3))
    f.value = [1.0, 2.0, 3.0]
    assert_same(f.value, jnp.array([1.0, 2.0, 3.0], jnp.float32))
    i = bm.Variable(jnp.zeros(3, jnp.int32))
    i.value = [4, 5, 6]
    assert_same(i.value, jnp.array([4, 5, 6], jnp.int32))
    s = bm.Variable(jnp.zeros((), jnp.int32))
    s.value = 7
    assert_same(s.value, jnp.array(7, jnp.int32))
    n = bm.Variable(jnp.zeros(2))
    n.value = np.array([0.5, 1.5], np.float32)
    assert_same(n.value, jnp.array([0.5, 1.5], jnp.float32))


@pytest.mark.parametrize(
    "dtype, assigned",
    [(jnp.float32, 2.5), (jnp.float32, 3), (jnp.int32, 4), (jnp.bool_, True), (jnp.float16, 0.5)],
)
def test_weak_values_adopt_the_variable_dtype_and_are_stored_strong(dtype, assigned):
    v = bm.Variable(jnp.zeros((), dtype))
    v.value = assigned
    assert v.value.dtype == jnp.dtype(dtype)
    assert not v.value.weak_type
    assert_same(v.value, jnp.asarray(assigned, dtype))
    # weak jax arrays (e.g. from jnp.asarray(python scalar)) too
    weak = jnp.asarray(assigned)
    if not isinstance(assigned, bool):  # jnp.asarray(True) is strong bool already
        assert weak.weak_type
    v.update(weak)
    assert v.value.dtype == jnp.dtype(dtype) and not v.value.weak_type


def test_variable_created_from_python_scalar_is_not_weak():
    v = bm.Variable(1.0)
    assert not v.value.weak_type
    assert v.dtype == jnp.float32
    w = bm.Variable(jnp.asarray(3))
    assert not w.value.weak_type


def test_strong_value_of_another_dtype_is_refused_even_if_castable():
    v = bm.Variable(jnp.zeros(2, jnp.float32))
    with pytest.raises(bm.MathError):
        v.value = jnp.zeros(2, jnp.float16)
    with pytest.raises(bm.MathError):
        v.value = [1, 2]  # a list of ints is a strong int32 array


# -- operators -----------------------------------------------------------------------

FLOAT_OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
             operator.mod, operator.pow]
INT_OPS = [operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod,
           operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift]
CMP_OPS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]

XF = jnp.array([[0.5, 1.5, 2.0], [3.0, 0.25, 1.0]], jnp.float32)
YF = jnp.array([[2.0, 0.5, 1.5], [1.0, 4.0, 1.0]], jnp.float32)
XI = jnp.array([[5, 6, 7], [1, 2, 3]], jnp.int32)
YI = jnp.array([[1, 2, 3], [3, 1, 2]], jnp.int32)


def _other_forms(y):
    scalar = y.reshape(-1)[0].item()
    return {"jax": y, "numpy": np.asarray(y), "scalar": scalar, "row": y[0],
            "variable": bm.Variable(y)}


@pytest.mark.parametrize("op", FLOAT_OPS + CMP_OPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("form", ["jax", "numpy", "scalar", "row", "variable"])
def test_float_binary_operators_match_the_value(op, form):
    v = bm.Variable(XF)
    other = _other_forms(YF)[form]
    plain = other.value if isinstance(other, bm.Variable) else other
    got = op(v, other)
    assert isinstance(got, jax.Array)
    assert_same(got, op(XF, plain))
    got_r = op(other, v)
    assert isinstance(got_r, jax.Array)
    assert_same(got_r, op(plain, XF))
    assert_same(v.value, XF)  # untouched


@pytest.mark.parametrize("op", INT_OPS + CMP_OPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("form", ["jax", "numpy", "scalar", "row", "variable"])
def test_int_binary_operators_match_the_value(op, form):
    v = bm.Variable(XI)
    other = _other_forms(YI)[form]
    plain = other.value if isinstance(other, bm.Variable) else other
    assert_same(op(v, other), op(XI, plain))
    assert_same(op(other, v), op(plain, XI))


def test_divmod_both_orders():
    v = bm.Variable(XF)
    q, r = divmod(v, YF)
    eq, er = divmod(XF, YF)
    assert_same(q, eq)
    assert_same(r, er)
    q, r = divmod(3.0, v)
    eq, er = divmod(3.0, XF)
    assert_same(q, eq)
    assert_same(r, er)


def test_matmul_both_orders_and_with_variables():
    a = jnp.arange(6.0).reshape(2, 3)
    b = jnp.arange(12.0).reshape(3, 4) / 7
    va, vb = bm.Variable(a), bm.Variable(b)
    assert_same(va @ b, a @ b)
    assert_same(a @ vb, a @ b)
    assert_same(va @ vb, a @ b)
    assert_same(np.asarray(a) @ vb, a @ b)
    assert_same(va @ np.asarray(b), a @ b)


def test_unary_operators():
    v = bm.Variable(jnp.array([-1.5, 0.0, 2.0]))
    assert_same(-v, -v.value)
    assert_same(+v, v.value)
    assert_same(abs(v), jnp.abs(v.value))
    i = bm.Variable(jnp.array([0, 1, -3], jnp.int32))
    assert_same(~i, ~i.value)


# -- indexing ------------------------------------------------------------------------

@pytest.mark.parametrize("index", [0, -1, slice(1, None), (1, slice(None, 2)), (Ellipsis, 0),
                                   jnp.array([1, 0]), np.array([True, False])])
def test_getitem_matches_the_value(index):
    x = jnp.arange(6.0).reshape(2, 3)
    v = bm.Variable(x)
    assert_same(v[index], x[index])


def test_getitem_with_variable_index():
    x = jnp.arange(5.0)
    v = bm.Variable(x)
    idx = bm.Variable(jnp.array([4, 0]))
    assert_same(v[idx], x[jnp.array([4, 0])])


@pytest.mark.parametrize("index, item", [
    (0, 9.0), ((1, 2), -1.0), (slice(None), jnp.full((2, 3), 7.0)),
    (jnp.array([0]), jnp.ones((1, 3))), (np.array([False, True]), 3.0),
])
def test_setitem_updates_the_box_like_at_set(index, item):
    x = jnp.arange(6.0).reshape(2, 3)
    v = bm.Variable(x)
    before = v
    v[index] = item
    assert v is before
    assert_same(v.value, x.at[index].set(item))
    assert not v.value.weak_type


def test_setitem_with_variable_index_and_item():
    v = bm.Variable(jnp.zeros(4))
    v[bm.Variable(jnp.array(2))] = bm.Variable(jnp.array(5.0))
    assert_same(v.value, jnp.array([0.0, 0.0, 5.0, 0.0]))


def test_setitem_keeps_the_dtype():
    v = bm.Variable(jnp.zeros(3, jnp.int32))
    v[1] = 4
    assert_same(v.value, jnp.array([0, 4, 0], jnp.int32))


# -- in-place operators ----------------------------------------------------------------

@pytest.mark.parametrize("iop, op", [
    (operator.iadd, operator.add), (operator.isub, operator.sub), (operator.imul, operator.mul),
    (operator.itruediv, operator.truediv), (operator.ifloordiv, operator.floordiv),
    (operator.imod, operator.mod), (operator.ipow, operator.pow),
], ids=lambda o: getattr(o, "__name__", str(o)))
@pytest.mark.parametrize("form", ["jax", "scalar", "row", "variable"])
def test_float_inplace_operators_update_the_box(iop, op, form):
    v = bm.Variable(XF)
    other = _other_forms(YF)[form]
    plain = other.value if isinstance(other, bm.Variable) else other
    result = iop(v, other)
    assert result is v
    assert_same(v.value, op(XF, plain))


@pytest.mark.parametrize("iop, op", [
    (operator.iand, operator.and_), (operator.ior, operator.or_), (operator.ixor, operator.xor),
    (operator.ilshift, operator.lshift), (operator.irshift, operator.rshift),
    (operator.iadd, operator.add), (operator.imod, operator.mod),
], ids=lambda o: o.__name__)
def test_int_inplace_operators_update_the_box(iop, op):
    v = bm.Variable(XI)
    result = iop(v, YI)
    assert result is v
    assert_same(v.value, op(XI, YI))


def test_inplace_matmul_keeps_identity():
    a = jnp.arange(4.0).reshape(2, 2)
    m = jnp.array([[0.0, 1.0], [2.0, 3.0]])
    v = bm.Variable(a)
    w = v
    w @= m
    assert w is v
    assert_same(v.value, a @ m)


def test_inplace_statement_syntax_on_attribute_keeps_the_variable():
    class VarInplaceHolder(bp.BrainPyObject):
        def __init__(self):
            self.v = bm.Variable(jnp.ones(2))

    h = VarInplaceHolder()
    original = h.v
    h.v += 2.0
    h.v *= jnp.array([1.0, 3.0])
    assert h.v is original
    assert_same(h.v.value, (jnp.ones(2) + 2.0) * jnp.array([1.0, 3.0]))


def test_inplace_op_changing_dtype_is_refused_and_value_kept():
    v = bm.Variable(jnp.array([1, 2], jnp.int32))
    with pytest.raises(bm.MathError):
        v /= 2  # int / int -> float32 (strong)
    assert_same(v.value, jnp.array([1, 2], jnp.int32))


def test_inplace_op_changing_shape_is_refused():
    v = bm.Variable(jnp.ones(3))
    with pytest.raises(bm.MathError):
        v += jnp.ones((2, 3))
    assert_same(v.value, jnp.ones(3))


# -- array-like behaviour ------------------------------------------------------------

def test_array_attributes():
    x = jnp.arange(24.0).reshape(2, 3, 4)
    v = bm.Variable(x)
    assert v.shape == x.shape
    assert v.dtype == x.dtype
    assert v.ndim == 3
    assert v.size == 24
    assert_same(v.T, x.T)
    assert len(v) == 2


def test_array_methods_are_forwarded():
    x = jnp.arange(6.0).reshape(2, 3)
    v = bm.Variable(x)
    assert_same(v.sum(), x.sum())
    assert_same(v.mean(axis=0), x.mean(axis=0))
    assert_same(v.reshape(3, 2), x.reshape(3, 2))
    assert_same(v.astype(jnp.int32), x.astype(jnp.int32))
    with pytest.raises(AttributeError):
        v._no_such_private_thing


def test_iteration_yields_rows():
    x = jnp.arange(6.0).reshape(3, 2)
    v = bm.Variable(x)
    rows = list(v)
    assert len(rows) == 3
    for got, expected in zip(rows, x):
        assert_same(got, expected)
    assert [float(e) for e in bm.Variable(jnp.array([1.0, 2.0]))] == [1.0, 2.0]


def test_conversions():
    x = jnp.array([[1.0, 2.0], [3.0, 4.0]])
    v = bm.Variable(x)
    assert_same(jnp.asarray(v), x)
    n = np.asarray(v)
    assert isinstance(n, np.ndarray)
    np.testing.assert_array_equal(n, np.asarray(x))
    assert np.asarray(v, dtype=np.float64).dtype == np.float64
    assert float(bm.Variable(jnp.array(2.5))) == 2.5
    assert int(bm.Variable(jnp.array(7, jnp.int32))) == 7
    assert [10, 20, 30][bm.Variable(jnp.array(1, jnp.int32))] == 20  # __index__
    assert bool(bm.Variable(jnp.array(True))) is True
    assert complex(bm.Variable(jnp.array(1.5))) == 1.5 + 0j
    assert f"{bm.Variable(jnp.array(2.5)):.3f}" == "2.500"


def test_bm_functions_accept_variables():
    a = jnp.array([-1.0, 0.5, 2.0])
    b = jnp.array([3.0, -4.0])
    va, vb = bm.Variable(a), bm.Variable(b)
    assert_same(bm.sum(va), jnp.sum(a))
    assert_same(bm.sin(va), jnp.sin(a))
    assert_same(bm.relu(va), jax.nn.relu(a))
    assert_same(bm.concatenate([va, vb]), jnp.concatenate([a, b]))
    assert_same(bm.concatenate((va, b)), jnp.concatenate([a, b]))
    assert_same(bm.stack([va, va], axis=1), jnp.stack([a, a], axis=1))
    assert_same(bm.where(va > 0, va, 0.0), jnp.where(a > 0, a, 0.0))
    assert_same(bm.dot(va, va), jnp.dot(a, a))
    vmax = bm.Variable(jnp.array(1.0))
    assert_same(bm.clip(va, min=-0.5, max=vmax), jnp.clip(a, -0.5, 1.0))  # keyword Variable
    assert_same(bm.softmax(va), jax.nn.softmax(a))


def test_bm_functions_inside_jax_jit_on_values():
    a = jnp.array([1.0, 2.0])
    v = bm.Variable(a)
    assert_same(jax.jit(lambda x: bm.sum(bm.exp(x)))(v.value), jnp.sum(jnp.exp(a)))


def test_repr():
    assert repr(bm.Variable(jnp.array([1.0]))) == "Variable(value=Array([1.], dtype=float32), dtype=float32)"
    assert repr(bm.TrainVar(jnp.array([1], jnp.int32))) == "TrainVar(value=Array([1], dtype=int32), dtype=int32)"


def test_trainvar_is_a_variable():
    t = bm.TrainVar(jnp.ones(2))
    assert isinstance(t, bm.Variable)
    t += 1.0
    assert_same(t.value, jnp.full(2, 2.0))
    with pytest.raises(bm.MathError):
        t.value = jnp.ones(3)


def test_variables_hash_by_identity():
    a = bm.Variable(jnp.zeros(2))
    b = bm.Variable(jnp.zeros(2))  # equal values, different boxes
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert len({a, b, a}) == 2
    a.value = jnp.ones(2)  # changing the value does not change the hash
    assert d[a] == "a"
    assert a in {a} and b not in {a}


def test_equality_is_elementwise():
    a = bm.Variable(jnp.array([1.0, 2.0]))
    got = a == jnp.array([1.0, 3.0])
    assert_same(got, jnp.array([True, False]))


# -- pytree behaviour of a Variable ---------------------------------------------------

def test_variable_is_a_pytree_with_its_value_as_only_leaf():
    v = bm.TrainVar(jnp.arange(3.0))
    leaves, treedef = jax.tree_util.tree_flatten(v)
    assert len(leaves) == 1 and leaves[0] is v.value
    rebuilt = jax.tree_util.tree_unflatten(treedef, [leaves[0] * 2])
    assert type(rebuilt) is bm.TrainVar and rebuilt is not v
    assert_same(rebuilt.value, v.value * 2)
    path, _ = jax.tree_util.tree_flatten_with_path(v)
    assert path[0][0] == (jax.tree_util.GetAttrKey("value"),)


def test_variable_subclass_is_registered_as_pytree():
    class VarSubclassForTree(bm.Variable):
        __slots__ = ()

    v = VarSubclassForTree(jnp.ones(2))
    out = jax.tree_util.tree_map(lambda x: x + 1, v)
    assert type(out) is VarSubclassForTree
    assert_same(out.value, jnp.full(2, 2.0))


# -- creation inside a transform --------------------------------------------------------

def test_creating_a_variable_inside_jit_raises_and_leaves_nothing_behind():
    class VarInJitHolder(bp.BrainPyObject):
        def __init__(self):
            self.a = bm.Variable(jnp.zeros(2))

    h = VarInJitHolder()

    @bm.jit
    def f(h):
        h.a.value = h.a + 1.0
        tmp = bm.Variable(jnp.ones(2))
        return tmp.value

    version = structure_stamp(h)
    with pytest.raises(bm.MathError, match=r"cannot create a Variable inside"):
        f(h)
    assert not bm.in_transform()
    assert not bm.in_transform()
    assert_no_tracers(h)
    assert_same(h.a.value, jnp.zeros(2))  # the write before the error was undone
    assert h.vars().keys() == {f"{h.name}.a"}
    assert structure_stamp(h) == version
    # the same function and object still work afterwards with a fixed function
    g = bm.jit(lambda h: h.a.value.sum())
    assert float(g(h)) == 0.0


def test_creating_a_trainvar_inside_jit_raises():
    @bm.jit
    def f(x):
        return bm.TrainVar(x).value

    with pytest.raises(bm.MathError, match="TrainVar"):
        f(jnp.ones(2))
    assert not bm.in_transform()


def test_variable_from_a_tracer_is_refused_under_plain_jax_jit():
    with pytest.raises(bm.MathError):
        jax.jit(lambda x: bm.Variable(x).value)(jnp.ones(2))


# -- VarList / VarDict ----------------------------------------------------------------

def test_varlist_accepts_variables_and_rejects_others():
    v1, v2 = bm.Variable(jnp.zeros(1)), bm.TrainVar(jnp.ones(1))
    vl = bm.VarList([v1, v2])
    assert isinstance(vl, list)
    assert len(vl) == 2 and vl[0] is v1 and vl[1] is v2
    for bad in (jnp.zeros(1), 1.0, "x", [v1]):
        with pytest.raises(TypeError):
            bm.VarList([v1, bad])
        with pytest.raises(TypeError):
            vl.append(bad)
        with pytest.raises(TypeError):
            vl.insert(0, bad)
        with pytest.raises(TypeError):
            vl[0:1] = [bad]  # `vl[0] = array` writes into the Variable (BrainPy; tests/test_brainpy_compat_variables.py)
        with pytest.raises(TypeError):
            vl[0:1] = [bad]
    assert len(vl) == 2 and vl[0] is v1 and vl[1] is v2


def test_vardict_accepts_variables_and_rejects_others():
    v = bm.Variable(jnp.zeros(1))
    vd = bm.VarDict(a=v)
    assert isinstance(vd, dict) and vd["a"] is v
    for bad in (jnp.zeros(1), 3, None):
        with pytest.raises(TypeError):
            bm.VarDict({"a": v, "b": bad})
        with pytest.raises(TypeError):
            vd["b"] = bad
        with pytest.raises(TypeError):
            vd.setdefault("c", bad)
    assert list(vd) == ["a"]


def test_varlist_remove_is_by_identity():
    a = bm.Variable(jnp.zeros(2))
    b = bm.Variable(jnp.zeros(2))  # equal value: == would be elementwise
    vl = bm.VarList([a, b])
    vl.remove(b)
    assert len(vl) == 1 and vl[0] is a
    with pytest.raises(ValueError):
        vl.remove(b)


def test_varlist_extend_with_a_bad_item_changes_nothing():
    v = bm.Variable(jnp.zeros(1))
    vl = bm.VarList()
    version = structure_stamp(vl)
    with pytest.raises(TypeError):
        vl.extend([v, 3])
    assert len(vl) == 0
    assert structure_stamp(vl) == version


def test_vardict_update_with_a_bad_item_changes_nothing():
    v = bm.Variable(jnp.zeros(1))
    vd = bm.VarDict()
    with pytest.raises(TypeError):
        vd.update({"a": v, "b": 3})
    assert dict(vd) == {}


def test_failed_extend_then_jit_sees_the_new_variable():
    class VarExtendHolder(bp.BrainPyObject):
        def __init__(self):
            self.vl = bm.VarList([bm.Variable(jnp.ones(()))])

    h = VarExtendHolder()
    total = bm.jit(lambda h: sum(v.value for v in h.vl))
    assert float(total(h)) == 1.0
    with pytest.raises(TypeError):
        h.vl.extend([bm.Variable(jnp.full((), 10.0)), "not a variable"])
    eager = float(sum(v.value for v in h.vl))
    assert float(total(h)) == eager


def test_varlist_and_vardict_are_pytrees_of_variables():
    vl = bm.VarList([bm.Variable(jnp.ones(2)), bm.Variable(jnp.zeros((), jnp.int32))])
    out = jax.tree_util.tree_map(lambda x: x + 1, vl)
    assert type(out) is bm.VarList
    assert_same(out[0].value, jnp.full(2, 2.0))
    assert_same(out[1].value, jnp.ones((), jnp.int32))
    vd = bm.VarDict({"z": bm.Variable(jnp.ones(1)), "a": bm.Variable(jnp.zeros(1))})
    paths = [p for p, _ in jax.tree_util.tree_flatten_with_path(vd)[0]]
    # insertion order, not sorted
    assert [p[0].key for p in paths] == ["z", "a"]
    back = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(vd), [jnp.ones(1) * 3, jnp.ones(1)])
    assert type(back) is bm.VarDict and list(back) == ["z", "a"]
    assert_same(back["z"].value, jnp.full(1, 3.0))


# -- properties -------------------------------------------------------------------------

DTYPES = st.sampled_from([jnp.float32, jnp.int32, jnp.bool_])
SHAPES = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


def _array(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype == jnp.bool_:
        return jnp.asarray(rng.random(shape) > 0.5)
    if dtype == jnp.int32:
        return jnp.asarray(rng.integers(-5, 6, shape), jnp.int32)
    return jnp.asarray(rng.standard_normal(shape), jnp.float32)


@settings(max_examples=60, deadline=None)
@given(DTYPES, SHAPES, SHAPES, st.integers(0, 2**16))
def test_assignment_accepts_exactly_same_shape_and_dtype(dtype, shape, other_shape, seed):
    v = bm.Variable(_array(dtype, shape, seed))
    for new_dtype in (jnp.float32, jnp.int32, jnp.bool_):
        new = _array(new_dtype, other_shape, seed + 1)
        ok = new_dtype == dtype and other_shape == shape
        before = v.value
        if ok:
            v.value = new
            assert_same(v.value, new)
        else:
            with pytest.raises(bm.MathError):
                v.value = new
            assert v.value is before
