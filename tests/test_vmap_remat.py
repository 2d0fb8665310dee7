"""bm.vmap / bm.StateAxes / bm.stack_objects / bm.remat / bm.eval_shape.

Every test compares against an oracle: the same computation in plain JAX
(jax.vmap, jax.grad, jax.checkpoint, jax.eval_shape) or the eager loop over
the unstacked members of an ensemble.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_close, assert_no_tracers, assert_same_state, state_of

R = bm.random


# -- models and their pure-JAX twins ----------------------------------------------------

class Dense(bp.BrainPyObject):
    def __init__(self, n_in, n_out, seed=0):
        k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
        self.W = bm.TrainVar(jax.random.normal(k1, (n_in, n_out)) / np.sqrt(n_in))
        self.b = bm.TrainVar(0.1 * jax.random.normal(k2, (n_out,)))
        self.calls = bm.Variable(jnp.zeros((), jnp.int32))

    def __call__(self, x):
        self.calls += 1
        return jnp.tanh(x @ self.W + self.b)


class MLP(bp.BrainPyObject):
    def __init__(self, sizes, seed=0):
        self.layers = bm.NodeList(
            [Dense(a, b, 10 * seed + i) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))])

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def params_of(model):
    return [(l.W.value, l.b.value) for l in model.layers]


def pure_forward(params, x):
    for W, b in params:
        x = jnp.tanh(x @ W + b)
    return x


def pure_loss(params, x, y):
    return jnp.mean((pure_forward(params, x) - y) ** 2)


def pure_sgd(params, x, y, lr=0.1):
    loss, grads = jax.value_and_grad(pure_loss)(params, x, y)
    return [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(params, grads)], loss


def train_step(model, x, y, lr=0.1):
    """An object training step: bm.grad over the model's TrainVars, then SGD."""
    tv = model.train_vars()
    grads, loss = bm.grad(lambda: jnp.mean((model(x) - y) ** 2), grad_vars=tv, return_value=True)()
    for key, var in tv.items():
        var.value = var - lr * grads[key]
    return loss


def assert_clean(*objs):
    """No tracer left in ``objs`` and no brainobj trace still open."""
    assert_no_tracers(*objs)
    assert not bm.in_transform()


def ensemble(k, sizes=(3, 5, 2)):
    members = [MLP(list(sizes), seed=s) for s in range(k)]
    return members, bm.stack_objects(members)


@pytest.fixture(autouse=True)
def _restore_default_key():
    saved = R.DEFAULT.value
    yield
    R.DEFAULT.value = saved


X = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)
Y = jnp.cos(jnp.arange(8.0)).reshape(4, 2)
FORWARD = lambda m, x: m(x)


# -- stack_objects / unstack_objects ------------------------------------------------------

def test_stack_then_unstack_round_trips():
    members, ens = ensemble(3)
    for key, var in ens.vars(method="relative").items():
        expected = np.stack([state_of(m)[key] for m in members])
        np.testing.assert_array_equal(np.asarray(var.value), expected, err_msg=key)
    back = bm.unstack_objects(ens)
    assert len(back) == 3
    for member, original in zip(back, members):
        assert type(member) is MLP and member is not original
        assert_same_state(member, state_of(original))
    # the stacked object and the members are independent copies
    ens.layers[0].W.value = ens.layers[0].W * 0
    assert_same_state(back[0], state_of(members[0]))
    assert float(jnp.abs(members[0].layers[0].W.value).sum()) > 0


def test_stack_keeps_shared_variables_shared():
    class Tied(bp.BrainPyObject):
        def __init__(self, s):
            self.a = bm.TrainVar(jnp.full(2, float(s)))
            self.b = self.a

    ens = bm.stack_objects([Tied(1), Tied(2)])
    assert ens.a is ens.b and ens.a.shape == (2, 2)
    members = bm.unstack_objects(ens)
    assert all(m.a is m.b for m in members)


def test_stack_objects_refuses_mismatched_members():
    with pytest.raises(bm.MathError, match=r"W.*\[3, 5\]"):
        bm.stack_objects([MLP([3, 5, 2]), MLP([4, 5, 2])])
    with pytest.raises(bm.MathError, match="no objects"):
        bm.stack_objects([])


def test_stack_objects_refuses_members_differing_outside_variables():
    class Scaled(bp.BrainPyObject):
        def __init__(self, scale, const):
            self.w = bm.TrainVar(jnp.ones(2))
            self.scale = scale
            self.const = jnp.asarray(const)

        def __call__(self):
            return self.w * self.scale + self.const

    # the stacked copy would silently use member 0's scale / const for all
    with pytest.raises(bm.MathError, match=r"object 1 differs .* at \.scale: 2\.0 where object 0 has 1\.0"):
        bm.stack_objects([Scaled(1.0, 0.0), Scaled(2.0, 0.0)])
    with pytest.raises(bm.MathError, match=r"at \.const: arrays with different values"):
        bm.stack_objects([Scaled(1.0, 0.0), Scaled(1.0, 5.0)])
    with pytest.raises(bm.MathError, match=r"at <root>: a Dense where object 0 has a MLP"):
        bm.stack_objects([MLP([2, 2]), Dense(2, 2)])
    members = [Scaled(3.0, 1.0), Scaled(3.0, 1.0)]
    members[1].w.value = jnp.full(2, 2.0)
    ens = bm.stack_objects(members)  # equal statics, equal-valued constants: fine
    assert_close(bm.vmap(lambda m: m())(ens), jnp.stack([m() for m in members]), atol=1e-5)


