"""Data-parallel training step on 8 CPU devices: brainobj against plain ``jax.jit`` and flax.nnx.

What is measured
----------------
One SGD step (forward, MSE loss, value and gradient, ``p - lr * g``) of an
MLP -- input 64, two hidden layers of 256 with ReLU, output 16, float32 --
on a batch of 512, data-parallel over 8 devices: the model is replicated on
the mesh ``jax.make_mesh((8,), ('data',))`` and the batch is split
``P('data', None)`` (64 rows per device).  XLA's SPMD partitioner inserts the
all-reduce of the gradients.  On a CPU-only machine the 8 devices are forced
with ``bm.set_host_device_count(8)``, which this script calls before
anything starts JAX; they share the machine's cores, so the numbers measure
the overhead of each library around a sharded step, not a speed-up.

Every contestant starts from the *same* initial parameters (the brainobj
model's, built with ``bp.Linear`` from a seeded ``bm.random``, copied into
the others) and steps on the *same* sharded batch; only the way the step is
jitted and the state is carried differs:

raw      ``jax.jit`` of a pure step on a dict of arrays, with explicit
         ``in_shardings`` (params replicated, ``x``/``y`` split over
         ``'data'``) and ``out_shardings`` (params and loss replicated):
         ``params, loss = step(params, x, y)``.
bm.jit   brainobj as in ``docs/multi_device.md``: ``bm.shard(model, mesh)``
         (no specs: replicated), then ``@bm.jit def step(model, x, y)``
         with ``bm.grad(..., grad_vars=model.train_vars(),
         return_value=True)`` and the hand-written update
         ``v.value -= lr * g``; no shardings given to ``bm.jit`` (it keeps
         each Variable's layout itself).
nnx      ``flax.nnx.jit`` of a step updating an ``nnx.Module`` in place
         (``nnx.value_and_grad`` + hand-written SGD through ``nnx.update``),
         its ``nnx.Param`` values placed replicated with ``jax.device_put``;
         skipped if flax is not importable.

No contestant donates buffers.  All use plain SGD written as ``p - lr * g``
(``bp.optim.SGD`` would add an optimizer step counter, which the others do
not have).

Method
------
The timing loop is the one of ``dispatch.py`` (imported from it):

* Warm-up: every contestant runs ``--warmup`` steps first, untimed (its
  first call, which traces and compiles, is timed separately and printed).
* Each timed sample is ONE step: ``time.perf_counter()`` around the call and
  ``jax.block_until_ready`` on what it returns, the loss *and* the new
  parameters (every contestant returns both, so every sample waits for the
  whole step on all 8 devices).
* Interleaving: the ``--steps`` samples per contestant are taken in
  ``--rounds`` rounds; in each round every contestant runs ``steps/rounds``
  consecutive steps, and the order of contestants rotates from round to round.
* We report the MEDIAN µs per step and its ratio to raw.  Absolute µs
  depend on the machine (and on how 8 forced devices share its cores); read
  the ratios.
* Recompilation: a listener registered with
  ``jax.monitoring.register_event_duration_secs_listener`` counts the
  ``/jax/core/compile/backend_compile_duration`` events each contestant
  triggers after its first call (warm-up and timed steps).  It should be 0
  for all: a step whose outputs come back with other layouts than its
  inputs would compile again on the next call.
* Correctness: before timing, fresh contestants run ``--check-steps``
  (default 3) steps; the loss of every step and the parameters after the
  last must match raw's (``rtol=1e-5``), and every parameter must still be
  replicated over the 8 devices; prints ``check: ok``.

Usage::

    python benchmarks/data_parallel.py              # 600 timed steps each (about 20 s on 2 cores)
    python benchmarks/data_parallel.py --steps 1000 --rounds 20
    python benchmarks/data_parallel.py --quick      # smoke run
"""

from __future__ import annotations

import brainobj.math as bm

N_DEVICES = 8
bm.set_host_device_count(N_DEVICES)  # before anything starts JAX (importing brainobj does not)

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import NamedSharding, PartitionSpec as P  # noqa: E402

import brainobj as bp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dispatch import Contestant, measure  # noqa: E402

N_IN = 64
HIDDEN = (256, 256)
N_OUT = 16
BATCH = 512
LR = 0.01
SEED = 0
RTOL = 1e-5
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


# -- the shared problem -----------------------------------------------------------
def layer_sizes() -> list[tuple[int, int]]:
    dims = [N_IN, *HIDDEN, N_OUT]
    return list(zip(dims[:-1], dims[1:]))


def make_mesh() -> jax.sharding.Mesh:
    return jax.make_mesh((N_DEVICES,), ("data",))


def make_batch(mesh) -> tuple[jax.Array, jax.Array]:
    """One batch ``(x, y)``, split over ``'data'``."""
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((BATCH, N_IN)).astype(np.float32)
    y = rng.standard_normal((BATCH, N_OUT)).astype(np.float32)
    data = NamedSharding(mesh, P("data", None))
    return jax.device_put(x, data), jax.device_put(y, data)


