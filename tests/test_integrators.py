"""``bp.odeint`` / ``bp.JointEq`` / ``bp.integrators``: numerical integrators of ODEs.

Oracles: analytic solutions (decay, linear inhomogeneous, harmonic
oscillator, logistic, x' = cos(t) x), the empirical convergence order of
every method (log-log slope of the global error at a fixed end time, in
float64), BrainPy's update written out by hand (bit for bit, float32, as its
generated code and ``ExponentialEuler`` compute it), the same system as one
function vs a ``JointEq``, and diffrax's own ``diffeqsolve``.

float64 runs inside ``bm.environment(x64=True)``, which restores 32-bit
mode when the test ends.
"""

from __future__ import annotations

import builtins
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_close, assert_same

RK_ORDERS = {"euler": 1, "midpoint": 2, "heun2": 2, "ralston2": 2, "rk2": 2, "rk3": 3,
             "heun3": 3, "ralston3": 3, "ssprk3": 3, "rk4": 4, "ralston4": 4, "rk4_38rule": 4}
EXP_NAMES = ["exponential_euler", "exp_euler", "exp_euler_auto", "exp_auto"]


@pytest.fixture
def x64():
    with bm.environment(x64=True):
        yield


def _simulate(integral, x0, t_end, n, *params):
    """``n`` steps of ``integral`` from t=0 to ``t_end`` (lax.scan); the final value(s)."""
    dt = t_end / n

    def body(x, i):
        t = i * dt
        new = integral(*x, t, *params, dt=dt)
        return (new if isinstance(new, tuple) else (new,)), None

    x, _ = jax.lax.scan(body, tuple(jnp.asarray(v, jnp.float64) for v in x0), jnp.arange(n))
    return x


def _slope(errors, ns):
    """The order: log-log slope of the error over the three finest steps (asymptotic range)."""
    return -np.polyfit(np.log(ns[-3:]), np.log(errors[-3:]), 1)[0]


# -- methods, registry -----------------------------------------------------------------------------

def test_supported_methods_are_brainpys():
    assert set(bp.integrators.get_supported_methods()) == set(RK_ORDERS) | set(EXP_NAMES)


@pytest.mark.parametrize("method", list(RK_ORDERS))
def test_explicit_rk_convergence_order(method, x64):
    # Forced harmonic oscillator x' = v, v' = -w^2 x + sin(t), x(0) = 1, v(0) = 0: two
    # variables, and t-dependent (checks the tableau's c nodes). Exact solution:
    # x = cos(wt) + B sin(wt) + sin(t)/(w^2-1), B = -1/(w (w^2-1)).
    w, T = 1.5, 2.0
    B = -1 / (w * (w * w - 1))
    x_T = np.cos(w * T) + B * np.sin(w * T) + np.sin(T) / (w * w - 1)
    v_T = -w * np.sin(w * T) + B * w * np.cos(w * T) + np.cos(T) / (w * w - 1)
    integral = bp.odeint(lambda x, v, t, w: (v, -w * w * x + jnp.sin(t)), method=method)
    ns = [10, 20, 40, 80]
    errors = []
    for n in ns:
        x, v = _simulate(integral, [1.0, 0.0], T, n, w)
        errors.append(max(abs(float(x) - x_T), abs(float(v) - v_T)))
    assert abs(_slope(errors, ns) - RK_ORDERS[method]) < 0.15, (method, errors)


@pytest.mark.parametrize("method", list(RK_ORDERS) + EXP_NAMES)
def test_exponential_decay(method, x64):
    tau = 5.0
    integral = bp.odeint(lambda x, t: -x / tau, method=method)
    x, = _simulate(integral, [jnp.array([1.0, -2.0])], 1.0, 100)
    tol = 1e-12 if method in EXP_NAMES else 10 * 0.01 ** RK_ORDERS[method]
    assert_close(x, jnp.array([1.0, -2.0]) * np.exp(-1.0 / tau), rtol=tol, atol=tol)


@given(tau=st.floats(0.5, 50.0), vr=st.floats(-80.0, 0.0), ri=st.floats(-20.0, 40.0),
       v0=st.floats(-80.0, 20.0), dt=st.floats(0.01, 2.0))