def test_unstack_needs_a_common_leading_axis():
    with pytest.raises(bm.MathError, match="leading"):
        bm.unstack_objects(MLP([3, 5, 2]))  # W: (3, 5) but b: (5,)


def test_stack_and_unstack_refused_inside_transforms():
    members, ens = ensemble(2)

    def f(x):
        bm.stack_objects(members)
        return x

    with pytest.raises(bm.MathError, match="outside transforms"):
        bm.jit(f)(1.0)
    with pytest.raises(bm.MathError, match="outside transforms"):
        bm.vmap(lambda m: bm.unstack_objects(m))(ens)
    assert_clean(ens, *members)


# -- StateAxes -------------------------------------------------------------------------------

def test_state_axes_picks_the_first_matching_type():
    axes = bm.StateAxes({bm.TrainVar: 0, R.RandomState: None, ...: 1})
    assert axes.axis_of(bm.TrainVar(jnp.zeros(2))) == 0
    assert axes.axis_of(R.RandomState(0)) is None
    assert axes.axis_of(bm.Variable(jnp.zeros(2))) == 1
    assert "TrainVar: 0" in repr(axes)
    with pytest.raises(bm.MathError, match="no StateAxes entry.*Variable"):
        bm.StateAxes({bm.TrainVar: 0}).axis_of(bm.Variable(jnp.zeros(2)))
    with pytest.raises(TypeError, match="Variable types"):
        bm.StateAxes({int: 0})
    with pytest.raises(TypeError, match="int or None"):
        bm.StateAxes({bm.TrainVar: "0"})


# -- vmap: ensembles ------------------------------------------------------------------------

def test_vmap_forward_matches_loop_and_jax_vmap():
    members, ens = ensemble(4)
    got = bm.vmap(FORWARD, in_axes=(0, None))(ens, X)
    assert got.shape == (4, 4, 2)
    loop = jnp.stack([m(X) for m in members])
    stacked_params = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[params_of(m) for m in members])
    oracle = jax.vmap(pure_forward, in_axes=(0, None))(stacked_params, X)
    assert_close(got, loop, atol=1e-5)
    assert_close(got, oracle, atol=1e-5)
    # the mapped counters were written per member
    np.testing.assert_array_equal(np.asarray(ens.layers[0].calls.value), [1, 1, 1, 1])
    assert_clean(ens)


def test_vmap_maps_array_arguments_too():
    members, ens = ensemble(3)
    xs = jnp.stack([X, 2 * X, -X])
    got = bm.vmap(FORWARD)(ens, xs)
    assert_close(got, jnp.stack([m(x) for m, x in zip(members, xs)]), atol=1e-5)


def test_vmap_training_step_matches_each_member_and_jax():
    members, ens = ensemble(3)
    stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[params_of(m) for m in members])
    step = bm.vmap(train_step, in_axes=(0, None, None))
    for _ in range(3):
        losses = step(ens, X, Y)
        expected = jnp.stack([train_step(m, X, Y) for m in members])
        stacked, oracle_loss = jax.vmap(pure_sgd, in_axes=(0, None, None))(stacked, X, Y)
        assert_close(losses, expected, atol=1e-5)
        assert_close(losses, oracle_loss, atol=1e-5)
    for i, member in enumerate(bm.unstack_objects(ens)):
        for key, value in state_of(members[i]).items():
            assert_close(state_of(member)[key], value, atol=1e-5)
    for layer, (W, b) in zip(ens.layers, stacked):
        assert_close(layer.W.value, W, atol=1e-5)
        assert_close(layer.b.value, b, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(ens.layers[1].calls.value), [3, 3, 3])
    assert_clean(ens)


def test_state_axes_maps_parameters_and_broadcasts_the_rest():
    members, ens = ensemble(3)
    for layer in ens.layers:  # one unbatched counter per layer, shared by all members
        layer.calls = bm.Variable(jnp.asarray(7, jnp.int32))
    axes = bm.StateAxes({bm.TrainVar: 0, ...: None})
    got = bm.vmap(train_step, in_axes=(axes, None, None))(ens, X, Y)
    assert_close(got, jnp.stack([train_step(m, X, Y) for m in members]), atol=1e-5)
    for layer, i in zip(ens.layers, range(2)):
        # written with a value that does not depend on the member: advanced once
        assert layer.calls.shape == () and int(layer.calls.value) == 8
        assert_close(layer.W.value, jnp.stack([m.layers[i].W.value for m in members]), atol=1e-5)
        assert_close(layer.b.value, jnp.stack([m.layers[i].b.value for m in members]), atol=1e-5)
    assert_clean(ens)


