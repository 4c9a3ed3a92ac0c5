"""The backprop stepper: the seeds' worked examples, one forward or backward node at a time.

Three examples, each computed with glassnet itself (``gn.trace``, autodiff, glassnet layers and
``glassnet.optimizers.SGD``), as JSON-able dicts that the studio page steps through:

* ``seed002_linear``: seed 002's z = (2w + 3b)(2b + 1) at w = 3, b = 4, traced node by node
  (the trace table: node, op, inputs, value, grad), then one gradient step.
* ``seed002_chain``: seed 002's x -> a = x^2 -> b = ln a -> c = sqrt(b), target y = 2.13,
  iterated from x = 2 until |c - y| < 0.001: table 2-2, filled column by column.
* ``seed001_net``: the 2-3-2 sigmoid network of ``examples/seed001_deltas.py``: forward neuron
  by neuron, backward delta by delta, then one SGD step with the numbers plugged in.

Every user-facing text is bilingual, ``{"en": ..., "zh": ...}``.

Example:
    >>> from glassnet.studio import stepper
    >>> list(stepper.EXAMPLES)
    ['seed002_linear', 'seed002_chain', 'seed001_net']
    >>> chain = stepper.example("seed002_chain")
    >>> chain["table"]["columns"]
    [1, 2, 3, 4, 5]
    >>> [c["value"] for s in chain["steps"] for c in s["cells"] if c["row"] == "delta_x"]
    ['-2.243', '-3.101', '-1.951', '-0.360']
"""

import numpy as np

from glassnet.errors import GlassnetValueError
from glassnet.explain import trace


def _text(en, zh):
    return {"en": en, "zh": zh}


def _f3(value):
    return f"{value:.3f}"


def _g(value):
    """A number as a person writes it: up to 6 significant digits, no trailing zeros."""
    return f"{value:.6g}"


def _p(text):
    """Parenthesize a negative number written into a formula."""
    return f"({text})" if text.startswith("-") else text


def _step(steps, phase, node, text, value=None, grad=None, cells=()):
    steps.append({"index": len(steps), "phase": phase, "node": node,
                  "value": None if value is None else float(value),
                  "grad": None if grad is None else float(grad), "text": text,
                  "cells": [{"row": r, "column": c, "value": v} for r, c, v in cells]})


# ============================================================================ seed002_linear
_LINEAR_LABELS = {"w": "w", "b": "b", "mul1": "2·w", "mul2": "3·b", "x": "x = 2w + 3b",
                  "mul3": "2·b", "y": "y = 2b + 1", "z": "z = x·y"}
_SYMBOLS = {"Mul": " × ", "Add": " + "}


def _linear_graph(w_value=3.0, b_value=4.0):
    import glassnet as gn

    w = gn.tensor(w_value, dtype=gn.float64, requires_grad=True, name="w")
    b = gn.tensor(b_value, dtype=gn.float64, requires_grad=True, name="b")
    with trace() as graph:
        x = 2 * w + 3 * b
        y = 2 * b + 1
        z = x * y
    graph.label(x=x, y=y, z=z)
    z.backward()
    return graph, w, b


