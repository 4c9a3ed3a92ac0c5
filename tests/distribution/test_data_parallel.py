"""DataParallel training: N ranks under mpiexec equal one process with the same global batch.

The MPI scripts write what each rank ended with (weights, History, evaluate/predict results,
glass-box norms) to ``out/``; the single-process references are computed here, in pytest, from
the same builder code (``COMMON``) and seeds, never hard-coded.
"""

import json
import textwrap

import numpy as np
import pytest

import glassnet as gn
from glassnet.config import batch_shard, config, shard_draw
from glassnet.distribution import data_parallel as dp
from glassnet.errors import GlassnetTypeError, GlassnetValueError

COMMON = textwrap.dedent("""
    import numpy as np
    import glassnet as gn

    N_TRAIN, N_VAL, BATCH, EPOCHS = 90, 37, 16, 2

    def data():
        r = np.random.default_rng(1)
        x = r.normal(size=(N_TRAIN + N_VAL, 5))
        y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1)
        return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]

    def build(optimizer, width=8, shaped=True):
        gn.manual_seed(0)
        shape = {"input_shape": (5,)} if shaped else {}
        model = gn.Sequential([gn.layers.Dense(width, activation="relu", **shape),
                               gn.layers.Dropout(0.3),
                               gn.layers.Dense(3, activation="softmax")])
        opt = (gn.optimizers.Adam(0.01) if optimizer == "adam"
               else gn.optimizers.SGD(0.1, momentum=0.9))
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    def stopper():
        return gn.callbacks.EarlyStopping(monitor="val_loss", patience=0)

    def train(dtype, optimizer, shaped=True, **fit_args):
        from glassnet.config import set_floatx
        set_floatx(dtype)
        try:
            model = build(optimizer, shaped=shaped)
            x, y, _, _ = data()
            history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=True,
                                **{"verbose": 0, **fit_args})
        finally:
            set_floatx("float32")
        return model, history.history
""")

SCRIPT = COMMON + textwrap.dedent("""
    import json, os, sys
    out = sys.argv[1]
    gn.distribution.initialize()
    gn.distribution.set_distribution(gn.distribution.DataParallel())
    rank, size = gn.distribution.process_index(), gn.distribution.num_processes()
    arrays, logs = {}, {}
    for dtype in ("float32", "float64"):
        for opt in ("adam", "sgd"):
            model, history = train(dtype, opt)
            for i, w in enumerate(model.get_weights()):
                arrays[f"{dtype}-{opt}-{i}"] = w
            logs[f"{dtype}-{opt}"] = history
    model, logs["unbuilt"] = train("float32", "sgd", shaped=False)  # built by its first step
    for i, w in enumerate(model.get_weights()):
        arrays[f"unbuilt-{i}"] = w
    x, y, xv, yv = data()
    model, _ = train("float32", "adam")
    logs["evaluate"] = model.evaluate(xv, yv, batch_size=BATCH, verbose=0, return_dict=True)
    arrays["predict"] = model.predict(xv, batch_size=BATCH, verbose=0)
    arrays["predict3"] = model.predict(xv, batch_size=3, verbose=0)  # some shards empty
    for i, w in enumerate(model.get_weights()):
        arrays[f"final-{i}"] = w
    # glass box: one recorded step of 16 rows from a known generator state
    gn.manual_seed(99)
    with gn.layers.recording(model):
        model.fit(x[:16], y[:16], batch_size=16, epochs=1, shuffle=False, verbose=0)
    seen = model.layers[0].inspect()
    name = model.layers[0].kernel.name
    arrays["norms"] = seen["rank_grad_norms"][name]
    arrays["avg_grad"] = seen["grads"][name]
    # files and printing: only rank 0 (each rank gets its own folder; only files_r0 may fill)
    folder = f"files_r{rank}"
    os.makedirs(folder, exist_ok=True)
    cbs = [gn.callbacks.ModelCheckpoint(folder + "/ckpt-{epoch}.glassnet", monitor="loss"),
           gn.callbacks.CSVLogger(folder + "/log.csv"), stopper()]
    _, logs["with_callbacks"] = train("float32", "adam", callbacks=cbs, verbose=2,
                                      validation_data=(xv, yv))
    # auto_shard_dataset=False: each rank's iterable yields its own rows of every batch
    gn.distribution.set_distribution(gn.distribution.DataParallel(auto_shard_dataset=False))
    model = build("sgd")
    own = []
    for start in range(0, N_TRAIN, BATCH):
        o = gn.distribution.shard_offsets(min(BATCH, N_TRAIN - start), size)
        own.append((x[start + o[rank]:start + o[rank + 1]], y[start + o[rank]:start + o[rank + 1]]))
    logs["own_shards"] = model.fit(own, epochs=EPOCHS, verbose=0).history
    for i, w in enumerate(model.get_weights()):
        arrays[f"own-{i}"] = w
    np.savez(os.path.join(out, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(logs, f)
""")

