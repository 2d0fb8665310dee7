"""bm.grad and friends, each checked against JAX's transform of the same
computation written as a pure function of the arrays."""

from collections import OrderedDict

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import brainobj as bp
import brainobj.math as bm

from _helpers import assert_no_tracers


# ---------------------------------------------------------------------------
# helpers


def assert_tree_close(actual, expected, rtol=1e-5, atol=1e-6):
    """Same pytree structure (None leaves included) and close leaves."""
    # a Collector is a dict but not a registered pytree: compare as dicts
    plain = lambda t: jtu.tree_map(lambda c: dict(c) if isinstance(c, bm.Collector) else c, t,
                                   is_leaf=lambda c: isinstance(c, bm.Collector))
    actual, expected = plain(actual), plain(expected)
    a_leaves, a_def = jtu.tree_flatten(actual, is_leaf=lambda x: x is None)
    e_leaves, e_def = jtu.tree_flatten(expected, is_leaf=lambda x: x is None)
    assert a_def == e_def, f"structure {a_def} != {e_def}"
    for a, e in zip(a_leaves, e_leaves):
        if e is None:
            assert a is None
        else:
            assert not isinstance(a, bm.Variable), "gradients must be arrays"
            assert np.shape(a) == np.shape(e)
            np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol)


def snapshot(variables):
    return [np.asarray(v.value) for v in variables]


def assert_unchanged(variables, before):
    for v, old in zip(variables, before):
        assert_no_tracers(v)
        np.testing.assert_array_equal(np.asarray(v.value), old)


class Affine(bp.BrainPyObject):
    """y = tanh(x @ W + b); counts its calls and keeps a running mean of y."""

    def __init__(self, n_in=3, n_out=2, seed=0):
        k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
        self.W = bm.TrainVar(jax.random.normal(k1, (n_in, n_out)))
        self.b = bm.TrainVar(jax.random.normal(k2, (n_out,)))
        self.calls = bm.Variable(jnp.zeros((), jnp.int32))
        self.mean = bm.Variable(jnp.zeros(n_out))

    def __call__(self, x):
        self.calls += 1
        y = jnp.tanh(x @ self.W.value + self.b.value)
        self.mean.value = 0.9 * self.mean.value + 0.1 * jnp.mean(y, axis=0)
        return y


def affine_pure(W, b, x):
    return jnp.tanh(x @ W + b)


def loss_pure(W, b, x):
    return jnp.sum(affine_pure(W, b, x) ** 2)


X = jax.random.normal(jax.random.PRNGKey(42), (4, 3))


# ---------------------------------------------------------------------------
# grad_vars structures and the result layout


@pytest.mark.parametrize("kind", ["single", "list", "tuple", "dict", "ordered", "collector",
                                  "train_vars"])
def test_grad_vars_structure_matches_jax(kind):
    net = Affine()
    W, b = net.W.value, net.b.value
    gW, gb = jax.grad(loss_pure, argnums=(0, 1))(W, b, X)
    grad_vars, expected = {
        "single": (net.W, gW),
        "list": ([net.W, net.b], [gW, gb]),
        "tuple": ((net.b, net.W), (gb, gW)),
        "dict": ({"w": net.W, "b": net.b}, {"w": gW, "b": gb}),
        "ordered": (OrderedDict(w=net.W, b=net.b), OrderedDict(w=gW, b=gb)),
        # a Collector is no pytree, so its gradients come back as a plain dict
        # (same keys, same order) that bm.jit can return
        "collector": (bm.Collector(w=net.W, b=net.b), {"w": gW, "b": gb}),
        "train_vars": (net.train_vars(), None),
    }[kind]
    grads = bm.grad(lambda x: jnp.sum(net(x) ** 2), grad_vars=grad_vars)(X)
    if kind == "train_vars":
        # BrainPy returns the collector type: an ArrayCollector (a pytree) of
        # the gradients, with train_vars()'s keys in its order
        expected = bm.ArrayCollector(zip(net.train_vars(), [gW, gb]))
    assert type(grads) is type(expected)
    if isinstance(expected, dict):
        assert list(grads) == list(expected)
    assert_tree_close(grads, expected)


