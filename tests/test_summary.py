"""``bp.summary`` (issue #12, first part): counts against the Variables
themselves, output shapes against an eager call, a golden table."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_refused, state_of


class Net(bp.BrainPyObject):
    def __init__(self):
        self.enc = bp.Sequential(bp.Linear(3, 4), bm.relu, bp.Linear(4, 2))
        self.bn = bp.BatchNorm1d(2)
        self.mem = bm.Variable(jnp.zeros((5,)))

    def __call__(self, x):
        return self.bn(self.enc(x))


class Tied(bp.BrainPyObject):
    """One weight used by two layers: counted once."""

    def __init__(self):
        self.a = bp.Linear(4, 4)
        self.b = bp.Linear(4, 4)
        self.b.W = self.a.W

    def __call__(self, x):
        return self.b(self.a(x))


class CNN(bp.BrainPyObject):
    def __init__(self):
        self.conv = bp.Conv2d(1, 4, (3, 3))
        self.head = bp.Linear(4, 10)

    def __call__(self, x):
        return self.head(self.conv(x).mean(axis=(1, 2)))


@pytest.mark.parametrize("make, shape", [(Net, (8, 3)), (Tied, (2, 4)), (CNN, (2, 8, 8, 1))],
                         ids=["mlp+bn", "tied", "cnn"])
def test_counts_match_the_variables(make, shape):
    model = make()
    table = bp.summary(model, jnp.ones(shape))
    variables = model.vars().values()
    assert table.totals["trainable"][0] == sum(v.size for v in model.train_vars().values())
    assert table.totals["total"][1] == sum(v.value.nbytes for v in variables)
    by_path = {r.path: r for r in table.rows}
    variable_rows = [r for r in table.rows if r.is_variable]
    assert len(variable_rows) == len(model.vars())          # a shared weight counts once
    for row in table.rows:                                   # an object's row sums its subtree
        if not row.is_variable:
            inside = [r for r in variable_rows
                      if row.path == "" or r.path.startswith(row.path + ".")]
            assert row.params == sum(r.params for r in inside), row.path
            assert row.bytes == sum(r.bytes for r in inside), row.path
    assert by_path[""].params == table.totals["trainable"][0]


def test_output_shapes_match_an_eager_call_and_nothing_changes():
    model = Net()
    model.train()
    x = jnp.ones((8, 3))
    before, key = state_of(model), np.asarray(bm.random.DEFAULT.value)
    table = bp.summary(model, jax.ShapeDtypeStruct((8, 3), jnp.float32))
    after = state_of(model)
    for k in before:                                         # BatchNorm's statistics untouched
        np.testing.assert_array_equal(after[k], before[k])
    np.testing.assert_array_equal(np.asarray(bm.random.DEFAULT.value), key)
    shapes = {r.path: r.shape for r in table.rows if not r.is_variable}
    hidden = model.enc.layers[0](x)
    assert shapes["enc.layers.0"] == f"float32{list(hidden.shape)}"
    assert shapes["enc"] == shapes["bn"] == f"float32{list(model(x).shape)}"
    assert table.output == "float32[8, 2]"


def test_golden_table():
    class Small(bp.BrainPyObject):
        def __init__(self, name=None):
            self.l = bp.Linear(2, 3)
            self.count = bm.Variable(jnp.zeros((), jnp.int32))

        def __call__(self, x):
            return self.l(x)

    table = bp.summary(Small(name="small"), jnp.ones((5, 2)))
    assert str(table) == "\n".join([
        "path     type      shape / output  dtype    params  bytes",
        "---------------------------------------------------------",
        "(small)  Small                                   9   40 B",
        "  count  Variable  []              int32         0    4 B",
        "l        Linear    float32[5, 3]                 9   36 B",
        "  l.W    TrainVar  [2, 3]          float32       6   24 B",
        "  l.b    TrainVar  [3]             float32       3   12 B",
        "---------------------------------------------------------",
        "trainable: 9 params (36 B)   other state: 1 elements (4 B)   total: 40 B",
        "output: float32[5, 3]",
    ])
    assert repr(table) == str(table)


def test_bad_input():
    with pytest.raises(TypeError, match="expected a BrainPyObject, got Linear"):
        bp.summary(type("Linear", (), {})())
    model = Net()
    assert_refused(lambda: bp.summary(model, jnp.ones((8, 5))), bm.MathError, r"shape", [model])
    from brainobj.layers._base import OUTPUTS
    assert getattr(OUTPUTS, "seen", None) is None            # recording stopped after the error


def test_readme_shows_the_real_table():
    import pathlib
    import re

    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    net = bp.Sequential(bp.Linear(2, 100), bm.relu, bp.Linear(100, 1), name="readme_net")
    shown = str(bp.summary(net, bm.ones((10, 2)))).replace("(readme_net)", "(net)       ")
    blocks = re.findall(r"^```text\n(.*?)^```", readme, re.DOTALL | re.MULTILINE)
    assert shown.rstrip() in [b.rstrip() for b in blocks]


def test_rich_table_has_the_plain_tables_cells():
    rich = pytest.importorskip("rich")
    from rich.console import Console

    net = bp.Sequential(bp.Linear(3, 4), bp.Linear(4, 2))
    table = bp.summary(net, jnp.ones((5, 3)))
    console = Console(record=True, width=200)
    console.print(table)
    text = console.export_text()
    # every cell of the plain table appears in the rich one, row by row
    for row in table._body():
        assert all(cell.strip() in text for cell in row)
    assert "trainable: 26 params" in text and "output: float32[5, 2]" in text
    # show() prints the same through rich
    with console.capture() as captured:
        rich.print(table)  # the protocol Summary implements: __rich__


def test_show_prints_plain_text_without_rich(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_rich(name, *args, **kwargs):
        if name == "rich" or name.startswith("rich."):
            raise ImportError("rich hidden by the test")
        return real_import(name, *args, **kwargs)

    table = bp.summary(bp.Linear(2, 3))
    monkeypatch.setattr(builtins, "__import__", no_rich)
    table.show()
    assert capsys.readouterr().out == str(table) + "\n"
