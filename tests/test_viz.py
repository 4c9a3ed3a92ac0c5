"""Tests for glassnet.viz: figure structure, plotted data, saving, and the optional dependency."""

import math
import os
import subprocess
import sys
import types

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import glassnet as gn
from glassnet import viz
from glassnet.errors import GlassnetValueError, ShapeError, UnknownIdentifierError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def line_data(line):
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def assert_png(path):
    data = open(path, "rb").read()
    assert len(data) > 1000
    assert data.startswith(PNG_SIGNATURE)


def assert_svg(path):
    data = open(path, "rb").read()
    assert len(data) > 1000
    assert b"<svg" in data[:2000]


# ---------------------------------------------------------------- optional dependency, saving


def test_importing_glassnet_and_viz_does_not_import_matplotlib():
    code = "import sys, glassnet, glassnet.viz; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "False"


def test_missing_matplotlib_raises_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError) as info:
        viz.plot_history({"loss": [1.0, 0.5]})
    assert str(info.value) == "glassnet.viz needs matplotlib: pip install 'glassnet[viz]'"
    # The NumPy helper keeps working without matplotlib.
    assert viz.confusion_matrix([0, 1], [1, 1]).tolist() == [[0, 1], [0, 1]]


def test_figures_are_object_oriented_not_pyplot():
    fig = viz.plot_history({"loss": [1.0, 0.5]})
    assert isinstance(fig, Figure)
    assert "matplotlib.pyplot" not in sys.modules or not matplotlib.pyplot.get_fignums()


def test_save_png_and_svg_by_extension_creating_folders(tmp_path):
    history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]}
    png, svg = tmp_path / "out" / "curves.png", tmp_path / "curves.svg"
    assert isinstance(viz.plot_history(history, path=png), Figure)
    viz.plot_history(history, path=str(svg))
    assert_png(png)
    assert_svg(svg)


def test_save_rejects_unknown_extension(tmp_path):
    with pytest.raises(GlassnetValueError, match=r"\.png"):
        viz.plot_history({"loss": [1.0]}, path=tmp_path / "curves.nope")


# ---------------------------------------------------------------- curves


def test_plot_history_one_panel_per_metric_with_validation():
    history = types.SimpleNamespace(history={
        "loss": [0.9, 0.5, 0.3], "accuracy": [0.5, 0.7, 0.8],
        "val_loss": [1.0, 0.6, 0.5], "val_accuracy": [0.4, 0.6, 0.7],
    })
    fig = viz.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    x, y = line_data(fig.axes[0].lines[0])
    np.testing.assert_allclose(x, [1, 2, 3])
    np.testing.assert_allclose(y, [0.9, 0.5, 0.3])
    np.testing.assert_allclose(line_data(fig.axes[1].lines[1])[1], [0.4, 0.6, 0.7])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["train", "validation"]


def test_plot_history_without_validation_and_selected_metrics():
    history = {"loss": [0.9, 0.5], "accuracy": [0.5, 0.7]}
    fig = viz.plot_history(history, metrics="accuracy")
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1
    with pytest.raises(GlassnetValueError, match="accuracyy"):
        viz.plot_history(history, metrics=["accuracyy"])
    with pytest.raises(TypeError, match="history"):
        viz.plot_history([0.9, 0.5])


def test_plot_history_accepts_tensor_values():
    fig = viz.plot_history({"loss": [gn.tensor(0.5), gn.tensor(0.25)]})
    np.testing.assert_allclose(line_data(fig.axes[0].lines[0])[1], [0.5, 0.25])


def test_plot_fit_over_time_overlay_and_separate():
    x = np.linspace(0, 2 * np.pi, 30)
    checkpoints = {1000: 0.5 * np.sin(x), 5000: 0.9 * np.sin(x), 100000: np.sin(x)[:, None]}
    fig = viz.plot_fit_over_time(x[:, None], np.sin(x), checkpoints)
    (ax,) = fig.axes
    assert len(ax.lines) == 4  # target + 3 checkpoints
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["target", "after 1,000 steps", "after 5,000 steps", "after 100,000 steps"]
    np.testing.assert_allclose(line_data(ax.lines[1])[1], 0.5 * np.sin(x))
    assert ax.lines[1].get_linestyle() == "--"
    fig = viz.plot_fit_over_time(x, np.sin(x), checkpoints, separate=True)
    assert [len(a.lines) for a in fig.axes] == [2, 2, 2]
    with pytest.raises(GlassnetValueError, match="predictions_by_step"):
        viz.plot_fit_over_time(x, np.sin(x), {1: x[:10]})


