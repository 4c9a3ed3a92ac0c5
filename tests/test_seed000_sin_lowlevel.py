"""Seed 000: the 1-16-16-16-1 sigmoid network fitting sin(x), built from raw tensors.

The seed's network takes one input x (its first weight is [1, 16]), has three hidden layers of
16 sigmoid units and a linear output, weights and biases drawn from N(0, 1), and is trained by
plain gradient descent on the squared error. Here: full-batch gradient descent on 128 points
of [0, 2 pi], written with matmul/sigmoid and backward() only.
"""

import numpy as np

import glassnet as gn
from glassnet.ops.nn import sigmoid


def test_sin_network_from_low_level_api_learns():
    rng = gn.manual_seed(0)
    sizes = [1, 16, 16, 16, 1]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append(gn.tensor(rng.standard_normal((n_in, n_out)).astype(np.float32),
                                requires_grad=True))
        params.append(gn.tensor(rng.standard_normal(n_out).astype(np.float32),
                                requires_grad=True))
    x = np.linspace(0, 2 * np.pi, 128, dtype=np.float32)[:, None]
    xs, ts = gn.tensor(x), gn.tensor(np.sin(x))

    def net(h):
        for k in (0, 2, 4):
            h = sigmoid(h @ params[k] + params[k + 1])
        return h @ params[6] + params[7]  # linear output

    def mse():
        diff = net(xs) - ts
        return (diff * diff).mean()

    initial = mse().item()
    for _ in range(1500):
        loss = mse()
        for p in params:
            p.grad = None
        loss.backward()
        with gn.no_grad():
            for p in params:
                p.data -= 0.1 * p.grad.data
    final = mse().item()
    # The best constant predictor has MSE var(sin) = 0.5; the trained net must beat it by 5x.
    assert final < 0.1 and final < initial / 10
    assert params[0].dtype == np.float32