def test_grad_vars_and_argnums_give_var_grads_then_arg_grads():
    net = Affine()
    W, b = net.W.value, net.b.value

    def loss(x, scale):
        return jnp.sum(net(x) ** 2) * scale

    def pure(W, b, x, scale):
        return loss_pure(W, b, x) * scale

    exp = jax.grad(pure, argnums=(0, 1, 2, 3))(W, b, X, 1.5)
    var_grads, arg_grads = bm.grad(loss, grad_vars=[net.W, net.b], argnums=0)(X, 1.5)
    assert_tree_close(var_grads, [exp[0], exp[1]])
    assert_tree_close(arg_grads, exp[2])
    var_grads, arg_grads = bm.grad(loss, grad_vars={"W": net.W}, argnums=(0, 1))(X, 1.5)
    assert_tree_close(var_grads, {"W": exp[0]})
    assert_tree_close(arg_grads, (exp[2], exp[3]))


def test_argnums_only_and_default_argnum_zero():
    f = lambda x, y: jnp.sum(jnp.sin(x) * y ** 2)
    x, y = jnp.arange(3.0), jnp.linspace(0.5, 1.5, 3)
    assert_tree_close(bm.grad(f)(x, y), jax.grad(f)(x, y))
    assert_tree_close(bm.grad(f, argnums=1)(x, y), jax.grad(f, argnums=1)(x, y))
    assert_tree_close(bm.grad(f, argnums=(1, 0))(x, y), jax.grad(f, argnums=(1, 0))(x, y))
    # pytree arguments keep their structure
    g = lambda p: jnp.sum(p["a"] * p["b"][0])
    p = {"a": x, "b": [y]}
    assert_tree_close(bm.grad(g)(p), jax.grad(g)(p))


def test_return_value_and_has_aux_follow_brainpy_order():
    net = Affine()
    W, b = net.W.value, net.b.value

    def loss(x):
        y = net(x)
        return jnp.sum(y ** 2), jnp.max(y)

    def pure(W, b, x):
        y = affine_pure(W, b, x)
        return jnp.sum(y ** 2), jnp.max(y)

    (value, aux), (gW, gb) = jax.value_and_grad(pure, argnums=(0, 1), has_aux=True)(W, b, X)
    vs = [net.W, net.b]
    single = lambda x: loss(x)[0]

    grads, val = bm.grad(single, grad_vars=vs, return_value=True)(X)
    assert_tree_close((grads, val), ([gW, gb], value))
    grads, a = bm.grad(loss, grad_vars=vs, has_aux=True)(X)
    assert_tree_close((grads, a), ([gW, gb], aux))
    grads, val, a = bm.grad(loss, grad_vars=vs, has_aux=True, return_value=True)(X)
    assert_tree_close((grads, val, a), ([gW, gb], value, aux))
    # value_and_grad: JAX's order
    val, grads = bm.value_and_grad(single, grad_vars=vs)(X)
    assert_tree_close((val, grads), (value, [gW, gb]))
    (val, a), grads = bm.value_and_grad(loss, grad_vars=vs, has_aux=True)(X)
    assert_tree_close(((val, a), grads), ((value, aux), [gW, gb]))
    # value_and_grad over arguments only matches jax.value_and_grad exactly
    f = lambda x: jnp.sum(jnp.cos(x))
    assert_tree_close(bm.value_and_grad(f)(X), jax.value_and_grad(f)(X))


def test_decorator_form():
    w = bm.TrainVar(jnp.array([1.0, -2.0]))

    @bm.grad(grad_vars=w, return_value=True)
    def f(x):
        return jnp.sum(w.value ** 3 * x)

    g, v = f(2.0)
    eg, ev = jax.grad(lambda w: jnp.sum(w ** 3 * 2.0))(w.value), jnp.sum(w.value ** 3 * 2.0)
    assert_tree_close((g, v), (eg, ev))


# ---------------------------------------------------------------------------
# state written by fun


def test_written_variables_are_updated_like_the_eager_run():
    net, twin = Affine(), Affine()
    loss = lambda m: (lambda x: jnp.sum(m(x) ** 2))
    f = bm.grad(loss(net), grad_vars=[net.W, net.b])
    for _ in range(3):
        f(X)
        loss(twin)(X)  # the eager run updates the same non-differentiated state
    assert int(net.calls.value) == 3
    np.testing.assert_allclose(net.mean.value, twin.mean.value, rtol=1e-5, atol=1e-7)
    assert_no_tracers(net.mean)
    # TrainVars were only read
    np.testing.assert_array_equal(net.W.value, twin.W.value)


