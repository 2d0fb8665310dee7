"""bp.visualize: the plotted points are the data; bad shapes and a missing matplotlib are refused."""

import builtins
import sys

import numpy as np
import pytest

import brainobj as bp

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=2, max_side=12)))
def test_raster_points_are_the_spike_coordinates(spikes):
    ts = 0.5 + np.arange(spikes.shape[0]) * 0.25
    fig, ax = plt.subplots()
    returned = bp.visualize.raster_plot(ts, spikes, ax=ax, color="r", marker="|")
    assert returned is ax
    line = ax.lines[-1]
    got = sorted(map(tuple, line.get_xydata().tolist()))
    expected = sorted((float(ts[k]), float(j)) for k, j in zip(*np.nonzero(spikes)))
    assert got == expected
    assert line.get_linestyle() == "None" and line.get_marker() == "|"
    plt.close(fig)


def test_raster_labels_limits_and_current_axes():
    spikes = np.eye(3)
    ax = bp.visualize.raster_plot(np.arange(3.0), spikes, xlim=(0, 5), ylim=(-1, 3), title="E")
    assert ax is plt.gca()
    assert ax.get_xlabel() == "Time (ms)" and ax.get_ylabel() == "Neuron index"
    assert ax.get_xlim() == (0, 5) and ax.get_ylim() == (-1, 3) and ax.get_title() == "E"
    one = bp.visualize.raster_plot(np.arange(3.0), np.array([0, 1, 1]), ax=plt.figure().gca())
    assert one.lines[-1].get_xydata().tolist() == [[1.0, 0.0], [2.0, 0.0]]


def test_line_data_are_the_columns():
    rng = np.random.default_rng(0)
    ts, V = np.arange(5) * 0.1, rng.normal(size=(5, 4))
    ax = bp.visualize.line_plot(ts, V, plot_ids=[3, 0], legend="V", ylabel="mV")
    assert len(ax.lines) == 2
    for line, column in zip(ax.lines, [3, 0]):
        np.testing.assert_array_equal(line.get_xdata(), ts)
        np.testing.assert_array_equal(line.get_ydata(), V[:, column])
        assert line.get_label() == f"V-{column}"
    assert ax.get_legend() is not None and ax.get_ylabel() == "mV"
    ax2 = bp.visualize.line_plot(ts, V[:, 2], ax=plt.figure().gca())  # 1-D: one line
    np.testing.assert_array_equal(ax2.lines[0].get_ydata(), V[:, 2])
    ax3 = bp.visualize.line_plot(ts, V, plot_ids=2, ax=plt.figure().gca())
    np.testing.assert_array_equal(ax3.lines[0].get_ydata(), V[:, 2])


def test_a_runner_recording_plots_as_is():
    import jax.numpy as jnp

    import brainobj.math as bm

    class Toggle(bp.BrainPyObject):
        def __init__(self):
            self.spike = bm.Variable(jnp.zeros(3, bool))

        def update(self):
            self.spike.value = jnp.logical_not(self.spike)

    runner = bp.Runner(Toggle(), monitors=["spike"], dt=0.5, progress_bar=False)
    runner.run(2.0)
    ax = bp.visualize.raster_plot(runner.mon.ts, runner.mon["spike"])
    xs = sorted(set(ax.lines[-1].get_xdata().tolist()))
    assert xs == [0.0, 1.0]  # spiking at steps 0 and 2


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match=r"raster_plot: sp_matrix has 4 rows.*ts has 3"):
        bp.visualize.raster_plot(np.arange(3.0), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"ts must be 1-D.*\(3, 1\)"):
        bp.visualize.raster_plot(np.zeros((3, 1)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"sp_matrix must be 2-D.*\(3, 2, 2\)"):
        bp.visualize.raster_plot(np.arange(3.0), np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match=r"plot_ids holds 5.*4 columns"):
        bp.visualize.line_plot(np.arange(3.0), np.zeros((3, 4)), plot_ids=[5])
    with pytest.raises(TypeError, match=r"plot_ids must be integers"):
        bp.visualize.line_plot(np.arange(3.0), np.zeros((3, 4)), plot_ids=["a"])
    with pytest.raises(TypeError, match=r"ts must hold numbers"):
        bp.visualize.line_plot(np.array(["a", "b"]), np.zeros(2))


def test_missing_matplotlib_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def blocked(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", blocked)
    with pytest.raises(ImportError, match=r"raster_plot needs matplotlib.*pip install matplotlib"):
        bp.visualize.raster_plot(np.arange(2.0), np.zeros((2, 2)))
    with pytest.raises(ImportError, match=r"line_plot needs matplotlib.*brainobj\[dyn\]"):
        bp.visualize.line_plot(np.arange(2.0), np.zeros((2, 2)))