def _linear():
    import glassnet as gn

    graph, w, b = _linear_graph()
    rows = graph.rows()
    ids = [row["node"] for row in rows]
    value = {row["node"]: row["tensor"].item() for row in rows}
    grad = {row["node"]: row["tensor"].grad.item() for row in rows}
    inputs = {row["node"]: [n for n in row["inputs"].split(", ") if n] for row in rows}
    nodes = [{"id": row["node"], "label": _LINEAR_LABELS.get(row["node"], row["node"]),
              "op": row["op"], "inputs": [i for i in inputs[row["node"]] if i in value]}
             for row in rows]
    steps = []
    for node in nodes:
        n, op = node["id"], node["op"]
        label = node["label"]
        if op == "leaf":
            en = f"{n} = {_f3(value[n])} (a leaf: a parameter that requires grad)"
            zh = f"{n} = {_f3(value[n])}(叶子节点:需要梯度的参数)"
        else:
            numbers = _SYMBOLS.get(op, ", ").join(
                _f3(value[i]) if i in value else i for i in inputs[n])
            formula = label if "=" in label else f"{n} = {label}"
            en = zh = f"{formula} = {numbers} = {_f3(value[n])}"
            en, zh = en + f"  ({op})", zh + f"({op})"
        row = next(r for r in rows if r["node"] == n)
        _step(steps, "forward", n, _text(en, zh), value=value[n],
              cells=[(n, "op", op), (n, "inputs", row["inputs"]), (n, "value", _f3(value[n]))])
    consumers = {n: [m for m in ids if n in inputs[m]] for n in ids}
    for n in reversed(ids):  # reverse topological order: every consumer comes first
        if not consumers[n]:
            en = zh = f"∂z/∂{n} = 1"
        else:
            terms, numbers = [], []
            for m in consumers[n]:
                op = next(node["op"] for node in nodes if node["id"] == m)
                local_value = 1.0  # Add: d(p + q)/dp = 1
                if op == "Mul":  # d(p·q)/dp = q
                    other = [i for i in inputs[m] if i != n] or [n]
                    local_value = value[other[0]] if other[0] in value else float(other[0])
                terms.append(f"∂z/∂{m} × ∂{m}/∂{n}")
                numbers.append(f"{_f3(grad[m])} × {_g(local_value)}")
            en = zh = (f"∂z/∂{n} = " + " + ".join(terms) + " = " + " + ".join(numbers)
                       + f" = {_f3(grad[n])}")
        _step(steps, "backward", n, _text(en, zh), grad=grad[n],
              cells=[(n, "grad", _f3(grad[n]))])
    learning_rate = 0.01
    old = {"w": w.item(), "b": b.item()}
    gn.optimizers.SGD(learning_rate=learning_rate).apply_gradients([(w.grad, w), (b.grad, b)])
    lines = []
    for name, param in (("w", w), ("b", b)):
        line = (f"{name} ← {name} − η·∂z/∂{name} = {_g(old[name])} − {_g(learning_rate)} × "
                f"{_g(grad[name])} = {_g(param.item())}")
        lines.append(_text(line, line))
        _step(steps, "update", name, _text(line, line), value=param.item(), grad=grad[name])
    new_graph, _, _ = _linear_graph(w.item(), b.item())
    new_z = next(r["tensor"].item() for r in new_graph.rows() if r["node"] == "z")
    lines.append(_text(f"z = (2w + 3b)(2b + 1) = {_g(new_z)} (was {_g(value['z'])}): one "
                       f"gradient step lowers z",
                       f"z = (2w + 3b)(2b + 1) = {_g(new_z)}(原来是 {_g(value['z'])}):"
                       f"一步梯度下降使 z 变小"))
    target = 150.0
    seed_w = old["w"] - (value["z"] - target) / grad["w"]
    seed_graph, _, _ = _linear_graph(seed_w, old["b"])
    seed_z = next(r["tensor"].item() for r in seed_graph.rows() if r["node"] == "z")
    lines.append(_text(
        f"The seed aims at z = 150 instead: Δw = Δz / (∂z/∂w) = ({_g(value['z'])} − 150) / "
        f"{_g(grad['w'])} = {_g(old['w'] - seed_w)}, w = {_g(old['w'])} − "
        f"{_g(old['w'] - seed_w)} = {seed_w:.4f}, z = {_g(seed_z)}",
        f"种子教程的目标是 z = 150:Δw = Δz / (∂z/∂w) = ({_g(value['z'])} − 150) / "
        f"{_g(grad['w'])} = {_g(old['w'] - seed_w)},w = {_g(old['w'])} − "
        f"{_g(old['w'] - seed_w)} = {seed_w:.4f},z = {_g(seed_z)}"))
    return {
        "title": EXAMPLES["seed002_linear"],
        "description": _text(
            "Seed 002's forward example x = 2w + 3b, y = 2b + 1, z = x·y at w = 3, b = 4, "
            "recorded by gn.trace: step forward node by node, then backward: each node's "
            "gradient ∂z/∂node is the sum over the nodes that use it (the chain rule). Then "
            "one gradient-descent step with learning rate η = 0.01.",
            "种子 002 的正向计算示例:x = 2w + 3b,y = 2b + 1,z = x·y,w = 3,b = 4,由 "
            "gn.trace 记录。先逐个节点正向计算,再反向:每个节点的梯度 ∂z/∂node 是所有使用它的"
            "节点传回的梯度之和(链式法则)。最后用学习率 η = 0.01 做一步梯度下降。"),
        "nodes": nodes, "steps": steps,
        "table": {"layout": "trace",
                  "rows": [{"id": n["id"], "label": _text(n["label"], n["label"])}
                           for n in nodes],
                  "columns": ["op", "inputs", "value", "grad"]},
        "update": {"formula": "w ← w − η·∂z/∂w", "learning_rate": learning_rate,
                   "lines": lines},
    }


