"""The COBA E/I network of Brette et al. (2007), BrainPy's benchmark, on brainobj.

3200 excitatory and 800 inhibitory leaky integrate-and-fire neurons with a
5 ms refractory period, exponential conductance-based synapses (E: tau 5 ms,
reversal 0 mV; I: tau 10 ms, reversal -80 mV), 2% random connectivity
(BrainPy's ``FixedProb``: a fixed out-degree), dt = 0.1 ms, 1 s simulated.
The model is BrainPy's ``EICOBA_PostAlign`` with its two import lines changed;
its update order (projections on the previous step's spikes, then neurons)
decides spike-train equality (see docs/dynamics.md).

Checks, by default at full size:
* E and I rates and the ISI coefficient of variation fall within the
  seed-to-seed spread of BrainPy 2.8 (tests/data/brainpy28/coba_stats.npz);
* with ``--brainpy-data FILE`` (BrainPy's own connectivity and initial V,
  tests/data/brainpy28/coba_*.npz) every spike equals BrainPy's.

Saves a raster plot (``--plot``, needs matplotlib). ``--scale`` shrinks the
network (weights are not rescaled, as in BrainPy's example).
"""

import argparse
import pathlib
import time

import numpy as np

import brainobj as bp
import brainobj.math as bm

# -- the model (BrainPy's EICOBA_PostAlign) -------------------------------------------
PROJECTIONS = {  # name: (pre, post, weight, tau, reversal), in BrainPy's build order
    "E2E": ("E", "E", 0.6, 5.0, 0.0), "E2I": ("E", "I", 0.6, 5.0, 0.0),
    "I2E": ("I", "E", 6.7, 10.0, -80.0), "I2I": ("I", "I", 6.7, 10.0, -80.0),
}
UPDATE_ORDER = ("E2I", "I2I", "I2E", "E2E")  # BrainPy's; currents add in build order


class EINet(bp.DynSysGroup):
    def __init__(self, num_exc=3200, num_inh=800, inp=20.0, conns=None, V0=None):
        super().__init__()
        self.inp = inp
        pars = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0)
        V0 = V0 or {}
        self.E = bp.dyn.LifRefLTC(num_exc, V_initializer=V0.get("E", bp.init.Normal(-55.0, 2.0)), **pars)
        self.I = bp.dyn.LifRefLTC(num_inh, V_initializer=V0.get("I", bp.init.Normal(-55.0, 2.0)), **pars)
        for name, (pre, post, weight, tau, E) in PROJECTIONS.items():
            pre, post = getattr(self, pre), getattr(self, post)
            conn = conns[name] if conns else bp.conn.FixedProb(0.02, pre=pre.num, post=post.num)
            setattr(self, name, bp.dyn.FullProjAlignPostMg(
                pre=pre, delay=None, comm=bp.dnn.EventCSRLinear(conn, weight),
                syn=bp.dyn.Expon.desc(post.varshape, tau=tau), out=bp.dyn.COBA.desc(E=E), post=post))

    def update(self):
        for name in UPDATE_ORDER:
            getattr(self, name)()
        self.E(self.inp)
        self.I(self.inp)
# -- end of the model -------------------------------------------------------------------


def rates_and_cv(spikes: np.ndarray, dt: float) -> tuple[float, float]:
    """Mean rate (Hz) and mean ISI CV over neurons with >= 3 spikes (BrainPy data's rule)."""
    rate = spikes.sum() / (spikes.shape[1] * spikes.shape[0] * dt / 1000.0)
    cvs = []
    for column in spikes.T:
        isi = np.diff(np.flatnonzero(column)) * dt
        if isi.size >= 2:
            cvs.append(isi.std() / isi.mean())
    return float(rate), float(np.mean(cvs)) if cvs else float("nan")


def brainpy_network(path: pathlib.Path) -> tuple[EINet, dict]:
    data = dict(np.load(path))
    conns = {name: bp.conn.CSRConn(data[f"{name}_indices"], data[f"{name}_indptr"],
                                   post=int(data[f"num_{'exc' if spec[1] == 'E' else 'inh'}"]))
             for name, spec in PROJECTIONS.items()}
    net = EINet(int(data["num_exc"]), int(data["num_inh"]), conns=conns,
                V0={"E": bm.asarray(data["V0_E"]), "I": bm.asarray(data["V0_I"])})
    return net, data


