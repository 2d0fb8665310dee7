"""Data-parallel training over 8 devices, checked against one device.

On a CPU-only machine XLA is asked for 8 host devices; on GPUs or TPUs use
the devices there are. The model is replicated (`bm.shard`), each step
splits the batch over the `'data'` axis, and XLA adds the all-reduce of the
gradients. The losses equal those of the same training on one device, the
model never leaves its layout, and the step compiles once.

    python examples/data_parallel.py
"""

import brainobj.math as bm

bm.set_host_device_count(8)  # before JAX starts (importing brainobj does not start it)

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import NamedSharding, PartitionSpec as P  # noqa: E402

import brainobj as bp  # noqa: E402


# XLA compilations so far, counted from JAX's own monitoring events.
COMPILATIONS = [0]


def _count(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        COMPILATIONS[0] += 1


jax.monitoring.register_event_duration_secs_listener(_count)


class Classifier(bp.BrainPyObject):
    def __init__(self, n_in: int, n_hidden: int, n_classes: int) -> None:
        self.hidden = bp.Linear(n_in, n_hidden)
        self.norm = bp.LayerNorm(n_hidden)
        self.out = bp.Linear(n_hidden, n_classes)

    def __call__(self, x):
        return self.out(jax.nn.relu(self.norm(self.hidden(x))))


def make_data(n: int = 512, n_in: int = 16, n_classes: int = 4):
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(n_classes, n_in)) * 2
    labels = rng.integers(0, n_classes, n)
    x = (centers[labels] + rng.normal(size=(n, n_in))).astype("float32")
    return x, labels.astype("int32")


def train(mesh=None, steps: int = 30) -> tuple[list[float], Classifier]:
    bm.random.seed(0)
    model = Classifier(16, 64, 4)
    if mesh is not None:
        bm.shard(model, mesh)  # no specs: every Variable replicated over the mesh
    opt = bp.optim.Adam(3e-3, train_vars=model.train_vars())
    loss_fn = lambda x, y: bp.losses.cross_entropy_loss(model(x), y)
    grad = bm.grad(loss_fn, grad_vars=model.train_vars(), return_value=True)

    @bm.jit
    def step(x, y):
        grads, loss = grad(x, y)
        opt.update(grads)
        return loss

    x, y = make_data()
    if mesh is not None:  # the batch split over the devices
        x = jax.device_put(x, NamedSharding(mesh, P("data", None)))
        y = jax.device_put(y, NamedSharding(mesh, P("data")))
    losses = [float(step(x, y))]
    compiled = COMPILATIONS[0]
    losses += [float(step(x, y)) for _ in range(steps - 1)]
    assert COMPILATIONS[0] == compiled, "the step compiled again after its first call"
    return losses, model


if __name__ == "__main__":
    mesh = jax.make_mesh((8,), ("data",))
    parallel, model = train(mesh)
    single, _ = train(None)
    for i in range(0, len(parallel), 10):
        print(f"step {i:2d}: loss {parallel[i]:.4f} on 8 devices, {single[i]:.4f} on one")
    np.testing.assert_allclose(parallel, single, rtol=1e-5, atol=1e-6)
    assert parallel[-1] < parallel[0] / 2
    layouts = {str(v.value.sharding.spec) for v in model.vars().values()}
    print(f"devices: {len(model.hidden.W.value.sharding.device_set)}, layouts kept: {sorted(layouts)}")