# ============================================================================ seed002_chain
_CHAIN_ROWS = [
    ("x", "forward: x = x − Δx", "正向:x = x − Δx"),
    ("a", "forward: a = x²", "正向:a = x²"),
    ("b", "forward: b = ln(a)", "正向:b = ln(a)"),
    ("c", "forward: c = √b", "正向:c = √b"),
    ("y", "label y = 2.13", "标签值 y = 2.13"),
    ("delta_c", "backward: Δc = c − y", "反向:Δc = c − y"),
    ("delta_b", "backward: Δb = Δc · 2√b", "反向:Δb = Δc · 2√b"),
    ("delta_a", "backward: Δa = Δb · a", "反向:Δa = Δb · a"),
    ("delta_x", "backward: Δx = Δa / 2x", "反向:Δx = Δa / 2x"),
]


def _chain(x_start=2.0, target=2.13, tolerance=0.001, max_iterations=50):
    import glassnet as gn

    steps, lines, column = [], [], 0
    x = gn.tensor(x_start, dtype=gn.float64, requires_grad=True, name="x")
    optimizer = gn.optimizers.SGD(learning_rate=1.0)
    _step(steps, "forward", "x", _text(f"x = {_g(x_start)} (the start)",
                                       f"x = {_g(x_start)}(初始值)"),
          value=x_start, cells=[("x", 1, _f3(x_start))])
    for column in range(1, max_iterations + 1):
        x.grad = None
        a = (x**2).retain_grad()
        b = gn.log(a).retain_grad()
        c = gn.sqrt(b)
        c.backward()  # dc/dx, dc/da, dc/db by autodiff
        xv, av, bv, cv = x.item(), a.item(), b.item(), c.item()
        for node, value, en in (("a", av, f"a = x² = {_f3(xv)}² = {_f3(av)}"),
                                ("b", bv, f"b = ln(a) = ln({_f3(av)}) = {_f3(bv)}"),
                                ("c", cv, f"c = √b = √{_f3(bv)} = {_f3(cv)}")):
            _step(steps, "forward", node, _text(en, en), value=value,
                  cells=[(node, column, _f3(value))])
        delta_c = cv - target
        done = abs(delta_c) < tolerance
        verdict = (_text(f"|c − y| = {abs(delta_c):.4f} < {tolerance:g}: stop",
                         f"|c − y| = {abs(delta_c):.4f} < {tolerance:g}:停止迭代") if done else
                   _text(f"|c − y| = {abs(delta_c):.4f} ≥ {tolerance:g}: go on",
                         f"|c − y| = {abs(delta_c):.4f} ≥ {tolerance:g}:继续"))
        _step(steps, "forward", "y",
              _text(f"y = {_g(target)} (the label); " + verdict["en"],
                    f"y = {_g(target)}(标签值);" + verdict["zh"]),
              value=target, cells=[] if done else [("y", column, _f3(target))])
        if done:
            break
        grads = {"c": 1.0, "b": b.grad.item(), "a": a.grad.item(), "x": x.grad.item()}
        deltas = {"c": delta_c, "b": delta_c / grads["b"], "a": delta_c / grads["a"],
                  "x": delta_c / grads["x"]}
        texts = {
            "c": _text(f"Δc = c − y = {_f3(cv)} − {_g(target)} = {_f3(delta_c)}",
                       f"Δc = c − y = {_f3(cv)} − {_g(target)} = {_f3(delta_c)}"),
            "b": f"Δb = Δc · 2√b = Δc / (∂c/∂b) = {_f3(delta_c)} / {grads['b']:.4f} = "
                 f"{_f3(deltas['b'])}",
            "a": f"Δa = Δb · a = Δc / (∂c/∂a) = {_f3(delta_c)} / {grads['a']:.4f} = "
                 f"{_f3(deltas['a'])}",
            "x": f"Δx = Δa / 2x = Δc / (∂c/∂x) = {_f3(delta_c)} / {grads['x']:.4f} = "
                 f"{_f3(deltas['x'])}",
        }
        for node in ("c", "b", "a", "x"):
            text = texts[node] if isinstance(texts[node], dict) else _text(texts[node],
                                                                        texts[node])
            _step(steps, "backward", node, text, value=deltas[node], grad=grads[node],
                  cells=[(f"delta_{node}", column, _f3(deltas[node]))])
        optimizer.apply_gradients([(gn.tensor(deltas["x"], dtype=gn.float64), x)])
        line = f"x ← x − Δx = {_f3(xv)} − {_p(_f3(deltas['x']))} = {_f3(x.item())}"
        lines.append(_text(f"iteration {column}: " + line, f"第 {column} 次迭代:" + line))
        _step(steps, "update", "x", _text(line, line), value=x.item(), grad=deltas["x"],
              cells=[("x", column + 1, _f3(x.item()))])
    else:
        raise GlassnetValueError(f"seed002_chain: no convergence in {max_iterations} "
                                 f"iterations")
    nodes = [{"id": "x", "label": "x", "op": "leaf", "inputs": []},
             {"id": "a", "label": "a = x²", "op": "PowScalar", "inputs": ["x"]},
             {"id": "b", "label": "b = ln(a)", "op": "Log", "inputs": ["a"]},
             {"id": "c", "label": "c = √b", "op": "Sqrt", "inputs": ["b"]},
             {"id": "y", "label": "y = 2.13", "op": "target", "inputs": ["c"]}]
    return {
        "title": EXAMPLES["seed002_chain"],
        "description": _text(
            "Seed 002's non-linear chain: x → a = x² → b = ln(a) → c = √b, target y = 2.13, "
            "start x = 2. Each iteration runs forward, takes Δc = c − y and passes it back "
            "(Δ = Δc divided by the autodiff gradient ∂c/∂node), then updates x ← x − Δx, "
            "until |c − y| < 0.001: table 2-2, column by column. Exact values; the seed "
            "prints x = 9.665 in iteration 5 (a typo for 9.656) and rounds three cells "
            "differently (docs/seed_errata.md 002-4, 002-5).",
            "种子 002 的非线性反向传播:x → a = x² → b = ln(a) → c = √b,目标 y = 2.13,初始 "
            "x = 2。每次迭代先正向计算,再求 Δc = c − y 并反向传递(Δ = Δc 除以自动求导得到的 "
            "∂c/∂节点),然后更新 x ← x − Δx,直到 |c − y| < 0.001:逐列填出表 2-2。这里是"
            "精确值;原文第 5 次迭代的 x = 9.665 是 9.656 的笔误,另有三格舍入不同"
            "(见 docs/seed_errata.zh-CN.md 002-4、002-5)。"),
        "nodes": nodes, "steps": steps,
        "table": {"layout": "table_2_2",
                  "rows": [{"id": r, "label": _text(en, zh)} for r, en, zh in _CHAIN_ROWS],
                  "columns": list(range(1, column + 1))},
        "update": {"formula": "x ← x − Δx", "learning_rate": 1.0, "lines": lines},
    }