@settings(max_examples=25, deadline=None)
def test_exp_auto_is_exact_for_linear_equations(tau, vr, ri, v0, dt):
    # dV/dt = (-(V - Vr) + RI) / tau: V(t) = Vr + RI + (V0 - Vr - RI) exp(-t / tau), any dt.
    with bm.environment(x64=True):
        integral = bp.odeint(lambda V, t, RI: (-(V - vr) + RI) / tau, method="exp_auto")
        V = jnp.asarray(v0, jnp.float64)
        for i in range(3):
            V = integral(V, i * dt, ri, dt=dt)
        exact = vr + ri + (v0 - vr - ri) * np.exp(-3 * dt / tau)
        assert abs(float(V) - exact) <= 1e-10 * (1 + abs(exact))


@pytest.mark.parametrize("method", ["exp_auto", "euler", "ralston2", "rk3", "rk4"])
def test_logistic_equation_order(method, x64):
    # x' = r x (1 - x/K) (nonlinear, one variable): x(t) = K x0 e^{rt} / (K + x0 (e^{rt} - 1)).
    r, K = 1.5, 2.0
    integral = bp.odeint(lambda x, t: r * x * (1 - x / K), method=method)
    exact = K * 0.1 * np.exp(r * 2.0) / (K + 0.1 * (np.exp(r * 2.0) - 1))
    ns = [20, 40, 80, 160]
    errors = [abs(float(_simulate(integral, [0.1], 2.0, n)[0]) - exact) for n in ns]
    if method == "exp_auto":   # first order (or better) for a nonlinear equation
        assert _slope(errors, ns) > 0.8 and errors[-1] < 1e-2, errors
    else:
        assert abs(_slope(errors, ns) - RK_ORDERS[method]) < 0.2, (method, errors)


def test_constant_derivative_takes_the_euler_step():
    # A == 0 (f independent of x): exprel's series gives 1, the step is x + dt * f.
    integral = bp.odeint(lambda x, t, I: I + 0 * x, method="exp_auto")
    assert_same(integral(jnp.float32(1.0), 0.0, jnp.float32(3.0), dt=0.5), jnp.float32(2.5))


# -- BrainPy's arithmetic, bit for bit ------------------------------------------------------------

def _brainpy_exp_euler(f, x, dt, **kw):
    """BrainPy 2.8's ExponentialEuler step (ode/exponential.py) and exprel (math/others.py)."""
    derivative, pullback = jax.vjp(lambda v: f(v, **kw), x)
    linear, = pullback(jnp.ones(derivative.shape, derivative.dtype))
    z = dt * linear
    threshold = 1e-8 if z.dtype == jnp.float64 else 1e-5
    phi = jax.lax.select(jnp.abs(z) <= threshold, 1. + z / 2. + z * z / 6., (jnp.exp(z) - 1) / z)
    return x + dt * phi * derivative


def _coba_dv(V, t, ge, gi, Iext):
    return (ge * (0.0 - V) + gi * (-80.0 - V) + (-60.0 - V) + Iext) / 20.0


def test_exp_auto_matches_brainpys_formula_bit_for_bit():
    integral = bp.odeint(_coba_dv, method="exp_auto")
    key = jax.random.PRNGKey(0)
    V0 = -60.0 + 10.0 * jax.random.normal(key, (64,))
    ge = jax.random.uniform(jax.random.PRNGKey(1), (300, 64))
    gi = jax.random.uniform(jax.random.PRNGKey(2), (300, 64)) * 3.0

    def ours(V, g):
        V = integral(V, 0.0, g[0], g[1], 20.0, dt=0.1)
        return jnp.where(V > -50.0, -60.0, V), V

    def theirs(V, g):
        V = _brainpy_exp_euler(_coba_dv, V, 0.1, t=0.0, ge=g[0], gi=g[1], Iext=20.0)
        return jnp.where(V > -50.0, -60.0, V), V

    got = jax.jit(lambda V: jax.lax.scan(ours, V, (ge, gi))[1])(V0)
    expected = jax.jit(lambda V: jax.lax.scan(theirs, V, (ge, gi))[1])(V0)
    assert_same(got, expected)
    assert bool(jnp.any(got > -50.0))  # spikes happened: the comparison covers resets


