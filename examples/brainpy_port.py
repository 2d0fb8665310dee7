"""A BrainPy 2.x script, ported by changing its two import lines.

An excitatory/inhibitory rate network written the way BrainPy users write
it: environment settings first, models as classes with named instances,
state registered with ``register_implicit_vars``, a jitted step with the
legacy ``dyn_vars`` argument, a ``for_loop`` simulation, a ``while_loop``
whose body returns ``None``, a one-condition ``ifelse``, collectors
filtered by type, and one model rebuilt per trial under the same name.

The script checks itself: the simulated rates equal a plain NumPy loop of
the same equations, and each BrainPy idiom gives BrainPy's documented result.
"""

import warnings

import numpy as np

import brainobj as bp          # was: import brainpy as bp
import brainobj.math as bm     # was: import brainpy.math as bm

bm.set(dt=0.1)                 # BrainPy scripts set the defaults first


class RatePop(bp.BrainPyObject):
    """``tau dr/dt = -r + relu(w_ee r_e - w_ei r_i + input)``, per population."""

    def __init__(self, size, tau, name=None):
        super().__init__(name=name)
        self.tau = tau
        self.r = bm.Variable(bm.zeros(size))
        self.inp = bm.Variable(bm.zeros(size))

    def update(self, drive):
        dt = bm.get_dt()
        self.r.value = self.r + dt / self.tau * (-self.r + bm.relu(drive + self.inp))
        return self.r.value


class EINet(bp.BrainPyObject):
    def __init__(self, n_e=8, n_i=2, name=None):
        super().__init__(name=name)
        self.E = RatePop(n_e, tau=10.0)
        self.I = RatePop(n_i, tau=5.0)
        rng = np.random.default_rng(0)
        self.w_ee = bm.asarray(rng.uniform(0.0, 0.2, (n_e, n_e)), dtype=bm.float32)
        self.w_ei = bm.asarray(rng.uniform(0.0, 0.4, (n_i, n_e)), dtype=bm.float32)
        self.w_ie = bm.asarray(rng.uniform(0.0, 0.3, (n_e, n_i)), dtype=bm.float32)
        # BrainPy's way to add state it should manage (brainobj also finds it without)
        self.register_implicit_vars({"t": bm.Variable(bm.zeros(()))})

    def update(self, ext):
        e, i = self.E.r.value, self.I.r.value
        self.E.update(e @ self.w_ee - i @ self.w_ei + ext)
        self.I.update(e @ self.w_ie)
        self.implicit_vars["t"].value = self.implicit_vars["t"] + bm.get_dt()
        return self.E.r.value.mean()


def numpy_oracle(net: EINet, ext: np.ndarray, steps: int) -> np.ndarray:
    """The same equations as a plain NumPy loop."""
    dt = 0.1
    w_ee, w_ei, w_ie = (np.asarray(w, np.float64) for w in (net.w_ee, net.w_ei, net.w_ie))
    e, i = np.zeros(w_ee.shape[0]), np.zeros(w_ei.shape[0])
    means = []
    for _ in range(steps):
        e_new = e + dt / 10.0 * (-e + np.maximum(e @ w_ee - i @ w_ei + ext, 0.0))
        i = i + dt / 5.0 * (-i + np.maximum(e @ w_ie, 0.0))
        e = e_new
        means.append(e.mean())
    return np.asarray(means)


def main() -> None:
    steps = 200
    ext = np.linspace(0.5, 1.5, 8)
    finals = []
    for trial in range(3):                       # the same name every trial
        bm.clear_name_cache(ignore_warn=True)
        net = EINet(name="ei_net")
        assert net.name == "ei_net"

        with warnings.catch_warnings():          # dyn_vars is accepted and ignored, with a warning
            warnings.simplefilter("ignore", DeprecationWarning)
            step = bm.jit(net.update, dyn_vars=net.vars())

        means = bm.for_loop(lambda _: step(bm.asarray(ext, dtype=bm.float32)), bm.arange(steps))
        np.testing.assert_allclose(bm.as_numpy(means), numpy_oracle(net, ext, steps), rtol=2e-4, atol=1e-6)
        assert abs(float(net.implicit_vars["t"].value) - steps * 0.1) < 1e-3
        finals.append(float(means[-1]))

    # a name in use is refused with BrainPy's error type
    try:
        EINet(name="ei_net")
    except bp.errors.UniqueNameError:
        pass
    else:
        raise AssertionError("a duplicate name was accepted")

    # collectors: include() keeps exactly the type given, subset() its subclasses too
    net.train_w = bm.TrainVar(bm.ones(2))
    assert all(type(v) is bm.Variable for v in net.vars().include(bm.Variable).values())
    assert "ei_net.train_w" in net.vars().subset(bm.Variable)
    assert "ei_net.train_w" not in net.vars().include(bm.Variable)

    # while_loop with a body that returns None: the operands stay, the Variables move
    counter = bm.Variable(bm.zeros((), dtype=bm.int32))

    def body(x):
        counter.value = counter + 1

    bm.while_loop(body, lambda x: counter < 5, 0.0)
    assert int(counter.value) == 5

    # ifelse with a single condition: the first branch when it holds
    assert float(bm.ifelse(finals[-1] > 0, [lambda: 1.0, lambda: -1.0])) == 1.0

    assert np.allclose(finals, finals[0])    # every trial rebuilt the same network
    print(f"3 trials, mean excitatory rate {finals[0]:.4f}: matches NumPy")


if __name__ == "__main__":
    main()