def test_per_example_gradients_of_a_broadcast_model():
    model = MLP([3, 5, 2])
    before = state_of(model)
    tv = model.train_vars(method="relative")

    def per_example(m, x, y):
        return bm.grad(lambda: jnp.sum((m(x[None]) - y) ** 2), grad_vars=tv)()

    grads = bm.vmap(per_example, in_axes=(None, 0, 0))(model, X, Y)
    oracle = jax.vmap(jax.grad(lambda p, x, y: jnp.sum((pure_forward(p, x[None]) - y) ** 2)),
                      in_axes=(None, 0, 0))(params_of(model), X, Y)
    for i, (gW, gb) in enumerate(oracle):
        assert grads[f"layers.{i}.W"].shape == (4,) + before[f"layers.{i}.W"].shape
        assert_close(grads[f"layers.{i}.W"], gW, atol=1e-5)
        assert_close(grads[f"layers.{i}.b"], gb, atol=1e-5)
    for key in tv:
        np.testing.assert_array_equal(state_of(model)[key], before[key])
    assert int(model.layers[0].calls.value) == 1  # the broadcast counter: one consistent write


def test_object_in_axes_must_be_int_none_or_state_axes():
    members, ens = ensemble(2)
    with pytest.raises(bm.MathError, match="argument 0 holds objects.*StateAxes"):
        bm.vmap(FORWARD, in_axes=({"layers": 0}, None))(ens, X)


def test_closure_and_global_objects_are_broadcast():
    members, ens = ensemble(3)
    head = Dense(2, 1, seed=5)
    head_state = state_of(head)

    def run(m, x):
        return head(m(x))  # head is reached through the closure

    got = bm.vmap(run, in_axes=(0, None))(ens, X)
    loop = jnp.stack([head(m(X)) for m in members])
    assert_close(got, loop, atol=1e-5)
    # head.calls was written with `calls + 1` by every element: one consistent write
    assert int(head.calls.value) == int(head_state["calls"]) + 1 + 3  # +1 vmap, +3 loop
    assert_close(head.W.value, head_state["W"], atol=1e-5)


GLOBAL_HEAD = Dense(2, 1, seed=9)


def _global_run(m, x):
    return GLOBAL_HEAD(m(x))


def test_global_object_is_broadcast():
    members, ens = ensemble(2)
    got = bm.vmap(_global_run, in_axes=(0, None))(ens, X)
    assert_close(got, jnp.stack([GLOBAL_HEAD(m(X)) for m in members]), atol=1e-5)


def test_writing_a_broadcast_variable_with_batched_values_is_refused():
    members, ens = ensemble(3)
    total = bm.Variable(jnp.zeros(2), )
    before, total_before = state_of(ens), np.asarray(total.value)

    key_before = np.asarray(R.DEFAULT.value)

    def leaky(m, x):
        out = m(x) + R.rand(2)  # a split random state: learned, then not advanced
        total.value = total + out.sum(0)  # depends on the member: not one value
        return out

    with pytest.raises(bm.MathError, match=r"Variable\(shape=\(2,\), dtype=float32\) is broadcast") as info:
        bm.vmap(leaky, in_axes=(0, None))(ens, X)
    assert "Map it" in str(info.value)
    assert_same_state(ens, before)  # nothing written, not even the mapped counters
    np.testing.assert_array_equal(np.asarray(total.value), total_before)
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), key_before)
    assert_clean(ens, total, R.DEFAULT)


def test_writing_an_unmapped_object_variable_with_batched_values_is_refused():
    model = MLP([3, 5, 2])
    before = state_of(model)
    # parameters broadcast, data mapped: each element computes its own update
    with pytest.raises(bm.MathError, match=r"Dense\d+\.[Wb] \(shape \(\d+(, \d+)?,?\)\) is broadcast") as info:
        bm.vmap(lambda m, x: train_step(m, x, Y), in_axes=(None, 0))(model, jnp.stack([X, 2 * X]))
    assert "calls" not in str(info.value)  # written consistently: not the culprit
    assert_same_state(model, before)
    assert_clean(model)
    # the same step with per-element values reduced inside is consistent and allowed
    def mean_step(m, x):
        loss = train_step(m, jax.lax.pmean(x, "data"), Y)
        return loss

    eager = MLP([3, 5, 2])
    losses = bm.vmap(mean_step, in_axes=(None, 0), axis_name="data")(model, jnp.stack([X, 2 * X]))
    expected = train_step(eager, 1.5 * X, Y)
    assert_close(losses, jnp.stack([expected, expected]), atol=1e-5)
    for key, value in state_of(eager).items():
        assert_close(state_of(model)[key], value, atol=1e-5)