def test_rk_matches_brainpys_generated_code_bit_for_bit():
    # The source BrainPy generates for rk4 and ralston2 (fractions pasted as `* 1/6`).
    f = lambda V, t, I: -V * V * 0.01 + jnp.sin(t) + I  # noqa: E731

    def brainpy_rk4(V, t, I, dt):
        dV_k1 = f(V, t, I)
        dV_k2 = f(V + dt * dV_k1 * 0.5, t + dt * 0.5, I)
        dV_k3 = f(V + dt * dV_k2 * 0.5, t + dt * 0.5, I)
        dV_k4 = f(V + dt * dV_k3, t + dt, I)
        return V + dV_k1 * dt * 1 / 6 + dV_k2 * dt * 1 / 3 + dV_k3 * dt * 1 / 3 + dV_k4 * dt * 1 / 6

    def brainpy_ralston2(V, t, I, dt):
        dV_k1 = f(V, t, I)
        dV_k2 = f(V + dt * dV_k1 * 2 / 3, t + dt * 2 / 3, I)
        return V + dV_k1 * dt * 0.25 + dV_k2 * dt * 0.75

    V = jnp.linspace(-3.0, 3.0, 101)
    for method, ref in [("rk4", brainpy_rk4), ("ralston2", brainpy_ralston2)]:
        integral = bp.odeint(f, method=method)
        got = jax.jit(lambda V: integral(V, 0.3, 0.7, dt=0.1))(V)
        assert_same(got, jax.jit(lambda V: ref(V, 0.3, 0.7, 0.1))(V))


def test_show_code_prints_brainpys_step(capsys):
    bp.odeint(lambda V, t, I: -V + I, method="rk2", show_code=True, dt=0.1)
    out = capsys.readouterr().out
    assert "k2_V_arg = V + dt * dV_k1 * 0.6666666666666666" in out
    assert "V_new = V + dV_k1 * dt * 0.25 + dV_k2 * dt * 0.75" in out


# -- call conventions -----------------------------------------------------------------------------

def test_call_forms_agree():
    def dV(V, t, I, tau=10.0):
        return (-V + I) / tau

    integral = bp.odeint(dV, method="rk4", dt=0.2)

    @bp.odeint(method="rk4", dt=0.2)
    def decorated(V, t, I, tau=10.0):
        return (-V + I) / tau

    V = jnp.array([0.0, 1.0])
    expected = integral(V, 0.0, 2.0)
    for got in [integral(V, 0.0, 2.0, 10.0), integral(V, 0.0, 2.0, 10.0, 0.2),
                integral(V, t=0.0, I=2.0), integral(V=V, t=0.0, I=2.0, tau=10.0, dt=0.2),
                integral(V, I=2.0), decorated(V, 0.0, 2.0), integral(bm.Variable(V), 0.0, bm.Variable(jnp.float32(2.0)))]:
        assert_same(got, expected)
    assert_same(integral(V, 0.0, 2.0, tau=5.0, dt=0.1),
                bp.odeint(lambda V, t, I: (-V + I) / 5.0, method="rk4")(V, 0.0, 2.0, dt=0.1))
    assert integral.variables == ["V"] and integral.parameters == ["t", "I", "tau"]
    assert integral.arguments == ["V", "t", "I", "tau=10.0", "dt=0.2"]
    assert isinstance(integral, bp.BrainPyObject) and integral.dt == 0.2


def test_bare_decorator_and_default_dt():
    @bp.odeint
    def integral(x, t):
        return -x

    assert isinstance(integral, bp.integrators.ExplicitRKIntegrator) and integral.method == "euler"
    assert integral.dt == bm.get_dt()
    with bm.environment(dt=0.5):
        later = bp.odeint(lambda x, t: -x)
    assert later.dt == 0.5 and float(later(1.0, 0.0)) == 0.5  # dt read when built, as BrainPy


def test_rk2_beta_option():
    f = lambda x, t: x * x  # noqa: E731
    half = bp.odeint(f, method="rk2", beta=0.5)  # beta = 1/2 is the midpoint method
    assert float(half(1.0, 0.0, dt=0.1)) == float(bp.odeint(f, method="midpoint")(1.0, 0.0, dt=0.1))


