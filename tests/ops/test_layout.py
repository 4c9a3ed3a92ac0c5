"""The ops package's layout: op names apart from layer names, one registry, no import cycle."""

import ast
from pathlib import Path

import pytest

import glassnet as gn
import glassnet.keras.layers as keras_layers
import glassnet.layers as layers
from glassnet.errors import GlassnetError
from glassnet.tensor import _OPS, Function, register_op
from tests.ops.test_second_order import DEFINED

PACKAGE = Path(gn.__file__).resolve().parent


def test_no_op_class_shares_a_name_with_a_layer():
    layer_names = {name for name in dir(layers) if not name.startswith("_")}
    layer_names |= {name for name in dir(keras_layers) if not name.startswith("_")}
    clashes = sorted(set(DEFINED) & layer_names)
    assert not clashes, f"op classes named like layers: {clashes}"
    assert all(name.endswith("Function") for name in DEFINED), sorted(
        name for name in DEFINED if not name.endswith("Function"))


def test_every_op_class_lives_in_glassnet_ops_and_is_registered():
    assert {cls.__module__.split(".")[1] for cls in DEFINED.values()} == {"ops"}
    for name, cls in DEFINED.items():
        assert _OPS[name] is cls
        assert cls.op_name == name.removesuffix("Function")


def test_the_registry_refuses_a_second_op_of_the_same_name():
    class AddFunction(Function):  # a user's own op (not in glassnet) is not registered
        pass

    assert _OPS["AddFunction"] is not AddFunction
    AddFunction.__module__ = "glassnet.ops.elsewhere"
    try:
        with pytest.raises(GlassnetError, match="'AddFunction' is taken by glassnet.ops.math"):
            register_op(AddFunction)
    finally:
        AddFunction.__module__ = __name__


def _imports(path, module_level=True):
    """Modules a file imports: at its top level, or anywhere (inside functions too)."""
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in tree.body if module_level else ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_tensor_imports_nothing_from_ops():
    """tensor.py <- ops is one-way: tensor.py imports nothing from glassnet.ops, anywhere."""
    imported = _imports(PACKAGE / "tensor.py", module_level=False)
    assert not [name for name in imported if name.startswith("glassnet.ops")], imported
    ops_modules = sorted((PACKAGE / "ops").glob("*.py"))
    assert any("glassnet.tensor" in _imports(path) for path in ops_modules)


def test_no_ops_module_is_over_600_lines():
    long = {path.name: n for path in (PACKAGE / "ops").glob("*.py")
            if (n := len(path.read_text("utf-8").splitlines())) > 600}
    assert not long, long