def mlp_loss(pairs: list, x: jax.Array, y: jax.Array) -> jax.Array:
    """The forward pass of raw and nnx: ``bp.Linear``'s ``x @ W + b``, ReLU between layers."""
    h = x
    last = len(pairs) - 1
    for i, (w, b) in enumerate(pairs):
        h = h @ w + b
        if i < last:
            h = jax.nn.relu(h)
    return jnp.mean((h - y) ** 2)


class MLP(bp.BrainPyObject):
    """The brainobj model: ``bp.Linear`` layers, ReLU between them."""

    def __init__(self):
        self.layers = bm.NodeList([bp.Linear(i, o) for i, o in layer_sizes()])

    def __call__(self, x):
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = jax.nn.relu(x)
        return x

    def variables_in_order(self) -> list:
        return [v for layer in self.layers for v in (layer.W, layer.b)]


def brainobj_model(mesh) -> MLP:
    """A fresh, seeded brainobj MLP, replicated on ``mesh``: every build holds the same values."""
    bm.random.seed(SEED)
    return bm.shard(MLP(), mesh)


def initial_values(model: MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(W, b), ...]`` of the brainobj model, as numpy: what the other contestants start from."""
    flat = [np.asarray(v.value) for v in model.variables_in_order()]
    return list(zip(flat[0::2], flat[1::2]))


# -- contestants ------------------------------------------------------------------
# Each contestant's ``step()`` returns ``(loss, parameters)`` so that the timing
# blocks on both; ``params()`` gives the parameters as jax arrays
# ``[W0, b0, W1, b1, ...]`` (for the checks).
def build_raw(init, mesh, x, y) -> Contestant:
    """``jax.jit`` of a pure step on a dict, with explicit in/out shardings."""
    n = len(init)
    replicated = NamedSharding(mesh, P())
    data = NamedSharding(mesh, P("data", None))

    def loss_fn(params, x, y):
        return mlp_loss([(params[f"W{i}"], params[f"b{i}"]) for i in range(n)], x, y)

    def step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        new = jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)
        return new, loss

    step = jax.jit(step, in_shardings=(replicated, data, data),
                   out_shardings=(replicated, replicated))
    state = {"params": {}}
    for i, (w, b) in enumerate(init):
        state["params"][f"W{i}"] = jax.device_put(w, replicated)
        state["params"][f"b{i}"] = jax.device_put(b, replicated)

    def run():
        state["params"], loss = step(state["params"], x, y)
        return loss, state["params"]

    def params():
        p = state["params"]
        return [p[f"{k}{i}"] for i in range(n) for k in "Wb"]

    return Contestant("raw", "raw jax.jit", run, params)


def build_bm_jit(model: MLP, x, y) -> Contestant:
    """brainobj: ``bm.jit`` + ``bm.grad`` + ``v.value -= lr * g``, model placed by ``bm.shard``."""

    def loss_fn(model, x, y):
        return jnp.mean((model(x) - y) ** 2)

    @bm.jit
    def step(model, x, y):
        train_vars = model.train_vars()
        grads, loss = bm.grad(loss_fn, grad_vars=train_vars, return_value=True)(model, x, y)
        for key, v in train_vars.items():
            v.value -= LR * grads[key]
        return loss

    variables = model.variables_in_order()

    def run():
        loss = step(model, x, y)
        return loss, [v.value for v in variables]

    return Contestant("bm_jit", "bm.jit", run, lambda: [v.value for v in variables])


def build_nnx(init, mesh, x, y) -> Contestant | None:
    """``flax.nnx.jit`` of a step updating an ``nnx.Module`` in place; None without flax."""
    try:
        from flax import nnx
    except ImportError:
        return None
    node_list = getattr(nnx, "List", list)  # flax >= 0.12 wants nnx.List for module lists
    replicated = NamedSharding(mesh, P())

    class Linear(nnx.Module):
        def __init__(self, w, b):
            self.W = nnx.Param(jax.device_put(w, replicated))
            self.b = nnx.Param(jax.device_put(b, replicated))

    class NnxMLP(nnx.Module):
        def __init__(self, init):
            self.layers = node_list([Linear(w, b) for w, b in init])

    def loss_fn(model, x, y):
        return mlp_loss([(layer.W[...], layer.b[...]) for layer in model.layers], x, y)

    @nnx.jit
    def step(model, x, y):
        loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
        params = nnx.state(model, nnx.Param)
        nnx.update(model, jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads))
        return loss

    model = NnxMLP(init)

    def params():
        return [a[...] for layer in model.layers for a in (layer.W, layer.b)]

    def run():
        loss = step(model, x, y)
        return loss, params()

    return Contestant("nnx", "nnx.jit", run, params)


def build_all(mesh) -> list[Contestant]:
    x, y = make_batch(mesh)
    model = brainobj_model(mesh)
    init = initial_values(model)
    contestants = [build_raw(init, mesh, x, y), build_bm_jit(model, x, y)]
    nnx_contestant = build_nnx(init, mesh, x, y)
    if nnx_contestant is not None:
        contestants.append(nnx_contestant)
    return contestants


# -- correctness ------------------------------------------------------------------
def _replicated(a: jax.Array) -> bool:
    return a.sharding.is_fully_replicated and len(a.sharding.device_set) == N_DEVICES


def check(mesh, n_steps: int) -> list[str]:
    """Identical steps from identical parameters give raw's losses and parameters, replicated."""
    contestants = build_all(mesh)
    losses, params = {}, {}
    for c in contestants:
        out = []
        for _ in range(n_steps):
            loss, _ = jax.block_until_ready(c.step())
            out.append(float(loss))
        losses[c.key], params[c.key] = out, c.params()
    for key in losses:
        np.testing.assert_allclose(losses[key], losses["raw"], rtol=RTOL,
                                   err_msg=f"{key}: losses differ from raw")
        for i, (a, b) in enumerate(zip(params[key], params["raw"])):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=1e-7,
                                       err_msg=f"{key}: parameter {i} differs from raw")
            assert _replicated(a), f"{key}: parameter {i} is no longer replicated ({a.sharding})"
    shown = ", ".join(f"{v:.6f}" for v in losses["raw"])
    print(f"check: ok ({n_steps} steps; losses of {', '.join(losses)} match raw jax.jit "
          f"(rtol {RTOL}): {shown}; parameters match and stay replicated on {N_DEVICES} devices)")
    return list(losses)


