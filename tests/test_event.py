"""``bm.event.csrmv``: against a dense NumPy/JAX oracle, under transforms, on bad input.

Every behaviour test runs on each backend that can run here: ``'jax'``
always, ``'brainevent'`` when brainevent (and, on CPU, numba) is installed.
"""

from __future__ import annotations

import importlib.util
import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_close, assert_refused

HAS_BRAINEVENT = "brainevent" in bm.event.available_backends()
BACKENDS = ["jax", pytest.param("brainevent", marks=pytest.mark.skipif(
    not HAS_BRAINEVENT, reason="brainevent (and numba on CPU) not installed"))]


@pytest.fixture(params=BACKENDS)
def backend(request):
    previous = bm.event.set_backend(request.param)
    yield request.param
    bm.event.set_backend(previous)


# -- the oracle ------------------------------------------------------------------------

def random_csr(rng: np.random.Generator, n_rows: int, n_cols: int, density: float):
    """``(indices, indptr)`` of a random pattern (empty rows likely at low density)."""
    mask = rng.random((n_rows, n_cols)) < density
    indptr = np.zeros(n_rows + 1, np.int32)
    np.cumsum(mask.sum(axis=1), out=indptr[1:])
    return np.nonzero(mask)[1].astype(np.int32), indptr


def dense_np(data, indices, indptr, shape) -> np.ndarray:
    """The dense float64 matrix of a CSR (scalar data: one weight everywhere)."""
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    m = np.zeros(shape)
    np.add.at(m, (rows, indices), np.broadcast_to(np.asarray(data, np.float64), indices.shape))
    return m


def oracle(data, indices, indptr, events, shape, transpose) -> np.ndarray:
    m = dense_np(data, indices, indptr, shape)
    ev = np.asarray(events, np.float64)
    return ev @ m if transpose else m @ ev


def dense_jax(data, indices, indptr, events, shape, transpose):
    """The same product through a dense JAX matrix: the autodiff oracle."""
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    m = jnp.zeros(shape).at[rows, indices].add(jnp.broadcast_to(data, indices.shape))
    return events @ m if transpose else m @ events


def problem(seed=0, n_rows=9, n_cols=7, density=0.35):
    rng = np.random.default_rng(seed)
    indices, indptr = random_csr(rng, n_rows, n_cols, density)
    data = jnp.asarray(rng.standard_normal(indices.size), jnp.float32)
    return rng, data, indices, indptr, (n_rows, n_cols)


# -- values ----------------------------------------------------------------------------

@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_rows=st.sampled_from([0, 1, 3, 6]), n_cols=st.sampled_from([0, 1, 4, 7]),
       density=st.sampled_from([0.0, 0.3, 1.0]), seed=st.integers(0, 2 ** 16),
       scalar=st.booleans(), bool_events=st.booleans(), transpose=st.booleans())
def test_matches_dense_oracle(backend, n_rows, n_cols, density, seed, scalar, bool_events, transpose):
    rng = np.random.default_rng(seed)
    indices, indptr = random_csr(rng, n_rows, n_cols, density)
    data = (float(rng.standard_normal()) if scalar
            else jnp.asarray(rng.standard_normal(indices.size), jnp.float32))
    n_events = n_rows if transpose else n_cols
    events = (rng.random(n_events) < 0.5 if bool_events
              else (rng.standard_normal(n_events) * (rng.random(n_events) < 0.6)).astype(np.float32))
    got = bm.event.csrmv(data, indices, indptr, jnp.asarray(events), shape=(n_rows, n_cols),
                         transpose=transpose)
    expected = oracle(data, indices, indptr, events, (n_rows, n_cols), transpose)
    assert_close(got, expected.astype(np.float32), rtol=1e-5, atol=1e-5)


