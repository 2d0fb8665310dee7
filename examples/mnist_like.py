"""Train an MLP with Adam and Dropout on scikit-learn's bundled digits.

The 8x8 digit images (1797 of them) ship inside scikit-learn, so nothing is
downloaded. The script trains, reports test accuracy, saves a checkpoint,
loads it into a freshly built model and checks that it scores the same.
"""

import os
import tempfile

import numpy as np
from sklearn.datasets import load_digits

import brainobj as bp
import brainobj.math as bm

bm.random.seed(0)

# -- data: 80/20 split, pixels scaled to [0, 1] -----------------------------------
digits = load_digits()
images = digits.data.astype(np.float32) / 16.0
labels = digits.target.astype(np.int32)
order = np.random.default_rng(0).permutation(len(images))
split = int(0.8 * len(images))
x_train, y_train = bm.asarray(images[order[:split]]), bm.asarray(labels[order[:split]])
x_test, y_test = bm.asarray(images[order[split:]]), bm.asarray(labels[order[split:]])


def build_model():
    return bp.Sequential(
        bp.Linear(64, 128), bm.relu, bp.Dropout(0.2),
        bp.Linear(128, 128), bm.relu, bp.Dropout(0.2),
        bp.Linear(128, 10),
    )


model = build_model()
opt = bp.optim.Adam(1e-3, model.train_vars())
loss_grad = bm.grad(
    lambda x, y: bp.losses.cross_entropy_loss(model(x), y),
    grad_vars=model.train_vars(), return_value=True,
)


@bm.jit
def train_step(x, y):
    grads, loss = loss_grad(x, y)
    opt.update(grads)
    return loss


@bm.jit
def predict(net, x):
    return bm.argmax(net(x), axis=-1)


def accuracy(net):
    net.eval()
    try:
        return float(bm.mean(predict(net, x_test) == y_test))
    finally:
        net.train()


batch_size, epochs = 64, 30
steps_per_epoch = len(x_train) // batch_size
for epoch in range(epochs):
    perm = bm.random.permutation(len(x_train))
    for i in range(steps_per_epoch):
        idx = perm[i * batch_size:(i + 1) * batch_size]
        loss = train_step(x_train[idx], y_train[idx])
    if (epoch + 1) % 5 == 0:
        print(f"epoch {epoch + 1:2d}  loss {float(loss):.4f}  test accuracy {accuracy(model):.4f}")

final = accuracy(model)
print(f"test accuracy {final:.4f}")
assert final > 0.95, f"expected > 95% test accuracy, got {final:.2%}"

# -- checkpoint: save, rebuild from scratch, load, same accuracy ----------------------
path = os.path.join(tempfile.mkdtemp(), "digits_mlp.npz")
bp.save(path, model)
restored = build_model()
bp.load(path, restored)
again = accuracy(restored)
print(f"reloaded model test accuracy {again:.4f}")
assert again == final, (again, final)
