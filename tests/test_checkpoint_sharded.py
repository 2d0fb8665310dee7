"""``bp.save_sharded`` / ``bp.load_sharded`` on one device (orbax-checkpoint).

Sharded layouts are tested in tests/multidevice, multiple processes in
tests/test_multi_device.py. Oracle: the saved model's own values.
"""

import os

import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_refused, state_of


class Net(bp.BrainPyObject):
    def __init__(self, n_out=3):
        self.enc = bp.Linear(4, n_out)
        self.bn = bp.BatchNorm1d(n_out)
        self.half = bm.Variable(jnp.arange(3, dtype=jnp.bfloat16))
        self.layers = [bp.Linear(n_out, 2), bp.Linear(2, 1)]


def test_round_trip_every_variable_and_dtype(tmp_path):
    net = Net()
    net.bn.running_mean.value = jnp.array([1.0, 2.0, 3.0])
    bp.save_sharded(tmp_path / "ckpt", net)
    fresh = Net()
    report = bp.load_sharded(tmp_path / "ckpt", fresh)
    assert report.missing == [] and report.unexpected == []
    expected, got = state_of(net), state_of(fresh)
    assert list(got) == list(expected)
    for key in expected:
        assert got[key].dtype == expected[key].dtype, key
        np.testing.assert_array_equal(got[key], expected[key])


def test_load_refuses_another_structure_and_loads_nothing(tmp_path):
    bp.save_sharded(tmp_path / "ckpt", Net())
    other = Net(n_out=5)
    assert_refused(lambda: bp.load_sharded(tmp_path / "ckpt", other), bm.MathError,
                   r"does not match .*mis-shaped \[enc\.W: expected float32\[4, 5\], got float32\[4, 3\]",
                   [other])


def test_existing_directory_needs_overwrite_and_survives_a_failed_save(tmp_path, monkeypatch):
    first = Net()
    path = tmp_path / "ckpt"
    bp.save_sharded(path, first)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        bp.save_sharded(path, Net())

    import orbax.checkpoint as ocp

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ocp.StandardCheckpointer, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        bp.save_sharded(path, Net(), overwrite=True)
    monkeypatch.undo()
    restored = Net()
    bp.load_sharded(path, restored)
    np.testing.assert_array_equal(np.asarray(restored.enc.W.value), np.asarray(first.enc.W.value))
    second = Net()
    bp.save_sharded(path, second, overwrite=True)
    bp.load_sharded(path, restored)
    np.testing.assert_array_equal(np.asarray(restored.enc.W.value), np.asarray(second.enc.W.value))
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]  # no staging or old copies left


def test_missing_directory_and_inside_a_transform(tmp_path):
    net = Net()
    with pytest.raises(FileNotFoundError, match="no such checkpoint directory"):
        bp.load_sharded(tmp_path / "nothing", net)
    assert_refused(lambda: bm.jit(lambda: bp.save_sharded(tmp_path / "x", net))(), bm.MathError,
                   r"bp\.save_sharded\(.*\): cannot read or write checkpoints inside", [net],
                   directory=tmp_path)


def test_abstract_describes_what_is_saved():
    net = Net()
    tree = bm.abstract(net)
    assert list(tree) == list(net.state_dict())
    for key, value in net.state_dict().items():
        assert tree[key].shape == value.shape and tree[key].dtype == value.dtype