def test_plot_schedules_lists_and_callables():
    seed_list = [0.1, 0.1, 0.09, 0.09, 0.081, 0.081]  # seed 003's exponential_decay_lr output
    fig = viz.plot_schedules({"exponential": seed_list, "inverse": lambda s: 0.1 / (1 + s)},
                             steps=4)
    (ax,) = fig.axes
    assert len(ax.lines) == 2
    x, y = line_data(ax.lines[0])  # a staircase: step i's rate over [i, i + 1)
    np.testing.assert_allclose(x, np.arange(7))
    np.testing.assert_allclose(y, seed_list + [0.081])
    assert ax.lines[0].get_drawstyle() == "steps-post"
    np.testing.assert_allclose(line_data(ax.lines[1])[1], [0.1, 0.05, 0.1 / 3, 0.025, 0.025])
    fig = viz.plot_schedules(lambda s: 2.0 ** -s, steps=[0, 2], log_scale=True)
    x, y = line_data(fig.axes[0].lines[0])
    np.testing.assert_allclose(x, [0, 2, 3])
    np.testing.assert_allclose(y, [1.0, 0.25, 0.25])
    assert fig.axes[0].get_yscale() == "log"


def test_plot_gradient_norms_bars_and_series():
    fig = viz.plot_gradient_norms({"dense": 1e-5, "dense_1": 1e-3, "dense_2": 0.1})
    (ax,) = fig.axes
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [1e-5, 1e-3, 0.1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dense", "dense_1", "dense_2"]
    assert ax.get_yscale() == "log"
    fig = viz.plot_gradient_norms({"a": [1.0, 0.5, 0.25], "b": [2.0, 4.0, 8.0]}, log_scale=False)
    assert len(fig.axes[0].lines) == 2
    np.testing.assert_allclose(line_data(fig.axes[0].lines[1])[1], [2.0, 4.0, 8.0])
    with pytest.raises(TypeError, match="norms_by_layer"):
        viz.plot_gradient_norms([1.0, 2.0])


# ---------------------------------------------------------------- functions


def test_plot_activations_values_and_autodiff_derivatives():
    x = np.array([-2.0, 0.0, 2.0])
    fig = viz.plot_activations(["sigmoid", "relu", "tanh"], x=x)
    assert [ax.get_title() for ax in fig.axes] == ["sigmoid", "relu", "tanh"]
    assert [len(ax.lines) for ax in fig.axes] == [2, 2, 2]
    sigmoid, d_sigmoid = (line_data(line)[1] for line in fig.axes[0].lines)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(sigmoid, s, rtol=1e-6)
    np.testing.assert_allclose(d_sigmoid, s * (1 - s), rtol=1e-6)  # 0.25 at 0
    np.testing.assert_allclose(line_data(fig.axes[1].lines[1])[1], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(line_data(fig.axes[2].lines[1])[1], 1 - np.tanh(x) ** 2,
                               rtol=1e-6)


def test_plot_activations_plain_numpy_callable_and_options():
    x = np.linspace(-1, 1, 5)
    fig = viz.plot_activations(np.sin, x=gn.tensor(x), derivatives=False)
    assert fig.axes[0].get_title() == "sin" and len(fig.axes[0].lines) == 1
    y, dy = viz.activation_and_derivative(lambda v: np.asarray(v) ** 3, x)
    np.testing.assert_allclose(y, x ** 3)
    np.testing.assert_allclose(dy, 3 * x ** 2, atol=1e-6)  # numerical derivative
    _, d_step = viz.activation_and_derivative("step", x)
    np.testing.assert_array_equal(d_step, np.zeros(5))
    with pytest.raises(GlassnetValueError, match="plot_softmax_vs_max"):
        viz.plot_activations("softmax")
    with pytest.raises(UnknownIdentifierError):
        viz.plot_activations("sigmod")


def test_plot_losses_gallery_formulas_and_values():
    fig = viz.plot_losses(points=5)
    names = [ax.get_title().split(":")[0] for ax in fig.axes]
    assert names == ["0-1", "absolute", "hinge", "log", "squared", "exponential"]
    assert r"\max(0,\ 1 - y \cdot a)" in fig.axes[2].get_title()
    assert [len(ax.lines) for ax in fig.axes] == [1, 1, 1, 2, 1, 1]
    # margin grid -2, -1, 0, 1, 2 and prediction grid -1, 0, 1, 2, 3
    np.testing.assert_allclose(line_data(fig.axes[0].lines[0])[1], [1, 1, 1, 0, 0])
    np.testing.assert_allclose(line_data(fig.axes[1].lines[0])[1], [2, 1, 0, 1, 2])
    np.testing.assert_allclose(line_data(fig.axes[2].lines[0])[1], [3, 2, 1, 0, 0])
    np.testing.assert_allclose(line_data(fig.axes[4].lines[0])[1], [4, 1, 0, 1, 4])
    np.testing.assert_allclose(line_data(fig.axes[5].lines[0])[1], np.exp([2, 1, 0, -1, -2]))
    x, log_y1 = line_data(fig.axes[3].lines[0])
    np.testing.assert_allclose(log_y1, -np.log(x))
    np.testing.assert_allclose(line_data(fig.axes[3].lines[1])[1], -np.log(1 - x))
    with pytest.raises(UnknownIdentifierError, match="hinge"):
        viz.plot_losses(["hinj"])


def test_plot_softmax_vs_max_bar_heights():
    fig = viz.plot_softmax_vs_max([1, 2, 5, 3])
    e = np.exp([1.0, 2.0, 5.0, 3.0])
    heights = [[p.get_height() for p in ax.patches] for ax in fig.axes]
    np.testing.assert_allclose(heights[0], [1, 2, 5, 3])
    np.testing.assert_allclose(heights[1], e / e.sum())
    assert heights[2] == [0, 0, 1, 0]


# ---------------------------------------------------------------- gradient descent


def test_descent_path_reproduces_seed_002():
    np.testing.assert_allclose(viz.descent_path(lambda x: 2 * x, 1.2, 0.3, 2), [1.2, 0.48, 0.192])
    np.testing.assert_allclose(viz.descent_path(lambda x: 2 * x, 1.2, 1.0, 3),
                               [1.2, -1.2, 1.2, -1.2])

    def grad(p):
        return np.array([2 * p[0], 2 * np.sin(p[1]) * np.cos(p[1])])

    path = viz.descent_path(grad, [3.0, 1.0], 0.1, 16)
    assert path.shape == (17, 2)
    # Seed 002, table 2-3 rows "2", "15" and "16": (2.4, 0.909070), (0.105553, 0.063481) and
    # (0.084442, 0.050819); x after n updates is 3 * 0.8^n, so the table's last two rows are
    # after 15 and 16 updates (its "…" hides an off-by-one in the row numbers).
    np.testing.assert_allclose(path[1], [2.4, 0.909070], atol=1e-6)
    np.testing.assert_allclose(path[15], [0.105553, 0.063481], atol=1e-6)
    np.testing.assert_allclose(path[16], [0.084442, 0.050819], atol=1e-6)
    np.testing.assert_allclose(path[:, 0], 3 * 0.8 ** np.arange(17))


def test_plot_descent_1d_path_line_has_the_points():
    points = [1.2, 0.48, 0.192]
    fig = viz.plot_descent_1d(lambda x: x ** 2, points)
    (ax,) = fig.axes
    curve, path, start = ax.lines
    x, y = line_data(path)
    np.testing.assert_allclose(x, points)
    np.testing.assert_allclose(y, [1.44, 0.2304, 0.036864])
    np.testing.assert_allclose(line_data(start)[0], [1.2])
    assert line_data(curve)[0].min() < 0.192 and line_data(curve)[0].max() > 1.2


def test_plot_descent_1d_accepts_scalar_only_function():
    fig = viz.plot_descent_1d(lambda x: math.cos(x), [0.0, 1.0], x=[0.0, 0.5, 1.0])
    np.testing.assert_allclose(line_data(fig.axes[0].lines[0])[1], np.cos([0.0, 0.5, 1.0]))


def test_plot_lr_comparison_one_panel_per_rate():
    paths = {lr: viz.descent_path(lambda x: 2 * x, 1.2, lr, 4) for lr in (1.0, 0.8, 0.4, 0.1)}
    fig = viz.plot_lr_comparison(lambda x: x ** 2, paths)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes][0] == "learning rate = 1.0, 4 steps"
    x, y = line_data(fig.axes[0].lines[1])
    np.testing.assert_allclose(x, [1.2, -1.2, 1.2, -1.2, 1.2])  # jumps on one horizontal line
    np.testing.assert_allclose(y, [1.44] * 5)
    np.testing.assert_allclose(line_data(fig.axes[1].lines[1])[0][:3], [1.2, -0.72, 0.432])
    with pytest.raises(GlassnetValueError, match="paths_by_lr"):
        viz.plot_lr_comparison(lambda x: x ** 2, {})


def test_plot_surface_draws_path_on_surface_and_contour():
    def loss(x, y):
        return x ** 2 + np.sin(y) ** 2

    points = [(3.0, 1.0), (2.4, 0.909070)]
    fig = viz.plot_surface(loss, (-3, 3), (-3, 3), points, resolution=15)
    surface_ax, contour_ax, colorbar_ax = fig.axes
    assert surface_ax.name == "3d" and contour_ax.name == "rectilinear"
    xs, ys, zs = surface_ax.lines[0].get_data_3d()
    np.testing.assert_allclose(xs, [3.0, 2.4])
    np.testing.assert_allclose(ys, [1.0, 0.909070])
    np.testing.assert_allclose(zs, [9.708073, 6.382415], atol=1e-5)  # seed 002, table 2-3
    (line,) = contour_ax.lines
    np.testing.assert_allclose(np.column_stack(line_data(line)), points)
    fig = viz.plot_surface(loss, (-1, 1), (-1, 1), kind="contour", labels=("w", "b"),
                           resolution=10)
    assert fig.axes[0].get_xlabel() == "w" and fig.axes[0].name == "rectilinear"
    assert [ax.name for ax in viz.plot_surface(loss, (-1, 1), (-1, 1), kind="surface",
                                               resolution=10).axes] == ["3d"]
    with pytest.raises(GlassnetValueError, match="path_points"):
        viz.plot_surface(loss, (-1, 1), (-1, 1), [1.0, 2.0, 3.0])
    with pytest.raises(GlassnetValueError, match="kind"):
        viz.plot_surface(loss, (-1, 1), (-1, 1), kind="3d")


# ---------------------------------------------------------------- classification


def test_confusion_matrix_counts_by_hand():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    expected = [[1, 1, 0], [0, 2, 1], [1, 0, 0]]
    assert viz.confusion_matrix(y_true, y_pred).tolist() == expected
    one_hot = np.eye(3)[y_true]
    scores = np.eye(3)[y_pred] * 0.8 + 0.05
    assert viz.confusion_matrix(one_hot, scores).tolist() == expected
    assert viz.confusion_matrix([0, 1], [1, 1], num_classes=3).tolist() == [
        [0, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert viz.confusion_matrix(np.array([1.0, 0.0]), np.array([[0.7], [0.2]])).tolist() == [
        [1, 0], [0, 1]]
    assert viz.confusion_matrix([0, 1], [1, 1]).dtype == np.int64


def test_confusion_matrix_rejects_bad_labels():
    with pytest.raises(ShapeError, match="same number of samples"):
        viz.confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(GlassnetValueError, match="num_classes=2"):
        viz.confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(GlassnetValueError):
        viz.confusion_matrix([0, -1], [0, 1])


def test_plot_confusion_matrix_cells_ticks_and_accuracy():
    fig = viz.plot_confusion_matrix([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 2, 0],
                                    class_names=["cat", "dog", "bird"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "2", "1", "1", "0", "0"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "bird"]
    assert ax.get_title() == "confusion matrix (accuracy 50.0%)"
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 2, 1], [1, 0, 0]])
    fig = viz.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], normalize=True)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), [[0.5, 0.5], [0.0, 1.0]])


