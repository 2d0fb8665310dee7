"""Sharded Variables through brainobj's transforms, on 8 CPU devices.

Oracles: the same computation on one device (values), and JAX's own
reports (``.sharding``, the number of backend compilations).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_no_tracers


@pytest.fixture(params=["explicit", "auto"])
def mesh(request):
    kind = AxisType.Explicit if request.param == "explicit" else AxisType.Auto
    return jax.make_mesh((4, 2), ("data", "model"), axis_types=(kind, kind))


class Compiles:
    """Counts XLA backend compilations (JAX's own monitoring events)."""

    def __init__(self):
        self.count = 0
        jax.monitoring.register_event_duration_secs_listener(self._on_event)

    def _on_event(self, event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            self.count += 1


COMPILES = Compiles()


def spec_of(value):
    return value.sharding.spec


def same_spec(a, b):
    """PartitionSpecs compared up to trailing Nones."""
    def norm(spec):
        parts = list(spec)
        while parts and parts[-1] is None:
            parts.pop()
        return tuple(parts)
    return norm(a) == norm(b)


# -- the RNN-state drift case ----------------------------------------------------------

class RNN(bp.BrainPyObject):
    def __init__(self, batch=8, n_in=4, n_hidden=6):
        self.W = bm.TrainVar(jnp.linspace(-1, 1, n_in * n_hidden).reshape(n_in, n_hidden) * 0.3,
                             spec=P(None, "model"))
        self.U = bm.TrainVar(jnp.linspace(1, -1, n_hidden * n_hidden).reshape(n_hidden, n_hidden) * 0.2,
                             spec=P(None, "model"))
        self.h = bm.Variable(jnp.zeros((batch, n_hidden)), spec=P("data", None))

    def __call__(self, x):
        self.h.value = jnp.tanh(x @ self.W + self.h @ self.U)
        return self.h.sum()


def test_written_variable_keeps_its_layout_and_compiles_once(mesh):
    rnn, reference = RNN(), RNN()
    bm.shard(rnn, mesh)
    step = bm.jit(rnn)
    x = jax.device_put(jnp.linspace(0, 1, 32).reshape(8, 4), NamedSharding(mesh, P("data", None)))
    step(x)
    before = COMPILES.count
    for _ in range(9):
        step(x)
    assert COMPILES.count == before                        # no recompilation after the first call
    assert same_spec(spec_of(rnn.h.value), P("data", None))  # no drift to P('data', 'model')
    for _ in range(10):
        reference(np.asarray(x))                           # eager, one device: the oracle
    np.testing.assert_allclose(np.asarray(rnn.h.value), np.asarray(reference.h.value), rtol=1e-5, atol=1e-6)
    assert_no_tracers(rnn)


def test_global_random_key_stays_where_it_was(mesh):
    bm.random.seed(3)
    rnn = bm.shard(RNN(), mesh)

    @bm.jit
    def noisy(x):
        return rnn(x + bm.random.normal(size=x.shape) * 0.01)

    x = jax.device_put(jnp.ones((8, 4)), NamedSharding(mesh, P("data", None)))
    for _ in range(3):
        noisy(x)
    key = bm.random.DEFAULT.value
    assert len(key.sharding.device_set) == 1 and not key.committed
    # a single-device model afterwards still runs (no "incompatible devices")
    single = bp.Linear(4, 2)
    out = bm.jit(lambda y: single(y) + bm.random.normal(size=(1, 2)))(jnp.ones((1, 4)))
    assert len(out.sharding.device_set) == 1


def test_key_with_a_spec_joins_the_mesh(mesh):
    state = bm.random.RandomState(1)
    state.spec = P()
    bm.shard(state, mesh)
    rnn = bm.shard(RNN(), mesh)

    @bm.jit
    def noisy(x):
        return rnn(x + state.normal(size=x.shape) * 0.01)

    noisy(jnp.ones((8, 4)))
    assert len(state.value.sharding.device_set) == 8


# -- data and tensor parallel training -------------------------------------------------

class MLP(bp.BrainPyObject):
    def __init__(self, tensor_parallel=False):
        column = bp.init.with_partitioning(bp.init.XavierNormal(), P(None, "model")) \
            if tensor_parallel else bp.init.XavierNormal()
        row = bp.init.with_partitioning(bp.init.XavierNormal(), P("model", None)) \
            if tensor_parallel else bp.init.XavierNormal()
        self.l1 = bp.Linear(8, 16, W_initializer=column)
        self.l2 = bp.Linear(16, 4, W_initializer=row)

    def __call__(self, x):
        return self.l2(jax.nn.relu(self.l1(x)))


def _train(model, x, y, steps, mesh=None):
    opt = bp.optim.Adam(1e-2, train_vars=model.train_vars())
    loss = lambda: ((model(x) - y) ** 2).mean()
    grad = bm.grad(loss, grad_vars=model.train_vars(), return_value=True)

    @bm.jit
    def step():
        g, value = grad()
        opt.update(g)
        return value

    losses = [float(step()) for _ in range(steps)]
    return losses, opt, step


@pytest.mark.parametrize("tensor_parallel", [False, True], ids=["data", "data+tensor"])
def test_parallel_training_equals_one_device(mesh, tensor_parallel):
    if tensor_parallel and AxisType.Explicit in mesh.axis_types:
        pytest.skip("JAX's Explicit axes need an out_sharding for a row-parallel matmul "
                    "(contracting over 'model'); bp.Linear leaves it to XLA (Auto axes)")
    bm.random.seed(0)
    reference = MLP(tensor_parallel)
    bm.random.seed(0)
    model = MLP(tensor_parallel)
    x = jax.random.normal(jax.random.PRNGKey(0), (32, 8))
    y = jax.random.normal(jax.random.PRNGKey(1), (32, 4))
    ref_losses, _, _ = _train(reference, x, y, 10)

    bm.shard(model, mesh)
    xs = jax.device_put(x, NamedSharding(mesh, P("data", None)))
    ys = jax.device_put(y, NamedSharding(mesh, P("data", None)))
    losses, opt, step = _train(model, xs, ys, 1)
    before = COMPILES.count
    for _ in range(9):
        losses.append(float(step()))
    assert COMPILES.count == before          # the optimizer state was placed: no recompile
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-6, atol=1e-6)
    expected = P(None, "model") if tensor_parallel else P()
    assert same_spec(spec_of(model.l1.W.value), expected)
    # optimizer moments mirror their parameters' specs; counters are replicated on the mesh
    moments = [v for v in opt.opt_state if v.shape == model.l1.W.shape]
    assert moments and all(same_spec(spec_of(v.value), expected) for v in moments)
    assert len(opt.step.value.sharding.device_set) == 8
    assert_no_tracers(model, opt)


def test_jit_in_and_out_shardings(mesh):
    model = bm.shard(MLP(), mesh)
    data = NamedSharding(mesh, P("data", None))

    @bm.jit(in_shardings=(None, data), out_shardings=NamedSharding(mesh, P()), donate_argnames="x")
    def predict(m, x):
        return m(x).sum(axis=0)

    x = jnp.ones((16, 8))
    out = predict(model, x)
    assert same_spec(spec_of(out), P())
    np.testing.assert_allclose(np.asarray(out), np.asarray(model(np.ones((16, 8))).sum(axis=0)), rtol=1e-5)
    with pytest.raises(TypeError, match=r"in_shardings\[0\] is given for an argument holding objects"):
        bm.jit(predict.fun, in_shardings=(data, None))(model, x)


# -- placement API ---------------------------------------------------------------------

def test_shard_get_partition_spec_and_named_sharding(mesh):
    model = MLP(tensor_parallel=True)
    specs = bm.get_partition_spec(model)
    assert specs[f"{model.l1.name}.W"] == P(None, "model") and specs[f"{model.l1.name}.b"] == P()
    shardings = bm.get_named_sharding(model, mesh)
    assert shardings[f"{model.l2.name}.W"] == NamedSharding(mesh, P("model", None))
    bm.shard(model, mesh)
    for key, var in model.vars().items():
        assert var.value.sharding.is_equivalent_to(shardings[key], var.ndim)


def test_shard_refuses_what_does_not_fit_and_moves_nothing(mesh):
    layer = bp.Linear(8, 3, W_initializer=bp.init.with_partitioning(bp.init.XavierNormal(),
                                                                    P(None, "model")))
    other = bp.Linear(8, 4)
    before = [v.value.sharding for v in (*other.vars().values(), *layer.vars().values())]
    with pytest.raises(bm.MathError, match=rf"{layer.name}\.W: dimension 1 .* \(3\) does not divide into 2"):
        bm.shard([other, layer], mesh)
    after = [v.value.sharding for v in (*other.vars().values(), *layer.vars().values())]
    assert before == after
    with pytest.raises(bm.MathError, match="names mesh axis 'tensor'"):
        bm.shard(bm.Variable(jnp.zeros(4), spec=P("tensor")), mesh)


def test_variables_with_a_spec_are_placed_when_created_under_a_mesh(mesh):
    key_before = bm.random.DEFAULT.value
    with jax.set_mesh(mesh):
        layer = bp.Linear(8, 4, W_initializer=bp.init.with_partitioning(bp.init.XavierNormal(),
                                                                        P("data", "model")))
        plain = bm.Variable(jnp.zeros(4))
        oracle = jnp.zeros(4)        # where JAX itself puts a new array under the mesh
    assert same_spec(spec_of(layer.W.value), P("data", "model"))
    assert plain.value.sharding == oracle.sharding  # no spec: as JAX places it
    # the initializer drew from the global key, which stays on its device
    key = bm.random.DEFAULT.value
    assert len(key.sharding.device_set) == 1 and not key.committed
    assert not np.array_equal(np.asarray(key), np.asarray(key_before))


def test_load_puts_values_on_the_variables_shardings(mesh, tmp_path):
    model = bm.shard(MLP(tensor_parallel=True), mesh)
    bp.save(tmp_path / "m.npz", model)
    fresh = bm.shard(MLP(tensor_parallel=True), mesh)
    bp.load(tmp_path / "m.npz", fresh)
    for (key, var), (_, src) in zip(fresh.vars("relative").items(), model.vars("relative").items()):
        assert var.value.sharding == src.value.sharding, key
        np.testing.assert_array_equal(np.asarray(var.value), np.asarray(src.value))


# -- shard_map --------------------------------------------------------------------------

class BNNet(bp.BrainPyObject):
    def __init__(self, axis_name):
        self.l = bp.Linear(4, 3)
        self.bn = bp.BatchNorm1d(3, axis_name=axis_name)

    def __call__(self, x):
        return self.bn(self.l(x))


@pytest.mark.parametrize("under_jit", [False, True], ids=["eager", "bm.jit"])
def test_shard_map_batchnorm_statistics_equal_the_unsharded_run(mesh, under_jit):
    reference, sharded = BNNet(None), BNNet("data")
    for name in ("W", "b"):
        getattr(sharded.l, name).value = getattr(reference.l, name).value
    x = jax.random.normal(jax.random.PRNGKey(2), (16, 4))
    per_device = bm.shard_map(lambda net, xb: net(xb), mesh, in_specs=(None, P("data")),
                              out_specs=P("data"))
    run = bm.jit(per_device) if under_jit else per_device
    for _ in range(2):
        y_ref = reference(x)
        y = run(sharded, x)
    np.testing.assert_allclose(np.asarray(y), np.asarray(y_ref), rtol=1e-5, atol=1e-6)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(np.asarray(getattr(sharded.bn, name).value),
                                   np.asarray(getattr(reference.bn, name).value), rtol=1e-6, atol=1e-7)
    assert_no_tracers(sharded)


def test_shard_map_refuses_a_replicated_write_that_varies(mesh):
    net = BNNet(None)  # no axis_name: each device's statistics differ
    before = {k: np.asarray(v.value) for k, v in net.vars().items()}
    with pytest.raises(bm.MathError, match=r"running_mean is written with a value that differs .* 'data'"):
        bm.shard_map(lambda n, xb: n(xb), mesh, in_specs=(None, P("data")), out_specs=P("data"))(
            net, jax.random.normal(jax.random.PRNGKey(2), (16, 4)))
    for k, v in net.vars().items():
        np.testing.assert_array_equal(np.asarray(v.value), before[k])
    assert_no_tracers(net)


def test_shard_map_sees_local_blocks_of_split_variables(mesh):
    blocks = bm.Variable(jnp.arange(8.0), spec=P("data"))
    bm.shard(blocks, mesh)

    def per_device():
        blocks.value = blocks.value * 10 + jax.lax.axis_index("data")
        return jnp.asarray(blocks.value.shape[0])[None]

    sizes = bm.shard_map(per_device, mesh, in_specs=(), out_specs=P("data"))()
    assert np.asarray(sizes).tolist() == [2, 2, 2, 2]
    np.testing.assert_array_equal(np.asarray(blocks.value),
                                  np.arange(8.0) * 10 + np.repeat(np.arange(4), 2))
    assert same_spec(spec_of(blocks.value), P("data"))


def test_vmap_spmd_axis_name_lays_the_batch_out_on_the_mesh(mesh):
    layer = bm.shard(bp.Linear(4, 2), mesh)

    @bm.jit
    def per_example(x):
        return bm.vmap(lambda xi: layer(xi[None])[0], spmd_axis_name="data")(x)

    x = jnp.ones((8, 4))
    np.testing.assert_allclose(np.asarray(per_example(x)), np.asarray(layer(np.ones((8, 4)))), rtol=1e-6)


# -- sharded checkpoints ----------------------------------------------------------------

def test_sharded_checkpoint_restores_onto_the_target_layouts(mesh, tmp_path):
    model = bm.shard(MLP(tensor_parallel=True), mesh)
    bp.save_sharded(tmp_path / "ckpt", model)
    # another mesh, other axis order: every array is read straight onto its new layout
    other = jax.make_mesh((2, 4), ("model", "data"), axis_types=mesh.axis_types)
    fresh = bm.shard(MLP(tensor_parallel=True), other)
    targets = {k: v.value.sharding for k, v in fresh.vars("relative").items()}
    bp.load_sharded(tmp_path / "ckpt", fresh)
    for key, var in fresh.vars("relative").items():
        assert var.value.sharding == targets[key], key
        np.testing.assert_array_equal(np.asarray(var.value),
                                      np.asarray(model.vars("relative")[key].value))
