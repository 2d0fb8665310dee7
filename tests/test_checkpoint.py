"""Checkpoints: state_dict round trips, strict checks, atomic writes, no pickle."""

import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm


class CkptNet(bp.BrainPyObject):
    def __init__(self, width=4):
        self.l1 = bp.Linear(3, width)
        self.blocks = [bp.Linear(width, width), bp.Linear(width, 2)]
        self.count = bm.Variable(jnp.zeros((), jnp.int32))
        self.rng = bm.random.RandomState(7)


def _values(obj):
    return {k: np.asarray(v.value) for k, v in obj.vars(method="relative").items()}


def test_state_dict_keys_are_attribute_paths_independent_of_names():
    a, b = CkptNet(), CkptNet()
    assert a.name != b.name
    assert list(a.state_dict()) == list(b.state_dict())
    assert set(a.state_dict()) == {"l1.W", "l1.b", "blocks.0.W", "blocks.0.b", "blocks.1.W",
                                   "blocks.1.b", "count", "rng"}
    assert all(isinstance(v, np.ndarray) for v in a.state_dict().values())


def test_save_load_round_trip(tmp_path):
    net = CkptNet()
    net.count.value = jnp.asarray(5, jnp.int32)
    path = tmp_path / "net.npz"
    bp.save(path, net)
    other = CkptNet()
    report = bp.load(path, other)
    assert report == ([], [], [])
    for key, value in _values(net).items():
        np.testing.assert_array_equal(_values(other)[key], value, err_msg=key)
    # the loaded model computes the same function
    x = jnp.ones((2, 3))
    np.testing.assert_allclose(other.blocks[1](other.blocks[0](other.l1(x))),
                               net.blocks[1](net.blocks[0](net.l1(x))))