# ============================================================================ seed001_net
W1 = np.array([[0.15, 0.25, -0.30], [0.20, -0.35, 0.40]])  # kernel[j, i]: input j -> hidden i
B1 = np.array([0.35, 0.35, -0.10])
W2 = np.array([[0.40, 0.50], [0.45, -0.55], [0.60, 0.65]])  # kernel[i, k]: hidden i -> output k
B2 = np.array([0.60, 0.60])
X = np.array([[0.05, 0.10]])
T = np.array([[0.01, 0.99]])
NET_LEARNING_RATE = 0.5


def _f6(value):
    return f"{value:.6f}"


def _net(learning_rate=NET_LEARNING_RATE):
    import glassnet as gn
    from glassnet.layers import Dense
    from glassnet.layers.base import recording
    from glassnet.models import Sequential

    model = Sequential([Dense(3, activation="sigmoid", input_shape=(2,), dtype="float64"),
                        Dense(2, activation="sigmoid", dtype="float64")])
    model.set_weights([W1, B1, W2, B2])
    hidden, output = model.layers
    with recording(model):
        prediction = model(X)
        loss = 0.5 * ((gn.tensor(T) - prediction) ** 2).sum()
        loss.backward()
    records = {"h": hidden.inspect(), "y": output.inspect()}
    inputs = ["x1", "x2"]
    units = {"h": ["h1", "h2", "h3"], "y": ["y1", "y2"]}
    sources = {"h": inputs, "y": units["h"]}
    kernels = {"h": W1, "y": W2}
    biases = {"h": B1, "y": B2}
    nodes = [{"id": n, "label": n, "op": "input", "inputs": []} for n in inputs]
    steps = []
    for j, n in enumerate(inputs):
        _step(steps, "forward", n, _text(f"input {n} = {_g(X[0, j])}",
                                         f"输入 {n} = {_g(X[0, j])}"),
              value=X[0, j], cells=[(n, "output", _f6(X[0, j]))])
    values = {n: X[0, j] for j, n in enumerate(inputs)}
    for key in ("h", "y"):
        z_all, a_all = records[key]["z"][0], records[key]["output"][0]
        for i, n in enumerate(units[key]):
            nodes.append({"id": n, "label": f"{n} = σ(w·x + b)", "op": "Dense(sigmoid)",
                          "inputs": list(sources[key])})
            products = " + ".join(f"{_p(_g(kernels[key][j, i]))} × {_g(values[s])}"
                                  for j, s in enumerate(sources[key]))
            en = (f"{n}: z = w·x + b = {products} + {_p(_g(biases[key][i]))} = "
                  f"{_f6(z_all[i])}; "
                  f"a = σ(z) = 1 / (1 + e^−z) = {_f6(a_all[i])}")
            _step(steps, "forward", n, _text(en, en), value=a_all[i],
                  cells=[(n, "z", _f6(z_all[i])), (n, "output", _f6(a_all[i]))])
            values[n] = a_all[i]
    targets = " + ".join(f"({_g(T[0, k])} − {_f6(values[n])})²"
                         for k, n in enumerate(units["y"]))
    nodes.append({"id": "loss", "label": "L = ½Σ(t − y)²", "op": "loss",
                  "inputs": list(units["y"])})
    en = f"L = ½Σ(t − y)² = ½[{targets}] = {_f6(loss.item())}"
    _step(steps, "forward", "loss", _text(en + f" (targets t = {T[0].tolist()})",
                                          en + f"(目标 t = {T[0].tolist()})"),
          value=loss.item(), cells=[("loss", "output", _f6(loss.item()))])
    _step(steps, "backward", "loss", _text("∂L/∂L = 1", "∂L/∂L = 1"), grad=1.0,
          cells=[("loss", "delta", _f6(1.0))])
    deltas = {}
    for k, n in enumerate(units["y"]):
        d, y = records["y"]["delta"][0, k], values[n]
        deltas[n] = d
        en = (f"δ{n} = ∂L/∂z = y(1 − y)(y − t) = {_f6(y)} × (1 − {_f6(y)}) × ({_f6(y)} − "
              f"{_g(T[0, k])}) = {_f6(d)}; the seed's δ = y(1 − y)(t − y) = {_f6(-d)} is its "
              f"negative")
        zh = (f"δ{n} = ∂L/∂z = y(1 − y)(y − t) = {_f6(y)} × (1 − {_f6(y)}) × ({_f6(y)} − "
              f"{_g(T[0, k])}) = {_f6(d)};种子 001 的 δ = y(1 − y)(t − y) = {_f6(-d)},"
              f"符号相反")
        _step(steps, "backward", n, _text(en, zh), value=d, grad=d,
              cells=[(n, "delta", _f6(d))])
    for i, n in enumerate(units["h"]):
        d, a = records["h"]["delta"][0, i], values[n]
        terms = " + ".join(f"{_p(_g(W2[i, k]))} × {_p(_f6(deltas[m]))}"
                           for k, m in enumerate(units["y"]))
        en = f"δ{n} = a(1 − a) Σₖ wₖ δₖ = {_f6(a)} × (1 − {_f6(a)}) × ({terms}) = {_f6(d)}"
        _step(steps, "backward", n, _text(en, en), value=d, grad=d,
              cells=[(n, "delta", _f6(d))])
    before = {"h": (W1, B1), "y": (W2, B2)}
    gradients = {"h": (hidden.kernel.grad.numpy(), hidden.bias.grad.numpy()),
                 "y": (output.kernel.grad.numpy(), output.bias.grad.numpy())}
    gn.optimizers.SGD(learning_rate=learning_rate).apply_gradients(
        (p.grad, p) for p in model.trainable_weights)
    after = {"h": (hidden.kernel.numpy(), hidden.bias.numpy()),
             "y": (output.kernel.numpy(), output.bias.numpy())}
    lines = []
    for key in ("y", "h"):
        (w_old, b_old), (w_grad, b_grad), (w_new, b_new) = before[key], gradients[key], after[key]
        for i, n in enumerate(units[key]):
            parts = [f"w({s}→{n}) ← {_g(w_old[j, i])} − {_g(learning_rate)} × "
                     f"{_p(_g(w_grad[j, i]))} = {_g(w_new[j, i])}"
                     for j, s in enumerate(sources[key])]
            parts.append(f"b({n}) ← {_g(b_old[i])} − {_g(learning_rate)} × "
                         f"{_p(_g(b_grad[i]))} = {_g(b_new[i])}")
            for part in parts:
                lines.append(_text(part, part))
            text = "; ".join(parts)
            _step(steps, "update", n, _text(text, text), value=b_new[i])
    return {
        "title": EXAMPLES["seed001_net"],
        "description": _text(
            "Seed 001's back-propagation rules on a 2-3-2 sigmoid network (examples/"
            "seed001_deltas.py): input x = (0.05, 0.10), targets t = (0.01, 0.99), squared "
            "error L = ½Σ(t − y)². Forward neuron by neuron (z = w·x + b, a = σ(z)), backward "
            "delta by delta (glassnet's δ = ∂L/∂z, recorded by the layers; the seed's δ is "
            "its negative), then one SGD step w ← w − η·∂L/∂w with η = 0.5.",
            "种子 001 的反向传播公式,用在一个 2-3-2 的 sigmoid 网络上(examples/"
            "seed001_deltas.py):输入 x = (0.05, 0.10),目标 t = (0.01, 0.99),平方误差 "
            "L = ½Σ(t − y)²。逐个神经元正向计算(z = w·x + b,a = σ(z)),逐个误差项反向计算"
            "(glassnet 的 δ = ∂L/∂z,由各层记录;种子的 δ 与之符号相反),最后用 η = 0.5 做"
            "一步 SGD:w ← w − η·∂L/∂w。"),
        "nodes": nodes, "steps": steps,
        "table": {"layout": "network",
                  "rows": [{"id": n["id"], "label": _text(n["label"], n["label"])}
                           for n in nodes],
                  "columns": ["z", "output", "delta"]},
        "update": {"formula": "w ← w − η·∂L/∂w", "learning_rate": learning_rate,
                   "lines": lines},
    }


