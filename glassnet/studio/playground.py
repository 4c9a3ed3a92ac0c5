"""The studio's 2-D playground: data, a model from a spec, output maps, an export script, CSV.

A *spec* (a dict, see :data:`DEFAULT_SPEC`) says which 2-D data set to use (circles, xor,
spirals, gaussians from :mod:`glassnet.datasets.synthetic`, or an uploaded CSV), the hidden
layers, activation, optimizer, learning rate, batch size, epochs, regularization, validation
split and seed. :func:`validate_spec` checks it field by field; :func:`build` turns it into a
compiled glassnet model and its data; :func:`grid_payload` evaluates the model (and every hidden
neuron) on a grid for the page; :func:`export_script` writes the ``glassnet.keras`` script that
reproduces the run; :func:`parse_csv` reads an upload (numeric CSV only).

Reproducibility: :func:`build` seeds glassnet's generator with ``spec["seed"]``
(``gn.manual_seed``), then draws, in this order, the data, the shuffle before the validation
split and the initial weights; ``model.fit(**fit_kwargs(...))`` then draws its batch orders
from the same generator. The exported script makes the same calls in the same order, so it
prints the same accuracy, bit for bit, as long as nothing else draws from glassnet's (global)
generator while the in-process run builds and trains.

Example:
    >>> from glassnet.studio import playground
    >>> spec = playground.validate_spec({"dataset": "xor", "samples": 100, "epochs": 2})
    >>> spec["hidden"], spec["activation"]
    ([8, 8], 'tanh')
    >>> model, x_train, y_train, x_val, y_val = playground.build(spec)
    >>> x_train.shape, x_val.shape, model.layers[-1].units
    ((80, 2), (20, 2), 1)
    >>> payload = playground.grid_payload(model, x_train, y_train, resolution=10)
    >>> len(payload["boundary"]), len(payload["neurons"]), len(payload["neurons"][0])
    (10, 2, 8)
"""

import math
import pprint
import re

import numpy as np

from glassnet.errors import GlassnetValueError

DATASETS = ("circles", "xor", "spirals", "gaussians")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}
REGULARIZERS = {"l1": "L1", "l2": "L2"}
MAX_NEURON_RESOLUTION = 24
MAX_POINTS = 500
MAX_CSV_ROWS = 5000
MAX_CLASSES = 10

#: Every field of a spec and its default (a missing field takes its default).
DEFAULT_SPEC = {
    "dataset": "circles", "noise": 0.1, "samples": 400, "hidden": [8, 8],
    "activation": "tanh", "optimizer": "adam", "learning_rate": 0.03, "batch_size": 32,
    "epochs": 100, "regularization": None, "regularization_rate": 0.001,
    "validation_split": 0.2, "seed": 0,
}
_UPLOAD = re.compile(r"^upload:([A-Za-z0-9_-]{1,64})$")


class _BilingualError(GlassnetValueError):
    """A GlassnetValueError that also carries its message in Chinese (``.text``)."""

    def __init__(self, en, zh):
        super().__init__(en)
        self.text = {"en": en, "zh": zh}


class SpecError(_BilingualError):
    """A bad playground spec: ``.field``, ``.expected``, ``.received`` and ``.text``
    (``{"en", "zh"}``) say which field, what it accepts and what it got."""

    def __init__(self, field, expected, received, expected_zh=None):
        self.field, self.expected, self.received = field, expected, received
        shown = repr(received)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        super().__init__(f"playground spec, field {field!r}: expected {expected}, received "
                         f"{shown}",
                         f"playground 配置的字段 {field!r}:应为 {expected_zh or expected},"
                         f"收到 {shown}")


class CSVError(_BilingualError):
    """A CSV upload that cannot be used: ``.row`` and ``.column`` (1-based, or None) say where,
    ``.text`` (``{"en", "zh"}``) says why."""

    def __init__(self, en, zh, row=None, column=None):
        super().__init__(en, zh)
        self.row, self.column = row, column


