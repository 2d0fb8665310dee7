"""Per-call cost of a jitted step: brainobj against plain JAX and peers, and bm.jit's fast path.

Three tables (``--tables``, default all three, in this order):

main       one SGD step on an MLP: raw ``jax.jit`` against ``bm.jit``,
           ``bm.cls_jit``, equinox and flax.nnx (below);
scenarios  fast-path scenarios: ``bm.jit`` of the same step called in ways
           that may miss its cached plan, against the *steady case*;
many-vars  one call touching 1000 Variables: ``bm.jit`` against raw
           ``jax.jit`` on a list of 1000 arrays.

What is measured (main table)
-----------------------------
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

Fast-path scenarios (scenarios table)
-------------------------------------
The same brainobj SGD step (:func:`sgd_body`) at ``--scenario-depths``
(default 1 and 8). The *steady case* is ``step = bm.jit(step_positional)``
called as ``step(m, x, y)`` -- same model, passed positionally, nothing else
happening -- which stays on the cached plan. Each scenario is timed against
it, in the same process and the same interleaved rounds; the table gives its
median µs and ratio to steady. Target: <= 1.15x.

unrelated write   ``other.counter = i`` on a separate ``bp.BrainPyObject``
                  (no Variables, not reachable from ``m``) before every
                  ``step(m, x, y)``; the write is inside the timed sample
                  (its cost alone is printed above the table).
alternate models  two models of the same structure, calls alternate
                  ``step(m1, x, y)``, ``step(m2, x, y)``.
by keyword        ``step(model=m, x=x, y=y)``.
in tuple          ``step((m,), x, y)``, the function takes a tuple holding
                  the model (a new tuple per call, as a user writes it).
in list           ``step([m], x, y)``, likewise with a list.
global model      ``step(x, y)``; the function reaches the model through
                  the module global ``GLOBAL_NET``.
dict entry        ``step(x, y)``; the function reaches the model through
                  the global dict entry ``CUR["net"]``.

Every contestant has its own ``bm.jit`` of the same body and its own model(s)
from the same initial parameters. Since one contestant can invalidate every
cached plan (``unrelated write``), each contestant's block in a round starts
with one untimed call, so a miss it causes is paid by itself, not by the next
contestant. Correctness: after ``--check-steps`` calls, every model must hold
the parameters of raw ``jax.jit`` after as many steps as that model received
(``rtol=1e-5``).

Many Variables (many-vars table)
--------------------------------
``--n-vars`` (default 1000) arrays of shape (4,), each updated as
``a * 0.99 + 1`` per call. raw: ``jax.jit`` of a function taking and
returning the list of arrays. bm.jit: an object holding a ``bm.VarList`` of
that many ``bm.Variable``, updated in place by ``@bm.jit def step(bank)``.
Both return the first element of the last array, which is what is blocked
on. Target: bm.jit <= 1.3x raw. Correctness: after ``--check-steps`` calls
both hold the same arrays.

Method (all tables)
-------------------
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
  GC pause or scheduler hiccup) and its ratio to ``raw`` at the same depth
  (to the steady case in the scenarios table).
  Absolute microseconds depend on the machine; the ratios are the result.
  At depth 1 the step is dominated by Python-side dispatch (the overhead of
  each library); at depth 64 by the XLA computation itself.
* Correctness: before timing, ``--check-steps`` steps of raw, bm.jit and
  cls_jit (and eqx / nnx when present) from identical initial parameters
  must reach the same parameters (``rtol=1e-5``); prints ``check: ok``.
  The other tables have their own checks (above).

Usage::

    python benchmarks/dispatch.py                  # all three tables, 600 steps
    python benchmarks/dispatch.py --tables main --depths 1 8 --steps 1000
    python benchmarks/dispatch.py --tables scenarios --scenario-depths 1
    python benchmarks/dispatch.py --tables many-vars --n-vars 2000
    python benchmarks/dispatch.py --quick          # smoke run of all three
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


def measure(contestants: list[Contestant], steps: int, rounds: int, warmup: int,
            settle: int = 0) -> dict:
    """Median µs per step for each contestant, interleaved in rotating rounds.

    ``settle`` untimed calls precede each contestant's block in every round,
    so that what the previous contestant left behind (e.g. a structure change
    that invalidates every cached plan) is paid before the timed calls, not
    by them.
    """
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
            for _ in range(settle):
                jax.block_until_ready(c.step())
            time_steps(c.step, per_round, samples[c.key])
    return {c.key: (statistics.median(samples[c.key]) * 1e6, first_call[c.key], len(samples[c.key]))
            for c in contestants}


# -- fast-path scenarios ----------------------------------------------------------
# Every brainobj step below runs this same body; only how the jitted function
# is called, and how it reaches the model, differ.  The body names no object
# itself, so the steady step watches no global.
def sgd_body(model, x, y):
    """One SGD step on a brainobj MLP, updating its TrainVars in place."""
    variables = model.variables_in_order()
    loss, grads = jax.value_and_grad(flat_loss)([v.value for v in variables], x, y)
    for v, g in zip(variables, grads):
        v.value = v.value - LR * g
    return loss


def step_positional(model, x, y):
    return sgd_body(model, x, y)


def step_in_sequence(models, x, y):
    return sgd_body(models[0], x, y)


GLOBAL_NET = None  # the model of the `global model` scenario (set by its builder)
CUR: dict = {}  # CUR["net"]: the model of the `dict entry` scenario


def step_global(x, y):
    return sgd_body(GLOBAL_NET, x, y)


def step_dict_entry(x, y):
    return sgd_body(CUR["net"], x, y)


@dataclasses.dataclass
class Scenario(Contestant):
    """A contestant of the scenario table.

    ``trained(n)``: after ``n`` calls of ``step()``, the models it trained as
    ``[(steps that model received, its flat parameters), ...]``.
    ``call`` is the call as the table shows it.
    """

    call: str = ""
    trained: Callable[[int], list[tuple[int, list[np.ndarray]]]] = None


def build_scenarios(init, x, y) -> list[Scenario]:
    """The steady case first, then one contestant per way of missing the plan.

    Each contestant has its own ``bm.jit`` of the same body and its own model
    (same initial parameters), so their plans do not share a cache.
    """
    import itertools

    import brainobj as bp
    import brainobj.math as bm

    x, y = jnp.asarray(x), jnp.asarray(y)

    class Other(bp.BrainPyObject):
        """The unrelated object of `unrelated write`: no Variables, not reachable from m."""

    def scenario(key, label, call, run, models, calls_per_model=None) -> Scenario:
        def trained(n):
            counts = calls_per_model(n) if calls_per_model else [n] * len(models)
            return [(k, _brainobj_params(m)) for k, m in zip(counts, models)]
        return Scenario(key, label, run, None, call=call, trained=trained)

    def steady():
        m, step = _brainobj_model(init), bm.jit(step_positional)
        return scenario("steady", "steady", "step(m, x, y)", lambda: step(m, x, y), [m])

    def unrelated_write():
        m, step = _brainobj_model(init), bm.jit(step_positional)
        other, count = Other(), itertools.count()

        def run():
            other.counter = next(count)
            return step(m, x, y)

        return scenario("write", "unrelated write", "other.counter = i; step(m, x, y)", run, [m])

    def alternate_models():
        m1, m2, step = _brainobj_model(init), _brainobj_model(init), bm.jit(step_positional)
        turn = itertools.cycle((m1, m2))
        return scenario("alternate", "alternate models", "step(m1, x, y); step(m2, x, y); ...",
                        lambda: step(next(turn), x, y), [m1, m2],
                        lambda n: [(n + 1) // 2, n // 2])

    def by_keyword():
        m, step = _brainobj_model(init), bm.jit(step_positional)
        return scenario("keyword", "by keyword", "step(model=m, x=x, y=y)",
                        lambda: step(model=m, x=x, y=y), [m])

    def in_tuple():
        m, step = _brainobj_model(init), bm.jit(step_in_sequence)
        return scenario("tuple", "in tuple", "step((m,), x, y)", lambda: step((m,), x, y), [m])

    def in_list():
        m, step = _brainobj_model(init), bm.jit(step_in_sequence)
        return scenario("list", "in list", "step([m], x, y)", lambda: step([m], x, y), [m])

    def global_model():
        global GLOBAL_NET
        GLOBAL_NET = m = _brainobj_model(init)
        step = bm.jit(step_global)
        return scenario("global", "global model", "step(x, y); GLOBAL_NET is the model",
                        lambda: step(x, y), [m])

    def dict_entry():
        CUR["net"] = m = _brainobj_model(init)
        step = bm.jit(step_dict_entry)
        return scenario("dict", "dict entry", 'step(x, y); CUR["net"] is the model',
                        lambda: step(x, y), [m])

    return [steady(), unrelated_write(), alternate_models(), by_keyword(), in_tuple(), in_list(),
            global_model(), dict_entry()]


def raw_reference(init, x, y, counts) -> dict[int, list[np.ndarray]]:
    """Parameters after ``n`` raw steps, for each ``n`` in ``counts``."""
    raw = build_raw(init, x, y)
    done, refs = 0, {0: raw.params()}
    for n in sorted(set(counts)):
        for _ in range(n - done):
            jax.block_until_ready(raw.step())
        done = n
        refs[n] = raw.params()
    return refs


def check_scenarios(depth: int, n_steps: int) -> None:
    """Each scenario trains its model(s) exactly as the raw step would."""
    init, x, y = make_problem(depth)
    scenarios = build_scenarios(init, x, y)
    trained = {}
    for s in scenarios:
        for _ in range(n_steps):
            jax.block_until_ready(s.step())
        trained[s.key] = s.trained(n_steps)
    refs = raw_reference(init, x, y, [k for res in trained.values() for k, _ in res])
    for key, res in trained.items():
        for j, (k, got) in enumerate(res):
            for i, (a, b) in enumerate(zip(got, refs[k])):
                np.testing.assert_allclose(
                    a, b, rtol=1e-5, atol=1e-7,
                    err_msg=f"scenario {key}, model {j}: differs from {k} raw steps at leaf {i} "
                            f"(depth {depth})")
    print(f"check: ok (scenarios, depth {depth}, {n_steps} calls each; every model agrees with raw)")


def write_cost(n: int = 2000) -> float:
    """Median µs of the attribute write alone (part of each `unrelated write` sample)."""
    import brainobj as bp

    class Other(bp.BrainPyObject):
        pass

    other, samples, clock = Other(), [], time.perf_counter
    for i in range(n):
        t0 = clock()
        other.counter = i
        samples.append(clock() - t0)
    return statistics.median(samples) * 1e6


# -- many Variables ---------------------------------------------------------------
DECAY = 0.99
VAR_SIZE = 4


def many_vars_init(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(SEED)
    return [rng.standard_normal(VAR_SIZE).astype(np.float32) for _ in range(n)]


def build_many_raw(init) -> Contestant:
    """``jax.jit`` on a list of arrays: ``a * DECAY + 1`` for each, returns the new list."""

    @jax.jit
    def step(arrays):
        new = [a * DECAY + 1.0 for a in arrays]
        return new, new[-1][0]

    state = {"arrays": [jnp.asarray(a) for a in init]}

    def run():
        state["arrays"], last = step(state["arrays"])
        return last

    return Contestant("raw", "raw jax.jit(list)", run,
                      lambda: [np.asarray(a) for a in state["arrays"]])


def build_many_bm(init) -> Contestant:
    """``bm.jit`` on an object holding a ``bm.VarList`` of Variables, updated in place."""
    import brainobj as bp
    import brainobj.math as bm

    class Bank(bp.BrainPyObject):
        def __init__(self, arrays):
            self.vs = bm.VarList([bm.Variable(jnp.asarray(a)) for a in arrays])

    @bm.jit
    def step(bank):
        for v in bank.vs:
            v.value = v.value * DECAY + 1.0
        return bank.vs[-1].value[0]

    bank = Bank(init)
    return Contestant("bm", "bm.jit(object)", lambda: step(bank),
                      lambda: [np.asarray(v.value) for v in bank.vs])


def check_many_vars(n_vars: int, n_steps: int) -> None:
    init = many_vars_init(n_vars)
    results = {}
    for c in (build_many_raw(init), build_many_bm(init)):
        for _ in range(n_steps):
            jax.block_until_ready(c.step())
        results[c.key] = c.params()
    for i, (a, b) in enumerate(zip(results["bm"], results["raw"])):
        np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=f"many Variables: leaf {i} differs")
    print(f"check: ok (many Variables, {n_vars} Variables, {n_steps} calls; bm.jit agrees with raw)")


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


SCENARIO_TARGET = 1.15  # each scenario: at most this ratio to the steady case
MANY_VARS_TARGET = 1.3  # bm.jit on N Variables: at most this ratio to raw jax.jit


def _verdict(ratio: float, target: float) -> str:
    return "ok" if ratio <= target else "OVER"


def scenario_table(results: dict[int, dict], labels: list[tuple[str, str, str]]) -> str:
    """Rows: scenarios; columns: depths; each cell median µs (ratio to steady)."""
    depths = list(results)
    lines = ["| scenario | call | " + " | ".join(f"depth {d} µs (ratio)" for d in depths)
             + f" | <= {SCENARIO_TARGET}x |",
             "|---|---|" + "---:|" * len(depths) + "---|"]
    for key, label, call in labels:
        cells, verdicts = [], []
        for d in depths:
            us, steady = results[d][key][0], results[d]["steady"][0]
            cells.append(f"{us:.1f} ({us / steady:.2f}x)")
            verdicts.append(_verdict(us / steady, SCENARIO_TARGET))
        verdict = "(reference)" if key == "steady" else " / ".join(verdicts)
        lines.append(f"| {label} | `{call}` | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(lines)


def many_vars_table(n_vars: int, res: dict) -> str:
    raw, bm_ = res["raw"][0], res["bm"][0]
    return "\n".join([
        "| Variables | raw jax.jit(list) µs | bm.jit(object) µs (ratio) | bm - raw µs "
        f"| <= {MANY_VARS_TARGET}x |",
        "|---:|---:|---:|---:|---|",
        f"| {n_vars} | {raw:.1f} | {bm_:.1f} ({bm_ / raw:.2f}x) | {bm_ - raw:+.1f} | "
        f"{_verdict(bm_ / raw, MANY_VARS_TARGET)} |",
    ])


def _first_calls(res: dict) -> str:
    return ", ".join(f"{k} {v[1] * 1e3:.0f}" for k, v in res.items())


TABLES = ("main", "scenarios", "many-vars")
FULL = dict(steps=600, rounds=10, warmup=50, check_steps=20)
QUICK = dict(steps=60, rounds=3, warmup=5, check_steps=5)


def run_main_table(args) -> None:
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
        print(f"depth {depth}: {n} timed steps each; first call (trace+compile) ms: "
              f"{_first_calls(results[depth])}")

    print()
    print(f"Median µs per SGD step (width {WIDTH}, batch {BATCH}); ratio to raw in parentheses.")
    print()
    print(markdown_table(results))


def run_scenario_table(args) -> None:
    for depth in args.scenario_depths:
        check_scenarios(depth, args.check_steps)

    results, labels = {}, None
    for depth in args.scenario_depths:
        scenarios = build_scenarios(*make_problem(depth))
        labels = [(s.key, s.label, s.call) for s in scenarios]
        results[depth] = measure(scenarios, args.steps, args.rounds, args.warmup, settle=1)
        n = next(iter(results[depth].values()))[2]
        print(f"scenarios, depth {depth}: {n} timed calls each; first call (trace+compile) ms: "
              f"{_first_calls(results[depth])}")

    print()
    print(f"Fast-path scenarios: median µs per bm.jit SGD step (width {WIDTH}, batch {BATCH}); "
          f"ratio to the steady case in parentheses; target <= {SCENARIO_TARGET}x.")
    print(f"(`unrelated write` includes the attribute write itself: {write_cost():.1f} µs alone.)")
    print()
    print(scenario_table(results, labels))


def run_many_vars_table(args) -> None:
    check_many_vars(args.n_vars, args.check_steps)
    init = many_vars_init(args.n_vars)
    res = measure([build_many_raw(init), build_many_bm(init)], args.steps, args.rounds,
                  args.warmup)
    n = next(iter(res.values()))[2]
    print(f"many Variables: {n} timed calls each; first call (trace+compile) ms: {_first_calls(res)}")
    print()
    print(f"Many Variables: median µs per call updating {args.n_vars} arrays of shape "
          f"({VAR_SIZE},) (`a * {DECAY} + 1`); ratio to raw in parentheses; "
          f"target <= {MANY_VARS_TARGET}x.")
    print()
    print(many_vars_table(args.n_vars, res))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", nargs="+", choices=TABLES, default=list(TABLES),
                        help="which tables to produce, in this order (default: all): "
                             "main = raw vs brainobj vs peers; scenarios = fast-path "
                             "scenarios against the steady case; many-vars = bm.jit "
                             "vs raw jax.jit on --n-vars Variables")
    parser.add_argument("--depths", type=int, nargs="+", default=[1, 8, 64],
                        help="main table: numbers of hidden layers (default: 1 8 64)")
    parser.add_argument("--scenario-depths", type=int, nargs="+", default=[1, 8],
                        help="scenario table: numbers of hidden layers (default: 1 8)")
    parser.add_argument("--n-vars", type=int, default=1000,
                        help="many-vars table: number of Variables (default: 1000)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per contestant and table row (default: 600; --quick: 60)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds the steps are split into (default: 10; --quick: 3)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed steps first (default: 50; --quick: 5)")
    parser.add_argument("--check-steps", type=int, default=None,
                        help="steps for the correctness checks (default: 20; --quick: 5)")
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
    runners = {"main": run_main_table, "scenarios": run_scenario_table,
               "many-vars": run_many_vars_table}
    for i, table in enumerate(dict.fromkeys(args.tables)):
        if i:
            print()
        runners[table](args)


if __name__ == "__main__":
    main()