def test_plot_decision_boundary_regions_and_points():
    x = np.array([[-1.0, 0.5], [-0.5, -1.0], [1.0, 1.0], [0.5, -0.5]])
    y = np.array([0, 0, 1, 1])
    fig = viz.plot_decision_boundary(lambda p: (p[:, 0] > 0).astype(int), x, y, resolution=20)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), x)  # the scatter of the data
    assert ax.get_title() == "decision regions (training accuracy 100.0%)"

    class Model:  # Keras-style: .predict returns probabilities of shape (n, 1)
        def predict(self, p):
            return 1 / (1 + np.exp(-4 * p[:, :1]))

    fig = viz.plot_decision_boundary(Model(), x, np.eye(2)[[1, 0, 1, 0]], resolution=20)
    assert fig.axes[0].get_title() == "decision regions (training accuracy 50.0%)"
    with pytest.raises(ShapeError, match=r"\(n, 2\)"):
        viz.plot_decision_boundary(lambda p: p[:, 0], np.zeros((4, 3)), y)


def test_plot_misclassified_grid_titles():
    images = np.arange(5 * 784, dtype=np.float32).reshape(5, 784)  # flattened 28x28 digits
    fig = viz.plot_misclassified(images, [7, 2, 1, 0, 4], [7, 3, 1, 6, 9])
    assert [ax.get_title() for ax in fig.axes] == [
        "true 2, pred 3", "true 0, pred 6", "true 4, pred 9"]
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), images[1].reshape(28, 28))
    assert fig.get_suptitle() == "3 of 5 misclassified"
    fig = viz.plot_misclassified(images.reshape(5, 28, 28, 1), [7, 2, 1, 0, 4],
                                 np.eye(10)[[7, 3, 1, 6, 9]], max_images=2,
                                 class_names=[str(i) * 2 for i in range(10)])
    assert [ax.get_title() for ax in fig.axes] == ["true 22, pred 33", "true 00, pred 66"]
    fig = viz.plot_misclassified(images, [1] * 5, [1] * 5)
    assert "no misclassified" in fig.axes[0].texts[0].get_text()
    with pytest.raises(ShapeError, match="same number"):
        viz.plot_misclassified(images, [1, 2], [1, 2])