# ============================================================================ the spec
def _number(spec, field, low, high, integer=False, low_open=False):
    value = spec[field]
    kind = "an integer" if integer else "a number"
    kind_zh = "整数" if integer else "数值"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or (
            not integer and not math.isfinite(value)):
        raise SpecError(field, f"{kind} in {'(' if low_open else '['}{low}, {high}]", value,
                        f"{'(' if low_open else '['}{low}, {high}] 范围内的{kind_zh}")
    if value < low or value > high or (low_open and value == low):
        raise SpecError(field, f"{kind} in {'(' if low_open else '['}{low}, {high}]", value,
                        f"{'(' if low_open else '['}{low}, {high}] 范围内的{kind_zh}")
    return int(value) if integer else float(value)


def _choice(spec, field, choices):
    value = spec[field]
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise SpecError(field, f"one of {listed}", value, f"{listed} 之一")
    return value


def validate_spec(spec=None):
    """Check a playground spec and fill in the defaults.

    Args:
        spec: a dict with some of the fields of :data:`DEFAULT_SPEC` (None: all defaults).

    Returns:
        A new dict with every field, normalized (floats as float, ints as int).

    Raises:
        SpecError: naming the first bad field, what it accepts and what it received; also for
            an unknown field.

    Example:
        >>> from glassnet.studio.playground import SpecError, validate_spec
        >>> try:
        ...     validate_spec({"hidden": [4, 40]})
        ... except SpecError as error:
        ...     print(error.field, "|", error.expected)
        hidden | a list of 0 to 6 layer sizes, each an integer in [1, 16]
    """
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise SpecError("spec", "a JSON object of fields", spec, "由字段组成的 JSON 对象")
    unknown = sorted(set(spec) - set(DEFAULT_SPEC), key=str)
    if unknown:
        raise SpecError(unknown[0], f"a known field ({', '.join(DEFAULT_SPEC)})",
                        spec[unknown[0]], f"已知字段({', '.join(DEFAULT_SPEC)})")
    full = {**DEFAULT_SPEC, **spec}
    out = {}
    dataset = full["dataset"]
    if not (dataset in DATASETS or (isinstance(dataset, str) and _UPLOAD.match(dataset))):
        listed = ", ".join(DATASETS)
        raise SpecError("dataset", f"one of {listed} or 'upload:<id>'", dataset,
                        f"{listed} 之一,或 'upload:<id>'")
    out["dataset"] = dataset
    out["noise"] = _number(full, "noise", 0, 1)
    out["samples"] = _number(full, "samples", 50, 2000, integer=True)
    hidden = full["hidden"]
    expected = "a list of 0 to 6 layer sizes, each an integer in [1, 16]"
    if not isinstance(hidden, (list, tuple)) or len(hidden) > 6 or any(
            isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 16 for h in hidden):
        raise SpecError("hidden", expected, hidden,
                        "0 到 6 个隐藏层的大小列表,每个是 [1, 16] 内的整数")
    out["hidden"] = [int(h) for h in hidden]
    out["activation"] = _choice(full, "activation", ACTIVATIONS)
    out["optimizer"] = _choice(full, "optimizer", tuple(OPTIMIZERS))
    out["learning_rate"] = _number(full, "learning_rate", 0, 10, low_open=True)
    out["batch_size"] = _number(full, "batch_size", 1, 2000, integer=True)
    out["epochs"] = _number(full, "epochs", 1, 2000, integer=True)
    out["regularization"] = _choice(full, "regularization", (None, *REGULARIZERS))
    out["regularization_rate"] = _number(full, "regularization_rate", 0, 1)
    out["validation_split"] = _number(full, "validation_split", 0, 0.5)
    out["seed"] = _number(full, "seed", 0, 2**31 - 1, integer=True)
    return out


