"""The floors of the house import downwards only: no import cycle between glassnet's packages.

The test reads every module's source (``ast``, nothing is executed) and collects the imports
that run when the module is imported: those at module level, including inside module-level
``if``/``try`` blocks and class bodies, but not those inside functions (those run on first
call, after every module has loaded). Each import becomes an edge between two *units*: a
subpackage (``glassnet.ops``, ``glassnet.layers``, ...) or a top-level module
(``glassnet.tensor``, ``glassnet.io``, ...). The unit graph must be acyclic; a cycle is printed
with the import lines that make it.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

import glassnet

ROOT = pathlib.Path(glassnet.__file__).parent


def _module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module):
    """The package-level unit of a dotted module name: 'glassnet.ops.math' -> 'glassnet.ops'."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _is_module(dotted):
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").exists()


def _import_time_nodes(tree):
    """Statements that run at import: module level, module-level if/try/with, class bodies."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With, ast.ClassDef, ast.For, ast.While)):
            stack.extend(ast.iter_child_nodes(node))
        elif hasattr(ast, "TryStar") and isinstance(node, ast.TryStar):
            stack.extend(ast.iter_child_nodes(node))
        elif isinstance(node, ast.ExceptHandler):
            stack.extend(node.body)


def _targets(node, package):
    """The glassnet modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("glassnet")]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:  # relative import
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if not module.startswith("glassnet"):
        return []
    names = [f"{module}.{alias.name}" for alias in node.names]
    return [name if _is_module(name) else module for name in names]


def import_edges():
    """{(from_unit, to_unit): ['module:line imports target', ...]} for import-time imports."""
    edges = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _import_time_nodes(tree):
            for target in _targets(node, package):
                source, destination = _unit(module), _unit(target)
                # ``from glassnet import name`` of a name defined in glassnet/__init__.py is an
                # edge to the root package, which imports everything: it closes a cycle.
                if source != destination or (destination == "glassnet" and module != "glassnet"):
                    line = f"{module}:{node.lineno} imports {target}"
                    lines = edges.setdefault((source, destination), [])
                    if line not in lines:
                        lines.append(line)
    return edges


def find_cycle(edges):
    """One cycle of units as a list (first == last), or None."""
    graph = {}
    for source, destination in edges:
        graph.setdefault(source, set()).add(destination)
    state, path = {}, []

    def visit(unit):
        state[unit] = "open"
        path.append(unit)
        for nxt in sorted(graph.get(unit, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[unit] = "done"
        path.pop()
        return None

    for unit in sorted(graph):
        if unit not in state:
            cycle = visit(unit)
            if cycle:
                return cycle
    return None


def test_no_import_cycle_between_packages():
    edges = import_edges()
    assert len(edges) > 20, "the import walk found almost no imports: is it broken?"
    cycle = find_cycle(edges)
    if cycle:
        lines = [line for a, b in zip(cycle[:-1], cycle[1:], strict=True)
                 for line in edges[(a, b)][:2]]
        pytest.fail("import cycle " + " -> ".join(cycle) + ":\n  " + "\n  ".join(lines))


def test_the_cycle_finder_finds_a_cycle():
    edges = {("a", "b"): ["x"], ("b", "c"): ["y"], ("c", "a"): ["z"], ("c", "d"): ["w"]}
    cycle = find_cycle(edges)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert find_cycle({("a", "b"): ["x"], ("b", "c"): ["y"]}) is None


UNITS = sorted({_unit(_module_name(path)) for path in ROOT.rglob("*.py")} - {"glassnet"})


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_imports_first_in_a_fresh_interpreter(unit):
    """Whatever a user imports first, it loads (an order-dependent cycle would fail here)."""
    result = subprocess.run([sys.executable, "-c", f"import {unit}"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