@pytest.mark.parametrize("transform", [bm.grad, bm.value_and_grad, bm.vector_grad, bm.jacrev,
                                       bm.jacfwd, bm.hessian])
def test_every_transform_writes_back_state_like_the_eager_run(transform):
    # the running mean depends on the differentiated W: its new value must be
    # the primal one, also under forward mode (jacfwd, hessian)
    net, twin = Affine(), Affine()
    bm.random.seed(11)
    noise = lambda: bm.random.normal(size=2)

    def loss(m):
        return lambda x: jnp.sum(m(x) ** 2) + jnp.sum(noise() * m.b.value)

    for _ in range(2):
        transform(loss(net), grad_vars=[net.W, net.b])(X)
    key_after = np.asarray(bm.random.DEFAULT.value)
    bm.random.seed(11)
    for _ in range(2):
        loss(twin)(X)
    np.testing.assert_array_equal(key_after, np.asarray(bm.random.DEFAULT.value))
    assert int(net.calls.value) == 2
    np.testing.assert_allclose(net.mean.value, twin.mean.value, rtol=1e-5, atol=1e-7)
    assert_no_tracers(net)


def test_variable_argument_gets_an_array_gradient():
    w = bm.TrainVar(jnp.array([1.0, 2.0]))
    f = lambda a: jnp.sum(a.value ** 3)
    pure = lambda a: jnp.sum(a ** 3)
    assert_tree_close(bm.grad(f)(w), jax.grad(pure)(w.value))
    assert_tree_close(bm.jacfwd(lambda a: a ** 3, argnums=(0,))(w),
                      jax.jacfwd(lambda a: a ** 3, argnums=(0,))(w.value))
    assert_tree_close(bm.hessian(f)(w), jax.hessian(pure)(w.value))
    # a constant output is a valid (zero-gradient) scalar, as in JAX
    assert_tree_close(bm.grad(lambda: 2.0, grad_vars=w)(), jnp.zeros(2))


def test_written_differentiated_variable_gets_new_value_and_gradient_of_old():
    w = bm.TrainVar(jnp.array([0.5, 1.0]))

    def f():
        loss = jnp.sum(w.value ** 2)
        w.value = w.value * 3.0  # written after it was read
        return loss

    old = w.value
    g = bm.grad(f, grad_vars=w)()
    assert_tree_close(g, jax.grad(lambda w: jnp.sum(w ** 2))(old))
    np.testing.assert_allclose(w.value, old * 3.0)


def test_random_key_advances_and_draws_match_eager():
    w = bm.TrainVar(jnp.ones(3))

    def f():
        return jnp.sum(w.value * bm.random.normal(size=3))

    bm.random.seed(7)
    g = bm.grad(f, grad_vars=[w, bm.random.DEFAULT])()
    key_after = np.asarray(bm.random.DEFAULT.value)
    bm.random.seed(7)
    noise_eager = bm.random.normal(size=3)
    np.testing.assert_array_equal(key_after, np.asarray(bm.random.DEFAULT.value))
    # the gradient w.r.t. w is the noise drawn; the key gets None
    assert g[1] is None
    assert_tree_close(g[0], noise_eager)
    # a second call draws fresh numbers
    g2 = bm.grad(f, grad_vars=w)()
    assert not np.allclose(g2, g[0])


def test_integer_bool_and_key_variables_get_none_and_are_still_written():
    w = bm.TrainVar(jnp.array([1.0, 2.0]))
    count = bm.Variable(jnp.zeros((), jnp.int32))
    flag = bm.Variable(jnp.array(False))
    rng = bm.random.RandomState(3)
    typed_key = bm.Variable(jax.random.key(0))

    def f():
        count.value = count.value + 1
        flag.value = jnp.logical_not(flag.value)
        return jnp.sum(w.value ** 2) + jnp.sum(rng.rand(2)) + count.value

    key_before = np.asarray(rng.value)
    grads = bm.grad(f, grad_vars={"w": w, "count": count, "flag": flag, "rng": rng,
                                  "key": typed_key})()
    assert_tree_close(grads, {"w": 2 * w.value, "count": None, "flag": None, "rng": None,
                              "key": None})
    assert int(count.value) == 1 and bool(flag.value)
    assert not np.array_equal(np.asarray(rng.value), key_before)
    # the same rule for the Jacobian transforms
    for transform in (bm.jacrev, bm.jacfwd, bm.hessian, bm.vector_grad):
        out = transform(lambda: jnp.sum(w.value ** 3) + count.value, grad_vars=[count, w])()
        assert out[0] is None
    assert int(count.value) == 1