def test_coba_sizes_many_chunks(backend):
    """3200 x 4000 at 2 % from bp.conn, at 0.2 % and 20 % of rows firing (the
    latter takes many loop iterations), heterogeneous and homogeneous weights."""
    indices, indptr = bp.conn.FixedProb(0.02, pre=3200, post=4000, seed=3).require("csr")
    rng = np.random.default_rng(1)
    w = jnp.asarray(rng.random(indices.size), jnp.float32)
    spikes = np.stack([rng.random(3200) < 0.002, rng.random(3200) < 0.2, np.zeros(3200, bool)])

    @jax.jit
    def step(w, spikes):
        hetero = jax.vmap(lambda s: bm.event.csrmv(w, indices, indptr, s, shape=(3200, 4000),
                                                   transpose=True))(spikes)
        homo = bm.event.csrmv(0.5, indices, indptr, spikes[1], shape=(3200, 4000), transpose=True)
        return hetero, homo

    hetero, homo = step(w, jnp.asarray(spikes))
    m = dense_np(np.asarray(w), indices, indptr, (3200, 4000))
    assert_close(hetero, (spikes @ m).astype(np.float32), rtol=1e-4, atol=1e-4)
    assert_close(homo, (0.5 * spikes[1] @ (m != 0)).astype(np.float32), rtol=1e-5, atol=1e-4)


def test_skewed_rows_and_windows_at_the_end(backend):
    """Rows of very different lengths (one long row, empty rows, short rows
    near the end of ``indices``), half of them firing: several loop
    iterations, and windows moved back to fit the end of the arrays."""
    rng = np.random.default_rng(13)
    lengths = rng.integers(0, 12, 300)
    lengths[[7, 299]] = [150, 1]
    lengths[[100, 298]] = 0
    indptr = np.zeros(301, np.int32)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.concatenate([np.sort(rng.choice(200, n, replace=False)) for n in lengths]).astype(np.int32)
    w = jnp.asarray(rng.standard_normal(indices.size), jnp.float32)
    spikes = rng.random((2, 300)) < 0.5
    spikes[1, -3:] = True
    f = jax.jit(jax.vmap(lambda s: bm.event.csrmv(w, indices, indptr, s, shape=(300, 200),
                                                  transpose=True)))
    expected = spikes @ dense_np(np.asarray(w), indices, indptr, (300, 200))
    assert_close(f(jnp.asarray(spikes)), expected.astype(np.float32), rtol=1e-4, atol=1e-4)


def test_silent_rows_are_not_read(backend):
    """Event-driven: weights of rows whose event is 0 are never read (a NaN
    there does not reach the result; a dense product would spread it)."""
    rng, data, indices, indptr, shape = problem(seed=4)
    spikes = np.zeros(shape[0], bool)
    spikes[[1, 5]] = True
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    poisoned = jnp.where(jnp.asarray(spikes[rows]), data, jnp.nan)
    got = bm.event.csrmv(poisoned, indices, indptr, jnp.asarray(spikes), shape=shape, transpose=True)
    assert np.isfinite(np.asarray(got)).all()
    assert_close(got, oracle(data, indices, indptr, spikes, shape, True).astype(np.float32))


def test_float_events_weight_the_row(backend):
    """A float event multiplies its row (``events @ M`` exactly, 0.5 counts half;
    BrainPy 2.8 would count any positive float as 1); ints count as numbers."""
    _, data, indices, indptr, shape = problem(seed=5)
    events = np.zeros(shape[0], np.float32)
    events[[0, 2, 3]] = [0.5, -2.0, 3.0]
    expected = oracle(data, indices, indptr, events, shape, True).astype(np.float32)
    assert_close(bm.event.csrmv(data, indices, indptr, jnp.asarray(events), shape=shape,
                                transpose=True), expected, rtol=1e-5, atol=1e-5)
    counts = np.array([0, 2, 1, 0, 0, 0, 0, 0, 3], np.int32)
    assert_close(bm.event.csrmv(data, indices, indptr, bm.Variable(jnp.asarray(counts)),
                                shape=shape, transpose=True),
                 oracle(data, indices, indptr, counts, shape, True).astype(np.float32),
                 rtol=1e-5, atol=1e-5)


# -- transforms ------------------------------------------------------------------------

