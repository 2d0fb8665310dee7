"""bp.optim: every shortcut matches optax driven by hand; state in Variables."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_close


class OptNet(bp.BrainPyObject):
    def __init__(self):
        self.l1 = bp.Linear(3, 4)
        self.l2 = bp.Linear(4, 2)
        self.calls = bm.Variable(jnp.zeros((), jnp.int32))

    def __call__(self, x):
        self.calls += 1
        return self.l2(jax.nn.tanh(self.l1(x)))


X = jax.random.normal(jax.random.PRNGKey(0), (16, 3))
Y = jax.random.normal(jax.random.PRNGKey(1), (16, 2))


def pure_loss(params, x, y):
    h = jnp.tanh(x @ params["l1.W"] + params["l1.b"])
    return jnp.mean((h @ params["l2.W"] + params["l2.b"] - y) ** 2)


SHORTCUTS = [
    ("SGD", lambda lr, tv: bp.optim.SGD(lr, tv), lambda lr: optax.sgd(lr)),
    ("Momentum", lambda lr, tv: bp.optim.Momentum(lr, tv, momentum=0.8),
     lambda lr: optax.sgd(lr, momentum=0.8)),
    ("Nesterov", lambda lr, tv: bp.optim.Momentum(lr, tv, nesterov=True),
     lambda lr: optax.sgd(lr, momentum=0.9, nesterov=True)),
    ("Adam", lambda lr, tv: bp.optim.Adam(lr, tv, beta1=0.8), lambda lr: optax.adam(lr, b1=0.8)),
    ("AdamW", lambda lr, tv: bp.optim.AdamW(lr, tv, weight_decay=1e-2),
     lambda lr: optax.adamw(lr, weight_decay=1e-2)),
    ("RMSProp", lambda lr, tv: bp.optim.RMSProp(lr, tv), lambda lr: optax.rmsprop(lr, decay=0.9, eps=1e-8)),
    ("Adagrad", lambda lr, tv: bp.optim.Adagrad(lr, tv), lambda lr: optax.adagrad(lr)),
]


@pytest.mark.parametrize("name,make,make_tx", SHORTCUTS, ids=[s[0] for s in SHORTCUTS])
@pytest.mark.parametrize("schedule", [False, True])
def test_shortcut_matches_optax_by_hand_for_50_steps(name, make, make_tx, schedule):
    lr = optax.exponential_decay(0.05, 10, 0.5) if schedule else 0.05
    bm.random.seed(0)  # the same initial parameters whichever tests ran before
    net = OptNet()
    params = {k: v.value for k, v in net.train_vars(method="relative").items()}
    opt = make(lr, net.train_vars())
    f_grad = bm.grad(lambda x, y: jnp.mean((net(x) - y) ** 2), grad_vars=net.train_vars())

    @bm.jit
    def step(x, y):
        opt.update(f_grad(x, y))

    tx = make_tx(lr)
    state = tx.init(params)
    for _ in range(50):
        step(X, Y)
        grads = jax.grad(pure_loss)(params, X, Y)
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    got = {k: v.value for k, v in net.train_vars(method="relative").items()}
    for key in params:
        np.testing.assert_allclose(got[key], params[key], rtol=2e-5, atol=2e-6, err_msg=key)
    assert int(opt.step.value) == 50
    assert int(net.calls.value) == 50  # written non-trained Variable updated too


def test_generic_optimizer_wraps_any_gradient_transformation():
    w = bm.TrainVar(jnp.array([1.0, -2.0]))
    tx = optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1))
    opt = bp.optim.Optimizer(tx, [w])
    g = jnp.array([30.0, 40.0])
    opt.update([g])
    np.testing.assert_allclose(w.value, jnp.array([1.0, -2.0]) - 0.1 * g / 50.0, rtol=1e-6)


def test_optimizer_state_lives_in_variables_and_one_jit_step_updates_all():
    net = OptNet()
    opt = bp.optim.Adam(1e-2, net.train_vars())
    assert opt.opt_state and all(isinstance(v, bm.Variable) for v in opt.opt_state)
    before = [v.value for v in opt.opt_state]
    f_grad = bm.grad(lambda: jnp.mean(net(X) ** 2), grad_vars=net.train_vars())
    step = bm.jit(lambda: opt.update(f_grad()))
    step()
    step()
    assert step.cache_size == 1
    changed = [not np.array_equal(a, v.value) for a, v in zip(before, opt.opt_state)]
    assert any(changed)
    assert int(opt.step.value) == 2


def test_lr_and_step_are_readable():
    schedule = optax.linear_schedule(1.0, 0.0, 10)
    w = bm.TrainVar(jnp.zeros(2))
    opt = bp.optim.SGD(schedule, {"w": w})
    assert float(opt.lr) == pytest.approx(1.0)
    for _ in range(3):
        opt.update({"w": jnp.ones(2)})
    assert int(opt.step.value) == 3
    assert float(opt.lr) == pytest.approx(0.7)
    assert bp.optim.Adam(0.003, {"w": w}).lr == 0.003


def test_unknown_and_missing_gradients_raise_and_change_nothing():
    a, b = bm.TrainVar(jnp.ones(2)), bm.TrainVar(jnp.ones(3))
    opt = bp.optim.SGD(0.1, {"a": a, "b": b})
    with pytest.raises(bm.MathError, match=r"does not hold: \['c'\]"):
        opt.update({"a": jnp.ones(2), "b": jnp.ones(3), "c": jnp.ones(1)})
    with pytest.raises(bm.MathError, match=r"no gradient for: \['b'\]"):
        opt.update({"a": jnp.ones(2)})
    with pytest.raises(bm.MathError, match="shape"):
        opt.update({"a": jnp.ones(2), "b": jnp.ones(2)})
    np.testing.assert_array_equal(a.value, jnp.ones(2))
    assert int(opt.step.value) == 0


def test_integer_and_key_variables_are_kept_but_never_updated():
    w = bm.TrainVar(jnp.ones(2))
    n = bm.Variable(jnp.zeros((), jnp.int32))
    rng = bm.random.RandomState(0)
    opt = bp.optim.Adam(0.1, {"w": w, "n": n, "rng": rng})
    f_grad = bm.grad(lambda: jnp.sum(w.value ** 2) + n.value, grad_vars={"w": w, "n": n, "rng": rng})
    grads = f_grad()
    assert grads["n"] is None and grads["rng"] is None
    key_before = rng.value
    opt.update(grads)
    assert int(n.value) == 0
    np.testing.assert_array_equal(rng.value, key_before)
    assert float(w.value[0]) < 1.0


def test_register_train_vars_later_and_reject_a_rebinding():
    w, v = bm.TrainVar(jnp.ones(2)), bm.TrainVar(jnp.ones(2))
    opt = bp.optim.SGD(0.5)
    opt.register_train_vars({"w": w})
    opt.update({"w": jnp.ones(2)})
    np.testing.assert_allclose(w.value, 0.5 * jnp.ones(2))
    with pytest.raises(bm.MathError, match="already registered"):
        opt.register_train_vars({"w": v})


def test_bad_arguments():
    with pytest.raises(TypeError, match="GradientTransformation"):
        bp.optim.Optimizer("sgd", [])
    with pytest.raises(TypeError, match="train_vars"):
        bp.optim.SGD(0.1, 3)
    with pytest.raises(TypeError, match=r"train_vars\['x'\]"):
        bp.optim.SGD(0.1, {"x": jnp.ones(2)})


def test_grads_as_list_in_registered_order():
    a, b = bm.TrainVar(jnp.ones(2)), bm.TrainVar(jnp.ones(1))
    opt = bp.optim.SGD(1.0, [a, b])
    f_grad = bm.grad(lambda: jnp.sum(a.value) + 2 * jnp.sum(b.value), grad_vars=[a, b])
    opt.update(f_grad())
    np.testing.assert_allclose(a.value, jnp.zeros(2))
    np.testing.assert_allclose(b.value, -jnp.ones(1))


# -- half precision: every optimizer against plain optax on the same dtype -----------------------

# The generic Optimizer with transformations whose state is not one moment
# per parameter: a chain, and float32 hyperparameters kept in the state.
GENERIC = [
    ("Optimizer(chain)", lambda lr, tv: bp.optim.Optimizer(
        optax.chain(optax.clip_by_global_norm(1.0), optax.adam(lr)), tv),
     lambda lr: optax.chain(optax.clip_by_global_norm(1.0), optax.adam(lr))),
    ("Optimizer(inject_hyperparams)", lambda lr, tv: bp.optim.Optimizer(
        optax.inject_hyperparams(optax.sgd)(learning_rate=lr, momentum=0.9), tv),
     lambda lr: optax.inject_hyperparams(optax.sgd)(learning_rate=lr, momentum=0.9)),
]
EVERY = SHORTCUTS + GENERIC


def tolerance(dtype):
    """A few units in the last place of ``dtype`` (relative), for params of size ~1."""
    eps = float(jnp.finfo(dtype).eps)
    return dict(rtol=2 * eps, atol=2 * eps)


def half_grads(dtype, shapes, step):
    """Gradients of magnitude 0.5..1.5: float16's Adam needs grad**2 * (1 - b2) above its
    smallest subnormal, or optax itself divides by zero (eps=1e-8 rounds to 0 in float16)."""
    keys = jax.random.split(jax.random.PRNGKey(step), len(shapes))
    out = {}
    for key, (name, shape) in zip(keys, shapes.items()):
        k1, k2 = jax.random.split(key)
        size = jax.random.uniform(k1, shape, minval=0.5, maxval=1.5)
        out[name] = (size * jnp.sign(jax.random.normal(k2, shape))).astype(dtype)
    return out


def oracle_step(tx):
    def step(params, state, grads):
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state
    return step


@pytest.mark.parametrize("name,make,make_tx", EVERY, ids=[s[0] for s in EVERY])
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("mode", ["eager", "jit", "jit+schedule"])
def test_half_precision_matches_optax_on_the_same_dtype(name, make, make_tx, dtype, mode):
    lr = optax.exponential_decay(0.1, 2, 0.5) if mode == "jit+schedule" else 0.1
    shapes = {"a": (3, 2), "b": (4,)}
    params = {k: jax.random.uniform(jax.random.PRNGKey(i), s, minval=-1, maxval=1).astype(dtype)
              for i, (k, s) in enumerate(shapes.items())}
    tv = {k: bm.TrainVar(v) for k, v in params.items()}
    opt = make(lr, tv)
    tx = make_tx(lr)
    state = tx.init(params)
    by_hand = oracle_step(tx)
    ours = opt.update
    if mode != "eager":
        by_hand, ours = jax.jit(by_hand), bm.jit(opt.update)
    for i in range(3):
        grads = half_grads(dtype, shapes, i)
        ours(grads)
        params, state = by_hand(params, state, grads)
    got = {k: v.value for k, v in tv.items()}
    assert all(v.dtype == dtype for v in got.values())  # no silent promotion
    assert all(bool(jnp.isfinite(v).all()) for v in params.values())  # a finite oracle
    assert_close(got, params, **tolerance(dtype))
    # the state has optax's dtypes after its steps, in the Variables of every step
    assert_close([v.value for v in opt.opt_state], jax.tree.leaves(state), **tolerance(dtype))
    assert int(opt.step.value) == 3
    if mode != "eager":
        assert ours.cache_size == 1  # no dtype drift forced a second compilation


class MixedNet(bp.BrainPyObject):
    """float32 first layer, bfloat16 second layer: one loss, one optimizer."""

    def __init__(self):
        self.w1 = bm.TrainVar(jax.random.normal(jax.random.PRNGKey(2), (3, 4)) * 0.5)
        self.w2 = bm.TrainVar((jax.random.normal(jax.random.PRNGKey(3), (4, 2)) * 0.5).astype(jnp.bfloat16))


def mixed_loss(params, x, y):
    h = jnp.tanh(x @ params["w1"]).astype(jnp.bfloat16)
    return jnp.mean(((h @ params["w2"]).astype(jnp.float32) - y) ** 2)


@pytest.mark.parametrize("name,make,make_tx", EVERY, ids=[s[0] for s in EVERY])
def test_mixed_float32_and_bfloat16_parameters_train_like_optax(name, make, make_tx):
    net = MixedNet()
    tv = net.train_vars(method="relative")
    params = {k: v.value for k, v in tv.items()}
    opt = make(0.05, tv)
    f_grad = bm.grad(lambda x, y: mixed_loss({k: v.value for k, v in tv.items()}, x, y),
                     grad_vars=tv)

    @bm.jit
    def step(x, y):
        grads = f_grad(x, y)
        opt.update(grads)
        return grads

    tx = make_tx(0.05)
    state = tx.init(params)
    by_hand = jax.jit(oracle_step(tx))
    for _ in range(3):
        grads = step(X, Y)  # optax gets the very same gradients
        # bm.grad over train_vars() gives an ArrayCollector (a pytree, as in
        # BrainPy); optax pairs it with the params dict, so hand it a dict
        assert type(grads) is bm.ArrayCollector
        grads = dict(grads)
        assert grads["w1"].dtype == jnp.float32 and grads["w2"].dtype == jnp.bfloat16
        params, state = by_hand(params, state, grads)
    assert step.cache_size == 1
    assert net.w1.dtype == jnp.float32 and net.w2.dtype == jnp.bfloat16
    assert_close(net.w1, params["w1"], rtol=1e-5, atol=1e-6)
    assert_close(net.w2, params["w2"], **tolerance(jnp.bfloat16))
    assert_close([v.value for v in opt.opt_state], jax.tree.leaves(state),
                 **tolerance(jnp.bfloat16))