# ---------------------------------------------------------------------------
# objects as arguments, closures, globals; shared references


GLOBAL_NET = Affine(seed=3)


def global_loss(x):
    return jnp.sum(GLOBAL_NET(x) ** 2)


def test_object_as_argument_closure_and_global_agree():
    expected = jax.grad(loss_pure, argnums=(0, 1))(GLOBAL_NET.W.value, GLOBAL_NET.b.value, X)
    vs = [GLOBAL_NET.W, GLOBAL_NET.b]
    by_global = bm.grad(global_loss, grad_vars=vs)(X)
    by_closure = bm.grad(lambda x: jnp.sum(GLOBAL_NET(x) ** 2), grad_vars=vs)(X)
    by_argument = bm.grad(lambda m, x: jnp.sum(m(x) ** 2), grad_vars=vs, argnums=1)(GLOBAL_NET, X)
    for g in (by_global, by_closure, by_argument[0]):
        assert_tree_close(g, list(expected))
    assert int(GLOBAL_NET.calls.value) == 3


class Tied(bp.BrainPyObject):
    """Two layers sharing one weight (weight tying)."""

    def __init__(self):
        self.enc = bp.Linear(3, 3)
        self.dec = bp.Linear(3, 3)
        self.dec.W = self.enc.W

    def __call__(self, x):
        return jnp.sum(jnp.tanh(self.dec(jnp.tanh(self.enc(x)))) ** 2)


def test_shared_variable_gets_one_summed_gradient():
    net = Tied()
    W, b1, b2 = net.enc.W.value, net.enc.b.value, net.dec.b.value
    assert net.enc.W is net.dec.W

    def pure(W, b1, b2):
        return jnp.sum(jnp.tanh(jnp.tanh(X @ W + b1) @ W + b2) ** 2)

    eW, eb1, eb2 = jax.grad(pure, argnums=(0, 1, 2))(W, b1, b2)
    # vars() lists the shared W once
    grads = bm.grad(lambda: net(X), grad_vars=net.train_vars())()
    assert len(grads) == 3
    assert_tree_close(list(grads.values()), [eW, eb1, eb2])
    # listing the same box twice: both entries get the full (summed) gradient
    g = bm.grad(lambda: net(X), grad_vars={"enc": net.enc.W, "dec": net.dec.W, "b": net.dec.b})()
    assert_tree_close(g, {"enc": eW, "dec": eW, "b": eb2})
    assert_tree_close(bm.grad(lambda: net(X), grad_vars=[net.enc.W, net.enc.W])(), [eW, eW])
    assert_tree_close(bm.jacrev(lambda: net(X), grad_vars=[net.enc.W, net.dec.W])(), [eW, eW])
    assert net.enc.W is net.dec.W


# ---------------------------------------------------------------------------
# failures change nothing


def _raising(net, exc):
    def f(x):
        net(x)
        net.W.value = net.W.value * 2.0
        if exc is not None:
            raise exc
        return net.mean.value  # a vector: bm.grad rejects it
    return f


@pytest.mark.parametrize("transform", [bm.grad, bm.value_and_grad, bm.vector_grad, bm.jacrev,
                                       bm.jacfwd, bm.hessian])