def test_joint_eq_equals_one_function():
    a, b = 0.02, 0.2

    def dV(V, t, u, Iext):
        return 0.04 * V * V + 5 * V + 140 - u + Iext

    def du(u, t, V):
        return a * (b * V - u)

    def both(V, u, t, Iext):
        return dV(V, t, u, Iext), du(u, t, V)

    V, u = jnp.array([-65.0, -50.0]), jnp.array([-13.0, -10.0])
    for method in ["euler", "rk2", "rk4", "ssprk3"]:
        assert_same(bp.odeint(bp.JointEq(dV, du), method=method)(V, u, 0.0, 10.0),
                    bp.odeint(both, method=method)(V, u, 0.0, 10.0))
    # exp_auto: each variable advanced by its own function from the old values of the others.
    joint = bp.odeint(bp.JointEq([dV, du]), method="exp_auto")(V, u, 0.0, 10.0, dt=0.1)
    assert_same(joint, (bp.odeint(dV, method="exp_auto")(V, 0.0, u, 10.0, dt=0.1),
                        bp.odeint(du, method="exp_auto")(u, 0.0, V, dt=0.1)))
    # nested JointEq, keyword parameters
    dw = lambda w, t, V: 0.1 * (V - w)  # noqa: E731
    nested = bp.JointEq(bp.JointEq(dV, du), dw)
    assert nested.arg_keys == ["V", "u", "w", "t", "Iext"]
    out = bp.odeint(nested, method="rk4")(V, u, V, t=0.0, Iext=10.0)
    assert len(out) == 3


# -- transforms -----------------------------------------------------------------------------------

class _LIF(bp.BrainPyObject):
    def __init__(self, n, method):
        self.V = bm.Variable(jnp.full(n, -60.0))
        self.I = bm.Variable(jnp.full(n, 20.0))
        self.integral = bp.odeint(self.dV, method=method)

    def dV(self, V, t, I):
        return (-(V + 60.0) + I) / 10.0

    def update(self, t):
        self.V.value = self.integral(self.V, t, self.I, dt=0.1)


@pytest.mark.parametrize("method", ["exp_auto", "rk4"])
def test_inside_bm_jit_and_for_loop(method):
    model = _LIF(3, method)

    @bm.jit
    def run(m):
        def body(i):
            m.update(i * 0.1)
            return m.V.value
        return bm.for_loop(body, jnp.arange(50))

    trace = run(model)
    ref = _LIF(3, method)
    for i in range(50):
        ref.update(i * 0.1)
    assert_close(trace[-1], ref.V.value)
    assert_close(model.V.value, -60.0 + 20.0 * (1 - np.exp(-5.0 / 10.0)) * np.ones(3), rtol=1e-4)


@pytest.mark.parametrize("method", ["euler", "rk4", "exp_auto"])
def test_jax_jit_vmap_grad(method):
    integral = bp.odeint(lambda x, t, tau: -x / tau, method=method)
    x = jnp.linspace(-1.0, 1.0, 5)
    taus = jnp.array([1.0, 2.0, 4.0])
    eager = jnp.stack([integral(x, 0.0, tau, dt=0.1) for tau in taus])
    assert_close(jax.jit(jax.vmap(lambda tau: integral(x, 0.0, tau, dt=0.1)))(taus), eager)
    # d x_new / d tau at x = 1: Euler's step 1 - dt/tau gives dt/tau^2; the exact
    # solution exp(-dt/tau) (exp_auto, and rk4 to ~1e-8) gives dt/tau^2 exp(-dt/tau).
    g = jax.grad(lambda tau: integral(1.0, 0.0, tau, dt=0.1))(2.0)
    expected = 0.1 / 4 if method == "euler" else 0.1 / 4 * np.exp(-0.05)
    assert abs(float(g) - expected) < 1e-6


def test_exp_auto_gradient_finite_where_linear_part_is_zero():
    integral = bp.odeint(lambda x, t, a: -a * x, method="exp_auto")
    g = jax.grad(lambda a: integral(1.0, 0.0, a, dt=0.1))(0.0)
    assert abs(float(g) + 0.1) < 1e-6  # d/da exp(-a dt) at a=0 is -dt