RESUME = COMMON + textwrap.dedent("""
    import os, sys
    out, checkpoint = sys.argv[1], sys.argv[2]
    gn.distribution.initialize()
    gn.distribution.set_distribution(gn.distribution.DataParallel())
    gn.manual_seed(12345)          # a new run: the checkpoint's generator state must win
    model = gn.models.load_model(checkpoint)
    x, y, _, _ = data()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, initial_epoch=1, shuffle=True, verbose=0)
    rank = gn.distribution.process_index()
    np.savez(os.path.join(out, f"resumed{rank}.npz"), *model.get_weights())
""")

MISMATCH = COMMON + textwrap.dedent("""
    gn.distribution.initialize()
    gn.distribution.set_distribution(gn.distribution.DataParallel())
    model = build("sgd", width=8 + gn.distribution.process_index())
    x, y, _, _ = data()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
""")


def _namespace():
    space = {}
    exec(COMPILED, space)  # the same builder code the MPI scripts run
    return space


COMPILED = compile(COMMON, "<common>", "exec")


@pytest.fixture(scope="module")
def reference():
    """Single-process runs (no distribution) of every configuration the scripts train."""
    space = _namespace()
    assert config.distribution is None
    runs = {}
    for dtype in ("float32", "float64"):
        for opt in ("adam", "sgd"):
            runs[f"{dtype}-{opt}"] = space["train"](dtype, opt)
    runs["unbuilt"] = space["train"]("float32", "sgd", shaped=False)
    return space, runs


def _launch(run_mpi, tmp_path, n, script, *args, timeout=120):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    result = run_mpi(n, script, args=(str(out), *args), timeout=timeout)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    return out, result


