"""Cost of brainobj's transforms (grad, for_loop, vmap) against the same computation in plain JAX.

What is measured
----------------
Three cases. In each, brainobj and plain JAX run the *same* arithmetic from
the *same* initial state, in one process; only the way state is carried and
the transform is written differs.

grad_step      One seed-style training step on an MLP (width 32, batch 64,
               ``depth`` hidden layers of 32 with ReLU, MSE loss, SGD):
               raw      ``jax.jit`` of ``jax.value_and_grad`` + ``optax.sgd``
                        on a dict of arrays, returning the new params/state.
               brainobj a plain-class ``Trainer`` with ``@bm.cls_jit def
                        train(self)`` calling ``bm.grad(loss, grad_vars=
                        net.train_vars(), return_value=True)`` and
                        ``bp.optim.SGD(lr, train_vars=net.train_vars())
                        .update(grads)`` -- the seed tutorial's step.
               eqx      ``eqx.filter_jit`` + ``eqx.filter_value_and_grad`` +
                        ``optax.sgd``, returning the new module.
               The batch is a constant of every compiled step (the seed keeps
               it in globals; here every contestant closes over it).
for_loop       A population of N=1000 leaky integrate-and-fire neurons (the
               model of ``examples/lif_simulation.py``, with noise drawn
               inside the loop), 1000 steps per call:
               raw      ``jax.jit`` of ``jax.lax.scan`` over explicit arrays
                        ``(key, V, t_last_spike, spike, t)``.
               brainobj ``bm.jit`` of a function running ``bm.for_loop`` over
                        the object's Variables and the global ``bm.random``.
               Timings are per CALL (one call = 1000 simulation steps).
vmap_ensemble  One training step for an ensemble of K=8 MLPs (depth 1, width
               32, batch 64, plain SGD), all members at once:
               raw      ``jax.jit(jax.vmap(pure_step, in_axes=(0, None, None)))``
                        on a dict of stacked arrays.
               brainobj ``bm.jit(bm.vmap(member_step, in_axes=(0, None, None)))``
                        on ``bm.stack_objects(members)``; ``member_step`` uses
                        ``bm.grad`` and writes the member's TrainVars.
               eqx      ``eqx.filter_jit(eqx.filter_vmap(step, ...))`` on a
                        stacked module.

Method
------
The timing loop is the one of ``dispatch.py`` (imported from it): warm-up
calls first; each sample is one call, ``time.perf_counter()`` around it and
``jax.block_until_ready`` on the one small output it returns (loss, losses or
spike counts -- an output of the same executable as the new state); samples
are taken in interleaved rounds whose contestant order rotates; the MEDIAN is
reported with its ratio to raw. Read the ratios: absolute µs move from run to
run on a shared machine.

Correctness: before timing, every pair runs ``--check-steps`` calls from
identical state and must agree (``assert_allclose``, ``rtol=1e-5``) on the
parameters / neuron state / random key and on the returned values; prints
``check: ok``.

Usage::

    python benchmarks/transforms.py                 # all cases, default sizes
    python benchmarks/transforms.py --cases grad_step --steps 2000
    python benchmarks/transforms.py --quick         # smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainobj as bp
import brainobj.math as bm

try:
    import equinox as eqx
except ImportError:  # equinox is a dependency, but keep the rest usable without it
    eqx = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dispatch import BATCH, LR, N_IN, N_OUT, WIDTH, Contestant, layer_sizes, measure, mlp_loss  # noqa: E402

RTOL = 1e-5


def _np(tree: Any) -> list[np.ndarray]:
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(tree)]


def _assert_same(case: str, got: list[np.ndarray], want: list[np.ndarray], who: str) -> None:
    assert len(got) == len(want), f"{case}: {who} has {len(got)} leaves, raw {len(want)}"
    for i, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-6,
                                   err_msg=f"{case}: {who} differs from raw at leaf {i}")


# -- the MLP, shared by grad_step and vmap_ensemble ---------------------------------
def make_init(depth: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Initial ``[(W, b), ...]`` as numpy (biases nonzero so that they matter)."""
    rng = np.random.default_rng(seed)
    return [((rng.standard_normal((i, o)) * 0.1).astype(np.float32),
             (rng.standard_normal(o) * 0.01).astype(np.float32))
            for i, o in layer_sizes(depth)]