# -- bad input ------------------------------------------------------------------------------------

def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown ODE method 'rk45'.*euler.*rk4.*exp_auto"):
        bp.odeint(lambda x, t: -x, method="rk45")
    with pytest.raises(ValueError, match="unknown ODE method"):
        bp.integrators.set_default_odeint("nope")
    with pytest.raises(TypeError, match=r"method 'rk4' takes no option 'beta'"):
        bp.odeint(lambda x, t: -x, method="rk4", beta=0.5)
    with pytest.raises(TypeError, match=r"'rk2' takes no option 'tol'; its options are beta"):
        bp.odeint(lambda x, t: -x, method="rk2", tol=0.5)


def test_bad_signatures():
    err = bp.errors
    with pytest.raises(err.DiffEqError, match=r"no parameter named 't'"):
        bp.odeint(lambda x, time: -x)
    with pytest.raises(err.DiffEqError, match="no variable before 't'"):
        bp.odeint(lambda t, x: -x)
    with pytest.raises(err.DiffEqError, match=r"\*args"):
        bp.odeint(lambda x, t, *args: -x)
    with pytest.raises(err.CodeError, match="named 'dt'"):
        bp.odeint(lambda x, t, dt: -x)
    with pytest.raises(err.DiffEqError, match=r"has 2 \(V, w\).*bp.JointEq"):
        bp.odeint(lambda V, w, t: (w, -V), method="exp_auto")
    with pytest.raises(err.DiffEqError, match="'V' .* already the variable"):
        bp.JointEq(lambda V, t: -V, lambda V, t: V)
    with pytest.raises(err.DiffEqError, match="two different defaults"):
        bp.JointEq(lambda V, t, a=1.0: -V, lambda w, t, a=2.0: w)
    with pytest.raises(TypeError, match="must be a derivative function"):
        bp.odeint(3.0)
    with pytest.raises(ValueError, match="dt must be positive"):
        bp.odeint(lambda x, t: -x, dt=-0.1)
    with pytest.raises(TypeError, match="dt must be a positive float"):
        bp.odeint(lambda x, t: -x, dt="0.1")
    with pytest.raises(ValueError, match="var_type"):
        bp.odeint(lambda x, t: -x, var_type="vector")


def test_bad_calls():
    integral = bp.odeint(lambda V, t, I: -V + I, method="rk4")
    with pytest.raises(TypeError, match=r"at most 4 positional arguments \(V, t, I, dt\), got 5"):
        integral(1.0, 0.0, 1.0, 0.1, 7)
    with pytest.raises(TypeError, match=r"missing argument\(s\) I"):
        integral(1.0, 0.0)
    with pytest.raises(TypeError, match="missing argument"):
        integral(t=0.0, I=1.0)
    with pytest.raises(TypeError, match="unknown argument 'Iext'"):
        integral(1.0, 0.0, Iext=1.0)
    with pytest.raises(TypeError, match="'I' given by position and by keyword"):
        integral(1.0, 0.0, 1.0, I=2.0)
    with pytest.raises(ValueError, match="floating-point 'n'.*int32"):
        bp.odeint(lambda n, t: -n, method="exp_auto")(jnp.arange(3), 0.0)


@pytest.mark.parametrize("method", ["euler", "rk4", "exp_auto"])
def test_wrong_number_of_derivatives_names_f_and_counts(method):
    def two(V, w, t):
        return -V, -w, 0.0

    def one(V, t):
        return -V, 1.0

    if method != "exp_auto":
        with pytest.raises(bp.errors.DiffEqError, match=r"two returned 3 derivatives for 2 variables \(V, w\)"):
            bp.odeint(two, method=method)(1.0, 1.0, 0.0)
    with pytest.raises(bp.errors.DiffEqError, match=r"one returned 2 derivatives for 1 variable \(V\)"):
        bp.odeint(one, method=method)(1.0, 0.0)
    with pytest.raises(bp.errors.DiffEqError, match=r"one returned 2 derivatives for 1 variable"):
        bp.odeint(bp.JointEq(one, lambda w, t: -w), method=method)(1.0, 1.0, 0.0)