# ============================================================================ data and model
def _generator_call(spec):
    """(function name, keyword arguments) of the synthetic generator for a built-in data set."""
    n, noise = spec["samples"], spec["noise"]
    return {"circles": ("circles", {"n_samples": n, "noise": noise}),
            "xor": ("xor", {"n_samples": n, "noise": noise}),
            "spirals": ("spirals", {"n_samples": n, "noise": noise}),
            "gaussians": ("gaussians", {"n_samples": n, "std": noise})}[spec["dataset"]]


def _upload(spec, uploads):
    name = _UPLOAD.match(spec["dataset"]).group(1)
    if not uploads or name not in uploads:
        raise SpecError("dataset", "an uploaded data set (POST /api/playground/upload first)",
                        spec["dataset"], "已上传的数据集(请先上传 CSV)")
    data = uploads[name]
    x, y = (data["x"], data["y"]) if isinstance(data, dict) else data
    return np.asarray(x, dtype=np.float32), np.asarray(y).reshape(-1).astype(np.int64)


def make_data(spec, uploads=None):
    """The spec's data, ``x`` (n, 2) float32 and integer labels ``y`` (n,), drawn now from
    glassnet's generator (call ``gn.manual_seed`` first for reproducible data)."""
    if spec["dataset"].startswith("upload:"):
        return _upload(spec, uploads)
    from glassnet.datasets import synthetic

    name, kwargs = _generator_call(spec)
    x, y = getattr(synthetic, name)(**kwargs)
    return x, np.asarray(y).reshape(-1).astype(np.int64)


def _layers(spec, classes):
    from glassnet import keras

    def regularizer():
        if spec["regularization"] is None:
            return None
        return getattr(keras.regularizers, REGULARIZERS[spec["regularization"]])(
            spec["regularization_rate"])

    layers = []
    for units in spec["hidden"]:
        extra = {} if layers else {"input_shape": (2,)}
        layers.append(keras.layers.Dense(units, activation=spec["activation"],
                                         kernel_regularizer=regularizer(), **extra))
    extra = {} if layers else {"input_shape": (2,)}
    if classes == 2:
        layers.append(keras.layers.Dense(1, activation="sigmoid",
                                         kernel_regularizer=regularizer(), **extra))
    else:
        layers.append(keras.layers.Dense(classes, activation="softmax",
                                         kernel_regularizer=regularizer(), **extra))
    return keras.Sequential(layers)


def build(spec, uploads=None):
    """Seed, draw the data, split it and build the compiled model of a spec.

    Args:
        spec: a playground spec (validated here).
        uploads: ``{id: (x, y)}`` (or ``{id: {"x", "y"}}``) of parsed CSV uploads, for a
            dataset ``"upload:<id>"``.

    Returns:
        ``(model, x_train, y_train, x_val, y_val)``: the model compiled with
        ``binary_crossentropy`` (one sigmoid output) for two classes or
        ``sparse_categorical_crossentropy`` (softmax) for more, metric ``accuracy``; labels are
        integer arrays (n,); ``x_val``/``y_val`` are empty when ``validation_split`` is 0.
    """
    import glassnet as gn
    from glassnet import keras
    from glassnet.config import get_rng

    spec = validate_spec(spec)
    gn.manual_seed(spec["seed"])
    x, y = make_data(spec, uploads)
    order = get_rng().permutation(len(x))
    x, y = x[order], y[order]
    n_val = int(round(len(x) * spec["validation_split"]))
    classes = max(int(y.max()) + 1, 2)
    model = _layers(spec, classes)
    optimizer = getattr(keras.optimizers, OPTIMIZERS[spec["optimizer"]])(
        learning_rate=spec["learning_rate"])
    loss = "binary_crossentropy" if classes == 2 else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model, x[n_val:], y[n_val:], x[:n_val], y[:n_val]