# ---------------------------------------------------------------- weights


def test_plot_histograms_dict_of_arrays():
    arrays = {"w": np.array([0.0, 0.0, 1.0, 1.0, 1.0, 3.0]), "b": gn.tensor([0.5, 0.5])}
    fig = viz.plot_histograms(arrays, bins=3)
    assert len(fig.axes) == 2
    assert [p.get_height() for p in fig.axes[0].patches] == [2, 3, 1]  # bins [0,1) [1,2) [2,3]
    assert fig.axes[0].get_title().startswith("w (6,)\nmean 1, std 1")
    assert sum(p.get_height() for p in fig.axes[1].patches) == 2


def test_plot_histograms_of_a_model_like_object():
    class Weight:
        def __init__(self, name):
            self.name = name

    class Layer:
        def __init__(self, name, values, names):
            self.name, self._values = name, values
            self.weights = [Weight(n) for n in names]

        def get_weights(self):
            return self._values

    model = types.SimpleNamespace(layers=[
        Layer("dense", [np.ones((3, 4)), np.zeros(4)], ["kernel", "bias"]),
        Layer("flatten", [], []),
        Layer("dense_1", [np.ones((4, 2))], []),  # weight names unknown: numbered
    ])
    fig = viz.plot_histograms(model)
    titles = [ax.get_title().split(" ")[0] for ax in fig.axes]
    assert titles == ["dense/kernel", "dense/bias", "dense_1/0"]
    assert sum(p.get_height() for p in fig.axes[0].patches) == 12
    with pytest.raises(TypeError, match="arrays"):
        viz.plot_histograms({})