def raster_from(data: dict, pop: str, steps: int, n: int) -> np.ndarray:
    out = np.zeros((steps, n), bool)
    s, k = data[f"{pop}_spike_step"], data[f"{pop}_spike_neuron"]
    out[s[s < steps], k[s < steps]] = True
    return out


def main() -> None:
    here = pathlib.Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--brainpy-data", type=pathlib.Path, default=None)
    parser.add_argument("--plot", type=pathlib.Path, default=here / "coba_raster.png")
    args = parser.parse_args()

    bm.random.seed(args.seed)
    np.random.seed(args.seed)  # FixedProb draws its seed from NumPy, as in BrainPy
    if args.brainpy_data:
        net, data = brainpy_network(args.brainpy_data)
    else:
        net = EINet(int(3200 * args.scale), int(800 * args.scale))
    monitors = {"E.spike": "E.spike", "I.spike": "I.spike"}
    if args.brainpy_data:  # BrainPy recorded V of the first 8 E neurons for 500 steps
        monitors["E.V[:8]"] = lambda: net.E.V.value[:8]
    runner = bp.Runner(net, monitors=monitors, progress_bar=False)
    start = time.perf_counter()
    runner.run(args.duration)
    elapsed = time.perf_counter() - start
    sE, sI = np.asarray(runner.mon["E.spike"]), np.asarray(runner.mon["I.spike"])
    (rE, cvE), (rI, cvI) = rates_and_cv(sE, bm.get_dt()), rates_and_cv(sI, bm.get_dt())
    print(f"{net.E.num} E + {net.I.num} I neurons, {args.duration:g} ms in {elapsed:.2f} s "
          f"(compile included): E {rE:.2f} Hz (ISI CV {cvE:.3f}), I {rI:.2f} Hz (ISI CV {cvI:.3f})")

    if args.brainpy_data:
        steps = sE.shape[0]
        for pop, got, n in (("E", sE, net.E.num), ("I", sI, net.I.num)):
            expected = raster_from(data, pop, steps, n)
            differs = np.flatnonzero(np.any(got != expected, axis=1))
            assert differs.size == 0, f"{pop} spikes differ from BrainPy's from step {differs[0]}"
        V, V_ref = np.asarray(runner.mon["E.V[:8]"])[:500], data["trace_E_V"][: min(steps, 500)]
        assert np.array_equal(V[: len(V_ref)], V_ref), "V differs from BrainPy's"
        print(f"identical to BrainPy 2.8: every spike of {steps} steps, V bit for bit "
              f"(8 neurons, {len(V_ref)} steps)")
    elif args.scale == 1.0 and args.duration == 1000.0:
        stats = np.load(here.parent / "tests" / "data" / "brainpy28" / "coba_stats.npz")
        for label, value in (("rate_E", rE), ("rate_I", rI), ("cv_E", cvE), ("cv_I", cvI)):
            ref = stats[label]
            low, high = ref.min() - 2 * ref.std(), ref.max() + 2 * ref.std()
            print(f"  {label}: {value:.3f}, BrainPy 2.8 over 5 seeds {ref.mean():.3f} ± {ref.std():.3f}")
            assert low <= value <= high, f"{label} {value:.3f} outside BrainPy's spread [{low:.3f}, {high:.3f}]"

    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no raster plot (pip install brainobj[dyn])")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = min(len(runner.mon.ts), int(round(300.0 / bm.get_dt())))  # the first 300 ms
    ax = bp.visualize.raster_plot(runner.mon.ts[:steps], sE[:steps, :400], markersize=1,
                                  title="COBA: 400 excitatory neurons, first 300 ms")
    ax.figure.savefig(args.plot, dpi=100)
    plt.close(ax.figure)
    print(f"raster plot saved to {args.plot}")


if __name__ == "__main__":
    main()
