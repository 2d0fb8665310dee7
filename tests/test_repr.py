"""``repr`` of objects (issue #12): golden files for a few models, and the
rules (kinds, shapes, sharing, cycles, truncation) checked directly.

Regenerate the golden files after an intended change with
``BRAINOBJ_GOLDEN=update python -m pytest tests/test_repr.py``.
"""

import os
import pathlib

import jax.numpy as jnp
import pytest

import brainobj as bp
import brainobj.math as bm

GOLDEN = pathlib.Path(__file__).parent / "golden"


class MLP(bp.BrainPyObject):
    def __init__(self):
        self.layers = bp.Sequential(bp.Linear(784, 256), bm.relu, bp.Dropout(0.1),
                                    bp.Linear(256, 10))
        self.steps = bm.Variable(jnp.zeros((), jnp.int32))


class CNN(bp.BrainPyObject):
    def __init__(self):
        self.conv1 = bp.Conv2d(1, 16, (3, 3))
        self.norm = bp.BatchNorm2d(16)
        self.conv2 = bp.Conv2d(16, 32, (3, 3), stride=2)
        self.head = bp.Linear(32, 10)


class TiedAutoencoder(bp.BrainPyObject):
    def __init__(self, name=None):
        self.encoder = bp.Linear(8, 4)
        self.decoder = bp.Linear(4, 8)
        self.decoder.W = self.encoder.W          # shared Variable
        self.also_encoder = self.encoder         # shared object


class Node(bp.BrainPyObject):
    def __init__(self, name=None):
        self.state = bm.Variable(jnp.zeros(3))


def cyclic():
    a, b = Node(name="node_a"), Node(name="node_b")
    a.next, b.next = b, a
    return a


MODELS = {
    "mlp": MLP,
    "cnn": CNN,
    "shared": lambda: TiedAutoencoder(name="tied"),   # names appear in the text
    "cycle": cyclic,
    "deep_1000": lambda: bp.Sequential(*[bp.Linear(2, 2) for _ in range(1000)]),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_golden(name):
    text = repr(MODELS[name]())
    path = GOLDEN / f"repr_{name}.txt"
    if os.environ.get("BRAINOBJ_GOLDEN") == "update":
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text()


def test_linear_is_one_line_with_kinds_dtypes_and_shapes():
    assert repr(bp.Linear(3, 2)) == "Linear(W=TrainVar(f32[3,2]), b=TrainVar(f32[2]))"
    v = bm.Variable(jnp.zeros((2, 5), jnp.bfloat16))
    holder = bp.BrainPyObject()
    holder.v = v
    assert repr(holder) == "BrainPyObject(v=Variable(bf16[2,5]))"


def test_sharing_and_cycles_are_marked_not_repeated():
    model = TiedAutoencoder()
    text = repr(model)
    assert text.count("TrainVar(f32[8,4])") == 1
    assert f"W=<shared: {model.name}.encoder.W>" in text
    assert f"also_encoder=<shared: {model.name}.encoder>" in text
    node = cyclic()
    assert f"next=<cycle: {node.name}>" in repr(node)


def test_long_containers_are_cut_with_a_count():
    text = repr(bp.Sequential(*[bp.Linear(2, 2) for _ in range(1000)]))
    assert "... (988 more)" in text and len(text.splitlines()) < 20


def test_a_very_deep_chain_does_not_recurse_forever():
    head = node = Node()
    for _ in range(3000):
        node.next = Node()
        node = node.next
    text = repr(head)
    assert text.rstrip().endswith(")") and "Node(...)" in text


class DeclaredLIF(bp.BrainPyObject):
    size: int
    tau: float = 10.0
    V: bm.Variable = bp.field(init=False)
    spikes: bm.Variable = bp.field(init=False)

    def __post_init__(self):
        self.spikes = bm.Variable(jnp.zeros(self.size, bool))
        self.V = bm.Variable(jnp.zeros(self.size))


class DeclaredNet(bp.BrainPyObject):
    n: int
    exc: DeclaredLIF = bp.field(init=False)
    inh: DeclaredLIF = bp.field(init=False)
    readout: bp.Linear = bp.field(init=False)

    def __post_init__(self):
        self.exc = DeclaredLIF(4 * self.n, tau=20.0)
        self.inh = DeclaredLIF(self.n)
        self.readout = bp.Linear(4 * self.n, 2)


def test_golden_declared_model():
    # fields in declaration order (V before spikes, though assigned after)
    text = repr(DeclaredNet(100))
    path = GOLDEN / "repr_declared.txt"
    if os.environ.get("BRAINOBJ_GOLDEN") == "update":
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text()


def test_treescope_renders_the_object_tree():
    treescope = pytest.importorskip("treescope")
    shared = bp.Linear(2, 2)
    net = bp.Sequential(bp.Linear(3, 2), shared, shared)
    text = treescope.render_to_text(net)
    # the tree: attributes constructor style, each Variable with its kind and value
    assert text.startswith("Sequential(\n  layers=[\n    Linear(")
    assert text.count("W=TrainVar(") == 3 and text.count("b=TrainVar(") == 3
    assert "float32(3, 2)" in text
    # the shared layer's second appearance is marked (treescope folds it in HTML)
    assert "# Repeated python obj" in text
    # cycles end
    a, b = Node(name="ts_node_a"), Node(name="ts_node_b")
    a.next, b.next = b, a
    assert "cyclic reference" in treescope.render_to_text(a)
    # the HTML rendering used in notebooks works too
    assert "treescope" in treescope.render_to_html(net)
    # a declared object shows its fields
    lif = DeclaredLIF(3)
    assert treescope.render_to_text(lif).startswith("DeclaredLIF(\n  size=3,\n  tau=10.0,")