# ---------------------------------------------------------------- graph


DOT = "digraph glassnet {\n  x -> mul;\n  mul -> z;\n}"


def test_plot_graph_without_dot_writes_the_dot_file_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.warns(UserWarning, match="not found on PATH") as record:
        fig = viz.plot_graph(DOT, path=tmp_path / "graph.png")
    dot_file = tmp_path / "graph.dot"
    assert dot_file.read_text(encoding="utf-8") == DOT
    assert str(dot_file) in str(record[0].message)
    assert not (tmp_path / "graph.png").exists()
    assert isinstance(fig, Figure) and str(dot_file) in fig.axes[0].texts[0].get_text()
    with pytest.warns(UserWarning, match="not found"):
        viz.plot_graph(types.SimpleNamespace(to_dot=lambda: DOT))  # a trace; nothing written


def test_plot_graph_to_a_dot_path_just_writes_text(tmp_path):
    fig = viz.plot_graph(DOT, path=tmp_path / "sub" / "g.dot")
    assert (tmp_path / "sub" / "g.dot").read_text(encoding="utf-8") == DOT
    assert "written" in fig.axes[0].texts[0].get_text()


def _fake_dot(tmp_path, picture, exit_code=0):
    """A stand-in for Graphviz's ``dot``: saves its stdin and prints ``picture``'s bytes."""
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"open({str(tmp_path / 'stdin.txt')!r}, 'wb').write(sys.stdin.buffer.read())\n"
        f"sys.stdout.buffer.write(open({str(picture)!r}, 'rb').read())\n"
        f"sys.stderr.write('syntax error in line 1')\n"
        f"sys.exit({exit_code})\n"
    )
    fake.chmod(0o755)
    return fake


