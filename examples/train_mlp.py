"""The seed tutorial's "Training a network", with only the imports changed.

A two-layer network classifies random 2-d points by which side of a line they
fall on. `Trainer.train` is one jitted step: gradients of the loss with
respect to every Variable of the (global) network, then an SGD update.
"""

import brainobj as bp
import brainobj.math as bm

bm.random.seed(42)


class Linear(bp.BrainPyObject):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.num_in = n_in
        self.num_out = n_out
        init = bp.init.XavierNormal()
        self.W = bm.Variable(init((n_in, n_out)))
        self.b = bm.Variable(bm.zeros((1, n_out)))

    def __call__(self, x):
        return x @ self.W + self.b


net = bp.Sequential(Linear(3, 100), bm.relu, Linear(100, 2))
print(net)

# the data: label 1 where the first two coordinates sum to more than one
num_sample = 256
X = bm.random.random((num_sample, 3))
Y = bm.asarray(X[:, 0] + X[:, 1] > 1.0, dtype=bm.float32)  # float 0/1 labels


class Trainer(object):
    def __init__(self, net, opt):
        self.net = net
        self.opt = opt
        self.f_grad = bm.grad(self.loss, grad_vars=self.net.vars(), return_value=True)

    def loss(self):
        predictions = self.net(dict(), X)
        return bp.losses.cross_entropy_loss(predictions, Y)

    @bm.cls_jit
    def train(self):
        grads, loss = self.f_grad()
        self.opt.update(grads)
        return loss


trainer = Trainer(net=net, opt=bp.optim.SGD(lr=1e-2, train_vars=net.vars()))

losses = []
for i in range(4000):
    loss = trainer.train()
    losses.append(float(loss))
    if (i + 1) % 400 == 0:
        print(f"Train {i + 1} steps, loss {loss:.6f}")

accuracy = float(bm.mean(bm.argmax(net(X), axis=1) == Y))
print(f"training accuracy {accuracy:.3f}")
assert losses[-1] < 0.5 * losses[0], f"the loss did not fall: {losses[0]:.4f} -> {losses[-1]:.4f}"
