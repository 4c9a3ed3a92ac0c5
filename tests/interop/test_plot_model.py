"""keras.utils.plot_model / model_to_dot: the dot text, and the files Graphviz's `dot` draws.

The rendering tests need the `dot` program: without it they are skipped with the reason, or,
with GLASSNET_REQUIRE_GRAPHVIZ=1 (CI, which installs Graphviz), they fail.
"""

import os
import re
import shutil
import sys

import pytest

from glassnet import keras, layers
from glassnet.errors import GlassnetError, GlassnetValueError
from glassnet.interop.plot_model import MissingGraphvizError, layer_graph, model_to_dot, plot_model
from glassnet.models import Model, Sequential
from tests.conftest import branchy_model


@pytest.fixture
def dot_program():
    if shutil.which("dot") is None:
        reason = "Graphviz's `dot` is not on PATH (apt-get install graphviz)"
        if os.environ.get("GLASSNET_REQUIRE_GRAPHVIZ") == "1":
            pytest.fail(f"GLASSNET_REQUIRE_GRAPHVIZ=1 but {reason}")
        pytest.skip(reason)




def edges_by_name(dot_text):
    """The edges of the dot text, with node ids replaced by the layer names in their labels."""
    names = dict(re.findall(r"^\s*(n\d+) \[label=<<table.*?<b>(\S+)", dot_text, re.M))
    return [(names[a], names[b]) for a, b in re.findall(r"^\s*(n\d+) -> (n\d+);", dot_text, re.M)]


def test_the_layer_graph_of_a_functional_model_with_branches():
    graph = layer_graph(branchy_model())
    assert [node.name for node in graph.nodes] == ["x", "a", "b", "c", "d", "inner"]
    assert [(s.name, t.name) for s, t in graph.edges] == [
        ("x", "a"), ("x", "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("d", "inner")]
    expanded = layer_graph(branchy_model(), expand_nested=True)
    assert [node.name for node in expanded.nodes][-2:] == ["inner/i1", "inner/i2"]
    assert ("d", "inner/i1") in [(s.name, t.name) for s, t in expanded.edges]
    assert list(expanded.clusters) == [("inner",)]


def test_a_shared_layer_and_a_two_input_model():
    shared = layers.Dense(2, name="shared")
    left, right = layers.Input((3,), name="left"), layers.Input((3,), name="right")
    model = Model([left, right], layers.Add(name="sum")([shared(left), shared(right)]))
    graph = layer_graph(model)
    assert [node.name for node in graph.nodes] == ["left", "right", "shared", "sum"]
    assert [(s.name, t.name) for s, t in graph.edges] == [
        ("left", "shared"), ("right", "shared"), ("shared", "sum")]


def test_the_dot_text_has_the_layers_edges_and_shapes():
    text = model_to_dot(branchy_model(), show_shapes=True, show_layer_activations=True,
                        show_dtype=True, show_trainable=True)
    assert text.startswith('digraph "branchy" {')
    for label in ("x (InputLayer)", "a (Dense)", "c (Concatenate)", "inner (Sequential)"):
        assert f"<b>{label}</b>" in text
    assert edges_by_name(text) == [("x", "a"), ("x", "b"), ("a", "c"), ("b", "c"),
                                   ("c", "d"), ("d", "inner")]
    # c concatenates two (None, 4) into (None, 8); d maps 8 to 4 features
    assert "Input shape: (None, 4), (None, 4)</td></tr><tr><td>Output shape: (None, 8)" in text
    assert "Input shape: (None, 8)</td></tr><tr><td>Output shape: (None, 4)" in text
    assert "Activation: relu" in text and "dtype: float32" in text and "Trainable: True" in text
    assert "dpi=200" in text and "rankdir=TB" in text
    plain = model_to_dot(branchy_model())
    assert "Output shape" not in plain and "Activation" not in plain


def test_expand_nested_draws_a_cluster_and_names_only_mode():
    text = model_to_dot(branchy_model(), expand_nested=True, show_layer_names=False, rankdir="LR")
    assert 'subgraph "cluster_inner"' in text and 'label="inner (Sequential)"' in text
    assert "<b>Dense</b>" in text and "(Dense)" not in text
    assert "rankdir=LR" in text


def test_a_sequential_model_is_a_chain():
    model = Sequential([layers.Dense(4, input_shape=(3,), name="h"),
                        layers.Dropout(0.1, name="drop"), layers.Dense(1, name="out")],
                       name="seq")
    assert edges_by_name(model_to_dot(model)) == [("h", "drop"), ("drop", "out")]


@pytest.mark.parametrize(("argument", "value"), [("rankdir", "UP"), ("dpi", 0), ("dpi", "x")])
def test_bad_arguments(argument, value):
    with pytest.raises(GlassnetValueError, match=argument):
        model_to_dot(branchy_model(), **{argument: value})


def test_a_layer_is_not_a_model():
    with pytest.raises(GlassnetValueError, match="layer_graph: expected a glassnet Model"):
        layer_graph(layers.Dense(2))


def test_png_svg_and_pdf_files(tmp_path, dot_program):
    model = branchy_model()
    png = tmp_path / "out" / "model.png"
    shown = plot_model(model, to_file=png, show_shapes=True)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = tmp_path / "model.svg"
    keras.utils.plot_model(model, to_file=str(svg), expand_nested=True)
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    for name in ("x (InputLayer)", "a (Dense)", "c (Concatenate)", "i1 (Dense)", "i2 (Dense)"):
        assert name in text
    pdf = tmp_path / "model.pdf"
    assert plot_model(model, to_file=pdf) is None
    assert pdf.read_bytes().startswith(b"%PDF")
    if _has_ipython():
        from IPython.display import SVG, Image

        assert isinstance(shown, Image)
        assert isinstance(plot_model(model, to_file=svg), SVG)


def _has_ipython():
    try:
        import IPython  # noqa: F401
    except ImportError:
        return False
    return True


def test_without_ipython_it_returns_none(tmp_path, dot_program, monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert plot_model(branchy_model(), to_file=tmp_path / "m.png") is None


def test_a_missing_dot_says_how_to_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    with pytest.raises(MissingGraphvizError, match="apt-get install graphviz") as caught:
        plot_model(branchy_model(), to_file=tmp_path / "model.png")
    message = str(caught.value)
    assert "brew install graphviz" in message and "https://graphviz.org" in message
    assert isinstance(caught.value, ImportError) and isinstance(caught.value, GlassnetError)
    assert not (tmp_path / "model.png").exists()


def test_an_unknown_format_is_dots_error(tmp_path, dot_program):
    with pytest.raises(GlassnetError, match=r"model\.nosuchformat"):
        plot_model(branchy_model(), to_file=tmp_path / "model.nosuchformat")


def test_the_keras_path():
    assert keras.utils.plot_model is plot_model and keras.utils.model_to_dot is model_to_dot