@pytest.mark.skipif(os.name != "posix", reason="the fake 'dot' is a script with a shebang")
def test_plot_graph_renders_with_dot_when_on_path(tmp_path, monkeypatch):
    picture = tmp_path / "picture.png"
    image_fig = Figure(figsize=(2, 1))
    image_fig.add_subplot().plot([0, 1], [0, 1])
    image_fig.savefig(picture, dpi=100)
    monkeypatch.setenv("PATH", str(_fake_dot(tmp_path, picture).parent))
    fig = viz.plot_graph(DOT, path=tmp_path / "graph.png")
    assert (tmp_path / "stdin.txt").read_text() == DOT  # dot received the text on stdin
    assert (tmp_path / "graph.png").read_bytes() == picture.read_bytes()
    assert not (tmp_path / "graph.dot").exists()
    assert fig.axes[0].images[0].get_array().shape[:2] == (100, 200)  # 2x1 inches at 100 dpi


@pytest.mark.skipif(os.name != "posix", reason="the fake 'dot' is a script with a shebang")
def test_plot_graph_when_dot_fails_keeps_the_dot_text(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(_fake_dot(tmp_path, tmp_path / "stdin.txt", 1).parent))
    with pytest.warns(UserWarning, match=r"failed \(exit 1\): syntax error in line 1"):
        viz.plot_graph(DOT, path=tmp_path / "graph.svg")
    assert (tmp_path / "graph.dot").read_text(encoding="utf-8") == DOT
    assert not (tmp_path / "graph.svg").exists()


# ---------------------------------------------------------------- every function saves


SAVERS = {
    "activations": lambda p: viz.plot_activations(["relu"], x=np.linspace(-1, 1, 5), path=p),
    "losses": lambda p: viz.plot_losses(["hinge", "log"], points=20, path=p),
    "surface": lambda p: viz.plot_surface(lambda x, y: x * x + y * y, (-1, 1), (-1, 1),
                                          [(1, 1), (0, 0)], resolution=8, path=p),
    "lr": lambda p: viz.plot_lr_comparison(lambda x: x * x, {0.4: [1, 0.2]}, path=p),
    "fit": lambda p: viz.plot_fit_over_time([0, 1, 2], [0, 1, 0], {1: [0, 0.5, 0]}, path=p),
    "histograms": lambda p: viz.plot_histograms({"w": np.arange(10.0)}, path=p),
    "decision": lambda p: viz.plot_decision_boundary(
        lambda q: q[:, 0] > 0, np.array([[-1.0, 0.0], [1.0, 0.0]]), [0, 1], resolution=10,
        path=p),
    "confusion": lambda p: viz.plot_confusion_matrix([0, 1], [0, 0], path=p),
    "misclassified": lambda p: viz.plot_misclassified(np.zeros((2, 4, 4)), [0, 1], [1, 1],
                                                      path=p),
    "norms": lambda p: viz.plot_gradient_norms({"a": 0.1, "b": 1.0}, path=p),
    "schedules": lambda p: viz.plot_schedules({"a": [0.1, 0.05]}, path=p),
    "descent_1d": lambda p: viz.plot_descent_1d(lambda x: x * x, [1.0, 0.5], path=p),
    "softmax": lambda p: viz.plot_softmax_vs_max(path=p),
}


@pytest.mark.parametrize("name", sorted(SAVERS))
def test_every_plot_saves_png(name, tmp_path):
    fig = SAVERS[name](tmp_path / f"{name}.png")
    assert isinstance(fig, Figure)
    assert_png(tmp_path / f"{name}.png")


# ---------------------------------------------- newcomer frictions: ticks, styles, sample grids


def _visible_ticks(ax):
    low, high = ax.get_xlim()
    return [t for t in ax.get_xticks() if low <= t <= high]