def fit_kwargs(spec, x_val=None, y_val=None):
    """The keyword arguments of ``model.fit`` for a spec (the exported script uses the same)."""
    spec = validate_spec(spec)
    has_val = x_val is not None and len(x_val) > 0
    return {"epochs": spec["epochs"], "batch_size": spec["batch_size"], "shuffle": True,
            "verbose": 0, "validation_data": (x_val, y_val) if has_val else None}


# ============================================================================ grids
def _grid(extent, n):
    xmin, xmax, ymin, ymax = extent
    xs = np.linspace(xmin, xmax, n)
    ys = np.linspace(ymax, ymin, n)  # row 0 is the top of the picture
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def grid_extent(x, margin=0.1):
    """``[xmin, xmax, ymin, ymax]``: the data's bounding box, widened by ``margin`` of its
    size on each side (at least 0.1)."""
    x = np.asarray(x, dtype=np.float64)
    low, high = x.min(axis=0), x.max(axis=0)
    pad = np.maximum((high - low) * margin, 0.1)
    return [float(low[0] - pad[0]), float(high[0] + pad[0]),
            float(low[1] - pad[1]), float(high[1] + pad[1])]


def grid_points(extent, resolution):
    """The grid points of :func:`grid_payload`'s maps, ``(resolution**2, 2)`` float32, in the
    maps' order: row i (top to bottom: y from ymax down to ymin), column j (x from xmin up to
    xmax)."""
    return _grid(extent, resolution)


def _hidden_outputs(model, points):
    import glassnet as gn

    outputs, h = [], points
    with gn.no_grad():
        for layer in model.layers[:-1]:
            h = layer(h)
            outputs.append(np.asarray(h.numpy() if hasattr(h, "numpy") else h))
    return outputs


def grid_payload(model, x, y, resolution=40):
    """The decision boundary and every hidden neuron's output map, for the page.

    Args:
        model: a model from :func:`build` (trained or not).
        x, y: the training points (their box sets the extent; at most 500 are sent).
        resolution: the boundary's grid size n (neuron maps use min(n, 24)).

    Returns:
        ``{"extent": [xmin, xmax, ymin, ymax], "resolution": n, "boundary": n x n,
        "neurons": [[{"layer": i, "unit": j, "map": m x m}] per hidden layer], "points":
        [[x1, x2, label]], "classes": k}``. Maps are rows top (y = ymax) to bottom (y = ymin),
        columns left (x = xmin) to right (x = xmax), as :func:`grid_points`; the boundary is
        P(class 1) for two classes, else the predicted class / (k - 1).
    """
    from glassnet.studio.recorder import to_json

    x = np.asarray(x, dtype=np.float32)
    labels = np.asarray(y).reshape(len(x), -1)
    labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0]
    labels = labels.astype(np.int64)
    extent = grid_extent(x)
    n = int(resolution)
    probabilities = np.asarray(model.predict(_grid(extent, n), verbose=0, batch_size=4096))
    classes = max(int(probabilities.shape[1]), 2)
    if probabilities.shape[1] == 1:
        boundary = probabilities[:, 0]
    else:
        boundary = probabilities.argmax(axis=1) / (classes - 1)
    m = min(n, MAX_NEURON_RESOLUTION)
    neurons = []
    for i, output in enumerate(_hidden_outputs(model, _grid(extent, m))):
        neurons.append([{"layer": i, "unit": j, "map": to_json(output[:, j].reshape(m, m))}
                        for j in range(output.shape[1])])
    stride = max(1, math.ceil(len(x) / MAX_POINTS))
    points = [[*to_json(x[k]), int(labels[k])] for k in range(0, len(x), stride)]
    return {"extent": to_json(np.array(extent)), "resolution": n,
            "boundary": to_json(boundary.reshape(n, n)), "neurons": neurons,
            "points": points, "classes": classes}