def make_batch(seed: int = 1234) -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, N_IN)).astype(np.float32)
    y = rng.standard_normal((BATCH, N_OUT)).astype(np.float32)
    return jnp.asarray(x), jnp.asarray(y)


def dict_params(init) -> dict[str, jax.Array]:
    """``{"W0": ..., "b0": ..., ...}``; its leaves flatten in the order W0, W1.., b0, b1..."""
    out = {}
    for i, (w, b) in enumerate(init):
        out[f"W{i}"], out[f"b{i}"] = jnp.asarray(w), jnp.asarray(b)
    return out


def dict_loss(params: dict, x: jax.Array, y: jax.Array) -> jax.Array:
    n = len(params) // 2
    return mlp_loss([(params[f"W{i}"], params[f"b{i}"]) for i in range(n)], x, y)


def flat_of_dict(params: dict) -> list[np.ndarray]:
    n = len(params) // 2
    return [np.asarray(params[f"{k}{i}"]) for i in range(n) for k in "Wb"]


class Linear(bp.BrainPyObject):
    def __init__(self, w, b):
        self.W = bm.TrainVar(jnp.asarray(w))
        self.b = bm.TrainVar(jnp.asarray(b))

    def __call__(self, x):
        return x @ self.W + self.b


class MLP(bp.BrainPyObject):
    """A brainobj MLP with TrainVars loaded from ``init``; forward = ``mlp_loss``'s."""

    def __init__(self, init):
        self.layers = bm.NodeList([Linear(w, b) for w, b in init])

    def __call__(self, x):
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = jax.nn.relu(x)
        return x


def brainobj_flat(net) -> list[np.ndarray]:
    return [np.asarray(v.value) for layer in net.layers for v in (layer.W, layer.b)]


if eqx is not None:
    class EqxLinear(eqx.Module):
        W: jax.Array
        b: jax.Array

    class EqxMLP(eqx.Module):
        layers: list


def eqx_mlp(init):
    return EqxMLP([EqxLinear(jnp.asarray(w), jnp.asarray(b)) for w, b in init])


def eqx_loss(model, x, y):
    return mlp_loss([(layer.W, layer.b) for layer in model.layers], x, y)


def _have_eqx() -> bool:
    return eqx is not None


# -- case 1: grad_step --------------------------------------------------------------
def grad_step_contestants(depth: int) -> list[Contestant]:
    init = make_init(depth, seed=0)
    x, y = make_batch()
    out = []

    # raw: jax.jit(jax.value_and_grad) + optax.sgd on a dict of arrays
    tx = optax.sgd(LR)

    @jax.jit
    def raw_step(params, opt_state):
        loss, grads = jax.value_and_grad(dict_loss)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    params = dict_params(init)
    raw = {"params": params, "opt": tx.init(params)}

    def raw_run():
        raw["params"], raw["opt"], loss = raw_step(raw["params"], raw["opt"])
        return loss

    out.append(Contestant("raw", "raw", raw_run, lambda: flat_of_dict(raw["params"])))

    # brainobj, seed style: a plain class, the grad function built once in __init__
    class Trainer:  # deliberately NOT a BrainPyObject
        def __init__(self, net, x, y):
            self.net, self.x, self.y = net, x, y
            self.opt = bp.optim.SGD(LR, train_vars=net.train_vars())
            self.f_grad = bm.grad(self.loss, grad_vars=net.train_vars(), return_value=True)

        def loss(self):
            return jnp.mean((self.net(self.x) - self.y) ** 2)

        @bm.cls_jit
        def train(self):
            grads, loss = self.f_grad()
            self.opt.update(grads)
            return loss

    trainer = Trainer(MLP(init), x, y)
    out.append(Contestant("bm", "brainobj", trainer.train, lambda: brainobj_flat(trainer.net)))

    if _have_eqx():
        @eqx.filter_jit
        def eqx_step(model, opt_state):
            loss, grads = eqx.filter_value_and_grad(eqx_loss)(model, x, y)
            updates, opt_state = tx.update(grads, opt_state, model)
            return eqx.apply_updates(model, updates), opt_state, loss

        model = eqx_mlp(init)
        st = {"model": model, "opt": tx.init(eqx.filter(model, eqx.is_array))}

        def eqx_run():
            st["model"], st["opt"], loss = eqx_step(st["model"], st["opt"])
            return loss

        out.append(Contestant("eqx", "eqx", eqx_run,
                              lambda: [np.asarray(a) for l in st["model"].layers for a in (l.W, l.b)]))
    return out