@pytest.mark.parametrize("epochs", [1, 2, 3, 7, 40])
def test_learning_curves_have_y_labels_and_whole_number_epoch_ticks(epochs):
    fig = viz.plot_history({"loss": list(np.linspace(2, 1, epochs)),
                            "accuracy": list(np.linspace(0.1, 0.9, epochs))})
    for ax, name in zip(fig.axes, ["loss", "accuracy"], strict=True):
        assert ax.get_ylabel() == name and ax.get_xlabel() == "epoch"
        fig.canvas.draw()  # the locator places the ticks
        ticks = _visible_ticks(ax)
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
        if epochs <= 3:
            assert 1 in ticks  # the first epoch is marked, even for a one-epoch run


def test_line_styles_differ_in_dash_and_marker():
    styles = [viz.line_style(i) for i in range(9)]
    assert len({(s["linestyle"], s["marker"]) for s in styles}) == 9
    assert len({s["marker"] for s in styles}) == 9
    for a, b in zip(styles, styles[1:], strict=False):
        assert a["linestyle"] != b["linestyle"] and a["color"] != b["color"]


def test_coinciding_finds_runs_that_hide_each_other():
    same = viz.coinciding({"Adam": [1.0, 0.5, 0.25], "AdamW": [1.0, 0.5, 0.25 + 1e-7],
                           "SGD": [1.0, 0.9, 0.8], "short": [1.0, 0.5]})
    assert same == {"Adam": None, "AdamW": "Adam", "SGD": None, "short": None}


def test_plot_curves_distinguishes_and_names_coinciding_runs():
    fig = viz.plot_curves({"Adam": [0.9, 0.5, 0.3], "AdamW": [0.9, 0.5, 0.3],
                           "SGD": [2.3, 2.2, 2.1]}, ylabel="loss", log_scale=True)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Adam", "AdamW (coincides with Adam)", "SGD"]
    adam, adamw, sgd = ax.lines
    assert len({line.get_linestyle() for line in ax.lines}) == 3
    assert len({line.get_marker() for line in ax.lines}) == 3
    assert adamw.get_linewidth() > adam.get_linewidth()  # the hidden one is drawn wider, under
    assert adamw.get_zorder() < adam.get_zorder()
    np.testing.assert_array_equal(line_data(sgd)[0], [1, 2, 3])
    assert ax.get_ylabel() == "loss" and ax.get_yscale() == "log"
    fig.canvas.draw()
    # less than a decade on a log axis: plain numbers, not 2x10^0
    texts = [t.get_text() for t in ax.get_yticklabels(minor=True) + ax.get_yticklabels()]
    assert any(t for t in texts) and not any("times" in t or "^" in t for t in texts), texts
    with pytest.raises(gn.errors.GlassnetTypeError, match="series"):
        viz.plot_curves([])


def test_plot_predictions_grid_titles_and_colours():
    images = np.random.default_rng(0).random((20, 28 * 28))  # flattened digits
    true = np.arange(20) % 10
    pred = true.copy()
    pred[[2, 5]] = 9 - true[[2, 5]]
    fig = viz.plot_predictions(images, true, pred)
    assert len(fig.axes) == 16  # max_images
    assert fig.axes[0].get_title() == "pred 0"
    assert fig.axes[2].get_title() == "pred 7 (true 2)"
    assert fig.axes[2].title.get_color() != fig.axes[0].title.get_color()
    assert fig._suptitle.get_text() == "16 samples: 14 predicted correctly"
    with pytest.raises(ShapeError, match="same"):
        viz.plot_predictions(images, true[:3], pred[:3])


def test_classifier_figures_writes_the_pictures_that_apply(tmp_path):
    images = np.zeros((6, 8, 8))
    true, pred = [0, 1, 2, 0, 1, 2], [0, 1, 1, 0, 2, 2]
    paths = viz.classifier_figures(tmp_path / "a", {"loss": [1.0, 0.5]}, true, pred,
                                   images=images, class_names=["a", "b", "c"])
    names = [os.path.basename(p) for p in paths]
    assert names == ["learning_curves.png", "confusion_matrix.png", "predictions.png",
                     "misclassified.png"]
    for p in paths:
        assert_png(p)
    only_curves = viz.classifier_figures(tmp_path / "b", history={"loss": [1.0]})
    assert [os.path.basename(p) for p in only_curves] == ["learning_curves.png"]
