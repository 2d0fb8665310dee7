"""Per-step cost of one SGD step on an MLP: brainobj against plain JAX and peers.

What is measured
----------------
One SGD step (forward, MSE loss, ``jax.value_and_grad``, ``p - lr * g``) on
an MLP of width 32 (input 32, ``depth`` hidden layers of 32 with ReLU
between layers, output 32), batch 64, float32.  Every contestant runs the
*same* forward pass (:func:`mlp_loss`) on the *same* data from the *same*
initial parameters; only the way the step is jitted and the state is carried
differs:

raw      ``jax.jit`` of a pure step on a dict of arrays:
         ``params, loss = step(params, x, y)``.
bm.jit   brainobj, ``@bm.jit def step(model, x, y)`` with the model object
         passed in; its Variables are updated in place.
cls_jit  brainobj "seed style": a plain Python ``Trainer`` holding the model
         in ``self.model``, with ``@bm.cls_jit def step(self, x, y)``.
eqx      ``eqx.filter_jit`` of a step returning the new module:
         ``model, loss = step(model, x, y)``.
nnx      ``flax.nnx.jit`` of a step updating an ``nnx.Module`` in place
         (``nnx.value_and_grad`` + hand-written SGD); skipped without flax.
brainpy  ``brainpy.math.cls_jit`` on a BrainPy Trainer; only if ``import
         brainpy`` works (it is not a dependency; skipped otherwise).

No contestant donates buffers, so each allocates new parameter arrays per step.

Method
------
* Warm-up: every contestant runs ``--warmup`` steps first (tracing,
  compilation and caches are excluded from the timings).
* Each timed sample is ONE step: ``time.perf_counter()`` around the call and
  ``jax.block_until_ready`` on the loss it returns.  The loss is an output
  of the same XLA executable as the new parameters, so blocking on it waits
  for the whole step; every contestant blocks on exactly one scalar, so the
  blocking cost is the same for all.
* Interleaving: the ``--steps`` samples per contestant are taken in
  ``--rounds`` rounds; in each round every contestant runs ``steps/rounds``
  consecutive steps, and the order of contestants rotates from round to
  round.  Slow drifts of the machine (frequency scaling, other processes)
  thus hit every contestant alike.
* We report the MEDIAN of the per-step samples (robust to the occasional
  GC pause or scheduler hiccup) and its ratio to ``raw`` at the same depth.
  Absolute microseconds depend on the machine; the ratios are the result.
  At depth 1 the step is dominated by Python-side dispatch (the overhead of
  each library); at depth 64 by the XLA computation itself.
* Correctness: before timing, ``--check-steps`` steps of raw, bm.jit and
  cls_jit (and eqx / nnx when present) from identical initial parameters
  must reach the same parameters (``rtol=1e-5``); prints ``check: ok``.

Usage::

    python benchmarks/dispatch.py                  # depths 1 8 64, 600 steps
    python benchmarks/dispatch.py --depths 1 8 --steps 1000
    python benchmarks/dispatch.py --quick          # smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import platform
import statistics
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

WIDTH = 32
BATCH = 64
N_IN = 32
N_OUT = 32
LR = 0.01
SEED = 0


# -- the shared problem -----------------------------------------------------------
def layer_sizes(depth: int) -> list[tuple[int, int]]:
    """(n_in, n_out) of each Linear layer: ``depth`` hidden layers -> depth + 1 layers."""
    dims = [N_IN] + [WIDTH] * depth + [N_OUT]
    return list(zip(dims[:-1], dims[1:]))


def make_problem(depth: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """Initial parameters ``[(W, b), ...]`` and one batch ``(x, y)``, as numpy."""
    rng = np.random.default_rng(SEED)
    init = [((rng.standard_normal((i, o)) * 0.1).astype(np.float32), np.zeros(o, np.float32))
            for i, o in layer_sizes(depth)]
    x = rng.standard_normal((BATCH, N_IN)).astype(np.float32)
    y = rng.standard_normal((BATCH, N_OUT)).astype(np.float32)
    return init, x, y


def mlp_loss(pairs: list, x: jax.Array, y: jax.Array) -> jax.Array:
    """The forward pass every contestant uses: ``pairs = [(W, b), ...]`` values."""
    h = x
    last = len(pairs) - 1
    for i, (w, b) in enumerate(pairs):
        h = h @ w + b
        if i < last:
            h = jax.nn.relu(h)
    return jnp.mean((h - y) ** 2)


def flat_loss(flat: list, x: jax.Array, y: jax.Array) -> jax.Array:
    """``mlp_loss`` on a flat list ``[W0, b0, W1, b1, ...]``."""
    return mlp_loss(list(zip(flat[0::2], flat[1::2])), x, y)


@dataclasses.dataclass
class Contestant:
    """One way of running the step.

    ``step()`` runs one SGD step on the benchmark batch and returns the loss
    (to block on); ``params()`` returns the current parameters as a flat list
    of numpy arrays ``[W0, b0, W1, b1, ...]``.
    """

    key: str
    label: str
    step: Callable[[], Any]
    params: Callable[[], list[np.ndarray]]


# -- contestant builders ----------------------------------------------------------
def build_raw(init, x, y) -> Contestant:
    """``jax.jit`` of a pure step on a dict of arrays."""
    n = len(init)

    def loss_fn(params, x, y):
        return mlp_loss([(params[f"W{i}"], params[f"b{i}"]) for i in range(n)], x, y)

    @jax.jit
    def step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        new = jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)
        return new, loss

    state = {"params": {}}
    for i, (w, b) in enumerate(init):
        state["params"][f"W{i}"] = jnp.asarray(w)
        state["params"][f"b{i}"] = jnp.asarray(b)
    x, y = jnp.asarray(x), jnp.asarray(y)

    def run():
        state["params"], loss = step(state["params"], x, y)
        return loss

    def params():
        p = state["params"]
        return [np.asarray(p[f"{k}{i}"]) for i in range(n) for k in "Wb"]

    return Contestant("raw", "raw", run, params)


def _brainobj_model(init):
    """A brainobj MLP (``bm.NodeList`` of ``Linear``) loaded with ``init``."""
    import brainobj as bp
    import brainobj.math as bm

    class Linear(bp.BrainPyObject):
        def __init__(self, n_in, n_out):
            self.W = bm.TrainVar(bm.random.randn(n_in, n_out) * 0.1)
            self.b = bm.TrainVar(bm.zeros(n_out))

        def __call__(self, x):
            return x @ self.W + self.b

    class MLP(bp.BrainPyObject):
        def __init__(self, sizes):
            self.layers = bm.NodeList([Linear(i, o) for i, o in sizes])

        def variables_in_order(self):
            return [v for layer in self.layers for v in (layer.W, layer.b)]

    model = MLP([w.shape for w, _ in init])
    for var, value in zip(model.variables_in_order(), [a for pair in init for a in pair]):
        var.value = jnp.asarray(value)
    return model


def _brainobj_params(model) -> list[np.ndarray]:
    return [np.asarray(v.value) for v in model.variables_in_order()]


def build_bm_jit(init, x, y) -> Contestant:
    """brainobj: ``@bm.jit def step(model, x, y)``, model passed as an argument."""
    import brainobj.math as bm

    @bm.jit
    def step(model, x, y):
        variables = model.variables_in_order()
        loss, grads = jax.value_and_grad(flat_loss)([v.value for v in variables], x, y)
        for v, g in zip(variables, grads):
            v.value = v.value - LR * g
        return loss

    model = _brainobj_model(init)
    x, y = jnp.asarray(x), jnp.asarray(y)
    return Contestant("bm_jit", "bm.jit(model arg)", lambda: step(model, x, y),
                      lambda: _brainobj_params(model))


def build_cls_jit(init, x, y) -> Contestant:
    """brainobj seed style: plain ``Trainer`` with ``@bm.cls_jit def step(self, x, y)``."""
    import brainobj.math as bm

    class Trainer:  # deliberately NOT a BrainPyObject
        def __init__(self, model, lr):
            self.model = model
            self.lr = lr

        @bm.cls_jit
        def step(self, x, y):
            variables = self.model.variables_in_order()
            loss, grads = jax.value_and_grad(flat_loss)([v.value for v in variables], x, y)
            for v, g in zip(variables, grads):
                v.value = v.value - self.lr * g
            return loss

    trainer = Trainer(_brainobj_model(init), LR)
    x, y = jnp.asarray(x), jnp.asarray(y)
    return Contestant("cls_jit", "cls_jit seed-style", lambda: trainer.step(x, y),
                      lambda: _brainobj_params(trainer.model))


def build_eqx(init, x, y) -> Contestant | None:
    """``eqx.filter_jit`` of a step returning the new module."""
    try:
        import equinox as eqx
    except ImportError:
        return None

    class Linear(eqx.Module):
        W: jax.Array
        b: jax.Array

    class MLP(eqx.Module):
        layers: list

    def loss_fn(model, x, y):
        return mlp_loss([(layer.W, layer.b) for layer in model.layers], x, y)

    @eqx.filter_jit
    def step(model, x, y):
        loss, grads = eqx.filter_value_and_grad(loss_fn)(model, x, y)
        updates = jax.tree_util.tree_map(lambda g: -LR * g, grads)
        return eqx.apply_updates(model, updates), loss

    state = {"model": MLP([Linear(jnp.asarray(w), jnp.asarray(b)) for w, b in init])}
    x, y = jnp.asarray(x), jnp.asarray(y)

    def run():
        state["model"], loss = step(state["model"], x, y)
        return loss

    def params():
        return [np.asarray(a) for layer in state["model"].layers for a in (layer.W, layer.b)]

    return Contestant("eqx", "eqx.filter_jit", run, params)


def build_nnx(init, x, y) -> Contestant | None:
    """``flax.nnx.jit`` of a step updating an ``nnx.Module`` in place."""
    try:
        from flax import nnx
    except ImportError:
        return None
    node_list = getattr(nnx, "List", list)  # flax >= 0.12 wants nnx.List for module lists

    class Linear(nnx.Module):
        def __init__(self, w, b):
            self.W = nnx.Param(jnp.asarray(w))
            self.b = nnx.Param(jnp.asarray(b))

    class MLP(nnx.Module):
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

    model = MLP(init)
    x, y = jnp.asarray(x), jnp.asarray(y)

    def params():
        return [np.asarray(a[...]) for layer in model.layers for a in (layer.W, layer.b)]

    return Contestant("nnx", "nnx.jit", lambda: step(model, x, y), params)


def build_brainpy(init, x, y) -> Contestant | None:
    """BrainPy (the original), seed style; only if ``brainpy`` is importable.

    Not exercised in this repository's environment (brainpy is not a
    dependency); written against BrainPy 2.x's ``bm.cls_jit``.
    """
    try:
        import brainpy as bpy
        import brainpy.math as bpm
    except Exception:  # not installed, or broken against this jax
        return None

    class Linear(bpy.BrainPyObject):
        def __init__(self, w, b):
            super().__init__()
            self.W = bpm.TrainVar(jnp.asarray(w))
            self.b = bpm.TrainVar(jnp.asarray(b))

    class Trainer(bpy.BrainPyObject):
        def __init__(self, init):
            super().__init__()
            self.layers = bpm.NodeList([Linear(w, b) for w, b in init])

        def variables_in_order(self):
            return [v for layer in self.layers for v in (layer.W, layer.b)]

        @bpm.cls_jit
        def step(self, x, y):
            variables = self.variables_in_order()
            loss, grads = jax.value_and_grad(flat_loss)([v.value for v in variables], x, y)
            for v, g in zip(variables, grads):
                v.value = v.value - LR * g
            return loss

    trainer = Trainer(init)
    x, y = jnp.asarray(x), jnp.asarray(y)
    return Contestant("brainpy", "brainpy cls_jit", lambda: trainer.step(x, y),
                      lambda: [np.asarray(v.value) for v in trainer.variables_in_order()])


BUILDERS = [build_raw, build_bm_jit, build_cls_jit, build_eqx, build_nnx, build_brainpy]
OPTIONAL = {"eqx": "equinox", "nnx": "flax.nnx", "brainpy": "brainpy"}


def build_all(depth: int) -> list[Contestant]:
    init, x, y = make_problem(depth)
    contestants = []
    for builder in BUILDERS:
        contestant = builder(init, x, y)
        if contestant is not None:
            contestants.append(contestant)
    return contestants


# -- correctness ------------------------------------------------------------------
def check(depth: int, n_steps: int) -> list[str]:
    """Identical steps from identical parameters reach identical parameters."""
    contestants = build_all(depth)
    results = {}
    for c in contestants:
        for _ in range(n_steps):
            jax.block_until_ready(c.step())
        results[c.key] = c.params()
    reference = results["raw"]
    for key, got in results.items():
        assert len(got) == len(reference), key
        for i, (a, b) in enumerate(zip(got, reference)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7,
                                       err_msg=f"{key} differs from raw at leaf {i} (depth {depth})")
    print(f"check: ok (depth {depth}, {n_steps} steps; {', '.join(results)} agree with raw)")
    return list(results)


# -- timing -----------------------------------------------------------------------
def time_steps(step: Callable[[], Any], n: int, out: list[float]) -> None:
    """Append ``n`` single-step timings (seconds) to ``out``."""
    clock, block = time.perf_counter, jax.block_until_ready
    for _ in range(n):
        t0 = clock()
        block(step())
        out.append(clock() - t0)


def measure(contestants: list[Contestant], steps: int, rounds: int, warmup: int) -> dict:
    """Median µs per step for each contestant, interleaved in rotating rounds."""
    first_call = {}
    for c in contestants:
        t0 = time.perf_counter()
        jax.block_until_ready(c.step())
        first_call[c.key] = time.perf_counter() - t0
        for _ in range(warmup):
            jax.block_until_ready(c.step())
    per_round = max(1, steps // rounds)
    samples: dict[str, list[float]] = {c.key: [] for c in contestants}
    gc.collect()
    for r in range(rounds):
        shift = r % len(contestants)
        for c in contestants[shift:] + contestants[:shift]:
            time_steps(c.step, per_round, samples[c.key])
    return {c.key: (statistics.median(samples[c.key]) * 1e6, first_call[c.key], len(samples[c.key]))
            for c in contestants}


# -- report -----------------------------------------------------------------------
COLUMNS = [("bm_jit", "bm.jit(model arg)"), ("cls_jit", "cls_jit seed-style"),
           ("eqx", "eqx.filter_jit"), ("nnx", "nnx.jit"), ("brainpy", "brainpy cls_jit")]


def markdown_table(results: dict[int, dict]) -> str:
    present = {key for res in results.values() for key in res}
    cols = [(k, label) for k, label in COLUMNS if k in present or k != "brainpy"]
    lines = ["| depth | raw µs | " + " | ".join(f"{label} µs (ratio)" for _, label in cols) + " |",
             "|---:|---:|" + "---:|" * len(cols)]
    for depth, res in results.items():
        raw = res["raw"][0]
        cells = [f"{res[k][0]:.1f} ({res[k][0] / raw:.2f}x)" if k in res else "n/a" for k, _ in cols]
        lines.append(f"| {depth} | {raw:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


FULL = dict(steps=600, rounds=10, warmup=50, check_steps=20)
QUICK = dict(steps=60, rounds=3, warmup=5, check_steps=5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[1, 8, 64],
                        help="numbers of hidden layers (default: 1 8 64)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per contestant and depth (default: 600; --quick: 60)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds the steps are split into (default: 10; --quick: 3)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed steps first (default: 50; --quick: 5)")
    parser.add_argument("--check-steps", type=int, default=None,
                        help="steps for the correctness check (default: 20; --quick: 5)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: smaller defaults for the options above")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    import brainobj
    print(f"jax {jax.__version__} on {jax.default_backend()} ({jax.devices()[0].device_kind}), "
          f"python {platform.python_version()}, brainobj {brainobj.__version__}")
    for depth in args.depths:
        present = check(depth, args.check_steps)
    for key, name in OPTIONAL.items():
        if key not in present:
            print(f"{key}: {name} not importable, skipped")

    results = {}
    for depth in args.depths:
        contestants = build_all(depth)
        results[depth] = measure(contestants, args.steps, args.rounds, args.warmup)
        n = next(iter(results[depth].values()))[2]
        firsts = ", ".join(f"{k} {v[1] * 1e3:.0f}" for k, v in results[depth].items())
        print(f"depth {depth}: {n} timed steps each; first call (trace+compile) ms: {firsts}")

    print()
    print(f"Median µs per SGD step (width {WIDTH}, batch {BATCH}); ratio to raw in parentheses.")
    print()
    print(markdown_table(results))


if __name__ == "__main__":
    main()