# ============================================================================ export
def export_script(spec, uploads=None):
    """A runnable ``glassnet.keras`` script that reproduces the playground run of ``spec``.

    The script seeds glassnet, makes the same data (the same ``glassnet.datasets.synthetic``
    call, or an upload's rows written inline as numbers), shuffles and splits it, builds and
    trains the same model and prints ``accuracy: ...`` (on the training data) and, with a
    validation split, ``val_accuracy: ...``.

    Args:
        spec: a playground spec (validated here).
        uploads: as for :func:`build`, needed when the spec uses an upload.

    Returns:
        The Python source text.
    """
    spec = validate_spec(spec)
    lines = ['"""glassnet Studio playground run, exported: python this_file.py"""', "",
             "import numpy as np", "", "import glassnet as gn", "from glassnet import keras",
             "from glassnet.config import get_rng", "from glassnet.datasets import synthetic",
             "",
             "SPEC = " + pprint.pformat(spec, width=96, sort_dicts=False), "",
             f"gn.manual_seed({spec['seed']})"]
    if spec["dataset"].startswith("upload:"):
        x, y = _upload(spec, uploads)
        rows = ",\n    ".join(f"[{float(a)!r}, {float(b)!r}, {int(c)}]"
                              for (a, b), c in zip(x, y, strict=True))
        lines += [f"DATA = [\n    {rows},\n]  # x1, x2, label (the uploaded CSV)",
                  "x = np.array([row[:2] for row in DATA], dtype=np.float32)",
                  "y = np.array([row[2] for row in DATA], dtype=np.int64)"]
    else:
        name, kwargs = _generator_call(spec)
        arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        lines += [f"x, y = synthetic.{name}({arguments})",
                  "y = np.asarray(y).reshape(-1).astype(np.int64)"]
    lines += [
        "order = get_rng().permutation(len(x))",
        "x, y = x[order], y[order]",
        f"n_val = int(round(len(x) * {spec['validation_split']!r}))",
        "x_train, y_train, x_val, y_val = x[n_val:], y[n_val:], x[:n_val], y[:n_val]",
    ]
    if spec["dataset"].startswith("upload:"):
        classes = max(int(y.max()) + 1, 2)
    else:
        classes = 2  # every built-in data set has two classes
    regularizer = ""
    if spec["regularization"] is not None:
        regularizer = (f", kernel_regularizer=keras.regularizers."
                       f"{REGULARIZERS[spec['regularization']]}({spec['regularization_rate']!r})")
    layers = [f"keras.layers.Dense({units}, activation={spec['activation']!r}{regularizer}"
              for units in spec["hidden"]]
    if classes == 2:
        layers.append(f"keras.layers.Dense(1, activation='sigmoid'{regularizer}")
        loss = "binary_crossentropy"
    else:
        layers.append(f"keras.layers.Dense({classes}, activation='softmax'{regularizer}")
        loss = "sparse_categorical_crossentropy"
    layers[0] += ", input_shape=(2,)"
    lines += ["model = keras.Sequential(["] + [f"    {layer})," for layer in layers] + ["])"]
    lines += [
        f"optimizer = keras.optimizers.{OPTIMIZERS[spec['optimizer']]}"
        f"(learning_rate={spec['learning_rate']!r})",
        f"model.compile(optimizer=optimizer, loss={loss!r}, metrics=['accuracy'])",
        f"model.fit(x_train, y_train, epochs={spec['epochs']}, batch_size={spec['batch_size']},"
        " shuffle=True, verbose=0,",
        "          validation_data=(x_val, y_val) if n_val else None)",
        "train = model.evaluate(x_train, y_train, verbose=0, return_dict=True)",
        "print(f\"accuracy: {train['accuracy']:.6f}\")",
        "if n_val:",
        "    val = model.evaluate(x_val, y_val, verbose=0, return_dict=True)",
        "    print(f\"val_accuracy: {val['accuracy']:.6f}\")",
    ]
    return "\n".join(lines) + "\n"


