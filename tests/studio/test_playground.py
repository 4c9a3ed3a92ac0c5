"""The 2-D playground: spec validation, CSV parsing, real training, grids and the export."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.config import get_rng
from glassnet.datasets import synthetic
from glassnet.errors import GlassnetValueError
from glassnet.studio import playground as pg

ROOT = Path(__file__).resolve().parents[2]


def _accuracy(model, x, y):
    return model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]


def _train(spec, uploads=None):
    model, x_train, y_train, x_val, y_val = pg.build(spec, uploads)
    model.fit(x_train, y_train, **pg.fit_kwargs(spec, x_val, y_val))
    return model, x_train, y_train, x_val, y_val


# ----------------------------------------------------------------------------- spec
def test_defaults_and_normalization():
    assert pg.validate_spec() == pg.DEFAULT_SPEC
    spec = pg.validate_spec({"noise": 0, "learning_rate": 1, "hidden": (3, 4)})
    assert spec["noise"] == 0.0 and isinstance(spec["noise"], float)
    assert spec["learning_rate"] == 1.0 and spec["hidden"] == [3, 4]
    assert pg.validate_spec({"dataset": "upload:a1_b-2"})["dataset"] == "upload:a1_b-2"
    assert issubclass(pg.SpecError, GlassnetValueError)
    assert issubclass(pg.CSVError, GlassnetValueError)


BAD_FIELDS = [
    ("dataset", "moons"), ("dataset", "upload:"), ("dataset", "upload:../etc"), ("dataset", 3),
    ("noise", -0.1), ("noise", 1.5), ("noise", "0.1"), ("noise", float("nan")),
    ("samples", 49), ("samples", 2001), ("samples", 100.0), ("samples", True),
    ("hidden", [1] * 7), ("hidden", [0]), ("hidden", [17]), ("hidden", [2.0]), ("hidden", 4),
    ("activation", "softmax"), ("optimizer", "adagrad"), ("learning_rate", 0),
    ("learning_rate", -1), ("learning_rate", 11), ("batch_size", 0), ("epochs", 0),
    ("epochs", 2001), ("regularization", "l3"), ("regularization_rate", -0.5),
    ("validation_split", 0.6), ("seed", -1), ("seed", "7"),
]


@pytest.mark.parametrize("field, value", BAD_FIELDS)
def test_each_bad_field_is_named(field, value):
    with pytest.raises(pg.SpecError) as caught:
        pg.validate_spec({field: value})
    error = caught.value
    assert error.field == field
    assert error.received is value or error.received == value
    message = str(error)
    assert repr(field) in message and "expected" in message and "received" in message
    assert repr(value)[:20] in message
    assert set(error.text) == {"en", "zh"} and field in error.text["zh"]


def test_unknown_field_and_not_a_dict():
    with pytest.raises(pg.SpecError, match="'layers'"):
        pg.validate_spec({"layers": [3]})
    with pytest.raises(pg.SpecError, match="spec"):
        pg.validate_spec([1, 2])


def test_missing_upload_is_a_spec_error():
    with pytest.raises(pg.SpecError, match="dataset"):
        pg.build({"dataset": "upload:nothing"}, {})


# ----------------------------------------------------------------------------- CSV
def test_csv_with_and_without_header():
    text = "0.5,1,0\n-1,2e-1,1\n3,4,2\n"
    x, y = pg.parse_csv(text)
    np.testing.assert_array_equal(x, np.array([[0.5, 1], [-1, 0.2], [3, 4]], np.float32))
    assert x.dtype == np.float32 and y.dtype == np.int64 and y.tolist() == [0, 1, 2]
    x2, y2 = pg.parse_csv(("x1, x2, label\r\n" + text.replace("\n", "\r\n") + "\n\n").encode())
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert pg.describe_upload(x, y) == {"count": 3, "classes": 3}


@pytest.mark.parametrize("text, match, row, column", [
    ("x1,x2,label\n1,2,0\n1,abc,1\n", r"row 3, column 2 \(x2\).*'abc'", 3, 2),
    ("1,2,0\n3,4,1\n5,6\n", "row 3: expected 3 columns", 3, None),
    ("1,2,0,9\n3,4,1\n", "row 1: expected 3 columns", 1, None),
    ("1,2,0\nnan,4,1\n", "row 2, column 1.*finite", 2, 1),
    ("1,2,0\n3,inf,1\n", "row 2, column 2.*finite", 2, 2),
    ("1,2,0\n3,4,1.5\n", "row 2, column 3 \\(label\\).*integer", 2, 3),
    ("1,2,0\n3,4,10\n", "row 2, column 3", 2, 3),
    ("1,2,0\n3,4,-1\n", "row 2, column 3", 2, 3),
    ("x1,2,label\n3,4,1\n", "row 1, column 1", 1, 1),
    ("x1,x2,label\n1,2,0\n", "2 to 5000 data rows, received 1", None, None),
    ("", "empty", None, None),
    ("1,2,1\n3,4,1\n", "at least 2 classes", None, None),
])
def test_csv_errors_name_row_and_column(text, match, row, column):
    with pytest.raises(pg.CSVError, match=match) as caught:
        pg.parse_csv(text)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert set(caught.value.text) == {"en", "zh"}


def test_csv_size_and_row_limits():
    with pytest.raises(pg.CSVError, match="more than the limit of 100 bytes"):
        pg.parse_csv("1,2,0\n" * 30, max_bytes=100)
    big = "0,0,0\n" * ((1 << 20) // 6 + 1)
    with pytest.raises(pg.CSVError, match="limit"):
        pg.parse_csv(big)
    with pytest.raises(pg.CSVError, match="received 5001"):
        pg.parse_csv("".join(f"{i},{i},{i % 2}\n" for i in range(5001)))
    assert len(pg.parse_csv("".join(f"{i},{i},{i % 2}\n" for i in range(5000)))[0]) == 5000
    with pytest.raises(pg.CSVError, match="UTF-8"):
        pg.parse_csv(b"1,2,0\n\xff\xfe,1,1\n")


# ----------------------------------------------------------------------------- data
@pytest.mark.parametrize("dataset, call", [
    ("circles", lambda: synthetic.circles(n_samples=200, noise=0.3)),
    ("xor", lambda: synthetic.xor(n_samples=200, noise=0.3)),
    ("spirals", lambda: synthetic.spirals(n_samples=200, noise=0.3)),
    ("gaussians", lambda: synthetic.gaussians(n_samples=200, std=0.3)),
])
def test_data_is_the_synthetic_generator_seeded_then_shuffled(dataset, call):
    spec = {"dataset": dataset, "samples": 200, "noise": 0.3, "seed": 11,
            "validation_split": 0.25}
    model, x_train, y_train, x_val, y_val = pg.build(spec)
    gn.manual_seed(11)
    x, y = call()
    order = get_rng().permutation(200)
    x, y = x[order], np.asarray(y).reshape(-1)[order].astype(np.int64)
    np.testing.assert_array_equal(np.concatenate([x_val, x_train]), x)
    np.testing.assert_array_equal(np.concatenate([y_val, y_train]), y)
    assert len(x_val) == 50 and y_train.dtype == np.int64 and x_train.dtype == np.float32
    again = pg.build(spec)
    np.testing.assert_array_equal(again[1], x_train)
    other = pg.build({**spec, "seed": 12})
    assert not np.array_equal(other[1], x_train)
    assert model.loss == "binary_crossentropy" or "binary" in str(model.loss)
    assert model.layers[-1].units == 1


def test_multiclass_upload_uses_softmax_and_regularizers():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(90, 2))
    labels = np.repeat([0, 1, 2], 30)
    text = "\n".join(f"{a},{b},{c}" for (a, b), c in zip(points + labels[:, None] * 3, labels,
                                                         strict=True))
    uploads = {"u1": pg.parse_csv(text)}
    spec = {"dataset": "upload:u1", "hidden": [4], "regularization": "l1",
            "regularization_rate": 0.01, "epochs": 30, "validation_split": 0}
    model, x_train, y_train, x_val, y_val = _train(spec, uploads)
    assert len(x_val) == 0 and len(x_train) == 90
    assert model.layers[-1].units == 3
    for layer in model.layers:
        assert type(layer.kernel_regularizer).__name__ == "L1"
        assert layer.kernel_regularizer.l1 == pytest.approx(0.01)
    assert _accuracy(model, x_train, y_train) >= 0.9  # three well separated blobs


# ----------------------------------------------------------------------------- training
def test_xor_trains_to_ninety_percent():
    spec = {"dataset": "xor", "samples": 400, "noise": 0.1, "hidden": [8, 8], "epochs": 30,
            "seed": 1}
    model, x_train, y_train, x_val, y_val = _train(spec)
    assert _accuracy(model, x_train, y_train) >= 0.9
    assert _accuracy(model, x_val, y_val) >= 0.9


def test_spirals_train_to_eighty_five_percent():
    spec = {"dataset": "spirals", "samples": 400, "noise": 0.1, "hidden": [16, 16, 16],
            "activation": "tanh", "optimizer": "adam", "learning_rate": 0.03,
            "epochs": 150, "seed": 0}
    model, x_train, y_train, x_val, y_val = _train(spec)
    assert _accuracy(model, x_train, y_train) >= 0.85
    assert _accuracy(model, x_val, y_val) >= 0.85


# ----------------------------------------------------------------------------- grids
def test_grid_payload_agrees_with_predict_and_numpy():
    spec = {"dataset": "circles", "samples": 600, "hidden": [5, 3], "epochs": 3}
    model, x_train, y_train, _, _ = _train(spec)
    payload = pg.grid_payload(model, x_train, y_train, resolution=30)
    assert json.loads(json.dumps(payload)) == payload
    xmin, xmax, ymin, ymax = payload["extent"]
    assert xmin < x_train[:, 0].min() and xmax > x_train[:, 0].max()
    assert ymin < x_train[:, 1].min() and ymax > x_train[:, 1].max()
    assert payload["resolution"] == 30 and payload["classes"] == 2
    xs, ys = np.linspace(xmin, xmax, 30), np.linspace(ymax, ymin, 30)
    grid = np.array([[x, y] for y in ys for x in xs], dtype=np.float32)
    expected = model.predict(grid, verbose=0)[:, 0].reshape(30, 30)
    np.testing.assert_allclose(np.array(payload["boundary"]), expected, rtol=1e-5, atol=1e-6)
    # every hidden neuron, at 24 x 24, equals tanh(x W + b) computed here with NumPy
    assert [len(layer) for layer in payload["neurons"]] == [5, 3]
    xs, ys = np.linspace(xmin, xmax, 24), np.linspace(ymax, ymin, 24)
    grid = np.array([[x, y] for y in ys for x in xs], dtype=np.float64)
    kernel, bias = model.layers[0].get_weights()
    first = np.tanh(grid @ kernel + bias)
    kernel2, bias2 = model.layers[1].get_weights()
    second = np.tanh(first @ kernel2 + bias2)
    for layer, values in ((0, first), (1, second)):
        for unit, neuron in enumerate(payload["neurons"][layer]):
            assert (neuron["layer"], neuron["unit"]) == (layer, unit)
            np.testing.assert_allclose(np.array(neuron["map"]),
                                       values[:, unit].reshape(24, 24), atol=2e-5)
    assert len(payload["points"]) <= 500
    first_point = payload["points"][0]
    assert first_point[2] == int(y_train[0])
    np.testing.assert_allclose(first_point[:2], x_train[0], rtol=1e-5)


def test_grid_payload_multiclass_boundary_is_class_over_k_minus_one():
    text = "\n".join(f"{k * 2 + 0.1 * i},{k},{k}" for k in range(4) for i in range(5))
    spec = {"dataset": "upload:z", "hidden": [], "epochs": 2}
    model, x_train, y_train, _, _ = _train(spec, {"z": pg.parse_csv(text)})
    payload = pg.grid_payload(model, x_train, y_train, resolution=12)
    assert payload["classes"] == 4 and payload["neurons"] == []
    xmin, xmax, ymin, ymax = payload["extent"]
    xs, ys = np.linspace(xmin, xmax, 12), np.linspace(ymax, ymin, 12)
    grid = np.array([[x, y] for y in ys for x in xs], dtype=np.float32)
    expected = model.predict(grid, verbose=0).argmax(axis=1).reshape(12, 12) / 3
    np.testing.assert_allclose(np.array(payload["boundary"]), expected, rtol=1e-5)


# ----------------------------------------------------------------------------- export
def _run_script(script, tmp_path):
    path = tmp_path / "run.py"
    path.write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return dict(line.split(": ") for line in done.stdout.strip().splitlines())


def test_export_script_reproduces_the_run_bit_for_bit(tmp_path):
    spec = {"dataset": "spirals", "samples": 300, "noise": 0.1, "hidden": [16, 16],
            "optimizer": "rmsprop", "regularization": "l2", "epochs": 40, "seed": 5}
    model, x_train, y_train, x_val, y_val = _train(spec)
    printed = _run_script(pg.export_script(spec), tmp_path)
    assert printed["accuracy"] == f"{_accuracy(model, x_train, y_train):.6f}"
    assert printed["val_accuracy"] == f"{_accuracy(model, x_val, y_val):.6f}"


def test_export_of_an_upload_embeds_the_data(tmp_path):
    rows = [(math.cos(i), math.sin(i) * 0.5 + (i % 2), i % 2) for i in range(40)]
    csv = "x1,x2,label\n" + "\n".join(f"{a:.5f},{b:.5f},{c}" for a, b, c in rows)
    uploads = {"up": pg.parse_csv(csv)}
    spec = {"dataset": "upload:up", "hidden": [4], "optimizer": "sgd", "learning_rate": 0.5,
            "epochs": 15, "validation_split": 0, "seed": 2}
    script = pg.export_script(spec, uploads)
    assert "DATA = [" in script and "open(" not in script and ".csv" not in script
    model, x_train, y_train, _, _ = _train(spec, uploads)
    printed = _run_script(script, tmp_path)
    assert printed == {"accuracy": f"{_accuracy(model, x_train, y_train):.6f}"}
