"""Per-call cost of a spike-vector x sparse-matrix product at COBA sizes.

BrainPy's COBA benchmark network: 3200 excitatory + 800 inhibitory LIF
neurons, 2 % random connectivity (``bp.conn.FixedProb(0.02)``: 80 targets per
neuron), dt = 0.1 ms. Each step, the spikes of a presynaptic population (3200
or 800 neurons) are multiplied with its connection matrix to the 4000
postsynaptic neurons: ``events @ M``, ``M`` of shape ``(n_pre, 4000)`` with
``0.02 * 4000 = 80`` nonzeros per row (heterogeneous float32 weights).

Spike fractions per step: 0.002 (a realistic ~20 Hz at dt = 0.1 ms) and 0.02
(a busy network).

Contestants, each under ``jax.jit``, one product per call:

bm.event (jax)        ``bm.event.csrmv(w, indices, indptr, spikes, shape=...,
                      transpose=True)`` with ``set_backend('jax')``: the
                      event-driven pure-JAX kernel (``indptr`` concrete).
bm.event (brainevent) the same with ``set_backend('brainevent')``; only if
                      brainevent (and numba on CPU) is installed.
bm.event traced ptr   the pure-JAX kernel with ``indptr`` passed as an argument
                      (traced): the segment formulation over all nonzeros,
                      which is what event-driven saves against.
dense                 ``spikes.astype(float32) @ W`` with ``W`` dense.
(float)               with ``--float-events``: bm.event given the spikes as
                      float32 0/1 (brainevent then uses its exact float kernel,
                      which visits every row; the reason ``'auto'`` sends
                      float events to the JAX kernel).
BCSR / BCOO           ``jax.experimental.sparse``: ``M.T @ spikes`` with
                      ``M.T`` stored as BCSR / BCOO (JAX's sparse matvec has
                      the sparse operand on the left, so the transpose is
                      stored once, outside the timing).

Method (as ``dispatch.py``): a correctness check first (every contestant
against a float64 NumPy dense product, rtol 1e-4, on every spike vector);
warm-up calls; then ``--steps`` timed calls per contestant, split into
``--rounds`` interleaved rounds whose contestant order rotates; every call
uses the next of 16 pre-drawn spike vectors (same sequence for all) and
blocks on its result. Reported: the MEDIAN µs per call and its ratio to
``dense``. Absolute numbers depend on the machine; the ratios are the result.

Usage::

    python benchmarks/event_ops.py            # ~1 minute on 2 CPU cores
    python benchmarks/event_ops.py --quick    # smoke run
    python benchmarks/event_ops.py --float-events --pre 3200
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import sparse

N_POST = 4000
PROB = 0.02
N_VECTORS = 16
SEED = 0


def make_problem(n_pre: int, fraction: float):
    """CSR ``(w, indices, indptr)`` of an ``(n_pre, N_POST)`` matrix, its dense
    float64 copy, and ``N_VECTORS`` bool spike vectors firing ``fraction``."""
    import brainobj as bp

    indices, indptr = bp.conn.FixedProb(PROB, pre=n_pre, post=N_POST, seed=SEED).require("csr")
    rng = np.random.default_rng(SEED)
    w = rng.random(indices.size).astype(np.float32)
    dense = np.zeros((n_pre, N_POST))
    dense[np.repeat(np.arange(n_pre), np.diff(indptr)), indices] = w
    spikes = rng.random((N_VECTORS, n_pre)) < fraction
    return w, indices, indptr, dense, spikes


def build_contestants(w, indices, indptr, dense, float_events: bool = False
                      ) -> dict[str, Callable]:
    """``{label: f(spikes) -> result}``, each jitted (``float_events``: also
    bm.event with the spikes given as float32 0/1, per backend)."""
    import brainobj.math as bm

    n_pre = indptr.size - 1
    shape = (n_pre, N_POST)
    wj = jnp.asarray(w)
    out: dict[str, Callable] = {}

    def event_with(backend: str, dtype=jnp.bool_) -> Callable:
        previous = bm.event.set_backend(backend)
        try:
            f = jax.jit(lambda s: bm.event.csrmv(wj, indices, indptr, s.astype(dtype),
                                                 shape=shape, transpose=True))
            return f.lower(jnp.zeros(n_pre, bool)).compile()  # traced under this backend
        finally:
            bm.event.set_backend(previous)

    backends = ["jax"] + (["brainevent"] if "brainevent" in bm.event.available_backends() else [])
    for backend in backends:
        out[f"bm.event ({backend})"] = event_with(backend)
    if float_events:
        for backend in backends:
            out[f"bm.event ({backend}, float)"] = event_with(backend, jnp.float32)

    traced = jax.jit(lambda s, ptr: bm.event.csrmv(wj, indices, ptr, s, shape=shape,
                                                   transpose=True))
    ptr = jnp.asarray(indptr)
    previous = bm.event.set_backend("jax")
    try:
        traced_c = traced.lower(jnp.zeros(n_pre, bool), ptr).compile()
    finally:
        bm.event.set_backend(previous)
    out["bm.event traced ptr"] = lambda s: traced_c(s, ptr)

    wd = jnp.asarray(dense, jnp.float32)
    out["dense"] = jax.jit(lambda s: s.astype(jnp.float32) @ wd)

    # jax.experimental.sparse: the transpose stored once, then M.T @ spikes
    rows = np.repeat(np.arange(n_pre), np.diff(indptr))
    order = np.lexsort((rows, indices))
    t_indptr = np.zeros(N_POST + 1, np.int32)
    np.cumsum(np.bincount(indices, minlength=N_POST), out=t_indptr[1:])
    bcsr = sparse.BCSR((jnp.asarray(w[order]), jnp.asarray(rows[order], jnp.int32),
                        jnp.asarray(t_indptr)), shape=(N_POST, n_pre))
    bcoo = sparse.BCOO((jnp.asarray(w), jnp.asarray(np.stack([indices, rows], 1), jnp.int32)),
                       shape=(N_POST, n_pre))
    out["BCSR"] = jax.jit(lambda s: bcsr @ s.astype(jnp.float32))
    out["BCOO"] = jax.jit(lambda s: bcoo @ s.astype(jnp.float32))
    return out


def check(contestants: dict, dense: np.ndarray, spikes: np.ndarray) -> None:
    for label, f in contestants.items():
        for s in spikes:
            got = np.asarray(f(jnp.asarray(s)))
            np.testing.assert_allclose(got, s.astype(np.float64) @ dense, rtol=1e-4, atol=1e-4,
                                       err_msg=f"{label} differs from the dense NumPy product")


def measure(contestants: dict, spikes: np.ndarray, steps: int, rounds: int, warmup: int
            ) -> dict[str, float]:
    """Median µs per call of each contestant (interleaved rounds, rotating order)."""
    vectors = [jnp.asarray(s) for s in spikes]
    labels = list(contestants)
    samples: dict[str, list[float]] = {k: [] for k in labels}
    for label in labels:
        for s in itertools.islice(itertools.cycle(vectors), warmup):
            jax.block_until_ready(contestants[label](s))
    per_round = max(1, steps // rounds)
    clock = time.perf_counter
    for r in range(rounds):
        order = labels[r % len(labels):] + labels[:r % len(labels)]
        for label in order:
            f, times = contestants[label], samples[label]
            for i in range(per_round):
                s = vectors[i % len(vectors)]
                t0 = clock()
                jax.block_until_ready(f(s))
                times.append(clock() - t0)
    return {k: statistics.median(v) * 1e6 for k, v in samples.items()}


def table(results: dict[tuple[int, float], dict[str, float]]) -> str:
    labels = list(next(iter(results.values())))
    lines = ["| n_pre | spikes/step | " + " | ".join(f"{k} µs (vs dense)" for k in labels) + " |",
             "|---:|---:|" + "---:|" * len(labels)]
    for (n_pre, fraction), res in results.items():
        dense = res["dense"]
        cells = [f"{res[k]:.1f} ({res[k] / dense:.2f}x)" for k in labels]
        lines.append(f"| {n_pre} | {fraction} (~{n_pre * fraction:.0f}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


FULL = dict(steps=300, rounds=5, warmup=20)
QUICK = dict(steps=30, rounds=3, warmup=3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pre", type=int, nargs="+", default=[3200, 800],
                        help="presynaptic population sizes (default: 3200 800)")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.002, 0.02],
                        help="fraction of presynaptic neurons spiking per step (default: 0.002 0.02)")
    parser.add_argument("--steps", type=int, default=None, help="timed calls per contestant (300)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed calls first (20)")
    parser.add_argument("--float-events", action="store_true",
                        help="also time bm.event with float32 0/1 spikes on each backend")
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer calls")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    import brainobj
    import brainobj.math as bm
    print(f"jax {jax.__version__} on {jax.default_backend()} ({jax.devices()[0].device_kind}), "
          f"python {platform.python_version()}, brainobj {brainobj.__version__}, "
          f"bm.event backends here: {bm.event.available_backends()}")
    results = {}
    for n_pre in args.pre:
        for fraction in args.fractions:
            w, indices, indptr, dense, spikes = make_problem(n_pre, fraction)
            contestants = build_contestants(w, indices, indptr, dense, args.float_events)
            check(contestants, dense, spikes)
            results[(n_pre, fraction)] = measure(contestants, spikes, args.steps, args.rounds,
                                                 args.warmup)
            print(f"n_pre {n_pre}, fraction {fraction}: check ok ({len(contestants)} contestants, "
                  f"{N_VECTORS} spike vectors), timed")
    print()
    print(f"Median µs per call of events @ M, M: (n_pre, {N_POST}) at {PROB:.0%} "
          f"({int(PROB * N_POST)} per row), float32 weights, bool spikes; ratio to dense.")
    print()
    print(table(results))


if __name__ == "__main__":
    main()