def test_a_variable_reached_with_two_axes_is_an_error():
    class P(bp.BrainPyObject):
        def __init__(self, W):
            self.W = W

    a = P(bm.TrainVar(jnp.ones((2, 2))))
    b = P(a.W)
    with pytest.raises(bm.MathError, match="reached with axes 0 and None"):
        bm.vmap(lambda p, q: p.W + q.W, in_axes=(0, None))(a, b)


def test_mismatched_axis_sizes_are_reported():
    members, ens = ensemble(3)
    with pytest.raises(bm.MathError, match="different sizes"):
        bm.vmap(FORWARD)(ens, jnp.ones((2, 4, 3)))
    with pytest.raises(bm.MathError, match="no axis 1"):
        bm.vmap(lambda v: v + 1, in_axes=1)(bm.Variable(jnp.ones(3)))


def test_exception_inside_vmap_leaves_state_unchanged():
    members, ens = ensemble(3)
    before, key_before = state_of(ens), np.asarray(R.DEFAULT.value)

    def broken(m, x):
        train_step(m, x, Y)
        R.rand(2)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        bm.vmap(broken, in_axes=(0, None))(ens, X)
    assert_same_state(ens, before)
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), key_before)
    assert_clean(ens, R.DEFAULT)


def test_axis_name_collectives():
    members, ens = ensemble(3)

    def averaged(m, x):
        for var in m.train_vars().values():  # average the members' parameters in place
            var.value = jax.lax.pmean(var.value, "members")
        return m(x)

    expected = {k: jnp.mean(v.value, 0) for k, v in ens.train_vars(method="relative").items()}
    out = bm.vmap(averaged, in_axes=(0, None), axis_name="members")(ens, X)
    for key, var in ens.train_vars(method="relative").items():
        for i in range(3):
            assert_close(var.value[i], expected[key], atol=1e-5)
    mean_params = [(expected[f"layers.{i}.W"], expected[f"layers.{i}.b"]) for i in range(2)]
    for i in range(3):
        assert_close(out[i], pure_forward(mean_params, X), atol=1e-5)


def test_non_zero_axis_maps_and_writes_back_along_that_axis():
    class P(bp.BrainPyObject):
        def __init__(self):
            self.W = bm.Variable(jnp.arange(6.0).reshape(2, 3))

    def f(p, c):
        p.W.value = p.W * c
        return p.W.sum()

    def pure(W, c):
        return W * c, (W * c).sum()

    for axis in (1, -1):
        p = P()
        c = jnp.array([1.0, 2.0, 3.0])
        out = bm.vmap(f, in_axes=(axis, 0))(p, c)
        new_W, expected = jax.vmap(pure, in_axes=(axis, 0), out_axes=(axis, 0))(jnp.arange(6.0).reshape(2, 3), c)
        assert_close(out, expected, atol=1e-5)
        assert_close(p.W.value, new_W, atol=1e-5)


def test_keyword_arguments_are_mapped_along_axis_0():
    members, ens = ensemble(3)
    xs = jnp.stack([X, 2 * X, -X])
    got = bm.vmap(lambda m, *, x: m(x))(ens, x=xs)
    assert_close(got, jnp.stack([m(x) for m, x in zip(members, xs)]), atol=1e-5)
    with pytest.raises(bm.MathError, match="keyword argument 'x': 2"):
        bm.vmap(lambda m, *, x: m(x))(ens, x=xs[:2])


def test_same_object_twice_is_one_set_of_variables():
    members, ens = ensemble(2)
    got = bm.vmap(lambda a, b, x: a(x) + b(x), in_axes=(0, 0, None))(ens, ens, X)
    assert_close(got, jnp.stack([2 * m(X) for m in members]), atol=1e-5)
    # two calls per element, both counted on the one mapped counter
    np.testing.assert_array_equal(np.asarray(ens.layers[0].calls.value), [2, 2])


def test_nothing_mapped_asks_for_axis_size():
    model = MLP([3, 2])
    with pytest.raises(bm.MathError, match="nothing to map.*axis_size"):
        bm.vmap(FORWARD, in_axes=None)(model, X)
    got = bm.vmap(FORWARD, in_axes=None, axis_size=2)(model, X)
    assert_close(got, jnp.stack([pure_forward(params_of(model), X)] * 2), atol=1e-5)


def test_variable_argument_and_returned_variable():
    v = bm.Variable(jnp.arange(6.0).reshape(3, 2))

    def f(var):
        var.value = var * 2
        return var

    out = bm.vmap(f)(v)
    assert_close(out, jnp.arange(6.0).reshape(3, 2) * 2, atol=1e-5)
    assert_close(v.value, out, atol=1e-5)


# -- vmap: random numbers ---------------------------------------------------------------------

def expected_split_draws(key, n, shape):
    """What n elements drawing `rand(*shape)` from a split random state get."""
    live, sub = jax.random.split(key)
    keys = jax.random.split(sub, n)
    draws = jnp.stack([jax.random.uniform(jax.random.split(k)[1], shape) for k in keys])
    return live, draws