@pytest.mark.parametrize("n", [2, 4])
def test_n_ranks_equal_one_process(run_mpi, tmp_path, reference, n):
    """Weights, History, evaluate, predict, glass box and files under mpiexec -n 2 / -n 4.

    Broken variants checked: without the n_r/B gradient scaling (a plain sum) the weights
    differed by ~1e-2; with Dropout drawing only the shard's rows (no shard_draw) the weights
    and the losses differed; without the callback filter files_r1 held checkpoints and the
    progress line appeared n times; building an unbuilt model before the first shuffle (not
    inside the first step, as one process does) made 'unbuilt' differ by ~1.5.
    """
    space, runs = reference
    out, result = _launch(run_mpi, tmp_path, n, SCRIPT)
    ranks = [np.load(out / f"rank{r}.npz") for r in range(n)]
    logs = [json.loads((out / f"rank{r}.json").read_text()) for r in range(n)]
    for key, (model, history) in runs.items():
        tolerance = 1e-10 if key.startswith("float64") else 1e-5
        for r in range(n):
            for i, expected in enumerate(model.get_weights()):
                got = ranks[r][f"{key}-{i}"]
                assert got.dtype == expected.dtype
                np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance,
                                           err_msg=f"{key} weight {i} rank {r}")
            assert logs[r][key] == logs[0][key]  # identical on every rank
        for name, values in history.items():
            np.testing.assert_allclose(logs[0][key][name], values, rtol=1e-6, atol=tolerance)
    # evaluate / predict: equal to one process with the same final weights, rows in order
    model = space["build"]("adam")
    model.set_weights([ranks[0][f"final-{i}"] for i in range(len(model.get_weights()))])
    _, _, xv, yv = space["data"]()
    expected = model.evaluate(xv, yv, batch_size=16, verbose=0, return_dict=True)
    for r in range(n):
        assert logs[r]["evaluate"] == logs[0]["evaluate"]
        for name, value in expected.items():
            assert logs[r]["evaluate"][name] == pytest.approx(value, rel=1e-6, abs=1e-7)
        for key in ("predict", "predict3"):
            np.testing.assert_allclose(ranks[r][key], model.predict(xv, verbose=0),
                                       rtol=1e-6, atol=1e-7)
    # glass box: per-rank norms of each shard's gradient, and the averaged gradient
    x, y, _, _ = space["data"]()
    offsets = dp.shard_offsets(16, n)
    shard_norms = []
    for r in range(n):
        gn.manual_seed(99)
        with batch_shard(offsets[r], offsets[r + 1], 16):
            y_pred = model(x[offsets[r]:offsets[r + 1]].astype(np.float32), training=True)
        loss = model.compute_loss(y=y[offsets[r]:offsets[r + 1]], y_pred=y_pred)
        model.layers[0].kernel.grad = None
        loss.backward()
        shard_norms.append(float(np.linalg.norm(model.layers[0].kernel.grad.data)))
    gn.manual_seed(99)
    with gn.layers.recording(model):
        model.fit(x[:16], y[:16], batch_size=16, epochs=1, shuffle=False, verbose=0)
    single_grad = model.layers[0].inspect()["grads"][model.layers[0].kernel.name]
    assert "rank_grad_norms" not in model.layers[0].inspect()  # one process: no such entry
    for r in range(n):
        np.testing.assert_allclose(ranks[r]["norms"], shard_norms, rtol=1e-5)
        np.testing.assert_allclose(ranks[r]["avg_grad"], single_grad, rtol=1e-5, atol=1e-7)
    assert len(set(np.round(ranks[0]["norms"], 6))) > 1  # the ranks saw different gradients
    # only rank 0 wrote files and printed
    assert sorted(p.name for p in (tmp_path / "files_r0").iterdir()) == [
        "ckpt-1.glassnet", "ckpt-2.glassnet", "log.csv"]
    for r in range(1, n):
        assert list((tmp_path / f"files_r{r}").iterdir()) == []
    assert result.stdout.count("Epoch 1/2") == 1, result.stdout
    # validation and a deciding callback: the same History as one process, on every rank
    _, with_val = space["train"]("float32", "adam", validation_data=(xv, yv),
                                 callbacks=[space["stopper"]()])
    for r in range(n):
        assert logs[r]["with_callbacks"] == logs[0]["with_callbacks"]
    assert sorted(logs[0]["with_callbacks"]) == sorted(with_val) and "val_loss" in with_val
    for name, values in with_val.items():
        np.testing.assert_allclose(logs[0]["with_callbacks"][name], values, rtol=1e-6)
    lines = (tmp_path / "files_r0" / "log.csv").read_text().splitlines()
    column = lines[0].split(",").index("loss")
    np.testing.assert_allclose([float(line.split(",")[column]) for line in lines[1:]],
                               with_val["loss"], rtol=1e-6)
    # auto_shard_dataset=False (each rank reads its own rows) equals one process, no shuffle
    own = space["build"]("sgd")
    own_history = own.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    for r in range(n):
        assert logs[r]["own_shards"] == logs[0]["own_shards"]
        for i, expected in enumerate(own.get_weights()):
            np.testing.assert_allclose(ranks[r][f"own-{i}"], expected, rtol=0, atol=1e-5)
    for name, values in own_history.items():
        np.testing.assert_allclose(logs[0]["own_shards"][name], values, rtol=1e-6)
    if n == 2:  # the checkpoint rank 0 wrote under -n 2 resumes under -n 4
        checkpoint = tmp_path / "files_r0" / "ckpt-1.glassnet"
        out, _ = _launch(run_mpi, tmp_path / "files_r0", 4, RESUME, str(checkpoint))
        straight = runs["float32-adam"][0].get_weights()
        for r in range(4):
            resumed = np.load(out / f"resumed{r}.npz")
            for i, expected in enumerate(straight):
                np.testing.assert_allclose(resumed[f"arr_{i}"], expected, rtol=0, atol=1e-5)


def test_mismatched_models_fail_on_every_rank(run_mpi):
    result = run_mpi(2, MISMATCH, timeout=60)
    assert result.returncode not in (0, None), result.stderr[-2000:]
    assert result.stderr.count("the model differs between ranks 0 and 1") == 2, \
        result.stderr[-3000:]
    assert "(5, 8) float32 on rank 0 but" in result.stderr


# ------------------------------------------------------------------ one process, no MPI
def test_initialize_alone_is_a_single_process():
    comm = gn.distribution.initialize()
    assert (comm.rank, comm.size) == (0, 1)
    assert gn.distribution.initialize() is comm  # joined once
    assert gn.distribution.initialize(num_processes=1, process_id=0) is comm
    assert gn.distribution.list_devices() == ["cpu:0"]
    assert gn.distribution.list_devices("gpu") == []
    assert gn.distribution.process_index() == 0 and gn.distribution.num_processes() == 1


@pytest.mark.parametrize("kwargs, error, words", [
    ({"num_processes": 2}, GlassnetValueError, "num_processes=2"),
    ({"process_id": 1}, GlassnetValueError, "process_id=1"),
    ({"num_processes": "2"}, GlassnetTypeError, "num_processes"),
    ({"job_addresses": 5}, GlassnetTypeError, "job_addresses"),
])
def test_initialize_refuses_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        gn.distribution.initialize(**kwargs)