def test_exception_inside_fun_changes_nothing(transform):
    net = Affine()
    variables = list(net.vars().values()) + [bm.random.DEFAULT]
    before = snapshot(variables)
    with pytest.raises(RuntimeError, match="boom"):
        transform(_raising(net, RuntimeError("boom")), grad_vars=net.vars())(X)
    assert_unchanged(variables, before)
    # also inside bm.jit
    jitted = bm.jit(lambda x: transform(_raising(net, RuntimeError("boom")), grad_vars=[net.W])(x))
    with pytest.raises(RuntimeError, match="boom"):
        jitted(X)
    assert_unchanged(variables, before)
    # and the model still works afterwards
    g = bm.grad(lambda x: jnp.sum(net(x) ** 2), grad_vars=[net.W, net.b])(X)
    assert_tree_close(g, list(jax.grad(loss_pure, argnums=(0, 1))(before[0], before[1], X)))


# ---------------------------------------------------------------------------
# errors name what is wrong


def test_non_variable_in_grad_vars_is_named():
    w = bm.TrainVar(jnp.ones(2))
    with pytest.raises(TypeError, match=r"grad_vars\['x'\] is a .*Array.*not a Variable"):
        bm.grad(lambda: jnp.sum(w.value), grad_vars={"w": w, "x": jnp.ones(2)})
    with pytest.raises(TypeError, match=r"bm.jacrev: grad_vars\[1\] is a float"):
        bm.jacrev(lambda: w.value, grad_vars=[w, 1.0])
    with pytest.raises(TypeError, match=r"grad_vars must be a Variable.*got str"):
        bm.grad(lambda: jnp.sum(w.value), grad_vars="w")
    with pytest.raises(TypeError, match="argnums must be an int"):
        bm.grad(lambda x: x, argnums="0")
    with pytest.raises(TypeError, match="expected a function"):
        bm.grad(3)


def test_non_scalar_output_error_is_clear_and_changes_nothing():
    net = Affine()
    variables = list(net.vars().values())
    before = snapshot(variables)
    for transform, name in ((bm.grad, "bm.grad"), (bm.value_and_grad, "bm.value_and_grad")):
        with pytest.raises(bm.MathError, match=rf"{name}: .*scalar.*shape \(2,\).*vector_grad"):
            transform(_raising(net, None), grad_vars=[net.W])(X)
        assert_unchanged(variables, before)
    # a forgotten has_aux, and an integer output, are named too
    with pytest.raises(bm.MathError, match="tuple of length 2.*has_aux=True"):
        bm.grad(lambda: (jnp.sum(net.W.value), 1.0), grad_vars=net.W)()
    with pytest.raises(bm.MathError, match="int32"):
        bm.grad(lambda: jnp.sum(net.calls.value), grad_vars=net.W)()
    with pytest.raises(bm.MathError, match=r"has_aux=True needs .*\(value, aux\).*array of shape"):
        bm.grad(lambda: jnp.sum(net(X)), grad_vars=net.W, has_aux=True)()
    assert_unchanged(variables, before)


# ---------------------------------------------------------------------------
# nesting


def test_jit_of_grad_matches_eager_and_updates_state():
    net, twin = Affine(), Affine()
    loss = lambda m: (lambda x: jnp.sum(m(x) ** 2))
    jitted = bm.jit(bm.grad(loss(net), grad_vars=net.train_vars(), return_value=True))
    eager = bm.grad(loss(twin), grad_vars=twin.train_vars(), return_value=True)
    for i in range(3):
        (g, v), (eg, ev) = jitted(X * (i + 1)), eager(X * (i + 1))
        assert_tree_close((list(g.values()), v), (list(eg.values()), ev))
    assert int(net.calls.value) == 3
    np.testing.assert_allclose(net.mean.value, twin.mean.value, rtol=1e-5, atol=1e-7)


def test_grad_inside_jit_training_step_matches_pure_jax():
    net = Affine()
    W, b = net.W.value, net.b.value

    @bm.jit
    def step(x):
        grads, value = bm.grad(lambda: jnp.sum(net(x) ** 2), grad_vars=[net.W, net.b],
                               return_value=True)()
        net.W.value = net.W.value - 0.1 * grads[0]
        net.b.value = net.b.value - 0.1 * grads[1]
        return value

    @jax.jit
    def pure_step(W, b, x):
        value, (gW, gb) = jax.value_and_grad(loss_pure, argnums=(0, 1))(W, b, x)
        return W - 0.1 * gW, b - 0.1 * gb, value

    for _ in range(4):
        value = step(X)
        W, b, expected = pure_step(W, b, X)
        np.testing.assert_allclose(value, expected, rtol=1e-5)
    assert_tree_close([net.W.value, net.b.value], [W, b])
    assert int(net.calls.value) == 4