def test_broadcast_random_state_draws_differ_per_element_and_advance_once():
    members, ens = ensemble(4)
    R.seed(3)
    key = R.DEFAULT.value

    def noisy(m, x):
        return m(x), R.rand(2)

    _, draws = bm.vmap(noisy, in_axes=(0, None))(ens, X)
    live, expected = expected_split_draws(key, 4, (2,))
    assert_close(draws, expected, rtol=0, atol=0)
    assert len({tuple(np.asarray(d)) for d in draws}) == 4
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), np.asarray(live))
    # the next call draws new numbers
    _, again = bm.vmap(noisy, in_axes=(0, None))(ens, X)
    assert not np.allclose(np.asarray(again), np.asarray(draws))


def test_object_random_state_broadcast_with_state_axes():
    class Noisy(bp.BrainPyObject):
        def __init__(self, seed):
            self.w = bm.TrainVar(jnp.full(3, float(seed)))
            self.rng = R.RandomState(seed)

        def __call__(self):
            return self.w + self.rng.rand(3)

    ens = bm.stack_objects([Noisy(1), Noisy(2)])
    shared = R.RandomState(11)
    ens.rng = shared  # one stream for the whole ensemble
    key = shared.value
    out = bm.vmap(lambda m: m(), in_axes=bm.StateAxes({bm.TrainVar: 0, R.RandomState: None}))(ens)
    live, expected = expected_split_draws(key, 2, (3,))
    assert_close(out, jnp.stack([jnp.full(3, 1.0), jnp.full(3, 2.0)]) + expected,
                 rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(shared.value), np.asarray(live))


def test_mapped_random_states_match_each_member():
    class Noisy(bp.BrainPyObject):
        def __init__(self, seed):
            self.rng = R.RandomState(seed)
            self.w = bm.TrainVar(jnp.full(2, float(seed)))

        def __call__(self):
            return self.w * self.rng.randn(2)

    members = [Noisy(s) for s in range(3)]
    ens = bm.stack_objects(members)
    got = bm.vmap(lambda m: m())(ens)
    expected = jnp.stack([m() for m in members])
    assert_close(got, expected, rtol=1e-6, atol=1e-6)
    for i, m in enumerate(members):
        np.testing.assert_array_equal(np.asarray(ens.rng.value[i]), np.asarray(m.rng.value))


def test_random_draws_without_a_mapped_axis_need_axis_size():
    with pytest.raises(bm.MathError, match="axis_size"):
        bm.vmap(lambda: R.rand(2))()
    key = R.DEFAULT.value
    got = bm.vmap(lambda: R.rand(2), axis_size=3)()
    live, expected = expected_split_draws(key, 3, (2,))
    assert_close(got, expected, rtol=0, atol=0)
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), np.asarray(live))


def test_nested_vmap_draws_split_at_each_level():
    R.seed(5)
    key = R.DEFAULT.value
    got = bm.vmap(lambda row: bm.vmap(lambda y: y + R.rand())(row))(jnp.zeros((2, 3)))
    live, sub = jax.random.split(key)
    expected = []
    for outer in jax.random.split(sub, 2):
        _, inner_sub = jax.random.split(outer)
        expected.append([jax.random.uniform(jax.random.split(k)[1], ()) for k in jax.random.split(inner_sub, 3)])
    assert_close(got, jnp.asarray(expected), rtol=0, atol=0)
    assert len(set(np.asarray(got).ravel().tolist())) == 6
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), np.asarray(live))


# -- vmap: nesting ----------------------------------------------------------------------------

def test_jit_of_vmap_matches_eager_vmap():
    members, ens = ensemble(3)
    _, eager_ens = ensemble(3)
    step = bm.vmap(train_step, in_axes=(0, None, None))
    compiled = bm.jit(step)
    for _ in range(3):
        assert_close(compiled(ens, X, Y), step(eager_ens, X, Y), atol=1e-5)
    for key, value in state_of(eager_ens).items():
        assert_close(state_of(ens)[key], value, atol=1e-5)
    assert_clean(ens)


def test_vmap_of_jit():
    members, ens = ensemble(3)
    compiled = bm.jit(train_step)
    compiled(MLP([3, 5, 2], seed=7), X, Y)  # a cached plan from outside vmap is not reused blindly
    got = bm.vmap(compiled, in_axes=(0, None, None))(ens, X, Y)
    assert_close(got, jnp.stack([train_step(m, X, Y) for m in members]), atol=1e-5)
    for key, value in state_of(bm.stack_objects(members)).items():
        assert_close(state_of(ens)[key], value, atol=1e-5)


def test_vmap_of_for_loop():
    members, ens = ensemble(2)
    xs = jnp.stack([X, X * 0.5, -X])

    def run(m):
        return bm.for_loop(lambda x: train_step(m, x, Y), xs)

    got = bm.vmap(run)(ens)
    expected = jnp.stack([jnp.stack([train_step(m, x, Y) for x in xs]) for m in members])
    assert_close(got, expected, atol=1e-5)
    for key, value in state_of(bm.stack_objects(members)).items():
        assert_close(state_of(ens)[key], value, atol=1e-5)
    assert_clean(ens)