# -- compilations after the first call --------------------------------------------
class CompileCounter:
    """Counts backend compilations per contestant, after that contestant's first call.

    Each contestant's step is wrapped so that the listener knows whose call is
    running; the wrapper costs every contestant the same (a dict write and a
    counter increment per call).
    """

    def __init__(self, keys: list[str]):
        self.current: str | None = None
        self.calls = dict.fromkeys(keys, 0)
        self.compiles = dict.fromkeys(keys, 0)
        jax.monitoring.register_event_duration_secs_listener(self._listen)

    def _listen(self, event: str, duration: float, **kwargs: Any) -> None:
        if event == COMPILE_EVENT and self.current is not None and self.calls[self.current] > 1:
            self.compiles[self.current] += 1

    def wrap(self, c: Contestant) -> Contestant:
        inner, key, calls = c.step, c.key, self.calls

        def step():
            self.current = key
            calls[key] += 1
            return inner()

        return Contestant(c.key, c.label, step, c.params)

    def close(self) -> None:
        self.current = None
        jax.monitoring.unregister_event_duration_listener(self._listen)


# -- report -----------------------------------------------------------------------
WHAT = {
    "raw": "`jax.jit(step, in_shardings=..., out_shardings=...)` on a dict",
    "bm_jit": "`bm.shard(model, mesh)` + `@bm.jit def step(model, x, y)`",
    "nnx": "`nnx.jit`, `nnx.Param`s placed replicated",
}


def markdown_table(contestants: list[Contestant], res: dict, compiles: dict) -> str:
    raw = res["raw"][0]
    lines = ["| contestant | step | median µs | ratio to raw | first call ms "
             "| compilations after first call |",
             "|---|---|---:|---:|---:|---:|"]
    for c in contestants:
        us, first, _ = res[c.key]
        lines.append(f"| {c.label} | {WHAT[c.key]} | {us:.1f} | {us / raw:.2f}x "
                     f"| {first * 1e3:.0f} | {compiles[c.key]} |")
    return "\n".join(lines)


FULL = dict(steps=600, rounds=10, warmup=50, check_steps=3)
QUICK = dict(steps=60, rounds=3, warmup=5, check_steps=3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per contestant (default: 600; --quick: 60)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds the steps are split into (default: 10; --quick: 3)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed steps first (default: 50; --quick: 5)")
    parser.add_argument("--check-steps", type=int, default=None,
                        help="steps for the correctness check (default: 3)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: smaller defaults for the options above")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    t_start = time.perf_counter()
    print(f"jax {jax.__version__} on {jax.default_backend()} ({jax.device_count()} devices, "
          f"{jax.devices()[0].device_kind}), python {platform.python_version()}, "
          f"brainobj {bp.__version__}, {os.cpu_count()} CPU cores")
    mesh = make_mesh()
    present = check(mesh, args.check_steps)
    if "nnx" not in present:
        print("nnx: flax.nnx not importable, skipped")

    contestants = build_all(mesh)
    counter = CompileCounter([c.key for c in contestants])
    try:
        res = measure([counter.wrap(c) for c in contestants], args.steps, args.rounds,
                      args.warmup)
    finally:
        counter.close()
    n = next(iter(res.values()))[2]
    print(f"{n} timed steps each after {args.warmup} warm-up steps; "
          f"compilations after the first call: "
          + ", ".join(f"{k} {v}" for k, v in counter.compiles.items()))

    print()
    print(f"Median µs per data-parallel SGD step (MLP {N_IN}-{'-'.join(map(str, HIDDEN))}-{N_OUT}, "
          f"batch {BATCH} split over {N_DEVICES} devices); ratio to raw jax.jit.")
    print()
    print(markdown_table(contestants, res, counter.compiles))
    print()
    print(f"total runtime: {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    main()