def test_grad_of_grad_matches_jax_second_derivative():
    s = bm.TrainVar(jnp.array(0.7))
    f = lambda x: jnp.sin(s.value * x) ** 2 * s.value
    inner = bm.grad(f, grad_vars=s)
    second = bm.grad(inner, grad_vars=s)(1.3)
    pure = lambda s, x: jnp.sin(s * x) ** 2 * s
    np.testing.assert_allclose(second, jax.grad(jax.grad(pure))(0.7, 1.3), rtol=1e-5)
    # mixed: d/dx of d/ds
    mixed = bm.grad(inner, argnums=0)(1.3)
    np.testing.assert_allclose(mixed, jax.grad(jax.grad(pure), argnums=1)(0.7, 1.3), rtol=1e-5)
    # and the Hessian transform agrees
    np.testing.assert_allclose(bm.hessian(f, grad_vars=s)(1.3), second, rtol=1e-5)


def test_grad_inside_for_loop_matches_python_loop():
    net = Affine()
    W, b = net.W.value, net.b.value
    xs = jax.random.normal(jax.random.PRNGKey(1), (5, 4, 3))

    def body(x):
        grads = bm.grad(lambda: jnp.sum(net(x) ** 2), grad_vars=[net.W, net.b])()
        net.W.value = net.W.value - 0.05 * grads[0]
        net.b.value = net.b.value - 0.05 * grads[1]
        return jnp.sum(grads[0])

    out = bm.for_loop(body, xs)
    expected = []
    for x in xs:
        gW, gb = jax.grad(loss_pure, argnums=(0, 1))(W, b, x)
        W, b = W - 0.05 * gW, b - 0.05 * gb
        expected.append(jnp.sum(gW))
    np.testing.assert_allclose(out, jnp.stack(expected), rtol=1e-5, atol=1e-6)
    assert_tree_close([net.W.value, net.b.value], [W, b])
    assert int(net.calls.value) == 5


# ---------------------------------------------------------------------------
# vector_grad, Jacobians, Hessian


def test_vector_grad_is_gradient_of_the_sum():
    w = bm.TrainVar(jnp.array([0.3, -1.2, 2.0]))
    f = lambda x: jnp.sin(w.value * x) * x
    x = jnp.array([1.0, 2.0, 0.5])
    pure = lambda w, x: jnp.sum(jnp.sin(w * x) * x)
    ew, ex = jax.grad(pure, argnums=(0, 1))(w.value, x)
    assert_tree_close(bm.vector_grad(f)(x), ex)
    (gw, gx), value = bm.vector_grad(f, grad_vars=w, argnums=0, return_value=True)(x)
    assert_tree_close((gw, gx, value), (ew, ex, f(x)))
    # pytree outputs are summed leaf by leaf; has_aux passes aux through
    g, aux = bm.vector_grad(lambda x: ({"a": x ** 2, "b": [jnp.exp(x)]}, "aux"), has_aux=True)(x)
    assert aux == "aux"
    assert_tree_close(g, jax.grad(lambda x: jnp.sum(x ** 2) + jnp.sum(jnp.exp(x)))(x))


@pytest.mark.parametrize("ours, theirs", [(bm.jacrev, jax.jacrev), (bm.jacfwd, jax.jacfwd),
                                          (bm.jacobian, jax.jacrev)])
def test_jacobians_match_jax(ours, theirs):
    net = Affine()
    W, b = net.W.value, net.b.value
    x = X[0]
    eW, eb, ex = theirs(affine_pure, argnums=(0, 1, 2))(W, b, x)
    jac_vars = ours(net, grad_vars={"W": net.W, "b": net.b})(x)
    assert_tree_close(jac_vars, {"W": eW, "b": eb})
    assert_tree_close(ours(affine_pure, argnums=2)(W, b, x), ex)
    (jv, jx), value, aux = ours(lambda x: (net(x), jnp.sum(x)), grad_vars=[net.W], argnums=0,
                                has_aux=True, return_value=True)(x)
    assert_tree_close((jv, jx, value, aux), ([eW], ex, affine_pure(W, b, x), jnp.sum(x)))
    assert int(net.calls.value) == 2
    # a pytree-valued function: the output's structure is outside, as in JAX
    pair = lambda W, x: {"y": affine_pure(W, b, x), "z": [jnp.sum(W * x[:, None])]}
    got = ours(lambda: pair(net.W.value, x), grad_vars=[net.W])()
    assert_tree_close(got, theirs(lambda Ws: pair(Ws[0], x))([W]))
    got = ours(lambda x: pair(net.W.value, x), grad_vars={"W": net.W}, argnums=(0,))(x)
    jw, jx = theirs(pair, argnums=0)(W, x), theirs(pair, argnums=1)(W, x)
    assert_tree_close(got, jtu.tree_map(lambda a, c: ({"W": a}, (c,)), jw, jx))