def test_keras_paths_and_lazy_mpi():
    import subprocess
    import sys

    code = ("import sys, glassnet as gn, glassnet.keras as k; "
            "assert k.distribution.DataParallel is gn.distribution.DataParallel; "
            "print('mpi4py' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_shard_offsets_follow_array_split():
    for n in (0, 1, 5, 16, 10):
        for size in (1, 2, 3, 4):
            parts = np.array_split(np.arange(n), size)
            offsets = dp.shard_offsets(n, size)
            assert [offsets[r + 1] - offsets[r] for r in range(size)] == [len(p) for p in parts]
            assert offsets[0] == 0 and offsets[-1] == n
    assert dp.DataParallel().shard(10, rank=3, size=4) == (8, 10)
    for bad in ((-1, 2), (3, 0), (2.0, 2), (True, 2)):
        with pytest.raises(GlassnetValueError):
            dp.shard_offsets(*bad)
    with pytest.raises(GlassnetValueError, match="rank"):
        dp.DataParallel().shard(10, rank=4, size=4)


def test_data_parallel_and_set_distribution_api():
    strategy = gn.distribution.DataParallel(devices=["cpu:0"])
    assert strategy.batch_dim_name == "batch"
    gn.distribution.set_distribution(strategy)
    try:
        assert gn.distribution.distribution() is strategy is config.distribution
    finally:
        gn.distribution.set_distribution(None)
    assert gn.distribution.distribution() is None
    with pytest.raises(GlassnetTypeError, match="DataParallel or None"):
        gn.distribution.set_distribution("data_parallel")
    with pytest.raises(GlassnetValueError, match="cpu:0"):
        gn.distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(GlassnetTypeError, match="devices"):
        gn.distribution.DataParallel(devices="cpu:0")
    with pytest.raises(GlassnetValueError, match="not both"):
        gn.distribution.DataParallel(device_mesh=["cpu:0"], devices=["cpu:0"])
    with pytest.raises(GlassnetTypeError, match="auto_shard_dataset"):
        gn.distribution.DataParallel(auto_shard_dataset=1)
    for bad in (0, -1.0, float("inf"), "10", True):
        with pytest.raises(GlassnetValueError, match="timeout"):
            gn.distribution.DataParallel(timeout=bad)
    assert gn.distribution.DataParallel(timeout=5).timeout == 5.0


def test_one_rank_data_parallel_is_bit_identical(reference):
    """The distributed path on one rank (scale 1, identity collectives) changes nothing."""
    space, runs = reference
    gn.distribution.set_distribution(gn.distribution.DataParallel())
    try:
        model, history = space["train"]("float32", "sgd")
        _, _, xv, yv = space["data"]()
        got = model.evaluate(xv, yv, verbose=0, return_dict=True), model.predict(xv, verbose=0)
    finally:
        gn.distribution.set_distribution(None)
    plain, plain_history = runs["float32-sgd"]
    assert history == plain_history
    for a, b in zip(model.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert got[0] == plain.evaluate(xv, yv, verbose=0, return_dict=True)
    np.testing.assert_array_equal(got[1], plain.predict(xv, verbose=0))


def test_custom_train_step_is_refused_under_data_parallel():
    class Custom(gn.Sequential):
        def train_step(self, data):
            return {}

    model = Custom([gn.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    gn.distribution.set_distribution(gn.distribution.DataParallel())
    try:
        with pytest.raises(GlassnetValueError, match="overrides train_step"):
            model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    finally:
        gn.distribution.set_distribution(None)


def test_shard_draw_takes_the_rows_of_a_global_draw():
    def draw(shape):
        return np.random.default_rng(3).random(shape)

    whole = draw((6, 2))
    with batch_shard(2, 4, 6):
        np.testing.assert_array_equal(shard_draw(draw, (2, 2)), whole[2:4])
        np.testing.assert_array_equal(shard_draw(draw, (1, 2)), draw((1, 2)))  # broadcast
    np.testing.assert_array_equal(shard_draw(draw, (2, 2)), draw((2, 2)))  # no shard set
    layer = gn.layers.Dropout(0.5)
    gn.manual_seed(4)
    full = layer(np.ones((6, 3), np.float32), training=True).numpy()
    gn.manual_seed(4)
    with batch_shard(4, 6, 6):
        part = layer(np.ones((2, 3), np.float32), training=True).numpy()
    np.testing.assert_array_equal(part, full[4:6])
    noise = gn.layers.GaussianNoise(1.0)
    gn.manual_seed(4)
    full = noise(np.zeros((6, 3), np.float32), training=True).numpy()
    gn.manual_seed(4)
    with batch_shard(0, 3, 6):
        part = noise(np.zeros((3, 3), np.float32), training=True).numpy()
    np.testing.assert_array_equal(part, full[:3])