def test_grad_of_vmap_matches_jax():
    members, ens = ensemble(3)
    stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[params_of(m) for m in members])
    tv = ens.train_vars(method="relative")

    def loss():
        return jnp.sum(bm.vmap(FORWARD, in_axes=(0, None))(ens, X) ** 2)

    grads = bm.grad(loss, grad_vars=tv)()
    oracle = jax.grad(lambda p: jnp.sum(jax.vmap(pure_forward, in_axes=(0, None))(p, X) ** 2))(stacked)
    for i, (gW, gb) in enumerate(oracle):
        assert_close(grads[f"layers.{i}.W"], gW, atol=1e-5)
        assert_close(grads[f"layers.{i}.b"], gb, atol=1e-5)
    assert_clean(ens)


def test_grad_of_vmap_wrt_a_broadcast_closure_object():
    members, ens = ensemble(3)
    head = Dense(2, 1, seed=4)
    grads = bm.grad(lambda: jnp.sum(bm.vmap(lambda m: head(m(X)))(ens)),
                    grad_vars=head.train_vars(method="relative"))()
    stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[params_of(m) for m in members])

    def oracle(hp):
        return jnp.sum(jax.vmap(lambda p: jnp.tanh(pure_forward(p, X) @ hp[0] + hp[1]))(stacked))

    gW, gb = jax.grad(oracle)((head.W.value, head.b.value))
    assert_close(grads["W"], gW, atol=1e-5)
    assert_close(grads["b"], gb, atol=1e-5)
    assert int(head.calls.value) == 1
    assert_clean(head, ens)


def test_broadcast_write_error_inside_jit_leaves_state_unchanged():
    members, ens = ensemble(2)
    total = bm.Variable(jnp.zeros(()))
    before = state_of(ens)

    def f(m):
        total.value = total + m.layers[0].W.sum()
        return m(X)

    with pytest.raises(bm.MathError, match=r"is broadcast \(not mapped\)"):
        bm.jit(bm.vmap(f))(ens)
    assert_same_state(ens, before)
    assert float(total.value) == 0.0
    assert_clean(ens, total)


# -- remat ---------------------------------------------------------------------------------------

def test_remat_values_and_gradients_match_jax():
    model = MLP([3, 5, 2])
    params = params_of(model)
    tv = model.train_vars(method="relative")
    body = bm.remat(lambda x: model(x))

    def loss():
        return jnp.mean((body(X) - Y) ** 2)

    grads, value = bm.grad(loss, grad_vars=tv, return_value=True)()
    plain_grads = jax.grad(pure_loss)(params, X, Y)
    ckpt_grads = jax.grad(lambda p: jnp.mean((jax.checkpoint(pure_forward)(p, X) - Y) ** 2))(params)
    assert_close(value, pure_loss(params, X, Y), atol=1e-5)
    for i, ((gW, gb), (cW, cb)) in enumerate(zip(plain_grads, ckpt_grads)):
        assert_close(grads[f"layers.{i}.W"], gW, atol=1e-5)
        assert_close(grads[f"layers.{i}.W"], cW, atol=1e-5)
        assert_close(grads[f"layers.{i}.b"], gb, atol=1e-5)
        assert_close(grads[f"layers.{i}.b"], cb, atol=1e-5)
    assert_close(body(X), pure_forward(params, X), atol=1e-5)


def test_remat_is_a_checkpoint_in_the_jaxpr():
    model = MLP([3, 4, 2])
    body = bm.remat(lambda m, x: m(x))
    jaxpr = bm.jit(lambda x: body(model, x)).trace(X).jaxpr
    assert any("checkpoint" in str(eqn.primitive) or "remat" in str(eqn.primitive)
               for eqn in jaxpr.jaxpr.eqns)


def test_remat_writes_variables_back():
    model = MLP([3, 4, 2])
    eager = MLP([3, 4, 2])
    out = bm.remat(train_step)(model, X, Y)
    expected = train_step(eager, X, Y)
    assert_close(out, expected, atol=1e-5)
    for key, value in state_of(eager).items():
        assert_close(state_of(model)[key], value, atol=1e-5)
    assert_clean(model)


def test_remat_inside_jit_and_grad_writes_back():
    model, eager = MLP([3, 4, 2]), MLP([3, 4, 2])
    tv, etv = model.train_vars(), eager.train_vars()

    def step(m, tv, fwd):
        grads = bm.grad(lambda: jnp.mean((fwd(m, X) - Y) ** 2), grad_vars=tv)()
        for key, var in tv.items():
            var.value = var - 0.1 * grads[key]

    compiled = bm.jit(lambda: step(model, tv, bm.remat(FORWARD)))
    for _ in range(2):
        compiled()
        step(eager, etv, FORWARD)
    for key, value in state_of(eager).items():
        assert_close(state_of(model)[key], value, atol=1e-5)
    # the counters incremented inside remat (inside grad inside jit) came back
    assert int(model.layers[0].calls.value) == 2
    assert_clean(model)


