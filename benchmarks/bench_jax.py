"""The JAX side of ``benchmarks/run.py``: the same three workloads, when JAX is installed.

Each model is written with ``jax.numpy`` / ``jax.lax`` only (no Flax, no Optax): the training
step (forward, loss, ``jax.grad``, the Adam update with PyTorch's formula and defaults
``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``) is one ``jax.jit``-compiled function. The loop
mirrors the PyTorch one: a random permutation per run, one jitted step per batch, and the
loss fetched to the host every step (like ``loss.item()``), so each step really finishes.

* ``mlp``: 784-784-784-10 sigmoid, N(0, 0.05^2) weights, Keras's categorical cross-entropy on
  the sigmoid outputs (normalized, clipped to [1e-7, 1 - 1e-7]), batch 200.
* ``lenet``: LeNet-5 in NHWC (``lax.conv_general_dilated``, ``lax.reduce_window`` max), ReLU,
  softmax cross-entropy from logits, batch 128.
* ``lstm``: LSTM(128) by ``lax.scan`` over the 28 rows (Keras gate order i, f, c, o), Dense(10).

Threads: XLA's CPU backend sizes its pool from the cores it sees; ``run.py`` does not change it
(on a 2-core machine that is 2, like the other frameworks).
"""

import numpy as np


def load_jax():
    """``(jax, jax.numpy)``, or None when JAX is not installed."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    return jax, jnp


def _dense(rng, fan_in, fan_out, std=None):
    """A (kernel, bias) pair: N(0, std^2) when given, else Glorot uniform like Keras."""
    if std is None:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, (fan_in, fan_out))
    else:
        kernel = rng.normal(0.0, std, (fan_in, fan_out))
    return [kernel.astype(np.float32), np.zeros(fan_out, np.float32)]


def _init(workload, seed=0):
    rng = np.random.default_rng(seed)
    if workload == "mlp":
        return [*_dense(rng, 784, 784, 0.05), *_dense(rng, 784, 784, 0.05),
                *_dense(rng, 784, 10, 0.05)]
    if workload == "lenet":
        def conv(k, cin, cout):
            limit = np.sqrt(6.0 / (k * k * (cin + cout)))
            return [rng.uniform(-limit, limit, (k, k, cin, cout)).astype(np.float32),
                    np.zeros(cout, np.float32)]
        return [*conv(5, 1, 6), *conv(5, 6, 16), *_dense(rng, 400, 120),
                *_dense(rng, 120, 84), *_dense(rng, 84, 10)]
    units = 128
    return [*_dense(rng, 28, 4 * units),
            rng.normal(0.0, 0.1, (units, 4 * units)).astype(np.float32),
            *_dense(rng, units, 10)]


def _forward(jax, jnp, workload):
    lax = jax.lax

    def mlp(p, x):
        for i in range(0, 6, 2):
            x = jax.nn.sigmoid(x @ p[i] + p[i + 1])
        return x

    def lenet(p, x):
        dims = ("NHWC", "HWIO", "NHWC")

        def pool(h):
            return lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

        h = lax.conv_general_dilated(x, p[0], (1, 1), "SAME", dimension_numbers=dims) + p[1]
        h = pool(jax.nn.relu(h))
        h = lax.conv_general_dilated(h, p[2], (1, 1), "VALID", dimension_numbers=dims) + p[3]
        h = pool(jax.nn.relu(h)).reshape(x.shape[0], -1)
        h = jax.nn.relu(h @ p[4] + p[5])
        h = jax.nn.relu(h @ p[6] + p[7])
        return h @ p[8] + p[9]

    def lstm(p, x):
        w, b, u, dense_w, dense_b = p
        units = u.shape[0]
        zx = jnp.einsum("ntf,fg->tng", x, w) + b          # one input GEMM for all steps

        def step(carry, z):
            h, c = carry
            z = z + h @ u
            i = jax.nn.sigmoid(z[:, :units])
            f = jax.nn.sigmoid(z[:, units:2 * units])
            g = jnp.tanh(z[:, 2 * units:3 * units])
            o = jax.nn.sigmoid(z[:, 3 * units:])
            c = f * c + i * g
            h = o * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((x.shape[0], units), x.dtype)
        (h, _), _ = lax.scan(step, (zeros, zeros), zx)
        return h @ dense_w + dense_b

    return {"mlp": mlp, "lenet": lenet, "lstm": lstm}[workload]


def jax_trainer(jax_modules, workload, data, batch_size, learning_rate=1e-3):
    """A function ``train(n_batches) -> seconds`` running the jitted JAX training loop."""
    jax, jnp = jax_modules
    forward = _forward(jax, jnp, workload)
    if workload == "mlp":
        x, y = data["flat"], data["onehot"]

        def loss_fn(params, xb, yb):
            p = forward(params, xb)
            p = jnp.clip(p / p.sum(axis=1, keepdims=True), 1e-7, 1.0 - 1e-7)
            return -(yb * jnp.log(p)).sum(axis=1).mean()
    else:
        x, y = (data["nhwc"] if workload == "lenet" else data["rows"]), data["labels"]

        def loss_fn(params, xb, yb):
            logits = forward(params, xb)
            logp = jax.nn.log_softmax(logits)
            return -jnp.take_along_axis(logp, yb[:, None], axis=1).mean()

    b1, b2, eps = 0.9, 0.999, 1e-8

    @jax.jit
    def step(params, m, v, t, xb, yb):
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        t = t + 1
        m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads, strict=True)]
        v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, grads, strict=True)]
        scale = learning_rate * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        params = [p - scale * mi / (jnp.sqrt(vi) + eps * jnp.sqrt(1 - b2 ** t))
                  for p, mi, vi in zip(params, m, v, strict=True)]
        return params, m, v, t, loss

    state = {"params": [jnp.asarray(p) for p in _init(workload)]}
    state["m"] = [jnp.zeros_like(p) for p in state["params"]]
    state["v"] = [jnp.zeros_like(p) for p in state["params"]]
    state["t"] = jnp.asarray(0.0, jnp.float32)
    rng = np.random.default_rng(0)

    def train(n_batches):
        import time

        start = time.perf_counter()
        order = rng.permutation(n_batches * batch_size)
        params, m, v, t = state["params"], state["m"], state["v"], state["t"]
        total = 0.0
        for i in range(n_batches):
            index = order[i * batch_size:(i + 1) * batch_size]
            params, m, v, t, loss = step(params, m, v, t, x[index], y[index])
            total += float(loss)
        state.update(params=params, m=m, v=v, t=t)
        train.mean_losses.append(total / max(n_batches, 1))
        return time.perf_counter() - start

    train.mean_losses = []  # one mean training loss per call, to check that it learns
    return train
