"""bp.optim: every shortcut matches optax driven by hand; state in Variables."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainobj as bp
import brainobj.math as bm


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