def test_a_model_rebuilt_in_another_process_loads(tmp_path):
    path = tmp_path / "seq.npz"
    bm.random.seed(3)
    net = bp.Sequential(bp.Linear(2, 5), bm.relu, bp.Linear(5, 1))
    bp.save(path, net)
    expected = float(net(jnp.ones((1, 2)))[0, 0])
    code = textwrap.dedent(f"""
        import brainobj as bp, brainobj.math as bm, jax.numpy as jnp
        bm.random.seed(99)
        _unrelated = bp.Linear(9, 9)  # shifts the name counters
        net = bp.Sequential(bp.Linear(2, 5), bm.relu, bp.Linear(5, 1))
        bp.load({str(path)!r}, net)
        print(float(net(jnp.ones((1, 2)))[0, 0]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout.strip()) == pytest.approx(expected, rel=1e-6)


def test_mismatched_entries_are_all_named_and_nothing_changes(tmp_path):
    small, wide = CkptNet(width=4), CkptNet(width=5)
    path = tmp_path / "small.npz"
    bp.save(path, small)
    before = _values(wide)
    with pytest.raises(bm.MathError) as info:
        bp.load(path, wide)
    message = str(info.value)
    for key in ("l1.W", "l1.b", "blocks.0.W", "blocks.0.b", "blocks.1.W"):
        assert key in message
    assert "float32[3, 5]" in message and "float32[3, 4]" in message
    for key, value in before.items():
        np.testing.assert_array_equal(_values(wide)[key], value)


def test_missing_and_unexpected_keys(tmp_path):
    net = CkptNet()
    state = net.state_dict()
    state["extra.W"] = np.zeros(2, np.float32)
    del state["count"]
    before = _values(net)
    with pytest.raises(bm.MathError, match=r"missing \['count'\].*unexpected \['extra.W'\]"):
        net.load_state_dict(state)
    for key, value in before.items():
        np.testing.assert_array_equal(_values(net)[key], value)


def test_non_strict_loads_what_matches_and_reports_the_rest():
    a, b = CkptNet(width=4), CkptNet(width=5)
    a.count.value = jnp.asarray(11, jnp.int32)
    report = b.load_state_dict(a.state_dict(), strict=False)
    assert int(b.count.value) == 11
    np.testing.assert_array_equal(b.rng.value, a.rng.value)
    assert report.missing == [] and report.unexpected == []
    assert set(report.mismatched) == {"l1.W", "l1.b", "blocks.0.W", "blocks.0.b", "blocks.1.W"}


def test_dtype_mismatch_is_refused():
    net = CkptNet()
    state = net.state_dict()
    state["count"] = state["count"].astype(np.float32)
    with pytest.raises(bm.MathError, match="count: expected int32"):
        net.load_state_dict(state)


def test_interrupted_save_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    net = CkptNet()
    path = tmp_path / "net.npz"
    bp.save(path, net)
    old_bytes = path.read_bytes()
    net.count.value = jnp.asarray(42, jnp.int32)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(KeyboardInterrupt):
        bp.save(path, net)
    assert path.read_bytes() == old_bytes
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]  # no temporary left


def test_corrupt_and_truncated_files_raise_clearly(tmp_path):
    net = CkptNet()
    good = tmp_path / "good.npz"
    bp.save(good, net)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:100])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a checkpoint at all")
    for path in (truncated, garbage):
        with pytest.raises(bm.MathError, match="not a readable brainobj checkpoint"):
            bp.load(path, net)
    with pytest.raises(FileNotFoundError):
        bp.load(tmp_path / "absent.npz", net)


def test_loading_never_unpickles(tmp_path):
    net = CkptNet()
    path = tmp_path / "evil.npz"
    state = {k: v for k, v in net.state_dict().items()}
    state["count"] = np.array([object()], dtype=object)  # stored with pickle by numpy
    np.savez(path, **state)
    with pytest.raises(bm.MathError, match="not a readable"):
        bp.load(path, net)


def test_optimizer_state_checkpoints_too(tmp_path):
    net = bp.Linear(2, 2)
    opt = bp.optim.Adam(0.1, net.train_vars())
    opt.update({k: jnp.ones_like(v.value) for k, v in net.train_vars().items()})
    bp.save(tmp_path / "opt.npz", opt)
    net2 = bp.Linear(2, 2)
    opt2 = bp.optim.Adam(0.1, net2.train_vars())
    report = bp.load(tmp_path / "opt.npz", opt2)   # keys do not depend on the model's names
    assert report == ([], [], [])
    assert int(opt2.step.value) == 1
    for a, b in zip(opt.opt_state, opt2.opt_state):
        np.testing.assert_array_equal(a.value, b.value)
    # the parameters are not in the optimizer's checkpoint: net2 is untouched
    assert not np.array_equal(net2.W.value, net.W.value)


def test_load_inside_a_transform_is_refused():
    net = CkptNet()
    state = net.state_dict()
    with pytest.raises(bm.MathError, match="outside transforms"):
        bm.jit(lambda: net.load_state_dict(state))()


def test_optimizer_checkpoint_holds_own_state_and_loads_into_fresh_objects(tmp_path):
    # names of the second model/optimizer differ (Linear<k>), keys must not
    def build():
        net = bp.Sequential(bp.Linear(3, 4), bm.relu, bp.Linear(4, 1))
        return net, bp.optim.Adam(1e-2, train_vars=net.train_vars())

    def train(net, opt, steps):
        x, y = bm.ones((8, 3)), bm.zeros((8, 1))
        loss_grad = bm.grad(lambda: bm.mean((net(x) - y) ** 2), grad_vars=net.train_vars())
        step = bm.jit(lambda: opt.update(loss_grad()))
        for _ in range(steps):
            step()

    net, opt = build()
    train(net, opt, 3)
    assert set(opt.state_dict()) == {"step"} | {f"opt_state.{i}" for i in range(len(opt.opt_state))}
    bp.save(tmp_path / "net.npz", net)
    bp.save(tmp_path / "opt.npz", opt)

    net2, opt2 = build()
    bp.load(tmp_path / "net.npz", net2)
    bp.load(tmp_path / "opt.npz", opt2)
    assert int(opt2.step.value) == 3
    train(net, opt, 2)
    train(net2, opt2, 2)     # resumed training follows the original exactly
    for (k, a), b in zip(net.state_dict().items(), net2.state_dict().values()):
        np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=k)


def test_a_parent_holding_optimizer_before_model_saves_under_owner_paths(tmp_path):
    class Trainer(bp.BrainPyObject):
        def __init__(self):
            net = bp.Linear(3, 2)
            self.opt = bp.optim.Adam(0.1, net.train_vars())   # reaches net's Variables first
            self.net = net

    first = Trainer()
    first.opt.update({k: jnp.ones_like(v.value) for k, v in first.net.train_vars().items()})
    keys = list(first.state_dict())
    assert "net.W" in keys and "net.b" in keys and "opt.step" in keys
    assert not any("vars_to_train" in k for k in keys)
    # vars() still lists everything once, keyed by the owner's path
    assert list(first.vars(method="relative"))[:1] == ["opt.step"]
    assert {"net.W", "net.b"} <= set(first.vars(method="relative"))

    bp.save(tmp_path / "trainer.npz", first)
    second = Trainer()          # other object names (Linear<k+1>, Adam<k+1>)
    assert bp.load(tmp_path / "trainer.npz", second) == ([], [], [])
    for (k, a), b in zip(first.state_dict().items(), second.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=k)