# -- case 2: for_loop (LIF population) ----------------------------------------------
N_NEURONS, N_LOOP, DT = 1000, 1000, 0.1
V_REST, V_RESET, V_TH, R_M, TAU, T_REF, NOISE = -65.0, -68.0, -50.0, 1.0, 10.0, 2.0, 4.0
LIF_SEED = 123


def for_loop_contestants() -> list[Contestant]:
    drive = jnp.linspace(14.0, 40.0, N_NEURONS)

    class LIF(bp.BrainPyObject):
        """``examples/lif_simulation.py``'s neurons, plus a clock so that calls continue in time."""

        def __init__(self, size):
            self.size = size
            self.V_rest, self.V_reset, self.V_th = V_REST, V_RESET, V_TH
            self.R, self.tau, self.t_ref, self.noise = R_M, TAU, T_REF, NOISE
            self.V = bm.Variable(bm.full(size, V_REST))
            self.t_last_spike = bm.Variable(bm.full(size, -1e7))
            self.spike = bm.Variable(bm.zeros(size, dtype=bool))
            self.t = bm.Variable(jnp.zeros((), jnp.float32))

        def update(self, t, dt, current):
            noise = self.noise * bm.random.randn(self.size) / bm.sqrt(dt)
            dV = (-(self.V - self.V_rest) + self.R * (current + noise)) / self.tau
            refractory = (t - self.t_last_spike) <= self.t_ref
            V = bm.where(refractory, self.V, self.V + dV * dt)
            spike = V >= self.V_th
            self.spike.value = spike
            self.t_last_spike.value = bm.where(spike, t, self.t_last_spike)
            self.V.value = bm.where(spike, self.V_reset, V)
            return spike

    def simulate(model):
        t0 = model.t.value
        ts = t0 + jnp.arange(N_LOOP, dtype=jnp.float32) * DT
        spikes = bm.for_loop(lambda t: model.update(t, DT, drive), ts)
        model.t.value = t0 + N_LOOP * DT
        return spikes.sum(axis=0)  # spike counts of this call, per neuron

    bm.random.seed(LIF_SEED)
    key0 = bm.random.DEFAULT.value
    neurons = LIF(N_NEURONS)
    bm_run = bm.jit(simulate)

    def bm_state():
        return _np([bm.random.DEFAULT.value, neurons.V.value, neurons.t_last_spike.value,
                    neurons.spike.value, neurons.t.value])

    @jax.jit
    def raw_run(state):
        key, V, t_last, spike, t0 = state
        ts = t0 + jnp.arange(N_LOOP, dtype=jnp.float32) * DT

        def body(carry, t):
            key, V, t_last, _ = carry
            key, sub = jax.random.split(key)
            noise = NOISE * jax.random.normal(sub, (N_NEURONS,)) / jnp.sqrt(DT)
            dV = (-(V - V_REST) + R_M * (drive + noise)) / TAU
            refractory = (t - t_last) <= T_REF
            V_new = jnp.where(refractory, V, V + dV * DT)
            spike = V_new >= V_TH
            return (key, jnp.where(spike, V_RESET, V_new), jnp.where(spike, t, t_last), spike), spike

        (key, V, t_last, spike), spikes = jax.lax.scan(body, (key, V, t_last, spike), ts)
        return (key, V, t_last, spike, t0 + N_LOOP * DT), spikes.sum(axis=0)

    raw = {"state": (key0, jnp.full(N_NEURONS, V_REST), jnp.full(N_NEURONS, -1e7),
                     jnp.zeros(N_NEURONS, bool), jnp.zeros((), jnp.float32))}

    def raw_call():
        raw["state"], counts = raw_run(raw["state"])
        return counts

    return [Contestant("raw", "raw", raw_call, lambda: _np(raw["state"])),
            Contestant("bm", "brainobj", lambda: bm_run(neurons), bm_state)]