EXAMPLES = {
    "seed002_linear": _text("Seed 002: z = (2w + 3b)(2b + 1), node by node",
                            "种子 002:z = (2w + 3b)(2b + 1),逐个节点"),
    "seed002_chain": _text("Seed 002: x → x² → ln → √, table 2-2",
                           "种子 002:x → x² → ln → √,表 2-2"),
    "seed001_net": _text("Seed 001: deltas of a 2-3-2 sigmoid network",
                         "种子 001:2-3-2 sigmoid 网络的误差项"),
}
_BUILDERS = {"seed002_linear": _linear, "seed002_chain": _chain, "seed001_net": _net}


def catalog():
    """``[{"name", "title"}]`` of every example (what ``GET /api/stepper`` lists)."""
    return [{"name": name, "title": title} for name, title in EXAMPLES.items()]


def example(name):
    """One stepper example, computed now with glassnet (see the module docstring).

    Args:
        name: one of :data:`EXAMPLES`.

    Returns:
        ``{"name", "title", "description", "nodes", "steps", "table", "update"}``, JSON-able.

    Raises:
        GlassnetValueError: for an unknown name (the message lists the known ones).
    """
    if name not in _BUILDERS:
        raise GlassnetValueError(f"stepper example: expected one of {sorted(_BUILDERS)}, "
                                 f"received {name!r}")
    return {"name": name, **_BUILDERS[name]()}
