"""``glassnet inspect``: the summary, per-weight statistics (checked with NumPy) and the PNG."""

import json
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli


@pytest.fixture
def model_file(tmp_path):
    gn.manual_seed(7)
    model = gn.Sequential([gn.layers.Conv2D(4, (3, 3), activation="relu",
                                            input_shape=(8, 8, 1), name="conv"),
                           gn.layers.Flatten(),
                           gn.layers.Dense(3, activation="softmax", name="out")])
    kernel, bias = model.layers[0].get_weights()
    kernel[..., 0] = 0.0  # a dead filter: a quarter of the kernel is zero
    model.layers[0].set_weights([kernel, bias])
    path = tmp_path / "small.glassnet"
    model.save(path)
    return path


def _inspect(argv, capsys):
    code = cli.main(["inspect", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_statistics_match_numpy(model_file, tmp_path, capsys):
    code, out, _ = _inspect([str(model_file), "--json", "--no-plot"], capsys)
    assert code == 0
    result = json.loads(out)
    model = gn.io.load_model(model_file)
    expected = {"conv/kernel": model.layers[0].get_weights()[0],
                "conv/bias": model.layers[0].get_weights()[1],
                "out/kernel": model.layers[2].get_weights()[0],
                "out/bias": model.layers[2].get_weights()[1]}
    assert list(result["weights"]) == list(expected)
    for name, array in expected.items():
        stats = result["weights"][name]
        values = array.astype(np.float64)
        assert stats["shape"] == list(array.shape)
        assert stats["mean"] == pytest.approx(values.mean(), abs=1e-9)
        assert stats["std"] == pytest.approx(values.std(), abs=1e-9)
        assert stats["min"] == values.min() and stats["max"] == values.max()
        assert stats["abs_mean"] == pytest.approx(np.abs(values).mean(), abs=1e-9)
        assert stats["zeros"] == pytest.approx((values == 0).mean())
    assert result["weights"]["conv/kernel"]["zeros"] == pytest.approx(0.25)
    assert result["weights"]["conv/bias"]["zeros"] == 1.0  # zeros-initialised, untrained
    assert any("Total params" in line for line in result["summary"])
    assert result["histograms"] is None and "--no-plot" in result["note"]


def test_text_report_and_histogram_png(model_file, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    image = pytest.importorskip("PIL.Image")
    figures = tmp_path / "figures"
    code, out, _ = _inspect([str(model_file), "--out", str(figures)], capsys)
    assert code == 0
    assert "Total params" in out and "|w| mean" in out and "conv/kernel" in out
    png = figures / "small.weights.png"
    assert f"Weight histograms: {png}" in out
    with image.open(png) as opened:  # a real PNG with room for four panels
        assert opened.format == "PNG" and opened.size[0] > 400 and opened.size[1] > 300


def test_the_png_goes_beside_the_model_by_default(model_file, capsys):
    pytest.importorskip("matplotlib")
    assert _inspect([str(model_file)], capsys)[0] == 0
    assert (model_file.parent / "small.weights.png").stat().st_size > 1000


def test_without_matplotlib_text_only_with_a_note(model_file, capsys, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)
    code, out, _ = _inspect([str(model_file)], capsys)
    assert code == 0
    assert "conv/kernel" in out and 'pip install "glassnet[viz]"' in out
    assert not (model_file.parent / "small.weights.png").exists()


def test_a_run_folder_and_a_missing_model(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--quick", "--train-samples", "200", "--val-samples", "50",
                     "--out", str(out), "--verbose", "0", "--no-plots"]) == 0
    capsys.readouterr()
    code, printed, _ = _inspect([str(out), "--no-plot"], capsys)
    assert code == 0 and "/kernel" in printed and "(784, 784)" in printed
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["inspect", str(tmp_path / "missing.glassnet")])
    assert exit_info.value.code == 2