def test_remat_exception_leaves_state_unchanged():
    model = MLP([3, 4, 2])
    before = state_of(model)

    def broken(m):
        train_step(m, X, Y)
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        bm.remat(broken)(model)
    assert_same_state(model, before)
    assert_clean(model)


def test_remat_random_draws_match_the_plain_function():
    w = bm.TrainVar(jnp.arange(1.0, 4.0))
    rng = R.RandomState(1)
    f = lambda: jnp.sum(jnp.sin(w * rng.rand(3)))
    key = rng.value
    g_remat, v_remat = bm.grad(bm.remat(f), grad_vars=w, return_value=True)()
    key_after = rng.value
    rng.value = key
    g_plain, v_plain = bm.grad(f, grad_vars=w, return_value=True)()
    assert_close(g_remat, g_plain, atol=1e-5)
    assert_close(v_remat, v_plain, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(key_after), np.asarray(rng.value))
    u = jax.random.uniform(jax.random.split(key)[1], (3,))
    assert_close(g_remat, jax.grad(lambda w: jnp.sum(jnp.sin(w * u)))(jnp.arange(1.0, 4.0)),
                 atol=1e-5)


def test_remat_keeps_non_array_arguments_static():
    def layer(x, activation, repeat, *, scale):
        for _ in range(repeat):  # Python control flow on a Python int
            x = getattr(jnp, activation)(x * scale)
        return x.sum()

    x = jnp.linspace(0.0, 1.0, 4)
    got = bm.grad(lambda x: bm.remat(layer)(x, "tanh", 2, scale=1.5))(x)
    expected = jax.grad(lambda x: layer(x, "tanh", 2, scale=1.5))(x)
    assert_close(got, expected, atol=1e-5)
    assert_close(bm.remat(layer)(x, "sin", 3, scale=0.5), layer(x, "sin", 3, scale=0.5), atol=1e-5)


def test_remat_inside_vmap():
    members, ens = ensemble(3)
    got = bm.vmap(bm.remat(train_step), in_axes=(0, None, None))(ens, X, Y)
    assert_close(got, jnp.stack([train_step(m, X, Y) for m in members]), atol=1e-5)
    for key, value in state_of(bm.stack_objects(members)).items():
        assert_close(state_of(ens)[key], value, atol=1e-5)


# -- eval_shape ------------------------------------------------------------------------------------

def test_eval_shape_matches_eager_output_and_changes_nothing():
    model = MLP([3, 5, 2])
    before, key_before = state_of(model), np.asarray(R.DEFAULT.value)

    def f(m, x):
        return {"loss": train_step(m, x, Y), "out": m(x), "noise": R.randint(0, 4, (2, 3))}

    shapes = bm.eval_shape(f, model, X)
    assert_same_state(model, before)
    np.testing.assert_array_equal(np.asarray(R.DEFAULT.value), key_before)
    assert_clean(model, R.DEFAULT)
    eager = f(model, X)
    assert jax.tree_util.tree_structure(shapes) == jax.tree_util.tree_structure(eager)
    for s, e in zip(jax.tree_util.tree_leaves(shapes), jax.tree_util.tree_leaves(eager)):
        assert isinstance(s, jax.ShapeDtypeStruct)
        assert (s.shape, s.dtype) == (e.shape, e.dtype)


def test_eval_shape_accepts_shape_dtype_structs_and_closures():
    model = MLP([3, 5, 2])
    before = state_of(model)
    spec = jax.ShapeDtypeStruct((7, 3), jnp.float32)
    got = bm.eval_shape(lambda x: model(x), spec)
    assert (got.shape, got.dtype) == ((7, 2), jnp.float32)
    assert got == jax.eval_shape(lambda x: pure_forward(params_of(model), x), spec)
    assert_same_state(model, before)


def test_eval_shape_inside_jit_does_not_leak_writes():
    model = MLP([3, 4, 2])
    counter = bm.Variable(jnp.zeros(()))

    @bm.jit
    def f(x):
        shape = bm.eval_shape(lambda: train_step(model, x, Y) + counter.value)
        counter.value += 1
        return x.sum() + 0 * jnp.zeros(shape.shape)

    before = state_of(model)
    for i in range(2):
        assert_close(f(X), X.sum(), atol=1e-5)
        assert float(counter.value) == i + 1
    assert_same_state(model, before)
    assert_clean(model, counter)


def test_eval_shape_of_a_jit_function_leaves_its_cache_usable():
    model, eager = MLP([3, 4, 2]), MLP([3, 4, 2])
    step = bm.jit(train_step)
    before = state_of(model)
    shape = bm.eval_shape(step, model, X, Y)
    assert (shape.shape, shape.dtype) == ((), jnp.float32)
    assert_same_state(model, before)
    assert_clean(model)
    for _ in range(2):
        assert_close(step(model, X, Y), train_step(eager, X, Y), atol=1e-5)
    for key, value in state_of(eager).items():
        assert_close(state_of(model)[key], value, atol=1e-5)
    assert_clean(model)


