"""Fit a small model by gradient descent with ``bm.grad``.

A two-parameter-group model (a linear map and a learned nonlinearity gain)
is fitted to noisy samples of y = 2 sin(x0) - x1 + 0.5. The step is one
``bm.jit`` of ``bm.grad`` over the model's TrainVars; a call counter (a plain
``bm.Variable``, written but not differentiated) shows that state written
inside ``bm.grad`` is kept too. The result is checked against the same fit
written as a pure function with ``jax.grad``.
"""

import jax
import jax.numpy as jnp
import numpy as np

import brainobj as bp
import brainobj.math as bm


class SineModel(bp.BrainPyObject):
    """y = a * sin(x @ w) + x @ v + c: one sine feature plus a linear part."""

    def __init__(self, n_in: int):
        self.w = bm.TrainVar(bm.random.randn(n_in) * 0.1)
        self.a = bm.TrainVar(bm.ones(()))
        self.v = bm.TrainVar(bm.zeros(n_in))
        self.c = bm.TrainVar(bm.zeros(()))
        self.calls = bm.Variable(bm.zeros((), dtype=bm.int32))

    def __call__(self, x):
        self.calls += 1
        return self.a * bm.sin(x @ self.w) + x @ self.v + self.c


bm.random.seed(0)
X = bm.random.uniform(-3.0, 3.0, size=(200, 2))
Y = 2.0 * bm.sin(X[:, 0]) - X[:, 1] + 0.5 + 0.05 * bm.random.randn(200)

model = SineModel(2)
initial = {k: np.asarray(v) for k, v in model.train_vars().items()}


def loss():
    return bm.mean((model(X) - Y) ** 2)


loss_grad = bm.grad(loss, grad_vars=model.train_vars(), return_value=True)


@bm.jit
def step(lr=0.1):
    grads, value = loss_grad()
    for key, var in model.train_vars().items():
        var.value = var - lr * grads[key]
    return value


first = float(step())
for i in range(1, 1500):
    last = float(step())
    if i % 300 == 0:
        print(f"step {i:4d}  mse {last:.5f}")

fitted = {k.split(".")[-1]: np.asarray(v) for k, v in model.train_vars().items()}
print("w =", fitted["w"].round(3), " a =", fitted["a"].round(3),
      " v =", fitted["v"].round(3), " c =", fitted["c"].round(3))
print("forward calls counted inside bm.grad:", int(model.calls))


# Oracle: the same 1500 steps written as a pure function of arrays.
def pure_loss(p):
    return jnp.mean((p["a"] * jnp.sin(X @ p["w"]) + X @ p["v"] + p["c"] - Y) ** 2)


@jax.jit
def pure_step(p):
    g = jax.grad(pure_loss)(p)
    return {k: p[k] - 0.1 * g[k] for k in p}


params = {k.split(".")[-1]: jnp.asarray(v) for k, v in initial.items()}
for _ in range(1500):
    params = pure_step(params)

for name, fitted_value in fitted.items():
    np.testing.assert_allclose(fitted_value, params[name], rtol=1e-4, atol=1e-5)
assert int(model.calls) == 1500
assert last < 0.05 * first, f"the fit did not converge: {first:.4f} -> {last:.4f}"
print(f"mse {first:.4f} -> {last:.5f}; the same parameters as jax.grad of the pure function")