# ============================================================================ CSV uploads
def _csv_cell(text, row, column):
    names = ("x1", "x2", "label")
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        what = "a finite number" if value is not None else "a number"
        what_zh = "有限数值(不能是 NaN 或无穷大)" if value is not None else "数值"
        raise CSVError(f"row {row}, column {column} ({names[column - 1]}): expected {what}, "
                       f"received {text[:40]!r}",
                       f"第 {row} 行第 {column} 列({names[column - 1]}):应为{what_zh},"
                       f"收到 {text[:40]!r}", row, column)
    if column == 3 and (value != int(value) or not 0 <= value < MAX_CLASSES):
        raise CSVError(f"row {row}, column 3 (label): expected an integer class 0..9, received "
                       f"{text[:40]!r}",
                       f"第 {row} 行第 3 列(label):应为 0..9 的整数类别,收到 {text[:40]!r}",
                       row, 3)
    return value


def parse_csv(text, max_bytes=1 << 20):
    """Parse an uploaded CSV of 2-D points: columns ``x1, x2, label``, header row optional.

    Args:
        text: the CSV as str or UTF-8 bytes.
        max_bytes: the size limit (1 MiB).

    Returns:
        ``(x, y)``: ``x`` (n, 2) float32, ``y`` (n,) int64 labels in 0..9.

    Raises:
        CSVError: too big, not UTF-8, a row without exactly 3 columns, a non-numeric, NaN or
            infinite cell, a label that is not an integer 0..9, fewer than 2 or more than 5000
            rows, or a single class; ``row``/``column`` (1-based, counting the header) say
            where.

    Example:
        >>> from glassnet.studio.playground import parse_csv
        >>> x, y = parse_csv("x1,x2,label\\n0.5,1,0\\n-1,2e-1,1\\n")
        >>> x.tolist(), y.tolist()
        ([[0.5, 1.0], [-1.0, 0.20000000298023224]], [0, 1])
    """
    size = len(text) if isinstance(text, (bytes, bytearray)) else len(text.encode("utf-8"))
    if size > max_bytes:
        raise CSVError(f"the CSV is {size} bytes, more than the limit of {max_bytes} bytes",
                       f"CSV 文件有 {size} 字节,超过上限 {max_bytes} 字节")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CSVError("the CSV is not UTF-8 text", "CSV 文件不是 UTF-8 文本") from error
    text = text.lstrip("\ufeff")
    lines = [(k, line) for k, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise CSVError("the CSV is empty: expected rows of x1, x2, label",
                       "CSV 文件是空的:应为 x1, x2, label 三列数据")
    rows = []
    for position, (k, line) in enumerate(lines):
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != 3:
            raise CSVError(f"row {k}: expected 3 columns (x1, x2, label), received "
                           f"{len(cells)}", f"第 {k} 行:应为 3 列(x1, x2, label),收到 "
                           f"{len(cells)} 列", k)
        if position == 0 and not any(_is_number(cell) for cell in cells):
            continue  # a header row
        rows.append([_csv_cell(cell, k, c) for c, cell in enumerate(cells, start=1)])
    if not 2 <= len(rows) <= MAX_CSV_ROWS:
        raise CSVError(f"expected 2 to {MAX_CSV_ROWS} data rows, received {len(rows)}",
                       f"应有 2 到 {MAX_CSV_ROWS} 行数据,收到 {len(rows)} 行")
    data = np.array(rows, dtype=np.float64)
    y = data[:, 2].astype(np.int64)
    if len(np.unique(y)) < 2:
        raise CSVError(f"expected at least 2 classes in the label column, received only "
                       f"class {int(y[0])}", f"label 列应至少有 2 个类别,只有类别 {int(y[0])}")
    return data[:, :2].astype(np.float32), y


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def describe_upload(x, y):
    """``{"count", "classes"}`` of a parsed upload (what ``POST /api/playground/upload``
    answers besides the dataset id)."""
    return {"count": int(len(x)), "classes": int(np.asarray(y).max()) + 1}
