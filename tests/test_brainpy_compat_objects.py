"""BrainPy 2.x compatibility of the object model: collectors, naming, errors, object API.

Each test pins a behaviour of BrainPy's ``brainpy.math`` (its
``object_transform/collectors.py``, ``base.py``, ``naming.py`` and
``brainpy/errors.py``); the expected values are BrainPy's documented
semantics or plain computations, not outputs of brainobj.
"""

from __future__ import annotations

import gc
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm


class Mixed(bp.BrainPyObject):
    """One Variable of each kind: plain, TrainVar, RandomState."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.v = bm.Variable(jnp.zeros(2))
        self.t = bm.TrainVar(jnp.ones(3))
        self.r = bm.random.RandomState(0)


# -- 1. collectors ------------------------------------------------------------------

def test_include_exclude_use_the_exact_class_subset_uses_isinstance():
    m = Mixed()
    c = m.vars(method="relative")
    # BrainPy: include/exclude compare `value.__class__`, subset/not_subset use isinstance
    assert list(c.include(bm.Variable)) == ["v"]
    assert list(c.include(bm.TrainVar)) == ["t"]
    assert list(c.exclude(bm.Variable)) == ["t", "r"]
    assert list(c.subset(bm.Variable)) == ["v", "t", "r"]
    assert list(c.not_subset(bm.TrainVar)) == ["v", "r"]
    assert list(c.not_subset(bm.Variable)) == []
    with pytest.raises(TypeError):
        c.include("Variable")


def test_vars_is_an_array_collector_whose_dict_and_data_give_values():
    m = Mixed()
    c = m.vars(method="relative")
    assert isinstance(c, bm.ArrayCollector) and bm.TensorCollector is bm.ArrayCollector
    assert isinstance(m.train_vars(), bm.ArrayCollector)
    assert isinstance(m.nodes(), bm.Collector) and not isinstance(m.nodes(), bm.ArrayCollector)
    d = c.dict()
    assert type(d) is dict and list(d) == ["v", "t", "r"]
    np.testing.assert_array_equal(d["v"], np.zeros(2))
    np.testing.assert_array_equal(d["t"], np.ones(3))
    assert not isinstance(d["t"], bm.Variable)
    data = c.data()
    assert len(data) == 3 and not any(isinstance(x, bm.Variable) for x in data)
    np.testing.assert_array_equal(data[1], np.ones(3))


def test_array_collector_refuses_non_variables():
    c = bm.ArrayCollector()
    with pytest.raises(TypeError):
        c["x"] = jnp.ones(1)
    assert "x" not in c


def test_subtraction_by_dict_by_keys_and_by_values():
    a, b = bm.Variable(jnp.zeros(1)), bm.Variable(jnp.ones(1))
    c = bm.Collector(x=a, y=b, z=a)
    assert list(c - {"y": b}) == ["x", "z"]
    assert list(c - ["x"]) == ["y", "z"]
    assert list(c - (a,)) == ["y"]          # every key holding `a`
    assert isinstance(c - ["x"], bm.Collector)
    with pytest.raises(ValueError):          # BrainPy: ValueError for a missing key
        c - {"w": a}
    with pytest.raises(ValueError):          # BrainPy: ValueError for another object
        c - {"x": b}
    with pytest.raises(KeyError):
        c - ["nope"]
    with pytest.raises(ValueError):
        c - 3
    assert list(c) == ["x", "y", "z"]        # never changed


def test_replace_rebinds_and_conflicting_set_raises_value_error():
    a, b = bm.Variable(jnp.zeros(1)), bm.Variable(jnp.ones(1))
    c = bm.Collector(k=a)
    with pytest.raises(ValueError):  # BrainPy raises ValueError on a name conflict
        c["k"] = b
    with pytest.raises(KeyError):    # and brainobj's earlier KeyError still catches it
        c["k"] = b
    c.replace("k", b)
    assert c["k"] is b
    with pytest.raises(KeyError):
        c.replace("missing", a)


def test_update_from_a_list_uses_brainpys_var_keys():
    a, b, d = (bm.Variable(jnp.zeros(1)) for _ in range(3))
    c = bm.Collector(x=a)
    c.update([b, d])
    # BrainPy: keys '_var{i + len(before)}'
    assert list(c) == ["x", "_var1", "_var2"] and c["_var1"] is b and c["_var2"] is d
    with pytest.raises(ValueError):
        c.update(5)


# -- 2. naming and errors ----------------------------------------------------------

def test_errors_module_has_brainpys_classes():
    assert bp.errors.MathError is bm.MathError is bp.MathError
    for name in ["BrainPyError", "UniqueNameError", "MathError", "RunningError",
                 "UnsupportedError", "NoImplementationError", "JaxTracerError"]:
        assert issubclass(getattr(bp.errors, name), bp.errors.BrainPyError)
    assert issubclass(bp.errors.UniqueNameError, bm.MathError)


def test_duplicate_name_raises_unique_name_error_and_clear_name_cache_allows_rebuild():
    first = bp.BrainPyObject(name="compat_trial_net")
    with pytest.raises(bp.errors.UniqueNameError, match="compat_trial_net"):
        bp.BrainPyObject(name="compat_trial_net")
    with pytest.raises(bm.MathError):   # existing `except bm.MathError` code still works
        bp.BrainPyObject(name="compat_trial_net")
    nets = [first]
    for _ in range(3):  # BrainPy's documented remedy for multiple trials
        bm.clear_name_cache()
        nets.append(Mixed(name="compat_trial_net"))
    assert [n.name for n in nets] == ["compat_trial_net"] * 4
    assert list(nets[-1].vars()) == ["compat_trial_net.v", "compat_trial_net.t",
                                     "compat_trial_net.r"]


def test_clear_name_cache_does_not_rename_existing_objects():
    child = Mixed()
    name = child.name
    bm.clear_name_cache()
    holder = bp.BrainPyObject()
    holder.child = child
    assert child.name == name


def test_clear_name_cache_warns_when_asked():
    with pytest.warns(UserWarning):
        bm.clear_name_cache(ignore_warn=False)


def test_name_freed_when_object_dies():
    obj = bp.BrainPyObject(name="compat_dies")
    del obj
    gc.collect()
    assert bp.BrainPyObject(name="compat_dies").name == "compat_dies"


@pytest.mark.parametrize("bad", ["a b", "1net", "a.b", "net-1", ""])
def test_invalid_names_refused_as_brainpy_does(bad):
    # BrainPy: a name must satisfy str.isidentifier(), else BrainPyError
    assert not bad.isidentifier()
    with pytest.raises(bp.errors.BrainPyError, match="identifier"):
        bp.BrainPyObject(name=bad)
    obj = bp.BrainPyObject()
    before = obj.name
    with pytest.raises(bm.MathError):
        obj.name = bad
    assert obj.name == before


def test_unique_name():
    obj = Mixed()
    assert obj.unique_name().startswith("Mixed")
    assert obj.unique_name(type_="Probe").startswith("Probe")
    assert obj.unique_name("compat_reserved") == "compat_reserved"
    with pytest.raises(bp.errors.UniqueNameError):
        bp.BrainPyObject(name="compat_reserved")
    with pytest.raises(bp.errors.UniqueNameError):
        obj.unique_name(obj.name) and Mixed().unique_name(obj.name)


# -- 3. object API -------------------------------------------------------------------

class Implicit(bp.BrainPyObject):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.a = bm.Variable(jnp.zeros(1))
        self.anon = bm.Variable(jnp.ones(1))
        self.register_implicit_vars(self.anon, {"h": bm.Variable(jnp.zeros(2))},
                                    c=bm.Variable(jnp.ones(2)))
        self.child = bp.Linear(2, 2)
        self.register_implicit_nodes(bp.Linear(2, 3), {"dec": bp.Linear(3, 2)})


def test_register_implicit_vars_keys_as_brainpy():
    net = Implicit(name="compat_implicit")
    keys = list(net.vars())
    # `anon` is an attribute too: found once, under its attribute
    assert keys[:4] == ["compat_implicit.a", "compat_implicit.anon",
                        "compat_implicit.h", "compat_implicit.c"]
    assert "compat_implicit.h" in keys and "compat_implicit.c" in keys
    rel = net.vars(method="relative")
    assert rel["h"].shape == (2,) and rel["c"] is net.implicit_vars["c"]


def test_register_implicit_vars_positional_key_is_var_id():
    class P(bp.BrainPyObject):
        def __init__(self):
            self.hidden = [None]
            v = bm.Variable(jnp.zeros(1))
            self.register_implicit_vars(v)
            self.v_id = id(v)

    p = P()
    assert list(p.vars()) == [f"{p.name}.var{p.v_id}"]


def test_implicit_state_updated_by_transforms():
    net = Implicit()

    @bm.jit
    def step():
        net.implicit_vars["c"].value += 1.0

    step()
    np.testing.assert_array_equal(net.implicit_vars["c"].value, np.full(2, 2.0))


def test_register_implicit_nodes_found_by_nodes_and_vars():
    net = Implicit(name="compat_implicit_nodes")
    nodes = net.nodes(method="relative")
    enc = [n for k, n in nodes.items() if isinstance(n, bp.Linear) and n.W.shape == (2, 3)][0]
    assert nodes["dec"].W.shape == (3, 2)
    assert enc.name in nodes  # positional: keyed by its name, as BrainPy
    absolute = net.nodes()
    assert enc.name in absolute and absolute[enc.name] is enc
    assert f"{enc.name}.W" in net.vars()


def test_register_implicit_refuses_wrong_types_and_changes_nothing():
    net = Implicit()
    before = dict(net.implicit_vars)
    with pytest.raises(ValueError):  # BrainPy raises ValueError
        net.register_implicit_vars(good=bm.Variable(jnp.zeros(1)), bad=jnp.zeros(1))
    assert dict(net.implicit_vars) == before
    with pytest.raises(ValueError):
        net.register_implicit_nodes([bp.Linear(1, 1), 3])
    with pytest.raises(bm.MathError, match="already registered"):
        net.register_implicit_vars(c=bm.Variable(jnp.zeros(1)))


def test_vars_exclude_types():
    m = Mixed()
    assert list(m.vars(method="relative", exclude_types=(bm.TrainVar,))) == ["v", "r"]
    # isinstance: excluding Variable leaves nothing
    assert list(m.vars(method="relative", exclude_types=bm.Variable)) == []


def test_load_state_dict_accepts_brainpy_arguments():
    a, b = bp.Linear(2, 3), bp.Linear(2, 3)
    result = b.load_state_dict(a.state_dict(), warn=True, compatible="v2")
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(b.W.value, a.W.value)
    with pytest.raises(ValueError):
        b.load_state_dict(a.state_dict(), compatible="v3")
    with pytest.warns(UserWarning, match="missing"):
        r = b.load_state_dict({"W": a.W.value}, strict=False)
    assert r.missing_keys == ["b"]


def test_save_state_and_load_state_are_per_object():
    net = Implicit(name="compat_save_state")
    state = net.save_state()
    # BrainPy: vars(level=0).unique().dict() -- this object's own Variables only
    assert sorted(state) == sorted(["compat_save_state.a", "compat_save_state.anon",
                                    "compat_save_state.h", "compat_save_state.c"])
    assert not any(isinstance(v, bm.Variable) for v in state.values())
    new = {k: np.asarray(v) + 5 for k, v in state.items()}
    new["extra"] = np.zeros(1)
    del new["compat_save_state.a"]
    missing, unexpected = net.load_state(new)
    assert missing == ["compat_save_state.a"] and unexpected == ["extra"]
    np.testing.assert_array_equal(net.implicit_vars["c"].value, np.full(2, 6.0))
    with pytest.raises(bm.MathError):
        net.load_state({"compat_save_state.h": np.zeros(5)})
    np.testing.assert_array_equal(net.implicit_vars["h"].value, np.full(2, 5.0))


def test_to_and_cpu_move_every_variable():
    net = Implicit()
    cpu = jax.devices("cpu")[0]
    assert net.to(cpu) is net and net.cpu() is net
    for var in net.vars().values():
        assert var.value.devices() == {cpu}


def test_lowercase_container_aliases():
    assert bm.var_list is bm.VarList and bm.var_dict is bm.VarDict
    assert bm.node_list is bm.NodeList and bm.node_dict is bm.NodeDict


def test_register_implicit_vars_accepts_var_list_by_default():
    class L(bp.BrainPyObject):
        def __init__(self):
            super().__init__(name="compat_implicit_varlist")
            self.register_implicit_vars({"hs": bm.VarList([bm.Variable(jnp.zeros(1))] * 1)})

    assert list(L().vars()) == ["compat_implicit_varlist.hs-0"]
