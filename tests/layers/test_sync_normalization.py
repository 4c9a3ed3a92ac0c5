"""SyncBatchNormalization: equal to BatchNormalization alone; across ranks, equal to one process."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import layers
from glassnet.ops.normalization import batch_norm
from glassnet.ops.sync_normalization import SyncNormalizeFunction, sync_batch_norm
from tests.conftest import assert_config_round_trip, assert_save_load
from tests.distribution.conftest import run_mpi


@pytest.mark.parametrize("axis, shape", [(-1, (6, 3)), (-1, (4, 2, 3, 3)), (1, (4, 3, 2, 2))])
def test_equals_batch_normalization_in_one_process(rng, axis, shape):
    x = rng.normal(2.0, 3.0, size=shape)
    plain = layers.BatchNormalization(axis=axis, momentum=0.8, dtype="float64")
    synced = layers.SyncBatchNormalization(axis=axis, momentum=0.8, dtype="float64")
    plain.build(shape)
    synced.build(shape)
    gamma, beta = rng.uniform(0.5, 2, shape[axis]), rng.normal(size=shape[axis])
    for layer in (plain, synced):
        layer.set_weights([gamma, beta, np.zeros(shape[axis]), np.ones(shape[axis])])
    for _ in range(2):
        np.testing.assert_allclose(synced(x, training=True).data, plain(x, training=True).data,
                                   rtol=1e-12, atol=1e-12)
    for a, b in zip(synced.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)   # moving statistics too
    np.testing.assert_allclose(synced(x).data, plain(x).data, rtol=1e-12)   # inference


def test_statistics_against_the_formula(rng):
    x = rng.normal(1.0, 2.0, size=(5, 4, 3))
    y = sync_batch_norm(x, training=True, epsilon=1e-3).data
    mu = x.mean(axis=(0, 1))
    var = ((x - mu) ** 2).mean(axis=(0, 1))
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-3), rtol=1e-12, atol=1e-12)


def test_gradients_match_central_differences(rng):
    x = gn.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    gamma = gn.tensor(rng.uniform(0.5, 2.0, size=3), requires_grad=True)
    beta = gn.tensor(rng.normal(size=3), requires_grad=True)
    weights = gn.tensor(rng.normal(size=(5, 3)))

    def fn(x, gamma, beta):
        return (sync_batch_norm(x, gamma, beta, training=True) * weights).sum()

    assert gn.gradcheck(fn, x, gamma, beta) is True
    # and equal to BatchNormalization's own backward
    grads = gn.grad(fn(x, gamma, beta), [x, gamma, beta])
    plain = gn.grad((batch_norm(x, gamma, beta, training=True) * weights).sum(),
                    [x, gamma, beta])
    for a, b in zip(grads, plain, strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-10, atol=1e-12)


def test_second_derivatives_in_one_process(rng):
    x = gn.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    gamma = gn.tensor(rng.uniform(0.5, 2.0, size=2), requires_grad=True)
    beta = gn.tensor(rng.normal(size=2), requires_grad=True)

    def fn(x, gamma, beta):
        y = sync_batch_norm(x, gamma, beta, training=True)
        return y * y

    assert gn.gradgradcheck(fn, x, gamma, beta) is True


def test_synchronized_flag_and_config(tmp_path, rng):
    layer = layers.SyncBatchNormalization(momentum=0.9)
    assert layer.synchronized is True and layer.get_config()["synchronized"] is True
    assert_config_round_trip(layer)
    assert not layers.SyncBatchNormalization(synchronized=False).synchronized
    model = gn.models.Sequential([layers.Input((3,)), layers.Dense(4),
                                  layers.SyncBatchNormalization()])
    model(rng.normal(size=(6, 3)), training=True)
    assert type(model.layers[-1]) is layers.SyncBatchNormalization
    assert_save_load(model, rng.normal(size=(2, 3)), tmp_path)


def test_the_function_is_a_registered_op():
    from glassnet.tensor import _OPS

    assert _OPS["SyncNormalizeFunction"] is SyncNormalizeFunction


# --------------------------------------------------------------------------- under mpiexec

# Every rank normalizes its shard of a global batch of 10 rows (uneven shards with -n 4) and
# compares with plain batch normalization of the whole batch, computed on the same rank.
SHARDED_FUNCTION = r"""
import numpy as np
import glassnet as gn
from glassnet.distribution.communicator import join_world
from glassnet.ops.sync_normalization import sync_batch_norm
from glassnet.ops.normalization import batch_norm

from glassnet.config import config

comm = config.communicator = join_world(timeout=30)      # what distribution.initialize() does
r, n = comm.rank, comm.size
rng = np.random.default_rng(3)
x_all = rng.normal(1.5, 2.0, size=(10, 2, 3))
w_all = rng.normal(size=x_all.shape)
g0, b0 = rng.uniform(0.5, 2.0, 3), rng.normal(size=3)
sizes = [len(part) for part in np.array_split(np.arange(10), n)]
start = sum(sizes[:r]); stop = start + sizes[r]