def test_hessian_matches_jax_for_vars_and_pytree_args():
    v = bm.TrainVar(jnp.array([0.5, -1.0]))
    s = bm.TrainVar(jnp.array(1.5))

    def pure(v, s, p):
        return jnp.sum(jnp.sin(v * p["a"]) * p["a"] ** 2) * s ** 2 + jnp.sum(v) * p["c"]

    p = {"a": jnp.array([0.3, 0.9]), "c": jnp.array(2.0)}
    f = lambda p: pure(v.value, s.value, p)
    # grad_vars alone: H[a][b] like jax.hessian over a dict
    expected = jax.hessian(lambda d: pure(d["v"], d["s"], p))({"v": v.value, "s": s.value})
    assert_tree_close(bm.hessian(f, grad_vars={"v": v, "s": s})(p), expected)
    # arguments alone: exactly jax.hessian's layout
    assert_tree_close(bm.hessian(f)(p), jax.hessian(f)(p))
    assert_tree_close(bm.hessian(f, argnums=(0,))(p), jax.hessian(f, argnums=(0,))(p))
    # both: grad_vars act as one more leading input
    both = jax.hessian(lambda vs, p: pure(vs[0], vs[1], p), argnums=(0, 1))([v.value, s.value], p)
    got = bm.hessian(f, grad_vars=[v, s], argnums=0)(p)
    assert_tree_close(got, both)
    # with value and aux
    (h, value, aux) = bm.hessian(lambda p: (f(p), p["c"]), grad_vars=s, has_aux=True,
                                 return_value=True)(p)
    assert_tree_close((h, value, aux),
                      (jax.hessian(lambda s: pure(v.value, s, p))(s.value), f(p), p["c"]))


# ---------------------------------------------------------------------------
# property: random models, random grad_vars subsets


class Bag(bp.BrainPyObject):
    """TrainVars in attributes p0, p1, ...; some attributes share one box."""

    def __init__(self, arrays, slots):
        self.boxes = [bm.TrainVar(a) for a in arrays]
        for i, j in enumerate(slots):
            setattr(self, f"p{i}", self.boxes[j])
        self.n_slots = len(slots)
        self.calls = bm.Variable(jnp.zeros((), jnp.int32))

    def __call__(self, x, coeffs):
        self.calls += 1
        total = 0.0
        for i in range(self.n_slots):
            total = total + coeffs[i] * jnp.sum(jnp.sin(getattr(self, f"p{i}").value * x) ** 2)
        return total


SHAPES = [(), (2,), (3,), (2, 2)]


@st.composite
def bags(draw):
    n_boxes = draw(st.integers(1, 4))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n_boxes)]
    # every box used at least once; extra slots share boxes
    slots = list(range(n_boxes)) + draw(st.lists(st.integers(0, n_boxes - 1), max_size=3))
    slots = draw(st.permutations(slots))
    subset = draw(st.lists(st.integers(0, len(slots) - 1), min_size=1, max_size=len(slots),
                           unique=True))
    as_dict = draw(st.booleans())
    seed = draw(st.integers(0, 2 ** 16))
    return shapes, slots, subset, as_dict, seed


