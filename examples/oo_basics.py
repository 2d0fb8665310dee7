"""brainobj basics: the "simple example" of BrainPy's object-oriented
transformation tutorial, then collectors, then random numbers under ``bm.jit``.

Run it with ``make demo`` (or ``python examples/oo_basics.py`` inside the
project's virtualenv). Everything here runs on the CPU in a few seconds.
"""

import brainobj as bp
import brainobj.math as bm

bm.random.seed(2024)  # reproducible weights and draws


def section(title: str) -> None:
    print()
    print(f"== {title} " + "=" * max(0, 70 - len(title)))


# -----------------------------------------------------------------------------
# 1. A jitted method that reads a static attribute and updates a Variable
# -----------------------------------------------------------------------------
section("1. cls_jit on a plain class: static vs dynamic attributes")


class Example:
    def __init__(self):
        self.static = 0                     # a plain Python number: static
        self.dyn = bm.Variable(bm.ones(1))  # a Variable: dynamic state

    @bm.cls_jit
    def update(self, inp):
        self.dyn.value = self.dyn * inp + self.static


example = Example()

example.update(1.)
print("after update(1.)              :", example.dyn)
example.update(2.)
print("after update(2.)              :", example.dyn)

example.static = 100.
example.update(1.)
print("static = 100., then update(1.):", example.dyn)
print()
print("dyn went 1 -> 2 (= 1*2 + 0) -> 102 (= 2*1 + 100).")
print("The compiled code is keyed on the values of static attributes, so after")
print("`example.static = 100.` brainobj compiled `update` again with the new")
print("value. BrainPy would have kept the constant 0 baked into its first")
print("compilation and printed 2 here. Values that change often belong in a")
print("Variable (or an array argument), which never triggers a recompilation.")
print("compiled versions of Example.update:", Example.update.cache_size)


# -----------------------------------------------------------------------------
# 2. Collecting Variables and nodes: vars() and nodes()
# -----------------------------------------------------------------------------
section("2. vars() and nodes(): unique names, breadth-first order")


class Linear(bp.BrainPyObject):
    def __init__(self, n_in, n_out):
        self.n_in, self.n_out = n_in, n_out          # static
        self.W = bm.TrainVar(bm.random.randn(n_in, n_out) * 0.1)
        self.b = bm.TrainVar(bm.zeros(n_out))

    def __call__(self, x):
        return x @ self.W + self.b


class Net(bp.BrainPyObject):
    def __init__(self):
        self.layers = bm.NodeList([Linear(100, 20), Linear(20, 2)])

    def __call__(self, x):
        for layer in self.layers:
            x = bm.tanh(layer(x))
        return x


net = Net()
print("net.vars().keys()  :", list(net.vars().keys()))
print("net.nodes().keys() :", list(net.nodes().keys()))


class SuperLinear(bp.BrainPyObject):
    def __init__(self):
        self.l1 = Linear(10, 20)
        self.v1 = bm.Variable(3)


sl = SuperLinear()
print()
print("sl.vars().keys()   :", list(sl.vars().keys()))
print("sl.nodes().keys()  :", list(sl.nodes().keys()))


class SuperSuperLinear(bp.BrainPyObject):
    def __init__(self):
        self.ss = bm.NodeList([SuperLinear(), SuperLinear()])
        self.vv = bm.VarList([bm.Variable(3)])


ssl = SuperSuperLinear()
print()
print("ssl.vars().keys()  :", list(ssl.vars().keys()))
print("ssl.nodes().keys() :", list(ssl.nodes().keys()))
print()
print("Each object's own Variables come first, then those of its children,")
print("level by level. Container elements are keyed '<attr>-<index>'.")

section("2b. relative keys, train_vars() and level=")
print("ssl.vars('relative').keys() :", list(ssl.vars(method="relative").keys()))
print("ssl.nodes('relative').keys():", list(ssl.nodes(method="relative").keys()))
print("ssl.train_vars().keys()     :", list(ssl.train_vars().keys()))
print("ssl.vars(level=1).keys()    :", list(ssl.vars(level=1).keys()))
print()
print("Relative keys are attribute paths from the object you ask; they do not")
print("depend on how many objects were created before, so they suit checkpoints.")


# -----------------------------------------------------------------------------
# 3. Plain Python lists and dicts are searched too
# -----------------------------------------------------------------------------
section("3. plain lists and dicts of objects are found (beyond BrainPy)")


class MLP(bp.BrainPyObject):
    def __init__(self, sizes):
        self.sizes = sizes                                   # static: a list of ints
        self.layers = [Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.gain = {"out": bm.Variable(bm.ones(sizes[-1]))}

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = bm.relu(layer(x))
        return self.layers[-1](x) * self.gain["out"]


mlp = MLP([4, 8, 2])
print("mlp.vars().keys()           :", list(mlp.vars().keys()))
print("mlp.vars('relative').keys() :", list(mlp.vars(method="relative").keys()))
print("BrainPy only looks inside NodeList/NodeDict/VarList/VarDict; brainobj")
print("also walks ordinary lists, tuples and dicts stored on an object.")


@bm.jit
def scale_gain(model, factor):
    model.gain["out"].value = model.gain["out"] * factor
    return model(bm.ones((1, 4)))


scale_gain(mlp, 2.)
print("after scale_gain(mlp, 2.): mlp.gain['out'] =", mlp.gain["out"].value)


# -----------------------------------------------------------------------------
# 4. Random numbers inside bm.jit
# -----------------------------------------------------------------------------
section("4. bm.random inside bm.jit: the key advances between calls")


class NoisyUnit(bp.BrainPyObject):
    """A leaky unit driven by input plus Gaussian noise (no training)."""

    def __init__(self, n, tau=10.):
        self.tau = tau
        self.h = bm.Variable(bm.zeros(n))

    def step(self, inp):
        noise = bm.random.normal(0., 0.5, size=self.h.shape)
        self.h.value = self.h + (-self.h + inp + noise) / self.tau
        return noise


unit = NoisyUnit(3)
step = bm.jit(unit.step)

key_before = bm.random.DEFAULT.value
first = step(1.)
second = step(1.)
print("noise drawn by call 1:", first)
print("noise drawn by call 2:", second)
print("different draws      :", bool((first != second).all()))
print("global key advanced  :", bool((bm.random.DEFAULT.value != key_before).any()))
print("unit.h after 2 steps :", unit.h.value)
print("The global random state is a Variable like any other: the compiled")
print("function reads its key and writes the advanced key back on every call.")


@bm.jit
def predict(model, x):
    return model(x)


x = bm.random.rand(5, 100)
print()
print("predict(net, x).shape:", predict(net, x).shape,
      "| compiled versions:", predict.cache_size)
