"""``bp.visualize``: BrainPy's quick plots of a run (spike rasters, traces), on matplotlib.

matplotlib is an optional dependency (``pip install matplotlib``, or
``pip install brainobj[dyn]``), imported only when a plot is drawn. Both
functions take what :class:`bp.Runner <brainobj.Runner>` records: the times
``runner.mon.ts`` and a monitor with time on axis 0.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["raster_plot", "line_plot"]


def _pyplot(owner: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(f"bp.visualize.{owner} needs matplotlib, which is not installed: "
                          "pip install matplotlib (or pip install brainobj[dyn]).") from err
    return plt


def _times(owner: str, ts: Any) -> np.ndarray:
    ts = np.asarray(ts)
    if ts.ndim != 1:
        raise ValueError(f"bp.visualize.{owner}: ts must be 1-D (one time per step), got shape "
                         f"{ts.shape}.")
    if ts.dtype.kind not in "iuf":
        raise TypeError(f"bp.visualize.{owner}: ts must hold numbers, got dtype {ts.dtype}.")
    return ts


def _by_time(owner: str, what: str, ts: np.ndarray, values: Any) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"bp.visualize.{owner}: {what} must be 2-D (time, neuron) or 1-D "
                         f"(time), got shape {values.shape}.")
    if values.shape[0] != ts.shape[0]:
        raise ValueError(f"bp.visualize.{owner}: {what} has {values.shape[0]} rows (time steps) "
                         f"but ts has {ts.shape[0]} times; time goes on axis 0 of {what}, as "
                         "runner.mon records it.")
    return values


def _finish(plt: Any, ax: Any, xlabel: Any, ylabel: Any, xlim: Any, ylim: Any, title: Any,
            show: bool) -> Any:
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title)
    if show:
        plt.show()
    return ax


def raster_plot(ts: Any, sp_matrix: Any, ax: Any = None, marker: str = ".",
                markersize: float = 2, color: str = "k", xlabel: str = "Time (ms)",
                ylabel: str = "Neuron index", xlim: Sequence[float] | None = None,
                ylim: Sequence[float] | None = None, title: str | None = None,
                show: bool = False, **kwargs: Any) -> Any:
    """Draw a dot at ``(ts[k], j)`` for every spike ``sp_matrix[k, j]`` (BrainPy's ``raster_plot``).

    Args:
        ts: the times of the steps, shape ``(T,)`` (``runner.mon.ts``).
        sp_matrix: spikes, shape ``(T, N)`` (or ``(T,)`` for one neuron):
            nonzero / ``True`` where a neuron spiked.
        ax: the matplotlib Axes to draw on (default: the current one).
        marker: the dots' marker.
        markersize: the dots' size.
        color: the dots' color.
        xlabel: the Axes' x label.
        ylabel: the Axes' y label.
        xlim: the Axes' x range ``(min, max)``, or None to leave it.
        ylim: the Axes' y range ``(min, max)``, or None to leave it.
        title: the Axes' title.
        show: call ``plt.show()`` afterwards.
        kwargs: passed to ``ax.plot``.

    Returns:
        The Axes.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: ``ts`` not 1-D; ``sp_matrix`` not 1-D/2-D, or not one row
            per time.
        TypeError: ``ts`` not numeric.

    Example:
        >>> import pytest; matplotlib = pytest.importorskip('matplotlib')  # optional
        >>> matplotlib.use('Agg')
        >>> import numpy as np, brainobj as bp
        >>> spikes = np.zeros((4, 3), bool); spikes[1, 2] = spikes[3, 0] = True
        >>> ax = bp.visualize.raster_plot(np.arange(4) * 0.1, spikes)
        >>> ax.lines[-1].get_xydata().tolist()
        [[0.1, 2.0], [0.30000000000000004, 0.0]]
    """
    plt = _pyplot("raster_plot")
    ts = _times("raster_plot", ts)
    spikes = _by_time("raster_plot", "sp_matrix", ts, sp_matrix)
    steps, neurons = np.nonzero(spikes)
    if ax is None:
        ax = plt.gca()
    ax.plot(ts[steps], neurons, linestyle="", marker=marker, markersize=markersize,
            color=color, **kwargs)
    return _finish(plt, ax, xlabel, ylabel, xlim, ylim, title, show)


def line_plot(ts: Any, val_matrix: Any, plot_ids: Sequence[int] | int | None = None,
              ax: Any = None, xlim: Sequence[float] | None = None,
              ylim: Sequence[float] | None = None, xlabel: str = "Time (ms)",
              ylabel: str | None = None, legend: str | None = None, title: str | None = None,
              show: bool = False, **kwargs: Any) -> Any:
    """Plot columns of ``val_matrix`` against ``ts``, one line each (BrainPy's ``line_plot``).

    Args:
        ts: the times of the steps, shape ``(T,)``.
        val_matrix: values, shape ``(T, N)`` (or ``(T,)``).
        plot_ids: the columns to plot (an int or a list; default: the first).
        ax: the matplotlib Axes (default: the current one).
        xlim: the Axes' x range ``(min, max)``, or None to leave it.
        ylim: the Axes' y range ``(min, max)``, or None to leave it.
        xlabel: the Axes' x label.
        ylabel: the Axes' y label.
        title: the Axes' title.
        legend: label the lines ``f'{legend}-{id}'`` and show a legend.
        show: call ``plt.show()`` afterwards.
        kwargs: passed to ``ax.plot``.

    Returns:
        The Axes.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: ``ts`` not 1-D; ``val_matrix`` not 1-D/2-D, or not one row
            per time; a column in ``plot_ids`` out of range.
        TypeError: ``ts`` not numeric; ``plot_ids`` not integers.

    Example:
        >>> import pytest; matplotlib = pytest.importorskip('matplotlib')  # optional
        >>> matplotlib.use('Agg')
        >>> import numpy as np, brainobj as bp
        >>> V = np.arange(6.).reshape(3, 2)
        >>> ax = bp.visualize.line_plot(np.arange(3.), V, plot_ids=[1], legend='V')
        >>> ax.lines[-1].get_ydata().tolist(), ax.lines[-1].get_label()
        ([1.0, 3.0, 5.0], 'V-1')
    """
    plt = _pyplot("line_plot")
    ts = _times("line_plot", ts)
    values = _by_time("line_plot", "val_matrix", ts, val_matrix)
    if plot_ids is None:
        plot_ids = [0]
    elif isinstance(plot_ids, (int, np.integer)) and not isinstance(plot_ids, bool):
        plot_ids = [plot_ids]
    ids = list(plot_ids)
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"bp.visualize.line_plot: plot_ids must be integers, got {i!r:.40}.")
        if not -values.shape[1] <= i < values.shape[1]:
            raise ValueError(f"bp.visualize.line_plot: plot_ids holds {i}, but val_matrix has "
                             f"{values.shape[1]} columns.")
    if ax is None:
        ax = plt.gca()
    for i in ids:
        label = f"{legend}-{i}" if legend else None
        ax.plot(ts, values[:, i], label=label, **kwargs)
    if legend:
        ax.legend()
    return _finish(plt, ax, xlabel, ylabel, xlim, ylim, title, show)