@settings(max_examples=15, deadline=None)
@given(bags())
def test_property_grad_equals_jax_grad_of_pure_function(case):
    shapes, slots, subset, as_dict, seed = case
    keys = jax.random.split(jax.random.PRNGKey(seed), len(shapes) + 1)
    arrays = [jax.random.normal(k, s) for k, s in zip(keys, shapes)]
    coeffs = jax.random.uniform(keys[-1], (len(slots),), minval=0.5, maxval=2.0)
    bag = Bag(arrays, slots)
    x = 0.7

    def pure(arrays):
        return sum(coeffs[i] * jnp.sum(jnp.sin(arrays[j] * x) ** 2) for i, j in enumerate(slots))

    box_grads = jax.grad(pure)(arrays)
    chosen = [getattr(bag, f"p{i}") for i in subset]
    expected = [box_grads[slots[i]] for i in subset]
    if as_dict:
        grad_vars = {f"p{i}": v for i, v in zip(subset, chosen)}
        expected = dict(zip(grad_vars, expected))
    else:
        grad_vars = chosen
    grads, value = bm.grad(bag, grad_vars=grad_vars, return_value=True)(x, coeffs)
    assert_tree_close(grads, expected)
    np.testing.assert_allclose(value, pure(arrays), rtol=1e-5)
    # the whole model through vars(): each distinct box once
    all_grads = bm.grad(bag, grad_vars=bag.train_vars())(x, coeffs)
    assert len(all_grads) == len(shapes)
    by_box = {id(v): g for v, g in zip(bag.train_vars().values(), all_grads.values())}
    assert_tree_close([by_box[id(b)] for b in bag.boxes], box_grads)
    assert int(bag.calls.value) == 2
    for b, a in zip(bag.boxes, arrays):
        np.testing.assert_array_equal(b.value, a)


# ---------------------------------------------------------------------------
# objects among the differentiated arguments (argnums)


class _TiedBN(bp.BrainPyObject):
    """A linear map used twice (tied weights), then batch norm in training mode."""

    def __init__(self):
        self.lin = bp.Linear(3, 3)
        self.bn = bp.BatchNorm1d(3)
        self.calls = bm.Variable(jnp.zeros((), jnp.int32))

    def __call__(self, x):
        self.calls.value = self.calls + 1
        return self.bn(self.lin(jnp.tanh(self.lin(x))))


def _argnums_loss(model, x):
    # (not a sum of squares: batch norm would cancel its gradient to ~0)
    return jnp.sum(jnp.sin(model(x)) * jnp.arange(1.0, 4.0))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("argnums", [0, -2, (0, 1)])
def test_object_in_argnums_keeps_its_writes_and_matches_grad_vars(jit, argnums):
    """Differentiating a model through argnums runs the live model: its
    running statistics and counters update exactly as under grad_vars, and
    the gradient of each Variable is the one grad_vars gives."""
    import copy

    model = _TiedBN()
    oracle = copy.deepcopy(model)
    x = jax.random.normal(jax.random.PRNGKey(1), (5, 3))
    tv = oracle.train_vars()
    expected = bm.grad(_argnums_loss, grad_vars=tv, argnums=1)(oracle, x)

    def run(m, x):
        g = bm.grad(_argnums_loss, argnums=argnums)(m, x)
        g_model = g[0] if isinstance(argnums, tuple) else g
        return g_model.lin.W, g_model.lin.b, g_model.bn.scale, g_model.bn.running_mean, \
            (g[1] if isinstance(argnums, tuple) else None)

    gw, gb, gscale, g_running, gx = (bm.jit(run) if jit else run)(model, x)
    var_grads, x_grad = expected
    by_name = {k.split(".")[-1] + ("_bn" if "BatchNorm" in k else ""): v for k, v in var_grads.items()}
    # (batch norm cancels most of the gradient: compare at the scale of the result)
    assert_tree_close([gw, gb, gscale], [by_name["W"], by_name["b"], by_name["scale_bn"]],
                      rtol=1e-4, atol=1e-5)
    # every float Variable is differentiated; in training mode the output
    # does not depend on the running statistics
    assert_tree_close(g_running, jnp.zeros(3))
    if gx is not None:
        assert_tree_close(gx, x_grad, rtol=1e-4, atol=1e-5)
    # their writes land in the live model, as in the grad_vars run
    assert_tree_close([model.bn.running_mean.value, model.bn.running_var.value, model.calls.value],
                      [oracle.bn.running_mean.value, oracle.bn.running_var.value, oracle.calls.value])
    assert int(model.calls.value) == 1
    assert_no_tracers(model)