# -- diffrax ---------------------------------------------------------------------------------------

def test_diffrax_missing_gives_install_hint(monkeypatch):
    real_import = builtins.__import__

    def no_diffrax(name, *args, **kwargs):
        if name == "diffrax" or name.startswith("diffrax."):
            raise ImportError("No module named 'diffrax'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "diffrax", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_diffrax)
    with pytest.raises(bp.errors.PackageMissingError, match=r"pip install brainobj\[dyn\]"):
        bp.integrators.DiffraxIntegrator(lambda x, t: -x)


@pytest.mark.parametrize("solver_name", ["Tsit5", pytest.param("Dopri5", marks=pytest.mark.slow),
                                         pytest.param("Heun", marks=pytest.mark.slow),
                                         pytest.param("Euler", marks=pytest.mark.slow)])
def test_diffrax_steps_match_diffeqsolve(solver_name, x64):
    diffrax = pytest.importorskip("diffrax")
    solver = getattr(diffrax, solver_name)()

    def vf(t, y, args):
        x, v = y
        return v, -args * args * x + jnp.sin(t)

    n, dt = 40, 0.05
    expected = diffrax.diffeqsolve(diffrax.ODETerm(vf), solver, 0.0, n * dt, dt, (1.0, 0.0), args=1.5,
                                   saveat=diffrax.SaveAt(t1=True)).ys
    integral = bp.integrators.DiffraxIntegrator(lambda x, v, t, w: vf(t, (x, v), w), solver=solver, dt=dt)
    x, v = _simulate(integral, [1.0, 0.0], n * dt, n, 1.5)
    assert_close((x, v), (expected[0][0], expected[1][0]), rtol=1e-12, atol=1e-12)


@pytest.mark.slow  # ~10 s of diffrax compilation on 2 cores
def test_diffrax_via_odeint_inside_transforms():
    diffrax = pytest.importorskip("diffrax")
    integral = bp.odeint(lambda x, t, tau: -x / tau, method=diffrax.Tsit5(), dt=0.1)
    assert isinstance(integral, bp.integrators.DiffraxIntegrator)
    x = jnp.array([1.0, 2.0])
    assert_close(jax.jit(lambda x: integral(x, 0.0, 2.0))(x), x * np.exp(-0.05), rtol=1e-6)
    assert_close(jax.vmap(lambda tau: integral(1.0, 0.0, tau))(jnp.array([1.0, 2.0])),
                 np.exp(-0.1 / np.array([1.0, 2.0])), rtol=1e-6)
    g = jax.grad(lambda tau: integral(1.0, 0.0, tau))(2.0)
    assert abs(float(g) - 0.1 / 4 * np.exp(-0.05)) < 1e-5
    model = _LIF(2, diffrax.Tsit5())
    bm.jit(lambda: model.update(0.0))()
    assert_close(model.V.value, -60.0 + 20.0 * (1 - np.exp(-0.01)) * np.ones(2), rtol=1e-5)


def test_diffrax_bad_solver():
    diffrax = pytest.importorskip("diffrax")
    with pytest.raises(TypeError, match="solver must be a diffrax solver"):
        bp.integrators.DiffraxIntegrator(lambda x, t: -x, solver="tsit5")
    with pytest.raises(TypeError, match=r"Kvaerno5 needs its root finder's tolerances"):
        bp.integrators.DiffraxIntegrator(lambda x, t: -x, solver=diffrax.Kvaerno5())


@pytest.mark.slow  # an implicit solver's step compiles a root finder (~5 s)
def test_diffrax_implicit_solver_with_tolerances():
    diffrax = pytest.importorskip("diffrax")
    implicit = diffrax.Kvaerno5(root_finder=diffrax.VeryChord(rtol=1e-8, atol=1e-8))
    integral = bp.integrators.DiffraxIntegrator(lambda x, v, t: (v, -x), solver=implicit, dt=0.1)
    x, v = integral(1.0, 0.0, 0.0)
    assert_close((x, v), (np.cos(0.1), -np.sin(0.1)), rtol=1e-5, atol=1e-6)