# -- case 3: vmap_ensemble ------------------------------------------------------------
K_MEMBERS, ENSEMBLE_DEPTH = 8, 1


def vmap_ensemble_contestants() -> list[Contestant]:
    inits = [make_init(ENSEMBLE_DEPTH, seed=100 + k) for k in range(K_MEMBERS)]
    x, y = make_batch()
    out = []

    def pure_step(params, x, y):
        loss, grads = jax.value_and_grad(dict_loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads), loss

    raw_step = jax.jit(jax.vmap(pure_step, in_axes=(0, None, None)))
    members = [dict_params(init) for init in inits]
    raw = {"params": jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members)}

    def raw_run():
        raw["params"], losses = raw_step(raw["params"], x, y)
        return losses

    out.append(Contestant("raw", "raw", raw_run, lambda: flat_of_dict(raw["params"])))

    def member_step(model, x, y):
        tv = model.train_vars()
        grads, loss = bm.grad(lambda: jnp.mean((model(x) - y) ** 2),
                              grad_vars=tv, return_value=True)()
        for key, var in tv.items():
            var.value = var.value - LR * grads[key]
        return loss

    ensemble = bm.stack_objects([MLP(init) for init in inits])
    bm_step = bm.jit(bm.vmap(member_step, in_axes=(0, None, None)))
    out.append(Contestant("bm", "brainobj", lambda: bm_step(ensemble, x, y),
                          lambda: brainobj_flat(ensemble)))

    if _have_eqx():
        def eqx_member(model, x, y):
            loss, grads = eqx.filter_value_and_grad(eqx_loss)(model, x, y)
            return eqx.apply_updates(model, jax.tree_util.tree_map(lambda g: -LR * g, grads)), loss

        eqx_step = eqx.filter_jit(eqx.filter_vmap(eqx_member, in_axes=(0, None, None)))
        stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[eqx_mlp(i) for i in inits])
        st = {"model": stacked}

        def eqx_run():
            st["model"], losses = eqx_step(st["model"], x, y)
            return losses

        out.append(Contestant("eqx", "eqx", eqx_run,
                              lambda: [np.asarray(a) for l in st["model"].layers for a in (l.W, l.b)]))
    return out


# -- driver ---------------------------------------------------------------------------
def cases(args) -> list[tuple[str, str, Callable[[], list[Contestant]], int]]:
    """``(name, unit, builder, timed calls)`` for each requested case."""
    out = []
    if "grad_step" in args.cases:
        for depth in args.depths:
            out.append((f"grad_step depth {depth}", "step",
                        lambda d=depth: grad_step_contestants(d), args.steps))
    if "for_loop" in args.cases:
        out.append((f"for_loop LIF N={N_NEURONS}", f"call ({N_LOOP} steps)",
                    for_loop_contestants, args.loop_calls))
    if "vmap_ensemble" in args.cases:
        out.append((f"vmap_ensemble K={K_MEMBERS}", "step", vmap_ensemble_contestants, args.steps))
    return out