def run(normalize, x, w, count):
    x = gn.tensor(x, requires_grad=True)
    gamma, beta = gn.tensor(g0.copy(), requires_grad=True), gn.tensor(b0.copy(), requires_grad=True)
    mm, mv = np.zeros(3), np.ones(3)
    y = normalize(x, gamma, beta, mm, mv, training=True, momentum=0.7)
    loss = (y * gn.tensor(w)).sum() / count       # the mean over this process's rows
    gx, gg, gb = gn.grad(loss, [x, gamma, beta])
    return y.data, gx.data, gg.data, gb.data, mm, mv

ref = run(batch_norm, x_all, w_all, 10)
mine = run(sync_batch_norm, x_all[start:stop], w_all[start:stop], sizes[r])
share = sizes[r] / 10                               # data parallelism's gradient scaling
tol = dict(rtol=1e-10, atol=1e-12)
np.testing.assert_allclose(mine[0], ref[0][start:stop], **tol)            # outputs
np.testing.assert_allclose(mine[1] * share, ref[1][start:stop], **tol)    # dL/dx
for k in (2, 3):                                    # dL/dgamma, dL/dbeta summed over ranks
    np.testing.assert_allclose(comm.allreduce_sum(mine[k] * share), ref[k], **tol)
for k in (4, 5):                                    # moving statistics: the global ones
    np.testing.assert_allclose(mine[k], ref[k], **tol)
print(f"OK {r}/{n}")
"""


@pytest.mark.parametrize("n", [2, 4])
def test_sharded_function_equals_one_process(n):
    result = run_mpi(n, SHARDED_FUNCTION, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK ") == n


# A model with SyncBatchNormalization trained data-parallel on global batch B equals the same
# model with BatchNormalization trained in one process (computed on every rank beforehand).
TRAINED = r"""
import sys
import numpy as np
import glassnet as gn
from glassnet import distribution, layers

from glassnet.config import set_floatx

dtype = sys.argv[1]
set_floatx(dtype)
distribution.initialize()
rank, n = distribution.process_index(), distribution.num_processes()
rng = np.random.default_rng(5)
x = rng.normal(1.0, 2.0, size=(40, 5)).astype(dtype)
y = (x[:, :1] * 2 - x[:, 1:2] + 0.1 * rng.normal(size=(40, 1))).astype(dtype)

def make(norm):
    gn.manual_seed(11)
    model = gn.models.Sequential([layers.Input((5,)), layers.Dense(6), norm(momentum=0.8),
                                  layers.Activation("tanh"), layers.Dense(1)])
    model.compile(optimizer=gn.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    return model

reference = make(layers.BatchNormalization)
start = [w.copy() for w in reference.get_weights()]
gn.manual_seed(2)
reference.fit(x, y, batch_size=12, epochs=3, shuffle=True, verbose=0)

distribution.set_distribution(distribution.DataParallel())
model = make(layers.SyncBatchNormalization)
model.set_weights(start)
gn.manual_seed(2)
model.fit(x, y, batch_size=12, epochs=3, shuffle=True, verbose=0)
tol = 1e-5 if dtype == "float32" else 1e-10
for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)

# the same with plain BatchNormalization (per-rank statistics of each shard) differs: the
# ranks did train on shards, and synchronizing the statistics is what made them equal
per_rank = make(layers.BatchNormalization)
per_rank.set_weights(start)
gn.manual_seed(2)
per_rank.fit(x, y, batch_size=12, epochs=3, shuffle=True, verbose=0)
gap = max(float(np.abs(a - b).max())
          for a, b in zip(per_rank.get_weights(), reference.get_weights(), strict=True))
assert gap > 1e-3, gap
print(f"OK {rank}/{n}")
"""


def _data_parallel_ready():
    try:
        from glassnet import distribution
    except ImportError:
        return False
    return hasattr(distribution, "DataParallel")


@pytest.mark.skipif(not _data_parallel_ready(), reason="glassnet.distribution not ready")
@pytest.mark.parametrize("n, dtype", [(2, "float64"), (4, "float32")])
def test_data_parallel_training_equals_one_process(n, dtype):
    result = run_mpi(n, TRAINED, timeout=120, args=(dtype,))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK ") == n


def test_batch_normalization_synchronized_true_is_the_synced_layer(rng):
    layer = layers.BatchNormalization(synchronized=True)
    y = layer(rng.normal(size=(6, 3)), training=True)
    assert type(y.creator).__name__ == "SyncNormalizeFunction"
    assert layer.get_config()["synchronized"] is True
    plain = layers.BatchNormalization()
    assert type(plain(rng.normal(size=(6, 3)), training=True).creator).__name__ == (
        "NormalizeFunction")