def test_under_jit_scan_for_loop_and_vmap(backend):
    rng, data, indices, indptr, shape = problem(seed=6)
    trains = jnp.asarray(rng.random((5, shape[0])) < 0.4)     # 5 steps of spikes
    expected = np.stack([oracle(data, indices, indptr, s, shape, True) for s in np.asarray(trains)])

    def f(s):
        return bm.event.csrmv(data, indices, indptr, s, shape=shape, transpose=True)

    assert_close(jax.jit(f)(trains[0]), expected[0].astype(np.float32), rtol=1e-5, atol=1e-5)
    assert_close(bm.jit(f)(trains[0]), expected[0].astype(np.float32), rtol=1e-5, atol=1e-5)
    assert_close(jax.vmap(f)(trains), expected.astype(np.float32), rtol=1e-5, atol=1e-5)
    assert_close(bm.vmap(f)(trains), expected.astype(np.float32), rtol=1e-5, atol=1e-5)

    total, outs = jax.lax.scan(lambda c, s: (c + f(s), f(s)), jnp.zeros(shape[1]), trains)
    assert_close(total, expected.sum(0).astype(np.float32), rtol=1e-5, atol=1e-5)

    # bm.for_loop with a Variable accumulating the synaptic input
    g = bm.Variable(jnp.zeros(shape[1]))

    def body(s):
        g.value = g.value * 0.5 + f(s)
        return g.value

    trace = bm.for_loop(body, trains)
    ref, acc = [], np.zeros(shape[1])
    for row in expected:
        acc = acc * 0.5 + row
        ref.append(acc)
    assert_close(trace, np.stack(ref).astype(np.float32), rtol=1e-5, atol=1e-5)
    assert_close(g.value, acc.astype(np.float32), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("transpose", [True, False])
def test_grad_matches_dense(backend, transpose):
    """Gradients w.r.t. vector and scalar weights and float events (silent
    entries included) equal those of the dense JAX product; also per example
    (vmap of grad)."""
    rng, data, indices, indptr, shape = problem(seed=7)
    n_ev = shape[0] if transpose else shape[1]
    events = jnp.asarray((rng.random(n_ev) < 0.5) * rng.standard_normal(n_ev), jnp.float32)
    probe = jnp.asarray(rng.standard_normal(shape[1] if transpose else shape[0]), jnp.float32)

    def loss(op):
        return lambda w, e: jnp.sum(jnp.sin(op(w, indices, indptr, e, shape, transpose)) * probe)

    ours = loss(lambda w, i, p, e, s, t: bm.event.csrmv(w, i, p, e, shape=s, transpose=t))
    ref = loss(dense_jax)
    def all_grads(f):
        batch = jnp.stack([events, 2 * events, jnp.zeros_like(events)])
        return [jax.grad(f, argnums=(0, 1))(data, events),
                jax.grad(f, argnums=(0, 1))(jnp.float32(0.7), events),
                jax.vmap(jax.grad(f), in_axes=(None, 0))(data, batch)]

    assert_close(jax.jit(lambda: all_grads(ours))(), jax.jit(lambda: all_grads(ref))(),
                 rtol=1e-4, atol=1e-5)


def test_grad_of_bool_events_model_with_bm_grad(backend):
    """A model holding its weights in a TrainVar, bool spikes in, ``bm.grad``
    over its Variables: the weight gradient equals the dense oracle's."""
    rng, data, indices, indptr, shape = problem(seed=8)

    class Syn(bp.BrainPyObject):
        def __init__(self):
            self.w = bm.TrainVar(data)

        def __call__(self, spikes):
            return bm.event.csrmv(self.w.value, indices, indptr, spikes, shape=shape, transpose=True)

    syn = Syn()
    spikes = jnp.asarray(rng.random(shape[0]) < 0.5)
    grads = bm.jit(bm.grad(lambda s: jnp.sum(syn(s) ** 2), grad_vars=syn.train_vars()))(spikes)
    expected = jax.jit(jax.grad(lambda w: jnp.sum(
        dense_jax(w, indices, indptr, spikes.astype(jnp.float32), shape, True) ** 2)))(data)
    assert_close(list(grads.values())[0], expected, rtol=1e-4, atol=1e-5)


def test_traced_indptr(backend):
    """indptr passed into the compiled function (traced): the JAX kernels
    still work (visiting every entry); the 'brainevent' backend refuses it
    with an error naming the fix; 'auto' falls back to JAX."""
    rng, data, indices, indptr, shape = problem(seed=9)
    spikes = jnp.asarray(rng.random(shape[0]) < 0.5)
    expected = oracle(data, indices, indptr, spikes, shape, True).astype(np.float32)

    def f(ptr):
        return bm.event.csrmv(data, indices, ptr, spikes, shape=shape, transpose=True)

    if backend == "brainevent":
        with pytest.raises(bm.MathError, match=r"needs a concrete indptr.*Pass indptr as a NumPy"):
            jax.jit(f)(jnp.asarray(indptr))
        bm.event.set_backend("auto")
    assert_close(jax.jit(f)(jnp.asarray(indptr)), expected, rtol=1e-5, atol=1e-5)


# -- backends --------------------------------------------------------------------------

def test_backend_choice():
    assert bm.event.get_backend() == "auto"
    assert "jax" in bm.event.available_backends()
    assert bm.event.set_backend("jax") == "auto"
    try:
        assert bm.event.get_backend() == "jax"
        assert_refused(lambda: bm.event.set_backend("numba"), bm.MathError,
                       r"name must be one of \('auto', 'brainevent', 'jax'\), got 'numba'", [])
        assert bm.event.get_backend() == "jax"
    finally:
        bm.event.set_backend("auto")


def test_set_backend_from_threads():
    """Concurrent set_backend calls leave one of the values set, never a torn state."""
    def flip(name):
        for _ in range(200):
            bm.event.set_backend(name)

    threads = [threading.Thread(target=flip, args=(n,)) for n in ("jax", "auto", "jax", "auto")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert bm.event.get_backend() in ("jax", "auto")
    finally:
        bm.event.set_backend("auto")


def _hide(monkeypatch, module_name):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == module_name else real(name, *a))


def test_without_brainevent(monkeypatch):
    _hide(monkeypatch, "brainevent")
    assert bm.event.available_backends() == ("jax",)
    with pytest.raises(bm.MathError, match=r"brainevent is not installed"):
        bm.event.set_backend("brainevent")
    assert bm.event.get_backend() == "auto"
    _, data, indices, indptr, shape = problem(seed=10)
    ev = jnp.ones(shape[0], bool)
    assert_close(bm.event.csrmv(data, indices, indptr, ev, shape=shape, transpose=True),
                 oracle(data, indices, indptr, ev, shape, True).astype(np.float32),
                 rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not HAS_BRAINEVENT or jax.default_backend() != "cpu",
                    reason="needs brainevent, on CPU")
def test_brainevent_without_numba_falls_back_with_one_warning(monkeypatch):
    from brainobj.math import _event_brainevent
    monkeypatch.setattr(_event_brainevent, "_warned", set())
    previous = bm.event.set_backend("brainevent")
    try:
        _hide(monkeypatch, "numba")
        assert bm.event.available_backends() == ("jax",)
        _, data, indices, indptr, shape = problem(seed=11)
        ev = jnp.ones(shape[0], bool)
        with pytest.warns(RuntimeWarning, match=r"need numba.*using the pure-JAX kernels"):
            got = bm.event.csrmv(data, indices, indptr, ev, shape=shape, transpose=True)
        assert_close(got, oracle(data, indices, indptr, ev, shape, True).astype(np.float32),
                     rtol=1e-5, atol=1e-5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the second call does not warn again
            bm.event.csrmv(data, indices, indptr, ev, shape=shape, transpose=True)
    finally:
        bm.event.set_backend(previous)


@pytest.mark.skipif(not HAS_BRAINEVENT, reason="needs brainevent")
def test_backends_agree_and_survive_retracing():
    """The two backends give the same numbers; a function compiled twice
    (two traces) with the brainevent backend does not leak a tracer."""
    rng, data, indices, indptr, shape = problem(seed=12, n_rows=40, n_cols=30)
    spikes = jnp.asarray(rng.random((2, shape[0])) < 0.3)
    results = {}
    for name in ("jax", "brainevent"):
        previous = bm.event.set_backend(name)
        try:
            f = jax.jit(lambda w, s: bm.event.csrmv(w, indices, indptr, s, shape=shape,
                                                    transpose=True))
            results[name] = [f(data, spikes[0]), f(data * 2, spikes[1]), f(data[0], spikes[1])]
        finally:
            bm.event.set_backend(previous)
    assert_close(results["brainevent"], results["jax"], rtol=1e-5, atol=1e-5)


# -- bad input -------------------------------------------------------------------------

_IND = np.array([0, 2, 1], np.int32)
_PTR = np.array([0, 2, 3, 3], np.int32)
_GOOD = dict(data=jnp.ones(3), indices=_IND, indptr=_PTR, events=jnp.ones(3, bool),
             shape=(3, 4), transpose=True)


@pytest.mark.parametrize("change, error, pattern", [
    (dict(indptr=np.array([0, 2, 3], np.int32)), bm.MathError,
     r"indptr must have n_rows \+ 1 = 4 entries for shape=\(3, 4\), got 3"),
    (dict(data=jnp.ones(2)), bm.MathError,
     r"data must be a scalar, shape \(1,\), or have nnz = len\(indices\) = 3 entries, got shape \(2,\)"),
    (dict(events=jnp.ones(4, bool)), bm.MathError,
     r"events must be 1-D with n_rows \(transpose=True\) = 3 entries, got shape \(4,\)"),
    (dict(events=jnp.ones(3, bool), transpose=False), bm.MathError,
     r"events must be 1-D with n_cols \(transpose=False\) = 4 entries, got shape \(3,\)"),
    (dict(events=jnp.ones((2, 3), bool)), bm.MathError, r"got shape \(2, 3\) \(use bm.vmap"),
    (dict(shape=(3,)), bm.MathError, r"shape must be a pair of non-negative ints .* got \(3,\)"),
    (dict(shape=(3, -4)), bm.MathError, r"shape must be a pair"),
    (dict(indices=np.array([0., 2., 1.])), bm.MathTypeError,
     r"indices must be a 1-D integer array, got float"),
    (dict(indptr=np.array([[0, 2, 3, 3]])), bm.MathTypeError, r"indptr must be a 1-D integer"),
    (dict(indptr=np.array([0, 2, 3, 4], np.int32)), bm.MathError,
     r"indptr\[-1\] must equal nnz = len\(indices\) = 3"),
    (dict(indptr=np.array([1, 2, 3, 3], np.int32)), bm.MathError, r"indptr\[0\] must be 0"),
    (dict(indptr=np.array([0, 3, 2, 3], np.int32)), bm.MathError, r"non-decreasing \(row 1"),
    (dict(indices=np.array([0, 4, 1], np.int32)), bm.MathError,
     r"indices must lie in \[0, n_cols\) = \[0, 4\), got 4"),
    (dict(indices=np.array([0, -1, 1], np.int32)), bm.MathError, r"got -1"),
    (dict(data=jnp.ones(3, jnp.int32)), bm.MathTypeError,
     r"data must be a floating array or a Python number, got int32"),
    (dict(events=jnp.ones(3, jnp.complex64)), bm.MathTypeError,
     r"events must be bool or real numbers, got complex64"),
])
def test_bad_input_is_refused_with_the_sizes(change, error, pattern):
    args = {**_GOOD, **change}
    assert_refused(lambda: bm.event.csrmv(args["data"], args["indices"], args["indptr"],
                                          args["events"], shape=args["shape"],
                                          transpose=args["transpose"]),
                   error, pattern, [])


def test_bad_input_inside_jit_is_refused_at_trace_time():
    g = bm.Variable(jnp.zeros(4))

    @bm.jit
    def step(spikes):
        g.value = g.value + bm.event.csrmv(jnp.ones(2), _IND, _PTR, spikes, shape=(3, 4),
                                           transpose=True)

    assert_refused(lambda: step(jnp.ones(3, bool)), bm.MathError,
                   r"data must be a scalar.*got shape \(2,\)", [{"g": g}])
