"""BrainPy 2.x Variable semantics (issue #10): shapes as first argument,
batch_axis/axis_names, Parameter, VariableView, VarList/VarDict writes."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_no_tracers


# BrainPy: an int or a tuple/list of ints is a shape, filled with jnp.zeros.
@pytest.mark.parametrize("arg", [10, (2, 3), [2, 3], (), 0])
def test_int_or_int_sequence_is_a_shape_of_zeros(arg):
    v = bm.Variable(arg)
    expected = jnp.zeros(arg)
    assert v.shape == expected.shape and v.dtype == expected.dtype
    np.testing.assert_array_equal(np.asarray(v), np.asarray(expected))


def test_shape_with_dtype_and_trainvar():
    v = bm.TrainVar((3,), dtype="int32")
    assert isinstance(v, bm.TrainVar)
    np.testing.assert_array_equal(np.asarray(v), np.zeros(3, np.int32))
    assert v.dtype == jnp.int32


@pytest.mark.parametrize("arg", [10.0, np.int64(3), np.array(4), jnp.array([2, 3]), True])
def test_other_scalars_and_arrays_are_values(arg):
    v = bm.Variable(arg)
    np.testing.assert_array_equal(np.asarray(v), np.asarray(arg))


def test_negative_size_is_refused_and_names_the_fix():
    with pytest.raises(bp.MathError, match=r"shape \(-1,\).*jnp.asarray"):
        bm.Variable(-1)


def test_batch_axis_and_axis_names_are_recorded():
    v = bm.Variable(jnp.zeros((4, 3)), batch_axis=0, axis_names=("b", "n"))
    assert (v.batch_axis, v.batch_size, v.axis_names, v.nobatch_shape) == (0, 4, ("b", "n"), (3,))
    w = bm.Variable((4, 3), None, -1, axis_names=("n",))  # BrainPy inserts "batch"
    assert (w.batch_axis, w.batch_size, w.axis_names, w.nobatch_shape) == (-1, 3, ("n", "batch"), (4,))
    assert bm.Variable(v).batch_axis == 0  # inherited from the Variable it copies
    assert bm.Variable(3.0).batch_axis is None and bm.Variable(3.0).batch_size is None


def test_batch_axis_checked_against_the_shape():
    with pytest.raises(bp.MathError, match="batch_axis=2"):
        bm.Variable((4, 3), batch_axis=2)
    with pytest.raises(bp.MathError, match="axis_names"):
        bm.Variable((4, 3), axis_names=("a",))
    with pytest.raises(ValueError, match="batch_axis"):
        bm.Variable(bm.Variable((4, 3), batch_axis=0), batch_axis=1)


def test_metadata_survives_pickle_and_tree_map():
    v = bm.Variable((4, 3), batch_axis=0, axis_names=("b", "n"))
    for copy in (pickle.loads(pickle.dumps(v)), jax.tree.map(lambda x: x, v)):
        assert (copy.batch_axis, copy.axis_names) == (0, ("b", "n"))


def test_parameter_is_a_variable_not_a_trainvar():
    p = bm.Parameter(jnp.ones(2))
    assert isinstance(p, bm.Variable) and not isinstance(p, bm.TrainVar)
    np.testing.assert_array_equal(np.asarray(bm.Parameter(3)), np.zeros(3))


def test_conversions_and_clone():
    x = jnp.arange(3.0)
    v = bm.Variable(x, batch_axis=0)
    assert isinstance(v.numpy(), np.ndarray) and isinstance(v.to_numpy(), np.ndarray)
    np.testing.assert_array_equal(v.numpy(), np.asarray(x))
    assert isinstance(v.to_jax(), jax.Array)
    c = v.clone()
    assert type(c) is bm.Variable and c is not v and c.batch_axis == 0
    c += 1
    np.testing.assert_array_equal(np.asarray(v), np.asarray(x))
    v.fill_(7.0)
    np.testing.assert_array_equal(np.asarray(v), np.full(3, 7.0, np.float32))
    v.copy_(x)
    np.testing.assert_array_equal(np.asarray(v), np.asarray(x))
    assert v.as_variable() is v


def test_variable_view_reads_and_writes_the_origin():
    x = np.arange(5.0, dtype=np.float32)
    origin = bm.Variable(jnp.asarray(x))
    view = bm.VariableView(origin, slice(None, 2))
    np.testing.assert_array_equal(np.asarray(view.value), x[:2])
    view[:] = 1.0
    view *= 10
    x[:2] = 10.0
    np.testing.assert_array_equal(np.asarray(origin), x)
    np.testing.assert_array_equal(np.asarray(view + 1), x[:2] + 1)
    assert isinstance(view, bm.Variable)
    assert jax.tree_util.tree_leaves(view) == []


def test_variable_view_refuses_wrong_shape_and_keeps_the_value():
    origin = bm.Variable(jnp.zeros(4))
    view = bm.VariableView(origin, slice(0, 2))
    with pytest.raises(bp.MathError, match=r"VariableView.*expected shape \(2,\)"):
        view.value = jnp.ones(3)
    np.testing.assert_array_equal(np.asarray(origin), np.zeros(4))
    with pytest.raises(IndexError, match="out of bounds"):
        bm.VariableView(origin, 9)
    with pytest.raises(TypeError, match="expected a Variable"):
        bm.VariableView(jnp.zeros(4), 0)


class Holder(bp.BrainPyObject):
    def __init__(self):
        super().__init__()
        self.v = bm.Variable(jnp.zeros(4))
        self.view = bm.VariableView(self.v, slice(1, 3))
        self.vl = bm.VarList([bm.Variable(jnp.zeros(2)), bm.Variable(jnp.zeros(3))])
        self.vd = bm.VarDict({"a": bm.Variable(jnp.zeros(2))})


def test_vars_leave_views_out():
    h = Holder()
    assert not any(isinstance(v, bm.VariableView) for v in h.vars().values())
    assert any(v is h.v for v in h.vars().values())


def test_view_and_container_writes_inside_jit():
    h = Holder()

    @bm.jit
    def step(x):
        h.view.value = h.view.value + x
        h.vl[0] = h.vl[0].value + x
        h.vd["a"] = h.vd["a"].value + 2 * x
        return h.view.value.sum()

    out = step(1.0)
    out = step(1.0)
    np.testing.assert_allclose(float(out), 4.0)
    np.testing.assert_array_equal(np.asarray(h.v), np.array([0, 2, 2, 0], np.float32))
    np.testing.assert_array_equal(np.asarray(h.vl[0]), np.full(2, 2.0))
    np.testing.assert_array_equal(np.asarray(h.vd["a"]), np.full(2, 4.0))
    assert_no_tracers(h)


def test_view_and_container_writes_inside_for_loop():
    h = Holder()

    def body(x):
        h.view += x
        h.vl[1] = h.vl[1].value + x
        h.vd["a"] = h.vd["a"].value - x
        return h.v.value

    xs = jnp.arange(3.0)
    hist = bm.for_loop(body, xs)
    expected = np.cumsum(np.asarray(xs))
    np.testing.assert_allclose(np.asarray(hist)[:, 1], expected)
    np.testing.assert_allclose(np.asarray(h.vl[1]), np.full(3, expected[-1]))
    np.testing.assert_allclose(np.asarray(h.vd["a"]), np.full(2, -expected[-1]))
    assert_no_tracers(h)


def test_container_writes_keep_the_variable_and_replacing_still_works():
    vl = bm.VarList([bm.Variable(jnp.zeros(2))])
    first = vl[0]
    vl[0] = jnp.ones(2)
    assert vl[0] is first
    np.testing.assert_array_equal(np.asarray(first), np.ones(2))
    with pytest.raises(bp.MathError, match=r"expected shape \(2,\)"):
        vl[0] = jnp.ones(3)
    np.testing.assert_array_equal(np.asarray(first), np.ones(2))
    other = bm.Variable(jnp.zeros(5))
    vl[0] = other
    assert vl[0] is other
    vd = bm.VarDict({"a": bm.Variable(jnp.zeros(2))})
    a = vd["a"]
    vd["a"] = jnp.full(2, 3.0)
    assert vd["a"] is a
    np.testing.assert_array_equal(np.asarray(a), np.full(2, 3.0))
    with pytest.raises(TypeError, match="expected a Variable"):
        vd["new"] = jnp.zeros(2)


def test_view_with_traced_index_is_refused_inside_a_transform():
    v = bm.Variable(jnp.zeros(3))

    def body(i):
        bm.VariableView(v, i)

    with pytest.raises(bp.MathError, match="traced"):
        bm.for_loop(body, jnp.arange(3))
    np.testing.assert_array_equal(np.asarray(v), np.zeros(3))