def check(name: str, build: Callable[[], list[Contestant]], n_calls: int) -> None:
    """Identical calls from identical state give identical state and outputs."""
    contestants = build()
    state, outputs = {}, {}
    for c in contestants:
        outputs[c.key] = [np.asarray(jax.block_until_ready(c.step())) for _ in range(n_calls)]
        state[c.key] = c.params()
    for c in contestants[1:]:
        _assert_same(name, state[c.key], state["raw"], c.key)
        _assert_same(name, outputs[c.key], outputs["raw"], f"{c.key} (returned values)")
    print(f"check: ok ({name}, {n_calls} calls; {', '.join(state)} agree with raw)")


def markdown_table(rows: list[tuple[str, str, dict]]) -> str:
    with_eqx = any("eqx" in res for _, _, res in rows)
    head = "| case | per | pure JAX µs | brainobj µs | ratio |" + (" eqx µs | eqx ratio |" if with_eqx else "")
    lines = [head, "|---|---|---:|---:|---:|" + ("---:|---:|" if with_eqx else "")]
    for name, unit, res in rows:
        raw, bm_ = res["raw"][0], res["bm"][0]
        line = f"| {name} | {unit} | {raw:.1f} | {bm_:.1f} | {bm_ / raw:.2f}x |"
        if with_eqx:
            line += (f" {res['eqx'][0]:.1f} | {res['eqx'][0] / raw:.2f}x |" if "eqx" in res
                     else " n/a | |")
        lines.append(line)
    return "\n".join(lines)


FULL = dict(steps=1000, loop_calls=100, rounds=10, warmup=50, loop_warmup=5, check_steps=5)
QUICK = dict(steps=60, loop_calls=6, rounds=3, warmup=5, loop_warmup=1, check_steps=3)
CASES = ("grad_step", "for_loop", "vmap_ensemble")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES),
                        help="which cases to run (default: all)")
    parser.add_argument("--depths", type=int, nargs="+", default=[1, 8],
                        help="hidden layers for grad_step (default: 1 8)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per contestant for grad_step/vmap_ensemble "
                             "(default: 1000; --quick: 60)")
    parser.add_argument("--loop-calls", type=int, default=None,
                        help=f"timed calls per contestant for for_loop, {N_LOOP} steps each "
                             "(default: 100; --quick: 6)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds the samples are split into (default: 10; --quick: 3)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed steps first (default: 50; --quick: 5)")
    parser.add_argument("--loop-warmup", type=int, default=None,
                        help="untimed for_loop calls first (default: 5; --quick: 1)")
    parser.add_argument("--check-steps", type=int, default=None,
                        help="calls for the correctness check (default: 5; --quick: 3)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: smaller defaults for the options above")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    import brainobj
    versions = f"brainobj {brainobj.__version__}"
    if _have_eqx():
        import equinox
        versions += f", equinox {equinox.__version__}"
    print(f"jax {jax.__version__} on {jax.default_backend()} ({jax.devices()[0].device_kind}), "
          f"python {platform.python_version()}, optax {optax.__version__}, {versions}")
    todo = cases(args)
    for name, _, build, _ in todo:
        check(name, build, args.check_steps)
    if not _have_eqx():
        print("eqx: equinox not importable, skipped")

    rows = []
    for name, unit, build, calls in todo:
        loop = name.startswith("for_loop")
        res = measure(build(), calls, args.rounds, args.loop_warmup if loop else args.warmup)
        n = next(iter(res.values()))[2]
        firsts = ", ".join(f"{k} {v[1] * 1e3:.0f}" for k, v in res.items())
        print(f"{name}: {n} timed calls each; first call (trace+compile) ms: {firsts}")
        rows.append((name, unit, res))

    print()
    print(f"Median µs per call; ratio = brainobj (or eqx) / pure JAX. MLP width {WIDTH}, batch {BATCH}.")
    print()
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