def test_eval_shape_non_array_arguments_and_kwargs():
    def f(x, kind, n, *, m):
        return {kind: jnp.zeros((n, m)) + x.sum()}

    spec = jax.ShapeDtypeStruct((5, 4), jnp.float32)
    got = bm.eval_shape(f, spec, "out", 3, m=jnp.ones(2).shape[0])
    assert got == jax.eval_shape(lambda x: f(x, "out", 3, m=2), spec)


def test_eval_shape_exception_leaves_state_unchanged():
    model = MLP([3, 4, 2])
    before = state_of(model)

    def broken(m):
        train_step(m, X, Y)
        raise KeyError("x")

    with pytest.raises(KeyError):
        bm.eval_shape(broken, model)
    assert_same_state(model, before)
    assert_clean(model)


# -- property: random ensembles -------------------------------------------------------------------

@settings(max_examples=6, deadline=None)
@given(
    k=st.integers(1, 4),
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    batch=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
@pytest.mark.slow  # several seconds: `make test-slow` (CI's second step)
def test_vmap_over_stacked_equals_loop_over_members(k, sizes, batch, seed):
    members = [MLP(sizes, seed=seed + s) for s in range(k)]
    ens = bm.stack_objects(members)
    x = jax.random.normal(jax.random.PRNGKey(seed), (batch, sizes[0]))
    y = jnp.zeros((batch, sizes[-1]))
    got_out = bm.vmap(FORWARD, in_axes=(0, None))(ens, x)
    expected_out = jnp.stack([m(x) for m in members])
    # compiled on both sides to keep the property cheap (bm.jit == eager is tested elsewhere)
    got_loss = bm.jit(bm.vmap(train_step, in_axes=(0, None, None)))(ens, x, y)
    one_step = bm.jit(train_step)
    expected_loss = jnp.stack([one_step(m, x, y) for m in members])
    assert_close(got_out, expected_out, atol=1e-5)
    assert_close(got_loss, expected_loss, atol=1e-5)
    for member, original in zip(bm.unstack_objects(ens), members):
        for key, value in state_of(original).items():
            assert_close(state_of(member)[key], value, atol=1e-5)


def test_plain_arrays_beside_objects_follow_the_ellipsis_entry_or_broadcast():
    class Holder(bp.BrainPyObject):
        def __init__(self):
            self.w = bm.TrainVar(jnp.arange(6.0).reshape(3, 2))

    holder = Holder()
    offsets = jnp.arange(3.0)

    def f(arg):
        model, offset = arg
        return model.w.value.sum() + offset

    mapped = bm.vmap(f, in_axes=bm.StateAxes({bm.TrainVar: 0, ...: 0}))((holder, offsets))
    np.testing.assert_allclose(mapped, jnp.arange(6.0).reshape(3, 2).sum(1) + offsets)
    broadcast = bm.vmap(lambda arg: f(arg) * jnp.ones(()),
                        in_axes=bm.StateAxes({bm.TrainVar: 0}))((holder, jnp.asarray(10.0)))
    np.testing.assert_allclose(broadcast, jnp.arange(6.0).reshape(3, 2).sum(1) + 10.0)


def test_stacking_objects_of_two_same_named_classes_says_they_differ():
    def make():
        class M(bp.BrainPyObject):
            def __init__(self):
                self.w = bm.Variable(jnp.zeros(2))

        return M()

    with pytest.raises(bm.MathError, match=r"two different classes named .*make\.<locals>\.M."):
        bm.stack_objects([make(), make()])


def test_a_keyword_argument_without_a_batch_axis_is_named_with_a_way_out():
    with pytest.raises(bm.MathError, match=r"keyword argument 'y' has shape \(\).*positionally"):
        bm.vmap(lambda x, y=None: x + y)(jnp.arange(3.0), y=1.0)


def test_the_inconsistent_broadcast_write_is_named_among_consistent_ones():
    steady = bm.Variable(jnp.zeros(2))
    total = bm.Variable(jnp.zeros(()))

    def f(x):
        steady.value = jnp.ones(2)       # the same for every element: allowed
        total.value = total + x          # differs per element: not
        return x

    before = float(total.value)
    with pytest.raises(bm.MathError, match="broadcast") as info:
        bm.vmap(f)(jnp.arange(3.0))
    assert "shape=()" in str(info.value) and "(2,)" not in str(info.value)
    assert float(total.value) == before and not steady.value.any()
    assert_no_tracers(total)


def test_an_out_axes_error_of_the_users_own_is_not_blamed_on_a_written_variable():
    steady = bm.Variable(jnp.zeros(2))

    def f(x):
        steady.value = jnp.ones(2)
        return x

    with pytest.raises(ValueError) as info:
        bm.vmap(f, out_axes=None)(jnp.arange(3.0))   # the output itself is batched
    assert not isinstance(info.value, bm.MathError)
    assert not steady.value.any()
